/**
 * The state a replica checkpoints: the application plus the reply cache, as
 * one set of keyed entries (`a‖key` for the app, `r‖clientId‖slot` for the
 * reply cache: each client's last replies in a ring of slots, so caching a
 * reply overwrites one entry). A checkpoint costs O(changes): the app reports the entries it
 * changed (`ReplicatedApp.state`), the replica tracks its own reply entries,
 * and the checkpoint digest combines two incremental state digests. Apps
 * without keyed state fall back to one `a‖snapshot` entry taken at every
 * checkpoint.
 *
 * The stable checkpoint's entries live in storage (see `store.ts`), from which
 * state transfer serves peers; a receiver recomputes the digest of the entries
 * it gets before installing them.
 * @module
 */
import {
  CodecError,
  bytesToUtf8,
  compareBytes,
  createStateDigest,
  stateDigest,
  taggedHash,
  utf8ToBytes,
  type Digest,
  type ReplicatedApp,
  type StateEntry,
} from '@admitone/core';
import { decodePairs, encodePairs } from '../raw-cbor.js';

/** The state at a checkpoint: its digest and the entries changed since the previous checkpoint. */
export interface CheckpointState {
  readonly digest: Digest;
  /**
   * The entries changed since the previous checkpoint: key (one char per
   * byte, see {@link keyString}) → value, `undefined` for a deletion.
   */
  readonly changes: ReadonlyMap<string, Uint8Array | undefined>;
}

/** The app and the reply cache, with change tracking. */
export interface ReplicaState {
  /** The cached reply to `(clientId, requestSeq)`, if any. */
  reply(clientId: string, requestSeq: number): Uint8Array | undefined;
  /** Caches a reply executed at `(seq, index)` (the index of the request in its batch). */
  recordReply(clientId: string, requestSeq: number, result: Uint8Array, seq: number, index: number): void;
  /** Folds the app's changes into the pending delta (call after each executed batch, to spread the work). */
  afterBatch(): void;
  /** Closes the delta at a checkpoint: the state digest and the changes since the previous checkpoint. */
  checkpoint(): CheckpointState;
  /**
   * Replaces the app and the reply cache with `entries` (already checked with
   * {@link digestEntries}); throws `CodecError` for malformed entries and then
   * leaves the reply cache untouched. Forgets the pending delta.
   */
  install(entries: readonly StateEntry[]): void;
}

/** One client's cached replies: a ring of slots, the next to overwrite, and the slot of each request number. */
interface ClientReplies {
  /** `r‖clientId‖slot`: the prefixed key of a slot (rewritten for the slot at hand). */
  readonly key: Uint8Array;
  /** `r‖clientId` as a one-char-per-byte string: the delta's keys are this and the slot's two bytes. */
  readonly keyPrefix: string;
  readonly ring: (RingSlot | undefined)[];
  next: number;
  readonly bySeq: Map<number, number>;
}
interface RingSlot {
  readonly requestSeq: number;
  readonly result: Uint8Array;
}

/** Reply-cache slots are numbered in two bytes. */
const MAX_SLOTS = 65_536;
const APP = 0x61; // 'a'
const REPLY = 0x72; // 'r'
const SNAPSHOT_KEY = utf8ToBytes('snapshot');
const STATE_DOMAIN = 'admitone/pbft/state/v1';
const CLIENT_ID = /^[0-9a-f]{64}$/;

