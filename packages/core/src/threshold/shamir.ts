/**
 * Shamir secret sharing over a prime field: dealing, Lagrange interpolation,
 * checked reconstruction, and share arithmetic.
 *
 * Error policy: configuration mistakes (a bad `degree`, repeated or zero
 * evaluation points passed as `xs`) throw `RangeError`/`TypeError` naming the
 * argument; problems with *received shares* throw {@link ThresholdError}
 * (`THRESHOLD_INVALID_SHARE`, `THRESHOLD_NOT_ENOUGH_SHARES`,
 * `THRESHOLD_INCONSISTENT_SHARES`) whose `culprits` are share x-coordinates.
 * Share values never appear in messages or `meta`.
 * @module
 */
import { ThresholdError } from '../errors/index.js';
import type { Random } from '../env/types.js';
import { assertDegree, assertField, assertPoints, element, isElement, randomFieldElement, randomFieldElements, type PrimeField } from './field.js';

/** One Shamir share: the polynomial's value y at the non-zero point x. */
export interface Share {
  /** The evaluation point (non-zero; usually a member's 1-based index). */
  readonly x: bigint;
  /** The polynomial's value at `x`. */
  readonly y: bigint;
}

/**
 * Evaluates `coefficients[0] + coefficients[1]·x + …` at `x` (Horner's rule).
 * An empty coefficient list is the zero polynomial.
 */
export function evaluatePolynomial(F: PrimeField, coefficients: readonly bigint[], x: bigint): bigint {
  assertField(F);
  if (!Array.isArray(coefficients)) throw new TypeError('coefficients must be an array of field elements');
  const at = element(F, x, 'x');
  let acc = 0n;
  for (let i = coefficients.length - 1; i >= 0; i--) {
    acc = F.add(F.mul(acc, at), element(F, coefficients[i], 'coefficients'));
  }
  return acc;
}

/**
 * Shares `secret` with a random polynomial of degree `degree`: any
 * `degree + 1` shares reconstruct it; any `degree` shares reveal nothing
 * about it. `xs` are the recipients' points (distinct, non-zero, at least
 * `degree + 1` of them); the result is in the same order.
 *
 * @example
 * ```ts
 * const shares = shamirShare(bn254_Fr, 42n, 1, [1n, 2n, 3n, 4n], seededRandom(7));
 * reconstruct(bn254_Fr, shares.slice(2), 1); // 42n
 * ```
 */
export function shamirShare(F: PrimeField, secret: bigint, degree: number, xs: readonly bigint[], random: Random): Share[] {
  assertField(F);
  const s = element(F, secret, 'secret');
  assertDegree(degree);
  assertPoints(F, xs, 'xs', true);
  if (xs.length < degree + 1) {
    throw new RangeError(`xs must have at least degree + 1 = ${degree + 1} points, got ${xs.length}`);
  }
  const coefficients = [s];
  for (let i = 0; i < degree; i++) coefficients.push(randomFieldElement(F, random));
  const shares = xs.map((x) => ({ x, y: evaluatePolynomial(F, coefficients, x) }));
  coefficients.fill(0n); // best effort: JS cannot truly erase bigints
  return shares;
}

/**
 * Shares many secrets at once, each as {@link shamirShare} does (a fresh
 * uniform polynomial of degree `degree` per secret), and returns one vector
 * per point: `result[j][i]` is the share of `secrets[i]` at `xs[j]`. The
 * arguments are checked once, the coefficients come from one draw of
 * `random`, and each share is reduced once — the form for MPC hot loops that
 * deal thousands of values per round.
 *
 * @example
 * ```ts
 * const [atOne, atTwo] = shamirShareMany(bn254_Fr, [5n, 6n], 1, [1n, 2n], seededRandom(7));
 * ```
 */
