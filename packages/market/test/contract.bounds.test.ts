/**
 * The event contract's bounds and isolation: every state valid operations
 * reach restores from its snapshot (one limit shared by writers and readers),
 * results stay small enough to deliver, amounts stay under `MAX_AMOUNT`,
 * views and prepared requests never alias replicated state, reads validate
 * their arguments, remote reads reach the sealed orders and the current
 * epoch, and a committee that could never settle is refused at construction.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createRotatingCode, decode, encode, eventId, gateId, hash, signRequest, type CborRecord, type CborValue } from '@admitone/core';
import {
  MAX_AMOUNT,
  MAX_GATE_DEVICES,
  MAX_ORDERS_PAGE,
  MAX_PURCHASE_QUANTITY,
  createEventContract,
  decodeContractQuery,
  decodeContractQueryResult,
  decodeContractResult,
  encodeContractOp,
  encodeContractQuery,
  encodeContractResult,
  ticketIdOf,
  type ContractOp,
  type ContractQuery,
  type PreparedContractRequest,
} from '../src/contract/index.js';
import { business, EVENT, HOUR, T0, harness, makeActor, ok, policy, type Actor, type Harness } from './contract-helpers.js';
import { outcomesOf, postAll, seal, shareOps, submit, tradesOf } from './epoch-helpers.js';

let h: Harness;
let org: Actor, alice: Actor, carol: Actor;

beforeEach(async () => {
  h = await harness();
  [org, alice, carol] = (await Promise.all(['org', 'alice', 'carol'].map((n) => makeActor(h.crypto, n)))) as [Actor, Actor, Actor];
  await h.fund(alice, 100_000n);
});

/** Signs, prepares and executes `op` outside the harness log; returns the prepared request and the result. */
async function runPrepared(actor: Actor, op: ContractOp): Promise<{ prepared: PreparedContractRequest; result: ReturnType<typeof decodeContractResult> }> {
  const request = await signRequest(h.crypto, actor.secret, { deployment: 'test', requestSeq: actor.nextSeq++, op: encodeContractOp(op) });
  const prepared = await h.contract.prepare(request);
  return { prepared, result: decodeContractResult(h.contract.execute(prepared, { seq: h.seq, timestamp: h.now })) };
}

function ask(query: ContractQuery) {
  return decodeContractQueryResult(h.contract.query(encodeContractQuery(query)));
}

describe('gate devices: one limit for writers and readers', () => {
  it(`authorizes at most MAX_GATE_DEVICES (${MAX_GATE_DEVICES}) devices; the full set snapshots, restores and decodes`, async () => {
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    // MAX − 1 devices already authorised (written straight into a snapshot: 4 095 signed operations take a while)
    const snap = decode(h.contract.snapshot()) as CborRecord;
    const event = (snap['events'] as CborValue[][])[0]!;
    event[9] = Array.from({ length: MAX_GATE_DEVICES - 1 }, (_, i) => i.toString(16).padStart(64, '0'));
    h.contract.restore(encode(snap));

    const gates = await Promise.all([0, 1].map((k) => makeActor(h.crypto, `gate-${k}`)));
    const [g0, g1] = gates as [Actor, Actor];
    const full = ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: g0.publicKey }));
    expect(full.event!.devices).toHaveLength(MAX_GATE_DEVICES);
    const before = business(h.contract);
    expect(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: g1.publicKey })).toEqual({ status: 'rejected', reason: 'too_many_devices' });
    expect(business(h.contract)).toEqual(before);
    // re-authorising a device already in the set is fine; revoking one makes room
    ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: g0.publicKey }));
    ok(await h.run(org, { type: 'revokeGate', eventId: EVENT, device: new Uint8Array(32) }));
    ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: g1.publicKey }));

    // the full state restores on another replica, and the event query's answer decodes
    const twin = h.twin('restored');
    twin.restore(h.contract.snapshot());
    expect(twin.digest()).toEqual(h.contract.digest());
    const answer = ask({ type: 'event', eventId: EVENT });
    expect(answer.status === 'ok' && 'event' in answer && answer.event.devices.length).toBe(MAX_GATE_DEVICES);
  });

  it('a ticket with every scan the machine records (validate, consume) restores', async () => {
    const gate = await makeActor(h.crypto, 'gate');
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }));
    ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(alice) }));
    const code = await createRotatingCode(h.crypto, alice.secret, { deployment: 'test', ticketId: ticketIdOf(EVENT, 1), version: 1, timeMs: h.now, stepMs: 15_000 });
    ok(await h.run(gate, { type: 'validate', eventId: EVENT, serial: 1, scan: { nonce: new Uint8Array(16).fill(1), gate: gateId('g'), time: h.now }, code }));
    ok(await h.run(alice, { type: 'dispute', eventId: EVENT, serial: 1, note: 'x' }));
    ok(await h.run(org, { type: 'resolve', eventId: EVENT, serial: 1, outcome: 'reinstate' }));
    ok(await h.run(gate, { type: 'consume', eventId: EVENT, serial: 1, scan: { nonce: new Uint8Array(16).fill(2), gate: gateId('g'), time: h.now } }));
    expect(h.contract.getTicket(EVENT, 1)!.scans).toHaveLength(2);
    const twin = h.twin('restored');
    twin.restore(h.contract.snapshot());
    expect(twin.getTicket(EVENT, 1)).toEqual(h.contract.getTicket(EVENT, 1));
  });
});

