/**
 * The identity committee against faults that come from outside the MPC: junk
 * and badly dealt client requests, expired credentials, a coordinator whose
 * batch time is off the members' clocks, and junk coordination traffic from a
 * member. Each case checks that the fault costs only the request (or member)
 * that caused it: honest requests in the same batch are still answered and no
 * honest member is named. n = 4, t = 1, in memory.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Clock,
  type Storage,
  type Transport,
  concatBytes,
  createMemoryStore,
  encode,
  eventId,
  memoryLogger,
  memoryNetwork,
  memoryStorage,
  nobleCrypto,
  seededRandom,
  systemClock,
  utf8ToBytes,
} from '@admitone/core';
import { x25519KeyPair } from '@admitone/core/threshold';
import { createCommitteeMember, type CommitteeConfig, type CommitteeDescriptor, type CommitteeMember } from '../src/committee/member.js';
import { createIdentityClient, localCommitteeEndpoint, type CommitteeEndpoint } from '../src/client.js';
import { REQUEST_FORMAT_VERSION, decodeIdentityRequest, decodeIdentityResponse, encodeControl } from '../src/committee/messages.js';
import { handRequest as dealtByHand, type HandRequestOptions } from './helpers/requests.js';
import { localTagRegistry, type TagRegistry } from '../src/registry/registry.js';

const crypto = nobleCrypto();
const ALICE = { country: 'NL', document: 'X1234567', birth: '1990-01-01' };
const BOB = { country: 'NL', document: 'Y7654321', birth: '1985-05-05' };
const CAROL = { country: 'FR', document: 'Z1', birth: '2000-01-01' };
const MALLORY = { country: 'XX', document: 'M0', birth: '2000-01-01' };

interface Cluster {
  members: CommitteeMember[];
  committee: CommitteeDescriptor;
  endpoint: CommitteeEndpoint;
  /** The members' raw transports (under their control channels), to inject traffic as a member would. */
  transports: Transport[];
  logs: ReturnType<typeof memoryLogger>[];
  random: ReturnType<typeof seededRandom>;
  close(): Promise<void>;
}

