/**
 * State transfer in pieces, for states larger than one message.
 *
 * A checkpoint's state is two {@link stateDigest} trees (app entries `a‖key`
 * and reply-cache entries `r‖key`) whose roots the checkpoint digest
 * combines. Each tree has {@link STATE_BUCKETS} buckets, so the state splits
 * into `2 · STATE_BUCKETS` numbered *parts* (part = tree · STATE_BUCKETS +
 * bucket). A responder sends a *manifest*, the hash of every non-empty part,
 * which the receiver checks against the certified digest; then *chunks*,
 * runs of consecutive parts whose entries the receiver hashes and compares
 * with the manifest, part by part. Nothing from a peer is trusted: a bad part
 * is found as soon as it arrives, and is asked of another peer.
 *
 * Wire forms (inside signed STATE-RESPONSE and STATE-CHUNK messages):
 * - manifest: `(u16 part ‖ 32-byte hash)` per non-empty part, parts strictly ascending;
 * - a part: {@link encodeEntries} of its entries (with their `a`/`r` prefix), in key order.
 * @module
 */
import {
  CodecError,
  STATE_BUCKETS,
  equalBytes,
  sortByKey,
  stateBucketHash,
  stateBucketOf,
  stateDigestFromBuckets,
  type StateEntry,
} from '@admitone/core';
import { combineDigests, decodeEntries, encodeEntries } from './state.js';

/** Number of parts a checkpoint state splits into: two trees of {@link STATE_BUCKETS} buckets. */
export const STATE_PARTS = 2 * STATE_BUCKETS;
const APP = 0x61;
const REPLY = 0x72;
const RECORD = 34;
const EMPTY_PART = encodeEntries([]);

/** A stable checkpoint's state, prepared for serving: the whole encoding when small, else the manifest and each part. */
export interface ServedState {
  readonly seq: number;
  /**
   * {@link encodeEntries} of every entry when the state fits the chunk budget
   * it was built with (judged by an upper bound of its size: its bytes plus 20
   * per entry), else `undefined`.
   */
  readonly whole: Uint8Array | undefined;
  /** The manifest (see the module doc). */
  readonly manifest: Uint8Array;
  /** Each part's encoding (empty parts: the encoding of no entries). */
  part(index: number): Uint8Array;
}

/** The part of a checkpoint entry key (`a‖…` or `r‖…`); throws `CodecError` for any other key. */
export function partOf(key: Uint8Array): number {
  if (key.length < 2 || (key[0] !== APP && key[0] !== REPLY)) throw new CodecError('CODEC_SCHEMA', 'State entry with an unknown key prefix.');
  return (key[0] === REPLY ? STATE_BUCKETS : 0) + stateBucketOf(key.subarray(1));
}

/**
 * Prepares checkpoint `entries` (prefixed keys, ascending) for serving. O(state);
 * a replica does it once per stable checkpoint that peers ask for.
 */
export function serveState(seq: number, entries: readonly StateEntry[], chunkBytes: number): ServedState {
  const lists = new Map<number, StateEntry[]>();
  let bound = 9;
  for (const e of entries) {
    const p = partOf(e.key);
    const l = lists.get(p);
    if (l === undefined) lists.set(p, [e]);
    else l.push(e);
    bound += e.key.length + e.value.length + 20;
  }
  const parts = new Map<number, Uint8Array>();
  const order = [...lists.keys()].sort((a, b) => a - b);
  const manifest = new Uint8Array(RECORD * order.length);
  for (const [i, p] of order.entries()) {
    const list = lists.get(p) as StateEntry[];
    parts.set(p, encodeEntries(list));
    manifest[RECORD * i] = p >> 8;
    manifest[RECORD * i + 1] = p & 0xff;
    manifest.set(stateBucketHash(p % STATE_BUCKETS, list.map(unprefixed)), RECORD * i + 2);
  }
  const whole = bound <= chunkBytes ? encodeEntries(entries) : undefined;
  return { seq, whole, manifest, part: (index) => parts.get(index) ?? EMPTY_PART };
}

/**
 * The parts from `from` on that fit in `chunkBytes` (at least one, so that
 * every part can be sent whatever its size), as their encodings.
 */
export function chunkOf(served: ServedState, from: number, chunkBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let bytes = 0;
  for (let p = from; p < STATE_PARTS; p++) {
    const b = served.part(p);
    if (out.length > 0 && bytes + b.length + 5 > chunkBytes) break;
    out.push(b);
    bytes += b.length + 5;
  }
  return out;
}

