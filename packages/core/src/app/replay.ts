/**
 * Exactly-once bookkeeping for `(clientId, requestSeq)`, shared by apps.
 *
 * Each client may have up to {@link REPLAY_WINDOW} requests in flight and
 * have them ordered in any order: a request is fresh when its number is above
 * `high - REPLAY_WINDOW` and has not executed before. The state is bounded
 * per client (at most `REPLAY_WINDOW` remembered numbers) and canonical, so it
 * is part of the app snapshot and digest.
 * @module
 */
import type { CborValue } from '../codec/cbor.js';
import { readArray, readInt, readString } from '../codec/schema.js';
import { CodecError } from '../errors/index.js';

/** How far below a client's highest executed request number a request may still arrive. */
export const REPLAY_WINDOW = 1024;

/** Tracks executed request numbers per client. */
export interface ReplayGuard {
  /** True when `(clientId, requestSeq)` has not executed and is inside the window. */
  isFresh(clientId: string, requestSeq: number): boolean;
  /** Records that `(clientId, requestSeq)` executed. */
  record(clientId: string, requestSeq: number): void;
  /** Number of clients tracked. */
  readonly size: number;
  /** Canonical form for snapshots: `[[clientId, high, [seqs…]], …]` sorted by client. */
  toCbor(): CborValue;
}

/** Creates an empty {@link ReplayGuard}, or one restored from {@link ReplayGuard.toCbor} output. */
export function createReplayGuard(from?: CborValue): ReplayGuard {
  const clients = new Map<string, { high: number; seen: Set<number> }>();
  if (from !== undefined) {
    let prev = '';
    for (const [i, row] of readArray(from, 'replay').entries()) {
      const r = readArray(row, `replay[${i}]`, 3);
      const id = readString(r[0], `replay[${i}].client`, 64);
      if (id <= prev) throw new CodecError('CODEC_SCHEMA', 'replay rows must be sorted by client id without duplicates.');
      prev = id;
      const high = readInt(r[1], `replay[${i}].high`, 1);
      const seqs = readArray(r[2], `replay[${i}].seen`, REPLAY_WINDOW).map((s, j) => readInt(s, `replay[${i}].seen[${j}]`, 1, high));
      clients.set(id, { high, seen: new Set(seqs) });
    }
  }
  return {
    isFresh(clientId, requestSeq) {
      const c = clients.get(clientId);
      if (c === undefined) return true;
      if (requestSeq <= c.high - REPLAY_WINDOW) return false;
      return !c.seen.has(requestSeq);
    },
    record(clientId, requestSeq) {
      let c = clients.get(clientId);
      if (c === undefined) {
        c = { high: requestSeq, seen: new Set() };
        clients.set(clientId, c);
      }
      c.seen.add(requestSeq);
      if (requestSeq > c.high) {
        c.high = requestSeq;
        const floor = c.high - REPLAY_WINDOW;
        for (const s of c.seen) if (s <= floor) c.seen.delete(s);
      }
    },
    get size() {
      return clients.size;
    },
    toCbor() {
      return [...clients.keys()].sort().map((id) => {
        const c = clients.get(id) as { high: number; seen: Set<number> };
        return [id, c.high, [...c.seen].sort((a, b) => a - b)];
      });
    },
  };
}
