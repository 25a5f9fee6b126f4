/** Admission control: `maxPendingRequests` and `maxPendingPerClient` bound what a replica holds unexecuted. */
import { describe, expect, it } from 'vitest';
import { bytesToHex, decodeTicketResult, encodeTicketOp, eventId, nobleCrypto, ticketId, type CryptoProvider } from '@admitone/core';
import { resolveConfig } from '../src/index.js';
import { cluster, keyOf } from './helpers/cluster.js';

const E = eventId('admission');
const holder = new Uint8Array(32).fill(4);

describe('admission control', () => {
  it('refuses impossible limits at construction', async () => {
    const c = await cluster(4);
    try {
      for (const bad of [{ maxPendingRequests: 0 }, { maxPendingPerClient: 0 }, { maxPendingPerClient: 1.5 }]) {
        expect(() => resolveConfig({ deployment: 'test', id: 'r0', members: c.members, ...bad })).toThrow(/maxPending/);
      }
      const d = resolveConfig({ deployment: 'test', id: 'r0', members: c.members });
      expect([d.maxPendingRequests, d.maxPendingPerClient]).toEqual([16_384, 1024]);
    } finally {
      await c.close();
    }
  });

  it('drops requests past the limits before checking their signature, then commits them once the primary is back', async () => {
    const base = nobleCrypto();
    const verifiedBy = new Map<string, number>();
    const crypto: CryptoProvider = {
      ...base,
      verify(sig, msg, pk) {
        const id = bytesToHex(pk);
        verifiedBy.set(id, (verifiedBy.get(id) ?? 0) + 1);
        return base.verify(sig, msg, pk);
      },
    };
    const c = await cluster(4, { crypto, clients: 3, tunables: { maxPendingPerClient: 3, maxPendingRequests: 5, viewChangeTimeoutMs: 60_000 } });
    try {
      const org = c.client('org', { timeoutMs: 150 });
      await org.submit(encodeTicketOp({ type: 'createEvent', eventId: E }));
      // nothing executes while the primary is down (and the long view-change timeout keeps view 0)
      await c.crash(0);
      const flooder = c.client('flooder', { timeoutMs: 150 });
      const other = c.client('other', { timeoutMs: 150 });
      const flood = Array.from({ length: 6 }, (_, i) => flooder.submit(encodeTicketOp({ type: 'createEvent', eventId: eventId(`flood-${i}`) })));
      const rest = Array.from({ length: 4 }, (_, i) => other.submit(encodeTicketOp({ type: 'createEvent', eventId: eventId(`other-${i}`) })));
      await new Promise((r) => setTimeout(r, 700)); // several retransmissions
      const floodKey = bytesToHex(await crypto.getPublicKey(keyOf('client:flooder')));
      for (const r of c.replicas.slice(1)) {
        const st = r!.status();
        expect(st.pendingRequests).toBeLessThanOrEqual(5);
        expect(r!.dropped()['overloaded'] ?? 0).toBeGreaterThanOrEqual(3); // ≥ 3 of the flooder's 6, first round alone
      }
      // each backup checked at most 3 of the flooder's signatures (the admitted ones), however often it retransmitted
      expect(verifiedBy.get(floodKey) ?? 0).toBeLessThanOrEqual(3 * 3);
      // the primary returns: everything commits, exactly once
      await c.start(0);
      const results = (await Promise.all([...flood, ...rest])).map((b) => decodeTicketResult(b));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill("ok"));
      await org.submit(encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId('after'), holder }));
      const digests = c.apps.map((a) => bytesToHex(a.digest()));
      expect(new Set(digests).size).toBe(1);
      for (const r of c.replicas) expect(r!.status().pendingRequests).toBe(0);
    } finally {
      await c.close();
    }
  }, 30_000);
});
