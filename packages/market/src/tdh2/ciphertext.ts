/**
 * TDH2 encryption (Shoup & Gennaro, J. Cryptology 2002, §5) as a hybrid
 * KEM/DEM, the ciphertext validity check, and the canonical ciphertext
 * encoding.
 *
 * KEM: r random, u = g^r, ū = ḡ^r, K = HKDF-SHA256(h^r; info = (u, h)).
 * DEM: ChaCha20-Poly1305 under K with the all-zero nonce, AAD = (label, u, ū, h).
 * Proof that u and ū share the exponent r (this is what makes the scheme
 * CCA-secure and the label non-malleable): s random, w = g^s, w̄ = ḡ^s,
 * e = H(h, label, c, u, w, ū, w̄), f = s + r·e.
 *
 * Why a zero nonce is safe: K is derived from h^r with a fresh r for every
 * encryption, so each key seals exactly one message; a (key, nonce) pair
 * never repeats unless r repeats, which would already break the KEM. An
 * XChaCha20 nonce would add 24 bytes per ciphertext and no security.
 * @module
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertBytes, encode, equalBytes, isValidId, taggedHash, type Digest, type Random } from '@admitone/core';
import { randomFieldElement } from '@admitone/core/threshold';
import { Tdh2Error } from './errors.js';
import {
  DST,
  ELEMENT_BYTES,
  Fn,
  G,
  GBAR,
  assertPoint,
  assertScalar,
  hashToScalar,
  pointBytes,
  readPoint,
  readScalar,
  scalarToBytes,
  type RistrettoPoint,
} from './group.js';
import { assertPublicKey, type Tdh2PublicKey } from './keys.js';

/** Largest label accepted, in bytes. */
export const TDH2_MAX_LABEL_BYTES = 1024;
/** Largest payload accepted, in bytes (a sealed order is far smaller). */
export const TDH2_MAX_PAYLOAD_BYTES = 65_536;
/** Bytes the AEAD adds to the payload (the Poly1305 tag). */
export const TDH2_TAG_BYTES = 16;
/** The encoding version byte of {@link encodeTdh2Ciphertext}. */
export const TDH2_CIPHERTEXT_VERSION = 1;

/**
 * A TDH2 ciphertext (c, L, u, ū, e, f). Obtain one from {@link tdh2Encrypt} or
 * {@link decodeTdh2Ciphertext}, and treat it as immutable.
 */
export interface Tdh2Ciphertext {
  /** The label L the ciphertext is bound to (for the market: {@link sealedOrderLabel}). */
  readonly label: Uint8Array;
  /** c: the AEAD-sealed payload, {@link TDH2_TAG_BYTES} longer than the payload. */
  readonly sealed: Uint8Array;
  /** u = g^r. */
  readonly u: RistrettoPoint;
  /** ū = ḡ^r. */
  readonly uBar: RistrettoPoint;
  /** The proof's challenge e. */
  readonly e: bigint;
  /** The proof's response f = s + r·e. */
  readonly f: bigint;
}

/**
 * Encrypts `payload` to the committee's key under `label`. `random` supplies
 * r and s (inject `systemRandom()` in production).
 *
 * Throws `TypeError` for non-bytes and `TDH2_MALFORMED` for a label longer
 * than {@link TDH2_MAX_LABEL_BYTES} or a payload longer than
 * {@link TDH2_MAX_PAYLOAD_BYTES}.
 *
 * @example
 * ```ts
 * const ct = tdh2Encrypt(publicKey, sealedOrderLabel('summer-gig', 3), order, systemRandom());
 * const wire = encodeTdh2Ciphertext(ct);
 * ```
 */
