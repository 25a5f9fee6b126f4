/**
 * "Which tickets do I hold?": the `tickets` query's `holder` filter and the
 * derived index behind it.
 *
 * - the index's per-key set (core's `SortedSet<number>`, sorted chunks) against a plain
 *   sorted array over random adds, deletes and pages, across chunk splits;
 * - over random sequences of primary buys, transfers, listings, sealed asks
 *   and bids settled into resales, refunds, disputes and revocations on two
 *   events, every key's holder pages (through `query` and
 *   `listTicketsHeldBy`, at random page sizes) equal a brute-force filter of
 *   every ticket by holder, after every operation — and again on a twin
 *   restored from the final snapshot and on one restored part-way that then
 *   executed the remaining requests (same digests: the index is not in them);
 * - bad input (a holder that is not 32 bytes, a limit out of range, an
 *   unknown event, undecodable junk) is a typed rejection from `query`, never
 *   a throw; the direct method throws `RangeError`/`TypeError` naming the
 *   argument.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SORTED_SET_MAX_CHUNK as MAX_CHUNK, createSortedSet, encode, eventId, hexToBytes, type CborValue, type ClientId, type EventId } from '@admitone/core';
import {
  MAX_TICKETS_PAGE,
  decodeContractQuery,
  decodeContractQueryResult,
  encodeContractQuery,
  resaleCapPrice,
  type ContractResult,
  type EventContract,
  type EventPolicy,
  type TicketView,
} from '../src/contract/index.js';
import type { MarketOrder } from '../src/epoch/index.js';
import { HOUR, T0, harness, makeActor, ok, orderCommittee, policy, replayInto, type Actor, type Harness } from './contract-helpers.js';
import { postAll, submit, tradesOf } from './epoch-helpers.js';

/** core's `SortedSet<number>` as the contract pages it: one more than the page tells whether more follow. */
function createSerialSet() {
  const set = createSortedSet<number>();
  return {
    get size() {
      return set.size;
    },
    add: (serial: number) => set.insert(serial),
    delete: (serial: number) => set.delete(serial),
    page(after: number, limit: number) {
      const found = set.page(after, limit + 1);
      return { serials: found.slice(0, limit), more: found.length > limit };
    },
  };
}

describe('SortedSet<number> (the per-key index) paged as the contract pages it', () => {
  const op = fc.oneof(
    { arbitrary: fc.record({ k: fc.constant('add' as const), serial: fc.integer({ min: 1, max: 3 * MAX_CHUNK }) }), weight: 6 },
    // runs of consecutive serials: what issuing in order looks like, and what fills and splits chunks
    { arbitrary: fc.record({ k: fc.constant('run' as const), from: fc.integer({ min: 1, max: 3 * MAX_CHUNK }), n: fc.integer({ min: 1, max: MAX_CHUNK + 3 }) }), weight: 1 },
    { arbitrary: fc.record({ k: fc.constant('delete' as const), serial: fc.integer({ min: 1, max: 3 * MAX_CHUNK }) }), weight: 4 },
    { arbitrary: fc.record({ k: fc.constant('page' as const), after: fc.integer({ min: 0, max: 3 * MAX_CHUNK + 5 }), limit: fc.integer({ min: 1, max: MAX_CHUNK + 10 }) }), weight: 3 },
  );

  it('agrees with a sorted array over random adds, deletes and pages, across chunk splits and emptied chunks', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const set = createSerialSet();
        let model: number[] = [];
        const add = (s: number) => {
          const fresh = !model.includes(s);
          expect(set.add(s)).toBe(fresh);
          if (fresh) model = [...model, s].sort((a, b) => a - b);
        };
        for (const o of ops) {
          if (o.k === 'add') add(o.serial);
          else if (o.k === 'run') for (let s = o.from; s < o.from + o.n; s++) add(s);
          else if (o.k === 'delete') {
            const present = model.includes(o.serial);
            expect(set.delete(o.serial)).toBe(present);
            if (present) model = model.filter((s) => s !== o.serial);
          } else {
            const rest = model.filter((s) => s > o.after);
            expect(set.page(o.after, o.limit)).toEqual({ serials: rest.slice(0, o.limit), more: rest.length > o.limit });
          }
          expect(set.size).toBe(model.length);
        }
        // a full walk in pages of every size sees every serial once
        expect(walk(set, 7)).toEqual(model);
      }),
      { numRuns: 300, seed: 7_331 },
    );
  });

  it('pages 100 000 serials issued in order, and keeps them after deleting every other one', () => {
    const set = createSerialSet();
    for (let s = 1; s <= 100_000; s++) set.add(s);
    expect(set.page(49_998, 3)).toEqual({ serials: [49_999, 50_000, 50_001], more: true });
    expect(set.page(99_999, 5)).toEqual({ serials: [100_000], more: false });
    for (let s = 2; s <= 100_000; s += 2) expect(set.delete(s)).toBe(true);
    expect(set.size).toBe(50_000);
    expect(set.page(50_000, 2)).toEqual({ serials: [50_001, 50_003], more: true });
    expect(walk(set, MAX_TICKETS_PAGE).length).toBe(50_000);
  });
});

