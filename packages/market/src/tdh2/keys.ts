/**
 * TDH2 key material, taken in the shape noble's FROST produces for
 * `ristretto255_FROST` (from `DKG.round3`, `runDkg` or `trustedDealer`): the
 * group key h = g^x is `commitments[0]`, member i's verification key
 * h_i = g^{x_i} is `verifyingShares[identifier]`, and member i's secret share
 * x_i is `secret.signingShare`. A FROST identifier is the canonical encoding
 * of the member's Shamir x-coordinate, so `Identifier.fromNumber(x)` is the
 * identifier of index x.
 * @module
 */
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { bytesToHex, hexToBytes, isBytes } from '@admitone/core';
import { Tdh2Error } from './errors.js';
import {
  ELEMENT_BYTES,
  Fn,
  G,
  GROUP_KEY_WINDOW,
  Point,
  VERIFICATION_KEY_WINDOW,
  assertScalar,
  readPoint,
  readScalar,
  type RistrettoPoint,
} from './group.js';

/**
 * The public half of a FROST key package (noble's `FrostPublic`), as produced
 * by `ristretto255_FROST.trustedDealer(...).public`, `DKG.round3(...).public`
 * or `runDkg(...).key.public`.
 */
export interface FrostPublicPackage {
  /** Threshold parameters. */
  readonly signers: {
    /** Shares needed to decrypt: t + 1. */
    readonly min: number;
    /** Committee size n. */
    readonly max: number;
  };
  /** The dealing's coefficient commitments g^{a_k}; `commitments[0]` is the group key h. */
  readonly commitments: readonly Uint8Array[];
  /** Member identifier (hex of the Shamir x) → verification key h_i = g^{x_i}. */
  readonly verifyingShares: Readonly<Record<string, Uint8Array>>;
}

/** A member's full FROST key package (noble's `Key`): the public package and its secret share. */
export interface FrostKeyPackage {
  /** The committee's public package. */
  readonly public: FrostPublicPackage;
  /** This member's secret share. */
  readonly secret: {
    /** This member's identifier (hex of its Shamir x). */
    readonly identifier: string;
    /** x_i as a canonical 32-byte little-endian scalar. */
    readonly signingShare: Uint8Array;
  };
}

/** A committee's TDH2 public key: what encryptors, share verifiers and combiners need. */
export interface Tdh2PublicKey {
  /** The group key h = g^x. */
  readonly groupKey: RistrettoPoint;
  /** Shares needed to decrypt: t + 1 (FROST's `signers.min`). */
  readonly minShares: number;
  /** Member index (Shamir x) → verification key h_i = g^{x_i}. */
  readonly verificationKeys: ReadonlyMap<bigint, RistrettoPoint>;
}

/**
 * One member's TDH2 key share. The secret x_i is held outside the object
 * (it is not a property, so logging or serialising the object cannot leak
 * it); only {@link tdh2DecryptionShare} uses it.
 */
export interface Tdh2KeyShare {
  /** This member's index (Shamir x-coordinate). */
  readonly index: bigint;
  /** The committee's public key. */
  readonly publicKey: Tdh2PublicKey;
}

/**
 * Builds a {@link Tdh2PublicKey} from a FROST public package. Checks that
 * every encoding is canonical, that there are `min` commitments and at least
 * `min` members, and that every verification key lies on the dealing
 * (h_i = Π_k C_k^{x_i^k}), so shares checked against these keys really are
 * shares of the group key.
 *
 * Throws `TDH2_MALFORMED` (identifiers, counts), `TDH2_INVALID_SCALAR`,
 * `TDH2_INVALID_POINT` (encodings) or `TDH2_INVALID_KEY` (inconsistency).
 *
 * @example
 * ```ts
 * import { ristretto255_FROST } from '@noble/curves/ed25519.js';
 * const deal = ristretto255_FROST.trustedDealer({ min: 2, max: 4 });
 * const publicKey = tdh2PublicKey(deal.public);
 * ```
 */
