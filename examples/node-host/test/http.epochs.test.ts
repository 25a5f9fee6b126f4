/**
 * The epoch routes against the contract-backed fake backend with a
 * trusted-dealer order committee: a sealed-order epoch settles through the
 * signed-write routes (shares relayed straight to the backend: members have
 * no route), then `GET …/epochs/:n` answers the summary (counts, no lists)
 * and `GET …/epochs/:n/outcomes` / `…/trades` page the settled results with
 * `from`/`limit`/`next`, equal to what the contract holds; bad paging
 * parameters are refused 400 naming the field before anything reaches the
 * replica, an unknown event is 404, an open epoch an empty page. The node's
 * settled-orders metric reads the same pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { ristretto255_FROST } from '@noble/curves/ed25519.js';
import { defaultCrypto, eventId, seededRandom } from '@admitone/core';
import {
  MAX_AMOUNT,
  MAX_EPOCH_PAGE,
  createShareMaker,
  decodeContractResult,
  sealOrder,
  tdh2KeyShare,
  tdh2PublicKey,
  type OrderOutcome,
  type TradeView,
  type Tdh2KeyShare,
  type Tdh2PublicKey,
} from '@admitone/market';
import { toJson } from '../src/api/json.js';
import { settledOrderStatuses } from '../src/node.js';
import { venueApi, type EpochOutcomePage, type EpochTradePage, type VenueApi } from '../src/client/venue-api.js';
import { fixture, makeSigner, ORGANIZER_TOKEN, policy, type Fixture, type Signer } from './helpers.js';

const EVENT = eventId('epoch-gig');

let fx: Fixture;
let api: VenueApi;
let publicKey: Tdh2PublicKey;
let keyShares: Tdh2KeyShare[];
let members: Signer[];

function raw(url: string): Promise<{ status: number; json: { ok: boolean; data?: unknown; error?: { reason: string; field?: string } } }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as never }));
    })
      .on('error', reject)
      .end();
  });
}

/** Asserts a 200 envelope and returns its data. */
function data<T>(r: { ok: boolean; status: number; data?: T }): T {
  expect(r.status).toBe(200);
  if (!r.ok) throw new Error(`expected 200, got ${r.status}: ${JSON.stringify(r)}`);
  return r.data as T;
}

beforeAll(async () => {
  const random = seededRandom('http-epochs/committee');
  const ids = [1, 2, 3, 4].map((x) => ristretto255_FROST.Identifier.fromNumber(x));
  const dealt = ristretto255_FROST.trustedDealer({ min: 2, max: 4 }, ids, undefined, (len = 32) => random.bytes(len));
  publicKey = tdh2PublicKey(dealt.public);
  keyShares = ids.map((id) => tdh2KeyShare({ public: dealt.public, secret: dealt.secretShares[id]! }, publicKey));
  const memberRandom = seededRandom('http-epochs/members');
  const crypto = await defaultCrypto();
  members = await Promise.all(keyShares.map(() => makeSigner(crypto, memberRandom)));
  fx = await fixture({ seed: 'http-epochs', orderCommittee: { publicKey, members: keyShares.map((k, i) => ({ index: k.index, requestKey: members[i]!.publicKey })) } });
  api = venueApi(fx.api.url);

  // an event on a 20-slot epoch grid; alice holds three tickets, bob and carol bid
  const expectOk = (r: { ok: boolean; status: number }, what: string) => expect(r.status, what).toBe(200);
  expectOk(await api.createEvent(await fx.organizer.body({ type: 'createEvent', eventId: EVENT, policy: policy(fx.now, { epochs: { kind: 'seq', length: 20 } }) }), { token: ORGANIZER_TOKEN }), 'createEvent');
  const [alice, bob, carol] = await Promise.all([0, 1, 2].map(() => makeSigner(fx.crypto, fx.random)));
  for (const who of [alice!, bob!, carol!]) expectOk(await api.deposit(await fx.gateway.body({ type: 'deposit', account: who.publicKey, amount: 20_000n })), 'deposit');
  expectOk(await api.buy(await alice!.body({ type: 'buyPrimary', eventId: EVENT, quantity: 3, credential: await fx.credential(alice!, EVENT, 'alice') })), 'buy');
  for (const [who, tag] of [[bob!, 'bob'], [carol!, 'carol']] as const) expectOk(await api.buy(await who.body({ type: 'register', eventId: EVENT, credential: await fx.credential(who, EVENT, tag) })), 'register');
  expectOk(await api.list(await alice!.body({ type: 'listForResale', eventId: EVENT, serial: 1, price: 5_100n })), 'list');
  const epoch = fx.backend.contract.getCurrentEpoch(EVENT)!.epoch;
  expect(epoch).toBe(0);
  const orders = [
    [alice!, { side: 'ask', serial: 2, price: 5_200n }],
    [alice!, { side: 'ask', serial: 3, price: 9_000n }], // above the 6 000 cap: dropped
    [bob!, { side: 'bid', quantity: 2, maxPrice: 6_000n }],
    [carol!, { side: 'bid', quantity: 1, maxPrice: 5_000n }],
  ] as const;
  for (const [who, order] of orders) expectOk(await api.submitOrder(await who.body({ type: 'submitSealedOrder', eventId: EVENT, epoch, ciphertext: sealOrder(publicKey, EVENT, epoch, order, who.publicKey, fx.random) })), 'submitSealedOrder');
  // the open epoch has no outcomes yet: an empty page
  expect(data(await api.epochOutcomes(EVENT, 0))).toEqual({ outcomes: [] });
  while (fx.backend.contract.getCurrentEpoch(EVENT)!.epoch === epoch) await api.deposit(await fx.gateway.body({ type: 'deposit', account: carol!.publicKey, amount: 1n }));
  expectOk(await api.cutoff(await carol!.body({ type: 'cutoff', eventId: EVENT })), 'cutoff');
  for (const m of [0, 2]) {
    const maker = createShareMaker({ keyShare: keyShares[m]!, eventId: EVENT, epoch, random: seededRandom(`http-epochs/shares/${m}`) });
    const committed = fx.backend.contract.getOrders(EVENT, epoch);
    for (const o of committed) maker.add(o.position, o.ciphertext);
    for (const op of maker.release(committed.length)) expect(decodeContractResult(await fx.backend.relay(await members[m]!.sign(op))).status).toBe('ok');
  }
});

