/**
 * The test-only control protocol between the browser tests and the Node
 * control server (`ws-control-server.ts`, started by the browser project's
 * globalSetup). It runs over its own WebSocket, separate from the transport
 * under test, and only drives Node-side endpoints: creating them, calling
 * their methods, and streaming their events back. Platform-neutral (imported
 * by both sides). Frames are canonical CBOR arrays:
 *
 * - request  `['req', id, op, args]`
 * - response `['res', id, ok, value]` (`value` is an {@link ErrorShape} when not ok)
 * - event    `['event', session, member, kind, payload]`
 */
import { decode, encode, type CborValue } from '@admitone/core';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `ws://127.0.0.1:port` of the Node control server (see `ws-server.global-setup.ts`). */
    transportWsControlUrl: string;
  }
}

/** The key under which globalSetup provides the control server's URL. */
export const CONTROL_URL_KEY: ControlUrlKey = 'transportWsControlUrl';
/** The type of {@link CONTROL_URL_KEY} (globalSetup imports only types from this module, see there). */
export type ControlUrlKey = 'transportWsControlUrl';

/** A member as the control server reports it (CBOR has no `undefined`, so `url` is `null` when absent). */
export interface ControlMember {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly url: string | null;
}

/** An error thrown by a Node endpoint, carried back to the browser. */
export interface ErrorShape {
  readonly name: string;
  readonly code: string | null;
  readonly message: string;
}

/** Arguments of `setup`: which ids, which of them is the browser and its public key. */
export interface SetupArgs {
  readonly ids: readonly string[];
  readonly browserId: string;
  /** The key the Node members list for the browser (a wrong one makes every handshake fail). */
  readonly browserPublicKey: Uint8Array;
  /** `maxMessageBytes` of the Node endpoints (default: the transport default). */
  readonly maxMessageBytes: number | null;
}

/** The result of `setup`. */
export interface SetupResult {
  readonly session: number;
  readonly members: readonly ControlMember[];
  readonly capabilities: { readonly ordered: boolean; readonly reliable: boolean; readonly maxMessageBytes: number };
}

/** Encodes a control frame. */
export function encodeControl(value: CborValue): Uint8Array {
  return encode(value);
}

/** Decodes a control frame (up to 64 MiB: control frames carry payloads of the transport's maximum size). */
export function decodeControl(bytes: Uint8Array): CborValue {
  return decode(bytes, { maxBytes: 64 * 1024 * 1024 });
}
