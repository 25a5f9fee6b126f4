/**
 * A replica that crashes after sending its VIEW-CHANGE, and restarts, must
 * still be changing views: it may not take part in the new view until it
 * has a valid NEW-VIEW. Otherwise a Byzantine primary of the new view can
 * skip the NEW-VIEW (which would have to re-propose what committed in the old
 * view) and have restarted honest replicas order something else at a
 * committed sequence number.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decode, encodeRequest, encodeTicketOp, equalBytes, eventId, signRequest, type Envelope, type Storage, type Transport } from '@admitone/core';
import { batchDigest, encodeSignedFrame, readFrame, signMessage, type NewView, type PrePrepare, type Signed, type ViewChange, type Vote } from '../src/messages.js';
import { planNewView } from '../src/replica/view-change.js';
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

type Body = PrePrepare | Vote | ViewChange | NewView;

/** Whether a stored view record says "entered" (a bare view number > 0, or `{v, f}` with the NEW-VIEW's floor), not "changing". */
function enteredRecord(value: Uint8Array): boolean {
  const d = decode(value);
  return typeof d === 'number' ? d > 0 : typeof d === 'object' && d !== null && 'f' in d;
}

/**
 * n = 4. r0: honest primary of view 0; r1: Byzantine, primary of view 1
 * (driven by hand); r2, r3: honest. A batch commits at seq 1 in view 0 at r0
 * and r2 (with r1's votes) while r3 hears nothing; then r0 crashes and r2, r3
 * change to view 1. `freezeAfterEntering` makes r2's and r3's storage and
 * network stop right after they durably enter a view (a crash at that point).
 */
