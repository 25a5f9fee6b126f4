/**
 * The simulation report (a plain, JSON-friendly object) and its human
 * rendering.
 * @module
 */
import type { ByzantineStrategy, ConcreteStrategy } from './options.js';
import type { NetworkCounters } from './network.js';
import type { CrashTrigger } from './faults.js';

/** What one simulation run did and found. Every time is virtual. */
export interface SimulationReport {
  /** True when there is no safety violation, no double consume and no liveness failure. */
  readonly ok: boolean;
  readonly seed: number | string;
  readonly nodes: number;
  /** Number of Byzantine replicas. */
  readonly byzantine: number;
  readonly strategy: ByzantineStrategy;
  /** Which replica ran which strategy, e.g. `{ r0: 'equivocate' }`. */
  readonly byzantineReplicas: Readonly<Record<string, ConcreteStrategy>>;
  /** Number of ticket workflows. */
  readonly tickets: number;
  /** Client requests submitted. */
  readonly submitted: number;
  /** Client requests that got a result (f+1 matching replies). */
  readonly committed: number;
  /** Broken safety properties (empty when safe). */
  readonly safetyViolations: readonly string[];
  /** Tickets admitted more than once (by any honest replica's state or as seen by clients). */
  readonly doubleConsumes: number;
  /** Requests that did not commit within the budget after healing, and why (empty when live). */
  readonly livenessFailures: readonly string[];
  /** Odd but safe observations (e.g. a request ordered again at a second seq and refused there by the app as `replayed`). At most 100. */
  readonly anomalies: readonly string[];
  /** The highest view an honest replica installed with a NEW-VIEW (0 when the view-0 primary kept its job). */
  readonly viewChanges: number;
  /** Submit→result latency at the clients. */
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  /** Committed requests per virtual second, from the first submit to the last result. */
  readonly throughputPerSec: number;
  /** SHA-256 hash chain (hex) of the full event trace: same seed and options, same hash. */
  readonly traceHash: string;
  /** Lines in the full trace. */
  readonly traceEvents: number;
  /** When the run ended. */
  readonly virtualDurationMs: number;
  /** When faults stopped. */
  readonly healAtMs: number;
  /** Messages honest replicas dropped, by reason (from their `dropped` events). */
  readonly droppedByReason: Readonly<Record<string, number>>;
  /** Signed protocol messages that honest replicas sent, by type (a broadcast counts once). */
  readonly sentByType: Readonly<Record<string, number>>;
  /** What the network did. */
  readonly network: Readonly<NetworkCounters>;
  /** Faults injected. */
  readonly faults: {
    readonly partitions: number;
    /** Crashes of every kind (time windows and triggers). */
    readonly crashes: number;
    /** Of those, crashes set off by a {@link CrashTrigger}. */
    readonly triggeredCrashes: number;
    readonly lostWrites: number;
  };
  /** What the Byzantine replicas did, by action. */
  readonly byzantineActions: Readonly<Record<string, number>>;
  /** Simulation steps (timers fired). */
  readonly steps: number;
  /**
   * A short trace for a failing run: the lines before the first safety
   * violation, or the last lines when liveness failed. Empty when `ok`.
   */
  readonly trace: readonly string[];
}

/** The nearest-rank percentile `p` (0–100) of `values`; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * Renders a report for people: a summary, and for a failing run the seed to
 * replay, the violations and the short trace.
 */
export function formatReport(r: SimulationReport): string {
  const lines: string[] = [];
  const byz = Object.entries(r.byzantineReplicas)
    .map(([id, s]) => `${id}=${s}`)
    .join(', ');
  lines.push(`admitone-sim seed=${JSON.stringify(r.seed)} n=${r.nodes} byzantine=${r.byzantine}${byz === '' ? '' : ` (${byz})`} tickets=${r.tickets}`);
  lines.push(`  requests     ${r.committed}/${r.submitted} committed`);
  lines.push(`  latency      p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms (virtual)`);
  lines.push(`  throughput   ${r.throughputPerSec.toFixed(1)} ops/s (virtual)`);
  lines.push(`  views        ${r.viewChanges} view change(s)`);
  lines.push(`  network      ${r.network.delivered} delivered, ${r.network.lost} lost, ${r.network.duplicated} duplicated, ${r.network.partitioned} partitioned`);
  lines.push(`  faults       ${r.faults.partitions} partition(s), ${r.faults.crashes} crash(es)${r.faults.triggeredCrashes > 0 ? ` (${r.faults.triggeredCrashes} triggered)` : ''}, ${r.faults.lostWrites} lost write(s); healed at ${r.healAtMs} ms`);
  const drops = Object.entries(r.droppedByReason)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  if (drops !== '') lines.push(`  dropped      ${drops}`);
  const acts = Object.entries(r.byzantineActions)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  if (acts !== '') lines.push(`  byzantine    ${acts}`);
  lines.push(`  duration     ${r.virtualDurationMs} ms virtual, ${r.steps} steps, ${r.traceEvents} trace events`);
  lines.push(`  traceHash    ${r.traceHash}`);
  lines.push(`  safety       ${r.safetyViolations.length === 0 && r.doubleConsumes === 0 ? 'ok' : `${r.safetyViolations.length} violation(s), ${r.doubleConsumes} double consume(s)`}`);
  lines.push(`  liveness     ${r.livenessFailures.length === 0 ? 'ok' : `${r.livenessFailures.length} failure(s)`}`);
  for (const a of r.anomalies.slice(0, 5)) lines.push(`  note: ${a}`);
  if (!r.ok) {
    lines.push('');
    lines.push(`FAILED: replay with seed ${JSON.stringify(r.seed)} and the same options`);
    for (const v of r.safetyViolations.slice(0, 20)) lines.push(`  safety: ${v}`);
    for (const v of r.livenessFailures.slice(0, 20)) lines.push(`  liveness: ${v}`);
    if (r.trace.length > 0) {
      lines.push('  trace (virtual ms, event):');
      for (const t of r.trace) lines.push(`    ${t}`);
    }
  }
  return lines.join('\n');
}
