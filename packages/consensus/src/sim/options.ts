/**
 * Simulation options, their defaults and validation.
 * @module
 */
import { AdmitOneError, type AdmitOneErrorOptions, type CryptoProvider } from '@admitone/core';
import { DEFAULT_MAX_CLOCK_SKEW_MS, maxFaulty, type PbftTunables } from '../config.js';
import type { CrashTrigger, FaultSchedule } from './faults.js';

/** Every Byzantine strategy the simulator implements, as a const list. */
export const BYZANTINE_STRATEGIES = ['none', 'equivocate', 'forge', 'silent', 'replay', 'wrong-digest', 'slow', 'timewarp', 'fork-view', 'mixed'] as const;

/**
 * How the Byzantine replicas misbehave:
 * - `none`: no Byzantine replica (`byzantine` must be 0);
 * - `equivocate`: the primary sends conflicting PRE-PREPAREs (and matching COMMITs) for one seq to two halves of the cluster;
 * - `forge`: votes and NEW-VIEWs claiming other replicas' ids, votes with broken signatures, replies claiming other replicas;
 * - `silent`: sends nothing at all;
 * - `replay`: re-sends recorded messages of older views (its own and other replicas');
 * - `wrong-digest`: votes, checkpoints and pre-prepares with wrong digests, lying replies to clients,
 *   tampered state-transfer answers (snapshot, manifest or part);
 * - `slow`: delays every message by about a view-change timeout;
 * - `timewarp`: as primary, stamps its PRE-PREPAREs with lies about the time
 *   (an hour ahead or behind, just past `maxClockSkewMs`, earlier than its
 *   previous batch, or ahead but within the bound) and re-signs them;
 * - `fork-view`: as the primary of a new view, sends its NEW-VIEW to some
 *   replicas only, and to the others conflicting PRE-PREPAREs (and matching
 *   COMMITs) for the NEW-VIEW's sequence numbers without it, again whenever
 *   it next sends them anything (so a replica that restarts meanwhile sees
 *   them too);
 * - `mixed`: one of the above per Byzantine replica, chosen from the seed
 *   (each equally likely).
 *
 * `equivocate`, `slow` and `timewarp` target replica 0 (the view-0 primary)
 * first, `fork-view` replica 1 (the view-1 primary); the other strategies use
 * the highest-indexed replicas.
 */
export type ByzantineStrategy = (typeof BYZANTINE_STRATEGIES)[number];

/** A strategy that one Byzantine replica actually runs. */
export type ConcreteStrategy = Exclude<ByzantineStrategy, 'none' | 'mixed'>;

