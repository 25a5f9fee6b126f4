/**
 * EventContract unit tests: one block per operation, each rejection reason
 * provoked on purpose (and shown to change nothing), escrow and refunds
 * traced through to balances, and snapshot/restore/digest determinism.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { decode, encode, eventId, signRequest, type CborRecord } from '@admitone/core';
import {
  decodeContractQueryResult,
  decodeContractResult,
  encodeContractOp,
  encodeContractQuery,
  type ContractOp,
  type ContractResult,
  type EventContract,
} from '../src/contract/index.js';
import { business, EVENT, HOUR, T0, harness, makeActor, ok, policy, type Actor, type Harness } from './contract-helpers.js';

/** The snapshot without the replay window: what a rejection must leave unchanged. */
let h: Harness;
let org: Actor;
let alice: Actor;
let bob: Actor;
let carol: Actor;

beforeEach(async () => {
  h = await harness();
  [org, alice, bob, carol] = (await Promise.all(['org', 'alice', 'bob', 'carol'].map((n) => makeActor(h.crypto, n)))) as [Actor, Actor, Actor, Actor];
  await h.fund(alice, 100_000n);
  await h.fund(bob, 100_000n);
});

async function create(over = {}): Promise<void> {
  ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy(over) }));
}
async function buy(who: Actor, quantity = 1, tag?: string): Promise<ContractResult> {
  return h.run(who, { type: 'buyPrimary', eventId: EVENT, quantity, credential: await h.credential(who, tag === undefined ? {} : { tag }) });
}
async function register(who: Actor, tag?: string): Promise<ContractResult> {
  return h.run(who, { type: 'register', eventId: EVENT, credential: await h.credential(who, tag === undefined ? {} : { tag }) });
}
/** Runs `op` and expects the rejection `reason` with no change to anything but the replay window. */
async function rejects(who: Actor, op: ContractOp, reason: string, at?: { timestamp?: number }): Promise<void> {
  const before = business(h.contract);
  expect(await h.run(who, op, at)).toEqual({ status: 'rejected', reason });
  expect(business(h.contract)).toEqual(before);
}

describe('money: deposit and withdraw', () => {
  it('only a funding key deposits; amounts must be positive; withdrawals cannot overspend', async () => {
    expect(h.contract.getAccount(alice.id)).toEqual({ account: alice.id, balance: 100_000n, escrow: 0n });
    await rejects(alice, { type: 'deposit', account: alice.publicKey, amount: 5n }, 'not_authorized');
    await rejects(h.gateway, { type: 'deposit', account: alice.publicKey, amount: 0n }, 'invalid_amount');
    await rejects(h.gateway, { type: 'deposit', account: alice.publicKey, amount: -5n }, 'invalid_amount');
    await rejects(alice, { type: 'withdraw', amount: 0n }, 'invalid_amount');
    await rejects(alice, { type: 'withdraw', amount: -1n }, 'invalid_amount');
    await rejects(alice, { type: 'withdraw', amount: 100_001n }, 'insufficient_funds');
    await rejects(carol, { type: 'withdraw', amount: 1n }, 'insufficient_funds');
    expect(ok(await h.run(alice, { type: 'withdraw', amount: 30_000n })).account).toEqual({ account: alice.id, balance: 70_000n, escrow: 0n });
    expect(h.contract.supply()).toEqual({ deposited: 200_000n, withdrawn: 30_000n, balances: 170_000n, escrow: 0n });
  });
});

describe('createEvent', () => {
  it('creates an event owned by its signer, once', async () => {
    const r = ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    expect(r.event).toMatchObject({ eventId: EVENT, organizer: org.id, status: 'open', issued: 0, createdSeq: h.seq });
    await rejects(alice, { type: 'createEvent', eventId: EVENT, policy: policy() }, 'already_exists');
  });

  it('refuses policies that make no sense', async () => {
    const bad = [
      policy({ capacity: 0 }),
      policy({ sale: { start: T0, end: T0 } }),
      policy({ resale: { start: T0 + 5, end: T0 } }),
      policy({ royaltyBps: 10_001 }),
      policy({ perPersonCap: 0 }),
      policy({ resaleCap: { kind: 'absolute', amount: 0n } }),
      policy({ facePrice: 0n, resaleCap: { kind: 'percent', percent: 150 } }),
      policy({ epochs: { kind: 'seq', length: 0 } }),
      policy({ maxOrdersPerAccount: 0 }),
    ];
    for (const p of bad) await rejects(org, { type: 'createEvent', eventId: EVENT, policy: p }, 'invalid_policy');
    expect(h.contract.getEvent(EVENT)).toBeUndefined();
  });
});

