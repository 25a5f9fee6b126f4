/**
 * Paging a settled epoch: the `epoch` summary carries counts only, and
 * `epochOutcomes` / `epochTrades` (`listEpochOutcomes` / `listEpochTrades`)
 * page the outcomes and trades with `from`/`limit`/`next`.
 *
 * - over random page sizes, the concatenated pages equal the epoch's record
 *   as the contract's state holds it (read back from its snapshot), through
 *   the methods and through `query`, on the replica, on a twin that replayed
 *   its log and on one restored from its snapshot;
 * - any single page is exactly the slice `[from, from + limit)` with `next`
 *   present exactly when more follow;
 * - an epoch not settled (closed, open, void) answers empty pages, an unknown
 *   event `not_found`;
 * - the codec refuses bad `epoch`/`from`/`limit` and over-long pages, and a
 *   worst-case full page stays under 128 KiB.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encode, eventId, type ClientId } from '@admitone/core';
import {
  MAX_AMOUNT,
  MAX_EPOCH_PAGE,
  ORDER_DROP_REASONS,
  decodeContractQuery,
  decodeContractQueryResult,
  encodeContractQuery,
  encodeContractQueryResult,
  type ContractQuery,
  type EventContract,
  type OrderOutcome,
  type TradeView,
} from '../src/contract/index.js';
import { stateFromSnapshot, type EpochRecord } from '../src/contract/state.js';
import { EVENT, HOUR, T0, harness, makeActor, ok, policy, replayInto, type Actor, type Harness } from './contract-helpers.js';
import { outcomesOf, postAll, submit, tradesOf } from './epoch-helpers.js';

const VOID_EVENT = eventId('void-gig');

let h: Harness;
let twin: EventContract;
let restored: EventContract;
/** Epoch 0's record as the contract's state holds it, decoded from the snapshot (not through any page). */
let record: EpochRecord;

beforeAll(async () => {
  h = await harness({ seed: 'epoch-pages' });
  const org = await makeActor(h.crypto, 'pages/org');
  const sellers = await Promise.all([0, 1, 2].map((i) => makeActor(h.crypto, `pages/seller-${i}`)));
  const buyers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => makeActor(h.crypto, `pages/buyer-${i}`)));
  ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy({ capacity: 30, perPersonCap: 8 }) }));
  for (const who of [...sellers, ...buyers]) await h.fund(who, 60_000n);
  for (const s of sellers) ok(await h.run(s, { type: 'buyPrimary', eventId: EVENT, quantity: 8, credential: await h.credential(s) }));
  for (const b of buyers) ok(await h.run(b, { type: 'register', eventId: EVENT, credential: await h.credential(b) }));
  h.now = T0 + 10;
  // seller i holds serials 8i+1 … 8i+8: six public listings, two sealed asks, and one ask above the cap (dropped)
  for (const [i, s] of sellers.entries()) {
    for (let k = 1; k <= 6; k++) ok(await h.run(s, { type: 'listForResale', eventId: EVENT, serial: 8 * i + k, price: 5_000n + BigInt(100 * k) }));
    for (const k of [7, 8]) ok(await submit(h, s, { side: 'ask', serial: 8 * i + k, price: 5_050n + BigInt(k) }));
  }
  ok(await submit(h, sellers[0]!, { side: 'ask', serial: 1, price: 7_000n }));
  for (const b of buyers) for (const maxPrice of [6_000n, 5_400n]) ok(await submit(h, b, { side: 'bid', quantity: 2, maxPrice }));

  // another event whose epoch goes void with an order in it
  ok(await h.run(org, { type: 'createEvent', eventId: VOID_EVENT, policy: policy() }));
  ok(await h.run(buyers[0]!, { type: 'register', eventId: VOID_EVENT, credential: await h.credential(buyers[0]!, { eventId: VOID_EVENT }) }));
  ok(await submit(h, buyers[0]!, { side: 'bid', quantity: 1, maxPrice: 5_000n }, 0, VOID_EVENT));
  ok(await h.run(org, { type: 'cancelEvent', eventId: VOID_EVENT }));

  h.now = T0 + HOUR + 1;
  ok(await h.run(org, { type: 'cutoff', eventId: EVENT }));
  await postAll(h, [0, 2]);

  twin = h.twin('pages-twin');
  await replayInto(twin, h.log);
  restored = h.twin('pages-restored');
  restored.restore(h.contract.snapshot());
  const state = stateFromSnapshot(h.contract.snapshot(), h.orders.publicKey.minShares);
  record = state.events.get(EVENT)!.history.get(0)!;
});

