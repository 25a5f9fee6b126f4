/**
 * The keyed-state digest (`stateDigest`, `createStateDigest`): checked against
 * an independent reference written here from the spec in `app/state.ts` on
 * node:crypto's SHA-256, and, with fast-check, the incremental digest against
 * a from-scratch one under random writes and deletions.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_STATE_KEY_BYTES,
  STATE_BUCKETS,
  createStateDigest,
  sortByKey,
  stateBucketHash,
  stateBucketOf,
  stateDigest,
  stateDigestFromBuckets,
  type StateEntry,
} from '../src/app/state.js';
import { bytesToHex, utf8ToBytes } from '../src/bytes/index.js';
import { CodecError } from '../src/errors/index.js';

/**
 * The spec, independently: FNV-1a buckets (4,096), 64 groups of 64 listing their non-empty buckets as
 * (index in the group, hash) records, tagged SHA-256 at every level.
 */
function reference(entries: readonly StateEntry[]): string {
  const sha = (...parts: Uint8Array[]) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  };
  const fnv = (key: Uint8Array) => {
    let h = 0x811c9dc5;
    for (const b of key) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    return h % 4096;
  };
  const buckets: { key: Uint8Array; leaf: Uint8Array }[][] = Array.from({ length: 4096 }, () => []);
  for (const e of entries) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, e.key.length);
    buckets[fnv(e.key)]!.push({ key: e.key, leaf: sha(Uint8Array.of(0), len, e.key, e.value) });
  }
  const bucketHashes = buckets.map((b) => sha(Uint8Array.of(1), ...sortByKey(b).map((x) => x.leaf)));
  const groups = Array.from({ length: 64 }, (_, g) =>
    sha(Uint8Array.of(2), ...Array.from({ length: 64 }, (_, j) => (buckets[64 * g + j]!.length === 0 ? [] : [Uint8Array.of(j), bucketHashes[64 * g + j]!])).flat()),
  );
  return bytesToHex(sha(Uint8Array.of(3), ...groups));
}

const entry = (k: string, v: string): StateEntry => ({ key: utf8ToBytes(k), value: utf8ToBytes(v) });

describe('stateDigest', () => {
  it('matches the reference on the empty state and on a small fixed state', () => {
    expect(bytesToHex(stateDigest([]))).toBe(reference([]));
    expect(bytesToHex(createStateDigest().root())).toBe(reference([]));
    const fixed = sortByKey([entry('e/gig', 'organizer'), entry('t/t-1', 'ISSUED'), entry('t/t-2', 'VALIDATED'), entry('r/client', '')]);
    expect(bytesToHex(stateDigest(fixed))).toBe(reference(fixed));
  });

  it('matches the reference for values of any size', () => {
    const big = (n: number) => ({ key: utf8ToBytes(`v/${n}`), value: new Uint8Array(n).fill(n & 0xff) });
    const entries = sortByKey([0, 1, 300, 5_000, 70_000, 200_000].map(big));
    expect(bytesToHex(stateDigest(entries))).toBe(reference(entries));
    const d = createStateDigest();
    for (const e of entries) d.set(e.key, e.value);
    expect(bytesToHex(d.root())).toBe(reference(entries));
  });

  it('matches the reference when many keys share buckets', () => {
    const many = sortByKey(Array.from({ length: 12_000 }, (_, i) => entry(`t/${i}`, `v${i % 7}`)));
    expect(bytesToHex(stateDigest(many))).toBe(reference(many));
  });

  it('binds keys, values and the split between them', () => {
    const a = stateDigest([entry('ab', 'c')]);
    expect(stateDigest([entry('a', 'bc')])).not.toEqual(a);
    expect(stateDigest([entry('ab', 'd')])).not.toEqual(a);
    expect(stateDigest([entry('ab', 'c'), entry('b', '')])).not.toEqual(a);
  });

  it('refuses keys out of order, duplicate, empty or too long', () => {
    expect(() => stateDigest([entry('b', '1'), entry('a', '2')])).toThrow(CodecError);
    expect(() => stateDigest([entry('a', '1'), entry('a', '2')])).toThrow(CodecError);
    expect(() => stateDigest([{ key: new Uint8Array(0), value: new Uint8Array(1) }])).toThrow(CodecError);
    expect(() => createStateDigest().set(new Uint8Array(MAX_STATE_KEY_BYTES + 1), new Uint8Array(1))).toThrow(CodecError);
  });
});

