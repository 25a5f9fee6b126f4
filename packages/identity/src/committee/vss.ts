/**
 * The client's verifiable sharing of its identity element `x` (Pedersen VSS
 * over BN254 G1, whose order is that of `bn254_Fr`).
 *
 * The client deals `x` with a degree-t value polynomial `f` (`f(0) = x`) and a
 * uniform degree-t blinding polynomial `r`, commits to each coefficient pair
 * with core's `pedersenCommit` (`C_k = f_k·G + r_k·H`, `H` = core's
 * `pedersenH()`), puts the t + 1 commitments in the request it signs, and
 * seals `(f(i), r(i))` to member `i`. Pedersen commitments hide `x` perfectly
 * (Feldman's `g^x` would let anyone brute-force a low-entropy identity); they
 * bind as long as nobody knows `log_G(H)`.
 *
 * A member checks its pair against the commitments:
 * `f(i)·G + r(i)·H == Σ_k i^k·C_k`. A pair that fails was dealt wrong by the
 * client (the commitments are signed by it and the same at every member), so
 * the member declares that share instead of using it, and is never blamed
 * for it. A pair that passes lies on the committed polynomial.
 *
 * Checks are batched ({@link failingShares}): the member evaluates each
 * request's commitments at its own point (a small public integer, so a few
 * group additions), then checks all requests at once with secret random
 * 48-bit weights: one multi-scalar multiplication over one point per request
 * (the bucket method, the weights drawn directly as signed digits) plus two
 * constant-time multiplications by the weighted sums of its secret pairs, per
 * batch. A batch that fails is split in halves (reusing the weights) until
 * the wrong pairs are found.
 *
 * Commitments travel as uncompressed SEC1 points (65 bytes, {@link
 * COMMITMENT_BYTES}) rather than core's compressed 33: decompressing costs a
 * square root in Fp (about 90 µs with noble), which at t + 1 points per
 * request and member would cost more than the check itself; an uncompressed
 * point is checked against the curve equation in about 5 µs.
 * @module
 */
import type { Random } from '@admitone/core';
import { evaluateCommitments, evaluatePolynomial, pedersenCommit, randomFieldElements, type G1Point } from '@admitone/core/threshold';
import { bn254, bn254_Fr } from '@noble/curves/bn254.js';

/** Length of an encoded commitment: an uncompressed SEC1 BN254 G1 point (`0x04 ‖ x ‖ y`). */
export const COMMITMENT_BYTES = 65;

/**
 * Bits of the random weights of a batched check (at least; whole windows of
 * signed digits): a batch holding wrong pairs passes with probability at most
 * 2^-48. The weights are secret and fresh for every batch, so a client that
 * deals wrong pairs has one such chance per batch at each member, and all it
 * wins is to get that member suspected (which only changes signer order).
 * Each 16 bits more cost about a third more of the check.
 */
export const CHECK_WEIGHT_BITS = 48;

/** A member's share of the identity element and its share of the blinding polynomial. */
export type SharePair = readonly [value: bigint, blinding: bigint];

/** What a client deals: the commitments it signs and one pair per member. */
export interface IdentityDealing {
  /** The t + 1 encoded commitments `C_k = f_k·G + r_k·H` ({@link COMMITMENT_BYTES} each). */
  readonly commitments: Uint8Array[];
  /** `(f(x), r(x))` for each point `x`, in the order of the points given. */
  readonly pairs: SharePair[];
}

const G1 = bn254.G1.Point;
const Fr = bn254_Fr;

/**
 * Deals `x` to the members at `points` (their Shamir x-coordinates) with
 * degree `degree`: a random value polynomial with `f(0) = x`, a random
 * blinding polynomial, the commitments to their coefficients and every
 * member's pair. Throws `RangeError` for a value outside `bn254_Fr`, a degree
 * that is not a positive integer or fewer than `degree + 1` points.
 *
 * @example
 * ```ts
 * const { commitments, pairs } = dealIdentity(identityElement(attributes), committee.degree, [1n, 2n, 3n, 4n], random);
 * ```
 */
