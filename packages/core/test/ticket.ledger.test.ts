import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventId, ticketId, type ClientId, type EventId, type TicketId } from '../src/codec/hash.js';
import { CodecError } from '../src/errors/index.js';
import { decode, encode, type CborValue } from '../src/codec/cbor.js';
import { bytesToHex, hexToBytes } from '../src/bytes/index.js';
import { isValidPublicKey } from '../src/crypto/keys.js';
import { seededRandom } from '../src/env/index.js';
import { stateDigest } from '../src/app/state.js';
import {
  MAX_GATE_DEVICES,
  REJECTION_REASONS,
  createRotatingCode,
  createTicketLedger,
  decodeTicketQuery,
  decodeTicketQueryResult,
  decodeTicketResult,
  encodeTicketOp,
  encodeTicketQuery,
  type ScanRecord,
  type TicketOp,
  type TicketQuery,
  type TicketResult,
} from '../src/ticket/index.js';
import { checkDeploymentId, isDeploymentId, requestSigningBytes, signRequest } from '../src/app/request.js';
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
  return createRotatingCode(crypto, who.secret, { deployment: 'test', ticketId: T, version, timeMs: time });
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
    const far = await signRequest(crypto, alice.secret, { deployment: 'test', requestSeq: 5000, op: a.op });
    expect(rejected(await h.runSigned(far))).toBe('disputed');
    const tooOld = await signRequest(crypto, alice.secret, { deployment: 'test', requestSeq: 10, op: a.op });
    expect(rejected(await h.runSigned(tooOld))).toBe('replayed');
  });

  it('malformed op bytes are a rejection that consumes the request number', async () => {
    const h = await setup();
    const bad = [encode({ type: 'explode' }), encode({ type: 'transfer', ticketId: 'ok', to: new Uint8Array(3) }), new Uint8Array([0xff]), encode({ type: 'issue', eventId: 'e', ticketId: 't', holder: new Uint8Array(32), extra: 1 })];
    for (const op of bad) {
      const req = await signRequest(crypto, alice.secret, { deployment: 'test', requestSeq: alice.nextSeq++, op });
      expect(rejected(await h.runSigned(req))).toBe('malformed');
      expect(rejected(await h.runSigned(req))).toBe('replayed');
    }
  });
});

describe('ticket ledger: deployments', () => {
  it('a request signed for another deployment is not authentic and touches neither state nor the replay window', async () => {
    const h = await setup();
    const before = h.ledger.digest();
    const op = encodeTicketOp({ type: 'transfer', ticketId: T, to: bob.publicKey });
    const seq = alice.nextSeq++;
    // the same key, request number and op, signed for a staging copy of the ledger
    const staging = await signRequest(crypto, alice.secret, { deployment: 'test-staging', requestSeq: seq, op });
    expect(rejected(await h.runSigned(staging))).toBe('invalid_signature');
    expect(h.ledger.digest()).toEqual(before);
    // the request number is still free here: the request signed for this deployment executes
    expect((await h.runSigned(await signRequest(crypto, alice.secret, { deployment: 'test', requestSeq: seq, op }))).status).toBe('ok');
    // and the bytes each deployment signs differ only by the deployment id
    const unsigned = { clientId: alice.id, requestSeq: seq, op };
    expect(bytesToHex(requestSigningBytes(unsigned, 'test'))).not.toBe(bytesToHex(requestSigningBytes(unsigned, 'test-staging')));
  });

  it("a holder code signed for another deployment is refused (invalid_signature), though its ticket id, version and step match", async () => {
    const h = await setup();
    const foreign = await createRotatingCode(crypto, alice.secret, { deployment: 'other-venue', ticketId: T, version: 1, timeMs: h.time });
    expect(rejected(await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: foreign }))).toBe('invalid_signature');
    expect((await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) })).status).toBe('ok');
  });

  it('malformed deployment ids are refused where they are configured or signed, with a TypeError', async () => {
    const bad: unknown[] = [undefined, '', ' ', 'has space', 'a'.repeat(65), 'naïve', 'line\nbreak', 42, null];
    for (const deployment of bad) {
      expect(isDeploymentId(deployment)).toBe(false);
      expect(() => createTicketLedger({ crypto, deployment } as never)).toThrow(TypeError);
      await expect(signRequest(crypto, alice.secret, { deployment, requestSeq: 1, op: new Uint8Array(1) } as never)).rejects.toThrow(TypeError);
      await expect(createRotatingCode(crypto, alice.secret, { deployment, ticketId: T, version: 1, timeMs: 0 } as never)).rejects.toThrow(TypeError);
      expect(() => checkDeploymentId(deployment)).toThrow(/deployment must be a deployment id/);
    }
    for (const ok of ['a', 'acme-tickets/prod', '~!@#$%^&*()_+{}|:"<>?', 'x'.repeat(64)]) expect(isDeploymentId(ok)).toBe(true);
  });
});