export function shamirShareMany(F: PrimeField, secrets: readonly bigint[], degree: number, xs: readonly bigint[], random: Random): bigint[][] {
  assertField(F);
  if (!Array.isArray(secrets)) throw new TypeError('secrets must be an array of field elements');
  for (const s of secrets) element(F, s, 'secrets');
  assertDegree(degree);
  assertPoints(F, xs, 'xs', true);
  if (xs.length < degree + 1) {
    throw new RangeError(`xs must have at least degree + 1 = ${degree + 1} points, got ${xs.length}`);
  }
  const P = F.ORDER;
  const t = degree;
  const coefficients = randomFieldElements(F, random, secrets.length * t);
  const out: bigint[][] = xs.map(() => new Array<bigint>(secrets.length));
  for (let i = 0; i < secrets.length; i++) {
    const secret = secrets[i] as bigint;
    const base = i * t;
    for (let j = 0; j < xs.length; j++) {
      const x = xs[j] as bigint;
      // Horner's rule on plain integers, one reduction per share
      let acc = 0n;
      for (let k = t - 1; k >= 0; k--) acc = acc * x + (coefficients[base + k] as bigint);
      (out[j] as bigint[])[i] = (acc * x + secret) % P;
    }
  }
  coefficients.fill(0n); // best effort: JS cannot truly erase bigints
  return out;
}

/**
 * The Lagrange coefficients `λ_i` such that `f(at) = Σ λ_i · f(xs[i])` for
 * every polynomial `f` of degree below `xs.length`. `xs` must be distinct
 * field elements (`RangeError` otherwise).
 */
export function lagrangeCoefficients(F: PrimeField, xs: readonly bigint[], at: bigint): bigint[] {
  assertField(F);
  assertPoints(F, xs, 'xs', false);
  return lagrangeUnchecked(F, xs, element(F, at, 'at'));
}

/**
 * Interpolates the unique polynomial of degree `< shares.length` through
 * `shares` and evaluates it at `at`. No redundancy is checked: use
 * {@link reconstruct} or {@link robustReconstruct} for that.
 */
export function interpolateAt(F: PrimeField, shares: readonly Share[], at: bigint): bigint {
  assertField(F);
  const list = readShares(F, shares);
  if (list.length === 0) throw new ThresholdError('THRESHOLD_NOT_ENOUGH_SHARES', 'Cannot interpolate from zero shares.', { meta: { have: 0, need: 1 } });
  const point = element(F, at, 'at');
  return dot(F, lagrangeUnchecked(F, list.map((s) => s.x), point), list.map((s) => s.y));
}

/**
 * Plain reconstruction at 0 from at least `degree + 1` shares. Every share
 * given is checked: if they do not all lie on one polynomial of degree
 * `degree`, throws `THRESHOLD_INCONSISTENT_SHARES` (without culprits: use
 * {@link robustReconstruct} to find them).
 */
export function reconstruct(F: PrimeField, shares: readonly Share[], degree: number): bigint {
  assertField(F);
  assertDegree(degree);
  const list = readShares(F, shares);
  requireShares(list.length, degree);
  const { value, consistent } = interpolateAndCheck(F, list, degree);
  if (!consistent) {
    throw new ThresholdError('THRESHOLD_INCONSISTENT_SHARES', `The ${list.length} shares do not lie on one polynomial of degree ${degree}.`, {
      meta: { shares: list.length, degree },
    });
  }
  return value;
}

/** `a + b` for two shares at the same point (a share of the sum of their secrets). */
export function addShares(F: PrimeField, a: Share, b: Share): Share {
  const [sa, sb] = readPair(F, a, b);
  return { x: sa.x, y: F.add(sa.y, sb.y) };
}

/** `a − b` for two shares at the same point (a share of the difference of their secrets). */
export function subShares(F: PrimeField, a: Share, b: Share): Share {
  const [sa, sb] = readPair(F, a, b);
  return { x: sa.x, y: F.sub(sa.y, sb.y) };
}

/** `c · share` for a public scalar `c` (a share of `c` times the secret). */
export function scaleShare(F: PrimeField, share: Share, c: bigint): Share {
  const s = readShares(F, [share])[0] as Share;
  return { x: s.x, y: F.mul(s.y, element(F, c, 'c')) };
}

/**
 * `share + c` for a public constant `c` (a share of the secret plus `c`:
 * every member adds `c`, because the constant polynomial has no other terms).
 */
export function addConstant(F: PrimeField, share: Share, c: bigint): Share {
  const s = readShares(F, [share])[0] as Share;
  return { x: s.x, y: F.add(s.y, element(F, c, 'c')) };
}

// ---------------------------------------------------------------------------
// internals shared with the robust decoder and the opener

