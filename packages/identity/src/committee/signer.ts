/**
 * FROST(Ed25519) signing of one issuance batch by the committee, over the
 * coordination channel. noble's RFC 9591 implementation does the maths; this
 * module only moves its packages between members:
 *
 * 1. every member makes fresh nonces and sends its commitments to the
 *    coordinator;
 * 2. the coordinator fixes the signing set and broadcasts it: itself and t
 *    of the other members that committed in time, in an order that rotates
 *    from batch to batch and puts members suspected of misbehaving last.
 *    FROST needs only t+1 signers, and every signer's share (and the
 *    aggregation) costs a validation of every listed commitment, so t+1
 *    signers instead of n cut the batch's signing work about four-fold at
 *    n = 4. Members left out commit afresh, ready for a retry;
 * 3. each signer sends its signature share to the coordinator, which
 *    aggregates (noble's `aggregate` costs about as much as a share, so one
 *    aggregation instead of n matters) and broadcasts the signature; every
 *    member checks it against the group key before using it;
 * 4. if the aggregate does not verify, the coordinator checks shares one by
 *    one (`verifyShare`), names the culprits and retries without them (the
 *    other members have already committed for the next attempt).
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
  /** Members whose signature shares the coordinator found invalid or missing (always empty at other members), ascending. */
  culprits(): number[];
}

/** Everything the signing protocol needs from its member. */
export interface SignerContext {
  /** This member's index (1-based Shamir x). */
  readonly self: number;
  /** The coordinator's index. */
  readonly coordinator: number;
  /** Every member index. */
  readonly members: readonly number[];
  /** Signers per attempt (t+1). */
  readonly min: number;
  /** Where the coordinator's rotation over the other members starts for this batch (e.g. a batch counter). */
  readonly rotation?: number;
  /** Members the coordinator asks to sign only when too few others committed (e.g. suspects from the MPC). */
  readonly avoid?: ReadonlySet<number>;
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
    culprits: () => [...excluded].sort((a, b) => a - b),

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
          if (ctx.self === ctx.coordinator && !mapOf(shares, message.attempt).has(from)) mapOf(shares, message.attempt).set(from, message.share);
          break;
        case 'signed':
          if (finalSignature === undefined && ed25519.verify(message.signature, statement, groupKey)) finalSignature = message.signature;
          break;
        case 'batch':
        case 'preprocess':
        case 'reset':
        case 'resync':
          return;
      }
      notify();
    },

    async run(): Promise<Uint8Array> {
      const isCoordinator = ctx.self === ctx.coordinator;
      // Non-coordinators commit for attempt a+1 as soon as they have signed attempt a, so a retry
      // needs no extra round trip; an unused commitment only costs its nonce generation.
      const nonces = new Map<number, ReturnType<typeof ed25519_FROST.commit>>();
      const commitFor = (attempt: number) => {
        const nonce = ed25519_FROST.commit(ctx.secret, rng);
        nonces.set(attempt, nonce);
        const mine = { hiding: nonce.commitments.hiding, binding: nonce.commitments.binding };
        if (isCoordinator) mapOf(commits, attempt).set(ctx.self, mine);
        else ctx.send(ctx.coordinator, { type: 'commit', batchId, attempt, ...mine });
      };
      commitFor(0);
      for (let attempt = 0; attempt < MAX_ATTEMPTS && finalSignature === undefined; attempt++) {
        if (isCoordinator) {
          if (attempt > 0) commitFor(attempt);
          // fix the signing set: every member not excluded that committed in time (at least t+1)
          const expected = ctx.members.filter((m) => !excluded.has(m));
          await until(() => expected.every((m) => mapOf(commits, attempt).has(m)), 'commitments');
          const committed = mapOf(commits, attempt);
          if (expected.filter((m) => committed.has(m)).length < ctx.min) {
            throw new IdentityError('IDENTITY_UNAVAILABLE', 'Too few committee members committed to sign the batch.', {
              culprits: expected.filter((m) => !committed.has(m)).map(ctx.peerOf),
            });
          }
          const chosen = chooseSigners(ctx, expected.filter((m) => committed.has(m)), attempt);
          const list = chosen.map((member) => {
            const c = committed.get(member) as { hiding: Uint8Array; binding: Uint8Array };
            return { member, hiding: c.hiding, binding: c.binding };
          });
          signerLists.set(attempt, {
            members: list.map((c) => c.member),
            list: list.map((c) => ({ identifier: idOf(c.member), hiding: c.hiding, binding: c.binding })) as NonceCommitments[],
          });
          ctx.send('all', { type: 'signers', batchId, attempt, commitments: list });
        }
        if (!(await until(() => signerLists.has(attempt), 'signers'))) {
          if (isCoordinator || finalSignature !== undefined) continue;
          break; // the coordinator never fixed a signing set: wait for a 'signed' below, then give up
        }
        const { members, list } = signerLists.get(attempt) as { members: number[]; list: NonceCommitments[] };
        // sign only if listed with *our* commitments (a coordinator cannot make us sign twice with one nonce)
        const nonce = nonces.get(attempt);
        const myEntry = list.find((c) => c.identifier === idOf(ctx.self));
        if (nonce !== undefined && myEntry !== undefined && equalBytes(myEntry.hiding, nonce.commitments.hiding) && equalBytes(myEntry.binding, nonce.commitments.binding)) {
          nonces.delete(attempt);
          const share = ed25519_FROST.signShare(ctx.secret, ctx.pub, nonce.nonces, list, statement);
          if (isCoordinator) mapOf(shares, attempt).set(ctx.self, share);
          else {
            ctx.send(ctx.coordinator, { type: 'share', batchId, attempt, share });
            if (attempt + 1 < MAX_ATTEMPTS) commitFor(attempt + 1);
          }
        } else if (!isCoordinator && myEntry === undefined && attempt + 1 < MAX_ATTEMPTS && !nonces.has(attempt + 1)) {
          // left out of this attempt: the unused nonce is dropped, and a fresh commitment is ready for a retry
          nonces.delete(attempt);
          commitFor(attempt + 1);
        }
        if (!isCoordinator) {
          // the coordinator aggregates and broadcasts; a retry shows up as the next signing set
          await until(() => finalSignature !== undefined || signerLists.has(attempt + 1), 'signed');
          continue;
        }
        if (!(await until(() => members.every((m) => mapOf(shares, attempt).has(m)), 'shares'))) {
          ctx.logger.warn('signature shares missing', { missing: members.filter((m) => !mapOf(shares, attempt).has(m)).map(ctx.peerOf), attempt });
          for (const m of members) if (!mapOf(shares, attempt).has(m)) excluded.add(m);
          continue;
        }
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
        // name the culprits and retry without them
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

/**
 * The coordinator's signing set for one attempt: itself (when it committed)
 * and then the other committed members in a rotating order, members in
 * `avoid` last, until t+1. Returned in ascending member order.
 */
function chooseSigners(ctx: SignerContext, committed: readonly number[], attempt: number): number[] {
  const others = committed.filter((m) => m !== ctx.coordinator);
  const start = others.length === 0 ? 0 : ((ctx.rotation ?? 0) + attempt) % others.length;
  const rotated = [...others.slice(start), ...others.slice(0, start)];
  const avoid = ctx.avoid ?? new Set<number>();
  const ordered = [
    ...(committed.includes(ctx.coordinator) ? [ctx.coordinator] : []),
    ...rotated.filter((m) => !avoid.has(m)),
    ...rotated.filter((m) => avoid.has(m)),
  ];
  return ordered.slice(0, ctx.min).sort((a, b) => a - b);
}
