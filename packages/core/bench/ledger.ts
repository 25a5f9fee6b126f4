/**
 * The ticket ledger's prepare+execute path on a single instance. It is bounded
 * by Ed25519 verification, measured in the same run as the baseline, plus the
 * cost of a full-state digest.
 */
import { byMode, reportFigures } from '../../../bench/figures.js';
import { bench, report } from './harness.js';
import { nobleCrypto } from '../src/crypto/noble.js';
import { defaultCrypto } from '../src/crypto/webcrypto.js';
import { requestSigningBytes, signRequest, type SignedRequest } from '../src/app/request.js';
import { createTicketLedger, encodeTicketOp, type TicketOp } from '../src/ticket/index.js';
import { eventId, ticketId } from '../src/codec/hash.js';
import { decode, encode, type CborValue } from '../src/codec/cbor.js';
import { decodeTicketQueryResult, encodeTicketQuery } from '../src/ticket/codec.js';
import type { EventId, TicketId } from '../src/codec/hash.js';
import type { BenchResult } from './harness.js';
import { hexToBytes } from '../src/bytes/index.js';

/**
 * A `tickets` page of 10 read from the middle of an event of 1,000 and of
 * 100,000 tickets (a snapshot of `ledger` with its tickets copied, restored
 * into fresh ledgers): with the per-event index both cost about the same.
 * The same by holder (one key holds them all), from the per-holder index.
 */
async function benchPages(ledger: ReturnType<typeof createTicketLedger>, E: EventId): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const n of [1_000, 100_000]) {
    const snap = decode(ledger.snapshot()) as { events: [string, ...CborValue[]][]; tickets: Record<string, CborValue>[] };
    const first = snap.tickets[0] as Record<string, CborValue>;
    snap.tickets = Array.from({ length: n }, (_, i) => ({ ...first, ticketId: `p-${String(i).padStart(6, '0')}` }));
    const ev = snap.events.find((e) => e[0] === E) as CborValue[];
    ev[ev.length - 1] = n;
    const big = createTicketLedger({ deployment: 'test', crypto: nobleCrypto(), requireHolderCode: false });
    big.restore(encode(snap as never));
    const after = `p-${String(n >> 1).padStart(6, '0')}` as TicketId;
    const query = encodeTicketQuery({ type: 'tickets', eventId: E, after, limit: 10 });
    out.push(await bench(`tickets page of 10 (${n.toLocaleString('en-US')} tickets)`, () => decodeTicketQueryResult(big.query(query)), { budgetMs: 500 }));
    // every copied ticket has the first ticket's holder: a wallet holding all n, paged from its holder index
    const holder = hexToBytes(String(first['holder']));
    const byHolder = encodeTicketQuery({ type: 'tickets', holder, after, limit: 10 });
    out.push(await bench(`holder's tickets page of 10 (${n.toLocaleString('en-US')} held)`, () => decodeTicketQueryResult(big.query(byHolder)), { budgetMs: 500 }));
  }
  return out;
}

export async function benchLedger(): Promise<void> {
  for (const [name, crypto] of [['webcrypto', await defaultCrypto()], ['noble', nobleCrypto()]] as const) {
    const ledger = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
    const org = new Uint8Array(32).fill(1);
    const gate = new Uint8Array(32).fill(2);
    const E = eventId('bench');
    let seq = 0;
    const exec = async (secret: Uint8Array, o: TicketOp, n: number) => {
      const req = await signRequest(crypto, secret, { deployment: 'test', requestSeq: n, op: encodeTicketOp(o) });
      ledger.execute(await ledger.prepare(req), { seq: ++seq, timestamp: 0 });
    };
    await exec(org, { type: 'createEvent', eventId: E }, 1);
    await exec(org, { type: 'authorizeGate', eventId: E, device: await crypto.getPublicKey(gate) }, 2);
    // pre-sign a pool of scans so the measured path is prepare (verify) + execute
    const N = byMode(3000, 300);
    const reqs: SignedRequest[] = [];
    for (let i = 0; i < N; i++) {
      await exec(org, { type: 'issue', eventId: E, ticketId: ticketId(`t${i}`), holder: new Uint8Array(32).fill(3) }, 3 + i);
      reqs.push(
        await signRequest(crypto, gate, { deployment: 'test', requestSeq: i + 1,
          op: encodeTicketOp({ type: 'validate', eventId: E, ticketId: ticketId(`t${i}`), scan: { nonce: new Uint8Array(16).fill(i & 0xff), gate: 'g' as never, time: 0 } }),
        }),
      );
    }
    const verifyReq = reqs[0];
    const pk = await crypto.getPublicKey(gate);
    const msg = requestSigningBytes(verifyReq!, 'test');
    let i = 0;
    const results = [
      await bench(`${name}: verify (baseline)`, () => crypto.verify(verifyReq!.signature, msg, pk), { budgetMs: 1000 }),
      await bench(`${name}: prepare+execute validate`, async () => {
        const r = reqs[i++ % N]!;
        ledger.execute(await ledger.prepare(r), { seq: ++seq, timestamp: 0 });
      }, { budgetMs: 1000 }),
      await bench(`${name}: digest (${N} tickets)`, () => ledger.digest(), { budgetMs: 1000, rounds: 3 }),
    ];
    if (name === 'webcrypto') results.push(...(await benchPages(ledger, E)));
    report(`Ticket ledger, single instance, ${name} (ratio to verify)`, results, results[0]);
    const [verify, validate, digest] = results.map((r) => r.opsPerSec) as [number, number, number];
    const prefix = name === 'webcrypto' ? 'ledger' : 'ledger_noble';
    reportFigures({ [`${prefix}_verify_per_s`]: verify, [`${prefix}_validate_per_s`]: validate, [`${prefix}_digest_per_s`]: digest });
  }
}
