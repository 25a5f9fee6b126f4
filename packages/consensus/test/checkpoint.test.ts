/**
 * Checkpoints in O(changes): the replicated state (app entries plus the reply
 * cache) is persisted and transferred as keyed entries. A lagging replica
 * catches up from a peer's stable checkpoint; a state response whose entries
 * do not match the certified digest, or whose proof is short, is dropped;
 * stored state that does not match its digest stops a restart with
 * `CONSENSUS_STORAGE`; and reply-cache eviction is the same after a restore.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  concatBytes,
  createTicketLedger,
  decode,
  encode,
  decodeTicketResult,
  encodeTicketOp,
  eventId,
  memoryNetwork,
  memoryStorage,
  nobleCrypto,
  signRequest,
  systemClock,
  ticketId,
  type StateEntry,
} from '@admitone/core';
import { ConsensusError, createReplica, decodeWire, encodeSignedFrame, signMessage, type Checkpoint, type StateRequest, type StateResponse } from '../src/index.js';
import { decodePairs, encodeChanges, encodePairs } from '../src/raw-cbor.js';
import { createReplicaState, digestEntries, encodeEntries, keyBytes, keyString } from '../src/replica/state.js';
import { cluster, keyOf, type Cluster, waitFor } from './helpers/cluster.js';

let c: Cluster | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

const E = eventId('ckpt-gig');

describe('state transfer from a stable checkpoint', () => {
  it('a replica that missed whole checkpoints installs a peer’s checkpoint entries and ends with equal digests', async () => {
    c = await cluster(4, { tunables: { checkpointInterval: 4, logWindow: 8, viewChangeTimeoutMs: 30_000 } });
    await c.crash(3);
    const org = c.client('org');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    for (let i = 0; i < 24; i++) expect(decodeTicketResult(await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`st-${i}`), holder }))).status).toBe('ok');
    const stable = c.replicas[0]!.status().stableSeq;
    expect(stable).toBeGreaterThanOrEqual(16);
    const r3 = await c.start(3);
    const transfers: { fromSeq: number; toSeq: number }[] = [];
    r3.on('state-transfer', (e) => transfers.push(e));
    await waitFor(() => c!.replicas.every((r) => r!.status().lastExecuted === r3.status().lastExecuted), 'r3 to catch up (every replica at one seq)');
    expect(transfers[0]?.fromSeq).toBe(0);
    expect(r3.status().stableSeq).toBeGreaterThanOrEqual(stable);
    expect(c.apps[3]!.digest()).toEqual(c.apps[0]!.digest());
    // it takes part from here on: new requests commit with it, and it restarts from what it stored
    await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId('after'), holder }));
    await waitFor(() => c!.replicas.every((r) => r!.status().lastExecuted === r3.status().lastExecuted), 'r3 to execute the new request');
    expect(c.apps[3]!.digest()).toEqual(c.apps[0]!.digest());
    await c.crash(3);
    const again = await c.start(3);
    expect(again.status().stableSeq).toBeGreaterThan(0);
    expect(c.apps[3]!.state.entries().length).toBeGreaterThan(20);
  });

  it('apps without keyed state checkpoint and transfer whole snapshots', async () => {
    c = await cluster(4, { snapshotApps: true, tunables: { checkpointInterval: 4, logWindow: 8, viewChangeTimeoutMs: 30_000 } });
    await c.crash(2);
    const org = c.client('org');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    for (let i = 0; i < 20; i++) await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`sn-${i}`), holder }));
    await waitFor(() => c!.replicas[0]!.status().stableSeq >= 12, 'a stable checkpoint at 12 or later');
    const r2 = await c.start(2);
    await waitFor(() => c!.replicas.every((r) => r!.status().lastExecuted === r2.status().lastExecuted), 'r2 to catch up (every replica at one seq)');
    expect(r2.status().stableSeq).toBeGreaterThan(0);
    expect(c.apps[2]!.digest()).toEqual(c.apps[0]!.digest());
  });

  it('a restart refuses stored state that does not match its certified digest (CONSENSUS_STORAGE)', async () => {
    c = await cluster(4, { tunables: { checkpointInterval: 4, logWindow: 8, viewChangeTimeoutMs: 30_000 } });
    const org = c.client('org');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    for (let i = 0; i < 10; i++) await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`cs-${i}`), holder }));
    await waitFor(() => c!.replicas[1]!.status().stableSeq >= 8, 'a stable checkpoint at r1');
    await c.crash(1);
    // the state is stored as a base plus one delta per stable checkpoint: change a value in the last delta
    const storage = memoryStorage({ store: c.stores[1]! });
    let last: [Uint8Array, Uint8Array] | undefined;
    for await (const kv of storage.iterate({ prefix: Uint8Array.of(0x64) })) last = [kv[0], kv[1]];
    expect(last).toBeDefined();
    const rows = decode(last![1]) as [Uint8Array, Uint8Array | null][];
    const i = rows.findIndex((r) => r[1] !== null);
    rows[i] = [rows[i]![0], concatBytes(rows[i]![1]!, Uint8Array.of(0))];
    await storage.put(last![0], encode(rows));
    const err = await c.start(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsensusError);
    expect((err as ConsensusError).code).toBe('CONSENSUS_STORAGE');
  });
});

describe('state responses are checked against the certified digest before anything is installed', () => {
  it('drops entries that do not match the digest and short proofs; installs matching ones', async () => {
    const crypto = nobleCrypto();
    const ids = ['r0', 'r1', 'r2', 'r3'];
    const net = memoryNetwork({ members: ids });
    const members = await Promise.all(ids.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(keyOf(id)) })));
    const app = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
    const r0 = await createReplica({ deployment: 'test', id: 'r0', secretKey: keyOf('r0'), members, transport: net.transport('r0'), storage: memoryStorage(), app, crypto, clock: systemClock(), checkpointInterval: 4, logWindow: 8 });
    const r1 = net.transport('r1');
    // the state at seq 4, built on the side: a ledger with one event (and no replies)
    const source = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
    const req = await signRequest(crypto, keyOf('organizer'), { deployment: 'test', requestSeq: 1, op: encodeTicketOp({ type: 'createEvent', eventId: E }) });
    source.execute(await source.prepare(req), { seq: 1, timestamp: 1 });
    const entries: StateEntry[] = source.state.entries().map((e) => ({ key: concatBytes(Uint8Array.of(0x61), e.key), value: e.value }));
    const digest = digestEntries(entries);
    const proofBy = (signers: string[]) => Promise.all(signers.map((id) => signMessage<Checkpoint>(crypto, keyOf(id), { type: 'checkpoint', seq: 4, digest, replica: id }, 'test')));
    const respond = async (snapshotEntries: StateEntry[], signers: string[]) => {
      const resp = await signMessage<StateResponse>(crypto, keyOf('r1'), { type: 'state-response', seq: 4, snapshot: encodeEntries(snapshotEntries), manifest: new Uint8Array(0), proof: await proofBy(signers), log: [], replica: 'r1' }, 'test');
      await r1.send('r0', encodeSignedFrame(resp));
    };
    const dropsOf = () => r0.dropped()['bad_state'] ?? 0;
    const tampered = entries.map((e, i) => (i === 0 ? { key: e.key, value: concatBytes(e.value, Uint8Array.of(1)) } : e));
    await respond(tampered, ['r1', 'r2', 'r3']);
    await waitFor(() => dropsOf() === 1, 'the tampered state to be dropped');
    await respond(entries, ['r1', 'r2']); // 2 < 2f+1
    await waitFor(() => dropsOf() === 2, 'the short proof to be dropped');
    expect(r0.status().lastExecuted).toBe(0);
    expect(app.state.entries()).toEqual([]);
    await respond(entries, ['r1', 'r2', 'r3']);
    await waitFor(() => r0.status().lastExecuted === 4, 'the state to be installed');
    expect(r0.status().stableSeq).toBe(4);
    expect(app.digest()).toEqual(source.digest());
    await r0.stop();
    await net.close();
  });
});

describe('answers that a Byzantine peer could trigger at will are rate-limited', () => {
  // (answers to stale VIEW-CHANGEs: the simulator regression seed 626 in sim.test.ts)
  it('one state response per peer per retry period, and one more only for a newer seq', async () => {
    c = await cluster(4, { tunables: { stateTransferRetryMs: 60_000, viewChangeTimeoutMs: 60_000 } });
    const org = c.client('org');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId('rl-1'), holder: new Uint8Array(32).fill(1) }));
    await waitFor(() => (c!.replicas[0]?.status().lastExecuted ?? 0) >= 2, 'r0 to execute two seqs');
    // r3 turns Byzantine: the test speaks for it on the wire
    await c.crash(3);
    const r3 = c.net.transport('r3');
    let responses = 0;
    r3.onMessage((m) => {
      const w = decodeWire(m.bytes);
      if (m.from === 'r0' && w.kind === 'signed' && w.signed.body.type === 'state-response') responses++;
    });
    const r0 = c.replicas[0]!;
    const request = (seq: number) => signMessage<StateRequest>(c!.crypto, keyOf('r3'), { type: 'state-request', seq, replica: 'r3' }, 'test');
    const old = encodeSignedFrame(await request(1));
    for (let i = 0; i < 20; i++) await r3.send('r0', old);
    await waitFor(() => (r0.dropped()['rate_limited'] ?? 0) === 19, '19 replays to be refused');
    expect(responses).toBe(1);
    await r3.send('r0', encodeSignedFrame(await request(2))); // a newer seq is answered at once
    await waitFor(() => responses === 2, 'the newer request to be answered');
  });
});

describe('the reply cache in checkpointed state', () => {
  it('evicts in execution order, and a restored cache evicts exactly as the live one', () => {
    const ledger = () => createTicketLedger({ deployment: 'test', crypto: nobleCrypto(), requireHolderCode: false });
    const live = createReplicaState(ledger(), 2);
    const client = 'ab'.repeat(32);
    const r = (x: number) => Uint8Array.of(x);
    live.recordReply(client, 5, r(5), 1, 0);
    live.recordReply(client, 3, r(3), 1, 1); // a lower request number executed later
    live.recordReply(client, 9, r(9), 2, 0); // evicts 5, the oldest executed
    expect([live.reply(client, 5), live.reply(client, 3), live.reply(client, 9)]).toEqual([undefined, r(3), r(9)]);
    const first = live.checkpoint();
    const restored = createReplicaState(ledger(), 2);
    restored.install([...first.changes].filter(([, v]) => v !== undefined).map(([k, v]) => ({ key: keyBytes(k), value: v as Uint8Array })).sort((a, b) => Buffer.compare(a.key, b.key)));
    for (const s of [live, restored]) s.recordReply(client, 11, r(11), 3, 0); // evicts 3 in both
    expect(restored.reply(client, 3)).toBeUndefined();
    expect(restored.checkpoint().digest).toEqual(live.checkpoint().digest);
  });
});

describe('the one-pass encoding of checkpoint entries and deltas', () => {
  it('is byte for byte the canonical encoding, across every CBOR head length', () => {
    const sizes = [0, 1, 23, 24, 255, 256, 65_535, 65_536, 70_000];
    const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
    const pairs = sizes.flatMap((n, i) => [
      { key: bytes(Math.max(1, n % 300), i), value: bytes(n, i + 1) },
      { key: bytes(i + 1, 0xee), value: undefined },
    ]);
    for (const count of [0, 1, 23, 24, pairs.length]) {
      const list = Array.from({ length: count }, (_, i) => pairs[i % pairs.length] as (typeof pairs)[number]);
      expect(Buffer.from(encodePairs(list)).equals(Buffer.from(encode(list.map((p) => [p.key, p.value ?? null]))))).toBe(true);
    }
    const many = Array.from({ length: 300 }, (_, i) => ({ key: Uint8Array.of(i >> 8, i & 0xff), value: bytes(i % 40, i) }));
    expect(encodePairs(many)).toEqual(encode(many.map((p) => [p.key, p.value])));
    expect(encodeEntries(many)).toEqual(encode(many.map((p) => [p.key, p.value])));
    // the same from a map of changes keyed one char per byte
    const changes = new Map(pairs.map((p) => [keyString(p.key), p.value]));
    expect(encodeChanges(changes)).toEqual(encodePairs([...changes].map(([k, v]) => ({ key: keyBytes(k), value: v }))));
  });

  it('decodes only that canonical form', () => {
    const pairs = [
      { key: Uint8Array.of(1), value: new Uint8Array(300).fill(2) },
      { key: Uint8Array.of(3), value: undefined },
    ];
    const bytes = encodePairs(pairs);
    expect(decodePairs(bytes, 'delta', true)).toEqual(pairs);
    const code = (b: Uint8Array, allowNull = true) => {
      try {
        decodePairs(b, 'delta', allowNull);
        return 'accepted';
      } catch (err) {
        return (err as { code?: string }).code;
      }
    };
    expect(code(bytes, false)).toBe('CODEC_SCHEMA'); // null where a value is required
    expect(code(concatBytes(bytes, Uint8Array.of(0)))).toBe('CODEC_TRAILING_BYTES');
    expect(code(bytes.subarray(0, bytes.length - 1))).toBe('CODEC_MALFORMED');
    expect(code(Uint8Array.of(0x98, 0x01, 0x82, 0x41, 0x01, 0xf6))).toBe('CODEC_NON_CANONICAL'); // a one-byte length written in two
    expect(code(Uint8Array.of(0x81, 0x82, 0x59, 0x00, 0x01, 0x01, 0xf6))).toBe('CODEC_NON_CANONICAL');
    expect(code(Uint8Array.of(0x9f, 0xff))).toBe('CODEC_MALFORMED'); // indefinite length
    expect(code(Uint8Array.of(0x81, 0x82, 0x61, 0x61, 0xf6))).toBe('CODEC_SCHEMA'); // a text key
    expect(code(Uint8Array.of(0x81, 0x83, 0x41, 0x01, 0xf6, 0xf6))).toBe('CODEC_SCHEMA'); // not a pair
  });
});
