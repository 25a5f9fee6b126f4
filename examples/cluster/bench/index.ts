/**
 * PBFT over real processes: n replica hosts (one Node process each) on
 * loopback WebSockets with durable LevelDB storage (`sync: true`), clients in
 * this process. Every op is a signed ticket `issue`, verified by every
 * replica.
 *
 * For n = 4 and n = 7 it reports:
 * - peak committed ops/s in a closed loop (many clients, many outstanding
 *   requests each), with p50/p99 commit latency;
 * - p50/p99 commit latency in an open loop at 50% and 90% of that peak, each measured after
 *   an unmeasured settling period at that rate (steady state, not the drain of the peak run).
 *
 * Beside each throughput it prints the Ed25519 verification limit measured in
 * the same run: verifies/s through the same crypto provider with 32 in flight
 * (so using every core, as the n replicas together can), divided by n (each
 * replica checks every client signature), and the ratio. The last column is
 * the CPU time all processes (replicas and clients, every thread) spent per
 * committed op, read from `/proc` (Linux only): it shows the cost of an op
 * apart from how busy the shared machine was.
 *
 * Environment knobs: `BENCH_N` (default `4,7`), `BENCH_SECONDS` (measurement
 * seconds per phase, default 4), `BENCH_SYNC=0` (LevelDB without fsync),
 * `BENCH_TUNABLES='{"maxInFlightBatches":16}'` (override PBFT tunables),
 * `BENCH_CPU_PROF=r1` (write a `--cpu-prof` profile of that replica into
 * `BENCH_CPU_PROF_DIR`, default the current directory). Quick mode
 * (`ADMITONE_BENCH_QUICK=1`, the root runner's `--quick`): 1.5 s phases and a
 * shorter warm-up. Figures go to the root runner through `bench/figures.ts`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { createClient, type Client, type PbftTunables } from '@admitone/consensus';
import { defaultCrypto, encodeTicketOp, eventId, systemClock, ticketId, type CryptoProvider } from '@admitone/core';
import { keyFor, startProcessCluster, type ProcessCluster } from '../src/process-cluster.js';
import { byMode, reportFigures } from '../../../bench/figures.js';

const SEED = 'cluster-bench';
const CLIENTS = 16;
const ENDPOINTS = 4;
const WINDOW = 16;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? byMode(4, 1.5));
const SIZES = (process.env['BENCH_N'] ?? '4,7').split(',').map(Number);
const SYNC = process.env['BENCH_SYNC'] !== '0';
const PROFILE = process.env['BENCH_CPU_PROF'];
const PROFILE_DIR = resolve(process.env['BENCH_CPU_PROF_DIR'] ?? '.');
const HOLDER = new Uint8Array(32).fill(9);
const TUNABLES: PbftTunables = {
  checkpointInterval: 128,
  maxBatchRequests: 512,
  maxInFlightBatches: 8,
  viewChangeTimeoutMs: 30_000,
  ...(JSON.parse(process.env['BENCH_TUNABLES'] ?? '{}') as PbftTunables),
};

interface BenchClient {
  readonly client: Client;
  readonly event: string;
  next: number;
}

interface Figures {
  readonly opsPerSec: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU time of every process per committed op, in µs (NaN where /proc is missing). */
  readonly cpuPerOp: number;
  /** Committed ops the figures are over. */
  readonly ops: number;
}

