/**
 * Prometheus metrics of a venue node, on `prom-client` with the node's own
 * `Registry` (never the global one, so several nodes in one process or a
 * test never share counters).
 *
 * - consensus: view, last executed and stable checkpoint sequence numbers,
 *   pending requests, connected replica peers (gauges read at scrape time),
 *   view changes, committed requests and dropped messages by reason
 *   (counters), and the commit latency of relayed requests (histogram);
 * - gate: admissions by operation, result and reason, and scans;
 * - market: the ledger's totals (events, tickets issued, admitted, refunded,
 *   listed, epochs settled; gauges from the contract's `stats`), and sealed
 *   orders by outcome at settlement (counter);
 * - identity: batches, enrollments, duplicates, event credentials and
 *   rejections by reason (counters following the committee member's stats);
 * - HTTP: requests by route and status, and their duration;
 * - the process: prom-client's default metrics (`admitone_process_*`, `admitone_nodejs_*`).
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReplicaStatus } from '@admitone/consensus';
import type { CommitteeMemberStats } from '@admitone/identity';
import type { ContractStats } from '@admitone/market';
import type { MetricsExposition } from './api/backend.js';

/** Where scrape-time values come from. */
export interface MetricsSources {
  /** The replica's status. */
  replica(): ReplicaStatus;
  /** The replica's dropped-message counters by reason. */
  dropped(): Readonly<Record<string, number>>;
  /** Connected replica peers on the ledger mesh. */
  peers(): number;
  /** The identity member's counters (undefined before it started). */
  identity(): CommitteeMemberStats | undefined;
  /** The contract's totals from this replica's state (undefined before the contract exists). */
  stats(): ContractStats | undefined;
}

/** The node's metrics and the hooks that feed them. */
export interface VenueMetrics {
  /** The node's registry. */
  readonly registry: Registry;
  /** A view change started. */
  viewChange(): void;
  /** A batch with `requests` requests was executed. */
  executed(requests: number): void;
  /** A relayed request finished after `ms` with `outcome` (`ok`, `rejected` or an error class). */
  relayed(ms: number, outcome: string): void;
  /** A gate operation (`admit`, `validate`, `consume`) was executed with its result. */
  admission(op: string, result: 'ok' | 'rejected', reason: string): void;
  /** Sealed orders settled with these outcomes (`filled`, `partial`, `unmatched`, `dropped`). */
  ordersSettled(outcomes: readonly string[]): void;
  /** An HTTP request was answered. */
  http(route: string, method: string, status: number, ms: number): void;
  /** The exposition text and its content type. */
  render(): Promise<MetricsExposition>;
}

