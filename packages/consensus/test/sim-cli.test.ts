/**
 * The `admitone-sim` CLI: the bin script (run as a user would, from the
 * source tree without a build), its JSON report, its exit codes, and that the
 * CLI's fast native Ed25519 gives the very trace the library gives with noble.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nobleCrypto } from '@admitone/core';
import { main, parseCliArgs } from '../src/sim/cli.js';
import { runSimulation, type SimulationReport } from '../src/sim/index.js';

const bin = fileURLToPath(new URL('../bin/admitone-sim.mjs', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
const SMALL = ['--nodes', '4', '--byzantine', '1', '--tickets', '3', '--latency', '10', '--seed', '42'];

function capture() {
  let out = '';
  let err = '';
  return { io: { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } }, out: () => out, err: () => err };
}

describe('admitone-sim (bin script)', () => {
  it('prints one JSON object with the documented fields, and the same seed gives the same traceHash', () => {
    const first = cli(...SMALL, '--json');
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0] as string) as SimulationReport;
    expect(r).toMatchObject({ seed: 42, nodes: 4, byzantine: 1, strategy: 'mixed', tickets: 3, safetyViolations: [], doubleConsumes: 0, livenessFailures: [], ok: true });
    expect(r.submitted).toBe(1 + 3 + 4 * 3);
    expect(r.committed).toBe(r.submitted);
    expect(r.viewChanges).toBeGreaterThanOrEqual(0);
    expect(r.latencyMs.p50).toBeGreaterThan(0);
    expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50);
    expect(r.throughputPerSec).toBeGreaterThan(0);
    expect(r.traceHash).toMatch(/^[0-9a-f]{64}$/);
    const second = cli(...SMALL, '--json');
    expect((JSON.parse(second.stdout) as SimulationReport).traceHash).toBe(r.traceHash);
  });

  it('refuses --byzantine 3 --nodes 7 with exit status 2 and says why', () => {
    const res = cli('--nodes', '7', '--byzantine', '3');
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('--byzantine 3');
    expect(res.stderr).toContain('⌊(N−1)/3⌋ = 2');
  });

  it('prints a human summary with the seed and the trace hash', () => {
    const res = cli(...SMALL, '--strategy', 'forge', '--jitter', '5', '--packet-loss', '0.02');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('admitone-sim seed=42 n=4 byzantine=1 (r3=forge)');
    expect(res.stdout).toMatch(/traceHash +[0-9a-f]{64}/);
    expect(res.stdout).toMatch(/safety +ok/);
  });
});

describe('admitone-sim (in process)', () => {
  it('uses native Ed25519 but reproduces the library run with noble exactly', async () => {
    const { options } = parseCliArgs(SMALL);
    const c = capture();
    expect(await main([...SMALL, '--json'], c.io)).toBe(0);
    const viaCli = JSON.parse(c.out()) as SimulationReport;
    const { crypto: _native, ...rest } = options;
    const viaLibrary = await runSimulation({ ...rest, crypto: nobleCrypto() });
    expect(viaLibrary.traceHash).toBe(viaCli.traceHash);
    expect(viaLibrary).toEqual(viaCli);
  });

  it('maps the flags onto simulation options', () => {
    const { options, json } = parseCliArgs(['--partition', '--crash', '--jitter', '7', '--packet-loss', '0.1', '--duration', '2.5', '--strategy', 'silent', '--seed', 'abc', '--json'], () => 5);
    expect(json).toBe(true);
    expect(options).toMatchObject({ nodes: 7, byzantine: 2, strategy: 'silent', tickets: 100, seed: 'abc', latencyMs: 50, jitterMs: 7, packetLoss: 0.1, partitions: 2, crashes: 2, durationMs: 2500 });
    expect(parseCliArgs([], () => 5).options).toMatchObject({ seed: 5, byzantine: 2, strategy: 'mixed' });
    // without --byzantine, small clusters get as many Byzantine replicas as they tolerate
    expect(parseCliArgs(['--nodes', '4']).options.byzantine).toBe(1);
  });

  it.each([
    [['--packet-loss', '1.5'], '--packet-loss'],
    [['--nodes', '3'], '--nodes'],
    [['--strategy', 'sneaky'], '--strategy'],
    [['--byzantine', '0', '--strategy', 'forge'], '--strategy forge'],
    [['--packet-loss', '0x1'], '--packet-loss'],
    [['--packet-loss', '1e-1'], '--packet-loss'],
    [['--duration', '0'], '--duration'],
    [['--duration', '0.0001'], '--duration'],
    [['--duration', '0x10'], '--duration'],
    [['--frobnicate'], 'frobnicate'],
  ])('exits 2 on bad flags: %j', async (argv, mention) => {
    const c = capture();
    expect(await main(argv, c.io)).toBe(2);
    expect(c.err()).toContain(mention);
    expect(c.out()).toBe('');
  });

  it('prints its usage with --help', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out()).toContain('--byzantine F');
  });
});
