/**
 * One communication round: register for the round's messages, send this
 * member's own, wait for everyone else's.
 * @module
 */
import { concatBytes, type Logger, type PeerId, type Random, type Transport } from '@admitone/core';
import { ThresholdError, type Opener, type PrimeField } from '@admitone/core/threshold';
import type { Inbox, RoundInputs, RoundMessages, SessionInbox } from './inbox.js';
import type { Transcript, TranscriptKeys } from './transcript.js';
import { ELEMENT_BYTES, encodeMpcMessage, packElements, unpackElements, type MpcPhase } from './wire.js';

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
    throw openingFailed(ctx, at, round, error, suspects, fresh);
  }
  addSuspects(ctx, at, round, suspects, fresh);
  return values;
}

/** Bits of the declaration bitmap per 32-byte block of an input opening (see {@link openInputs}). */
const DECLARATION_BITS_PER_BLOCK = ELEMENT_BYTES * 8;

/** The result of {@link openInputs}. */
export interface InputOpening {
  /** The opened values, in input order; 0 for a failed element. */
  readonly values: bigint[];
  /** Indexes of the elements that could not be decoded (ascending; usually empty). */
  readonly failed: number[];
}

/**
 * Opens the first round of an evaluation, whose shares come straight from the
 * clients' input sharings. It works like {@link openRobust}, with two
 * differences that only matter where a client, not a member, may be at fault:
 *
 * - **Declared shares.** A member that could not read its share of input `m`
 *   (a sealed share that did not open or decode) declares it: its message
 *   carries, after the `L` elements, a bitmap of declared inputs
 *   (`⌈L/256⌉` 32-byte blocks, bit `m` = byte `m >> 3`, mask `1 << (m & 7)`,
 *   unused bits zero); a message without declarations is exactly `L`
 *   elements, as in every other round. Every member treats a declared share
 *   as missing for that element only (an erasure), never as a wrong share of
 *   the member that declared it. A member that declares what it could have
 *   read only withholds its own share of that element, which the robust
 *   decoding tolerates like silence.
 * - **Per-element failure.** When the elements cannot all be decoded at once,
 *   they are decoded one by one: an element that cannot be decoded (its
 *   client's shares are off the polynomial, or declared, at too many members)
 *   fails alone, its index is returned in `failed` and its value is 0, so the
 *   rest of the batch proceeds. When no element decodes, the round fails as
 *   {@link openRobust} does (more members lie than can be corrected).
 * - **Agreement with erasures.** Declared shares are removed by a client, not
 *   by the t members the correction bound counts on, so an element with
 *   declared shares opens only when at least 2t + 1 of its remaining shares
 *   agree with the decoded value (then at least t + 1 of them are honest
 *   members' and the value is the one the client dealt); otherwise it fails
 *   alone and nobody is named for it. Without this, t + 1 remaining shares
 *   with one liar among them would open to a value of the liar's choice.
 *
 * Shares off the decoded polynomial are blamed on the member that sent them,
 * as in every round. The committee member checks each client share against
 * the client's signed Pedersen commitments before the evaluation and declares
 * one that fails (see `committee/vss.ts`), so an undeclared share lies on the
 * committed polynomial and a correction of it is the sender's lie, not the
 * client's (a member can still avoid blame by declaring a share it could have
 * used, which only withholds that share).
 */
