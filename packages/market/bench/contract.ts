/**
 * `buyPrimary` throughput through a 4-replica PBFT cluster on the in-memory
 * network (`createReplica` + `createClient` from `@admitone/consensus`),
 * every replica running its own EventContract. Each operation is a signed
 * request carrying an event credential: every replica verifies the request
 * signature and the credential's committee signature in `prepare`, and
 * PBFT's own messages are signed too, all in this one process.
 *
 * Printed beside it, measured in the same run: Ed25519 verifications/s of the
 * crypto provider (the primitive that bounds ordering), and the same
 * operation through `createLocalEngine` (one process, no replication).
 *
 * Run: `npx tsx --conditions=admitone-source bench/contract.ts` from packages/market
 * (S=seconds per round, R=rounds, C=clients, W=requests in flight per client).
 * Quick mode (`ADMITONE_BENCH_QUICK=1`): 1 s rounds and shorter warm-ups.
 */
import { createClient, createLocalEngine, createReplica, type Client, type Replica } from '@admitone/consensus';
import {
  bytesToHex,
  defaultCrypto,
  eventId,
  memoryNetwork,
  memoryStorage,
  seededRandom,
  systemClock,
  virtualClock,
  type CryptoProvider,
} from '@admitone/core';
import { credentialBatchStatement, credentialLeaf, encodeCredential, merkleBatch, type CredentialBody, type EventCredential } from '@admitone/identity';
import { createEventContract, decodeContractResult, encodeContractOp, type EventContract, type EventPolicy } from '../src/contract/index.js';
import { byMode, reportFigures } from '../../../bench/figures.js';

/** The event every contract bench uses. */
export const EVENT = eventId('bench-primary');
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))] as number;

/** Keys, credentials (one Merkle batch) and a policy with room for a million tickets. */
export interface Setup {
  readonly crypto: CryptoProvider;
  readonly identity: { readonly committeeId: string; readonly groupPublicKey: Uint8Array };
  readonly gatewaySecret: Uint8Array;
  readonly gatewayKey: Uint8Array;
  readonly buyers: readonly { readonly secret: Uint8Array; readonly publicKey: Uint8Array; readonly credential: Uint8Array }[];
  readonly policy: EventPolicy;
  contract(): EventContract;
}

/** `clients` buyers with event credentials, a funding key, and a factory for fresh contracts. */
export async function setup(clients: number): Promise<Setup> {
  const crypto = await defaultCrypto();
  const random = seededRandom('bench/contract');
  const identitySecret = random.bytes(32);
  const identity = { committeeId: 'bench-identity', groupPublicKey: await crypto.getPublicKey(identitySecret) };
  const gatewaySecret = random.bytes(32);
  const gatewayKey = await crypto.getPublicKey(gatewaySecret);
  const now = Date.now();
  const secrets = Array.from({ length: clients }, () => random.bytes(32));
  const keys = await Promise.all(secrets.map((s) => crypto.getPublicKey(s)));
  const bodies: CredentialBody[] = keys.map((holderKey, i) => ({
    kind: 'event',
    committeeId: identity.committeeId,
    eventId: EVENT,
    eventTag: seededRandom(`bench/contract/tag/${i}`).bytes(32),
    holderKey,
    issuedAt: now - 3_600_000,
    expiresAt: now + 86_400_000,
  }));
  const tree = merkleBatch(bodies.map(credentialLeaf));
  const batchId = random.bytes(16);
  const signature = await crypto.sign(credentialBatchStatement(identity.committeeId, batchId, bodies.length, tree.root), identitySecret);
  const buyers = secrets.map((secret, i) => ({
    secret,
    publicKey: keys[i]!,
    credential: encodeCredential({ ...(bodies[i] as Omit<EventCredential, 'proof'>), proof: { batchId, size: bodies.length, index: i, path: tree.paths[i]!, signature } }),
  }));
  const policy: EventPolicy = {
    capacity: 1_000_000,
    facePrice: 1n,
    sale: { start: now - 3_600_000, end: now + 86_400_000 },
    resale: { start: now, end: now + 86_400_000 },
    resaleCap: { kind: 'percent', percent: 120 },
    royaltyBps: 0,
    perPersonCap: 1_000_000,
    transferable: true,
    epochs: { kind: 'time', lengthMs: 3_600_000 },
    maxOrdersPerAccount: 8,
  };
  return {
    crypto,
    identity,
    gatewaySecret,
    gatewayKey,
    buyers,
    policy,
    contract: () => createEventContract({ deployment: 'test', crypto, identityCommittee: identity, fundingKeys: [gatewayKey], random: random.fork('batch') }),
  };
}