describe('results stay deliverable', () => {
  it(`buyPrimary buys at most MAX_PURCHASE_QUANTITY (${MAX_PURCHASE_QUANTITY}) tickets per operation`, async () => {
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy({ capacity: 10_000, perPersonCap: 10_000, facePrice: 1n }) }));
    const credential = await h.credential(alice);
    const before = business(h.contract);
    expect(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: MAX_PURCHASE_QUANTITY + 1, credential })).toEqual({ status: 'rejected', reason: 'invalid_quantity' });
    expect(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 100_000, credential })).toEqual({ status: 'rejected', reason: 'invalid_quantity' });
    expect(business(h.contract)).toEqual(before);
    const bought = ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: MAX_PURCHASE_QUANTITY, credential }));
    expect(bought.tickets).toHaveLength(MAX_PURCHASE_QUANTITY);
    expect(encodeContractResult(bought).length).toBeLessThan(64 * 1024);
  });
});

describe('amounts stay under MAX_AMOUNT', () => {
  it('a listing above MAX_AMOUNT is invalid_amount, and no policy derives a resale cap above it', async () => {
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(alice) }));
    h.now = T0 + 10;
    expect(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 1, price: MAX_AMOUNT + 1n })).toEqual({ status: 'rejected', reason: 'invalid_amount' });
    expect(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 1, price: 2n * MAX_AMOUNT })).toEqual({ status: 'rejected', reason: 'invalid_amount' });
    const rich = { facePrice: MAX_AMOUNT };
    expect(await h.run(org, { type: 'createEvent', eventId: eventId('big-gig'), policy: policy({ ...rich, resaleCap: { kind: 'percent', percent: 200 } }) })).toEqual({
      status: 'rejected',
      reason: 'invalid_policy',
    });
    ok(await h.run(org, { type: 'createEvent', eventId: eventId('big-gig'), policy: policy({ ...rich, resaleCap: { kind: 'percent', percent: 100 } }) }));
  });
});

