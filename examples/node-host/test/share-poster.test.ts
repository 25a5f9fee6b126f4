/**
 * The share poster against a real EventContract with a 4-member order
 * committee (trusted dealer, t = 1): it computes shares as orders commit,
 * releases nothing while the epoch is open, commits the due cutoff of a
 * `seq` epoch grid, then posts its `postShares` with its request key; two
 * members' posters settle the epoch with the expected trade. A poster that
 * missed the orders (a restarted node) computes them from the committed
 * ciphertexts.
 */
import { describe, expect, it } from 'vitest';
import { ristretto255_FROST } from '@noble/curves/ed25519.js';
import { defaultCrypto, eventId, seededRandom, signRequest, silentLogger, systemClock, clientIdOf, type CryptoProvider } from '@admitone/core';
import {
  createEventContract,
  decodeContractResult,
  encodeContractOp,
  sealOrder,
  tdh2KeyShare,
  tdh2PublicKey,
  type ContractOp,
  type ContractResult,
} from '@admitone/market';
import { createSharePoster, type SharePoster } from '../src/share-poster.js';
import { policy } from './helpers.js';
import { credentialBatchStatement, credentialLeaf, encodeCredential, merkleBatch, type EventCredential } from '@admitone/identity';

const EVENT = eventId('poster-gig');

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setup(seed: string) {
  const crypto: CryptoProvider = await defaultCrypto();
  const random = seededRandom(seed);
  const ids = [1, 2, 3, 4].map((x) => ristretto255_FROST.Identifier.fromNumber(x));
  const dealt = ristretto255_FROST.trustedDealer({ min: 2, max: 4 }, ids, undefined, (len = 32) => random.bytes(len));
  const publicKey = tdh2PublicKey(dealt.public);
  const keyShares = ids.map((id) => tdh2KeyShare({ public: dealt.public, secret: dealt.secretShares[id]! }, publicKey));
  const actor = async () => {
    const secret = random.bytes(32);
    return { secret, publicKey: await crypto.getPublicKey(secret), seq: 1 };
  };
  const memberKeys = await Promise.all(ids.map(() => actor()));
  const committeeSecret = random.bytes(32);
  const committee = { committeeId: 'stand-in', groupPublicKey: await crypto.getPublicKey(committeeSecret) };
  const gateway = await actor();
  const contract = createEventContract({ deployment: 'test', crypto,
    identityCommittee: committee,
    fundingKeys: [gateway.publicKey],
    orderCommittee: { publicKey, members: keyShares.map((k, i) => ({ index: k.index, requestKey: memberKeys[i]!.publicKey })) },
    random: random.fork('contract'),
  });
  const posters: SharePoster[] = [];
  let slot = 0;
  const run = async (who: { secret: Uint8Array; seq: number }, op: ContractOp): Promise<ContractResult> => {
    const request = await signRequest(crypto, who.secret, { deployment: 'test', requestSeq: who.seq++, op: encodeContractOp(op) });
    const prepared = await contract.prepare(request);
    const result = decodeContractResult(contract.execute(prepared, { seq: ++slot, timestamp: Date.now() }));
    for (const p of posters) p.observe(prepared.op, result);
    return result;
  };
  const now = Date.now();
  const credential = async (holder: { publicKey: Uint8Array }, tag: string) => {
    const body = { kind: 'event' as const, committeeId: committee.committeeId, eventId: EVENT, eventTag: seededRandom(tag).bytes(32), holderKey: holder.publicKey, issuedAt: now - 1000, expiresAt: now + 3_600_000 };
    const batchId = random.bytes(16);
    const tree = merkleBatch([credentialLeaf(body)]);
    const signature = await crypto.sign(credentialBatchStatement(committee.committeeId, batchId, 1, tree.root), committeeSecret);
    return encodeCredential({ ...(body as Omit<EventCredential, 'proof'>), proof: { batchId, size: 1, index: 0, path: [], signature } });
  };
  const addPoster = (m: number, autoCutoff: boolean) => {
    const poster = createSharePoster({
      contract,
      keyShare: keyShares[m]!,
      submit: (op) => run(memberKeys[m]!, op),
      lastExecuted: () => slot,
      autoCutoff,
      sweepMs: 60_000, // sweeps are triggered explicitly or by closed epochs in this test
      random: random.fork(`poster-${m}`),
      clock: systemClock(),
      logger: silentLogger(),
    });
    posters.push(poster);
    return poster;
  };
  return { crypto, random, publicKey, contract, run, actor, gateway, credential, addPoster, posters, now, slot: () => slot };
}

