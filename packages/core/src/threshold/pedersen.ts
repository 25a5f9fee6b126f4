/**
 * Pedersen commitments over BN254 G1, the group behind verifiable joint
 * random sharing of BN254-Fr values: G1 has prime order r, exactly the
 * order of `bn254_Fr`, so a value `a` and a blinding `b` in that field commit
 * to `a·G + b·H`. The commitment is perfectly hiding (for uniform `b` it is a
 * uniform group element, whatever `a` is) and binding as long as nobody knows
 * `log_G(H)`.
 *
 * **The second generator `H`** is derived nothing-up-my-sleeve (noble
 * exposes no hash-to-curve for bn254), by try-and-increment:
 * for `counter = 0, 1, …`, `x = hash_to_field(I2OSP(counter, 4), 1, {
 * DST: PEDERSEN_H_DST, p, m: 1, k: 128, expand: 'xmd', hash: sha256 })`
 * (RFC 9380 §5.2, noble's implementation); the first `x` for which
 * `x³ + 3` is a square in Fp gives `H = (x, y)` with `y` the even square root.
 * G1's cofactor is 1, so every curve point is in the group. `x` is a hash
 * output, so nobody (us included) knows the discrete log of `H` to `G`.
 * The derivation is pinned by a test vector.
 *
 * Points travel as noble's 33-byte compressed SEC1 encoding; decoding
 * checks the curve equation and rejects the identity.
 * @module
 */
import { hash_to_field } from '@noble/curves/abstract/hash-to-curve.js';
import { FpIsSquare, FpSqrtEven } from '@noble/curves/abstract/modular.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { bn254, bn254_Fr } from '@noble/curves/bn254.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** A point of BN254 G1 (noble's `bn254.G1.Point`). */
export type G1Point = WeierstrassPoint<bigint>;

/** A member's pair of a Pedersen sharing: its value share `f(x)` and its blinding share `r(x)`. */
export type SharePair = readonly [value: bigint, blinding: bigint];

/** The RFC 9380 domain separation tag of the derivation of {@link pedersenH}. */
export const PEDERSEN_H_DST = 'admitone/pedersen/bn254-g1/H/v1';

/** Length of an encoded commitment (compressed SEC1). */
export const PEDERSEN_POINT_BYTES = 33;

const G1 = bn254.G1.Point;
const Fr = bn254_Fr;
let cachedH: G1Point | undefined;

/**
 * The second Pedersen generator `H` of BN254 G1, derived as the module notes
 * describe (try-and-increment over RFC 9380 `hash_to_field` with SHA-256).
 * Computed once per process (about 3 ms) and cached.
 *
 * @example
 * ```ts
 * const H = pedersenH();
 * H.assertValidity(); // on the curve, not the identity
 * ```
 */
export function pedersenH(): G1Point {
  if (cachedH !== undefined) return cachedH;
  const Fp = G1.Fp;
  const dst = PEDERSEN_H_DST;
  for (let counter = 0; counter < 2 ** 32; counter++) {
    const message = Uint8Array.of(counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff);
    const [[x]] = hash_to_field(message, 1, { DST: dst, p: Fp.ORDER, m: 1, k: 128, expand: 'xmd', hash: sha256 }) as [[bigint]];
    const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 3n); // y² = x³ + 3
    if (!FpIsSquare(Fp, rhs)) continue;
    const point = G1.fromAffine({ x, y: FpSqrtEven(Fp, rhs) });
    point.assertValidity();
    // A small fixed-window table: builds in ~7 ms, then multiplications by H cost ~0.5 ms instead of ~2 ms.
    cachedH = point.precompute(4);
    return cachedH;
  }
  throw new Error('unreachable: no square found'); // half of all x qualify
}

/**
 * The Pedersen commitment `value·G + blinding·H` to `value` under
 * `blinding` (both in `bn254_Fr`), with noble's constant-time
 * multiplication (both scalars are secret). Throws `RangeError` for scalars
 * outside the field.
 *
 * @example
 * ```ts
 * const c = pedersenCommit(42n, randomFieldElement(bn254_Fr, random)).toBytes(true);
 * ```
 */
export function pedersenCommit(value: bigint, blinding: bigint): G1Point {
  const [G, H] = (commitTables ??= [G1.fromAffine(G1.BASE.toAffine()).precompute(8, false), G1.fromAffine(pedersenH().toAffine()).precompute(8, false)]);
  return mulSecret(G, scalar(value, 'value')).add(mulSecret(H, scalar(blinding, 'blinding')));
}
/**
 * Copies of G and H with 8-bit precomputed windows, built on the first
 * commitment (about 80 ms each): a commitment then costs about 0.3 ms instead
 * of 0.5–0.9 ms (the DKG's dealings and the identity clients' and members'
 * checks make many).
 */
