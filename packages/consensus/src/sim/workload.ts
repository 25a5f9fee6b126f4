/**
 * The simulated ticketing workload. An organizer client creates an event and
 * authorises G gate devices; then T ticket workflows start at random times,
 * each: the organizer issues the ticket, gate A validates it (with the
 * holder's rotating code), gate A consumes it, and gate B tries to consume it
 * again (which must be refused). Every step waits for the previous one's
 * committed result, so the expected results are exact.
 * @module
 */
import {
  clientIdOf,
  createRotatingCode,
  decodeTicketResult,
  encodeTicketOp,
  eventId,
  gateId,
  hash,
  ticketId,
  utf8ToBytes,
  type Clock,
  type CryptoProvider,
  type Random,
  type TicketId,
  type TicketOp,
  type TicketResult,
} from '@admitone/core';
import type { Client } from '../client.js';
import type { OpInfo } from './checkers.js';
import type { Trace } from './trace.js';

/** A named client of the workload. */
export interface WorkloadClient {
  /** Its network id, e.g. `org` or `gate1`. */
  readonly name: string;
  readonly client: Client;
  readonly secretKey: Uint8Array;
}

/** Options of {@link createWorkload}. */
export interface WorkloadOptions {
  readonly clock: Clock;
  readonly random: Random;
  readonly crypto: CryptoProvider;
  readonly trace: Trace;
  /** The organizer. */
  readonly organizer: WorkloadClient;
  /** Gate devices (at least 2). */
  readonly gates: readonly WorkloadClient[];
  /** Number of ticket workflows. */
  readonly tickets: number;
  /** Workflows start uniformly within this many virtual ms after setup. */
  readonly spreadMs: number;
  /** Most requests in flight per client. */
  readonly inFlight: number;
  /** A client saw a consume succeed. */
  readonly onAdmitted: (ticket: TicketId, label: string) => void;
  /** A result contradicts the workflow (a linearizability violation). */
  readonly onViolation: (message: string) => void;
  /**
   * The replicas answered `replayed` to request `key` (`clientId:requestSeq`):
   * the client learned nothing about its own request's outcome.
   */
  readonly onReplayed: (info: OpInfo, key: string) => void;
}

/** Client-side statistics. */
export interface WorkloadStats {
  readonly submitted: number;
  readonly committed: number;
  /** Submit→result latencies in virtual ms, in completion order. */
  readonly latencies: readonly number[];
  readonly firstSubmitAt: number | undefined;
  readonly lastResultAt: number | undefined;
  /** Requests whose client gave up or was refused. */
  readonly failed: readonly string[];
}

/** A running workload. */
export interface Workload {
  /** Starts the setup (call once, at virtual time 0). */
  start(): void;
  /** What `(clientId, requestSeq)` is, if the workload sent it. */
  opOf(clientId: string, requestSeq: number): OpInfo | undefined;
  /** True when setup and every workflow finished. */
  done(): boolean;
  /** One line per request still awaiting its result. */
  pending(now: number): string[];
  /** Statistics so far. */
  stats(): WorkloadStats;
  /** Every ticket id of the workload. */
  readonly tickets: readonly TicketId[];
}

interface Lane {
  readonly name: string;
  readonly client: Client;
  readonly id: string;
  next: number;
  inFlight: number;
  readonly queue: (() => void)[];
}

const EVENT = eventId('sim-gig');

/** The deployment id of the simulated ledger: its clients and holder codes sign for it. */
export const SIM_DEPLOYMENT = 'admitone-sim';