export function tdh2Encrypt(publicKey: Tdh2PublicKey, label: Uint8Array, payload: Uint8Array, random: Random): Tdh2Ciphertext {
  assertPublicKey(publicKey);
  checkLabel(assertBytes(label, 'label'));
  assertBytes(payload, 'payload');
  if (payload.length > TDH2_MAX_PAYLOAD_BYTES) {
    throw new Tdh2Error('TDH2_MALFORMED', `Field payload is longer than ${TDH2_MAX_PAYLOAD_BYTES} bytes.`, { meta: { field: 'payload' } });
  }
  const h = publicKey.groupKey;
  const r = randomNonZeroScalar(random);
  const s = randomNonZeroScalar(random);
  const u = G.multiply(r);
  const uBar = GBAR.multiply(r);
  const key = kemKey(h.multiply(r), u, h);
  const ownLabel = label.slice();
  const sealed = chacha20poly1305(key, ZERO_NONCE, aeadData(h, ownLabel, u, uBar)).encrypt(payload);
  key.fill(0);
  const e = ciphertextChallenge(h, ownLabel, sealed, u, G.multiply(s), uBar, GBAR.multiply(s));
  const f = Fn.add(s, Fn.mul(r, e));
  return Object.freeze({ label: ownLabel, sealed, u, uBar, e, f });
}

/**
 * The validity check: recomputes w = g^f·u^{−e} and w̄ = ḡ^f·ū^{−e} and
 * compares the challenge. Returns `false` for any ciphertext that was not
 * produced by {@link tdh2Encrypt} under this key and label (mauled bytes, a
 * copied ciphertext given another label), and also when `expectedLabel` is
 * given and differs from the ciphertext's label. Verification uses only
 * public values, so it runs in variable time.
 */
export function tdh2CheckCiphertext(publicKey: Tdh2PublicKey, ciphertext: Tdh2Ciphertext, expectedLabel?: Uint8Array): boolean {
  assertPublicKey(publicKey);
  assertCiphertext(ciphertext);
  if (expectedLabel !== undefined && !equalBytes(assertBytes(expectedLabel, 'expectedLabel'), ciphertext.label)) return false;
  const { label, sealed, u, uBar, e, f } = ciphertext;
  const w = G.multiplyUnsafe(f).subtract(u.multiplyUnsafe(e));
  const wBar = GBAR.multiplyUnsafe(f).subtract(uBar.multiplyUnsafe(e));
  return ciphertextChallenge(publicKey.groupKey, label, sealed, u, w, uBar, wBar) === e;
}

/**
 * The canonical encoding: version (1 byte) ‖ u ‖ ū ‖ e ‖ f (32 bytes each;
 * scalars little-endian) ‖ label length (2 bytes, big-endian) ‖ label ‖ c
 * (the rest). Exactly one encoding exists per ciphertext.
 */
export function encodeTdh2Ciphertext(ciphertext: Tdh2Ciphertext): Uint8Array {
  assertCiphertext(ciphertext);
  const { label, sealed } = ciphertext;
  const out = new Uint8Array(HEADER_BYTES + label.length + sealed.length);
  out[0] = TDH2_CIPHERTEXT_VERSION;
  out.set(pointBytes(ciphertext.u), 1);
  out.set(pointBytes(ciphertext.uBar), 1 + ELEMENT_BYTES);
  out.set(scalarToBytes(ciphertext.e), 1 + 2 * ELEMENT_BYTES);
  out.set(scalarToBytes(ciphertext.f), 1 + 3 * ELEMENT_BYTES);
  out[HEADER_BYTES - 2] = label.length >>> 8;
  out[HEADER_BYTES - 1] = label.length & 0xff;
  out.set(label, HEADER_BYTES);
  out.set(sealed, HEADER_BYTES + label.length);
  return out;
}

/**
 * Decodes {@link encodeTdh2Ciphertext}'s output strictly. Throws
 * `TDH2_MALFORMED` (wrong version, too short, label or payload too long),
 * `TDH2_INVALID_SCALAR` (e or f ≥ ℓ) or `TDH2_INVALID_POINT` (u or ū not a
 * canonical encoding, or the identity). Decoding does not run the validity
 * check: call {@link tdh2CheckCiphertext}.
 */