describe('nothing a caller holds aliases replicated state', () => {
  it('the policy is deep-frozen: mutating a view or the executed operation changes no rule', async () => {
    const { prepared } = await runPrepared(org, { type: 'createEvent', eventId: EVENT, policy: policy() });
    ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(alice) }));
    const view = h.contract.getEvent(EVENT)!.policy;
    expect(Object.isFrozen(view) && Object.isFrozen(view.resaleCap) && Object.isFrozen(view.resale) && Object.isFrozen(view.epochs)).toBe(true);
    const snapshot = h.contract.snapshot();
    expect(() => {
      (view.resaleCap as { percent: number }).percent = 100_000;
    }).toThrow(TypeError);
    // the decoded operation the caller still holds is not the stored policy either
    const op = prepared.op as { policy: { resaleCap: { percent: number }; capacity: number } };
    op.policy.resaleCap.percent = 100_000;
    op.policy.capacity = 1;
    expect(h.contract.snapshot()).toEqual(snapshot);
    expect(h.contract.getEvent(EVENT)!.policy.resaleCap).toEqual({ kind: 'percent', percent: 120 });
    h.now = T0 + 10;
    expect(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 1, price: 4_000_000n })).toEqual({ status: 'rejected', reason: 'above_cap' });
  });

  it('orders, epochs, scans and the digest come back as copies; prepared requests keep their own bytes', async () => {
    const gate = await makeActor(h.crypto, 'gate');
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }));
    ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 2, credential: await h.credential(alice) }));
    ok(await h.run(carol, { type: 'register', eventId: EVENT, credential: await h.credential(carol) }));
    await h.fund(carol, 50_000n);
    h.now = T0 + 10;
    // a scan whose op the caller keeps
    const code = await createRotatingCode(h.crypto, alice.secret, { deployment: 'test', ticketId: ticketIdOf(EVENT, 2), version: 1, timeMs: h.now, stepMs: 15_000 });
    const scanned = await runPrepared(gate, { type: 'admit', eventId: EVENT, serial: 2, scan: { nonce: new Uint8Array(16).fill(9), gate: gateId('g'), time: h.now }, code });
    ok(scanned.result);
    // a sealed order whose prepared request the caller keeps
    const sealed = await runPrepared(alice, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: seal(h, alice, { side: 'ask', serial: 1, price: 5_000n }) });
    ok(sealed.result);
    ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_500n }));

    const check = (label: string, mutate: () => void) => {
      const snapshot = h.contract.snapshot();
      mutate();
      expect(h.contract.snapshot(), label).toEqual(snapshot);
      expect(h.contract.digest(), label).toEqual(hash(snapshot));
    };
    check('getOrders', () => {
      const [o] = h.contract.getOrders(EVENT, 0);
      o!.ciphertext[100]! ^= 1;
      o!.ciphertextId[0]! ^= 1;
    });
    check('getTicket scans', () => {
      const t = h.contract.getTicket(EVENT, 2)!;
      t.scans[0]!.nonce[0] = 0;
      (t.scans[0] as { time: number }).time = 1;
    });
    check('listTickets scans', () => {
      h.contract.listTickets(EVENT)!.tickets[1]!.scans[0]!.nonce[1] = 0;
    });
    check('prepared admit', () => {
      (scanned.prepared.op as { scan: { nonce: Uint8Array } }).scan.nonce.fill(0);
    });
    check('prepared sealed order', () => {
      scanned.prepared.request.op.fill(0);
      sealed.prepared.sealed!.bytes.fill(0);
      sealed.prepared.sealed!.ciphertext.sealed.fill(0);
      sealed.prepared.sealed!.ciphertext.label.fill(0);
    });
    check('digest', () => {
      h.contract.digest().fill(0);
    });

    // shares: the prepared postShares keeps its bytes to itself
    h.now = T0 + HOUR + 5;
    ok(await h.run(carol, { type: 'cutoff', eventId: EVENT }));
    const member = h.orders.members[0]!;
    const [op] = shareOps(h, 0);
    const posted = await runPrepared(member, op!);
    ok(posted.result);
    check('prepared shares', () => {
      (posted.prepared.op as Extract<ContractOp, { type: 'postShares' }>).shares[0]!.share.fill(0);
    });
    await postAll(h, [1]);
    const settled = h.contract.getEpoch(EVENT, 0)!;
    expect(settled).toMatchObject({ status: 'settled', outcomes: 2, trades: 1 });
    const outcomes = outcomesOf(h.contract);
    const trades = tradesOf(h.contract);
    check('getEpoch', () => {
      h.contract.getEpoch(EVENT, 0)!.seed!.fill(0);
    });
    check('listEpochOutcomes', () => {
      const [o] = h.contract.listEpochOutcomes(EVENT, 0)!.outcomes;
      o!.ciphertextId.fill(0);
      (o as { status: string }).status = 'dropped';
    });
    check('listEpochTrades', () => {
      (h.contract.listEpochTrades(EVENT, 0)!.trades[0] as { price: bigint }).price = 1n;
    });
    expect(h.contract.getEpoch(EVENT, 0)).toEqual(settled);
    expect([outcomesOf(h.contract), tradesOf(h.contract)]).toEqual([outcomes, trades]);
    // the restored replica agrees with the untouched state
    const twin = h.twin('restored');
    twin.restore(h.contract.snapshot());
    expect(twin.getEpoch(EVENT, 0)).toEqual(settled);
    expect([outcomesOf(twin), tradesOf(twin)]).toEqual([outcomes, trades]);
  });
});

