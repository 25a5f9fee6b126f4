/**
 * Exactly-once bookkeeping for `(clientId, requestSeq)`, shared by apps.
 *
 * Each client may have up to {@link REPLAY_WINDOW} requests in flight and
 * have them ordered in any order: a request is fresh when its number is above
 * `high - REPLAY_WINDOW` and has not executed before. The state is bounded
 * per client (a `REPLAY_WINDOW`-bit window) and canonical, so it is part of
 * the app snapshot and digest.
 * @module
 */
import type { CborValue } from '../codec/cbor.js';
import { readArray, readBytes, readInt, readString } from '../codec/schema.js';
import { CodecError } from '../errors/index.js';

/** How far below a client's highest executed request number a request may still arrive. */
export const REPLAY_WINDOW = 1024;

/** Tracks executed request numbers per client. */
export interface ReplayGuard {
  /** True when `(clientId, requestSeq)` has not executed and is inside the window. */
  isFresh(clientId: string, requestSeq: number): boolean;
  /** Records that `(clientId, requestSeq)` executed (a number already below the window is ignored). */
  record(clientId: string, requestSeq: number): void;
  /** Number of clients tracked. */
  readonly size: number;
  /** Canonical form for snapshots: `[[clientId, high, [seqs…]], …]` sorted by client. */
  toCbor(): CborValue;
  /**
   * One client's compact canonical row `[high, window]`, or `undefined` when it
   * is not tracked. `window` holds {@link REPLAY_WINDOW} bits: bit `s mod
   * REPLAY_WINDOW` (byte `⌊b/8⌋`, bit `b mod 8`) is set when request `s` of
   * `(high − REPLAY_WINDOW, high]` executed. O(1) to produce.
   */
  rowOf(clientId: string): CborValue | undefined;
  /** Sets one client's state from a {@link ReplayGuard.rowOf} row; throws `CodecError` when it is malformed. */
  setRow(clientId: string, row: CborValue): void;
}

/** One client: the highest executed number and a ring of window bits indexed by `seq mod REPLAY_WINDOW`. */
interface ClientWindow {
  high: number;
  readonly ring: Uint8Array;
}

const RING_BYTES = REPLAY_WINDOW / 8;

/** Creates an empty {@link ReplayGuard}, or one restored from {@link ReplayGuard.toCbor} output. */
export function createReplayGuard(from?: CborValue): ReplayGuard {
  const clients = new Map<string, ClientWindow>();
  if (from !== undefined) {
    let prev = '';
    for (const [i, row] of readArray(from, 'replay').entries()) {
      const r = readArray(row, `replay[${i}]`, 3);
      const id = readString(r[0], `replay[${i}].client`, 64);
      if (id <= prev) throw new CodecError('CODEC_SCHEMA', 'replay rows must be sorted by client id without duplicates.');
      prev = id;
      const high = readInt(r[1], `replay[${i}].high`, 1);
      const c: ClientWindow = { high, ring: new Uint8Array(RING_BYTES) };
      for (const [j, s] of readArray(r[2], `replay[${i}].seen`, REPLAY_WINDOW).entries()) {
        setBit(c.ring, readInt(s, `replay[${i}].seen[${j}]`, Math.max(1, high - REPLAY_WINDOW + 1), high));
      }
      clients.set(id, c);
    }
  }
  return {
    isFresh(clientId, requestSeq) {
      const c = clients.get(clientId);
      if (c === undefined) return true;
      if (requestSeq <= c.high - REPLAY_WINDOW) return false;
      return requestSeq > c.high || !hasBit(c.ring, requestSeq);
    },
    record(clientId, requestSeq) {
      let c = clients.get(clientId);
      if (c === undefined) {
        c = { high: requestSeq, ring: new Uint8Array(RING_BYTES) };
        clients.set(clientId, c);
      }
      if (requestSeq <= c.high - REPLAY_WINDOW) return;
      if (requestSeq > c.high) {
        // the numbers that fall out of the window share ring bits with the new ones: clear them
        const d = requestSeq - c.high;
        if (d >= REPLAY_WINDOW) c.ring.fill(0);
        else for (let k = 1; k <= d; k++) clearBit(c.ring, c.high + k);
        c.high = requestSeq;
      }
      setBit(c.ring, requestSeq);
    },
    get size() {
      return clients.size;
    },
    toCbor() {
      return [...clients.keys()].sort().map((id) => {
        const c = clients.get(id) as ClientWindow;
        const seen: number[] = [];
        for (let s = Math.max(1, c.high - REPLAY_WINDOW + 1); s <= c.high; s++) if (hasBit(c.ring, s)) seen.push(s);
        return [id, c.high, seen];
      });
    },
    rowOf(clientId) {
      const c = clients.get(clientId);
      return c === undefined ? undefined : [c.high, c.ring.slice()];
    },
    setRow(clientId, row) {
      const a = readArray(row, 'replay.row', 2);
      if (a.length !== 2) throw new CodecError('CODEC_SCHEMA', 'A replay row must be [high, window].');
      const high = readInt(a[0], 'replay.row.high', 1);
      const ring = readBytes(a[1], 'replay.row.window', RING_BYTES).slice();
      // bits of numbers below 1 cannot be set (a client numbers its requests from 1)
      for (let s = high - REPLAY_WINDOW + 1; s < 1; s++) if (hasBit(ring, s)) throw new CodecError('CODEC_SCHEMA', 'A replay row marks a request number below 1.');
      clients.set(readString(clientId, 'replay.client', 64), { high, ring });
    },
  };
}

function bitOf(seq: number): number {
  return ((seq % REPLAY_WINDOW) + REPLAY_WINDOW) % REPLAY_WINDOW;
}
function hasBit(ring: Uint8Array, seq: number): boolean {
  const b = bitOf(seq);
  return (((ring[b >> 3] as number) >> (b & 7)) & 1) === 1;
}
function setBit(ring: Uint8Array, seq: number): void {
  const b = bitOf(seq);
  ring[b >> 3] = (ring[b >> 3] as number) | (1 << (b & 7));
}
function clearBit(ring: Uint8Array, seq: number): void {
  const b = bitOf(seq);
  ring[b >> 3] = (ring[b >> 3] as number) & ~(1 << (b & 7));
}
