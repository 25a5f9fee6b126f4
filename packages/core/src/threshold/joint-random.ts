/**
 * Verifiable joint random sharing: every member deals Pedersen-verifiable
 * sharings (Pedersen VSS over BN254 G1, as in the first phase of the
 * Gennaro–Jarecki–Krawczyk–Rabin DKG) and each member sums the sharings of
 * the dealers that qualify, so the committee ends up with consistent
 * degree-`degree` sharings of values that no coalition of `degree` members
 * knows or can bias. With one value this is the dealerless PRF key over
 * BN254's scalar field.
 *
 * Rounds (wire format in `joint-random-wire.ts`; every message is a CBOR map
 * `{ p: 'admitone/jrs/v2', s: sessionId, r: round, ... }`; "broadcast" means
 * the same message to every member, which the transport does not enforce):
 * 1. each dealer i picks, per value, polynomials f, g of degree t (`f(0)` is
 *    its contribution) and sends each member j, in chunks that fit the
 *    transport, the commitments `C_k = a_k·G + b_k·H` to the coefficients
 *    (meant to be the same for everyone) and j's pair `(f(x_j), g(x_j))`.
 *    j checks `f(x_j)·G + g(x_j)·H == Σ_k x_j^k·C_k` (all values at once,
 *    with secret random 128-bit weights from `random`: {@link pedersenPairsMatch});
 * 2. each member broadcasts the digest of every dealer's commitments as it
 *    received them and the dealers whose pairs failed the check (its
 *    complaints). If all n reports show the same digests and no complaint,
 *    the run ends here: every dealer qualifies.
 *
 *    Otherwise, for dealer i, its *complainers* are the members that
 *    complained about it or report a digest other than i's own report:
 *    more than t complainers disqualify it (`equivocated` when more than t
 *    digests differ, else `too_many_complaints`), and it publishes nothing;
 * 3. every member broadcasts an answer: a dealer with 1…t complainers sends
 *    its commitments and each complainer's pair in the clear (what those
 *    complainers should have received); everyone else sends an empty
 *    answer. An answer that leaves out a complainer, has a pair that fails
 *    the check, or has commitments whose digest is not the dealer's round-2
 *    report disqualifies the dealer (`bad_answer`); otherwise each
 *    complainer adopts its pair and the answered commitments;
 * 4. each member broadcasts the digest of every member's round-2 report and
 *    round-3 answer as it saw them. When all n echoes equal its own, a member
 *    decides from data every other member also holds, so all decide alike;
 *    any difference aborts the run (`THRESHOLD_PROTOCOL` naming the member
 *    whose message differs; `meta.reportedBy` is the member whose echo
 *    showed it).
 *
 * QUAL is the dealers not disqualified; each member's share is
 * `Σ_{i ∈ QUAL} f_i(x_self)` and the result carries `Σ_{i ∈ QUAL} C_{i,k}`.
 * Fewer than `degree + 1` qualified dealers reject the run naming the
 * disqualified ones; otherwise disqualified dealers are in the result and in
 * a warn log.
 *
 * What it guarantees, with at most t = `degree` corrupted members:
 * - consistency: every member that finishes holds shares of the same
 *   degree-t polynomials, opened by the same `commitments` (binding: nobody
 *   knows log_G H). If a member finishes after round 2, none finishes after
 *   round 4, as that needs its round-3 message;
 * - secrecy and uniformity: the commitments are perfectly hiding, answers
 *   reveal only pairs the complainers hold anyway, and QUAL has at least
 *   t + 1 dealers, so at least one honest one whose uniform value nobody
 *   else learns anything about before QUAL is fixed;
 * - an honest dealer is never disqualified: only corrupted members complain
 *   about it or report other commitments (at most t), and it answers them
 *   correctly. The transport's authentication is not transferable, so
 *   anyone can lie about what it received; a lie only makes the dealer
 *   publish the liar's own pair. An honest dealer is disqualified only if
 *   more than t members lie about it, which is outside the threat model.
 *   With n ≥ 2t + 1 (the identity committee has n ≥ 3t + 1), the honest
 *   dealers alone fill QUAL.
 *
 * What it does not do: it is not robust to a member that stops or breaks
 * the message format. Every member takes part in every round it reaches: a
 * silent member makes the run time out (`THRESHOLD_TIMEOUT` naming it); a
 * malformed message, or two different copies of one, rejects the run at its
 * receiver (`THRESHOLD_PROTOCOL` naming the sender), and the others then
 * time out waiting for that receiver. A member that sends different round-2
 * reports to different members can make some members finish after round 2
 * while the rest time out in round 3 naming the members that finished (they
 * did nothing wrong), or make every member abort in round 4; it cannot make
 * two members finish with inconsistent shares. A dealer that sends no
 * round-3 message at all times the run out rather than being disqualified
 * by the clock: delivery times differ between members and would split
 * their decisions.
 *
 * Cost (pure-JS noble): a commitment costs two constant-time G1
 * multiplications (~1.2 ms; `count·(degree + 1)` per dealer); checking a
 * dealer's pairs costs two more (~1.2 ms) plus, for `count` > 1, one public
 * multi-scalar multiplication; deriving H and its table costs ~10 ms once per
 * process. Measured on a shared 2-core machine: n = 4, `degree` 1, `count` 1
 * takes 25–33 ms (median) for all four members in one thread, i.e. 6–8 ms
 * of computation per member, and ~100 ms for a process's first run (JIT
 * warm-up and H); `count` 10 takes 200–230 ms.
 *
 * Members must subscribe before peers' messages arrive: start the run on
 * every member before delivery can happen (the handler is registered
 * synchronously inside the call).
 * @module
 */
