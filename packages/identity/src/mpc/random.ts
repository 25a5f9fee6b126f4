/**
 * A read-ahead wrapper around an injected {@link Random}: dealing draws
 * 48 bytes per coefficient, and a seeded ChaCha stream pays a fixed cost per
 * call, so the engine fetches randomness in chunks. Bytes already handed out
 * are zeroed in the chunk, so the buffer never holds used randomness.
 * @module
 */
import type { Random } from '@admitone/core';

/** Default read-ahead, in bytes. */
const CHUNK_BYTES = 16 * 1024;

/**
 * Serves `bytes(n)` for `n ≤ chunkBytes` from a read-ahead chunk of
 * `source`; larger requests, `int` and `float` go straight to `source`.
 */
export function bufferedRandom(source: Random, chunkBytes = CHUNK_BYTES): Random {
  let chunk: Uint8Array = new Uint8Array(0);
  let pos = 0;
  return {
    bytes(length: number): Uint8Array {
      if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${String(length)}`);
      if (length > chunkBytes) return source.bytes(length);
      if (pos + length > chunk.length) {
        chunk.fill(0);
        chunk = source.bytes(chunkBytes);
        pos = 0;
      }
      const out = chunk.slice(pos, pos + length);
      chunk.fill(0, pos, pos + length);
      pos += length;
      return out;
    },
    int: (maxExclusive: number) => source.int(maxExclusive),
    float: () => source.float(),
  };
}
