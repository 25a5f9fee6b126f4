/**
 * FROST(Ed25519) signing of one issuance batch by the committee, over the
 * coordination channel. noble's RFC 9591 implementation does the maths; this
 * module only moves its packages between members:
 *
 * 1. every member makes fresh nonces and sends its commitments to the
 *    coordinator;
 * 2. the coordinator fixes the signing set (every member that answered in
 *    time, at least t+1) and broadcasts it;
 * 3. each signer broadcasts its signature share; each member aggregates;
 * 4. a member whose aggregate verifies broadcasts the signature, so members
 *    that were sent a bad share by an equivocating signer still finish;
 * 5. if the aggregate does not verify, shares are checked one by one
 *    (`verifyShare`), the culprits are named and the coordinator retries
 *    without them.
 * @module
 */
import { type Clock, type Logger, type PeerId, type Random, bytesToHex, equalBytes } from '@admitone/core';
import { ed25519_FROST } from '@noble/curves/ed25519.js';
import type { FrostPublic, FrostSecret, NonceCommitments } from '@noble/curves/abstract/frost.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { IdentityError } from '../errors.js';
import type { ControlMessage } from './messages.js';

const MAX_ATTEMPTS = 3;

/** One member's view of the signing of one batch. */
export interface BatchSigning {
  /** Feeds a control message about this batch. */
  receive(from: number, message: ControlMessage): void;
  /** Runs the protocol; resolves with the 64-byte signature. */
  run(): Promise<Uint8Array>;
}

/** Everything the signing protocol needs from its member. */
export interface SignerContext {
  /** This member's index (1-based Shamir x). */
  readonly self: number;
  /** The coordinator's index. */
  readonly coordinator: number;
  /** Every member index. */
  readonly members: readonly number[];
  /** Minimum signers (t+1). */
  readonly min: number;
  /** FROST public package. */
  readonly pub: FrostPublic;
  /** FROST secret package. */
  readonly secret: FrostSecret;
  /** Sends a control message to one member (by index), or to all others. */
  readonly send: (to: number | 'all', message: ControlMessage) => void;
  /** Peer id of a member index (for culprit names). */
  readonly peerOf: (index: number) => PeerId;
  /** Random source for nonces. */
  readonly random: Random;
  /** Timers. */
  readonly clock: Clock;
  /** Per-step timeout. */
  readonly timeoutMs: number;
  /** Logger (never given secrets). */
  readonly logger: Logger;
}

