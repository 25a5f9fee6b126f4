/**
 * State transfer of a state larger than one message: a manifest of part
 * hashes checked against the certified digest, then parts fetched in chunks
 * and checked one by one. Before this, a state response carried the whole
 * state, so once the state outgrew the transport's message limit (4 MiB by
 * default, about 30,000 tickets) a lagging replica could never catch up.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  concatBytes,
  createTicketLedger,
  decodeTicketResult,
  encodeTicketOp,
  eventId,
  memoryNetwork,
  memoryStorage,
  nobleCrypto,
  signRequest,
  sortByKey,
  systemClock,
  ticketId,
  type StateEntry,
} from '@admitone/core';
import { createReplica, decodeWire, encodeSignedFrame, signMessage, type Checkpoint, type StateChunk, type StateChunkRequest, type StateResponse } from '../src/index.js';
import { digestEntries, encodeEntries } from '../src/replica/state.js';
import { STATE_PARTS, checkManifest, chunkOf, createAssembly, partOf, serveState } from '../src/replica/transfer.js';
import { cluster, keyOf, type Cluster, waitFor } from './helpers/cluster.js';

let c: Cluster | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});
const E = eventId('chunk-gig');

/** A checkpoint state with `tickets` issued tickets (app entries, prefixed) and a few reply-cache-like entries. */
async function ledgerState(tickets: number): Promise<{ entries: StateEntry[]; digest: Uint8Array; ledger: ReturnType<typeof createTicketLedger> }> {
  const crypto = nobleCrypto();
  const ledger = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
  let seq = 0;
  const run = async (op: Uint8Array) => {
    seq++;
    ledger.execute(await ledger.prepare(await signRequest(crypto, keyOf('organizer'), { deployment: 'test', requestSeq: seq, op })), { seq, timestamp: seq });
  };
  await run(encodeTicketOp({ type: 'createEvent', eventId: E }));
  const holder = await crypto.getPublicKey(keyOf('holder'));
  for (let i = 0; i < tickets; i++) await run(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`p-${i}`), holder }));
  const entries = ledger.state.entries().map((e) => ({ key: concatBytes(Uint8Array.of(0x61), e.key), value: e.value }));
  return { entries, digest: digestEntries(entries), ledger };
}

/** Every part of `served`, chunk by chunk from part 0, as a receiver walks them. */
function walk(served: ReturnType<typeof serveState>, budget: number): { from: number; parts: Uint8Array[] }[] {
  const out: { from: number; parts: Uint8Array[] }[] = [];
  for (let from = 0; from < STATE_PARTS; ) {
    const parts = chunkOf(served, from, budget);
    out.push({ from, parts });
    from += parts.length;
  }
  return out;
}

