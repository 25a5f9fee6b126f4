/**
 * Decryption shares: u_i = u^{x_i} with a Chaum–Pedersen proof that
 * log_g h_i = log_u u_i, made non-interactive by Fiat–Shamir and bound to
 * the ciphertext (its id) and the member index.
 *
 * The proof is kept in commitment form (A = g^k, B = u^k, z = k + c·x_i)
 * rather than Shoup–Gennaro's (e_i, f_i) form: the verification equations
 * g^z = A·h_i^c and u^z = B·u_i^c are then linear in public points, so many
 * shares, for one ciphertext or many, are checked together by one random
 * linear combination and one multi-scalar multiplication.
 * @module
 */
import { pippenger, mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { assertBytes, encode, type Random } from '@admitone/core';
import { assertCiphertext, tdh2CheckCiphertext, tdh2CiphertextId, type Tdh2Ciphertext } from './ciphertext.js';
import { Tdh2Error } from './errors.js';
import {
  DST,
  ELEMENT_BYTES,
  Fn,
  G,
  Point,
  assertPoint,
  assertScalar,
  hashToScalar,
  pointBytes,
  readPoint,
  readScalar,
  scalarToBytes,
  type RistrettoPoint,
} from './group.js';
import { assertPublicKey, secretOf, type Tdh2KeyShare, type Tdh2PublicKey } from './keys.js';

/** The encoding version byte of {@link encodeTdh2DecryptionShare}. */
export const TDH2_SHARE_VERSION = 1;
/** Length of an encoded decryption share: version ‖ index ‖ u_i ‖ A ‖ B ‖ z. */
export const TDH2_SHARE_BYTES = 1 + 5 * ELEMENT_BYTES;
/**
 * Bits of each random coefficient in batch verification. A batch that
 * contains a wrong share passes with probability at most 2^-128 over the
 * coefficients (see {@link tdh2VerifyShares}), which matches the ~128-bit
 * security of ristretto255 itself; wider coefficients would buy nothing.
 */
export const TDH2_BATCH_COEFFICIENT_BITS = 128;

/** Member i's decryption share for one ciphertext, with its DLEQ proof. Treat as immutable. */
export interface Tdh2DecryptionShare {
  /** The member's index (Shamir x-coordinate). */
  readonly index: bigint;
  /** u_i = u^{x_i}. */
  readonly ui: RistrettoPoint;
  /** The proof's first commitment A = g^k. */
  readonly a: RistrettoPoint;
  /** The proof's second commitment B = u^k. */
  readonly b: RistrettoPoint;
  /** The proof's response z = k + c·x_i, where c is the Fiat–Shamir challenge. */
  readonly z: bigint;
}

/** Options for {@link tdh2DecryptionShare}. */
export interface Tdh2ShareOptions {
  /** Randomness for the proof nonce (hedged: the nonce also hashes in the secret and the ciphertext). */
  readonly random: Random;
  /** When given, refuse unless the ciphertext carries exactly this label (e.g. the closed epoch's). */
  readonly expectedLabel?: Uint8Array;
}

/** A share together with the ciphertext it claims to decrypt, for {@link tdh2VerifyShares}. */
export interface Tdh2ShareItem {
  /** The ciphertext. */
  readonly ciphertext: Tdh2Ciphertext;
  /** The share to check against it. */
  readonly share: Tdh2DecryptionShare;
}

/** The outcome of {@link tdh2VerifyShares}. */
export interface Tdh2BatchVerification {
  /** True when every share is valid. */
  readonly valid: boolean;
  /** Positions (in the input array, ascending) of the invalid shares. */
  readonly invalid: readonly number[];
  /** Member indices of the invalid shares, ascending and without repeats. */
  readonly culprits: readonly bigint[];
}

/**
 * Member `keyShare.index`'s decryption share for `ciphertext`. The member
 * first runs the validity check and refuses, with `TDH2_INVALID_CIPHERTEXT`,
 * to help decrypt an invalid ciphertext (or one whose label is not
 * `expectedLabel`): this refusal is what makes TDH2 CCA-secure. Secret
 * exponentiations run in constant time.
 *
 * @example
 * ```ts
 * const share = tdh2DecryptionShare(myKeyShare, ciphertext, { random: systemRandom(), expectedLabel: label });
 * const wire = encodeTdh2DecryptionShare(share);
 * ```
 */
export function tdh2DecryptionShare(keyShare: Tdh2KeyShare, ciphertext: Tdh2Ciphertext, options: Tdh2ShareOptions): Tdh2DecryptionShare {
  const xi = secretOf(keyShare);
  const pk = keyShare.publicKey;
  if (!tdh2CheckCiphertext(pk, ciphertext, options.expectedLabel)) {
    throw new Tdh2Error('TDH2_INVALID_CIPHERTEXT', 'Refusing to decrypt an invalid ciphertext.');
  }
  const index = keyShare.index;
  const hi = pk.verificationKeys.get(index) as RistrettoPoint;
  const ctId = tdh2CiphertextId(ciphertext);
  const u = ciphertext.u;
  const ui = u.multiply(xi);
  let k = 0n;
  while (k === 0n) k = hashToScalar(DST.shareNonce, encode([options.random.bytes(32), scalarToBytes(xi), ctId]));
  const a = G.multiply(k);
  const b = u.multiply(k);
  const c = shareChallenge(ctId, index, hi, u, ui, a, b);
  const z = Fn.add(k, Fn.mul(c, xi));
  return Object.freeze({ index, ui, a, b, z });
}

/**
 * Verifies one share against `ciphertext`: the member is known and its proof
 * holds. Returns `false` otherwise. Does not check the ciphertext itself (see
 * {@link tdh2CheckCiphertext}).
 */
export function tdh2VerifyShare(publicKey: Tdh2PublicKey, ciphertext: Tdh2Ciphertext, share: Tdh2DecryptionShare): boolean {
  assertPublicKey(publicKey);
  assertCiphertext(ciphertext);
  assertShare(share);
  const p = prepare(publicKey, ciphertext, share, tdh2CiphertextId(ciphertext));
  return p !== undefined && verifyPrepared(p);
}

/**
 * Verifies many shares at once, for one ciphertext or across many. With
 * fresh coefficients δ_j, ε_j of {@link TDH2_BATCH_COEFFICIENT_BITS} bits
 * drawn from `random`, it checks the single equation
 *
 *   Σ_j δ_j·(z_j·g − A_j − c_j·h_{i_j}) + ε_j·(z_j·u_j − B_j − c_j·u_{i,j}) = O
 *
 * with one multi-scalar multiplication (noble's Pippenger), where terms on
 * the same g, h_i or u are merged. If every share is valid the sum is O. If
 * some share is invalid, one of its two bracketed terms is a non-zero point
 * E, and for any fixed values of the other coefficients at most one value of
 * its coefficient mod ℓ cancels it; coefficients are uniform below 2^128 < ℓ,
 * so the batch wrongly passes with probability ≤ 2^-128. The coefficients
 * must be unpredictable to whoever made the shares: pass `systemRandom()` in
 * production.
 *
 * When the batch fails, every share is re-checked on its own so that the
 * culprits are named. Shares from unknown members are invalid.
 *
 * @example
 * ```ts
 * const result = tdh2VerifyShares(publicKey, received.map(({ ct, share }) => ({ ciphertext: ct, share })), systemRandom());
 * if (!result.valid) logger.warn('invalid decryption shares', { culprits: result.culprits.map(String) });
 * ```
 */
export function tdh2VerifyShares(publicKey: Tdh2PublicKey, items: readonly Tdh2ShareItem[], random: Random): Tdh2BatchVerification {
  assertPublicKey(publicKey);
  if (!Array.isArray(items)) throw new TypeError('items must be an array');
  const ids = new Map<Tdh2Ciphertext, Uint8Array>();
  const prepared: (Prepared | undefined)[] = items.map((item, j) => {
    if (typeof item !== 'object' || item === null) throw new TypeError(`items[${j}] must be { ciphertext, share }`);
    const { ciphertext, share } = item;
    let id = ids.get(ciphertext);
    if (id === undefined) {
      assertCiphertext(ciphertext);
      id = tdh2CiphertextId(ciphertext);
      ids.set(ciphertext, id);
    }
    assertShare(share);
    return prepare(publicKey, ciphertext, share, id);
  });
  const candidates = prepared.filter((p): p is Prepared => p !== undefined);
  let ok: boolean[];
  if (candidates.length === 0 || batchHolds(candidates, random)) {
    ok = prepared.map((p) => p !== undefined);
  } else {
    ok = prepared.map((p) => p !== undefined && verifyPrepared(p));
  }
  const invalid: number[] = [];
  const culprits = new Set<bigint>();
  ok.forEach((good, j) => {
    if (!good) {
      invalid.push(j);
      culprits.add((items[j] as Tdh2ShareItem).share.index);
    }
  });
  return Object.freeze({
    valid: invalid.length === 0,
    invalid,
    culprits: [...culprits].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
  });
}

/** The canonical encoding: version (1 byte) ‖ index ‖ u_i ‖ A ‖ B ‖ z (32 bytes each; scalars little-endian). */
export function encodeTdh2DecryptionShare(share: Tdh2DecryptionShare): Uint8Array {
  assertShare(share);
  const out = new Uint8Array(TDH2_SHARE_BYTES);
  out[0] = TDH2_SHARE_VERSION;
  out.set(scalarToBytes(share.index), 1);
  out.set(pointBytes(share.ui), 1 + ELEMENT_BYTES);
  out.set(pointBytes(share.a), 1 + 2 * ELEMENT_BYTES);
  out.set(pointBytes(share.b), 1 + 3 * ELEMENT_BYTES);
  out.set(scalarToBytes(share.z), 1 + 4 * ELEMENT_BYTES);
  return out;
}

/**
 * Decodes {@link encodeTdh2DecryptionShare}'s output strictly. Throws
 * `TDH2_MALFORMED` (length, version), `TDH2_INVALID_SCALAR` (index zero or
 * ≥ ℓ, z ≥ ℓ) or `TDH2_INVALID_POINT` (non-canonical or identity point).
 */
export function decodeTdh2DecryptionShare(bytes: Uint8Array): Tdh2DecryptionShare {
  assertBytes(bytes, 'bytes');
  if (bytes.length !== TDH2_SHARE_BYTES) {
    throw new Tdh2Error('TDH2_MALFORMED', `A decryption share must be ${TDH2_SHARE_BYTES} bytes.`, { meta: { length: bytes.length } });
  }
  if (bytes[0] !== TDH2_SHARE_VERSION) {
    throw new Tdh2Error('TDH2_MALFORMED', 'Decryption share has an unknown version.', { meta: { version: bytes[0] } });
  }
  const index = readScalar(bytes, 1, 'index', true);
  const ui = readPoint(bytes, 1 + ELEMENT_BYTES, 'ui');
  const a = readPoint(bytes, 1 + 2 * ELEMENT_BYTES, 'a');
  const b = readPoint(bytes, 1 + 3 * ELEMENT_BYTES, 'b');
  const z = readScalar(bytes, 1 + 4 * ELEMENT_BYTES, 'z');
  return Object.freeze({ index, ui, a, b, z });
}

// ---------------------------------------------------------------------------
// helpers

/** A share with everything its verification needs, precomputed once. */
interface Prepared {
  readonly u: RistrettoPoint;
  readonly hi: RistrettoPoint;
  readonly index: bigint;
  readonly share: Tdh2DecryptionShare;
  readonly c: bigint;
}

/** Checks the shape of a share object; throws `TypeError` / `TDH2_INVALID_*` naming the field. */
export function assertShare(share: unknown): asserts share is Tdh2DecryptionShare {
  if (typeof share !== 'object' || share === null) throw new TypeError('share must be a Tdh2DecryptionShare');
  const s = share as Tdh2DecryptionShare;
  if (assertScalar(s.index, 'share.index') === 0n) throw new RangeError('share.index must not be 0');
  assertPoint(s.ui, 'share.ui');
  assertPoint(s.a, 'share.a');
  assertPoint(s.b, 'share.b');
  assertScalar(s.z, 'share.z');
}

/** Looks up the member's key and computes the challenge; `undefined` for an unknown member. */
function prepare(pk: Tdh2PublicKey, ct: Tdh2Ciphertext, share: Tdh2DecryptionShare, ctId: Uint8Array): Prepared | undefined {
  const hi = pk.verificationKeys.get(share.index);
  if (hi === undefined) return undefined;
  const c = shareChallenge(ctId, share.index, hi, ct.u, share.ui, share.a, share.b);
  return { u: ct.u, hi, index: share.index, share, c };
}

/** The two Chaum–Pedersen equations for one share: g^z = A·h_i^c and u^z = B·u_i^c. */
function verifyPrepared(p: Prepared): boolean {
  const { share, c } = p;
  const gz = G.multiplyUnsafe(share.z).subtract(p.hi.multiplyUnsafe(c));
  if (!gz.equals(share.a)) return false;
  return mulAddUnsafe(Point, [p.u, share.ui], [share.z, Fn.neg(c)]).equals(share.b);
}

/**
 * The random-linear-combination check over all prepared shares (see
 * {@link tdh2VerifyShares}), arranged as
 *
 *   g^{Σδz} · Π_k u_k^{Σεz} · Π_i h_i^{−Σδc} · Π_j u_{i,j}^{−εc}  =  Π_j A_j^{δ_j} · B_j^{ε_j}
 *
 * The right side has only 128-bit scalars, and noble's Strauss–Shamir walk
 * (`mulAddUnsafe`) is as long as the longest scalar, so it costs about half
 * of a full-width multi-scalar multiplication; the left side has full-width
 * scalars and goes through {@link msm}.
 */
function batchHolds(list: readonly Prepared[], random: Random): boolean {
  let gScalar = 0n;
  const memberScalars = new Map<RistrettoPoint, bigint>();
  const uScalars = new Map<RistrettoPoint, bigint>();
  const shortPoints: RistrettoPoint[] = [];
  const shortScalars: bigint[] = [];
  const longPoints: RistrettoPoint[] = [];
  const longScalars: bigint[] = [];
  const coefficientBytes = TDH2_BATCH_COEFFICIENT_BITS / 8;
  for (const p of list) {
    const delta = bytesToNumberLE(random.bytes(coefficientBytes));
    const eps = bytesToNumberLE(random.bytes(coefficientBytes));
    const { share, c } = p;
    gScalar = Fn.add(gScalar, Fn.mul(delta, share.z));
    memberScalars.set(p.hi, Fn.sub(memberScalars.get(p.hi) ?? 0n, Fn.mul(delta, c)));
    uScalars.set(p.u, Fn.add(uScalars.get(p.u) ?? 0n, Fn.mul(eps, share.z)));
    shortPoints.push(share.a, share.b);
    shortScalars.push(delta, eps);
    longPoints.push(share.ui);
    longScalars.push(Fn.neg(Fn.mul(eps, c)));
  }
  for (const terms of [memberScalars, uScalars]) {
    for (const [point, s] of terms) {
      longPoints.push(point);
      longScalars.push(s);
    }
  }
  const left = msm(longPoints, longScalars).add(G.multiplyUnsafe(gScalar));
  const right = shortPoints.length >= SHORT_PIPPENGER_FROM ? pippenger(Point, shortPoints, shortScalars) : mulAddUnsafe(Point, shortPoints, shortScalars);
  return left.equals(right);
}

/**
 * A variable-time multi-scalar multiplication over public inputs: noble's
 * Strauss–Shamir (`mulAddUnsafe`) for small inputs, Pippenger from
 * {@link PIPPENGER_FROM} points on (the crossover measured on ristretto255).
 */
export function msm(points: RistrettoPoint[], scalars: bigint[]): RistrettoPoint {
  return points.length >= PIPPENGER_FROM ? pippenger(Point, points, scalars) : mulAddUnsafe(Point, points, scalars);
}

/** From this many points on, Pippenger beats Strauss–Shamir for full-width scalars. */
const PIPPENGER_FROM = 200;
/** From this many points on, Pippenger beats Strauss–Shamir even for 128-bit scalars (estimated from the measured slopes). */
const SHORT_PIPPENGER_FROM = 2048;

/** c = H(ctId, i, h_i, u, u_i, A, B) under the share-challenge DST. */
function shareChallenge(
  ctId: Uint8Array,
  index: bigint,
  hi: RistrettoPoint,
  u: RistrettoPoint,
  ui: RistrettoPoint,
  a: RistrettoPoint,
  b: RistrettoPoint,
): bigint {
  const msg = encode([ctId, scalarToBytes(index), pointBytes(hi), pointBytes(u), pointBytes(ui), pointBytes(a), pointBytes(b)]);
  return hashToScalar(DST.shareChallenge, msg);
}
