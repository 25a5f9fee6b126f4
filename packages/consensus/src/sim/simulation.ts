/**
 * The deterministic simulator (after TigerBeetle's VOPR): the real PBFT
 * replicas and clients, the real ticket ledger, core's in-memory network and
 * memory storage, all driven by one virtual clock and one seed.
 * @module
 */
import {
  bytesToHex,
  createMemoryStore,
  createTicketLedger,
  hash,
  memoryNetwork,
  nobleCrypto,
  seededRandom,
  utf8ToBytes,
  virtualClock,
  type MemoryStore,
  type TicketLedger,
  type Transport,
} from '@admitone/core';
import { createClient } from '../client.js';
import { createReplica, type Replica } from '../replica/replica.js';
import { byzantineTransport, planByzantine } from './byzantine.js';
import { AGREED_TIME_TOLERANCE_MS, createCheckers, recordingLedger, type ExecutionResults, type OpInfo } from './checkers.js';
import { memoizedCrypto } from './crypto.js';
import { checkFaultSchedule, generateFaultSchedule } from './faults.js';
import { createSimNetwork } from './network.js';
import { observedTransport, type PostFn } from './observe.js';
import { resolveSimulationOptions, type SimulationOptions } from './options.js';
import { percentile, type SimulationReport } from './report.js';
import { openCrashableStorage, type CrashableStorage } from './storage.js';
import { createTrace } from './trace.js';
import { SIM_DEPLOYMENT, createWorkload, type WorkloadClient } from './workload.js';

interface Node {
  readonly index: number;
  readonly id: string;
  readonly store: MemoryStore;
  incarnation: number;
  up: boolean;
  replica: Replica | undefined;
  app: TicketLedger | undefined;
  storage: CrashableStorage | undefined;
  endpoint: Transport | undefined;
}

/**
 * Runs one simulation and reports what happened. Deterministic: the same
 * options (including `seed`) give the same report and the same `traceHash`.
 *
 * The event loop fires one virtual timer at a time (a message delivery, a
 * replica or client timeout, a fault) and then lets every promise job it
 * caused run to completion before the next timer, so causality is exact and
 * no wall-clock time leaks in. The checkers run after every step; the run
 * stops at the first safety violation, when every workflow finished, or when
 * the liveness budget after healing runs out.
 *
 * Throws {@link SimulationError} (`SIM_CONFIG`) for impossible options, e.g.
 * more Byzantine replicas than ⌊(n−1)/3⌋.
 *
 * @example
 * ```ts
 * const report = await runSimulation({ seed: 7, nodes: 4, byzantine: 1, strategy: 'equivocate', tickets: 10 });
 * if (!report.ok) console.error(formatReport(report));
 * ```
 */
