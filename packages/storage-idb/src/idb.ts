/**
 * {@link idbStorage}: the `Storage` seam on IndexedDB, in `idb-keyval`'s
 * layout and with its request helper.
 * @module
 */
import { promisifyRequest } from 'idb-keyval';
import { StorageError, compareBytes, prefixUpperBound } from '@admitone/core';
import type { Storage, StorageCapabilities } from '@admitone/core';
import { copyBytes as copy, describeValue as describe, isEmptyRange, readIterateOptions, readStorageKey as readKey, readBatchOps as readOps, readStorageValue as readValue, type StorageBound as Bound, type StorageRange as Range, type StorageWrite as Write } from '@admitone/core';
import { closedError, lostError, storageErrorFromIdb } from './errors.js';

/** Options of {@link idbStorage}. */
export interface IdbStorageInit {
  /** The IndexedDB database name. Default `'admitone'`. */
  readonly dbName?: string;
  /**
   * The object store inside the database. Default `'kv'`. The store is created
   * with the database, so a database holds one store: to keep several logical
   * stores in one database, give them different {@link IdbStorageInit.prefix}es.
   */
  readonly storeName?: string;
  /**
   * Every key is stored under this prefix and returned without it, so several
   * storages can share one object store without seeing each other's keys.
   * Prefixes of storages that share a store must not be prefixes of one
   * another (`[1]` would see the keys of `[1, 2]`). Default: none.
   */
  readonly prefix?: Uint8Array;
  /**
   * The most entries one scan reads per IndexedDB transaction (a page is also
   * cut after about 4 MiB of values). Default 256.
   */
  readonly pageSize?: number;
}

/**
 * Opens a `Storage` on an IndexedDB object store, for browsers (gate
 * devices, offline queues).
 *
 * The database is opened the way `idb-keyval`'s `createStore(dbName, storeName)`
 * opens it (no version; the object store is created with the database), so
 * the data stays readable with `idb-keyval`'s `get`/`set` and that store. The
 * storage opens the connection itself rather than through `createStore`,
 * whose connection is private to it and cached for good: through it a
 * storage could not close the connection when a database lacks the store,
 * nor ask for `durability: 'strict'`. Every write transaction here does ask
 * for it, so a write resolves only once the browser has flushed it to disk
 * (browsers that do not know the option use their default). Requests and
 * transactions are awaited with `idb-keyval`'s `promisifyRequest`.
 *
 * Keys are stored as `ArrayBuffer`s (the optional prefix, then the key);
 * IndexedDB compares binary keys bytewise, which is the `Storage`
 * order. Scans see binary keys only, so keys of other types that other code
 * put in the same store are ignored. Values are stored as `Uint8Array`
 * copies. `batch` is one `readwrite` transaction, so it is atomic.
 *
 * A scan cannot keep a transaction open while its consumer awaits other
 * work, so it reads pages (see {@link IdbStorageInit.pageSize}), each in its
 * own `readonly` transaction, starting strictly after the last key it
 * yielded: it never repeats a key or breaks the order, and yields every key
 * that nobody writes during the scan exactly once. Writes landing ahead of
 * the current page are seen; the rest of a page is a snapshot.
 *
 * Failures are `StorageError`s: `STORAGE_QUOTA_EXCEEDED` for a
 * `QuotaExceededError`, `STORAGE_CLOSED` for every call after `close()`
 * (including the next step of a scan in progress), and `STORAGE_IO` for
 * anything else, including every call after the browser closed the
 * connection (the database was deleted or upgraded elsewhere: the storage
 * gives the connection up at once so that it does not block them).
 *
 * @param init - which database and store, and an optional key prefix.
 * @returns the opened storage (`capabilities.durable` is `true`).
 * @throws TypeError or RangeError when `init` is malformed.
 * @throws `StorageError` `STORAGE_IO` when IndexedDB is missing or the database cannot be opened.
 *
 * @example
 * ```ts
 * const queue = await idbStorage({ dbName: 'gate-7', prefix: utf8ToBytes('scans/') });
 * await queue.put(utf8ToBytes('000001'), scanBytes);
 * for await (const [key, scan] of queue.iterate()) await upload(key, scan);
 * await queue.close();
 * ```
 */
