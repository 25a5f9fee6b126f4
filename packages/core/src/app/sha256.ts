/**
 * SHA-256 (noble's) into a caller's buffer, reusing one hash object: the state
 * digest (`state.ts`) hashes a leaf and a bucket on every write and dozens of
 * groups at every checkpoint, mostly inputs of a few blocks, where a fresh hash
 * object and an output copy per call would be most of the garbage it makes.
 * Not exported from the package.
 * @module
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** A hash object in its initial state, copied into {@link WORK} before each use. */
const FRESH = nobleSha256.create();
/** The hash object every call reuses (hashing never re-enters: it is synchronous). */
const WORK = nobleSha256.create();

/**
 * Writes SHA-256 of `data[start, end)` into `out[at, at + 32)`. `out` may be
 * `data` itself only outside the hashed range.
 */
export function sha256Into(data: Uint8Array, start: number, end: number, out: Uint8Array, at: number): void {
  FRESH._cloneInto(WORK);
  WORK.update(data.subarray(start, end));
  WORK.digestInto(out.subarray(at, at + 32));
}
