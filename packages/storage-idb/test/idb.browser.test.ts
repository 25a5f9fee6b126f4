import { afterAll, describe, expect, it } from 'vitest';
import { createStore, promisifyRequest } from 'idb-keyval';
import { StorageError, type Storage } from '@admitone/core';
import { storageCompliance } from '@admitone/core/compliance';
import { idbStorage, type IdbStorageInit } from '../src/index.js';
import { storageErrorFromIdb } from '../src/errors.js';

/** Database names are unique per test; this run's id keeps them apart from leftovers of other runs. */
const RUN = Math.random().toString(36).slice(2, 8);
let counter = 0;
const dbNames = new Set<string>();
function freshDbName(): string {
  const name = `admitone-test-${RUN}-${counter++}`;
  dbNames.add(name);
  return name;
}

/** Deletes a database; fails (instead of hanging) if an open connection blocks it. */
async function deleteDb(name: string): Promise<void> {
  const request = indexedDB.deleteDatabase(name);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`deleting ${name} is blocked by an open connection`)), 5_000);
  });
  try {
    await Promise.race([promisifyRequest(request), timeout]);
  } finally {
    clearTimeout(timer);
  }
  dbNames.delete(name);
}

afterAll(async () => {
  for (const name of [...dbNames]) await deleteDb(name);
});

/** Writes raw entries (any IndexedDB key type) with a connection of its own, then closes it. */
async function writeRaw(dbName: string, entries: ReadonlyArray<readonly [IDBValidKey, unknown]>, storeName = 'kv'): Promise<void> {
  const useStore = createStore(dbName, storeName);
  await useStore('readwrite', (store) => {
    for (const [key, value] of entries) store.put(value, key);
    return promisifyRequest(store.transaction);
  });
  await useStore('readonly', (store) => store.transaction.db.close());
}

const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
const buf = (...bytes: number[]): ArrayBuffer => Uint8Array.from(bytes).buffer;

/** A harness with a fresh database per test; `reopen` closes and opens the same database. */
function harness(name: string, init: Omit<IdbStorageInit, 'dbName'>, seed?: (dbName: string) => Promise<void>) {
  const names = new WeakMap<Storage, string>();
  const open = async (dbName: string): Promise<Storage> => {
    const storage = await idbStorage({ ...init, dbName });
    names.set(storage, dbName);
    return storage;
  };
  const nameOf = (storage: Storage): string => {
    const dbName = names.get(storage);
    if (dbName === undefined) throw new Error('unknown storage');
    return dbName;
  };
  return {
    name,
    async setup() {
      const dbName = freshDbName();
      await seed?.(dbName);
      return open(dbName);
    },
    async reopen(storage: Storage) {
      await storage.close();
      return open(nameOf(storage));
    },
    async teardown(storage: Storage) {
      await deleteDb(nameOf(storage));
    },
  };
}

storageCompliance({ describe, it }, harness('idbStorage()', {}));

/**
 * Under a prefix, with small pages (so scans re-seek often, also while the suite writes during them),
 * in a store that already holds neighbours the prefixed storage must not see: binary keys just below
 * and just above the prefix range, the prefix itself (the empty key under it), and string, number,
 * date and array keys.
 */
const PREFIX = b(0x70, 0xff);
storageCompliance(
  { describe, it },
  harness('idbStorage({ prefix, pageSize: 2 }) beside foreign keys', { prefix: PREFIX, pageSize: 2 }, (dbName) =>
    writeRaw(dbName, [
      [buf(0x70), b(1)],
      [buf(0x70, 0xfe, 0xff), b(2)],
      [buf(0x70, 0xff), b(3)],
      [buf(0x71), b(4)],
      [buf(0x71, 0x00), b(5)],
      [buf(0x00), b(6)],
      ['a string key', b(7)],
      [42, b(8)],
      [new Date(0), b(9)],
      [[buf(0x70, 0xff, 0x01)], b(10)],
    ]),
  ),
);

