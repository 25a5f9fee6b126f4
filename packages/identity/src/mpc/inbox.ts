/**
 * Routing of engine messages to (session, round), with buffering of early
 * messages, counted drops and per-round timeouts.
 *
 * A member can be at most one round ahead of the slowest member (finishing a
 * round needs everyone's message for it), so for a session the engine has
 * open at round `R` only messages for rounds `R` and `R + 1` are accepted,
 * and for a session it has not opened yet only round-0 messages. Everything
 * else is dropped and counted, never thrown: a malicious or broken peer
 * cannot crash the engine, only get itself named as a culprit.
 * @module
 */
import { bytesToHex, equalBytes, type Clock, type Logger, type PeerId, type TimerHandle, type Transport } from '@admitone/core';
import { ThresholdError } from '@admitone/core/threshold';
import { MpcError } from './errors.js';
import { decodeMpcMessage, type MpcMessage, type MpcPhase } from './wire.js';

/** Why an inbound message was dropped. */
export type DropReason =
  /** Not decodable, or not a well-formed engine message. */
  | 'malformed'
  /** The sender is not a member (or is this member itself). */
  | 'unknownSender'
  /** A second message from the same sender for the same (session, round). */
  | 'duplicate'
  /** For a session that already ended, or a round already completed. */
  | 'stale'
  /** For a round the sender cannot legitimately have reached yet. */
  | 'unexpectedRound'
  /** The sender's context digest differs from ours (it disagrees about the session). */
  | 'context'
  /** The buffer for early messages is full. */
  | 'overflow';

/** Counters of dropped messages, by reason. */
export type DropCounts = Record<DropReason, number>;

/**
 * What one round delivered, indexed by member: the sender's packed elements,
 * `null` when it sent a message we could not use (wrong context), and
 * `undefined` for this member's own slot.
 */
export type RoundInputs = readonly (Uint8Array | null | undefined)[];

/** What one round delivered: the elements ({@link RoundInputs}) and, parallel to them, each sender's signature if it sent one. */
export interface RoundMessages {
  readonly elements: RoundInputs;
  readonly signatures: readonly (Uint8Array | undefined)[];
}

/** Options of {@link createInbox}. */
export interface InboxInit {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a round waits for the other members. */
  readonly timeoutMs: number;
  /** Cap on the bytes of early messages held for later rounds or sessions. */
  readonly maxBufferedBytes: number;
}

/** One session's view of the inbox. */
export interface SessionInbox {
  /** Hex of the session id (for logs and error meta). */
  readonly id: string;
  /**
   * Waits for every other member's message of `round` (which must be greater
   * than every round collected before), except the members in `skip` (whose
   * messages are ignored: their slots stay `undefined`). Messages whose
   * context digest is not `context` count as answered but unusable (`null`).
   * Rejects with a `ThresholdError` `THRESHOLD_TIMEOUT` naming the silent
   * members, or `MPC_CLOSED`. Call it *before* sending this round's own
   * message.
   */
  collect(round: number, context: Uint8Array, skip?: ReadonlySet<number>): Promise<RoundMessages>;
  /**
   * Counts a delivered message as dropped (`malformed`) after the protocol
   * found its contents unusable (wrong vector length, out-of-field element).
   */
  reject(member: number): void;
  /** Ends the session: cancels its timer, frees its buffers; later messages for it are stale. */
  finish(): void;
}

/** The engine's inbox. */
export interface Inbox {
  /**
   * Opens a session; throws `MPC_SESSION_REUSED` when it is open or among the
   * last 4096 ended sessions.
   */
  open(phase: MpcPhase, session: Uint8Array): SessionInbox;
  /** Drop counters so far. */
  drops(): DropCounts;
  /** Bytes currently buffered for later rounds or sessions. */
  bufferedBytes(): number;
  /** Unsubscribes from the transport and rejects every pending round with `MPC_CLOSED`. */
  close(): void;
}

