/**
 * The MPC engine: a committee member's endpoint for evaluating the threshold
 * MiMC PRF `MiMC_k(x + d)` on Shamir-shared `k` and `x`.
 * @module
 */
import { isBytes, silentLogger, type Clock, type CryptoProvider, type Logger, type PeerId, type Random, type Transport } from '@admitone/core';
import { createOpener, lagrangeCoefficients, memberPoints, signedRepresentatives } from '@admitone/core/threshold';
import { BN254_FR, MIMC7_ROUNDS } from '../mimc/mimc7.js';
import { MpcError } from './errors.js';
import { createInbox, type DropCounts } from './inbox.js';
import { evaluateMimcOnline, type MimcEvaluation, type MimcInput } from './online.js';
import { createTuplePool, type PoolStats } from './pool.js';
import { preprocessChunk } from './preprocess.js';
import { bufferedRandom } from './random.js';
import type { MpcContext } from './round.js';
import type { TranscriptKeys } from './transcript.js';
import { ELEMENT_BYTES, MAX_SESSION_ID_BYTES } from './wire.js';

/** Options of {@link createMpcEngine}. */
export interface MpcEngineOptions {
  /**
   * Authenticated messaging among the committee; `transport.members` is the
   * committee, and each member holds its shares at its point from
   * `memberPoints(transport.members)` (core/threshold: the 1-based rank of
   * its peer id in sorted order). Preprocessing messages carry secret shares: when the transport
   * is not confidential, wrap it with `secureTransport` from
   * `@admitone/core/threshold` (an in-memory network is confidential).
   */
  readonly transport: Transport;
  /** The sharing degree t (≥ 1); the committee needs n ≥ 3t + 1 members. */
  readonly degree: number;
  /** Randomness for dealings (use a secure source in production). */
  readonly random: Random;
  /** Time source for round timeouts. */
  readonly clock: Clock;
  /** Logger (default: silent). Records never contain shares, keys or inputs. */
  readonly logger?: Logger;
  /** How long a round waits for the other members before failing (default {@link DEFAULT_MPC_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** Cap on bytes held for rounds/sessions this member has not reached yet (default 64 MiB). */
  readonly maxBufferedBytes?: number;
  /** Largest preprocessing chunk, in tuples (default 4096; also bounded by the transport's message size). */
  readonly maxTuplesPerChunk?: number;
  /**
   * Verify every power tuple by sacrificing another (default `true`). With it,
   * a member that corrupts its preprocessing dealings or re-sharings makes the
   * batch fail (`THRESHOLD_INCONSISTENT_SHARES`) instead of yielding tuples
   * that give wrong outputs; it costs about twice the preprocessing work and
   * four more message rounds per chunk. Turn it off only when every member is
   * trusted to follow the protocol (semi-honest). Every member of a committee
   * must use the same setting.
   */
  readonly verifyTuples?: boolean;
  /**
   * Ed25519 keys for signed preprocessing transcripts. With them (and
   * `verifyTuples`), every preprocessing message is signed and checked on
   * receipt, and when a chunk's tuple check fails the members reveal that
   * chunk's transcript and replay it, so the member that cheated is named in
   * the error's `culprits` (only members proven to have deviated are named).
   * They also close the gap the check alone leaves: a wrong share dealt to a
   * single honest member that feeds nobody else keeps the tuples right, so
   * the check passes and robust openings would suspect that honest member
   * ever after. With signing, that member notices its own share is off what
   * a check opening decodes to and raises an alarm; the members agree on
   * alarms (t + 1 more message rounds per chunk, empty when nobody raises
   * one), discard the chunk, and the replay names the dealer — or, when it
   * shows no deviation, the members that raised a false alarm
   * (`meta.falseAlarm`). Without signing keys a failed check is detected
   * but its author stays unknown, and that framing goes undetected. It costs
   * about 18 signatures and 24 verifications per member per chunk. Every
   * member of a committee must configure it, or none.
   */
  readonly signing?: MpcSigning;
}

