/**
 * The order committee member's side of an epoch: it computes its decryption
 * share for each order as soon as the order is committed (work spread over
 * the epoch), holds the shares, and releases them as `postShares`
 * operations only once it has seen the epoch's cutoff committed. Releasing
 * earlier would let t + 1 early members decrypt orders while the epoch can
 * still take reacting orders; the contract also refuses shares that arrive
 * before the cutoff.
 * @module
 */
import type { EventId, Random } from '@admitone/core';
import {
  decodeTdh2Ciphertext,
  encodeTdh2DecryptionShare,
  sealedOrderLabel,
  tdh2CiphertextId,
  tdh2DecryptionShare,
  type Tdh2Ciphertext,
  type Tdh2KeyShare,
} from '../tdh2/index.js';
import { MAX_SHARES_PER_OP, type ContractOp } from '../contract/types.js';

/** Options of {@link createShareMaker}. */
export interface ShareMakerOptions {
  /** This member's TDH2 key share. */
  readonly keyShare: Tdh2KeyShare;
  /** The event. */
  readonly eventId: EventId;
  /** The epoch whose orders this maker decrypts. */
  readonly epoch: number;
  /** Randomness for the DLEQ proof nonces (`systemRandom()` in production). */
  readonly random: Random;
}

/** Computes and holds one member's shares for one epoch. */
export interface ShareMaker {
  /**
   * Computes the share for the order committed at `position` (its encoded
   * ciphertext, as submitted). Throws `TDH2_INVALID_CIPHERTEXT` for a
   * ciphertext not labelled for this event and epoch (the contract never
   * accepts one).
   */
  add(position: number, ciphertext: Uint8Array | Tdh2Ciphertext): void;
  /** How many consecutive positions from 0 have a share ready. */
  readonly ready: number;
  /**
   * The `postShares` operations for positions `[from, to)`, in chunks of at
   * most {@link MAX_SHARES_PER_OP}. Call only after the epoch's cutoff is
   * committed. Throws `RangeError` when a share in the range is missing.
   */
  release(to: number, from?: number): ContractOp[];
}

/**
 * Creates a {@link ShareMaker}.
 *
 * @example
 * ```ts
 * const maker = createShareMaker({ keyShare, eventId, epoch: 3, random: systemRandom() });
 * for (const { position, ciphertext } of committedOrders) maker.add(position, ciphertext);
 * // … once the cutoff of epoch 3 is committed:
 * for (const op of maker.release(orderCount)) await engine.submit(encodeContractOp(op));
 * ```
 */
export function createShareMaker(options: ShareMakerOptions): ShareMaker {
  const { keyShare, eventId, epoch, random } = options;
  const label = sealedOrderLabel(eventId, epoch);
  const shares: { id: Uint8Array; share: Uint8Array }[] = [];
  let ready = 0;
  return {
    add(position, ciphertext) {
      if (!Number.isSafeInteger(position) || position < 0) throw new RangeError('position must be a non-negative integer');
      const ct = ciphertext instanceof Uint8Array ? decodeTdh2Ciphertext(ciphertext) : ciphertext;
      const share = tdh2DecryptionShare(keyShare, ct, { random, expectedLabel: label });
      shares[position] = { id: tdh2CiphertextId(ct), share: encodeTdh2DecryptionShare(share) };
      while (shares[ready] !== undefined) ready++;
    },
    get ready() {
      return ready;
    },
    release(to, from = 0) {
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from) throw new RangeError('release needs 0 ≤ from ≤ to');
      const ops: ContractOp[] = [];
      for (let start = from; start < to; start += MAX_SHARES_PER_OP) {
        const end = Math.min(to, start + MAX_SHARES_PER_OP);
        const chunk = [];
        for (let p = start; p < end; p++) {
          const s = shares[p];
          if (s === undefined) throw new RangeError(`no share for position ${p}`);
          chunk.push({ ciphertextId: s.id, share: s.share });
        }
        ops.push({ type: 'postShares', eventId, epoch, from: start, shares: chunk });
      }
      return ops;
    },
  };
}
