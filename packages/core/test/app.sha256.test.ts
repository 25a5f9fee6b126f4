/**
 * The state digest's SHA-256 into a buffer (`app/sha256.ts`, one reused noble
 * hash object): FIPS 180-4 example vectors, and node:crypto on every length
 * around the padding boundaries and on random inputs, call after call (so a
 * reused object that kept state from the previous call would show).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Into } from '../src/app/sha256.js';
import { bytesToHex, utf8ToBytes } from '../src/bytes/index.js';

const reference = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** SHA-256 through {@link sha256Into} as a new array. */
const sha256 = (data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(32);
  sha256Into(data, 0, data.length, out, 0);
  return out;
};

describe('sha256Into (state digest)', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(bytesToHex(sha256(utf8ToBytes('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(bytesToHex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(bytesToHex(sha256(utf8ToBytes('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('matches node:crypto on every length up to 4 blocks and on random inputs', () => {
    for (let n = 0; n <= 256; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n * 7) & 0xff);
      const out = new Uint8Array(32);
      sha256Into(data, 0, n, out, 0);
      expect(bytesToHex(out), `length ${n}`).toBe(reference(data));
    }
    let x = 7;
    for (let r = 0; r < 50; r++) {
      x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
      const data = Uint8Array.from({ length: x % 5000 }, (_, i) => (x >>> (i % 24)) & 0xff);
      const out = new Uint8Array(32);
      sha256Into(data, 0, data.length, out, 0);
      expect(bytesToHex(out)).toBe(reference(data));
    }
  });

  it('hashes a range into a range, leaving the rest of both buffers alone', () => {
    const data = Uint8Array.from({ length: 200 }, (_, i) => i);
    const out = new Uint8Array(100).fill(0xee);
    sha256Into(data, 10, 150, out, 40);
    expect(bytesToHex(out.subarray(40, 72))).toBe(reference(data.subarray(10, 150)));
    expect(out.subarray(0, 40).every((b) => b === 0xee) && out.subarray(72).every((b) => b === 0xee)).toBe(true);
    // the output may land in the input buffer outside the hashed range
    sha256Into(data, 0, 100, data, 150);
    expect(bytesToHex(data.subarray(150, 182))).toBe(reference(Uint8Array.from({ length: 100 }, (_, i) => i)));
  });
});
