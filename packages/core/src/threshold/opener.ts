/**
 * Precomputed openers: the hot path of MPC openings over a fixed set of
 * evaluation points.
 *
 * For the set of points that answered, the opener precomputes (once, then
 * caches) the Lagrange weights at 0 of the first `degree + 1` points (the
 * *basis*) and, for every further point, the weights that extrapolate the
 * basis to it. Together these form a systematic parity-check matrix
 * `[A | −I]` of the Reed–Solomon code: the shares are consistent iff each
 * extra share equals its extrapolation. Opening a value then costs
 * `(n − degree)·(degree + 1)` multiplications with one reduction per row.
 * Only when a check fails does the opener run Berlekamp–Welch, and in
 * {@link Opener.openMany} members found wrong once are *suspects*: later
 * values are checked with a basis that avoids them, so a persistently
 * misbehaving member costs a few extra multiplications per value instead of
 * one Gaussian elimination per value.
 * @module
 */
import { ThresholdError } from '../errors/index.js';
import { decodeBerlekampWelch, maxCorrectable } from './berlekamp-welch.js';
import { assertDegree, assertField, assertPoints, isElement, signedRepresentatives, type PrimeField } from './field.js';
import { lagrangeUnchecked, requireShares, type Share } from './shamir.js';

/** One opened value and the points whose shares were wrong or malformed. */
export interface OpenResult {
  /** The opened value. */
  readonly value: bigint;
  /** x-coordinates of shares that were off the polynomial or not field elements (ascending). */
  readonly culprits: bigint[];
}

/** Many opened values and every point whose share of any of them was wrong or malformed. */
export interface OpenManyResult {
  /** The opened values, in input order. */
  readonly values: bigint[];
  /** x-coordinates of members whose vector was malformed or had any wrong share (ascending). */
  readonly culprits: bigint[];
}

/**
 * Opens Shamir-shared values held at a fixed set of points. Create once per
 * committee with {@link createOpener}; it is stateless between calls apart
 * from its cache of precomputed matrices.
 */
export interface Opener {
  /** The field. */
  readonly F: PrimeField;
  /** The evaluation points, in the order `ys` are given. */
  readonly xs: readonly bigint[];
  /** The sharing polynomial's degree (`degree + 1` shares open a value). */
  readonly degree: number;
  /** How many wrong shares can be corrected when every point answers: `⌊(n − degree − 1) / 2⌋`. */
  readonly maxErrors: number;
  /**
   * Opens one value: `ys[i]` is the share at `xs[i]`, `undefined` when
   * missing. Checks consistency (cheap), returns the value, and falls back
   * to Berlekamp–Welch when the check fails. A malformed entry (not a field
   * element) counts as missing and wrong. Throws
   * `THRESHOLD_NOT_ENOUGH_SHARES` with fewer than `degree + 1` usable shares
   * and `THRESHOLD_INCONSISTENT_SHARES` when the shares cannot be decoded.
   * Use {@link Opener.openWithCulprits} to learn who was wrong.
   */
  open(ys: readonly (bigint | undefined)[]): bigint;
  /** {@link Opener.open}, also returning the x of every wrong or malformed share. */
  openWithCulprits(ys: readonly (bigint | undefined)[]): OpenResult;
  /**
   * Opens `count` values at once. `sharesByMember[i]` is the vector of
   * shares sent by the member at `xs[i]` (value `j` at index `j`), or
   * `undefined` when it sent nothing. A vector of the wrong length or with a
   * non-field entry is treated as missing and its member as a culprit.
   * `count` defaults to the most common vector length.
   */
  openMany(sharesByMember: readonly (readonly bigint[] | undefined)[], count?: number): bigint[];
  /** {@link Opener.openMany}, also returning every culprit. */
  openManyWithCulprits(sharesByMember: readonly (readonly bigint[] | undefined)[], count?: number): OpenManyResult;
}

/**
 * Precomputed opener for a fixed set of points (distinct, non-zero, at
 * least `degree + 1`).
 *
 * @example
 * ```ts
 * const opener = createOpener(bn254_Fr, [1n, 2n, 3n, 4n], 1);
 * opener.open([y1, y2, undefined, y4]);               // one value, one member silent
 * opener.openMany([v1, v2, v3, v4]);                  // vᵢ: member i's shares of many values
 * ```
 */