import { bn254_Fr } from '@noble/curves/bn254.js';
import { equalBytes } from '../bytes/index.js';
import type { Digest } from '../codec/hash.js';
import { readInt, type CborRecord } from '../codec/schema.js';
import { silentLogger } from '../env/logger.js';
import type { Clock, Logger, Random } from '../env/types.js';
import { ThresholdError } from '../errors/index.js';
import type { PeerId, Transport } from '../transport/types.js';
import { assertDegree, assertField, type PrimeField } from './field.js';
import {
  JOINT_RANDOM_PROTOCOL,
  answerDigest,
  answerMessage,
  commitmentsDigest,
  confirmationMessage,
  dealingMessage,
  messageCapacity,
  readAnswerChunk,
  readConfirmation,
  readDealingChunk,
  readReport,
  reportDigest,
  reportMessage,
  type Confirmation,
  type Report,
  type Shape,
} from './joint-random-wire.js';
import { emptyAnswer, emptyDealing, deal, judge, resolveAnswer, samePair, sameIndices, sameRows, ZERO_PAIR, type Answer, type Dealing, type Verdict } from './pedersen-vss.js';
import { G1_ZERO, encodePoint, type G1Point, type SharePair } from './pedersen.js';
import { pedersenPairsMatch } from './pedersen-batch.js';
import { broadcastOrLog, createRun, listenSession, memberPoints, protocolViolation, readSessionId, readTimeout, sendOrLog } from './session.js';

export { JOINT_RANDOM_PROTOCOL } from './joint-random-wire.js';

/** Bits of the random weights of the round-1 check: a dealing holding a wrong pair passes with probability at most 2^-128. */
const CHECK_WEIGHT_BITS = 128;

/** Options of {@link runJointRandomSharing} and {@link runVerifiableJointRandomSharing}. */
export interface JointRandomSharingOptions {
  /** The field of the values: must be `bn254_Fr` (the order of BN254 G1, where the commitments live). */
  readonly F: PrimeField;
  /** The committee's transport (authenticated and confidential, e.g. {@link secureTransport}); members' points come from {@link memberPoints}(`transport.members`). */
  readonly transport: Transport;
  /** Tags this run's messages; every member must use the same, and never reuse it. */
  readonly sessionId: string;
  /** Degree t of the sharings (any `degree + 1` members reconstruct; `degree` learn nothing; at most `degree` members may cheat). */
  readonly degree: number;
  /** How many joint random values to produce. */
  readonly count: number;
  /** Randomness for this member's dealings and its batch checks. */
  readonly random: Random;
  /** Give up after this long (on `clock`, for the whole run) with `THRESHOLD_TIMEOUT`. */
  readonly timeoutMs: number;
  /** The clock for the timeout. */
  readonly clock: Clock;
  /** Diagnostics (member ids, rounds and codes only). Default: silent. */
  readonly logger?: Logger;
  /**
   * Test hook: receives the `count` values this member dealt, **in the
   * clear**. Only for tests and audits of the protocol itself.
   */
  readonly onDealt?: (values: readonly bigint[]) => void;
}

