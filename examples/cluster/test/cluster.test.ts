/**
 * Four PBFT replicas of the ticket ledger, each in its own Node process with
 * its own LevelDB directory, over WebSockets on 127.0.0.1. The clients live in
 * this process. The test commits ticket operations, SIGKILLs the primary,
 * checks that a view change happens and that commits continue, restarts the
 * killed replica from its LevelDB directory, checks that it catches up by
 * state transfer, and finally that every replica has the same app digest and
 * that no ticket was consumed twice.
 */
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@admitone/consensus';
import {
  createRotatingCode,
  decodeTicketQueryResult,
  decodeTicketResult,
  encodeTicketOp,
  encodeTicketQuery,
  eventId,
  gateId,
  systemClock,
  ticketId,
  type TicketResult,
  type TicketView,
} from '@admitone/core';
import { keyFor, startProcessCluster, type ProcessCluster } from '../src/process-cluster.js';
import type { HostEvent } from '../src/protocol.js';

const SEED = 'cluster-test';
const EVENT = eventId('cluster-gig');
const GATE = gateId('north');
const K = 8;
const TRACE = process.env['CLUSTER_TRACE'];

let cluster: ProcessCluster | undefined;
const clients: Client[] = [];

beforeAll(async () => {
  cluster = await startProcessCluster({
    n: 4,
    seed: SEED,
    clientIds: ['c0'],
    // short timeouts and a small checkpoint interval, so that the view change
    // is quick and the restarted replica needs a checkpoint snapshot
    tunables: { viewChangeTimeoutMs: 1000, checkpointInterval: K, stateTransferRetryMs: 200 },
    statusIntervalMs: 0,
    // CLUSTER_TRACE=<file> appends every host line to that file
    ...(TRACE === undefined ? {} : { onEvent: (id: string, e: HostEvent) => appendFileSync(TRACE, `${Date.now()} ${id} ${JSON.stringify(e)}\n`) }),
  });
}, 45_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await cluster?.close();
  cluster = undefined;
}, 15_000);

