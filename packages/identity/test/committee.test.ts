/**
 * The identity committee end to end over the in-memory network: DKG + joint
 * PRF key at start, enrollment with duplicate detection, event credentials and
 * per-event tags, ID-mode derivation, restarts from storage, lying clients and
 * bad input. n = 4, t = 1; the robust openings and the blame of a corrupt dealer also at n = 5, t = 1 and
 * n = 7, t = 2.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type EventId,
  type Storage,
  type Transport,
  concatBytes,
  createMemoryStore,
  eventId,
  memoryLogger,
  memoryNetwork,
  memoryStorage,
  nobleCrypto,
  seededRandom,
  systemClock,
  bytesToHex,
  decode,
  encode,
} from '@admitone/core';
import { x25519KeyPair } from '@admitone/core/threshold';
import { bn254_Fr } from '@noble/curves/bn254.js';
import { ELEMENT_BYTES, PREPROCESS_ROUNDS, decodeMpcMessage, encodeMpcMessage, packElements, unpackElements } from '../src/mpc/index.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createCommitteeMember, type CommitteeConfig, type CommitteeDescriptor, type CommitteeMember } from '../src/committee/member.js';
import { createIdentityClient, localCommitteeEndpoint, type CommitteeEndpoint } from '../src/client.js';
import { credentialStatement } from '../src/credential/credential.js';
import { ledgerTagRegistry, type TagRegistry, type TagRegistryApp } from '../src/index.js';
import { registryLedger } from './helpers/registry-ledger.js';
import { type IdentityResponse, decodeControl, encodeControl, decodeIdentityRequest, decodeIdentityResponse, encodeIdentityRequest, requestSigningBytes } from '../src/committee/messages.js';
import { handRequest } from './helpers/requests.js';

const crypto = nobleCrypto();
const ALICE = { country: 'NL', document: 'X1234567', birth: '1990-01-01' };
const ALICE_SLOPPY = { country: ' nl ', document: 'x1234567', birth: '1990-01-01 ' };
const person = (i: number) => ({ country: 'DE', document: `P${i}`, birth: '1985-05-05' });
const BOB = { country: 'NL', document: 'Y7654321', birth: '1985-05-05' };
const E1 = eventId('summer-gig');
const E2 = eventId('winter-gig');
const AHEAD = 91 * 4; // tuples kept ready (small, to keep the suite fast)

interface Cluster {
  members: CommitteeMember[];
  /** With `ledger`: the registry app (the local engine's, or replica 0's under PBFT). */
  registryApps: TagRegistryApp[];
  committee: CommitteeDescriptor;
  endpoint: CommitteeEndpoint;
  stores: ReturnType<typeof createMemoryStore>[];
  logs: ReturnType<typeof memoryLogger>[];
  restart(i: number): Promise<void>;
  close(): Promise<void>;
}