/** Ed25519 verifications per second through the provider, over about `ms`. */
async function verifiesPerSecond(crypto: CryptoProvider, ms = byMode(700, 300)): Promise<number> {
  const secret = seededRandom('bench/contract/verify').bytes(32);
  const pk = await crypto.getPublicKey(secret);
  const msg = new Uint8Array(200).fill(3);
  const sig = await crypto.sign(msg, secret);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await Promise.all(Array.from({ length: 16 }, () => crypto.verify(sig, msg, pk)));
    n += 16;
  }
  return (n * 1000) / (performance.now() - start);
}

/** Closed loop: `window` requests in flight per engine for `ms`; returns ops/s and latencies. */
async function closedLoop(engines: readonly { submit(op: Uint8Array): Promise<Uint8Array> }[], ops: readonly Uint8Array[], ms: number, window: number) {
  const lat: number[] = [];
  const end = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    engines.flatMap((engine, i) =>
      Array.from({ length: window }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const r = decodeContractResult(await engine.submit(ops[i]!));
          if (r.status !== 'ok') throw new Error(`buyPrimary rejected: ${r.reason}`);
          lat.push(performance.now() - t0);
        }
      }),
    ),
  );
  lat.sort((a, b) => a - b);
  return { ops: (lat.length * 1000) / (performance.now() - start), p50: pct(lat, 50), p99: pct(lat, 99) };
}