async function scenario(opts: { freezeAfterEntering?: boolean; committed?: number } = {}) {
  let phase = 1;
  const frozen = new Set<string>();
  /** Set by a test: r2's and r3's writes then take this long (a slow disk), and `afterEntering` hears of the first write issued once their entered-view record is durable. */
  const disk = { delayMs: 0, afterEntering: undefined as ((id: string) => void) | undefined, entered: new Set<string>() };
  const blocked = (e: Envelope): boolean =>
    frozen.has(e.from) ||
    // phase 1: r3 hears nothing, so the batch commits at r0 and r2 only (with r1's votes)
    (phase === 1 && e.to === 'r3') ||
    // phase 3: the network keeps r2's state transfer from r3 (asynchrony, not a fault)
    (phase === 3 && e.from === 'r2' && e.to === 'r3' && /^state/.test(kindOf(e.bytes)));
  /** Writes after the replica's "entered view" record are lost while it is frozen. */
  const freezing = (i: number, st: Storage): Storage => ({
    ...st,
    async batch(ops) {
      const id = `r${i}`;
      if (frozen.has(id)) return;
      const entering = ops.some((op) => op.type === 'put' && op.key.length === 1 && op.key[0] === 0x76 && enteredRecord(op.value));
      if (!entering && disk.entered.has(id)) {
        disk.entered.delete(id);
        disk.afterEntering?.(id);
      }
      if (disk.delayMs > 0) await new Promise((r) => setTimeout(r, disk.delayMs));
      await st.batch(ops);
      if (entering) disk.entered.add(id);
      if (opts.freezeAfterEntering === true && ops.some((op) => op.type === 'put' && op.key.length === 1 && op.key[0] === 0x76 && enteredRecord(op.value))) frozen.add(id);
    },
  });
  const cl = await cluster(4, {
    schedule: (e, deliver) => {
      if (!blocked(e)) setImmediate(deliver);
    },
    storageOf: (i, st) => (i === 2 || i === 3 ? freezing(i, st) : st),
    tunables: { viewChangeTimeoutMs: 150, maxViewChangeTimeoutMs: 60_000 },
  });
  c = cl;
  const crypto = cl.crypto;
  await cl.crash(1);
  const byz: Transport = cl.net.transport('r1');
  const byzSigned = <M extends Body>(body: M) => signMessage(crypto, keyOf('r1'), body, 'test');
  const byzSend = async (to: string[], body: Body | Signed) => {
    const frame = encodeSignedFrame('body' in body ? body : await byzSigned(body));
    for (const t of to) await byz.send(t, frame);
  };
  const viewChanges = new Map<string, Signed<ViewChange>>();
  /** What a test adds to r1's behaviour: it hears every signed message r1 receives. */
  const byzListeners: ((b: Signed['body']) => void)[] = [];
  byz.onMessage(({ bytes }) => {
    const f = readFrame(bytes);
    if (f.kind !== 'signed') return;
    const b = f.signed.body;
    for (const l of byzListeners) l(b);
    // in view 0, r1 votes for whatever r0 proposes (as an honest r1 would)
    if (b.type === 'pre-prepare' && b.view === 0) {
      const { seq, digest } = b;
      void byzSend(['r0', 'r2', 'r3'], { type: 'prepare', view: 0, seq, digest, replica: 'r1' }).then(() =>
        byzSend(['r0', 'r2', 'r3'], { type: 'commit', view: 0, seq, digest, replica: 'r1' }),
      );
    }
    if (b.type === 'view-change' && b.view === 1) viewChanges.set(b.replica, f.signed as Signed<ViewChange>);
  });

  const executedAt2 = new Map<number, string>();
  cl.replicas[2]!.on('executed', (e) => void executedAt2.set(e.seq, hex(e.digest)));
  const org = cl.client('org', { timeoutMs: 100 });
  const committed = opts.committed ?? 1;
  for (let k = 1; k <= committed; k++) {
    await org.submit(encodeTicketOp({ type: 'createEvent', eventId: eventId(`committed-in-view-0-${k}`) }));
    await waitFor(() => executedAt2.has(k), `r2 to execute seq ${k}`);
  }
  expect(cl.replicas[3]!.status().lastExecuted).toBe(0);

  // phase 2: r0 crashes; a new request times out at r2 and r3, which change to view 1
  phase = 2;
  await cl.crash(0);
  void org.submit(encodeTicketOp({ type: 'createEvent', eventId: eventId('pending') })).catch(() => undefined);
  await waitFor(() => viewChanges.has('r2') && viewChanges.has('r3'), 'the VIEW-CHANGEs of r2 and r3');
  for (const i of [2, 3]) expect(cl.replicas[i]!.status()).toMatchObject({ view: 1, viewChanging: true });

  return {
    byzSend,
    byzSigned,
    viewChanges,
    frozen,
    disk,
    byzListeners,
    executedAt2,
    /** Crashes r2 and r3 and starts them again from their storage; r3's executions are recorded from then on. */
    async restart() {
      phase = 3;
      await cl.crash(2);
      await cl.crash(3);
      frozen.clear();
      const r2 = await cl.start(2);
      const r3 = await cl.start(3);
      const executedAt3 = new Map<number, string>();
      r3.on('executed', (e) => void executedAt3.set(e.seq, hex(e.digest)));
      expect(r2.status().lastExecuted).toBe(1);
      expect(r3.status().lastExecuted).toBe(0);
      return { r2, r3, executedAt3 };
    },
    /** What r1 needs for a valid NEW-VIEW of view 1: its own VIEW-CHANGE with r2's and r3's, and the pre-prepares that re-propose what they prepared. */
    async validNewView() {
      const own = await byzSigned<ViewChange>({ type: 'view-change', view: 1, stableSeq: 0, checkpointProof: [], prepared: [], replica: 'r1' });
      const chosen = [own, viewChanges.get('r2')!, viewChanges.get('r3')!];
      const plan = planNewView(chosen.map((v) => v.body));
      const o = await Promise.all(
        plan.slots.map((slot) => {
          const timestamp = slot.source?.timestamp ?? 0;
          const batch = slot.source?.batch ?? [];
          return byzSigned<PrePrepare>({ type: 'pre-prepare', view: 1, seq: slot.seq, digest: batchDigest(timestamp, batch), timestamp, batch, replica: 'r1' });
        }),
      );
      return { chosen, o };
    },
    /** r1, primary of view 1, proposes its own batch at seq 1 and commits to it. */
    async proposeForgedBatch() {
      const forged = encodeRequest(await signRequest(crypto, keyOf('client:mallory'), { deployment: 'test', requestSeq: 1, op: encodeTicketOp({ type: 'createEvent', eventId: eventId('forged') }) }));
      const timestamp = Date.now();
      const digest = batchDigest(timestamp, [forged]);
      await byzSend(['r2', 'r3'], { type: 'pre-prepare', view: 1, seq: 1, digest, timestamp, batch: [forged], replica: 'r1' });
      await byzSend(['r2', 'r3'], { type: 'commit', view: 1, seq: 1, digest, replica: 'r1' });
    },
  };
}

/** Whatever r3 executed at seq 1 is what r2 executed there. */
async function expectAgreementAtSeq1(executedAt3: Map<number, string>, executedAt2: Map<number, string>) {
  await waitFor(() => executedAt3.has(1), 'r3 to execute seq 1', 600).catch(() => undefined);
  if (executedAt3.has(1)) expect(executedAt3.get(1)).toBe(executedAt2.get(1));
  expect(c!.replicas[3]!.status().lastExecuted === 0 || hex(c!.apps[3]!.digest()) === hex(c!.apps[2]!.digest())).toBe(true);
}