describe('reads validate their arguments; remote reads reach orders and the current epoch', () => {
  it('getEpoch takes a non-negative safe integer', async () => {
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    for (const bad of [-3, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) expect(() => h.contract.getEpoch(EVENT, bad), String(bad)).toThrow(RangeError);
    expect(h.contract.getEpoch(EVENT, 0)).toMatchObject({ epoch: 0, status: 'open' });
    expect(h.contract.getEpoch(eventId('no-such-gig'), 0)).toBeUndefined();
  });

  it('the orders query pages through an epoch’s sealed orders; the currentEpoch query names the open epoch', async () => {
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    ok(await h.run(carol, { type: 'register', eventId: EVENT, credential: await h.credential(carol) }));
    expect(ask({ type: 'currentEpoch', eventId: EVENT })).toEqual({ status: 'ok', currentEpoch: { eventId: EVENT, epoch: 0, asOfSeq: h.seq, asOfTimestamp: h.now } });
    h.now = T0 + 10;
    for (let k = 0; k < 3; k++) ok(await submit(h, carol, { side: 'bid', quantity: 1, maxPrice: 5_000n + BigInt(k) }));
    const all = h.contract.getOrders(EVENT, 0);
    const first = ask({ type: 'orders', eventId: EVENT, epoch: 0, limit: 2 });
    expect(first).toEqual({ status: 'ok', orders: all.slice(0, 2), next: 2 });
    expect(ask({ type: 'orders', eventId: EVENT, epoch: 0, from: 2 })).toEqual({ status: 'ok', orders: all.slice(2) });
    expect(ask({ type: 'orders', eventId: EVENT, epoch: 7 })).toEqual({ status: 'ok', orders: [] });
    expect(ask({ type: 'orders', eventId: eventId('no-such-gig'), epoch: 0 })).toEqual({ status: 'rejected', reason: 'not_found' });
    expect(() => decodeContractQuery(encode({ type: 'orders', eventId: EVENT, epoch: 0, limit: MAX_ORDERS_PAGE + 1 }))).toThrow(expect.objectContaining({ name: 'CodecError' }));
    expect(() => decodeContractQuery(encode({ type: 'orders', eventId: EVENT, epoch: -1 }))).toThrow(expect.objectContaining({ name: 'CodecError' }));

    // three hours later, as of the last applied operation
    h.now = T0 + 3 * HOUR + 1;
    await h.fund(alice, 1n);
    expect(ask({ type: 'currentEpoch', eventId: EVENT })).toEqual({ status: 'ok', currentEpoch: { eventId: EVENT, epoch: 3, asOfSeq: h.seq, asOfTimestamp: h.now } });
    expect(h.contract.getCurrentEpoch(EVENT)).toEqual({ eventId: EVENT, epoch: 3, asOfSeq: h.seq, asOfTimestamp: h.now });
    // a rejected operation changes nothing, not even the slot reads report against
    const seq = h.seq;
    expect(await h.run(alice, { type: 'withdraw', amount: 0n })).toEqual({ status: 'rejected', reason: 'invalid_amount' });
    expect(h.contract.getCurrentEpoch(EVENT)!.asOfSeq).toBe(seq);
    expect(ask({ type: 'currentEpoch', eventId: eventId('no-such-gig') })).toEqual({ status: 'rejected', reason: 'not_found' });
  });
});

describe('construction refuses a committee that could never settle', () => {
  it('needs at least publicKey.minShares members with distinct indices, each with a 32-byte request key', () => {
    const base = { crypto: h.crypto, identityCommittee: h.committeeInfo, fundingKeys: [h.gateway.publicKey], random: h.random };
    const members = h.orders.members.map((m, i) => ({ index: h.orders.keyShares[i]!.index, requestKey: m.publicKey }));
    expect(h.orders.publicKey.minShares).toBe(2);
    expect(() => createEventContract({ deployment: 'test', ...base, orderCommittee: { publicKey: h.orders.publicKey, members: members.slice(0, 1) } })).toThrow(RangeError);
    expect(() => createEventContract({ deployment: 'test', ...base, orderCommittee: { publicKey: h.orders.publicKey, members: [] } })).toThrow(RangeError);
    // two request keys for one index count once
    const twoKeysOneIndex = [members[0]!, { ...members[0]!, requestKey: members[1]!.requestKey }];
    expect(() => createEventContract({ deployment: 'test', ...base, orderCommittee: { publicKey: h.orders.publicKey, members: twoKeysOneIndex } })).toThrow(RangeError);
    expect(() => createEventContract({ deployment: 'test', ...base, orderCommittee: { publicKey: h.orders.publicKey, members: [{ ...members[0]!, requestKey: new Uint8Array(31) }, members[1]!] } })).toThrow(
      /requestKey must be 32 bytes/,
    );
    expect(createEventContract({ deployment: 'test', ...base, orderCommittee: { publicKey: h.orders.publicKey, members: members.slice(0, 2) } }).name).toBe('event-contract');
  });
});
