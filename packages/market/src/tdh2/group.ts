/**
 * The group TDH2 runs in: ristretto255 (prime order ℓ = 2^252 + …, no
 * cofactor), its scalar field, the two generators g and ḡ, and strict
 * encoders/decoders for scalars and points.
 *
 * Domain separation: every hash in this module carries its own DST below, so
 * a challenge of one kind can never be replayed as another.
 * @module
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { utf8ToBytes } from '@admitone/core';
import { Tdh2Error } from './errors.js';

/** The ristretto255 point class (noble). Points are immutable. */
export type RistrettoPoint = InstanceType<typeof ristretto255.Point>;

/** Length of a ristretto255 point encoding and of a scalar encoding, in bytes. */
export const ELEMENT_BYTES = 32;

// ---------------------------------------------------------------------------
// module internals (not re-exported from the tdh2 index)

/** The point class. */
export const Point: typeof ristretto255.Point = ristretto255.Point;
/** The scalar field, ℓ = ristretto255's group order. */
export const Fn: typeof ristretto255.Point.Fn = ristretto255.Point.Fn;

/** Domain-separation tags: one per hash use, versioned. */
export const DST = {
  generator: 'AdmitOne-TDH2-v1-ristretto255-generator-gbar',
  ciphertextChallenge: 'AdmitOne-TDH2-v1-ciphertext-challenge',
  shareChallenge: 'AdmitOne-TDH2-v1-share-dleq-challenge',
  shareNonce: 'AdmitOne-TDH2-v1-share-dleq-nonce',
  kdf: 'AdmitOne-TDH2-v1-kem-kdf',
  aead: 'AdmitOne-TDH2-v1-dem-aad',
  ciphertextId: 'admitone/market/tdh2/ciphertext-id/v1',
} as const;

/** The generator g (noble's base point, with its fixed-base table). */
export const G: RistrettoPoint = Point.BASE;

/**
 * The second generator ḡ, hashed to the group (RFC 9380 hash_to_ristretto255)
 * so that nobody knows log_g ḡ. Its fixed-base table is built on first use.
 */
export const GBAR: RistrettoPoint = ristretto255_hasher
  .hashToCurve(utf8ToBytes('g-bar'), { DST: DST.generator })
  .precompute(8, true);

/** Window for the fixed-base table of a group public key h (built lazily, ~20 ms, reused by every encryption). */
export const GROUP_KEY_WINDOW = 8;
/** Window for a verification key h_i's table (built lazily, ~3 ms; speeds single-share verification ~4×). */
export const VERIFICATION_KEY_WINDOW = 4;

/** The canonical 32-byte little-endian encoding of a scalar. */
export function scalarToBytes(s: bigint): Uint8Array {
  return Fn.toBytes(s);
}

/**
 * Decodes a canonical scalar at `offset` of `bytes`. Throws
 * `TDH2_INVALID_SCALAR` (naming `field`) when it is ≥ ℓ, or zero while
 * `nonZero`.
 */
export function readScalar(bytes: Uint8Array, offset: number, field: string, nonZero = false): bigint {
  const s = bytesToNumberLE(bytes.subarray(offset, offset + ELEMENT_BYTES));
  if (s >= Fn.ORDER) {
    throw new Tdh2Error('TDH2_INVALID_SCALAR', `Field ${field} is not a canonical scalar.`, { meta: { field, reason: 'non_canonical' } });
  }
  if (nonZero && s === 0n) {
    throw new Tdh2Error('TDH2_INVALID_SCALAR', `Field ${field} must not be zero.`, { meta: { field, reason: 'zero' } });
  }
  return s;
}

/**
 * Decodes a canonical ristretto255 point at `offset` of `bytes`. Throws
 * `TDH2_INVALID_POINT` (naming `field`) for an invalid encoding or the
 * identity. The decoded point remembers its encoding (see {@link pointBytes}).
 */
export function readPoint(bytes: Uint8Array, offset: number, field: string): RistrettoPoint {
  const enc = bytes.slice(offset, offset + ELEMENT_BYTES);
  let p: RistrettoPoint;
  try {
    p = Point.fromBytes(enc);
  } catch (cause) {
    throw new Tdh2Error('TDH2_INVALID_POINT', `Field ${field} is not a canonical ristretto255 encoding.`, {
      cause,
      meta: { field, reason: 'encoding' },
    });
  }
  if (p.is0()) {
    throw new Tdh2Error('TDH2_INVALID_POINT', `Field ${field} is the identity element.`, { meta: { field, reason: 'identity' } });
  }
  encodings.set(p, enc);
  return p;
}

/**
 * Checks that `value` is a ristretto255 point other than the identity (for
 * points handed in as objects rather than bytes). Throws `TypeError` for a
 * non-point and `TDH2_INVALID_POINT` for the identity.
 */
export function assertPoint(value: unknown, field: string): RistrettoPoint {
  if (!(value instanceof Point)) throw new TypeError(`${field} must be a ristretto255 point`);
  if (value.is0()) {
    throw new Tdh2Error('TDH2_INVALID_POINT', `Field ${field} is the identity element.`, { meta: { field, reason: 'identity' } });
  }
  return value;
}

/** Checks that `value` is a canonical scalar (`bigint` in `[0, ℓ)`); throws `TypeError`/`RangeError` naming `field`. */
export function assertScalar(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${field} must be a bigint`);
  if (value < 0n || value >= Fn.ORDER) throw new RangeError(`${field} must be a scalar in [0, ℓ)`);
  return value;
}

const encodings = new WeakMap<RistrettoPoint, Uint8Array>();

/**
 * The canonical encoding of `p`, memoised per point object (points are
 * immutable, so the cache is sound). Returns a shared array: do not mutate.
 */
export function pointBytes(p: RistrettoPoint): Uint8Array {
  let enc = encodings.get(p);
  if (enc === undefined) {
    enc = p.toBytes();
    encodings.set(p, enc);
  }
  return enc;
}

/** Hashes `msg` to a scalar under `dst` (RFC 9380 expand_message_xmd with SHA-512, 64 bytes reduced mod ℓ). */
export function hashToScalar(dst: string, msg: Uint8Array): bigint {
  return ristretto255_hasher.hashToScalar(msg, { DST: dst });
}