function walk(set: ReturnType<typeof createSerialSet>, limit: number): number[] {
  const out: number[] = [];
  let after = 0;
  for (;;) {
    const { serials, more } = set.page(after, limit);
    out.push(...serials);
    if (!more) return out;
    after = serials[serials.length - 1]!;
  }
}

// ---------------------------------------------------------------------------
// the contract

const MARKET = eventId('holdings-market');
const QUIET = eventId('holdings-quiet');
/** p3a and p3b are one person (one event tag) with two keys. */
const NAMES = ['p0', 'p1', 'p2', 'p3a', 'p3b'] as const;
const TAG: Record<(typeof NAMES)[number], string> = { p0: 'p0', p1: 'p1', p2: 'p2', p3a: 'p3', p3b: 'p3' };
const WINDOW = { start: T0 - HOUR, end: T0 + 48 * HOUR };
const MARKET_POLICY: EventPolicy = policy({ capacity: 12, facePrice: 1_000n, perPersonCap: 4, sale: WINDOW, resale: { start: T0, end: T0 + 48 * HOUR }, maxOrdersPerAccount: 4 });
const QUIET_POLICY: EventPolicy = policy({ capacity: 6, facePrice: 0n, perPersonCap: 3, sale: WINDOW, resaleCap: { kind: 'absolute', amount: 100n } });
const CAP = resaleCapPrice(MARKET_POLICY);

/** A person by index, or whoever holds the ticket the command names (most commands, so that they apply). */
type By = number | 'holder';
type Cmd =
  | { k: 'buy'; who: number; quiet: boolean; qty: number }
  | { k: 'transfer'; by: By; quiet: boolean; serial: number; to: number }
  | { k: 'list'; by: By; serial: number; price: bigint }
  | { k: 'unlist'; by: By; serial: number }
  | { k: 'ask'; by: By; serial: number; price: bigint }
  | { k: 'bid'; who: number; qty: number; maxPrice: bigint }
  | { k: 'settle' }
  | { k: 'refund'; serial: number }
  | { k: 'dispute'; serial: number; then: 'pending' | 'reinstate' | 'revoke' | 'refund' };

const who = fc.integer({ min: 0, max: NAMES.length - 1 });
const by: fc.Arbitrary<By> = fc.oneof({ arbitrary: fc.constant('holder' as const), weight: 5 }, { arbitrary: who, weight: 1 });
const serial = fc.integer({ min: 1, max: 11 });
const price = fc.bigInt({ min: 900n, max: CAP });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('buy' as const), who, quiet: fc.boolean(), qty: fc.integer({ min: 1, max: 3 }) }), weight: 5 },
  { arbitrary: fc.record({ k: fc.constant('transfer' as const), by, quiet: fc.boolean(), serial, to: who }), weight: 4 },
  { arbitrary: fc.record({ k: fc.constant('list' as const), by, serial, price }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('unlist' as const), by, serial }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('ask' as const), by, serial, price }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('bid' as const), who, qty: fc.integer({ min: 1, max: 2 }), maxPrice: fc.bigInt({ min: 1_000n, max: CAP }) }), weight: 3 },
  { arbitrary: fc.constant({ k: 'settle' as const }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('refund' as const), serial }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('dispute' as const), serial, then: fc.constantFrom('pending' as const, 'reinstate' as const, 'revoke' as const, 'refund' as const) }), weight: 2 },
);

