/**
 * The gate station against a real 4-replica PBFT cluster of the event
 * contract (in-memory network): strict online admission, the local status
 * map, the durable offline queue, idempotent sync after a lost reply, the
 * `replayed` recoveries, incidents, and refusals of bad payloads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '@admitone/consensus';
import {
  createMemoryStore,
  decodeRequest,
  defaultCrypto,
  encodeRequest,
  memoryStorage,
  seededRandom,
  signRequest,
  systemClock,
  type Clock,
  type CryptoProvider,
  type Storage,
  type SignedRequest,
} from '@admitone/core';
import { createPresentation, decodePresentation, encodePresentation } from '@admitone/identity';
import { decodeContractResult, encodeContractOp } from '@admitone/market';
import { seedScenario, type Scenario } from '../scripts/scenario.js';
import { openGateStation, type GateStation, type LedgerLink } from '../src/gate/station.js';
import { startMemoryVenue, type MemoryVenue } from './memory-venue.js';

let venue: MemoryVenue | undefined;
const stations: GateStation[] = [];
afterEach(async () => {
  for (const s of stations.splice(0)) await s.close();
  await venue?.stop();
  venue = undefined;
});

interface World {
  readonly venue: MemoryVenue;
  readonly scenario: Scenario;
  readonly crypto: CryptoProvider;
  readonly gateClient: Client;
  /** The QR payload of ticket `i` now. */
  code(i: number, at?: number): Promise<Uint8Array>;
}

async function world(seed: string, replyCachePerClient?: number): Promise<World> {
  const random = seededRandom(seed);
  venue = await startMemoryVenue(random.fork('venue'), ['driver', 'organizer', 'gate-1', 'gate-2'], replyCachePerClient === undefined ? {} : { replyCachePerClient });
  const scenario = await seedScenario(venue, {
    eventId: 'station-gig',
    buyers: ['ann', 'ben', 'cat'],
    gates: [
      { gateId: 'north-1', device: 'gate-1' },
      { gateId: 'south-1', device: 'gate-2' },
    ],
    organizerDevice: 'organizer',
    driverDevice: 'driver',
    random: random.fork('scenario'),
    clock: systemClock(),
  });
  const crypto = await defaultCrypto();
  const gateClient = await venue.client('gate-1');
  return {
    venue,
    scenario,
    crypto,
    gateClient,
    async code(i, at = Date.now()) {
      const w = scenario.wallet(i);
      return encodePresentation(await createPresentation(crypto, w.holderSecretKey, w.pass, at, w.stepMs));
    },
  };
}

async function station(w: World, storage: Storage, gateId = 'north-1', clock: Clock = systemClock()): Promise<GateStation> {
  const s = await openGateStation({ config: w.scenario.gate(gateId), storage, crypto: w.crypto, clock, random: seededRandom(`nonces/${gateId}`), commitTimeoutMs: 15_000 }); // generous: a loaded CI box must not turn commits into timeouts
  stations.push(s);
  return s;
}

/** A link that loses the reply of the first `lose` relays (the request does reach the replicas). */
function lossyLink(client: Client, lose: number): LedgerLink & { readonly relayed: SignedRequest[]; readonly answers: string[]; reads: number } {
  const relayed: SignedRequest[] = [];
  const answers: string[] = [];
  const link = {
    relayed,
    answers,
    reads: 0,
    async relay(request: SignedRequest) {
      relayed.push(request);
      const result = await client.relay(request);
      const decoded = decodeContractResult(result);
      answers.push(decoded.status === 'ok' ? 'ok' : decoded.reason);
      if (relayed.length <= lose) throw new Error('connection lost before the reply');
      return result;
    },
    read(q: Uint8Array) {
      link.reads++;
      return client.read(q);
    },
  };
  return link;
}

