import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError, seededRandom, type Storage } from '@admitone/core';
import { storageCompliance } from '@admitone/core/compliance';
import { levelStorage, type LevelStorageInit } from '../src/index.js';
import { BATCH_TAG, HEAD_KEY, KEYS_PER_BATCH, checkValue } from './helpers/crash-batches.js';

/** Every temp dir made by this file; removed in afterAll even when a test fails before its teardown. */
const dirs = new Set<string>();
afterAll(async () => {
  await Promise.all([...dirs].map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'admitone-level-'));
  dirs.add(dir);
  return dir;
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** A harness opening a fresh database per test; `reopen` closes and opens the same directory. */
function harness(name: string, init: Omit<LevelStorageInit, 'location'>) {
  const locations = new WeakMap<Storage, string>();
  const open = async (location: string): Promise<Storage> => {
    const storage = await levelStorage({ ...init, location });
    locations.set(storage, location);
    return storage;
  };
  const locationOf = (storage: Storage): string => {
    const location = locations.get(storage);
    if (location === undefined) throw new Error('unknown storage');
    return location;
  };
  return {
    name,
    setup: async () => open(join(await tempDir(), 'db')),
    async reopen(storage: Storage) {
      await storage.close();
      return open(locationOf(storage));
    },
    async teardown(storage: Storage) {
      await removeDir(join(locationOf(storage), '..'));
    },
  };
}

storageCompliance({ describe, it }, harness('levelStorage() (sync writes)', {}));
storageCompliance({ describe, it }, harness('levelStorage({ sync: false })', { sync: false }));

describe('levelStorage()', () => {
  it('reports durable capabilities with no value limit', async () => {
    const dir = await tempDir();
    const storage = await levelStorage({ location: join(dir, 'db') });
    expect(storage.capabilities).toEqual({ durable: true });
    await storage.close();
    await removeDir(dir);
  });

  it('a second open of a location that is open fails with STORAGE_LOCKED; it opens once the first is closed', async () => {
    const dir = await tempDir();
    const location = join(dir, 'db');
    const first = await levelStorage({ location });
    await first.put(Uint8Array.of(1), Uint8Array.of(2));
    const err = await levelStorage({ location }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('STORAGE_LOCKED');
    expect((err as StorageError).cause).toBeDefined();
    await first.close();
    const second = await levelStorage({ location });
    expect(await second.get(Uint8Array.of(1))).toEqual(Uint8Array.of(2));
    await second.close();
    await removeDir(dir);
  });

  it('a location held by another process fails with STORAGE_LOCKED', async () => {
    const dir = await tempDir();
    const location = join(dir, 'db');
    const child = spawnWriter(location, 0);
    try {
      await child.waitFor((line) => line === 'ready');
      await expect(levelStorage({ location })).rejects.toMatchObject({ name: 'StorageError', code: 'STORAGE_LOCKED' });
    } finally {
      await child.kill();
    }
    await removeDir(dir);
  });

  it('a corrupt database fails to open with STORAGE_CORRUPT', async () => {
    const dir = await tempDir();
    const location = join(dir, 'db');
    const storage = await levelStorage({ location });
    await storage.put(Uint8Array.of(1), Uint8Array.of(1));
    await storage.close();
    const manifest = (await readdir(location)).find((f) => f.startsWith('MANIFEST-'));
    expect(manifest).toBeDefined();
    await writeFile(join(location, manifest as string), new Uint8Array(200).fill(0x41));
    await expect(levelStorage({ location })).rejects.toMatchObject({ name: 'StorageError', code: 'STORAGE_CORRUPT' });
    await removeDir(dir);
  });

  it('createIfMissing: false refuses a missing database with STORAGE_IO', async () => {
    const dir = await tempDir();
    await expect(levelStorage({ location: join(dir, 'absent'), createIfMissing: false })).rejects.toMatchObject({
      name: 'StorageError',
      code: 'STORAGE_IO',
    });
    // LevelDB creates the directory itself, but no database in it.
    expect(await readdir(join(dir, 'absent'))).not.toContain('CURRENT');
    await removeDir(dir);
  });

  it('invalid init throws TypeError or RangeError naming the option', async () => {
    const cases: Array<[unknown, string, string]> = [
      [undefined, 'TypeError', 'init'],
      [null, 'TypeError', 'init'],
      [{}, 'TypeError', 'init.location'],
      [{ location: 7 }, 'TypeError', 'init.location'],
      [{ location: '' }, 'RangeError', 'init.location'],
      [{ location: 'x', sync: 'yes' }, 'TypeError', 'init.sync'],
      [{ location: 'x', createIfMissing: 1 }, 'TypeError', 'init.createIfMissing'],
    ];
    for (const [init, name, argument] of cases) {
      const err: unknown = await levelStorage(init as LevelStorageInit).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(init)).toMatchObject({ name });
      expect((err as Error).message).toContain(argument);
    }
  });
});

describe('crash consistency (SIGKILL of a writing process)', () => {
  it('after each of 5 kills every acknowledged batch is present whole and no batch is partial', async () => {
    const dir = await tempDir();
    const location = join(dir, 'db');
    const rng = seededRandom(0xad_01);
    let start = 0;
    for (let run = 0; run < 5; run++) {
      // Kill a seeded 0–4 ms after this batch is acknowledged, so the signal lands at varying
      // points of the next batches (building ops, inside LevelDB's write or fsync, printing the ack).
      const target = start + 3 + rng.int(40);
      const delayUs = rng.int(4000);
      const child = spawnWriter(location, start);
      try {
        await child.waitFor((line) => line === `ack ${target}`, delayUs);
      } finally {
        await child.kill();
      }
      // Acks printed after the target (same pipe chunk, or before the signal landed) count too.
      const lastAck = child.lastAck;
      expect(lastAck, `run ${run}: acknowledged batches`).toBeGreaterThanOrEqual(target);

      const storage = await levelStorage({ location });
      try {
        const batches = new Map<number, Set<number>>();
        for await (const [key, value] of storage.iterate({ prefix: Uint8Array.of(BATCH_TAG) })) {
          const checked = checkValue(value);
          if (typeof checked === 'string') throw new Error(`run ${run}: ${checked}`);
          const [n, i] = checked;
          expect(key, `run ${run}: key of batch ${n} entry ${i}`).toEqual(Uint8Array.of(BATCH_TAG, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, i));
          const entries = batches.get(n) ?? new Set<number>();
          entries.add(i);
          batches.set(n, entries);
        }
        for (const [n, entries] of batches) {
          expect(entries.size, `run ${run}: batch ${n} is whole`).toBe(KEYS_PER_BATCH);
        }
        const present = [...batches.keys()].sort((a, b) => a - b);
        const newest = present[present.length - 1] ?? -1;
        // Batches are written one after another, so the survivors are 0..newest with no gap,
        // every acknowledged batch survived, and at most the one in flight at the kill is extra.
        expect(present, `run ${run}: batches present`).toEqual(Array.from({ length: newest + 1 }, (_, n) => n));
        expect(newest, `run ${run}: newest batch`).toBeGreaterThanOrEqual(lastAck);
        expect(newest, `run ${run}: newest batch`).toBeLessThanOrEqual(lastAck + 1);
        const head = await storage.get(HEAD_KEY);
        expect(head, `run ${run}: head`).toEqual(Uint8Array.of(newest >>> 24, (newest >>> 16) & 0xff, (newest >>> 8) & 0xff, newest & 0xff));
        start = newest + 1;
      } finally {
        await storage.close();
      }
    }
    await removeDir(dir);
  }, 60_000);
});

/** A running `crash-writer.ts` child. */
interface Writer {
  /**
   * Resolves once `match` accepts a stdout line; rejects if the child exits
   * first or after 10 s. With `killAfterUs`, SIGKILLs the child that many
   * microseconds after the line arrived (busy-waiting, for sub-millisecond
   * precision that timers lack).
   */
  waitFor(match: (line: string) => boolean, killAfterUs?: number): Promise<void>;
  /** SIGKILLs the child (if it is still running) and waits until it has exited and its output is drained. */
  kill(): Promise<void>;
  /** The highest `ack N` the child printed so far (-1 for none); final once `kill()` resolves. */
  readonly lastAck: number;
}

const WRITER = fileURLToPath(new URL('./helpers/crash-writer.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

function spawnWriter(location: string, firstBatch: number): Writer {
  const child = spawn(process.execPath, ['--conditions=admitone-source', '--import', 'tsx', WRITER, location, String(firstBatch)], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // 'close' fires after the process exited and its stdio streams ended.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let lastAck = -1;
  let buffered = '';
  const listeners = new Set<(line: string) => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const ack = /^ack (\d+)$/.exec(line);
      if (ack !== null) lastAck = Math.max(lastAck, Number(ack[1]));
      for (const listener of listeners) listener(line);
    }
  });
  return {
    get lastAck() {
      return lastAck;
    },
    waitFor(match, killAfterUs) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`crash writer: no matching line within 10 s\n${stderr}`)), 10_000);
        const listener = (line: string): void => {
          if (!match(line)) return;
          if (killAfterUs !== undefined) {
            const until = performance.now() + killAfterUs / 1000;
            while (performance.now() < until); // spin: the child keeps writing meanwhile
            child.kill('SIGKILL');
          }
          done();
        };
        const onExit = (): void => done(new Error(`crash writer exited early (code ${child.exitCode}, signal ${child.signalCode})\n${stderr}`));
        function done(err?: Error): void {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('exit', onExit);
          if (err === undefined) resolve();
          else reject(err);
        }
        listeners.add(listener);
        child.once('exit', onExit);
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
    },
  };
}

