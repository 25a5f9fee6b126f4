/**
 * Properties of the reveal and of settlement:
 *
 * - the small-integer Lagrange interpolation used at settlement equals the
 *   field interpolation of `@admitone/core/threshold` for every subset of
 *   members, and decrypts exactly what `tdh2Combine` decrypts;
 * - over random epochs of bids, asks and listings (valid and not), settlement
 *   conserves money and tickets, honours every bid's limit, the cap and the
 *   per-person cap, and a second replica reaches the same digest.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRandom, utf8ToBytes } from '@admitone/core';
import { lagrangeCoefficients } from '@admitone/core/threshold';
import { Fn } from '../src/tdh2/group.js';
import { msm } from '../src/tdh2/share.js';
import { sealedOrderLabel, tdh2Combine, tdh2DecryptionShare, tdh2Encrypt } from '../src/tdh2/index.js';
import { combineShares, integerLagrange, openOrder, shuffleRanks } from '../src/epoch/reveal.js';
import { resaleCapPrice, type EventPolicy } from '../src/contract/index.js';
import type { MarketOrder } from '../src/epoch/index.js';
import { EVENT, HOUR, T0, harness, makeActor, ok, orderCommittee, policy, replayInto } from './contract-helpers.js';
import { outcomesOf, postAll, submit, tradesOf } from './epoch-helpers.js';

describe('the reveal', () => {
  it('integer Lagrange coefficients are the field coefficients, for any small distinct points', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.bigInt({ min: 1n, max: 40n }), { minLength: 1, maxLength: 6 }), (xs) => {
        const { numerators, denominator } = integerLagrange(xs);
        const inv = Fn.inv(Fn.create(denominator));
        expect(numerators.map((n) => Fn.mul(Fn.create(n), inv))).toEqual(lagrangeCoefficients(Fn, xs, 0n));
      }),
      { numRuns: 200 },
    );
  });

  it('every (t+1)-subset of an n = 7, t = 2 committee recovers the same key and payload as tdh2Combine', async () => {
    const committee = await orderCommittee((await harness()).crypto, 7, 3, 'reveal-7');
    const random = seededRandom('reveal');
    const label = sealedOrderLabel(EVENT, 4);
    const ct = tdh2Encrypt(committee.publicKey, label, utf8ToBytes('a sealed order'), random);
    const shares = committee.keyShares.map((k) => tdh2DecryptionShare(k, ct, { random, expectedLabel: label }));
    fc.assert(
      fc.property(fc.shuffledSubarray(shares, { minLength: 3, maxLength: 3 }), (subset) => {
        const general = msm(
          subset.map((s) => s.ui),
          lagrangeCoefficients(
            Fn,
            subset.map((s) => s.index),
            0n,
          ),
        );
        expect(combineShares(subset).equals(general)).toBe(true);
        expect(openOrder(committee.publicKey, ct, subset)).toEqual(tdh2Combine(committee.publicKey, ct, subset, { random }).payload);
      }),
      { numRuns: 35 },
    );
  });

  it('shuffles are permutations, and the seed decides them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 60 }), (seed, n) => {
        const ranks = shuffleRanks(seed, n);
        expect([...ranks].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(shuffleRanks(seed, n)).toEqual(ranks);
      }),
    );
  });
});

type Side = { who: number; order: MarketOrder };

describe('settlement (property)', () => {
  it('conserves money and tickets and honours limits and caps over random epochs', async () => {
    const base = await harness({ seed: 'settle-property' });
    const names = ['s0', 's1', 's2', 'b0', 'b1', 'b2'];
    const people = await Promise.all(names.map((n) => makeActor(base.crypto, `prop/${n}`)));
    const pol: EventPolicy = policy({ capacity: 9, facePrice: 1_000n, perPersonCap: 4, resaleCap: { kind: 'percent', percent: 150 }, royaltyBps: 750 });
    const cap = resaleCapPrice(pol);
    const price = fc.oneof({ arbitrary: fc.bigInt({ min: 800n, max: cap }), weight: 8 }, { arbitrary: fc.bigInt({ min: -1n, max: cap + 300n }), weight: 2 });
    // sellers mostly ask for their own tickets (serials 3w+1 … 3w+3), buyers are mostly b0..b2
    const ask = fc
      .record({ who: fc.integer({ min: 0, max: 2 }), k: fc.integer({ min: 1, max: 3 }), stray: fc.integer({ min: 0, max: 9 }), price })
      .map(({ who, k, stray, price: p }): Side => ({ who, order: { side: 'ask', serial: stray === 0 ? ((who + 1) % 3) * 3 + k : who * 3 + k, price: p } }));
    const bid = fc
      .record({ who: fc.integer({ min: 0, max: 7 }), quantity: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3 }), weight: 9 }, { arbitrary: fc.constant(0), weight: 1 }), maxPrice: price })
      .map(({ who, quantity, maxPrice }): Side => ({ who: who > 5 ? who - 3 : who, order: { side: 'bid', quantity, maxPrice } }));
    const side: fc.Arbitrary<Side> = fc.oneof(ask, bid);
    const listings = fc.array(fc.record({ serial: fc.integer({ min: 1, max: 9 }), price: fc.bigInt({ min: 1n, max: cap }) }), { maxLength: 3 });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(side, { minLength: 2, maxLength: 8 }), listings, async (orders, lists) => {
        const h = await harness({ seed: 'settle-property', orders: base.orders });
        const org = await makeActor(h.crypto, `prop/org-${run++}`);
        ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: pol }));
        for (const p of people) await h.fund(p, 4_000n);
        // sellers s0..s2 hold serials 1-3, 4-6, 7-9; buyers are registered (b2 shares s0's tag: one person, two keys)
        for (const s of people.slice(0, 3)) ok(await h.run(s, { type: 'buyPrimary', eventId: EVENT, quantity: 3, credential: await h.credential(s) }));
        for (const [i, b] of people.slice(3).entries()) ok(await h.run(b, { type: 'register', eventId: EVENT, credential: await h.credential(b, i === 2 ? { tag: 'prop/s0' } : {}) }));
        h.now = T0 + 5;
        for (const l of lists) await h.run(people[Math.floor((l.serial - 1) / 3)]!, { type: 'listForResale', eventId: EVENT, serial: l.serial, price: l.price });
        for (const o of orders) ok(await submit(h, people[o.who]!, o.order));
        const before = people.map((p) => h.contract.getAccount(p.id));
        const supplyBefore = h.contract.supply();
        h.now = T0 + HOUR + 1;
        ok(await h.run(org, { type: 'cutoff', eventId: EVENT }));
        await postAll(h, [3, 1]);

        const epoch = h.contract.getEpoch(EVENT, 0)!;
        expect(epoch.status).toBe('settled');
        const supply = h.contract.supply();
        expect(supply.balances + supply.escrow).toBe(supply.deposited - supply.withdrawn);
        expect(supply.deposited).toBe(supplyBefore.deposited);
        // tickets: none created or destroyed; every trade moved one ticket to its buyer at a fair price
        expect(h.contract.getEvent(EVENT)).toMatchObject({ issued: 9, refunded: 0 });
        const spent = new Map<string, bigint>();
        const outcomes = outcomesOf(h.contract);
        const trades = tradesOf(h.contract);
        expect([outcomes.length, trades.length]).toEqual([epoch.outcomes, epoch.trades]);
        for (const t of trades) {
          expect(t.price <= cap && t.price >= 1n).toBe(true);
          expect(t.royalty).toBe((t.price * 750n) / 10_000n);
          const bid = outcomes.find((o) => o.submitter === t.buyer && o.side === 'bid')!;
          const limit = orders.filter((o) => people[o.who]!.id === t.buyer && o.order.side === 'bid').map((o) => (o.order as { maxPrice: bigint }).maxPrice);
          expect(bid).toBeDefined();
          expect(limit.some((m) => m >= t.price)).toBe(true);
          spent.set(t.buyer, (spent.get(t.buyer) ?? 0n) + t.price);
        }
        for (const [i, p] of people.entries()) {
          const now = h.contract.getAccount(p.id);
          expect(now.balance).toBe(before[i]!.balance - (spent.get(p.id) ?? 0n));
        }
        // per-person cap (s0 and b2 are one person)
        const held = new Map<string, number>();
        for (let s = 1; s <= 9; s++) {
          const holder = h.contract.getTicket(EVENT, s)!.holder;
          const person = holder === people[5]!.id ? people[0]!.id : holder;
          held.set(person, (held.get(person) ?? 0) + 1);
        }
        for (const n of held.values()) expect(n).toBeLessThanOrEqual(4);
        // another replica agrees
        const twin = h.twin('property-twin');
        await replayInto(twin, h.log);
        expect(twin.digest()).toEqual(h.contract.digest());
      }),
      { numRuns: 10, seed: 4_242 },
    );
  });
});