export async function runSimulation(options: SimulationOptions = {}): Promise<SimulationReport> {
  const o = resolveSimulationOptions(options);
  const root = seededRandom(o.seed);
  const clock = virtualClock();
  const trace = createTrace(() => clock.now(), o.traceTail, o.onTrace);
  const crypto = memoizedCrypto(o.crypto ?? nobleCrypto());
  const n = o.nodes;
  const ids = Array.from({ length: n }, (_, i) => `r${i}`);
  const indexOf = new Map(ids.map((id, i) => [id, i] as const));
  const byzantine = planByzantine(n, o.byzantine, o.strategy, root.fork('byzantine'));
  const honest = new Set(ids.map((_, i) => i).filter((i) => !byzantine.has(i)));
  const vcTimeout = o.tunables.viewChangeTimeoutMs;
  const faults =
    o.faults ??
    generateFaultSchedule(root.fork('faults'), {
      nodes: n,
      honest: [...honest],
      partitions: o.partitions,
      crashes: o.crashes,
      durationMs: o.durationMs,
      packetLoss: o.packetLoss,
      duplicateRate: o.duplicateRate,
      minWindowMs: 2 * vcTimeout,
      triggers: o.crashTriggers,
    });
  checkFaultSchedule(faults, n, honest);

  const safety: string[] = [];
  const anomalies: string[] = [];
  let failureTrace: string[] | undefined;
  const violation = (msg: string) => {
    trace.record(`VIOLATION ${msg}`);
    failureTrace ??= trace.tail();
  };
  const gateNames = Array.from({ length: o.gates }, (_, g) => `gate${g}`);
  const clientNames = ['org', ...gateNames];
  const simNet = createSimNetwork({ clock, random: root.fork('network'), trace, faults, latencyMs: o.latencyMs, jitterMs: o.jitterMs, replicaIndex: (p) => indexOf.get(p) });
  const net = memoryNetwork({ members: [...ids, ...clientNames], schedule: simNet.scheduler, capabilities: { ordered: false, reliable: false } });
  const keyOf = (label: string) => hash(utf8ToBytes(`admitone-sim/key/${label}`));
  const members = await Promise.all(ids.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(keyOf(id)) })));
  const poster =
    (endpoint: Transport): PostFn =>
    (to, bytes, label) => {
      simNet.labelled(label, () => endpoint.send(to, bytes)).catch(() => undefined);
    };

  let opOf: (clientId: string, requestSeq: number) => OpInfo | undefined = () => undefined;
  const checkers = createCheckers({
    ids,
    honest,
    opOf: (c, s) => opOf(c, s),
    digestEverySeq: o.digestEverySeq,
    checkpointInterval: o.tunables.checkpointInterval,
    maxClockSkewMs: o.tunables.maxClockSkewMs,
    // an honest vote goes out after the durable write that follows its time check
    timeToleranceMs: AGREED_TIME_TOLERANCE_MS + o.storageWriteDelayMs,
    now: () => clock.now(),
    onViolation: violation,
    onAnomaly: (msg) => {
      if (anomalies.length < 100) anomalies.push(msg);
      trace.record(`anomaly ${msg}`);
    },
  });
  const dropped: Record<string, number> = {};
  const sentByType: Record<string, number> = {};
  const byzActions: Record<string, number> = {};
  let maxInstalledView = 0;
  let crashCount = 0;
  let triggeredCrashes = 0;
  let lostWrites = 0;
  const triggers = (faults.triggers ?? []).map((t) => ({ ...t, fired: false }));
  /** Per replica: distinct messages sent so far, by kind, over every incarnation (what triggers count). */
  const sentKinds = ids.map(() => new Map<string, number>());
  const nodes: Node[] = ids.map((id, index) => ({ index, id, store: createMemoryStore(), incarnation: 0, up: false, replica: undefined, app: undefined, storage: undefined, endpoint: undefined }));

  async function start(node: Node): Promise<void> {
    const i = node.index;
    const inc = ++node.incarnation;
    const live = () => node.incarnation === inc && node.up;
    const storage = await openCrashableStorage(node.store, clock, o.storageWriteDelayMs);
    const endpoint = net.transport(node.id);
    const strategy = byzantine.get(i);
    const post = strategy === undefined ? triggeredPost(node, inc, poster(endpoint)) : poster(endpoint);
    const transport =
      strategy === undefined
        ? observedTransport(endpoint, post, (s) => {
            if (node.incarnation === inc) checkers.sent(i, inc, s);
            sentByType[s.body.type] = (sentByType[s.body.type] ?? 0) + 1;
          })
        : byzantineTransport(endpoint, strategy, {
            self: node.id,
            replicas: ids,
            secretKey: keyOf(node.id),
            deployment: SIM_DEPLOYMENT,
            crypto,
            clock,
            random: root.fork(`byzantine/${node.id}/${inc}`),
            viewChangeTimeoutMs: vcTimeout,
            maxClockSkewMs: o.tunables.maxClockSkewMs,
            post,
            note: (action) => {
              byzActions[action] = (byzActions[action] ?? 0) + 1;
            },
          });
    const results: ExecutionResults = new Map();
    const app = recordingLedger(createTicketLedger({ crypto, deployment: SIM_DEPLOYMENT }), results);
    Object.assign(node, { storage, endpoint, app, up: true });
    const replica = await createReplica({ id: node.id, secretKey: keyOf(node.id), members, transport, storage: storage.storage, app, crypto, clock, deployment: SIM_DEPLOYMENT, ...o.tunables });
    results.clear();
    if (!live()) return;
    node.replica = replica;
    const isHonest = honest.has(i);
    replica.on('executed', (ev) => {
      if (!live()) return;
      trace.record(`exec ${node.id} v${ev.view} s${ev.seq} ${bytesToHex(ev.digest).slice(0, 8)} n${ev.requests.length}`);
      if (isHonest) checkers.executed(i, inc, ev, app, results);
      results.clear();
    });
    for (const e of ['view-change', 'new-view'] as const) {
      replica.on(e, (ev) => {
        if (!live()) return;
        trace.record(`${e} ${node.id} ${ev.view}`);
        if (!isHonest) return;
        checkers.view(i, inc, ev.view);
        if (e === 'new-view' && ev.view > maxInstalledView) maxInstalledView = ev.view;
      });
    }
    replica.on('checkpoint', (ev) => live() && trace.record(`checkpoint ${node.id} s${ev.seq}`));
    replica.on('state-transfer', (ev) => live() && trace.record(`state-transfer ${node.id} ${ev.fromSeq}->${ev.toSeq}`));
    replica.on('dropped', (ev) => {
      if (live() && isHonest) dropped[ev.reason] = (dropped[ev.reason] ?? 0) + 1;
    });
    const st = replica.status();
    trace.record(`${inc === 1 ? 'start' : 'restart'} ${node.id} v${st.view} exec ${st.lastExecuted}`);
    if (isHonest && inc > 1) checkers.restarted(i, inc, st.view, st.lastExecuted, app);
  }

  function crash(node: Node): void {
    if (!node.up) return;
    node.up = false;
    crashCount++;
    const lost = node.storage?.crash() ?? 0;
    lostWrites += lost;
    trace.record(`crash ${node.id} lost-writes ${lost}`);
    void node.endpoint?.close();
    void node.replica?.stop();
    node.replica = undefined;
  }

  /**
   * Wraps an honest incarnation's sends with its {@link CrashTrigger}s: a
   * trigger whose message kind, count and copy match crashes the replica
   * right there, before that copy leaves (later copies of the same broadcast
   * are dropped with the dead endpoint), and schedules its restart.
   */
  function triggeredPost(node: Node, inc: number, post: PostFn): PostFn {
    const mine = triggers.filter((t) => t.replica === node.index);
    if (mine.length === 0) return post;
    const counts = sentKinds[node.index] as Map<string, number>;
    let last: Uint8Array | undefined;
    let kind = '';
    let copy = 0;
    return (to, bytes, label) => {
      if (node.incarnation !== inc || !node.up) return;
      if (bytes !== last) {
        last = bytes;
        copy = 0;
        const slash = label.indexOf('/');
        kind = slash < 0 ? label : label.slice(0, slash);
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
      } else copy++;
      const now = clock.now();
      for (const t of mine) {
        if (t.fired || t.message !== kind || t.copy !== copy || (counts.get(kind) ?? 0) < t.nth || now >= faults.healAtMs) continue;
        const restartAt = Math.min(now + t.downMs, faults.healAtMs);
        if (faults.crashes.some((c) => c.replica === node.index && c.atMs <= restartAt && now <= c.restartMs)) continue;
        t.fired = true;
        triggeredCrashes++;
        trace.record(`triggered crash ${node.id} before ${label} copy ${copy} to ${to}`);
        crash(node);
        clock.setTimeout(() => {
          if (!node.up) spawn(`restart of ${node.id}`, start(node));
        }, restartAt - now);
        return;
      }
      post(to, bytes, label);
    };
  }

  /** Runs an async fault action (a restart) from a timer; a throw is a failure of the run. */
  const spawn = (what: string, p: Promise<void>) => {
    p.catch((err: unknown) => {
      safety.push(`${what} threw: ${String(err)}`);
      violation(`${what} threw: ${String(err)}`);
    });
  };

  for (const node of nodes) await start(node);
  const clients: WorkloadClient[] = clientNames.map((name) => {
    const endpoint = net.transport(name);
    const transport = observedTransport(endpoint, poster(endpoint));
    const secretKey = keyOf(name);
    const client = createClient({ transport, replicas: ids, secretKey, deployment: SIM_DEPLOYMENT, crypto, clock, timeoutMs: o.clientTimeoutMs, maxTimeoutMs: o.clientMaxTimeoutMs, firstRequestSeq: 1 });
    return { name, client, secretKey };
  });
  const workload = await createWorkload({
    clock,
    random: root.fork('workload'),
    crypto,
    trace,
    organizer: clients[0] as WorkloadClient,
    gates: clients.slice(1),
    tickets: o.tickets,
    spreadMs: Math.floor(o.durationMs / 2),
    inFlight: o.clientInFlight,
    onAdmitted: (t, label) => checkers.admitted(t, label),
    onViolation: (msg) => {
      safety.push(msg);
      violation(msg);
    },
    onReplayed: (info, key) => checkers.replayedResult(key, info.label),
  });
  opOf = workload.opOf;

  for (const p of faults.partitions) {
    const desc = `${p.kind} [${p.side.map((r) => ids[r]).join(',')}]`;
    clock.setTimeout(() => trace.record(`partition ${desc} opens`), p.startMs);
    clock.setTimeout(() => trace.record(`partition ${desc} heals`), p.endMs);
  }
  for (const c of faults.crashes) {
    const node = nodes[c.replica] as Node;
    clock.setTimeout(() => crash(node), c.atMs);
    clock.setTimeout(() => spawn(`restart of ${node.id}`, start(node)), c.restartMs);
  }
  clock.setTimeout(() => trace.record('heal: faults stop'), faults.healAtMs);

  // ---- the event loop ----
  const endAt = faults.healAtMs + o.livenessBudgetMs;
  let steps = 0;
  let stop: 'done' | 'safety' | 'idle' | 'budget' | 'steps' = 'done';
  const observe = () => {
    for (const node of nodes) {
      if (!node.up || node.replica === undefined || !honest.has(node.index)) continue;
      checkers.view(node.index, node.incarnation, node.replica.status().view);
    }
  };
  workload.start();
  await settle();
  for (;;) {
    observe();
    if (checkers.violations.length > 0 || safety.length > 0) {
      stop = 'safety';
      break;
    }
    if (workload.done()) break;
    const next = clock.nextTimerAt();
    if (next === undefined) {
      stop = 'idle';
      break;
    }
    if (next > endAt) {
      clock.advance(Math.max(0, endAt - clock.now()));
      stop = 'budget';
      break;
    }
    clock.runNext();
    steps++;
    await settle();
    if (steps >= o.maxSteps) {
      stop = 'steps';
      break;
    }
  }

  // ---- verdicts ----
  const apps = new Map<number, TicketLedger>();
  for (const node of nodes) if (node.up && honest.has(node.index) && node.app !== undefined) apps.set(node.index, node.app);
  checkers.finalCheck(apps, workload.tickets);
  const stats = workload.stats();
  const liveness: string[] = [];
  if (stop !== 'safety' && !workload.done()) {
    const why =
      stop === 'idle'
        ? `the cluster went idle (no timer left) at ${clock.now()} ms with requests pending`
        : stop === 'steps'
          ? `the step budget (${o.maxSteps}) ran out at ${clock.now()} ms`
          : `requests did not commit within ${o.livenessBudgetMs} ms after healing at ${faults.healAtMs} ms`;
    liveness.push(why);
    const state = nodes
      .map((nd) => {
        if (!nd.up || nd.replica === undefined) return `${nd.id}: down`;
        const s = nd.replica.status();
        return `${nd.id}${honest.has(nd.index) ? '' : '(byz)'}: view ${s.view}${s.viewChanging ? ' changing' : ''}, executed ${s.lastExecuted}, stable ${s.stableSeq}, pending ${s.pendingRequests}`;
      })
      .join('; ');
    liveness.push(`replicas: ${state}`);
    for (const p of workload.pending(clock.now())) liveness.push(p);
    if (workload.pending(clock.now()).length === 0) liveness.push('no request pending: workflows did not all start or finish');
  }
  for (const f of stats.failed) liveness.push(`client gave up: ${f}`);
  const safetyViolations = [...checkers.violations, ...safety];
  const traceHash = trace.digest();
  const ok = safetyViolations.length === 0 && checkers.doubleConsumes() === 0 && liveness.length === 0;
  if (!ok && failureTrace === undefined) failureTrace = trace.tail();
  const span = stats.firstSubmitAt !== undefined && stats.lastResultAt !== undefined ? stats.lastResultAt - stats.firstSubmitAt : 0;
  const report: SimulationReport = {
    ok,
    seed: o.seed,
    nodes: n,
    byzantine: byzantine.size,
    strategy: o.strategy,
    byzantineReplicas: Object.fromEntries([...byzantine].map(([i, s]) => [ids[i] as string, s])),
    tickets: o.tickets,
    submitted: stats.submitted,
    committed: stats.committed,
    safetyViolations,
    doubleConsumes: checkers.doubleConsumes(),
    livenessFailures: liveness,
    anomalies,
    viewChanges: maxInstalledView,
    latencyMs: { p50: percentile(stats.latencies, 50), p99: percentile(stats.latencies, 99) },
    throughputPerSec: span > 0 ? Math.round((stats.committed / (span / 1000)) * 10) / 10 : 0,
    traceHash,
    traceEvents: trace.length,
    virtualDurationMs: clock.now(),
    healAtMs: faults.healAtMs,
    droppedByReason: dropped,
    sentByType,
    network: { ...simNet.counters },
    faults: { partitions: faults.partitions.length, crashes: crashCount, triggeredCrashes, lostWrites },
    byzantineActions: byzActions,
    steps,
    trace: ok ? [] : (failureTrace ?? []),
  };

  // ---- teardown: stop everything; nothing is left scheduled on the virtual clock ----
  // (stop() is not awaited: it waits for the replica's execution chain, which
  // may be parked on a storage write that the crash below discards forever)
  for (const c of clients) await c.client.close();
  for (const node of nodes) {
    node.up = false;
    void node.replica?.stop();
    node.storage?.crash();
  }
  await net.close();
  await settle();
  return report;
}

/**
 * Lets every pending promise job run: one macrotask turn, since the
 * simulation uses no I/O and no real timers, so all its work is microtasks.
 */
function settle(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return new Promise((resolve) => {
      setImmediate(resolve);
    });
  }
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => {
    setTimeout(resolve, 0);
  });
}
