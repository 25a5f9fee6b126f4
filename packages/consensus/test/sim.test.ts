/**
 * The deterministic simulator (`@admitone/consensus/sim`): determinism, every
 * Byzantine strategy at n = 4 and n = 7, partitions and crash-restarts that
 * heal, the latency the simulator measures, fixed regression seeds, and a
 * fast-check property over fault schedules.
 *
 * Every run uses noble's Ed25519 behind one shared memoizing provider (the
 * same message is then verified once for the whole file, not once per replica
 * and run), so the whole file stays within a few tens of seconds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTicketLedger, isAdmitOneError, nobleCrypto } from '@admitone/core';
import {
  SimulationError,
  createCheckers,
  formatReport,
  memoizedCrypto,
  runSimulation,
  type ConcreteStrategy,
  type FaultSchedule,
  type SimulationOptions,
  type SimulationReport,
} from '../src/sim/index.js';

const crypto = memoizedCrypto(nobleCrypto());
const run = (o: SimulationOptions): Promise<SimulationReport> => runSimulation({ crypto, ...o });

/** Requests of a run: createEvent, one authorizeGate per gate, four per ticket. */
const requestsOf = (tickets: number, gates = 3) => 1 + gates + 4 * tickets;

function expectSafeAndLive(r: SimulationReport, tickets: number): void {
  const why = formatReport(r);
  expect(r.safetyViolations, why).toEqual([]);
  expect(r.doubleConsumes, why).toBe(0);
  expect(r.livenessFailures, why).toEqual([]);
  expect(r.ok, why).toBe(true);
  expect(r.submitted, why).toBe(requestsOf(tickets));
  expect(r.committed, why).toBe(r.submitted);
}

