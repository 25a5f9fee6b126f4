/**
 * Batched checks of Pedersen share pairs: many pairs `(f_i, r_i)`, each
 * against the commitments `C_{i,k}` of its own sharing, at one point `x`:
 * `f_i·G + r_i·H == Σ_k x^k·C_{i,k} =: E_i`.
 *
 * All pairs are checked at once with secret random weights `ρ_i` of
 * `weightBits` bits: `Σ ρ_i·E_i == (Σ ρ_i f_i)·G + (Σ ρ_i r_i)·H`. A batch
 * holding a wrong pair passes with probability at most 2^-weightBits (the
 * difference `E_i − f_i·G − r_i·H` of a wrong pair is a nonzero point of
 * prime order, so at most one of the 2^weightBits values of `ρ_i` cancels it).
 * The weights must stay unknown to whoever chose the pairs and commitments
 * until those are fixed, so they are drawn fresh from the caller's `Random`.
 *
 * The cost is one public multi-scalar multiplication over the `E_i` (the
 * bucket method over noble's point additions, with the weights drawn
 * directly as signed digits: noble's `pippenger` walks all 254 bits of the
 * field, these weights have `weightBits`) plus one {@link pedersenCommit}
 * (two constant-time multiplications) by the weighted sums. The pairs are
 * secret: they only enter those constant-time multiplications, after being
 * combined with the weights. The multi-scalar multiplication is variable time
 * in the weights, which is harmless: once the pairs are fixed, the weights
 * are of no use to anyone.
 *
 * {@link pedersenPairsMatch} answers whether every pair matches;
 * {@link failingPedersenPairs} also names the ones that do not, by splitting
 * a failing batch in halves (reusing the weights) until they are found.
 * @module
 */
import { bn254, bn254_Fr } from '@noble/curves/bn254.js';
import type { Random } from '../env/types.js';
import { evaluateCommitments, pedersenCommit, type G1Point, type SharePair } from './pedersen.js';

/** One share pair to check against the commitments of its sharing. */
export interface PedersenPairCheck {
  /** The commitments `C_k = a_k·G + b_k·H` to the coefficients of the sharing's value and blinding polynomials (not empty). */
  readonly commitments: readonly G1Point[];
  /** The pair `(f(x), r(x))` as received: the value share and the blinding share. */
  readonly pair: SharePair;
}

/**
 * Whether every pair of `checks` lies on its commitments at point `x` (a
 * member's Shamir x-coordinate), checked all at once with secret random
 * weights of `weightBits` bits drawn from `random`: a batch holding a wrong
 * pair passes with probability at most 2^-weightBits. Cheaper than
 * {@link failingPedersenPairs} on a failing batch, as it does not look for the
 * wrong pairs. An empty batch matches.
 *
 * Throws `RangeError` for an `x` that is not a nonzero element of `bn254_Fr`,
 * a `weightBits` that is not an integer in `[1, 128]`, an empty list of
 * commitments or a pair value outside `bn254_Fr`.
 *
 * @example
 * ```ts
 * const valid = pedersenPairsMatch(points.map((commitments, v) => ({ commitments, pair: pairs[v] })), xSelf, 128, random);
 * ```
 */
export function pedersenPairsMatch(checks: readonly PedersenPairCheck[], x: bigint, weightBits: number, random: Random): boolean {
  const batch = prepare(checks, x, weightBits);
  const count = checks.length;
  if (count <= ONE_BY_ONE) {
    for (let i = 0; i < count; i++) if (!batch.matches(i)) return false;
    return true;
  }
  const weights = drawWeights(count, weightBits, random);
  try {
    return batch.difference(weights, 0, count).is0();
  } finally {
    weights.digits.fill(0);
  }
}

/**
 * The indexes (ascending) of the pairs of `checks` that do not lie on their
 * commitments at point `x` (a member's Shamir x-coordinate). Checks every
 * pair at once with secret random weights of `weightBits` bits drawn from
 * `random`, and splits a batch that fails in halves (reusing the weights)
 * until the wrong pairs are found: a batch, or half, holding a wrong pair
 * passes with probability at most 2^-weightBits. Returns `[]` when every pair
 * matches (at the cost of {@link pedersenPairsMatch}).
 *
 * Throws `RangeError` for an `x` that is not a nonzero element of `bn254_Fr`,
 * a `weightBits` that is not an integer in `[1, 128]`, an empty list of
 * commitments or a pair value outside `bn254_Fr`.
 *
 * @example
 * ```ts
 * const bad = failingPedersenPairs(requests.map((q, i) => ({ commitments: decoded[i], pair: pairs[i] })), 3n, 48, random); // e.g. [4]
 * ```
 */