describe('idbStorage()', () => {
  it('reports durable capabilities', async () => {
    const dbName = freshDbName();
    const storage = await idbStorage({ dbName });
    expect(storage.capabilities).toEqual({ durable: true });
    await storage.close();
    await deleteDb(dbName);
  });

  it('stores under the default database and store names', async () => {
    const storage = await idbStorage();
    await storage.put(b(1), b(2));
    await storage.close();
    const raw = await rawEntries('admitone', 'kv');
    expect(raw).toEqual([[buf(1), b(2)]]);
    await deleteDb('admitone');
  });

  it('prefixed storages in one database see only their own keys, and keys are stored under the prefix', async () => {
    const dbName = freshDbName();
    const a = await idbStorage({ dbName, prefix: b(1) });
    const c = await idbStorage({ dbName, prefix: b(2) });
    const f = await idbStorage({ dbName, prefix: b(0xff, 0xff) });
    await a.batch([
      { type: 'put', key: b(5), value: b(0xa5) },
      { type: 'put', key: b(0xff), value: b(0xaf) },
    ]);
    await c.put(b(5), b(0xc5));
    await f.put(b(0xff), b(0xff));
    expect(await a.get(b(5))).toEqual(b(0xa5));
    expect(await c.get(b(5))).toEqual(b(0xc5));
    expect(await c.get(b(0xff))).toBeUndefined();
    expect(await collect(a)).toEqual([[b(5), b(0xa5)], [b(0xff), b(0xaf)]]);
    expect(await collect(c)).toEqual([[b(5), b(0xc5)]]);
    expect(await collect(c, { reverse: true })).toEqual([[b(5), b(0xc5)]]);
    expect(await collect(f)).toEqual([[b(0xff), b(0xff)]]);
    await c.del(b(5));
    expect(await collect(a)).toHaveLength(2);
    for (const s of [a, c, f]) await s.close();
    expect(await rawEntries(dbName, 'kv')).toEqual([
      [buf(1, 5), b(0xa5)],
      [buf(1, 0xff), b(0xaf)],
      [buf(0xff, 0xff, 0xff), b(0xff)],
    ]);
    await deleteDb(dbName);
  });

  it('a scan whose pages are cut by their byte budget (4 MiB) still reaches every entry, both ways', async () => {
    const dbName = freshDbName();
    const storage = await idbStorage({ dbName });
    const big = (i: number) => new Uint8Array(1024 * 1024).fill(i);
    await storage.batch(Array.from({ length: 7 }, (_, i) => ({ type: 'put' as const, key: b(i + 1), value: big(i + 1) })));
    const keysOf = async (options?: Parameters<Storage['iterate']>[0]) => {
      const keys: number[] = [];
      for await (const [key, value] of storage.iterate(options)) {
        expect(value[0]).toBe(key[0]);
        keys.push(key[0] as number);
      }
      return keys;
    };
    expect(await keysOf()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await keysOf({ reverse: true })).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(await keysOf({ limit: 6 })).toEqual([1, 2, 3, 4, 5, 6]);
    await storage.close();
    await deleteDb(dbName);
  });

  it('an unprefixed scan skips keys that are not binary', async () => {
    const dbName = freshDbName();
    await writeRaw(dbName, [
      ['str', b(1)],
      [7, b(2)],
      [[1, 2], b(3)],
      [buf(3), b(4)],
    ]);
    const storage = await idbStorage({ dbName });
    expect(await collect(storage)).toEqual([[b(3), b(4)]]);
    expect(await collect(storage, { reverse: true })).toEqual([[b(3), b(4)]]);
    await storage.close();
    await deleteDb(dbName);
  });

  it('a value that is not a Uint8Array reads as STORAGE_CORRUPT', async () => {
    const dbName = freshDbName();
    await writeRaw(dbName, [[buf(1), 'not bytes']]);
    const storage = await idbStorage({ dbName });
    await expect(storage.get(b(1))).rejects.toMatchObject({ name: 'StorageError', code: 'STORAGE_CORRUPT' });
    await expect(collect(storage)).rejects.toMatchObject({ name: 'StorageError', code: 'STORAGE_CORRUPT' });
    await storage.close();
    await deleteDb(dbName);
  });

  it('a database created with another store name fails to open with STORAGE_IO', async () => {
    const dbName = freshDbName();
    const first = await idbStorage({ dbName, storeName: 'one' });
    await first.close();
    await expect(idbStorage({ dbName, storeName: 'two' })).rejects.toMatchObject({ name: 'StorageError', code: 'STORAGE_IO' });
    await deleteDb(dbName); // would time out if the refused connection were left open
  });

  it('gives its connection up when the database is deleted elsewhere; later calls reject with STORAGE_IO', async () => {
    const dbName = freshDbName();
    const storage = await idbStorage({ dbName });
    await storage.put(b(1), b(1));
    await deleteDb(dbName); // would time out if the storage held on to its connection
    await expect(storage.get(b(1))).rejects.toMatchObject({ name: 'StorageError', code: 'STORAGE_IO' });
    await expect(storage.put(b(2), b(2))).rejects.toMatchObject({ name: 'StorageError', code: 'STORAGE_IO' });
    await storage.close();
    await expect(storage.get(b(1))).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
  });

  it('invalid init throws TypeError or RangeError naming the option', async () => {
    const cases: Array<[unknown, string, string]> = [
      [null, 'TypeError', 'init'],
      ['admitone', 'TypeError', 'init'],
      [{ dbName: 1 }, 'TypeError', 'init.dbName'],
      [{ dbName: '' }, 'RangeError', 'init.dbName'],
      [{ storeName: null }, 'TypeError', 'init.storeName'],
      [{ storeName: '' }, 'RangeError', 'init.storeName'],
      [{ prefix: [1] }, 'TypeError', 'init.prefix'],
      [{ prefix: 'p' }, 'TypeError', 'init.prefix'],
      [{ pageSize: '2' }, 'TypeError', 'init.pageSize'],
      [{ pageSize: 0 }, 'RangeError', 'init.pageSize'],
      [{ pageSize: 1.5 }, 'RangeError', 'init.pageSize'],
    ];
    for (const [init, name, argument] of cases) {
      const err: unknown = await idbStorage(init as IdbStorageInit).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(init)).toMatchObject({ name });
      expect((err as Error).message).toContain(argument);
    }
  });
});