describe('ticket ledger: snapshots and queries', () => {
  it('snapshot/restore reproduces state byte for byte and digest', async () => {
    const h = await setup();
    await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) });
    const other = createTicketLedger({ deployment: 'test', crypto });
    other.restore(h.ledger.snapshot());
    expect(other.snapshot()).toEqual(h.ledger.snapshot());
    expect(other.digest()).toEqual(h.ledger.digest());
    expect(other.getTicket(T)?.state).toBe('VALIDATED');
  });

  it('a malformed or non-canonical snapshot throws CodecError and leaves state untouched', async () => {
    const h = await setup();
    const target = createTicketLedger({ deployment: 'test', crypto });
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

describe('ticket ledger: settling disputes', () => {
  it('refund refuses a ticket disputed after validation (already_validated); resolve still settles it', async () => {
    const h = await setup();
    expect((await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) })).status).toBe('ok');
    expect(rejected(await h.run(org, { type: 'refund', ticketId: T }))).toBe('already_validated');
    expect((await h.run(alice, { type: 'dispute', ticketId: T, note: 'x' })).status).toBe('ok');
    expect(rejected(await h.run(org, { type: 'refund', ticketId: T }))).toBe('already_validated');
    expect(h.ledger.getTicket(T)?.state).toBe('DISPUTED');
    const settled = await h.run(org, { type: 'resolve', ticketId: T, outcome: 'refund' });
    expect(settled.status === 'ok' && settled.ticket?.state).toBe('REFUNDED');
    // a ticket disputed before validation is refunded directly
    const u = ticketId('u-1');
    await h.run(org, { type: 'issue', eventId: E, ticketId: u, holder: bob.publicKey });
    expect((await h.run(bob, { type: 'dispute', ticketId: u, note: 'x' })).status).toBe('ok');
    const refunded = await h.run(org, { type: 'refund', ticketId: u });
    expect(refunded.status === 'ok' && refunded.ticket?.state).toBe('REFUNDED');
  });
});

describe('ticket ledger: keys that authenticate nothing', () => {
  const identity = new Uint8Array(32).fill(0).map((_, i) => (i === 0 ? 1 : 0)); // the identity point
  const order4 = new Uint8Array(32); // y = 0: a point of order 4
  const nonCanonical = hexToBytes('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'); // y = p: y = 0 again
  const notAPoint = new Uint8Array(32).fill(2);
  const bad = [identity, order4, nonCanonical, notAPoint];

  it('isValidPublicKey accepts real keys and refuses small-order, non-canonical and invalid encodings', async () => {
    expect(isValidPublicKey(alice.publicKey)).toBe(true);
    expect(isValidPublicKey(new Uint8Array(32).fill(1))).toBe(true); // mixed order: only its owner can sign
    for (const k of bad) expect(isValidPublicKey(k), bytesToHex(k)).toBe(false);
    expect(isValidPublicKey(new Uint8Array(31))).toBe(false);
    expect(isValidPublicKey('00' as unknown as Uint8Array)).toBe(false);
  });

  it('refuses them as holder, transfer target and gate device (malformed); revoking one stays possible', async () => {
    const h = await setup();
    for (const k of bad) {
      expect(rejected(await h.run(org, { type: 'issue', eventId: E, ticketId: ticketId(`k-${bytesToHex(k).slice(0, 8)}`), holder: k }))).toBe('malformed');
      expect(rejected(await h.run(alice, { type: 'transfer', ticketId: T, to: k }))).toBe('malformed');
      expect(rejected(await h.run(org, { type: 'authorizeGate', eventId: E, device: k }))).toBe('malformed');
      expect((await h.run(org, { type: 'revokeGate', eventId: E, device: k })).status).toBe('ok');
    }
    expect(h.ledger.getTicket(T)?.holder).toBe(alice.id);
    expect(h.ledger.getEvent(E)?.devices).toEqual([gate.id]);
  });

  it('a request "signed" by a small-order key (R = identity, S = 0 verifies under ZIP-215) is not authentic', async () => {
    const h = await setup();
    const forged = new Uint8Array(64);
    forged[0] = 1; // R = identity, S = 0
    const op = encodeTicketOp({ type: 'createEvent', eventId: eventId('squat') });
    const req = { clientId: bytesToHex(identity) as ClientId, requestSeq: 1, op, signature: forged };
    expect(await crypto.verify(forged, requestSigningBytes(req, 'test'), identity)).toBe(true); // the provider's ZIP-215 verdict
    const before = h.ledger.digest();
    const prepared = await h.ledger.prepare(req);
    expect(prepared.authentic).toBe(false);
    expect(rejected(await h.runSigned(req))).toBe('invalid_signature');
    expect(h.ledger.digest()).toEqual(before);
  });
});

