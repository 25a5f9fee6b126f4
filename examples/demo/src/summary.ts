/**
 * The demo's summary: a plain-text table for people, one JSON object for
 * machines.
 * @module
 */
import type { StorySummary } from './story.js';

/** Renders the summary as a fixed-width table (no colours, so it reads the same in logs). */
export function renderSummary(summary: StorySummary, network: { readonly nodes: number; readonly dataDir: string }): string {
  const rows = summary.steps.map((s) => [String(s.step), s.ok ? 'ok' : 'FAIL', s.action, s.outcome]);
  const head = ['step', 'check', 'what', 'committed outcome'];
  const widths = head.map((h, i) => Math.min(i === 2 ? 72 : 48, Math.max(h.length, ...rows.map((r) => (r[i] as string).length))));
  const cell = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => cell(c, widths[i] as number)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const passed = summary.steps.filter((s) => s.ok).length;
  const out = [
    '',
    'Summary',
    line(head),
    rule,
    ...rows.map(line),
    '',
    `checks:          ${passed}/${summary.steps.length} as expected`,
    `venue:           ${network.nodes} PBFT replicas + identity committee + secret-management committee, LevelDB under ${network.dataDir}`,
    `committed ops:   ${summary.committedOps} (commit latency p50 ${summary.commitP50Ms} ms, p99 ${summary.commitP99Ms} ms, view change included)`,
    `primary killed:  ${summary.killed.replica} → the cluster moved to view ${summary.killed.newView ?? '?'}`,
    `resale trades:   ${summary.trades.map((t) => `epoch ${t.epoch} #${t.serial} at ${t.price} (royalty ${t.royalty})`).join('; ') || 'none'}`,
    `money conserved: ${summary.conserved ? 'yes' : 'NO'} (deposited − withdrawn = balances + escrow)`,
    `duration:        ${(summary.durationMs / 1000).toFixed(1)} s`,
  ];
  return out.join('\n');
}

/** True when every check came out as expected and money is conserved. */
export function storyPassed(summary: StorySummary): boolean {
  return summary.conserved && summary.steps.length > 0 && summary.steps.every((s) => s.ok);
}