export function decodeTdh2Ciphertext(bytes: Uint8Array): Tdh2Ciphertext {
  assertBytes(bytes, 'bytes');
  if (bytes.length < HEADER_BYTES + TDH2_TAG_BYTES) {
    throw new Tdh2Error('TDH2_MALFORMED', 'Ciphertext is too short.', { meta: { length: bytes.length } });
  }
  if (bytes[0] !== TDH2_CIPHERTEXT_VERSION) {
    throw new Tdh2Error('TDH2_MALFORMED', 'Ciphertext has an unknown version.', { meta: { version: bytes[0] } });
  }
  const labelLength = ((bytes[HEADER_BYTES - 2] as number) << 8) | (bytes[HEADER_BYTES - 1] as number);
  if (labelLength > TDH2_MAX_LABEL_BYTES) {
    throw new Tdh2Error('TDH2_MALFORMED', `Field label is longer than ${TDH2_MAX_LABEL_BYTES} bytes.`, { meta: { field: 'label' } });
  }
  const sealedLength = bytes.length - HEADER_BYTES - labelLength;
  if (sealedLength < TDH2_TAG_BYTES) {
    throw new Tdh2Error('TDH2_MALFORMED', 'Ciphertext is too short for its label.', { meta: { length: bytes.length } });
  }
  if (sealedLength > TDH2_MAX_PAYLOAD_BYTES + TDH2_TAG_BYTES) {
    throw new Tdh2Error('TDH2_MALFORMED', `Field sealed is longer than ${TDH2_MAX_PAYLOAD_BYTES + TDH2_TAG_BYTES} bytes.`, {
      meta: { field: 'sealed' },
    });
  }
  const u = readPoint(bytes, 1, 'u');
  const uBar = readPoint(bytes, 1 + ELEMENT_BYTES, 'uBar');
  const e = readScalar(bytes, 1 + 2 * ELEMENT_BYTES, 'e');
  const f = readScalar(bytes, 1 + 3 * ELEMENT_BYTES, 'f');
  const label = bytes.slice(HEADER_BYTES, HEADER_BYTES + labelLength);
  const sealed = bytes.slice(HEADER_BYTES + labelLength);
  return Object.freeze({ label, sealed, u, uBar, e, f });
}

/**
 * A 32-byte id of the ciphertext: a domain-separated SHA-256 of its canonical
 * encoding. Decryption shares are bound to it, and it names the ciphertext in
 * logs and messages.
 */
export function tdh2CiphertextId(ciphertext: Tdh2Ciphertext): Digest {
  return taggedHash(DST.ciphertextId, encodeTdh2Ciphertext(ciphertext));
}

/**
 * The market's canonical label for a sealed order of `eventId` in `epoch`:
 * the canonical CBOR of `["admitone/market/sealed-order/v1", eventId, epoch]`.
 * A ciphertext encrypted for one (event, epoch) fails the validity check
 * under any other. Throws `TypeError`/`RangeError` for an invalid event id or
 * an epoch that is not an integer in [0, 2^64).
 *
 * @example
 * ```ts
 * const label = sealedOrderLabel('summer-gig', 3);
 * ```
 */
export function sealedOrderLabel(eventId: string, epoch: number | bigint): Uint8Array {
  if (typeof eventId !== 'string') throw new TypeError('eventId must be a string');
  if (!isValidId(eventId)) throw new RangeError('eventId must be 1-128 characters of [A-Za-z0-9._:-] starting with a letter or digit');
  let n: bigint;
  if (typeof epoch === 'number' && Number.isSafeInteger(epoch)) n = BigInt(epoch);
  else if (typeof epoch === 'bigint') n = epoch;
  else throw new TypeError('epoch must be an integer (number or bigint)');
  if (n < 0n || n >= 1n << 64n) throw new RangeError('epoch must be in [0, 2^64)');
  return encode([LABEL_DOMAIN, eventId, n]);
}

// ---------------------------------------------------------------------------
// helpers shared with the share and combine modules