/** Options of `runSimulation` (all optional). */
export interface SimulationOptions {
  /** The seed: the same seed and options give the same trace. Default 1. */
  readonly seed?: number | string;
  /** Number of replicas n (≥ 4). Default 4. */
  readonly nodes?: number;
  /** Number of Byzantine replicas f′ ≤ ⌊(n−1)/3⌋. Default 0. */
  readonly byzantine?: number;
  /** What the Byzantine replicas do. Default `mixed` when `byzantine` > 0, else `none`. */
  readonly strategy?: ByzantineStrategy;
  /** Number of ticket workflows (issue → validate → consume → second consume at another gate). Default 8. */
  readonly tickets?: number;
  /** Number of gate clients (≥ 2). Default 3. */
  readonly gates?: number;
  /** Most requests a client has in flight at once. Default 4. */
  readonly clientInFlight?: number;
  /** One-way message latency in virtual ms. Default 10. */
  readonly latencyMs?: number;
  /** Extra uniform random delay in `[0, jitterMs]` per message (this also reorders). Default 0. */
  readonly jitterMs?: number;
  /** Probability that a message is lost, while faults are on. Default 0. */
  readonly packetLoss?: number;
  /** Probability that a message is delivered twice, while faults are on. Default 0. */
  readonly duplicateRate?: number;
  /** Number of partition windows (symmetric or asymmetric, each heals). Default 0. */
  readonly partitions?: number;
  /** Number of crash-restart windows of honest replicas (with lost unsynced writes). Default 0. */
  readonly crashes?: number;
  /**
   * Number of crashes aimed at protocol moments ({@link CrashTrigger}): an honest replica crashes while it
   * sends a view change, a NEW-VIEW, a vote, a checkpoint or state, possibly half-way through the broadcast,
   * and restarts a little later. Default 0.
   */
  readonly crashTriggers?: number;
  /** Virtual delay before a storage write is durable (and lost if the replica crashes first). Default 1. */
  readonly storageWriteDelayMs?: number;
  /** Length of the faulty phase in virtual ms; workflows start in its first half. Default 10 000. */
  readonly durationMs?: number;
  /** Virtual time after healing within which every pending request must commit. Default max(20 000, 80 view-change timeouts). */
  readonly livenessBudgetMs?: number;
  /** PBFT tunables, over the simulator's defaults (short timeouts derived from the latency). */
  readonly tunables?: PbftTunables;
  /** An explicit fault schedule (e.g. from fast-check); overrides `partitions`, `crashes`, `crashTriggers`, `packetLoss`, `duplicateRate` and `durationMs`. */
  readonly faults?: FaultSchedule;
  /**
   * The crypto provider. It must be deterministic and settle in microtasks
   * only. Default `nobleCrypto()`. It is memoized either way.
   */
  readonly crypto?: CryptoProvider;
  /** Trace lines kept for a failure report. Default 40. */
  readonly traceTail?: number;
  /** Compute and compare app digests after every executed seq (`true`) or only at checkpoints. Default `true` when `tickets` ≤ 50. */
  readonly digestEverySeq?: boolean;
  /** Safety net against livelock: the most simulation steps. Default 5 000 000. */
  readonly maxSteps?: number;
  /** Receives every trace line as it is recorded (for debugging; does not change the run). */
  readonly onTrace?: (line: string) => void;
}

/** {@link SimulationOptions} with every default filled in. */
export interface ResolvedSimulationOptions {
  readonly seed: number | string;
  readonly nodes: number;
  readonly byzantine: number;
  readonly strategy: ByzantineStrategy;
  readonly tickets: number;
  readonly gates: number;
  readonly clientInFlight: number;
  readonly latencyMs: number;
  readonly jitterMs: number;
  readonly packetLoss: number;
  readonly duplicateRate: number;
  readonly partitions: number;
  readonly crashes: number;
  readonly crashTriggers: number;
  readonly storageWriteDelayMs: number;
  readonly durationMs: number;
  readonly livenessBudgetMs: number;
  readonly tunables: Required<Pick<PbftTunables, 'viewChangeTimeoutMs' | 'checkpointInterval' | 'logWindow' | 'stateTransferRetryMs' | 'maxViewChangeTimeoutMs' | 'maxClockSkewMs'>> & PbftTunables;
  readonly clientTimeoutMs: number;
  readonly clientMaxTimeoutMs: number;
  readonly faults: FaultSchedule | undefined;
  readonly crypto: CryptoProvider | undefined;
  readonly traceTail: number;
  readonly digestEverySeq: boolean;
  readonly maxSteps: number;
  readonly onTrace: ((line: string) => void) | undefined;
}

/** Codes of {@link SimulationError}. */
export type SimulationErrorCode = 'SIM_CONFIG';

/** Thrown for simulation options that make no sense (for example more Byzantine replicas than n tolerates). */
export class SimulationError extends AdmitOneError {
  declare readonly code: SimulationErrorCode;
  constructor(code: SimulationErrorCode, shortMessage: string, options?: AdmitOneErrorOptions) {
    super(code, shortMessage, options);
    this.name = 'SimulationError';
  }
}

/**
 * Validates `options` and fills in defaults. Throws {@link SimulationError}
 * (`SIM_CONFIG`) naming the offending option.
 */
