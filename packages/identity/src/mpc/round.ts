/**
 * One communication round: register for the round's messages, send this
 * member's own, wait for everyone else's.
 * @module
 */
import type { Logger, PeerId, Random, Transport } from '@admitone/core';
import { ThresholdError, type Opener, type PrimeField } from '@admitone/core/threshold';
import type { Inbox, RoundInputs, RoundMessages, SessionInbox } from './inbox.js';
import type { Transcript, TranscriptKeys } from './transcript.js';
import { encodeMpcMessage, packElements, unpackElements, type MpcPhase } from './wire.js';

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
  /** Keys for signed preprocessing transcripts (the engine's `signing` option), if configured. */
  readonly signing?: TranscriptKeys;
}

/** The identity of a round's messages. */
export interface RoundAddress {
  readonly phase: MpcPhase;
  readonly session: Uint8Array;
  readonly inbox: SessionInbox;
  readonly context: Uint8Array;
  /** When set, this round's messages are signed and the received ones checked and kept (preprocessing with `signing`). */
  readonly transcript?: Transcript;
}

/** Broadcasts the same vector to every other member and collects theirs (except from `skip`). */
export async function broadcastRound(
  ctx: MpcContext,
  at: RoundAddress,
  round: number,
  values: readonly bigint[] | Uint8Array,
  skip?: ReadonlySet<number>,
): Promise<RoundInputs> {
  const incoming = at.inbox.collect(round, at.context, skip);
  incoming.catch(() => {}); // observed below; never an unhandled rejection if sending throws
  const elements = values instanceof Uint8Array ? values : packElements(values);
  const signature = await at.transcript?.outgoing(round, null, elements);
  const bytes = encodeMpcMessage({ phase: at.phase, session: at.session, round, context: at.context, elements, ...(signature === undefined ? {} : { signature }) });
  await ctx.transport.broadcast(bytes);
  return checked(ctx, at, round, false, await incoming);
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
  await Promise.all(
    ctx.members.map(async (member, j) => {
      if (j === ctx.self) return;
      const elements = packElements(perMember[j] as readonly bigint[]);
      const signature = await at.transcript?.outgoing(round, j, elements);
      const bytes = encodeMpcMessage({ phase: at.phase, session: at.session, round, context: at.context, elements, ...(signature === undefined ? {} : { signature }) });
      await ctx.transport.send(member, bytes);
    }),
  );
  return checked(ctx, at, round, true, await incoming);
}

/**
 * The round's elements, after the transcript (if any) checked and kept every
 * usable message's signature; a missing or bad signature rejects with
 * `THRESHOLD_PROTOCOL` naming its senders.
 */
async function checked(ctx: MpcContext, at: RoundAddress, round: number, dealt: boolean, messages: RoundMessages): Promise<RoundInputs> {
  if (at.transcript === undefined) return messages.elements;
  const bad = await at.transcript.incoming(round, dealt, messages);
  if (bad.length > 0) {
    for (const j of bad) at.inbox.reject(j);
    const culprits = bad.map((j) => ctx.members[j] as PeerId);
    ctx.logger.warn('mpc preprocessing message without a valid signature', { session: at.inbox.id, round, culprits });
    throw new ThresholdError('THRESHOLD_PROTOCOL', `${bad.length} member(s) sent a preprocessing message without a valid signature.`, {
      culprits,
      meta: { session: at.inbox.id, round },
    });
  }
  return messages.elements;
}

/**
 * Opens a vector robustly: broadcast own shares, collect, decode
 * (Berlekamp–Welch through `ctx.opener`). Suspects (member indices, from
 * earlier rounds) are left out and not waited for; members caught sending
 * wrong or unusable shares are added to `suspects`. Undecodable shares reject
 * with a `ThresholdError` naming every member blamed so far.
 *
 * When this member's own share is off the decoded polynomial it was dealt a
 * wrong share: with `onOwnShareOff` that callback is told and this member
 * stays out of `suspects`; without it, it is listed like any other member.
 */
export async function openRobust(
  ctx: MpcContext,
  at: RoundAddress,
  round: number,
  shares: readonly bigint[],
  suspects: Set<number>,
  onOwnShareOff?: () => void,
): Promise<bigint[]> {
  const received = await broadcastRound(ctx, at, round, shares, suspects);
  const L = shares.length;
  const columns: (readonly bigint[] | undefined)[] = new Array(ctx.members.length);
  const fresh: number[] = [];
  for (let j = 0; j < ctx.members.length; j++) {
    if (j === ctx.self) {
      columns[j] = shares;
      continue;
    }
    if (suspects.has(j)) continue;
    const bytes = received[j];
    const vector = bytes === null || bytes === undefined ? undefined : unpackElements(bytes, L, ctx.p);
    if (vector === undefined) {
      fresh.push(j);
      if (bytes !== null && bytes !== undefined) at.inbox.reject(j);
    }
    columns[j] = vector;
  }
  let values: bigint[];
  try {
    const result = ctx.opener.openManyWithCulprits(columns, L);
    values = result.values;
    for (const x of result.culprits) {
      const j = indexOfPoint(ctx, x);
      if (j === ctx.self && onOwnShareOff !== undefined) onOwnShareOff();
      else fresh.push(j);
    }
  } catch (error) {
    if (!(error instanceof ThresholdError)) throw error;
    const blamed = new Set([...suspects, ...fresh]);
    for (const x of error.culprits) if (typeof x === 'bigint') blamed.add(indexOfPoint(ctx, x));
    const culprits = [...blamed].sort((a, b) => a - b).map((i) => ctx.members[i] as PeerId);
    ctx.logger.error('mpc opening failed', { session: at.inbox.id, round, culprits });
    throw new ThresholdError(error.code, `Opening in round ${round} failed: the shares cannot be decoded.`, {
      cause: error,
      culprits,
      meta: { session: at.inbox.id, round },
    });
  }
  const added = fresh.filter((j) => !suspects.has(j));
  if (added.length > 0) {
    for (const j of added) suspects.add(j);
    ctx.logger.warn('mpc wrong opening shares', { session: at.inbox.id, round, culprits: added.map((j) => ctx.members[j]) });
  }
  return values;
}

function indexOfPoint(ctx: MpcContext, x: bigint): number {
  return ctx.points.indexOf(x);
}
