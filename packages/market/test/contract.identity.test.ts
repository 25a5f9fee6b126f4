/**
 * The whole story across packages, with a *real* identity committee (n = 4,
 * t = 1: DKG, MPC tags, FROST-signed credentials) instead of a stand-in key:
 * enroll → event credentials → buyPrimary under the per-person cap (the same
 * person with a second key hits the cap) → an organizer-signed pass for the
 * bought ticket → the gate admits it offline, and refuses the old copy after a
 * transfer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClientId,
  type CryptoProvider,
  clientIdOf,
  createMemoryStore,
  defaultCrypto,
  eventId,
  memoryNetwork,
  memoryStorage,
  seededRandom,
  signRequest,
  systemClock,
  ticketId,
} from '@admitone/core';
import { x25519KeyPair } from '@admitone/core/threshold';
import {
  type CommitteeDescriptor,
  type CommitteeMember,
  type EventCredential,
  createCommitteeMember,
  createGateVerifier,
  createIdentityClient,
  createPresentation,
  encodeCredential,
  issueTicketPass,
  localCommitteeEndpoint,
} from '@admitone/identity';
import { createEventContract, decodeContractResult, encodeContractOp, type ContractOp, type ContractResult } from '../src/contract/index.js';
import { HOUR, policy } from './contract-helpers.js';

const EVENT = eventId('real-committee-gig');
// credentials carry real issue times (the committee's clock), so the contract and the gate run on real time too
let NOW = 0;
let crypto: CryptoProvider;
let members: CommitteeMember[] = [];
let committee: CommitteeDescriptor;
const net = memoryNetwork({ members: ['m1', 'm2', 'm3', 'm4'] });

beforeAll(async () => {
  crypto = await defaultCrypto();
  const random = seededRandom('market-identity');
  const ids = ['m1', 'm2', 'm3', 'm4'];
  const keys = ids.map(() => x25519KeyPair(random));
  const config = { committeeId: 'venue-identity', degree: 1, members: ids.map((id, i) => ({ id, encryptionKey: keys[i]!.publicKey })) };
  members = ids.map((id, i) =>
    createCommitteeMember({
      config,
      transport: net.transport(id),
      encryptionSecretKey: keys[i]!.secretKey,
      storage: memoryStorage({ store: createMemoryStore() }),
      crypto,
      random: random.fork(id),
      clock: systemClock(),
      preprocessAhead: 91 * 4,
    }),
  );
  committee = (await Promise.all(members.map((m) => m.start())))[0]!;
}, 30_000);

afterAll(async () => {
  for (const m of members) await m.close();
  await net.close();
});

describe('market × identity committee × gate', () => {
  it('enforces the per-person cap across keys by event tag, and the gate admits the bought ticket', async () => {
    const random = seededRandom('story');
    const client = createIdentityClient({ committee, endpoint: localCommitteeEndpoint(members), crypto, random });
    const alice = { country: 'NL', document: 'A1', birth: '1990-01-01' };
    const bob = { country: 'NL', document: 'B2', birth: '1991-02-02' };
    const masterA = random.bytes(32);
    const masterB = random.bytes(32);
    const enrolledA = await client.enroll({ attributes: alice, holderSecretKey: masterA });
    const enrolledB = await client.enroll({ attributes: bob, holderSecretKey: masterB });
    if (enrolledA.status !== 'enrolled' || enrolledB.status !== 'enrolled') throw new Error('enrollment failed');
    const credentialFor = async (attributes: typeof alice, master: typeof enrolledA.credential, masterSecretKey: Uint8Array, holderSecretKey: Uint8Array) => {
      const r = await client.requestEventCredential({ attributes, eventId: EVENT, master, masterSecretKey, holderSecretKey });
      if (r.status !== 'issued') throw new Error(`event credential ${r.status}`);
      return r.credential;
    };
    const a1 = random.bytes(32);
    const a2 = random.bytes(32); // Alice's second wallet: a different key, the same person
    const b1 = random.bytes(32);
    const credA1 = await credentialFor(alice, enrolledA.credential, masterA, a1);
    const credA2 = await credentialFor(alice, enrolledA.credential, masterA, a2);
    const credB1 = await credentialFor(bob, enrolledB.credential, masterB, b1);
    NOW = Date.now();
    expect(credA1.eventTag).toEqual(credA2.eventTag);
    expect(credA1.eventTag).not.toEqual(credB1.eventTag);

    // the contract trusts the real committee's group key
    const gatewaySecret = random.bytes(32);
    const organizerSecret = random.bytes(32);
    const contract = createEventContract({ deployment: 'test', crypto, identityCommittee: committee, fundingKeys: [await crypto.getPublicKey(gatewaySecret)], random: random.fork('contract') });
    const seqs = new Map<string, number>();
    let slot = 0;
    const run = async (secret: Uint8Array, op: ContractOp): Promise<ContractResult> => {
      const id = clientIdOf(await crypto.getPublicKey(secret));
      const requestSeq = (seqs.get(id) ?? 0) + 1;
      seqs.set(id, requestSeq);
      const request = await signRequest(crypto, secret, { deployment: 'test', requestSeq, op: encodeContractOp(op) });
      return decodeContractResult(contract.execute(await contract.prepare(request), { seq: ++slot, timestamp: NOW + 1000 }));
    };
    expect(await run(organizerSecret, { type: 'createEvent', eventId: EVENT, policy: policy({ perPersonCap: 3, sale: { start: NOW - HOUR, end: NOW + 24 * HOUR }, resale: { start: NOW, end: NOW + 48 * HOUR } }) })).toMatchObject({ status: 'ok' });
    for (const s of [a1, a2, b1]) {
      expect((await run(gatewaySecret, { type: 'deposit', account: await crypto.getPublicKey(s), amount: 100_000n })).status).toBe('ok');
    }
    const buy = (secret: Uint8Array, credential: EventCredential, quantity: number) =>
      run(secret, { type: 'buyPrimary', eventId: EVENT, quantity, credential: encodeCredential(credential) });
    const firstBuy = await buy(a1, credA1, 2);
    expect(firstBuy).toMatchObject({ status: 'ok' });
    expect(await buy(a2, credA2, 2)).toEqual({ status: 'rejected', reason: 'cap_per_person' }); // 2 + 2 > 3 for one person
    expect((await buy(a2, credA2, 1)).status).toBe('ok');
    expect((await buy(b1, credB1, 2)).status).toBe('ok');
    // a credential presented by someone else's key is refused
    expect((await buy(b1, credA1, 1)).status).toBe('rejected');

    // the organizer signs a pass for Alice's first ticket; the gate admits it offline
    const ticket = contract.getTicket(EVENT, 1)!;
    expect(ticket.holder).toBe(clientIdOf(credA1.holderKey) as ClientId);
    const pass = await issueTicketPass(crypto, organizerSecret, { deployment: 'test', eventId: EVENT,
      ticketId: ticketId(`${EVENT}-${ticket.serial}`),
      version: ticket.version,
      holderKey: credA1.holderKey,
      credential: credA1,
    });
    const gate = createGateVerifier({ deployment: 'test', eventId: EVENT, committee, organizerKeys: [pass.organizerKey], crypto });
    const now = NOW + 2000;
    expect(await gate.verify(await createPresentation(crypto, a1, pass, now), { now })).toMatchObject({ status: 'admitted', eventTag: credA1.eventTag });

    // after a transfer the ticket has a new version: the old pass is a stale copy at a synced gate
    expect(await run(a1, { type: 'transfer', eventId: EVENT, serial: 1, to: credB1.holderKey })).toMatchObject({ status: 'ok' });
    const moved = contract.getTicket(EVENT, 1)!;
    expect(moved.version).toBe(ticket.version + 1);
    const synced = createGateVerifier({ deployment: 'test', eventId: EVENT,
      committee,
      organizerKeys: [pass.organizerKey],
      crypto,
      ticketStatus: () => ({ version: moved.version }),
    });
    expect(await synced.verify(await createPresentation(crypto, a1, pass, now), { now })).toMatchObject({ status: 'rejected', reason: 'stale_code' });
  }, 60_000);
});