/** Creates the signing state machine for `statement` in batch `batchId`. */
export function createBatchSigning(ctx: SignerContext, batchId: Uint8Array, statement: Uint8Array): BatchSigning {
  const groupKey = ctx.pub.commitments[0] as Uint8Array;
  const idOf = (index: number) => ed25519_FROST.Identifier.fromNumber(index);
  const commits = new Map<number, Map<number, { hiding: Uint8Array; binding: Uint8Array }>>(); // attempt → member → commitments
  const signerLists = new Map<number, { members: number[]; list: NonceCommitments[] }>();
  const shares = new Map<number, Map<number, Uint8Array>>();
  let finalSignature: Uint8Array | undefined;
  const excluded = new Set<number>();
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const until = async (cond: () => boolean, what: string): Promise<boolean> => {
    const deadline = ctx.clock.now() + ctx.timeoutMs;
    while (!cond()) {
      if (finalSignature !== undefined) return false;
      const left = deadline - ctx.clock.now();
      if (left <= 0) {
        ctx.logger.debug('signing step timed out', { step: what, batch: bytesToHex(batchId) });
        return false;
      }
      await new Promise<void>((resolve) => {
        const timer = ctx.clock.setTimeout(() => {
          wake = undefined;
          resolve();
        }, left);
        wake = () => {
          timer.cancel();
          resolve();
        };
      });
    }
    return true;
  };
  const rng = (n = 32) => ctx.random.bytes(n);
  const mapOf = <K, V>(m: Map<number, Map<K, V>>, attempt: number) => {
    let inner = m.get(attempt);
    if (inner === undefined) {
      inner = new Map();
      m.set(attempt, inner);
    }
    return inner;
  };

  return {
    receive(from, message) {
      if (!equalBytes(message.batchId, batchId)) return;
      switch (message.type) {
        case 'commit':
          if (ctx.self === ctx.coordinator && !mapOf(commits, message.attempt).has(from)) {
            mapOf(commits, message.attempt).set(from, { hiding: message.hiding, binding: message.binding });
          }
          break;
        case 'signers':
          if (from === ctx.coordinator && !signerLists.has(message.attempt)) {
            signerLists.set(message.attempt, {
              members: message.commitments.map((c) => c.member),
              list: message.commitments.map((c) => ({ identifier: idOf(c.member), hiding: c.hiding, binding: c.binding })) as NonceCommitments[],
            });
          }
          break;
        case 'share':
          if (!mapOf(shares, message.attempt).has(from)) mapOf(shares, message.attempt).set(from, message.share);
          break;
        case 'signed':
          if (finalSignature === undefined && ed25519.verify(message.signature, statement, groupKey)) finalSignature = message.signature;
          break;
        case 'batch':
          return;
      }
      notify();
    },

    async run(): Promise<Uint8Array> {
      for (let attempt = 0; attempt < MAX_ATTEMPTS && finalSignature === undefined; attempt++) {
        // 1. commit
        const nonce = ed25519_FROST.commit(ctx.secret, rng);
        const mine = { hiding: nonce.commitments.hiding, binding: nonce.commitments.binding };
        if (ctx.self === ctx.coordinator) {
          mapOf(commits, attempt).set(ctx.self, mine);
          // 2. fix the signing set
          const expected = ctx.members.filter((m) => !excluded.has(m));
          await until(() => expected.every((m) => mapOf(commits, attempt).has(m)), 'commitments');
          const got = [...mapOf(commits, attempt).entries()].filter(([m]) => !excluded.has(m)).sort(([a], [b]) => a - b);
          if (got.length < ctx.min) {
            throw new IdentityError('IDENTITY_UNAVAILABLE', 'Too few committee members committed to sign the batch.', {
              culprits: expected.filter((m) => !mapOf(commits, attempt).has(m)).map(ctx.peerOf),
            });
          }
          const list = got.map(([member, c]) => ({ member, hiding: c.hiding, binding: c.binding }));
          signerLists.set(attempt, {
            members: list.map((c) => c.member),
            list: list.map((c) => ({ identifier: idOf(c.member), hiding: c.hiding, binding: c.binding })) as NonceCommitments[],
          });
          ctx.send('all', { type: 'signers', batchId, attempt, commitments: list });
        } else {
          ctx.send(ctx.coordinator, { type: 'commit', batchId, attempt, ...mine });
        }
        if (!(await until(() => signerLists.has(attempt), 'signers'))) continue;
        const { members, list } = signerLists.get(attempt) as { members: number[]; list: NonceCommitments[] };
        // 3. sign if listed with *our* commitments
        const myEntry = list.find((c) => c.identifier === idOf(ctx.self));
        if (myEntry !== undefined && equalBytes(myEntry.hiding, mine.hiding) && equalBytes(myEntry.binding, mine.binding)) {
          const share = ed25519_FROST.signShare(ctx.secret, ctx.pub, nonce.nonces, list, statement);
          mapOf(shares, attempt).set(ctx.self, share);
          ctx.send('all', { type: 'share', batchId, attempt, share });
        }
        if (!(await until(() => members.every((m) => mapOf(shares, attempt).has(m)), 'shares'))) continue;
        const got = mapOf(shares, attempt);
        const byId = Object.fromEntries(members.map((m) => [idOf(m), got.get(m) as Uint8Array]));
        let signature: Uint8Array | undefined;
        try {
          signature = ed25519_FROST.aggregate(ctx.pub, list, statement, byId);
        } catch {
          signature = undefined;
        }
        if (signature !== undefined && ed25519.verify(signature, statement, groupKey)) {
          finalSignature = signature;
          ctx.send('all', { type: 'signed', batchId, signature });
          break;
        }
        // 5. name the culprits and retry without them
        for (const m of members) {
          if (!ed25519_FROST.verifyShare(ctx.pub, list, statement, idOf(m), got.get(m) as Uint8Array)) excluded.add(m);
        }
        ctx.logger.warn('invalid FROST signature shares; retrying without their senders', {
          batch: bytesToHex(batchId),
          culprits: [...excluded].map(ctx.peerOf),
        });
      }
      if (finalSignature === undefined) await until(() => finalSignature !== undefined, 'signed');
      if (finalSignature === undefined) {
        throw new IdentityError('IDENTITY_UNAVAILABLE', 'The committee could not produce the batch signature.', { culprits: [...excluded].map(ctx.peerOf) });
      }
      return finalSignature;
    },
  };
}
