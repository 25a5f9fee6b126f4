/**
 * Child process for the crash-consistency test in `level.test.ts`.
 *
 * Usage: `node --conditions=admitone-source --import tsx crash-writer.ts <location> <firstBatch>`
 *
 * Opens `levelStorage({ location })` (default `sync: true`) and writes batches
 * `firstBatch, firstBatch + 1, …` forever, each built by {@link batchOps}.
 * After each batch resolves it prints `ack N` on stdout (a pipe: synchronous
 * on Linux, so the line leaves the process before the next batch starts). The
 * parent kills it with SIGKILL.
 */
import { levelStorage } from '../../src/index.js';
import { batchOps } from './crash-batches.js';

const [location, first] = process.argv.slice(2);
if (location === undefined || first === undefined) throw new Error('usage: crash-writer.ts <location> <firstBatch>');
const storage = await levelStorage({ location });
process.stdout.write('ready\n');
for (let n = Number(first); ; n++) {
  await storage.batch(batchOps(n));
  process.stdout.write(`ack ${n}\n`);
}