/** Checks the shape of a ciphertext object; throws `TypeError` / `TDH2_*` naming the field. */
export function assertCiphertext(ct: unknown): asserts ct is Tdh2Ciphertext {
  if (typeof ct !== 'object' || ct === null) throw new TypeError('ciphertext must be a Tdh2Ciphertext');
  const c = ct as Tdh2Ciphertext;
  checkLabel(assertBytes(c.label, 'ciphertext.label'));
  assertBytes(c.sealed, 'ciphertext.sealed');
  if (c.sealed.length < TDH2_TAG_BYTES || c.sealed.length > TDH2_MAX_PAYLOAD_BYTES + TDH2_TAG_BYTES) {
    throw new Tdh2Error('TDH2_MALFORMED', 'Field sealed has an invalid length.', { meta: { field: 'sealed' } });
  }
  assertPoint(c.u, 'ciphertext.u');
  assertPoint(c.uBar, 'ciphertext.uBar');
  assertScalar(c.e, 'ciphertext.e');
  assertScalar(c.f, 'ciphertext.f');
}

/**
 * Recovers the payload once h^r is known (from the combined shares). Throws
 * `TDH2_DECRYPT_FAILED` if the AEAD does not open.
 */
export function openWithKemSecret(publicKey: Tdh2PublicKey, ciphertext: Tdh2Ciphertext, hr: RistrettoPoint): Uint8Array {
  const h = publicKey.groupKey;
  const key = kemKey(hr, ciphertext.u, h);
  try {
    return chacha20poly1305(key, ZERO_NONCE, aeadData(h, ciphertext.label, ciphertext.u, ciphertext.uBar)).decrypt(ciphertext.sealed);
  } catch {
    throw new Tdh2Error('TDH2_DECRYPT_FAILED', 'The payload does not open under the recovered key.');
  } finally {
    key.fill(0);
  }
}

/** A uniformly random non-zero scalar from `random` (wide reduction; bias < 2^-128). */
export function randomNonZeroScalar(random: Random): bigint {
  for (;;) {
    const s = randomFieldElement(Fn, random);
    if (s !== 0n) return s;
  }
}

const LABEL_DOMAIN = 'admitone/market/sealed-order/v1';
const HEADER_BYTES = 1 + 4 * ELEMENT_BYTES + 2;
const ZERO_NONCE = new Uint8Array(12);

function checkLabel(label: Uint8Array): void {
  if (label.length > TDH2_MAX_LABEL_BYTES) {
    throw new Tdh2Error('TDH2_MALFORMED', `Field label is longer than ${TDH2_MAX_LABEL_BYTES} bytes.`, { meta: { field: 'label' } });
  }
}

/** K = HKDF-SHA256(ikm = h^r, info = DST ‖ encode([u, h])): binds K to the encapsulation and the key. */
function kemKey(hr: RistrettoPoint, u: RistrettoPoint, h: RistrettoPoint): Uint8Array {
  const info = encode([DST.kdf, pointBytes(u), pointBytes(h)]);
  return hkdf(sha256, hr.toBytes(), undefined, info, 32);
}

function aeadData(h: RistrettoPoint, label: Uint8Array, u: RistrettoPoint, uBar: RistrettoPoint): Uint8Array {
  return encode([DST.aead, pointBytes(h), label, pointBytes(u), pointBytes(uBar)]);
}

/** e = H(h, L, c, u, w, ū, w̄): the framing is canonical CBOR, so fields cannot run into each other. */
function ciphertextChallenge(
  h: RistrettoPoint,
  label: Uint8Array,
  sealed: Uint8Array,
  u: RistrettoPoint,
  w: RistrettoPoint,
  uBar: RistrettoPoint,
  wBar: RistrettoPoint,
): bigint {
  const msg = encode([pointBytes(h), label, sealed, pointBytes(u), w.toBytes(), pointBytes(uBar), wBar.toBytes()]);
  return hashToScalar(DST.ciphertextChallenge, msg);
}
