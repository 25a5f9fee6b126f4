/** Helpers shared by the Ed25519 provider tests. */

/** A copy of `bytes` with bit `bit` (little-endian within each byte) flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
}