describe('a replica restarted in the middle of a view change', () => {
  it('resumes the change: it does not order a Byzantine new primary\'s batch at a sequence number that committed in the old view', async () => {
    const s = await scenario();
    await new Promise((r) => setTimeout(r, 30)); // the VIEW-CHANGEs are out and stored
    const { r2, r3, executedAt3 } = await s.restart();
    // both are still changing to view 1, and said so again
    for (const r of [r2, r3]) expect(r.status()).toMatchObject({ view: 1, viewChanging: true });
    await s.proposeForgedBatch(); // r1 skips the NEW-VIEW
    await expectAgreementAtSeq1(executedAt3, s.executedAt2);
    for (const r of [r2, r3]) expect(r.status().viewChanging || r.status().view > 1).toBe(true);
  });

  it('once it entered the new view, it keeps the NEW-VIEW\'s pre-prepares with it: a conflicting one is refused after a restart', async () => {
    const s = await scenario({ freezeAfterEntering: true });
    // r1 makes a valid NEW-VIEW for view 1 (it re-proposes seq 1's batch, prepared at r2) and sends it
    const { chosen, o } = await s.validNewView();
    expect(o.map((p) => p.body.seq)).toEqual([1]);
    const nv = encodeSignedFrame(await s.byzSigned<NewView>({ type: 'new-view', view: 1, viewChanges: chosen, prePrepares: o, replica: 'r1' }));
    const relay = c!.net.transport('r0');
    for (const to of ['r2', 'r3']) await relay.send(to, nv);
    // both enter view 1 and crash right after that write
    await waitFor(() => s.frozen.has('r2') && s.frozen.has('r3'), 'r2 and r3 to enter view 1');
    const { r2, r3, executedAt3 } = await s.restart();
    for (const r of [r2, r3]) expect(r.status()).toMatchObject({ view: 1, viewChanging: false });
    await s.proposeForgedBatch(); // conflicts with the NEW-VIEW's pre-prepare for seq 1
    await expectAgreementAtSeq1(executedAt3, s.executedAt2);
    for (const r of [r2, r3]) expect(r.dropped()['equivocation'] ?? 0).toBeGreaterThanOrEqual(1);
  });
});

describe('a backup entering a view through a NEW-VIEW', () => {
  it('refuses a PRE-PREPARE of that view for a sequence number the NEW-VIEW assigned, even while it is still accepting the NEW-VIEW\'s own', async () => {
    // seqs 1 and 2 commit in view 0 at r0 and r2; r3 missed both
    const s = await scenario({ committed: 2 });
    const { chosen, o } = await s.validNewView();
    expect(o.map((p) => p.body.seq)).toEqual([1, 2]);
    // r1, primary of view 1, also has its own batch for seq 2, and commits to whatever a backup prepares
    const forged = encodeRequest(await signRequest(c!.crypto, keyOf('client:mallory'), { deployment: 'test', requestSeq: 1, op: encodeTicketOp({ type: 'createEvent', eventId: eventId('forged') }) }));
    const timestamp = Date.now();
    const forgedDigest = batchDigest(timestamp, [forged]);
    const forgedPrepares: string[] = [];
    s.byzListeners.push((b) => {
      if (b.type !== 'prepare' || b.view !== 1) return;
      if (equalBytes(b.digest, forgedDigest)) forgedPrepares.push(b.replica);
      void s.byzSend(['r2', 'r3'], { type: 'commit', view: 1, seq: b.seq, digest: b.digest, replica: 'r1' });
    });
    // r1 keeps its NEW-VIEW from r2 and r3, and it reaches them relayed by another replica (here over the
    // crashed r0's link). A replica handles each sender's messages in order, so r1's forged PRE-PREPARE for
    // seq 2 does not wait for the relayed NEW-VIEW: it arrives just after the backup entered view 1, while
    // its disk is still writing its vote on the NEW-VIEW's seq 1, before it got to the NEW-VIEW's seq 2
    s.disk.delayMs = 30;
    s.disk.afterEntering = (id) => {
      void s.byzSend([id], { type: 'pre-prepare', view: 1, seq: 2, digest: forgedDigest, timestamp, batch: [forged], replica: 'r1' });
    };
    const executedAt3 = new Map<number, string>();
    c!.replicas[3]!.on('executed', (e) => void executedAt3.set(e.seq, hex(e.digest)));
    const nv = encodeSignedFrame(await s.byzSigned<NewView>({ type: 'new-view', view: 1, viewChanges: chosen, prePrepares: o, replica: 'r1' }));
    const relay = c!.net.transport('r0');
    for (const to of ['r2', 'r3']) await relay.send(to, nv);
    await waitFor(() => executedAt3.has(2), 'r3 to execute seq 2', 3000).catch(() => undefined);
    // what r3 executes at seqs 1 and 2 is what r2 executed there in view 0 (without the check, r3 executed r1's forged batch at seq 2)
    expect(executedAt3.get(1)).toBe(s.executedAt2.get(1));
    expect(executedAt3.get(2)).toBe(s.executedAt2.get(2));
    expect(forgedPrepares).toEqual([]);
    for (const i of [2, 3]) expect(c!.replicas[i]!.dropped()['equivocation'] ?? 0).toBeGreaterThanOrEqual(1);
  });
});
