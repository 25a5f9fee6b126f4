/**
 * Keyed application state with an incremental digest, so that a consensus
 * engine checkpoints and persists in O(changes) instead of O(state).
 *
 * An app that offers {@link KeyedState} describes its whole state as a set of
 * `key → value` byte entries (its canonical form). The digest of such a state
 * is {@link stateDigest}, a fixed-shape SHA-256 hash tree:
 * - leaf = H(0x00 ‖ u32 key length ‖ key ‖ value);
 * - 4,096 buckets, chosen by an FNV-1a of the key; bucket = H(0x01 ‖ its
 *   leaves in ascending key order);
 * - 64 groups of 64 buckets; group = H(0x02 ‖ for each *non-empty* bucket of
 *   the group, in ascending order: its index in the group (one byte) ‖ its
 *   hash), so an empty group is H(0x02);
 * - root = H(0x03 ‖ the 64 group hashes).
 *
 * {@link createStateDigest} maintains the root under single-entry writes: a
 * write hashes its leaf and rehashes its (small) bucket at once, so that
 * reading the root costs at most the 64 group hashes, however many entries
 * changed since: 33 bytes of hashing per non-empty bucket (at most 132 KiB,
 * and little for a small state, whose buckets are mostly empty). Each level
 * has its own tag byte, and a group lists its buckets as fixed-size
 * (index, hash) records, so no leaf, bucket or group can pass for another.
 * @module
 */
import { compareBytes, utf8ToBytes } from '../bytes/index.js';
import type { Digest } from '../codec/hash.js';
import { CodecError } from '../errors/index.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { sha256Into } from './sha256.js';
import { bound } from './sorted-set.js';

/** One entry of an app's keyed state. */
export interface StateEntry {
  /** The entry's key (non-empty, at most {@link MAX_STATE_KEY_BYTES}). */
  readonly key: Uint8Array;
  /** The entry's canonical value. */
  readonly value: Uint8Array;
}

/** An entry written (`value` set) or deleted (`value` undefined). */
export interface StateChange {
  /** The entry's key. */
  readonly key: Uint8Array;
  /** The entry's current value, or `undefined` when it was deleted. */
  readonly value: Uint8Array | undefined;
}

/**
 * Optional capability of a `ReplicatedApp`: its state as keyed entries with
 * change tracking. When an app offers it, its `digest()` must equal
 * {@link stateDigest} of {@link KeyedState.entries}, and equal states must
 * have equal entry sets.
 */
export interface KeyedState {
  /**
   * The entries written or deleted since the previous call, each key once
   * with its current value, in ascending key order; then forgets them.
   * O(changes). The first call after creation reports every entry (all of the
   * state is new to the caller); after {@link KeyedState.restoreEntries},
   * changes are relative to the restored entries.
   */
  takeChanges(): StateChange[];
  /** Every entry of the current state, in ascending key order. O(state). */
  entries(): StateEntry[];
  /**
   * Replaces the whole state with `entries` (ascending, unique keys), or
   * throws a `CodecError` and leaves the state untouched. Forgets pending
   * changes.
   */
  restoreEntries(entries: readonly StateEntry[]): void;
}

/** An incrementally maintained {@link stateDigest}. */
export interface StateDigest {
  /** Sets (or, with `undefined`, deletes) one entry. */
  set(key: Uint8Array, value: Uint8Array | undefined): void;
  /** The digest of the current entries (recomputes dirty buckets and paths only). */
  root(): Digest;
  /** Number of entries. */
  readonly size: number;
  /** Removes every entry. */
  clear(): void;
}

/** Longest key a keyed state may use, in bytes. */
export const MAX_STATE_KEY_BYTES = 1024;

/** 4,096 buckets in 64 groups of 64: root = H(groups), group = H(its buckets), bucket = H(its leaves in key order). */
const GROUP_BITS = 6;
const GROUP_SIZE = 1 << GROUP_BITS;
const GROUPS = 64;
const BUCKETS = GROUPS * GROUP_SIZE;
const LEAF = 0x00;
const BUCKET = 0x01;
const GROUP = 0x02;
const ROOT = 0x03;

/** Creates an empty incremental state digest. */
export function createStateDigest(): StateDigest {
  return digestTree(false);
}

/** One non-empty bucket: its keys in ascending order and, in the same order, their leaf hashes. */
interface Bucket {
  /** Keys as one-char-per-byte strings: string order is byte order. */
  readonly ids: string[];
  /**
   * The bucket hash's input, `0x01 ‖ leaf hashes` (32 bytes per id, in id
   * order), with room to grow at the end: one buffer per bucket instead of
   * one small array per entry.
   */
  input: Uint8Array;
}

