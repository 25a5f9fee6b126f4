/**
 * The reveal: combining an order's t + 1 (already verified) decryption
 * shares into its plaintext, and the shuffle seed that nobody can know before
 * the reveal.
 *
 * Shares are verified with DLEQ proofs before they enter the state (batched in
 * `prepare`), and ciphertexts passed the TDH2 validity check when they were
 * submitted, so settlement only interpolates and opens the AEAD. With the
 * small member indices that `memberPoints` hands out, the Lagrange
 * coefficients at 0 are small rationals, so h^r = Σ λ_i·u_i is computed as
 * (Σ c_i·u_i)·L⁻¹ with small integers c_i = λ_i·L: a handful of point
 * additions instead of a full multi-scalar multiplication (and no final
 * multiplication at all when L = 1, e.g. for members {1, 2} or {1, 2, 3}).
 * @module
 */
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { seededRandom, taggedHash, type CborValue, type Digest } from '@admitone/core';
import { lagrangeCoefficients } from '@admitone/core/threshold';
import { Tdh2Error, type Tdh2DecryptionShare, type Tdh2PublicKey } from '../tdh2/index.js';
import { openWithKemSecret, type Tdh2Ciphertext } from '../tdh2/ciphertext.js';
import { Fn, Point, type RistrettoPoint } from '../tdh2/group.js';
import { msm } from '../tdh2/share.js';

/** Member indices below this use the small-integer interpolation. */
const SMALL_INDEX = 1n << 20n;
/** Integer coefficients below this (in absolute value) keep the small-integer path; larger ones use the general MSM. */
const SMALL_COEFFICIENT = 1n << 128n;

/**
 * Recovers h^r = u^x from t + 1 valid shares (Lagrange interpolation at 0 in
 * the exponent). Shares must have distinct indices; they are not verified
 * here.
 */
export function combineShares(shares: readonly Tdh2DecryptionShare[]): RistrettoPoint {
  const xs = shares.map((s) => s.index);
  const small = xs.every((x) => x < SMALL_INDEX) ? integerLagrange(xs) : undefined;
  if (small !== undefined && small.numerators.every((c) => c < SMALL_COEFFICIENT && -c < SMALL_COEFFICIENT)) {
    const { numerators, denominator } = small;
    const points: RistrettoPoint[] = [];
    const scalars: bigint[] = [];
    numerators.forEach((c, i) => {
      const ui = (shares[i] as Tdh2DecryptionShare).ui;
      points.push(c < 0n ? ui.negate() : ui);
      scalars.push(c < 0n ? -c : c);
    });
    const sum = mulAddUnsafe(Point, points, scalars);
    return denominator === 1n ? sum : sum.multiplyUnsafe(Fn.inv(Fn.create(denominator)));
  }
  return msm(
    shares.map((s) => s.ui),
    lagrangeCoefficients(Fn, xs, 0n),
  );
}

/**
 * Opens `ciphertext` with t + 1 valid shares; `undefined` when the AEAD does
 * not open (only a dishonest encryptor can cause that).
 */
export function openOrder(publicKey: Tdh2PublicKey, ciphertext: Tdh2Ciphertext, shares: readonly Tdh2DecryptionShare[]): Uint8Array | undefined {
  try {
    return openWithKemSecret(publicKey, ciphertext, combineShares(shares));
  } catch (err) {
    if (err instanceof Tdh2Error && err.code === 'TDH2_DECRYPT_FAILED') return undefined;
    throw err;
  }
}

/**
 * The Lagrange coefficients at 0 for the points `xs`, as integers over a
 * common denominator: λ_i = numerators[i] / denominator exactly (over ℚ, hence
 * also mod ℓ), with denominator > 0 and minimal.
 */
export function integerLagrange(xs: readonly bigint[]): { numerators: bigint[]; denominator: bigint } {
  const fractions = xs.map((xi, i) => {
    let num = 1n;
    let den = 1n;
    xs.forEach((xj, j) => {
      if (j === i) return;
      num *= xj;
      den *= xj - xi;
    });
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    const g = gcd(num < 0n ? -num : num, den);
    return [num / g, den / g] as const;
  });
  const denominator = fractions.reduce((l, [, d]) => (l / gcd(l, d)) * d, 1n);
  return { numerators: fractions.map(([n, d]) => n * (denominator / d)), denominator };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

const SEED_DOMAIN = 'admitone/market/epoch-seed/v1';

/**
 * The shuffle seed of a settled epoch: a tagged hash of every order's
 * ciphertext id, submitter and *plaintext* (in canonical order, so the
 * consensus order of submission does not matter) and of the frozen listings.
 * The plaintexts are secret until t + 1 members release shares after the
 * cutoff, so nobody (not a submitter, not the primary, not t members) can
 * predict the seed while orders can still be added.
 */
export function epochSeed(eventId: string, epoch: number, entries: readonly CborValue[], listings: readonly CborValue[]): Digest {
  return taggedHash(SEED_DOMAIN, [eventId, epoch, [...entries], [...listings]]);
}

/**
 * A deterministic Fisher–Yates permutation of `0 … n−1` drawn from `seed`
 * (core's ChaCha20-based `seededRandom`, unbiased `int`). Returns rank[i]:
 * the position of item i in the shuffled order.
 */
export function shuffleRanks(seed: Uint8Array, n: number): number[] {
  const random = seededRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
  const rank = new Array<number>(n);
  order.forEach((item, position) => {
    rank[item] = position;
  });
  return rank;
}
