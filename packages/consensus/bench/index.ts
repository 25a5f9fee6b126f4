/**
 * PBFT throughput and latency in one process on the in-memory transport (zero
 * latency), with the ticket ledger app and WebCrypto signatures, for n = 4 and
 * n = 7. Every op is a signed `issue` request, verified by every replica.
 *
 * The limit printed beside it: Ed25519 verifies/s through the same crypto
 * provider, measured in the same run, divided by n (each replica checks every
 * client signature, all on this one thread). The ratio is the share of that
 * signature-checking ceiling PBFT reaches.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  createTicketLedger,
  defaultCrypto,
  encodeTicketOp,
  eventId,
  memoryNetwork,
  memoryStorage,
  systemClock,
  ticketId,
  utf8ToBytes,
  type CryptoProvider,
} from '@admitone/core';
import { createClient, createReplica, type Client, type Replica } from '../src/index.js';

const key = (label: string) => sha256(utf8ToBytes(`bench:${label}`));

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

async function verifyRate(crypto: CryptoProvider): Promise<number> {
  const sk = key('verify');
  const pk = await crypto.getPublicKey(sk);
  const msg = new Uint8Array(200).fill(1);
  const sig = await crypto.sign(msg, sk);
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 300) {
      await Promise.all(Array.from({ length: 32 }, () => crypto.verify(sig, msg, pk)));
      n += 32;
    }
    rates.push((n * 1000) / (performance.now() - t0));
  }
  rates.sort((a, b) => a - b);
  return rates[2] as number;
}

interface Setup {
  clients: { client: Client; event: string; next: number }[];
  close(): Promise<void>;
}

async function setup(n: number, crypto: CryptoProvider, clientCount: number): Promise<Setup> {
  const ids = Array.from({ length: n }, (_, i) => `r${i}`);
  const cids = Array.from({ length: clientCount }, (_, i) => `c${i}`);
  const net = memoryNetwork({ members: [...ids, ...cids], maxMessageBytes: 8 << 20 });
  const members = await Promise.all(ids.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(key(id)) })));
  const clock = systemClock();
  const replicas: Replica[] = [];
  for (const id of ids) {
    replicas.push(
      await createReplica({
        id,
        secretKey: key(id),
        members,
        transport: net.transport(id),
        storage: memoryStorage(),
        app: createTicketLedger({ crypto, requireHolderCode: false }),
        crypto,
        clock,
        checkpointInterval: Number(process.env.BENCH_K ?? 128),
        maxInFlightBatches: 4,
        maxBatchRequests: 512,
        viewChangeTimeoutMs: 30_000,
      }),
    );
  }
  const clients: Setup['clients'] = [];
  for (const [i, cid] of cids.entries()) {
    const client = createClient({ transport: net.transport(cid), replicas: ids, secretKey: key(`client${i}`), crypto, clock, timeoutMs: 5000, firstRequestSeq: 1 });
    const event = `ev-${i}`;
    await client.submit(encodeTicketOp({ type: 'createEvent', eventId: eventId(event) }));
    clients.push({ client, event, next: 0 });
  }
  return {
    clients,
    async close() {
      for (const c of clients) await c.client.close();
      for (const r of replicas) await r.stop();
      await net.close();
    },
  };
}

const holder = new Uint8Array(32).fill(9);
function issue(c: Setup['clients'][number]): Promise<Uint8Array> {
  return c.client.submit(encodeTicketOp({ type: 'issue', eventId: eventId(c.event), ticketId: ticketId(`${c.event}-t${c.next++}`), holder }));
}

/** Closed loop: every client keeps `window` requests outstanding for `ms`. */
async function peak(s: Setup, window: number, ms: number): Promise<{ opsPerSec: number; p50: number; p99: number }> {
  const lat: number[] = [];
  let done = 0;
  const end = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    s.clients.flatMap((c) =>
      Array.from({ length: window }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          await issue(c);
          lat.push(performance.now() - t0);
          done++;
        }
      }),
    ),
  );
  const elapsed = performance.now() - start;
  lat.sort((a, b) => a - b);
  return { opsPerSec: (done * 1000) / elapsed, p50: pct(lat, 50), p99: pct(lat, 99) };
}

/** Open loop at `rate` ops/s for `ms`: latency at a given load. */
async function atRate(s: Setup, rate: number, ms: number): Promise<{ achieved: number; p50: number; p99: number }> {
  const lat: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  let k = 0;
  while (performance.now() - start < ms) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due) {
      const c = s.clients[k++ % s.clients.length] as Setup['clients'][number];
      const t0 = performance.now();
      inflight.push(issue(c).then(() => void lat.push(performance.now() - t0)));
      sent++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const elapsed = performance.now() - start;
  lat.sort((a, b) => a - b);
  return { achieved: (sent * 1000) / elapsed, p50: pct(lat, 50), p99: pct(lat, 99) };
}

const crypto = await defaultCrypto();
console.log(`@admitone/consensus PBFT benchmark — Node ${process.version}, crypto backend: ${crypto.backend}`);
console.log('One process, in-memory transport (zero latency), ticket ledger app, signed `issue` ops.');
const verifies = await verifyRate(crypto);
console.log(`Ed25519 verifies/s through the provider (same run): ${Math.round(verifies).toLocaleString('en-US')}`);
console.log('');
console.log('  n   peak ops/s   limit ops/s   ratio   peak p50/p99 ms   half-load ops/s   half-load p50/p99 ms');
for (const n of [4, 7]) {
  const s = await setup(n, crypto, 16);
  await peak(s, 8, 1000); // warm-up
  const p = await peak(s, 16, 4000);
  const h = await atRate(s, p.opsPerSec / 2, 3000);
  const limit = verifies / n;
  console.log(
    `  ${n}   ${Math.round(p.opsPerSec).toString().padStart(10)}   ${Math.round(limit).toString().padStart(11)}   ${(p.opsPerSec / limit).toFixed(2).padStart(5)}   ${`${p.p50.toFixed(1)}/${p.p99.toFixed(1)}`.padStart(15)}   ${Math.round(h.achieved).toString().padStart(15)}   ${`${h.p50.toFixed(1)}/${h.p99.toFixed(1)}`.padStart(20)}`,
  );
  await s.close();
}
