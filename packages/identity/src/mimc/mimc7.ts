/**
 * MiMC-7 over the BN254 scalar field, bit-for-bit compatible with circomlib's
 * `MiMC7(91)` circuit and circomlibjs `buildMimc7().hash(x, k)`.
 *
 * The permutation, for round constants `c_0 = 0, c_1, …, c_90`:
 * ```
 * t_0 = x + k
 * t_i = r_{i-1} + k + c_i          (i = 1 … 90)
 * r_i = t_i^7
 * MiMC_k(x) = r_90 + k
 * ```
 * The constants are derived from the seed `"mimc"` by iterated Keccak-256
 * (`h_0 = keccak("mimc")`, `h_i = keccak(h_{i-1})`, `c_i = h_i mod p` for
 * i ≥ 1, `c_0 = 0`), exactly as circomlibjs does; they are computed lazily on
 * first use, not pasted.
 * @module
 */
import { bn254_Fr } from '@noble/curves/bn254.js';
import type { IField } from '@noble/curves/abstract/modular.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** The BN254 scalar field Fr (noble's `bn254_Fr`), the field MiMC-7 works in. */
export const BN254_FR: IField<bigint> = bn254_Fr;

/** The order `p` of {@link BN254_FR} (the BN254 group order `r`). */
export const BN254_FR_ORDER: bigint = bn254_Fr.ORDER;

/** Number of MiMC-7 rounds (circomlib's `MiMC7(91)`). */
export const MIMC7_ROUNDS = 91;

/** The seed circomlib derives the round constants from. */
export const MIMC7_SEED = 'mimc';

/**
 * The 91 round constants `c_0 … c_90` (with `c_0 = 0`), as a frozen array.
 * Computed once, on first call.
 */
export function mimc7Constants(): readonly bigint[] {
  if (constants === undefined) constants = deriveConstants();
  return constants;
}

/**
 * MiMC-7 encryption of `x` under key `k` over BN254 Fr, returning
 * `r_90 + k` — the value circomlibjs `buildMimc7().hash(x, k)` returns (after
 * `F.toObject`).
 *
 * Throws `TypeError` when an argument is not a bigint and `RangeError`
 * (naming the argument, not its value) when it is outside `[0, p)`;
 * circomlibjs silently reduces such inputs, this function refuses them.
 *
 * @example
 * ```ts
 * const tag = mimc7(123n, 456n); // a bigint in [0, p)
 * ```
 */
export function mimc7(x: bigint, k: bigint): bigint {
  checkFieldElement(x, 'x');
  checkFieldElement(k, 'k');
  return mimc7Unchecked(x, k, mimc7Constants());
}

/**
 * Throws `TypeError` unless `value` is a bigint and `RangeError` unless it is
 * in `[0, p)` of BN254 Fr. The message names `name` and never the value.
 */
export function checkFieldElement(value: unknown, name: string): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint, got ${describeType(value)}`);
  if (value < 0n || value >= P) throw new RangeError(`${name} must be a field element in [0, p) of BN254 Fr`);
}

// ---------------------------------------------------------------------------
// helpers

const P = bn254_Fr.ORDER;

let constants: readonly bigint[] | undefined;

function deriveConstants(): readonly bigint[] {
  const out: bigint[] = [0n];
  let h = keccak_256(utf8ToBytes(MIMC7_SEED));
  for (let i = 1; i < MIMC7_ROUNDS; i++) {
    h = keccak_256(h);
    out.push(BigInt(`0x${bytesToHex(h)}`) % P);
  }
  return Object.freeze(out);
}

/**
 * The permutation on already-validated inputs, in plain bigint arithmetic
 * (every intermediate is non-negative, so `%` is the canonical reduction).
 * Bigint division dominates the cost, so reductions are batched: `t < 3p`
 * is squared unreduced, and `t⁶ = (t²)³` is reduced once — three `%` per
 * round instead of five (measured ~1.5× faster).
 */
function mimc7Unchecked(x: bigint, k: bigint, c: readonly bigint[]): bigint {
  let r = 0n;
  for (let i = 0; i < MIMC7_ROUNDS; i++) {
    const t = i === 0 ? x + k : r + k + (c[i] as bigint);
    const t2 = (t * t) % P;
    r = (((t2 * t2 * t2) % P) * t) % P;
  }
  return (r + k) % P;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