/** Keys for signed preprocessing transcripts ({@link MpcEngineOptions.signing}). */
export interface MpcSigning {
  /** The Ed25519 provider that signs and verifies. */
  readonly crypto: CryptoProvider;
  /** This member's 32-byte Ed25519 secret key. */
  readonly secretKey: Uint8Array;
  /** Every member's 32-byte Ed25519 public key, by peer id (this member's included). */
  readonly publicKeys: ReadonlyMap<PeerId, Uint8Array>;
}

/** Counters for monitoring an engine. */
export interface MpcEngineStats {
  /** Dropped inbound messages, by reason. */
  readonly dropped: DropCounts;
  /** Bytes buffered for later rounds or sessions. */
  readonly bufferedBytes: number;
  /** The tuple pool. */
  readonly tuples: PoolStats;
}

/**
 * One committee member's MPC engine. Every member must issue the *same
 * sequence* of {@link MpcEngine.preprocess} and {@link MpcEngine.evaluateMimc}
 * calls (same ids, counts and batch sizes, in the same order): tuples are
 * numbered by `preprocess` call order and each evaluation claims the next
 * `91 · inputs.length` of them when it is called. Members that diverge detect
 * it (their messages carry a context digest) and the evaluation fails rather
 * than producing a wrong output.
 */
export interface MpcEngine {
  /** This member's peer id. */
  readonly localId: PeerId;
  /** The committee (`transport.members`). */
  readonly members: readonly PeerId[];
  /** The sharing degree t. */
  readonly degree: number;
  /**
   * Prepares `count` power tuples (8 message rounds per chunk of up to
   * `maxTuplesPerChunk`, 8 + t + 1 with `signing`, 4 without `verifyTuples`) and adds them to the pool. `batchId` (1–64 bytes)
   * must never be reused on this engine (`MPC_SESSION_REUSED`). Rejects with a `ThresholdError`
   * (`THRESHOLD_TIMEOUT` naming silent members, `THRESHOLD_PROTOCOL` naming
   * senders of unusable messages, `THRESHOLD_INCONSISTENT_SHARES` when the
   * tuple check fails) or `MPC_CLOSED`; the batch's tuples are then unusable.
   */
  preprocess(batchId: Uint8Array, count: number): Promise<void>;
  /**
   * Tuples not yet claimed by an evaluation: ready, still being prepared, or
   * from a failed batch (an evaluation claiming those fails with
   * `MPC_PREPROCESSING_FAILED`; see {@link MpcEngine.discardUnclaimed}).
   */
  available(): number;
  /**
   * Skips every unclaimed tuple (ready, in preparation or failed) and returns
   * how many. Like every pool operation it must happen at the same point of
   * the call sequence on every member — typically right after a
   * `preprocess` that failed everywhere, so later evaluations do not claim
   * the failed batch.
   */
  discardUnclaimed(): number;
  /**
   * Evaluates `MiMC_k(x + d mod p)` for every input: `inputs[i].x` is this
   * member's share of a secret `x`, `inputs[i].d` a public domain value,
   * `keyShare` this member's share of `k` (all at this member's point, degree
   * t). Claims `91 · inputs.length` tuples synchronously (throws
   * `MPC_NOT_ENOUGH_TUPLES` when fewer are available) and takes 92 message
   * rounds. `sessionId` (1–64 bytes) must never be reused on this engine
   * (`MPC_SESSION_REUSED`; reuse is detected among the last 4096 sessions).
   *
   * Wrong opening shares from up to ⌊(n − t − 1)/2⌋ members are corrected and
   * their senders reported in `suspects`; beyond that the call rejects with a
   * `ThresholdError` `THRESHOLD_INCONSISTENT_SHARES` whose culprits are the
   * members identified so far (never a wrong output). A silent member makes
   * it reject with `THRESHOLD_TIMEOUT` naming it.
   *
   * The secret inputs come from clients, who may deal them badly: an input
   * this member could not read, or whose share fails the client's
   * commitments, is passed with `declared: true` (treated as a missing share
   * of that input, not blamed on this member), and an input whose sharing
   * cannot be decoded fails alone — it is listed in the result's `failed` — as
   * long as some other input of the call decodes. An input with declared
   * shares opens only when at least 2t + 1 of its other shares agree, so that
   * a client that gets honest members to declare cannot leave a lying member
   * the last word.
   */
  evaluateMimc(sessionId: Uint8Array, inputs: readonly MimcInput[], keyShare: bigint): Promise<MimcEvaluation>;
  /** Monitoring counters. */
  stats(): MpcEngineStats;
  /**
   * Stops the engine: unsubscribes from the transport (which stays open; the
   * caller owns it) and fails pending rounds with `MPC_CLOSED`. Idempotent.
   */
  close(): void;
}

