/**
 * Injected environment: time, randomness and logging. Consensus, market,
 * identity and gate code never read `Date.now()`, `Math.random()` or
 * `crypto.getRandomValues` directly; they take these interfaces, which is what
 * makes the simulator deterministic.
 * @module
 */

/** A cancellable timer handle. */
export interface TimerHandle {
  /** Cancels the timer; a no-op if it already fired or was cancelled. */
  cancel(): void;
}

/** A source of time and timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch (virtual in the simulator). */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds (clamped to ≥ 0). */
  setTimeout(callback: () => void, ms: number): TimerHandle;
}

/** A source of randomness. Secure for {@link systemRandom}; deterministic for `seededRandom`. */
export interface Random {
  /** Fills and returns a new array of `length` random bytes. */
  bytes(length: number): Uint8Array;
  /** A uniform integer in `[0, maxExclusive)`, without modulo bias. `maxExclusive` ≤ 2^32. */
  int(maxExclusive: number): number;
  /** A uniform float in `[0, 1)` with 53 bits of precision. */
  float(): number;
}

/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured fields attached to a log record. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger. */
export interface Logger {
  /** Logs diagnostic detail (off by default). */
  debug(message: string, fields?: LogFields): void;
  /** Logs a normal, noteworthy event. */
  info(message: string, fields?: LogFields): void;
  /** Logs something unexpected that the system handled. */
  warn(message: string, fields?: LogFields): void;
  /** Logs a failure that needs attention. */
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every record. */
  child(bindings: LogFields): Logger;
}