/** Creates the inbox and subscribes it to `init.transport`. */
export function createInbox(init: InboxInit): Inbox {
  const { transport, clock, logger, timeoutMs, maxBufferedBytes } = init;
  const members = transport.members;
  const self = members.indexOf(transport.localId);
  const indexOf = new Map<PeerId, number>(members.map((m, i) => [m, i]));
  const maxBytes = transport.capabilities.maxMessageBytes;

  const drops: DropCounts = { malformed: 0, unknownSender: 0, duplicate: 0, stale: 0, unexpectedRound: 0, context: 0, overflow: 0 };
  const sessions = new Map<string, SessionState>();
  /** Round-0 messages for sessions not opened yet. */
  const pending = new Map<string, Map<number, MpcMessage>>();
  const finished = new Set<string>();
  let buffered = 0;
  let closed = false;

  const drop = (reason: DropReason, from: PeerId): void => {
    drops[reason]++;
    logger.debug('mpc message dropped', { reason, from });
  };

  const deliver = (state: SessionState, waiter: Waiter, index: number, message: MpcMessage): void => {
    if (waiter.skip.has(index)) return;
    if (waiter.inputs[index] !== undefined) return drop('duplicate', members[index] as PeerId);
    if (equalBytes(message.context, waiter.context)) {
      waiter.inputs[index] = message.elements;
      waiter.signatures[index] = message.signature;
    } else {
      waiter.inputs[index] = null;
      drop('context', members[index] as PeerId);
      logger.warn('mpc peer disagrees about the session', { session: state.id, round: waiter.round, from: members[index] });
    }
    waiter.missing--;
    if (waiter.missing === 0) settle(state, waiter);
  };

  const settle = (state: SessionState, waiter: Waiter, error?: unknown): void => {
    waiter.timer.cancel();
    if (state.waiter === waiter) state.waiter = undefined;
    if (error === undefined) waiter.resolve({ elements: waiter.inputs, signatures: waiter.signatures });
    else waiter.reject(error);
  };

  const buffer = (target: Map<number, MpcMessage>, index: number, message: MpcMessage, from: PeerId): void => {
    if (target.has(index)) return drop('duplicate', from);
    if (buffered + cost(message) > maxBufferedBytes) return drop('overflow', from);
    buffered += cost(message);
    target.set(index, message);
  };

  const release = (messages: Iterable<MpcMessage>): void => {
    for (const m of messages) buffered -= cost(m);
  };

  /** Forgets the oldest not-yet-opened session's buffered messages (counted as overflow). */
  const evictOldestPending = (): void => {
    const oldest = pending.keys().next();
    if (oldest.done === true) return;
    const msgs = pending.get(oldest.value) as Map<number, MpcMessage>;
    pending.delete(oldest.value);
    release(msgs.values());
    drops.overflow += msgs.size;
  };

  const onMessage = ({ from, bytes }: { from: PeerId; bytes: Uint8Array }): void => {
    if (closed) return;
    const index = indexOf.get(from);
    if (index === undefined || index === self) return drop('unknownSender', from);
    let message: MpcMessage;
    try {
      message = decodeMpcMessage(bytes, maxBytes);
    } catch {
      return drop('malformed', from);
    }
    const key = sessionKey(message.phase, message.session);
    if (finished.has(key)) return drop('stale', from);
    const state = sessions.get(key);
    if (state === undefined) {
      if (message.round !== 0) return drop('unexpectedRound', from);
      let early = pending.get(key);
      if (early === undefined) {
        if (pending.size >= MAX_PENDING_SESSIONS) evictOldestPending();
        early = new Map();
        pending.set(key, early);
      }
      return buffer(early, index, message, from);
    }
    if (message.round < state.round) return drop('stale', from);
    if (message.round > state.round + 1) return drop('unexpectedRound', from);
    const waiter = state.waiter;
    if (waiter !== undefined && waiter.round === message.round) return deliver(state, waiter, index, message);
    if (message.round === state.round) return drop('stale', from); // that round is already complete
    let early = state.early.get(message.round);
    if (early === undefined) {
      early = new Map();
      state.early.set(message.round, early);
    }
    buffer(early, index, message, from);
  };
  const unsubscribe = transport.onMessage(onMessage);

  return {
    open(phase, session) {
      if (closed) throw new MpcError('MPC_CLOSED', 'The MPC engine is closed.');
      const key = sessionKey(phase, session);
      if (finished.has(key) || sessions.has(key)) {
        throw new MpcError('MPC_SESSION_REUSED', `The ${phase} session id was used before on this engine.`, {
          meta: { phase, session: bytesToHex(session) },
        });
      }
      const state: SessionState = { id: bytesToHex(session), round: -1, early: new Map(), waiter: undefined };
      const early = pending.get(key);
      if (early !== undefined) {
        pending.delete(key);
        state.early.set(0, early);
      }
      sessions.set(key, state);
      return {
        id: state.id,
        collect(round, context, skip = NOBODY) {
          if (closed) return Promise.reject(new MpcError('MPC_CLOSED', 'The MPC engine is closed.'));
          if (sessions.get(key) !== state) return Promise.reject(new MpcError('MPC_CLOSED', 'The session has ended.'));
          if (!Number.isSafeInteger(round) || round <= state.round || state.waiter !== undefined) {
            throw new RangeError(`round must increase and rounds must not overlap (got ${round} after ${state.round})`);
          }
          // Messages for rounds we skipped are now stale.
          for (const [r, msgs] of state.early) {
            if (r < round) {
              release(msgs.values());
              state.early.delete(r);
            }
          }
          state.round = round;
          return new Promise<RoundMessages>((resolve, reject) => {
            const inputs: (Uint8Array | null | undefined)[] = new Array(members.length).fill(undefined);
            const waiter: Waiter = {
              round,
              context,
              skip,
              inputs,
              signatures: new Array(members.length).fill(undefined),
              missing: members.filter((_, i) => i !== self && !skip.has(i)).length,
              resolve,
              reject,
              timer: NO_TIMER,
            };
            state.waiter = waiter;
            waiter.timer = clock.setTimeout(() => {
              const silent = members.filter((_, i) => i !== self && !skip.has(i) && inputs[i] === undefined);
              logger.warn('mpc round timed out', { session: state.id, round, silent });
              settle(
                state,
                waiter,
                new ThresholdError('THRESHOLD_TIMEOUT', `No message from ${silent.length} member(s) within ${timeoutMs} ms.`, {
                  culprits: silent,
                  meta: { session: state.id, round, timeoutMs },
                }),
              );
            }, timeoutMs);
            const early = state.early.get(round);
            if (early !== undefined) {
              state.early.delete(round);
              release(early.values());
              for (const [index, message] of early) {
                if (state.waiter !== waiter) break;
                deliver(state, waiter, index, message);
              }
            }
            if (waiter.missing === 0 && state.waiter === waiter) settle(state, waiter);
          });
        },
        reject(member) {
          drop('malformed', members[member] ?? '?');
        },
        finish() {
          if (sessions.get(key) !== state) return;
          sessions.delete(key);
          finished.add(key);
          if (finished.size > MAX_FINISHED_SESSIONS) finished.delete(finished.values().next().value as string);
          for (const msgs of state.early.values()) release(msgs.values());
          state.early.clear();
          const waiter = state.waiter;
          if (waiter !== undefined) settle(state, waiter, new MpcError('MPC_CLOSED', 'The session has ended.'));
        },
      };
    },
    drops: () => ({ ...drops }),
    bufferedBytes: () => buffered,
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const state of sessions.values()) {
        const waiter = state.waiter;
        if (waiter !== undefined) settle(state, waiter, new MpcError('MPC_CLOSED', 'The MPC engine was closed.'));
        state.early.clear();
      }
      sessions.clear();
      pending.clear();
      buffered = 0;
    },
  };
}

