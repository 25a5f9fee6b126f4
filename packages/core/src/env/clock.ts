/**
 * Clocks: the system clock for production and a deterministic virtual clock
 * for tests and the simulator.
 * @module
 */
import type { Clock, TimerHandle } from './types.js';

/**
 * A {@link Clock} whose time only moves when told to. Timers fire in order of
 * due time, and timers due at the same time fire in the order they were
 * scheduled. Nothing depends on wall-clock time, so runs are reproducible.
 */
export interface VirtualClock extends Clock {
  /**
   * Moves time forward by `ms` (finite, ≥ 0), firing every timer that falls
   * due on the way, each with `now()` set to its due time. Timers scheduled by
   * those callbacks also fire if they fall due within the window. Afterwards
   * `now()` is the start time plus `ms`. If a callback throws, the error
   * propagates and time stays at that timer's due time.
   */
  advance(ms: number): void;
  /**
   * Jumps to the next pending timer's due time (never backwards) and fires it.
   * Returns `false`, without moving time, when no timer is pending.
   */
  runNext(): boolean;
  /** How many timers are scheduled and not yet fired or cancelled. */
  pendingTimers(): number;
  /** The due time of the next pending timer, or `undefined` if there is none. */
  nextTimerAt(): number | undefined;
}

/** Options for {@link virtualClock}. */
export interface VirtualClockInit {
  /** The initial `now()`, in milliseconds. Default 0. */
  readonly start?: number;
}

/**
 * The platform clock: `Date.now()` and `globalThis.setTimeout`.
 *
 * `ms` is clamped to ≥ 0; a non-finite `ms` or one above 2^31 − 1 (the
 * platform timer limit, beyond which hosts fire immediately) throws
 * `RangeError`.
 */
export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout(callback: () => void, ms: number): TimerHandle {
      assertCallback(callback);
      const delay = checkDelay(ms);
      if (delay > MAX_SYSTEM_DELAY) {
        throw new RangeError(`ms must be at most ${MAX_SYSTEM_DELAY}, got ${ms}`);
      }
      const id = globalThis.setTimeout(callback, delay);
      return { cancel: () => globalThis.clearTimeout(id) };
    },
  };
}

/**
 * A deterministic {@link VirtualClock} starting at `init.start` (default 0).
 *
 * Timers live in a binary heap keyed by (due time, scheduling sequence), so
 * ordering is total and independent of the platform. `setTimeout` clamps a
 * negative `ms` to 0 and throws `RangeError` for a non-finite one.
 *
 * @example
 * ```ts
 * const clock = virtualClock();
 * clock.setTimeout(() => console.log('tick', clock.now()), 100);
 * clock.advance(250); // logs "tick 100"; clock.now() === 250
 * ```
 */
export function virtualClock(init: VirtualClockInit = {}): VirtualClock {
  const start = init.start ?? 0;
  if (!Number.isFinite(start)) throw new RangeError(`start must be a finite number, got ${String(start)}`);
  let now = start;
  let seq = 0;
  let pending = 0;
  const heap = new TimerHeap();

  /** Removes cancelled timers from the top; returns the next live timer. */
  function peekLive(): Timer | undefined {
    let top = heap.peek();
    while (top !== undefined && top.cancelled) {
      heap.pop();
      top = heap.peek();
    }
    return top;
  }

  /** Drops cancelled timers once they outnumber live ones (bounded memory under timer churn). */
  function maybeCompact(): void {
    const dead = heap.size - pending;
    if (dead > COMPACT_MIN && dead > pending) heap.retain((t) => !t.cancelled);
  }

  function fire(timer: Timer): void {
    heap.pop();
    timer.fired = true;
    pending--;
    now = Math.max(now, timer.at);
    timer.callback();
  }

  return {
    now: () => now,
    setTimeout(callback: () => void, ms: number): TimerHandle {
      assertCallback(callback);
      const timer: Timer = { at: now + checkDelay(ms), seq: seq++, callback, cancelled: false, fired: false };
      heap.push(timer);
      pending++;
      return {
        cancel() {
          if (timer.cancelled || timer.fired) return;
          timer.cancelled = true;
          pending--;
          maybeCompact();
        },
      };
    },
    advance(ms: number): void {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new RangeError(`ms must be a finite number ≥ 0, got ${String(ms)}`);
      }
      const target = now + ms;
      for (let next = peekLive(); next !== undefined && next.at <= target; next = peekLive()) fire(next);
      now = target;
    },
    runNext(): boolean {
      const next = peekLive();
      if (next === undefined) return false;
      fire(next);
      return true;
    },
    pendingTimers: () => pending,
    nextTimerAt: () => peekLive()?.at,
  };
}

// ---------------------------------------------------------------------------
// helpers

/** Cancelled timers tolerated in the heap before compaction is considered. */
const COMPACT_MIN = 64;

/** Largest delay `setTimeout` honours on browsers and Node (signed 32-bit ms). */
const MAX_SYSTEM_DELAY = 2 ** 31 - 1;

/** A scheduled virtual timer. */
interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
  fired: boolean;
}

function assertCallback(callback: unknown): void {
  if (typeof callback !== 'function') throw new TypeError(`callback must be a function, got ${typeof callback}`);
}

/** Validates a timer delay and clamps it to ≥ 0. */
function checkDelay(ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new RangeError(`ms must be a finite number, got ${String(ms)}`);
  }
  return Math.max(0, ms);
}

/** True when timer `a` fires before timer `b`. */
function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** A binary min-heap of timers ordered by {@link before}. */
class TimerHeap {
  readonly #items: Timer[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Timer | undefined {
    return this.#items[0];
  }

  /** Keeps only the timers satisfying `keep`, restoring the heap order. */
  retain(keep: (timer: Timer) => boolean): void {
    const kept = this.#items.filter(keep);
    this.#items.length = 0;
    for (const t of kept) this.push(t);
  }

  push(timer: Timer): void {
    const items = this.#items;
    items.push(timer);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as Timer;
      if (!before(timer, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = timer;
  }

  pop(): Timer | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    // Sift `last` down from the root.
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let child = l;
      if (r < n && before(items[r] as Timer, items[l] as Timer)) child = r;
      const c = items[child] as Timer;
      if (!before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
