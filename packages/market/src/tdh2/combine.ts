/**
 * Combining decryption shares: t + 1 valid shares give h^r by Lagrange
 * interpolation in the exponent (h^r = Π u_i^{λ_i}), h^r gives the KEM key,
 * and the key opens the payload.
 * @module
 */
import { invariant, type Random } from '@admitone/core';
import { lagrangeCoefficients } from '@admitone/core/threshold';
import { assertCiphertext, openWithKemSecret, tdh2CheckCiphertext, type Tdh2Ciphertext } from './ciphertext.js';
import { Tdh2Error } from './errors.js';
import { Fn, type RistrettoPoint } from './group.js';
import { assertPublicKey, type Tdh2PublicKey } from './keys.js';
import { assertShare, msm, tdh2VerifyShares, type Tdh2DecryptionShare, type Tdh2ShareItem } from './share.js';

/** Options for {@link tdh2Combine} and {@link tdh2DecryptMany}. */
export interface Tdh2CombineOptions {
  /** Randomness for the batch-verification coefficients (`systemRandom()` in production). */
  readonly random: Random;
  /** When given, a ciphertext whose label differs is rejected as invalid. */
  readonly expectedLabel?: Uint8Array;
}

/** A successful decryption. */
export interface Tdh2Decryption {
  /** The decrypted payload. */
  readonly payload: Uint8Array;
  /** Member indices of the t + 1 shares that were combined, in input order. */
  readonly used: readonly bigint[];
  /** Member indices of the shares found invalid on the way, in input order. */
  readonly invalid: readonly bigint[];
}

/** One ciphertext and the shares received for it, for {@link tdh2DecryptMany}. */
export interface Tdh2DecryptRequest {
  /** The ciphertext. */
  readonly ciphertext: Tdh2Ciphertext;
  /** Its decryption shares, in order of preference. */
  readonly shares: readonly Tdh2DecryptionShare[];
}

/**
 * Why {@link tdh2DecryptMany} could not decrypt a ciphertext. (`duplicate_share`
 * is no longer produced: shares are verified before they are de-duplicated,
 * so a repeated index only costs a skipped share.)
 */
export type Tdh2RejectReason = 'invalid_ciphertext' | 'duplicate_share' | 'not_enough_shares' | 'decrypt_failed';

/** The outcome for one request of {@link tdh2DecryptMany}. */
export type Tdh2DecryptOutcome =
  | ({
      /** The payload was recovered. */
      readonly status: 'decrypted';
    } & Tdh2Decryption)
  | {
      /** The ciphertext could not be decrypted. */
      readonly status: 'rejected';
      /** Why the ciphertext was not decrypted. */
      readonly reason: Tdh2RejectReason;
      /** Member indices claimed by the invalid shares found (for `not_enough_shares`). */
      readonly culprits: readonly bigint[];
    };

/**
 * Decrypts one ciphertext from its shares. Runs the validity check, then
 * verifies shares in input order, batch by batch, until t + 1 valid shares
 * with distinct indices are found (invalid ones are skipped and reported in
 * `invalid`; a share whose index already has a valid share is skipped
 * unverified; shares beyond the first t + 1 valid ones are not examined),
 * then interpolates. Verification comes before de-duplication, so a forged
 * share that claims an honest member's index blocks nothing: t + 1 valid
 * shares with distinct indices always decrypt.
 *
 * Throws `TDH2_INVALID_CIPHERTEXT`, `TDH2_NOT_ENOUGH_SHARES` (`culprits` names
 * the indices the invalid shares claimed) or `TDH2_DECRYPT_FAILED`.
 *
 * @example
 * ```ts
 * const { payload, invalid } = tdh2Combine(publicKey, ciphertext, shares, { random: systemRandom() });
 * ```
 */
export function tdh2Combine(
  publicKey: Tdh2PublicKey,
  ciphertext: Tdh2Ciphertext,
  shares: readonly Tdh2DecryptionShare[],
  options: Tdh2CombineOptions,
): Tdh2Decryption {
  const [outcome] = tdh2DecryptMany(publicKey, [{ ciphertext, shares }], options);
  invariant(outcome !== undefined, 'one request gives one outcome');
  if (outcome.status === 'decrypted') return { payload: outcome.payload, used: outcome.used, invalid: outcome.invalid };
  switch (outcome.reason) {
    case 'invalid_ciphertext':
      throw new Tdh2Error('TDH2_INVALID_CIPHERTEXT', 'The ciphertext fails the validity check.');
    case 'duplicate_share': // not produced since shares are verified first; kept for the closed type
    case 'not_enough_shares':
      throw new Tdh2Error('TDH2_NOT_ENOUGH_SHARES', `Fewer than ${publicKey.minShares} valid shares.`, {
        culprits: outcome.culprits,
        meta: { need: publicKey.minShares, received: shares.length },
      });
    case 'decrypt_failed':
      throw new Tdh2Error('TDH2_DECRYPT_FAILED', 'The payload does not open under the recovered key.');
  }
}