/**
 * The tree. Bucket hashes are refreshed on every write (cheap: a bucket holds
 * a few entries) unless `deferBuckets`, which rehashes all dirty buckets when
 * the root is read (for building a whole state at once).
 */
function digestTree(deferBuckets: boolean): StateDigest {
  const buckets: (Bucket | undefined)[] = new Array(BUCKETS);
  /** The hash of each non-empty bucket, 32 bytes each in bucket order (stale bytes for empty ones). */
  const bucketHashes = new Uint8Array(32 * BUCKETS);
  /** The root hash's input: `0x03 ‖ the 64 group hashes`, kept up to date group by group. */
  const rootInput = new Uint8Array(1 + 32 * GROUPS);
  const dirtyBuckets = new Set<number>();
  const dirtyGroups = new Set<number>();
  let rootHash: Uint8Array;
  let size = 0;
  const reset = () => {
    buckets.fill(undefined);
    const empty = emptyHashes();
    rootInput[0] = ROOT;
    for (let g = 0; g < GROUPS; g++) rootInput.set(empty.group, 1 + 32 * g);
    rootHash = empty.root;
    dirtyBuckets.clear();
    dirtyGroups.clear();
    size = 0;
  };
  reset();
  const isPresent = (b: number) => buckets[b] !== undefined;
  const rehash = (b: number) => {
    const bucket = buckets[b];
    if (bucket !== undefined) sha256Into(bucket.input, 0, 1 + 32 * bucket.ids.length, bucketHashes, 32 * b);
    dirtyGroups.add(b >> GROUP_BITS);
  };
  return {
    set(key, value) {
      checkKey(key);
      const b = bucketOf(key);
      const id = keyString(key);
      let bucket = buckets[b];
      const n = bucket === undefined ? 0 : bucket.ids.length;
      const i = bucket === undefined ? 0 : bound(bucket.ids, id, false);
      const found = bucket !== undefined && i < n && bucket.ids[i] === id;
      if (value === undefined) {
        if (!found) return;
        const bk = bucket as Bucket;
        if (n === 1) buckets[b] = undefined;
        else {
          bk.ids.splice(i, 1);
          bk.input.copyWithin(1 + 32 * i, 1 + 32 * (i + 1), 1 + 32 * n);
        }
        size--;
      } else {
        if (bucket === undefined) {
          bucket = { ids: [], input: new Uint8Array(1 + 32 * 2) };
          bucket.input[0] = BUCKET;
          buckets[b] = bucket;
        }
        if (!found) {
          if (1 + 32 * (n + 1) > bucket.input.length) {
            const grown = new Uint8Array(1 + 32 * 2 * n);
            grown.set(bucket.input.subarray(0, 1 + 32 * n));
            bucket.input = grown;
          }
          bucket.input.copyWithin(1 + 32 * (i + 1), 1 + 32 * i, 1 + 32 * n);
          bucket.ids.splice(i, 0, id);
          size++;
        }
        leafHashInto(key, value, bucket.input, 1 + 32 * i);
      }
      if (deferBuckets) dirtyBuckets.add(b);
      else rehash(b);
    },
    root() {
      for (const b of dirtyBuckets) rehash(b);
      dirtyBuckets.clear();
      if (dirtyGroups.size > 0) {
        for (const g of dirtyGroups) groupHashInto(isPresent, bucketHashes, g, rootInput, 1 + 32 * g);
        dirtyGroups.clear();
        rootHash = sha256(rootInput);
      }
      return rootHash.slice() as Digest;
    },
    get size() {
      return size;
    },
    clear: reset,
  };
}

/**
 * The bookkeeping behind an app's {@link KeyedState} when its state lives in
 * its own maps and each entry is a named row: rows touched since the last
 * flush, the incremental digest, and the changes not yet taken. Changes are
 * recorded only once someone has taken them (so an app used without an
 * engine keeps no copy); the first {@link KeyedRows.takeChanges} reports every
 * entry.
 */
export interface KeyedRows {
  /** Marks a row as possibly changed (an unchanged or absent row costs one rehash, nothing else). */
  touch(row: string): void;
  /** The digest of the current rows (folds touched rows in first). */
  digest(): Digest;
  /** {@link KeyedState.takeChanges}. */
  takeChanges(): StateChange[];
  /** After the app replaced its maps: rebuilds the digest from `entries()` and forgets pending changes. */
  reset(): void;
  /** From now on record changes (after {@link KeyedState.restoreEntries}, changes are relative to it). */
  track(): void;
}

