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
 * The stable checkpoint's entries live in storage (see `store.ts`) and in an
 * in-memory mirror, from which state transfer serves peers; a receiver
 * recomputes the digest of the entries it gets before installing them.
 * @module
 */
import {
  CodecError,
  bytesToUtf8,
  compareBytes,
  concatBytes,
  createStateDigest,
  decode,
  encode,
  readArray,
  readBytes,
  sortByKey,
  stateDigest,
  taggedHash,
  utf8ToBytes,
  type Digest,
  type ReplicatedApp,
  type StateChange,
  type StateEntry,
} from '@admitone/core';

/** The state at a checkpoint: its digest and the entries changed since the previous checkpoint. */
export interface CheckpointState {
  readonly digest: Digest;
  /** Changes by key (as a one-char-per-byte string), since the previous checkpoint. */
  readonly changes: ReadonlyMap<string, StateChange>;
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
  /** `r‖clientId‖00 00`: the prefixed key of slot 0 (copied and numbered per slot). */
  readonly key: Uint8Array;
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
  let delta = new Map<string, StateChange>();
  const note = (key: Uint8Array, value: Uint8Array | undefined) => delta.set(keyString(key), { key, value });

  return {
    reply(clientId, requestSeq) {
      const c = replies.get(clientId);
      const slot = c?.bySeq.get(requestSeq);
      return slot === undefined ? undefined : c?.ring[slot]?.result;
    },
    recordReply(clientId, requestSeq, result, seq, index) {
      let c = replies.get(clientId);
      if (c === undefined) {
        c = { key: replyKey(clientId), ring: new Array<RingSlot | undefined>(replyCachePerClient), next: 0, bySeq: new Map() };
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
      const prefixed = c.key.slice();
      prefixed[prefixed.length - 2] = slot >> 8;
      prefixed[prefixed.length - 1] = slot & 0xff;
      const value = replyValue(requestSeq, seq * 65_536 + index, result);
      replyDigest.set(prefixed.subarray(1), value);
      note(prefixed, value);
    },
    afterBatch() {
      if (keyed === undefined) return;
      for (const c of keyed.takeChanges()) note(concatBytes(APP_TAG, c.key), c.value);
    },
    checkpoint() {
      let appDigest: Digest;
      if (keyed !== undefined) {
        for (const c of keyed.takeChanges()) note(concatBytes(APP_TAG, c.key), c.value);
        appDigest = app.digest();
      } else {
        const snapshot = app.snapshot();
        note(concatBytes(APP_TAG, SNAPSHOT_KEY), snapshot);
        appDigest = stateDigest([{ key: SNAPSHOT_KEY, value: snapshot }]);
      }
      const changes = delta;
      delta = new Map();
      return { digest: combine(appDigest, replyDigest.root()), changes };
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
          c = { key: replyKey(clientId), ring: new Array<RingSlot | undefined>(replyCachePerClient), next: 0, bySeq: new Map() };
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
  return combine(stateDigest(appEntries), stateDigest(replyEntries));
}

/** Canonical bytes of checkpoint entries (for state transfer). */
export function encodeEntries(entries: readonly StateEntry[]): Uint8Array {
  return encode(entries.map((e) => [e.key, e.value]));
}

/** Decodes {@link encodeEntries} output; throws `CodecError` when malformed. */
export function decodeEntries(bytes: Uint8Array): StateEntry[] {
  return readArray(decode(bytes, { maxBytes: 1 << 30, maxDepth: 4 }), 'entries').map((row, i) => {
    const a = readArray(row, `entries[${i}]`, 2);
    if (a.length !== 2) throw new CodecError('CODEC_SCHEMA', `Field entries[${i}] must be a [key, value] pair.`);
    return { key: readBytes(a[0], `entries[${i}].key`), value: readBytes(a[1], `entries[${i}].value`) };
  });
}

/** The stable checkpoint's entries in memory, to serve state transfer without touching storage. */
export interface StableEntries {
  /** Applies changes (deletions have no value). */
  apply(changes: Iterable<StateChange>): void;
  /** Replaces everything. */
  replace(entries: readonly StateEntry[]): void;
  /** All entries in ascending key order. */
  sorted(): StateEntry[];
  /** All entries, in no particular order. */
  all(): StateEntry[];
}

/** Creates an empty {@link StableEntries}. */
export function createStableEntries(initial: readonly StateEntry[] = []): StableEntries {
  const map = new Map<string, StateEntry>();
  for (const e of initial) map.set(keyString(e.key), e);
  return {
    apply(changes) {
      for (const c of changes) {
        const k = keyString(c.key);
        if (c.value === undefined) map.delete(k);
        else map.set(k, { key: c.key, value: c.value });
      }
    },
    replace(entries) {
      map.clear();
      for (const e of entries) map.set(keyString(e.key), e);
    },
    sorted: () => sortByKey([...map.values()]),
    all: () => [...map.values()],
  };
}

// ---------------------------------------------------------------------------

const APP_TAG = Uint8Array.of(APP);

function combine(appDigest: Uint8Array, replyDigest: Uint8Array): Digest {
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

/** A client's reply-slot key with its prefix: `r‖clientId‖slot` (u16), here with slot 0. */
function replyKey(clientId: string): Uint8Array {
  const id = utf8ToBytes(clientId);
  const key = new Uint8Array(1 + id.length + 2);
  key[0] = REPLY;
  key.set(id, 1);
  return key;
}

/** A reply slot's value: the request number, its execution order (`seq·65536 + index`), then the result. */
function replyValue(requestSeq: number, order: number, result: Uint8Array): Uint8Array {
  const v = new Uint8Array(16 + result.length);
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

/** A string with one char per byte: a cheap, exact Map key for bytes. */
export function keyString(key: Uint8Array): string {
  let s = '';
  for (let i = 0; i < key.length; i += 4096) s += String.fromCharCode.apply(null, key.subarray(i, i + 4096) as unknown as number[]);
  return s;
}