function ask(contract: EventContract, query: ContractQuery) {
  return decodeContractQueryResult(contract.query(encodeContractQuery(query)));
}

/** Pages through `kind` of epoch 0 with the page sizes `sizes` (cycled), checking every page's shape; returns the items. */
function pageThrough(contract: EventContract, kind: 'outcomes' | 'trades', sizes: readonly number[], viaQuery: boolean): (OrderOutcome | TradeView)[] {
  const total = kind === 'outcomes' ? record.outcomes.length : record.trades.length;
  const out: (OrderOutcome | TradeView)[] = [];
  let from = 0;
  for (let k = 0; ; k++) {
    const limit = sizes[k % sizes.length]!;
    let items: readonly (OrderOutcome | TradeView)[];
    let next: number | undefined;
    if (viaQuery) {
      const r = ask(contract, { type: kind === 'outcomes' ? 'epochOutcomes' : 'epochTrades', eventId: EVENT, epoch: 0, from, limit });
      if (!(kind in r)) throw new Error(`unexpected answer ${JSON.stringify(r)}`);
      ({ next } = r as { next?: number });
      items = (r as unknown as Record<string, readonly (OrderOutcome | TradeView)[]>)[kind]!;
    } else {
      const page = kind === 'outcomes' ? contract.listEpochOutcomes(EVENT, 0, from, limit)! : contract.listEpochTrades(EVENT, 0, from, limit)!;
      ({ next } = page);
      items = kind === 'outcomes' ? (page as { outcomes: readonly OrderOutcome[] }).outcomes : (page as { trades: readonly TradeView[] }).trades;
    }
    expect(items.length).toBe(Math.min(limit, total - from));
    out.push(...items);
    if (next === undefined) {
      expect(from + items.length).toBe(total);
      return out;
    }
    expect(next).toBe(from + items.length);
    expect(next).toBeLessThan(total);
    from = next;
  }
}

describe('the settled epoch this suite pages', () => {
  it('has more outcomes and trades than one small page, and a summary with their counts but no lists', () => {
    expect(record.status).toBe('settled');
    expect(record.outcomes.length).toBe(19);
    expect(record.trades.length).toBeGreaterThanOrEqual(10);
    const summary = h.contract.getEpoch(EVENT, 0)!;
    expect(summary).toEqual({
      eventId: EVENT,
      epoch: 0,
      status: 'settled',
      orders: 19,
      decryptable: 19,
      closedAtSeq: record.closedAtSeq,
      settledAtSeq: record.settledAtSeq,
      seed: record.seed,
      outcomes: record.outcomes.length,
      trades: record.trades.length,
    });
    expect(ask(h.contract, { type: 'epoch', eventId: EVENT, epoch: 0 })).toEqual({ status: 'ok', epoch: summary });
    record.outcomes.forEach((o, i) => expect(o.position).toBe(i));
  });
});