const open: Cluster[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function cluster(
  seed: number,
  opts: {
    /** Member `i`'s clock (default: the system clock). */
    clockOf?: (i: number) => Clock;
    /** Wraps member `i`'s registry. */
    registryOf?: (i: number, registry: TagRegistry) => TagRegistry;
    credentialTtlMs?: number;
    batchDelayMs?: number;
  } = {},
): Promise<Cluster> {
  const random = seededRandom(seed);
  const ids = ['m1', 'm2', 'm3', 'm4'];
  const keys = ids.map(() => x25519KeyPair(random));
  const config: CommitteeConfig = { committeeId: 'test-committee', degree: 1, members: ids.map((id, i) => ({ id, encryptionKey: keys[i]!.publicKey })) };
  const net = memoryNetwork({ members: ids });
  const logs = ids.map(() => memoryLogger({ level: 'debug' }));
  const storages: Storage[] = ids.map(() => memoryStorage({ store: createMemoryStore() }));
  const transports = ids.map((id) => net.transport(id));
  const members = ids.map((_, i) =>
    createCommitteeMember({
      config,
      transport: transports[i]!,
      confidentialTransport: true, // the in-memory network is confidential: control frames travel as sent
      encryptionSecretKey: keys[i]!.secretKey,
      storage: storages[i]!,
      crypto,
      random: random.fork(`member-${i}`),
      clock: opts.clockOf?.(i) ?? systemClock(),
      logger: logs[i]!,
      timeoutMs: 3000,
      preprocessAhead: 91 * 4,
      ...(opts.registryOf === undefined ? {} : { registry: opts.registryOf(i, localTagRegistry(storages[i]!)) }),
      ...(opts.credentialTtlMs === undefined ? {} : { credentialTtlMs: opts.credentialTtlMs }),
      ...(opts.batchDelayMs === undefined ? {} : { batchDelayMs: opts.batchDelayMs }),
    }),
  );
  const descriptors = await Promise.all(members.map((m) => m.start()));
  const c: Cluster = {
    members,
    committee: descriptors[0]!,
    endpoint: localCommitteeEndpoint(members),
    transports,
    logs,
    random: random.fork('test'),
    async close() {
      for (const m of members) await m.close();
      for (const s of storages) await s.close();
      await net.close();
    },
  };
  open.push(c);
  return c;
}

/** A clock `offset.ms` ahead of the system clock (timers run in real time). */
function offsetClock(offset: { ms: number }): Clock {
  const real = systemClock();
  return { now: () => real.now() + offset.ms, setTimeout: (callback, ms) => real.setTimeout(callback, ms) };
}

/** A signed enrollment made by hand, as a lying client would (see `helpers/requests.ts`). */
async function handRequest(c: Cluster, attributes: Record<string, string>, o: HandRequestOptions = {}): Promise<Uint8Array> {
  return dealtByHand(c.committee, attributes, c.random, crypto, o);
}

/** Sends the same bytes to every member, as a client does; the answers in member order. */
async function askAll(c: Cluster, bytes: Uint8Array) {
  return Promise.all(c.members.map(async (m) => decodeIdentityResponse(await c.endpoint.request(m.id, bytes))));
}

describe('identity committee: junk and badly dealt requests (n = 4, t = 1)', () => {
  it('one unsigned request whose master credential expires before it is issued is refused alone; an honest enrollment sent beside it is issued', async () => {
    // a long batch delay puts both requests into one batch (they did before the fix too, where this one killed it)
    const c = await cluster(101, { batchDelayMs: 100 });
    const r = c.random;
    const poison = encode({
      version: REQUEST_FORMAT_VERSION,
      kind: 'event',
      committeeId: c.committee.committeeId,
      requestId: r.bytes(16),
      issuedAt: Date.now(),
      requesterKey: r.bytes(32),
      eventId: 'gig',
      commitments: [r.bytes(65), r.bytes(65)],
      shares: c.members.map(() => r.bytes(60)),
      signature: r.bytes(64),
      masterSignature: r.bytes(64),
      master: { kind: 'master', committeeId: c.committee.committeeId, holderKey: r.bytes(32), issuedAt: 2, expiresAt: 1, proof: { batchId: r.bytes(16), size: 1, index: 0, path: [], signature: r.bytes(64) } },
    });
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random: r.fork('bob') });
    const [answers, bob] = await Promise.all([askAll(c, poison), client.enroll({ attributes: BOB, holderSecretKey: r.bytes(32) })]);
    expect(answers.map((a) => (a.status === 'rejected' ? a.reason : a.status))).toEqual(['malformed', 'malformed', 'malformed', 'malformed']);
    expect(bob.status).toBe('enrolled');
    for (const log of c.logs) expect(log.records.filter((x) => x.level === 'error')).toEqual([]);
  });

  it('a request whose own signature does not verify is refused invalid_signature by every member at once and never put into a batch', async () => {
    const c = await cluster(102);
    const before = c.members.map((m) => m.stats().batches);
    const answers = await askAll(c, await handRequest(c, ALICE, { breakSignature: true }));
    expect(answers.map((a) => (a.status === 'rejected' ? a.reason : a.status))).toEqual(['invalid_signature', 'invalid_signature', 'invalid_signature', 'invalid_signature']);
    expect(c.members.map((m) => m.stats().batches)).toEqual(before);
  });

  it('a client that breaks its sealed share for one member cannot get that member named: the member declares it, and the person is enrolled', async () => {
    const c = await cluster(103);
    const answers = await askAll(c, await handRequest(c, ALICE, { breakSeal: (i) => i === 1 }));
    expect(answers.map((a) => a.status)).toEqual(['issued', 'issued', 'issued', 'issued']);
    expect(c.members.map((m) => m.stats().suspects)).toEqual([[], [], [], []]);
  });

  it('a client that deals one member a readable share off its committed polynomial cannot get that member suspected: the member declares it, and the person is enrolled', async () => {
    // Before client VSS the member could not tell this share from its own lie: the robust opening corrected it and
    // every member suspected m2, m2 included (suspects [['m2'], ['m2'], ['m2'], ['m2']]).
    const c = await cluster(108);
    const answers = await askAll(c, await handRequest(c, ALICE, { tamper: (i, [y, b]) => (i === 1 ? [y + 7n, b] : [y, b]) }));
    expect(answers.map((a) => a.status)).toEqual(['issued', 'issued', 'issued', 'issued']);
    expect(c.members.map((m) => m.stats().suspects)).toEqual([[], [], [], []]);
    expect(c.logs[1]!.records.some((x) => x.message.startsWith('request shares lie off'))).toBe(true);
    // a wrong blinding alone is caught the same way (the value is right, the pair is not on the commitments)
    const blinded = await askAll(c, await handRequest(c, BOB, { tamper: (i, [y, b]) => (i === 3 ? [y, b + 1n] : [y, b]) }));
    expect(blinded.map((a) => a.status)).toEqual(['issued', 'issued', 'issued', 'issued']);
    expect(c.members.map((m) => m.stats().suspects)).toEqual([[], [], [], []]);
    expect(c.logs[3]!.records.some((x) => x.message.startsWith('request shares lie off'))).toBe(true);
  });

  it('several lying clients in one batch, each aiming at another member, get nobody suspected; every request in the batch is issued', async () => {
    const c = await cluster(109, { batchDelayMs: 150 });
    const people = Array.from({ length: 7 }, (_, k) => ({ country: 'NL', document: `L${k}`, birth: '1999-09-09' }));
    // clients 0–3 each lie to member k; 4–6 are honest, so each member checks a batch of 7 with one bad pair. Before
    // client VSS this got every member suspected and the whole batch refused (unavailable), the honest requests too.
    const requests = await Promise.all(people.map((p, k) => handRequest(c, p, k < 4 ? { tamper: (i, [y, b]) => (i === k ? [y + 1n, b] : [y, b]) } : {})));
    const answers = await Promise.all(requests.map((bytes) => askAll(c, bytes)));
    expect(answers.map((a) => a.map((x) => x.status))).toEqual(people.map(() => ['issued', 'issued', 'issued', 'issued']));
    expect(c.members.map((m) => m.stats().suspects)).toEqual([[], [], [], []]);
    expect(c.members[0]!.stats().batches).toBe(1);
  });

  it('a request whose commitments are not t + 1 points of BN254 G1 is refused malformed alone; an honest enrollment in the same batch is issued', async () => {
    const c = await cluster(110, { batchDelayMs: 100 });
    // a point off the curve has the right shape, so it reaches the batch: every member refuses it there, alone
    const offCurve = await handRequest(c, MALLORY, { commitments: ([c0, c1]) => [c0!, c1!.map((b, j) => (j === 64 ? b ^ 1 : b))] });
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random: c.random.fork('bob') });
    const [answers, bob] = await Promise.all([askAll(c, offCurve), client.enroll({ attributes: BOB, holderSecretKey: c.random.bytes(32) })]);
    expect(answers.map((a) => (a.status === 'rejected' ? a.reason : a.status))).toEqual(['malformed', 'malformed', 'malformed', 'malformed']);
    expect(bob.status).toBe('enrolled');
    expect(c.members[0]!.stats().batches).toBe(1);
    // the wrong number of commitments, a compressed point, the all-zero encoding: refused at once, never batched
    const zero = Uint8Array.of(4, ...new Array<number>(64).fill(0));
    const bent: ((e: Uint8Array[]) => Uint8Array[])[] = [
      (e) => [...e, e[0]!],
      (e) => [e[0]!],
      (e) => [e[0]!, e[1]!.subarray(0, 33)],
      (e) => [zero, e[1]!],
    ];
    for (const commitments of bent) {
      const refused = await askAll(c, await handRequest(c, MALLORY, { commitments }));
      expect(refused.map((a) => (a.status === 'rejected' ? a.reason : a.status))).toEqual(['malformed', 'malformed', 'malformed', 'malformed']);
    }
    expect(c.members.map((m) => m.stats().suspects)).toEqual([[], [], [], []]);
    for (const log of c.logs) expect(log.records.filter((x) => x.level === 'error')).toEqual([]);
  });

  it('a request in another format (the one before client VSS, or a later one) is refused malformed by every member, with a typed decoding error', async () => {
    const c = await cluster(111);
    const r = c.random;
    const v1 = {
      kind: 'enroll',
      committeeId: c.committee.committeeId,
      requestId: r.bytes(16),
      issuedAt: Date.now(),
      requesterKey: r.bytes(32),
      shares: c.members.map(() => r.bytes(80)),
      signature: r.bytes(64),
    };
    for (const record of [v1, { ...v1, requestId: r.bytes(16), version: REQUEST_FORMAT_VERSION + 1, commitments: [r.bytes(65), r.bytes(65)] }]) {
      const bytes = encode(record);
      let error: unknown;
      try {
        decodeIdentityRequest(bytes, 4);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'CODEC_SCHEMA', meta: { field: 'request.version' } });
      const answers = await askAll(c, bytes);
      expect(answers.map((a) => (a.status === 'rejected' ? a.reason : a.status))).toEqual(['malformed', 'malformed', 'malformed', 'malformed']);
    }
    expect(c.logs[0]!.records.some((x) => x.message.startsWith('a request of another format version'))).toBe(true);
  });

  it('a client whose shares are off the polynomial at t + 1 members fails only its own request (malformed); an honest enrollment in the same batch is issued', async () => {
    const c = await cluster(104, { batchDelayMs: 100 });
    const evil = await handRequest(c, MALLORY, { tamper: (i, [y, b]) => (i === 1 || i === 2 ? [y + 5n, b] : [y, b]) });
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random: c.random.fork('bob') });
    const [answers, bob] = await Promise.all([askAll(c, evil), client.enroll({ attributes: BOB, holderSecretKey: c.random.bytes(32) })]);
    expect(answers.map((a) => (a.status === 'rejected' ? a.reason : a.status))).toEqual(['malformed', 'malformed', 'malformed', 'malformed']);
    expect(bob.status).toBe('enrolled');
    expect(c.members.map((m) => m.stats().suspects)).toEqual([[], [], [], []]);
    // the undecodable request was one of two in its batch (so it failed alone, not with the batch)
    expect(c.members[0]!.stats().batches).toBe(1);
  });
});