/** Creates the metrics of one node (a fresh registry with default process metrics). */
export function createVenueMetrics(sources: MetricsSources, labels: { readonly node: string }): VenueMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: labels.node });
  collectDefaultMetrics({ register: registry, prefix: 'admitone_' });
  const registers = [registry];

  // consensus
  const gauge = (name: string, help: string, read: (s: ReplicaStatus) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(sources.replica()));
      },
    });
  gauge('admitone_consensus_view', 'Current PBFT view.', (s) => s.view);
  gauge('admitone_consensus_last_executed_seq', 'Last executed sequence number.', (s) => s.lastExecuted);
  gauge('admitone_consensus_stable_checkpoint_seq', 'Sequence number of the last stable checkpoint.', (s) => s.stableSeq);
  gauge('admitone_consensus_pending_requests', 'Client requests waiting to be ordered at this replica.', (s) => s.pendingRequests);
  gauge('admitone_consensus_view_changing', '1 while a view change is under way.', (s) => (s.viewChanging ? 1 : 0));
  new Gauge({
    name: 'admitone_consensus_connected_peers',
    help: 'Replica peers connected on the ledger mesh.',
    registers,
    collect() {
      this.set(sources.peers());
    },
  });
  const viewChanges = new Counter({ name: 'admitone_consensus_view_changes_total', help: 'View changes started by this replica.', registers });
  const committed = new Counter({ name: 'admitone_consensus_committed_requests_total', help: 'Requests executed by this replica.', registers });
  const batches = new Counter({ name: 'admitone_consensus_executed_batches_total', help: 'Batches executed by this replica.', registers });
  const seenDrops = new Map<string, number>();
  new Counter({
    name: 'admitone_consensus_dropped_messages_total',
    help: 'Protocol messages the replica dropped, by reason.',
    labelNames: ['reason'],
    registers,
    collect() {
      for (const [reason, count] of Object.entries(sources.dropped())) {
        const delta = count - (seenDrops.get(reason) ?? 0);
        if (delta > 0) this.inc({ reason }, delta);
        seenDrops.set(reason, count);
      }
    },
  });
  const latency = new Histogram({
    name: 'admitone_consensus_commit_latency_seconds',
    help: 'Time from relaying a signed request to f+1 matching replies.',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });

  // gate
  const admissions = new Counter({ name: 'admitone_gate_admissions_total', help: 'Gate operations executed, by operation, result and rejection reason.', labelNames: ['op', 'result', 'reason'], registers });
  const scans = new Counter({ name: 'admitone_gate_scans_total', help: 'Gate scans executed (admit, validate, consume).', labelNames: ['op'], registers });

  // market
  const marketGauge = (name: string, help: string, read: (s: ContractStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const s = sources.stats();
        if (s !== undefined) this.set(read(s));
      },
    });
  marketGauge('admitone_market_events', 'Events on the ledger.', (s) => s.events);
  marketGauge('admitone_market_tickets_issued', 'Tickets issued on the ledger.', (s) => s.tickets);
  marketGauge('admitone_market_tickets_admitted', 'Tickets consumed at a gate.', (s) => s.admitted);
  marketGauge('admitone_market_tickets_refunded', 'Tickets refunded.', (s) => s.refunded);
  marketGauge('admitone_market_tickets_listed', 'Tickets listed for resale right now.', (s) => s.listed);
  marketGauge('admitone_market_epochs_settled', 'Sealed-order epochs settled.', (s) => s.settledEpochs);
  const orders = new Counter({ name: 'admitone_market_orders_total', help: 'Sealed orders settled by this replica, by outcome.', labelNames: ['outcome'], registers });

  // identity
  const identityCounter = (name: string, help: string, read: (s: CommitteeMemberStats) => number) => {
    let seen = 0;
    return new Counter({
      name,
      help,
      registers,
      collect() {
        const s = sources.identity();
        if (s === undefined) return;
        const now = read(s);
        if (now > seen) this.inc(now - seen);
        seen = Math.max(seen, now);
      },
    });
  };
  identityCounter('admitone_identity_batches_total', 'Identity request batches processed.', (s) => s.batches);
  identityCounter('admitone_identity_enrolled_total', 'Master credentials issued.', (s) => s.enrolled);
  identityCounter('admitone_identity_duplicates_total', 'Enrollments refused as duplicates.', (s) => s.duplicates);
  identityCounter('admitone_identity_event_credentials_total', 'Event credentials issued.', (s) => s.eventCredentials);
  const seenRejections = new Map<string, number>();
  new Counter({
    name: 'admitone_identity_rejections_total',
    help: 'Identity requests refused by this member, by reason.',
    labelNames: ['reason'],
    registers,
    collect() {
      const s = sources.identity();
      if (s === undefined) return;
      for (const [reason, count] of Object.entries(s.rejected)) {
        const delta = (count ?? 0) - (seenRejections.get(reason) ?? 0);
        if (delta > 0) this.inc({ reason }, delta);
        seenRejections.set(reason, count ?? 0);
      }
    },
  });
  new Gauge({
    name: 'admitone_identity_tuples_ready',
    help: 'Preprocessed MPC power tuples ready at this member.',
    registers,
    collect() {
      const s = sources.identity();
      if (s !== undefined) this.set(s.tuples);
    },
  });

  // http
  const httpRequests = new Counter({ name: 'admitone_http_requests_total', help: 'HTTP requests answered, by route, method and status.', labelNames: ['route', 'method', 'status'], registers });
  const httpDuration = new Histogram({
    name: 'admitone_http_request_duration_seconds',
    help: 'HTTP request duration, by route.',
    labelNames: ['route'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers,
  });

  return {
    registry,
    viewChange: () => viewChanges.inc(),
    executed(requests) {
      batches.inc();
      if (requests > 0) committed.inc(requests);
    },
    relayed: (ms, outcome) => latency.observe({ outcome }, ms / 1000),
    admission(op, result, reason) {
      scans.inc({ op });
      admissions.inc({ op, result, reason });
    },
    ordersSettled(outcomes) {
      for (const outcome of outcomes) orders.inc({ outcome });
    },
    http(route, method, status, ms) {
      httpRequests.inc({ route, method, status: String(status) });
      httpDuration.observe({ route }, ms / 1000);
    },
    async render() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}
