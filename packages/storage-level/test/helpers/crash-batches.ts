/**
 * The batches written by `crash-writer.ts` and checked by `level.test.ts`.
 *
 * Batch `n` puts {@link KEYS_PER_BATCH} keys `[0x62, n (u32 BE), i]`, each with
 * a value `[n (u32 BE), i, payload…, fnv1a32(n, i, payload) (u32 BE)]` whose
 * payload length varies with `n` and `i` (up to ~6 KiB, so a batch spans
 * several kernel pages and a torn write is possible), and overwrites
 * {@link HEAD_KEY} with `n`. After a crash every batch must be present whole or
 * not at all, and the head must name the newest batch present.
 */
import type { BatchOp } from '@admitone/core';

/** Keys written by every batch (besides the head). */
export const KEYS_PER_BATCH = 8;

/** The key overwritten with the batch number by every batch. */
export const HEAD_KEY = Uint8Array.of(0x68);

/** The first byte of every batch key. */
export const BATCH_TAG = 0x62;

/** The operations of batch `n`. */
export function batchOps(n: number): BatchOp[] {
  const ops: BatchOp[] = [];
  for (let i = 0; i < KEYS_PER_BATCH; i++) ops.push({ type: 'put', key: batchKey(n, i), value: batchValue(n, i) });
  ops.push({ type: 'put', key: HEAD_KEY, value: u32(n) });
  return ops;
}

/** The key of entry `i` of batch `n`. */
export function batchKey(n: number, i: number): Uint8Array {
  return Uint8Array.of(BATCH_TAG, ...u32(n), i);
}

/** Decodes and verifies a batch value; returns `[n, i]` or a reason it is bad. */
export function checkValue(value: Uint8Array): readonly [number, number] | string {
  if (value.length < 9) return `value too short (${value.length} bytes)`;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const n = view.getUint32(0);
  const i = value[4] as number;
  const sum = view.getUint32(value.length - 4);
  if (sum !== fnv1a32(value.subarray(0, value.length - 4))) return `bad checksum in batch ${n} entry ${i}`;
  return [n, i];
}

function batchValue(n: number, i: number): Uint8Array {
  const length = 64 + ((n * 131 + i * 977) % 6000);
  const body = new Uint8Array(5 + length);
  body.set(u32(n), 0);
  body[4] = i;
  let x = (n * 2654435761 + i) >>> 0;
  for (let j = 5; j < body.length; j++) {
    x = (x * 1103515245 + 12345) >>> 0;
    body[j] = x >>> 24;
  }
  const out = new Uint8Array(body.length + 4);
  out.set(body, 0);
  out.set(u32(fnv1a32(body)), body.length);
  return out;
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}