/**
 * Creates {@link KeyedRows} over an app's rows: `rowValue(row)` is a row's
 * canonical value (`undefined` when it does not exist; the key is the row's
 * UTF-8 bytes), `entries()` every entry in ascending key order.
 */
export function createKeyedRows(rowValue: (row: string) => Uint8Array | undefined, entries: () => StateEntry[]): KeyedRows {
  const dirty = new Set<string>();
  const merkle = createStateDigest();
  let changes = new Map<string, StateChange>();
  let tracking = false;
  const flush = (): void => {
    if (dirty.size === 0) return;
    for (const row of dirty) {
      const key = utf8ToBytes(row);
      const value = rowValue(row);
      merkle.set(key, value);
      if (tracking) changes.set(row, { key, value });
    }
    dirty.clear();
  };
  return {
    touch(row) {
      dirty.add(row);
    },
    digest() {
      flush();
      return merkle.root();
    },
    takeChanges() {
      flush();
      const out = tracking ? sortByKey([...changes.values()]) : entries();
      tracking = true;
      changes = new Map();
      return out;
    },
    reset() {
      dirty.clear();
      changes = new Map();
      merkle.clear();
      for (const e of entries()) merkle.set(e.key, e.value);
    },
    track() {
      tracking = true;
    },
  };
}

/**
 * The digest of a whole keyed state (what {@link createStateDigest} maintains).
 * Throws `CodecError` (`CODEC_SCHEMA`) when keys are empty, too long, or not
 * strictly ascending.
 */
export function stateDigest(entries: Iterable<StateEntry>): Digest {
  const d = digestTree(true);
  let prev: Uint8Array | undefined;
  for (const e of entries) {
    if (prev !== undefined && compareBytes(prev, e.key) >= 0) throw new CodecError('CODEC_SCHEMA', 'State entries must have strictly ascending keys.');
    prev = e.key;
    d.set(e.key, e.value);
  }
  return d.root();
}

/** Number of buckets in the {@link stateDigest} tree (4,096). */
export const STATE_BUCKETS: number = BUCKETS;

/**
 * The bucket (0 ≤ b < {@link STATE_BUCKETS}) that `key` belongs to in the
 * {@link stateDigest} tree. Throws `CodecError` for a key that is empty or
 * longer than {@link MAX_STATE_KEY_BYTES}.
 */
export function stateBucketOf(key: Uint8Array): number {
  checkKey(key);
  return bucketOf(key);
}

/**
 * The hash of one bucket of the {@link stateDigest} tree, from its entries:
 * what lets a state be transferred and checked a few buckets at a time
 * against a digest that a quorum certified. Throws `CodecError`
 * (`CODEC_SCHEMA`) when an entry belongs to another bucket or the keys are
 * not strictly ascending; an empty bucket has no hash (the tree leaves it
 * out), so `entries` must not be empty either.
 */
export function stateBucketHash(bucket: number, entries: readonly StateEntry[]): Digest {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= BUCKETS) throw new RangeError(`bucket must be an integer in [0, ${BUCKETS})`);
  if (entries.length === 0) throw new CodecError('CODEC_SCHEMA', 'An empty bucket has no hash.');
  const input = new Uint8Array(1 + 32 * entries.length);
  input[0] = BUCKET;
  let prev: Uint8Array | undefined;
  for (const [i, e] of entries.entries()) {
    checkKey(e.key);
    if (prev !== undefined && compareBytes(prev, e.key) >= 0) throw new CodecError('CODEC_SCHEMA', 'State entries must have strictly ascending keys.');
    if (bucketOf(e.key) !== bucket) throw new CodecError('CODEC_SCHEMA', `State entry does not belong to bucket ${bucket}.`);
    prev = e.key;
    leafHashInto(e.key, e.value, input, 1 + 32 * i);
  }
  return sha256(input) as Digest;
}

/**
 * The {@link stateDigest} of a state given the hashes of its non-empty
 * buckets (bucket index → 32-byte hash, each a {@link stateBucketHash}). Throws `RangeError` for a bucket index out of range or a hash that
 * is not 32 bytes.
 */