const crypto = await defaultCrypto();
const serial = await verifyRate(crypto, 1);
const verifies = await verifyRate(crypto, 32);
console.log(`AdmitOne PBFT cluster benchmark — Node ${process.version}, ${availableParallelism()} cores, Ed25519 provider: defaultCrypto() (${crypto.backend})`);
console.log(`Replica processes on loopback WebSocket, LevelDB (sync: ${SYNC}), ticket ledger, signed \`issue\` ops; clients in the parent process.`);
console.log(`Ed25519 verifies/s through the provider (same run): ${fmt(verifies)} with 32 in flight (all cores), ${fmt(serial)} one at a time.`);
reportFigures({ pbft_ws_verify_32_per_s: verifies, pbft_ws_verify_1_per_s: serial });
console.log('limit = verifies/s with 32 in flight ÷ n: every replica checks every client signature, and all n share this machine.');
console.log('');
const header = '  n   load            ops/s   limit ops/s   ratio   p50 ms   p99 ms   cpu µs/op';
console.log(header);
for (const n of SIZES) {
  const setup = await start(n);
  try {
    await closedLoop(setup.clients, byMode(1500, 500)); // warm-up: JIT, connections, LevelDB
    const peak = await measured(setup.pids, () => closedLoop(setup.clients, SECONDS * 1000));
    const limit = verifies / n;
    row(n, 'peak (closed)', peak, limit);
    const key = `pbft_n${n}_ws`;
    reportFigures({
      [`${key}_ops_per_s`]: peak.opsPerSec,
      [`${key}_ratio`]: peak.opsPerSec / limit,
      [`${key}_peak_p50_ms`]: peak.p50,
      [`${key}_peak_p99_ms`]: peak.p99,
      ...cpuFigure(`${key}_peak_cpu_per_op_ms`, peak),
    });
    for (const share of [0.5, 0.9]) {
      const target = peak.opsPerSec * share;
      // settle at this load first: the first few hundred ms after the peak run carry its backlog
      // (garbage, large batches in the log), and the figure is the steady state at this load
      await openLoop(setup.clients, target, byMode(1000, 500));
      const open = await measured(setup.pids, () => openLoop(setup.clients, target, SECONDS * 1000));
      row(n, `${Math.round(share * 100)}% (${fmt(target)}/s)`, open, limit);
      // the 50 % latencies are the issue's headline keys (pbft_n4_ws_p50_ms / _p99_ms)
      const load = share === 0.5 ? 'half' : '90';
      reportFigures({
        [`${key}_${load}_ops_per_s`]: open.opsPerSec,
        [share === 0.5 ? `${key}_p50_ms` : `${key}_90_p50_ms`]: open.p50,
        [share === 0.5 ? `${key}_p99_ms` : `${key}_90_p99_ms`]: open.p99,
        ...cpuFigure(`${key}_${load}_cpu_per_op_ms`, open),
      });
    }
  } finally {
    await setup.close();
  }
}

/** The CPU figure in ms per op, left out where /proc is missing (not a number then). */
function cpuFigure(key: string, f: Figures): Record<string, number> {
  return Number.isNaN(f.cpuPerOp) ? {} : { [key]: f.cpuPerOp / 1000 };
}

function row(n: number, load: string, f: Figures, limit: number): void {
  console.log(
    `  ${String(n).padStart(1)}   ${load.padEnd(14)} ${fmt(f.opsPerSec).padStart(6)}   ${fmt(limit).padStart(11)}   ${(f.opsPerSec / limit).toFixed(2).padStart(5)}   ${f.p50.toFixed(1).padStart(6)}   ${f.p99.toFixed(1).padStart(6)}   ${(Number.isNaN(f.cpuPerOp) ? '-' : fmt(f.cpuPerOp)).padStart(9)}`,
  );
}

async function start(n: number): Promise<{ clients: BenchClient[]; pids: number[]; close(): Promise<void> }> {
  const endpointIds = Array.from({ length: ENDPOINTS }, (_, i) => `c${i}`);
  const cluster: ProcessCluster = await startProcessCluster({
    n,
    seed: SEED,
    clientIds: endpointIds,
    sync: SYNC,
    requireHolderCode: false,
    statusIntervalMs: 0,
    logExecuted: false,
    logLevel: 'warn',
    tunables: TUNABLES,
    ...(PROFILE === undefined ? {} : { nodeArgs: (id: string) => (id === PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : []) }),
  });
  const clients: BenchClient[] = [];
  try {
    const endpoints = await Promise.all(endpointIds.map((id) => cluster.openClientTransport(id)));
    const clock = systemClock();
    for (let i = 0; i < CLIENTS; i++) {
      const client = createClient({ deployment: cluster.deployment, transport: endpoints[i % ENDPOINTS] as (typeof endpoints)[number],
        replicas: cluster.ids,
        secretKey: keyFor(SEED, `client${i}`),
        crypto,
        clock,
        timeoutMs: 10_000,
        firstRequestSeq: 1,
      });
      const event = `ev-${n}-${i}`;
      await client.submit(encodeTicketOp({ type: 'createEvent', eventId: eventId(event) }));
      clients.push({ client, event, next: 0 });
    }
  } catch (err) {
    await cluster.close();
    throw err;
  }
  const pids = cluster.ids.map((id) => (cluster.events(id).find((e) => e.event === 'ready') as { pid?: number } | undefined)?.pid ?? 0);
  return {
    clients,
    pids,
    async close() {
      await Promise.all(clients.map((c) => c.client.close()));
      await cluster.close();
    },
  };
}