/** Default {@link MpcEngineOptions.timeoutMs}: 10 s. */
export const DEFAULT_MPC_TIMEOUT_MS = 10_000;

/**
 * Creates a member's MPC engine over BN254 Fr.
 *
 * Security model:
 * - privacy: every value opened during an evaluation is masked by a fresh,
 *   uniformly random tuple, so up to t colluding members learn only the
 *   outputs (which all members learn);
 * - online robustness: openings are error-correcting (n ≥ 3t + 1,
 *   Berlekamp–Welch), so up to ⌊(n − t − 1)/2⌋ members sending wrong opening
 *   shares (t at n = 3t + 1) cannot change an output, and they are named;
 * - preprocessing: every tuple is verified by sacrificing another
 *   (`verifyTuples`, on by default), so a member adding errors to its
 *   dealings or re-sharings makes the batch fail with
 *   `THRESHOLD_INCONSISTENT_SHARES` rather than corrupt an output. The check
 *   detects; with `signing` the members then reveal the failed chunk's
 *   signed transcript and replay it, and the member that deviated is named
 *   in the error's `culprits` (only members proven to have deviated, or
 *   that refuse to reveal, are named). A member dealt a wrong share that
 *   leaves the tuples right raises an alarm that every member agrees on, so
 *   the chunk is discarded and its dealer named, instead of the victim
 *   being suspected in every later evaluation. Without `signing` such a
 *   batch aborts without a culprit unless one was caught lying in the
 *   check's own (robust) openings, and that victim is suspected. With
 *   `verifyTuples: false` preprocessing is secure against semi-honest
 *   members only, and a corrupted tuple gives a wrong output.
 *
 * @example
 * ```ts
 * const engine = createMpcEngine({ transport, degree: 1, random: systemRandom(), clock: systemClock() });
 * await engine.preprocess(utf8ToBytes('pre-1'), 91);
 * const { outputs, suspects } = await engine.evaluateMimc(utf8ToBytes('eval-1'), [{ x: myShareOfX, d }], myKeyShare);
 * ```
 */
