/**
 * Safety checkers. They run outside the replicas, on the events the replicas
 * emit, on the messages honest replicas send and on app state, and record a
 * violation string for each property that breaks:
 * - agreement: honest replicas execute the same batch digest at each seq;
 * - equal app digests at equal seqs (and equal checkpoint digests);
 * - no request `(clientId, requestSeq)` takes effect twice (executed at two seqs
 *   without the app refusing the second as `replayed`), nor appears twice in one
 *   batch; a request merely *ordered* again is reported as an anomaly;
 * - execution order strictly increasing per replica incarnation;
 * - views monotonic per replica, and never behind a view it already sent messages in after a restart;
 * - an honest replica never contradicts itself (two pre-prepares or votes for one view and seq), e.g. after a crash;
 * - no ticket validated or consumed twice on any honest replica, nor admitted twice as seen by clients;
 * - a client is never told `replayed` about a request that took effect (its result was lost);
 * - agreed time: a batch executes with a timestamp within `maxClockSkewMs` of
 *   the virtual time at which an honest replica first proposed or prepared it
 *   (so a primary that lies about the time gets no lie past the bound committed).
 * @module
 */
import { bytesToHex, decodeTicketResult, type SignedRequest, type TicketId, type TicketLedger } from '@admitone/core';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from '../config.js';
import type { ReplicaEvents } from '../replica/replica.js';
import type { Signed } from '../messages.js';

/** What a client request was, in the workload. */
export interface OpInfo {
  /** The kind of workload step. */
  readonly kind: 'createEvent' | 'authorizeGate' | 'issue' | 'validate' | 'consume' | 'consume-again';
  /** The ticket it concerns, for ticket steps. */
  readonly ticket?: TicketId;
  /** A short label for messages, e.g. `consume t3`. */
  readonly label: string;
}

/** Options of {@link createCheckers}. */
export interface CheckerOptions {
  /** Replica ids in membership order. */
  readonly ids: readonly string[];
  /** Indices of honest replicas (the only ones checked). */
  readonly honest: ReadonlySet<number>;
  /** Looks up a workload request. */
  readonly opOf: (clientId: string, requestSeq: number) => OpInfo | undefined;
  /** Compare `app.digest()` after every seq (else only at checkpoint seqs). */
  readonly digestEverySeq: boolean;
  /** Checkpoint interval K. */
  readonly checkpointInterval: number;
  /**
   * The replicas' `maxClockSkewMs`: how far an agreed timestamp may be from
   * the time honest replicas vouched for it. Default 30 000 (the replica's default).
   */
  readonly maxClockSkewMs?: number;
  /**
   * Added to `maxClockSkewMs`: the delay between an honest replica's time
   * check and the vote it sends (its durable write). Default 100.
   */
  readonly timeToleranceMs?: number;
  /**
   * The current time of the replicas' clock (the simulator's virtual clock).
   * Without it the agreed-time check is off.
   */
  readonly now?: () => number;
  /** Called with each new violation (the simulation snapshots the trace on the first). */
  readonly onViolation: (message: string) => void;
  /** Called with odd but safe observations. */
  readonly onAnomaly: (message: string) => void;
}

/** Slack of the agreed-time check beyond the durable-write delay (virtual ms). */
export const AGREED_TIME_TOLERANCE_MS = 100;

/** Results of the requests an app executed since the last `executed` event, by `clientId:requestSeq`. */
export type ExecutionResults = Map<string, string>;

/**
 * Wraps a ticket ledger so that every `execute` records the result status
 * (`ok` or the rejection reason) into `results`; everything else delegates.
 */
export function recordingLedger(app: TicketLedger, results: ExecutionResults): TicketLedger {
  return {
    ...app,
    execute(prepared, ctx) {
      const out = app.execute(prepared, ctx);
      const r = decodeTicketResult(out);
      const req: SignedRequest = prepared.request;
      results.set(`${req.clientId}:${req.requestSeq}`, r.status === 'ok' ? 'ok' : r.reason);
      return out;
    },
  };
}

/** The checkers' state; feed it events, read violations. */
export interface Checkers {
  /** An honest replica's `executed` event, with its app right after the batch and the batch's results. */
  executed(replica: number, incarnation: number, ev: ReplicaEvents['executed'], app: TicketLedger, results: ExecutionResults): void;
  /** An honest replica's current view (from an event or `status()`). */
  view(replica: number, incarnation: number, view: number): void;
  /** An honest replica restarted in `view`, having recovered its app up to `seq` from storage. */
  restarted(replica: number, incarnation: number, view: number, seq: number, app: TicketLedger): void;
  /** A signed message an honest replica sent. */
  sent(replica: number, incarnation: number, signed: Signed): void;
  /** A client saw a consume of `ticket` succeed. */
  admitted(ticket: TicketId, label: string): void;
  /**
   * A client got `replayed` as the result of its request `key`
   * (`clientId:requestSeq`). If the request took effect, the client was told
   * the opposite of what happened: a violation.
   */
  replayedResult(key: string, label: string): void;
  /** Final pass over every honest replica's app. */
  finalCheck(apps: ReadonlyMap<number, TicketLedger>, tickets: readonly TicketId[]): void;
  /** Violations so far (deduplicated, at most 200). */
  readonly violations: readonly string[];
  /** Tickets admitted more than once anywhere. */
  doubleConsumes(): number;
}