describe('a 4-replica PBFT cluster in separate Node processes (WebSocket + LevelDB)', () => {
  it('commits, survives a killed primary, catches the restarted replica up, and never consumes a ticket twice', async () => {
    const c = cluster as ProcessCluster;
    const { crypto } = c;
    const clock = systemClock();
    const transport = await c.openClientTransport('c0');
    const clientOf = (label: string): Client => {
      const client = createClient({ deployment: c.deployment, transport,
        replicas: c.ids,
        secretKey: keyFor(SEED, label),
        crypto,
        clock,
        timeoutMs: 250,
        maxTimeoutMs: 1000,
        deadlineMs: 15_000,
        firstRequestSeq: 1,
      });
      clients.push(client);
      return client;
    };
    const organizer = clientOf('organizer');
    const gate = clientOf('gate-device');
    const holderKey = keyFor(SEED, 'holder');
    const holder = await crypto.getPublicKey(holderKey);
    const gateDevice = await crypto.getPublicKey(keyFor(SEED, 'gate-device'));

    const okConsumes = new Map<string, number>();
    const issued: string[] = [];
    /** Submits `op`; a timeout names the operation (the client gives up after its 15 s deadline). */
    const submit = async (client: Client, op: Parameters<typeof encodeTicketOp>[0]): Promise<TicketResult> => {
      try {
        return decodeTicketResult(await client.submit(encodeTicketOp(op)));
      } catch (err) {
        throw new Error(`${op.type}${'ticketId' in op ? ` ${op.ticketId}` : ''} did not commit: ${String(err)}`, { cause: err });
      }
    };
    const issue = async (name: string): Promise<void> => {
      const r = await submit(organizer, { type: 'issue', eventId: EVENT, ticketId: ticketId(name), holder });
      expect(r.status, `issue ${name}`).toBe('ok');
      issued.push(name);
    };
    let scans = 0;
    /** A scan fact; its nonce is derived from a counter, so runs are repeatable. */
    const scan = () => ({ nonce: keyFor(SEED, `nonce:${scans++}`).slice(0, 16), gate: GATE, time: Date.now() });
    const consume = async (name: string): Promise<TicketResult> => {
      const r = await submit(gate, { type: 'consume', eventId: EVENT, ticketId: ticketId(name), scan: scan() });
      if (r.status === 'ok') okConsumes.set(name, (okConsumes.get(name) ?? 0) + 1);
      return r;
    };
    /** validate (with the holder's rotating code) then consume: the gate admits the holder. */
    const admit = async (name: string): Promise<void> => {
      const s = scan();
      const code = await createRotatingCode(crypto, holderKey, { deployment: c.deployment, ticketId: ticketId(name), version: 1, timeMs: s.time });
      const v = await submit(gate, { type: 'validate', eventId: EVENT, ticketId: ticketId(name), scan: s, code });
      expect(v.status, `validate ${name}`).toBe('ok');
      const r = await consume(name);
      expect(r.status, `consume ${name}`).toBe('ok');
    };
    const expectRefusedSecondConsume = async (name: string): Promise<void> => {
      const again = await consume(name);
      expect(again, `second consume of ${name}`).toEqual({ status: 'rejected', reason: 'already_consumed' });
    };

    // ---- 1. normal operation --------------------------------------------------------
    expect((await submit(organizer, { type: 'createEvent', eventId: EVENT })).status).toBe('ok');
    expect((await submit(organizer, { type: 'authorizeGate', eventId: EVENT, device: gateDevice })).status).toBe('ok');
    await Promise.all(Array.from({ length: 16 }, (_, i) => issue(`a${i}`))); // concurrent: batched
    for (let i = 0; i < 6; i++) await admit(`a${i}`);
    await expectRefusedSecondConsume('a0');
    await expectRefusedSecondConsume('a3');
    // a ticket that was never validated cannot be consumed
    expect(await consume('a10')).toEqual({ status: 'rejected', reason: 'not_validated' });

    // ---- 2. kill the primary ---------------------------------------------------------
    const before = await c.status('r1');
    expect(before.view).toBe(0);
    const primary = before.primary;
    expect(c.ids).toContain(primary);
    const survivors = c.ids.filter((id) => id !== primary);
    const killedAt = (await c.digest(primary)).lastExecuted;
    await c.kill(primary, 'SIGKILL');
    expect(c.alive(primary)).toBe(false);

    // progress continues: the first op waits for the view change, then more commit
    await issue('b0');
    const views = await Promise.all(survivors.map((id) => c.status(id)));
    for (const s of views) {
      expect(s.view, `view of ${s.id} after the primary died`).toBeGreaterThanOrEqual(1);
      expect(s.primary, `primary seen by ${s.id}`).not.toBe(primary);
    }
    await Promise.all(survivors.map((id) => c.waitForEvent(id, (e) => e.event === 'new-view' && e.view >= 1, 'a new-view after the primary died', { past: true })));
    // enough sequence numbers for several checkpoints (K = 8) while the old primary is down
    for (let i = 1; i < 20; i++) await issue(`b${i}`);
    for (let i = 0; i < 4; i++) await admit(`b${i}`);
    await expectRefusedSecondConsume('b1');
    await expectRefusedSecondConsume('a5'); // consumed before the crash, refused after it
    const ahead = Math.max(...(await Promise.all(survivors.map((id) => c.digest(id)))).map((d) => d.lastExecuted));
    expect(ahead, 'the survivors committed past the killed replica by more than two checkpoints').toBeGreaterThan(killedAt + 2 * K);

    // ---- 3. restart the killed replica from its LevelDB directory --------------------
    await c.restart(primary);
    const ready = c.events(primary).find((e): e is Extract<HostEvent, { event: 'ready' }> => e.event === 'ready');
    expect(ready?.lastExecuted ?? 0, 'the restarted replica recovered its log from LevelDB').toBeGreaterThan(0);
    const transfer = await c.waitForEvent(primary, (e) => e.event === 'state-transfer' && e.toSeq > killedAt + K, 'a state transfer past the missed checkpoints', {
      timeoutMs: 15_000,
      past: true,
    });
    expect(transfer.event).toBe('state-transfer');
    // more work with all four replicas up
    for (let i = 0; i < 4; i++) await issue(`c${i}`);
    await admit('c0');
    await admit('b5');
    await expectRefusedSecondConsume('c0');
    await expectRefusedSecondConsume('b0');

    // ---- 4. every replica ends in the same state -------------------------------------
    const final = await waitForAgreement(c, 15_000);
    expect(final.lastExecuted).toBeGreaterThan(ahead);
    const restarted = await c.status(primary);
    expect(restarted.stableSeq, 'the restarted replica holds a stable checkpoint newer than its crash').toBeGreaterThan(killedAt);

    // ---- 5. no ticket was consumed twice ---------------------------------------------
    expect(Math.max(...okConsumes.values())).toBe(1);
    const admitted = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'b0', 'b1', 'b2', 'b3', 'c0', 'b5'];
    expect([...okConsumes.keys()].sort()).toEqual([...admitted].sort());
    // through the client's read-only fast path (2f+1 matching answers)
    for (const name of issued) {
      const answer = decodeTicketQueryResult(await organizer.read(encodeTicketQuery({ type: 'ticket', ticketId: ticketId(name) })));
      if (answer.status !== 'ok' || !('ticket' in answer)) throw new Error(`ticket ${name} not found: ${JSON.stringify(answer)}`);
      const consumes = answer.ticket.scans.filter((s) => s.kind === 'consume').length;
      expect(consumes, `consume scans of ${name}`).toBe(admitted.includes(name) ? 1 : 0);
      expect(answer.ticket.state, `state of ${name}`).toBe(admitted.includes(name) ? 'CONSUMED' : 'ISSUED');
    }
    // and on every replica's own ledger, which all hold the same tickets
    const listings: string[] = [];
    for (const id of c.ids) {
      const { result } = await c.query(id, encodeTicketQuery({ type: 'tickets', eventId: EVENT, limit: 1000 }));
      const answer = decodeTicketQueryResult(result);
      if (answer.status !== 'ok' || !('tickets' in answer)) throw new Error(`replica ${id} could not list tickets`);
      expect(answer.tickets.length, `tickets on ${id}`).toBe(issued.length);
      for (const t of answer.tickets as TicketView[]) expect(t.scans.filter((s) => s.kind === 'consume').length, `consumes of ${t.ticketId} on ${id}`).toBeLessThanOrEqual(1);
      listings.push(Buffer.from(result).toString('hex'));
    }
    expect(new Set(listings).size).toBe(1);
  }, 60_000);
});

/**
 * Polls every replica's `digest` until all report the same `lastExecuted` and
 * the same app digest; fails after `timeoutMs` with what each one reported.
 */
async function waitForAgreement(c: ProcessCluster, timeoutMs: number): Promise<{ lastExecuted: number; digest: string }> {
  const end = Date.now() + timeoutMs;
  let last: { lastExecuted: number; digest: string }[] = [];
  for (;;) {
    last = await Promise.all(c.ids.map((id) => c.digest(id)));
    const first = last[0] as { lastExecuted: number; digest: string };
    if (last.every((d) => d.lastExecuted === first.lastExecuted && d.digest === first.digest)) return first;
    if (Date.now() > end) {
      throw new Error(`replicas did not converge within ${timeoutMs} ms: ${c.ids.map((id, i) => `${id}@${last[i]?.lastExecuted}:${last[i]?.digest.slice(0, 12)}`).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
