/**
 * `@admitone/market`: the organizer-controlled resale market.
 *
 * This release ships its cryptographic core: **TDH2 threshold encryption**
 * (Shoup–Gennaro, J. Cryptology 2002) on ristretto255 as a hybrid KEM/DEM,
 * with labels binding a ciphertext to `(eventId, epoch)`, DLEQ-proven
 * decryption shares, batch share verification by random linear combination
 * (one multi-scalar multiplication) with a one-by-one fallback that names the
 * culprits, and keys from noble's FROST DKG (`runDkg` from
 * `@admitone/core/threshold`). The `EventContract` and the F3B sealed-order
 * epochs that use it are tracked by issue 6.
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