export function resolveSimulationOptions(options: SimulationOptions = {}): ResolvedSimulationOptions {
  const fail = (msg: string, meta: Record<string, unknown> = {}): never => {
    throw new SimulationError('SIM_CONFIG', msg, { meta });
  };
  const int = (v: number | undefined, def: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const x = v ?? def;
    if (!Number.isSafeInteger(x) || x < min || x > max) fail(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`, { option: name });
    return x;
  };
  const prob = (v: number | undefined, name: string): number => {
    const x = v ?? 0;
    if (typeof x !== 'number' || !(x >= 0 && x <= 1)) fail(`${name} must be a probability in [0, 1], got ${String(v)}`, { option: name });
    return x;
  };
  const seed = options.seed ?? 1;
  if (!(typeof seed === 'string' || Number.isSafeInteger(seed))) fail(`seed must be a safe integer or a string, got ${String(seed)}`, { option: 'seed' });
  const nodes = int(options.nodes, 4, 'nodes', 4, 100);
  const f = maxFaulty(nodes);
  const byzantine = int(options.byzantine, 0, 'byzantine', 0);
  if (byzantine > f) {
    fail(`byzantine (${byzantine}) exceeds ⌊(n−1)/3⌋ = ${f} for n = ${nodes}: PBFT is only safe with at most f faulty replicas out of n = 3f+1`, {
      option: 'byzantine',
      byzantine,
      nodes,
      max: f,
    });
  }
  const strategy = options.strategy ?? (byzantine > 0 ? 'mixed' : 'none');
  if (!(BYZANTINE_STRATEGIES as readonly string[]).includes(strategy)) fail(`strategy must be one of ${BYZANTINE_STRATEGIES.join('|')}, got ${String(strategy)}`, { option: 'strategy' });
  if (strategy === 'none' && byzantine > 0) fail(`strategy 'none' needs byzantine = 0, got ${byzantine}`, { option: 'strategy' });
  if (strategy !== 'none' && byzantine === 0) fail(`strategy '${strategy}' needs at least one Byzantine replica`, { option: 'strategy' });
  const latencyMs = int(options.latencyMs, 10, 'latencyMs', 0, 60_000);
  const jitterMs = int(options.jitterMs, 0, 'jitterMs', 0, 60_000);
  const storageWriteDelayMs = int(options.storageWriteDelayMs, 1, 'storageWriteDelayMs', 0, 10_000);
  const hop = latencyMs + jitterMs + storageWriteDelayMs;
  const viewChangeTimeoutMs = options.tunables?.viewChangeTimeoutMs ?? Math.max(20, 5 * hop + 10);
  const durationMs = int(options.durationMs, 10_000, 'durationMs', 0, 24 * 3_600_000);
  const tickets = int(options.tickets, 8, 'tickets', 0, 1_000_000);
  const traceTail = int(options.traceTail, 40, 'traceTail', 0, 100_000);
  return {
    seed,
    nodes,
    byzantine,
    strategy,
    tickets,
    gates: int(options.gates, 3, 'gates', 2, 64),
    clientInFlight: int(options.clientInFlight, 4, 'clientInFlight', 1, 1024),
    latencyMs,
    jitterMs,
    packetLoss: prob(options.packetLoss, 'packetLoss'),
    duplicateRate: prob(options.duplicateRate, 'duplicateRate'),
    partitions: int(options.partitions, 0, 'partitions', 0, 1000),
    crashes: int(options.crashes, 0, 'crashes', 0, 1000),
    crashTriggers: int(options.crashTriggers, 0, 'crashTriggers', 0, 1000),
    storageWriteDelayMs,
    durationMs,
    livenessBudgetMs: int(options.livenessBudgetMs, Math.max(20_000, 80 * viewChangeTimeoutMs), 'livenessBudgetMs', 0),
    tunables: {
      checkpointInterval: 8,
      logWindow: 32,
      stateTransferRetryMs: 4 * hop + 10,
      maxViewChangeTimeoutMs: 16 * viewChangeTimeoutMs,
      ...options.tunables,
      viewChangeTimeoutMs,
      maxClockSkewMs: options.tunables?.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS,
    },
    clientTimeoutMs: 8 * hop + 20,
    clientMaxTimeoutMs: Math.max(8 * hop + 20, 4 * viewChangeTimeoutMs),
    faults: options.faults,
    crypto: options.crypto,
    traceTail,
    digestEverySeq: options.digestEverySeq ?? tickets <= 50,
    maxSteps: int(options.maxSteps, 5_000_000, 'maxSteps', 1),
    onTrace: options.onTrace,
  };
}
