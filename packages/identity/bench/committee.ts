/**
 * The identity committee end to end (n = 4, t = 1, all members in this one
 * process): client → sealed shares → MPC tag (preprocessing included: the
 * committee preprocesses exactly each batch's tuples) → registry → one
 * FROST signature per batch over the Merkle root → verified credential.
 *
 * - sequential enrollment latency p50/p99, in memory and over loopback
 *   WebSocket (authenticated transport + the member's pairwise AEAD channel);
 * - the MPC PRF evaluation alone over loopback WebSocket at n = 4 and n = 7
 *   (tuples preprocessed before timing), to set beside prf.ts's in-memory figures;
 * - batched enrollment throughput (identities/s) in memory;
 * - the client's verifiable sharing on its own: dealing (client side) and a
 *   member's batched check of its pairs (printed only).
 */
import { createServer } from 'node:net';
import {
  type Transport,
  createMemoryStore,
  memoryNetwork,
  memoryStorage,
  defaultCrypto,
  seededRandom,
  silentLogger,
  systemClock,
} from '@admitone/core';
import { sealTo, shamirShare, x25519KeyPair } from '@admitone/core/threshold';
import { webSocketTransport } from '@admitone/transport-ws';
import { createIdentityClient, localCommitteeEndpoint } from '../src/client.js';
import { ledgerTagRegistry } from '../src/registry/registry.js';
import { registryLedger } from '../test/helpers/registry-ledger.js';
import { createCommitteeMember, shareAad, type CommitteeDescriptor, type CommitteeMember } from '../src/committee/member.js';
import { decodeIdentityResponse, encodeIdentityRequest, encodeSharePair, requestSigningBytes } from '../src/committee/messages.js';
import { dealIdentity, decodeCommitments, failingShares } from '../src/committee/vss.js';
import { identityElement } from '../src/attributes.js';
import { BN254_FR, mimc7 } from '../src/mimc/index.js';
import { createMpcEngine } from '../src/mpc/index.js';
import { byMode, reportFigures } from '../../../bench/figures.js';
import { fmt, summarize } from './stats.js';

const crypto = await defaultCrypto();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** n WebSocket transports in this process, fully connected on 127.0.0.1. */
async function wsTransports(n: number, seed: string): Promise<Transport[]> {
  const random = seededRandom(seed);
  const ids = Array.from({ length: n }, (_, i) => `m${i + 1}`);
  const secrets = ids.map(() => random.bytes(32));
  const ports = await Promise.all(ids.map(() => freePort()));
  const members = await Promise.all(ids.map(async (id, i) => ({ id, publicKey: await crypto.getPublicKey(secrets[i]!), url: `ws://127.0.0.1:${ports[i]}` })));
  const transports = await Promise.all(
    ids.map((id, i) => webSocketTransport({ localId: id, secretKey: secrets[i]!, members, crypto, listen: { host: '127.0.0.1', port: ports[i]! } })),
  );
  const deadline = Date.now() + 10_000;
  while (!transports.every((t) => t.connectedPeers().length === n - 1)) {
    if (Date.now() > deadline) throw new Error('WebSocket mesh did not connect');
    await new Promise((r) => setTimeout(r, 20));
  }
  return transports;
}

/**
 * Where the tag registry lives: each member's storage (the default), or a PBFT
 * cluster of four replicas in this process (in-memory network) running the
 * registry app, each member voting through its own PBFT client.
 */
export type RegistryKind = 'member' | 'pbft';