/** Runs the buyPrimary benchmark: local engine baseline, then the 4-replica cluster. */
export async function benchContract(): Promise<void> {
  const seconds = Number(process.env['S'] ?? byMode(3, 1));
  const rounds = Number(process.env['R'] ?? 3);
  const clients = Number(process.env['C'] ?? 16);
  const window = Number(process.env['W'] ?? 8);
  const s = await setup(clients);
  const { crypto } = s;
  const buyOps = s.buyers.map((b) => encodeContractOp({ type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: b.credential }));
  console.log(`\nEventContract buyPrimary throughput (Ed25519 backend ${crypto.backend}; ${clients} clients × ${window} in flight; ${rounds} rounds of ${seconds} s)`);

  // baseline: one process, no replication (requests are still signed and verified)
  {
    const app = s.contract();
    const local = (secretKey: Uint8Array) => createLocalEngine({ deployment: 'test', app, crypto, secretKey, clock: virtualClock({ start: Date.now() }) });
    const gateway = local(s.gatewaySecret);
    await gateway.submit(encodeContractOp({ type: 'createEvent', eventId: EVENT, policy: s.policy }));
    for (const b of s.buyers) await gateway.submit(encodeContractOp({ type: 'deposit', account: b.publicKey, amount: 1_000_000_000n }));
    const engines = s.buyers.map((b) => local(b.secret));
    await closedLoop(engines, buyOps, byMode(500, 300), window);
    const r = await closedLoop(engines, buyOps, seconds * 1000, window);
    const v = await verifiesPerSecond(crypto);
    console.log(`  local engine (no replication):     ${Math.round(r.ops).toLocaleString('en-US').padStart(6)} ops/s   p50/p99 ${r.p50.toFixed(1)}/${r.p99.toFixed(1)} ms   (Ed25519 verify ${Math.round(v).toLocaleString('en-US')}/s, ratio ${(r.ops / v).toFixed(3)})`);
    reportFigures({ buy_primary_local_ops_per_s: r.ops, buy_primary_local_p50_ms: r.p50, buy_primary_local_p99_ms: r.p99, buy_primary_local_verify_per_s: v });
  }

  // the cluster
  const n = 4;
  const ids = Array.from({ length: n }, (_, i) => `r${i}`);
  const clientIds = ['setup', ...Array.from({ length: clients }, (_, i) => `c${i}`)];
  const net = memoryNetwork({ members: [...ids, ...clientIds], maxMessageBytes: 8 << 20, schedule: (_env, deliver) => setImmediate(deliver), capabilities: { ordered: true, reliable: true } });
  const replicaKeys = ids.map((id) => seededRandom(`bench/contract/replica/${id}`).bytes(32));
  const members = await Promise.all(ids.map(async (id, i) => ({ id, publicKey: await crypto.getPublicKey(replicaKeys[i]!) })));
  const clock = systemClock();
  const apps = ids.map(() => s.contract());
  const replicas: Replica[] = [];
  for (const [i, id] of ids.entries()) {
    replicas.push(
      await createReplica({
        deployment: 'test',
        id,
        secretKey: replicaKeys[i]!,
        members,
        transport: net.transport(id),
        storage: memoryStorage(),
        app: apps[i]!,
        crypto,
        clock,
        checkpointInterval: 128,
        maxInFlightBatches: 4,
        maxBatchRequests: 512,
        viewChangeTimeoutMs: 30_000,
      }),
    );
  }
  const client = (transportId: string, secretKey: Uint8Array): Client =>
    createClient({ deployment: 'test', transport: net.transport(transportId), replicas: ids, secretKey, crypto, clock, timeoutMs: 5_000, firstRequestSeq: 1 });
  const setupClient = client('setup', s.gatewaySecret);
  await setupClient.submit(encodeContractOp({ type: 'createEvent', eventId: EVENT, policy: s.policy }));
  for (const b of s.buyers) await setupClient.submit(encodeContractOp({ type: 'deposit', account: b.publicKey, amount: 1_000_000_000n }));
  const buyers = s.buyers.map((b, i) => client(`c${i}`, b.secret));
  await closedLoop(buyers, buyOps, byMode(1000, 500), window);
  const rates: number[] = [];
  const ratios: number[] = [];
  const verifies: number[] = [];
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const res = await closedLoop(buyers, buyOps, seconds * 1000, window);
    const v = await verifiesPerSecond(crypto);
    rates.push(res.ops);
    ratios.push(res.ops / v);
    verifies.push(v);
    p50s.push(res.p50);
    p99s.push(res.p99);
    console.log(`  round ${r + 1}: ${Math.round(res.ops).toLocaleString('en-US')} ops/s   p50/p99 ${res.p50.toFixed(1)}/${res.p99.toFixed(1)} ms   (Ed25519 verify ${Math.round(v).toLocaleString('en-US')}/s)`);
  }
  const digests = apps.map((a) => bytesToHex(a.digest()));
  const issued = apps[0]!.getEvent(EVENT)!.issued;
  console.log(`  4-replica PBFT cluster (median):  ${Math.round(median(rates)).toLocaleString('en-US').padStart(6)} ops/s   ratio to Ed25519 verify/s ${median(ratios).toFixed(3)}`);
  reportFigures({
    buy_primary_n4_memory_ops_per_s: median(rates),
    buy_primary_n4_memory_p50_ms: median(p50s),
    buy_primary_n4_memory_p99_ms: median(p99s),
    buy_primary_n4_memory_verify_per_s: median(verifies),
    buy_primary_n4_memory_ratio: median(ratios),
  });
  console.log(`  ${issued.toLocaleString('en-US')} tickets issued; replica digests ${new Set(digests).size === 1 ? 'agree' : 'DIFFER (replicas may lag by in-flight batches)'}`);
  for (const b of [setupClient, ...buyers]) await b.close();
  for (const r of replicas) await r.stop();
  await net.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`@admitone/market EventContract benchmark — Node ${process.version}, ${new Date().toISOString()}`);
  await benchContract();
}
