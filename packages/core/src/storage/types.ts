/**
 * The `Storage` seam: a byte-keyed, ordered key-value store.
 * @module
 */

/** One operation inside an atomic {@link Storage.batch}. */
export type BatchOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array };

/**
 * Bounds and options of an ordered scan. Bounds compare keys lexicographically
 * as unsigned bytes ({@link compareBytes}). `prefix` is combined with the
 * other bounds (all must hold).
 */
export interface IterateOptions {
  /** Only keys starting with these bytes. */
  readonly prefix?: Uint8Array;
  /** Only keys strictly greater than this. */
  readonly gt?: Uint8Array;
  /** Only keys greater than or equal to this. */
  readonly gte?: Uint8Array;
  /** Only keys strictly less than this. */
  readonly lt?: Uint8Array;
  /** Only keys less than or equal to this. */
  readonly lte?: Uint8Array;
  /** Yield in descending key order. Default `false`. */
  readonly reverse?: boolean;
  /** Stop after this many entries. Default: no limit. */
  readonly limit?: number;
}

/** What a storage implementation promises. */
export interface StorageCapabilities {
  /**
   * True when data survives `close()` and reopening (and, for real adapters,
   * a process crash): a resolved `put`/`del`/`batch` is durable.
   */
  readonly durable: boolean;
  /** Largest value accepted, in bytes, if the implementation has a limit. */
  readonly maxValueBytes?: number;
}

/**
 * A byte-keyed, ordered key-value store.
 *
 * Contract (checked by `storageCompliance()` from `@admitone/core/compliance`):
 * - keys are non-empty `Uint8Array`s, ordered lexicographically; values are
 *   `Uint8Array`s stored and returned byte-exact (returned arrays are copies the
 *   caller may mutate);
 * - `batch` is atomic: after it resolves all its operations are visible, and if
 *   it rejects none are; later ops in one batch win over earlier ones on the
 *   same key;
 * - a resolved write is durable when `capabilities.durable` is true;
 * - `iterate` yields entries in strictly ascending key order (descending with
 *   `reverse`). Writes made while an iteration is in progress never make it
 *   throw, repeat a key, or break the order; keys untouched during the
 *   iteration are each yielded exactly once;
 * - after `close()` resolves every method rejects with a `StorageError` whose
 *   code is `STORAGE_CLOSED`; `close()` is idempotent;
 * - invalid arguments throw `TypeError`/`RangeError` naming the argument.
 */
export interface Storage {
  /** What this implementation promises. */
  readonly capabilities: StorageCapabilities;
  /** Reads one value, or `undefined` when the key is absent. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Writes one value. */
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  /** Deletes one key; deleting an absent key is not an error. */
  del(key: Uint8Array): Promise<void>;
  /** Applies all operations atomically. */
  batch(ops: readonly BatchOp[]): Promise<void>;
  /** Scans entries in key order. */
  iterate(options?: IterateOptions): AsyncIterable<readonly [key: Uint8Array, value: Uint8Array]>;
  /** Releases resources. Idempotent. */
  close(): Promise<void>;
}