/** Why a dealer was left out of a joint random sharing. */
export type DisqualificationReason =
  /** More than `degree` members report commitments other than the dealer's own report of them. */
  | 'equivocated'
  /** More than `degree` members complained about it or report other commitments. */
  | 'too_many_complaints'
  /** Its round-3 answer lacks a complainer's pair, has a pair off its commitments, or commitments that do not match its report. */
  | 'bad_answer';

/** A dealer left out of QUAL, and the members whose reports led to it. */
export interface DisqualifiedDealer {
  /** The dealer. */
  readonly member: PeerId;
  /** Why. */
  readonly reason: DisqualificationReason;
  /**
   * Its complainers: the members that complained or reported other
   * commitments. Their word is not transferable evidence; with at most
   * `degree` liars, though, an honest dealer is never disqualified.
   */
  readonly reportedBy: readonly PeerId[];
}

/** This member's result of {@link runVerifiableJointRandomSharing}. */
export interface JointRandomSharingResult {
  /** Per value, this member's share `Σ_{i ∈ QUAL} f_i(x_self)` (at its point from {@link memberPoints}). */
  readonly shares: bigint[];
  /** Per value, this member's blinding share `Σ_{i ∈ QUAL} g_i(x_self)`; with `shares` it opens `commitments`. */
  readonly blindingShares: bigint[];
  /**
   * `commitments[v][k]`: the sum over QUAL of the dealers' Pedersen
   * commitments to the k-th coefficients of value v (33-byte compressed
   * BN254 G1 points); check a share with {@link verifyPedersenShare}.
   */
  readonly commitments: Uint8Array[][];
  /** The dealers whose sharings are summed (QUAL), in member order. */
  readonly qualified: PeerId[];
  /** The dealers left out, in member order. */
  readonly disqualified: DisqualifiedDealer[];
}

/**
 * Runs one verifiable joint random sharing on this member and resolves with
 * its share of each of the `count` joint values: the `shares` of
 * {@link runVerifiableJointRandomSharing}, which documents the protocol and
 * its errors.
 *
 * @example
 * ```ts
 * const [keyShare] = await runJointRandomSharing({
 *   F: bn254_Fr, transport, sessionId: 'prf-key/2025-06', degree: 1, count: 1,
 *   random: systemRandom(), clock: systemClock(), timeoutMs: 10_000,
 * });
 * ```
 */
export function runJointRandomSharing(options: JointRandomSharingOptions): Promise<bigint[]> {
  return runVerifiableJointRandomSharing(options).then((result) => result.shares);
}

/**
 * Runs one verifiable joint random sharing (Pedersen VSS from every member;
 * see the module notes for rounds, guarantees and limits) and resolves with
 * this member's shares, blinding shares, the summed commitments, QUAL and
 * the disqualified dealers.
 *
 * Rejects with `THRESHOLD_TIMEOUT` naming the members whose round-r message
 * did not arrive in time (`meta.round`); with `THRESHOLD_PROTOCOL` naming a
 * member that sent a malformed message or two different copies of one, the
 * member whose round-2 report or round-3 answer differs between members
 * (`meta.reportedBy`: who saw it differ), or the disqualified dealers when
 * fewer than `degree + 1` qualify. Bad options (a field other than
 * `bn254_Fr`, degree ≥ members, negative count, empty session id,
 * non-positive timeout, a `maxMessageBytes` too small for one value) throw
 * `RangeError`/`TypeError` synchronously.
 *
 * @example
 * ```ts
 * const { shares, blindingShares, commitments, disqualified } = await runVerifiableJointRandomSharing({
 *   F: bn254_Fr, transport, sessionId: 'prf-key/2025-06', degree: 1, count: 1,
 *   random: systemRandom(), clock: systemClock(), timeoutMs: 10_000,
 * });
 * verifyPedersenShare(commitments[0], memberPoints(transport.members).get(transport.localId), shares[0], blindingShares[0]); // true
 * ```
 */
