import { afterEach, describe, expect, it } from 'vitest';
import { decodeTicketQueryResult, decodeTicketResult, defaultCrypto, encodeTicketOp, encodeTicketQuery, eventId, ticketId } from '@admitone/core';
import { clockAhead, cluster, keyOf, type Cluster, waitFor } from './helpers/cluster.js';

let c: Cluster | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

const E = eventId('pbft-gig');

describe('PBFT on the in-memory network', () => {
  it('commits signed ticket operations with f+1 matching replies and equal digests', async () => {
    c = await cluster(4);
    const org = c.client('org');
    const created = decodeTicketResult(await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E })));
    expect(created.status).toBe('ok');
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`t${i}`), holder }))),
    );
    expect(results.map((r) => decodeTicketResult(r).status)).toEqual(Array(20).fill('ok'));
    await waitFor(() => c!.replicas.every((r) => r!.status().lastExecuted === c!.replicas[0]!.status().lastExecuted), 'all replicas to execute');
    const digests = c.apps.map((a) => Buffer.from(a.digest()).toString('hex'));
    expect(new Set(digests).size).toBe(1);
    const answer = decodeTicketQueryResult(await org.read(encodeTicketQuery({ type: 'stats' })));
    expect(answer.status === 'ok' && 'stats' in answer && answer.stats.tickets).toBe(20);
  });

  it('survives a crashed primary through a view change and keeps committing', async () => {
    c = await cluster(4, { tunables: { viewChangeTimeoutMs: 200, checkpointInterval: 4 } });
    const org = c.client('org');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    await c.crash(0);
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    const r = decodeTicketResult(await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId('after-crash'), holder })));
    expect(r.status).toBe('ok');
    expect(c.replicas[1]!.status().view).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 10; i++) await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`x${i}`), holder }));
    // restart the old primary: it recovers from storage and catches up by state transfer
    await c.start(0);
    for (let i = 0; i < 10; i++) await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`y${i}`), holder }));
    await waitFor(() => c!.replicas[0]!.status().lastExecuted === c!.replicas[1]!.status().lastExecuted, 'restarted replica to catch up');
    expect(Buffer.from(c.apps[0]!.digest()).toString('hex')).toBe(Buffer.from(c.apps[1]!.digest()).toString('hex'));
  });

  it('a primary whose clock is an hour ahead makes no progress and is replaced; batches execute at the backups\' time', async () => {
    const hourAhead = clockAhead(3_600_000);
    c = await cluster(4, { clockOf: (i) => (i === 0 ? hourAhead : undefined), tunables: { viewChangeTimeoutMs: 200 } });
    const times: number[] = [];
    c.replicas[1]!.on('executed', (e) => void times.push(e.timestamp));
    const org = c.client('org');
    const t0 = Date.now();
    expect(decodeTicketResult(await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }))).status).toBe('ok');
    expect(c.replicas[1]!.status().view).toBeGreaterThanOrEqual(1);
    expect(c.replicas[1]!.dropped()['bad_timestamp']).toBeGreaterThanOrEqual(1);
    expect(times.length).toBeGreaterThanOrEqual(1);
    for (const t of times) expect(Math.abs(t - t0)).toBeLessThan(30_000);
  });

  it('regression: the new primary\'s first PRE-PREPARE does not overtake its NEW-VIEW (async WebCrypto)', async () => {
    c = await cluster(4, { crypto: await defaultCrypto(), tunables: { viewChangeTimeoutMs: 300, checkpointInterval: 4 } });
    const org = c.client('org');
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
    await c.crash(0);
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    expect(decodeTicketResult(await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId('nv'), holder }))).status).toBe('ok');
    for (const r of c.replicas.slice(1)) {
      expect(r!.status().view).toBe(1);
      expect(r!.dropped()['future_view'] ?? 0).toBe(0);
    }
  });
});
