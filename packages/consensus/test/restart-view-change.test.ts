/**
 * A replica that crashes after sending its VIEW-CHANGE, and restarts, must
 * still be changing views: it may not take part in the new view until it
 * has a valid NEW-VIEW. Otherwise a Byzantine primary of the new view can
 * skip the NEW-VIEW (which would have to re-propose what committed in the old
 * view) and have restarted honest replicas order something else at a
 * committed sequence number.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest, encodeTicketOp, eventId, signRequest, type Envelope, type Transport } from '@admitone/core';
import { batchDigest, encodeSignedFrame, readFrame, signMessage, type PrePrepare, type Vote } from '../src/messages.js';
import { cluster, keyOf, waitFor, type Cluster } from './helpers/cluster.js';

let c: Cluster | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The signed message's type in a frame, or the frame kind. */
function kindOf(bytes: Uint8Array): string {
  try {
    const f = readFrame(bytes);
    return f.kind === 'signed' ? f.signed.body.type : f.kind;
  } catch {
    return 'garbage';
  }
}

describe('a replica restarted in the middle of a view change', () => {
  it('does not order a Byzantine new primary\'s batch at a sequence number that committed in the old view', async () => {
    // r0: honest primary of view 0; r1: Byzantine, primary of view 1 (driven by hand below); r2, r3: honest.
    let phase = 1;
    const blocked = (e: Envelope): boolean =>
      // phase 1: r3 hears nothing, so the batch commits at r0 and r2 only (with r1's votes)
      (phase === 1 && e.to === 'r3') ||
      // phase 3: the network keeps r2's state transfer from r3 (asynchrony, not a fault)
      (phase === 3 && e.from === 'r2' && e.to === 'r3' && /^state/.test(kindOf(e.bytes)));
    c = await cluster(4, {
      schedule: (e, deliver) => {
        if (!blocked(e)) setImmediate(deliver);
      },
      tunables: { viewChangeTimeoutMs: 150, maxViewChangeTimeoutMs: 60_000 },
    });
    const crypto = c.crypto;
    await c.crash(1);
    const byz: Transport = c.net.transport('r1');
    const byzSign = <M extends PrePrepare | Vote>(body: M) => signMessage(crypto, keyOf('r1'), body);
    const byzSend = async (to: string[], body: PrePrepare | Vote) => {
      const frame = encodeSignedFrame(await byzSign(body));
      for (const t of to) await byz.send(t, frame);
    };
    // in view 0, r1 votes for whatever r0 proposes (as an honest r1 would)
    byz.onMessage(({ bytes }) => {
      const f = readFrame(bytes);
      if (f.kind !== 'signed' || f.signed.body.type !== 'pre-prepare' || f.signed.body.view !== 0) return;
      const { seq, digest } = f.signed.body;
      void byzSend(['r0', 'r2', 'r3'], { type: 'prepare', view: 0, seq, digest, replica: 'r1' }).then(() =>
        byzSend(['r0', 'r2', 'r3'], { type: 'commit', view: 0, seq, digest, replica: 'r1' }),
      );
    });

    const executedAt2 = new Map<number, string>();
    c.replicas[2]!.on('executed', (e) => void executedAt2.set(e.seq, hex(e.digest)));
    const org = c.client('org', { timeoutMs: 100 });
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: eventId('committed-in-view-0') }));
    await waitFor(() => executedAt2.has(1), 'r2 to execute seq 1');
    expect(c.replicas[3]!.status().lastExecuted).toBe(0);

    // phase 2: r0 crashes; a new request times out at r2 and r3, which change to view 1
    phase = 2;
    await c.crash(0);
    void org.submit(encodeTicketOp({ type: 'createEvent', eventId: eventId('pending') })).catch(() => undefined);
    await waitFor(() => [2, 3].every((i) => c!.replicas[i]!.status().view === 1 && c!.replicas[i]!.status().viewChanging), 'r2 and r3 to change to view 1');
    await new Promise((r) => setTimeout(r, 30)); // their VIEW-CHANGEs are out
    // both crash and restart from their storage (a crash of honest replicas: not counted in f)
    phase = 3;
    await c.crash(2);
    await c.crash(3);
    const r2 = await c.start(2);
    const r3 = await c.start(3);
    const executedAt3 = new Map<number, string>();
    r3.on('executed', (e) => void executedAt3.set(e.seq, hex(e.digest)));
    expect(r2.status().lastExecuted).toBe(1);
    expect(r3.status().lastExecuted).toBe(0);

    // r1, primary of view 1, skips the NEW-VIEW and proposes its own batch at seq 1
    const forged = encodeRequest(await signRequest(crypto, keyOf('client:mallory'), { requestSeq: 1, op: encodeTicketOp({ type: 'createEvent', eventId: eventId('forged') }) }));
    const timestamp = Date.now();
    const digest = batchDigest(timestamp, [forged]);
    await byzSend(['r2', 'r3'], { type: 'pre-prepare', view: 1, seq: 1, digest, timestamp, batch: [forged], replica: 'r1' } as PrePrepare);
    await byzSend(['r2', 'r3'], { type: 'commit', view: 1, seq: 1, digest, replica: 'r1' });
    await waitFor(() => executedAt3.has(1), 'r3 to execute seq 1', 600).catch(() => undefined);

    // safety: whatever r3 executed at seq 1 is what r2 executed there
    if (executedAt3.has(1)) expect(executedAt3.get(1)).toBe(executedAt2.get(1));
    expect(r3.status().lastExecuted === 0 || hex(c.apps[3]!.digest()) === hex(c.apps[2]!.digest())).toBe(true);
    // and the restarted replicas still wait for a NEW-VIEW of view 1 (or later)
    for (const r of [r2, r3]) expect(r.status().viewChanging || r.status().view > 1).toBe(true);
  });
});