// ---------------------------------------------------------------------------

interface Waiter {
  readonly round: number;
  readonly context: Uint8Array;
  readonly skip: ReadonlySet<number>;
  readonly inputs: (Uint8Array | null | undefined)[];
  readonly signatures: (Uint8Array | undefined)[];
  missing: number;
  readonly resolve: (messages: RoundMessages) => void;
  readonly reject: (error: unknown) => void;
  timer: TimerHandle;
}

interface SessionState {
  readonly id: string;
  /** The last round collected (−1 before the first). */
  round: number;
  /** Early messages by round, then by sender index. */
  readonly early: Map<number, Map<number, MpcMessage>>;
  waiter: Waiter | undefined;
}

const NO_TIMER: TimerHandle = { cancel() {} };
/** Ended sessions remembered (to drop their stragglers as stale and refuse id reuse); the oldest are forgotten. */
const MAX_FINISHED_SESSIONS = 4096;
/** Not-yet-opened sessions with buffered messages; beyond this the oldest session's messages are dropped. */
const MAX_PENDING_SESSIONS = 256;
const NOBODY: ReadonlySet<number> = new Set();

/** Bytes a buffered message is charged: its elements plus a fixed overhead, so empty messages are not free. */
function cost(message: MpcMessage): number {
  return message.elements.length + MESSAGE_OVERHEAD_BYTES;
}
const MESSAGE_OVERHEAD_BYTES = 128;

function sessionKey(phase: MpcPhase, session: Uint8Array): string {
  return `${phase}:${bytesToHex(session)}`;
}