describe('ticket ledger: views are copies', () => {
  it('changing a getTicket() view changes neither the ledger nor its digest', async () => {
    const h = await setup();
    expect((await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan(), code: await code(h, alice) })).status).toBe('ok');
    const digest = bytesToHex(h.ledger.digest());
    const snapshot = bytesToHex(h.ledger.snapshot());
    const view = h.ledger.getTicket(T);
    const nonce = bytesToHex(view?.scans[0]?.nonce ?? new Uint8Array());
    view?.scans[0]?.nonce.fill(0xab);
    (view?.scans[0] as { time: number }).time = 42;
    (view?.scans as ScanRecord[]).push(view?.scans[0] as ScanRecord);
    const again = h.ledger.getTicket(T);
    expect(again?.scans.length).toBe(1);
    expect(bytesToHex(again?.scans[0]?.nonce ?? new Uint8Array())).toBe(nonce);
    expect(again?.scans[0]?.time).toBe(h.time);
    expect(bytesToHex(h.ledger.snapshot())).toBe(snapshot);
    expect(bytesToHex(h.ledger.digest())).toBe(digest);
    expect(bytesToHex(stateDigest(h.ledger.state.entries()))).toBe(digest);
  });
});

describe('ticket ledger: request numbers', () => {
  it('a requestSeq that is not a safe integer ≥ 1 is not authentic, never a throw, and touches nothing', async () => {
    const h = await setup();
    const before = h.ledger.snapshot();
    for (const requestSeq of [0, -5, 1.5, Number.NaN, 2 ** 53]) {
      const op = encodeTicketOp({ type: 'createEvent', eventId: eventId('seq-gig') });
      // signed over whatever the bytes are (a float cannot even be encoded: any signature)
      let signature: Uint8Array = new Uint8Array(64);
      if (Number.isSafeInteger(requestSeq)) signature = await crypto.sign(requestSigningBytes({ clientId: org.id, requestSeq, op }, 'test'), org.secret);
      const req = { clientId: org.id, requestSeq, op, signature };
      const prepared = await h.ledger.prepare(req);
      expect(prepared.authentic, String(requestSeq)).toBe(false);
      expect(decodeTicketResult(h.ledger.execute(prepared, { seq: 99, timestamp: 0 }))).toEqual({ status: 'rejected', reason: 'invalid_signature' });
      // a prepared request made by hand that claims authenticity is refused before the replay window
      expect(decodeTicketResult(h.ledger.execute({ ...prepared, authentic: true }, { seq: 99, timestamp: 0 }))).toEqual({ status: 'rejected', reason: 'malformed' });
    }
    expect(h.ledger.snapshot()).toEqual(before);
    createTicketLedger({ deployment: 'test', crypto }).restore(h.ledger.snapshot());
  });
});

describe('ticket ledger: gate device cap', () => {
  it(`authorizeGate beyond MAX_GATE_DEVICES (${MAX_GATE_DEVICES}) is rejected too_many_devices; results and event queries keep decoding`, async () => {
    const h = await setup();
    const snap = decode(h.ledger.snapshot()) as { events: [string, string, string[], number][] };
    const row = snap.events.find((e) => e[0] === E) as [string, string, string[], number];
    const devices = Array.from({ length: MAX_GATE_DEVICES - 1 }, (_, i) => hexToBytes(`${i.toString(16).padStart(8, '0')}${'00'.repeat(28)}`))
      .map(bytesToHex)
      .concat(gate.id);
    row[2] = devices.sort();
    h.ledger.restore(encode(snap as never));
    expect(h.ledger.getEvent(E)?.devices.length).toBe(MAX_GATE_DEVICES);
    const extra = (await actor('extra-gate')).publicKey;
    expect(rejected(await h.run(org, { type: 'authorizeGate', eventId: E, device: extra }))).toBe('too_many_devices');
    expect(h.ledger.getEvent(E)?.devices.length).toBe(MAX_GATE_DEVICES);
    // re-authorising a device already there is fine; after a revoke there is room again
    expect((await h.run(org, { type: 'authorizeGate', eventId: E, device: gate.publicKey })).status).toBe('ok');
    expect((await h.run(org, { type: 'revokeGate', eventId: E, device: gate.publicKey })).status).toBe('ok');
    const r = await h.run(org, { type: 'authorizeGate', eventId: E, device: extra });
    expect(r.status === 'ok' && r.event?.devices.length).toBe(MAX_GATE_DEVICES);
    const q = decodeTicketQueryResult(h.ledger.query(encodeTicketQuery({ type: 'event', eventId: E })));
    expect(q.status === 'ok' && 'event' in q && q.event.devices.length).toBe(MAX_GATE_DEVICES);
    // the decoder's cap is the same constant
    expect(() => decodeTicketResult(encode({ status: 'ok', event: { eventId: E, organizer: org.id, devices: [...devices, 'ff'.repeat(32)], tickets: 1 } }))).toThrow(CodecError);
    expect(REJECTION_REASONS).toContain('too_many_devices');
  });
});

