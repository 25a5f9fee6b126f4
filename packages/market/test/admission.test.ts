/**
 * Gate admission on the event contract: the tickets the market sells are the
 * tickets gates admit. Validity before duplication, forward-only states, and
 * the market refusing to move a scanned ticket.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createRotatingCode, decode, encode, gateId, signRequest, type CborRecord, type RotatingCode, type ScanFact } from '@admitone/core';
import fc from 'fast-check';
import {
  decodeContractOp,
  decodeContractQuery,
  decodeContractQueryResult,
  decodeContractResult,
  encodeContractOp,
  encodeContractQuery,
  ticketIdOf,
  type ContractOp,
  type EventContract,
} from '../src/index.js';
import { business, EVENT, harness, makeActor, ok, policy, type Actor, type Harness } from './contract-helpers.js';

const STEP = 15_000;

let h: Harness;
let org: Actor;
let alice: Actor;
let bob: Actor;
let gate: Actor;
let nonce = 0;

function scan(time = h.now, gateName = 'north-1'): ScanFact {
  const n = new Uint8Array(16);
  new DataView(n.buffer).setUint32(0, ++nonce);
  return { nonce: n, gate: gateId(gateName), time };
}
async function code(holder: Actor, serial: number, version = 1, time = h.now): Promise<RotatingCode> {
  return createRotatingCode(h.crypto, holder.secret, { deployment: 'test', ticketId: ticketIdOf(EVENT, serial), version, timeMs: time, stepMs: STEP });
}
async function rejects(who: Actor, op: ContractOp, reason: string): Promise<void> {
  const before = business(h.contract);
  expect(await h.run(who, op)).toEqual({ status: 'rejected', reason });
  expect(business(h.contract)).toEqual(before);
}
async function admit(device: Actor, serial: number, holder: Actor, over: { version?: number; codeTime?: number; scanTime?: number } = {}) {
  return h.run(device, { type: 'admit', eventId: EVENT, serial, scan: scan(over.scanTime ?? h.now), code: await code(holder, serial, over.version ?? 1, over.codeTime ?? h.now) });
}

beforeEach(async () => {
  h = await harness();
  org = await makeActor(h.crypto, 'org');
  alice = await makeActor(h.crypto, 'alice');
  bob = await makeActor(h.crypto, 'bob');
  gate = await makeActor(h.crypto, 'gate-device');
  await h.fund(alice, 100_000n);
  await h.fund(bob, 100_000n);
  ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
  ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 2, credential: await h.credential(alice) }));
  ok(await h.run(bob, { type: 'register', eventId: EVENT, credential: await h.credential(bob) }));
});

describe('gate devices', () => {
  it('only the organizer authorises and revokes; unauthorised devices cannot admit', async () => {
    await rejects(alice, { type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }, 'not_organizer');
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(), code: await code(alice, 1) }, 'not_authorized');
    expect(ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: gate.publicKey })).event?.devices).toEqual([gate.id]);
    ok(await h.run(org, { type: 'revokeGate', eventId: EVENT, device: gate.publicKey }));
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(), code: await code(alice, 1) }, 'not_authorized');
  });

  it('refuses a small-order device key (under ZIP-215 anyone could sign as it)', async () => {
    const identity = new Uint8Array(32);
    identity[0] = 1; // the encoding of the identity point
    await rejects(org, { type: 'authorizeGate', eventId: EVENT, device: identity }, 'malformed');
    expect(h.contract.getEvent(EVENT)?.devices).toEqual([]);
  });
});

describe('deployments', () => {
  it("a request or a holder code signed for another deployment is refused and changes nothing", async () => {
    ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }));
    const before = business(h.contract);
    // alice's transfer, signed for a staging copy of this ledger with her next request number
    const op = encodeContractOp({ type: 'transfer', eventId: EVENT, serial: 2, to: bob.publicKey });
    const staging = await signRequest(h.crypto, alice.secret, { deployment: 'test-staging', requestSeq: alice.nextSeq, op });
    const prepared = await h.contract.prepare(staging);
    expect(prepared.authentic).toBe(false);
    expect(decodeContractResult(h.contract.execute(prepared, { seq: h.seq + 1, timestamp: h.now }))).toEqual({ status: 'rejected', reason: 'invalid_signature' });
    expect(business(h.contract)).toEqual(before);
    // a holder code for this ticket, signed for another venue's deployment
    const foreign = await createRotatingCode(h.crypto, alice.secret, { deployment: 'other-venue', ticketId: ticketIdOf(EVENT, 1), version: 1, timeMs: h.now, stepMs: STEP });
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(), code: foreign }, 'invalid_signature');
    ok(await admit(gate, 1, alice));
  });
});

describe('admit (strict, one step)', () => {
  beforeEach(async () => {
    ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }));
  });

  it('admits a ticket once: the second scan anywhere is already_consumed', async () => {
    const r = ok(await admit(gate, 1, alice));
    expect(r.tickets?.[0]).toMatchObject({ serial: 1, admission: 'consumed', scans: [{ kind: 'admit', gate: 'north-1', device: gate.id, seq: h.seq }] });
    const other = await makeActor(h.crypto, 'gate-device-2');
    ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: other.publicKey }));
    await rejects(other, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(h.now, 'south-3'), code: await code(alice, 1) }, 'already_consumed');
    expect(h.contract.getEvent(EVENT)?.admitted).toBe(1);
    expect(h.contract.stats()).toMatchObject({ tickets: 2, admitted: 1 });
  });

  it('checks validity before duplication: a forged or stale code on a consumed ticket is not already_consumed', async () => {
    ok(await admit(gate, 1, alice));
    const good = await code(alice, 1);
    const forged = { ...good, signature: good.signature.map((b, i) => (i === 5 ? b ^ 0x40 : b)) };
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(), code: forged }, 'invalid_signature');
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(), code: await code(bob, 1) }, 'stale_code');
  });

  it('refuses a code by someone other than the holder, for an old version, or outside the skew window', async () => {
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(), code: await code(bob, 1) }, 'stale_code');
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(), code: await code(alice, 1, 2) }, 'stale_code');
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(h.now + 3 * STEP), code: await code(alice, 1) }, 'stale_code');
    // one step of skew is tolerated
    ok(await admit(gate, 1, alice, { scanTime: h.now + STEP }));
  });

  it('a transferred ticket: the old holder’s code is stale, the new holder’s admits', async () => {
    ok(await h.run(alice, { type: 'transfer', eventId: EVENT, serial: 2, to: bob.publicKey }));
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 2, scan: scan(), code: await code(alice, 2, 1) }, 'stale_code');
    ok(await admit(gate, 2, bob, { version: 2 }));
  });

  it('a scanned ticket cannot be transferred, listed or refunded; a listed one cannot be admitted', async () => {
    ok(await h.run(alice, { type: 'listForResale', eventId: EVENT, serial: 2, price: 5_000n }));
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 2, scan: scan(), code: await code(alice, 2) }, 'ticket_listed');
    ok(await admit(gate, 1, alice));
    await rejects(alice, { type: 'transfer', eventId: EVENT, serial: 1, to: bob.publicKey }, 'already_consumed');
    await rejects(alice, { type: 'listForResale', eventId: EVENT, serial: 1, price: 5_000n }, 'already_consumed');
    await rejects(org, { type: 'refund', eventId: EVENT, serial: 1 }, 'already_consumed');
  });

  it('refunded and unknown tickets, and closed events, are refused', async () => {
    ok(await h.run(org, { type: 'refund', eventId: EVENT, serial: 2 }));
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 2, scan: scan(), code: await code(alice, 2) }, 'ticket_refunded');
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 9, scan: scan(), code: await code(alice, 9) }, 'not_found');
    ok(await h.run(org, { type: 'cancelEvent', eventId: EVENT }));
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(), code: await code(alice, 1) }, 'event_cancelled');
  });
});

describe('two-phase admission, disputes and resolution', () => {
  beforeEach(async () => {
    ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }));
  });

  it('validate → consume; consume first is not_validated; validate twice is already_validated', async () => {
    await rejects(gate, { type: 'consume', eventId: EVENT, serial: 1, scan: scan() }, 'not_validated');
    ok(await h.run(gate, { type: 'validate', eventId: EVENT, serial: 1, scan: scan(), code: await code(alice, 1) }));
    await rejects(gate, { type: 'validate', eventId: EVENT, serial: 1, scan: scan(), code: await code(alice, 1) }, 'already_validated');
    await rejects(alice, { type: 'transfer', eventId: EVENT, serial: 1, to: bob.publicKey }, 'already_validated');
    const r = ok(await h.run(gate, { type: 'consume', eventId: EVENT, serial: 1, scan: scan() }));
    expect(r.tickets?.[0]?.scans.map((x) => x.kind)).toEqual(['validate', 'consume']);
    await rejects(gate, { type: 'consume', eventId: EVENT, serial: 1, scan: scan() }, 'already_consumed');
  });

  it('a dispute freezes the ticket until the organizer resolves it: reinstate, revoke or refund', async () => {
    await rejects(bob, { type: 'dispute', eventId: EVENT, serial: 1, note: 'not mine' }, 'not_authorized');
    ok(await h.run(gate, { type: 'validate', eventId: EVENT, serial: 1, scan: scan(), code: await code(alice, 1) }));
    expect(ok(await h.run(alice, { type: 'dispute', eventId: EVENT, serial: 1, note: 'double charged' })).tickets?.[0]).toMatchObject({ admission: 'disputed', disputedFrom: 'validated' });
    await rejects(gate, { type: 'consume', eventId: EVENT, serial: 1, scan: scan() }, 'disputed');
    await rejects(alice, { type: 'dispute', eventId: EVENT, serial: 1, note: 'again' }, 'disputed');
    await rejects(alice, { type: 'resolve', eventId: EVENT, serial: 1, outcome: 'reinstate' }, 'not_organizer');
    // reinstate goes back to where it was: validated, so consume works
    expect(ok(await h.run(org, { type: 'resolve', eventId: EVENT, serial: 1, outcome: 'reinstate' })).tickets?.[0]?.admission).toBe('validated');
    ok(await h.run(gate, { type: 'consume', eventId: EVENT, serial: 1, scan: scan() }));
    await rejects(org, { type: 'resolve', eventId: EVENT, serial: 1, outcome: 'refund' }, 'not_disputed');

    // serial 2: disputed from issued, then refunded — the money goes back and conservation holds
    ok(await h.run(gate, { type: 'dispute', eventId: EVENT, serial: 2, note: 'fraud suspected' }));
    const before = h.contract.getAccount(alice.id).balance;
    expect(ok(await h.run(org, { type: 'resolve', eventId: EVENT, serial: 2, outcome: 'refund' })).tickets?.[0]).toMatchObject({ status: 'refunded', admission: 'issued' });
    expect(h.contract.getAccount(alice.id).balance).toBe(before + 5_000n);
    const s = h.contract.supply();
    expect(s.balances + s.escrow).toBe(s.deposited - s.withdrawn);
  });

  it('revoke voids the ticket without refund, frees the cap, keeps the money in escrow until completion or cancellation', async () => {
    ok(await h.run(org, { type: 'dispute', eventId: EVENT, serial: 1, note: 'counterfeit ID' }));
    ok(await h.run(org, { type: 'resolve', eventId: EVENT, serial: 1, outcome: 'revoke' }));
    expect(h.contract.getTicket(EVENT, 1)).toMatchObject({ status: 'revoked' });
    await rejects(gate, { type: 'admit', eventId: EVENT, serial: 1, scan: scan(), code: await code(alice, 1) }, 'ticket_revoked');
    await rejects(alice, { type: 'transfer', eventId: EVENT, serial: 1, to: bob.publicKey }, 'ticket_revoked');
    expect(h.contract.getAccount(org.id).escrow).toBe(10_000n);
    // a revoked ticket survives a snapshot round trip (derived escrow and caps included)
    const twin = h.twin();
    twin.restore(h.contract.snapshot());
    expect(twin.digest()).toEqual(h.contract.digest());
    expect(twin.getAccount(org.id)).toEqual(h.contract.getAccount(org.id));
    // cancellation repays everyone who paid, the revoked ticket's buyer included
    ok(await h.run(org, { type: 'cancelEvent', eventId: EVENT }));
    expect(h.contract.getAccount(alice.id)).toEqual({ account: alice.id, balance: 100_000n, escrow: 0n });
  });
});

describe('queries and encodings', () => {
  it('pages through an event’s tickets and counts', async () => {
    ok(await h.run(bob, { type: 'buyPrimary', eventId: EVENT, quantity: 3, credential: await h.credential(bob) }));
    const first = decodeContractQueryResult(h.contract.query(encodeContractQuery({ type: 'tickets', eventId: EVENT, limit: 2 })));
    expect(first).toMatchObject({ status: 'ok', next: 2 });
    const all: number[] = [];
    let after: number | undefined = 0;
    while (after !== undefined) {
      const page = decodeContractQueryResult(h.contract.query(encodeContractQuery({ type: 'tickets', eventId: EVENT, after, limit: 2 })));
      if (!('tickets' in page)) throw new Error('expected a page');
      all.push(...page.tickets.map((t) => t.serial));
      after = page.next;
    }
    expect(all).toEqual([1, 2, 3, 4, 5]);
    expect(decodeContractQueryResult(h.contract.query(encodeContractQuery({ type: 'tickets', eventId: EVENT, after: 5 })))).toEqual({ status: 'ok', tickets: [] });
    expect(decodeContractQueryResult(h.contract.query(encodeContractQuery({ type: 'stats' })))).toEqual({
      status: 'ok',
      stats: { events: 1, tickets: 5, admitted: 0, refunded: 0, listed: 0, settledEpochs: 0 },
    });
    expect(() => decodeContractQuery(encode({ type: 'tickets', eventId: EVENT, limit: 501 }))).toThrow();
    expect(decodeContractQueryResult(h.contract.query(encode({ type: 'tickets', eventId: EVENT, limit: 0 })))).toEqual({ status: 'rejected', reason: 'malformed' });
  });

  it('admission ops round-trip through the canonical codec; malformed ones are refused', async () => {
    const ops: ContractOp[] = [
      { type: 'authorizeGate', eventId: EVENT, device: gate.publicKey },
      { type: 'admit', eventId: EVENT, serial: 1, scan: scan(), code: await code(alice, 1) },
      { type: 'consume', eventId: EVENT, serial: 1, scan: scan() },
      { type: 'dispute', eventId: EVENT, serial: 1, note: 'x' },
      { type: 'resolve', eventId: EVENT, serial: 1, outcome: 'revoke' },
    ];
    for (const op of ops) expect(decodeContractOp(encodeContractOp(op))).toEqual(op);
    expect(() => decodeContractOp(encode({ type: 'resolve', eventId: EVENT, serial: 1, outcome: 'maybe' }))).toThrow();
    expect(() => decodeContractOp(encode({ type: 'dispute', eventId: EVENT, serial: 1, note: 'x'.repeat(281) }))).toThrow();
    expect(() => decodeContractOp(encode({ type: 'createEvent', eventId: 'e'.repeat(101), policy: {} }))).toThrow();
    expect(ticketIdOf(EVENT, 7)).toBe('summer-gig:7');
    expect(() => ticketIdOf(EVENT, 0)).toThrow(RangeError);
  });
});

describe('at most once, whatever the interleaving (property)', () => {
  it('across devices, retries and transfers a ticket is consumed at most once and the count matches', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ device: fc.integer({ min: 0, max: 2 }), serial: fc.integer({ min: 1, max: 2 }), transfer: fc.boolean() }), { minLength: 1, maxLength: 12 }), async (steps) => {
        h = await harness();
        org = await makeActor(h.crypto, 'org');
        alice = await makeActor(h.crypto, 'alice');
        bob = await makeActor(h.crypto, 'bob');
        await h.fund(alice, 100_000n);
        ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
        ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 2, credential: await h.credential(alice) }));
        ok(await h.run(bob, { type: 'register', eventId: EVENT, credential: await h.credential(bob) }));
        const devices = await Promise.all([0, 1, 2].map((i) => makeActor(h.crypto, `dev-${i}`)));
        for (const d of devices) ok(await h.run(org, { type: 'authorizeGate', eventId: EVENT, device: d.publicKey }));
        let admitted = 0;
        for (const s of steps) {
          const t = h.contract.getTicket(EVENT, s.serial)!;
          const holder = t.holder === alice.id ? alice : bob;
          if (s.transfer) {
            await h.run(holder, { type: 'transfer', eventId: EVENT, serial: s.serial, to: (holder === alice ? bob : alice).publicKey });
            continue;
          }
          const r = await h.run(devices[s.device]!, { type: 'admit', eventId: EVENT, serial: s.serial, scan: scan(), code: await code(holder, s.serial, t.version) });
          if (r.status === 'ok') admitted++;
          else expect(r.reason).toBe('already_consumed');
        }
        const consumed = [1, 2].filter((n) => h.contract.getTicket(EVENT, n)!.admission === 'consumed').length;
        expect(admitted).toBe(consumed);
        expect(h.contract.getEvent(EVENT)!.admitted).toBe(consumed);
        for (const n of [1, 2]) expect(h.contract.getTicket(EVENT, n)!.scans.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 25, seed: 7 },
    );
  });
});