/** Creates the checkers. */
export function createCheckers(o: CheckerOptions): Checkers {
  const violations: string[] = [];
  const seen = new Set<string>();
  const violate = (msg: string) => {
    if (seen.has(msg) || violations.length >= 200) return;
    seen.add(msg);
    violations.push(msg);
    o.onViolation(msg);
  };
  const name = (i: number) => o.ids[i] ?? `r${i}`;
  const short = (hex: string) => hex.slice(0, 12);

  const lastSeq = new Map<string, number>();
  const batchAt = new Map<number, { digest: string; replica: number; view: number }>();
  const appAt = new Map<number, { digest: string; replica: number }>();
  const requestAt = new Map<string, { seq: number; replica: number }>();
  const effectiveAt = new Map<string, { seq: number; replica: number }>();
  const reordered = new Set<string>();
  const effectResult = new Map<string, string>();
  const viewOf = new Map<string, number>();
  const maxSentView = new Map<number, number>();
  const proposals = new Map<string, { digest: string; incarnation: number }>();
  const checkpoints = new Map<number, { digest: string; replica: number }>();
  const doubles = new Set<string>();
  const admittedBy = new Map<string, string>();
  /**
   * `seq:digest` → the virtual time an honest replica first sent a PRE-PREPARE
   * (as primary) or a PREPARE (after checking the time) for it. The digest binds
   * the timestamp, so a batch re-proposed in a later view keeps its first time.
   */
  const vouchedAt = new Map<string, number>();
  const now = o.now;
  const timeBound = (o.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS) + (o.timeToleranceMs ?? AGREED_TIME_TOLERANCE_MS);
  const vouch = (seq: number, digest: Uint8Array) => {
    if (now === undefined) return;
    const k = `${seq}:${bytesToHex(digest)}`;
    if (!vouchedAt.has(k)) vouchedAt.set(k, now());
  };

  const checkTicket = (replica: number, app: TicketLedger, ticket: TicketId, when: string) => {
    const t = app.getTicket(ticket);
    if (t === undefined) return;
    const consumes = t.scans.filter((s) => s.kind === 'consume').length;
    const validates = t.scans.filter((s) => s.kind === 'validate').length;
    if (consumes > 1 || validates > 1) {
      doubles.add(ticket);
      violate(`ticket ${ticket} ${consumes > 1 ? `consumed ${consumes}×` : `validated ${validates}×`} on ${name(replica)} (${when})`);
    }
  };

  const proposal = (replica: number, incarnation: number, key: string, digest: Uint8Array, what: string) => {
    const k = `${replica}|${key}`;
    const d = bytesToHex(digest);
    const prev = proposals.get(k);
    if (prev === undefined) proposals.set(k, { digest: d, incarnation });
    else if (prev.digest !== d) {
      violate(`honest ${name(replica)} contradicted itself: two ${what} (${short(prev.digest)} in incarnation ${prev.incarnation}, ${short(d)} in incarnation ${incarnation})`);
    }
  };

  return {
    executed(replica, incarnation, ev, app, results) {
      const who = name(replica);
      const key = `${replica}/${incarnation}`;
      const last = lastSeq.get(key);
      if (last !== undefined && ev.seq <= last) violate(`${who} executed seq ${ev.seq} after seq ${last}`);
      lastSeq.set(key, ev.seq);
      const digest = bytesToHex(ev.digest);
      const agreed = batchAt.get(ev.seq);
      if (agreed === undefined) batchAt.set(ev.seq, { digest, replica, view: ev.view });
      else if (agreed.digest !== digest) {
        violate(`agreement: seq ${ev.seq}: ${name(agreed.replica)} executed batch ${short(agreed.digest)} (view ${agreed.view}) but ${who} executed ${short(digest)} (view ${ev.view})`);
      }
      // agreed time (null batches carry no time)
      const at = ev.requests.length > 0 ? vouchedAt.get(`${ev.seq}:${digest}`) : undefined;
      if (at !== undefined && Math.abs(ev.timestamp - at) > timeBound) {
        violate(`agreed time: ${who} executed seq ${ev.seq} at timestamp ${ev.timestamp}, ${ev.timestamp - at} ms from ${at}, when an honest replica first vouched for it (bound ${timeBound} ms)`);
      }
      if (o.digestEverySeq || ev.seq % o.checkpointInterval === 0) {
        const appDigest = bytesToHex(app.digest());
        const prev = appAt.get(ev.seq);
        if (prev === undefined) appAt.set(ev.seq, { digest: appDigest, replica });
        else if (prev.digest !== appDigest) violate(`app digests differ after seq ${ev.seq}: ${name(prev.replica)} ${short(prev.digest)}, ${who} ${short(appDigest)}`);
      }
      const inBatch = new Set<string>();
      for (const r of ev.requests) {
        const rk = `${r.clientId}:${r.requestSeq}`;
        const op = o.opOf(r.clientId, r.requestSeq);
        const label = op?.label ?? `${r.clientId.slice(0, 8)}:${r.requestSeq}`;
        if (inBatch.has(rk)) violate(`request ${label} appears twice in the batch at seq ${ev.seq} executed by ${who}`);
        inBatch.add(rk);
        const at = requestAt.get(rk);
        if (at === undefined) requestAt.set(rk, { seq: ev.seq, replica });
        else if (at.seq !== ev.seq && !reordered.has(`${rk}@${ev.seq}`)) {
          reordered.add(`${rk}@${ev.seq}`);
          o.onAnomaly(`request ${label} ordered twice: at seq ${at.seq} and again at seq ${ev.seq} (first seen executing on ${who}; result there: ${results.get(rk) ?? 'none, not passed to the app'})`);
        }
        const result = results.get(rk);
        if (result !== undefined && result !== 'replayed') {
          const eff = effectiveAt.get(rk);
          if (eff === undefined) {
            effectiveAt.set(rk, { seq: ev.seq, replica });
            effectResult.set(rk, result);
          }
          else if (eff.seq !== ev.seq) violate(`request ${label} executed twice: took effect at seq ${eff.seq} (${name(eff.replica)}) and at seq ${ev.seq} (${who}, result ${result})`);
        }
        if (op?.ticket !== undefined && (op.kind === 'validate' || op.kind === 'consume' || op.kind === 'consume-again')) checkTicket(replica, app, op.ticket, `after seq ${ev.seq}`);
      }
    },
    view(replica, incarnation, v) {
      const key = `${replica}/${incarnation}`;
      const last = viewOf.get(key);
      if (last !== undefined && v < last) violate(`view went backwards on ${name(replica)}: ${last} → ${v}`);
      if (last === undefined || v > last) viewOf.set(key, v);
    },
    restarted(replica, incarnation, v, seq, app) {
      const sentIn = maxSentView.get(replica);
      if (sentIn !== undefined && v < sentIn) violate(`${name(replica)} restarted (incarnation ${incarnation}) in view ${v} but had already sent messages in view ${sentIn}`);
      viewOf.set(`${replica}/${incarnation}`, v);
      lastSeq.set(`${replica}/${incarnation}`, seq);
      const prev = seq > 0 ? appAt.get(seq) : undefined;
      if (prev !== undefined) {
        const d = bytesToHex(app.digest());
        if (d !== prev.digest) violate(`${name(replica)} recovered from storage at seq ${seq} with app digest ${short(d)}, but ${name(prev.replica)} had ${short(prev.digest)}`);
      }
    },
    sent(replica, incarnation, s) {
      const b = s.body;
      if ('view' in b) maxSentView.set(replica, Math.max(maxSentView.get(replica) ?? 0, b.view));
      switch (b.type) {
        case 'pre-prepare':
          proposal(replica, incarnation, `pp:${b.view}:${b.seq}`, b.digest, `pre-prepares for view ${b.view} seq ${b.seq}`);
          vouch(b.seq, b.digest);
          break;
        case 'prepare':
        case 'commit':
          if (b.type === 'prepare') vouch(b.seq, b.digest);
          proposal(replica, incarnation, `${b.type}:${b.view}:${b.seq}`, b.digest, `${b.type}s for view ${b.view} seq ${b.seq}`);
          break;
        case 'new-view':
          for (const pp of b.prePrepares) proposal(replica, incarnation, `pp:${pp.body.view}:${pp.body.seq}`, pp.body.digest, `pre-prepares for view ${pp.body.view} seq ${pp.body.seq}`);
          break;
        case 'checkpoint': {
          const d = bytesToHex(b.digest);
          const prev = checkpoints.get(b.seq);
          if (prev === undefined) checkpoints.set(b.seq, { digest: d, replica });
          else if (prev.digest !== d) violate(`checkpoint digests differ at seq ${b.seq}: ${name(prev.replica)} ${short(prev.digest)}, ${name(replica)} ${short(d)}`);
          break;
        }
        default:
          break;
      }
    },
    admitted(ticket, label) {
      const prev = admittedBy.get(ticket);
      if (prev === undefined) admittedBy.set(ticket, label);
      else {
        doubles.add(ticket);
        violate(`ticket ${ticket} admitted twice as seen by clients: ${prev} and ${label}`);
      }
    },
    replayedResult(key, label) {
      const eff = effectiveAt.get(key);
      if (eff !== undefined) {
        violate(`${label}: the client was answered 'replayed', but the request took effect at seq ${eff.seq} (result ${effectResult.get(key) ?? '?'}): it was ordered again and its cached reply overwritten`);
      } else o.onAnomaly(`${label}: the client was answered 'replayed' for a request that never took effect`);
    },
    finalCheck(apps, tickets) {
      for (const [replica, app] of apps) for (const t of tickets) checkTicket(replica, app, t, 'at the end');
    },
    violations,
    doubleConsumes: () => doubles.size,
  };
}
