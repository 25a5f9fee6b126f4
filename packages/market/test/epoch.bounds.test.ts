/**
 * Sealed-order epochs under hostile inputs: cutoffs and settlement cost what
 * the epochs with orders cost, never the number of epochs that went by; a
 * listing frozen into an epoch is that very listing, not a later one of the
 * same ticket; the per-epoch order allowance is per person (event tag), not
 * per key; and one operation's result lists a bounded number of epochs.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { eventId } from '@admitone/core';
import { MAX_EPOCHS, MAX_EPOCHS_PER_RESULT, type ContractResult } from '../src/contract/index.js';
import { EVENT, HOUR, T0, harness, makeActor, ok, policy, replayInto, type Actor, type Harness } from './contract-helpers.js';
import { outcomesOf, postAll, submit, tradesOf } from './epoch-helpers.js';

let h: Harness;
let org: Actor, alice: Actor, carol: Actor, dave: Actor;

beforeEach(async () => {
  h = await harness();
  [org, alice, carol, dave] = (await Promise.all(['org', 'alice', 'carol', 'dave'].map((n) => makeActor(h.crypto, n)))) as [Actor, Actor, Actor, Actor];
});

describe('cutoffs and settlement cost what the epochs with orders cost', () => {
  it('one cutoff far past a 1 ms grid jumps over billions of empty epochs at once', async () => {
    // a legal grid (1 000 epochs over the resale window), cut off 4·10^15 epochs later: a step-by-step
    // walk would not end before the test's timeout (about 3 ns a step is 4·10^6 s)
    const FAR = 4_000_000_000_000_000;
    const grid = { resale: { start: T0, end: T0 + 1_000 }, epochs: { kind: 'time', lengthMs: 1 } } as const;
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy(grid) }));
    ok(await h.run(carol, { type: 'register', eventId: EVENT, credential: await h.credential(carol) }));
    const quiet = eventId('quiet-gig');
    ok(await h.run(org, { type: 'createEvent', eventId: quiet, policy: policy(grid) }));

    // an event without orders: the cutoff settles every epoch before it in one step
    h.now = T0 + FAR;
    const empty = await h.run(carol, { type: 'cutoff', eventId: quiet });
    expect(ok(empty).epochs).toEqual([expect.objectContaining({ epoch: 0, status: 'settled' })]);
    expect(h.contract.getEvent(quiet)).toMatchObject({ cutoffThrough: FAR, settledThrough: FAR });

    // an order in epoch 5 holds settlement there until its shares arrive, then settlement jumps to the cutoff
    h.now = T0 + 5;
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_000n }, 5));
    h.now = T0 + FAR;
    ok(await h.run(carol, { type: 'cutoff', eventId: EVENT }));
    expect(h.contract.getEvent(EVENT)).toMatchObject({ cutoffThrough: FAR, settledThrough: 5 });
    expect(h.contract.getEpoch(EVENT, 4)!.status).toBe('settled');
    expect(h.contract.getEpoch(EVENT, 5)!.status).toBe('closed');
    expect(h.contract.getEpoch(EVENT, 6)!.status).toBe('closed');
    const shares = await postAll(h, [0, 1], 5);
    expect(shares.every((r) => r.status === 'ok')).toBe(true);
    expect(h.contract.getEvent(EVENT)).toMatchObject({ cutoffThrough: FAR, settledThrough: FAR });
    expect(h.contract.getEpoch(EVENT, 5)).toMatchObject({ status: 'settled', orders: 1 });
    expect(h.contract.getEpoch(EVENT, FAR - 1)!.status).toBe('settled');

    // another replica agrees
    const twin = h.twin('other');
    await replayInto(twin, h.log);
    expect(twin.digest()).toEqual(h.contract.digest());
  });

  it(`a time grid may lay at most MAX_EPOCHS (${MAX_EPOCHS}) epochs over the resale window`, async () => {
    const grid = (window: number, lengthMs: number) => policy({ resale: { start: T0, end: T0 + window }, epochs: { kind: 'time', lengthMs } });
    expect(await h.run(org, { type: 'createEvent', eventId: eventId('too-fine'), policy: grid(MAX_EPOCHS + 1, 1) })).toEqual({ status: 'rejected', reason: 'invalid_policy' });
    expect(await h.run(org, { type: 'createEvent', eventId: eventId('too-fine-2'), policy: grid(2 * MAX_EPOCHS + 1, 2) })).toEqual({ status: 'rejected', reason: 'invalid_policy' });
    ok(await h.run(org, { type: 'createEvent', eventId: eventId('just-fine'), policy: grid(MAX_EPOCHS, 1) }));
    ok(await h.run(org, { type: 'createEvent', eventId: eventId('just-fine-2'), policy: grid(2 * MAX_EPOCHS, 2) }));
  });

  it(`one operation's result lists at most MAX_EPOCHS_PER_RESULT (${MAX_EPOCHS_PER_RESULT}) epochs, lowest first`, async () => {
    const n = MAX_EPOCHS_PER_RESULT + 2;
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy({ resale: { start: T0, end: T0 + 10 * n }, epochs: { kind: 'time', lengthMs: 10 } }) }));
    ok(await h.run(carol, { type: 'register', eventId: EVENT, credential: await h.credential(carol) }));
    for (let k = 0; k < n; k++) {
      h.now = T0 + 10 * k;
      ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_000n }, k));
    }
    h.now = T0 + 10 * n;
    ok(await h.run(carol, { type: 'cutoff', eventId: EVENT }));
    // every epoch but 0 gets its shares; the shares of epoch 0 then settle all n epochs in one operation
    for (let k = 1; k < n; k++) await postAll(h, [0, 1], k);
    expect(h.contract.getEvent(EVENT)!.settledThrough).toBe(0);
    const results = await postAll(h, [0, 1], 0);
    const last = ok(results[results.length - 1] as ContractResult);
    expect(h.contract.getEvent(EVENT)!.settledThrough).toBe(n);
    expect(last.epochs).toHaveLength(MAX_EPOCHS_PER_RESULT);
    expect(last.epochs!.map((e) => e.epoch)).toEqual(Array.from({ length: MAX_EPOCHS_PER_RESULT }, (_, k) => k));
  });
});

describe('a frozen listing is that very listing', () => {
  it('a ticket sold in one epoch and re-listed by its buyer after the next cutoff is neither locked nor sold by the stale entry', async () => {
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    for (const a of [alice, carol, dave]) await h.fund(a, 50_000n);
    ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(alice) }));
    for (const a of [carol, dave]) ok(await h.run(a, { type: 'register', eventId: EVENT, credential: await h.credential(a) }));
    h.now = T0 + 10;
    ok(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 1, price: 5_500n }));
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 6_000n }, 0));
    ok(await submit(h, dave, { side: 'bid', quantity: 1, maxPrice: 6_000n }, 1));
    // one cutoff closes epochs 0 and 1: alice's listing is frozen into both
    h.now = T0 + 2 * HOUR + 5;
    ok(await h.run(dave, { type: 'cutoff', eventId: EVENT }));
    expect(await h.run(alice, { type: 'cancelListing', eventId: EVENT, serial: 1 })).toEqual({ status: 'rejected', reason: 'locked_in_epoch' });

    // epoch 0 sells the listing to carol
    await postAll(h, [0, 1], 0);
    expect(tradesOf(h.contract)).toEqual([expect.objectContaining({ serial: 1, seller: alice.id, buyer: carol.id, listing: true })]);
    expect(h.contract.getTicket(EVENT, 1)).toMatchObject({ holder: carol.id, version: 2 });

    // carol lists it at the same price after epoch 1's cutoff: epoch 1's entry (alice's listing) does not lock it
    ok(await h.run(carol, { type: 'listForResale', eventId: EVENT, serial: 1, price: 5_500n }));
    ok(await h.run(carol, { type: 'cancelListing', eventId: EVENT, serial: 1 }));
    ok(await h.run(carol, { type: 'listForResale', eventId: EVENT, serial: 1, price: 5_500n }));

    // ... nor sell it: dave's bid in epoch 1 finds nothing for sale
    await postAll(h, [0, 1], 1);
    const e1 = h.contract.getEpoch(EVENT, 1)!;
    expect(e1.status).toBe('settled');
    expect(e1).toMatchObject({ outcomes: 1, trades: 0 });
    expect(tradesOf(h.contract, 1)).toEqual([]);
    expect(outcomesOf(h.contract, 1)).toEqual([expect.objectContaining({ submitter: dave.id, status: 'unmatched', filled: 0 })]);
    expect(h.contract.getTicket(EVENT, 1)).toMatchObject({ holder: carol.id, version: 2, listing: 5_500n });
    expect(h.contract.getAccount(dave.id)).toEqual({ account: dave.id, balance: 50_000n, escrow: 0n });

    const twin = h.twin('other');
    await replayInto(twin, h.log);
    expect(twin.snapshot()).toEqual(h.contract.snapshot());
  });

  it('frozen entries survive snapshot and restore with their holder and version', async () => {
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    await h.fund(alice, 50_000n);
    await h.fund(carol, 50_000n);
    ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(alice) }));
    ok(await h.run(carol, { type: 'register', eventId: EVENT, credential: await h.credential(carol) }));
    h.now = T0 + 10;
    ok(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 1, price: 5_500n }));
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 6_000n }));
    h.now = T0 + HOUR + 5;
    ok(await h.run(carol, { type: 'cutoff', eventId: EVENT }));
    const twin = h.twin('restored');
    twin.restore(h.contract.snapshot());
    expect(twin.snapshot()).toEqual(h.contract.snapshot());
    // the restored replica locks the frozen listing and sells it at settlement exactly like the original
    const mark = h.log.length;
    expect(await h.run(alice, { type: 'cancelListing', eventId: EVENT, serial: 1 })).toEqual({ status: 'rejected', reason: 'locked_in_epoch' });
    await postAll(h, [2, 3]);
    expect(tradesOf(h.contract)).toEqual([expect.objectContaining({ serial: 1, seller: alice.id, buyer: carol.id, listing: true })]);
    await replayInto(twin, h.log.slice(mark));
    expect(twin.snapshot()).toEqual(h.contract.snapshot());
  });
});

describe('the per-epoch order allowance is per person', () => {
  it('every key one person registered draws on one allowance (maxOrdersPerAccount per event tag)', async () => {
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy({ maxOrdersPerAccount: 2 }) }));
    const keys = await Promise.all([0, 1, 2].map((k) => makeActor(h.crypto, `mallory-key-${k}`)));
    for (const m of keys) ok(await h.run(m, { type: 'register', eventId: EVENT, credential: await h.credential(m, { tag: 'mallory' }) }));
    ok(await h.run(carol, { type: 'register', eventId: EVENT, credential: await h.credential(carol) }));
    h.now = T0 + 10;
    const [k0, k1, k2] = keys as [Actor, Actor, Actor];
    ok(await submit(h, k0, { side: 'bid', quantity: 1, maxPrice: 1_000n }));
    ok(await submit(h, k1, { side: 'bid', quantity: 1, maxPrice: 1_001n }));
    expect(await submit(h, k2, { side: 'bid', quantity: 1, maxPrice: 1_002n })).toEqual({ status: 'rejected', reason: 'too_many_orders' });
    expect(await submit(h, k0, { side: 'bid', quantity: 1, maxPrice: 1_003n })).toEqual({ status: 'rejected', reason: 'too_many_orders' });
    // another person is unaffected, and the next epoch has a fresh allowance
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_000n }));
    ok(await submit(h, k2, { side: 'bid', quantity: 1, maxPrice: 1_004n }, 1));
    // a restored replica counts the same way
    const twin = h.twin('restored');
    twin.restore(h.contract.snapshot());
    const log = h.log.length;
    expect(await submit(h, k2, { side: 'bid', quantity: 1, maxPrice: 1_005n })).toEqual({ status: 'rejected', reason: 'too_many_orders' });
    await replayInto(twin, h.log.slice(log));
    expect(twin.snapshot()).toEqual(h.contract.snapshot());
    expect(h.contract.getEpoch(EVENT, 0)!.orders).toBe(3);
  });
});