export function stateDigestFromBuckets(hashes: ReadonlyMap<number, Uint8Array>): Digest {
  const present = new Array<boolean>(BUCKETS).fill(false);
  const bucketHashes = new Uint8Array(32 * BUCKETS);
  for (const [b, h] of hashes) {
    if (!Number.isInteger(b) || b < 0 || b >= BUCKETS) throw new RangeError(`bucket must be an integer in [0, ${BUCKETS}), got ${b}`);
    if (!(h instanceof Uint8Array) || h.length !== 32) throw new RangeError(`the hash of bucket ${b} must be 32 bytes`);
    present[b] = true;
    bucketHashes.set(h, 32 * b);
  }
  const rootInput = new Uint8Array(1 + 32 * GROUPS);
  rootInput[0] = ROOT;
  for (let g = 0; g < GROUPS; g++) groupHashInto((b) => present[b] === true, bucketHashes, g, rootInput, 1 + 32 * g);
  return sha256(rootInput) as Digest;
}

/** Sorts changes or entries by key (ascending), in place, and returns them. */
export function sortByKey<T extends { readonly key: Uint8Array }>(items: T[]): T[] {
  return items.sort((a, b) => compareBytes(a.key, b.key));
}

// ---------------------------------------------------------------------------

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length === 0 || key.length > MAX_STATE_KEY_BYTES) {
    throw new CodecError('CODEC_SCHEMA', `State keys must be 1..${MAX_STATE_KEY_BYTES} bytes.`);
  }
}

/**
 * The bucket of a key: FNV-1a of its bytes. Placement needs no collision
 * resistance (every key is hashed into its leaf, in key order); a key chosen
 * to crowd one bucket only makes that bucket slower to rehash.
 */
function bucketOf(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ (key[i] as number), 0x01000193);
  return (h >>> 0) & (BUCKETS - 1);
}

/** A string with one char per byte: a cheap, exact Map key for bytes. */
function keyString(key: Uint8Array): string {
  let s = '';
  for (let i = 0; i < key.length; i += 4096) s += String.fromCharCode.apply(null, key.subarray(i, i + 4096) as unknown as number[]);
  return s;
}

/** Scratch input of leaf hashes (grown on demand, up to {@link MAX_LEAF_SCRATCH}); hashing never re-enters. */
let leafInput = new Uint8Array(256);
const MAX_LEAF_SCRATCH = 64 * 1024;

/** Writes the leaf hash H(0x00 ‖ u32 key length ‖ key ‖ value) into `out[at, at + 32)`. */
function leafHashInto(key: Uint8Array, value: Uint8Array, out: Uint8Array, at: number): void {
  const n = 5 + key.length + value.length;
  if (n > leafInput.length && n <= MAX_LEAF_SCRATCH) leafInput = new Uint8Array(Math.min(MAX_LEAF_SCRATCH, Math.max(n, 2 * leafInput.length)));
  const buf = n <= leafInput.length ? leafInput : new Uint8Array(n);
  buf[0] = LEAF;
  buf[1] = key.length >>> 24;
  buf[2] = (key.length >>> 16) & 0xff;
  buf[3] = (key.length >>> 8) & 0xff;
  buf[4] = key.length & 0xff;
  buf.set(key, 5);
  buf.set(value, 5 + key.length);
  sha256Into(buf, 0, n, out, at);
}

/** Input of a group hash: `0x02 ‖ (index, hash)` of up to 64 buckets. Shared: hashing never re-enters. */
const GROUP_INPUT = new Uint8Array(1 + 33 * GROUP_SIZE);

/**
 * Writes group `g`'s hash, H(0x02 ‖ for each non-empty bucket, ascending: its
 * index in the group ‖ its hash), into `out[at, at + 32)`.
 */
function groupHashInto(present: (bucket: number) => boolean, bucketHashes: Uint8Array, g: number, out: Uint8Array, at: number): void {
  GROUP_INPUT[0] = GROUP;
  let p = 1;
  for (let j = 0, b = g << GROUP_BITS; j < GROUP_SIZE; j++, b++) {
    if (!present(b)) continue;
    GROUP_INPUT[p] = j;
    for (let k = 0, h = 32 * b; k < 32; k++) GROUP_INPUT[p + 1 + k] = bucketHashes[h + k] as number;
    p += 33;
  }
  sha256Into(GROUP_INPUT, 0, p, out, at);
}

let empty: { group: Uint8Array; root: Uint8Array } | undefined;
/** The group and root hashes of the empty state (computed once, on first use). */
function emptyHashes(): { group: Uint8Array; root: Uint8Array } {
  if (empty === undefined) {
    const group = sha256(Uint8Array.of(GROUP));
    const input = new Uint8Array(1 + 32 * GROUPS);
    input[0] = ROOT;
    for (let g = 0; g < GROUPS; g++) input.set(group, 1 + 32 * g);
    empty = { group, root: sha256(input) };
  }
  return empty;
}
