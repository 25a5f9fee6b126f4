/**
 * Tiny timing helpers for the identity benchmarks (wall clock via
 * `performance.now()`; benchmarks are not library code).
 */

/** Summary of a list of samples, in milliseconds. */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

/** Percentiles by nearest rank. */
export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
  return {
    n: s.length,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    p50: at(0.5),
    p99: at(0.99),
    min: s[0] as number,
    max: s[s.length - 1] as number,
  };
}

/** Runs `fn` repeatedly for about `ms` milliseconds; returns operations per second (median of 5 slices). */
export function opsPerSecond(fn: () => unknown, ms = 1000): number {
  // Warm-up.
  const warmEnd = performance.now() + ms / 5;
  while (performance.now() < warmEnd) fn();
  const rates: number[] = [];
  for (let slice = 0; slice < 5; slice++) {
    let ops = 0;
    const start = performance.now();
    const end = start + ms / 5;
    while (performance.now() < end) {
      for (let i = 0; i < 16; i++) fn();
      ops += 16;
    }
    rates.push((ops * 1000) / (performance.now() - start));
  }
  return summarize(rates).p50;
}

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
