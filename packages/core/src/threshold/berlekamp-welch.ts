/**
 * Error-correcting reconstruction of Shamir sharings (Reed–Solomon decoding
 * with the Berlekamp–Welch algorithm).
 *
 * With `m` shares of a degree-`d` polynomial `P`, at most
 * `e = ⌊(m − d − 1) / 2⌋` of them wrong, Berlekamp–Welch finds a monic error
 * locator `E` of degree `e` and `Q = P·E` (degree `≤ e + d`) from the linear
 * system `Q(x_i) = y_i · E(x_i)` (solved by Gaussian elimination), then
 * `P = Q / E`. Any solution of the system gives the same quotient, so free
 * variables are set to zero. The shares off `P` are the culprits.
 * @module
 */
import { ThresholdError } from '../errors/index.js';
import { assertDegree, assertField, type PrimeField } from './field.js';
import { evaluatePolynomial, interpolateAndCheck, readShares, requireShares, type Share } from './shamir.js';

/** The result of {@link robustReconstruct}. */
export interface RobustReconstruction {
  /** The secret: the decoded polynomial at 0. */
  readonly value: bigint;
  /** The x of every share that is off the decoded polynomial (ascending). */
  readonly culprits: bigint[];
}

/**
 * Error-correcting reconstruction (Berlekamp–Welch): corrects up to
 * `⌊(m − degree − 1) / 2⌋` wrong shares among `m`, and returns the secret
 * and the x of every share that is off the polynomial. Throws
 * `THRESHOLD_INCONSISTENT_SHARES` when it cannot decode (more wrong shares
 * than that), `THRESHOLD_NOT_ENOUGH_SHARES` with fewer than `degree + 1`
 * shares, and `THRESHOLD_INVALID_SHARE` for malformed or duplicate shares.
 *
 * Beyond the bound, decoding is not guaranteed to fail: if the shares happen
 * to lie within the bound of a *different* polynomial, that one is returned
 * (no decoder can tell). With `w` wrong shares, failure is guaranteed while
 * `w ≤ m − degree − 1 − ⌊(m − degree − 1) / 2⌋`.
 *
 * @example
 * ```ts
 * const shares = shamirShare(bn254_Fr, 5n, 1, [1n, 2n, 3n, 4n], random);
 * const bad = shares.map((s) => (s.x === 3n ? { x: s.x, y: s.y + 1n } : s));
 * robustReconstruct(bn254_Fr, bad, 1); // { value: 5n, culprits: [3n] }
 * ```
 */
export function robustReconstruct(F: PrimeField, shares: readonly Share[], degree: number): RobustReconstruction {
  assertField(F);
  assertDegree(degree);
  const list = readShares(F, shares);
  requireShares(list.length, degree);
  const fast = interpolateAndCheck(F, list, degree);
  if (fast.consistent) return { value: fast.value, culprits: [] };
  const decoded = decodeBerlekampWelch(F, list, degree);
  if (decoded === undefined) {
    throw new ThresholdError(
      'THRESHOLD_INCONSISTENT_SHARES',
      `Cannot decode: more than ${maxCorrectable(list.length, degree)} of the ${list.length} shares are wrong.`,
      { meta: { shares: list.length, degree, correctable: maxCorrectable(list.length, degree) } },
    );
  }
  return decoded;
}

/** The number of wrong shares Berlekamp–Welch corrects among `m` shares of degree `degree`. */
export function maxCorrectable(m: number, degree: number): number {
  return Math.max(0, Math.floor((m - degree - 1) / 2));
}

/**
 * Runs Berlekamp–Welch on validated, distinct shares (`list.length ≥ degree + 1`).
 * Returns `undefined` when the shares are not within the correction bound
 * of any polynomial of degree `degree`.
 */
