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
 * Checks are batched ({@link failingShares}, core's `failingPedersenPairs`):
 * the member evaluates each request's commitments at its own point (a small
 * public integer, so a few group additions), then checks all requests at
 * once with secret random 48-bit weights: one multi-scalar multiplication
 * over one point per request (the bucket method, the weights drawn directly
 * as signed digits) plus two constant-time multiplications by the weighted
 * sums of its secret pairs, per batch. A batch that fails is split in halves
 * (reusing the weights) until the wrong pairs are found.
 *
 * Commitments travel as uncompressed SEC1 points (65 bytes, {@link
 * COMMITMENT_BYTES}) rather than core's compressed 33: decompressing costs a
 * square root in Fp (about 90 µs with noble), which at t + 1 points per
 * request and member would cost more than the check itself; an uncompressed
 * point is checked against the curve equation in about 5 µs.
 * @module
 */
import type { Random } from '@admitone/core';
import { evaluatePolynomial, failingPedersenPairs, pedersenCommit, randomFieldElements, type G1Point } from '@admitone/core/threshold';
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
 * point `x` (this member's Shamir x-coordinate, a small positive integer):
 * core's {@link failingPedersenPairs} with random weights of
 * {@link CHECK_WEIGHT_BITS} bits from `random` (secret, so a client cannot aim
 * at them). Checks every pair at once and bisects a batch that fails; a batch
 * holding a wrong pair passes with probability at most 2^-48. Pairs are
 * secret: they only enter constant-time multiplications, after being combined
 * with the weights. Throws `RangeError` for an `x` that is not a nonzero
 * element of `bn254_Fr` or pair values outside it.
 *
 * @example
 * ```ts
 * const bad = failingShares(requests.map((q, i) => ({ commitments: decoded[i], pair: pairs[i] })), BigInt(self), random);
 * ```
 */
export function failingShares(checks: readonly ShareCheck[], x: bigint, random: Random): number[] {
  return failingPedersenPairs(checks, x, CHECK_WEIGHT_BITS, random);
}
