/**
 * A sealed-order epoch through a real 4-replica PBFT cluster on the
 * in-memory network (`createReplica` + `createClient`), each replica running
 * its own EventContract. Everything the view-0 primary receives is recorded:
 * until the committee releases shares after the cutoff, no order plaintext
 * ever reaches it, and its own replica state shows only opaque counts. After
 * the reveal, every replica settles the epoch to the same digest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, createReplica, type Client, type Replica } from '@admitone/consensus';
import { eventId, memoryNetwork, memoryStorage, systemClock, type MemoryNetwork } from '@admitone/core';
import { createEventContract, decodeContractResult, encodeContractOp, type ContractOp, type ContractResult, type EventContract } from '../src/contract/index.js';
import { createShareMaker, encodeOrderPayload, sealOrder, type MarketOrder } from '../src/epoch/index.js';
import { harness, makeActor, policy, type Actor } from './contract-helpers.js';
import { outcomesOf, tradesOf } from './epoch-helpers.js';

const EVENT = eventId('cluster-gig');

async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('a sealed-order epoch on a 4-replica PBFT cluster', () => {
  it('the primary never sees a plaintext before the reveal; all replicas settle identically', async () => {
    const h = await harness({ seed: 'cluster' }); // committees, credentials, seeded actors
    const { crypto } = h;
    const now = Date.now();
    const names = ['org', 'alice', 'bob', 'carol'] as const;
    const [org, alice, bob, carol] = (await Promise.all(names.map((n) => makeActor(crypto, `cluster/${n}`)))) as [Actor, Actor, Actor, Actor];
    const ids = ['r0', 'r1', 'r2', 'r3'];
    const clientIds = ['gateway', ...names, 'm0', 'm1'];
    const net: MemoryNetwork = memoryNetwork({ members: [...ids, ...clientIds] });
    const replicaActors = await Promise.all(ids.map((id) => makeActor(crypto, `cluster/${id}`)));
    const members = replicaActors.map((a, i) => ({ id: ids[i]!, publicKey: a.publicKey }));
    const clock = systemClock();
    const apps: EventContract[] = [];
    const replicas: Replica[] = [];
    const seenByPrimary: Uint8Array[] = [];
    for (const [i, id] of ids.entries()) {
      const transport = net.transport(id);
      if (i === 0) transport.onMessage((m) => seenByPrimary.push(m.bytes.slice()));
      const app = h.twin(`replica-${id}`);
      apps.push(app);
      replicas.push(await createReplica({ deployment: 'test', id, secretKey: replicaActors[i]!.secret, members, transport, storage: memoryStorage(), app, crypto, clock, checkpointInterval: 16 }));
    }
    const clients = new Map<string, Client>();
    const client = (name: string, who: Actor): Client => {
      let c = clients.get(name);
      if (c === undefined) {
        c = createClient({ deployment: 'test', transport: net.transport(name), replicas: ids, secretKey: who.secret, crypto, clock, timeoutMs: 2_000, firstRequestSeq: 1 });
        clients.set(name, c);
      }
      return c;
    };
    cleanup = async () => {
      for (const c of clients.values()) await c.close();
      for (const r of replicas) await r.stop();
      await net.close();
    };
    const run = async (name: string, who: Actor, op: ContractOp): Promise<ContractResult> => decodeContractResult(await client(name, who).submit(encodeContractOp(op)));
    const expectOk = async (name: string, who: Actor, op: ContractOp) => expect(await run(name, who, op)).toMatchObject({ status: 'ok' });

    const window = { start: now - 3_600_000, end: now + 3_600_000 };
    await expectOk('org', org, { type: 'createEvent', eventId: EVENT, policy: policy({ sale: window, resale: window, epochs: { kind: 'seq', length: 14 } }) });
    const cred = (who: Actor) => h.credential(who, { eventId: EVENT, issuedAt: now - 3_600_000, expiresAt: now + 3_600_000 });
    for (const who of [alice, bob, carol]) await expectOk('gateway', h.gateway, { type: 'deposit', account: who.publicKey, amount: 20_000n });
    await expectOk('alice', alice, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await cred(alice) });
    await expectOk('bob', bob, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await cred(bob) });
    await expectOk('carol', carol, { type: 'register', eventId: EVENT, credential: await cred(carol) });

    const orders: [string, Actor, MarketOrder][] = [
      ['alice', alice, { side: 'ask', serial: 1, price: 5_500n }],
      ['bob', bob, { side: 'ask', serial: 2, price: 5_200n }],
      ['carol', carol, { side: 'bid', quantity: 1, maxPrice: 6_000n }],
    ];
    const ciphertexts: Uint8Array[] = [];
    for (const [name, who, order] of orders) {
      const ciphertext = sealOrder(h.orders.publicKey, EVENT, 0, order, who.publicKey, h.random);
      ciphertexts.push(ciphertext);
      await expectOk(name, who, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext });
    }
    // commit the cutoff once the seq grid has passed epoch 0
    let cut: ContractResult;
    do cut = await run('carol', carol, { type: 'cutoff', eventId: EVENT });
    while (cut.status === 'rejected' && cut.reason === 'too_early');
    expect(cut).toMatchObject({ status: 'ok', epochs: [{ epoch: 0, status: 'closed', orders: 3 }] });

    // before any share: the primary has seen every ciphertext but no plaintext, and its state is opaque
    const plaintexts = orders.map(([, who, order]) => {
      const p = encodeOrderPayload(order, who.publicKey);
      return p.subarray(2, 2 + ((p[0]! << 8) | p[1]!)); // the CBOR body, without length and padding
    });
    for (const ct of ciphertexts) expect(seenByPrimary.some((m) => contains(m, ct))).toBe(true); // the recorder works
    for (const p of plaintexts) expect(seenByPrimary.some((m) => contains(m, p))).toBe(false);
    // the client's f+1 replies may come before the primary itself has executed the cutoff
    await waitFor(() => apps[0]!.getEpoch(EVENT, 0)?.status === 'closed', 'the primary to execute the cutoff');
    expect(apps[0]!.getEpoch(EVENT, 0)).toEqual({ eventId: EVENT, epoch: 0, status: 'closed', orders: 3, decryptable: 0, closedAtSeq: expect.any(Number) });

    // two members (t + 1) release their shares after the cutoff
    for (const m of [0, 1]) {
      const maker = createShareMaker({ keyShare: h.orders.keyShares[m]!, eventId: EVENT, epoch: 0, random: h.random });
      for (const o of apps[0]!.getOrders(EVENT, 0)) maker.add(o.position, o.ciphertext);
      for (const op of maker.release(3)) await expectOk(`m${m}`, h.orders.members[m]!, op);
    }
    await waitFor(() => apps.every((a) => a.getEpoch(EVENT, 0)?.status === 'settled'), 'every replica to settle the epoch');
    await waitFor(() => replicas.every((r) => r.status().lastExecuted === replicas[0]!.status().lastExecuted), 'every replica to execute everything');
    expect(apps[0]!.getEpoch(EVENT, 0)).toMatchObject({ outcomes: 3, trades: 1 });
    expect(tradesOf(apps[0]!, 0, EVENT)).toEqual([{ serial: 2, seller: bob.id, buyer: carol.id, price: 5_200n, royalty: 520n, version: 2, listing: false }]);
    // every replica pages the same outcomes, whatever the page size
    for (const [i, a] of apps.entries()) expect(outcomesOf(a, 0, EVENT, 1 + i)).toEqual(outcomesOf(apps[0]!, 0, EVENT));
    const digests = apps.map((a) => a.digest());
    for (const d of digests) expect(d).toEqual(digests[0]);
  });
});