export function failingPedersenPairs(checks: readonly PedersenPairCheck[], x: bigint, weightBits: number, random: Random): number[] {
  const batch = prepare(checks, x, weightBits);
  const count = checks.length;
  const failing: number[] = [];
  const oneByOne = (from: number, to: number): void => {
    for (let i = from; i < to; i++) if (!batch.matches(i)) failing.push(i);
  };
  if (count <= ONE_BY_ONE) {
    oneByOne(0, count);
    return failing;
  }
  const weights = drawWeights(count, weightBits, random);
  // halves of a failed range [from, to) whose difference is `d`: one child computed, the other by subtraction
  const locate = (from: number, to: number, d: G1Point): void => {
    if (to - from <= ONE_BY_ONE) return oneByOne(from, to);
    const mid = from + ((to - from) >> 1);
    const left = batch.difference(weights, from, mid);
    const right = d.subtract(left);
    if (!left.is0()) locate(from, mid, left);
    if (!right.is0()) locate(mid, to, right);
  };
  try {
    const all = batch.difference(weights, 0, count);
    if (!all.is0()) locate(0, count, all);
  } finally {
    weights.digits.fill(0);
  }
  return failing;
}

/**
 * `Σ scalars[i]·points[i]` for public points and scalars in `[0, 2^bits)`
 * (variable time), by the bucket method with signed digits that
 * {@link pedersenPairsMatch} and {@link failingPedersenPairs} use: faster than
 * noble's `pippenger` when `bits` is well below 254. Throws `RangeError` when
 * the lengths differ, `bits` is not a positive integer or a scalar is out of
 * range.
 *
 * @example
 * ```ts
 * msm([bn254.G1.Point.BASE, pedersenH()], [3n, 5n], 48).equals(pedersenCommit(3n, 5n)); // true
 * ```
 */
export function msm(points: readonly G1Point[], scalars: readonly bigint[], bits: number): G1Point {
  const m = points.length;
  if (m !== scalars.length) throw new RangeError('points and scalars must have the same length');
  if (!Number.isSafeInteger(bits) || bits < 1) throw new RangeError('bits must be a positive integer');
  if (m === 0) return G1.ZERO;
  const c = windowBits(m, bits);
  const half = 1 << (c - 1);
  const full = 1 << c;
  const mask = BigInt(full - 1);
  const windows = Math.ceil(bits / c) + 1; // the last window takes the final carry
  const digits = new Int32Array(m * windows);
  for (let j = 0; j < m; j++) {
    let s = scalars[j] as bigint;
    if (typeof s !== 'bigint' || s < 0n || s >> BigInt(bits) !== 0n) throw new RangeError(`scalars must lie in [0, 2^${bits})`);
    let carry = 0;
    for (let w = 0; w < windows; w++) {
      let v = Number(s & mask) + carry;
      s >>= BigInt(c);
      carry = v >= half ? 1 : 0;
      if (carry === 1) v -= full;
      digits[j * windows + w] = v;
    }
  }
  return bucketSum(points, { c, windows, digits }, 0, m);
}

// ---------------------------------------------------------------------------
// internals

const G1 = bn254.G1.Point;
const Fr = bn254_Fr;

/** The largest `weightBits` accepted: 2^-128 is already as sound as the curve. */
const MAX_WEIGHT_BITS = 128;

/** Ranges this small are checked pair by pair (a weighted check of two costs about as much as two plain ones). */
const ONE_BY_ONE = 2;

/** A validated batch: each pair's commitments evaluated at `x`. */
interface Batch {
  /** Whether pair `i` matches on its own (one constant-time commitment). */
  matches(i: number): boolean;
  /** `Σ_{i∈[from,to)} ρ_i·E_i − (Σ ρ_i f_i)·G − (Σ ρ_i r_i)·H`: zero iff (whp) every pair of the range matches. */
  difference(weights: Weights, from: number, to: number): G1Point;
}

