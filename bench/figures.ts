/**
 * The one way a package benchmark hands its figures to the root runner
 * (`bench/run.ts`), without anyone scraping human-readable output.
 *
 * - `ADMITONE_BENCH_OUT=<file>`: {@link reportFigures} appends one JSON line
 *   (a flat object of numbers) to that file per call. Unset (a bench run on its
 *   own), it does nothing, so every bench still prints only its human output.
 * - `ADMITONE_BENCH_QUICK=1`: {@link quickMode} is true and {@link byMode}
 *   picks the quick value, so a bench runs the same code paths with fewer
 *   iterations and smaller loads.
 *
 * Keys are snake_case and end in a unit: `_per_s`, `_mb_per_s`, `_ms`, `_s` or
 * `_ratio`. Values must be finite numbers measured in the run, never constants.
 * A bad key or value throws, so the bench fails loudly instead of writing a
 * report with a hole in it.
 *
 * Node-only (benchmarks are not library code).
 */
import { appendFileSync } from 'node:fs';

/** True when `ADMITONE_BENCH_QUICK=1`: run fewer iterations and smaller loads. */
export const quickMode: boolean = process.env['ADMITONE_BENCH_QUICK'] === '1';

/** Returns `quick` in quick mode and `full` otherwise. */
export function byMode<T>(full: T, quick: T): T {
  return quickMode ? quick : full;
}

/** A key of `bench/results.json`: snake_case ending in a unit suffix. */
export const FIGURE_KEY: RegExp = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:per_s|ms|s|ratio)$/;

/** Throws a `TypeError` naming the first key or value that cannot go into `bench/results.json`. */
export function checkFigures(figures: Readonly<Record<string, number>>): void {
  for (const [key, value] of Object.entries(figures)) {
    if (!FIGURE_KEY.test(key)) throw new TypeError(`figure key ${JSON.stringify(key)} must be snake_case ending in _per_s, _mb_per_s, _ms, _s or _ratio`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`figure ${key} must be a finite number, got ${String(value)}`);
  }
}

/**
 * Records figures for the root runner: appends them as one JSON line to the
 * file named by `ADMITONE_BENCH_OUT` (if set). Call it as soon as a figure is
 * measured; later calls add keys (a key reported twice is an error the runner
 * reports).
 */
export function reportFigures(figures: Readonly<Record<string, number>>): void {
  checkFigures(figures);
  const out = process.env['ADMITONE_BENCH_OUT'];
  if (out === undefined || out === '') return;
  appendFileSync(out, `${JSON.stringify(figures)}\n`);
}
