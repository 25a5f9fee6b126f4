/**
 * F3B sealed-order epochs end to end on the event contract, with a
 * trusted-dealer order committee at n = 4, t = 1: orders sealed with TDH2,
 * committed while encrypted, cut off on the epoch grid, decrypted from
 * member shares posted after the cutoff, shuffled and matched under the
 * event's policy — and every replica reaching the same digest.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createRotatingCode, decode, encode, eventId, gateId, type CborRecord } from '@admitone/core';
import { ORDER_PAYLOAD_BYTES, encodeOrderPayload, decodeOrderPayload } from '../src/epoch/index.js';
import { tdh2Encrypt, encodeTdh2Ciphertext, sealedOrderLabel } from '../src/tdh2/index.js';
import { ticketIdOf, type ContractOp, type ContractResult, type EventContract } from '../src/contract/index.js';
import { business, EVENT, HOUR, T0, harness, makeActor, ok, policy, replayInto, type Actor, type Harness } from './contract-helpers.js';
import { outcomesOf, postAll, seal, shareOps, submit, tradesOf } from './epoch-helpers.js';

let h: Harness;
let org: Actor, alice: Actor, bob: Actor, carol: Actor, dave: Actor, erin: Actor;

beforeEach(async () => {
  h = await harness();
  [org, alice, bob, carol, dave, erin] = (await Promise.all(['org', 'alice', 'bob', 'carol', 'dave', 'erin'].map((n) => makeActor(h.crypto, n)))) as [Actor, Actor, Actor, Actor, Actor, Actor];
  ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
  for (const a of [alice, bob, carol, dave, erin]) await h.fund(a, 50_000n);
  ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 2, credential: await h.credential(alice) }));
  ok(await h.run(bob, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(bob) }));
  for (const a of [carol, dave, erin]) ok(await h.run(a, { type: 'register', eventId: EVENT, credential: await h.credential(a) }));
  h.now = T0 + 10; // epoch 0 of the resale grid: [T0, T0 + 1 h)
});

/** Moves the clock past epoch `e` and commits its cutoff. */
async function closeEpoch(e = 0): Promise<ContractResult> {
  h.now = T0 + (e + 1) * HOUR + 1;
  return h.run(carol, { type: 'cutoff', eventId: EVENT });
}