describe('buyPrimary', () => {
  beforeEach(() => create());

  it('issues version-1 tickets to the credential holder and puts the money in the organizer’s escrow', async () => {
    const r = ok(await buy(alice, 2));
    expect(r.tickets).toEqual([
      { eventId: EVENT, serial: 1, holder: alice.id, version: 1, status: 'active', paid: 5_000n, admission: 'issued', scans: [] },
      { eventId: EVENT, serial: 2, holder: alice.id, version: 1, status: 'active', paid: 5_000n, admission: 'issued', scans: [] },
    ]);
    expect(r.account).toEqual({ account: alice.id, balance: 90_000n, escrow: 0n });
    expect(h.contract.getAccount(org.id)).toEqual({ account: org.id, balance: 0n, escrow: 10_000n });
    expect(h.contract.getEvent(EVENT)).toMatchObject({ issued: 2 });
  });

  it('names every reason it refuses a purchase, changing nothing', async () => {
    const cred = await h.credential(alice);
    const op = (over: Partial<Extract<ContractOp, { type: 'buyPrimary' }>> = {}): ContractOp => ({ type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: cred, ...over });
    await rejects(alice, op({ eventId: eventId('nope') }), 'not_found');
    await rejects(alice, op({ quantity: 0 }), 'invalid_quantity');
    await rejects(alice, op({ quantity: -3 }), 'invalid_quantity');
    await rejects(alice, op(), 'window_closed', { timestamp: T0 - 2 * HOUR });
    await rejects(alice, op(), 'window_closed', { timestamp: T0 + 24 * HOUR });
    await rejects(alice, op({ credential: new Uint8Array([1, 2, 3]) }), 'invalid_credential');
    const forged = decode(cred) as CborRecord;
    await rejects(alice, op({ credential: encode({ ...forged, eventTag: new Uint8Array(32) }) }), 'invalid_credential');
    await rejects(alice, op({ credential: await h.credential(alice, { eventId: eventId('other-gig') }) }), 'wrong_event');
    await rejects(alice, op({ credential: await h.credential(bob) }), 'not_credential_holder');
    await rejects(alice, op({ credential: await h.credential(alice, { expiresAt: T0 }) }), 'credential_expired');
    await rejects(alice, op({ quantity: 5 }), 'cap_per_person');
    await rejects(alice, op({ quantity: 11 }), 'sold_out');
    await rejects(carol, op({ credential: await h.credential(carol) }), 'insufficient_funds');
    ok(await buy(alice));
    await rejects(alice, op({ credential: await h.credential(alice, { tag: 'someone-else' }) }), 'credential_mismatch');
  });

  it('caps a person across keys: the event tag, not the key, is counted', async () => {
    const alt = await makeActor(h.crypto, 'alice-second-key');
    await h.fund(alt, 100_000n);
    ok(await buy(alice, 3));
    await rejects(alt, { type: 'buyPrimary', eventId: EVENT, quantity: 2, credential: await h.credential(alt, { tag: 'alice' }) }, 'cap_per_person');
    ok(await buy(alt, 1, 'alice'));
    ok(await buy(bob, 4));
    await rejects(bob, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(bob) }, 'cap_per_person');
  });

  it('sells out at capacity', async () => {
    await h.fund(carol, 100_000n);
    ok(await buy(alice, 4));
    ok(await buy(bob, 4));
    await rejects(carol, { type: 'buyPrimary', eventId: EVENT, quantity: 3, credential: await h.credential(carol) }, 'sold_out');
    ok(await buy(carol, 2));
    expect(h.contract.getEvent(EVENT)).toMatchObject({ issued: 10 });
  });
});

