/**
 * Fault schedules: when partitions open and heal, which honest replicas crash
 * and restart, and how lossy the network is until everything heals. A
 * schedule is plain data, so fast-check can generate (and shrink) it directly,
 * and the simulator can also derive one from its seed.
 * @module
 */
import type { Random } from '@admitone/core';
import { SimulationError } from './options.js';

/**
 * A window during which some links drop every message. Replica indices refer
 * to the membership order (`r0`, `r1`, …); clients are never partitioned.
 */
export interface PartitionWindow {
  /** When the partition opens (virtual ms). */
  readonly startMs: number;
  /** When it heals (virtual ms, > `startMs`). */
  readonly endMs: number;
  /**
   * `symmetric`: no message crosses between `side` and the other replicas, in
   * either direction. `asymmetric`: messages *from* `side` to the other
   * replicas are dropped, the other direction still works.
   */
  readonly kind: 'symmetric' | 'asymmetric';
  /** Replica indices on one side (non-empty, not every replica). */
  readonly side: readonly number[];
}

/** An honest replica crashes at `atMs` and restarts from its durable storage at `restartMs`. */
export interface CrashWindow {
  /** The replica index (must be honest). */
  readonly replica: number;
  /** When it crashes: in-flight messages to it and unsynced writes are lost. */
  readonly atMs: number;
  /** When it restarts (> `atMs`). */
  readonly restartMs: number;
}

/**
 * The kinds of outgoing message a {@link CrashTrigger} can aim at: the
 * replica's signed protocol messages, and `reply` (the replies to clients
 * after it executed a batch).
 */
export const CRASH_TRIGGER_MESSAGES = [
  'pre-prepare',
  'prepare',
  'commit',
  'checkpoint',
  'view-change',
  'new-view',
  'state-request',
  'state-response',
  'state-chunk-request',
  'state-chunk',
  'reply',
] as const;

/** One of {@link CRASH_TRIGGER_MESSAGES}. */
export type CrashTriggerMessage = (typeof CRASH_TRIGGER_MESSAGES)[number];

/**
 * A crash aimed at a protocol moment instead of a time: honest replica
 * `replica` crashes while it sends a message of kind `message` (its `nth` such
 * message or a later one), right before the copy with index `copy` leaves
 * (copies go to the peers one at a time; `copy` 0 means before any), so the
 * other copies of a broadcast never go out. Unsynced writes are lost as in a
 * {@link CrashWindow}. It restarts from its durable storage `downMs` later
 * (or at `healAtMs`, whichever is first).
 *
 * Time-drawn crashes rarely land inside a view change or between a durable
 * write and the broadcast that follows it; these do by construction. A
 * trigger fires at most once, and not while the replica is down, after
 * `healAtMs`, or when its down time would overlap a {@link CrashWindow} of
 * the same replica.
 */
export interface CrashTrigger {
  /** The replica index (must be honest). */
  readonly replica: number;
  /** The kind of outgoing message that sets it off. */
  readonly message: CrashTriggerMessage;
  /** The first message of that kind (counted from 1 over the replica's whole run, across restarts) at which it may fire. */
  readonly nth: number;
  /** The copy before which it crashes (0-based, in send order); a message with fewer copies does not set it off. */
  readonly copy: number;
  /** How long the replica stays down (virtual ms, > 0). */
  readonly downMs: number;
}

/** Every fault of one run. After `healAtMs` the network is perfect and every replica is up. */
export interface FaultSchedule {
  /** When all faults stop: no loss or duplication afterwards; partitions and crashes must end by then. */
  readonly healAtMs: number;
  /** Probability of losing each message before `healAtMs`. */
  readonly packetLoss: number;
  /** Probability of delivering a message twice before `healAtMs`. */
  readonly duplicateRate: number;
  /** Partition windows. */
  readonly partitions: readonly PartitionWindow[];
  /** Crash-restart windows. */
  readonly crashes: readonly CrashWindow[];
  /** Crashes set off by what a replica sends (none when absent). */
  readonly triggers?: readonly CrashTrigger[];
}