export async function committee(kind: 'memory' | 'ws', seed: string, preprocessAhead = 91 * 64, registryKind: RegistryKind = 'member') {
  const random = seededRandom(seed);
  const ids = ['m1', 'm2', 'm3', 'm4'];
  const ledger = registryKind === 'pbft' ? await registryLedger({ kind: 'pbft', committeeId: 'bench', members: ids.length, threshold: 2, crypto }) : undefined;
  const keys = ids.map(() => x25519KeyPair(random));
  const config = { committeeId: 'bench', degree: 1, members: ids.map((id, i) => ({ id, encryptionKey: keys[i]!.publicKey })) };
  const transports: Transport[] = kind === 'memory' ? (() => {
    const net = memoryNetwork({ members: ids });
    return ids.map((id) => net.transport(id));
  })() : await wsTransports(4, seed);
  const members: CommitteeMember[] = ids.map((id, i) =>
    createCommitteeMember({
      config,
      transport: transports[i]!,
      encryptionSecretKey: keys[i]!.secretKey,
      storage: memoryStorage({ store: createMemoryStore() }),
      crypto,
      random: random.fork(id),
      clock: systemClock(),
      logger: silentLogger(),
      confidentialTransport: kind === 'memory',
      timeoutMs: 30_000,
      preprocessAhead,
      ...(ledger === undefined ? {} : { registry: ledgerTagRegistry({ ledger: ledger.clients[i]!, committeeId: 'bench', timeoutMs: 30_000 }) }),
    }),
  );
  const descriptor = (await Promise.all(members.map((m) => m.start())))[0]!;
  const client = createIdentityClient({ committee: descriptor, endpoint: localCommitteeEndpoint(members), crypto, random: random.fork('client') });
  return {
    client,
    members,
    descriptor,
    /** Waits until every member holds at least `tuples` prepared tuples. */
    async ready(tuples: number) {
      while (!members.every((m) => m.stats().tuples >= tuples)) await new Promise((r) => setTimeout(r, 50));
    },
    async close() {
      for (const m of members) await m.close();
      await ledger?.close();
    },
  };
}

const person = (i: number, tag: string) => ({ country: 'NL', document: `${tag}${i}`, birth: '1990-01-01' });

async function enrollLatency(kind: 'memory' | 'ws', count: number, registry: RegistryKind = 'member') {
  const c = await committee(kind, `latency-${kind}`, 91 * 64, registry);
  const random = seededRandom(`keys-${kind}`);
  const samples: number[] = [];
  for (let i = 0; i < count + 3; i++) {
    const t0 = performance.now();
    const r = await c.client.enroll({ attributes: person(i, 'L'), holderSecretKey: random.bytes(32) });
    if (r.status !== 'enrolled') throw new Error(`enrollment ${i} ${r.status}`);
    if (i >= 3) samples.push(performance.now() - t0); // skip warm-up
  }
  await c.close();
  return summarize(samples);
}

/** Enrollment requests built ahead (clients seal and sign on their own devices). */
export async function buildRequests(descriptor: CommitteeDescriptor, count: number, seed: string): Promise<Uint8Array[]> {
  const random = seededRandom(seed);
  const ids = descriptor.members.map((m) => m.id).sort();
  const xs = ids.map((_, i) => BigInt(i + 1));
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const holderSecret = random.bytes(32);
    const context = { kind: 'enroll' as const, committeeId: descriptor.committeeId, requestId: random.bytes(16), issuedAt: Date.now(), requesterKey: await crypto.getPublicKey(holderSecret) };
    const dealing = dealIdentity(identityElement(person(i, seed)), descriptor.degree, xs, random);
    const shares = dealing.pairs.map(([value, blinding], j) => {
      const member = descriptor.members.find((m) => m.id === ids[j])!;
      return sealTo(member.encryptionKey, encodeSharePair(value, blinding), shareAad(context, member.id), random);
    });
    const body = { ...context, commitments: dealing.commitments, shares };
    out.push(encodeIdentityRequest({ ...body, signature: await crypto.sign(requestSigningBytes(body), holderSecret) }));
  }
  return out;
}

/**
 * Committee-side throughput: prepared requests handled by all four members;
 * `ahead` = tuples prepared in idle time first. `warmup` requests go through
 * the same committee first, unmeasured (JIT and allocator warm-up).
 */
/**
 * Enrollment throughput (identities/s) of `total` prepared requests handled
 * at once by every member, after `warmup` unmeasured ones. With `ahead`, the
 * committee's pool is full before each timed window (so no preprocessing
 * runs inside it), and the window is repeated `windows` times on the same
 * committee: the result is their median, with every window's rate.
 */