describe('register, listings and transfers', () => {
  beforeEach(async () => {
    await create();
    ok(await buy(alice, 2));
  });

  it('register binds a key to its event tag once', async () => {
    ok(await register(carol));
    await rejects(carol, { type: 'register', eventId: EVENT, credential: await h.credential(carol, { tag: 'x' }) }, 'credential_mismatch');
    await rejects(carol, { type: 'register', eventId: EVENT, credential: new Uint8Array(4) }, 'invalid_credential');
  });

  it('lists under the cap, locks the ticket, and cancels', async () => {
    const list = (serial: number, price: bigint): ContractOp => ({ type: 'listForResale', eventId: EVENT, serial, price });
    await rejects(alice, list(1, 0n), 'invalid_amount');
    await rejects(alice, list(1, -1n), 'invalid_amount');
    await rejects(alice, list(9, 100n), 'not_found');
    await rejects(bob, list(1, 100n), 'not_holder');
    await rejects(alice, list(1, 6_001n), 'above_cap'); // 120 % of 5 000
    await rejects(alice, list(1, 6_000n), 'window_closed', { timestamp: T0 - 1 });
    expect(ok(await h.run(alice, list(1, 6_000n))).tickets?.[0]).toMatchObject({ serial: 1, listing: 6_000n });
    await rejects(alice, list(1, 5_000n), 'ticket_listed');
    ok(await register(bob));
    await rejects(alice, { type: 'transfer', eventId: EVENT, serial: 1, to: bob.publicKey }, 'ticket_listed');
    await rejects(bob, { type: 'cancelListing', eventId: EVENT, serial: 1 }, 'not_holder');
    await rejects(alice, { type: 'cancelListing', eventId: EVENT, serial: 2 }, 'not_listed');
    expect(ok(await h.run(alice, { type: 'cancelListing', eventId: EVENT, serial: 1 })).tickets?.[0]).not.toHaveProperty('listing');
  });

  it('an absolute cap is enforced as such', async () => {
    const gig = eventId('absolute-gig');
    ok(await h.run(org, { type: 'createEvent', eventId: gig, policy: policy({ resaleCap: { kind: 'absolute', amount: 5_500n } }) }));
    ok(await h.run(alice, { type: 'buyPrimary', eventId: gig, quantity: 1, credential: await h.credential(alice, { eventId: gig }) }));
    await rejects(alice, { type: 'listForResale', eventId: gig, serial: 1, price: 5_501n }, 'above_cap');
    ok(await h.run(alice, { type: 'listForResale', eventId: gig, serial: 1, price: 5_500n }));
  });

  it('a transfer re-issues the ticket to a registered key (version + 1); the old holder loses it', async () => {
    const give = (from: Actor, to: Actor, serial = 1) => h.run(from, { type: 'transfer', eventId: EVENT, serial, to: to.publicKey });
    await rejects(alice, { type: 'transfer', eventId: EVENT, serial: 1, to: bob.publicKey }, 'not_registered');
    await rejects(alice, { type: 'transfer', eventId: EVENT, serial: 1, to: alice.publicKey }, 'same_holder');
    ok(await register(bob));
    const r = ok(await give(alice, bob));
    expect(r.tickets?.[0]).toMatchObject({ serial: 1, holder: bob.id, version: 2, paid: 0n });
    await rejects(alice, { type: 'transfer', eventId: EVENT, serial: 1, to: carol.publicKey }, 'not_holder');
    expect(ok(await give(bob, alice)).tickets?.[0]).toMatchObject({ holder: alice.id, version: 3 });
  });

  it('transfers respect the recipient’s per-person cap and the transferable flag', async () => {
    ok(await buy(bob, 4));
    await rejects(alice, { type: 'transfer', eventId: EVENT, serial: 1, to: bob.publicKey }, 'cap_per_person');
    const gig = eventId('no-gifts');
    ok(await h.run(org, { type: 'createEvent', eventId: gig, policy: policy({ transferable: false }) }));
    ok(await h.run(alice, { type: 'buyPrimary', eventId: gig, quantity: 1, credential: await h.credential(alice, { eventId: gig }) }));
    ok(await h.run(bob, { type: 'register', eventId: gig, credential: await h.credential(bob, { eventId: gig }) }));
    await rejects(alice, { type: 'transfer', eventId: gig, serial: 1, to: bob.publicKey }, 'not_transferable');
  });
});

