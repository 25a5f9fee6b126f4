/**
 * `npm run bench [-- --quick]`: runs every package's benchmark, one child
 * process at a time (they measure the CPU), collects the figures each one
 * reports through `bench/figures.ts` (env `ADMITONE_BENCH_OUT`), and writes:
 *
 * - `bench/results.json`: one flat object of numbers (figures + numeric machine info);
 * - `bench/machine.json`: the machine's strings (CPU model, Node version, date, git commit, mode);
 * - `docs/BENCHMARKS.md`: every figure beside its limit and target (see `bench/spec.ts`).
 *
 * It exits non-zero, and leaves the previous report in place, when a bench
 * fails or times out, a figure is reported twice or is malformed, or a key of
 * `bench/spec.ts` is missing.
 *
 * Flags:
 * - `--quick` (or env `ADMITONE_BENCH_QUICK=1`): fewer iterations and smaller
 *   loads, the same code paths and every key; under 3 minutes on 2 cores.
 * - `--only=core,market`: run only these benches and print their figures; the
 *   report files are not written (a partial report would hide missing keys).
 * - `--report`: run nothing; regenerate `docs/BENCHMARKS.md` from the existing
 *   `bench/results.json` and `bench/machine.json`.
 *
 * Run from the repository root: `tsx --conditions=admitone-source bench/run.ts`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkFigures } from './figures.js';
import { renderMarkdown, type Machine, type Results } from './markdown.js';
import { missingKeys } from './spec.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results.json');
const MACHINE = join(ROOT, 'bench', 'machine.json');
const MARKDOWN = join(ROOT, 'docs', 'BENCHMARKS.md');

/** One package benchmark, run as `tsx --conditions=admitone-source bench/index.ts` in its directory. */
interface BenchTarget {
  readonly name: string;
  readonly dir: string;
  /** Kill the bench (and fail the run) after this many seconds: [full, quick]. */
  readonly timeoutS: readonly [number, number];
}

/** In run order: primitives first, so their limits are fresh when the composites run. */
const BENCHES: readonly BenchTarget[] = [
  { name: 'core', dir: 'packages/core', timeoutS: [300, 60] },
  { name: 'transport-ws', dir: 'packages/transport-ws', timeoutS: [120, 40] },
  { name: 'storage-level', dir: 'packages/storage-level', timeoutS: [120, 40] },
  { name: 'consensus', dir: 'packages/consensus', timeoutS: [300, 60] },
  { name: 'cluster', dir: 'examples/cluster', timeoutS: [300, 90] },
  { name: 'identity', dir: 'packages/identity', timeoutS: [600, 90] },
  { name: 'market', dir: 'packages/market', timeoutS: [600, 90] },
];

const args = process.argv.slice(2);
for (const a of args) {
  if (a !== '--quick' && a !== '--report' && !a.startsWith('--only=')) {
    console.error(`unknown argument ${a}; use --quick, --only=<names> or --report`);
    process.exit(2);
  }
}
const quick = args.includes('--quick') || process.env['ADMITONE_BENCH_QUICK'] === '1';
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');

if (args.includes('--report')) {
  const results = JSON.parse(readFileSync(RESULTS, 'utf8')) as Results;
  const machine = JSON.parse(readFileSync(MACHINE, 'utf8')) as Machine;
  writeFileSync(MARKDOWN, renderMarkdown(results, machine));
  console.log(`wrote ${MARKDOWN} from ${RESULTS}`);
  process.exit(0);
}