/** Creates the workload; nothing happens until {@link Workload.start}. */
export async function createWorkload(o: WorkloadOptions): Promise<Workload> {
  const { clock, random, crypto, trace } = o;
  const lane = async (c: WorkloadClient): Promise<Lane> => ({
    name: c.name,
    client: c.client,
    id: clientIdOf(await crypto.getPublicKey(c.secretKey)),
    next: 1,
    inFlight: 0,
    queue: [],
  });
  const org = await lane(o.organizer);
  const gates = await Promise.all(o.gates.map(lane));
  const gateKeys = await Promise.all(o.gates.map((g) => crypto.getPublicKey(g.secretKey)));
  const registry = new Map<string, OpInfo>();
  const pending = new Set<{ label: string; lane: string; seq: number; at: number }>();
  const latencies: number[] = [];
  const failed: string[] = [];
  const tickets = Array.from({ length: o.tickets }, (_, i) => ticketId(`t${i}`));
  let submitted = 0;
  let committed = 0;
  let firstSubmitAt: number | undefined;
  let lastResultAt: number | undefined;
  let setupDone = false;
  let started = 0;
  let active = 0;

  /** Submits through the lane's in-flight limit; resolves with the decoded result, or `undefined` on failure. */
  const submit = (l: Lane, op: TicketOp | (() => Promise<TicketOp>), info: OpInfo): Promise<{ r: TicketResult; key: string } | undefined> =>
    new Promise((resolve) => {
      const go = async () => {
        l.inFlight++;
        const body = typeof op === 'function' ? await op() : op;
        const seq = l.next++;
        registry.set(`${l.id}:${seq}`, info);
        const entry = { label: info.label, lane: l.name, seq, at: clock.now() };
        pending.add(entry);
        submitted++;
        firstSubmitAt ??= entry.at;
        trace.record(`submit ${l.name}#${seq} ${info.label}`);
        const finish = (r: TicketResult | undefined) => {
          pending.delete(entry);
          l.inFlight--;
          l.queue.shift()?.();
          resolve(r === undefined ? undefined : { r, key: `${l.id}:${seq}` });
        };
        l.client.submit(encodeTicketOp(body)).then(
          (bytes) => {
            committed++;
            lastResultAt = clock.now();
            latencies.push(clock.now() - entry.at);
            const r = decodeTicketResult(bytes);
            trace.record(`result ${l.name}#${seq} ${info.label} ${r.status === 'ok' ? 'ok' : r.reason}`);
            finish(r);
          },
          (err: unknown) => {
            failed.push(`${info.label} (${l.name}#${seq}): ${String(err)}`);
            trace.record(`failed ${l.name}#${seq} ${info.label}`);
            finish(undefined);
          },
        );
      };
      if (l.inFlight < o.inFlight) void go();
      else l.queue.push(() => void go());
    });

  /** Checks a result against the expected one; returns whether the workflow may go on. */
  const expect = (res: { r: TicketResult; key: string } | undefined, want: string, info: OpInfo): boolean => {
    if (res === undefined) return false;
    const got = res.r.status === 'ok' ? 'ok' : res.r.reason;
    if (got === want) return true;
    if (got === 'replayed') o.onReplayed(info, res.key);
    else o.onViolation(`${info.label}: expected ${want}, got ${got}`);
    return true;
  };

  const workflow = async (i: number) => {
    const t = tickets[i] as TicketId;
    const holderKey = hash(utf8ToBytes(`admitone-sim/holder/${i}`));
    const holder = await crypto.getPublicKey(holderKey);
    const a = gates[i % gates.length] as Lane;
    const b = gates[(i + 1) % gates.length] as Lane;
    const scan = (g: number) => ({ nonce: random.bytes(16), gate: gateId(`gate${g}`), time: Math.floor(clock.now()) });
    const step = async (l: Lane, kind: OpInfo['kind'], op: TicketOp | (() => Promise<TicketOp>), want: string) => {
      const info: OpInfo = { kind, ticket: t, label: `${kind} ${t}` };
      const res = await submit(l, op, info);
      if (res?.r.status === 'ok' && (kind === 'consume' || kind === 'consume-again')) o.onAdmitted(t, `${info.label} at ${l.name}`);
      return expect(res, want, info);
    };
    if (!(await step(org, 'issue', { type: 'issue', eventId: EVENT, ticketId: t, holder }, 'ok'))) return;
    const validate = async (): Promise<TicketOp> => {
      const s = scan(i % gates.length);
      const code = await createRotatingCode(crypto, holderKey, { deployment: SIM_DEPLOYMENT, ticketId: t, version: 1, timeMs: s.time });
      return { type: 'validate', eventId: EVENT, ticketId: t, scan: s, code };
    };
    if (!(await step(a, 'validate', validate, 'ok'))) return;
    if (!(await step(a, 'consume', () => Promise.resolve({ type: 'consume', eventId: EVENT, ticketId: t, scan: scan(i % gates.length) }), 'ok'))) return;
    await step(b, 'consume-again', () => Promise.resolve({ type: 'consume', eventId: EVENT, ticketId: t, scan: scan((i + 1) % gates.length) }), 'already_consumed');
  };

  const setup = async () => {
    const info: OpInfo = { kind: 'createEvent', label: 'createEvent' };
    expect(await submit(org, { type: 'createEvent', eventId: EVENT }, info), 'ok', info);
    await Promise.all(
      gateKeys.map(async (device, g) => {
        const gi: OpInfo = { kind: 'authorizeGate', label: `authorizeGate gate${g}` };
        expect(await submit(org, { type: 'authorizeGate', eventId: EVENT, device }, gi), 'ok', gi);
      }),
    );
    setupDone = true;
    for (let i = 0; i < o.tickets; i++) {
      clock.setTimeout(() => {
        started++;
        active++;
        void workflow(i)
          .catch((err: unknown) => o.onViolation(`workflow of ${tickets[i]} threw: ${String(err)}`))
          .finally(() => active--);
      }, random.int(o.spreadMs + 1));
    }
  };

  return {
    start: () => void setup().catch((err: unknown) => o.onViolation(`workload setup threw: ${String(err)}`)),
    opOf: (clientId, requestSeq) => registry.get(`${clientId}:${requestSeq}`),
    done: () => setupDone && started === o.tickets && active === 0,
    pending: (now) => [...pending].map((p) => `${p.label} (${p.lane}#${p.seq}) submitted at ${p.at} ms, still pending after ${now - p.at} ms`),
    stats: () => ({ submitted, committed, latencies, firstSubmitAt, lastResultAt, failed }),
    tickets,
  };
}