export async function openInputs(
  ctx: MpcContext,
  at: RoundAddress,
  round: number,
  shares: readonly bigint[],
  declared: readonly boolean[],
  suspects: Set<number>,
): Promise<InputOpening> {
  const L = shares.length;
  const blocks = Math.ceil(L / DECLARATION_BITS_PER_BLOCK);
  const declaring = declared.some((d) => d);
  const outgoing = declaring ? concatBytes(packElements(shares), packDeclarations(declared, blocks)) : shares;
  const received = await broadcastRound(ctx, at, round, outgoing, suspects);
  const columns: (readonly bigint[] | undefined)[] = new Array(ctx.members.length);
  const erased: (ReadonlySet<number> | undefined)[] = new Array(ctx.members.length);
  const fresh: number[] = [];
  let erasures = declaring;
  for (let j = 0; j < ctx.members.length; j++) {
    if (j === ctx.self) {
      columns[j] = shares;
      if (declaring) erased[j] = new Set(declared.flatMap((d, m) => (d ? [m] : [])));
      continue;
    }
    if (suspects.has(j)) continue;
    const bytes = received[j];
    let vector: bigint[] | undefined;
    if (bytes !== null && bytes !== undefined) {
      if (bytes.length === L * ELEMENT_BYTES) vector = unpackElements(bytes, L, ctx.p);
      else if (bytes.length === (L + blocks) * ELEMENT_BYTES) {
        const set = readDeclarations(bytes.subarray(L * ELEMENT_BYTES), L);
        if (set !== undefined) {
          vector = unpackElements(bytes.subarray(0, L * ELEMENT_BYTES), L, ctx.p);
          erased[j] = set;
          if (set.size > 0) erasures = true;
        }
      }
    }
    if (vector === undefined) {
      fresh.push(j);
      if (bytes !== null && bytes !== undefined) at.inbox.reject(j);
    }
    columns[j] = vector;
  }
  let firstError: ThresholdError | undefined;
  if (!erasures) {
    // the common case: everything at once, exactly as in the later rounds
    try {
      const result = ctx.opener.openManyWithCulprits(columns, L);
      for (const x of result.culprits) fresh.push(indexOfPoint(ctx, x));
      addSuspects(ctx, at, round, suspects, fresh);
      return { values: result.values, failed: [] };
    } catch (error) {
      if (!(error instanceof ThresholdError)) throw error;
      firstError = error;
    }
  }
  // element by element, declared shares missing: one client's undecodable input fails alone
  const values = new Array<bigint>(L);
  const failed: number[] = [];
  const blamed = new Set<number>();
  const agreeing = 2 * ctx.degree + 1;
  for (let m = 0; m < L; m++) {
    let present = 0;
    let erasedHere = false;
    const ys = columns.map((column, j) => {
      if (erased[j]?.has(m) === true) erasedHere = true;
      else if (column !== undefined) present += 1;
      return column === undefined || erased[j]?.has(m) === true ? undefined : column[m];
    });
    try {
      const result = ctx.opener.openWithCulprits(ys);
      // A client removes shares of honest members at will (declared shares), so the correction bound of what is left
      // no longer counts only members: t + 1 shares, one of them a liar's, would open to a value of the liar's choice.
      // With erasures, a value is taken only when at least 2t + 1 shares agree with it (then t + 1 of them are
      // honest, so it is the client's committed value); otherwise the input fails alone and nobody is named for it.
      if (erasedHere && present - result.culprits.length < agreeing) {
        firstError ??= new ThresholdError('THRESHOLD_INCONSISTENT_SHARES', `Fewer than ${agreeing} shares agree on an input with declared shares.`, { meta: { have: present, need: agreeing } });
        failed.push(m);
        values[m] = 0n;
        continue;
      }
      values[m] = result.value;
      for (const x of result.culprits) blamed.add(indexOfPoint(ctx, x));
    } catch (error) {
      if (!(error instanceof ThresholdError)) throw error;
      firstError ??= error;
      failed.push(m);
      values[m] = 0n;
    }
  }
  if (failed.length === L) throw openingFailed(ctx, at, round, firstError as ThresholdError, suspects, [...fresh, ...blamed]);
  if (failed.length > 0) ctx.logger.warn('mpc inputs that cannot be decoded fail alone', { session: at.inbox.id, round, failed: failed.length, of: L });
  addSuspects(ctx, at, round, suspects, [...fresh, ...blamed]);
  return { values, failed };
}

/** The typed error of an opening that cannot be decoded, naming every member blamed so far (logged). */
function openingFailed(ctx: MpcContext, at: RoundAddress, round: number, error: ThresholdError, suspects: ReadonlySet<number>, fresh: readonly number[]): ThresholdError {
  const blamed = new Set([...suspects, ...fresh]);
  for (const x of error.culprits) if (typeof x === 'bigint') blamed.add(indexOfPoint(ctx, x));
  const culprits = [...blamed].sort((a, b) => a - b).map((i) => ctx.members[i] as PeerId);
  ctx.logger.error('mpc opening failed', { session: at.inbox.id, round, culprits });
  return new ThresholdError(error.code, `Opening in round ${round} failed: the shares cannot be decoded.`, {
    cause: error,
    culprits,
    meta: { session: at.inbox.id, round },
  });
}

/** Adds the members newly caught in a round to `suspects` (logged once). */
function addSuspects(ctx: MpcContext, at: RoundAddress, round: number, suspects: Set<number>, fresh: readonly number[]): void {
  const added = [...new Set(fresh)].filter((j) => !suspects.has(j));
  if (added.length > 0) {
    for (const j of added) suspects.add(j);
    ctx.logger.warn('mpc wrong opening shares', { session: at.inbox.id, round, culprits: added.map((j) => ctx.members[j]) });
  }
}

/** The declaration bitmap of {@link openInputs}. */
function packDeclarations(declared: readonly boolean[], blocks: number): Uint8Array {
  const out = new Uint8Array(blocks * ELEMENT_BYTES);
  declared.forEach((d, m) => {
    if (d) out[m >> 3] = (out[m >> 3] as number) | (1 << (m & 7));
  });
  return out;
}

/** Reads a declaration bitmap of `count` inputs; `undefined` when a bit past `count` is set. */
function readDeclarations(bytes: Uint8Array, count: number): Set<number> | undefined {
  const out = new Set<number>();
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 0) continue;
    for (let b = 0; b < 8; b++) {
      if ((byte & (1 << b)) === 0) continue;
      const m = i * 8 + b;
      if (m >= count) return undefined;
      out.add(m);
    }
  }
  return out;
}

function indexOfPoint(ctx: MpcContext, x: bigint): number {
  return ctx.points.indexOf(x);
}