/**
 * Validates received shares: each `{x, y}` canonical, `x ≠ 0`, and the x's
 * pairwise distinct (or, with `sameX`, all equal). Throws
 * `THRESHOLD_INVALID_SHARE` naming the offending x when it is a valid point.
 */
export function readShares(F: PrimeField, shares: readonly Share[], sameX = false): Share[] {
  assertField(F);
  if (!Array.isArray(shares)) throw new TypeError('shares must be an array of { x, y }');
  const seen = new Set<bigint>();
  const out: Share[] = [];
  for (const share of shares as readonly unknown[]) {
    const s = share as Partial<Share> | null;
    const x = typeof s === 'object' && s !== null ? s.x : undefined;
    const culprits = isElement(F, x) ? [x] : [];
    if (!isElement(F, x) || x === 0n) {
      throw new ThresholdError('THRESHOLD_INVALID_SHARE', 'A share has an invalid x-coordinate (must be a non-zero field element).', { culprits });
    }
    const y = (s as Partial<Share>).y;
    if (!isElement(F, y)) throw new ThresholdError('THRESHOLD_INVALID_SHARE', `The share at x = ${x} has a value outside the field.`, { culprits });
    if (sameX ? out.length > 0 && (out[0] as Share).x !== x : seen.has(x)) {
      const message = sameX ? 'Shares combined element-wise must be at the same x-coordinate.' : `Two shares have the same x-coordinate ${x}.`;
      throw new ThresholdError('THRESHOLD_INVALID_SHARE', message, { culprits });
    }
    seen.add(x);
    out.push({ x, y });
  }
  return out;
}

/** Two validated shares at the same x. */
function readPair(F: PrimeField, a: Share, b: Share): [Share, Share] {
  const [sa, sb] = readShares(F, [a, b], true);
  return [sa as Share, sb as Share];
}

/** Throws `THRESHOLD_NOT_ENOUGH_SHARES` when fewer than `degree + 1` shares are available. */
export function requireShares(have: number, degree: number, culprits: readonly bigint[] = []): void {
  if (have < degree + 1) {
    throw new ThresholdError('THRESHOLD_NOT_ENOUGH_SHARES', `Need ${degree + 1} shares for degree ${degree}, got ${have}.`, {
      meta: { have, need: degree + 1 },
      culprits,
    });
  }
}

/**
 * Interpolates at 0 through the first `degree + 1` shares and checks that
 * every further share lies on the same polynomial. `list.length ≥ degree + 1`.
 */
export function interpolateAndCheck(F: PrimeField, list: readonly Share[], degree: number): { value: bigint; consistent: boolean } {
  const basis = list.slice(0, degree + 1);
  const bx = basis.map((s) => s.x);
  const by = basis.map((s) => s.y);
  const value = dot(F, lagrangeUnchecked(F, bx, 0n), by);
  for (let j = degree + 1; j < list.length; j++) {
    const s = list[j] as Share;
    if (dot(F, lagrangeUnchecked(F, bx, s.x), by) !== s.y) return { value, consistent: false };
  }
  return { value, consistent: true };
}

/** Lagrange coefficients for distinct, canonical `xs` (unchecked), with one batched inversion. */
export function lagrangeUnchecked(F: PrimeField, xs: readonly bigint[], at: bigint): bigint[] {
  const n = xs.length;
  const numerators: bigint[] = [];
  const denominators: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const xi = xs[i] as bigint;
    let num = F.ONE;
    let den = F.ONE;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const xj = xs[j] as bigint;
      num = F.mul(num, F.sub(at, xj));
      den = F.mul(den, F.sub(xi, xj));
    }
    numerators.push(num);
    denominators.push(den);
  }
  const inverses = F.invertBatch(denominators);
  return numerators.map((num, i) => F.mul(num, inverses[i] as bigint));
}

/** `Σ a_i · b_i` with a single final reduction (lazy reduction: canonical inputs, bigint products). */
export function dot(F: PrimeField, a: readonly bigint[], b: readonly bigint[]): bigint {
  let acc = 0n;
  for (let i = 0; i < a.length; i++) acc += (a[i] as bigint) * (b[i] as bigint);
  return F.create(acc);
}
