import { beforeAll, describe, expect, it } from 'vitest';
import { eventId, ticketId } from '../src/codec/hash.js';
import { CodecError } from '../src/errors/index.js';
import { decode, encode } from '../src/codec/cbor.js';
import {
  createRotatingCode,
  createTicketLedger,
  decodeTicketQueryResult,
  decodeTicketResult,
  encodeTicketQuery,
  type TicketResult,
} from '../src/ticket/index.js';
import { signRequest } from '../src/app/request.js';
import { actor, crypto, harness, scan, type Actor, type Harness } from './helpers/ledger-harness.js';

const E = eventId('gig-2026');
const OTHER = eventId('other-gig');
const T = ticketId('t-1');

let org: Actor, gate: Actor, alice: Actor, bob: Actor, mallory: Actor, otherOrg: Actor, otherGate: Actor;
beforeAll(async () => {
  const all = await Promise.all(['org', 'gate', 'alice', 'bob', 'mallory', 'other-org', 'other-gate'].map(actor));
  [org, gate, alice, bob, mallory, otherOrg, otherGate] = all as [Actor, Actor, Actor, Actor, Actor, Actor, Actor];
});

async function setup(): Promise<Harness> {
  const h = harness();
  expect((await h.run(org, { type: 'createEvent', eventId: E })).status).toBe('ok');
  expect((await h.run(org, { type: 'authorizeGate', eventId: E, device: gate.publicKey })).status).toBe('ok');
  expect((await h.run(otherOrg, { type: 'createEvent', eventId: OTHER })).status).toBe('ok');
  expect((await h.run(otherOrg, { type: 'authorizeGate', eventId: OTHER, device: otherGate.publicKey })).status).toBe('ok');
  expect((await h.run(org, { type: 'issue', eventId: E, ticketId: T, holder: alice.publicKey })).status).toBe('ok');
  return h;
}

function rejected(r: TicketResult): string | undefined {
  return r.status === 'rejected' ? r.reason : undefined;
}

async function code(h: Harness, who: Actor, version = 1, time = h.time) {
  return createRotatingCode(crypto, who.secret, { ticketId: T, version }, time);
}

describe('ticket ledger: admission path', () => {
  it('validates with a fresh holder code, then consumes, exactly once', async () => {
    const h = await setup();
    const v = await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) });
    expect(v.status).toBe('ok');
    expect(v.status === 'ok' && v.ticket?.state).toBe('VALIDATED');
    const c = await h.run(gate, { type: 'consume', eventId: E, ticketId: T, scan: scan('south') });
    expect(c.status === 'ok' && c.ticket?.state).toBe('CONSUMED');
    expect(c.status === 'ok' && c.ticket?.scans.map((s) => s.kind)).toEqual(['validate', 'consume']);
    expect(rejected(await h.run(gate, { type: 'consume', eventId: E, ticketId: T, scan: scan() }))).toBe('already_consumed');
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) }))).toBe('already_consumed');
  });

  it('checks validity before duplication: wrong event, unauthorised device and bad codes win over state', async () => {
    const h = await setup();
    expect((await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) })).status).toBe('ok');
    expect(rejected(await h.run(otherGate, { type: 'validate', eventId: OTHER, ticketId: T, scan: scan(), code: await code(h, alice) }))).toBe('wrong_event');
    expect(rejected(await h.run(mallory, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) }))).toBe('not_authorized');
    expect(rejected(await h.run(otherGate, { type: 'consume', eventId: E, ticketId: T, scan: scan() }))).toBe('not_authorized');
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, bob) }))).toBe('stale_code');
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan() }))).toBe('stale_code');
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) }))).toBe('already_validated');
  });

  it('refuses consume before validate, and unknown tickets', async () => {
    const h = await setup();
    expect(rejected(await h.run(gate, { type: 'consume', eventId: E, ticketId: T, scan: scan() }))).toBe('not_validated');
    expect(rejected(await h.run(gate, { type: 'consume', eventId: E, ticketId: ticketId('nope'), scan: scan() }))).toBe('not_found');
  });

  it('refuses codes from another time step, forged codes and codes for an old version', async () => {
    const h = await setup();
    const old = await code(h, alice, 1, h.time - 5 * 30_000);
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: old }))).toBe('stale_code');
    const forged = { ...(await code(h, alice)), signature: new Uint8Array(64).fill(7) };
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: forged }))).toBe('invalid_signature');
    const beforeTransfer = await code(h, alice);
    expect((await h.run(alice, { type: 'transfer', ticketId: T, to: bob.publicKey })).status).toBe('ok');
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: beforeTransfer }))).toBe('stale_code');
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, bob, 1) }))).toBe('stale_code');
    expect((await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, bob, 2) })).status).toBe('ok');
  });

  it('a revoked gate device is refused', async () => {
    const h = await setup();
    expect((await h.run(org, { type: 'revokeGate', eventId: E, device: gate.publicKey })).status).toBe('ok');
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) }))).toBe('not_authorized');
  });
});