const open: Cluster[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

/** Member `i`'s Ed25519 transcript-signing secret key in a cluster made with `signing`. */
const signingSecret = (seed: number, i: number): Uint8Array => seededRandom(`signing-${seed}-${i}`).bytes(32);

async function cluster(
  seed: number,
  opts: {
    gates?: Uint8Array[];
    liar?: (bytes: Uint8Array, to: string | undefined) => Uint8Array;
    signing?: boolean;
    size?: number;
    degree?: number;
    /** Keep the tag registry on a ledger: one process-local engine, or a real PBFT cluster of four replicas. */
    ledger?: 'local' | 'pbft';
    /** Wraps member `i`'s registry (a lying member). */
    registryOf?: (i: number, registry: TagRegistry) => TagRegistry;
  } = {},
): Promise<Cluster> {
  const random = seededRandom(seed);
  const ids = Array.from({ length: opts.size ?? 4 }, (_, i) => `m${i + 1}`);
  const ledger = opts.ledger === undefined ? undefined : await registryLedger({ kind: opts.ledger, committeeId: 'test-committee', members: ids.length, threshold: (opts.degree ?? 1) + 1, crypto });
  const keys = ids.map(() => x25519KeyPair(random));
  const config: CommitteeConfig = {
    committeeId: 'test-committee',
    degree: opts.degree ?? 1,
    members: ids.map((id, i) => ({
      id,
      encryptionKey: keys[i]!.publicKey,
      ...(opts.signing === true ? { signingKey: ed25519.getPublicKey(signingSecret(seed, i)) } : {}),
    })),
    ...(opts.gates === undefined ? {} : { authorizedGates: opts.gates }),
  };
  const net = memoryNetwork({ members: ids });
  const stores = ids.map(() => createMemoryStore());
  const logs = ids.map(() => memoryLogger({ level: 'debug' }));
  const storages: Storage[] = [];
  let restarts = 0;
  const make = (i: number) => {
    const storage = memoryStorage({ store: stores[i]! });
    storages[i] = storage;
    const transport = net.transport(ids[i]!);
    return createCommitteeMember({
      config,
      // the last member lies on the wire when the test asks (the in-memory network is confidential, so no sealing)
      transport: i === ids.length - 1 && opts.liar !== undefined ? lyingTransport(transport, opts.liar) : transport,
      ...(opts.liar === undefined ? {} : { confidentialTransport: true }),
      encryptionSecretKey: keys[i]!.secretKey,
      ...(opts.signing === true ? { signingSecretKey: signingSecret(seed, i) } : {}),
      storage,
      crypto,
      random: random.fork(`member-${i}-${restarts++}`),
      clock: systemClock(),
      logger: logs[i]!,
      timeoutMs: 3000,
      preprocessAhead: AHEAD,
      ...(ledger === undefined
        ? {}
        : { registry: (opts.registryOf ?? ((_i, r) => r))(i, ledgerTagRegistry({ ledger: ledger.clients[i]!, committeeId: 'test-committee', timeoutMs: 3000 })) }),
    });
  };
  const members = ids.map((_, i) => make(i));
  const descriptors = await Promise.all(members.map((m) => m.start()));
  const endpoint: CommitteeEndpoint = {
    request: (member, bytes) => localCommitteeEndpoint(members).request(member, bytes),
  };
  const c: Cluster = {
    members,
    registryApps: ledger?.apps ?? [],
    committee: descriptors[0]!,
    endpoint,
    stores,
    logs,
    async restart(i) {
      await members[i]!.close();
      await storages[i]!.close();
      members[i] = make(i);
      await members[i]!.start();
    },
    async close() {
      for (const m of members) await m.close();
      for (const s of storages) await s.close();
      await net.close();
      await ledger?.close();
    },
  };
  expect(new Set(descriptors.map((d) => bytesToHex(d.groupPublicKey))).size).toBe(1);
  open.push(c);
  return c;
}

/** A transport whose outgoing payloads pass through `lie`. */
function lyingTransport(inner: Transport, lie: (bytes: Uint8Array, to: string | undefined) => Uint8Array): Transport {
  return { ...inner, localId: inner.localId, members: inner.members, capabilities: inner.capabilities,
    send: (to, bytes) => inner.send(to, lie(bytes, to)), broadcast: (bytes) => inner.broadcast(lie(bytes, undefined)),
    onMessage: (h) => inner.onMessage(h), onPeerStatus: (h) => inner.onPeerStatus(h), connectedPeers: () => inner.connectedPeers(), close: () => inner.close() };
}

/** A liar that adds 7 to every element it sends in MPC evaluation openings; `lies` counts them. */
function openingLiar(lies: { mpc: number }): (bytes: Uint8Array) => Uint8Array {
  return (bytes) => {
    const [channel, body] = channelOf(bytes);
    if (channel !== 'identity/mpc') return bytes;
    const m = decodeMpcMessage(body);
    if (m.phase !== 'eval') return bytes;
    const values = unpackElements(m.elements, m.elements.length / ELEMENT_BYTES, bn254_Fr.ORDER)!;
    lies.mpc += 1;
    return concatBytes(bytes.subarray(0, bytes.length - body.length), encodeMpcMessage({ ...m, elements: packElements(values.map((v) => bn254_Fr.add(v, 7n))) }));
  };
}

/**
 * A liar (member `liarIndex` of a committee built from `seed`, degree `t`) that adds 9 to the shares
 * it deals m1 in round 0 of each signed preprocessing chunk, and signs what it sends; `lies` counts them.
 */
function dealingLiar(seed: number, liarIndex: number, t: number, lies: { pre: number }): (bytes: Uint8Array, to: string | undefined) => Uint8Array {
  return (bytes, to) => {
    const [channel, body] = channelOf(bytes);
    if (channel !== 'identity/mpc' || to !== 'm1') return bytes;
    const m = decodeMpcMessage(body);
    // a signed chunk takes PREPROCESS_ROUNDS rounds, then t + 1 rounds of alarm agreement
    if (m.phase !== 'pre' || m.round % (PREPROCESS_ROUNDS + t + 1) !== 0 || m.signature === undefined) return bytes;
    lies.pre += 1;
    const values = unpackElements(m.elements, m.elements.length / ELEMENT_BYTES, bn254_Fr.ORDER)!;
    const elements = packElements(values.map((v) => bn254_Fr.add(v, 9n)));
    const entry = encode(['admitone/mpc/transcript/v1', m.phase, m.session, m.round, m.context, to, sha256(elements)]);
    const signature = ed25519.sign(entry, signingSecret(seed, liarIndex));
    return concatBytes(bytes.subarray(0, bytes.length - body.length), encodeMpcMessage({ ...m, elements, signature }));
  };
}

/** Splits a multiplexed payload into its channel name and body. */
function channelOf(bytes: Uint8Array): [string, Uint8Array] {
  const n = bytes[0]!;
  return [new TextDecoder().decode(bytes.subarray(1, 1 + n)), bytes.subarray(1 + n)];
}

describe.each([
  [5, 1],
  [7, 2],
])('identity committee at other sizes (n = %i, t = %i, in memory)', (n, t) => {
  it('enrolls once per person and refuses duplicates, with the last member lying in every opening; it is named', async () => {
    const lies = { mpc: 0 };
    const c = await cluster(40 + n, { size: n, degree: t, liar: openingLiar(lies) });
    const random = seededRandom(50 + n);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    const first = await client.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) });
    expect(first.status).toBe('enrolled');
    if (first.status !== 'enrolled') return;
    expect(ed25519.verify(first.credential.proof.signature, credentialStatement(first.credential)!, c.committee.groupPublicKey)).toBe(true);
    expect(await client.enroll({ attributes: ALICE_SLOPPY, holderSecretKey: random.bytes(32) })).toEqual({ status: 'duplicate' });
    expect((await client.enroll({ attributes: BOB, holderSecretKey: random.bytes(32) })).status).toBe('enrolled');
    expect(lies.mpc).toBeGreaterThan(0);
    await vi.waitFor(() => {
      for (const m of c.members.slice(0, -1)) expect(m.stats().suspects).toEqual([`m${n}`]);
      expect(c.members.map((m) => m.stats().enrolled)).toEqual(c.members.map(() => 2));
    }, 10_000);
  });

  it('with signed transcripts, names the member that corrupts its preprocessing dealing, never an honest one', async () => {
    const lies = { pre: 0 };
    const c = await cluster(60 + n, { size: n, degree: t, liar: dealingLiar(60 + n, n - 1, t, lies), signing: true });
    await vi.waitFor(() => {
      for (const m of c.members.slice(0, -1)) expect(m.stats().suspects).toEqual([`m${n}`]);
    }, 15_000);
    expect(lies.pre).toBeGreaterThan(0);
    for (const log of c.logs.slice(0, -1)) {
      const failures = log.records.filter((x) => x.message === 'mpc preprocessing check failed; the batch is discarded');
      expect(failures.length).toBeGreaterThan(0);
      for (const f of failures) expect(f.fields).toMatchObject({ culprits: [`m${n}`], deviationRound: 0 });
    }
  });
});