describe('identity committee: time (n = 4, t = 1)', () => {
  it('an event request whose master credential has expired by the batch time is refused not_enrolled, alone; an enrollment in the same batch is issued', async () => {
    const offset = { ms: 0 };
    const ttl = 60_000;
    const c = await cluster(105, { clockOf: () => offsetClock(offset), credentialTtlMs: ttl, batchDelayMs: 100 });
    const masterSecret = c.random.bytes(32);
    const enrolled = await createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random: c.random.fork('a0') }).enroll({ attributes: ALICE, holderSecretKey: masterSecret });
    if (enrolled.status !== 'enrolled') throw new Error('enrollment failed');
    // the members' time moves one second past Alice's master credential; her phone still reads its last valid instant
    offset.ms = ttl + 1000;
    const lagging: Clock = { now: () => enrolled.credential.expiresAt, setTimeout: (cb, ms) => systemClock().setTimeout(cb, ms) };
    const alice = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, clock: lagging, random: c.random.fork('a1') });
    const carol = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, clock: offsetClock(offset), random: c.random.fork('c') });
    const [a, b] = await Promise.all([
      alice.requestEventCredential({ attributes: ALICE, eventId: eventId('gig'), master: enrolled.credential, masterSecretKey: masterSecret, holderSecretKey: c.random.bytes(32) }),
      carol.enroll({ attributes: CAROL, holderSecretKey: c.random.bytes(32) }),
    ]);
    expect(a).toEqual({ status: 'rejected', reason: 'not_enrolled' });
    expect(b.status).toBe('enrolled');
    for (const log of c.logs) expect(log.records.filter((x) => x.level === 'error')).toEqual([]);
  });

  it('a coordinator whose batch time is off the other members’ clocks gets nothing signed: it cannot choose credential validity', async () => {
    // the coordinator's clock (and a client that agrees with it) run ten minutes ahead of everyone else's
    const ahead = { ms: 10 * 60_000 };
    const c = await cluster(106, { clockOf: (i) => (i === 0 ? offsetClock(ahead) : systemClock()) });
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, clock: offsetClock(ahead), random: c.random.fork('x') });
    const result = await client.enroll({ attributes: ALICE, holderSecretKey: c.random.bytes(32) });
    // the other members find the request itself stale, and refuse to sign the coordinator's batch of it
    expect(result).toEqual({ status: 'rejected', reason: 'stale' });
    // the coordinator settles its batch: with nobody else signing it, it cannot issue the credential
    await vi.waitFor(() => {
      const m1 = c.members[0]!.stats();
      expect(m1.enrolled + (m1.rejected.unavailable ?? 0)).toBe(1);
    }, 10_000);
    expect(c.members.map((m) => m.stats().enrolled)).toEqual([0, 0, 0, 0]);
    for (const log of c.logs.slice(1)) expect(log.records.some((x) => x.message.startsWith('a batch time is outside'))).toBe(true);
  });
});