describe('refunds, cancellation and completion', () => {
  beforeEach(async () => {
    await create();
    ok(await buy(alice, 2));
    ok(await buy(bob, 1));
  });

  it('only the organizer refunds; a refund repays the holder and frees the cap', async () => {
    await rejects(alice, { type: 'refund', eventId: EVENT, serial: 1 }, 'not_organizer');
    await rejects(org, { type: 'refund', eventId: EVENT, serial: 7 }, 'not_found');
    expect(ok(await h.run(org, { type: 'refund', eventId: EVENT, serial: 1 })).tickets?.[0]).toMatchObject({ status: 'refunded' });
    expect(h.contract.getAccount(alice.id)).toMatchObject({ balance: 95_000n });
    expect(h.contract.getAccount(org.id)).toMatchObject({ escrow: 10_000n });
    await rejects(org, { type: 'refund', eventId: EVENT, serial: 1 }, 'ticket_refunded');
    await rejects(alice, { type: 'listForResale', eventId: EVENT, serial: 1, price: 10n }, 'ticket_refunded');
    ok(await buy(alice, 3)); // the refunded ticket no longer counts towards alice's cap of 4
  });

  it('cancelling refunds every ticket and closes the event', async () => {
    await rejects(alice, { type: 'cancelEvent', eventId: EVENT }, 'not_organizer');
    const r = ok(await h.run(org, { type: 'cancelEvent', eventId: EVENT }));
    expect(r.event).toMatchObject({ status: 'cancelled', refunded: 3 });
    expect(h.contract.getAccount(alice.id)).toEqual({ account: alice.id, balance: 100_000n, escrow: 0n });
    expect(h.contract.getAccount(bob.id)).toEqual({ account: bob.id, balance: 100_000n, escrow: 0n });
    expect(h.contract.getAccount(org.id)).toEqual({ account: org.id, balance: 0n, escrow: 0n });
    await rejects(bob, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(bob) }, 'event_cancelled');
    await rejects(org, { type: 'cancelEvent', eventId: EVENT }, 'event_cancelled');
    await rejects(org, { type: 'completeEvent', eventId: EVENT }, 'event_cancelled');
    await rejects(alice, { type: 'listForResale', eventId: EVENT, serial: 2, price: 10n }, 'event_cancelled');
  });

  it('completion waits for the windows to end, then releases escrow', async () => {
    await rejects(org, { type: 'completeEvent', eventId: EVENT }, 'too_early');
    h.now = T0 + 48 * HOUR;
    await rejects(bob, { type: 'completeEvent', eventId: EVENT }, 'not_organizer');
    expect(ok(await h.run(org, { type: 'completeEvent', eventId: EVENT })).event).toMatchObject({ status: 'completed' });
    expect(h.contract.getAccount(org.id)).toEqual({ account: org.id, balance: 15_000n, escrow: 0n });
    await rejects(org, { type: 'refund', eventId: EVENT, serial: 1 }, 'event_completed');
    await rejects(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(alice) }, 'event_completed');
    expect(h.contract.supply()).toEqual({ deposited: 200_000n, withdrawn: 0n, balances: 200_000n, escrow: 0n });
  });
});

describe('construction', () => {
  it('checks its options at the boundary', async () => {
    const { createEventContract } = await import('../src/contract/index.js');
    const base = { deployment: 'test', crypto: h.crypto, identityCommittee: h.committeeInfo, fundingKeys: [h.gateway.publicKey], random: h.random };
    expect(() => createEventContract({ ...base, identityCommittee: { committeeId: 'x', groupPublicKey: new Uint8Array(31) } })).toThrow(TypeError);
    expect(() => createEventContract({ ...base, random: undefined as never })).toThrow(TypeError);
    expect(() => createEventContract({ ...base, fundingKeys: [new Uint8Array(5)] })).toThrow(RangeError);
    const member = { index: h.orders.keyShares[0]!.index, requestKey: h.orders.members[0]!.publicKey };
    expect(() => createEventContract({ ...base, orderCommittee: { publicKey: h.orders.publicKey, members: [{ ...member, index: 99n }] } })).toThrow(RangeError);
    expect(() => createEventContract({ ...base, orderCommittee: { publicKey: h.orders.publicKey, members: [member, { ...member, index: 2n }] } })).toThrow(RangeError);
    // without an order committee the market is off
    const plain = createEventContract(base);
    const req = await signRequest(h.crypto, alice.secret, { deployment: 'test', requestSeq: 1, op: encodeContractOp({ type: 'cutoff', eventId: EVENT }) });
    expect(decodeContractResult(plain.execute(await plain.prepare(req), { seq: 1, timestamp: T0 }))).toEqual({ status: 'rejected', reason: 'no_committee' });
  });
});