/**
 * Decrypts many ciphertexts (an epoch's sealed orders) at once. Share
 * verification is batched across all of them: each round verifies, in one
 * multi-scalar multiplication, the next shares every pending ciphertext still
 * needs, and a round only repeats for ciphertexts that met invalid shares.
 * Outcomes are returned, not thrown, one per request in order; malformed
 * arguments still throw.
 *
 * @example
 * ```ts
 * const outcomes = tdh2DecryptMany(publicKey, orders.map((o) => ({ ciphertext: o.ct, shares: o.shares })), { random: systemRandom() });
 * ```
 */
export function tdh2DecryptMany(
  publicKey: Tdh2PublicKey,
  requests: readonly Tdh2DecryptRequest[],
  options: Tdh2CombineOptions,
): Tdh2DecryptOutcome[] {
  assertPublicKey(publicKey);
  if (!Array.isArray(requests)) throw new TypeError('requests must be an array');
  const need = publicKey.minShares;
  const outcomes: (Tdh2DecryptOutcome | undefined)[] = [];
  const pending: Pending[] = [];
  requests.forEach((request, r) => {
    if (typeof request !== 'object' || request === null || !Array.isArray(request.shares)) {
      throw new TypeError(`requests[${r}] must be { ciphertext, shares }`);
    }
    assertCiphertext(request.ciphertext);
    for (const s of request.shares as readonly unknown[]) assertShare(s);
    if (!tdh2CheckCiphertext(publicKey, request.ciphertext, options.expectedLabel)) {
      outcomes[r] = rejected('invalid_ciphertext', []);
    } else if (distinctIndices(request.shares) < need) {
      outcomes[r] = rejected('not_enough_shares', []);
    } else {
      pending.push({ slot: r, request, next: 0, valid: [], validIndices: new Set(), invalid: [] });
    }
  });

  // Verification rounds: each round checks, in one batch, the next shares every pending request still needs.
  // A share whose index already has a valid share is skipped (de-duplication comes after verification, so a
  // forged share under an honest member's index cannot block that member's real share); a share whose index is
  // being verified in this round waits for the next round, so at most one share per index is ever in flight.
  let active = pending;
  while (active.length > 0) {
    const items: Tdh2ShareItem[] = [];
    const owners: Pending[] = [];
    for (const p of active) {
      const inFlight = new Set<bigint>();
      const shares = p.request.shares;
      while (p.next < shares.length && inFlight.size < need - p.valid.length) {
        const share = shares[p.next] as Tdh2DecryptionShare;
        if (p.validIndices.has(share.index)) {
          p.next++;
          continue;
        }
        if (inFlight.has(share.index)) break;
        inFlight.add(share.index);
        items.push({ ciphertext: p.request.ciphertext, share });
        owners.push(p);
        p.next++;
      }
    }
    const bad = new Set(tdh2VerifyShares(publicKey, items, options.random).invalid);
    items.forEach((item, j) => {
      const owner = owners[j] as Pending;
      if (bad.has(j)) owner.invalid.push(item.share);
      else {
        owner.valid.push(item.share);
        owner.validIndices.add(item.share.index);
      }
    });
    const stillActive: Pending[] = [];
    for (const p of active) {
      if (p.valid.length === need) continue;
      if (p.request.shares.length - p.next < need - p.valid.length) {
        outcomes[p.slot] = rejected('not_enough_shares', p.invalid.map((s) => s.index));
      } else {
        stillActive.push(p);
      }
    }
    active = stillActive;
  }

  for (const p of pending) {
    if (outcomes[p.slot] !== undefined) continue;
    const hr = interpolateInExponent(p.valid);
    try {
      const payload = openWithKemSecret(publicKey, p.request.ciphertext, hr);
      outcomes[p.slot] = {
        status: 'decrypted',
        payload,
        used: p.valid.map((s) => s.index),
        invalid: p.invalid.map((s) => s.index),
      };
    } catch (err) {
      if (!(err instanceof Tdh2Error) || err.code !== 'TDH2_DECRYPT_FAILED') throw err;
      outcomes[p.slot] = rejected('decrypt_failed', []);
    }
  }
  return outcomes.map((o) => {
    invariant(o !== undefined, 'every request has an outcome');
    return o;
  });
}

// ---------------------------------------------------------------------------
// helpers

interface Pending {
  readonly slot: number;
  readonly request: Tdh2DecryptRequest;
  next: number;
  readonly valid: Tdh2DecryptionShare[];
  /** Indices of `valid` (distinct by construction). */
  readonly validIndices: Set<bigint>;
  readonly invalid: Tdh2DecryptionShare[];
}

function rejected(reason: Tdh2RejectReason, culprits: readonly bigint[]): Tdh2DecryptOutcome {
  return { status: 'rejected', reason, culprits };
}

function distinctIndices(shares: readonly Tdh2DecryptionShare[]): number {
  return new Set(shares.map((s) => s.index)).size;
}

/** Π u_i^{λ_i} with the Lagrange coefficients at 0 (public values: variable-time MSM). */
function interpolateInExponent(shares: readonly Tdh2DecryptionShare[]): RistrettoPoint {
  const lambdas = lagrangeCoefficients(Fn, shares.map((s) => s.index), 0n);
  const points = shares.map((s) => s.ui);
  return msm(points, lambdas);
}