export function tdh2PublicKey(pub: FrostPublicPackage): Tdh2PublicKey {
  if (typeof pub !== 'object' || pub === null) throw new TypeError('pub must be a FROST public package');
  const { signers, commitments, verifyingShares } = pub;
  const min = signers?.min;
  const max = signers?.max;
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 1 || max < min) {
    throw new Tdh2Error('TDH2_MALFORMED', 'Field signers must satisfy 1 ≤ min ≤ max.', { meta: { field: 'signers' } });
  }
  if (!Array.isArray(commitments) || commitments.length !== min) {
    throw new Tdh2Error('TDH2_MALFORMED', 'Field commitments must hold exactly signers.min points.', {
      meta: { field: 'commitments', expected: min },
    });
  }
  const coefficients = commitments.map((c, k) => readPointBytes(c, `commitments[${k}]`));
  const groupKey = (coefficients[0] as RistrettoPoint).precompute(GROUP_KEY_WINDOW, true);

  if (typeof verifyingShares !== 'object' || verifyingShares === null) {
    throw new Tdh2Error('TDH2_MALFORMED', 'Field verifyingShares must be a map.', { meta: { field: 'verifyingShares' } });
  }
  const verificationKeys = new Map<bigint, RistrettoPoint>();
  for (const [identifier, bytes] of Object.entries(verifyingShares)) {
    const x = tdh2IndexOfIdentifier(identifier);
    const hi = readPointBytes(bytes, `verifyingShares[${identifier}]`);
    if (!hi.equals(evaluateCommitments(coefficients, x))) {
      throw new Tdh2Error('TDH2_INVALID_KEY', 'A verification key does not lie on the committed polynomial.', {
        meta: { field: 'verifyingShares', index: String(x) },
      });
    }
    verificationKeys.set(x, hi.precompute(VERIFICATION_KEY_WINDOW, true));
  }
  if (verificationKeys.size < min || verificationKeys.size > max) {
    throw new Tdh2Error('TDH2_MALFORMED', 'Field verifyingShares must hold between signers.min and signers.max members.', {
      meta: { field: 'verifyingShares', count: verificationKeys.size },
    });
  }
  return Object.freeze({ groupKey, minShares: min, verificationKeys });
}

/**
 * Builds a member's {@link Tdh2KeyShare} from its FROST key package. Checks
 * that the secret share is a canonical non-zero scalar and that g^{x_i} is the
 * member's published verification key (`TDH2_INVALID_KEY` otherwise; the
 * error never contains the share).
 *
 * Pass `publicKey` (built once with {@link tdh2PublicKey} from the same
 * package) to skip re-checking the public package; it must have the same
 * group key, threshold and verification key for this member.
 *
 * @example
 * ```ts
 * const deal = ristretto255_FROST.trustedDealer({ min: 2, max: 4 });
 * const publicKey = tdh2PublicKey(deal.public);
 * const shares = Object.values(deal.secretShares).map((secret) => tdh2KeyShare({ public: deal.public, secret }, publicKey));
 * ```
 */
export function tdh2KeyShare(key: FrostKeyPackage, publicKey?: Tdh2PublicKey): Tdh2KeyShare {
  if (typeof key !== 'object' || key === null || typeof key.secret !== 'object' || key.secret === null) {
    throw new TypeError('key must be a FROST key package');
  }
  const pk = publicKey ?? tdh2PublicKey(key.public);
  if (publicKey !== undefined) assertSamePublic(publicKey, key.public);
  const index = tdh2IndexOfIdentifier(key.secret.identifier);
  const hi = pk.verificationKeys.get(index);
  if (hi === undefined) {
    throw new Tdh2Error('TDH2_INVALID_KEY', 'The key share belongs to no member of the public key.', { meta: { index: String(index) } });
  }
  const share = key.secret.signingShare;
  if (!isBytes(share) || share.length !== ELEMENT_BYTES) {
    throw new Tdh2Error('TDH2_MALFORMED', `Field signingShare must be ${ELEMENT_BYTES} bytes.`, { meta: { field: 'signingShare' } });
  }
  const secret = readScalar(share, 0, 'signingShare', true);
  if (!G.multiply(secret).equals(hi)) {
    throw new Tdh2Error('TDH2_INVALID_KEY', 'The secret share does not match its verification key.', { meta: { index: String(index) } });
  }
  const keyShare: Tdh2KeyShare = Object.freeze({ index, publicKey: pk });
  secrets.set(keyShare, secret);
  return keyShare;
}