describe('paging outcomes and trades (property)', () => {
  const sizes = (max: number) => fc.array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: max })), { minLength: 1, maxLength: 6 });

  it('concatenated pages equal the settled record, through the methods and the query, on every replica', () => {
    fc.assert(
      fc.property(
        sizes(MAX_EPOCH_PAGE),
        sizes(MAX_EPOCH_PAGE),
        fc.constantFrom<'outcomes' | 'trades'>('outcomes', 'trades'),
        fc.boolean(),
        (mine, theirs, kind, viaQuery) => {
          const expected = kind === 'outcomes' ? record.outcomes : record.trades;
          expect(pageThrough(h.contract, kind, mine, viaQuery)).toEqual(expected);
          expect(pageThrough(twin, kind, theirs, !viaQuery)).toEqual(expected);
          expect(pageThrough(restored, kind, theirs, viaQuery)).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a page is the slice [from, from + limit) with next exactly when more follow', () => {
    const total = { outcomes: record.outcomes.length, trades: record.trades.length };
    fc.assert(
      fc.property(fc.constantFrom<'outcomes' | 'trades'>('outcomes', 'trades'), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: MAX_EPOCH_PAGE }), (kind, from, limit) => {
        const all: readonly (OrderOutcome | TradeView)[] = kind === 'outcomes' ? record.outcomes : record.trades;
        const end = Math.min(total[kind], from + limit);
        const page = { [kind]: all.slice(from, from + limit), ...(end < total[kind] ? { next: end } : {}) };
        expect(ask(h.contract, { type: kind === 'outcomes' ? 'epochOutcomes' : 'epochTrades', eventId: EVENT, epoch: 0, from, limit })).toEqual({ status: 'ok', ...page });
        const method = kind === 'outcomes' ? h.contract.listEpochOutcomes(EVENT, 0, from, limit) : h.contract.listEpochTrades(EVENT, 0, from, limit);
        expect(method).toEqual(page);
      }),
      { numRuns: 300 },
    );
  });

  it('defaults to from 0 and 100 items', () => {
    expect(h.contract.listEpochOutcomes(EVENT, 0)).toEqual({ outcomes: record.outcomes });
    expect(ask(h.contract, { type: 'epochTrades', eventId: EVENT, epoch: 0 })).toEqual({ status: 'ok', trades: record.trades });
  });

  it('pages never alias the replicated state', () => {
    const before = h.contract.snapshot();
    const [o] = h.contract.listEpochOutcomes(EVENT, 0, 0, 1)!.outcomes;
    o!.ciphertextId.fill(0);
    (o as { filled: number }).filled = 99;
    (h.contract.listEpochTrades(EVENT, 0, 0, 1)!.trades[0] as { price: bigint }).price = 1n;
    expect(h.contract.snapshot()).toEqual(before);
    expect(outcomesOf(h.contract)).toEqual(record.outcomes);
    expect(tradesOf(h.contract)).toEqual(record.trades);
  });
});