export function dealIdentity(x: bigint, degree: number, points: readonly bigint[], random: Random): IdentityDealing {
  if (typeof x !== 'bigint' || x < 0n || x >= Fr.ORDER) throw new RangeError('x must be an element of bn254_Fr');
  if (!Number.isSafeInteger(degree) || degree < 1) throw new RangeError('degree must be a positive integer');
  if (!Array.isArray(points) || points.length < degree + 1) throw new RangeError(`points must hold at least degree + 1 = ${degree + 1} member points`);
  const coefficients = randomFieldElements(Fr, random, 2 * (degree + 1));
  const f = coefficients.slice(0, degree + 1);
  const r = coefficients.slice(degree + 1);
  f[0] = x;
  const commitments = f.map((a, k) => pedersenCommit(a, r[k] as bigint).toBytes(false));
  const pairs = points.map((p): SharePair => [evaluatePolynomial(Fr, f, p), evaluatePolynomial(Fr, r, p)]);
  coefficients.fill(0n); // best effort: JS cannot truly erase bigints
  f.fill(0n);
  r.fill(0n);
  return { commitments, pairs };
}

/**
 * Decodes a request's commitments: exactly `degree + 1` uncompressed points on
 * the curve ({@link COMMITMENT_BYTES} each, coordinates below p; the identity
 * has no such encoding). Deterministic, so every member reaches the same
 * verdict. Throws `RangeError` naming the first bad entry.
 */
export function decodeCommitments(commitments: readonly Uint8Array[], degree: number): G1Point[] {
  if (!Array.isArray(commitments) || commitments.length !== degree + 1) throw new RangeError(`commitments must hold degree + 1 = ${degree + 1} points`);
  return commitments.map((bytes, k) => {
    if (!(bytes instanceof Uint8Array) || bytes.length !== COMMITMENT_BYTES || bytes[0] !== 0x04) {
      throw new RangeError(`commitments[${k}] must be a ${COMMITMENT_BYTES}-byte uncompressed point`);
    }
    try {
      return G1.fromBytes(bytes); // checks x, y < p and the curve equation (G1's cofactor is 1)
    } catch (cause) {
      throw new RangeError(`commitments[${k}] is not a point of BN254 G1`, { cause });
    }
  });
}

/** One pair to check against its request's decoded commitments. */
export interface ShareCheck {
  /** The request's commitments, decoded ({@link decodeCommitments}). */
  readonly commitments: readonly G1Point[];
  /** This member's pair, as opened. */
  readonly pair: SharePair;
}

/**
 * The indexes (ascending) of the pairs that do not lie on their commitments at
 * point `x` (this member's Shamir x-coordinate, a small positive integer).
 * Checks every pair at once with random weights of {@link CHECK_WEIGHT_BITS}
 * bits from `random` (secret, so a client cannot aim at them), and bisects a
 * batch that fails. A batch holding a wrong pair passes with probability at
 * most 2^-48. Pairs are secret: they only enter constant-time
 * multiplications, after being combined with the weights.
 *
 * @example
 * ```ts
 * const bad = failingShares(requests.map((q, i) => ({ commitments: decoded[i], pair: pairs[i] })), BigInt(self), random);
 * ```
 */
