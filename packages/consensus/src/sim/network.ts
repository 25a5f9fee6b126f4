/**
 * The simulated packet network: a {@link DeliveryScheduler} for core's
 * `memoryNetwork` that delivers each envelope on the virtual clock after a
 * latency plus jitter (so messages reorder), and loses, duplicates or
 * partitions messages according to a {@link FaultSchedule}.
 * @module
 */
import type { Clock, DeliveryScheduler, Envelope, Random } from '@admitone/core';
import { linkBlocked, type FaultSchedule } from './faults.js';
import type { Trace } from './trace.js';

/** Counters of what the network did. */
export interface NetworkCounters {
  /** Envelopes handed to the scheduler. */
  sent: number;
  /** Deliveries performed (a duplicated envelope counts twice). */
  delivered: number;
  /** Envelopes lost to random packet loss. */
  lost: number;
  /** Envelopes dropped by a partition (at send or at delivery time). */
  partitioned: number;
  /** Envelopes delivered a second time. */
  duplicated: number;
}

/** Options of {@link createSimNetwork}. */
export interface SimNetworkOptions {
  readonly clock: Clock;
  /** Draws loss, duplication and jitter, in send order. */
  readonly random: Random;
  readonly trace: Trace;
  readonly faults: FaultSchedule;
  readonly latencyMs: number;
  readonly jitterMs: number;
  /** Replica index of a peer id, or `undefined` for clients (never partitioned). */
  readonly replicaIndex: (peer: string) => number | undefined;
}

/** The scheduler and its counters. */
export interface SimNetwork {
  /** Pass to `memoryNetwork({ schedule })`. */
  readonly scheduler: DeliveryScheduler;
  readonly counters: NetworkCounters;
  /**
   * Runs `send` (which must post synchronously, as the memory transport does)
   * with `label` attached to the envelopes it creates, for the trace.
   */
  labelled<T>(label: string, send: () => T): T;
}

/**
 * Creates the simulated network. Per envelope, in send order:
 * 1. dropped if a partition separates sender and receiver now;
 * 2. before `healAtMs`: lost with probability `packetLoss`, else delivered
 *    twice with probability `duplicateRate`;
 * 3. each delivery is a virtual timer `latencyMs + U[0, jitterMs]` later, and
 *    is dropped if a partition separates the peers at that time.
 * Every decision becomes a trace line with the envelope id.
 */
export function createSimNetwork(options: SimNetworkOptions): SimNetwork {
  const { clock, random, trace, faults, latencyMs, jitterMs, replicaIndex } = options;
  const counters: NetworkCounters = { sent: 0, delivered: 0, lost: 0, partitioned: 0, duplicated: 0 };
  let label = '';
  const blocked = (e: Envelope, now: number): boolean => {
    const a = replicaIndex(e.from);
    const b = replicaIndex(e.to);
    return a !== undefined && b !== undefined && linkBlocked(faults, a, b, now);
  };
  const scheduler: DeliveryScheduler = (envelope, deliver) => {
    counters.sent++;
    const now = clock.now();
    const tag = `${envelope.id} ${envelope.from}>${envelope.to}${label === '' ? '' : ` ${label}`}`;
    if (blocked(envelope, now)) {
      counters.partitioned++;
      trace.record(`x ${tag} partition`);
      return;
    }
    let copies = 1;
    if (now < faults.healAtMs) {
      if (faults.packetLoss > 0 && random.float() < faults.packetLoss) {
        counters.lost++;
        trace.record(`x ${tag} loss`);
        return;
      }
      if (faults.duplicateRate > 0 && random.float() < faults.duplicateRate) copies = 2;
    }
    for (let c = 0; c < copies; c++) {
      const delay = latencyMs + (jitterMs > 0 ? random.int(jitterMs + 1) : 0);
      clock.setTimeout(() => {
        if (blocked(envelope, clock.now())) {
          counters.partitioned++;
          trace.record(`x ${tag} partition`);
          return;
        }
        counters.delivered++;
        if (c > 0) counters.duplicated++;
        trace.record(`d ${tag}${c > 0 ? ' dup' : ''}`);
        deliver();
      }, delay);
    }
  };
  return {
    scheduler,
    counters,
    labelled(l, send) {
      const before = label;
      label = l;
      try {
        return send();
      } finally {
        label = before;
      }
    },
  };
}
