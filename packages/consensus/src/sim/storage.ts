/**
 * Crash-faulty storage: a {@link Storage} whose writes become durable only
 * after a small virtual delay, like an fsync. Until then they are visible to
 * the replica that made them (a page cache) but a crash loses them, and the
 * write's promise never settles (the process is gone).
 * @module
 */
import { StorageError, createMemoryStore, memoryStorage, type BatchOp, type Clock, type MemoryStore, type Storage, type TimerHandle } from '@admitone/core';

/** A storage that can crash; see {@link openCrashableStorage}. */
export interface CrashableStorage {
  /** Hand this to the replica. */
  readonly storage: Storage;
  /**
   * The crash: writes not yet durable are discarded (their promises never
   * settle) and every later call rejects with `STORAGE_CLOSED`. Returns how
   * many writes were lost.
   */
  crash(): number;
  /** Writes issued but not yet durable. */
  pendingWrites(): number;
}

/**
 * Opens `durable` (a store that survives crashes) for one incarnation of a
 * replica. Reads and iteration see this incarnation's own writes at once;
 * each write is applied to `durable`, in issue order, `writeDelayMs` of
 * virtual time later, and only then does its promise resolve — so a write
 * that resolved is durable, as the `Storage` contract requires.
 */
export async function openCrashableStorage(durable: MemoryStore, clock: Clock, writeDelayMs: number): Promise<CrashableStorage> {
  const disk = memoryStorage({ store: durable });
  const cache = memoryStorage({ store: createMemoryStore() });
  for await (const [key, value] of disk.iterate()) await cache.put(key, value);
  let alive = true;
  let lastDue = 0;
  const timers = new Set<TimerHandle>();

  const ensureAlive = () => {
    if (!alive) throw new StorageError('STORAGE_CLOSED', 'The replica crashed; this storage handle is dead.');
  };
  /** Applies `ops` to the cache now and to the disk later, resolving when durable. */
  const write = async (ops: readonly BatchOp[]): Promise<void> => {
    ensureAlive();
    const copy: BatchOp[] = ops.map((op) => (op.type === 'put' ? { type: 'put', key: op.key.slice(), value: op.value.slice() } : { type: 'del', key: op.key.slice() }));
    await cache.batch(copy);
    const due = Math.max(clock.now() + writeDelayMs, lastDue);
    lastDue = due;
    await new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        timers.delete(timer);
        disk.batch(copy).then(resolve, reject);
      }, due - clock.now());
      timers.add(timer);
    });
  };

  const storage: Storage = {
    capabilities: { durable: true },
    async get(key) {
      ensureAlive();
      return cache.get(key);
    },
    put: (key, value) => write([{ type: 'put', key, value }]),
    del: (key) => write([{ type: 'del', key }]),
    batch: (ops) => write(ops),
    iterate(options) {
      ensureAlive();
      return cache.iterate(options);
    },
    async close() {
      // a clean close flushes nothing early: pending writes still land on time
    },
  };
  return {
    storage,
    crash() {
      alive = false;
      const lost = timers.size;
      for (const t of timers) t.cancel();
      timers.clear();
      void cache.close();
      return lost;
    },
    pendingWrites: () => timers.size,
  };
}
