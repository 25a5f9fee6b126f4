/**
 * The pool of preprocessed power tuples `([r], [r²], …, [r⁷])`.
 *
 * Coordination rule: tuples are numbered in the order `preprocess` was
 * *called* (not the order batches finish), and an evaluation claims the next
 * unclaimed tuples at the moment it is *called*. Members that issue the same
 * sequence of `preprocess`/`evaluateMimc` calls therefore use the same tuples
 * for the same evaluation, whatever the timing. The claim's start index is
 * part of every evaluation message's context digest, so members whose call
 * sequences differ detect it instead of computing garbage.
 * @module
 */
import { MpcError } from './errors.js';

/** Number of powers in a tuple: `r¹ … r⁷`. */
export const POWERS = 7;

/**
 * Shares of many power tuples as 7 parallel vectors: `powers[j][i]` is this
 * member's share of `r_i^(j+1)`, scaled by a public constant per `j` (the
 * engine stores the online phase's form, see `preprocessChunk`; the pool
 * itself never looks at the values).
 */
export type PowerVectors = readonly (readonly bigint[])[];

/** Counts of the pool's tuples by state. */
export interface PoolStats {
  /** Preprocessed and not claimed. */
  readonly ready: number;
  /** Still being preprocessed and not claimed. */
  readonly preparing: number;
  /** From failed batches and not claimed. */
  readonly failed: number;
  /** Claimed by evaluations so far (all time). */
  readonly claimed: number;
}

/** A claim on `count` consecutive tuples starting at `start`. */
export interface Claim {
  /** Index of the first claimed tuple (in preprocess call order). */
  readonly start: number;
  /**
   * The claim's position counted from the last {@link TuplePool.discardUnclaimed}
   * (or creation): what members agree on, since a member that restarted and
   * a member that discarded its pool at the same point of the call sequence
   * have different absolute indices but equal positions.
   */
  readonly position: number;
  /** Number of claimed tuples. */
  readonly count: number;
  /**
   * Waits for the claimed tuples' batches and returns their shares (then
   * forgets them). Rejects with `MPC_PREPROCESSING_FAILED` if a batch failed.
   */
  take(): Promise<PowerVectors>;
}

/** The slot handle `add` returns: fill it with the batch's shares, or fail it. */
export interface PoolSlot {
  /** Stores the batch's shares (7 vectors of the batch's length). */
  fill(powers: PowerVectors): void;
  /** Marks the batch failed; claims overlapping it reject. */
  fail(error: unknown): void;
}

/** The tuple pool (see the module comment for the coordination rule). */
export interface TuplePool {
  /** Appends `count` tuples, to be filled later, at the end of the order. */
  add(count: number): PoolSlot;
  /** Unclaimed tuples, ready, in preparation or failed. */
  unclaimed(): number;
  /** Counts by state. */
  stats(): PoolStats;
  /** Claims the next `count` tuples; throws `MPC_NOT_ENOUGH_TUPLES` when fewer are unclaimed. */
  claim(count: number): Claim;
  /** Claims and forgets every unclaimed tuple (ready, preparing or failed); returns how many. */
  discardUnclaimed(): number;
}

/** Creates an empty pool. */
export function createTuplePool(): TuplePool {
  /** Batches not yet fully consumed, in call order. */
  const batches: Batch[] = [];
  let added = 0;
  let claimed = 0;
  let base = 0; // `added` at the last discardUnclaimed

  const forget = (): void => {
    while (batches.length > 0 && (batches[0] as Batch).consumed === (batches[0] as Batch).count && (batches[0] as Batch).state !== 'preparing') {
      const b = batches.shift() as Batch;
      b.powers = undefined;
    }
  };

  return {
    add(count) {
      let settle: () => void = () => {};
      const done = new Promise<void>((resolve) => (settle = resolve));
      const batch: Batch = { start: added, count, state: 'preparing', powers: undefined, error: undefined, consumed: 0, done };
      added += count;
      batches.push(batch);
      return {
        fill(powers) {
          if (batch.state !== 'preparing') return;
          batch.state = 'ready';
          if (batch.consumed < batch.count) batch.powers = powers; // else every tuple was discarded
          settle();
          forget();
        },
        fail(error) {
          if (batch.state !== 'preparing') return;
          batch.state = 'failed';
          batch.error = error;
          settle();
          forget();
        },
      };
    },
    unclaimed: () => added - claimed,
    stats() {
      const counts = { ready: 0, preparing: 0, failed: 0 };
      for (const b of batches) counts[b.state] += Math.max(0, b.start + b.count - Math.max(b.start, claimed));
      return { ...counts, claimed };
    },
    discardUnclaimed() {
      const count = added - claimed;
      for (const b of batches) b.consumed += Math.max(0, b.start + b.count - Math.max(b.start, claimed));
      claimed = added;
      base = added;
      for (const b of batches) if (b.consumed === b.count) b.powers = undefined;
      forget();
      return count;
    },
    claim(count) {
      if (added - claimed < count) {
        throw new MpcError('MPC_NOT_ENOUGH_TUPLES', `The evaluation needs ${count} power tuples; ${added - claimed} are unclaimed.`, {
          meta: { needed: count, unclaimed: added - claimed },
        });
      }
      const start = claimed;
      claimed += count;
      const end = start + count;
      const parts = batches
        .filter((b) => b.start < end && b.start + b.count > start)
        .map((b) => ({ batch: b, from: Math.max(start, b.start) - b.start, to: Math.min(end, b.start + b.count) - b.start }));
      return {
        start,
        position: start - base,
        count,
        async take() {
          await Promise.all(parts.map((part) => part.batch.done));
          const slices: (readonly bigint[])[][] = Array.from({ length: POWERS }, () => []);
          let failure: unknown;
          for (const { batch, from, to } of parts) {
            batch.consumed += to - from;
            if (batch.state !== 'ready' || batch.powers === undefined) {
              failure ??= batch.error;
              continue;
            }
            for (let j = 0; j < POWERS; j++) (slices[j] as (readonly bigint[])[]).push((batch.powers[j] as readonly bigint[]).slice(from, to));
          }
          const out = slices.map((s) => (s.length === 1 ? (s[0] as bigint[]) : ([] as bigint[]).concat(...s)));
          forget();
          if (failure !== undefined || parts.some((p) => p.batch.state !== 'ready')) {
            throw new MpcError('MPC_PREPROCESSING_FAILED', 'Some claimed power tuples come from a failed preprocessing batch.', {
              cause: failure,
              meta: { start, count },
            });
          }
          return out;
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------

interface Batch {
  readonly start: number;
  readonly count: number;
  state: 'preparing' | 'ready' | 'failed';
  powers: PowerVectors | undefined;
  error: unknown;
  /** Tuples of this batch handed out by `take` so far. */
  consumed: number;
  /** Resolves (never rejects) when the batch is filled or failed. */
  readonly done: Promise<void>;
}