export function createOpener(F: PrimeField, xs: readonly bigint[], degree: number): Opener {
  assertField(F);
  assertDegree(degree);
  assertPoints(F, xs, 'xs', true);
  const n = xs.length;
  if (n < degree + 1) throw new RangeError(`xs must have at least degree + 1 = ${degree + 1} points, got ${n}`);
  const points = Object.freeze([...xs]);
  const plans = new PlanCache(F, points, degree);
  plans.get(points.map((_, i) => i), NO_SUSPECTS); // warm the all-present plan

  function openWithCulprits(ys: readonly (bigint | undefined)[]): OpenResult {
    if (!Array.isArray(ys) || ys.length !== n) throw new RangeError(`ys must be an array of ${n} entries (one per point)`);
    const present: number[] = [];
    const culprits = new Set<number>();
    ys.forEach((y, i) => {
      if (y === undefined) return;
      if (isElement(F, y)) present.push(i);
      else culprits.add(i);
    });
    requireShares(present.length, degree, toXs(points, culprits));
    const result = openOne(F, plans, plans.get(present, NO_SUSPECTS), present, (i) => ys[i] as bigint);
    if (result === undefined) throw undecodable(present.length, degree, toXs(points, culprits));
    for (const i of result.culprits) culprits.add(i);
    return { value: result.value, culprits: toXs(points, culprits) };
  }

  function openManyWithCulprits(columns: readonly (readonly bigint[] | undefined)[], count?: number): OpenManyResult {
    if (!Array.isArray(columns) || columns.length !== n) throw new RangeError(`sharesByMember must be an array of ${n} entries (one per point)`);
    const length = count ?? modalLength(columns);
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`count must be a non-negative integer, got ${String(count)}`);
    const present: number[] = [];
    const culprits = new Set<number>();
    columns.forEach((column, i) => {
      if (column === undefined) return;
      if (Array.isArray(column) && column.length === length && column.every((y) => isElement(F, y))) present.push(i);
      else culprits.add(i);
    });
    requireShares(present.length, degree, toXs(points, culprits));
    const suspects = new Set<number>();
    const values: bigint[] = new Array<bigint>(length);
    // One plan serves every value until a new suspect appears (the common case: none ever does).
    let plan = plans.get(present, suspects);
    for (let v = 0; v < length; v++) {
      const result = openOne(F, plans, plan, present, (i) => (columns[i] as readonly bigint[])[v] as bigint);
      if (result === undefined) {
        throw undecodable(present.length, degree, toXs(points, new Set([...culprits, ...suspects])), { valueIndex: v });
      }
      if (result.culprits.length > 0) {
        for (const i of result.culprits) {
          culprits.add(i);
          suspects.add(i);
        }
        plan = plans.get(present, suspects);
      }
      values[v] = result.value;
    }
    return { values, culprits: toXs(points, culprits) };
  }

  return Object.freeze({
    F,
    xs: points,
    degree,
    maxErrors: maxCorrectable(n, degree),
    open: (ys: readonly (bigint | undefined)[]) => openWithCulprits(ys).value,
    openWithCulprits,
    openMany: (columns: readonly (readonly bigint[] | undefined)[], count?: number) => openManyWithCulprits(columns, count).values,
    openManyWithCulprits,
  });
}

// ---------------------------------------------------------------------------
// internals

const NO_SUSPECTS: ReadonlySet<number> = new Set();
/** Shared empty culprit list of the fast path (never mutated). */
const NO_CULPRITS: number[] = [];
/** Plans kept per opener; present/suspect patterns beyond this are recomputed. */
const MAX_CACHED_PLANS = 64;

/**
 * A precomputed check-and-open for one pattern of present points and
 * suspects. Weights are stored as *signed* representatives in
 * `(−p/2, p/2]`: for the usual points 1…n they are small integers (at 0 over
 * 1…t+1 they are `±C(t+1, i)`), so a combination costs a few short
 * multiplications and one short reduction instead of full-width products
 * (see {@link signedDot}).
 */
interface Plan {
  /** Indices of the `degree + 1` basis points. */
  readonly basis: readonly number[];
  /** Lagrange weights at 0 over the basis (signed representatives). */
  readonly weights: readonly bigint[];
  /** For each other present point: extrapolation weights from the basis (signed representatives), and whether it is a suspect. */
  readonly checks: readonly { readonly index: number; readonly row: readonly bigint[]; readonly suspect: boolean }[];
}

class PlanCache {
  readonly #plans = new Map<string, Plan>();
  constructor(
    readonly F: PrimeField,
    readonly xs: readonly bigint[],
    readonly degree: number,
  ) {}

