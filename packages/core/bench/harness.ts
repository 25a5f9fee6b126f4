/**
 * A tiny benchmark harness: runs an operation for a time budget in rounds and
 * reports the median throughput across rounds plus per-op latency p50/p99.
 * Figures are noisy on shared machines: compare ratios measured in one run.
 * In quick mode (`ADMITONE_BENCH_QUICK=1`, see `bench/figures.ts` at the
 * repository root) every budget is 0.15 times as long.
 */
import { byMode } from '../../../bench/figures.js';

/** Budget multiplier: 1, or 0.15 in quick mode. */
const BUDGET_SCALE = byMode(1, 0.15);

export interface BenchResult {
  readonly name: string;
  /** Median ops/s across rounds. */
  readonly opsPerSec: number;
  /** Per-op latency percentiles in microseconds (from sampled single ops). */
  readonly p50us: number;
  readonly p99us: number;
  readonly samples: number;
}

export interface BenchOptions {
  /** Total time budget in ms (default 1500). */
  readonly budgetMs?: number;
  /** Number of rounds to take the median over (default 5). */
  readonly rounds?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** Benchmarks a synchronous or asynchronous operation. */
export async function bench(name: string, op: () => unknown, options: BenchOptions = {}): Promise<BenchResult> {
  const budget = (options.budgetMs ?? 1500) * BUDGET_SCALE;
  const rounds = options.rounds ?? 5;
  // warm-up
  const warmEnd = performance.now() + Math.min(200, budget / 5);
  while (performance.now() < warmEnd) await op();
  const perRound = budget / rounds;
  const rates: number[] = [];
  const lat: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = performance.now();
    const end = start + perRound;
    let now = start;
    while (now < end) {
      const t0 = performance.now();
      const out = op();
      if (out instanceof Promise) await out;
      now = performance.now();
      lat.push((now - t0) * 1000);
      n++;
    }
    rates.push((n * 1000) / (now - start));
  }
  rates.sort((a, b) => a - b);
  lat.sort((a, b) => a - b);
  return {
    name,
    opsPerSec: rates[Math.floor(rates.length / 2)] as number,
    p50us: percentile(lat, 50),
    p99us: percentile(lat, 99),
    samples: lat.length,
  };
}

/** Prints results as an aligned table, with each row's ratio to `baseline` (if given). */
export function report(title: string, results: readonly BenchResult[], baseline?: BenchResult): void {
  console.log(`\n${title}`);
  const w = Math.max(...results.map((r) => r.name.length), 10);
  console.log(`${'operation'.padEnd(w)}  ${'ops/s'.padStart(12)}  ${'p50 µs'.padStart(10)}  ${'p99 µs'.padStart(10)}${baseline ? `  ${'× ' + baseline.name}` : ''}`);
  for (const r of results) {
    const ratio = baseline ? `  ${(r.opsPerSec / baseline.opsPerSec).toFixed(2)}` : '';
    console.log(
      `${r.name.padEnd(w)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(12)}  ${r.p50us.toFixed(1).padStart(10)}  ${r.p99us.toFixed(1).padStart(10)}${ratio}`,
    );
  }
}
