/**
 * Prime-field helpers for secret sharing: uniform sampling with wide
 * reduction, argument checks, and element-wise vector operations on share
 * values (the linear part of MPC: adding shares, scaling by public constants).
 *
 * Field elements are canonical `bigint`s in `[0, F.ORDER)`, as in noble's
 * `Field()` (`bn254_Fr`, `ed25519.Point.Fn`, `ristretto255.Point.Fn`).
 * @module
 */
import type { IField } from '@noble/curves/abstract/modular.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import type { Random } from '../env/types.js';

/** A prime field (noble's `IField<bigint>`, e.g. `bn254_Fr` from `@noble/curves/bn254.js`, or ed25519's `Fn`). */
export type PrimeField = IField<bigint>;

/** Extra random bits drawn beyond the field's bit length, so the reduction bias is below 2^-128. */
const WIDE_REDUCTION_EXTRA_BITS = 128;

/**
 * A uniformly random element of `F` (zero included): draws
 * `⌈(bits(p) + 128) / 8⌉` bytes from `random` and reduces them modulo `p`,
 * so the statistical distance from uniform is below 2^-128.
 *
 * @example
 * ```ts
 * import { bn254_Fr } from '@noble/curves/bn254.js';
 * const r = randomFieldElement(bn254_Fr, seededRandom(1));
 * ```
 */
export function randomFieldElement(F: PrimeField, random: Random): bigint {
  return randomFieldElements(F, random, 1)[0] as bigint;
}

/**
 * `count` uniformly random elements of `F`, each exactly as
 * {@link randomFieldElement} makes one (`⌈(bits(p) + 128) / 8⌉` big-endian
 * bytes reduced mod p), from a single draw of `random`. The hot-path form:
 * one call to the random source and bytes read 64 bits at a time.
 *
 * @example
 * ```ts
 * const coefficients = randomFieldElements(bn254_Fr, systemRandom(), 256);
 * ```
 */
export function randomFieldElements(F: PrimeField, random: Random, count: number): bigint[] {
  assertField(F);
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${String(count)}`);
  const width = Math.ceil((F.BITS + WIDE_REDUCTION_EXTRA_BITS) / 8);
  const bytes = random.bytes(count * width);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lead = width % 8; // bytes before the first whole 64-bit word
  const out = new Array<bigint>(count);
  for (let i = 0; i < count; i++) {
    const start = i * width;
    let v = 0n;
    if (lead > 0) v = bytesToNumberBE(bytes.subarray(start, start + lead));
    for (let o = start + lead; o < start + width; o += 8) v = (v << 64n) | view.getBigUint64(o);
    out[i] = v % F.ORDER;
  }
  bytes.fill(0);
  return out;
}

/**
 * Each field element's signed representative in `(−p/2, p/2]`: the same
 * residue, and far shorter when the element is a small integer up to sign,
 * as Lagrange weights over the points 1…n are (`±C(t+1, i)` at 0). Sums of
 * products with such weights need one short reduction instead of full-width
 * multiplications; reduce them with `((x % p) + p) % p` or a sign check.
 */
export function signedRepresentatives(F: PrimeField, values: readonly bigint[]): bigint[] {
  assertField(F);
  const half = F.ORDER >> 1n;
  return values.map((v) => {
    const w = element(F, v, 'values');
    return w > half ? w - F.ORDER : w;
  });
}

/** Element-wise `a + b` of two equally long vectors of field elements (e.g. the y-values of two sharings). */
export function addVectors(F: PrimeField, a: readonly bigint[], b: readonly bigint[]): bigint[] {
  assertField(F);
  assertSameLength(a, b);
  return a.map((ai, i) => F.add(element(F, ai, 'a'), element(F, b[i], 'b')));
}

/** Element-wise `a − b` of two equally long vectors of field elements. */
export function subVectors(F: PrimeField, a: readonly bigint[], b: readonly bigint[]): bigint[] {
  assertField(F);
  assertSameLength(a, b);
  return a.map((ai, i) => F.sub(element(F, ai, 'a'), element(F, b[i], 'b')));
}

/** Element-wise `c · v` for a public scalar `c`. */
export function scaleVector(F: PrimeField, v: readonly bigint[], c: bigint): bigint[] {
  assertField(F);
  const k = element(F, c, 'c');
  return v.map((vi) => F.mul(element(F, vi, 'v'), k));
}

/** Element-wise sum of any number of equally long vectors (`[]` sums to `[]`). */
export function sumVectors(F: PrimeField, vectors: readonly (readonly bigint[])[]): bigint[] {
  assertField(F);
  const first = vectors[0];
  if (first === undefined) return [];
  const out = first.map((v) => element(F, v, 'vectors'));
  for (let j = 1; j < vectors.length; j++) {
    const v = vectors[j] as readonly bigint[];
    assertSameLength(out, v);
    for (let i = 0; i < out.length; i++) out[i] = F.add(out[i] as bigint, element(F, v[i], 'vectors'));
  }
  return out;
}

// ---------------------------------------------------------------------------
// argument checks shared by the threshold modules (not exported from the index)

/** Throws `TypeError` unless `F` looks like a prime field over bigints. */
export function assertField(F: unknown): asserts F is PrimeField {
  const f = F as Partial<PrimeField> | null;
  if (
    typeof f !== 'object' ||
    f === null ||
    typeof f.ORDER !== 'bigint' ||
    f.ORDER < 2n ||
    typeof f.BITS !== 'number' ||
    typeof f.create !== 'function' ||
    typeof f.mul !== 'function' ||
    typeof f.inv !== 'function'
  ) {
    throw new TypeError('F must be a prime field (noble IField<bigint>)');
  }
}

/** True when `v` is a canonical element of `F`. */
export function isElement(F: PrimeField, v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v < F.ORDER;
}

/** Returns `v` if it is a canonical element of `F`; otherwise throws `RangeError` naming `name`. */
export function element(F: PrimeField, v: unknown, name: string): bigint {
  if (!isElement(F, v)) throw new RangeError(`${name} must be a field element (a bigint in [0, F.ORDER))`);
  return v;
}

/** Throws `RangeError` unless `degree` is a non-negative safe integer. */
export function assertDegree(degree: unknown): asserts degree is number {
  if (typeof degree !== 'number' || !Number.isSafeInteger(degree) || degree < 0) {
    throw new RangeError(`degree must be a non-negative integer, got ${String(degree)}`);
  }
}

/**
 * Checks a list of evaluation points: canonical, pairwise distinct and, when
 * `nonZero`, different from 0 (the secret's point). Throws `RangeError`.
 */
export function assertPoints(F: PrimeField, xs: readonly bigint[], name: string, nonZero: boolean): void {
  if (!Array.isArray(xs)) throw new TypeError(`${name} must be an array of field elements`);
  const seen = new Set<bigint>();
  for (const x of xs) {
    if (!isElement(F, x)) throw new RangeError(`${name} must contain field elements (bigints in [0, F.ORDER))`);
    if (nonZero && x === 0n) throw new RangeError(`${name} must not contain 0 (the secret's point)`);
    if (seen.has(x)) throw new RangeError(`${name} must be pairwise distinct; ${x} appears twice`);
    seen.add(x);
  }
}

function assertSameLength(a: readonly unknown[], b: readonly unknown[]): void {
  if (!Array.isArray(a) || !Array.isArray(b)) throw new TypeError('vectors must be arrays');
  if (a.length !== b.length) throw new RangeError(`vectors must have equal lengths, got ${a.length} and ${b.length}`);
}
