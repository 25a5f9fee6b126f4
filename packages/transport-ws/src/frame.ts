/**
 * The wire envelope. Each binary WebSocket message carries one frame: a type
 * byte, then a body. WebSocket already delimits messages, so there is no
 * length prefix.
 *
 * | type | name  | body                                              |
 * |------|-------|---------------------------------------------------|
 * | 1    | HELLO | canonical CBOR `[PROTOCOL, id, nonce(32)]`        |
 * | 2    | AUTH  | a 64-byte Ed25519 signature over the transcript   |
 * | 3    | READY | empty                                             |
 * | 4    | DATA  | one application message, byte-exact               |
 * | 5    | PING  | empty                                             |
 * | 6    | PONG  | empty                                             |
 *
 * Anything else (unknown type, wrong body size, a text message) is garbage,
 * and the receiver closes the connection.
 * @module
 */
import { decode, encode } from '@admitone/core';

/** The protocol name carried in HELLO and bound into every handshake signature. */
export const PROTOCOL = 'admitone/ws/v1';

/** Frame type bytes. */
export const FRAME = { hello: 1, auth: 2, ready: 3, data: 4, ping: 5, pong: 6 } as const;

/** Size of a handshake nonce. */
export const NONCE_BYTES = 32;
/** Size of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;
/** Largest frame accepted before the handshake completes. */
export const MAX_HANDSHAKE_FRAME_BYTES = 2048;

/** A parsed frame. */
export type Frame =
  | { readonly type: 'hello'; readonly protocol: string; readonly id: string; readonly nonce: Uint8Array }
  | { readonly type: 'auth'; readonly signature: Uint8Array }
  | { readonly type: 'ready' }
  | { readonly type: 'data'; readonly payload: Uint8Array }
  | { readonly type: 'ping' }
  | { readonly type: 'pong' };

/** The outcome of {@link parseFrame}: a frame, or why the bytes are garbage. */
export type ParseResult = { readonly ok: true; readonly frame: Frame } | { readonly ok: false; readonly reason: string };

/** A DATA frame holding a copy of `payload` (this copy is what makes `send` snapshot its argument). */
export function dataFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(payload.length + 1);
  frame[0] = FRAME.data;
  frame.set(payload, 1);
  return frame;
}

/** A HELLO frame announcing `id` with a fresh `nonce`. */
export function helloFrame(id: string, nonce: Uint8Array): Uint8Array {
  return withType(FRAME.hello, encode([PROTOCOL, id, nonce]));
}

/** An AUTH frame carrying `signature`. */
export function authFrame(signature: Uint8Array): Uint8Array {
  return withType(FRAME.auth, signature);
}

/** The READY, PING and PONG frames (constant). */
export const READY_FRAME: Uint8Array = Uint8Array.of(FRAME.ready);
/** See {@link READY_FRAME}. */
export const PING_FRAME: Uint8Array = Uint8Array.of(FRAME.ping);
/** See {@link READY_FRAME}. */
export const PONG_FRAME: Uint8Array = Uint8Array.of(FRAME.pong);

/**
 * Parses one received frame. The DATA payload is a view into `bytes` (the
 * platform adapters hand over buffers the transport owns). Never throws.
 */
export function parseFrame(bytes: Uint8Array): ParseResult {
  if (bytes.length === 0) return bad('empty frame');
  const body = bytes.subarray(1);
  switch (bytes[0]) {
    case FRAME.data:
      return { ok: true, frame: { type: 'data', payload: body } };
    case FRAME.ping:
    case FRAME.pong:
    case FRAME.ready:
      if (body.length !== 0) return bad('control frame with a body');
      return { ok: true, frame: { type: bytes[0] === FRAME.ping ? 'ping' : bytes[0] === FRAME.pong ? 'pong' : 'ready' } };
    case FRAME.auth:
      if (body.length !== SIGNATURE_BYTES) return bad('AUTH frame of the wrong size');
      return { ok: true, frame: { type: 'auth', signature: body.slice() } };
    case FRAME.hello:
      return parseHello(body);
    default:
      return bad(`unknown frame type ${String(bytes[0])}`);
  }
}

function parseHello(body: Uint8Array): ParseResult {
  let value: unknown;
  try {
    value = decode(body, { maxBytes: MAX_HANDSHAKE_FRAME_BYTES, maxDepth: 2 });
  } catch {
    return bad('HELLO is not canonical CBOR');
  }
  if (!Array.isArray(value) || value.length !== 3) return bad('HELLO is not a 3-element array');
  const [protocol, id, nonce] = value as unknown[];
  if (typeof protocol !== 'string' || typeof id !== 'string' || !(nonce instanceof Uint8Array)) {
    return bad('HELLO fields have the wrong types');
  }
  if (nonce.length !== NONCE_BYTES) return bad('HELLO nonce has the wrong size');
  return { ok: true, frame: { type: 'hello', protocol, id, nonce } };
}

function withType(type: number, body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(body.length + 1);
  frame[0] = type;
  frame.set(body, 1);
  return frame;
}

function bad(reason: string): ParseResult {
  return { ok: false, reason };
}
