/**
 * The in-memory {@link Storage}: a sorted array of entries searched by binary
 * search. It backs tests and the simulator, and passes `storageCompliance()`.
 * @module
 */
import { compareBytes, describe } from '../bytes/index.js';
import { copy, readIterateOptions, readKey, readOps, readValue, type Range, type Write } from './arguments.js';
import { StorageError } from '../errors/index.js';
import type { BatchOp, IterateOptions, Storage, StorageCapabilities } from './types.js';

/** Options of {@link memoryStorage}. */
export interface MemoryStorageInit {
  /**
   * The backing store to open, from {@link createMemoryStore}. Its data
   * survives `close()`, so opening the same store again models a restart, and
   * `capabilities.durable` is then `true`. Several open storages may share one
   * store; they see each other's writes. Default: a private store that is
   * dropped on `close()` (`capabilities.durable` is `false`).
   */
  readonly store?: MemoryStore;
  /**
   * Largest value accepted by `put` and `batch`, in bytes. Larger values are
   * rejected with a `RangeError`. Default: no limit.
   */
  readonly maxValueBytes?: number;
}

/**
 * An opaque in-memory backing store that outlives the storages opened on it:
 * pass it to {@link memoryStorage} to reopen the same data after `close()`.
 */
export interface MemoryStore {
  /** The number of entries the store holds. */
  readonly size: number;
}

/**
 * Creates an empty {@link MemoryStore}.
 *
 * @example
 * ```ts
 * const store = createMemoryStore();
 * const a = memoryStorage({ store });
 * await a.put(key, value);
 * await a.close();
 * const b = memoryStorage({ store }); // same data, as after a restart
 * ```
 */
export function createMemoryStore(): MemoryStore {
  const table: Table = { entries: [] };
  const store: MemoryStore = Object.freeze({
    get size(): number {
      return table.entries.length;
    },
  });
  tables.set(store, table);
  return store;
}

/**
 * Creates an in-memory {@link Storage}.
 *
 * Lookups are O(log n) binary searches over a sorted array; inserts and
 * deletes splice it (O(n)). Keys and values are copied on the way in and out.
 * `batch` validates every operation before applying any, so it is atomic.
 *
 * Iteration is live: each step yields the smallest key (largest with
 * `reverse`) beyond the previously yielded one that is in the current data,
 * with its current value. Writes made during an iteration are therefore seen
 * when they land ahead of the cursor and skipped when they land behind it.
 * Invalid iterate options throw when `iterate()` is called; a closed storage
 * rejects on the next step.
 *
 * @example
 * ```ts
 * const storage = memoryStorage();
 * await storage.batch([
 *   { type: 'put', key: utf8ToBytes('a'), value: new Uint8Array([1]) },
 *   { type: 'put', key: utf8ToBytes('b'), value: new Uint8Array([2]) },
 * ]);
 * for await (const [key, value] of storage.iterate({ prefix: utf8ToBytes('a') })) console.log(key, value);
 * await storage.close();
 * ```
 */
export function memoryStorage(init: MemoryStorageInit = {}): Storage {
  const { store, maxValueBytes } = readInit(init);
  let table: Table | undefined = store === undefined ? { entries: [] } : tables.get(store);
  const capabilities: StorageCapabilities = Object.freeze(
    maxValueBytes === undefined ? { durable: store !== undefined } : { durable: store !== undefined, maxValueBytes },
  );
  const open = (): Table => {
    if (table === undefined) throw new StorageError('STORAGE_CLOSED', 'The storage is closed.');
    return table;
  };

  return {
    capabilities,
    async get(key) {
      const { entries } = open();
      const i = indexOf(entries, readKey(key, 'key'));
      return i < 0 ? undefined : copy((entries[i] as Entry).value);
    },
    async put(key, value) {
      const t = open();
      apply(t, readKey(key, 'key'), readValue(value, 'value', maxValueBytes));
    },
    async del(key) {
      const t = open();
      apply(t, readKey(key, 'key'), undefined);
    },
    async batch(ops) {
      const t = open();
      const checked = readOps(ops, maxValueBytes);
      if (checked.length <= MERGE_FROM) for (const op of checked) apply(t, op.key, op.value);
      else applyAll(t, checked);
    },
    iterate(options) {
      const range = readIterateOptions(options);
      return { [Symbol.asyncIterator]: () => scan(open, range) };
    },
    async close() {
      table = undefined;
    },
  };
}

/** One stored entry. The key and value arrays are owned by the table and never mutated. */
interface Entry {
  readonly key: Uint8Array;
  value: Uint8Array;
}

/** The data of one store: entries in strictly ascending key order. */
interface Table {
  entries: Entry[];
}

/**
 * Batches with more ops than this are merged into the table in one pass,
 * O(entries + ops·log ops), instead of one O(entries) splice per op.
 */
const MERGE_FROM = 16;

/** The table behind each store; a WeakMap keeps stores opaque and unforgeable. */
const tables = new WeakMap<MemoryStore, Table>();

