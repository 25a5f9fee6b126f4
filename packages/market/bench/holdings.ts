/**
 * "Which tickets do I hold?": the `tickets` query with a `holder`, through
 * `contract.query` (encoded query in, encoded page out: what a node answers),
 * at 1 000 tickets over 100 holders and 100 000 tickets over 1 000 holders
 * (100 each), every holder's serials interleaved with everyone else's
 * (tickets are bought in rounds). Pages of 10 start at a random held serial.
 * A page costs O(log n + page), so the two figures should be close; beside
 * them, the brute-force alternative (page through every ticket and filter by
 * holder) at 100 000 tickets.
 *
 * Run: `npx tsx --conditions=admitone-source bench/holdings.ts` from packages/market.
 * Quick mode (`ADMITONE_BENCH_QUICK=1`): fewer pages.
 */
import { bytesToHex, seededRandom, signRequest, type ClientId } from '@admitone/core';
import { MAX_TICKETS_PAGE, decodeContractQueryResult, decodeContractResult, encodeContractOp, encodeContractQuery, type ContractOp, type EventContract } from '../src/contract/index.js';
import { byMode, reportFigures } from '../../../bench/figures.js';
import { EVENT, setup, type Setup } from './contract.js';

const PAGE = 10;
const pct = (xs: readonly number[], p: number): number => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))] as number;

/** A contract holding `holders × perHolder` tickets, bought in `rounds` rounds so that every holder's serials interleave. */
async function build(s: Setup, holders: number, perHolder: number, rounds: number): Promise<EventContract> {
  const contract = s.contract();
  let seq = 0;
  const seqs = new Map<Uint8Array, number>();
  const run = async (secret: Uint8Array, op: ContractOp) => {
    const requestSeq = (seqs.get(secret) ?? 0) + 1;
    seqs.set(secret, requestSeq);
    const request = await signRequest(s.crypto, secret, { deployment: 'test', requestSeq, op: encodeContractOp(op) });
    const r = decodeContractResult(contract.execute(await contract.prepare(request), { seq: ++seq, timestamp: Date.now() }));
    if (r.status !== 'ok') throw new Error(`${op.type} rejected: ${r.reason}`);
  };
  await run(s.gatewaySecret, { type: 'createEvent', eventId: EVENT, policy: s.policy });
  const buyers = s.buyers.slice(0, holders);
  for (const b of buyers) await run(s.gatewaySecret, { type: 'deposit', account: b.publicKey, amount: BigInt(perHolder) });
  for (let r = 0; r < rounds; r++) {
    for (const b of buyers) await run(b.secret, { type: 'buyPrimary', eventId: EVENT, quantity: perHolder / rounds, credential: b.credential });
  }
  return contract;
}

/** Every holder's serials, by brute force over the event's pages. */
function heldSerials(contract: EventContract): Map<ClientId, number[]> {
  const out = new Map<ClientId, number[]>();
  for (let after = 0; ; ) {
    const page = contract.listTickets(EVENT, after, MAX_TICKETS_PAGE)!;
    for (const t of page.tickets) {
      const serials = out.get(t.holder);
      if (serials === undefined) out.set(t.holder, [t.serial]);
      else serials.push(t.serial);
    }
    if (page.next === undefined) return out;
    after = page.next;
  }
}

/** Times `pages` holder pages of {@link PAGE} at random holders and cursors; returns pages/s and p50/p99 in ms. */
function measure(contract: EventContract, s: Setup, holders: number, pages: number): { perS: number; p50: number; p99: number } {
  const held = heldSerials(contract);
  const random = seededRandom('bench/holdings/cursors');
  const queries = Array.from({ length: pages }, () => {
    const b = s.buyers[random.int(holders)]!;
    const serials = held.get(bytesToHex(b.publicKey) as ClientId)!;
    // start so that a full page follows
    const i = random.int(serials.length - PAGE + 1);
    const after = i === 0 ? 0 : serials[i - 1]!;
    return encodeContractQuery({ type: 'tickets', eventId: EVENT, holder: b.publicKey, after, limit: PAGE });
  });
  // one checked answer, then warm-up
  const first = decodeContractQueryResult(contract.query(queries[0]!));
  if (first.status !== 'ok' || !('tickets' in first) || first.tickets.length !== PAGE) throw new Error('holder page came back short');
  for (const q of queries.slice(0, Math.min(500, pages))) contract.query(q);
  const lat: number[] = [];
  const start = performance.now();
  for (const q of queries) {
    const t0 = performance.now();
    contract.query(q);
    lat.push(performance.now() - t0);
  }
  const elapsed = performance.now() - start;
  lat.sort((a, b) => a - b);
  return { perS: (pages * 1000) / elapsed, p50: pct(lat, 50), p99: pct(lat, 99) };
}

/** Runs the holder-page benchmark. */
export async function benchHoldings(): Promise<void> {
  const pages = byMode(20_000, 3_000);
  console.log(`\nHolder pages ("which tickets do I hold?"): pages of ${PAGE} through contract.query, ${pages.toLocaleString('en-US')} pages each`);
  const s = await setup(1_000);
  const small = await build(s, 100, 10, 10);
  const a = measure(small, s, 100, pages);
  console.log(`  1,000 tickets / 100 holders:       ${Math.round(a.perS).toLocaleString('en-US').padStart(7)} pages/s   p50/p99 ${(a.p50 * 1000).toFixed(0)}/${(a.p99 * 1000).toFixed(0)} µs`);
  const large = await build(s, 1_000, 100, 10);
  const b = measure(large, s, 1_000, pages);
  console.log(`  100,000 tickets / 1,000 holders:   ${Math.round(b.perS).toLocaleString('en-US').padStart(7)} pages/s   p50/p99 ${(b.p50 * 1000).toFixed(0)}/${(b.p99 * 1000).toFixed(0)} µs   (${(b.perS / a.perS).toFixed(2)}× the 1,000-ticket rate)`);
  // the alternative without the index: walk every page of the event and keep the holder's tickets
  const scans = byMode(5, 2);
  const key = bytesToHex(s.buyers[0]!.publicKey) as ClientId;
  const t0 = performance.now();
  for (let i = 0; i < scans; i++) {
    let found = 0;
    for (let after = 0; ; ) {
      const page = decodeContractQueryResult(large.query(encodeContractQuery({ type: 'tickets', eventId: EVENT, after, limit: MAX_TICKETS_PAGE })));
      if (page.status !== 'ok' || !('tickets' in page)) throw new Error('scan failed');
      found += page.tickets.filter((t) => t.holder === key).length;
      if (page.next === undefined) break;
      after = page.next;
    }
    if (found !== 100) throw new Error(`scan found ${found} tickets, not 100`);
  }
  const scanMs = (performance.now() - t0) / scans;
  console.log(`  brute force at 100,000 (scan every page, filter): ${scanMs.toFixed(0)} ms for one holder's tickets`);
  reportFigures({
    holder_page_1k_per_s: a.perS,
    holder_page_1k_p50_ms: a.p50,
    holder_page_1k_p99_ms: a.p99,
    holder_page_100k_per_s: b.perS,
    holder_page_100k_p50_ms: b.p50,
    holder_page_100k_p99_ms: b.p99,
    holder_page_100k_vs_1k_ratio: b.perS / a.perS,
    holder_scan_100k_ms: scanMs,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`@admitone/market holder-page benchmark — Node ${process.version}, ${new Date().toISOString()}`);
  await benchHoldings();
}