export function decodeBerlekampWelch(F: PrimeField, list: readonly Share[], degree: number): RobustReconstruction | undefined {
  const m = list.length;
  const e = maxCorrectable(m, degree);
  const qTerms = e + degree + 1; // Q has degree ≤ e + degree
  const unknowns = qTerms + e; // plus E's non-leading coefficients (E is monic of degree e)
  // Row i: Σ_j q_j x_i^j − y_i Σ_{j<e} e_j x_i^j = y_i x_i^e
  const rows: bigint[][] = list.map(({ x, y }) => {
    const row: bigint[] = new Array<bigint>(unknowns + 1);
    let p = F.ONE;
    for (let j = 0; j < qTerms; j++) {
      row[j] = p;
      if (j < e) row[qTerms + j] = F.neg(F.mul(y, p));
      if (j === e) row[unknowns] = F.mul(y, p);
      p = F.mul(p, x);
    }
    return row;
  });
  const solution = solveLinearSystem(F, rows, unknowns);
  if (solution === undefined) return undefined;
  const q = solution.slice(0, qTerms);
  const locator = [...solution.slice(qTerms), F.ONE];
  const division = dividePolynomials(F, q, locator);
  if (division.remainder.some((c) => c !== 0n)) return undefined;
  const p = division.quotient;
  const culprits = list.filter(({ x, y }) => evaluatePolynomial(F, p, x) !== y).map((s) => s.x);
  if (culprits.length > e) return undefined;
  culprits.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { value: p[0] ?? 0n, culprits };
}

/**
 * Solves `A·z = b` over `F` by Gauss–Jordan elimination, where each row is
 * `[A_i…, b_i]` with `unknowns` coefficients. Free variables are set to zero.
 * Returns `undefined` when the system is inconsistent. Mutates `rows`.
 */
export function solveLinearSystem(F: PrimeField, rows: bigint[][], unknowns: number): bigint[] | undefined {
  const pivotColumns: number[] = [];
  let r = 0;
  for (let c = 0; c < unknowns && r < rows.length; c++) {
    let pivot = r;
    while (pivot < rows.length && (rows[pivot] as bigint[])[c] === 0n) pivot++;
    if (pivot === rows.length) continue;
    [rows[r], rows[pivot]] = [rows[pivot] as bigint[], rows[r] as bigint[]];
    const pivotRow = rows[r] as bigint[];
    const inv = F.inv(pivotRow[c] as bigint);
    for (let k = c; k <= unknowns; k++) pivotRow[k] = F.mul(pivotRow[k] as bigint, inv);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as bigint[];
      const factor = row[c] as bigint;
      if (i === r || factor === 0n) continue;
      for (let k = c; k <= unknowns; k++) row[k] = F.sub(row[k] as bigint, F.mul(factor, pivotRow[k] as bigint));
    }
    pivotColumns.push(c);
    r++;
  }
  // Rows below the last pivot are all-zero on the left: they must be zero on the right too.
  for (let i = r; i < rows.length; i++) if ((rows[i] as bigint[])[unknowns] !== 0n) return undefined;
  const solution = new Array<bigint>(unknowns).fill(0n);
  pivotColumns.forEach((c, i) => (solution[c] = (rows[i] as bigint[])[unknowns] as bigint));
  return solution;
}

/** Long division of polynomials (coefficients low → high); `divisor` must have a non-zero leading coefficient. */
export function dividePolynomials(F: PrimeField, dividend: readonly bigint[], divisor: readonly bigint[]): { quotient: bigint[]; remainder: bigint[] } {
  const d = divisor.length - 1;
  const lead = divisor[d];
  if (lead === undefined || lead === 0n) throw new RangeError('divisor must have a non-zero leading coefficient');
  const remainder = [...dividend];
  if (remainder.length <= d) return { quotient: [], remainder };
  const leadInv = F.inv(lead);
  const quotient = new Array<bigint>(remainder.length - d).fill(0n);
  for (let i = remainder.length - 1; i >= d; i--) {
    const coefficient = F.mul(remainder[i] as bigint, leadInv);
    quotient[i - d] = coefficient;
    if (coefficient === 0n) continue;
    for (let j = 0; j <= d; j++) remainder[i - d + j] = F.sub(remainder[i - d + j] as bigint, F.mul(coefficient, divisor[j] as bigint));
  }
  return { quotient, remainder: remainder.slice(0, d) };
}