export async function enrollThroughput(total: number, ahead: boolean, warmup = 0, windows = 1, registry: RegistryKind = 'member'): Promise<{ median: number; rates: number[] }> {
  if (warmup > total) throw new RangeError('warmup must not exceed total');
  const pool = ahead ? 91 * (total + 16) : 0;
  const c = await committee('memory', `throughput-${ahead}`, pool, registry);
  if (warmup > 0) {
    const warm = await buildRequests(c.descriptor, warmup, `W${ahead}`);
    if (ahead) await c.ready(91 * warmup);
    await Promise.all(warm.map((bytes) => Promise.all(c.members.map((m) => m.handle(bytes)))));
  }
  const rates: number[] = [];
  for (let w = 0; w < windows; w++) {
    const requests = await buildRequests(c.descriptor, total, `T${ahead}-${w}`);
    // wait for the whole pool: idle-time preprocessing then stops, instead of refilling during the timed window
    if (ahead) await c.ready(pool);
    const t0 = performance.now();
    const answers = await Promise.all(requests.map((bytes) => Promise.all(c.members.map((m) => m.handle(bytes)))));
    const seconds = (performance.now() - t0) / 1000;
    if (answers.some((a) => a.some((r) => decodeIdentityResponse(r).status !== 'issued'))) throw new Error('throughput enrollment failed');
    rates.push(total / seconds);
  }
  await c.close();
  return { median: summarize(rates).p50, rates };
}

async function prfOverWs(n: number, t: number, count: number) {
  const transports = await wsTransports(n, `prf-ws-${n}`);
  const random = seededRandom(`prf-${n}`);
  const ids = transports.map((tr) => tr.localId).sort();
  const engines = ids.map((id) => {
    const tr = transports.find((x) => x.localId === id)!;
    return createMpcEngine({ transport: tr, degree: t, random: random.fork(id), clock: systemClock(), timeoutMs: 30_000 });
  });
  const xs = ids.map((_, i) => BigInt(i + 1));
  const k = 987654321n;
  const kShares = shamirShare(BN254_FR, k, t, xs, random);
  await Promise.all(engines.map((e) => e.preprocess(Uint8Array.of(1), 91 * (count + 2))));
  const samples: number[] = [];
  for (let j = 0; j < count + 2; j++) {
    const x = BigInt(j + 11);
    const xShares = shamirShare(BN254_FR, x, t, xs, random);
    const t0 = performance.now();
    const outs = await Promise.all(engines.map((e, i) => e.evaluateMimc(Uint8Array.of(2, j), [{ x: xShares[i]!.y, d: 5n }], kShares[i]!.y)));
    if (j >= 2) samples.push(performance.now() - t0);
    if (outs[0]!.outputs[0] !== mimc7(BN254_FR.add(x, 5n), k)) throw new Error('wrong PRF output');
  }
  for (const e of engines) e.close();
  for (const tr of transports) await tr.close();
  return summarize(samples);
}

/**
 * The client's verifiable sharing at n = 4, t = 1: dealing one request (t + 1
 * Pedersen commitments, n pairs) and a member's check of its pairs in a batch
 * of `batch` (decoding the commitments, then `failingShares`), per request.
 */
function vssCost(batch: number, rounds: number): { dealMs: number; decodeUs: number; checkUs: number } {
  const random = seededRandom('vss-cost');
  const xs = [1n, 2n, 3n, 4n];
  let t0 = performance.now();
  const deals = Array.from({ length: batch }, (_, i) => dealIdentity(BigInt(i + 1), 1, xs, random));
  const dealMs = (performance.now() - t0) / batch;
  failingShares(deals.slice(0, 4).map((d) => ({ commitments: decodeCommitments(d.commitments, 1), pair: d.pairs[1]! })), 2n, random); // tables, JIT
  const decode: number[] = [];
  const check: number[] = [];
  for (let r = 0; r < rounds; r++) {
    t0 = performance.now();
    const decoded = deals.map((d) => decodeCommitments(d.commitments, 1));
    const t1 = performance.now();
    const bad = failingShares(deals.map((d, i) => ({ commitments: decoded[i]!, pair: d.pairs[1]! })), 2n, random);
    const t2 = performance.now();
    if (bad.length !== 0) throw new Error('an honest pair failed the check');
    decode.push(((t1 - t0) * 1000) / batch);
    check.push(((t2 - t1) * 1000) / batch);
  }
  return { dealMs, decodeUs: summarize(decode).p50, checkUs: summarize(check).p50 };
}

