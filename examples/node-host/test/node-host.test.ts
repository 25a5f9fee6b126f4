/**
 * End to end against a REAL venue network: four node processes from
 * `startVenueNetwork` (PBFT replicas of the event contract over WebSocket with
 * LevelDB, the identity and order committees with their DKGs, relay clients,
 * the HTTP API). Everything goes through HTTP: an organizer creates an event
 * and authorises a gate, two people enroll through `/api/v1/identity` with
 * `createIdentityClient` + `httpCommitteeEndpoint` and get event credentials,
 * buy tickets, a gate admits one (and is refused the second time, and for
 * forged codes), `/ws` streams the committed update, `/metrics` counts it;
 * then the primary's process is SIGKILLed, an admission still commits, and
 * the restarted node catches up to the same `/stats`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { defaultCrypto, createRotatingCode, gateId, seededRandom, signRequest, type CryptoProvider, type EventId, eventId } from '@admitone/core';
import { createIdentityClient, encodeCredential, type EventCredential, type MasterCredential } from '@admitone/identity';
import { encodeContractOp, ticketIdOf, type ContractOp, type EventPolicy } from '@admitone/market';
import { httpCommitteeEndpoint, type ApiResponse, type StreamUpdate, type VenueApi, type WriteData } from '../src/client/index.js';
import { startVenueNetwork, type VenueNetwork } from '../src/network.js';

const SEED = 'node-host-e2e';
const EVENT: EventId = eventId('e2e-gig');
const HOUR = 3_600_000;
const STEP = 15_000;

let network: VenueNetwork | undefined;
let crypto: CryptoProvider;
const random = seededRandom(SEED);

/** A signing identity with its own request numbers. */
interface Signer {
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  sign(op: ContractOp): Promise<Awaited<ReturnType<typeof signRequest>>>;
}
async function signer(secret: Uint8Array): Promise<Signer> {
  let seq = 1;
  return { secret, publicKey: await crypto.getPublicKey(secret), sign: (op) => signRequest(crypto, secret, { deployment: 'test', requestSeq: seq++, op: encodeContractOp(op) }) };
}

/** Polls `probe` until it returns a value; fails after `ms` naming `what`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function expectOk(r: ApiResponse<WriteData>, what: string): WriteData {
  if (!r.ok) throw new Error(`${what}: HTTP ${r.status} ${r.error.reason}: ${r.error.message}`);
  expect(r.status, what).toBe(200);
  return r.data;
}

/** A raw HTTP exchange (for bodies `fetch` would not send as-is). */
function raw(url: string, method: string, headers: Record<string, string>, body?: Uint8Array | string): Promise<{ status: number; json: { ok: boolean; error?: { code: string; reason: string; field?: string } } }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as never });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

beforeAll(async () => {
  crypto = await defaultCrypto();
  network = await startVenueNetwork({
    seed: SEED,
    deployment: 'test',
    clients: ['gate-north'],
    tunables: { viewChangeTimeoutMs: 1000, checkpointInterval: 8, stateTransferRetryMs: 200 },
    sync: false,
    preprocessAhead: 91 * 4,
    startTimeoutMs: 40_000,
  });
}, 60_000);

afterAll(async () => {
  const dir = network?.dir;
  await network?.stop();
  network = undefined;
  // every node process is gone and the temp directory removed
  if (dir !== undefined) expect(existsSync(dir)).toBe(false);
}, 20_000);