describe('holder pages (property)', () => {
  it('equal a brute-force filter by holder after every buy, transfer, listing, settled resale, refund and revocation, and after restore', async () => {
    const orders = await orderCommittee((await harness({ seed: 'holdings' })).crypto, 4, 2, 'holdings-committee');
    // how often each holder-changing path ran, over all runs: the property must have exercised them all
    const seen = { issued: 0, transferred: 0, resold: 0, refunded: 0, revoked: 0, listed: 0 };
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 4, maxLength: 40, size: 'medium' }), fc.integer({ min: 1, max: 4 }), fc.nat(), async (cmds, pageSize, cutSeed) => {
        const h = await harness({ seed: 'holdings', orders });
        const org = await makeActor(h.crypto, `holdings/org-${run++}`);
        const people = await Promise.all(NAMES.map((n) => makeActor(h.crypto, `holdings/${n}`)));
        const outsider = await makeActor(h.crypto, 'holdings/outsider');
        const creds = new Map<string, Uint8Array>();
        for (const [i, p] of people.entries()) {
          for (const e of [MARKET, QUIET]) creds.set(`${i}/${e}`, await h.credential(p, { eventId: e, tag: TAG[NAMES[i]!] }));
        }
        h.now = T0 + 1;
        ok(await h.run(org, { type: 'createEvent', eventId: MARKET, policy: MARKET_POLICY }));
        ok(await h.run(org, { type: 'createEvent', eventId: QUIET, policy: QUIET_POLICY }));
        for (const [i, p] of people.entries()) {
          await h.fund(p, 20_000n);
          for (const e of [MARKET, QUIET]) ok(await h.run(p, { type: 'register', eventId: e, credential: creds.get(`${i}/${e}`)! }));
        }
        const keys: ClientId[] = [...people.map((p) => p.id), outsider.id, org.id];
        let epoch = 0;
        let ordersInEpoch = 0;

        // every person starts with tickets in the market event, p0 and p1 in the quiet one
        for (const [i, p] of people.entries()) {
          ok(await h.run(p, { type: 'buyPrimary', eventId: MARKET, quantity: i < 2 ? 2 : 1, credential: creds.get(`${i}/${MARKET}`)! }));
          if (i < 2) ok(await h.run(p, { type: 'buyPrimary', eventId: QUIET, quantity: 1, credential: creds.get(`${i}/${QUIET}`)! }));
        }
        seen.issued += 9;
        /** A command's serial, folded onto the issued ones (a few out of range, so not_found stays covered). */
        const pick = (e: EventId, s: number): number => (s > 10 ? s + 2 : ((s - 1) % h.contract.getEvent(e)!.issued) + 1);
        const holderOf = (e: EventId, s: number): Actor | undefined => people.find((p) => p.id === h.contract.getTicket(e, s)?.holder);
        const actor = (b: By, e: EventId, s: number): Actor => (b === 'holder' ? (holderOf(e, s) ?? people[0]!) : people[b]!);
        const count = (r: ContractResult, field: keyof typeof seen) => {
          if (r.status === 'ok') seen[field]++;
          return r;
        };

        // a replica restored from a snapshot taken part-way, then fed the rest of the requests
        const cut = cutSeed % (cmds.length + 1);
        let midway: { readonly replica: EventContract; readonly from: number } | undefined;
        for (const [i, c] of cmds.entries()) {
          if (i === cut) midway = restoredTwin(h, 'holdings-midway');
          switch (c.k) {
            case 'buy': {
              const e = c.quiet ? QUIET : MARKET;
              const r = await h.run(people[c.who]!, { type: 'buyPrimary', eventId: e, quantity: c.qty, credential: creds.get(`${c.who}/${e}`)! });
              if (r.status === 'ok') seen.issued += c.qty;
              break;
            }
            case 'transfer': {
              const e = c.quiet ? QUIET : MARKET;
              const s = pick(e, c.serial);
              count(await h.run(actor(c.by, e, s), { type: 'transfer', eventId: e, serial: s, to: people[c.to]!.publicKey }), 'transferred');
              break;
            }
            case 'list': {
              const s = pick(MARKET, c.serial);
              count(await h.run(actor(c.by, MARKET, s), { type: 'listForResale', eventId: MARKET, serial: s, price: c.price }), 'listed');
              break;
            }
            case 'unlist': {
              const s = pick(MARKET, c.serial);
              await h.run(actor(c.by, MARKET, s), { type: 'cancelListing', eventId: MARKET, serial: s });
              break;
            }
            case 'ask':
            case 'bid': {
              const s = c.k === 'ask' ? pick(MARKET, c.serial) : 0;
              const order: MarketOrder = c.k === 'ask' ? { side: 'ask', serial: s, price: c.price } : { side: 'bid', quantity: c.qty, maxPrice: c.maxPrice };
              const from = c.k === 'ask' ? actor(c.by, MARKET, s) : people[c.who]!;
              if ((await submit(h, from, order, epoch, MARKET)).status === 'ok') ordersInEpoch++;
              break;
            }
            case 'settle': {
              h.now = T0 + (epoch + 1) * HOUR + 1;
              ok(await h.run(org, { type: 'cutoff', eventId: MARKET }));
              if (ordersInEpoch > 0) {
                await postAll(h, [0, 1], epoch, MARKET);
                const settled = h.contract.getEpoch(MARKET, epoch)!;
                expect(settled.status).toBe('settled');
                seen.resold += tradesOf(h.contract, epoch, MARKET).length;
                expect(settled.trades).toBe(tradesOf(h.contract, epoch, MARKET, 1).length);
              }
              epoch++;
              ordersInEpoch = 0;
              break;
            }
            case 'refund':
              count(await h.run(org, { type: 'refund', eventId: MARKET, serial: pick(MARKET, c.serial) }), 'refunded');
              break;
            case 'dispute': {
              // the organizer disputes a ticket and resolves it at once, or leaves it disputed
              const s = pick(MARKET, c.serial);
              const disputed = await h.run(org, { type: 'dispute', eventId: MARKET, serial: s, note: 'check at the box office' });
              if (disputed.status !== 'ok' || c.then === 'pending') break;
              ok(await h.run(org, { type: 'resolve', eventId: MARKET, serial: s, outcome: c.then }));
              if (c.then !== 'reinstate') seen[c.then === 'revoke' ? 'revoked' : 'refunded']++;
              break;
            }
          }
          for (const e of [MARKET, QUIET]) for (const key of keys) expectPagesMatch(h.contract, h.contract, e, key, pageSize);
        }

        // a replica restored from the final snapshot rebuilds the index: same pages, same digest (the index is not in it);
        // and so does the one restored part-way once it has executed the rest of the requests
        midway ??= restoredTwin(h, 'holdings-midway');
        await replayInto(midway.replica, h.log.slice(midway.from));
        for (const replica of [restoredTwin(h, 'holdings-restored').replica, midway.replica]) {
          expect(replica.digest()).toEqual(h.contract.digest());
          for (const e of [MARKET, QUIET]) for (const key of keys) expectPagesMatch(h.contract, replica, e, key, pageSize);
        }
      }),
      { numRuns: 20, seed: 20_260_214 },
    );
    // every path that changes (or keeps) a holder ran in some run
    for (const [path, n] of Object.entries(seen)) expect(n, path).toBeGreaterThan(0);
  });
});