export function failingShares(checks: readonly ShareCheck[], x: bigint, random: Random): number[] {
  if (typeof x !== 'bigint' || x < 1n || x >= Fr.ORDER) throw new RangeError('x must be a nonzero element of bn254_Fr');
  const count = checks.length;
  if (count === 0) return [];
  for (const { pair } of checks) {
    for (const v of pair) if (typeof v !== 'bigint' || v < 0n || v >= Fr.ORDER) throw new RangeError('pair values must be elements of bn254_Fr');
  }
  const evaluated = checks.map((c) => evaluateCommitments(c.commitments, x));
  const failing: number[] = [];
  const one = (i: number): void => {
    const [f, r] = (checks[i] as ShareCheck).pair;
    if (!pedersenCommit(f, r).equals(evaluated[i] as G1Point)) failing.push(i);
  };
  if (count <= ONE_BY_ONE) {
    for (let i = 0; i < count; i++) one(i);
    return failing;
  }
  const weights = drawWeights(count, random);
  // Σ_{i∈S} ρ_i·E_i(x) − (Σ ρ_i f_i)·G − (Σ ρ_i r_i)·H: zero iff (whp) every pair of S lies on its commitments
  const difference = (from: number, to: number): G1Point => {
    let f = 0n;
    let r = 0n;
    for (let i = from; i < to; i++) {
      const [fi, ri] = (checks[i] as ShareCheck).pair;
      const w = weights.values[i] as bigint;
      f += w * fi;
      r += w * ri;
    }
    return bucketSum(evaluated, weights, from, to).subtract(pedersenCommit(Fr.create(f), Fr.create(r)));
  };
  // halves of a failed range [from, to) whose difference is `d`: one child computed, the other by subtraction
  const locate = (from: number, to: number, d: G1Point): void => {
    if (to - from <= ONE_BY_ONE) {
      for (let i = from; i < to; i++) one(i);
      return;
    }
    const mid = from + ((to - from) >> 1);
    const left = difference(from, mid);
    const right = d.subtract(left);
    if (!left.is0()) locate(from, mid, left);
    if (!right.is0()) locate(mid, to, right);
  };
  const all = difference(0, count);
  if (!all.is0()) locate(0, count, all);
  return failing;
}

/**
 * `Σ s_i·P_i` for public points and scalars in `[0, 2^bits)` (variable
 * time), by the bucket method {@link failingShares} uses (exported for tests).
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
  return bucketSum(points, { c, windows, digits, values: [...scalars] }, 0, m);
}

// ---------------------------------------------------------------------------
// internals

/** Ranges this small are checked pair by pair (a weighted check of two costs about as much as two plain ones). */
const ONE_BY_ONE = 2;

/**
 * Weights in signed-digit form: weight `i` is `Σ_w digits[i·windows + w]·2^(c·w)`
 * with every digit in `[−2^(c−1), 2^(c−1))`. That form is unique, so they are
 * `2^(c·windows)` distinct integers, all smaller in size than the group order.
 */
interface Weights {
  readonly c: number;
  readonly windows: number;
  readonly digits: Int32Array;
  /** The weights as integers (possibly negative). */
  readonly values: readonly bigint[];
}

/** Uniform weights of at least {@link CHECK_WEIGHT_BITS} bits, drawn digit by digit (no conversion, no carry). */
function drawWeights(count: number, random: Random): Weights {
  const c = windowBits(count, CHECK_WEIGHT_BITS);
  const windows = Math.ceil(CHECK_WEIGHT_BITS / c);
  const half = 1 << (c - 1);
  const bytes = random.bytes(2 * count * windows);
  const digits = new Int32Array(count * windows);
  // c ≤ 16, so 16 random bits give a uniform digit
  for (let k = 0; k < digits.length; k++) digits[k] = ((((bytes[2 * k] as number) << 8) | (bytes[2 * k + 1] as number)) & ((1 << c) - 1)) - half;
  const values = Array.from({ length: count }, (_, i) => {
    let v = 0n;
    for (let w = windows - 1; w >= 0; w--) v = (v << BigInt(c)) + BigInt(digits[i * windows + w] as number);
    return v;
  });
  return { c, windows, digits, values };
}

/**
 * `Σ_{i∈[from,to)} weight_i·points[i]` by the bucket method over noble's
 * point additions: in each window every point goes into the bucket of its
 * digit (negated for a negative digit), the buckets are summed with running
 * sums, and windows are joined by `c` doublings. noble's `pippenger` walks
 * every bit of the field (254) with unsigned digits; these weights have 48.
 */
function bucketSum(points: readonly G1Point[], weights: Weights, from: number, to: number): G1Point {
  const { c, windows, digits } = weights;
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