describe('a 4-process venue network through its HTTP API', () => {
  it('runs the story: event, gate, identity, purchase, admission, stream, metrics, bad input, a killed primary', async () => {
    const net = network as VenueNetwork;
    const api = (i: number): VenueApi => net.api(i);
    const token = net.organizerToken;
    const organizer = await signer(random.bytes(32));
    const stranger = await signer(random.bytes(32));
    const gate = await signer((net.clients['gate-north'] as { secretKey: Uint8Array }).secretKey);
    const gateway = await signer((net.clients['gateway'] as { secretKey: Uint8Array }).secretKey);

    // ---- health and the venue description ------------------------------------------
    for (let i = 0; i < 4; i++) {
      const h = await until(`node ${i} to be healthy`, async () => {
        const r = await api(i).health();
        return r.status === 200 ? r : undefined;
      });
      expect(h.ok && h.data.status).toBe('ok');
    }
    const venue = await api(2).venue();
    expect(venue.ok && venue.data.replicas.map((r) => r.id)).toEqual(['n0', 'n1', 'n2', 'n3']);

    // ---- organizer: authentication before consensus ----------------------------------
    const now = Date.now();
    const window = { start: now - HOUR, end: now + 2 * HOUR };
    const policy: EventPolicy = {
      capacity: 20,
      facePrice: 5_000n,
      sale: window,
      resale: window,
      resaleCap: { kind: 'percent', percent: 120 },
      royaltyBps: 1_000,
      perPersonCap: 2,
      transferable: true,
      epochs: { kind: 'time', lengthMs: HOUR },
      maxOrdersPerAccount: 4,
    };
    const create = await organizer.sign({ type: 'createEvent', eventId: EVENT, policy });
    const before = await api(0).health();
    const noToken = await api(0).createEvent(create);
    expect(noToken.status).toBe(401);
    expect(!noToken.ok && noToken.error.reason).toBe('unauthenticated');
    const wrongToken = await api(0).createEvent(create, { token: 'not-the-token' });
    expect(!wrongToken.ok && wrongToken.error.reason).toBe('unauthenticated');
    const after = await api(0).health();
    expect(after.ok && before.ok && after.data.lastExecuted).toBe(before.ok ? before.data.lastExecuted : -1); // nothing reached consensus
    expectOk(await api(0).createEvent(create, { token }), 'createEvent');
    // the signature is the authentication: a stranger's gate authorisation is refused by the contract
    const forbidden = await api(1).gates(EVENT, await stranger.sign({ type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }), { token });
    expect(forbidden.status).toBe(403);
    expect(!forbidden.ok && forbidden.error.reason).toBe('not_organizer');
    expectOk(await api(1).gates(EVENT, await organizer.sign({ type: 'authorizeGate', eventId: EVENT, device: gate.publicKey }), { token }), 'authorizeGate');

    // ---- identity: enrollment and event credentials over HTTP ------------------------
    const endpoint = httpCommitteeEndpoint(Object.fromEntries(net.nodes.map((n) => [n.id, n.httpUrl])));
    const identity = createIdentityClient({ committee: net.identityCommittee, endpoint, crypto, random: random.fork('identity') });
    const people = [
      { name: 'alice', attributes: { country: 'NL', document: 'A-100', birth: '1990-01-01' } },
      { name: 'bob', attributes: { country: 'NL', document: 'B-200', birth: '1991-02-02' } },
    ];
    const holders: { master: MasterCredential; masterSecret: Uint8Array; holder: Signer; credential: EventCredential }[] = [];
    for (const p of people) {
      const masterSecret = random.bytes(32);
      const enrolled = await identity.enroll({ attributes: p.attributes, holderSecretKey: masterSecret });
      if (enrolled.status !== 'enrolled') throw new Error(`${p.name} enrollment: ${JSON.stringify(enrolled)}`);
      const holder = await signer(random.bytes(32));
      const issued = await identity.requestEventCredential({ attributes: p.attributes, eventId: EVENT, master: enrolled.credential, masterSecretKey: masterSecret, holderSecretKey: holder.secret });
      if (issued.status !== 'issued') throw new Error(`${p.name} event credential: ${JSON.stringify(issued)}`);
      holders.push({ master: enrolled.credential, masterSecret, holder, credential: issued.credential });
    }
    expect(await identity.enroll({ attributes: people[0]!.attributes, holderSecretKey: random.bytes(32) })).toEqual({ status: 'duplicate' });
    const [alice, bob] = holders as [(typeof holders)[0], (typeof holders)[0]];

    // ---- money and primary sales -----------------------------------------------------
    for (const h of holders) expectOk(await api(2).deposit(await gateway.sign({ type: 'deposit', account: h.holder.publicKey, amount: 20_000n })), 'deposit');
    const bought = expectOk(await api(3).buy(await alice.holder.sign({ type: 'buyPrimary', eventId: EVENT, quantity: 2, credential: encodeCredential(alice.credential) })), 'alice buys');
    expect(bought.tickets?.map((t) => t.serial)).toEqual([1, 2]);
    expectOk(await api(3).buy(await bob.holder.sign({ type: 'buyPrimary', eventId: EVENT, quantity: 2, credential: encodeCredential(bob.credential) })), 'bob buys');
    const capped = await api(0).buy(await bob.holder.sign({ type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: encodeCredential(bob.credential) }));
    expect(capped.status).toBe(409);
    expect(!capped.ok && capped.error.reason).toBe('cap_per_person');

    // ---- the /ws stream, then admission ---------------------------------------------
    const updates: StreamUpdate[] = [];
    const ws = new WebSocket(`${net.nodes[1]!.httpUrl.replace('http', 'ws')}/ws?eventId=${EVENT}`);
    ws.on('message', (data) => updates.push(JSON.parse(String(data)) as StreamUpdate));
    await until('the stream hello', async () => (updates.some((u) => u.type === 'hello') ? true : undefined), 10_000);
    const scan = () => ({ nonce: random.bytes(16), gate: gateId('north'), time: Date.now() });
    const admitOp = async (holderSecret: Uint8Array, serial: number, version = 1): Promise<ContractOp> => {
      const s = scan();
      return { type: 'admit', eventId: EVENT, serial, scan: s, code: await createRotatingCode(crypto, holderSecret, { deployment: 'test', ticketId: ticketIdOf(EVENT, serial), version, timeMs: s.time, stepMs: STEP }) };
    };
    const admitted = expectOk(await api(0).admit(await gate.sign(await admitOp(alice.holder.secret, 1))), 'admit alice #1');
    expect(admitted.tickets?.[0]).toMatchObject({ serial: 1, admission: 'consumed' });
    const again = await api(2).admit(await gate.sign(await admitOp(alice.holder.secret, 1)));
    expect(again.status).toBe(409);
    expect(!again.ok && again.error.reason).toBe('already_consumed');
    // a code signed by someone else's key for Alice's ticket: stale (422); a garbage signature: invalid (401)
    const wrongHolder = await api(1).admit(await gate.sign(await admitOp(bob.holder.secret, 2)));
    expect(wrongHolder.status).toBe(422);
    expect(!wrongHolder.ok && wrongHolder.error.reason).toBe('stale_code');
    const forgedOp = (await admitOp(alice.holder.secret, 2)) as Extract<ContractOp, { type: 'admit' }>;
    const forged = await api(1).admit(await gate.sign({ ...forgedOp, code: { ...forgedOp.code, signature: new Uint8Array(64).fill(7) } }));
    expect(forged.status).toBe(401);
    expect(!forged.ok && forged.error.reason).toBe('invalid_signature');
    // Bob's ticket 4: a dispute blocks admission until the organizer resolves it; then two-phase
    // admission (validate at the door, consume at the turnstile)
    const early = await api(0).consume(await gate.sign({ type: 'consume', eventId: EVENT, serial: 4, scan: scan() }));
    expect(early.status).toBe(409);
    expect(!early.ok && early.error.reason).toBe('not_validated');
    expectOk(await api(1).dispute(await bob.holder.sign({ type: 'dispute', eventId: EVENT, serial: 4, note: 'code shown by someone else' })), 'dispute bob #4');
    const blocked = await api(2).admit(await gate.sign(await admitOp(bob.holder.secret, 4)));
    expect(blocked.status).toBe(409);
    expect(!blocked.ok && blocked.error.reason).toBe('disputed');
    const resolveOp = await organizer.sign({ type: 'resolve', eventId: EVENT, serial: 4, outcome: 'reinstate' });
    const resolveNoToken = await api(3).resolve(resolveOp);
    expect(resolveNoToken.status).toBe(401);
    expect(!resolveNoToken.ok && resolveNoToken.error.reason).toBe('unauthenticated');
    const strangerResolve = await api(3).resolve(await stranger.sign({ type: 'resolve', eventId: EVENT, serial: 4, outcome: 'revoke' }), { token });
    expect(strangerResolve.status).toBe(403);
    expect(!strangerResolve.ok && strangerResolve.error.reason).toBe('not_organizer');
    expectOk(await api(3).resolve(resolveOp, { token }), 'resolve bob #4');
    const notDisputed = await api(0).resolve(await organizer.sign({ type: 'resolve', eventId: EVENT, serial: 4, outcome: 'reinstate' }), { token });
    expect(notDisputed.status).toBe(409);
    expect(!notDisputed.ok && notDisputed.error.reason).toBe('not_disputed');
    const validateOp = { ...((await admitOp(bob.holder.secret, 4)) as Extract<ContractOp, { type: 'admit' }>), type: 'validate' as const };
    expectOk(await api(1).validate(await gate.sign(validateOp)), 'validate bob #4');
    const t4 = await api(2).ticket(EVENT, 4, { consistent: true });
    expect(t4.ok && t4.data.admission).toBe('validated');
    const twice = await api(3).validate(await gate.sign({ ...validateOp, scan: scan() }));
    expect(twice.status).toBe(409);
    expect(!twice.ok && twice.error.reason).toBe('already_validated');
    expectOk(await api(2).consume(await gate.sign({ type: 'consume', eventId: EVENT, serial: 4, scan: scan() })), 'consume bob #4');
    const consumedTwice = await api(0).consume(await gate.sign({ type: 'consume', eventId: EVENT, serial: 4, scan: scan() }));
    expect(consumedTwice.status).toBe(409);
    expect(!consumedTwice.ok && consumedTwice.error.reason).toBe('already_consumed');

    const streamed = await until('the committed admission on /ws', async () =>
      updates.find((u): u is Extract<StreamUpdate, { type: 'ticket' }> => u.type === 'ticket' && u.serial === 1 && u.admission === 'consumed'),
    );
    expect(streamed).toMatchObject({ eventId: EVENT, op: 'admit', status: 'active', version: 1 });
    ws.close();

    // ---- reads: one ticket, consistent reads, pagination -----------------------------
    const t1 = await api(3).ticket(EVENT, 1);
    expect(t1.ok && t1.data.admission).toBe('consumed');
    const t1c = await api(3).ticketById(`${EVENT}:1`, { consistent: true });
    expect(t1c.ok && t1c.data).toEqual(t1.ok && t1.data);
    const page1 = await api(2).tickets({ eventId: EVENT, limit: 3 });
    expect(page1.ok && page1.data.tickets.map((t) => t.serial)).toEqual([1, 2, 3]);
    expect(page1.ok && page1.data.next).toBe(3);
    const page2 = await api(2).tickets({ eventId: EVENT, after: 3, limit: 3 });
    expect(page2.ok && page2.data.tickets.map((t) => t.serial)).toEqual([4]);
    expect(page2.ok && page2.data.next).toBeUndefined();
    expect((await api(0).ticket(EVENT, 99)).status).toBe(404);

    // ---- bad input against a live node ----------------------------------------------
    const base = net.nodes[0]!.httpUrl;
    const json = { 'content-type': 'application/json' };
    const cases: [string, Promise<{ status: number; json: { error?: { reason: string; field?: string } } }>, number, string][] = [
      ['malformed JSON', raw(`${base}/api/v1/tickets/admit`, 'POST', json, '{"request": '), 400, 'malformed_json'],
      ['unknown field', raw(`${base}/api/v1/tickets/admit`, 'POST', json, '{"request":"AA","extra":1}'), 400, 'unknown_field'],
      ['oversized body', raw(`${base}/api/v1/tickets/admit`, 'POST', json, 'x'.repeat(70 * 1024)), 413, 'body_too_large'],
      ['wrong content type', raw(`${base}/api/v1/tickets/admit`, 'POST', { 'content-type': 'text/plain' }, '{}'), 415, 'unsupported_media_type'],
      ['unknown route', raw(`${base}/api/v1/nope`, 'GET', {}), 404, 'no_route'],
      ['wrong method', raw(`${base}/api/v1/stats`, 'DELETE', {}), 405, 'method_not_allowed'],
      ['garbled request', raw(`${base}/api/v1/tickets/admit`, 'POST', json, '{"request":"bm90LWEtcmVxdWVzdA"}'), 401, 'invalid_request'],
    ];
    for (const [what, p, status, reason] of cases) {
      const r = await p;
      expect(r.status, what).toBe(status);
      expect(r.json.error?.reason, what).toBe(reason);
    }

    // ---- metrics ---------------------------------------------------------------------
    const metrics = await api(0).metrics();
    expect(metrics.status).toBe(200);
    const value = (line: RegExp): number => {
      const m = metrics.body.split('\n').find((l) => line.test(l));
      return m === undefined ? Number.NaN : Number(m.split(' ').pop());
    };
    for (const name of [
      'admitone_consensus_view',
      'admitone_consensus_last_executed_seq',
      'admitone_consensus_stable_checkpoint_seq',
      'admitone_consensus_view_changes_total',
      'admitone_consensus_pending_requests',
      'admitone_consensus_dropped_messages_total',
      'admitone_consensus_committed_requests_total',
      'admitone_consensus_commit_latency_seconds',
      'admitone_gate_admissions_total',
      'admitone_gate_scans_total',
      'admitone_market_events',
      'admitone_market_tickets_issued',
      'admitone_market_tickets_admitted',
      'admitone_market_epochs_settled',
      'admitone_market_orders_total',
      'admitone_identity_batches_total',
      'admitone_identity_enrolled_total',
      'admitone_identity_event_credentials_total',
      'admitone_identity_rejections_total',
      'admitone_process_cpu_seconds_total',
    ]) {
      expect(metrics.body, name).toContain(`# TYPE ${name} `);
    }
    expect(value(/^admitone_consensus_committed_requests_total\{/)).toBeGreaterThan(5);
    expect(value(/^admitone_gate_admissions_total\{.*op="admit".*result="ok"/)).toBe(1);
    expect(value(/^admitone_gate_admissions_total\{.*op="admit".*reason="already_consumed"/)).toBe(1);
    expect(value(/^admitone_gate_admissions_total\{.*op="consume".*result="ok"/)).toBe(1);
    expect(value(/^admitone_gate_admissions_total\{.*op="validate".*result="ok"/)).toBe(1);
    expect(value(/^admitone_market_tickets_issued\{/)).toBe(4);
    expect(value(/^admitone_market_tickets_admitted\{/)).toBe(2);
    expect(value(/^admitone_identity_enrolled_total\{/)).toBe(2);
    expect(value(/^admitone_identity_duplicates_total\{/)).toBe(1);
    expect(value(/^admitone_consensus_commit_latency_seconds_count\{.*outcome="ok"/)).toBeGreaterThan(0);

    // ---- kill the primary: admissions still commit -----------------------------------
    const h0 = await api(0).health();
    const primary = h0.ok ? h0.data.primary : '';
    const p = net.replicaIds.indexOf(primary);
    expect(p).toBeGreaterThanOrEqual(0);
    await net.kill(p);
    expect(net.alive(p)).toBe(false);
    const other = (p + 1) % 4;
    const survivor = api(other);
    expectOk(await survivor.admit(await gate.sign(await admitOp(bob.holder.secret, 3))), 'admit bob #3 after the primary died');
    expectOk(await survivor.admit(await gate.sign(await admitOp(alice.holder.secret, 2))), 'admit alice #2 after the primary died');
    const refused = await api((p + 2) % 4).admit(await gate.sign(await admitOp(bob.holder.secret, 3)));
    expect(!refused.ok && refused.error.reason).toBe('already_consumed');
    const view = await survivor.health();
    expect(view.ok && view.data.primary).not.toBe(primary);

    // ---- restart it: it catches up ---------------------------------------------------
    await net.restart(p);
    const restarted = api(p);
    await until('the restarted node to be healthy', async () => ((await restarted.health()).status === 200 ? true : undefined), 30_000);
    const reference = await survivor.stats();
    expect(reference.ok && reference.data).toMatchObject({ events: 1, tickets: 4, admitted: 4 });
    await until(
      'the restarted node to reach the same /stats',
      async () => {
        const s = await restarted.stats();
        return s.ok && reference.ok && JSON.stringify(s.data) === JSON.stringify(reference.data) ? true : undefined;
      },
      30_000,
    );
    const t3 = await restarted.ticket(EVENT, 3);
    expect(t3.ok && t3.data.admission).toBe('consumed');
    expect((await restarted.health()).status).toBe(200);
  }, 90_000);
});
