/**
 * An epoch end to end with an order committee whose key comes from a real
 * DKG (`runDkg` from `@admitone/core/threshold`: noble's FROST DKG rounds
 * over the in-memory network), n = 4, t = 1: the member points of
 * `memberPoints` are the TDH2 indices the contract checks shares against.
 */
import { describe, expect, it } from 'vitest';
import { ristretto255_FROST } from '@noble/curves/ed25519.js';
import { memoryNetwork, seededRandom, virtualClock } from '@admitone/core';
import { runDkg } from '@admitone/core/threshold';
import { tdh2KeyShare, tdh2PublicKey } from '../src/tdh2/index.js';
import { EVENT, HOUR, T0, harness, makeActor, ok, policy, replayInto, type Actor, type OrderCommitteeFixture } from './contract-helpers.js';
import { outcomesOf, postAll, submit, tradesOf } from './epoch-helpers.js';

async function dkgCommittee(): Promise<OrderCommitteeFixture> {
  const ids = ['m-a', 'm-b', 'm-c', 'm-d'];
  const net = memoryNetwork({ members: ids });
  const clock = virtualClock();
  const transports = ids.map((id) => net.transport(id)); // open every endpoint before anyone broadcasts
  try {
    const results = await Promise.all(
      transports.map((transport) =>
        runDkg({ suite: ristretto255_FROST, transport, sessionId: 'epoch-dkg', threshold: 2, random: seededRandom(`epoch-dkg/${transport.localId}`), clock, timeoutMs: 10_000 }),
      ),
    );
    const publicKey = tdh2PublicKey(results[0]!.key.public);
    const keyShares = results.map((r) => tdh2KeyShare(r.key, publicKey));
    const crypto = (await harness()).crypto;
    const members = await Promise.all(ids.map((id) => makeActor(crypto, `dkg/${id}`)));
    return { publicKey, keyShares, members };
  } finally {
    await net.close();
  }
}

describe('sealed-order epoch with a DKG committee (n = 4, t = 1)', () => {
  it('settles an epoch from shares of any two members, identically on two replicas', async () => {
    const h = await harness({ orders: await dkgCommittee() });
    const [org, alice, bob, carol] = (await Promise.all(['org', 'alice', 'bob', 'carol'].map((n) => makeActor(h.crypto, n)))) as [Actor, Actor, Actor, Actor];
    ok(await h.run(org, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    for (const a of [alice, bob, carol]) await h.fund(a, 20_000n);
    ok(await h.run(alice, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(alice) }));
    ok(await h.run(bob, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(bob) }));
    ok(await h.run(carol, { type: 'register', eventId: EVENT, credential: await h.credential(carol) }));
    h.now = T0 + 10;
    ok(await submit(h, alice, { side: 'ask', serial: 1, price: 5_800n }));
    ok(await submit(h, bob, { side: 'ask', serial: 2, price: 5_400n }));
    ok(await submit(h, carol, { side: 'bid', quantity: 2, maxPrice: 5_600n }));
    h.now = T0 + HOUR + 1;
    ok(await h.run(carol, { type: 'cutoff', eventId: EVENT }));
    await postAll(h, [3, 1]); // members d and b: indices 4 and 2
    const epoch = h.contract.getEpoch(EVENT, 0)!;
    expect(epoch.status).toBe('settled');
    expect(tradesOf(h.contract)).toEqual([{ serial: 2, seller: bob.id, buyer: carol.id, price: 5_400n, royalty: 540n, version: 2, listing: false }]);
    expect(outcomesOf(h.contract)[2]).toMatchObject({ status: 'partial', filled: 1 });
    const twin = h.twin('dkg-twin');
    await replayInto(twin, h.log);
    expect(twin.digest()).toEqual(h.contract.digest());
  });
});
