/**
 * `@admitone/market`: the organizer-controlled event contract and resale market.
 *
 * - **{@link createEventContract}**: a `ReplicatedApp` holding many events —
 *   policy as data (capacity, face price, sale and resale windows, resale cap,
 *   royalty, per-person cap by event tag, transferability), `buyPrimary` with an
 *   identity-committee event credential, listings, transfers, cancellation with
 *   automatic refunds, escrow released at completion; money in bigint minor
 *   units, conserved (property-tested); every ownership change re-issues the
 *   ticket with a new version and holder key;
 * - **F3B sealed-order epochs**: bids and asks sealed with TDH2 under the
 *   label `(eventId, epoch)` ({@link sealOrder}), ordered while encrypted, a
 *   committed cutoff, decryption shares posted as operations by the
 *   secret-management committee ({@link createShareMaker}), then deterministic
 *   decrypt → drop invalid orders with a reason → shuffle seeded by the reveal →
 *   match under the policy → settle;
 * - **TDH2 threshold encryption**
 * (Shoup–Gennaro, J. Cryptology 2002) on ristretto255 as a hybrid KEM/DEM,
 * with labels binding a ciphertext to `(eventId, epoch)`, DLEQ-proven
 * decryption shares, batch share verification by random linear combination
 * (one multi-scalar multiplication) with a one-by-one fallback that names the
 * culprits, and keys from noble's FROST DKG (`runDkg` from
 * `@admitone/core/threshold`).
 *
 * @example
 * ```ts
 * import { ristretto255_FROST } from '@noble/curves/ed25519.js';
 * import { systemRandom } from '@admitone/core';
 * import { sealedOrderLabel, tdh2Combine, tdh2DecryptionShare, tdh2Encrypt, tdh2KeyShare, tdh2PublicKey } from '@admitone/market';
 *
 * const deal = ristretto255_FROST.trustedDealer({ min: 2, max: 4 });
 * const publicKey = tdh2PublicKey(deal.public);
 * const members = Object.values(deal.secretShares).map((secret) => tdh2KeyShare({ public: deal.public, secret }, publicKey));
 * const random = systemRandom();
 * const label = sealedOrderLabel('summer-gig', 3);
 * const ct = tdh2Encrypt(publicKey, label, new TextEncoder().encode('bid 120'), random);
 * const shares = members.slice(0, 2).map((m) => tdh2DecryptionShare(m, ct, { random, expectedLabel: label }));
 * const { payload } = tdh2Combine(publicKey, ct, shares, { random, expectedLabel: label });
 * ```
 * @packageDocumentation
 */
export * from './tdh2/index.js';
export * from './contract/index.js';
export * from './epoch/index.js';
