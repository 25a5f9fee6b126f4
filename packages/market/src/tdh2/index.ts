/**
 * TDH2 threshold encryption (Shoup & Gennaro, "Securing Threshold
 * Cryptosystems against Chosen Ciphertext Attack", J. Cryptology 2002) on
 * ristretto255, as a hybrid KEM/DEM with ChaCha20-Poly1305. The market seals
 * resale orders with it: a ciphertext is bound to a label (the event and
 * epoch), a copied or mauled ciphertext fails the validity check, members
 * refuse to help decrypt invalid ciphertexts, and t + 1 decryption shares,
 * each with a DLEQ proof, recover the payload.
 *
 * Keys come in the shape noble's FROST produces (`ristretto255_FROST`'s
 * `trustedDealer` or `DKG`, or `runDkg` from `@admitone/core/threshold`).
 *
 * @example
 * ```ts
 * import { ristretto255_FROST } from '@noble/curves/ed25519.js';
 * import { systemRandom } from '@admitone/core';
 *
 * const deal = ristretto255_FROST.trustedDealer({ min: 2, max: 4 });
 * const publicKey = tdh2PublicKey(deal.public);
 * const members = Object.values(deal.secretShares).map((secret) => tdh2KeyShare({ public: deal.public, secret }, publicKey));
 *
 * const random = systemRandom();
 * const label = sealedOrderLabel('summer-gig', 3);
 * const ct = tdh2Encrypt(publicKey, label, new TextEncoder().encode('bid 120'), random);
 * const shares = members.slice(0, 2).map((m) => tdh2DecryptionShare(m, ct, { random, expectedLabel: label }));
 * const { payload } = tdh2Combine(publicKey, ct, shares, { random, expectedLabel: label });
 * ```
 * @module
 */
export { Tdh2Error, type Tdh2ErrorCode, type Tdh2ErrorOptions } from './errors.js';
export { ELEMENT_BYTES as TDH2_ELEMENT_BYTES, type RistrettoPoint } from './group.js';
export {
  tdh2IdentifierOfIndex,
  tdh2IndexOfIdentifier,
  tdh2KeyShare,
  tdh2PublicKey,
  type FrostKeyPackage,
  type FrostPublicPackage,
  type Tdh2KeyShare,
  type Tdh2PublicKey,
} from './keys.js';
export {
  TDH2_CIPHERTEXT_VERSION,
  TDH2_MAX_LABEL_BYTES,
  TDH2_MAX_PAYLOAD_BYTES,
  TDH2_TAG_BYTES,
  decodeTdh2Ciphertext,
  encodeTdh2Ciphertext,
  sealedOrderLabel,
  tdh2CheckCiphertext,
  tdh2CiphertextId,
  tdh2Encrypt,
  type Tdh2Ciphertext,
} from './ciphertext.js';
export {
  TDH2_BATCH_COEFFICIENT_BITS,
  TDH2_SHARE_BYTES,
  TDH2_SHARE_VERSION,
  decodeTdh2DecryptionShare,
  encodeTdh2DecryptionShare,
  tdh2DecryptionShare,
  tdh2VerifyShare,
  tdh2VerifyShares,
  type Tdh2BatchVerification,
  type Tdh2DecryptionShare,
  type Tdh2ShareItem,
  type Tdh2ShareOptions,
} from './share.js';
export {
  tdh2Combine,
  tdh2DecryptMany,
  type Tdh2CombineOptions,
  type Tdh2DecryptOutcome,
  type Tdh2DecryptRequest,
  type Tdh2Decryption,
  type Tdh2RejectReason,
} from './combine.js';
