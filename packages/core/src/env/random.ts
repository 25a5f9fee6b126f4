/**
 * Randomness: the platform CSPRNG for production and a seeded, deterministic
 * ChaCha20 generator for tests and the simulator.
 * @module
 */
import { rngChacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, isBytes, utf8ToBytes } from '../bytes/index.js';
import type { Random } from './types.js';

/**
 * A deterministic {@link Random}: the same seed always yields the same
 * sequence, on every platform.
 */
export interface SeededRandom extends Random {
  /**
   * A human-readable description of where this stream comes from, for
   * printing in a failing run: `42` for a number seed, `"text"` (JSON) for a
   * string, `0x…` for bytes, and `/"label"` appended per {@link fork}.
   */
  readonly seed: string;
  /**
   * An independent stream derived from this stream's *seed* and `label`.
   *
   * The child depends only on the parent's seed (and fork path) and on
   * `label`: never on how many bytes the parent or any sibling has consumed,
   * before or after the fork. Forking does not consume from the parent.
   * Different labels give unrelated streams, and the same label gives the same
   * stream each time, so give every component its own label (for example
   * `fork('replica/3')`).
   */
  fork(label: string): SeededRandom;
}

/**
 * The platform CSPRNG (`crypto.getRandomValues`), for production.
 * Large requests are filled in 65,536-byte chunks (the Web Crypto limit).
 */
export function systemRandom(): Random {
  return withNumbers((length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += MAX_GET_RANDOM_VALUES) {
      globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + MAX_GET_RANDOM_VALUES)));
    }
    return out;
  });
}

/**
 * A deterministic generator: noble's ChaCha20 DRBG (`rngChacha20`) keyed with
 * SHA-256 of a domain-separated encoding of `seed`. The keystream is produced
 * in 64-byte blocks under an incrementing block counter and buffered, so the
 * output does not depend on how reads are split (`bytes(8)` equals two
 * `bytes(4)`).
 *
 * `seed` may be bytes, a string (UTF-8) or a safe integer; the three kinds
 * are domain-separated, so `seededRandom(1)` and `seededRandom('1')` differ.
 *
 * This is for reproducible tests and simulations, not for secrets: anyone who
 * knows the seed can predict every output. One stream yields at most
 * 2^32 blocks (256 GiB); use {@link SeededRandom.fork} for more.
 *
 * @example
 * ```ts
 * const rng = seededRandom(42);
 * const net = rng.fork('network');
 * rng.int(6); // a die roll, identical on every run with seed 42
 * ```
 */
export function seededRandom(seed: Uint8Array | string | number): SeededRandom {
  const { encoding, description } = encodeSeed(seed);
  return createSeeded(sha256(concatBytes(SEED_DOMAIN, encoding)), description);
}

// ---------------------------------------------------------------------------
// helpers

/** Largest length `crypto.getRandomValues` accepts in one call. */
const MAX_GET_RANDOM_VALUES = 65536;

const SEED_DOMAIN = utf8ToBytes('admitone/seeded-random/seed/v1\0');
const FORK_DOMAIN = utf8ToBytes('admitone/seeded-random/fork/v1\0');
const SEED_BYTES = 0;
const SEED_STRING = 1;
const SEED_NUMBER = 2;

/** Builds a seeded stream from a 32-byte key; `fork` derives child keys from it. */
function createSeeded(key: Uint8Array, description: string): SeededRandom {
  const prg = rngChacha20(key);
  const random = withNumbers((length) => prg.randomBytes(length));
  return {
    ...random,
    seed: description,
    fork(label: string): SeededRandom {
      if (typeof label !== 'string') throw new TypeError(`label must be a string, got ${typeof label}`);
      const l = utf8ToBytes(label);
      const childKey = sha256(concatBytes(FORK_DOMAIN, key, u32be(l.length), l));
      return createSeeded(childKey, `${description}/${JSON.stringify(label)}`);
    },
  };
}

/** The domain-separated encoding of a seed and its description. */
function encodeSeed(seed: unknown): { encoding: Uint8Array; description: string } {
  if (isBytes(seed)) {
    return { encoding: concatBytes(Uint8Array.of(SEED_BYTES), seed), description: `0x${bytesToHex(seed)}` };
  }
  if (typeof seed === 'string') {
    return { encoding: concatBytes(Uint8Array.of(SEED_STRING), utf8ToBytes(seed)), description: JSON.stringify(seed) };
  }
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    const text = String(seed);
    return { encoding: concatBytes(Uint8Array.of(SEED_NUMBER), utf8ToBytes(text)), description: text };
  }
  throw new TypeError(`seed must be a Uint8Array, string or number, got ${seed === null ? 'null' : typeof seed}`);
}

function u32be(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/**
 * Builds a {@link Random} from a byte source: `int` by rejection sampling on
 * 32-bit draws (no modulo bias), `float` from 53 random bits.
 */
function withNumbers(source: (length: number) => Uint8Array): Random {
  function bytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`length must be a non-negative integer, got ${String(length)}`);
    }
    return source(length);
  }
  function u32(): number {
    const b = source(4);
    return (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0;
  }
  return {
    bytes,
    int(maxExclusive: number): number {
      if (typeof maxExclusive !== 'number' || !Number.isInteger(maxExclusive)) {
        throw new RangeError(`maxExclusive must be an integer, got ${String(maxExclusive)}`);
      }
      if (maxExclusive <= 0 || maxExclusive > TWO_POW_32) {
        throw new RangeError(`maxExclusive must be in [1, 2^32], got ${maxExclusive}`);
      }
      // Accept draws below the largest multiple of maxExclusive ≤ 2^32; each
      // residue class then has exactly the same number of accepted draws.
      const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
      for (;;) {
        const x = u32();
        if (x < limit) return x % maxExclusive;
      }
    },
    float(): number {
      // 27 + 26 = 53 bits, as in the classic genrand_res53.
      const hi = u32() >>> 5;
      const lo = u32() >>> 6;
      return (hi * 67108864 + lo) / 9007199254740992;
    },
  };
}

const TWO_POW_32 = 2 ** 32;