describe('ticket ledger: ownership and authority', () => {
  it('transfers only from ISSUED, only by the holder, and bumps the version', async () => {
    const h = await setup();
    expect(rejected(await h.run(mallory, { type: 'transfer', ticketId: T, to: mallory.publicKey }))).toBe('not_holder');
    expect(rejected(await h.run(alice, { type: 'transfer', ticketId: T, to: alice.publicKey }))).toBe('same_holder');
    const r = await h.run(alice, { type: 'transfer', ticketId: T, to: bob.publicKey });
    expect(r.status === 'ok' && [r.ticket?.holder, r.ticket?.version]).toEqual([bob.id, 2]);
    expect(rejected(await h.run(alice, { type: 'transfer', ticketId: T, to: alice.publicKey }))).toBe('not_holder');
    expect((await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, bob, 2) })).status).toBe('ok');
    expect(rejected(await h.run(bob, { type: 'transfer', ticketId: T, to: alice.publicKey }))).toBe('already_validated');
  });

  it('only the organizer issues, authorises gates, revokes, refunds and resolves', async () => {
    const h = await setup();
    expect(rejected(await h.run(mallory, { type: 'issue', eventId: E, ticketId: ticketId('x'), holder: mallory.publicKey }))).toBe('not_organizer');
    expect(rejected(await h.run(mallory, { type: 'authorizeGate', eventId: E, device: mallory.publicKey }))).toBe('not_organizer');
    expect(rejected(await h.run(mallory, { type: 'revoke', ticketId: T }))).toBe('not_organizer');
    expect(rejected(await h.run(mallory, { type: 'refund', ticketId: T }))).toBe('not_organizer');
    expect(rejected(await h.run(org, { type: 'issue', eventId: E, ticketId: T, holder: bob.publicKey }))).toBe('already_exists');
    expect(rejected(await h.run(mallory, { type: 'createEvent', eventId: E }))).toBe('already_exists');
    expect(rejected(await h.run(org, { type: 'issue', eventId: eventId('none'), ticketId: ticketId('y'), holder: bob.publicKey }))).toBe('not_found');
  });

  it('disputes freeze a ticket until the organizer resolves it', async () => {
    const h = await setup();
    expect(rejected(await h.run(mallory, { type: 'dispute', ticketId: T, note: 'mine' }))).toBe('not_authorized');
    const d = await h.run(alice, { type: 'dispute', ticketId: T, note: 'lost phone' });
    expect(d.status === 'ok' && [d.ticket?.state, d.ticket?.disputedFrom]).toEqual(['DISPUTED', 'ISSUED']);
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) }))).toBe('disputed');
    expect(rejected(await h.run(alice, { type: 'transfer', ticketId: T, to: bob.publicKey }))).toBe('disputed');
    expect(rejected(await h.run(alice, { type: 'resolve', ticketId: T, outcome: 'reinstate' }))).toBe('not_organizer');
    const r = await h.run(org, { type: 'resolve', ticketId: T, outcome: 'reinstate' });
    expect(r.status === 'ok' && r.ticket?.state).toBe('ISSUED');
    expect(rejected(await h.run(org, { type: 'resolve', ticketId: T, outcome: 'reinstate' }))).toBe('not_disputed');
    expect((await h.run(gate, { type: 'dispute', ticketId: T, note: 'suspicious' })).status).toBe('ok');
    const refund = await h.run(org, { type: 'resolve', ticketId: T, outcome: 'refund' });
    expect(refund.status === 'ok' && refund.ticket?.state).toBe('REFUNDED');
    expect(rejected(await h.run(org, { type: 'revoke', ticketId: T }))).toBe('refunded');
  });
});

