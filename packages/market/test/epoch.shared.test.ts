/**
 * The event contract and a sealed-order epoch in both Node and real Chromium:
 * nothing in the contract, the sealing helper or the settlement needs Node
 * APIs.
 */
import { describe, expect, it } from 'vitest';
import { ORDER_PAYLOAD_BYTES, decodeOrderPayload, encodeOrderPayload } from '../src/epoch/index.js';
import { EVENT, HOUR, T0, harness, makeActor, ok, policy } from './contract-helpers.js';
import { postAll, submit, tradesOf } from './epoch-helpers.js';

describe('sealed-order epoch (Node and browser)', () => {
  it('order payloads round-trip at a fixed size and refuse padding tricks', async () => {
    const key = new Uint8Array(32).fill(9);
    const bytes = encodeOrderPayload({ side: 'ask', serial: 12, price: 99_999_999n }, key);
    expect(bytes).toHaveLength(ORDER_PAYLOAD_BYTES);
    expect(decodeOrderPayload(bytes)).toEqual({ order: { side: 'ask', serial: 12, price: 99_999_999n }, submitterKey: key });
    const padded = bytes.slice();
    padded[ORDER_PAYLOAD_BYTES - 1] = 1;
    expect(() => decodeOrderPayload(padded)).toThrow(expect.objectContaining({ code: 'CODEC_NON_CANONICAL' }));
    expect(() => encodeOrderPayload({ side: 'bid', quantity: 1, maxPrice: 1n << 700n }, key)).toThrow(RangeError);
  });

  it('buys, seals, cuts off, decrypts and settles', async () => {
    const h = await harness({ seed: 'shared' });
    const [org, alice, bob] = await Promise.all(['org', 'alice', 'bob'].map((n) => makeActor(h.crypto, n)));
    ok(await h.run(org!, { type: 'createEvent', eventId: EVENT, policy: policy() }));
    await h.fund(alice!, 10_000n);
    await h.fund(bob!, 10_000n);
    ok(await h.run(alice!, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: await h.credential(alice!) }));
    ok(await h.run(bob!, { type: 'register', eventId: EVENT, credential: await h.credential(bob!) }));
    h.now = T0 + 5;
    ok(await submit(h, alice!, { side: 'ask', serial: 1, price: 5_500n }));
    ok(await submit(h, bob!, { side: 'bid', quantity: 1, maxPrice: 6_000n }));
    h.now = T0 + HOUR;
    ok(await h.run(org!, { type: 'cutoff', eventId: EVENT }));
    await postAll(h, [0, 1]);
    expect(tradesOf(h.contract)).toEqual([{ serial: 1, seller: alice!.id, buyer: bob!.id, price: 5_500n, royalty: 550n, version: 2, listing: false }]);
    expect(h.contract.getAccount(bob!.id)).toEqual({ account: bob!.id, balance: 4_500n, escrow: 0n });
  });
});