describe('epochs without outcomes, unknown events', () => {
  it('an open, a trivially settled and a void epoch answer empty pages; the summary tells them apart', async () => {
    // epoch 1 is open (nothing closed it); epoch 5 is far ahead
    for (const epoch of [1, 5]) {
      expect(h.contract.getEpoch(EVENT, epoch)).toEqual({ eventId: EVENT, epoch, status: 'open', orders: 0, decryptable: 0 });
      expect(h.contract.listEpochOutcomes(EVENT, epoch)).toEqual({ outcomes: [] });
      expect(ask(h.contract, { type: 'epochTrades', eventId: EVENT, epoch })).toEqual({ status: 'ok', trades: [] });
    }
    // the void epoch held an order, but never executed it
    expect(h.contract.getEpoch(VOID_EVENT, 0)).toEqual({ eventId: VOID_EVENT, epoch: 0, status: 'void', orders: 1, decryptable: 0 });
    expect(h.contract.listEpochOutcomes(VOID_EVENT, 0)).toEqual({ outcomes: [] });
    expect(h.contract.listEpochTrades(VOID_EVENT, 0)).toEqual({ trades: [] });
    // a closed epoch with an order: no outcomes until it settles
    const gig = eventId('closed-gig');
    const org = await makeActor(h.crypto, 'pages/late-org');
    const buyer = await makeActor(h.crypto, 'pages/late-buyer');
    h.now = T0 + 2 * HOUR + 10;
    ok(await h.run(org, { type: 'createEvent', eventId: gig, policy: policy({ resale: { start: T0 + 2 * HOUR, end: T0 + 48 * HOUR } }) }));
    ok(await h.run(buyer, { type: 'register', eventId: gig, credential: await h.credential(buyer, { eventId: gig }) }));
    ok(await submit(h, buyer, { side: 'bid', quantity: 1, maxPrice: 5_000n }, 0, gig));
    ok(await submit(h, buyer, { side: 'bid', quantity: 1, maxPrice: 5_100n }, 1, gig));
    h.now = T0 + 4 * HOUR + 10;
    ok(await h.run(org, { type: 'cutoff', eventId: gig }));
    expect(h.contract.getEpoch(gig, 0)).toMatchObject({ status: 'closed', orders: 1 });
    expect(h.contract.getEpoch(gig, 0)).not.toHaveProperty('outcomes');
    expect(ask(h.contract, { type: 'epochOutcomes', eventId: gig, epoch: 0 })).toEqual({ status: 'ok', outcomes: [] });
    // epoch 1 settles after epoch 0; an epoch with no orders settles without a record, with zero counts
    await postAll(h, [1, 3], 0, gig);
    await postAll(h, [1, 3], 1, gig);
    expect(h.contract.getEpoch(gig, 1)).toMatchObject({ status: 'settled', outcomes: 1, trades: 0 });
    expect(outcomesOf(h.contract, 1, gig)).toEqual([expect.objectContaining({ position: 0, side: 'bid', status: 'unmatched' })]);
    expect(h.contract.getEvent(gig)).toMatchObject({ settledThrough: 2 });
    h.now = T0 + 5 * HOUR + 10;
    ok(await h.run(org, { type: 'cutoff', eventId: gig }));
    expect(h.contract.getEpoch(gig, 2)).toEqual({ eventId: gig, epoch: 2, status: 'settled', orders: 0, decryptable: 0, outcomes: 0, trades: 0 });
    expect(h.contract.listEpochTrades(gig, 2)).toEqual({ trades: [] });
  });

  it('an unknown event is not_found (undefined from the methods)', () => {
    const nobody = eventId('no-such-gig');
    expect(h.contract.listEpochOutcomes(nobody, 0)).toBeUndefined();
    expect(h.contract.listEpochTrades(nobody, 0)).toBeUndefined();
    for (const type of ['epochOutcomes', 'epochTrades'] as const) expect(ask(h.contract, { type, eventId: nobody, epoch: 0 })).toEqual({ status: 'rejected', reason: 'not_found' });
  });
});