function prepare(checks: readonly PedersenPairCheck[], x: bigint, weightBits: number): Batch {
  if (typeof x !== 'bigint' || x < 1n || x >= Fr.ORDER) throw new RangeError('x must be a nonzero element of bn254_Fr');
  if (!Number.isSafeInteger(weightBits) || weightBits < 1 || weightBits > MAX_WEIGHT_BITS) {
    throw new RangeError(`weightBits must be an integer in [1, ${MAX_WEIGHT_BITS}]`);
  }
  if (!Array.isArray(checks)) throw new RangeError('checks must be an array');
  checks.forEach(({ commitments, pair }, i) => {
    if (!Array.isArray(commitments) || commitments.length === 0) throw new RangeError(`checks[${i}].commitments must be a non-empty array of points`);
    for (const v of pair) if (typeof v !== 'bigint' || v < 0n || v >= Fr.ORDER) throw new RangeError(`checks[${i}].pair values must be elements of bn254_Fr`);
  });
  const evaluated = checks.map((c) => evaluateCommitments(c.commitments, x));
  return {
    matches(i) {
      const [f, r] = (checks[i] as PedersenPairCheck).pair;
      return pedersenCommit(f, r).equals(evaluated[i] as G1Point);
    },
    difference(weights, from, to) {
      let f = 0n;
      let r = 0n;
      for (let i = from; i < to; i++) {
        const [fi, ri] = (checks[i] as PedersenPairCheck).pair;
        const w = weights.values[i] as bigint;
        f += w * fi;
        r += w * ri;
      }
      return bucketSum(evaluated, weights, from, to).subtract(pedersenCommit(Fr.create(f), Fr.create(r)));
    },
  };
}

/**
 * Scalars in signed-digit form: scalar `i` is `Σ_w digits[i·windows + w]·2^(c·w)`
 * with every digit in `[−2^(c−1), 2^(c−1))`.
 */
interface Digits {
  readonly c: number;
  readonly windows: number;
  readonly digits: Int32Array;
}

/**
 * Random weights in signed-digit form, with their values (possibly negative).
 * The form is unique, so they are `2^(c·windows)` distinct integers, smaller
 * in size than the group order (`c·windows < weightBits + 16 ≤ 144`).
 */
interface Weights extends Digits {
  readonly values: readonly bigint[];
}

/** Uniform weights of at least `bits` bits, drawn digit by digit (no conversion, no carry). */
function drawWeights(count: number, bits: number, random: Random): Weights {
  const c = windowBits(count, bits);
  const windows = Math.ceil(bits / c);
  const half = 1 << (c - 1);
  const bytes = random.bytes(2 * count * windows);
  const digits = new Int32Array(count * windows);
  // c ≤ 16, so 16 random bits give a uniform digit
  for (let k = 0; k < digits.length; k++) digits[k] = ((((bytes[2 * k] as number) << 8) | (bytes[2 * k + 1] as number)) & ((1 << c) - 1)) - half;
  bytes.fill(0);
  const values = Array.from({ length: count }, (_, i) => {
    let v = 0n;
    for (let w = windows - 1; w >= 0; w--) v = (v << BigInt(c)) + BigInt(digits[i * windows + w] as number);
    return v;
  });
  return { c, windows, digits, values };
}

/**
 * `Σ_{i∈[from,to)} s_i·points[i]` by the bucket method over noble's point
 * additions: in each window every point goes into the bucket of its digit
 * (negated for a negative digit), the buckets are summed with running sums,
 * and windows are joined by `c` doublings.
 */
function bucketSum(points: readonly G1Point[], scalars: Digits, from: number, to: number): G1Point {
  const { c, windows, digits } = scalars;
  const half = 1 << (c - 1);
  const negated: (G1Point | undefined)[] = new Array(to - from);
  const buckets: (G1Point | undefined)[] = new Array(half + 1);
  let sum = G1.ZERO;
  for (let w = windows - 1; w >= 0; w--) {
    if (w !== windows - 1) for (let k = 0; k < c; k++) sum = sum.double();
    buckets.fill(undefined);
    for (let j = from; j < to; j++) {
      const d = digits[j * windows + w] as number;
      if (d === 0) continue;
      const p = d > 0 ? (points[j] as G1Point) : (negated[j - from] ??= (points[j] as G1Point).negate());
      const a = d > 0 ? d : -d;
      const b = buckets[a];
      buckets[a] = b === undefined ? p : b.add(p);
    }
    // Σ_a a·B_a as running sums, from the top bucket down
    let running: G1Point | undefined;
    let total: G1Point | undefined;
    for (let a = half; a >= 1; a--) {
      const b = buckets[a];
      if (b !== undefined) running = running === undefined ? b : running.add(b);
      if (running !== undefined) total = total === undefined ? running : total.add(running);
    }
    if (total !== undefined) sum = sum.add(total);
  }
  return sum;
}

/** The window that minimises (windows) × (point additions + bucket sums + doublings), at most 16 bits. */
function windowBits(m: number, bits: number): number {
  let best = 2;
  let bestCost = Infinity;
  for (let c = 2; c <= 16; c++) {
    const cost = Math.ceil(bits / c) * (m + (1 << c) + c);
    if (cost < bestCost) {
      bestCost = cost;
      best = c;
    }
  }
  return best;
}