export async function idbStorage(init: IdbStorageInit = {}): Promise<Storage> {
  const { dbName, storeName, prefix, pageSize } = readInit(init);
  if (typeof indexedDB === 'undefined') {
    throw new StorageError('STORAGE_IO', 'IndexedDB is not available in this environment.');
  }
  const db = await openDatabase(dbName, storeName);

  let closed = false;
  let lost = false;
  const loseConnection = (): void => {
    lost = true;
    db.close();
  };
  db.addEventListener('versionchange', loseConnection);
  db.addEventListener('close', loseConnection);

  const ensureOpen = (): void => {
    if (closed) throw closedError();
    if (lost) throw lostError();
  };
  /** Runs an IndexedDB call, mapping its failures. */
  const call = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    ensureOpen();
    try {
      return await fn();
    } catch (err) {
      if (closed) throw closedError();
      if (lost) throw lostError();
      throw storageErrorFromIdb(err, action);
    }
  };
  const objectStore = (mode: IDBTransactionMode): IDBObjectStore =>
    db.transaction(storeName, mode, mode === 'readwrite' ? { durability: 'strict' } : undefined).objectStore(storeName);

  /** Applies `writes` in one strict readwrite transaction; resolves when it has committed. */
  const write = (writes: readonly Write[]): Promise<void> => {
    const store = objectStore('readwrite');
    const committed = promisifyRequest(store.transaction);
    try {
      for (const w of writes) {
        if (w.value === undefined) store.delete(physicalKey(prefix, w.key));
        else store.put(w.value, physicalKey(prefix, w.key));
      }
    } catch (err) {
      // A synchronous failure part-way: abort so the requests already queued do not commit.
      committed.catch(() => undefined);
      try {
        store.transaction.abort();
      } catch {
        // already finished or aborted
      }
      throw err;
    }
    return committed;
  };

  async function* scan(range: Range): AsyncGenerator<readonly [Uint8Array, Uint8Array]> {
    ensureOpen();
    if (isEmptyRange(range)) return;
    const direction: IDBCursorDirection = range.reverse ? 'prev' : 'next';
    let remaining = range.limit;
    let after: Uint8Array | undefined;
    for (;;) {
      ensureOpen();
      const keys = keyRange(prefix, range, after);
      if (keys === undefined) return;
      const max = Math.min(pageSize, remaining);
      const page = await call('iterate', () => readPage(objectStore('readonly'), keys, direction, max, prefix.length));
      for (const entry of page.entries) {
        ensureOpen();
        after = entry[0];
        remaining--;
        yield [copy(entry[0]), entry[1]] as const;
      }
      ensureOpen();
      // A page cut by its byte budget is shorter than `max` but not the end.
      if (page.done || remaining === 0) return;
    }
  }

  const capabilities: StorageCapabilities = Object.freeze({ durable: true });
  return {
    capabilities,
    async get(key) {
      ensureOpen();
      const k = physicalKey(prefix, readKey(key, 'key'));
      const value: unknown = await call('get', () => promisifyRequest(objectStore('readonly').get(k)));
      return value === undefined ? undefined : storedValue(value);
    },
    async put(key, value) {
      ensureOpen();
      const w: Write = { key: readKey(key, 'key'), value: readValue(value, 'value') };
      await call('put', () => write([w]));
    },
    async del(key) {
      ensureOpen();
      const w: Write = { key: readKey(key, 'key'), value: undefined };
      await call('del', () => write([w]));
    },
    async batch(ops) {
      ensureOpen();
      const writes = readOps(ops);
      if (writes.length === 0) return;
      await call('batch', () => write(writes));
    },
    iterate(options) {
      const range = readIterateOptions(options);
      return { [Symbol.asyncIterator]: () => scan(range) };
    },
    async close() {
      if (closed) return;
      closed = true;
      db.removeEventListener('versionchange', loseConnection);
      db.removeEventListener('close', loseConnection);
      // Transactions already started still complete; the connection closes after them.
      db.close();
    },
  };
}

/**
 * Opens `dbName` as `idb-keyval`'s `createStore` does: without a version, and
 * creating `storeName` when the database is new. A database that exists
 * without that store is closed again and refused.
 */
async function openDatabase(dbName: string, storeName: string): Promise<IDBDatabase> {
  let db: IDBDatabase;
  try {
    const request = indexedDB.open(dbName);
    request.onupgradeneeded = () => request.result.createObjectStore(storeName);
    db = await promisifyRequest(request);
  } catch (err) {
    throw storageErrorFromIdb(err, `open ${dbName}`);
  }
  if (!db.objectStoreNames.contains(storeName)) {
    db.close();
    throw new StorageError('STORAGE_IO', `The IndexedDB database ${JSON.stringify(dbName)} has no object store ${JSON.stringify(storeName)}.`, {
      details: 'The object store is created with the database, so a database holds one store: give each storeName its own dbName, or share one store with prefixes.',
    });
  }
  return db;
}

/** Entries one scan reads per transaction, and the value bytes after which a page is cut. */
const DEFAULT_PAGE_SIZE = 256;
const PAGE_BYTES = 4 * 1024 * 1024;

/**
 * The smallest array key: every binary key sorts below it (IndexedDB orders
 * number < date < string < binary < array), so it bounds "all binary keys".
 */
const END_OF_BINARY_KEYS: IDBValidKey = [];

type Entry = readonly [Uint8Array, Uint8Array];