describe('identity committee: junk coordination traffic (n = 4, t = 1)', () => {
  it('junk signing messages from one member for batches that do not exist cannot crowd out real ones; nobody honest is named', async () => {
    // the coordinator registers a little later than the others, so their commitments reach it before its signing exists
    const slow = (r: TagRegistry): TagRegistry => ({ ...r, register: async (b) => (await new Promise((z) => setTimeout(z, 50)), r.register(b)) });
    const c = await cluster(107, { registryOf: (i, r) => (i === 0 ? slow(r) : r) });
    const name = utf8ToBytes('identity/control');
    const frame = (b: Uint8Array) => concatBytes(Uint8Array.of(name.length), name, b);
    for (let i = 0; i < 300; i++) {
      const junk = encodeControl({ type: 'commit', batchId: c.random.bytes(16), attempt: 0, hiding: new Uint8Array(32), binding: new Uint8Array(32) });
      await c.transports[3]!.send('m1', frame(junk));
    }
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random: c.random.fork('a') });
    expect((await client.enroll({ attributes: ALICE, holderSecretKey: c.random.bytes(32) })).status).toBe('enrolled');
    expect((await client.enroll({ attributes: BOB, holderSecretKey: c.random.bytes(32) })).status).toBe('enrolled');
    expect(c.members[0]!.stats().suspects).toEqual([]);
  });
});