/** Creates the checkpointed state around `app`. */
export function createReplicaState(app: ReplicatedApp, replyCachePerClient: number): ReplicaState {
  const keyed = app.state;
  if (replyCachePerClient > MAX_SLOTS) throw new RangeError(`replyCachePerClient must be at most ${MAX_SLOTS}`);
  let replies = new Map<string, ClientReplies>();
  const replyDigest = createStateDigest();
  /** The pending delta: changed keys (one char per byte) → values. */
  let delta = new Map<string, Uint8Array | undefined>();
  // The changes are held until their checkpoint is stable (about a checkpoint
  // interval): values copied into shared chunks, and keys kept as strings,
  // cost the collector (and malloc) one buffer per chunk instead of two per change.
  const arena = createArena();
  const APP_CHAR = String.fromCharCode(APP);

  return {
    reply(clientId, requestSeq) {
      const c = replies.get(clientId);
      const slot = c?.bySeq.get(requestSeq);
      return slot === undefined ? undefined : c?.ring[slot]?.result;
    },
    recordReply(clientId, requestSeq, result, seq, index) {
      let c = replies.get(clientId);
      if (c === undefined) {
        c = clientReplies(clientId, replyCachePerClient);
        replies.set(clientId, c);
      }
      // the oldest reply of the client gives way (its slot is the next one)
      let slot = c.bySeq.get(requestSeq);
      if (slot === undefined) {
        slot = c.next;
        c.next = (slot + 1) % replyCachePerClient;
        const old = c.ring[slot];
        if (old !== undefined) c.bySeq.delete(old.requestSeq);
        c.bySeq.set(requestSeq, slot);
      }
      c.ring[slot] = { requestSeq, result };
      // the digest hashes the key at once and keeps none of it: the client's key buffer is reused
      c.key[c.key.length - 2] = slot >> 8;
      c.key[c.key.length - 1] = slot & 0xff;
      const value = replyValue(arena.alloc(16 + result.length), requestSeq, seq * 65_536 + index, result);
      replyDigest.set(c.key.subarray(1), value);
      delta.set(c.keyPrefix + String.fromCharCode(slot >> 8, slot & 0xff), value);
    },
    afterBatch() {
      if (keyed === undefined) return;
      for (const c of keyed.takeChanges()) delta.set(APP_CHAR + keyString(c.key), c.value === undefined ? undefined : arena.copy(c.value));
    },
    checkpoint() {
      let appDigest: Digest;
      if (keyed !== undefined) {
        for (const c of keyed.takeChanges()) delta.set(APP_CHAR + keyString(c.key), c.value === undefined ? undefined : arena.copy(c.value));
        appDigest = app.digest();
      } else {
        const snapshot = app.snapshot();
        delta.set(APP_CHAR + keyString(SNAPSHOT_KEY), snapshot);
        appDigest = stateDigest([{ key: SNAPSHOT_KEY, value: snapshot }]);
      }
      const changes = delta;
      delta = new Map();
      return { digest: combineDigests(appDigest, replyDigest.root()), changes };
    },
    install(entries) {
      const { appEntries, replyEntries } = split(entries);
      const next = new Map<string, ClientReplies>();
      const newest = new Map<string, { order: number; slot: number }>();
      for (const e of replyEntries) {
        if (e.key.length !== 66 || e.value.length < 16) throw new CodecError('CODEC_SCHEMA', 'Malformed reply-cache entry.');
        const clientId = bytesToUtf8(e.key.subarray(0, 64));
        if (!CLIENT_ID.test(clientId)) throw new CodecError('CODEC_SCHEMA', 'Malformed reply-cache client id.');
        const slot = ((e.key[64] as number) << 8) | (e.key[65] as number);
        const requestSeq = readU64(e.value, 0);
        const order = readU64(e.value, 8);
        if (slot >= replyCachePerClient || requestSeq < 1) throw new CodecError('CODEC_SCHEMA', 'Malformed reply-cache entry.');
        let c = next.get(clientId);
        if (c === undefined) {
          c = clientReplies(clientId, replyCachePerClient);
          next.set(clientId, c);
        }
        if (c.bySeq.has(requestSeq)) throw new CodecError('CODEC_SCHEMA', 'Reply cache holds one request twice.');
        c.ring[slot] = { requestSeq, result: e.value.slice(16) };
        c.bySeq.set(requestSeq, slot);
        const n = newest.get(clientId);
        if (n === undefined || order > n.order) newest.set(clientId, { order, slot });
      }
      for (const [clientId, n] of newest) (next.get(clientId) as ClientReplies).next = (n.slot + 1) % replyCachePerClient;
      if (keyed !== undefined) keyed.restoreEntries(appEntries);
      else {
        const only = appEntries[0];
        if (appEntries.length !== 1 || only === undefined || compareBytes(only.key, SNAPSHOT_KEY) !== 0) throw new CodecError('CODEC_SCHEMA', 'Expected one app snapshot entry.');
        app.restore(only.value);
      }
      replies = next;
      replyDigest.clear();
      for (const e of replyEntries) replyDigest.set(e.key, e.value);
      delta = new Map();
    },
  };
}

/**
 * The state digest of checkpoint entries (`a‖…` app entries and `r‖…` reply
 * entries, strictly ascending). Throws `CodecError` for unknown prefixes or
 * keys out of order.
 */
export function digestEntries(entries: readonly StateEntry[]): Digest {
  const { appEntries, replyEntries } = split(entries);
  return combineDigests(stateDigest(appEntries), stateDigest(replyEntries));
}