describe('determinism', () => {
  const base: SimulationOptions = { tickets: 3, nodes: 4, byzantine: 1, strategy: 'mixed', jitterMs: 5, packetLoss: 0.05, durationMs: 3000 };

  it('gives the same report and trace hash for the same seed, and a different trace for another seed', async () => {
    const a = await run({ ...base, seed: 11 });
    const b = await run({ ...base, seed: 11 });
    const c = await run({ ...base, seed: 12 });
    expect(a.traceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toEqual(a);
    expect(c.traceHash).not.toBe(a.traceHash);
    expect(a.network.lost).toBeGreaterThan(0);
  });

  it('does not depend on the crypto provider instance (a fresh noble gives the same trace)', async () => {
    const a = await run({ ...base, seed: 'provider', packetLoss: 0 });
    const b = await runSimulation({ ...base, seed: 'provider', packetLoss: 0, crypto: nobleCrypto() });
    expect(b.traceHash).toBe(a.traceHash);
  });
});

describe('Byzantine strategies (the strategy must act, and the honest replicas stay safe and live)', () => {
  /** The action each strategy must have taken at least once, and what the honest replicas must have dropped. */
  const evidence: Record<ConcreteStrategy, { action: string; dropped?: string[]; options?: Partial<SimulationOptions> }> = {
    equivocate: { action: 'equivocate pre-prepare' },
    forge: { action: 'forged-prepare', dropped: ['spoofed', 'bad_signature'] },
    silent: { action: 'silent' },
    replay: { action: 'replay' },
    'wrong-digest': { action: 'wrong-digest commit' },
    slow: { action: 'slow' },
    timewarp: { action: 'timewarp ' },
    // it acts only as the primary of a new view: view 0's primary crashes, so view 1 (its view) comes
    'fork-view': {
      action: 'fork-view',
      options: { faults: { healAtMs: 2000, packetLoss: 0, duplicateRate: 0, partitions: [], crashes: [{ replica: 0, atMs: 300, restartMs: 1500 }] } },
    },
  };
  const cases: [ConcreteStrategy | 'mixed', number, number][] = [];
  for (const s of [...(Object.keys(evidence) as ConcreteStrategy[]), 'mixed' as const]) cases.push([s, 4, 1], [s, 7, 2]);

  it.each(cases)('%s at n = %i with %i Byzantine', async (strategy, nodes, byzantine) => {
    const tickets = 2;
    const r = await run({ seed: `${strategy}/${nodes}`, nodes, byzantine, strategy, tickets, jitterMs: 3, durationMs: 2000, ...(strategy === 'mixed' ? {} : evidence[strategy].options) });
    expectSafeAndLive(r, tickets);
    expect(r.byzantine).toBe(byzantine);
    expect(Object.keys(r.byzantineReplicas)).toHaveLength(byzantine);
    if (strategy === 'mixed') {
      expect(Object.values(r.byzantineActions).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      return;
    }
    if (strategy === 'equivocate' || strategy === 'slow' || strategy === 'timewarp') expect(r.byzantineReplicas['r0']).toBe(strategy);
    // an action counts under its name, or under its name and a detail (`timewarp future`)
    const acted = Object.entries(r.byzantineActions).filter(([name]) => name.startsWith(evidence[strategy].action));
    expect(acted.reduce((a, [, k]) => a + k, 0), formatReport(r)).toBeGreaterThan(0);
    for (const reason of evidence[strategy].dropped ?? []) expect(r.droppedByReason[reason] ?? 0, reason).toBeGreaterThan(0);
  });

  it('primaries that lie about the time are voted out, and no lie past maxClockSkewMs is agreed (n = 4 and 7)', async () => {
    // A bound of 500 virtual ms, so that lies "just past it" either way fit the run's clock. A lie the
    // backups drop costs the liar its view, so each run sees one to a few lies: six seeds per size.
    const lies = new Set<string>();
    let dropped = 0;
    let viewChanges = 0;
    for (const [nodes, byzantine] of [[4, 1], [7, 2]] as const) {
      for (let i = 0; i < 6; i++) {
        const r = await run({ seed: `timewarp/${nodes}/${i}`, nodes, byzantine, strategy: 'timewarp', tickets: 3, jitterMs: 3, durationMs: 3000, tunables: { maxClockSkewMs: 500 } });
        expectSafeAndLive(r, 3);
        for (const a of Object.keys(r.byzantineActions)) if (a.startsWith('timewarp ')) lies.add(a);
        dropped += r.droppedByReason['bad_timestamp'] ?? 0;
        viewChanges += r.viewChanges;
      }
    }
    expect(dropped).toBeGreaterThan(0);
    expect(viewChanges).toBeGreaterThan(0);
    // every kind of lie was told at least once (the honest answers are not counted as actions)
    expect([...lies].sort()).toEqual(['timewarp backwards', 'timewarp beyond', 'timewarp future', 'timewarp past', 'timewarp within']);
  });

  it('an equivocating primary is voted out: the honest replicas change view and agree', async () => {
    const r = await run({ seed: 3, nodes: 4, byzantine: 1, strategy: 'equivocate', tickets: 3, durationMs: 2000 });
    expectSafeAndLive(r, 3);
    expect(r.viewChanges).toBeGreaterThan(0);
  });
});

describe('cluster sizes other than 3f+1: every quorum is ⌈(n+f+1)/2⌉, not 2f+1', () => {
  // With 2f+1 at n = 5 (f = 1), an equivocating primary could gather two "quorums" of 3 that share only
  // itself, and two honest replicas executed different batches at the same seq (15 of 30 seeds did).
  const sizes: [nodes: number, byzantine: number][] = [
    [5, 1],
    [6, 1],
    [8, 2],
  ];
  it.each(sizes)('an equivocating primary at n = %i with %i Byzantine: safe and live over six seeds', async (nodes, byzantine) => {
    let equivocations = 0;
    for (let i = 0; i < 6; i++) {
      const r = await run({ seed: `quorum/${nodes}/${i}`, nodes, byzantine, strategy: 'equivocate', tickets: 2, jitterMs: 10, durationMs: 2000 });
      expectSafeAndLive(r, 2);
      equivocations += r.byzantineActions['equivocate pre-prepare'] ?? 0;
    }
    expect(equivocations).toBeGreaterThan(0);
  });

  it.each(sizes)('mixed strategies with loss and a partition at n = %i with %i Byzantine', async (nodes, byzantine) => {
    const faults: FaultSchedule = {
      healAtMs: 2000,
      packetLoss: 0.05,
      duplicateRate: 0.02,
      partitions: [{ startMs: 200, endMs: 1200, kind: 'asymmetric', side: [1] }],
      crashes: [],
    };
    const r = await run({ seed: `quorum-mixed/${nodes}`, nodes, byzantine, strategy: 'mixed', tickets: 2, jitterMs: 5, durationMs: 2000, faults });
    expectSafeAndLive(r, 2);
  });
});

describe('network faults and crashes that heal', () => {
  it('a symmetric 2|2 split (no quorum on either side) and an asymmetric partition: requests stall, then commit after healing', async () => {
    const faults: FaultSchedule = {
      healAtMs: 2400,
      packetLoss: 0,
      duplicateRate: 0,
      partitions: [
        { startMs: 100, endMs: 1200, kind: 'symmetric', side: [0, 1] },
        { startMs: 1300, endMs: 2400, kind: 'asymmetric', side: [1] },
      ],
      crashes: [],
    };
    const r = await run({ seed: 'partitions', tickets: 4, jitterMs: 4, durationMs: 1000, faults });
    expectSafeAndLive(r, 4);
    expect(r.network.partitioned).toBeGreaterThan(0);
    expect(r.faults.partitions).toBe(2);
    // something was still pending when the split healed: the run lasted past the heal
    expect(r.virtualDurationMs).toBeGreaterThan(1200);
  });

  it('partitions generated from the seed, with loss and duplication, at n = 7', async () => {
    const r = await run({ seed: 21, nodes: 7, tickets: 3, partitions: 2, packetLoss: 0.03, duplicateRate: 0.05, jitterMs: 5, durationMs: 3000 });
    expectSafeAndLive(r, 3);
    expect(r.network.duplicated).toBeGreaterThan(0);
  });

  it('crash-restart of a backup and of the primary, losing writes that were not yet durable', async () => {
    const faults: FaultSchedule = {
      healAtMs: 3000,
      packetLoss: 0,
      duplicateRate: 0,
      partitions: [],
      crashes: [
        { replica: 2, atMs: 150, restartMs: 900 },
        { replica: 0, atMs: 1100, restartMs: 2200 },
      ],
    };
    const r = await run({ seed: 'crashes', tickets: 5, jitterMs: 2, storageWriteDelayMs: 10, durationMs: 2400, faults });
    expectSafeAndLive(r, 5);
    expect(r.faults.crashes).toBe(2);
    expect(r.faults.lostWrites).toBeGreaterThan(0);
    expect(r.viewChanges).toBeGreaterThan(0);
  });
});

describe('state transfer of a state larger than one message (stateChunkBytes 1 KiB: manifest, then checked parts)', () => {
  const crashes: FaultSchedule = {
    healAtMs: 3000,
    packetLoss: 0,
    duplicateRate: 0,
    partitions: [],
    crashes: [
      { replica: 2, atMs: 150, restartMs: 1200 },
      { replica: 1, atMs: 1300, restartMs: 2200 },
    ],
  };
  it.each([4, 7])('crash-restarted replicas catch up part by part at n = %i', async (nodes) => {
    const r = await run({ seed: `chunks/${nodes}`, nodes, tickets: 6, jitterMs: 2, storageWriteDelayMs: 5, durationMs: 2600, faults: crashes, tunables: { checkpointInterval: 4, stateChunkBytes: 1024 } });
    expectSafeAndLive(r, 6);
    expect(r.sentByType['state-chunk'] ?? 0, formatReport(r)).toBeGreaterThan(0);
  });

  // n = 7 with one wrong-digest replica and one crashed honest one: the other five are a quorum, so the cluster moves on without the crashed one
  it('a Byzantine responder’s tampered manifests are dropped as bad_state, and the lagging replica still catches up (n = 7)', async () => {
    const faults: FaultSchedule = { ...crashes, crashes: [{ replica: 1, atMs: 150, restartMs: 1500 }] }; // the Byzantine replica is the highest index
    const r = await run({ seed: 'chunks-byz/7', nodes: 7, byzantine: 1, strategy: 'wrong-digest', tickets: 6, jitterMs: 2, durationMs: 2600, faults, tunables: { checkpointInterval: 4, stateChunkBytes: 1024 } });
    expectSafeAndLive(r, 6);
    expect(r.sentByType['state-chunk'] ?? 0, formatReport(r)).toBeGreaterThan(0);
    const tampered = (r.byzantineActions['wrong-digest state-chunk'] ?? 0) + (r.byzantineActions['wrong-digest state-response'] ?? 0);
    expect(tampered, formatReport(r)).toBeGreaterThan(0);
    expect(r.droppedByReason['bad_state'] ?? 0, formatReport(r)).toBeGreaterThan(0);
  });
});

describe('crash triggers', () => {
  it('crash a replica at the aimed protocol moment, half-way through a broadcast, and it comes back', async () => {
    const lines: string[] = [];
    const r = await run({
      seed: 'trigger',
      nodes: 4,
      tickets: 2,
      // r0, the primary, is down for a while: the others change to view 1, and r2 crashes while it says so
      faults: { healAtMs: 2000, packetLoss: 0, duplicateRate: 0, partitions: [], crashes: [{ replica: 0, atMs: 60, restartMs: 1500 }], triggers: [{ replica: 2, message: 'view-change', nth: 1, copy: 1, downMs: 150 }] },
      onTrace: (l) => lines.push(l),
    });
    expectSafeAndLive(r, 2);
    expect(r.faults).toMatchObject({ crashes: 2, triggeredCrashes: 1 });
    const at = lines.findIndex((l) => / triggered crash r2 before view-change\/1 copy 1 to r\d$/.test(l));
    expect(at, lines.slice(-20).join('\n')).toBeGreaterThan(0);
    // copy 0 of the broadcast went out, the others did not; r2 restarted still changing to view 1
    const restart = lines.findIndex((l) => / restart r2 /.test(l));
    expect(lines[restart]).toMatch(/ restart r2 v1 /);
    expect(lines.slice(0, restart).filter((l) => / r2>r\d view-change\/1$/.test(l))).toHaveLength(1);
  });

  it('are drawn from the seed when asked for, and refused when they name a Byzantine replica or an unknown message', async () => {
    const a = await run({ seed: 5, nodes: 4, byzantine: 1, strategy: 'equivocate', tickets: 2, crashTriggers: 6, durationMs: 2000 });
    const b = await run({ seed: 5, nodes: 4, byzantine: 1, strategy: 'equivocate', tickets: 2, crashTriggers: 6, durationMs: 2000 });
    expectSafeAndLive(a, 2);
    expect(b.traceHash).toBe(a.traceHash);
    expect(a.faults.triggeredCrashes).toBeGreaterThan(0);
    const faults = (t: object) => ({ healAtMs: 1000, packetLoss: 0, duplicateRate: 0, partitions: [], crashes: [], triggers: [{ replica: 2, message: 'commit', nth: 1, copy: 0, downMs: 10, ...t }] }) as never;
    await expect(run({ nodes: 4, byzantine: 1, strategy: 'fork-view', faults: faults({ replica: 1 }) })).rejects.toMatchObject({ code: 'SIM_CONFIG' }); // fork-view's replica is r1
    await expect(run({ nodes: 4, faults: faults({ message: 'gossip' }) })).rejects.toThrow(/triggers\[0\]\.message/);
    await expect(run({ nodes: 4, faults: faults({ nth: 0 }) })).rejects.toThrow(/triggers\[0\]\.nth/);
    await expect(run({ nodes: 4, faults: faults({ downMs: 0 }) })).rejects.toThrow(/triggers\[0\]\.downMs/);
  });
});

describe('what the simulator measures', () => {
  it('p50 commit latency with latency L and no loss is 3L plus the client hop (5L and three 1 ms fsyncs)', async () => {
    const L = 20;
    const r = await run({ seed: 'latency', latencyMs: L, tickets: 4, clientInFlight: 1, durationMs: 4000 });
    expectSafeAndLive(r, 4);
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(3 * L);
    expect(r.latencyMs.p50).toBeLessThanOrEqual(6 * L);
    // request, pre-prepare, prepare, commit, reply: five one-way hops, plus the
    // durable writes of the pre-prepare, the prepare and the commit
    expect(r.latencyMs.p50).toBe(5 * L + 3);
    expect(r.throughputPerSec).toBeGreaterThan(0);
    expect(r.viewChanges).toBe(0);
  });

  it('refuses more Byzantine replicas than ⌊(n−1)/3⌋ with a typed error', async () => {
    const err = await runSimulation({ nodes: 7, byzantine: 3, strategy: 'silent' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationError);
    expect(isAdmitOneError(err, 'SIM_CONFIG')).toBe(true);
    expect((err as SimulationError).meta).toMatchObject({ option: 'byzantine', max: 2 });
    await expect(runSimulation({ nodes: 4, byzantine: 1, strategy: 'none' })).rejects.toMatchObject({ code: 'SIM_CONFIG' });
    await expect(runSimulation({ nodes: 4, faults: { healAtMs: 10, packetLoss: 0, duplicateRate: 0, partitions: [], crashes: [{ replica: 9, atMs: 1, restartMs: 5 }] } })).rejects.toMatchObject({
      code: 'SIM_CONFIG',
    });
  });
});

/**
 * Seeds that reach delicate paths (found by the slow lane), replayed exactly.
 * Each must stay safe and live. A trace depends on the code it runs, so after
 * a change to the replica a seed may take another path: the note says what it
 * exercised when it was added.
 */
const REGRESSIONS: { name: string; options: SimulationOptions; note: string }[] = [
  {
    name: 'a replaying replica cannot grow a view-change storm (answers to stale VIEW-CHANGEs are rate-limited)',
    options: { seed: 626, nodes: 7, byzantine: 1, strategy: 'replay', tickets: 3, jitterMs: 0, storageWriteDelayMs: 5, packetLoss: 0, duplicateRate: 0, partitions: 1, crashes: 1, durationMs: 6000, maxSteps: 200_000 },
    note: 'slow-lane seed 626: r5 answered each replayed VIEW-CHANGE of the replaying r6 with its own, r6 replayed those back, and the exchange doubled every 100 virtual ms (100,000 steps by 4.4 s, no progress); now about 3,000 steps',
  },
  {
    name: 'requests ordered again after view changes, partitions and restarts',
    options: { seed: 203, nodes: 4, byzantine: 0, strategy: 'none', tickets: 4, jitterMs: 10, packetLoss: 0, duplicateRate: 0, partitions: 2, crashes: 2, durationMs: 5000 },
    note: 'slow-lane seed 203: "issue t0" and "validate t0" (seqs 5, 6) are re-proposed at seq 12 by a later primary; the app refuses them as replayed',
  },
  {
    name: 'forged votes under loss, duplication, partitions and crashes',
    options: { seed: 112, nodes: 4, byzantine: 1, strategy: 'forge', tickets: 4, jitterMs: 2, packetLoss: 0.05, duplicateRate: 0.05, partitions: 2, crashes: 2, durationMs: 3000 },
    note: 'slow-lane seed 112: three requests of seqs 6–8 are ordered again at seq 10 after a view change',
  },
  {
    name: 'bug F: replicas restarted in a view change resume it; a NEW-VIEW\'s pre-prepares are stored with it (fork-view primary)',
    options: {
      seed: 272,
      nodes: 4,
      byzantine: 1,
      strategy: 'fork-view',
      tickets: 3,
      jitterMs: 3,
      faults: {
        healAtMs: 3000,
        packetLoss: 0,
        duplicateRate: 0,
        partitions: [{ kind: 'symmetric', side: [3], startMs: 0, endMs: 832 }],
        crashes: [
          { replica: 0, atMs: 720, restartMs: 2500 },
          { replica: 2, atMs: 1064, restartMs: 1184 },
          { replica: 3, atMs: 1090, restartMs: 1214 },
        ],
      },
    },
    note: 'session-19 search (1 of 300 schedules before the fix): r3 prepared the NEW-VIEW\'s pre-prepare for seq 1 in view 1, crashed, and after its restart took r1\'s forked PRE-PREPARE for the same (view, seq) and prepared that too ("two prepares for view 1 seq 1"); restart-view-change.test.ts has the directed versions',
  },
  {
    name: 'bug G: a backup entering a view refuses the new primary\'s PRE-PREPAREs at or below what its NEW-VIEW assigned (fork-view primary, crash triggers)',
    options: { seed: 6, nodes: 4, byzantine: 1, strategy: 'fork-view', tickets: 3, jitterMs: 3, crashes: 1, crashTriggers: 8, partitions: 1, durationMs: 3000 },
    note: 'session-20 search with crash triggers: r3, far behind, got r1\'s NEW-VIEW for view 5 relayed by r0 and, while it was still accepting the NEW-VIEW\'s pre-prepares, took r1\'s own forged PRE-PREPARE for seq 3 on r1\'s link ("two prepares for view 5 seq 3" in one incarnation); restart-view-change.test.ts has the directed version, which ends in two honest replicas executing different batches',
  },
  {
    name: 'bug H: a save resolves only when its records are durable, also when an earlier pending write carries them (crash triggers)',
    options: { seed: 254, nodes: 7, byzantine: 1, strategy: 'slow', tickets: 3, jitterMs: 3, crashes: 0, crashTriggers: 3, partitions: 0, packetLoss: 0.02, storageWriteDelayMs: 5, durationMs: 3000 },
    note: 'session-20 search with crash triggers: a second copy of view 4\'s NEW-VIEW found nothing left to write and entered the view at once, before the first copy\'s write was durable; r6 then relayed the NEW-VIEW, crashed, and came back in view 2 ("had already sent messages in view 4")',
  },
  {
    name: 'equivocating primary',
    options: { seed: 1, tickets: 6, byzantine: 1, strategy: 'equivocate' },
    note: 'conflicting pre-prepares split the backups; one view change, then everyone agrees',
  },
  {
    name: 'slow primary around the view-change timeout',
    options: { seed: 1, tickets: 6, byzantine: 1, strategy: 'slow' },
    note: 'some of r0\'s messages arrive after the timeout: one view change, late pre-prepares dropped as out of window',
  },
  {
    name: 'bug E: three crash-restarts in turn must not lose a committed batch (prepared certificates are persisted)',
    options: {
      seed: 39, nodes: 4, byzantine: 0, strategy: 'none', tickets: 4, jitterMs: 4, storageWriteDelayMs: 2, durationMs: 2000,
      faults: { healAtMs: 2600, packetLoss: 0.02, duplicateRate: 0, partitions: [], crashes: [{ replica: 2, atMs: 415, restartMs: 838 }, { replica: 3, atMs: 1006, restartMs: 1362 }, { replica: 0, atMs: 1532, restartMs: 1967 }] },
    },
    note: 'before the fix a new view filled executed seq 2 with a null batch: honest replicas disagreed',
  },
  {
    name: 'bug A: a replica that missed one COMMIT must not race ahead through views alone',
    options: { seed: 655149, nodes: 4, byzantine: 1, strategy: 'silent', tickets: 2, jitterMs: 2, durationMs: 1000, faults: { healAtMs: 1000, packetLoss: 0.02, duplicateRate: 0, partitions: [], crashes: [] } },
    note: 'before the fix r2 climbed to view 21 while the others sat at 19; nothing committed again',
  },
  {
    name: 'bug B: a request ordered twice keeps its first result (no "replayed" for an executed request)',
    options: { seed: 103, tickets: 4, byzantine: 1, strategy: 'mixed', jitterMs: 5, packetLoss: 0.05, durationMs: 4000 },
    note: 'before the fix the second execution overwrote the cached reply with "replayed"',
  },
  {
    name: 'bug D: the view never goes backwards when a view change starts during a NEW-VIEW write',
    options: { seed: 2, nodes: 7, byzantine: 0, strategy: 'none', tickets: 3, jitterMs: 0, packetLoss: 0.05, partitions: 0, crashes: 2, durationMs: 4000, storageWriteDelayMs: 30 },
    note: 'found once bug A was fixed',
  },
];

describe('the agreed-time checker', () => {
  const ledger = createTicketLedger({ deployment: 'test', crypto: nobleCrypto() });
  const digest = new Uint8Array(32).fill(7);
  const setup = () => {
    let time = 1000;
    const violations: string[] = [];
    const c = createCheckers({ ids: ['r0', 'r1', 'r2', 'r3'], honest: new Set([1, 2, 3]), opOf: () => undefined, digestEverySeq: false, checkpointInterval: 64, maxClockSkewMs: 500, timeToleranceMs: 10, now: () => time, onViolation: (m) => violations.push(m), onAnomaly: () => undefined });
    const prepare = (replica: number, seq: number) => c.sent(replica, 1, { body: { type: 'prepare', view: 0, seq, digest, replica: `r${replica}` }, signature: new Uint8Array(64), bytes: new Uint8Array(0) });
    const execute = (replica: number, seq: number, timestamp: number) =>
      c.executed(replica, 1, { replica: `r${replica}`, view: 0, seq, digest, timestamp, requests: [{ clientId: 'c', requestSeq: seq, readOnly: false }] }, ledger, new Map());
    return { c, violations, prepare, execute, at: (t: number) => void (time = t) };
  };

  it('accepts a time within the bound of the first honest vote, and flags one past it either way', () => {
    const s = setup();
    s.prepare(1, 1);
    s.at(5000); // later votes for the same batch do not move its time
    s.prepare(2, 1);
    s.execute(1, 1, 1000 + 510);
    s.prepare(1, 2);
    s.execute(1, 2, 5000 - 510);
    expect(s.violations).toEqual([]);
    s.prepare(1, 3);
    s.execute(1, 3, 5000 + 511);
    s.prepare(1, 4);
    s.execute(1, 4, 5000 - 511);
    expect(s.violations).toHaveLength(2);
    expect(s.violations[0]).toMatch(/^agreed time: r1 executed seq 3 at timestamp 5511, 511 ms from 5000/);
  });

  it('ignores null batches and batches no honest replica vouched for', () => {
    const s = setup();
    s.c.executed(1, 1, { replica: 'r1', view: 1, seq: 1, digest, timestamp: 0, requests: [] }, ledger, new Map());
    s.execute(2, 2, 10 ** 9);
    expect(s.violations).toEqual([]);
  });
});

describe('regression seeds', () => {
  it.each(REGRESSIONS)('$name', async ({ options }) => {
    const r = await run(options);
    expectSafeAndLive(r, options.tickets ?? 8);
  });
});

describe('fast-check: fault schedules (crashes, partitions, loss, duplication) never break safety, and everything commits after healing', () => {
  const n = 4;
  const windowArb = fc.record({ startMs: fc.integer({ min: 0, max: 1500 }), lengthMs: fc.integer({ min: 50, max: 1200 }) });
  const scheduleArb = fc
    .record({
      partitions: fc.array(
        fc.record({ window: windowArb, kind: fc.constantFrom('symmetric' as const, 'asymmetric' as const), side: fc.subarray([0, 1, 2, 3], { minLength: 1, maxLength: n - 1 }) }),
        { maxLength: 2 },
      ),
      crashes: fc.array(fc.record({ window: windowArb, replica: fc.integer({ min: 0, max: n - 1 }) }), { maxLength: 2 }),
      packetLoss: fc.constantFrom(0, 0.02, 0.05),
      duplicateRate: fc.constantFrom(0, 0.05),
    })
    .map(({ partitions, crashes, packetLoss, duplicateRate }): FaultSchedule => {
      const ps = partitions.map((p) => ({ startMs: p.window.startMs, endMs: p.window.startMs + p.window.lengthMs, kind: p.kind, side: p.side }));
      // one crash window per replica at a time
      const cs = crashes
        .map((c) => ({ replica: c.replica, atMs: c.window.startMs, restartMs: c.window.startMs + c.window.lengthMs }))
        .filter((c, i, all) => !all.slice(0, i).some((o) => o.replica === c.replica && c.atMs < o.restartMs && o.atMs < c.restartMs));
      const healAtMs = Math.max(1000, ...ps.map((p) => p.endMs), ...cs.map((c) => c.restartMs));
      return { healAtMs, packetLoss, duplicateRate, partitions: ps, crashes: cs };
    });

  it('holds for 12 generated schedules at n = 4 (a failure shrinks to a minimal schedule and prints its seed)', async () => {
    await fc.assert(
      fc.asyncProperty(scheduleArb, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 1_000_000 }), async (faults, jitterMs, seed) => {
        const r = await run({ seed, nodes: n, tickets: 2, jitterMs, durationMs: 1000, faults });
        if (!r.ok) throw new Error(formatReport(r));
        return r.committed === r.submitted;
      }),
      { numRuns: 12, seed: 20_240_601, endOnFailure: false },
    );
  });
});
