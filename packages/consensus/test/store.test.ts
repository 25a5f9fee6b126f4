/**
 * The replica's stored state: a base plus one delta per stable checkpoint,
 * compacted into a new base once the deltas outweigh it; and certificates
 * that refer to their stored pre-prepare instead of copying it, commit
 * certificates riding on the next write.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, encode, encodeRequest, memoryStorage, nobleCrypto, signRequest, sortByKey, utf8ToBytes, type StateEntry, type Storage } from '@admitone/core';
import { batchDigest, signMessage, type PrePrepare, type Vote } from '../src/index.js';
import { keyString } from '../src/replica/state.js';
import { replicaStore } from '../src/replica/store.js';
import { keyOf } from './helpers/cluster.js';

const crypto = nobleCrypto();
const ckpt = (seq: number) => ({ seq, digest: new Uint8Array(32).fill(seq), proof: [] });
const entry = (k: string, size: number, fill: number): StateEntry => ({ key: utf8ToBytes(k), value: new Uint8Array(size).fill(fill) });
const hexes = (es: readonly StateEntry[]) => es.map((e) => `${bytesToHex(e.key)}=${bytesToHex(e.value.subarray(0, 4))}:${e.value.length}`);

describe('replica store: checkpointed state', () => {
  it('replays base + deltas on load, and rewrites the base once the deltas outweigh it', async () => {
    const inner = memoryStorage();
    let baseWrites = 0;
    const storage: Storage = {
      ...inner,
      async batch(ops) {
        if (ops.some((op) => op.type === 'put' && op.key.length === 1 && op.key[0] === 0x62)) baseWrites++;
        return inner.batch(ops);
      },
    };
    const store = replicaStore(storage);
    const model = new Map<string, StateEntry>();
    const all = () => sortByKey([...model.values()]);
    for (let seq = 1; seq <= 16; seq++) {
      const changes = [entry(`k${seq}`, 600_000, seq), entry('shared', 10, seq)];
      if (seq % 3 === 0) changes.push({ key: utf8ToBytes(`k${seq - 2}`), value: undefined } as never);
      for (const ch of changes as { key: Uint8Array; value: Uint8Array | undefined }[]) {
        if (ch.value === undefined) model.delete(bytesToHex(ch.key));
        else model.set(bytesToHex(ch.key), ch as StateEntry);
      }
      await store.saveCheckpoint(ckpt(seq), { changes: new Map(changes.map((c) => [keyString(c.key), c.value])) });
      const loaded = await replicaStore(storage).load();
      expect(loaded.checkpoint?.seq).toBe(seq);
      expect(hexes(loaded.entries)).toEqual(hexes(all()));
      // state transfer serves the same entries from the store
      expect(hexes(await store.loadState())).toEqual(hexes(all()));
    }
    // 600 kB per checkpoint: the deltas pass 4 MiB (then twice the base), each time folded into a new base
    expect(baseWrites).toBeGreaterThanOrEqual(1);
    let deltas = 0;
    for await (const _ of storage.iterate({ prefix: Uint8Array.of(0x64) })) deltas++;
    expect(deltas).toBeLessThan(16);
    // state transfer replaces everything
    await store.saveCheckpoint(ckpt(20), { replace: [entry('only', 3, 1)] });
    expect(hexes((await replicaStore(storage).load()).entries)).toEqual(hexes([entry('only', 3, 1)]));
    expect(hexes(await store.loadState())).toEqual(hexes([entry('only', 3, 1)]));
  });

  it('a checkpoint deletes the log at or below it, written or loaded, and nothing above it', async () => {
    const storage = memoryStorage();
    const ppAt = async (seq: number, view = 0) => {
      const batch = [encodeRequest(await signRequest(crypto, keyOf('c'), { deployment: 'test', requestSeq: seq, op: new Uint8Array([seq]) }))];
      return signMessage<PrePrepare>(crypto, keyOf('r0'), { type: 'pre-prepare', view, seq, digest: batchDigest(1, batch), timestamp: 1, batch, replica: 'r0' }, 'test');
    };
    const vote = (pp: { body: PrePrepare }, type: 'prepare' | 'commit', id: string) =>
      signMessage<Vote>(crypto, keyOf(id), { type, view: pp.body.view, seq: pp.body.seq, digest: pp.body.digest, replica: id }, 'test');
    const keys = async () => {
      const out: string[] = [];
      for await (const [key] of storage.iterate()) out.push(bytesToHex(key));
      return out;
    };
    const first = replicaStore(storage);
    for (const seq of [1, 2, 3]) {
      const pp = await ppAt(seq);
      await first.savePrePrepare(pp, await vote(pp, 'prepare', 'r1'));
      await first.savePrepared({ prePrepare: pp, prepares: [] }, await vote(pp, 'commit', 'r1'));
      first.saveCommitCert({ prePrepare: pp, commits: [] });
    }
    await first.saveView(0, false);
    // a restarted store deletes what it loaded; a pre-prepare of a later view at seq 2 joins the log
    const store = replicaStore(storage);
    await store.load();
    await store.savePrePrepare(await ppAt(2, 1));
    await store.saveCheckpoint(ckpt(2), { changes: new Map() });
    const left = await keys();
    const seqOf = (hex: string) => Number.parseInt(hex.slice(2, 18), 16);
    const log = left.filter((k) => ['70', '71', '73', '78'].includes(k.slice(0, 2)));
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((k) => seqOf(k) === 3)).toBe(true);
    const loaded = await replicaStore(storage).load();
    expect(loaded.prePrepares.map((p) => p.body.seq)).toEqual([3]);
    expect(loaded.certs.map((c) => c.prePrepare.body.seq)).toEqual([3]);
  });

  it('certificates refer to their pre-prepare, which is written once', async () => {
    const storage = memoryStorage();
    const store = replicaStore(storage);
    const req = await signRequest(crypto, keyOf('c'), { deployment: 'test', requestSeq: 1, op: new Uint8Array([1]) });
    const batch = [encodeRequest(req)];
    const pp = await signMessage<PrePrepare>(crypto, keyOf('r0'), { type: 'pre-prepare', view: 0, seq: 1, digest: batchDigest(5, batch), timestamp: 5, batch, replica: 'r0' }, 'test');
    const vote = (type: 'prepare' | 'commit', id: string) => signMessage<Vote>(crypto, keyOf(id), { type, view: 0, seq: 1, digest: pp.body.digest, replica: id }, 'test');
    await store.savePrePrepare(pp, await vote('prepare', 'r1'));
    await store.savePrepared({ prePrepare: pp, prepares: [await vote('prepare', 'r2'), await vote('prepare', 'r3')] }, await vote('commit', 'r1'));
    store.saveCommitCert({ prePrepare: pp, commits: await Promise.all(['r0', 'r1', 'r2'].map((id) => vote('commit', id))) });
    // a commit certificate costs no write of its own: it goes with the next one
    expect((await replicaStore(storage).load()).certs).toHaveLength(0);
    await store.saveView(0, false);
    let ppRecords = 0;
    for await (const _ of storage.iterate({ prefix: Uint8Array.of(0x70) })) ppRecords++;
    expect(ppRecords).toBe(1);
    const loaded = await replicaStore(storage).load();
    expect(loaded.prepared[0]?.prePrepare.signature).toEqual(pp.signature);
    expect(loaded.prepared[0]?.prepares).toHaveLength(2);
    expect(loaded.certs[0]?.prePrepare.signature).toEqual(pp.signature);
    expect(loaded.certs[0]?.commits).toHaveLength(3);
    // a certificate whose pre-prepare came from elsewhere (state transfer) brings it along
    const fresh = memoryStorage();
    const freshStore = replicaStore(fresh);
    freshStore.saveCommitCert({ prePrepare: pp, commits: [] });
    await freshStore.saveView(1, false);
    expect((await replicaStore(fresh).load()).certs[0]?.prePrepare.signature).toEqual(pp.signature);
  });

  it('regression: a commit certificate flushed while a checkpoint is written does not break the next load', async () => {
    const inner = memoryStorage();
    let duringCheckpoint: (() => Promise<void>) | undefined;
    // runs `duringCheckpoint` when the checkpoint's write (the batch with the checkpoint record 'c')
    // is issued, before it lands: after the checkpoint has listed the log records to delete
    const storage: Storage = {
      ...inner,
      async batch(ops) {
        const hook = ops.some((op) => op.key.length === 1 && op.key[0] === 0x63) ? duringCheckpoint : undefined;
        if (hook !== undefined) {
          duringCheckpoint = undefined;
          await hook();
        }
        return inner.batch(ops);
      },
    };
    const store = replicaStore(storage);
    const ppAt = async (seq: number) => {
      const batch = [encodeRequest(await signRequest(crypto, keyOf('c'), { deployment: 'test', requestSeq: seq, op: new Uint8Array([seq]) }))];
      return signMessage<PrePrepare>(crypto, keyOf('r0'), { type: 'pre-prepare', view: 0, seq, digest: batchDigest(1, batch), timestamp: 1, batch, replica: 'r0' }, 'test');
    };
    const pp8 = await ppAt(8);
    const pp9 = await ppAt(9);
    await store.savePrePrepare(pp8);
    store.saveCommitCert({ prePrepare: pp8, commits: [] });
    // the next write, which carries the deferred certificate for seq 8, lands in the middle of the checkpoint
    duringCheckpoint = () => store.savePrePrepare(pp9);
    await store.saveCheckpoint(ckpt(8), { changes: new Map() });
    const loaded = await replicaStore(storage).load();
    expect(loaded.checkpoint?.seq).toBe(8);
    expect(loaded.certs).toEqual([]);
    expect(loaded.prePrepares.map((p) => p.body.seq)).toEqual([9]);
  });

  it('keeps whether the replica is still changing views, never goes back, and reads older records as entered', async () => {
    const storage = memoryStorage();
    const store = replicaStore(storage);
    expect(await replicaStore(storage).load()).toMatchObject({ view: 0, viewChanging: false });
    await store.saveView(3, true);
    expect(await replicaStore(storage).load()).toMatchObject({ view: 3, viewChanging: true });
    await store.saveView(3, false);
    expect(await replicaStore(storage).load()).toMatchObject({ view: 3, viewChanging: false });
    // a write issued late by a superseded step changes nothing: not "changing" again, not an earlier view
    await store.saveView(3, true);
    await store.saveView(2, false);
    expect(await replicaStore(storage).load()).toMatchObject({ view: 3, viewChanging: false });
    await store.saveView(4, true);
    // a store opened later knows what is there, and does not go back either
    const reopened = replicaStore(storage);
    await reopened.load();
    await reopened.saveView(3, false);
    expect(await replicaStore(storage).load()).toMatchObject({ view: 4, viewChanging: true });
    // the record before the flag existed: a bare view number
    const old = memoryStorage();
    await old.put(Uint8Array.of(0x76), Uint8Array.of(0x05));
    expect(await replicaStore(old).load()).toMatchObject({ view: 5, viewChanging: false });
    await old.put(Uint8Array.of(0x76), Uint8Array.of(0xa1, 0x61, 0x76, 0x05)); // {v: 5}: no flag
    await expect(replicaStore(old).load()).rejects.toThrow(/vc must be true/);
  });

  it('a call whose records a pending write carries resolves only when that write is durable; after a failed write every call rejects', async () => {
    const inner = memoryStorage();
    const held: { ops: number; release: () => void; fail: (e: Error) => void }[] = [];
    const storage: Storage = {
      ...inner,
      batch: (ops) =>
        new Promise<void>((resolve, reject) => {
          held.push({ ops: ops.length, release: () => inner.batch(ops).then(resolve, reject), fail: reject });
        }),
    };
    const store = replicaStore(storage);
    await store.load();
    const batch = [encodeRequest(await signRequest(crypto, keyOf('c'), { deployment: 'test', requestSeq: 1, op: new Uint8Array([1]) }))];
    const pp = await signMessage<PrePrepare>(crypto, keyOf('r1'), { type: 'pre-prepare', view: 1, seq: 1, digest: batchDigest(5, batch), timestamp: 5, batch, replica: 'r1' }, 'test');
    let first = false;
    let second = false;
    void store.saveNewView(1, [pp], 1).then(() => (first = true));
    // a second copy of the same NEW-VIEW: nothing new to write, but it is not durable yet either
    void store.saveNewView(1, [pp], 1).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(held.map((h) => h.ops)).toEqual([2]);
    expect([first, second]).toEqual([false, false]);
    held[0]!.release();
    await new Promise((r) => setTimeout(r, 5));
    expect([first, second]).toEqual([true, true]);
    // a failed write: it and every later call reject
    const failed = store.saveView(2, true);
    held[1]!.fail(new Error('disk gone'));
    await expect(failed).rejects.toThrow('disk gone');
    const later = store.saveView(3, true);
    held[2]!.release();
    await expect(later).rejects.toThrow('disk gone');
  });

  it('keeps the floor of a view entered through a NEW-VIEW (bare number without one; never with the changing flag)', async () => {
    const storage = memoryStorage();
    const store = replicaStore(storage);
    await store.load();
    await store.saveView(2, true);
    await store.saveNewView(2, [], 9); // a NEW-VIEW whose checkpoint is at 9 and that re-proposes nothing
    expect(await replicaStore(storage).load()).toMatchObject({ view: 2, viewChanging: false, viewFloor: 9 });
    await store.saveView(3, true);
    expect(await replicaStore(storage).load()).toMatchObject({ view: 3, viewChanging: true, viewFloor: 0 });
    await store.saveNewView(3, [], 0);
    expect(await storage.get(Uint8Array.of(0x76))).toEqual(Uint8Array.of(0x03)); // no floor: the bare number, as before floors existed
    const bad = memoryStorage();
    await bad.put(Uint8Array.of(0x76), encode({ v: 4, vc: true, f: 2 }));
    await expect(replicaStore(bad).load()).rejects.toThrow(/has no floor/);
    await bad.put(Uint8Array.of(0x76), encode({ v: 4, f: 0 }));
    await expect(replicaStore(bad).load()).rejects.toThrow(/view\.f/);
  });

  it('entering a view stores its pre-prepares with the view record; voting on one later writes only the vote', async () => {
    const inner = memoryStorage();
    const batches: number[] = [];
    const storage: Storage = { ...inner, batch: (ops) => (batches.push(ops.length), inner.batch(ops)) };
    const store = replicaStore(storage);
    await store.load();
    const batch = [encodeRequest(await signRequest(crypto, keyOf('c'), { deployment: 'test', requestSeq: 1, op: new Uint8Array([1]) }))];
    const pp = await signMessage<PrePrepare>(crypto, keyOf('r1'), { type: 'pre-prepare', view: 1, seq: 1, digest: batchDigest(5, batch), timestamp: 5, batch, replica: 'r1' }, 'test');
    await store.saveNewView(1, [pp], 1);
    expect(batches).toEqual([2]); // the pre-prepare and the view record, in one write
    expect(await replicaStore(storage).load()).toMatchObject({ view: 1, viewChanging: false, viewFloor: 1, prePrepares: [{ signature: pp.signature }] });
    const vote = await signMessage<Vote>(crypto, keyOf('r2'), { type: 'prepare', view: 1, seq: 1, digest: pp.body.digest, replica: 'r2' }, 'test');
    await store.savePrePrepare(pp, vote);
    expect(batches).toEqual([2, 1]);
    const loaded = await replicaStore(storage).load();
    expect(loaded.prePrepares).toHaveLength(1);
    expect(loaded.votes.map((v) => v.signature)).toEqual([vote.signature]);
  });
});