export function createMpcEngine(options: MpcEngineOptions): MpcEngine {
  const { transport, degree, random, clock } = readOptions(options);
  const members = transport.members;
  const self = members.indexOf(transport.localId);
  const F = BN254_FR;
  const pointOf = memberPoints(members);
  const points = members.map((m) => pointOf.get(m) as bigint);
  const resharers = members.map((_, j) => j).filter((j) => (points[j] as bigint) <= BigInt(2 * degree + 1));
  const timeoutMs = options.timeoutMs ?? DEFAULT_MPC_TIMEOUT_MS;
  const maxMessageBytes = transport.capabilities.maxMessageBytes;
  const verifyTuples = options.verifyTuples ?? true;
  // the largest message carries three products per tuple made (twice the tuples kept when verifying)
  const elementsPerTuple = verifyTuples ? 6 : 3;
  const maxChunk = Math.max(1, Math.min(options.maxTuplesPerChunk ?? 4096, Math.floor((maxMessageBytes - MESSAGE_OVERHEAD) / (elementsPerTuple * ELEMENT_BYTES))));
  // the first opening may carry a declaration bitmap after the elements: one 32-byte block per 256 inputs
  const capacity = Math.floor((maxMessageBytes - MESSAGE_OVERHEAD) / ELEMENT_BYTES);
  const maxBatch = capacity - Math.ceil(capacity / 257);
  const logger = (options.logger ?? silentLogger()).child({ component: 'mpc', member: transport.localId });
  const inbox = createInbox({ transport, clock, logger, timeoutMs, maxBufferedBytes: options.maxBufferedBytes ?? 64 * 1024 * 1024 });
  const pool = createTuplePool();
  const ctx: MpcContext = {
    F,
    p: F.ORDER,
    members,
    points,
    self,
    degree,
    resharers,
    reduceWeights: signedRepresentatives(F, lagrangeCoefficients(F, resharers.map((j) => points[j] as bigint), 0n)),
    opener: createOpener(F, points, degree),
    transport,
    inbox,
    random: bufferedRandom(random),
    logger,
    ...(options.signing === undefined ? {} : { signing: readSigning(options.signing, members) }),
  };
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new MpcError('MPC_CLOSED', 'The MPC engine is closed.');
  };

  return {
    localId: transport.localId,
    members,
    degree,
    async preprocess(batchId, count) {
      checkSessionId(batchId, 'batchId');
      if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${String(count)}`);
      ensureOpen();
      const id = batchId.slice();
      const session = inbox.open('pre', id);
      const slot = pool.add(count);
      logger.debug('mpc preprocessing started', { batch: session.id, count });
      try {
        const parts: (readonly bigint[])[][] = [];
        for (let chunk = 0, done = 0; done < count; chunk++) {
          const size = Math.min(maxChunk, count - done);
          parts.push((await preprocessChunk(ctx, { phase: 'pre', session: id, inbox: session }, chunk, size, verifyTuples)) as (readonly bigint[])[]);
          done += size;
        }
        slot.fill(parts.length === 1 ? (parts[0] as bigint[][]) : concatPowers(parts));
        logger.debug('mpc preprocessing done', { batch: session.id, count });
      } catch (error) {
        slot.fail(error);
        throw error;
      } finally {
        session.finish();
      }
    },
    available: () => pool.unclaimed(),
    discardUnclaimed: () => pool.discardUnclaimed(),
    async evaluateMimc(sessionId, inputs, keyShare) {
      checkSessionId(sessionId, 'sessionId');
      checkInputs(inputs, keyShare, maxBatch, F.ORDER);
      ensureOpen();
      const needed = MIMC7_ROUNDS * inputs.length;
      if (pool.unclaimed() < needed) pool.claim(needed); // throws MPC_NOT_ENOUGH_TUPLES without burning the session id
      const id = sessionId.slice();
      const session = inbox.open('eval', id);
      const claim = pool.claim(needed);
      try {
        let powers: Awaited<ReturnType<typeof claim.take>>;
        try {
          powers = await claim.take();
        } catch (error) {
          ensureOpen(); // a batch failing because the engine closed is reported as MPC_CLOSED
          throw error;
        }
        ensureOpen();
        logger.debug('mpc evaluation started', { session: session.id, inputs: inputs.length, tuples: claim.start });
        const result = await evaluateMimcOnline(ctx, { phase: 'eval', session: id, inbox: session }, claim.position, inputs, keyShare, powers);
        logger.debug('mpc evaluation done', { session: session.id, suspects: result.suspects });
        return result;
      } finally {
        session.finish();
      }
    },
    stats: () => ({ dropped: inbox.drops(), bufferedBytes: inbox.bufferedBytes(), tuples: pool.stats() }),
    close() {
      if (closed) return;
      closed = true;
      inbox.close();
    },
  };

  function readOptions(o: MpcEngineOptions): { transport: Transport; degree: number; random: Random; clock: Clock } {
    if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
    const t = o.transport;
    if (typeof t !== 'object' || t === null || typeof t.onMessage !== 'function' || !Array.isArray(t.members)) {
      throw new TypeError('options.transport must be a Transport');
    }
    if (!t.members.includes(t.localId)) throw new RangeError('options.transport.members must include localId');
    const d = o.degree;
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1) throw new RangeError(`options.degree must be an integer ≥ 1, got ${String(d)}`);
    if (t.members.length < 3 * d + 1) {
      throw new RangeError(`options.degree ${d} needs at least 3·degree + 1 = ${3 * d + 1} members, the transport has ${t.members.length}`);
    }
    if (typeof o.random?.bytes !== 'function') throw new TypeError('options.random must be a Random');
    if (typeof o.clock?.setTimeout !== 'function') throw new TypeError('options.clock must be a Clock');
    if (o.timeoutMs !== undefined && !(typeof o.timeoutMs === 'number' && o.timeoutMs > 0 && Number.isFinite(o.timeoutMs))) {
      throw new RangeError(`options.timeoutMs must be a positive number, got ${String(o.timeoutMs)}`);
    }
    if (o.maxTuplesPerChunk !== undefined && !(Number.isSafeInteger(o.maxTuplesPerChunk) && o.maxTuplesPerChunk >= 1)) {
      throw new RangeError(`options.maxTuplesPerChunk must be a positive integer, got ${String(o.maxTuplesPerChunk)}`);
    }
    if (o.verifyTuples !== undefined && typeof o.verifyTuples !== 'boolean') throw new TypeError('options.verifyTuples must be a boolean');
    if (o.maxBufferedBytes !== undefined && !(Number.isSafeInteger(o.maxBufferedBytes) && o.maxBufferedBytes >= 0)) {
      throw new RangeError(`options.maxBufferedBytes must be a non-negative integer, got ${String(o.maxBufferedBytes)}`);
    }
    return { transport: t, degree: d, random: o.random, clock: o.clock };
  }
}

// ---------------------------------------------------------------------------

/** Bytes reserved for a message's envelope beyond its elements. */
const MESSAGE_OVERHEAD = 256;

function readSigning(signing: MpcSigning, members: readonly PeerId[]): TranscriptKeys {
  if (typeof signing !== 'object' || signing === null) throw new TypeError('options.signing must be an object');
  if (typeof signing.crypto?.sign !== 'function' || typeof signing.crypto.verify !== 'function') throw new TypeError('options.signing.crypto must be a CryptoProvider');
  if (!isBytes(signing.secretKey) || signing.secretKey.length !== 32) throw new TypeError('options.signing.secretKey must be a 32-byte Uint8Array');
  if (!(signing.publicKeys instanceof Map)) throw new TypeError('options.signing.publicKeys must be a Map from peer id to public key');
  const publicKeys = members.map((id) => {
    const key = signing.publicKeys.get(id);
    if (!isBytes(key) || key.length !== 32) throw new RangeError(`options.signing.publicKeys must hold a 32-byte key for member ${JSON.stringify(id)}`);
    return key.slice();
  });
  return { crypto: signing.crypto, secretKey: signing.secretKey.slice(), publicKeys };
}

function checkSessionId(id: unknown, name: string): void {
  if (!isBytes(id)) throw new TypeError(`${name} must be a Uint8Array`);
  if (id.length === 0 || id.length > MAX_SESSION_ID_BYTES) throw new RangeError(`${name} must be 1–${MAX_SESSION_ID_BYTES} bytes, got ${id.length}`);
}

function checkInputs(inputs: unknown, keyShare: unknown, maxBatch: number, order: bigint): void {
  if (!Array.isArray(inputs)) throw new TypeError('inputs must be an array of { x, d }');
  if (inputs.length === 0 || inputs.length > maxBatch) throw new RangeError(`inputs must hold 1–${maxBatch} entries, got ${inputs.length}`);
  inputs.forEach((input: unknown, i) => {
    if (typeof input !== 'object' || input === null) throw new TypeError(`inputs[${i}] must be an object { x, d }`);
    const { x, d, declared } = input as { x?: unknown; d?: unknown; declared?: unknown };
    checkElement(x, `inputs[${i}].x`, order);
    checkElement(d, `inputs[${i}].d`, order);
    if (declared !== undefined && typeof declared !== 'boolean') throw new TypeError(`inputs[${i}].declared must be a boolean`);
  });
  checkElement(keyShare, 'keyShare', order);
}

function checkElement(value: unknown, name: string, order: bigint): void {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint`);
  if (value < 0n || value >= order) throw new RangeError(`${name} must be a field element in [0, p)`);
}

function concatPowers(parts: readonly (readonly (readonly bigint[])[])[]): bigint[][] {
  return Array.from({ length: 7 }, (_, j) => parts.flatMap((part) => part[j] as readonly bigint[]));
}