const selected = only === undefined ? BENCHES : BENCHES.filter((b) => only.includes(b.name));
if (only !== undefined && selected.length !== only.length) {
  console.error(`unknown bench in --only; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const work = mkdtempSync(join(tmpdir(), 'admitone-bench-'));
const started = performance.now();
const loadStart = loadavg()[0] as number;
const figures: Record<string, number> = {};
const problems: string[] = [];
const walls: Record<string, number> = {};

try {
  for (const b of selected) {
    const out = join(work, `${b.name}.jsonl`);
    writeFileSync(out, '');
    const timeoutS = b.timeoutS[quick ? 1 : 0];
    console.log(`\n=== ${b.name} (${b.dir}, ${quick ? 'quick' : 'full'}; limit ${timeoutS} s) ===`);
    const t0 = performance.now();
    const outcome = await runChild(b, out, timeoutS);
    const seconds = (performance.now() - t0) / 1000;
    walls[b.name] = seconds;
    console.log(`=== ${b.name}: ${outcome} in ${seconds.toFixed(1)} s ===`);
    if (outcome !== 'ok') problems.push(`bench ${b.name} ${outcome}`);
    collect(b.name, out);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const wall = (performance.now() - started) / 1000;
if (only === undefined) for (const key of missingKeys(figures)) problems.push(`missing figure ${key}`);

if (problems.length > 0 || only !== undefined) {
  console.log(`\nfigures (${Object.keys(figures).length}):`);
  console.log(JSON.stringify(sortKeys(figures), null, 2));
}
if (problems.length > 0) {
  console.error(`\nbench run FAILED after ${wall.toFixed(1)} s; ${RESULTS} and ${MARKDOWN} were left unchanged:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
if (only !== undefined) {
  console.log(`\n--only: ${selected.map((b) => b.name).join(', ')} in ${wall.toFixed(1)} s; report files not written.`);
  process.exit(0);
}

const results: Results = sortKeys({
  ...figures,
  machine_cpus: availableParallelism(),
  machine_mem_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  machine_load_avg_1m_start: loadStart,
  machine_load_avg_1m_end: loadavg()[0] as number,
  bench_quick: quick ? 1 : 0,
  bench_wall_s: round(wall),
  ...Object.fromEntries(Object.entries(walls).map(([name, s]) => [`bench_${name.replace(/-/g, '_')}_wall_s`, round(s)])),
});
const machine: Machine = {
  cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
  cpu_cores: availableParallelism(),
  node_version: process.version,
  platform: `${process.platform} ${release()} ${process.arch}`,
  date: new Date().toISOString(),
  git_commit: gitCommit(),
  mode: quick ? 'quick' : 'full',
};
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(MACHINE, `${JSON.stringify(machine, null, 2)}\n`);
writeFileSync(MARKDOWN, renderMarkdown(results, machine));
console.log(`\nbench run OK in ${wall.toFixed(1)} s (${quick ? 'quick' : 'full'}): ${Object.keys(results).length} figures`);
console.log(`wrote ${RESULTS}, ${MACHINE} and ${MARKDOWN}`);

/** Runs one bench to completion; 'ok', or how it failed. Its own output goes straight to ours. */
function runChild(b: BenchTarget, out: string, timeoutS: number): Promise<string> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--conditions=admitone-source', '--import', tsx, 'bench/index.ts'], {
      cwd: join(ROOT, b.dir),
      env: { ...process.env, ADMITONE_BENCH_OUT: out, ADMITONE_BENCH_QUICK: quick ? '1' : '0' },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true, // its own process group, so a timeout also ends the replica processes it started
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutS * 1000);
    const onSignal = () => {
      killGroup();
      rmSync(work, { recursive: true, force: true });
      process.exit(130);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolvePromise(`could not start: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (timedOut) resolvePromise(`timed out after ${timeoutS} s`);
      else if (code === 0) resolvePromise('ok');
      else resolvePromise(signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}`);
    });
  });
}

/** Merges one bench's JSON lines into `figures`, noting malformed lines and duplicate keys. */
function collect(name: string, file: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push(`${name}: line ${i + 1} of its figures is not JSON`);
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      problems.push(`${name}: line ${i + 1} of its figures is not an object`);
      continue;
    }
    const entries = parsed as Record<string, number>;
    try {
      checkFigures(entries);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      continue;
    }
    for (const [key, value] of Object.entries(entries)) {
      if (key in figures) problems.push(`${name}: figure ${key} reported twice`);
      figures[key] = value;
    }
  }
}

/** The checked-out commit, read from `.git` without running git ('unknown' outside a clone). */
function gitCommit(): string {
  try {
    const git = join(ROOT, '.git');
    const head = readFileSync(join(git, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    if (existsSync(join(git, ref))) return readFileSync(join(git, ref), 'utf8').trim();
    const packed = readFileSync(join(git, 'packed-refs'), 'utf8').split('\n').find((l) => l.endsWith(` ${ref}`));
    return packed?.split(' ')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