describe('manifest and parts (transfer.ts)', () => {
  const arbEntries = fc
    .uniqueArray(fc.tuple(fc.constantFrom(0x61, 0x72), fc.uint8Array({ minLength: 1, maxLength: 10 }), fc.uint8Array({ maxLength: 60 })), {
      selector: ([p, k]) => `${p}:${Array.from(k).join(',')}`,
      maxLength: 200,
    })
    .map((rows) => sortByKey(rows.map(([p, k, value]) => ({ key: concatBytes(Uint8Array.of(p), k), value }))));

  it('any state goes through manifest and chunks and comes out whole, checked against its digest', () => {
    fc.assert(
      fc.property(arbEntries, fc.integer({ min: 64, max: 4096 }), (entries, budget) => {
        const digest = digestEntries(entries);
        const served = serveState(9, entries, budget);
        const hashes = checkManifest(served.manifest, digest);
        expect(hashes).toBeDefined();
        const asm = createAssembly(9, digest, hashes!);
        for (const { from, parts } of walk(served, budget)) {
          expect(asm.accept(from, parts)).toBe(true);
          // a chunk stays within the budget unless it is a single part
          if (parts.length > 1) expect(parts.reduce((n, p) => n + p.length + 5, 0)).toBeLessThanOrEqual(budget);
        }
        expect(asm.missing()).toBeUndefined();
        expect(asm.entries()).toEqual(entries);
        // a state sent whole is the canonical encoding and fits the budget; one that is not would not have fitted by much
        const encoded = encodeEntries(entries);
        if (served.whole !== undefined) {
          expect(served.whole).toEqual(encoded);
          expect(encoded.length).toBeLessThanOrEqual(budget);
        } else expect(encoded.length + 20 * entries.length + 9).toBeGreaterThan(budget);
      }),
      { numRuns: 150 },
    );
  });

  it('a manifest is refused when it does not match the digest, is malformed, or lists parts out of order', async () => {
    const { entries, digest } = await ledgerState(40);
    const served = serveState(4, entries, 1024);
    expect(checkManifest(served.manifest, digest)).toBeDefined();
    const flip = (b: Uint8Array, at: number) => {
      const x = b.slice();
      x[at] = (x[at] as number) ^ 1;
      return x;
    };
    expect(checkManifest(flip(served.manifest, 5), digest)).toBeUndefined(); // a hash
    expect(checkManifest(flip(served.manifest, 1), digest)).toBeUndefined(); // a part number
    expect(checkManifest(served.manifest.subarray(0, served.manifest.length - 1), digest)).toBeUndefined(); // truncated
    expect(checkManifest(served.manifest.subarray(34), digest)).toBeUndefined(); // a part left out
    const swapped = concatBytes(served.manifest.subarray(34, 68), served.manifest.subarray(0, 34), served.manifest.subarray(68));
    expect(checkManifest(swapped, digest)).toBeUndefined();
    expect(checkManifest(served.manifest, flip(digest, 0))).toBeUndefined();
  });

  it('a part that is tampered with, holds an entry of another part, or is missing an entry is refused, and nothing of its chunk is kept', async () => {
    const { entries, digest } = await ledgerState(40);
    const served = serveState(4, entries, 1024);
    const asm = createAssembly(4, digest, checkManifest(served.manifest, digest)!);
    const first = asm.missing() as number;
    const parts = chunkOf(served, first, 1024);
    const tampered = parts.map((p, i) => (i === 0 ? concatBytes(p.subarray(0, p.length - 1), Uint8Array.of((p[p.length - 1] as number) ^ 1)) : p));
    expect(asm.accept(first, tampered)).toBe(false);
    expect(asm.missing()).toBe(first);
    // part `first` carrying the entries of the next non-empty part instead
    const second = asm.missing(first + 1) as number;
    expect(asm.accept(first, [served.part(second)])).toBe(false);
    // an empty part claimed for a non-empty one, and entries claimed for an empty one
    expect(asm.accept(first, [encodeEntries([])])).toBe(false);
    const empty = Array.from({ length: STATE_PARTS }, (_, i) => i).find((i) => served.part(i).length === 1 && i !== first) as number;
    expect(asm.accept(empty, [served.part(first)])).toBe(false);
    // out of range
    expect(asm.accept(STATE_PARTS - 1, [encodeEntries([]), encodeEntries([])])).toBe(false);
    expect(asm.accept(first, parts)).toBe(true);
    expect(asm.missing()).not.toBe(first);
    expect(() => partOf(Uint8Array.of(0x78, 1))).toThrow();
  });

  it('a newer checkpoint refetches only the parts that changed (adopt)', async () => {
    const older = await ledgerState(60);
    const newer = await ledgerState(62);
    const a = createAssembly(4, older.digest, checkManifest(serveState(4, older.entries, 512).manifest, older.digest)!);
    for (const { from, parts } of walk(serveState(4, older.entries, 512), 512)) a.accept(from, parts);
    const served = serveState(8, newer.entries, 512);
    const b = createAssembly(8, newer.digest, checkManifest(served.manifest, newer.digest)!);
    b.adopt(a);
    const missing: number[] = [];
    for (let p = b.missing(); p !== undefined; p = b.missing(p + 1)) missing.push(p);
    // two more tickets change their own buckets, the event row and the ledger's counters: a handful of parts, not all of them
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.length).toBeLessThan(10);
    for (const p of missing) expect(b.accept(p, [served.part(p)])).toBe(true);
    expect(b.entries()).toEqual(newer.entries);
  });
});