describe('bounds: arguments, the codec, the size of a page', () => {
  it('the methods throw TypeError/RangeError naming the argument', () => {
    for (const list of [h.contract.listEpochOutcomes, h.contract.listEpochTrades]) {
      expect(() => list(EVENT, '0' as unknown as number)).toThrow(TypeError);
      expect(() => list(EVENT, 0, '1' as unknown as number)).toThrow(/from/);
      expect(() => list(EVENT, 0, 0, null as unknown as number)).toThrow(TypeError);
      for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        expect(() => list(EVENT, bad), `epoch ${bad}`).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringContaining('epoch') }));
        expect(() => list(EVENT, 0, bad), `from ${bad}`).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringContaining('from') }));
      }
      for (const bad of [0, -1, 1.5, MAX_EPOCH_PAGE + 1, Number.NaN]) {
        expect(() => list(EVENT, 0, 0, bad), `limit ${bad}`).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringContaining('limit') }));
      }
      // arguments are checked before the event is looked up
      expect(() => list(eventId('no-such-gig'), 0, 0, 0)).toThrow(RangeError);
      expect(list(EVENT, 0, 0, MAX_EPOCH_PAGE)).toBeDefined();
    }
  });

  it('the query codec round-trips valid pages and refuses bad epoch, from, limit and fields as malformed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('epochOutcomes' as const, 'epochTrades' as const),
        fc.nat(),
        fc.option(fc.nat(), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: MAX_EPOCH_PAGE }), { nil: undefined }),
        (type, epoch, from, limit) => {
          const q: ContractQuery = { type, eventId: EVENT, epoch, ...(from === undefined ? {} : { from }), ...(limit === undefined ? {} : { limit }) };
          expect(decodeContractQuery(encodeContractQuery(q))).toEqual(q);
        },
      ),
    );
    const bads: Record<string, unknown>[] = [
      { limit: 0 },
      { limit: MAX_EPOCH_PAGE + 1 },
      { limit: -1 },
      { limit: 2n ** 64n },
      { limit: '5' },
      { from: -1 },
      { from: true },
      { from: 2n ** 53n },
      { from: 'x' },
      { epoch: -1 },
      { epoch: 2n ** 53n },
      { after: 2 }, // the tickets cursor is not this query's
      { holder: new Uint8Array(32) },
    ];
    for (const type of ['epochOutcomes', 'epochTrades']) {
      for (const bad of bads) {
        const bytes = encode({ type, eventId: EVENT, epoch: 0, ...bad } as never);
        expect(() => decodeContractQuery(bytes), JSON.stringify({ type, ...bad }, (_k, v: unknown) => (v instanceof Uint8Array ? 'bytes' : typeof v === 'bigint' ? `${v}n` : v))).toThrow(expect.objectContaining({ name: 'CodecError' }));
        // query never throws: a malformed query is an answer
        expect(decodeContractQueryResult(h.contract.query(bytes))).toEqual({ status: 'rejected', reason: 'malformed' });
      }
      expect(() => decodeContractQuery(encode({ type, eventId: 'bad id', epoch: 0 }))).toThrow(expect.objectContaining({ name: 'CodecError' }));
      expect(() => decodeContractQuery(encode({ type, eventId: EVENT }))).toThrow(expect.objectContaining({ name: 'CodecError' }));
    }
  });

  it(`a worst-case full page (MAX_EPOCH_PAGE = ${MAX_EPOCH_PAGE} items) encodes under 128 KiB; answer decoders refuse longer pages`, () => {
    const key = 'f'.repeat(64) as ClientId;
    const outcome = (position: number): OrderOutcome => ({
      position,
      submitter: key,
      ciphertextId: new Uint8Array(32).fill(0xff),
      side: 'bid',
      status: 'unmatched',
      filled: Number.MAX_SAFE_INTEGER,
      reason: ORDER_DROP_REASONS.reduce((a, b) => (b.length > a.length ? b : a)),
    });
    const trade: TradeView = { serial: Number.MAX_SAFE_INTEGER, seller: key, buyer: key, price: MAX_AMOUNT, royalty: MAX_AMOUNT, version: Number.MAX_SAFE_INTEGER, listing: false };
    const outcomes = Array.from({ length: MAX_EPOCH_PAGE }, (_, i) => outcome(Number.MAX_SAFE_INTEGER - i));
    const trades = Array.from({ length: MAX_EPOCH_PAGE }, () => trade);
    const pages = [
      { status: 'ok' as const, outcomes, next: Number.MAX_SAFE_INTEGER },
      { status: 'ok' as const, trades, next: Number.MAX_SAFE_INTEGER },
    ];
    for (const page of pages) {
      const bytes = encodeContractQueryResult(page);
      expect(bytes.length).toBeLessThan(128 * 1024);
      expect(decodeContractQueryResult(bytes)).toEqual(page);
    }
    // one item more than a page is not an answer
    expect(() => decodeContractQueryResult(encodeContractQueryResult({ status: 'ok', outcomes: [...outcomes, outcome(0)] }))).toThrow(expect.objectContaining({ name: 'CodecError' }));
    expect(() => decodeContractQueryResult(encodeContractQueryResult({ status: 'ok', trades: [...trades, trade] }))).toThrow(expect.objectContaining({ name: 'CodecError' }));
    expect(() => decodeContractQueryResult(encode({ status: 'ok', trades: [], next: -1 }))).toThrow(expect.objectContaining({ name: 'CodecError' }));
  });
});
