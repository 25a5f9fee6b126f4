/**
 * The MPC engine's wire format: one canonical-CBOR message per (session,
 * round) and peer, carrying a whole vector of field elements packed as
 * fixed-width big-endian integers in one byte string.
 *
 * ```
 * { v: 1, p: 'pre' | 'eval', s: session id (1–64 bytes), r: round,
 *   h: 32-byte context digest, e: elements (32 bytes each, big-endian),
 *   g?: 64-byte Ed25519 signature (signed preprocessing transcripts only) }
 * ```
 * The context digest binds every message to what the sender believes the
 * session is (batch size, tuple positions, public inputs), so members whose
 * views differ drop each other's messages instead of computing garbage.
 * Two rounds of signed preprocessing carry other fixed-layout bytes in `e`
 * (still a multiple of 32): the alarm agreement's signature chains and a
 * failed chunk's transcript revelation.
 * @module
 */
import { CodecError, decode, encode, readBytes, readEnum, readInt, readRecord } from '@admitone/core';

/** Wire-format version carried in every message (`v`). */
export const MPC_WIRE_VERSION = 1;

/** Bytes per packed field element (BN254 Fr fits in 32). */
export const ELEMENT_BYTES = 32;

/** Bytes of the context digest `h`. */
export const CONTEXT_DIGEST_BYTES = 32;

/** Longest accepted session id, in bytes. */
export const MAX_SESSION_ID_BYTES = 64;

/** The two protocols that share a transport: preprocessing (`pre`) and online evaluation (`eval`). */
export type MpcPhase = 'pre' | 'eval';

/** One decoded engine message. */
export interface MpcMessage {
  /** Which protocol the message belongs to. */
  readonly phase: MpcPhase;
  /** The preprocessing batch id or evaluation session id (1–64 bytes). */
  readonly session: Uint8Array;
  /** The round within the session (≥ 0). */
  readonly round: number;
  /** The sender's context digest for the session ({@link CONTEXT_DIGEST_BYTES} bytes). */
  readonly context: Uint8Array;
  /** Packed field elements: a multiple of {@link ELEMENT_BYTES} bytes (see {@link packElements}). */
  readonly elements: Uint8Array;
  /**
   * The sender's Ed25519 signature over the message's transcript entry
   * ({@link SIGNATURE_BYTES} bytes), present when the committee signs its
   * preprocessing transcript (see the engine's `signing` option).
   */
  readonly signature?: Uint8Array;
}

/** Bytes of an Ed25519 signature (`g`). */
export const SIGNATURE_BYTES = 64;

/** Encodes an engine message as canonical CBOR. */
export function encodeMpcMessage(message: MpcMessage): Uint8Array {
  const record = {
    v: MPC_WIRE_VERSION,
    p: message.phase,
    s: message.session,
    r: message.round,
    h: message.context,
    e: message.elements,
  };
  return encode(message.signature === undefined ? record : { ...record, g: message.signature });
}

/**
 * Decodes and checks the shape of an engine message. Throws `CodecError`
 * (`CODEC_*`) for bad CBOR, a wrong version, unknown keys, a bad session id,
 * round, digest or signature length, or an element blob whose length is not a multiple
 * of {@link ELEMENT_BYTES}. Element ranges are checked by
 * {@link unpackElements}.
 */
export function decodeMpcMessage(bytes: Uint8Array, maxBytes?: number): MpcMessage {
  const record = readRecord(decode(bytes, maxBytes === undefined ? {} : { maxBytes }), 'message', KEYS);
  if (readInt(record['v'], 'message.v') !== MPC_WIRE_VERSION) {
    throw new CodecError('CODEC_SCHEMA', 'Unsupported MPC wire version.', { meta: { field: 'message.v' } });
  }
  const phase = readEnum(record['p'], 'message.p', PHASES);
  const session = readBytes(record['s'], 'message.s');
  if (session.length === 0 || session.length > MAX_SESSION_ID_BYTES) {
    throw new CodecError('CODEC_SCHEMA', `Field message.s must be 1–${MAX_SESSION_ID_BYTES} bytes.`, { meta: { field: 'message.s' } });
  }
  const round = readInt(record['r'], 'message.r', 0, MAX_ROUND);
  const context = readBytes(record['h'], 'message.h', CONTEXT_DIGEST_BYTES);
  const elements = readBytes(record['e'], 'message.e');
  if (elements.length % ELEMENT_BYTES !== 0) {
    throw new CodecError('CODEC_SCHEMA', `Field message.e must be a multiple of ${ELEMENT_BYTES} bytes.`, { meta: { field: 'message.e' } });
  }
  if (record['g'] === undefined) return { phase, session, round, context, elements };
  return { phase, session, round, context, elements, signature: readBytes(record['g'], 'message.g', SIGNATURE_BYTES) };
}

/**
 * Packs field elements (bigints in `[0, 2^256)`) as 32-byte big-endian
 * integers, back to back.
 */
export function packElements(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * ELEMENT_BYTES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as bigint;
    const o = i * ELEMENT_BYTES;
    view.setBigUint64(o, v >> 192n);
    view.setBigUint64(o + 8, BigInt.asUintN(64, v >> 128n));
    view.setBigUint64(o + 16, BigInt.asUintN(64, v >> 64n));
    view.setBigUint64(o + 24, BigInt.asUintN(64, v));
  }
  return out;
}

/**
 * Unpacks {@link packElements}' output. Returns `undefined` unless `bytes`
 * holds exactly `count` elements, each below `order` (a malformed vector).
 */
export function unpackElements(bytes: Uint8Array, count: number, order: bigint): bigint[] | undefined {
  if (bytes.length !== count * ELEMENT_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<bigint>(count);
  for (let i = 0; i < count; i++) {
    const o = i * ELEMENT_BYTES;
    const v =
      (view.getBigUint64(o) << 192n) |
      (view.getBigUint64(o + 8) << 128n) |
      (view.getBigUint64(o + 16) << 64n) |
      view.getBigUint64(o + 24);
    if (v >= order) return undefined;
    out[i] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------

const KEYS = ['v', 'p', 's', 'r', 'h', 'e', 'g'] as const;
const PHASES: readonly MpcPhase[] = ['pre', 'eval'];
/** Rounds are small integers; this bound only keeps them in a sane range. */
const MAX_ROUND = 2 ** 31 - 1;
