/// <reference types="node" />
/**
 * `admitone-sim`: run the deterministic PBFT simulator from the command line
 * and print a human summary or one JSON object. Node only (it is not exported
 * from `@admitone/consensus/sim`, which stays platform-neutral).
 *
 * Exit codes: 0 when the run is safe and live, 1 on a safety or liveness
 * failure, 2 on bad flags.
 * @module
 */
import { randomInt } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { maxFaulty } from '../config.js';
import { nodeCrypto } from '@admitone/core/node';
import { BYZANTINE_STRATEGIES, SimulationError, type ByzantineStrategy, type SimulationOptions } from './options.js';
import { formatReport } from './report.js';
import { runSimulation } from './simulation.js';

/** Where the CLI writes (injectable for tests). */
export interface CliIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** The usage text. */
export const USAGE = `Usage: admitone-sim [options]

Runs the ticket ledger on a simulated PBFT cluster (virtual time, one seed)
and checks safety (agreement, no double execution, no ticket consumed twice)
and liveness after the faults heal.

Options:
  --nodes N            replicas (default 7, at least 4)
  --byzantine F        Byzantine replicas, at most ⌊(N−1)/3⌋ (default min(2, ⌊(N−1)/3⌋))
  --strategy S         ${BYZANTINE_STRATEGIES.filter((s) => s !== 'none').join('|')} (default mixed)
  --tickets T          ticket workflows: issue, validate, consume, second consume (default 100)
  --seed S             seed (integer or text; default: random, printed in the report)
  --latency MS         one-way message latency (default 50)
  --jitter MS          extra uniform delay per message, reorders messages (default 0)
  --packet-loss P      probability of losing a message until healing, 0–1 (default 0)
  --partition          open two partitions (symmetric or asymmetric) that heal
  --crash              crash and restart two honest replicas (unsynced writes are lost)
  --crash-triggers N   also crash honest replicas N times at protocol moments: while they
                       send a view change, a NEW-VIEW, a vote, a checkpoint or state,
                       possibly half-way through a broadcast (default 0)
  --duration SECONDS   virtual length of the faulty phase, at least 0.001 (default 20)
  --json               print one JSON object instead of the summary
  -h, --help           show this help

Exit status: 0 safe and live, 1 safety or liveness failure, 2 bad flags.`;

/** A bad flag: reported with exit status 2. */
class UsageError extends Error {}

/**
 * Parses `argv` (without the node and script paths) into simulation options.
 * Throws for bad flags; the message names the flag.
 */
export function parseCliArgs(argv: readonly string[], randomSeed: () => number = () => randomInt(2 ** 31)): { options: SimulationOptions; json: boolean; help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        nodes: { type: 'string' },
        byzantine: { type: 'string' },
        strategy: { type: 'string' },
        tickets: { type: 'string' },
        seed: { type: 'string' },
        latency: { type: 'string' },
        jitter: { type: 'string' },
        'packet-loss': { type: 'string' },
        partition: { type: 'boolean' },
        crash: { type: 'boolean' },
        'crash-triggers': { type: 'string' },
        duration: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const int = (flag: string, raw: string | undefined, def: number, min: number, max: number): number => {
    if (raw === undefined) return def;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new UsageError(`--${flag} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const nodes = int('nodes', values.nodes, 7, 4, 100);
  const f = maxFaulty(nodes);
  const byzantine = int('byzantine', values.byzantine, Math.min(2, f), 0, 100);
  if (byzantine > f) {
    throw new UsageError(`--byzantine ${byzantine} is more than ⌊(N−1)/3⌋ = ${f} for --nodes ${nodes}: PBFT tolerates at most f faulty replicas out of n = 3f+1`);
  }
  const strategy = (values.strategy ?? (byzantine > 0 ? 'mixed' : 'none')) as ByzantineStrategy;
  if (!(BYZANTINE_STRATEGIES as readonly string[]).includes(strategy)) throw new UsageError(`--strategy must be one of ${BYZANTINE_STRATEGIES.join('|')}, got ${JSON.stringify(values.strategy)}`);
  if (strategy !== 'none' && byzantine === 0) throw new UsageError(`--strategy ${strategy} needs --byzantine ≥ 1`);
  if (strategy === 'none' && byzantine > 0) throw new UsageError(`--strategy none needs --byzantine 0`);
  const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;
  const loss = values['packet-loss'] === undefined ? 0 : Number(values['packet-loss']);
  if (!(loss >= 0 && loss <= 1) || (values['packet-loss'] !== undefined && !DECIMAL.test(values['packet-loss']))) throw new UsageError(`--packet-loss must be a probability in [0, 1], got ${JSON.stringify(values['packet-loss'])}`);
  let seed: number | string;
  if (values.seed === undefined) seed = randomSeed();
  else if (/^-?\d+$/.test(values.seed) && Number.isSafeInteger(Number(values.seed))) seed = Number(values.seed);
  else if (values.seed.length > 0) seed = values.seed;
  else throw new UsageError('--seed must not be empty');
  const durationS = values.duration === undefined ? 20 : Number(values.duration);
  if (!(durationS > 0 && durationS <= 86_400) || Math.round(durationS * 1000) < 1 || (values.duration !== undefined && !DECIMAL.test(values.duration))) throw new UsageError(`--duration must be a number of seconds in (0, 86400], got ${JSON.stringify(values.duration)}`);
  const options: SimulationOptions = {
    seed,
    nodes,
    byzantine,
    strategy,
    tickets: int('tickets', values.tickets, 100, 0, 1_000_000),
    latencyMs: int('latency', values.latency, 50, 0, 60_000),
    jitterMs: int('jitter', values.jitter, 0, 0, 60_000),
    packetLoss: loss,
    partitions: values.partition === true ? 2 : 0,
    crashes: values.crash === true ? 2 : 0,
    crashTriggers: int('crash-triggers', values['crash-triggers'], 0, 0, 1000),
    durationMs: Math.round(durationS * 1000),
    crypto: nodeCrypto(),
  };
  return { options, json: values.json === true, help: values.help === true };
}

/**
 * Runs the CLI on `argv` and returns the exit status. Uses Node's native
 * Ed25519 (bit-identical signatures to noble, so the same trace) for speed.
 */
export async function main(argv: readonly string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`admitone-sim: ${err.message}\nTry 'admitone-sim --help'.\n`);
    return 2;
  }
  if (parsed.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let report;
  try {
    report = await runSimulation(parsed.options);
  } catch (err) {
    if (err instanceof SimulationError) {
      io.stderr.write(`admitone-sim: ${err.shortMessage}\n`);
      return 2;
    }
    throw err;
  }
  io.stdout.write(parsed.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
  return report.ok ? 0 : 1;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  process.exitCode = await main(process.argv.slice(2));
}
