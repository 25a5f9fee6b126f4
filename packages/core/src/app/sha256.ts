/**
 * SHA-256 (FIPS 180-4) into a caller's buffer, without allocating: the state
 * digest (`state.ts`) hashes a leaf and a bucket on every write and dozens of
 * groups at every checkpoint, mostly inputs of a few blocks, where a general
 * hash object's setup and output copies cost as much as the compression.
 * Checked against node:crypto in the tests. Not exported from the package.
 * @module
 */

/** The round constants. */
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
/** The initial hash value. */
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
/** Scratch (hashing never re-enters): the message schedule, the state, and the padded last block(s). */
const W = new Int32Array(64);
const S = new Int32Array(8);
const TAIL = new Uint8Array(128);

/**
 * Writes SHA-256 of `data[start, end)` into `out[at, at + 32)`. `out` may be
 * `data` itself only outside the hashed range.
 */
export function sha256Into(data: Uint8Array, start: number, end: number, out: Uint8Array, at: number): void {
  S.set(IV);
  let o = start;
  for (; o + 64 <= end; o += 64) compress(data, o);
  const rest = end - o;
  TAIL.fill(0);
  for (let i = 0; i < rest; i++) TAIL[i] = data[o + i] as number;
  TAIL[rest] = 0x80;
  const blocks = rest < 56 ? 1 : 2;
  // the message length in bits, as a 64-bit big-endian integer
  const bits = (end - start) * 8;
  const hi = Math.floor(bits / 0x1_0000_0000);
  const lenAt = 64 * blocks - 8;
  TAIL[lenAt] = hi >>> 24;
  TAIL[lenAt + 1] = hi >>> 16;
  TAIL[lenAt + 2] = hi >>> 8;
  TAIL[lenAt + 3] = hi;
  TAIL[lenAt + 4] = bits >>> 24;
  TAIL[lenAt + 5] = bits >>> 16;
  TAIL[lenAt + 6] = bits >>> 8;
  TAIL[lenAt + 7] = bits;
  compress(TAIL, 0);
  if (blocks === 2) compress(TAIL, 64);
  for (let i = 0; i < 8; i++) {
    const v = S[i] as number;
    out[at++] = v >>> 24;
    out[at++] = v >>> 16;
    out[at++] = v >>> 8;
    out[at++] = v;
  }
}

/** SHA-256 of `data` as a new 32-byte array. */
export function sha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  sha256Into(data, 0, data.length, out, 0);
  return out;
}

/** One compression of the 64-byte block at `m[o]` into `S`. */
function compress(m: Uint8Array, o: number): void {
  for (let i = 0; i < 16; i++, o += 4) W[i] = ((m[o] as number) << 24) | ((m[o + 1] as number) << 16) | ((m[o + 2] as number) << 8) | (m[o + 3] as number);
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15] as number;
    const y = W[i - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = ((W[i - 16] as number) + s0 + (W[i - 7] as number) + s1) | 0;
  }
  let a = S[0] as number;
  let b = S[1] as number;
  let c = S[2] as number;
  let d = S[3] as number;
  let e = S[4] as number;
  let f = S[5] as number;
  let g = S[6] as number;
  let h = S[7] as number;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (W[i] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  S[0] = ((S[0] as number) + a) | 0;
  S[1] = ((S[1] as number) + b) | 0;
  S[2] = ((S[2] as number) + c) | 0;
  S[3] = ((S[3] as number) + d) | 0;
  S[4] = ((S[4] as number) + e) | 0;
  S[5] = ((S[5] as number) + f) | 0;
  S[6] = ((S[6] as number) + g) | 0;
  S[7] = ((S[7] as number) + h) | 0;
}
