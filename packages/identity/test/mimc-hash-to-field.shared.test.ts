/**
 * `hashToField` = RFC 9380 §5.2 hash_to_field(msg, 1) with
 * expand_message_xmd(SHA-256), p = BN254 Fr order, m = 1, k = 128.
 *
 * Checked against an independent, test-only expand_message_xmd written from
 * RFC 9380 §5.3.1, which is itself checked against the RFC's Appendix K.1
 * vectors (DST "QUUX-V01-CS02-with-expander-SHA256-128").
 */
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { BN254_FR_ORDER, HASH_TO_FIELD_BYTES, hashToField } from '../src/mimc/index.js';

/** RFC 9380 §5.3.1 expand_message_xmd with SHA-256 (b = 32 bytes, s = 64 bytes); DST ≤ 255 bytes. */
function referenceXmd(msg: Uint8Array, dst: Uint8Array, len: number): Uint8Array {
  const ell = Math.ceil(len / 32);
  const dstPrime = concatBytes(dst, Uint8Array.of(dst.length));
  const b0 = sha256(concatBytes(new Uint8Array(64), msg, Uint8Array.of(len >> 8, len & 0xff, 0), dstPrime));
  const blocks: Uint8Array[] = [];
  let prev = sha256(concatBytes(b0, Uint8Array.of(1), dstPrime));
  blocks.push(prev);
  for (let i = 2; i <= ell; i++) {
    const mixed = b0.map((byte, j) => byte ^ (prev[j] as number));
    prev = sha256(concatBytes(mixed, Uint8Array.of(i), dstPrime));
    blocks.push(prev);
  }
  return concatBytes(...blocks).slice(0, len);
}

function referenceHashToField(msg: Uint8Array, dst: string): bigint {
  const bytes = referenceXmd(msg, utf8ToBytes(dst), HASH_TO_FIELD_BYTES);
  return BigInt(`0x${bytesToHex(bytes)}`) % BN254_FR_ORDER;
}

describe('hashToField (RFC 9380, BN254 Fr)', () => {
  it('the test-only expand_message_xmd reproduces RFC 9380 Appendix K.1', () => {
    const dst = utf8ToBytes('QUUX-V01-CS02-with-expander-SHA256-128');
    expect(bytesToHex(referenceXmd(new Uint8Array(0), dst, 0x20))).toBe(
      '68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235',
    );
    expect(bytesToHex(referenceXmd(utf8ToBytes('abc'), dst, 0x20))).toBe(
      'd8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615',
    );
  });

  it('expands 48 bytes per element (L = ceil((254 + 128) / 8))', () => {
    expect(HASH_TO_FIELD_BYTES).toBe(Math.ceil((254 + 128) / 8));
  });

  it('equals expand_message_xmd(msg, dst, 48) mod p', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string({ minLength: 1, maxLength: 60 }), (msg, dst) => {
        if (utf8ToBytes(dst).length > 255) return true;
        return hashToField(msg, dst) === referenceHashToField(msg, dst);
      }),
      { numRuns: 100, seed: 42 },
    );
  });

  it('is deterministic, in range, and separated by the DST', () => {
    const msg = utf8ToBytes('alice|1990-01-01|DE');
    const a = hashToField(msg, 'admitone/identity/v1');
    expect(hashToField(msg, 'admitone/identity/v1')).toBe(a);
    expect(a >= 0n && a < BN254_FR_ORDER).toBe(true);
    expect(hashToField(msg, 'admitone/identity/v2')).not.toBe(a);
    expect(hashToField(utf8ToBytes('alice|1990-01-01|DF'), 'admitone/identity/v1')).not.toBe(a);
  });

  it('rejects bad arguments with typed errors', () => {
    expect(() => hashToField('abc' as unknown as Uint8Array, 'dst')).toThrow(TypeError);
    expect(() => hashToField(new Uint8Array(1), 5 as unknown as string)).toThrow(TypeError);
    expect(() => hashToField(new Uint8Array(1), '')).toThrow(RangeError);
    expect(() => hashToField(new Uint8Array(1), 'x'.repeat(256))).toThrow(RangeError);
  });
});
