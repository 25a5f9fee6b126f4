/**
 * The wire envelope. Each binary WebSocket message carries one frame: a type
 * byte, then a body. WebSocket already delimits messages, so there is no
 * length prefix.
 *
 * Outer frames, as they travel:
 *
 * | type | name   | body                                                        |
 * |------|--------|-------------------------------------------------------------|
 * | 1    | HELLO  | canonical CBOR `[PROTOCOL, id, nonce(32), ephemeral(32)]`   |
 * | 2    | AUTH   | a 64-byte Ed25519 signature over the transcript             |
 * | 7    | SEALED | one inner frame, ChaCha20-Poly1305-sealed (`channel.ts`)    |
 *
 * Inner frames, only ever inside SEALED:
 *
 * | type | name  | body                                |
 * |------|-------|-------------------------------------|
 * | 3    | READY | empty (the first sealed frame)      |
 * | 4    | DATA  | one application message, byte-exact |
 * | 5    | PING  | empty                               |
 * | 6    | PONG  | empty                               |
 *
 * Anything else (unknown type, wrong body size, an inner frame outside
 * SEALED, a text message) is garbage, and the receiver closes the connection.
 * @module
 */
import { decode, encode } from '@admitone/core';
import { EPHEMERAL_KEY_BYTES, TAG_BYTES } from './channel.js';

/** The protocol name carried in HELLO and bound into every handshake signature. */
export const PROTOCOL = 'admitone/ws/v2';

/** Frame type bytes. */
export const FRAME = { hello: 1, auth: 2, ready: 3, data: 4, ping: 5, pong: 6, sealed: 7 } as const;

/** Bytes a DATA frame adds to its payload on the wire: SEALED type, inner type, Poly1305 tag. */
export const FRAME_OVERHEAD_BYTES = 1 + 1 + TAG_BYTES;

/** Size of a handshake nonce. */
export const NONCE_BYTES = 32;
/** Size of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;
/**
 * Largest frame accepted before the peer's AUTH verified (a HELLO with the
 * longest id is well below it), and so the smallest frame limit a platform
 * may enforce, whatever `maxMessageBytes` is.
 */
export const MAX_HANDSHAKE_FRAME_BYTES = 2048;

/** A parsed outer frame. */
export type Frame =
  | { readonly type: 'hello'; readonly protocol: string; readonly id: string; readonly nonce: Uint8Array; readonly ephemeral: Uint8Array }
  | { readonly type: 'auth'; readonly signature: Uint8Array }
  /** `ciphertext ‖ tag` of one inner frame. */
  | { readonly type: 'sealed'; readonly sealed: Uint8Array };

/** A parsed inner frame (the plaintext of a SEALED frame). */
export type InnerFrame = { readonly type: 'ready' } | { readonly type: 'data'; readonly payload: Uint8Array } | { readonly type: 'ping' } | { readonly type: 'pong' };

/** The outcome of a parse: a frame, or why the bytes are garbage. */
export type ParseResult<F = Frame> = { readonly ok: true; readonly frame: F } | { readonly ok: false; readonly reason: string };

/** An inner DATA frame holding a copy of `payload` (this copy is what makes `send` snapshot its argument). */
export function dataFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(payload.length + 1);
  frame[0] = FRAME.data;
  frame.set(payload, 1);
  return frame;
}

/** A HELLO frame announcing `id` with a fresh `nonce` and this connection's ephemeral x25519 public key. */
export function helloFrame(id: string, nonce: Uint8Array, ephemeral: Uint8Array): Uint8Array {
  return withType(FRAME.hello, encode([PROTOCOL, id, nonce, ephemeral]));
}

/** An AUTH frame carrying `signature`. */
export function authFrame(signature: Uint8Array): Uint8Array {
  return withType(FRAME.auth, signature);
}

