/**
 * State transfer of a large state (a manifest of part hashes, then checked
 * chunks), two ways:
 *
 * 1. The pieces, on a stadium-sized state (100,000 tickets in full mode,
 *    50,000 in quick mode; entries the size of the ticket ledger's, random
 *    content): what a responder pays once per stable checkpoint to serve it,
 *    and what a receiver pays to check the manifest and every part, as MB/s
 *    beside SHA-256 MB/s measured in the same run (checking a part is hashing
 *    it: the receiver's ceiling).
 * 2. End to end, one process, in-memory transport, n = 4: a replica that was
 *    down while the others committed signed `issue` ops catches up from a
 *    state larger than one chunk; the time from its restart to executing the
 *    same seq as the others, and the state's size.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  concatBytes,
  createMemoryStore,
  createTicketLedger,
  defaultCrypto,
  encodeTicketOp,
  eventId,
  memoryNetwork,
  memoryStorage,
  signRequest,
  sortByKey,
  systemClock,
  ticketId,
  utf8ToBytes,
  type MemoryStore,
  type StateEntry,
} from '@admitone/core';
import { createClient, createReplica, type Replica } from '../src/index.js';
import { digestEntries, encodeEntries } from '../src/replica/state.js';
import { STATE_PARTS, checkManifest, chunkOf, createAssembly, serveState } from '../src/replica/transfer.js';
import { byMode, reportFigures } from '../../../bench/figures.js';

const key = (label: string) => sha256(utf8ToBytes(`bench:${label}`));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * A ticket ledger's entries for `tickets` issued tickets, by shape: the row of a
 * ticket issued by a real ledger (`t/<ticket id>` → its value), copied with
 * 16-character random ids and random values of the same length, plus 16
 * clients' reply caches.
 */
async function syntheticState(tickets: number): Promise<StateEntry[]> {
  const crypto = await defaultCrypto();
  const ledger = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
  const E = eventId('bench-transfer');
  const run = async (requestSeq: number, op: Uint8Array) =>
    ledger.execute(await ledger.prepare(await signRequest(crypto, key('organizer'), { deployment: 'test', requestSeq, op })), { seq: requestSeq, timestamp: requestSeq });
  await run(1, encodeTicketOp({ type: 'createEvent', eventId: E }));
  await run(2, encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId('sample'), holder: new Uint8Array(32).fill(9) }));
  const row = ledger.state.entries().find((e) => new TextDecoder().decode(e.key) === 't/sample');
  if (row === undefined) throw new Error('no ticket row');
  const rnd = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const out = new Map<string, StateEntry>();
  for (const e of ledger.state.entries()) out.set(hex(e.key), { key: concatBytes(Uint8Array.of(0x61), e.key), value: e.value });
  while (out.size < tickets + 2) {
    const k = utf8ToBytes(`t/${hex(rnd(8))}`);
    out.set(hex(k), { key: concatBytes(Uint8Array.of(0x61), k), value: rnd(row.value.length) });
  }
  for (let c = 0; c < 16; c++) for (let s = 0; s < 16; s++) out.set(`r${c}/${s}`, { key: concatBytes(Uint8Array.of(0x72), utf8ToBytes(c.toString(16).padStart(64, '0')), Uint8Array.of(0, s)), value: rnd(40) });
  return sortByKey([...out.values()]);
}

function sha256MbPerS(): number {
  const buf = new Uint8Array(1 << 20).fill(7);
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 100) {
      sha256(buf);
      n++;
    }
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  return median(rates) * 1.048576;
}