/**
 * Checks a manifest against the certified checkpoint `digest`: the part
 * hashes (part → hash) when it matches, `undefined` when it is malformed or
 * does not match.
 */
export function checkManifest(manifest: Uint8Array, digest: Uint8Array): Map<number, Uint8Array> | undefined {
  if (manifest.length % RECORD !== 0 || manifest.length > RECORD * STATE_PARTS) return undefined;
  const app = new Map<number, Uint8Array>();
  const reply = new Map<number, Uint8Array>();
  const all = new Map<number, Uint8Array>();
  let prev = -1;
  for (let at = 0; at < manifest.length; at += RECORD) {
    const p = ((manifest[at] as number) << 8) | (manifest[at + 1] as number);
    if (p <= prev || p >= STATE_PARTS) return undefined;
    prev = p;
    const h = manifest.subarray(at + 2, at + RECORD);
    all.set(p, h);
    if (p < STATE_BUCKETS) app.set(p, h);
    else reply.set(p - STATE_BUCKETS, h);
  }
  return equalBytes(combineDigests(stateDigestFromBuckets(app), stateDigestFromBuckets(reply)), digest) ? all : undefined;
}

/**
 * A state being assembled from chunks against a checked manifest. Parts are
 * checked on arrival; {@link Assembly.entries} hands out the whole state once
 * every non-empty part is in.
 */
export interface Assembly {
  readonly seq: number;
  /** The certified digest of the state. */
  readonly digest: Uint8Array;
  /** The first part at or after `from` still missing, or `undefined` when none is. */
  missing(from?: number): number | undefined;
  /**
   * Takes a chunk: `parts[i]` is part `from + i`. Returns `false` (and keeps
   * nothing from it) when any part is malformed or does not hash to the
   * manifest; parts already held are skipped.
   */
  accept(from: number, parts: readonly Uint8Array[]): boolean;
  /** Every entry (prefixed keys, ascending), once nothing is missing. */
  entries(): StateEntry[];
  /** Takes from `older` the parts that are unchanged here (same hash), so a newer checkpoint refetches only what changed. */
  adopt(older: Assembly): void;
  /** @internal part → its checked entries */
  readonly held: ReadonlyMap<number, { hash: Uint8Array; entries: StateEntry[] }>;
}

/** Starts assembling the state of checkpoint `seq` whose manifest checked out as `hashes`. */
export function createAssembly(seq: number, digest: Uint8Array, hashes: ReadonlyMap<number, Uint8Array>): Assembly {
  const held = new Map<number, { hash: Uint8Array; entries: StateEntry[] }>();
  const order = [...hashes.keys()].sort((a, b) => a - b);
  return {
    seq,
    digest,
    held,
    missing(from = 0) {
      for (const p of order) if (p >= from && !held.has(p)) return p;
      return undefined;
    },
    accept(from, parts) {
      if (!Number.isSafeInteger(from) || from < 0 || from + parts.length > STATE_PARTS || parts.length === 0) return false;
      const taken: [number, { hash: Uint8Array; entries: StateEntry[] }][] = [];
      for (const [i, bytes] of parts.entries()) {
        const p = from + i;
        const expected = hashes.get(p);
        let entries: StateEntry[];
        try {
          entries = decodeEntries(bytes);
          if (expected === undefined) {
            if (entries.length !== 0) return false;
            continue;
          }
          if (entries.length === 0) return false;
          for (const e of entries) if (partOf(e.key) !== p) return false;
          if (!equalBytes(stateBucketHash(p % STATE_BUCKETS, entries.map(unprefixed)), expected)) return false;
        } catch {
          return false;
        }
        if (!held.has(p)) taken.push([p, { hash: expected, entries: entries.map(copyEntry) }]);
      }
      for (const [p, v] of taken) held.set(p, v);
      return true;
    },
    entries() {
      if (this.missing() !== undefined) throw new Error('state incomplete');
      const out: StateEntry[] = [];
      for (const p of order) out.push(...(held.get(p) as { entries: StateEntry[] }).entries);
      return sortByKey(out);
    },
    adopt(older) {
      for (const [p, v] of older.held) {
        const h = hashes.get(p);
        if (h !== undefined && equalBytes(h, v.hash) && !held.has(p)) held.set(p, v);
      }
    },
  };
}

function unprefixed(e: StateEntry): StateEntry {
  return { key: e.key.subarray(1), value: e.value };
}

/** Entries decoded from a message are views into it: copy them, so a held part does not pin the whole message. */
function copyEntry(e: StateEntry): StateEntry {
  return { key: e.key.slice(), value: e.value.slice() };
}