describe('ticket ledger: requests', () => {
  it('rejects a forged signature without touching state or the replay window', async () => {
    const h = await setup();
    const before = h.ledger.digest();
    const req = await h.sign(alice, { type: 'transfer', ticketId: T, to: bob.publicKey });
    const forged = { ...req, signature: req.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    expect(rejected(await h.runSigned(forged))).toBe('invalid_signature');
    const spoofed = { ...req, clientId: mallory.id };
    expect(rejected(await h.runSigned(spoofed))).toBe('invalid_signature');
    expect(h.ledger.digest()).toEqual(before);
    expect((await h.runSigned(req)).status).toBe('ok');
  });

  it('executes each (clientId, requestSeq) once; replays are rejected, out-of-order inside the window is fine', async () => {
    const h = await setup();
    const a = await h.sign(alice, { type: 'dispute', ticketId: T, note: 'a' });
    const b = await h.sign(alice, { type: 'dispute', ticketId: T, note: 'b' });
    expect((await h.runSigned(b)).status).toBe('ok');
    expect(rejected(await h.runSigned(a))).toBe('disputed'); // executed (seq below high but fresh)
    expect(rejected(await h.runSigned(a))).toBe('replayed');
    expect(rejected(await h.runSigned(b))).toBe('replayed');
    const far = await signRequest(crypto, alice.secret, { requestSeq: 5000, op: a.op });
    expect(rejected(await h.runSigned(far))).toBe('disputed');
    const tooOld = await signRequest(crypto, alice.secret, { requestSeq: 10, op: a.op });
    expect(rejected(await h.runSigned(tooOld))).toBe('replayed');
  });

  it('malformed op bytes are a rejection that consumes the request number', async () => {
    const h = await setup();
    const bad = [encode({ type: 'explode' }), encode({ type: 'transfer', ticketId: 'ok', to: new Uint8Array(3) }), new Uint8Array([0xff]), encode({ type: 'issue', eventId: 'e', ticketId: 't', holder: new Uint8Array(32), extra: 1 })];
    for (const op of bad) {
      const req = await signRequest(crypto, alice.secret, { requestSeq: alice.nextSeq++, op });
      expect(rejected(await h.runSigned(req))).toBe('malformed');
      expect(rejected(await h.runSigned(req))).toBe('replayed');
    }
  });
});

describe('ticket ledger: snapshots and queries', () => {
  it('snapshot/restore reproduces state byte for byte and digest', async () => {
    const h = await setup();
    await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) });
    const other = createTicketLedger({ crypto });
    other.restore(h.ledger.snapshot());
    expect(other.snapshot()).toEqual(h.ledger.snapshot());
    expect(other.digest()).toEqual(h.ledger.digest());
    expect(other.getTicket(T)?.state).toBe('VALIDATED');
  });

  it('a malformed or non-canonical snapshot throws CodecError and leaves state untouched', async () => {
    const h = await setup();
    const target = createTicketLedger({ crypto });
    target.restore(h.ledger.snapshot());
    const digest = target.digest();
    const snap = decode(h.ledger.snapshot()) as Record<string, unknown>;
    const corrupt: Uint8Array[] = [
      new Uint8Array([1, 2, 3]),
      encode({ ...(snap as object), app: 'something-else' } as never),
      encode({ ...(snap as object), tickets: [...(snap['tickets'] as unknown[]), ...(snap['tickets'] as unknown[])] } as never),
      encode({ ...(snap as object), events: [] } as never),
    ];
    for (const bytes of corrupt) {
      expect(() => target.restore(bytes)).toThrow(CodecError);
      expect(target.digest()).toEqual(digest);
    }
  });

  it('answers queries without changing state', async () => {
    const h = await setup();
    for (let i = 0; i < 5; i++) await h.run(org, { type: 'issue', eventId: E, ticketId: ticketId(`u-${i}`), holder: bob.publicKey });
    const before = h.ledger.digest();
    const t = decodeTicketQueryResult(h.ledger.query(encodeTicketQuery({ type: 'ticket', ticketId: T })));
    expect(t.status === 'ok' && 'ticket' in t && t.ticket.holder).toBe(alice.id);
    const page1 = decodeTicketQueryResult(h.ledger.query(encodeTicketQuery({ type: 'tickets', eventId: E, limit: 4 })));
    expect(page1.status === 'ok' && 'tickets' in page1 && [page1.tickets.length, page1.next]).toEqual([4, 'u-2']);
    const page2 = decodeTicketQueryResult(h.ledger.query(encodeTicketQuery({ type: 'tickets', eventId: E, after: ticketId('u-2'), limit: 4 })));
    expect(page2.status === 'ok' && 'tickets' in page2 && page2.tickets.map((x) => x.ticketId)).toEqual(['u-3', 'u-4']);
    const stats = decodeTicketQueryResult(h.ledger.query(encodeTicketQuery({ type: 'stats' })));
    expect(stats.status === 'ok' && 'stats' in stats && stats.stats.byState.ISSUED).toBe(6);
    expect(decodeTicketQueryResult(h.ledger.query(new Uint8Array([0xff])))).toEqual({ status: 'rejected', reason: 'malformed' });
    expect(decodeTicketQueryResult(h.ledger.query(encodeTicketQuery({ type: 'ticket', ticketId: ticketId('zz') })))).toEqual({ status: 'rejected', reason: 'not_found' });
    expect(h.ledger.digest()).toEqual(before);
  });

  it('results decode on the client side and reject tampering', async () => {
    const h = await setup();
    expect(() => decodeTicketResult(encode({ status: 'rejected', reason: 'because' }))).toThrow(CodecError);
    expect((await h.run(alice, { type: 'dispute', ticketId: T, note: 'x' })).status).toBe('ok');
  });
});