describe('identity committee (n = 4, t = 1, in memory)', () => {
  it('enrolls once per person, refuses duplicates, and issues standard Ed25519 credentials', async () => {
    const c = await cluster(1);
    const random = seededRandom(99);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    // the coordinator fills every member's pool ahead of demand, identically
    await vi.waitFor(() => expect(c.members.map((m) => m.stats().tuples)).toEqual([AHEAD, AHEAD, AHEAD, AHEAD]), 10_000);
    const aliceKey = random.bytes(32);
    const first = await client.enroll({ attributes: ALICE, holderSecretKey: aliceKey });
    expect(first.status).toBe('enrolled');
    if (first.status !== 'enrolled') return;
    expect(first.credential.holderKey).toEqual(await crypto.getPublicKey(aliceKey));
    // a standard Ed25519 signature under the DKG group key, checked by plain noble
    const statement = credentialStatement(first.credential)!;
    expect(ed25519.verify(first.credential.proof.signature, statement, c.committee.groupPublicKey)).toBe(true);

    // the same person, typed differently, with another key: duplicate
    const again = await client.enroll({ attributes: ALICE_SLOPPY, holderSecretKey: random.bytes(32) });
    expect(again).toEqual({ status: 'duplicate' });
    expect((await client.enroll({ attributes: BOB, holderSecretKey: random.bytes(32) })).status).toBe('enrolled');
    // the client returns on the first valid credential; every member gets there
    await vi.waitFor(() => {
      const stats = c.members.map((m) => m.stats());
      expect(stats.map((s) => s.enrolled)).toEqual([2, 2, 2, 2]);
      expect(stats.map((s) => s.duplicates)).toEqual([1, 1, 1, 1]);
    }, 5000);
  });

  it('batches concurrent enrollments into few MPC evaluations and one signature per batch', async () => {
    const c = await cluster(2);
    const random = seededRandom(5);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    const people = Array.from({ length: 24 }, (_, i) => ({ country: 'DE', document: `D${1000 + i}`, birth: '2000-01-01' }));
    // person 3 enrolls twice in the same burst: exactly one wins
    const results = await Promise.all([...people, people[3]!].map((attributes) => client.enroll({ attributes, holderSecretKey: random.bytes(32) })));
    expect(results.filter((r) => r.status === 'enrolled')).toHaveLength(24);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(1);
    const batches = c.members[0]!.stats().batches;
    expect(batches).toBeLessThan(6);
    const signatures = new Set(results.flatMap((r) => (r.status === 'enrolled' ? [bytesToHex(r.credential.proof.signature)] : [])));
    expect(signatures.size).toBeLessThanOrEqual(batches);
  });

  it('gives the same tag for the same person and event, unlinkable tags across events and people', async () => {
    const c = await cluster(3);
    const random = seededRandom(6);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    const aliceMaster = random.bytes(32);
    const bobMaster = random.bytes(32);
    const a = await client.enroll({ attributes: ALICE, holderSecretKey: aliceMaster });
    const b = await client.enroll({ attributes: BOB, holderSecretKey: bobMaster });
    if (a.status !== 'enrolled' || b.status !== 'enrolled') throw new Error('enrollment failed');
    const ask = (attributes: typeof ALICE, eventId: EventId, master: typeof a.credential, masterSecretKey: Uint8Array) =>
      client.requestEventCredential({ attributes, eventId, master, masterSecretKey, holderSecretKey: random.bytes(32) });
    const a1 = await ask(ALICE, E1, a.credential, aliceMaster);
    const a1again = await ask(ALICE_SLOPPY, E1, a.credential, aliceMaster);
    const a2 = await ask(ALICE, E2, a.credential, aliceMaster);
    const b1 = await ask(BOB, E1, b.credential, bobMaster);
    for (const r of [a1, a1again, a2, b1]) expect(r.status).toBe('issued');
    if (a1.status !== 'issued' || a1again.status !== 'issued' || a2.status !== 'issued' || b1.status !== 'issued') return;
    expect(a1.credential.eventTag).toEqual(a1again.credential.eventTag);
    expect(a1.credential.holderKey).not.toEqual(a1again.credential.holderKey);
    expect(a1.credential.eventTag).not.toEqual(a2.credential.eventTag);
    expect(a1.credential.eventTag).not.toEqual(b1.credential.eventTag);
    // Bob's identity cannot ride on Alice's master credential
    expect(await ask(BOB, E1, a.credential, aliceMaster)).toEqual({ status: 'rejected', reason: 'not_enrolled' });
    // an unenrolled person with a master credential signed by someone else's key: invalid signature
    expect((await ask(ALICE, E1, a.credential, bobMaster)).status).toBe('rejected');
  });

  it('derives ID-mode tags only for authorised gates, matching the event credential', async () => {
    const random = seededRandom(8);
    const gateSecret = random.bytes(32);
    const c = await cluster(4, { gates: [await crypto.getPublicKey(gateSecret)] });
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    const master = random.bytes(32);
    const a = await client.enroll({ attributes: ALICE, holderSecretKey: master });
    if (a.status !== 'enrolled') throw new Error('enrollment failed');
    const ev = await client.requestEventCredential({ attributes: ALICE, eventId: E1, master: a.credential, masterSecretKey: master, holderSecretKey: random.bytes(32) });
    if (ev.status !== 'issued') throw new Error('event credential failed');
    expect(await client.deriveEventTag({ attributes: ALICE_SLOPPY, eventId: E1, gateSecretKey: gateSecret })).toEqual(ev.credential.eventTag);
    expect(await client.deriveEventTag({ attributes: BOB, eventId: E1, gateSecretKey: gateSecret })).not.toEqual(ev.credential.eventTag);
    // a refusal the committee agrees on is not an outage: its own code and a typed reason
    await expect(client.deriveEventTag({ attributes: ALICE, eventId: E1, gateSecretKey: random.bytes(32) })).rejects.toMatchObject({
      name: 'IdentityError',
      code: 'IDENTITY_REFUSED',
      reason: 'not_authorized',
      meta: { reason: 'not_authorized' },
    });
  });

  it('keeps the registry and keys across a member restart', async () => {
    const c = await cluster(5);
    const random = seededRandom(9);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    expect((await client.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) })).status).toBe('enrolled');
    await vi.waitFor(() => expect(c.members.map((m) => m.stats().tuples)).toEqual([AHEAD, AHEAD, AHEAD, AHEAD]), 10_000);
    await c.restart(2);
    await c.restart(0); // the coordinator too
    // pools are reset and refilled in step after restarts
    await vi.waitFor(() => expect(c.members.map((m) => m.stats().tuples)).toEqual([AHEAD, AHEAD, AHEAD, AHEAD]), 10_000);
    expect(await client.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) })).toEqual({ status: 'duplicate' });
    expect((await client.enroll({ attributes: BOB, holderSecretKey: random.bytes(32) })).status).toBe('enrolled');
  });

  it('a lying client share to one member (off the committed polynomial, or not opening) is declared by that member, so dedup still holds and nobody is suspected', async () => {
    const c = await cluster(6);
    const random = seededRandom(10);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    expect((await client.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) })).status).toBe('enrolled');
    // Alice enrolls again with a hand-made request whose share for member 3 is off the polynomial,
    // and one whose sealed share for member 2 does not even open; both are signed, so both are processed.
    const points = c.committee.members.map((m) => m.id).sort();
    for (const corrupt of ['value', 'seal'] as const) {
      const bytes = await handRequest(c.committee, ALICE, random, crypto, {
        tamper: (i, [y, b]) => (corrupt === 'value' && i === 2 ? [bn254_Fr.add(y, 12345n), b] : [y, b]),
        breakSeal: (i) => corrupt === 'seal' && i === 1,
      });
      const answers = await Promise.all(points.map(async (id) => decodeIdentityResponse(await c.endpoint.request(id, bytes))));
      expect(answers.map((a) => a.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    }
    await vi.waitFor(() => expect(c.members.map((m) => m.stats().enrolled)).toEqual([1, 1, 1, 1]), 5000);
    expect(c.members.map((m) => m.stats().suspects)).toEqual([[], [], [], []]);
  });

  it("does not let a relay (or a member) enroll someone's sealed shares under its own key", async () => {
    const c = await cluster(17);
    const random = seededRandom(17);
    // The relay sits between Alice and the committee: it sees her request, keeps it from the members, and
    // sends her sealed shares under its own key and signature instead (same request id, so the seals' ids match).
    const relaySecret = random.bytes(32);
    const relayKey = await crypto.getPublicKey(relaySecret);
    let stolen: Promise<IdentityResponse[]> | undefined;
    const relay: CommitteeEndpoint = {
      request: async (member, bytes) => {
        stolen ??= (async () => {
          const { signature: _s, ...body } = decodeIdentityRequest(bytes, 4);
          const forged = { ...body, requesterKey: relayKey };
          const forgedBytes = encodeIdentityRequest({ ...forged, signature: await crypto.sign(requestSigningBytes(forged), relaySecret) });
          const ids = c.committee.members.map((m) => m.id);
          return Promise.all(ids.map(async (id) => decodeIdentityResponse(await c.endpoint.request(id, forgedBytes))));
        })();
        await stolen;
        throw new Error(`relay dropped the request to ${member}`);
      },
    };
    const victim = createIdentityClient({ committee: c.committee, endpoint: relay, crypto, random });
    await expect(victim.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) })).rejects.toThrow(/consistent answers/);
    // The members could not open Alice's shares under the relay's request, so whatever it got is not Alice's enrollment:
    // Alice, asking directly, still enrolls.
    const answers = await stolen!;
    expect(answers).toHaveLength(4);
    const direct = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    expect((await direct.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) })).status).toBe('enrolled');
    expect(c.logs.some((l) => l.records.some((r) => r.message.includes('did not open')))).toBe(true);
  });

  it('refuses malformed, stale, replayed and foreign requests with typed answers and leaks no identity in logs', async () => {
    const c = await cluster(7);
    const random = seededRandom(11);
    const m = c.members[1]!;
    const bad = decodeIdentityResponse(await m.handle(new Uint8Array([0xff, 0x00])));
    expect(bad).toMatchObject({ status: 'rejected', reason: 'malformed' });
    // capture a real request
    let captured: Uint8Array | undefined;
    const capture: CommitteeEndpoint = {
      request: async (member, bytes) => {
        captured ??= bytes.slice();
        return c.endpoint.request(member, bytes);
      },
    };
    const client = createIdentityClient({ committee: c.committee, endpoint: capture, crypto, random });
    expect((await client.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) })).status).toBe('enrolled');
    expect(decodeIdentityResponse(await m.handle(captured!))).toMatchObject({ status: 'rejected', reason: 'replayed' });
    const req = decodeIdentityRequest(captured!, 4);
    const stale = encodeIdentityRequest({ ...req, requestId: random.bytes(16), issuedAt: req.issuedAt - 3_600_000 });
    expect(decodeIdentityResponse(await m.handle(stale))).toMatchObject({ status: 'rejected', reason: 'stale' });
    const foreign = encodeIdentityRequest({ ...req, requestId: random.bytes(16), committeeId: 'other' });
    expect(decodeIdentityResponse(await m.handle(foreign))).toMatchObject({ status: 'rejected', reason: 'malformed' });
    const wrongCount = encodeIdentityRequest({ ...req, requestId: random.bytes(16), shares: req.shares.slice(1) });
    expect(decodeIdentityResponse(await m.handle(wrongCount))).toMatchObject({ status: 'rejected', reason: 'malformed' });
    // nothing personal in any member's logs
    const text = JSON.stringify(c.logs.flatMap((l) => l.records), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    for (const secret of Object.values(ALICE)) expect(text).not.toContain(secret);
    expect(text).not.toContain(bytesToHex(encode(ALICE)));
  });

  it('survives a member that lies in the MPC openings, names it, and leaves it out of the signing set', async () => {
    const lies = { mpc: 0, frost: 0 };
    const lieInOpenings = openingLiar(lies);
    const liar = (bytes: Uint8Array): Uint8Array => {
      const [channel, body] = channelOf(bytes);
      const prefix = bytes.subarray(0, bytes.length - body.length);
      if (channel === 'identity/mpc') return lieInOpenings(bytes);
      if (channel === 'identity/control') {
        const m = decodeControl(body, 256);
        if (m.type !== 'share') return bytes;
        lies.frost += 1;
        return concatBytes(prefix, encodeControl({ ...m, share: m.share.map((b, i) => (i === 0 ? b ^ 1 : b)) }));
      }
      return bytes;
    };
    const c = await cluster(13, { liar });
    // count only what happens during requests
    lies.mpc = 0;
    lies.frost = 0;
    const random = seededRandom(14);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    const r = await client.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) });
    expect(r.status).toBe('enrolled');
    expect(await client.enroll({ attributes: ALICE_SLOPPY, holderSecretKey: random.bytes(32) })).toEqual({ status: 'duplicate' });
    for (let i = 0; i < 3; i++) expect((await client.enroll({ attributes: person(i), holderSecretKey: random.bytes(32) })).status).toBe('enrolled');
    expect(lies.mpc).toBeGreaterThan(0);
    await vi.waitFor(() => {
      for (const m of c.members.slice(0, 3)) expect(m.stats().suspects).toEqual(['m4']);
    }, 5000);
    // caught in the MPC of the first batch, m4 is never asked for a signature share: the rotation
    // over the other members skips it in every one of the five batches
    expect(lies.frost).toBe(0);
    expect(c.logs[0]!.records.filter((x) => x.message.startsWith('invalid FROST signature shares'))).toEqual([]);
  });

  it('with signed transcripts, names a member that corrupts preprocessing (the check fails, the replay shows who)', async () => {
    // m4 adds 9 to the share it deals m1 in round 0 of each preprocessing chunk, and signs what it sends. m1 re-shares
    // products (m4 does not), so the tuples come out wrong; the robust openings of the check even blame m1, whose share
    // is off. The revelation shows the error started in m4's dealing.
    const counted = { pre: 0 };
    const liar = dealingLiar(17, 3, 1, counted);
    const c = await cluster(17, { liar, signing: true });
    await vi.waitFor(() => {
      for (const m of c.members.slice(0, 3)) expect(m.stats().suspects).toEqual(['m4']);
    }, 10_000);
    expect(counted.pre).toBeGreaterThan(0);
    for (const log of c.logs.slice(1, 3)) expect(log.records.some((x) => x.message === 'mpc wrong opening shares' && String(x.fields?.['culprits']) === 'm1')).toBe(true);
    for (const log of c.logs.slice(0, 3)) {
      const failures = log.records.filter((x) => x.message === 'mpc preprocessing check failed; the batch is discarded');
      expect(failures.length).toBeGreaterThan(0);
      for (const f of failures) expect(f.fields).toMatchObject({ culprits: ['m4'], deviationRound: 0 });
    }
  });

  it('refuses signing keys for some members only, or a secret without keys', async () => {
    const random = seededRandom(18);
    const member = (id: string, signed: boolean) => ({ id, encryptionKey: x25519KeyPair(random).publicKey, ...(signed ? { signingKey: random.bytes(32) } : {}) });
    const net = memoryNetwork({ members: ['a', 'b', 'c', 'd'] });
    const base = { transport: net.transport('a'), encryptionSecretKey: random.bytes(32), storage: memoryStorage({ store: createMemoryStore() }), crypto };
    const some = { committeeId: 'x', degree: 1, members: ['a', 'b', 'c', 'd'].map((id, i) => member(id, i < 2)) };
    const none = { committeeId: 'x', degree: 1, members: ['a', 'b', 'c', 'd'].map((id) => member(id, false)) };
    const all = { committeeId: 'x', degree: 1, members: ['a', 'b', 'c', 'd'].map((id) => member(id, true)) };
    expect(() => createCommitteeMember({ ...base, config: some, signingSecretKey: random.bytes(32) })).toThrow(/every member a signingKey/);
    expect(() => createCommitteeMember({ ...base, config: none, signingSecretKey: random.bytes(32) })).toThrow(/needs signingKey/);
    expect(() => createCommitteeMember({ ...base, config: all })).toThrow(/signingSecretKey is required/);
    await net.close();
  });

  it('names a member that sends wrong FROST signature shares, signs without it, and stops asking it', async () => {
    let lies = 0;
    const liar = (bytes: Uint8Array): Uint8Array => {
      const [channel, body] = channelOf(bytes);
      if (channel !== 'identity/control') return bytes;
      const m = decodeControl(body, 256);
      if (m.type !== 'share') return bytes;
      lies += 1;
      return concatBytes(bytes.subarray(0, bytes.length - body.length), encodeControl({ ...m, share: m.share.map((b, i) => (i === 0 ? b ^ 1 : b)) }));
    };
    const c = await cluster(15, { liar });
    const random = seededRandom(16);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    // t + 1 = 2 signers per batch: the coordinator and one other, rotating, so m4 is asked within three batches
    for (let i = 0; i < 6; i++) expect((await client.enroll({ attributes: person(i), holderSecretKey: random.bytes(32) })).status).toBe('enrolled');
    expect(lies).toBe(1);
    const warnings = c.logs[0]!.records.filter((x) => x.message.startsWith('invalid FROST signature shares'));
    expect(warnings.map((w) => w.fields?.['culprits'])).toEqual([['m4']]);
    expect(c.members[0]!.stats().suspects).toEqual(['m4']);
  });

  it('refuses configurations that cannot be safe', () => {
    const random = seededRandom(12);
    const net = memoryNetwork({ members: ['a', 'b', 'c'] });
    const member = (id: string) => ({ id, encryptionKey: x25519KeyPair(random).publicKey });
    const base = { transport: net.transport('a'), encryptionSecretKey: random.bytes(32), storage: memoryStorage(), crypto };
    expect(() => createCommitteeMember({ ...base, config: { committeeId: 'c', degree: 1, members: ['a', 'b', 'c'].map(member) } })).toThrow(
      expect.objectContaining({ code: 'IDENTITY_CONFIG' }),
    );
    expect(() => createCommitteeMember({ ...base, config: { committeeId: 'c', degree: 0, members: ['a', 'b', 'c'].map(member) } })).toThrow(
      expect.objectContaining({ code: 'IDENTITY_CONFIG' }),
    );
    void net.close();
  });
});