describe('an epoch end to end', () => {
  it('a sealed ask for a ticket scanned at a gate before settlement is dropped (ticket_scanned), not sold', async () => {
    const gate = await makeActor(h.crypto, 'gate');
    ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }));
    ok(await submit(h, alice, { side: 'ask', serial: 1, price: 5_000n }));
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_500n }));
    // alice walks in with ticket 1 while her sealed ask is still encrypted
    const code = await createRotatingCode(h.crypto, alice.secret, { deployment: 'test', ticketId: ticketIdOf(EVENT, 1), version: 1, timeMs: h.now, stepMs: 15_000 });
    ok(await h.run(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: { nonce: new Uint8Array(16).fill(1), gate: gateId('main'), time: h.now }, code }));
    ok(await closeEpoch());
    await postAll(h, [0, 1]);
    const epoch = h.contract.getEpoch(EVENT, 0)!;
    expect(epoch.status).toBe('settled');
    expect(outcomesOf(h.contract).find((o) => o.side === 'ask')).toMatchObject({ status: 'dropped', reason: 'ticket_scanned' });
    expect(epoch).toMatchObject({ outcomes: 2, trades: 0 });
    expect(tradesOf(h.contract)).toEqual([]);
    expect(h.contract.getTicket(EVENT, 1)).toMatchObject({ holder: alice.id, admission: 'consumed' });
  });

  it('settles asks, listings and bids under the policy; every replica reaches the same digest', async () => {
    ok(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 2, price: 5_300n })); // public listing
    ok(await submit(h, alice, { side: 'ask', serial: 1, price: 5_500n }));
    ok(await submit(h, bob, { side: 'ask', serial: 3, price: 5_200n }));
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 6_000n }));
    ok(await submit(h, dave, { side: 'bid', quantity: 1, maxPrice: 5_300n }));
    ok(await submit(h, erin, { side: 'bid', quantity: 1, maxPrice: 5_000n }));
    expect(h.contract.getEpoch(EVENT, 0)).toEqual({ eventId: EVENT, epoch: 0, status: 'open', orders: 5, decryptable: 0 });

    const closed = ok(await closeEpoch());
    expect(closed.epochs).toEqual([expect.objectContaining({ epoch: 0, status: 'closed', orders: 5 })]);
    // the frozen listing is locked until the epoch settles
    expect(await h.run(alice, { type: 'cancelListing', eventId: EVENT, serial: 2 })).toEqual({ status: 'rejected', reason: 'locked_in_epoch' });

    const posted = await postAll(h, [0, 1]);
    expect(posted.every((r) => r.status === 'ok')).toBe(true);
    const epoch = h.contract.getEpoch(EVENT, 0)!;
    expect(epoch).toMatchObject({ status: 'settled', orders: 5, decryptable: 5, outcomes: 5, trades: 2 });
    expect(epoch.seed).toHaveLength(32);
    // highest bid takes the cheapest ask; the listing at 5 300 covers dave; erin's 5 000 covers nothing left
    expect(tradesOf(h.contract)).toEqual([
      { serial: 3, seller: bob.id, buyer: carol.id, price: 5_200n, royalty: 520n, version: 2, listing: false },
      { serial: 2, seller: alice.id, buyer: dave.id, price: 5_300n, royalty: 530n, version: 2, listing: true },
    ]);
    expect(outcomesOf(h.contract).map((o) => [o.submitter, o.side, o.status, o.filled])).toEqual([
      [alice.id, 'ask', 'unmatched', 0],
      [bob.id, 'ask', 'filled', 1],
      [carol.id, 'bid', 'filled', 1],
      [dave.id, 'bid', 'filled', 1],
      [erin.id, 'bid', 'unmatched', 0],
    ]);
    // re-issued tickets, buyers paid, proceeds and royalties in escrow
    expect(h.contract.getTicket(EVENT, 3)).toMatchObject({ holder: carol.id, version: 2, paid: 5_200n });
    expect(h.contract.getTicket(EVENT, 2)).toMatchObject({ holder: dave.id, version: 2, paid: 5_300n });
    expect(h.contract.getTicket(EVENT, 2)).not.toHaveProperty('listing');
    expect(h.contract.getAccount(carol.id)).toEqual({ account: carol.id, balance: 44_800n, escrow: 0n });
    expect(h.contract.getAccount(bob.id)).toEqual({ account: bob.id, balance: 45_000n, escrow: 4_680n });
    expect(h.contract.getAccount(alice.id)).toEqual({ account: alice.id, balance: 40_000n, escrow: 4_770n });
    expect(h.contract.getAccount(org.id)).toEqual({ account: org.id, balance: 0n, escrow: 15_000n + 520n + 530n });
    expect(h.contract.supply()).toEqual({ deposited: 250_000n, withdrawn: 0n, balances: 250_000n - 25_500n, escrow: 25_500n });

    // another replica (other batch coefficients) executing the same requests reaches the same digest
    const twin = h.twin('another-replica');
    await replayInto(twin, h.log);
    expect(twin.digest()).toEqual(h.contract.digest());
    expect(twin.snapshot()).toEqual(h.contract.snapshot());

    // completion releases the escrow: the sellers get their proceeds
    h.now = T0 + 48 * HOUR;
    ok(await h.run(org, { type: 'completeEvent', eventId: EVENT }));
    expect(h.contract.getAccount(bob.id)).toEqual({ account: bob.id, balance: 49_680n, escrow: 0n });
  });

  it('a refund after resale unwinds both sales', async () => {
    ok(await submit(h, bob, { side: 'ask', serial: 3, price: 6_000n }));
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 6_000n }));
    await closeEpoch();
    await postAll(h, [2, 3]);
    expect(h.contract.getTicket(EVENT, 3)).toMatchObject({ holder: carol.id, version: 2 });
    ok(await h.run(org, { type: 'refund', eventId: EVENT, serial: 3 }));
    expect(h.contract.getAccount(carol.id)).toEqual({ account: carol.id, balance: 50_000n, escrow: 0n });
    expect(h.contract.getAccount(bob.id)).toEqual({ account: bob.id, balance: 50_000n, escrow: 0n });
    expect(h.contract.getAccount(org.id)).toEqual({ account: org.id, balance: 0n, escrow: 10_000n });
  });

  it('restores mid-epoch and finishes identically, verifying shares in execute when prepare lacked the ciphertexts', async () => {
    ok(await submit(h, bob, { side: 'ask', serial: 3, price: 5_800n }));
    ok(await submit(h, carol, { side: 'bid', quantity: 2, maxPrice: 5_900n }));
    await closeEpoch();
    const [first] = shareOps(h, 1);
    ok(await h.run(h.orders.members[1]!, first!));
    const twin = h.twin('restored');
    const second = shareOps(h, 2);
    // the twin prepares before it has any state (no ciphertexts to batch against), then restores
    const { signRequest, } = await import('@admitone/core');
    const { encodeContractOp } = await import('../src/contract/index.js');
    const member = h.orders.members[2]!;
    const request = await signRequest(h.crypto, member.secret, { deployment: 'test', requestSeq: member.nextSeq++, op: encodeContractOp(second[0]!) });
    const early = await twin.prepare(request);
    expect(early.shares?.verdicts).toBeUndefined();
    twin.restore(h.contract.snapshot());
    const ctx = { seq: h.seq + 1, timestamp: h.now };
    const a = h.contract.execute(await h.contract.prepare(request), ctx);
    const b = twin.execute(early, ctx);
    expect(b).toEqual(a);
    expect(twin.digest()).toEqual(h.contract.digest());
    expect(twin.getEpoch(EVENT, 0)).toMatchObject({ status: 'settled' });
    expect(twin.getTicket(EVENT, 3)).toMatchObject({ holder: carol.id });
  });

  it('cutoffs follow a seq grid when the policy says so', async () => {
    const gig = eventId('seq-gig');
    ok(await h.run(org, { type: 'createEvent', eventId: gig, policy: policy({ epochs: { kind: 'seq', length: 5 } }) }));
    const created = h.seq;
    ok(await h.run(carol, { type: 'register', eventId: gig, credential: await h.credential(carol, { eventId: gig }) }));
    expect(await h.run(carol, { type: 'cutoff', eventId: gig })).toEqual({ status: 'rejected', reason: 'too_early' });
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_000n }, 0, gig));
    // slot created + 5 starts epoch 1: an order for epoch 0 executed there is too late
    const late = await h.run(carol, { type: 'submitSealedOrder', eventId: gig, epoch: 0, ciphertext: seal(h, carol, { side: 'bid', quantity: 1, maxPrice: 1n }, 0, gig) }, { seq: created + 5 });
    expect(late).toEqual({ status: 'rejected', reason: 'epoch_closed' });
    const r = ok(await h.run(carol, { type: 'cutoff', eventId: gig }));
    expect(r.epochs).toEqual([expect.objectContaining({ epoch: 0, status: 'closed', orders: 1, closedAtSeq: created + 6 })]);
    await postAll(h, [0, 3], 0, gig);
    expect(h.contract.getEpoch(gig, 0)).toMatchObject({ status: 'settled', outcomes: 1, trades: 0 });
    expect(outcomesOf(h.contract, 0, gig)).toEqual([expect.objectContaining({ status: 'unmatched' })]);
  });

  it('orders are accepted only in the resale window and for the current or next epoch', async () => {
    const ct = (e: number) => seal(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_000n }, e);
    expect(await h.run(carol, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: ct(0) }, { timestamp: T0 - 1 })).toEqual({ status: 'rejected', reason: 'window_closed' });
    expect(await h.run(carol, { type: 'submitSealedOrder', eventId: EVENT, epoch: 2, ciphertext: ct(2) })).toEqual({ status: 'rejected', reason: 'wrong_epoch' });
    expect(ok(await h.run(carol, { type: 'submitSealedOrder', eventId: EVENT, epoch: 1, ciphertext: ct(1) })).order).toMatchObject({ epoch: 1, position: 0 });
    expect(await h.run(carol, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: new Uint8Array(200) })).toEqual({ status: 'rejected', reason: 'invalid_ciphertext' });
    for (let i = 0; i < 8; i++) ok(await h.run(dave, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: seal(h, dave, { side: 'bid', quantity: 1, maxPrice: 1n }) }));
    expect(await h.run(dave, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: seal(h, dave, { side: 'bid', quantity: 1, maxPrice: 1n }) })).toEqual({
      status: 'rejected',
      reason: 'too_many_orders',
    });
  });

  it('a committed cutoff stays committed even if a later slot carries an earlier timestamp', async () => {
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_000n }));
    await closeEpoch();
    const late = await h.run(dave, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: seal(h, dave, { side: 'bid', quantity: 1, maxPrice: 5_000n }) }, { timestamp: T0 + 10 });
    expect(late).toEqual({ status: 'rejected', reason: 'epoch_closed' });
    expect(h.contract.getEpoch(EVENT, 0)).toMatchObject({ status: 'closed', orders: 1 });
    // and shares for the closed epoch are taken at such a slot
    const [op] = shareOps(h, 0);
    ok(await h.run(h.orders.members[0]!, op!, { timestamp: T0 + 10 }));
  });

  it('cancelling the event voids pending epochs without moving money', async () => {
    ok(await submit(h, bob, { side: 'ask', serial: 3, price: 5_800n }));
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_900n }));
    await closeEpoch();
    const ops = shareOps(h, 0);
    ok(await h.run(org, { type: 'cancelEvent', eventId: EVENT }));
    expect(h.contract.getEpoch(EVENT, 0)).toMatchObject({ status: 'void', orders: 2 });
    expect(await h.run(h.orders.members[0]!, ops[0]!)).toEqual({ status: 'rejected', reason: 'event_cancelled' });
    expect(h.contract.getAccount(carol.id)).toEqual({ account: carol.id, balance: 50_000n, escrow: 0n });
  });
});