describe('gate station (offline verification, strict online admission)', () => {
  it('online: ADMITTED once committed; a second scan is refused at the gate without reaching the ledger', async () => {
    const w = await world('online');
    const s = await station(w, memoryStorage());
    s.setLedger(w.gateClient);
    const first = await s.scan(await w.code(0));
    expect(first).toMatchObject({ kind: 'admitted', ticketId: 'station-gig:1' });
    const t = await w.venue.ticket(w.scenario.eventId, 1);
    expect(t.admission).toBe('consumed');
    expect(t.scans).toEqual([expect.objectContaining({ kind: 'admit', gate: 'north-1', device: s.deviceId })]);

    expect(await s.scan(await w.code(0))).toEqual({ kind: 'rejected', reason: 'already_consumed', by: 'gate', ticketId: 'station-gig:1' });
    expect((await w.venue.ticket(w.scenario.eventId, 1)).scans).toHaveLength(1);
    expect(s.stats()).toEqual({ admitted: 1, rejected: 1, pending: 0, incidents: 0 });
  });

  it('offline: PROVISIONAL, durable across a reopen, committed by sync; the ledger agrees', async () => {
    const w = await world('offline');
    const store = createMemoryStore();
    const s1 = await station(w, memoryStorage({ store }));
    expect(await s1.scan(await w.code(1))).toMatchObject({ kind: 'provisional', why: 'offline', ticketId: 'station-gig:2' });
    expect((await w.venue.ticket(w.scenario.eventId, 2)).admission).toBe('issued');
    await s1.close();

    // a new station on the same store (a reload) still knows the scan and the ticket
    const s2 = await station(w, memoryStorage({ store }));
    expect(s2.items()).toEqual([expect.objectContaining({ ticketId: 'station-gig:2', state: 'pending', provisional: true })]);
    expect(await s2.scan(await w.code(1))).toMatchObject({ kind: 'rejected', reason: 'already_consumed', by: 'gate' });
    s2.setLedger(w.gateClient);
    const report = await s2.sync();
    expect(report).toEqual({ settled: [expect.objectContaining({ ticketId: 'station-gig:2', state: 'admitted' })], pending: 0 });
    const t = await w.venue.ticket(w.scenario.eventId, 2);
    expect(t.admission).toBe('consumed');
    expect(t.scans[0]?.nonce).toEqual(report.settled[0]?.nonce);
  });

  it('a lost reply: the retry is the same signed request and the admission is applied once', async () => {
    const w = await world('lost-reply');
    const s = await station(w, memoryStorage());
    const link = lossyLink(w.gateClient, 1);
    s.setLedger(link);
    // the ledger committed it but the gate never heard back: the holder is let in provisionally
    expect(await s.scan(await w.code(0))).toMatchObject({ kind: 'provisional', why: 'timeout' });
    expect((await w.venue.ticket(w.scenario.eventId, 1)).admission).toBe('consumed');
    const report = await s.sync();
    expect(report.settled).toEqual([expect.objectContaining({ state: 'admitted', provisional: true })]);
    expect(report.settled[0]?.incident).toBeUndefined();
    expect(link.relayed).toHaveLength(2);
    expect(encodeRequest(link.relayed[1]!)).toEqual(encodeRequest(link.relayed[0]!));
    expect(link.answers).toEqual(['ok', 'ok']); // the retry got the cached reply of the one execution
    expect(link.reads).toBe(0);
    expect((await w.venue.ticket(w.scenario.eventId, 1)).scans).toHaveLength(1);
  });

  it('replayed after the reply left the cache: resolved from the ticket’s scans, not applied twice', async () => {
    const w = await world('evicted', 1);
    const s = await station(w, memoryStorage());
    const link = lossyLink(w.gateClient, 1);
    s.setLedger(link);
    expect(await s.scan(await w.code(0))).toMatchObject({ kind: 'provisional' });
    // another admission by the same device evicts the first reply (one cached reply per client)
    expect(await s.scan(await w.code(1))).toMatchObject({ kind: 'admitted' });
    // f+1 replies admit the second scan; a replica still behind would answer the retry from its cache
    await w.venue.settle();
    const report = await s.sync();
    expect(report.settled).toEqual([expect.objectContaining({ ticketId: 'station-gig:1', state: 'admitted' })]);
    expect(link.answers).toEqual(['ok', 'ok', 'replayed']); // the retry met the replay guard, not the reply cache
    expect(link.reads).toBe(1); // and was resolved from the ticket's scans
    expect((await w.venue.ticket(w.scenario.eventId, 1)).scans).toHaveLength(1);
  });

  it('a request number below the replay window: the same scan is re-signed under a fresh number', async () => {
    const w = await world('expired-seq');
    let offset = 0;
    const base = systemClock();
    const clock: Clock = { now: () => base.now() + offset, setTimeout: (f, ms) => base.setTimeout(f, ms) };
    const s = await station(w, memoryStorage(), 'north-1', clock);
    expect(await s.scan(await w.code(0))).toMatchObject({ kind: 'provisional' });
    const queued = s.items()[0]!;
    // the same device key executes a request far above the queued number (another store of the key, say)
    const device = w.scenario.gate('north-1').device;
    const jump = await signRequest(w.crypto, device.secretKey, { deployment: 'test', requestSeq: queued.seq + 5_000, op: encodeContractOp({ type: 'cutoff', eventId: w.scenario.eventId }) });
    decodeContractResult(await w.gateClient.relay(jump));
    offset = 60_000; // a minute later
    const relayed: SignedRequest[] = [];
    s.setLedger({ relay: (r) => (relayed.push(r), w.gateClient.relay(r)), read: (q) => w.gateClient.read(q) });
    const report = await s.sync();
    expect(report.settled).toEqual([expect.objectContaining({ ticketId: 'station-gig:1', state: 'admitted' })]);
    expect(relayed.map((r) => r.requestSeq)).toEqual([queued.seq, report.settled[0]!.seq]);
    expect(report.settled[0]!.seq).toBeGreaterThan(queued.seq + 5_000);
    expect(decodeRequest(report.settled[0]!.request).op).toEqual(decodeRequest(queued.request).op); // same scan, same nonce
    const t = await w.venue.ticket(w.scenario.eventId, 1);
    expect(t.scans.map((x) => x.nonce)).toEqual([queued.nonce]);
  });

  it('a queued scan of a ticket consumed meanwhile at another gate is an incident (double admission)', async () => {
    const w = await world('double');
    const north = await station(w, memoryStorage(), 'north-1');
    const south = await station(w, memoryStorage(), 'south-1');
    south.setLedger(await w.venue.client('gate-2'));
    const code = await w.code(2);
    expect(await north.scan(code)).toMatchObject({ kind: 'provisional' });
    expect(await south.scan(code)).toMatchObject({ kind: 'admitted' });
    north.setLedger(w.gateClient);
    const report = await north.sync();
    expect(report.settled).toEqual([expect.objectContaining({ state: 'rejected', reason: 'already_consumed', incident: 'double_admission' })]);
    expect(north.stats()).toEqual({ admitted: 0, rejected: 0, pending: 0, incidents: 1 });
    expect((await w.venue.ticket(w.scenario.eventId, 3)).scans.map((x) => x.gate)).toEqual(['south-1']);
  });

  it('a ledger refusal of an online scan (listed ticket) is shown and releases the gate’s local mark', async () => {
    const w = await world('listed');
    const s = await station(w, memoryStorage());
    s.setLedger(w.gateClient);
    const ann = w.scenario.wallet(0);
    const driver = await w.venue.client('driver');
    const asAnn = async (requestSeq: number, op: Parameters<typeof encodeContractOp>[0]) =>
      decodeContractResult(await driver.relay(await signRequest(w.crypto, ann.holderSecretKey, { deployment: 'test', requestSeq, op: encodeContractOp(op) })));
    const seq = Date.now() + 1_000; // above the numbers the scenario used for ann's key
    expect(await asAnn(seq, { type: 'listForResale', eventId: w.scenario.eventId, serial: 1, price: 5_000n })).toMatchObject({ status: 'ok' });
    expect(await s.scan(await w.code(0))).toEqual({ kind: 'rejected', reason: 'ticket_listed', by: 'ledger', ticketId: 'station-gig:1' });
    expect(await asAnn(seq + 1, { type: 'cancelListing', eventId: w.scenario.eventId, serial: 1 })).toMatchObject({ status: 'ok' });
    expect(await s.scan(await w.code(0))).toMatchObject({ kind: 'admitted' });
    expect(s.stats()).toEqual({ admitted: 1, rejected: 1, pending: 0, incidents: 0 });
  });

  it('refuses payloads that are not presentations, forged codes and stale codes, and keeps an audit record', async () => {
    const w = await world('bad-input');
    const store = createMemoryStore();
    const s = await station(w, memoryStorage({ store }));
    const random = seededRandom('garbage');
    expect(await s.scan(new Uint8Array())).toMatchObject({ kind: 'rejected', reason: 'malformed', by: 'gate' });
    expect(await s.scan(random.bytes(700))).toMatchObject({ kind: 'rejected', reason: 'malformed', by: 'gate' });
    const good = decodePresentation(await w.code(0));
    const signature = good.code.signature.slice();
    signature[5] = (signature[5] ?? 0) ^ 0x10; // one bit of the holder's signature
    const forged = encodePresentation({ ...good, code: { ...good.code, signature } });
    expect(await s.scan(forged)).toMatchObject({ kind: 'rejected', reason: 'invalid_signature', by: 'gate' });
    expect(await s.scan(await w.code(0, Date.now() - 10 * 60_000))).toMatchObject({ kind: 'rejected', reason: 'stale_code', by: 'gate' });
    expect(s.items()).toEqual([]);
    await s.close();
    const reopened = await station(w, memoryStorage({ store }));
    expect(reopened.refusals().map((r) => r.reason)).toEqual(['malformed', 'malformed', 'invalid_signature', 'stale_code']);
    expect(reopened.stats().rejected).toBe(4);
  });
});
