/**
 * The HTTP layer against a contract-backed fake backend (a real
 * EventContract executed in-process instead of PBFT): routing, the envelope,
 * bad input (malformed JSON, unknown fields, oversized bodies, content
 * types, unknown routes and methods), organizer authentication, the
 * signed-request pipeline, the rejection → status table, reads, the identity
 * passthrough, health, metrics, the `/ws` stream with its bounded queue, and
 * the request logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { encodeRequest, eventId, gateId, createRotatingCode, signRequest, utf8ToBytes } from '@admitone/core';
import { ConsensusError } from '@admitone/consensus';
import { CONTRACT_REJECTIONS, encodeContractOp, ticketIdOf } from '@admitone/market';
import { REJECTION_STATUS, statusOfRejection } from '../src/api/rejections.js';
import { ROUTES } from '../src/api/routes.js';
import { bytesToBase64url } from '../src/client/base64url.js';
import { venueApi, type VenueApi } from '../src/client/venue-api.js';
import type { StreamUpdate } from '../src/client/types.js';
import { fixture, makeSigner, ORGANIZER_TOKEN, policy, type Fixture, type Signer } from './helpers.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: { ok: boolean; data?: unknown; error?: { code: string; reason: string; message: string; field?: string } };
}

function raw(url: string, method: string, headers: Record<string, string> = {}, body?: string | Uint8Array): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: Raw['json'] = { ok: false };
        try {
          json = JSON.parse(text) as Raw['json'];
        } catch {
          // not JSON (metrics, identity)
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const EVENT = eventId('http-gig');
let fx: Fixture;
let api: VenueApi;
let base: string;
let holder: Signer;
let gate: Signer;

beforeAll(async () => {
  fx = await fixture();
  api = venueApi(fx.api.url);
  base = fx.api.url;
  holder = await makeSigner(fx.crypto, fx.random);
  gate = await makeSigner(fx.crypto, fx.random);
});

afterAll(async () => {
  await fx.close();
});

describe('the rejection → status table', () => {
  it('maps every ContractRejection to a 4xx status, never a 5xx', () => {
    expect(Object.keys(REJECTION_STATUS).sort()).toEqual([...CONTRACT_REJECTIONS].sort());
    for (const reason of CONTRACT_REJECTIONS) {
      expect([400, 401, 403, 404, 409, 422], reason).toContain(statusOfRejection(reason));
    }
    expect(statusOfRejection('already_consumed')).toBe(409);
    expect(statusOfRejection('not_found')).toBe(404);
    expect(statusOfRejection('invalid_signature')).toBe(401);
    expect(statusOfRejection('not_organizer')).toBe(403);
    expect(statusOfRejection('stale_code')).toBe(422);
    expect(statusOfRejection('some_future_reason')).toBe(422);
  });
});

describe('routing and bad input', () => {
  it('answers unknown routes 404 no_route and wrong methods 405 with Allow', async () => {
    const nope = await raw(`${base}/api/v1/nope`, 'GET');
    expect(nope.status).toBe(404);
    expect(nope.json).toEqual({ ok: false, error: { code: 'not_found', reason: 'no_route', message: 'No such route.' } });
    const wrong = await raw(`${base}/api/v1/tickets/admit`, 'GET');
    expect(wrong.status).toBe(405);
    expect(wrong.json.error?.reason).toBe('method_not_allowed');
    expect(wrong.headers['allow']).toBe('POST');
    const del = await raw(`${base}/api/v1/stats`, 'DELETE');
    expect(del.status).toBe(405);
    expect(del.headers['allow']).toBe('GET');
    expect((await raw(`${base}/api/v1/tickets/%E0%A4%A`, 'GET')).json.error?.reason).toBe('invalid_field');
  });

  it('answers HEAD like GET without a body; GET /ws without Upgrade is 426 upgrade_required', async () => {
    const head = await raw(`${base}/health`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    const ws = await raw(`${base}/ws`, 'GET');
    expect(ws.status).toBe(426);
    expect(ws.json.error).toMatchObject({ code: 'upgrade_required', reason: 'upgrade_required' });
  });

  it('a request Node cannot parse gets the JSON envelope (400, or 431 for oversized headers) and a closed connection', async () => {
    const send = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(fx.api.port, '127.0.0.1');
        let answer = '';
        socket.setEncoding('utf8').on('data', (c: string) => (answer += c));
        socket.on('error', reject).on('close', () => resolve(answer));
        socket.end(text);
      });
    const badLength = await send('POST /api/v1/tickets/admit HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
    expect(badLength).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(badLength.slice(badLength.indexOf('\r\n\r\n') + 4))).toMatchObject({ ok: false, error: { code: 'bad_request', reason: 'unparsable_request' } });
    const huge = await send(`GET /health?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge).toContain('"reason":"headers_too_large"');
  });

  it('refuses wrong content types with 415', async () => {
    const body = JSON.stringify({ request: 'AA' });
    for (const headers of [{}, { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }]) {
      const r = await raw(`${base}/api/v1/tickets/admit`, 'POST', headers, body);
      expect(r.status).toBe(415);
      expect(r.json.error).toMatchObject({ code: 'unsupported_media_type', reason: 'unsupported_media_type' });
    }
    const octets = await raw(`${base}/api/v1/identity`, 'POST', { 'content-type': 'application/json' }, '{}');
    expect(octets.status).toBe(415);
  });

  it('refuses malformed JSON, non-objects, unknown and missing fields with 400 naming the field', async () => {
    const post = (body: string | Uint8Array) => raw(`${base}/api/v1/tickets/admit`, 'POST', { 'content-type': 'application/json; charset=utf-8' }, body);
    for (const body of ['{"request": ', 'nope', '', '{"request":"a",}']) {
      const r = await post(body);
      expect(r.status, body).toBe(400);
      expect(r.json.error?.reason, body).toBe('malformed_json');
    }
    expect((await post(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d))).json.error?.reason).toBe('malformed_json'); // not UTF-8
    for (const body of ['[]', '"x"', '42', 'null']) expect((await post(body)).json.error?.reason, body).toBe('invalid_body');
    const unknown = await post('{"request":"AA","sneaky":true}');
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ code: 'bad_request', reason: 'unknown_field', field: 'sneaky' });
    expect(unknown.json.error?.message).toContain('sneaky');
    const missing = await post('{}');
    expect(missing.json.error).toMatchObject({ reason: 'missing_field', field: 'request' });
    const notString = await post('{"request":42}');
    expect(notString.json.error).toMatchObject({ reason: 'invalid_field', field: 'request' });
    const query = await raw(`${base}/api/v1/stats?consistent=1&foo=bar`, 'GET');
    expect(query.status).toBe(400);
    expect(query.json.error).toMatchObject({ reason: 'unknown_field', field: 'foo' });
  });

  it('refuses a body over the limit with 413 from Content-Length, before reading it', async () => {
    const r = await raw(`${base}/api/v1/tickets/admit`, 'POST', { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) });
    expect(r.status).toBe(413);
    expect(r.json.error).toMatchObject({ code: 'payload_too_large', reason: 'body_too_large' });
    expect(r.headers['connection']).toBe('close');
  });

  it('stops reading a chunked body once it passes the limit, answers 413 and closes the connection', async () => {
    const port = fx.api.port;
    const answer = await new Promise<{ head: string; sent: number; closed: boolean }>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let head = '';
      let sent = 0;
      let stop = false;
      socket.on('error', () => {});
      socket.on('data', (d) => {
        head += d.toString('latin1');
        stop = true;
      });
      socket.on('close', () => resolve({ head, sent, closed: true }));
      socket.on('connect', () => {
        socket.write('POST /api/v1/tickets/admit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
        const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`;
        const pump = () => {
          // keep streaming (up to 64 MiB) until the server answers: it must answer long before
          while (!stop && sent < 64 * 1024 * 1024) {
            sent += 0x4000;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      setTimeout(() => reject(new Error('no answer to an endless body')), 10_000);
    });
    expect(answer.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.head).toContain('body_too_large');
    expect(answer.closed).toBe(true);
    expect(answer.sent).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('organizer authentication', () => {
  it('refuses organizer routes without a valid bearer token (401) before reading the body', async () => {
    const body = await fx.organizer.body({ type: 'createEvent', eventId: EVENT, policy: policy(fx.now) });
    const relayed = fx.backend.relayed.length;
    const none = await api.createEvent(body);
    expect(none.status).toBe(401);
    expect(!none.ok && none.error).toMatchObject({ code: 'unauthenticated', reason: 'unauthenticated' });
    expect((await api.createEvent(body, { token: 'wrong' })).status).toBe(401);
    // checked before the body: even a body that would be refused later gets 401
    const early = await raw(`${base}/api/v1/events`, 'POST', { 'content-type': 'text/plain', authorization: 'Basic abc' }, 'garbage');
    expect(early.status).toBe(401);
    expect(early.headers['www-authenticate']).toContain('Bearer');
    expect(fx.backend.relayed.length).toBe(relayed); // nothing reached consensus
  });

  it('relays organizer calls with the token; the signature decides (403 not_organizer for anyone else)', async () => {
    const created = await api.createEvent(await fx.organizer.body({ type: 'createEvent', eventId: EVENT, policy: policy(fx.now) }), { token: ORGANIZER_TOKEN });
    expect(created.status).toBe(200);
    expect(created.ok && created.data.event).toMatchObject({ eventId: EVENT, policy: { facePrice: '5000', capacity: 10 } });
    const stranger = await makeSigner(fx.crypto, fx.random);
    const forbidden = await api.gates(EVENT, await stranger.body({ type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }), { token: ORGANIZER_TOKEN });
    expect(forbidden.status).toBe(403);
    expect(!forbidden.ok && forbidden.error).toMatchObject({ code: 'forbidden', reason: 'not_organizer' });
    const ok = await api.gates(EVENT, await fx.organizer.body({ type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }), { token: ORGANIZER_TOKEN });
    expect(ok.status).toBe(200);
    const again = await api.createEvent(await fx.organizer.body({ type: 'createEvent', eventId: EVENT, policy: policy(fx.now) }), { token: ORGANIZER_TOKEN });
    expect(again.status).toBe(409);
    expect(!again.ok && again.error.reason).toBe('already_exists');
  });
});

describe('the signed-request pipeline', () => {
  it('refuses requests that are not signed requests (401), read-only requests and the wrong operation or event (400)', async () => {
    const post = (path: string, request: string) => raw(`${base}${path}`, 'POST', { 'content-type': 'application/json' }, JSON.stringify({ request }));
    for (const garbled of ['!!!', 'AAAA=', bytesToBase64url(utf8ToBytes('not a request')), '']) {
      const r = await post('/api/v1/tickets/admit', garbled);
      expect(r.status, garbled).toBe(401);
      expect(r.json.error?.reason, garbled).toBe('invalid_request');
    }
    const readOnly = await signRequest(fx.crypto, holder.secret, { deployment: 'test', requestSeq: 99, op: encodeContractOp({ type: 'cutoff', eventId: EVENT }), readOnly: true });
    expect((await post('/api/v1/market/cutoff', bytesToBase64url(encodeRequest(readOnly)))).json.error?.reason).toBe('read_only_request');
    const notAnOp = await signRequest(fx.crypto, holder.secret, { deployment: 'test', requestSeq: 98, op: utf8ToBytes('hello') });
    const malformed = await post('/api/v1/tickets/admit', bytesToBase64url(encodeRequest(notAnOp)));
    expect(malformed.status).toBe(400);
    expect(malformed.json.error?.reason).toBe('malformed');
    const wrongOp = await post('/api/v1/tickets/admit', await holder.body({ type: 'cutoff', eventId: EVENT }));
    expect(wrongOp.status).toBe(400);
    expect(wrongOp.json.error?.reason).toBe('wrong_operation');
    const otherEvent = await raw(`${base}/api/v1/events/other-gig/cancel`, 'POST', { 'content-type': 'application/json', authorization: `Bearer ${ORGANIZER_TOKEN}` }, JSON.stringify({ request: await fx.organizer.body({ type: 'cancelEvent', eventId: EVENT }) }));
    expect(otherEvent.json.error?.reason).toBe('event_mismatch');
  });

  it('refuses a request whose signature does not verify (401 invalid_signature) without relaying it', async () => {
    const signed = await holder.sign({ type: 'cutoff', eventId: EVENT });
    const tampered = { ...signed, signature: signed.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    const relayed = fx.backend.relayed.length;
    const r = await api.cutoff(tampered);
    expect(r.status).toBe(401);
    expect(!r.ok && r.error.reason).toBe('invalid_signature');
    expect(fx.backend.relayed.length).toBe(relayed);
  });

  it('maps contract outcomes: 200 with JSON data, 409 conflicts, 422 validation, 404 unknown', async () => {
    const deposit = await api.deposit(await fx.gateway.body({ type: 'deposit', account: holder.publicKey, amount: 20_000n }));
    expect(deposit.status).toBe(200);
    expect(deposit.ok && deposit.data.account).toMatchObject({ balance: '20000', escrow: '0' });
    const notFunder = await api.deposit(await holder.body({ type: 'deposit', account: holder.publicKey, amount: 1n }));
    expect(notFunder.status).toBe(403);
    expect(!notFunder.ok && notFunder.error.reason).toBe('not_authorized');
    const broke = await api.withdraw(await gate.body({ type: 'withdraw', amount: 5n }));
    expect(broke.status).toBe(409);
    expect(!broke.ok && broke.error.reason).toBe('insufficient_funds');
    const credential = await fx.credential(holder, EVENT, 'holder');
    const bought = await api.buy(await holder.body({ type: 'buyPrimary', eventId: EVENT, quantity: 3, credential }));
    expect(bought.status).toBe(200);
    expect(bought.ok && bought.data.tickets?.map((t) => [t.serial, t.admission, t.paid])).toEqual([
      [1, 'issued', '5000'],
      [2, 'issued', '5000'],
      [3, 'issued', '5000'],
    ]);
    const unknownEvent = await api.buy(await holder.body({ type: 'buyPrimary', eventId: eventId('no-such-gig'), quantity: 1, credential }));
    expect(unknownEvent.status).toBe(404);
    const scan = () => ({ nonce: fx.random.bytes(16), gate: gateId('north'), time: Date.now() });
    const admit = async (serial: number, secret = holder.secret) => {
      const s = scan();
      return gate.body({ type: 'admit', eventId: EVENT, serial, scan: s, code: await createRotatingCode(fx.crypto, secret, { deployment: 'test', ticketId: ticketIdOf(EVENT, serial), version: 1, timeMs: s.time, stepMs: 15_000 }) });
    };
    const first = await api.admit(await admit(1));
    expect(first.status).toBe(200);
    expect(first.ok && first.data.tickets?.[0]).toMatchObject({ serial: 1, admission: 'consumed' });
    const second = await api.admit(await admit(1));
    expect(second.status).toBe(409);
    expect(!second.ok && second.error).toMatchObject({ code: 'conflict', reason: 'already_consumed' });
    const stale = await api.admit(await admit(2, gate.secret));
    expect(stale.status).toBe(422);
    expect(!stale.ok && stale.error).toMatchObject({ code: 'unprocessable', reason: 'stale_code' });
    const notValidated = await api.consume(await gate.body({ type: 'consume', eventId: EVENT, serial: 2, scan: scan() }));
    expect(!notValidated.ok && notValidated.error.reason).toBe('not_validated');
    const disputed = await api.dispute(await holder.body({ type: 'dispute', eventId: EVENT, serial: 3, note: 'lost phone' }));
    expect(disputed.status).toBe(200);
    const resolved = await api.resolve(await fx.organizer.body({ type: 'resolve', eventId: EVENT, serial: 3, outcome: 'reinstate' }), { token: ORGANIZER_TOKEN });
    expect(resolved.status).toBe(200);
    const noCommittee = await api.cutoff(await holder.body({ type: 'cutoff', eventId: EVENT }));
    expect(noCommittee.status).toBe(409);
    expect(!noCommittee.ok && noCommittee.error.reason).toBe('no_committee');
  });

  it('maps consensus failures: 504 when nothing committed in time, 401 when replicas refuse the signature, 503 when closed, 500 for a bug', async () => {
    const cases: [unknown, number, string][] = [
      [new ConsensusError('REQUEST_TIMEOUT', 'timeout'), 504, 'consensus_timeout'],
      [new ConsensusError('REQUEST_REJECTED', 'refused', { meta: { reason: 'invalid_signature' } }), 401, 'invalid_signature'],
      [new ConsensusError('ENGINE_CLOSED', 'closed'), 503, 'unavailable'],
      [new Error('secret-bearing message 1234'), 500, 'internal'],
    ];
    for (const [error, status, reason] of cases) {
      fx.backend.failRelay = error;
      const r = await api.cutoff(await holder.body({ type: 'cutoff', eventId: EVENT }));
      expect(r.status).toBe(status);
      expect(!r.ok && r.error.reason).toBe(reason);
      expect(!r.ok && r.error.message).not.toContain('1234');
    }
    fx.backend.failRelay = undefined;
    const logged = fx.logger.records.filter((rec) => rec.message === 'http handler failed');
    expect(logged.length).toBe(1);
    expect(JSON.stringify(logged)).not.toContain('1234');
  });
});

describe('reads', () => {
  it('serves tickets by (event, serial) and by ticket id, locally or through the consistent path', async () => {
    const local = await api.ticket(EVENT, 1);
    expect(local.status).toBe(200);
    expect(local.ok && local.data).toMatchObject({ eventId: EVENT, serial: 1, admission: 'consumed', version: 1, paid: '5000' });
    expect(local.ok && local.data.scans[0]).toMatchObject({ kind: 'admit', gate: 'north' });
    expect(fx.backend.queries.at(-1)).toEqual({ consistent: false });
    const byId = await api.ticketById(`${EVENT}:1`, { consistent: true });
    expect(byId.ok && byId.data).toEqual(local.ok && local.data);
    expect(fx.backend.queries.at(-1)).toEqual({ consistent: true });
    expect((await api.ticket(EVENT, 42)).status).toBe(404);
    expect((await api.ticketById('no-colon')).status).toBe(400);
    expect((await raw(`${base}/api/v1/tickets/${EVENT}/0`, 'GET')).json.error?.field).toBe('serial');
    expect((await raw(`${base}/api/v1/tickets/${EVENT}/1?consistent=maybe`, 'GET')).json.error?.field).toBe('consistent');
    expect((await raw(`${base}/api/v1/tickets/bad%20id/1`, 'GET')).json.error?.field).toBe('eventId');
  });

  it('pages through an event\'s tickets with a next cursor', async () => {
    const page1 = await api.tickets({ eventId: EVENT, limit: 2 });
    expect(page1.ok && page1.data.tickets.map((t) => t.serial)).toEqual([1, 2]);
    expect(page1.ok && page1.data.next).toBe(2);
    const page2 = await api.tickets({ eventId: EVENT, after: 2, limit: 2 });
    expect(page2.ok && page2.data.tickets.map((t) => t.serial)).toEqual([3]);
    expect(page2.ok && 'next' in page2.data).toBe(false);
    expect((await raw(`${base}/api/v1/tickets`, 'GET')).json.error).toMatchObject({ reason: 'missing_field', field: 'eventId' });
    expect((await raw(`${base}/api/v1/tickets?eventId=${EVENT}&limit=501`, 'GET')).json.error).toMatchObject({ reason: 'invalid_field', field: 'limit' });
    expect((await raw(`${base}/api/v1/tickets?eventId=${EVENT}&limit=0`, 'GET')).json.error?.field).toBe('limit');
    expect((await raw(`${base}/api/v1/tickets?eventId=${EVENT}&eventId=x`, 'GET')).json.error?.reason).toBe('invalid_field');
  });

  it('pages through the tickets one key holds (?holder=), and refuses a key that is not 64 lowercase hex', async () => {
    const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');
    const friend = await makeSigner(fx.crypto, fx.random);
    const registered = await api.buy(await friend.body({ type: 'register', eventId: EVENT, credential: await fx.credential(friend, EVENT, 'friend') }));
    expect(registered.status).toBe(200);
    const gift = await api.transfer(await holder.body({ type: 'transfer', eventId: EVENT, serial: 3, to: friend.publicKey }));
    expect(gift.status).toBe(200);

    // holder keeps 1 (consumed at the gate: still held) and 2; friend now holds 3
    const first = await api.tickets({ eventId: EVENT, holder: holder.publicKey, limit: 1 });
    expect(first.status).toBe(200);
    expect(first.ok && first.data.tickets.map((t) => [t.serial, t.holder, t.admission])).toEqual([[1, hex(holder.publicKey), 'consumed']]);
    expect(first.ok && first.data.next).toBe(1);
    const second = await api.tickets({ eventId: EVENT, holder: hex(holder.publicKey), after: 1, limit: 1, consistent: true });
    expect(second.ok && second.data.tickets.map((t) => t.serial)).toEqual([2]);
    expect(second.ok && 'next' in second.data).toBe(false);
    expect(fx.backend.queries.at(-1)).toEqual({ consistent: true });
    const friends = await api.tickets({ eventId: EVENT, holder: friend.publicKey });
    expect(friends.ok && friends.data.tickets.map((t) => [t.serial, t.holder, t.version])).toEqual([[3, hex(friend.publicKey), 2]]);
    // a key that holds nothing gets an empty page, not a 404; an unknown event is a 404
    const nobody = await api.tickets({ eventId: EVENT, holder: gate.publicKey });
    expect(nobody.status).toBe(200);
    expect(nobody.ok && nobody.data).toEqual({ tickets: [] });
    expect((await api.tickets({ eventId: 'no-such-gig', holder: holder.publicKey })).status).toBe(404);

    const queriesBefore = fx.backend.queries.length;
    for (const bad of [hex(holder.publicKey).toUpperCase(), hex(holder.publicKey).slice(2), `${hex(holder.publicKey)}00`, 'zz'.repeat(32), '']) {
      const r = await raw(`${base}/api/v1/tickets?eventId=${EVENT}&holder=${bad}`, 'GET');
      expect(r.status, bad).toBe(400);
      expect(r.json, bad).toMatchObject({ ok: false, error: { code: 'bad_request', reason: 'invalid_field', field: 'holder' } });
    }
    expect((await raw(`${base}/api/v1/tickets?eventId=${EVENT}&holder=${hex(holder.publicKey)}&holder=${hex(friend.publicKey)}`, 'GET')).json.error).toMatchObject({ reason: 'invalid_field', field: 'holder' });
    expect((await raw(`${base}/api/v1/tickets?eventId=${EVENT}&holder=${hex(holder.publicKey)}&limit=501`, 'GET')).json.error).toMatchObject({ reason: 'invalid_field', field: 'limit' });
    expect((await raw(`${base}/api/v1/tickets?holder=${hex(holder.publicKey)}`, 'GET')).json.error).toMatchObject({ reason: 'missing_field', field: 'eventId' });
    // refused before anything reaches the replica
    expect(fx.backend.queries.length).toBe(queriesBefore);
  });

  it('serves stats, events, epochs and accounts', async () => {
    const stats = await api.stats();
    expect(stats.ok && stats.data).toEqual({ events: 1, tickets: 3, admitted: 1, refunded: 0, listed: 0, settledEpochs: 0 });
    const event = await api.event(EVENT);
    expect(event.ok && event.data).toMatchObject({ eventId: EVENT, issued: 3, admitted: 1, devices: [Buffer.from(gate.publicKey).toString('hex')] });
    expect((await api.event('nope')).status).toBe(404);
    const epoch = await api.epoch(EVENT, 0);
    expect(epoch.ok && epoch.data).toMatchObject({ eventId: EVENT, epoch: 0, status: 'open', orders: 0 });
    const account = await api.account(holder.publicKey);
    expect(account.ok && account.data).toMatchObject({ balance: '5000', escrow: '0' });
    expect((await api.account('XYZ')).status).toBe(400);
  });

  it('answers 504 for a consistent read that times out', async () => {
    fx.backend.failQuery = new ConsensusError('REQUEST_TIMEOUT', 'timeout');
    const r = await api.stats({ consistent: true });
    fx.backend.failQuery = undefined;
    expect(r.status).toBe(504);
  });
});

describe('identity, venue, health, metrics', () => {
  it('hands octet-stream identity requests to the committee member and returns its bytes', async () => {
    const r = await api.identity(Uint8Array.of(1, 2, 3, 4));
    expect(r.status).toBe(200);
    expect([...r.body]).toEqual([4, 3, 2, 1]);
    expect([...(fx.backend.identityRequests.at(-1) ?? [])]).toEqual([1, 2, 3, 4]);
  });

  it('serves the venue description, health (200, or 503 when degraded) and metrics', async () => {
    const venue = await api.venue();
    expect(venue.ok && venue.data.node).toBe('fake-node');
    expect((await api.health()).status).toBe(200);
    fx.backend.healthy = false;
    const degraded = await api.health();
    fx.backend.healthy = true;
    expect(degraded.status).toBe(503);
    expect(degraded.ok && degraded.data.status).toBe('degraded');
    const metrics = await raw(`${base}/metrics`, 'GET');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('fake_total 1');
    expect((await raw(`${base}/ws`, 'GET')).status).toBe(426);
  });
});

describe('CORS', () => {
  it('answers preflights for known paths and marks responses for allowed origins only', async () => {
    const pre = await raw(`${base}/api/v1/identity`, 'OPTIONS', { origin: 'http://app.example', 'access-control-request-method': 'POST' });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('http://app.example');
    expect(pre.headers['access-control-allow-methods']).toBe('POST');
    expect(pre.headers['access-control-allow-headers']).toBe('content-type, authorization');
    const both = await raw(`${base}/api/v1/tickets/admit`, 'OPTIONS', { origin: 'http://app.example' });
    expect(both.headers['access-control-allow-methods']).toBe('POST');
    const get = await raw(`${base}/api/v1/stats`, 'GET', { origin: 'http://app.example' });
    expect(get.headers['access-control-allow-origin']).toBe('http://app.example');
    expect(get.headers['vary']).toBe('Origin');
    const foreign = await raw(`${base}/api/v1/stats`, 'GET', { origin: 'http://evil.example' });
    expect(foreign.status).toBe(200);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    expect((await raw(`${base}/api/v1/nope`, 'OPTIONS', { origin: 'http://app.example' })).status).toBe(404);
  });
});

describe('the /ws stream', () => {
  const open = (path: string): Promise<{ ws: WebSocket; updates: StreamUpdate[]; closed: Promise<number> }> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`);
      const updates: StreamUpdate[] = [];
      const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
      ws.on('message', (d) => {
        updates.push(JSON.parse(String(d)) as StreamUpdate);
        if (updates.length === 1) resolve({ ws, updates, closed });
      });
      ws.on('error', reject);
    });

  it('greets, then streams committed ticket updates, filtered by event', async () => {
    const all = await open('/ws');
    const filtered = await open('/ws?eventId=other-gig');
    expect(all.updates[0]).toMatchObject({ type: 'hello', node: 'fake-node' });
    expect(filtered.updates[0]).toMatchObject({ type: 'hello', eventId: 'other-gig' });
    const r = await api.dispute(await holder.body({ type: 'dispute', eventId: EVENT, serial: 2, note: 'blurry screen' }));
    expect(r.status).toBe(200);
    await vi_waitFor(() => all.updates.length >= 2);
    expect(all.updates[1]).toMatchObject({ type: 'ticket', op: 'dispute', eventId: EVENT, serial: 2, admission: 'disputed', status: 'active', version: 1 });
    expect(filtered.updates.length).toBe(1);
    all.ws.close();
    filtered.ws.close();
    expect(await all.closed).toBe(1005);
  });

  it('refuses upgrades on other paths or with unknown parameters', async () => {
    for (const path of ['/api/v1/stats', '/ws?foo=1', '/ws?eventId=bad%20id']) {
      const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`);
      const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)).on('error', () => resolve(-1)));
      expect(status, path).toBeGreaterThanOrEqual(400);
    }
  });

  it('drops a consumer that does not read (close code 1013) and keeps one that does', async () => {
    const slowFx = await fixture({ seed: 'slow', streamQueue: 64 });
    try {
      const url = slowFx.api.url.replace('http', 'ws');
      const connectTo = (): Promise<{ ws: WebSocket; count: () => number; closed: Promise<number> }> =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`${url}/ws`);
          let n = 0;
          const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
          ws.on('message', () => n++);
          ws.on('open', () => resolve({ ws, count: () => n, closed }));
          ws.on('error', reject);
        });
      const slow = await connectTo();
      const fast = await connectTo();
      await vi_waitFor(() => slow.count() === 1 && fast.count() === 1);
      const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      socket.pause();
      const padding = 'x'.repeat(2048);
      const update = (i: number): StreamUpdate => ({ type: 'epoch', seq: i, eventId: padding, epoch: i, status: 'settled', orders: 0 });
      // publish in small bursts, a turn of the event loop apart, until the slow reader is dropped
      for (let i = 0; i < 4000 && slowFx.api.stream.droppedSlow === 0; i++) {
        for (let k = 0; k < 8; k++) slowFx.backend.hub.publish(update(i * 8 + k));
        await new Promise((r) => setImmediate(r));
      }
      expect(slowFx.api.stream.droppedSlow).toBe(1);
      socket.resume();
      expect(await slow.closed).toBe(1013);
      expect(fast.ws.readyState).toBe(WebSocket.OPEN);
      fast.ws.close();
      await fast.closed;
    } finally {
      await slowFx.close();
    }
  });
});

describe('request logs', () => {
  it('logs method, route, status and ms per request, never bodies or tokens', () => {
    const lines = fx.logger.records.filter((r) => r.message === 'http request');
    expect(lines.length).toBeGreaterThan(30);
    for (const r of lines) {
      expect(Object.keys(r.fields).sort()).toEqual(['method', 'ms', 'route', 'status']);
      expect(ROUTES.map((x) => x.pattern).concat(['no_route', 'preflight'])).toContain(r.fields['route']);
    }
    const all = JSON.stringify(fx.logger.records);
    expect(all).not.toContain(ORGANIZER_TOKEN);
    expect(all).not.toContain('sneaky');
    expect(all).not.toContain('lost phone');
  });
});

async function vi_waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
