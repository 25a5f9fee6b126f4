/**
 * {@link levelStorage}: the `Storage` seam on LevelDB through `classic-level`.
 * @module
 */
import { ClassicLevel } from 'classic-level';
import type { Storage, StorageCapabilities } from '@admitone/core';
import { copyBytes as copy, describeValue as describe, isEmptyRange, readIterateOptions, readStorageKey as readKey, readBatchOps as readOps, readStorageValue as readValue, type StorageRange as Range } from '@admitone/core';
import { closedError, storageErrorFromLevel } from './errors.js';

/** Options of {@link levelStorage}. */
export interface LevelStorageInit {
  /** The directory LevelDB keeps its files in. One open handle per directory at a time. */
  readonly location: string;
  /**
   * When `true` (the default), `put`, `del` and `batch` resolve only after
   * LevelDB has written the change to its log and `fsync`ed it, so a resolved
   * write survives a process crash and a power loss. With `false` the write is
   * handed to the operating system and resolves at once: it survives a crash
   * of the process but may be lost (as a suffix of recent writes, never a torn
   * batch) if the machine loses power. `capabilities.durable` stays `true`
   * either way; `false` is for tests and for data that can be rebuilt.
   */
  readonly sync?: boolean;
  /** Create the database when `location` holds none. Default `true`. */
  readonly createIfMissing?: boolean;
}

/**
 * Opens a `Storage` on a LevelDB database at `init.location`.
 *
 * Keys and values are stored as raw bytes; LevelDB's default comparator orders
 * keys as unsigned bytes, which is the `Storage` order. `batch` is one
 * LevelDB write batch, so it is atomic, also across a crash. By default every
 * write is `fsync`ed before it resolves (see {@link LevelStorageInit.sync}).
 *
 * `iterate` runs a LevelDB iterator, which reads from an implicit snapshot
 * taken when the scan starts: writes made during a scan are not seen by it,
 * which satisfies the seam's contract for writes during iteration. The
 * iterator is released when the scan ends, when the consumer stops early
 * (`break`, `return()`), and when the storage is closed.
 *
 * Failures are `StorageError`s: `STORAGE_LOCKED` when another handle
 * (in this or another process) has the database open, `STORAGE_CORRUPT` for
 * corruption, `STORAGE_QUOTA_EXCEEDED` when the disk is full, `STORAGE_IO`
 * otherwise, and `STORAGE_CLOSED` for every call after `close()`, including
 * the next step of a scan that was in progress.
 *
 * @param init - where the database lives and how writes are flushed.
 * @returns the opened storage (`capabilities.durable` is `true`).
 * @throws TypeError or RangeError when `init` is malformed.
 * @throws `StorageError` when the database cannot be opened.
 *
 * @example
 * ```ts
 * const storage = await levelStorage({ location: '/var/lib/admitone/replica-1' });
 * await storage.batch([{ type: 'put', key: utf8ToBytes('view'), value: new Uint8Array([7]) }]);
 * await storage.close();
 * ```
 */
export async function levelStorage(init: LevelStorageInit): Promise<Storage> {
  const { location, sync, createIfMissing } = readInit(init);
  const db = new ClassicLevel<Uint8Array, Uint8Array>(location, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    createIfMissing,
  });
  try {
    await db.open();
  } catch (err) {
    throw storageErrorFromLevel(err, `open ${location}`);
  }

  const writeOptions = { sync };
  let closing: Promise<void> | undefined;
  const ensureOpen = (): void => {
    if (closing !== undefined) throw closedError();
  };
  /** Runs a LevelDB call, mapping its failures (a close racing the call maps to STORAGE_CLOSED). */
  const call = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    ensureOpen();
    try {
      return await fn();
    } catch (err) {
      throw closing !== undefined ? closedError() : storageErrorFromLevel(err, action);
    }
  };

  async function* scan(range: Range): AsyncGenerator<readonly [Uint8Array, Uint8Array]> {
    ensureOpen();
    if (isEmptyRange(range)) return;
    const iterator = db.iterator(levelRange(range));
    try {
      for (;;) {
        const entry = await call('iterate', () => iterator.next());
        if (entry === undefined) return;
        ensureOpen();
        yield [copy(entry[0]), copy(entry[1])] as const;
      }
    } finally {
      // Runs on exhaustion, on error and when the consumer calls return(); closing twice is harmless.
      await iterator.close().catch(() => undefined);
    }
  }

  const capabilities: StorageCapabilities = Object.freeze({ durable: true });
  return {
    capabilities,
    async get(key) {
      ensureOpen();
      const k = readKey(key, 'key');
      const value = await call('get', () => db.get(k));
      return value === undefined ? undefined : copy(value);
    },
    async put(key, value) {
      ensureOpen();
      const k = readKey(key, 'key');
      const v = readValue(value, 'value');
      await call('put', () => db.put(k, v, writeOptions));
    },
    async del(key) {
      ensureOpen();
      const k = readKey(key, 'key');
      await call('del', () => db.del(k, writeOptions));
    },
    async batch(ops) {
      ensureOpen();
      const writes = readOps(ops);
      if (writes.length === 0) return;
      const levelOps = writes.map((w) =>
        w.value === undefined ? { type: 'del' as const, key: w.key } : { type: 'put' as const, key: w.key, value: w.value },
      );
      await call('batch', () => db.batch(levelOps, writeOptions));
    },
    iterate(options) {
      const range = readIterateOptions(options);
      return { [Symbol.asyncIterator]: () => scan(range) };
    },
    close() {
      closing ??= db.close().catch((err: unknown) => {
        throw storageErrorFromLevel(err, `close ${location}`);
      });
      return closing;
    },
  };
}

/** LevelDB iterator options for a validated range. */
function levelRange({ lower, upper, reverse, limit }: Range): {
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse: boolean;
  limit: number;
} {
  return {
    ...(lower === undefined ? {} : lower.inclusive ? { gte: lower.key } : { gt: lower.key }),
    ...(upper === undefined ? {} : upper.inclusive ? { lte: upper.key } : { lt: upper.key }),
    reverse,
    limit: limit === Infinity ? -1 : limit,
  };
}

function readInit(init: LevelStorageInit): { location: string; sync: boolean; createIfMissing: boolean } {
  if (typeof init !== 'object' || init === null) throw new TypeError(`init must be an object, got ${describe(init)}`);
  const { location, sync = true, createIfMissing = true } = init as { location?: unknown; sync?: unknown; createIfMissing?: unknown };
  if (typeof location !== 'string') throw new TypeError(`init.location must be a string, got ${describe(location)}`);
  if (location.length === 0) throw new RangeError('init.location must not be empty');
  if (typeof sync !== 'boolean') throw new TypeError(`init.sync must be a boolean, got ${describe(sync)}`);
  if (typeof createIfMissing !== 'boolean') {
    throw new TypeError(`init.createIfMissing must be a boolean, got ${describe(createIfMissing)}`);
  }
  return { location, sync, createIfMissing };
}
