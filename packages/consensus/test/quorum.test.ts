/**
 * Quorum sizes for any n ≥ 4: ⌈(n+f+1)/2⌉, which is 2f+1 only when n = 3f+1.
 * The simulator runs at n = 5, 6 and 8 are in `sim.test.ts`; this file checks
 * the arithmetic, the resolved configuration and the client's fast-read
 * threshold.
 */
import { describe, expect, it } from 'vitest';
import { memoryNetwork, nobleCrypto, systemClock, utf8ToBytes } from '@admitone/core';
import { createClient, maxFaulty, quorumSize, resolveConfig } from '../src/index.js';
import { decodeWire, encodeReplies } from '../src/messages.js';
import { keyOf } from './helpers/cluster.js';

describe('quorumSize', () => {
  it('is 2f+1 at n = 3f+1 and larger for other sizes', () => {
    expect([4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map(quorumSize)).toEqual([3, 4, 4, 5, 6, 6, 7, 8, 8, 9]);
    for (let f = 1; f <= 30; f++) expect(quorumSize(3 * f + 1)).toBe(2 * f + 1);
  });

  it('any two quorums share an honest replica, and the honest replicas alone make one (n = 4 … 200)', () => {
    for (let n = 4; n <= 200; n++) {
      const f = maxFaulty(n);
      const q = quorumSize(n);
      expect(2 * q - n, `n = ${n}: overlap of two quorums`).toBeGreaterThanOrEqual(f + 1);
      expect(n - f, `n = ${n}: honest replicas`).toBeGreaterThanOrEqual(q);
    }
  });

  it('resolveConfig derives the commit and prepare quorums from it', async () => {
    const crypto = nobleCrypto();
    const members = await Promise.all(Array.from({ length: 5 }, async (_, i) => ({ id: `r${i}`, publicKey: await crypto.getPublicKey(keyOf(`r${i}`)) })));
    const c5 = resolveConfig({ deployment: 'test', id: 'r0', members });
    expect([c5.f, c5.quorum, c5.prepareQuorum]).toEqual([1, 4, 3]);
    const c4 = resolveConfig({ deployment: 'test', id: 'r0', members: members.slice(0, 4) });
    expect([c4.f, c4.quorum, c4.prepareQuorum]).toEqual([1, 3, 2]);
  });
});

describe("the client's fast read at n = 5", () => {
  it('does not settle on 2f+1 = 3 matching answers; the fourth (a quorum) settles it', async () => {
    const ids = ['r0', 'r1', 'r2', 'r3', 'r4'];
    const net = memoryNetwork({ members: [...ids, 'c0'] });
    const replicas = ids.map((id) => net.transport(id));
    const seen: { clientId: string; requestSeq: number }[] = [];
    replicas[0]!.onMessage((m) => {
      const w = decodeWire(m.bytes);
      if (w.kind === 'request' && w.message.fastRead) seen.push({ clientId: w.message.request.clientId, requestSeq: w.message.request.requestSeq });
    });
    const client = createClient({ deployment: 'test', transport: net.transport('c0'), replicas: ids, secretKey: keyOf('c0'), crypto: nobleCrypto(), clock: systemClock(), timeoutMs: 60_000, firstRequestSeq: 1 });
    try {
      let settled: Uint8Array | undefined;
      const read = client.read(utf8ToBytes('q')).then((r) => (settled = r));
      await expect.poll(() => seen.length).toBe(1);
      const { clientId, requestSeq } = seen[0]!;
      const answer = async (i: number) => {
        await replicas[i]!.send('c0', encodeReplies(ids[i]!, [{ type: 'reply', view: 0, clientId, requestSeq, result: utf8ToBytes('yes'), readOnly: true }]));
        await new Promise((r) => setTimeout(r, 20));
      };
      for (const i of [0, 1, 2]) await answer(i);
      expect(settled).toBeUndefined();
      await answer(3);
      await read;
      expect(settled).toEqual(utf8ToBytes('yes'));
    } finally {
      await client.close();
      await net.close();
    }
  });
});