  /**
   * The plan for `present` (ascending indices). Suspects are kept out of the
   * basis and a failed check on them is tolerated, which is sound only when
   * the non-suspects alone number at least `degree + 1 + maxCorrectable`:
   * then, within the correction bound, non-suspects that all agree include
   * `degree + 1` honest shares and so lie on the true polynomial. Otherwise
   * the suspects are ignored.
   */
  get(present: readonly number[], suspects: ReadonlySet<number>): Plan {
    const k = this.degree + 1;
    let trusted = present.filter((i) => !suspects.has(i));
    if (trusted.length < k + maxCorrectable(present.length, this.degree)) trusted = [...present];
    const key = `${present.join(',')}|${trusted.join(',')}`;
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      const basis = trusted.slice(0, k);
      const trustedSet = new Set(trusted);
      const bx = basis.map((i) => this.xs[i] as bigint);
      plan = {
        basis,
        weights: signedRepresentatives(this.F, lagrangeUnchecked(this.F, bx, 0n)),
        checks: present
          .filter((i) => !basis.includes(i))
          .map((index) => ({ index, row: signedRepresentatives(this.F, lagrangeUnchecked(this.F, bx, this.xs[index] as bigint)), suspect: !trustedSet.has(index) })),
      };
      if (this.#plans.size >= MAX_CACHED_PLANS) this.#plans.clear();
      this.#plans.set(key, plan);
    }
    return plan;
  }
}

/**
 * Opens one value from the shares at `present` (indices; `y(i)` is a valid
 * element for each). Returns the culprit indices, or `undefined` when the
 * shares cannot be decoded.
 */
function openOne(
  F: PrimeField,
  plans: PlanCache,
  plan: Plan,
  present: readonly number[],
  y: (i: number) => bigint,
): { value: bigint; culprits: number[] } | undefined {
  const by = plan.basis.map(y);
  let culprits: number[] = NO_CULPRITS;
  let consistent = true;
  for (const check of plan.checks) {
    if (signedDot(F, check.row, by) === y(check.index)) continue;
    if (!check.suspect) {
      consistent = false;
      break;
    }
    if (culprits === NO_CULPRITS) culprits = [];
    culprits.push(check.index);
  }
  if (consistent) return { value: signedDot(F, plan.weights, by), culprits };
  // Slow path: Berlekamp–Welch over every present share.
  const shares: Share[] = present.map((i) => ({ x: plans.xs[i] as bigint, y: y(i) }));
  const decoded = decodeBerlekampWelch(F, shares, plans.degree);
  if (decoded === undefined) return undefined;
  const wrong = new Set(decoded.culprits);
  return { value: decoded.value, culprits: present.filter((i) => wrong.has(plans.xs[i] as bigint)) };
}

/**
 * `Σ aᵢ·bᵢ mod p` for signed weights `a` (from `signedRepresentatives`) and field
 * elements `b`, as a canonical element. The exact sum is reduced once; with
 * small weights it is only a few bits longer than p.
 */
function signedDot(F: PrimeField, a: readonly bigint[], b: readonly bigint[]): bigint {
  let acc = 0n;
  for (let i = 0; i < a.length; i++) acc += (a[i] as bigint) * (b[i] as bigint);
  const r = acc % F.ORDER;
  return r < 0n ? r + F.ORDER : r;
}

function undecodable(have: number, degree: number, culprits: bigint[], meta: Record<string, unknown> = {}): ThresholdError {
  return new ThresholdError(
    'THRESHOLD_INCONSISTENT_SHARES',
    `Cannot decode: more than ${maxCorrectable(have, degree)} of the ${have} shares are wrong.`,
    { culprits, meta: { ...meta, shares: have, degree, correctable: maxCorrectable(have, degree) } },
  );
}

function toXs(xs: readonly bigint[], indices: ReadonlySet<number>): bigint[] {
  return [...indices].map((i) => xs[i] as bigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The most common length among the array entries (ties: the first seen); 0 when there are none. */
function modalLength(columns: readonly (readonly bigint[] | undefined)[]): number {
  const counts = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  for (const column of columns) {
    if (!Array.isArray(column)) continue;
    const c = (counts.get(column.length) ?? 0) + 1;
    counts.set(column.length, c);
    if (c > bestCount) {
      best = column.length;
      bestCount = c;
    }
  }
  return best;
}
