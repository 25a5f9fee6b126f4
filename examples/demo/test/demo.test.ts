/**
 * The demo end to end: `main(['--json'])` starts a real 4-process venue
 * network (PBFT replicas + identity committee + secret-management committee
 * on loopback WebSocket, LevelDB in a temp dir), runs the story, kills the
 * primary half-way, and reports. Every check must come out as expected.
 */
import { describe, expect, it } from 'vitest';
import { main, parseDemoFlags, type DemoReport } from '../src/main.js';

describe('npm run demo', () => {
  it('parses its flags and refuses unknown ones', () => {
    expect(parseDemoFlags([])).toEqual({ json: false, keep: false, epochMs: 3_000 });
    expect(parseDemoFlags(['--json', '--keep', '--epoch-ms', '2000'])).toEqual({ json: true, keep: true, epochMs: 2_000 });
    expect(() => parseDemoFlags(['--jsn'])).toThrow(/unknown flag/);
    expect(() => parseDemoFlags(['--epoch-ms', 'soon'])).toThrow(/--epoch-ms/);
  });

  it('a usage error exits 2 without starting anything', async () => {
    const err: string[] = [];
    expect(await main(['--nope'], () => {}, (s) => err.push(s))).toBe(2);
    expect(err.join('\n')).toMatch(/usage: npm run demo/);
  });

  it('runs the whole story on a 4-process venue network and every check comes out as expected', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['--json', '--epoch-ms', '2500'], (s) => out.push(s), (s) => err.push(s));
    expect(out).toHaveLength(1); // --json: exactly one JSON object on stdout, progress on stderr
    const report = JSON.parse(out[0] as string) as DemoReport;
    const failed = report.steps.filter((s) => !s.ok);
    expect(failed, err.join('\n')).toEqual([]);
    expect(code).toBe(0);
    expect(report.passed).toBe(true);
    expect(report.conserved).toBe(true);
    expect(report.trades).toHaveLength(2);
    expect(report.killed.newView).toBeGreaterThanOrEqual(1);
    // the story's landmarks are all there, with the committed outcomes the issue names
    const outcome = (re: RegExp) => report.steps.find((s) => re.test(s.action))?.outcome;
    expect(outcome(/enroll alice again/)).toBe('duplicate');
    expect(outcome(/second wallet/)).toBe('rejected: cap_per_person');
    expect(outcome(/over the 55.00 cap/)).toBe('dropped: above_cap');
    expect(outcome(/scans dave’s ticket #\d+ again/)).toBe('admitted → rejected: already_consumed');
    expect(report.nodes).toHaveLength(4);
  }, 120_000);
});
