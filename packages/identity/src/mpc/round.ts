/**
 * One communication round: register for the round's messages, send this
 * member's own, wait for everyone else's.
 * @module
 */
import type { Logger, PeerId, Random, Transport } from '@admitone/core';
import type { Opener, PrimeField } from '@admitone/core/threshold';
import type { Inbox, RoundInputs, SessionInbox } from './inbox.js';
import { encodeMpcMessage, packElements, type MpcPhase } from './wire.js';

/** What the protocols share: the committee, the field and the plumbing. */
export interface MpcContext {
  /** The field (BN254 Fr). */
  readonly F: PrimeField;
  /** The field order. */
  readonly p: bigint;
  /** The members, in transport order; member `i` holds shares at `points[i]` (from core's `memberPoints`). */
  readonly members: readonly PeerId[];
  /** Each member's evaluation point. */
  readonly points: readonly bigint[];
  /** This member's index in `members`. */
  readonly self: number;
  /** The sharing degree t. */
  readonly degree: number;
  /**
   * The members (indices, ascending point order) that re-share their
   * degree-2t products: the 2t + 1 with the smallest points.
   */
  readonly resharers: readonly number[];
  /**
   * Lagrange weights at 0 over the resharers' points, parallel to `resharers`, as signed
   * representatives (small integers over the usual points: 3, −3, 1 at t = 1).
   */
  readonly reduceWeights: readonly bigint[];
  /** The robust opener over all `points` at degree t. */
  readonly opener: Opener;
  readonly transport: Transport;
  readonly inbox: Inbox;
  readonly random: Random;
  readonly logger: Logger;
}

/** The identity of a round's messages. */
export interface RoundAddress {
  readonly phase: MpcPhase;
  readonly session: Uint8Array;
  readonly inbox: SessionInbox;
  readonly context: Uint8Array;
}

/** Broadcasts the same vector to every other member and collects theirs (except from `skip`). */
export async function broadcastRound(
  ctx: MpcContext,
  at: RoundAddress,
  round: number,
  values: readonly bigint[],
  skip?: ReadonlySet<number>,
): Promise<RoundInputs> {
  const incoming = at.inbox.collect(round, at.context, skip);
  incoming.catch(() => {}); // observed below; never an unhandled rejection if sending throws
  const bytes = encodeMpcMessage({ phase: at.phase, session: at.session, round, context: at.context, elements: packElements(values) });
  await ctx.transport.broadcast(bytes);
  return incoming;
}

/**
 * Sends `perMember[j]` to member `j` (skipping this member) and collects
 * what the others sent. Every vector carries secret shares: the transport
 * must be confidential (see `createMpcEngine`).
 */
export async function dealRound(
  ctx: MpcContext,
  at: RoundAddress,
  round: number,
  perMember: readonly (readonly bigint[])[],
): Promise<RoundInputs> {
  const incoming = at.inbox.collect(round, at.context);
  incoming.catch(() => {});
  const sends: Promise<void>[] = [];
  ctx.members.forEach((member, j) => {
    if (j === ctx.self) return;
    const bytes = encodeMpcMessage({
      phase: at.phase,
      session: at.session,
      round,
      context: at.context,
      elements: packElements(perMember[j] as readonly bigint[]),
    });
    sends.push(ctx.transport.send(member, bytes));
  });
  await Promise.all(sends);
  return incoming;
}