describe('createStateDigest (incremental)', () => {
  it('equals a from-scratch digest after any sequence of writes and deletions, whatever the order', () => {
    const op = fc.record({ key: fc.constantFrom(...Array.from({ length: 24 }, (_, i) => `k${i}`)), value: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, readMidway) => {
        const d = createStateDigest();
        const model = new Map<string, string>();
        ops.forEach((o, i) => {
          d.set(utf8ToBytes(o.key), o.value === undefined ? undefined : utf8ToBytes(o.value));
          if (o.value === undefined) model.delete(o.key);
          else model.set(o.key, o.value);
          if (readMidway && i % 7 === 0) d.root();
        });
        const fresh = sortByKey([...model].map(([k, v]) => entry(k, v)));
        expect(d.size).toBe(model.size);
        expect(bytesToHex(d.root())).toBe(bytesToHex(stateDigest(fresh)));
      }),
      { numRuns: 200, seed: 20_261_121 },
    );
  });

  it('equals a from-scratch digest when buckets hold many entries (inserts, overwrites and deletions in any order)', () => {
    const d = createStateDigest();
    const model = new Map<string, string>();
    let x = 12_345;
    const next = () => (x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0);
    for (let step = 0; step < 30_000; step++) {
      const k = `t/${next() % 12_000}`;
      if (next() % 4 === 0) {
        d.set(utf8ToBytes(k), undefined);
        model.delete(k);
      } else {
        const v = `v${next() % 1000}`;
        d.set(utf8ToBytes(k), utf8ToBytes(v));
        model.set(k, v);
      }
      if (step % 10_000 === 9_999) {
        expect(d.size).toBe(model.size);
        expect(bytesToHex(d.root())).toBe(bytesToHex(stateDigest(sortByKey([...model].map(([k2, v]) => entry(k2, v))))));
      }
    }
    const fresh = sortByKey([...model].map(([k, v]) => entry(k, v)));
    expect(bytesToHex(d.root())).toBe(reference(fresh));
  });

  it('clear() returns to the empty digest, and root() hands out a copy', () => {
    const d = createStateDigest();
    d.set(utf8ToBytes('x'), utf8ToBytes('y'));
    const r = d.root();
    r.fill(0);
    expect(d.root()).not.toEqual(r);
    d.clear();
    expect(d.root()).toEqual(stateDigest([]));
    expect(d.size).toBe(0);
  });
});

describe('bucket hashes (a state checked a few buckets at a time)', () => {
  /** Every non-empty bucket's hash, from its own entries. */
  const stateBucketHashes = (entries: readonly StateEntry[]): Map<number, Uint8Array> => {
    const buckets = [...new Set(entries.map((e) => stateBucketOf(e.key)))].sort((a, b) => a - b);
    return new Map(buckets.map((b) => [b, stateBucketHash(b, entries.filter((e) => stateBucketOf(e.key) === b))]));
  };

  const arbState = fc
    .uniqueArray(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.uint8Array({ maxLength: 40 })), { selector: ([k]) => bytesToHex(k), maxLength: 300 })
    .map((rows) => sortByKey(rows.map(([key, value]) => ({ key, value }))));

  it('the digest from the bucket hashes equals the digest of the entries', () => {
    fc.assert(
      fc.property(arbState, (entries) => {
        const hashes = stateBucketHashes(entries);
        expect(bytesToHex(stateDigestFromBuckets(hashes))).toBe(bytesToHex(stateDigest(entries)));
      }),
      { numRuns: 200 },
    );
    expect(stateDigestFromBuckets(new Map())).toEqual(stateDigest([]));
  });

  it('a changed, missing or extra entry changes its bucket hash, and so the digest', () => {
    const entries = sortByKey(Array.from({ length: 2_000 }, (_, i) => entry(`t/${i}`, `v${i}`)));
    const hashes = stateBucketHashes(entries);
    const b = stateBucketOf(entries[7]!.key);
    const own = entries.filter((e) => stateBucketOf(e.key) === b);
    const forged = own.map((e, i) => (i === 0 ? { key: e.key, value: utf8ToBytes('forged') } : e));
    expect(stateBucketHash(b, forged)).not.toEqual(hashes.get(b));
    if (own.length > 1) expect(stateBucketHash(b, own.slice(1))).not.toEqual(hashes.get(b));
    const moved = new Map<number, Uint8Array>(hashes);
    moved.set(b, stateBucketHash(b, forged));
    expect(stateDigestFromBuckets(moved)).not.toEqual(stateDigest(entries));
    const extraBucket = new Map<number, Uint8Array>(hashes);
    const free = Array.from({ length: STATE_BUCKETS }, (_, i) => i).find((i) => !hashes.has(i));
    if (free !== undefined) {
      extraBucket.set(free, new Uint8Array(32));
      expect(stateDigestFromBuckets(extraBucket)).not.toEqual(stateDigest(entries));
    }
  });

  it('refuses entries of another bucket, keys out of order, an empty bucket and malformed hashes', () => {
    const a = entry('a', '1');
    const b = stateBucketOf(a.key);
    const other = Array.from({ length: 100 }, (_, i) => entry(`k${i}`, '')).find((e) => stateBucketOf(e.key) !== b)!;
    expect(() => stateBucketHash(b, [other])).toThrow(CodecError);
    expect(() => stateBucketHash(b, [a, a])).toThrow(CodecError);
    expect(() => stateBucketHash(b, [])).toThrow(CodecError);
    expect(() => stateBucketHash(STATE_BUCKETS, [a])).toThrow(RangeError);
    expect(() => stateDigestFromBuckets(new Map([[STATE_BUCKETS, new Uint8Array(32)]]))).toThrow(RangeError);
    expect(() => stateDigestFromBuckets(new Map([[0, new Uint8Array(31)]]))).toThrow(RangeError);
    expect(() => stateBucketOf(new Uint8Array(0))).toThrow(CodecError);
  });
});
