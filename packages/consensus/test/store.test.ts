/**
 * The replica's stored state: a base plus one delta per stable checkpoint,
 * compacted into a new base once the deltas outweigh it; and certificates
 * that refer to their stored pre-prepare instead of copying it, commit
 * certificates riding on the next write.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, encodeRequest, memoryStorage, nobleCrypto, signRequest, sortByKey, utf8ToBytes, type StateEntry, type Storage } from '@admitone/core';
import { batchDigest, signMessage, type PrePrepare, type Vote } from '../src/index.js';
import { replicaStore } from '../src/replica/store.js';
import { keyOf } from './helpers/cluster.js';

const crypto = nobleCrypto();
const ckpt = (seq: number) => ({ seq, digest: new Uint8Array(32).fill(seq), proof: [] });
const entry = (k: string, size: number, fill: number): StateEntry => ({ key: utf8ToBytes(k), value: new Uint8Array(size).fill(fill) });
const hexes = (es: readonly StateEntry[]) => es.map((e) => `${bytesToHex(e.key)}=${bytesToHex(e.value).slice(0, 8)}:${e.value.length}`);

describe('replica store: checkpointed state', () => {
  it('replays base + deltas on load, and rewrites the base once the deltas outweigh it', async () => {
    const storage = memoryStorage();
    const store = replicaStore(storage);
    const model = new Map<string, StateEntry>();
    const all = () => sortByKey([...model.values()]);
    let baseWrites = 0;
    for (let seq = 1; seq <= 16; seq++) {
      const changes = [entry(`k${seq}`, 600_000, seq), entry('shared', 10, seq)];
      if (seq % 3 === 0) changes.push({ key: utf8ToBytes(`k${seq - 2}`), value: undefined } as never);
      for (const ch of changes as { key: Uint8Array; value: Uint8Array | undefined }[]) {
        if (ch.value === undefined) model.delete(bytesToHex(ch.key));
        else model.set(bytesToHex(ch.key), ch as StateEntry);
      }
      await store.saveCheckpoint(ckpt(seq), {
        changes,
        all: () => {
          baseWrites++;
          return all();
        },
      });
      const loaded = await replicaStore(storage).load();
      expect(loaded.checkpoint?.seq).toBe(seq);
      expect(hexes(loaded.entries)).toEqual(hexes(all()));
    }
    // 600 kB per checkpoint: the deltas pass 4 MiB (then twice the base), each time folded into a new base
    expect(baseWrites).toBeGreaterThanOrEqual(1);
    let deltas = 0;
    for await (const _ of storage.iterate({ prefix: Uint8Array.of(0x64) })) deltas++;
    expect(deltas).toBeLessThan(16);
    // state transfer replaces everything
    await store.saveCheckpoint(ckpt(20), { replace: [entry('only', 3, 1)] });
    expect(hexes((await replicaStore(storage).load()).entries)).toEqual(hexes([entry('only', 3, 1)]));
  });

  it('certificates refer to their pre-prepare, which is written once', async () => {
    const storage = memoryStorage();
    const store = replicaStore(storage);
    const req = await signRequest(crypto, keyOf('c'), { requestSeq: 1, op: new Uint8Array([1]) });
    const batch = [encodeRequest(req)];
    const pp = await signMessage<PrePrepare>(crypto, keyOf('r0'), { type: 'pre-prepare', view: 0, seq: 1, digest: batchDigest(5, batch), timestamp: 5, batch, replica: 'r0' });
    const vote = (type: 'prepare' | 'commit', id: string) => signMessage<Vote>(crypto, keyOf(id), { type, view: 0, seq: 1, digest: pp.body.digest, replica: id });
    await store.savePrePrepare(pp, await vote('prepare', 'r1'));
    await store.savePrepared({ prePrepare: pp, prepares: [await vote('prepare', 'r2'), await vote('prepare', 'r3')] }, await vote('commit', 'r1'));
    store.saveCommitCert({ prePrepare: pp, commits: await Promise.all(['r0', 'r1', 'r2'].map((id) => vote('commit', id))) });
    // a commit certificate costs no write of its own: it goes with the next one
    expect((await replicaStore(storage).load()).certs).toHaveLength(0);
    await store.saveView(0);
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
    await freshStore.saveView(1);
    expect((await replicaStore(fresh).load()).certs[0]?.prePrepare.signature).toEqual(pp.signature);
  });

  it('regression: a commit certificate flushed while a checkpoint collects the log to delete does not break the next load', async () => {
    const inner = memoryStorage();
    let duringLastScan: (() => Promise<void>) | undefined;
    // runs `duringLastScan` when the checkpoint starts its last scan (prepared certificates, tag 'q'),
    // i.e. after it has listed the commit certificates to delete
    const storage: Storage = {
      ...inner,
      iterate(options) {
        const hook = options !== undefined && 'gte' in options && options.gte?.[0] === 0x71 ? duringLastScan : undefined;
        duringLastScan = hook === undefined ? duringLastScan : undefined;
        return {
          async *[Symbol.asyncIterator]() {
            await hook?.();
            yield* inner.iterate(options);
          },
        };
      },
    };
    const store = replicaStore(storage);
    const ppAt = async (seq: number) => {
      const batch = [encodeRequest(await signRequest(crypto, keyOf('c'), { requestSeq: seq, op: new Uint8Array([seq]) }))];
      return signMessage<PrePrepare>(crypto, keyOf('r0'), { type: 'pre-prepare', view: 0, seq, digest: batchDigest(1, batch), timestamp: 1, batch, replica: 'r0' });
    };
    const pp8 = await ppAt(8);
    const pp9 = await ppAt(9);
    await store.savePrePrepare(pp8);
    store.saveCommitCert({ prePrepare: pp8, commits: [] });
    // the next write, which carries the deferred certificate for seq 8, lands in the middle of the checkpoint
    duringLastScan = () => store.savePrePrepare(pp9);
    await store.saveCheckpoint(ckpt(8), { changes: [], all: () => [] });
    const loaded = await replicaStore(storage).load();
    expect(loaded.checkpoint?.seq).toBe(8);
    expect(loaded.certs).toEqual([]);
    expect(loaded.prePrepares.map((p) => p.body.seq)).toEqual([9]);
  });
});