describe('the share poster', () => {
  it('releases shares only after the cutoff, commits a due cutoff, and settles the epoch with two members', async () => {
    const s = await setup('poster');
    const p0 = s.addPoster(0, true);
    const p1 = s.addPoster(1, false);
    try {
      const organizer = await s.actor();
      const alice = await s.actor();
      const bob = await s.actor();
      expect((await s.run(organizer, { type: 'createEvent', eventId: EVENT, policy: policy(s.now, { epochs: { kind: 'seq', length: 8 } }) })).status).toBe('ok');
      for (const who of [alice, bob]) expect((await s.run(s.gateway, { type: 'deposit', account: who.publicKey, amount: 20_000n })).status).toBe('ok');
      expect((await s.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await s.credential(alice, 'alice') })).status).toBe('ok');
      expect((await s.run(bob, { type: 'register', eventId: EVENT, credential: await s.credential(bob, 'bob') })).status).toBe('ok');
      const ask = sealOrder(s.publicKey, EVENT, 0, { side: 'ask', serial: 1, price: 5_500n }, alice.publicKey, s.random);
      const bid = sealOrder(s.publicKey, EVENT, 0, { side: 'bid', quantity: 1, maxPrice: 6_000n }, bob.publicKey, s.random);
      expect((await s.run(alice, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: ask })).status).toBe('ok');
      expect((await s.run(bob, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: bid })).status).toBe('ok');

      // the epoch is still open: a sweep neither cuts off (not due) nor posts
      await p0.sweep();
      await p1.sweep();
      expect(s.contract.getEpoch(EVENT, 0)?.status).toBe('open');
      expect(p0.posted + p1.posted).toBe(0);

      // pass the end of epoch 0 on the seq grid; the auto-cutoff poster commits the cutoff, then both post
      while (s.slot() < 9) await s.run(s.gateway, { type: 'deposit', account: organizer.publicKey, amount: 1n });
      await p0.sweep();
      await waitFor('the epoch to settle', () => s.contract.getEpoch(EVENT, 0)?.status === 'settled');
      expect(s.contract.getEpoch(EVENT, 0)).toMatchObject({ outcomes: 2, trades: 1 });
      expect(s.contract.listEpochTrades(EVENT, 0)!.trades).toEqual([expect.objectContaining({ serial: 1, seller: clientIdOf(alice.publicKey), buyer: clientIdOf(bob.publicKey), price: 5_500n, royalty: 550n })]);
      expect(p0.posted).toBeGreaterThanOrEqual(1);
      expect(p1.posted).toBeGreaterThanOrEqual(1);
    } finally {
      for (const p of s.posters) p.close();
    }
  });

  it('computes shares it never saw committed (a restarted node) from the committed ciphertexts', async () => {
    const s = await setup('poster-restart');
    const p0 = s.addPoster(0, true);
    try {
      const organizer = await s.actor();
      const alice = await s.actor();
      const bob = await s.actor();
      await s.run(organizer, { type: 'createEvent', eventId: EVENT, policy: policy(s.now, { epochs: { kind: 'seq', length: 8 } }) });
      for (const who of [alice, bob]) await s.run(s.gateway, { type: 'deposit', account: who.publicKey, amount: 20_000n });
      await s.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await s.credential(alice, 'alice') });
      await s.run(bob, { type: 'register', eventId: EVENT, credential: await s.credential(bob, 'bob') });
      await s.run(alice, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: sealOrder(s.publicKey, EVENT, 0, { side: 'ask', serial: 1, price: 5_200n }, alice.publicKey, s.random) });
      await s.run(bob, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext: sealOrder(s.publicKey, EVENT, 0, { side: 'bid', quantity: 1, maxPrice: 6_000n }, bob.publicKey, s.random) });
      while (s.slot() < 9) await s.run(s.gateway, { type: 'deposit', account: organizer.publicKey, amount: 1n });
      await p0.sweep(); // cutoff; p0 posts the first share
      await waitFor('the cutoff', () => s.contract.getEpoch(EVENT, 0)?.status !== 'open');
      // member 3 starts only now: it saw no order commit, yet its share settles the epoch
      const late = s.addPoster(3, false);
      late.observe({ type: 'cutoff', eventId: EVENT }, { status: 'rejected', reason: 'too_early' }); // it learns the event from any executed op
      await late.sweep();
      await waitFor('the epoch to settle', () => s.contract.getEpoch(EVENT, 0)?.status === 'settled');
      expect(late.posted).toBeGreaterThanOrEqual(1);
      expect(s.contract.listEpochTrades(EVENT, 0)?.trades[0]).toMatchObject({ serial: 1, price: 5_200n });
    } finally {
      for (const p of s.posters) p.close();
    }
  });
});