describe('ticket codec: optional fields', () => {
  it('encodeTicketOp and encodeTicketQuery leave out optional fields that are present but undefined', () => {
    const s = scan();
    const withUndefined = { type: 'validate', eventId: E, ticketId: T, scan: s, code: undefined } as unknown as TicketOp;
    expect(encodeTicketOp(withUndefined)).toEqual(encodeTicketOp({ type: 'validate', eventId: E, ticketId: T, scan: s }));
    const q = { type: 'tickets', eventId: undefined, after: undefined, limit: undefined } as unknown as TicketQuery;
    expect(encodeTicketQuery(q)).toEqual(encodeTicketQuery({ type: 'tickets' }));
    expect(decodeTicketQuery(encodeTicketQuery({ type: 'tickets', eventId: E, after: undefined, limit: 10 } as unknown as TicketQuery))).toEqual({ type: 'tickets', eventId: E, limit: 10 });
    // a required field that is undefined still fails
    expect(() => encodeTicketOp({ type: 'refund', ticketId: undefined } as unknown as TicketOp)).toThrow(CodecError);
  });
});

describe('ticket ledger: tickets pages', () => {
  it('pages agree with a sorted, filtered reference, whatever the issue order, also after restores', async () => {
    const h = await setup();
    const events = [E, eventId('second-gig')];
    await h.run(org, { type: 'createEvent', eventId: events[1] as EventId });
    const all = new Map<string, EventId>([[T, E]]);
    const rnd = seededRandom(5);
    for (let i = 0; i < 200; i++) {
      const id = `p-${rnd.int(1e6).toString(36)}-${i % 7}`;
      const ev = events[i % 2] as EventId;
      all.set(id, ev);
      expect((await h.run(org, { type: 'issue', eventId: ev, ticketId: ticketId(id), holder: bob.publicKey })).status).toBe('ok');
    }
    const viaSnapshot = createTicketLedger({ deployment: 'test', crypto });
    viaSnapshot.restore(h.ledger.snapshot());
    const viaEntries = createTicketLedger({ deployment: 'test', crypto });
    viaEntries.state.restoreEntries(h.ledger.state.entries());
    for (const ledger of [h.ledger, viaSnapshot, viaEntries]) {
      for (const ev of [undefined, E, events[1], eventId('no-such-gig')]) {
        for (const limit of [1, 7, 100, 1000]) {
          const want = [...all].filter(([, e]) => ev === undefined || e === ev).map(([id]) => id).sort();
          const got: string[] = [];
          let after: TicketId | undefined;
          for (;;) {
            const q: TicketQuery = { type: 'tickets', limit, ...(ev === undefined ? {} : { eventId: ev }), ...(after === undefined ? {} : { after }) };
            const page = decodeTicketQueryResult(ledger.query(encodeTicketQuery(q)));
            if (page.status !== 'ok' || !('tickets' in page)) throw new Error('not a page');
            expect(page.tickets.length).toBeLessThanOrEqual(limit);
            got.push(...page.tickets.map((t) => t.ticketId));
            if (page.next === undefined) break;
            expect(page.next).toBe(page.tickets[page.tickets.length - 1]?.ticketId);
            after = page.next;
          }
          expect(got).toEqual(want);
        }
      }
      // `after` need not be a ticket id
      const mid = decodeTicketQueryResult(ledger.query(encodeTicketQuery({ type: 'tickets', after: ticketId('p-m'), limit: 1000 })));
      expect(mid.status === 'ok' && 'tickets' in mid && mid.tickets.map((t) => t.ticketId)).toEqual([...all.keys()].filter((id) => id > 'p-m').sort());
    }
  });

  it('pages by holder, and by holder within an event, follow issues and transfers, also after restores (fast-check)', async () => {
    const holders = [alice, bob, mallory];
    const events = [E, eventId('second-gig')];
    type Step = { kind: 'issue'; holder: number; event: number } | { kind: 'transfer'; ticket: number; to: number } | { kind: 'restore' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('issue' as const), holder: fc.nat(2), event: fc.nat(1) }),
      fc.record({ kind: fc.constant('transfer' as const), ticket: fc.nat(40), to: fc.nat(2) }),
      fc.record({ kind: fc.constant('restore' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const h = await setup();
        await h.run(org, { type: 'createEvent', eventId: events[1] as EventId });
        const model = new Map<string, { event: EventId; holder: number }>([[T, { event: E, holder: 0 }]]);
        let ledger = h.ledger;
        let n = 0;
        for (const s of steps) {
          if (s.kind === 'issue') {
            const id = `h-${(n++ * 7919) % 1000}-${n}`; // ids out of issue order
            model.set(id, { event: events[s.event] as EventId, holder: s.holder });
            const r = await h.run(org, { type: 'issue', eventId: events[s.event] as EventId, ticketId: ticketId(id), holder: (holders[s.holder] as Actor).publicKey });
            expect(r.status).toBe('ok');
          } else if (s.kind === 'transfer') {
            const ids = [...model.keys()];
            const id = ids[s.ticket % ids.length] as string;
            const m = model.get(id) as { event: EventId; holder: number };
            const r = await h.run(holders[m.holder] as Actor, { type: 'transfer', ticketId: ticketId(id), to: (holders[s.to] as Actor).publicKey });
            if (s.to === m.holder) expect(rejected(r)).toBe('same_holder');
            else {
              expect(r.status).toBe('ok');
              m.holder = s.to;
            }
          } else {
            // continue on a replica restored from this one's snapshot: its index is rebuilt, not carried over
            const next = createTicketLedger({ deployment: 'test', crypto });
            next.restore(ledger.snapshot());
            ledger = next;
            h.ledger = next;
          }
        }
        for (const [hi, who] of holders.entries()) {
          for (const ev of [undefined, ...events]) {
            const want = [...model].filter(([, m]) => m.holder === hi && (ev === undefined || m.event === ev)).map(([id]) => id).sort();
            for (const limit of [1, 3, 1000]) {
              const got: string[] = [];
              let after: TicketId | undefined;
              for (;;) {
                const q: TicketQuery = { type: 'tickets', holder: who.publicKey, limit, ...(ev === undefined ? {} : { eventId: ev }), ...(after === undefined ? {} : { after }) };
                const page = decodeTicketQueryResult(ledger.query(encodeTicketQuery(q)));
                if (page.status !== 'ok' || !('tickets' in page)) throw new Error('not a page');
                expect(page.tickets.every((t) => t.holder === who.id)).toBe(true);
                got.push(...page.tickets.map((t) => t.ticketId));
                if (page.next === undefined) break;
                after = page.next;
              }
              expect(got).toEqual(want);
            }
          }
        }
        // a key that holds nothing gets an empty page; a holder that is not 32 bytes is malformed
        const none = decodeTicketQueryResult(ledger.query(encodeTicketQuery({ type: 'tickets', holder: otherOrg.publicKey })));
        expect(none).toEqual({ status: 'ok', tickets: [] });
        expect(decodeTicketQueryResult(ledger.query(encode({ type: 'tickets', holder: new Uint8Array(31) })))).toEqual({ status: 'rejected', reason: 'malformed' });
      }),
      { numRuns: 15 },
    );
  });

  // what a page costs against the number of tickets is measured by the core bench ("tickets page"), not here
  it('pages through 60,000 tickets from a restored snapshot, in id order', async () => {
    const h = await setup();
    const snap = decode(h.ledger.snapshot()) as { events: [string, string, string[], number][]; tickets: Record<string, CborValue>[] };
    const t0 = snap.tickets[0] as Record<string, CborValue>;
    const N = 60_000;
    snap.tickets = Array.from({ length: N }, (_, i) => ({ ...t0, ticketId: `t-${String(i).padStart(6, '0')}` }));
    (snap.events.find((e) => e[0] === E) as [string, string, string[], number])[3] = N;
    h.ledger.restore(encode(snap as never));
    let after: TicketId | undefined;
    for (let i = 0; i < 300; i++) {
      const page = decodeTicketQueryResult(h.ledger.query(encodeTicketQuery({ type: 'tickets', eventId: E, limit: 5, ...(after === undefined ? {} : { after }) })));
      if (page.status !== 'ok' || !('tickets' in page) || page.next === undefined) throw new Error('expected a next page');
      after = page.next;
    }
    expect(after).toBe('t-001499');
  });
});