/**
 * The member index (Shamir x-coordinate) named by a FROST identifier: the
 * identifier is the hex of x's canonical 32-byte little-endian encoding.
 * Throws `TDH2_MALFORMED` for anything but 64 lowercase hex characters and
 * `TDH2_INVALID_SCALAR` for a non-canonical or zero x.
 */
export function tdh2IndexOfIdentifier(identifier: string): bigint {
  if (typeof identifier !== 'string' || !/^[0-9a-f]{64}$/.test(identifier)) {
    throw new Tdh2Error('TDH2_MALFORMED', 'A member identifier must be 64 lowercase hex characters.', { meta: { field: 'identifier' } });
  }
  return readScalar(hexToBytes(identifier), 0, 'identifier', true);
}

/**
 * The FROST identifier of member index `index` (equal to noble's
 * `Identifier.fromNumber(index)` for small indices). Throws `RangeError` for
 * 0 or a value outside the scalar field.
 */
export function tdh2IdentifierOfIndex(index: bigint): string {
  if (assertScalar(index, 'index') === 0n) throw new RangeError('index must not be 0');
  return bytesToHex(Fn.toBytes(index));
}

// ---------------------------------------------------------------------------
// helpers

const secrets = new WeakMap<Tdh2KeyShare, bigint>();

/** The secret share held for `keyShare`; throws `TypeError` for objects not built by {@link tdh2KeyShare}. */
export function secretOf(keyShare: Tdh2KeyShare): bigint {
  const s = secrets.get(keyShare);
  if (s === undefined) throw new TypeError('keyShare must come from tdh2KeyShare()');
  return s;
}

/** Checks that `pk` has the shape {@link tdh2PublicKey} returns. */
export function assertPublicKey(pk: unknown): asserts pk is Tdh2PublicKey {
  const k = pk as Partial<Tdh2PublicKey> | null;
  if (typeof k !== 'object' || k === null || !(k.groupKey instanceof Point) || !(k.verificationKeys instanceof Map) || typeof k.minShares !== 'number') {
    throw new TypeError('publicKey must be a Tdh2PublicKey (from tdh2PublicKey())');
  }
}

function readPointBytes(bytes: unknown, field: string): RistrettoPoint {
  if (!isBytes(bytes) || bytes.length !== ELEMENT_BYTES) {
    throw new Tdh2Error('TDH2_MALFORMED', `Field ${field} must be ${ELEMENT_BYTES} bytes.`, { meta: { field } });
  }
  return readPoint(bytes, 0, field);
}

/** Π_k C_k^{x^k}: the dealing's commitment to member x's share (public scalars, so variable time is fine). */
function evaluateCommitments(coefficients: readonly RistrettoPoint[], x: bigint): RistrettoPoint {
  const powers: bigint[] = [];
  let p = 1n;
  for (let k = 0; k < coefficients.length; k++) {
    powers.push(p);
    p = Fn.mul(p, x);
  }
  return mulAddUnsafe(Point, [...coefficients], powers);
}

function assertSamePublic(pk: Tdh2PublicKey, pub: FrostPublicPackage): void {
  assertPublicKey(pk);
  const c0 = pub?.commitments?.[0];
  const same = pub?.signers?.min === pk.minShares && readPointBytes(c0, 'commitments[0]').equals(pk.groupKey);
  if (!same) throw new Tdh2Error('TDH2_INVALID_KEY', 'The key package does not belong to the given public key.');
}