/** What {@link generateFaultSchedule} needs. */
export interface FaultPlan {
  readonly nodes: number;
  /** Indices of honest replicas (only they crash). */
  readonly honest: readonly number[];
  readonly partitions: number;
  readonly crashes: number;
  readonly durationMs: number;
  readonly packetLoss: number;
  readonly duplicateRate: number;
  /** Shortest partition or crash window, e.g. two view-change timeouts. */
  readonly minWindowMs: number;
  /** Number of {@link CrashTrigger}s to draw (default 0). */
  readonly triggers?: number;
}

/**
 * Derives a schedule from `random`: partitions and crashes each get their own
 * equal slots of `[0, durationMs)`, so windows of one kind never overlap;
 * each window opens in the first half of its slot and closes by the slot's
 * end. Sides and crashed replicas are drawn uniformly.
 */
export function generateFaultSchedule(random: Random, plan: FaultPlan): FaultSchedule {
  const windows = (count: number): { start: number; end: number }[] => {
    const out: { start: number; end: number }[] = [];
    if (count === 0 || plan.durationMs <= 0) return out;
    const slot = Math.floor(plan.durationMs / count);
    for (let i = 0; i < count; i++) {
      const slotStart = i * slot;
      const start = slotStart + random.int(Math.max(1, Math.floor(slot / 2)));
      const minEnd = Math.min(slotStart + slot, start + plan.minWindowMs);
      const end = minEnd + random.int(Math.max(1, slotStart + slot - minEnd + 1));
      if (end > start) out.push({ start, end: Math.min(end, plan.durationMs) });
    }
    return out;
  };
  const partitions: PartitionWindow[] = windows(plan.partitions).map(({ start, end }) => {
    const all = Array.from({ length: plan.nodes }, (_, i) => i);
    shuffle(random, all);
    const size = 1 + random.int(plan.nodes - 1);
    return { startMs: start, endMs: end, kind: random.int(2) === 0 ? 'symmetric' : 'asymmetric', side: all.slice(0, size).sort((a, b) => a - b) };
  });
  const crashes: CrashWindow[] =
    plan.honest.length === 0
      ? []
      : windows(plan.crashes).map(({ start, end }) => ({ replica: plan.honest[random.int(plan.honest.length)] as number, atMs: start, restartMs: end }));
  const schedule: FaultSchedule = { healAtMs: plan.durationMs, packetLoss: plan.packetLoss, duplicateRate: plan.duplicateRate, partitions, crashes };
  // drawn after everything else, so a plan without triggers draws exactly what it did before they existed
  const triggerCount = plan.triggers ?? 0;
  if (triggerCount === 0 || plan.honest.length === 0) return schedule;
  return { ...schedule, triggers: drawCrashTriggers(random, { nodes: plan.nodes, replicas: plan.honest, count: triggerCount, maxDownMs: 2 * plan.minWindowMs }) };
}

/**
 * Message kinds a drawn trigger aims at, view changes weighted up: they are
 * rare in a run, and crashes inside them are what time-drawn windows miss.
 */
const DRAWN_TRIGGER_MESSAGES: readonly CrashTriggerMessage[] = [
  'view-change',
  'view-change',
  'view-change',
  'new-view',
  'new-view',
  'pre-prepare',
  'prepare',
  'commit',
  'checkpoint',
  'state-request',
  'state-response',
  'reply',
];

/**
 * Draws `count` {@link CrashTrigger}s on `replicas` (indices of honest
 * replicas, non-empty) of an `nodes`-replica cluster, each down for 1 to
 * `maxDownMs` ms. {@link generateFaultSchedule} uses it; so can a hand-built
 * schedule.
 */
export function drawCrashTriggers(random: Random, o: { readonly nodes: number; readonly replicas: readonly number[]; readonly count: number; readonly maxDownMs: number }): CrashTrigger[] {
  return Array.from({ length: o.count }, () => {
    const message = DRAWN_TRIGGER_MESSAGES[random.int(DRAWN_TRIGGER_MESSAGES.length)] as CrashTriggerMessage;
    const replica = o.replicas[random.int(o.replicas.length)] as number;
    // a replica sends few view-change and new-view messages in a run, and many votes
    const nth = 1 + random.int(message === 'view-change' || message === 'new-view' ? 2 : 12);
    const copy = message === 'state-request' || message === 'reply' ? 0 : random.int(o.nodes - 1);
    const downMs = 1 + random.int(Math.max(1, o.maxDownMs));
    return { replica, message, nth, copy, downMs };
  });
}