describe('front-running resistance', () => {
  it('a primary that sees the ciphertexts learns nothing: every order has the same size and the views are opaque', async () => {
    const orders = [
      seal(h, carol, { side: 'bid', quantity: 1, maxPrice: 1n }),
      seal(h, carol, { side: 'bid', quantity: 4, maxPrice: 6_000n }),
      seal(h, alice, { side: 'ask', serial: 1, price: 5_999n }),
      seal(h, alice, { side: 'ask', serial: 2, price: 1n }),
    ];
    expect(new Set(orders.map((o) => o.length)).size).toBe(1);
    expect(encodeOrderPayload({ side: 'bid', quantity: 1, maxPrice: 1n }, carol.publicKey)).toHaveLength(ORDER_PAYLOAD_BYTES);
    ok(await h.run(carol, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: orders[1]! }));
    const view = h.contract.getEpoch(EVENT, 0)!;
    expect(view).toEqual({ eventId: EVENT, epoch: 0, status: 'open', orders: 1, decryptable: 0 });
    // the only order data in the state is the ciphertext itself
    expect(h.contract.getOrders(EVENT, 0)).toEqual([{ position: 0, submitter: carol.id, ciphertext: orders[1], ciphertextId: expect.any(Uint8Array) }]);
  });

  it('reordering the orders before the reveal changes no trade: the shuffle is seeded by the plaintexts, not by positions', async () => {
    const sealed: [Actor, Uint8Array][] = [
      [alice, seal(h, alice, { side: 'ask', serial: 1, price: 5_500n })],
      [bob, seal(h, bob, { side: 'ask', serial: 3, price: 5_500n })],
      [carol, seal(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_500n })],
      [dave, seal(h, dave, { side: 'bid', quantity: 1, maxPrice: 5_500n })],
      [erin, seal(h, erin, { side: 'bid', quantity: 1, maxPrice: 5_500n })],
    ];
    const results = [];
    for (const order of [
      [0, 1, 2, 3, 4],
      [4, 3, 2, 1, 0],
      [2, 0, 4, 1, 3],
    ]) {
      const r = await harness({ orders: h.orders });
      const actors = await Promise.all(['org', 'alice', 'bob', 'carol', 'dave', 'erin'].map((n) => makeActor(r.crypto, n)));
      const [o, a, b, ...buyers] = actors as [Actor, Actor, Actor, ...Actor[]];
      ok(await r.run(o, { type: 'createEvent', eventId: EVENT, policy: policy() }));
      for (const x of [a, b, ...buyers]) await r.fund(x, 50_000n);
      ok(await r.run(a, { type: 'buyPrimary', eventId: EVENT, quantity: 2, credential: await r.credential(a) }));
      ok(await r.run(b, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await r.credential(b) }));
      for (const x of buyers) ok(await r.run(x, { type: 'register', eventId: EVENT, credential: await r.credential(x) }));
      r.now = T0 + 10;
      const byName = new Map(actors.map((x) => [x.name, x]));
      for (const i of order) {
        const [who, ct] = sealed[i]!;
        ok(await r.run(byName.get(who.name)!, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: ct }));
      }
      r.now = T0 + HOUR + 1;
      ok(await r.run(byName.get('carol')!, { type: 'cutoff', eventId: EVENT }));
      await postAll(r, [1, 2]);
      const epoch = r.contract.getEpoch(EVENT, 0)!;
      results.push({ seed: epoch.seed, trades: tradesOf(r.contract), holders: [1, 2, 3].map((s) => r.contract.getTicket(EVENT, s)!.holder) });
    }
    // three equal bids for two asks: who wins is decided by the shuffle, identically in every ordering
    expect(results[0]!.trades).toHaveLength(2);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('a copied ciphertext is rejected: in another epoch by its label, under another account after decryption', async () => {
    const original = seal(h, carol, { side: 'bid', quantity: 1, maxPrice: 6_000n });
    ok(await submit(h, bob, { side: 'ask', serial: 3, price: 5_000n }));
    ok(await h.run(carol, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: original }));
    // the copier sees the bytes in flight and re-submits them
    expect(await h.run(dave, { type: 'submitSealedOrder', eventId: EVENT, epoch: 1, ciphertext: original })).toEqual({ status: 'rejected', reason: 'invalid_ciphertext' });
    expect(await h.run(carol, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: original })).toEqual({ status: 'rejected', reason: 'duplicate_order' });
    ok(await h.run(dave, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: original }));
    // a mauled copy fails the validity proof
    const mauled = original.slice();
    mauled[mauled.length - 1]! ^= 1;
    expect(await h.run(dave, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: mauled })).toEqual({ status: 'rejected', reason: 'invalid_ciphertext' });
    await closeEpoch();
    await postAll(h, [0, 1]);
    const outcomes = outcomesOf(h.contract);
    expect(outcomes[1]).toMatchObject({ submitter: carol.id, status: 'filled' });
    expect(outcomes[2]).toMatchObject({ submitter: dave.id, status: 'dropped', reason: 'wrong_submitter' });
    expect(h.contract.getTicket(EVENT, 3)!.holder).toBe(carol.id);
  });

  it('shares released before the cutoff are ignored; shares are only taken for the closed epoch’s orders', async () => {
    ok(await submit(h, bob, { side: 'ask', serial: 3, price: 5_000n }));
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 6_000n }));
    const early = shareOps(h, 0);
    const before = business(h.contract);
    expect(await h.run(h.orders.members[0]!, early[0]!)).toEqual({ status: 'rejected', reason: 'epoch_open' });
    expect(business(h.contract)).toEqual(before);
    // an order for the next epoch, and shares for it, stay out of epoch 0
    ok(await submit(h, dave, { side: 'bid', quantity: 1, maxPrice: 6_000n }, 1));
    await closeEpoch();
    const next = shareOps(h, 0, 1);
    expect(await h.run(h.orders.members[0]!, next[0]!)).toEqual({ status: 'rejected', reason: 'epoch_open' });
    // non-members, wrong positions, wrong member indices and invalid proofs are refused
    expect(await h.run(carol, early[0]!)).toEqual({ status: 'rejected', reason: 'not_authorized' });
    const op = early[0] as Extract<ContractOp, { type: 'postShares' }>;
    expect(await h.run(h.orders.members[0]!, { ...op, from: 1 })).toEqual({ status: 'rejected', reason: 'unknown_order' });
    expect(await h.run(h.orders.members[1]!, op)).toEqual({ status: 'rejected', reason: 'invalid_share' });
    const forged = op.shares.map((s) => ({ ...s, share: Uint8Array.from(s.share, (b, i) => (i === s.share.length - 1 ? b ^ 1 : b)) }));
    expect(await h.run(h.orders.members[0]!, { ...op, shares: forged })).toMatchObject({ status: 'rejected' });
    const wrongProof = shareOps(h, 0).map((o) => o as Extract<ContractOp, { type: 'postShares' }>)[0]!;
    const swapped = { ...wrongProof, shares: [wrongProof.shares[1]!, wrongProof.shares[0]!].map((s, i) => ({ ...s, ciphertextId: wrongProof.shares[i]!.ciphertextId })) };
    expect(await h.run(h.orders.members[0]!, swapped)).toEqual({ status: 'rejected', reason: 'invalid_share' });
    // after the cutoff the same early shares count; a second member completes the epoch
    ok(await h.run(h.orders.members[0]!, early[0]!));
    ok(await h.run(h.orders.members[0]!, early[0]!)); // idempotent
    expect(h.contract.getEpoch(EVENT, 0)).toMatchObject({ status: 'closed', decryptable: 0 });
    const late = shareOps(h, 3);
    await postAll(h, [1]);
    expect(h.contract.getEpoch(EVENT, 0)).toMatchObject({ status: 'settled' });
    expect(await h.run(h.orders.members[3]!, late[0]!)).toEqual({ status: 'rejected', reason: 'epoch_settled' });
  });

  it('drops orders above the cap, with bad amounts, or that the state cannot honour, each with its reason', async () => {
    const mallory = await makeActor(h.crypto, 'mallory'); // funded but never registered for the event
    await h.fund(mallory, 50_000n);
    expect(await submit(h, mallory, { side: 'bid', quantity: 1, maxPrice: 6_000n })).toEqual({ status: 'rejected', reason: 'not_registered' });
    const poor = await makeActor(h.crypto, 'poor');
    ok(await h.run(poor, { type: 'register', eventId: EVENT, credential: await h.credential(poor) }));
    ok(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 2, price: 5_900n }));
    const orders: [Actor, Parameters<typeof submit>[2]][] = [
      [carol, { side: 'bid', quantity: 1, maxPrice: 6_001n }], // 0 above the 120 % cap
      [bob, { side: 'ask', serial: 3, price: 7_000n }], // 1 above the cap
      [dave, { side: 'bid', quantity: 1, maxPrice: 0n }], // 2
      [dave, { side: 'bid', quantity: 0, maxPrice: 10n }], // 3
      [erin, { side: 'ask', serial: 3, price: 5_000n }], // 4 not erin's ticket
      [alice, { side: 'ask', serial: 2, price: 5_000n }], // 5 publicly listed already
      [alice, { side: 'ask', serial: 1, price: 5_100n }], // 6
      [alice, { side: 'ask', serial: 1, price: 5_050n }], // 7 the same ticket again (cheaper: wins the slot)
      [poor, { side: 'bid', quantity: 1, maxPrice: 6_000n }], // 8 no money
    ];
    for (const [who, o] of orders) ok(await submit(h, who, o));
    // a submitter whose plaintext is not an order at all
    const junk = encodeTdh2Ciphertext(tdh2Encrypt(h.orders.publicKey, sealedOrderLabel(EVENT, 0), new Uint8Array(ORDER_PAYLOAD_BYTES).fill(7), h.random));
    ok(await h.run(erin, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: junk })); // 9
    await closeEpoch();
    await postAll(h, [0, 2]);
    const outcomes = outcomesOf(h.contract);
    expect(outcomes.map((o) => o.reason ?? o.status)).toEqual([
      'above_cap',
      'above_cap',
      'invalid_amount',
      'invalid_quantity',
      'not_holder',
      'ticket_listed',
      'duplicate_ask',
      'unmatched',
      'insufficient_funds',
      'malformed_order',
    ]);
    expect(() => decodeOrderPayload(new Uint8Array(ORDER_PAYLOAD_BYTES).fill(7))).toThrow(expect.objectContaining({ name: 'CodecError' }));
    expect(tradesOf(h.contract)).toEqual([]);
  });

  it('respects the per-person cap and partial fills at settlement', async () => {
    await h.fund(carol, 100_000n);
    ok(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 1, price: 5_000n }));
    ok(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 2, price: 5_000n }));
    ok(await h.run(bob, { type: 'listForResale', eventId: EVENT, serial: 3, price: 5_000n }));
    ok(await h.run(carol, { type: 'buyPrimary', eventId: EVENT, quantity: 2, credential: await h.credential(carol) }));
    ok(await submit(h, carol, { side: 'bid', quantity: 3, maxPrice: 5_000n }));
    await closeEpoch();
    await postAll(h, [0, 1]);
    const [outcome] = outcomesOf(h.contract);
    expect(outcome).toMatchObject({ status: 'partial', filled: 2, reason: 'cap_per_person' });
    expect(h.contract.getEvent(EVENT)).toMatchObject({ issued: 5 });
  });

  it('with fewer than t + 1 honest members the epoch stalls safely, then settles in order once enough shares arrive', async () => {
    ok(await submit(h, bob, { side: 'ask', serial: 3, price: 5_000n }));
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 6_000n }));
    await closeEpoch();
    const before = business(h.contract);
    // one honest member (t = 1) and two Byzantine members posting tampered shares
    ok((await postAll(h, [0]))[0]!);
    for (const m of [1, 2]) {
      const op = shareOps(h, m)[0] as Extract<ContractOp, { type: 'postShares' }>;
      const bad = { ...op, shares: op.shares.map((s) => ({ ...s, share: Uint8Array.from(s.share, (b, i) => (i === 100 ? b ^ 1 : b)) })) };
      expect(await h.run(h.orders.members[m]!, bad)).toMatchObject({ status: 'rejected' });
    }
    expect(h.contract.getEpoch(EVENT, 0)).toMatchObject({ status: 'closed', orders: 2, decryptable: 0 });
    expect(h.contract.getTicket(EVENT, 3)!.holder).toBe(bob.id);
    // nothing but the stored shares changed: no money, no ticket moved
    const { events: eventsBefore, accounts: accountsBefore } = decode(before) as CborRecord;
    const now = decode(business(h.contract)) as CborRecord;
    expect(now['accounts']).toEqual(accountsBefore);
    expect(((now['events'] as unknown[])[0] as unknown[]).slice(0, 8)).toEqual(((eventsBefore as unknown[])[0] as unknown[]).slice(0, 8));
    // the next epoch takes orders, but cannot settle ahead of the stalled one
    h.now = T0 + HOUR + 10;
    ok(await submit(h, dave, { side: 'bid', quantity: 1, maxPrice: 6_000n }, 1));
    await closeEpoch(1);
    await postAll(h, [0, 3], 1);
    expect(h.contract.getEpoch(EVENT, 1)).toMatchObject({ status: 'closed', decryptable: 1 });
    expect(h.contract.getEvent(EVENT)).toMatchObject({ cutoffThrough: 2, settledThrough: 0 });
    // a second honest member arrives: both epochs settle, in order
    const r = ok((await postAll(h, [3]))[0]!);
    expect(r.epochs?.map((e) => [e.epoch, e.status])).toEqual([
      [0, 'settled'],
      [1, 'settled'],
    ]);
    expect(h.contract.getTicket(EVENT, 3)!.holder).toBe(carol.id);
    expect(outcomesOf(h.contract, 1)[0]).toMatchObject({ submitter: dave.id, status: 'unmatched' });
  });
});