describe('quota errors', () => {
  it('storageErrorFromIdb maps a QuotaExceededError DOMException to STORAGE_QUOTA_EXCEEDED, keeping the cause', () => {
    const quota = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const mapped = storageErrorFromIdb(quota, 'put');
    expect(mapped).toBeInstanceOf(StorageError);
    expect(mapped.code).toBe('STORAGE_QUOTA_EXCEEDED');
    expect(mapped.cause).toBe(quota);
    for (const other of [new DOMException('x', 'UnknownError'), new DOMException('x', 'InvalidStateError'), new Error('x'), null]) {
      const m = storageErrorFromIdb(other, 'put');
      expect(m.code).toBe('STORAGE_IO');
      expect(m.cause).toBe(other);
    }
  });

  it('a QuotaExceededError thrown by the object store rejects put and batch with STORAGE_QUOTA_EXCEEDED and applies nothing', async () => {
    const dbName = freshDbName();
    const storage = await idbStorage({ dbName });
    await storage.put(b(1), b(1));
    // Stand in for a full disk: the real IDBObjectStore.put throws a real QuotaExceededError DOMException
    // for values of one marked size.
    const original = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (value instanceof Uint8Array && value.length === 777) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return original.call(this, value, key);
    };
    try {
      const big = new Uint8Array(777);
      await expect(storage.put(b(2), big)).rejects.toMatchObject({ name: 'StorageError', code: 'STORAGE_QUOTA_EXCEEDED' });
      await expect(
        storage.batch([
          { type: 'put', key: b(3), value: b(3) },
          { type: 'del', key: b(1) },
          { type: 'put', key: b(4), value: big },
        ]),
      ).rejects.toMatchObject({ name: 'StorageError', code: 'STORAGE_QUOTA_EXCEEDED' });
    } finally {
      IDBObjectStore.prototype.put = original;
    }
    expect(await collect(storage)).toEqual([[b(1), b(1)]]);
    await storage.put(b(2), b(2));
    expect(await collect(storage)).toEqual([[b(1), b(1)], [b(2), b(2)]]);
    await storage.close();
    await deleteDb(dbName);
  });
});

async function collect(s: Storage, options?: Parameters<Storage['iterate']>[0]): Promise<Array<[Uint8Array, Uint8Array]>> {
  const out: Array<[Uint8Array, Uint8Array]> = [];
  for await (const [k, v] of s.iterate(options)) out.push([k, v]);
  return out;
}

/** Every entry of an object store, as stored (keys in IndexedDB order), read with a connection of its own. */
async function rawEntries(dbName: string, storeName: string): Promise<Array<[IDBValidKey, unknown]>> {
  const useStore = createStore(dbName, storeName);
  const entries = await useStore('readonly', async (store) => {
    const [keys, values] = await Promise.all([promisifyRequest(store.getAllKeys()), promisifyRequest(store.getAll())]);
    return keys.map((k, i): [IDBValidKey, unknown] => [k, values[i]]);
  });
  await useStore('readonly', (store) => store.transaction.db.close());
  return entries;
}