async function pieces(): Promise<void> {
  const tickets = byMode(100_000, 50_000);
  const entries = await syntheticState(tickets);
  const bytes = encodeEntries(entries).length;
  const digest = digestEntries(entries);
  const chunk = 1 << 20;
  const serveMs: number[] = [];
  const checkMs: number[] = [];
  let chunks = 0;
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    const served = serveState(1, entries, chunk);
    serveMs.push(performance.now() - t);
    const walk: { from: number; parts: Uint8Array[] }[] = [];
    for (let from = 0; from < STATE_PARTS; ) {
      const parts = chunkOf(served, from, chunk);
      walk.push({ from, parts });
      from += parts.length;
    }
    chunks = walk.length;
    t = performance.now();
    const hashes = checkManifest(served.manifest, digest);
    if (hashes === undefined) throw new Error('manifest does not match');
    const asm = createAssembly(1, digest, hashes);
    for (const c of walk) if (!asm.accept(c.from, c.parts)) throw new Error('part refused');
    if (asm.entries().length !== entries.length) throw new Error('assembled state differs');
    checkMs.push(performance.now() - t);
  }
  const mb = bytes / 1e6;
  const sha = sha256MbPerS();
  const receive = mb / (median(checkMs) / 1000);
  console.log(`State transfer pieces: ${tickets.toLocaleString('en-US')} tickets, ${entries.length.toLocaleString('en-US')} entries, ${mb.toFixed(1)} MB in ${chunks} chunks of ≤ 1 MiB (median of 3).`);
  console.log(`  responder, once per stable checkpoint: ${median(serveMs).toFixed(0)} ms to split and hash the parts`);
  console.log(`  receiver: ${median(checkMs).toFixed(0)} ms to check the manifest and every part and assemble = ${receive.toFixed(0)} MB/s, beside SHA-256 ${sha.toFixed(0)} MB/s (same run)`);
  reportFigures({ pbft_transfer_serve_ms: median(serveMs), pbft_transfer_receive_mb_per_s: receive, pbft_transfer_sha256_mb_per_s: sha });
}

async function endToEnd(): Promise<void> {
  const tickets = byMode(20_000, 6_000);
  const crypto = await defaultCrypto();
  const clock = systemClock();
  const ids = ['r0', 'r1', 'r2', 'r3'];
  const cids = Array.from({ length: 16 }, (_, i) => `c${i}`);
  const net = memoryNetwork({ members: [...ids, ...cids] });
  const members = await Promise.all(ids.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(key(id)) })));
  const stores: MemoryStore[] = ids.map(() => createMemoryStore());
  const apps = ids.map(() => createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false }));
  const chunk = 256 * 1024;
  const start = (i: number) =>
    createReplica({
      deployment: 'test',
      id: ids[i] as string, secretKey: key(ids[i] as string), members, transport: net.transport(ids[i] as string), storage: memoryStorage({ store: stores[i] as MemoryStore }),
      app: apps[i] as ReturnType<typeof createTicketLedger>, crypto, clock, checkpointInterval: 16, viewChangeTimeoutMs: 30_000, stateChunkBytes: chunk,
    });
  const replicas: Replica[] = [await start(0), await start(1), await start(2)];
  const clients = cids.map((cid, i) => createClient({ deployment: 'test', transport: net.transport(cid), replicas: ids, secretKey: key(`tc${i}`), crypto, clock, timeoutMs: 5000, firstRequestSeq: 1 }));
  await Promise.all(clients.map((c, i) => c.submit(encodeTicketOp({ type: 'createEvent', eventId: eventId(`tx-${i}`) }))));
  let next = 0;
  const holder = new Uint8Array(32).fill(9);
  await Promise.all(
    clients.flatMap((c, i) =>
      Array.from({ length: 16 }, async () => {
        while (next < tickets) {
          const t = next++;
          await c.submit(encodeTicketOp({ type: 'issue', eventId: eventId(`tx-${i}`), ticketId: ticketId(`t${t}`), holder }));
        }
      }),
    ),
  );
  const bytes = encodeEntries(apps[0]!.state.entries().map((e) => ({ key: concatBytes(Uint8Array.of(0x61), e.key), value: e.value }))).length;
  const target = () => Math.max(...replicas.map((r) => r.status().lastExecuted));
  const t0 = performance.now();
  const r3Transfers: unknown[] = [];
  const r3 = await start(3);
  r3.on('state-transfer', (e) => r3Transfers.push(e));
  while (r3.status().lastExecuted < target()) await new Promise((r) => setTimeout(r, 2));
  const ms = performance.now() - t0;
  const transfers = r3Transfers.length;
  const same = apps[3]!.digest().every((b, i) => b === apps[0]!.digest()[i]);
  if (!same) throw new Error('the caught-up replica has another state');
  console.log(`End to end (n = 4, one process): after ${tickets.toLocaleString('en-US')} tickets, a restarted replica caught up with ${(bytes / 1e6).toFixed(1)} MB of state (chunks of ${chunk / 1024} KiB) in ${ms.toFixed(0)} ms (${transfers} state-transfer event(s)).`);
  reportFigures({ pbft_transfer_catch_up_ms: ms });
  for (const c of clients) await c.close();
  for (const r of [...replicas, r3]) await r.stop();
  await net.close();
}

/** Runs both parts. */
export async function benchStateTransfer(): Promise<void> {
  await pieces();
  await endToEnd();
}