function issue(c: BenchClient): Promise<Uint8Array> {
  return c.client.submit(encodeTicketOp({ type: 'issue', eventId: eventId(c.event), ticketId: ticketId(`${c.event}-t${c.next++}`), holder: HOLDER }));
}

/** Closed loop: every client keeps {@link WINDOW} requests outstanding for `ms`. */
async function closedLoop(clients: readonly BenchClient[], ms: number): Promise<Figures> {
  const lat: number[] = [];
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    clients.flatMap((c) =>
      Array.from({ length: WINDOW }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          await issue(c);
          lat.push(performance.now() - t0);
        }
      }),
    ),
  );
  return figures(lat, performance.now() - start);
}

/** Open loop: requests arrive at `rate` per second for `ms`, whatever is outstanding; latency per request. */
async function openLoop(clients: readonly BenchClient[], rate: number, ms: number): Promise<Figures> {
  const lat: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  const end = start + ms;
  let sent = 0;
  let inWindow = 0;
  let k = 0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due) {
      const c = clients[k++ % clients.length] as BenchClient;
      const t0 = performance.now();
      inflight.push(
        issue(c).then(() => {
          const t1 = performance.now();
          lat.push(t1 - t0);
          if (t1 <= end) inWindow++;
        }),
      );
      sent++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  // throughput: commits inside the arrival window (below the offered rate when the cluster falls behind);
  // latency: every request offered in the window
  const f = figures(lat, ms);
  return { ...f, opsPerSec: (inWindow * 1000) / ms };
}

function figures(lat: number[], elapsedMs: number): Figures {
  lat.sort((a, b) => a - b);
  return { opsPerSec: (lat.length * 1000) / elapsedMs, p50: pct(lat, 50), p99: pct(lat, 99), cpuPerOp: Number.NaN, ops: lat.length };
}

/** Runs a phase and adds the CPU time of this process and the replica processes per committed op. */
async function measured(pids: readonly number[], phase: () => Promise<Figures>): Promise<Figures> {
  const all = [process.pid, ...pids];
  const before = all.map(cpuMs);
  const f = await phase();
  const spent = all.map(cpuMs).reduce((a, ms, i) => a + ms - (before[i] as number), 0);
  return { ...f, cpuPerOp: (spent * 1000) / f.ops };
}

/** User + system CPU time of every thread of `pid`, in ms (NaN without /proc). */
function cpuMs(pid: number): number {
  const dir = `/proc/${pid}/task`;
  if (!existsSync(dir)) return Number.NaN;
  let ticks = 0;
  for (const t of readdirSync(dir)) {
    const fields = readFileSync(`${dir}/${t}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10; // USER_HZ = 100
}

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Ed25519 verifications per second with `inFlight` outstanding (median of 5 rounds of 300 ms; 100 ms in quick mode). */
async function verifyRate(provider: CryptoProvider, inFlight: number): Promise<number> {
  const sk = keyFor(SEED, 'verify');
  const pk = await provider.getPublicKey(sk);
  const msg = new Uint8Array(200).fill(1);
  const sig = await provider.sign(msg, sk);
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    let count = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < byMode(300, 100)) {
      await Promise.all(Array.from({ length: inFlight }, () => provider.verify(sig, msg, pk)));
      count += inFlight;
    }
    rates.push((count * 1000) / (performance.now() - t0));
  }
  rates.sort((a, b) => a - b);
  return rates[2] as number;
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}