export function runVerifiableJointRandomSharing(options: JointRandomSharingOptions): Promise<JointRandomSharingResult> {
  const { F, transport, random, clock } = options;
  assertField(F);
  if (F.ORDER !== bn254_Fr.ORDER) throw new RangeError('F must be bn254_Fr: the commitments live in BN254 G1, whose order is that field');
  assertDegree(options.degree);
  const sessionId = readSessionId(options.sessionId);
  const timeoutMs = readTimeout(options.timeoutMs);
  const count = options.count;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${String(count)}`);
  const logger = options.logger ?? silentLogger();
  const points = memberPoints(transport.members);
  const members = [...points.keys()];
  const n = members.length;
  const t = options.degree;
  if (t + 1 > n) throw new RangeError(`degree must be below the number of members (${n}), got ${t}`);
  const self = transport.localId;
  if (!points.has(self)) throw new RangeError('transport.localId must be a member');
  const selfIndex = members.indexOf(self);
  const xs = members.map((id) => points.get(id) as bigint);
  const xSelf = xs[selfIndex] as bigint;
  const peers = members.filter((id) => id !== self);
  const shape: Shape = { n, count, degree: t, order: F.ORDER };
  const capacity = count > 0 && n > 1 ? messageCapacity(shape, sessionId, transport.capabilities.maxMessageBytes) : undefined;

  const mine = deal(F, count, t, xs, random);
  options.onDealt?.(mine.values.slice());
  mine.values.fill(0n);
  const myDigest = commitmentsDigest(sessionId, self, mine.commitments);
  if (capacity === undefined) {
    const column = mine.columns[selfIndex] as SharePair[];
    return Promise.resolve({
      shares: column.map((p) => p[0]),
      blindingShares: column.map((p) => p[1]),
      commitments: mine.commitments.map((row) => row.slice()),
      qualified: members,
      disqualified: [],
    });
  }

  // --- state -----------------------------------------------------------------
  const dealings = new Map<PeerId, Dealing>(peers.map((id) => [id, emptyDealing(count)]));
  const reports = new Map<PeerId, { report: Report; digest: Digest }>();
  const answers = new Map<PeerId, Answer>();
  const confirmations = new Map<PeerId, Confirmation>();
  let round: 1 | 2 | 3 | 4 = 1;
  let verdicts: Verdict[] | undefined;

  const run = createRun<JointRandomSharingResult>(
    clock,
    timeoutMs,
    () => {
      const waiting =
        round === 1
          ? peers.filter((id) => (dealings.get(id) as Dealing).missing > 0)
          : round === 2
            ? members.filter((id) => !reports.has(id))
            : round === 3
              ? members.filter((id) => answers.get(id)?.missing !== 0)
              : members.filter((id) => !confirmations.has(id));
      return new ThresholdError('THRESHOLD_TIMEOUT', `Joint random sharing timed out in round ${round} waiting for ${waiting.length} member(s).`, {
        culprits: waiting,
        meta: { protocol: JOINT_RANDOM_PROTOCOL, sessionId, round },
      });
    },
    () => {
      unsubscribe();
      for (const column of mine.columns) column.fill(ZERO_PAIR);
      for (const d of dealings.values()) d.pairs.fill(undefined);
    },
  );
  const violation = (from: PeerId, what: string, cause?: unknown): void => run.reject(protocolViolation(JOINT_RANDOM_PROTOCOL, from, what, cause));

  // --- round 1: dealings -------------------------------------------------------
  const onDealing = (from: PeerId, record: CborRecord): void => {
    const slot = dealings.get(from) as Dealing;
    let chunk;
    try {
      chunk = readDealingChunk(record, shape);
    } catch (cause) {
      violation(from, 'sent a malformed dealing', cause);
      return;
    }
    for (let i = 0; i < chunk.pairs.length; i++) {
      const v = chunk.offset + i;
      const commitments = chunk.commitments[i] as Uint8Array[];
      const pair = chunk.pairs[i] as SharePair;
      const previous = slot.pairs[v];
      if (previous === undefined) {
        slot.commitments[v] = commitments;
        slot.points[v] = chunk.points[i] as G1Point[];
        slot.pairs[v] = pair;
        slot.missing--;
      } else if (!samePair(previous, pair) || !sameRows([slot.commitments[v] as Uint8Array[]], [commitments])) {
        violation(from, 'sent two different dealings');
        return;
      }
    }
    if (slot.missing === 0 && slot.digest === undefined) {
      slot.digest = commitmentsDigest(sessionId, from, slot.commitments as Uint8Array[][]);
      const checks = (slot.pairs as SharePair[]).map((pair, v) => ({ commitments: slot.points[v] as G1Point[], pair }));
      slot.valid = pedersenPairsMatch(checks, xSelf, CHECK_WEIGHT_BITS, random);
      if (!slot.valid) logger.warn('joint random sharing: a dealing does not match its commitments; complaining', { sessionId, dealer: from });
    }
    advance();
  };

  // --- round 2: reports ----------------------------------------------------------
  const onReport = (from: PeerId, record: CborRecord): void => {
    let report: Report;
    try {
      report = readReport(record, shape, members.indexOf(from));
    } catch (cause) {
      violation(from, 'sent a malformed round-2 report', cause);
      return;
    }
    const digest = reportDigest(sessionId, from, report);
    const previous = reports.get(from);
    if (previous !== undefined) {
      if (!equalBytes(previous.digest, digest)) violation(from, 'sent two different round-2 reports');
      return;
    }
    reports.set(from, { report, digest });
    advance();
  };

  const sendReport = (): void => {
    const report: Report = {
      digests: members.map((id) => (id === self ? myDigest : ((dealings.get(id) as Dealing).digest as Uint8Array))),
      complaints: members.flatMap((id, i) => (id !== self && (dealings.get(id) as Dealing).valid === false ? [i] : [])),
    };
    reports.set(self, { report, digest: reportDigest(sessionId, self, report) });
    broadcastOrLog(transport, reportMessage(sessionId, report), run, logger);
  };

  // --- round 3: answers ------------------------------------------------------------
  const onAnswer = (from: PeerId, record: CborRecord): void => {
    let chunk;
    try {
      chunk = readAnswerChunk(record, shape, members.indexOf(from));
    } catch (cause) {
      violation(from, 'sent a malformed round-3 answer', cause);
      return;
    }
    let slot = answers.get(from);
    if (slot === undefined) {
      slot = emptyAnswer(chunk.complainers, count);
      answers.set(from, slot);
    } else if (!sameIndices(slot.complainers, chunk.complainers)) {
      violation(from, 'sent two different round-3 answers');
      return;
    }
    for (let i = 0; i < chunk.pairs.length; i++) {
      const v = chunk.offset + i;
      const previous = slot.pairs[v];
      if (previous === undefined) {
        slot.commitments[v] = chunk.commitments[i] as Uint8Array[];
        slot.points[v] = chunk.points[i] as G1Point[];
        slot.pairs[v] = chunk.pairs[i] as SharePair[];
        slot.missing--;
      } else if (!sameRows([slot.commitments[v] as Uint8Array[]], [chunk.commitments[i] as Uint8Array[]]) || !previous.every((p, c) => samePair(p, (chunk.pairs[i] as SharePair[])[c] as SharePair))) {
        violation(from, 'sent two different round-3 answers');
        return;
      }
    }
    finishAnswer(from, slot);
    advance();
  };

  const finishAnswer = (member: PeerId, slot: Answer): void => {
    if (slot.missing === 0 && slot.digest === undefined) {
      slot.digest = answerDigest(sessionId, member, slot.complainers, slot.commitments as Uint8Array[][], slot.pairs as SharePair[][]);
    }
  };

  const sendAnswer = (verdict: Verdict): void => {
    // Answer only with 1…t complainers: more would reveal f(0), and the dealer is out anyway.
    const complainers = verdict.status === 'answer' ? verdict.complainers : [];
    const slot = emptyAnswer(complainers, count);
    if (complainers.length === 0) {
      broadcastOrLog(transport, answerMessage(sessionId, { complainers, offset: 0, commitments: [], pairs: [] }), run, logger);
    } else {
      const perChunk = (capacity as NonNullable<typeof capacity>).answer(complainers.length);
      for (let v = 0; v < count; v++) {
        slot.commitments[v] = mine.commitments[v] as Uint8Array[];
        slot.points[v] = mine.points[v] as G1Point[];
        slot.pairs[v] = complainers.map((c) => (mine.columns[c] as SharePair[])[v] as SharePair);
      }
      slot.missing = 0;
      for (let offset = 0; offset < count; offset += perChunk) {
        const end = Math.min(count, offset + perChunk);
        const chunk = { complainers, offset, commitments: slot.commitments.slice(offset, end) as Uint8Array[][], pairs: slot.pairs.slice(offset, end) as SharePair[][] };
        broadcastOrLog(transport, answerMessage(sessionId, chunk), run, logger);
      }
    }
    answers.set(self, slot);
    finishAnswer(self, slot);
  };

  // --- round 4: confirmations ---------------------------------------------------------
  const onConfirmation = (from: PeerId, record: CborRecord): void => {
    let confirmation: Confirmation;
    try {
      confirmation = readConfirmation(record, shape);
    } catch (cause) {
      violation(from, 'sent a malformed round-4 confirmation', cause);
      return;
    }
    const previous = confirmations.get(from);
    if (previous !== undefined) {
      if (!sameRows([previous.reports, previous.answers], [confirmation.reports, confirmation.answers])) violation(from, 'sent two different round-4 confirmations');
      return;
    }
    confirmations.set(from, confirmation);
    advance();
  };

  const sendConfirmation = (): void => {
    const confirmation: Confirmation = {
      reports: members.map((id) => (reports.get(id) as { digest: Digest }).digest),
      answers: members.map((id) => (answers.get(id) as Answer).digest as Uint8Array),
    };
    confirmations.set(self, confirmation);
    broadcastOrLog(transport, confirmationMessage(sessionId, confirmation), run, logger);
  };

  /**
   * Whether every member's echo equals ours. The first that differs (in
   * member order) rejects the run: someone sent different round-2 or round-3
   * messages to different members, or the echoing member lies.
   */
  const echoesAgree = (): boolean => {
    const ours = confirmations.get(self) as Confirmation;
    for (const from of peers) {
      const theirs = confirmations.get(from) as Confirmation;
      const reportsDiffer = members.filter((_, i) => !equalBytes(ours.reports[i] as Uint8Array, theirs.reports[i] as Uint8Array));
      const answersDiffer = members.filter((_, i) => !equalBytes(ours.answers[i] as Uint8Array, theirs.answers[i] as Uint8Array));
      if (reportsDiffer.length === 0 && answersDiffer.length === 0) continue;
      const stage = reportsDiffer.length > 0 ? 2 : 3;
      run.reject(
        new ThresholdError('THRESHOLD_PROTOCOL', `${JOINT_RANDOM_PROTOCOL}: members saw different round-${stage} messages (equivocation).`, {
          culprits: members.filter((id) => reportsDiffer.includes(id) || answersDiffer.includes(id)),
          meta: { protocol: JOINT_RANDOM_PROTOCOL, sessionId, round: stage, reportedBy: from },
        }),
      );
      return false;
    }
    return true;
  };

  // --- progress and decision ---------------------------------------------------------
  const advance = (): void => {
    if (run.settled) return;
    if (round === 1 && peers.every((id) => (dealings.get(id) as Dealing).missing === 0)) {
      sendReport();
      round = 2;
    }
    if (round === 2 && reports.size === n) {
      verdicts = judge(members.map((id) => (reports.get(id) as { report: Report }).report), t);
      if (verdicts.every((v) => v.complainers.length === 0)) {
        logger.debug('joint random sharing: no complaints', { sessionId });
        finish(new Map(members.map((id) => [id, viewOf(id).points])), new Map());
        return;
      }
      logger.debug('joint random sharing: resolving complaints', { sessionId });
      sendAnswer(verdicts[selfIndex] as Verdict);
      round = 3;
    }
    if (round === 3 && members.every((id) => answers.get(id)?.missing === 0)) {
      sendConfirmation();
      round = 4;
    }
    if (round === 4 && confirmations.size === n && echoesAgree()) decide(verdicts as Verdict[]);
  };

  /** Round-4 decision: every member computes it from the same (echo-checked) reports and answers. */
  const decide = (list: readonly Verdict[]): void => {
    const agreed = new Map<PeerId, readonly (readonly G1Point[])[]>();
    const adopted = new Map<PeerId, readonly SharePair[]>();
    const disqualified: DisqualifiedDealer[] = [];
    list.forEach((verdict, i) => {
      const dealer = members[i] as PeerId;
      const reportedBy = verdict.complainers.map((c) => members[c] as PeerId);
      if (verdict.status === 'ok') agreed.set(dealer, viewOf(dealer).points);
      else if (verdict.status !== 'answer') disqualified.push({ member: dealer, reason: verdict.status, reportedBy });
      else {
        const resolved = resolveAnswer(sessionId, dealer, verdict, answers.get(dealer) as Answer, xs, selfIndex);
        if (resolved === undefined) disqualified.push({ member: dealer, reason: 'bad_answer', reportedBy });
        else {
          agreed.set(dealer, resolved.points);
          if (resolved.mine !== undefined) adopted.set(dealer, resolved.mine);
        }
      }
    });
    finish(agreed, adopted, disqualified);
  };

  const finish = (agreed: ReadonlyMap<PeerId, readonly (readonly G1Point[])[]>, adopted: ReadonlyMap<PeerId, readonly SharePair[]>, disqualified: DisqualifiedDealer[] = []): void => {
    for (const d of disqualified) logger.warn('joint random sharing: dealer disqualified', { sessionId, dealer: d.member, reason: d.reason, reportedBy: d.reportedBy });
    const qualified = members.filter((id) => agreed.has(id));
    if (qualified.length < t + 1) {
      run.reject(
        new ThresholdError('THRESHOLD_PROTOCOL', `${JOINT_RANDOM_PROTOCOL}: only ${qualified.length} dealer(s) qualified; degree + 1 = ${t + 1} needed.`, {
          culprits: disqualified.map((d) => d.member),
          meta: { protocol: JOINT_RANDOM_PROTOCOL, sessionId, disqualified: disqualified.map((d) => ({ ...d, reportedBy: [...d.reportedBy] })) },
        }),
      );
      return;
    }
    const shares = new Array<bigint>(count).fill(0n);
    const blindingShares = new Array<bigint>(count).fill(0n);
    const sums: G1Point[][] = Array.from({ length: count }, () => new Array<G1Point>(t + 1).fill(G1_ZERO));
    for (const id of qualified) {
      const pairs = id === self ? (mine.columns[selfIndex] as SharePair[]) : (adopted.get(id) ?? (viewOf(id).pairs as SharePair[]));
      const commitments = agreed.get(id) as readonly (readonly G1Point[])[];
      for (let v = 0; v < count; v++) {
        const [f, g] = pairs[v] as SharePair;
        shares[v] = F.add(shares[v] as bigint, f);
        blindingShares[v] = F.add(blindingShares[v] as bigint, g);
        const row = sums[v] as G1Point[];
        for (let k = 0; k <= t; k++) row[k] = (row[k] as G1Point).add((commitments[v] as G1Point[])[k] as G1Point);
      }
    }
    run.resolve({ shares, blindingShares, commitments: sums.map((row) => row.map(encodePoint)), qualified, disqualified });
  };

  /** This member's round-1 view of a dealer (its own dealing for itself). */
  const viewOf = (id: PeerId): { points: readonly (readonly G1Point[])[]; pairs: readonly (SharePair | undefined)[] } => {
    if (id === self) return { points: mine.points, pairs: mine.columns[selfIndex] as SharePair[] };
    const dealing = dealings.get(id) as Dealing; // complete: no undefined left
    return { points: dealing.points as (readonly G1Point[])[], pairs: dealing.pairs };
  };

  const handlers = [onDealing, onReport, onAnswer, onConfirmation] as const;
  const unsubscribe = listenSession(transport, JOINT_RANDOM_PROTOCOL, sessionId, (from, record) => {
    if (run.settled) return;
    let r: number;
    try {
      r = readInt(record['r'], 'r', 1, 4);
    } catch (cause) {
      violation(from, 'sent a message for an unknown round', cause);
      return;
    }
    (handlers[r - 1] as (typeof handlers)[number])(from, record);
  });

  // Round 1: send each peer the commitments and its column, in chunks that fit the transport.
  for (const peer of peers) {
    const column = mine.columns[members.indexOf(peer)] as SharePair[];
    for (let offset = 0; offset < count; offset += capacity.dealing) {
      const end = Math.min(count, offset + capacity.dealing);
      sendOrLog(transport, peer, dealingMessage(sessionId, offset, mine.commitments.slice(offset, end), column.slice(offset, end)), run, logger);
    }
  }
  return run.promise;
}