/** The stored key of `key`: `prefix ‖ key` in a fresh `ArrayBuffer`. */
function physicalKey(prefix: Uint8Array, key: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(prefix.length + key.length);
  out.set(prefix, 0);
  out.set(key, prefix.length);
  return out.buffer;
}

/**
 * The IndexedDB key range of the rest of a scan: `range` under `prefix`,
 * narrowed to keys strictly beyond `after` (the last key yielded), and
 * restricted to binary keys. `undefined` when it is empty.
 */
function keyRange(prefix: Uint8Array, range: Range, after: Uint8Array | undefined): IDBKeyRange | undefined {
  let { lower, upper } = range;
  if (after !== undefined) {
    const past: Bound = { key: after, inclusive: false };
    if (range.reverse) upper = past;
    else lower = past;
  }
  // Logical keys are non-empty, so the prefix itself (the empty logical key) is excluded.
  const lo = lower === undefined ? { key: prefix, open: true } : { key: concat(prefix, lower.key), open: !lower.inclusive };
  let hi: { key: Uint8Array | undefined; open: boolean };
  if (upper !== undefined) hi = { key: concat(prefix, upper.key), open: !upper.inclusive };
  else hi = { key: prefix.length === 0 ? undefined : prefixUpperBound(prefix), open: true };
  if (hi.key !== undefined) {
    const c = compareBytes(lo.key, hi.key);
    if (c > 0 || (c === 0 && (lo.open || hi.open))) return undefined;
  }
  const upperKey = hi.key === undefined ? END_OF_BINARY_KEYS : copy(hi.key).buffer;
  return IDBKeyRange.bound(copy(lo.key).buffer, upperKey, lo.open, hi.open);
}

/**
 * Reads up to `max` entries (and about {@link PAGE_BYTES} of values) with a
 * cursor, in one transaction. Keys come back without the prefix; `done` says
 * the cursor ran out, so a page cut by count or bytes is never taken for the end.
 */
function readPage(store: IDBObjectStore, keys: IDBKeyRange, direction: IDBCursorDirection, max: number, prefixLength: number): Promise<{ entries: Entry[]; done: boolean }> {
  return new Promise<{ entries: Entry[]; done: boolean }>((resolve, reject) => {
    const out: Entry[] = [];
    let bytes = 0;
    const request = store.openCursor(keys, direction);
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const cursor = request.result;
      if (cursor === null) {
        resolve({ entries: out, done: true });
        return;
      }
      const key: unknown = cursor.key;
      if (!(key instanceof ArrayBuffer)) {
        reject(new StorageError('STORAGE_CORRUPT', 'A key in the binary key range is not an ArrayBuffer.'));
        return;
      }
      let value: Uint8Array;
      try {
        value = storedValue(cursor.value);
      } catch (err) {
        reject(err);
        return;
      }
      out.push([new Uint8Array(key, prefixLength), value]);
      bytes += value.length;
      if (out.length >= max || bytes >= PAGE_BYTES) resolve({ entries: out, done: false });
      else cursor.continue();
    };
  });
}

/** Checks a value read from the store; a plain `Uint8Array` of exactly its bytes. */
function storedValue(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new StorageError('STORAGE_CORRUPT', 'A value in the store is not a Uint8Array.', {
      details: `Found ${describe(value)}; was the object store written by other code without a prefix?`,
    });
  }
  // Structured clone gives a fresh array; copy only if it views part of a larger buffer.
  return value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && value.constructor === Uint8Array ? value : copy(value);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function readInit(init: IdbStorageInit): { dbName: string; storeName: string; prefix: Uint8Array; pageSize: number } {
  if (typeof init !== 'object' || init === null) throw new TypeError(`init must be an object, got ${describe(init)}`);
  const { dbName = 'admitone', storeName = 'kv', prefix, pageSize = DEFAULT_PAGE_SIZE } = init as {
    dbName?: unknown;
    storeName?: unknown;
    prefix?: unknown;
    pageSize?: unknown;
  };
  const name = (value: unknown, label: string): string => {
    if (typeof value !== 'string') throw new TypeError(`${label} must be a string, got ${describe(value)}`);
    if (value.length === 0) throw new RangeError(`${label} must not be empty`);
    return value;
  };
  if (prefix !== undefined && !(prefix instanceof Uint8Array)) {
    throw new TypeError(`init.prefix must be a Uint8Array, got ${describe(prefix)}`);
  }
  if (typeof pageSize !== 'number') throw new TypeError(`init.pageSize must be a number, got ${describe(pageSize)}`);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`init.pageSize must be a positive integer, got ${pageSize}`);
  return {
    dbName: name(dbName, 'init.dbName'),
    storeName: name(storeName, 'init.storeName'),
    prefix: prefix === undefined ? new Uint8Array(0) : copy(prefix),
    pageSize,
  };
}