afterAll(async () => {
  await fx?.close();
});

/** Pages `kind` through the HTTP client with page size `limit`; checks each page's cursor. */
async function pageAll(kind: 'outcomes' | 'trades', limit: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let from: number | undefined = 0; from !== undefined; ) {
    const page: EpochOutcomePage | EpochTradePage = kind === 'outcomes' ? data(await api.epochOutcomes(EVENT, 0, { from, limit })) : data(await api.epochTrades(EVENT, 0, { from, limit }));
    const items: readonly unknown[] = 'outcomes' in page ? page.outcomes : page.trades;
    expect(items.length).toBeLessThanOrEqual(limit);
    out.push(...items);
    if (page.next !== undefined) expect(page.next).toBe(from + items.length);
    from = page.next;
  }
  return out;
}

describe('GET /api/v1/events/:id/epochs/:n and its outcome and trade pages', () => {
  it('answers the settled epoch as a summary with counts, without the lists', async () => {
    const summary = data(await api.epoch(EVENT, 0));
    expect(summary).toMatchObject({ eventId: EVENT, epoch: 0, status: 'settled', orders: 4, decryptable: 4, outcomes: 4, trades: 2 });
    expect(summary).toEqual(toJson(fx.backend.contract.getEpoch(EVENT, 0)));
  });

  it('pages outcomes and trades with from/limit/next; the pages concatenate to what the contract holds', async () => {
    const outcomes = fx.backend.contract.listEpochOutcomes(EVENT, 0, 0, MAX_EPOCH_PAGE)!.outcomes;
    const trades = fx.backend.contract.listEpochTrades(EVENT, 0, 0, MAX_EPOCH_PAGE)!.trades;
    expect(outcomes.map((o) => [o.position, o.side, o.status, o.filled, o.reason])).toEqual([
      [0, 'ask', 'filled', 1, undefined],
      [1, 'ask', 'dropped', 0, 'above_cap'],
      [2, 'bid', 'filled', 2, undefined],
      [3, 'bid', 'unmatched', 0, undefined],
    ]);
    expect(trades.map((t) => [t.serial, t.price, t.listing])).toEqual([
      [1, 5_100n, true],
      [2, 5_200n, false],
    ]);
    for (const limit of [1, 2, 3, 100, MAX_EPOCH_PAGE]) {
      expect(await pageAll('outcomes', limit), `outcomes by ${limit}`).toEqual(toJson(outcomes));
      expect(await pageAll('trades', limit), `trades by ${limit}`).toEqual(toJson(trades));
    }
    // one page exactly: the first with a cursor, the last without
    expect(data(await api.epochOutcomes(EVENT, 0, { from: 1, limit: 2 }))).toEqual({ outcomes: toJson(outcomes.slice(1, 3)), next: 3 });
    expect(data(await api.epochTrades(EVENT, 0, { from: 1, limit: 5 }))).toEqual({ trades: toJson(trades.slice(1)) });
    expect(data(await api.epochTrades(EVENT, 0, { from: 7 }))).toEqual({ trades: [] });
    // the same through the consistent read path
    expect(data(await api.epochTrades(EVENT, 0, { consistent: true }))).toEqual({ trades: toJson(trades) });
    expect(fx.backend.queries.at(-1)).toEqual({ consistent: true });
  });

  it('the node counts settled orders by status from the same pages', () => {
    expect(settledOrderStatuses(fx.backend.contract, EVENT, 0)).toEqual(['filled', 'dropped', 'filled', 'unmatched']);
    expect(settledOrderStatuses(fx.backend.contract, EVENT, 3)).toEqual([]);
    expect(settledOrderStatuses(fx.backend.contract, eventId('no-such-gig'), 0)).toEqual([]);
  });

  it('answers an epoch not settled with an empty page and an unknown event with 404', async () => {
    expect(data(await api.epoch(EVENT, 3))).toEqual({ eventId: EVENT, epoch: 3, status: 'open', orders: 0, decryptable: 0 });
    expect(data(await api.epochOutcomes(EVENT, 3))).toEqual({ outcomes: [] });
    expect(data(await api.epochTrades(EVENT, 3))).toEqual({ trades: [] });
    for (const r of [await api.epochOutcomes('no-such-gig', 0), await api.epochTrades('no-such-gig', 0)]) {
      expect(r.status).toBe(404);
      expect(!r.ok && r.error.reason).toBe('not_found');
    }
  });

  it('refuses bad paging parameters with 400 naming the field, before anything reaches the replica', async () => {
    const base = `${fx.api.url}/api/v1/events/${EVENT}/epochs`;
    const before = fx.backend.queries.length;
    const cases: [string, string, string][] = [
      [`${base}/0/outcomes?limit=0`, 'invalid_field', 'limit'],
      [`${base}/0/outcomes?limit=${MAX_EPOCH_PAGE + 1}`, 'invalid_field', 'limit'],
      [`${base}/0/trades?limit=abc`, 'invalid_field', 'limit'],
      [`${base}/0/trades?limit=1.5`, 'invalid_field', 'limit'],
      [`${base}/0/outcomes?from=-1`, 'invalid_field', 'from'],
      [`${base}/0/outcomes?from=1e3`, 'invalid_field', 'from'],
      [`${base}/0/trades?from=1&from=2`, 'invalid_field', 'from'],
      [`${base}/0/trades?after=1`, 'unknown_field', 'after'],
      [`${base}/0/outcomes?consistent=maybe`, 'invalid_field', 'consistent'],
      [`${base}/-1/outcomes`, 'invalid_field', 'epoch'],
      [`${base}/x/trades`, 'invalid_field', 'epoch'],
      [`${fx.api.url}/api/v1/events/bad%20id/epochs/0/trades`, 'invalid_field', 'eventId'],
      [`${base}/0?limit=1`, 'unknown_field', 'limit'], // the summary takes no paging
    ];
    for (const [url, reason, field] of cases) {
      const r = await raw(url);
      expect(r.status, url).toBe(400);
      expect(r.json, url).toMatchObject({ ok: false, error: { reason, field } });
    }
    expect(fx.backend.queries.length).toBe(before);
    expect(data(await api.epochOutcomes(EVENT, 0, { limit: MAX_EPOCH_PAGE }))).toMatchObject({ outcomes: expect.any(Array) });
  });

  it(`renders a worst-case full page (${MAX_EPOCH_PAGE} items) as JSON under 160 KiB`, () => {
    const key = 'f'.repeat(64) as OrderOutcome['submitter'];
    const outcome: OrderOutcome = { position: Number.MAX_SAFE_INTEGER, submitter: key, ciphertextId: new Uint8Array(32), side: 'bid', status: 'unmatched', filled: Number.MAX_SAFE_INTEGER, reason: 'insufficient_funds' };
    const trade: TradeView = { serial: Number.MAX_SAFE_INTEGER, seller: key, buyer: key, price: MAX_AMOUNT, royalty: MAX_AMOUNT, version: Number.MAX_SAFE_INTEGER, listing: false };
    const envelope = (page: unknown) => JSON.stringify({ ok: true, data: page }).length;
    expect(envelope({ outcomes: toJson(Array.from({ length: MAX_EPOCH_PAGE }, () => outcome)), next: Number.MAX_SAFE_INTEGER })).toBeLessThan(160 * 1024);
    expect(envelope({ trades: toJson(Array.from({ length: MAX_EPOCH_PAGE }, () => trade)), next: Number.MAX_SAFE_INTEGER })).toBeLessThan(160 * 1024);
  });
});