/**
 * Checks a schedule against the cluster: replica indices in range, crashes of
 * honest replicas only and never overlapping for one replica, windows that end
 * by `healAtMs`. Throws {@link SimulationError} (`SIM_CONFIG`).
 */
export function checkFaultSchedule(s: FaultSchedule, nodes: number, honest: ReadonlySet<number>): void {
  const fail = (msg: string): never => {
    throw new SimulationError('SIM_CONFIG', `faults: ${msg}`);
  };
  const time = (x: number, name: string) => {
    if (!Number.isFinite(x) || x < 0) fail(`${name} must be a finite time ≥ 0, got ${String(x)}`);
  };
  time(s.healAtMs, 'healAtMs');
  for (const [name, p] of [['packetLoss', s.packetLoss], ['duplicateRate', s.duplicateRate]] as const) {
    if (!(p >= 0 && p <= 1)) fail(`${name} must be in [0, 1], got ${String(p)}`);
  }
  for (const [i, p] of s.partitions.entries()) {
    time(p.startMs, `partitions[${i}].startMs`);
    if (!(p.endMs > p.startMs && p.endMs <= s.healAtMs)) fail(`partitions[${i}] must end after it starts and by healAtMs`);
    if (p.side.length === 0 || p.side.length >= nodes || p.side.some((r) => !Number.isInteger(r) || r < 0 || r >= nodes)) {
      fail(`partitions[${i}].side must hold some but not all replica indices in [0, ${nodes})`);
    }
  }
  const busy = new Map<number, { atMs: number; restartMs: number }[]>();
  for (const [i, c] of s.crashes.entries()) {
    time(c.atMs, `crashes[${i}].atMs`);
    if (!honest.has(c.replica)) fail(`crashes[${i}].replica must be an honest replica index, got ${String(c.replica)}`);
    if (!(c.restartMs > c.atMs && c.restartMs <= s.healAtMs)) fail(`crashes[${i}] must restart after it crashes and by healAtMs`);
    const list = busy.get(c.replica) ?? [];
    if (list.some((o) => c.atMs < o.restartMs && o.atMs < c.restartMs)) fail(`crashes[${i}] overlaps another crash of replica ${c.replica}`);
    list.push(c);
    busy.set(c.replica, list);
  }
  for (const [i, t] of (s.triggers ?? []).entries()) {
    if (!honest.has(t.replica)) fail(`triggers[${i}].replica must be an honest replica index, got ${String(t.replica)}`);
    if (!(CRASH_TRIGGER_MESSAGES as readonly string[]).includes(t.message)) fail(`triggers[${i}].message must be one of ${CRASH_TRIGGER_MESSAGES.join('|')}, got ${String(t.message)}`);
    if (!Number.isSafeInteger(t.nth) || t.nth < 1) fail(`triggers[${i}].nth must be an integer ≥ 1, got ${String(t.nth)}`);
    if (!Number.isSafeInteger(t.copy) || t.copy < 0 || t.copy >= nodes) fail(`triggers[${i}].copy must be an integer in [0, ${nodes}), got ${String(t.copy)}`);
    if (!(Number.isFinite(t.downMs) && t.downMs > 0)) fail(`triggers[${i}].downMs must be a finite time > 0, got ${String(t.downMs)}`);
  }
}

/** True when the active partitions at `now` drop messages from replica `from` to replica `to`. */
export function linkBlocked(s: FaultSchedule, from: number, to: number, now: number): boolean {
  for (const p of s.partitions) {
    if (now < p.startMs || now >= p.endMs) continue;
    const a = p.side.includes(from);
    const b = p.side.includes(to);
    if (a === b) continue;
    if (p.kind === 'symmetric' || a) return true;
  }
  return false;
}

function shuffle<T>(random: Random, a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = a[i] as T;
    a[i] = a[j] as T;
    a[j] = t;
  }
}