let commitTables: [G1Point, G1Point] | undefined;

/**
 * Checks a share pair against the Pedersen commitments of a sharing:
 * `share·G + blinding·H == Σ_k x^k · commitments[k]`, where `commitments[k]`
 * commits to the k-th coefficients of the value and blinding polynomials
 * (as `runVerifiableJointRandomSharing` returns them). Returns `false` for a
 * wrong pair or undecodable commitments; throws `RangeError` for an `x` or
 * scalars outside the field.
 *
 * @example
 * ```ts
 * const r = await runVerifiableJointRandomSharing(options);
 * verifyPedersenShare(r.commitments[0], memberPoints(members).get(self), r.shares[0], r.blindingShares[0]); // true
 * ```
 */
export function verifyPedersenShare(commitments: readonly Uint8Array[], x: bigint, share: bigint, blinding: bigint): boolean {
  if (!Array.isArray(commitments) || commitments.length === 0) throw new RangeError('commitments must be a non-empty array of encoded points');
  let points: G1Point[];
  try {
    points = commitments.map((c) => G1.fromBytes(c));
  } catch {
    return false;
  }
  return pairsMatchCommitments([points], scalar(x, 'x'), [[scalar(share, 'share'), scalar(blinding, 'blinding')]]);
}

// ---------------------------------------------------------------------------
// internal (used by joint-random.ts)

/** Encodes a point (compressed SEC1, 33 bytes). */
export function encodePoint(point: G1Point): Uint8Array {
  return point.toBytes(true);
}

/**
 * Decodes a point from its 33 compressed bytes (noble's `fromBytes` checks
 * the curve equation; the identity has no 33-byte encoding, so it is
 * rejected too); throws `RangeError` on anything else.
 */
export function decodePoint(bytes: Uint8Array, field: string): G1Point {
  try {
    if (bytes.length !== PEDERSEN_POINT_BYTES) throw new RangeError('wrong length');
    return G1.fromBytes(bytes);
  } catch (cause) {
    throw new RangeError(`${field} must be a compressed BN254 G1 point`, { cause });
  }
}

/** The identity of G1. */
export const G1_ZERO: G1Point = G1.ZERO;

/**
 * `Σ_k x^k · commitments[k]` by Horner's rule, for a public `x` (variable
 * time). Member points are small integers, so each step is a short
 * double-and-add; larger `x` use noble's wNAF.
 *
 * @example
 * ```ts
 * evaluateCommitments(commitments.map((c) => bn254.G1.Point.fromBytes(c)), 3n).equals(pedersenCommit(share, blinding)); // member 3's pair is on the sharing
 * ```
 */
export function evaluateCommitments(commitments: readonly G1Point[], x: bigint): G1Point {
  if (commitments.length === 0) return G1.ZERO;
  let acc = commitments[commitments.length - 1] as G1Point;
  for (let k = commitments.length - 2; k >= 0; k--) acc = timesPublic(acc, x).add(commitments[k] as G1Point);
  return acc;
}

/** `x·p` for a public scalar `x` ≥ 0: double-and-add below 2^16, noble's wNAF above. */
function timesPublic(p: G1Point, x: bigint): G1Point {
  if (x === 0n) return G1.ZERO;
  if (x === 1n) return p;
  if (x >= 1n << 16n) return p.multiplyUnsafe(x);
  let acc = p;
  for (let bit = BigInt(x.toString(2).length - 2); bit >= 0n; bit--) {
    acc = acc.double();
    if ((x >> bit) & 1n) acc = acc.add(p);
  }
  return acc;
}

/**
 * Checks `pairs[v]` at point `x` against `commitments[v]` for every v, each
 * on its own with variable-time arithmetic: for public pairs (answers to
 * complaints, {@link verifyPedersenShare}), where every member must reach the
 * same verdict deterministically. Secret pairs go through
 * `pedersenPairsMatch` (`pedersen-batch.ts`) instead.
 */
export function pairsMatchCommitments(commitments: readonly (readonly G1Point[])[], x: bigint, pairs: readonly SharePair[]): boolean {
  if (commitments.length !== pairs.length) return false;
  const H = pedersenH();
  return pairs.every(([f, g], v) => G1.BASE.mulAddUnsafe(f, H, g).equals(evaluateCommitments(commitments[v] as G1Point[], x)));
}

function mulSecret(point: G1Point, s: bigint): G1Point {
  return s === 0n ? G1.ZERO : point.multiply(s); // noble's multiply rejects 0
}

function scalar(value: unknown, name: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value >= Fr.ORDER) throw new RangeError(`${name} must be an element of bn254_Fr`);
  return value;
}