/** Iterates `range`, re-seeking from the last yielded key at every step. */
async function* scan(open: () => Table, range: Range): AsyncGenerator<readonly [Uint8Array, Uint8Array]> {
  let last: Uint8Array | undefined;
  for (let yielded = 0; ; yielded++) {
    const { entries } = open();
    if (yielded >= range.limit) return;
    const entry = range.reverse ? seekBackward(entries, range, last) : seekForward(entries, range, last);
    if (entry === undefined) return;
    last = entry.key;
    yield [copy(entry.key), copy(entry.value)] as const;
  }
}

function seekForward(entries: readonly Entry[], range: Range, last: Uint8Array | undefined): Entry | undefined {
  const { lower, upper } = range;
  let i = 0;
  if (last !== undefined) i = upperBound(entries, last);
  else if (lower !== undefined) i = lower.inclusive ? lowerBound(entries, lower.key) : upperBound(entries, lower.key);
  const entry = entries[i];
  if (entry === undefined || upper === undefined) return entry;
  const c = compareBytes(entry.key, upper.key);
  return c < 0 || (c === 0 && upper.inclusive) ? entry : undefined;
}

function seekBackward(entries: readonly Entry[], range: Range, last: Uint8Array | undefined): Entry | undefined {
  const { lower, upper } = range;
  let i = entries.length - 1;
  if (last !== undefined) i = lowerBound(entries, last) - 1;
  else if (upper !== undefined) i = (upper.inclusive ? upperBound(entries, upper.key) : lowerBound(entries, upper.key)) - 1;
  const entry = entries[i];
  if (entry === undefined || lower === undefined) return entry;
  const c = compareBytes(entry.key, lower.key);
  return c > 0 || (c === 0 && lower.inclusive) ? entry : undefined;
}

/** Puts (`value` defined) or deletes one already-copied key. */
function apply({ entries }: Table, key: Uint8Array, value: Uint8Array | undefined): void {
  const i = lowerBound(entries, key);
  const entry = entries[i];
  const found = entry !== undefined && compareBytes(entry.key, key) === 0;
  if (value === undefined) {
    if (found) entries.splice(i, 1);
  } else if (found) {
    entry.value = value;
  } else {
    entries.splice(i, 0, { key, value });
  }
}

/** Applies already-copied writes in order (the last write to a key wins) by merging them into a new entry array. */
function applyAll(table: Table, writes: readonly Write[]): void {
  const order = writes.map((_, i) => i).sort((a, b) => compareBytes((writes[a] as Write).key, (writes[b] as Write).key) || a - b);
  const { entries } = table;
  const out: Entry[] = [];
  let e = 0;
  for (let k = 0; k < order.length; k++) {
    const w = writes[order[k] as number] as Write;
    const next = order[k + 1];
    if (next !== undefined && compareBytes((writes[next] as Write).key, w.key) === 0) continue; // a later write to this key wins
    while (e < entries.length && compareBytes((entries[e] as Entry).key, w.key) < 0) out.push(entries[e++] as Entry);
    const entry = entries[e];
    if (entry !== undefined && compareBytes(entry.key, w.key) === 0) {
      e++;
      if (w.value === undefined) continue;
      entry.value = w.value;
      out.push(entry);
    } else if (w.value !== undefined) out.push({ key: w.key, value: w.value });
  }
  while (e < entries.length) out.push(entries[e++] as Entry);
  table.entries = out;
}

/** Index of `key`, or -1. */
function indexOf(entries: readonly Entry[], key: Uint8Array): number {
  const i = lowerBound(entries, key);
  const entry = entries[i];
  return entry !== undefined && compareBytes(entry.key, key) === 0 ? i : -1;
}

/** The first index whose key is `>= key`. */
function lowerBound(entries: readonly Entry[], key: Uint8Array): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes((entries[mid] as Entry).key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose key is `> key`. */
function upperBound(entries: readonly Entry[], key: Uint8Array): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes((entries[mid] as Entry).key, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function readInit(init: MemoryStorageInit): { store: MemoryStore | undefined; maxValueBytes: number | undefined } {
  if (typeof init !== 'object' || init === null) throw new TypeError(`init must be an object, got ${describe(init)}`);
  const { store, maxValueBytes } = init as { store?: unknown; maxValueBytes?: unknown };
  if (store !== undefined && !(typeof store === 'object' && store !== null && tables.has(store as MemoryStore))) {
    throw new TypeError(`init.store must come from createMemoryStore(), got ${describe(store)}`);
  }
  if (maxValueBytes !== undefined) {
    if (typeof maxValueBytes !== 'number') {
      throw new TypeError(`init.maxValueBytes must be a number, got ${describe(maxValueBytes)}`);
    }
    if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes < 0) {
      throw new RangeError(`init.maxValueBytes must be a non-negative integer, got ${maxValueBytes}`);
    }
  }
  return { store: store as MemoryStore | undefined, maxValueBytes };
}
