/**
 * Fewer messages and fewer, larger batches under load: a client sends a burst
 * of submits as one message per replica, replicas answer a batch with one
 * message per client endpoint, and a primary gathers the requests that arrive
 * while a batch is in flight into the next batch instead of proposing each on
 * its own. And each replica checks each client signature exactly once, whether
 * the request reached it directly or inside a PRE-PREPARE.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTicketResult, encode, encodeTicketOp, eventId, nobleCrypto, ticketId, type CryptoProvider, type DeliveryScheduler } from '@admitone/core';
import { cluster, keyOf, type Cluster } from './helpers/cluster.js';

let c: Cluster | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

describe('batching', () => {
  it('a burst of 20 submits: one request message per replica, one reply message per replica per batch, few batches', async () => {
    const sent = new Map<string, number>();
    const schedule: DeliveryScheduler = (env, deliver) => {
      const k = `${env.from}>${env.to}`;
      sent.set(k, (sent.get(k) ?? 0) + 1);
      setImmediate(deliver);
    };
    c = await cluster(4, { schedule, clients: 1 });
    const org = c.client('org', { timeoutMs: 10_000 });
    const E = eventId('burst');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    const batches: number[] = [];
    c.replicas[0]!.on('executed', (e) => batches.push(e.requests.length));
    sent.clear();
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`b-${i}`), holder }))));
    expect(results.map((r) => decodeTicketResult(r).status)).toEqual(Array(20).fill('ok'));
    for (const r of c.ids) expect(sent.get(`c0>${r}`), `requests to ${r}`).toBe(1);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(20);
    expect(batches.length).toBeLessThanOrEqual(3);
    // each replica answered each batch with one message
    for (const r of c.ids) expect(sent.get(`${r}>c0`) ?? 0, `replies from ${r}`).toBeLessThanOrEqual(batches.length);
  });
});

describe('verification', () => {
  it('each replica checks each client signature once (requests arrive directly and again inside pre-prepares)', async () => {
    const inner = nobleCrypto();
    // the prefix of every request's signed bytes: encode(['admitone/request/v2', …]) starts with the array header and the domain
    const domain = encode(['admitone/request/v2']).subarray(1);
    let requestChecks = 0;
    const crypto: CryptoProvider = {
      ...inner,
      verify(sig, msg, pk) {
        if (domain.every((b, i) => msg[i + 1] === b)) requestChecks++;
        return inner.verify(sig, msg, pk);
      },
    };
    c = await cluster(4, { crypto });
    const org = c.client('org', { timeoutMs: 10_000 });
    const E = eventId('once');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    requestChecks = 0;
    await Promise.all(Array.from({ length: 12 }, (_, i) => org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`o-${i}`), holder }))));
    expect(requestChecks).toBe(12 * 4);
  });
});