/** The inner READY, PING and PONG frames (constant). */
export const READY_FRAME: Uint8Array = Uint8Array.of(FRAME.ready);
/** See {@link READY_FRAME}. */
export const PING_FRAME: Uint8Array = Uint8Array.of(FRAME.ping);
/** See {@link READY_FRAME}. */
export const PONG_FRAME: Uint8Array = Uint8Array.of(FRAME.pong);

/** Names of the inner frame types, for the reason given when one arrives unsealed. */
const INNER_NAMES: Readonly<Record<number, string>> = { [FRAME.ready]: 'READY', [FRAME.data]: 'DATA', [FRAME.ping]: 'PING', [FRAME.pong]: 'PONG' };

/**
 * Parses one received outer frame. The SEALED body is a view into `bytes`
 * (the platform adapters hand over buffers the transport owns). Never throws.
 */
export function parseFrame(bytes: Uint8Array): ParseResult {
  if (bytes.length === 0) return bad('empty frame');
  const body = bytes.subarray(1);
  switch (bytes[0]) {
    case FRAME.sealed:
      if (body.length < 1 + TAG_BYTES) return bad('SEALED frame too short');
      return { ok: true, frame: { type: 'sealed', sealed: body } };
    case FRAME.auth:
      if (body.length !== SIGNATURE_BYTES) return bad('AUTH frame of the wrong size');
      return { ok: true, frame: { type: 'auth', signature: body.slice() } };
    case FRAME.hello:
      return parseHello(body);
    default: {
      const inner = INNER_NAMES[bytes[0] as number];
      return bad(inner === undefined ? `unknown frame type ${String(bytes[0])}` : `${inner} frame outside the secure channel`);
    }
  }
}

/** Parses the plaintext of a SEALED frame. The DATA payload is a view into `bytes`. Never throws. */
export function parseInnerFrame(bytes: Uint8Array): ParseResult<InnerFrame> {
  if (bytes.length === 0) return bad('empty inner frame');
  switch (bytes[0]) {
    case FRAME.data:
      return { ok: true, frame: { type: 'data', payload: bytes.subarray(1) } };
    case FRAME.ping:
    case FRAME.pong:
    case FRAME.ready:
      if (bytes.length !== 1) return bad('control frame with a body');
      return { ok: true, frame: { type: bytes[0] === FRAME.ping ? 'ping' : bytes[0] === FRAME.pong ? 'pong' : 'ready' } };
    default:
      return bad(`unknown inner frame type ${String(bytes[0])}`);
  }
}

function parseHello(body: Uint8Array): ParseResult {
  let value: unknown;
  try {
    value = decode(body, { maxBytes: MAX_HANDSHAKE_FRAME_BYTES, maxDepth: 2 });
  } catch {
    return bad('HELLO is not canonical CBOR');
  }
  if (!Array.isArray(value) || value.length < 3) return bad('HELLO is not an array of at least 3 elements');
  const [protocol, id, nonce, ephemeral] = value as unknown[];
  if (typeof protocol !== 'string' || typeof id !== 'string' || !(nonce instanceof Uint8Array)) {
    return bad('HELLO fields have the wrong types');
  }
  // protocol first: a peer of another version gets "unsupported protocol", whatever its HELLO looks like
  if (protocol !== PROTOCOL) return { ok: true, frame: { type: 'hello', protocol, id, nonce, ephemeral: new Uint8Array(0) } };
  if (value.length !== 4 || !(ephemeral instanceof Uint8Array)) return bad('HELLO is not a 4-element array');
  if (nonce.length !== NONCE_BYTES) return bad('HELLO nonce has the wrong size');
  if (ephemeral.length !== EPHEMERAL_KEY_BYTES) return bad('HELLO ephemeral key has the wrong size');
  return { ok: true, frame: { type: 'hello', protocol, id, nonce, ephemeral } };
}

function withType(type: number, body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(body.length + 1);
  frame[0] = type;
  frame.set(body, 1);
  return frame;
}

function bad(reason: string): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason };
}