/** Every tag the registry app has registered, as the holder key hex it is registered to. */
function registeredKeys(app: TagRegistryApp): string[] {
  const rows = app.state.entries().filter((e) => new TextDecoder().decode(e.key).startsWith('g/'));
  return rows.map((e) => bytesToHex((decode(e.value) as [Uint8Array])[0]));
}

/** Deletes a member's local registry records, as if it had missed every enrollment so far. */
async function forgetRegistry(store: ReturnType<typeof createMemoryStore>): Promise<number> {
  const storage = memoryStorage({ store });
  const keys: Uint8Array[] = [];
  for await (const e of storage.iterate({ prefix: new TextEncoder().encode('identity/reg/') })) keys.push(e[0]);
  if (keys.length > 0) await storage.batch(keys.map((key) => ({ type: 'del' as const, key })));
  await storage.close();
  return keys.length;
}

describe('identity committee with the tag registry on a ledger (n = 4, t = 1)', () => {
  it.each(['member storage', 'ledger'] as const)('a member that missed every enrollment still refuses duplicates: the ledger decides, not the member (registry in %s)', async (mode) => {
    {
      const c = await cluster(21, mode === 'ledger' ? { ledger: 'local' } : {});
      const random = seededRandom(21);
      const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
      expect((await client.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) })).status).toBe('enrolled');
      await vi.waitFor(() => expect(c.members.map((m) => m.stats().enrolled)).toEqual([1, 1, 1, 1]), 5000);
      // member 3 comes back without its records (a lost disk, or batches a lying coordinator kept from it)
      await c.members[2]!.close();
      // (with the ledger the member keeps no records of its own to lose)
      expect(await forgetRegistry(c.stores[2]!)).toBe(mode === 'ledger' ? 0 : 1);
      await c.restart(2);
      // pools are reset and refilled in step after a restart
      await vi.waitFor(() => expect(c.members.map((m) => m.stats().tuples)).toEqual([AHEAD, AHEAD, AHEAD, AHEAD]), 10_000);
      expect(await client.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) })).toEqual({ status: 'duplicate' });
      const duplicates = await vi.waitFor(() => {
        const d = c.members.map((m) => m.stats().duplicates);
        expect(d.filter((x) => x === 1).length).toBeGreaterThanOrEqual(3);
        return d;
      }, 5000);
      if (mode === 'ledger') {
        // every member sees the registration, so every member refuses
        expect(duplicates).toEqual([1, 1, 1, 1]);
        expect(registeredKeys(c.registryApps[0]!)).toHaveLength(1);
      } else {
        // the gap the ledger closes: on its own records, member 3 would issue Alice a second credential
        expect(duplicates[2]).toBe(0);
      }
    }
  }, 30_000);

  it('enrolls, refuses duplicates and issues event credentials with the registry on a real PBFT cluster; every replica holds the same registry', async () => {
    const c = await cluster(22, { ledger: 'pbft' });
    const random = seededRandom(22);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    const aliceKey = random.bytes(32);
    const alice = await client.enroll({ attributes: ALICE, holderSecretKey: aliceKey });
    expect(alice.status).toBe('enrolled');
    if (alice.status !== 'enrolled') return;
    const results = await Promise.all([BOB, person(1), ALICE_SLOPPY].map((attributes) => client.enroll({ attributes, holderSecretKey: random.bytes(32) })));
    expect(results.map((r) => r.status)).toEqual(['enrolled', 'enrolled', 'duplicate']);
    const event = await client.requestEventCredential({ attributes: ALICE, eventId: E1, master: alice.credential, masterSecretKey: aliceKey, holderSecretKey: random.bytes(32) });
    expect(event.status).toBe('issued');
    // Alice's attributes with Bob's master credential are not Bob's enrollment
    const bob = results[0]!;
    if (bob.status !== 'enrolled') throw new Error('unreachable');
    const mixed = await client.requestEventCredential({ attributes: ALICE, eventId: E1, master: bob.credential, masterSecretKey: random.bytes(32), holderSecretKey: random.bytes(32) });
    expect(mixed.status).toBe('rejected');
    await vi.waitFor(() => {
      const digests = c.registryApps.map((a) => bytesToHex(a.digest()));
      expect(new Set(digests).size).toBe(1);
      expect(registeredKeys(c.registryApps[0]!)).toHaveLength(3);
    }, 5000);
    expect(registeredKeys(c.registryApps[0]!)).toContain(bytesToHex(await crypto.getPublicKey(aliceKey)));
  });

  it('a person whose enrollment was registered but not signed gets the credential on retry with the same key', async () => {
    const c = await cluster(23, { ledger: 'local' });
    const random = seededRandom(23);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    const key = random.bytes(32);
    const first = await client.enroll({ attributes: ALICE, holderSecretKey: key });
    expect(first.status).toBe('enrolled');
    // the same person, the same holder key: issued again (not a second identity); another key: duplicate
    const again = await client.enroll({ attributes: ALICE, holderSecretKey: key });
    expect(again.status).toBe('enrolled');
    if (again.status === 'enrolled' && first.status === 'enrolled') expect(again.credential.holderKey).toEqual(first.credential.holderKey);
    expect(await client.enroll({ attributes: ALICE, holderSecretKey: random.bytes(32) })).toEqual({ status: 'duplicate' });
    expect(registeredKeys(c.registryApps[0]!)).toHaveLength(1);
  });

  it('a member that votes every tag to a key of its own registers nothing, and people still enroll', async () => {
    const thief = seededRandom('thief').bytes(32);
    const c = await cluster(24, {
      ledger: 'local',
      registryOf: (i, r) => (i === 3 ? { ...r, register: (b) => r.register({ ...b, entries: b.entries.map((e) => ({ ...e, holderKey: thief })) }) } : r),
    });
    const random = seededRandom(24);
    const client = createIdentityClient({ committee: c.committee, endpoint: c.endpoint, crypto, random });
    const keys = [random.bytes(32), random.bytes(32)];
    expect((await client.enroll({ attributes: ALICE, holderSecretKey: keys[0]! })).status).toBe('enrolled');
    expect((await client.enroll({ attributes: BOB, holderSecretKey: keys[1]! })).status).toBe('enrolled');
    const registered = registeredKeys(c.registryApps[0]!);
    expect(registered.sort()).toEqual((await Promise.all(keys.map((k) => crypto.getPublicKey(k)))).map(bytesToHex).sort());
    expect(registered).not.toContain(bytesToHex(thief));
  });
});