export async function benchCommittee(): Promise<void> {
  console.log('## identity committee, end to end (n = 4, t = 1, one process; includes per-batch preprocessing and FROST)');
  const sequential = byMode(20, 5);
  const mem = await enrollLatency('memory', sequential);
  console.log(`enrollment latency, in memory        : p50 ${fmt(mem.p50)} ms, p99 ${fmt(mem.p99)} ms (${mem.n} sequential)`);
  const ws = await enrollLatency('ws', sequential);
  console.log(`enrollment latency, loopback WS      : p50 ${fmt(ws.p50)} ms, p99 ${fmt(ws.p99)} ms (${ws.n} sequential)`);
  reportFigures({ enroll_memory_p50_ms: mem.p50, enroll_memory_p99_ms: mem.p99, enroll_ws_p50_ms: ws.p50, enroll_ws_p99_ms: ws.p99 });
  for (const [n, t] of [[4, 1], [7, 2]] as const) {
    const s = await prfOverWs(n, t, byMode(20, 8));
    console.log(`PRF evaluation over loopback WS, n=${n}: p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms (online only, ${s.n} evaluations)`);
    reportFigures({ [`prf_n${n}_ws_p50_ms`]: s.p50, [`prf_n${n}_ws_p99_ms`]: s.p99 });
  }
  const aheadCount = byMode(512, 256);
  const warmup = byMode(128, 64);
  const windows = 3;
  const online = await enrollThroughput(aheadCount, true, warmup, windows);
  console.log(
    `batched enrollment throughput, memory, tuples prepared in idle time: ${Math.round(online.median).toLocaleString('en-US')} identities/s ` +
      `(median of ${windows} windows: ${online.rates.map((r) => Math.round(r)).join(', ')}; ${aheadCount} prepared requests each, after ${warmup} unmeasured, batches ≤ 256)`,
  );
  const inlineCount = byMode(256, 64);
  const inline = (await enrollThroughput(inlineCount, false)).median;
  console.log(`batched enrollment throughput, memory, preprocessing inline        : ${Math.round(inline).toLocaleString('en-US')} identities/s (${inlineCount} prepared requests)`);
  reportFigures({ enroll_n4_batch_per_s: online.median, enroll_n4_batch_inline_per_s: inline });
  const vss = vssCost(256, byMode(5, 3));
  console.log(
    `client VSS (t = 1): dealing ${fmt(vss.dealMs, 1)} ms per request (client); a member's check ${fmt(vss.decodeUs + vss.checkUs)} µs per request ` +
      `(decode ${fmt(vss.decodeUs)} + batched check ${fmt(vss.checkUs)}, batch of 256; the batched figure above is ${fmt(1_000_000 / online.median)} µs per identity for all four members)`,
  );
  // The same with the tag registry on a PBFT ledger (four replicas in this process, so they share its thread)
  const ledgerMem = await enrollLatency('memory', sequential, 'pbft');
  console.log(`enrollment latency, in memory, registry on PBFT: p50 ${fmt(ledgerMem.p50)} ms, p99 ${fmt(ledgerMem.p99)} ms (${ledgerMem.n} sequential; member storage: ${fmt(mem.p50)} / ${fmt(mem.p99)} ms)`);
  const ledgerRate = await enrollThroughput(aheadCount, true, warmup, windows, 'pbft');
  console.log(
    `batched enrollment throughput, registry on PBFT (n = 4 replicas, same process): ${Math.round(ledgerRate.median).toLocaleString('en-US')} identities/s ` +
      `(median of ${windows} windows: ${ledgerRate.rates.map((r) => Math.round(r)).join(', ')}; member storage: ${Math.round(online.median).toLocaleString('en-US')})`,
  );
  reportFigures({ enroll_ledger_memory_p50_ms: ledgerMem.p50, enroll_ledger_memory_p99_ms: ledgerMem.p99, enroll_n4_batch_ledger_per_s: ledgerRate.median });
  console.log('Targets (issue 5): PRF p50 ≤ 40 ms at n = 4 over loopback WS; batched enrollment ≥ 500 identities/s at n = 4 in memory.');
}

if (import.meta.url === `file://${process.argv[1]}`) await benchCommittee();
