/**
 * `npm run bench -w @admitone/storage-level`: levelStorage() write and read
 * throughput with `sync` on (fsync per write, the default) and off, in a temp
 * directory. Figures depend heavily on the disk's fsync latency; compare the
 * rows of one run, not runs on different machines. Quick mode
 * (`ADMITONE_BENCH_QUICK=1`): 300 ms per row instead of 1 s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchOp, Storage } from '@admitone/core';
import { levelStorage } from '../src/index.js';
import { byMode, reportFigures } from '../../../bench/figures.js';

interface Result {
  readonly name: string;
  readonly opsPerSec: number;
  readonly p50us: number;
  readonly p99us: number;
}

/** Runs `op` sequentially for `budgetMs` after a short warm-up; ops/s and latency percentiles. */
async function bench(name: string, op: (i: number) => Promise<unknown>, budgetMs = byMode(1000, 300)): Promise<Result> {
  for (let i = 0; i < 20; i++) await op(-1 - i);
  const lat: number[] = [];
  const start = performance.now();
  let now = start;
  for (let i = 0; now - start < budgetMs; i++) {
    const t0 = now;
    await op(i);
    now = performance.now();
    lat.push((now - t0) * 1000);
  }
  lat.sort((a, b) => a - b);
  const pct = (p: number): number => lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)] as number;
  return { name, opsPerSec: (lat.length * 1000) / (now - start), p50us: pct(50), p99us: pct(99) };
}

function key(i: number, j = 0): Uint8Array {
  const k = new Uint8Array(9);
  const view = new DataView(k.buffer);
  view.setUint8(0, 0x6b);
  view.setInt32(1, i);
  view.setInt32(5, j);
  return k;
}

const value = new Uint8Array(256).fill(0xab);
const batchOf = (i: number, n: number): BatchOp[] => Array.from({ length: n }, (_, j) => ({ type: 'put', key: key(i, j), value }));

async function run(sync: boolean): Promise<Result[]> {
  const dir = await mkdtemp(join(tmpdir(), 'admitone-level-bench-'));
  let storage: Storage | undefined;
  try {
    storage = await levelStorage({ location: join(dir, 'db'), sync });
    const s = storage;
    const tag = `sync: ${sync}`;
    return [
      await bench(`put 256 B (${tag})`, (i) => s.put(key(i), value)),
      await bench(`batch 16 × 256 B (${tag})`, (i) => s.batch(batchOf(i, 16))),
      await bench(`get 256 B (${tag})`, (i) => s.get(key(Math.abs(i) % 1000))),
    ];
  } finally {
    await storage?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`@admitone/storage-level benchmarks — Node ${process.version}, ${new Date().toISOString()}, dir ${tmpdir()}`);
const results = [...(await run(true)), ...(await run(false))];
const w = Math.max(...results.map((r) => r.name.length));
console.log(`\n${'operation'.padEnd(w)}  ${'ops/s'.padStart(10)}  ${'p50 µs'.padStart(9)}  ${'p99 µs'.padStart(9)}`);
for (const r of results) {
  console.log(`${r.name.padEnd(w)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(10)}  ${r.p50us.toFixed(1).padStart(9)}  ${r.p99us.toFixed(1).padStart(9)}`);
}
const [putSync, batchSync, getSync, putNoSync, batchNoSync] = results as [Result, Result, Result, Result, Result, Result];
reportFigures({
  level_put_sync_per_s: putSync.opsPerSec,
  level_put_sync_p99_ms: putSync.p99us / 1000,
  level_batch16_sync_per_s: batchSync.opsPerSec,
  level_get_per_s: getSync.opsPerSec,
  level_put_nosync_per_s: putNoSync.opsPerSec,
  level_batch16_nosync_per_s: batchNoSync.opsPerSec,
});