describe('requests: signatures, replay, malformed ops', () => {
  it('refuses forged, replayed, malformed and read-only requests', async () => {
    const request = await signRequest(h.crypto, h.gateway.secret, { deployment: 'test', requestSeq: 99, op: encodeContractOp({ type: 'deposit', account: alice.publicKey, amount: 1n }) });
    const at = { seq: 100, timestamp: T0 };
    const forged = { ...request, op: encodeContractOp({ type: 'deposit', account: alice.publicKey, amount: 1_000_000n }) };
    expect(decodeContractResult(h.contract.execute(await h.contract.prepare(forged), at))).toEqual({ status: 'rejected', reason: 'invalid_signature' });
    expect(decodeContractResult(h.contract.execute(await h.contract.prepare(request), at))).toMatchObject({ status: 'ok' });
    expect(decodeContractResult(h.contract.execute(await h.contract.prepare(request), at))).toEqual({ status: 'rejected', reason: 'replayed' });
    for (const op of [new Uint8Array([0xff]), encode({ type: 'deposit', account: alice.publicKey }), encode({ type: 'explode' })]) {
      const bad = await signRequest(h.crypto, alice.secret, { deployment: 'test', requestSeq: alice.nextSeq++, op });
      expect(decodeContractResult(h.contract.execute(await h.contract.prepare(bad), at))).toEqual({ status: 'rejected', reason: 'malformed' });
    }
    const read = await signRequest(h.crypto, alice.secret, { deployment: 'test', requestSeq: alice.nextSeq++, op: encodeContractOp({ type: 'withdraw', amount: 1n }), readOnly: true });
    expect(decodeContractResult(h.contract.execute(await h.contract.prepare(read), at))).toEqual({ status: 'rejected', reason: 'malformed' });
    expect(h.contract.getAccount(alice.id).balance).toBe(100_001n);
  });

  it('answers read-only queries', async () => {
    await create();
    ok(await buy(alice));
    const q = (query: Parameters<typeof encodeContractQuery>[0]) => decodeContractQueryResult(h.contract.query(encodeContractQuery(query)));
    expect(q({ type: 'account', account: alice.publicKey })).toEqual({ status: 'ok', account: h.contract.getAccount(alice.id) });
    expect(q({ type: 'ticket', eventId: EVENT, serial: 1 })).toEqual({ status: 'ok', ticket: h.contract.getTicket(EVENT, 1) });
    expect(q({ type: 'event', eventId: EVENT })).toEqual({ status: 'ok', event: h.contract.getEvent(EVENT) });
    expect(q({ type: 'epoch', eventId: EVENT, epoch: 0 })).toMatchObject({ status: 'ok', epoch: { status: 'open', orders: 0 } });
    expect(q({ type: 'supply' })).toEqual({ status: 'ok', supply: h.contract.supply() });
    expect(q({ type: 'ticket', eventId: EVENT, serial: 2 })).toEqual({ status: 'rejected', reason: 'not_found' });
    expect(decodeContractQueryResult(h.contract.query(new Uint8Array([0xa0])))).toEqual({ status: 'rejected', reason: 'malformed' });
  });
});

describe('snapshot, restore and digest', () => {
  it('replicas that execute the same ops agree; a restored replica continues identically', async () => {
    await create();
    ok(await buy(alice, 2));
    ok(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 2, price: 5_500n }));
    ok(await register(bob));
    ok(await h.run(alice, { type: 'transfer', eventId: EVENT, serial: 1, to: bob.publicKey }));
    const snap = h.contract.snapshot();
    const digestBefore = h.contract.digest();
    const twin = (await harness()).contract;
    twin.restore(snap);
    expect(twin.snapshot()).toEqual(snap);
    expect(twin.digest()).toEqual(h.contract.digest());
    expect(twin.getTicket(EVENT, 1)).toEqual(h.contract.getTicket(EVENT, 1));
    expect(twin.getAccount(org.id)).toEqual(h.contract.getAccount(org.id));
    // the same next op on both gives the same result and digest
    const request = await signRequest(h.crypto, org.secret, { deployment: 'test', requestSeq: org.nextSeq++, op: encodeContractOp({ type: 'refund', eventId: EVENT, serial: 2 }) });
    const at = { seq: 50, timestamp: T0 + 2 };
    const a = h.contract.execute(await h.contract.prepare(request), at);
    const b = twin.execute(await twin.prepare(request), at);
    expect(b).toEqual(a);
    expect(twin.digest()).toEqual(h.contract.digest());
    expect(twin.digest()).not.toEqual(digestBefore);
  });

  it('restore refuses malformed or non-canonical snapshots and leaves the state untouched', async () => {
    await create();
    ok(await buy(alice));
    const snap = h.contract.snapshot();
    const digest = h.contract.digest();
    const value = decode(snap) as CborRecord;
    const bad = [
      new Uint8Array([0xa0]),
      encode({ ...value, app: 'something-else' }),
      encode({ ...value, accounts: [...(value['accounts'] as unknown[])].reverse() } as never),
      snap.slice(0, -1),
    ];
    for (const b of bad) {
      expect(() => h.contract.restore(b)).toThrow(expect.objectContaining({ name: 'CodecError' }));
      expect(h.contract.digest()).toEqual(digest);
    }
  });
});