/** Canonical bytes of checkpoint entries (for state transfer). */
export function encodeEntries(entries: readonly StateEntry[]): Uint8Array {
  return encodePairs(entries);
}


/** Decodes {@link encodeEntries} output; throws `CodecError` when malformed. */
export function decodeEntries(bytes: Uint8Array): StateEntry[] {
  return decodePairs(bytes, 'entries', false) as StateEntry[];
}

// ---------------------------------------------------------------------------

/** The checkpoint digest of a state from the roots of its app tree and its reply-cache tree. */
export function combineDigests(appDigest: Uint8Array, replyDigest: Uint8Array): Digest {
  return taggedHash(STATE_DOMAIN, [appDigest, replyDigest]);
}

function split(entries: readonly StateEntry[]): { appEntries: StateEntry[]; replyEntries: StateEntry[] } {
  const appEntries: StateEntry[] = [];
  const replyEntries: StateEntry[] = [];
  let prev: Uint8Array | undefined;
  for (const e of entries) {
    if (prev !== undefined && compareBytes(prev, e.key) >= 0) throw new CodecError('CODEC_SCHEMA', 'State entries must have strictly ascending keys.');
    prev = e.key;
    const entry = { key: e.key.subarray(1), value: e.value };
    if (e.key[0] === APP && e.key.length > 1) appEntries.push(entry);
    else if (e.key[0] === REPLY && e.key.length > 1) replyEntries.push(entry);
    else throw new CodecError('CODEC_SCHEMA', 'State entry with an unknown key prefix.');
  }
  return { appEntries, replyEntries };
}

/** A client's empty reply cache, with its reply-slot key `r‖clientId‖slot` (u16). */
function clientReplies(clientId: string, slots: number): ClientReplies {
  const id = utf8ToBytes(clientId);
  const key = new Uint8Array(1 + id.length + 2);
  key[0] = REPLY;
  key.set(id, 1);
  return { key, keyPrefix: keyString(key.subarray(0, key.length - 2)), ring: new Array<RingSlot | undefined>(slots), next: 0, bySeq: new Map() };
}

/** Writes a reply slot's value into `v` (16 + result bytes): the request number, its execution order (`seq·65536 + index`), then the result. */
function replyValue(v: Uint8Array, requestSeq: number, order: number, result: Uint8Array): Uint8Array {
  writeU64(v, 0, requestSeq);
  writeU64(v, 8, order);
  v.set(result, 16);
  return v;
}

function writeU64(buf: Uint8Array, at: number, x: number): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint32(at, Math.floor(x / 2 ** 32));
  dv.setUint32(at + 4, x >>> 0);
}

function readU64(buf: Uint8Array, at: number): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const x = dv.getUint32(at) * 2 ** 32 + dv.getUint32(at + 4);
  if (!Number.isSafeInteger(x)) throw new CodecError('CODEC_SCHEMA', 'Integer out of range in a state entry.');
  return x;
}

/** Copies of small byte arrays, carved out of shared chunks. */
interface Arena {
  /** A fresh (zeroed) array of `n` bytes. */
  alloc(n: number): Uint8Array;
  /** A copy of `bytes`. */
  copy(bytes: Uint8Array): Uint8Array;
}

/**
 * Small arrays that live and die together (a checkpoint's changes), carved out
 * of `chunkBytes` chunks: a chunk is freed once nothing in it is referenced.
 * Arrays over a quarter of a chunk get their own buffer.
 */
function createArena(chunkBytes = 64 * 1024): Arena {
  let chunk = new Uint8Array(0);
  let used = 0;
  const alloc = (n: number): Uint8Array => {
    if (4 * n > chunkBytes) return new Uint8Array(n);
    if (used + n > chunk.length) {
      chunk = new Uint8Array(chunkBytes);
      used = 0;
    }
    const out = chunk.subarray(used, used + n);
    used += n;
    return out;
  };
  return {
    alloc,
    copy(bytes) {
      const out = alloc(bytes.length);
      out.set(bytes);
      return out;
    },
  };
}

/** The bytes of a {@link keyString}. */
export function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/** A string with one char per byte: a cheap, exact Map key for bytes. */
export function keyString(key: Uint8Array): string {
  let s = '';
  for (let i = 0; i < key.length; i += 4096) s += String.fromCharCode.apply(null, key.subarray(i, i + 4096) as unknown as number[]);
  return s;
}