/** A twin of `h`'s contract restored from its snapshot now, and where `h.log` stands. */
function restoredTwin(h: Harness, name: string): { readonly replica: EventContract; readonly from: number } {
  const replica = h.twin(name);
  replica.restore(h.contract.snapshot());
  return { replica, from: h.log.length };
}

/** Walks `key`'s pages of event `e` on `replica` and checks them against a brute-force filter of `truth`'s tickets. */
function expectPagesMatch(truth: EventContract, replica: EventContract, e: EventId, key: ClientId, limit: number): void {
  const issued = truth.getEvent(e)!.issued;
  const expected: TicketView[] = [];
  for (let s = 1; s <= issued; s++) {
    const t = truth.getTicket(e, s)!;
    if (t.holder === key) expected.push(t);
  }
  const viaQuery: TicketView[] = [];
  const viaMethod: TicketView[] = [];
  const holder = hexToBytes(key);
  let after = 0;
  for (let guard = 0; guard <= issued + 1; guard++) {
    const answer = decodeContractQueryResult(replica.query(encodeContractQuery({ type: 'tickets', eventId: e, holder, after, limit })));
    if (answer.status !== 'ok' || !('tickets' in answer)) throw new Error(`holder page refused: ${JSON.stringify(answer)}`);
    const direct = replica.listTicketsHeldBy(e, guard % 2 === 0 ? key : holder, after, limit)!;
    expect({ status: 'ok', ...direct }).toEqual(answer);
    expect(answer.tickets.length).toBeLessThanOrEqual(limit);
    viaQuery.push(...answer.tickets);
    viaMethod.push(...direct.tickets);
    if (answer.next === undefined) break;
    // a page with a successor is full, and its cursor is its last serial
    expect(answer.tickets.length).toBe(limit);
    expect(answer.next).toBe(answer.tickets.at(-1)!.serial);
    after = answer.next;
  }
  expect(viaQuery).toEqual(expected);
  expect(viaMethod).toEqual(expected);
}

