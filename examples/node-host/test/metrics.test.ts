/**
 * The node's Prometheus metrics with fake sources: gauges read at scrape
 * time, counters fed by hooks, counters that follow cumulative sources by
 * delta, and one registry per node (two nodes never share a counter).
 */
import { describe, expect, it } from 'vitest';
import type { ReplicaStatus } from '@admitone/consensus';
import type { CommitteeMemberStats } from '@admitone/identity';
import type { ContractStats } from '@admitone/market';
import { createVenueMetrics } from '../src/metrics.js';

function sources() {
  const s = {
    status: { id: 'n0', view: 3, viewChanging: false, primary: 'n3', lastExecuted: 42, stableSeq: 32, highWatermark: 288, pendingRequests: 5 } as ReplicaStatus,
    dropped: { bad_signature: 2 } as Record<string, number>,
    identity: { batches: 1, enrolled: 2, duplicates: 1, eventCredentials: 2, derived: 0, rejected: { stale: 1 }, suspects: [], tuples: 91 } as CommitteeMemberStats,
    stats: { events: 1, tickets: 4, admitted: 2, refunded: 0, listed: 1, settledEpochs: 3 } as ContractStats,
  };
  return {
    s,
    sources: { replica: () => s.status, dropped: () => s.dropped, peers: () => 3, identity: () => s.identity, stats: () => s.stats },
  };
}

function value(text: string, line: RegExp): number {
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? Number.NaN : Number(found.split(' ').pop());
}

describe('venue metrics', () => {
  it('exposes consensus, gate, market, identity, http and process metrics', async () => {
    const { sources: src } = sources();
    const m = createVenueMetrics(src, { node: 'n0' });
    m.viewChange();
    m.executed(7);
    m.executed(0);
    m.relayed(12, 'ok');
    m.admission('admit', 'ok', '');
    m.admission('admit', 'rejected', 'already_consumed');
    m.ordersSettled(['filled', 'filled', 'dropped']);
    m.http('/api/v1/stats', 'GET', 200, 3);
    const { contentType, text } = await m.render();
    expect(contentType).toContain('text/plain');
    expect(value(text, /^admitone_consensus_view\{/)).toBe(3);
    expect(value(text, /^admitone_consensus_last_executed_seq\{/)).toBe(42);
    expect(value(text, /^admitone_consensus_stable_checkpoint_seq\{/)).toBe(32);
    expect(value(text, /^admitone_consensus_pending_requests\{/)).toBe(5);
    expect(value(text, /^admitone_consensus_connected_peers\{/)).toBe(3);
    expect(value(text, /^admitone_consensus_view_changes_total\{/)).toBe(1);
    expect(value(text, /^admitone_consensus_committed_requests_total\{/)).toBe(7);
    expect(value(text, /^admitone_consensus_executed_batches_total\{/)).toBe(2);
    expect(value(text, /^admitone_consensus_dropped_messages_total\{.*reason="bad_signature"/)).toBe(2);
    expect(value(text, /^admitone_consensus_commit_latency_seconds_count\{.*outcome="ok"/)).toBe(1);
    expect(value(text, /^admitone_gate_admissions_total\{.*reason="already_consumed"/)).toBe(1);
    expect(value(text, /^admitone_gate_scans_total\{.*op="admit"/)).toBe(2);
    expect(value(text, /^admitone_market_tickets_issued\{/)).toBe(4);
    expect(value(text, /^admitone_market_tickets_admitted\{/)).toBe(2);
    expect(value(text, /^admitone_market_epochs_settled\{/)).toBe(3);
    expect(value(text, /^admitone_market_orders_total\{.*outcome="filled"/)).toBe(2);
    expect(value(text, /^admitone_identity_enrolled_total\{/)).toBe(2);
    expect(value(text, /^admitone_identity_rejections_total\{.*reason="stale"/)).toBe(1);
    expect(value(text, /^admitone_http_requests_total\{.*route="\/api\/v1\/stats"/)).toBe(1);
    expect(text).toContain('admitone_process_cpu_user_seconds_total');
    expect(text).toContain('node="n0"');
  });

  it('follows cumulative sources by delta, and keeps one registry per node', async () => {
    const a = sources();
    const b = sources();
    const ma = createVenueMetrics(a.sources, { node: 'a' });
    const mb = createVenueMetrics(b.sources, { node: 'b' });
    await ma.render();
    a.s.dropped['bad_signature'] = 5;
    a.s.identity = { ...a.s.identity, enrolled: 6, rejected: { stale: 1, replayed: 2 } };
    ma.executed(3);
    const text = (await ma.render()).text;
    expect(value(text, /^admitone_consensus_dropped_messages_total\{.*reason="bad_signature"/)).toBe(5);
    expect(value(text, /^admitone_identity_enrolled_total\{/)).toBe(6);
    expect(value(text, /^admitone_identity_rejections_total\{.*reason="replayed"/)).toBe(2);
    const other = (await mb.render()).text;
    expect(value(other, /^admitone_consensus_committed_requests_total\{/)).toBe(0);
    expect(value(other, /^admitone_identity_enrolled_total\{/)).toBe(2);
  });
});