describe('state larger than one message, between replicas', () => {
  it('a restarted replica catches up although the state exceeds the transport message limit', async () => {
    const limit = 16 * 1024;
    c = await cluster(4, { maxMessageBytes: limit, tunables: { checkpointInterval: 8, logWindow: 16, viewChangeTimeoutMs: 30_000, stateTransferRetryMs: 100 } });
    await c.crash(3);
    const org = c.client('org');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    for (let i = 0; i < 200; i++) expect(decodeTicketResult(await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`ch-${i}`), holder }))).status).toBe('ok');
    // the app state alone no longer fits one message (the whole state of one replica, encoded)
    const appEntries = c.apps[0]!.state.entries().map((e) => ({ key: concatBytes(Uint8Array.of(0x61), e.key), value: e.value }));
    expect(encodeEntries(appEntries).length).toBeGreaterThan(limit);
    const r3 = await c.start(3);
    const transfers: { fromSeq: number; toSeq: number }[] = [];
    r3.on('state-transfer', (e) => transfers.push(e));
    await waitFor(() => c!.replicas.every((r) => r!.status().lastExecuted === r3.status().lastExecuted), 'r3 to catch up');
    expect(transfers[0]?.fromSeq).toBe(0);
    expect(c.apps[3]!.digest()).toEqual(c.apps[0]!.digest());
    expect(r3.dropped()['bad_state'] ?? 0).toBe(0);
    // it takes part from here on
    await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId('after'), holder }));
    await waitFor(() => c!.replicas.every((r) => r!.status().lastExecuted === r3.status().lastExecuted), 'r3 to execute the new request');
    expect(c.apps[3]!.digest()).toEqual(c.apps[0]!.digest());
  }, 30_000);

  it('a log longer than one message comes in several answers: each one asks its sender for what follows', async () => {
    // no checkpoint becomes stable (K = 64), so r3 catches up from the log alone, about one entry per 1 KiB answer
    c = await cluster(4, { tunables: { checkpointInterval: 64, stateChunkBytes: 1024, viewChangeTimeoutMs: 30_000, stateTransferRetryMs: 60_000 } });
    await c.crash(3);
    const org = c.client('org');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    for (let i = 0; i < 30; i++) await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`lg-${i}`), holder }));
    const r3 = await c.start(3);
    const transfers: { fromSeq: number; toSeq: number }[] = [];
    r3.on('state-transfer', (e) => transfers.push(e));
    // the retry timer (60 s) never fires within the test: only the follow-up requests can finish the job
    await waitFor(() => r3.status().lastExecuted === c!.replicas[0]!.status().lastExecuted, 'r3 to replay the whole log');
    expect(transfers.length).toBeGreaterThan(3);
    expect(c.apps[3]!.digest()).toEqual(c.apps[0]!.digest());
  });

  it('a lying responder: a tampered manifest and a tampered chunk are dropped as bad_state, and the parts come from another peer', async () => {
    const crypto = nobleCrypto();
    const ids = ['r0', 'r1', 'r2', 'r3'];
    const net = memoryNetwork({ members: ids });
    const members = await Promise.all(ids.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(keyOf(id)) })));
    const app = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
    const r0 = await createReplica({
      deployment: 'test',
      id: 'r0', secretKey: keyOf('r0'), members, transport: net.transport('r0'), storage: memoryStorage(), app, crypto, clock: systemClock(),
      checkpointInterval: 4, logWindow: 8, stateChunkBytes: 1024, stateTransferRetryMs: 200, viewChangeTimeoutMs: 60_000,
    });
    const source = await ledgerState(40);
    const served = serveState(4, source.entries, 1024);
    expect(served.whole).toBeUndefined();
    const proof = await Promise.all(['r1', 'r2', 'r3'].map((id) => signMessage<Checkpoint>(crypto, keyOf(id), { type: 'checkpoint', seq: 4, digest: source.digest, replica: id }, 'test')));
    // r1 lies in its chunks; r2 answers truly; r3 stays silent
    const asked: Record<string, number> = { r1: 0, r2: 0, r3: 0 };
    const ends = new Map(['r1', 'r2', 'r3'].map((id) => [id, net.transport(id)]));
    for (const [id, t] of ends) {
      t.onMessage(async (m) => {
        const w = decodeWire(m.bytes);
        if (w.kind !== 'signed' || w.signed.body.type !== 'state-chunk-request') return;
        const req = w.signed.body as StateChunkRequest;
        asked[id] = (asked[id] ?? 0) + 1;
        if (id === 'r3') return;
        let parts = chunkOf(served, req.from, 1024);
        if (id === 'r1') parts = parts.map((p, i) => (i === 0 ? concatBytes(p, Uint8Array.of(0)) : p));
        await t.send('r0', encodeSignedFrame(await signMessage<StateChunk>(crypto, keyOf(id), { type: 'state-chunk', seq: req.seq, from: req.from, parts, replica: id }, 'test')));
      });
    }
    const respond = async (manifest: Uint8Array) => {
      const resp = await signMessage<StateResponse>(crypto, keyOf('r1'), { type: 'state-response', seq: 4, snapshot: new Uint8Array(0), manifest, proof, log: [], replica: 'r1' }, 'test');
      await ends.get('r1')!.send('r0', encodeSignedFrame(resp));
    };
    const bad = () => r0.dropped()['bad_state'] ?? 0;
    const forged = served.manifest.slice();
    forged[10] = (forged[10] as number) ^ 1;
    await respond(forged);
    await waitFor(() => bad() === 1, 'the forged manifest to be dropped');
    expect(asked['r1']).toBe(0);
    await respond(served.manifest);
    await waitFor(() => r0.status().lastExecuted === 4, 'the state to be installed from r2');
    expect(bad()).toBe(2); // r1's tampered chunk
    expect(asked['r1']).toBe(1); // asked once, then passed over
    expect(asked['r2']).toBeGreaterThan(1);
    expect(r0.status().stableSeq).toBe(4);
    expect(app.digest()).toEqual(source.ledger.digest());
    await r0.stop();
    await net.close();
  });

  it('chunk answers are rate-limited per peer: a replayed request is answered once per retry period, the next part at once', async () => {
    c = await cluster(4, { tunables: { checkpointInterval: 2, logWindow: 4, stateChunkBytes: 1024, stateTransferRetryMs: 60_000, viewChangeTimeoutMs: 60_000 } });
    const org = c.client('org');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    for (let i = 0; i < 12; i++) await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`rl-${i}`), holder }));
    const r0 = c.replicas[0]!;
    await waitFor(() => r0.status().stableSeq >= 2, 'a stable checkpoint at r0');
    const stable = r0.status().stableSeq;
    await c.crash(3);
    const r3 = c.net.transport('r3');
    const chunks: StateChunk[] = [];
    r3.onMessage((m) => {
      const w = decodeWire(m.bytes);
      if (m.from === 'r0' && w.kind === 'signed' && w.signed.body.type === 'state-chunk') chunks.push(w.signed.body as StateChunk);
    });
    const request = (from: number) => signMessage<StateChunkRequest>(c!.crypto, keyOf('r3'), { type: 'state-chunk-request', seq: stable, from, replica: 'r3' }, 'test');
    const first = encodeSignedFrame(await request(0));
    for (let i = 0; i < 20; i++) await r3.send('r0', first);
    await waitFor(() => (r0.dropped()['rate_limited'] ?? 0) === 19, '19 replays to be refused');
    expect(chunks).toHaveLength(1);
    const next = chunks[0]!.from + chunks[0]!.parts.length;
    await r3.send('r0', encodeSignedFrame(await request(next)));
    await waitFor(() => chunks.length === 2, 'the next part to be sent');
    expect(chunks[1]!.from).toBe(next);
    // a checkpoint that is not the one r0 serves gets no answer
    await r3.send('r0', encodeSignedFrame(await signMessage<StateChunkRequest>(c.crypto, keyOf('r3'), { type: 'state-chunk-request', seq: stable + 1000, from: 0, replica: 'r3' }, 'test')));
    await new Promise((r) => setTimeout(r, 100));
    expect(chunks).toHaveLength(2);
  });
});
