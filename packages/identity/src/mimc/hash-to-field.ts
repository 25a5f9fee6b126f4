/**
 * Hashing byte strings to BN254 Fr with RFC 9380 `hash_to_field`
 * (expand_message_xmd with SHA-256, m = 1, k = 128), via noble.
 * @module
 */
import { hash_to_field } from '@noble/curves/abstract/hash-to-curve.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { isBytes } from '@noble/hashes/utils.js';
import { invariant } from '@admitone/core';
import { BN254_FR_ORDER } from './mimc7.js';

/** Bytes `hash_to_field` expands per BN254 Fr element: `L = ceil((ceil(log2 p) + k) / 8)` = 48. */
export const HASH_TO_FIELD_BYTES = 48;

/** Largest accepted domain-separation tag, in UTF-8 bytes (RFC 9380 allows 255). */
export const MAX_DST_BYTES = 255;

/**
 * Hashes `message` to one element of BN254 Fr, domain-separated by `dst`:
 * RFC 9380 §5.2 `hash_to_field(msg, 1)` with `expand_message_xmd(SHA-256)`,
 * `p` = the Fr order, `m = 1`, `k = 128` (so `L = 48` bytes are expanded and
 * reduced mod p; the bias is below 2^-128).
 *
 * Throws `TypeError` when `message` is not a `Uint8Array` or `dst` is not a
 * string, and `RangeError` when `dst` is empty or longer than 255 bytes.
 *
 * @example
 * ```ts
 * const x = hashToField(new TextEncoder().encode('alice|1990-01-01'), 'admitone/identity/v1');
 * ```
 */
export function hashToField(message: Uint8Array, dst: string): bigint {
  if (!isBytes(message)) throw new TypeError('message must be a Uint8Array');
  if (typeof dst !== 'string') throw new TypeError(`dst must be a string, got ${typeof dst}`);
  const dstBytes = new TextEncoder().encode(dst);
  if (dstBytes.length === 0) throw new RangeError('dst must not be empty');
  if (dstBytes.length > MAX_DST_BYTES) throw new RangeError(`dst must be at most ${MAX_DST_BYTES} bytes`);
  const [[u] = []] = hash_to_field(message, 1, {
    DST: dstBytes,
    expand: 'xmd',
    hash: sha256,
    p: BN254_FR_ORDER,
    m: 1,
    k: 128,
  });
  invariant(u !== undefined, 'hash_to_field returned no element');
  return u;
}