describe('holder pages: bad input and edges', () => {
  async function setup(): Promise<{ h: Harness; alice: Actor; bob: Actor }> {
    const h = await harness({ seed: 'holdings-edges' });
    const [org, alice, bob] = await Promise.all(['org', 'alice', 'bob'].map((n) => makeActor(h.crypto, `holdings-edges/${n}`)));
    ok(await h.run(org!, { type: 'createEvent', eventId: MARKET, policy: MARKET_POLICY }));
    await h.fund(alice!, 10_000n);
    await h.fund(bob!, 10_000n);
    ok(await h.run(alice!, { type: 'buyPrimary', eventId: MARKET, quantity: 3, credential: await h.credential(alice!, { eventId: MARKET }) }));
    ok(await h.run(bob!, { type: 'buyPrimary', eventId: MARKET, quantity: 1, credential: await h.credential(bob!, { eventId: MARKET }) }));
    ok(await h.run(alice!, { type: 'transfer', eventId: MARKET, serial: 2, to: bob!.publicKey }));
    return { h, alice: alice!, bob: bob! };
  }
  const ask = (c: EventContract, q: unknown) => decodeContractQueryResult(c.query(encode(q as CborValue)));

  it('pages a holder in serial order with a cursor; a key holding nothing gets an empty page', async () => {
    const { h, alice, bob } = await setup();
    const serials = (q: Parameters<typeof encodeContractQuery>[0]) => {
      const a = decodeContractQueryResult(h.contract.query(encodeContractQuery(q)));
      return a.status === 'ok' && 'tickets' in a ? [a.tickets.map((t) => t.serial), a.next] : a;
    };
    expect(serials({ type: 'tickets', eventId: MARKET, holder: alice.publicKey, limit: 1 })).toEqual([[1], 1]);
    expect(serials({ type: 'tickets', eventId: MARKET, holder: alice.publicKey, after: 1, limit: 1 })).toEqual([[3], undefined]);
    expect(serials({ type: 'tickets', eventId: MARKET, holder: bob.publicKey })).toEqual([[2, 4], undefined]);
    expect(serials({ type: 'tickets', eventId: MARKET, holder: bob.publicKey, after: 4 })).toEqual([[], undefined]);
    expect(serials({ type: 'tickets', eventId: MARKET, holder: new Uint8Array(32).fill(7) })).toEqual([[], undefined]);
    // without a holder the query is the event's tickets, as before
    expect(serials({ type: 'tickets', eventId: MARKET })).toEqual([[1, 2, 3, 4], undefined]);
  });

  it('answers a bad holder, limit or after with malformed and an unknown event with not_found, never a throw', async () => {
    const { h, alice } = await setup();
    const malformed = { status: 'rejected', reason: 'malformed' };
    for (const holder of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0), alice.id, 7, null]) {
      expect(ask(h.contract, { type: 'tickets', eventId: MARKET, holder }), String(holder)).toEqual(malformed);
    }
    for (const limit of [0, -1, MAX_TICKETS_PAGE + 1, 2n ** 64n, '10', null]) {
      expect(ask(h.contract, { type: 'tickets', eventId: MARKET, holder: alice.publicKey, limit }), String(limit)).toEqual(malformed);
    }
    for (const after of [-1, 2n ** 60n, 'x', new Uint8Array(1)]) expect(ask(h.contract, { type: 'tickets', eventId: MARKET, holder: alice.publicKey, after })).toEqual(malformed);
    expect(ask(h.contract, { type: 'tickets', eventId: 'no-such-gig', holder: alice.publicKey })).toEqual({ status: 'rejected', reason: 'not_found' });
    expect(ask(h.contract, { type: 'tickets', eventId: MARKET, holder: alice.publicKey, limit: MAX_TICKETS_PAGE, after: Number.MAX_SAFE_INTEGER })).toEqual({ status: 'ok', tickets: [] });
    expect(() => decodeContractQuery(encode({ type: 'tickets', eventId: MARKET, holder: new Uint8Array(31) }))).toThrow(expect.objectContaining({ name: 'CodecError' }));
  });

  it('never throws from query on arbitrary tickets queries: ok, malformed or not_found', async () => {
    const { h, alice } = await setup();
    const field = <T>(a: fc.Arbitrary<T>) => fc.option(fc.oneof(a, fc.constant(null), fc.string({ maxLength: 3 }), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.boolean()), { nil: undefined });
    fc.assert(
      fc.property(
        fc.constantFrom<string>(MARKET, 'unknown-gig', ''),
        field(fc.oneof(fc.constant(alice.publicKey), fc.uint8Array({ minLength: 0, maxLength: 40 }))),
        field(fc.integer({ min: -3, max: Number.MAX_SAFE_INTEGER })),
        field(fc.integer({ min: -3, max: MAX_TICKETS_PAGE + 3 })),
        (e, holder, after, limit) => {
          const q: Record<string, unknown> = { type: 'tickets', eventId: e };
          if (holder !== undefined) q['holder'] = holder;
          if (after !== undefined) q['after'] = after;
          if (limit !== undefined) q['limit'] = limit;
          const answer = ask(h.contract, q);
          expect(answer.status === 'ok' || answer.reason === 'malformed' || answer.reason === 'not_found').toBe(true);
        },
      ),
      { numRuns: 400, seed: 99 },
    );
  });

  it('listTicketsHeldBy throws RangeError/TypeError naming the argument, and undefined for an unknown event', async () => {
    const { h, alice } = await setup();
    const c = h.contract;
    expect(() => c.listTicketsHeldBy(MARKET, new Uint8Array(31))).toThrow(RangeError);
    expect(() => c.listTicketsHeldBy(MARKET, alice.id.toUpperCase() as ClientId)).toThrow(/holder/);
    expect(() => c.listTicketsHeldBy(MARKET, 42 as unknown as ClientId)).toThrow(TypeError);
    expect(() => c.listTicketsHeldBy(MARKET, alice.id, -1)).toThrow(/after/);
    expect(() => c.listTicketsHeldBy(MARKET, alice.id, 0, MAX_TICKETS_PAGE + 1)).toThrow(/limit/);
    expect(c.listTicketsHeldBy(eventId('no-such-gig'), alice.id)).toBeUndefined();
    // views are copies: scribbling on one changes nothing
    const page = c.listTicketsHeldBy(MARKET, alice.id)!;
    (page.tickets as TicketView[]).length = 0;
    expect(c.listTicketsHeldBy(MARKET, alice.id)!.tickets.map((t) => t.serial)).toEqual([1, 3]);
  });
});
