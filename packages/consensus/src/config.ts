/**
 * Replica configuration: membership, quorums and tunables, validated at
 * construction so that an unsafe cluster cannot be started.
 * @module
 */
import { bytesToHex, isDeploymentId, MAX_DEPLOYMENT_LENGTH, type Clock, type DeploymentId, type CryptoProvider, type Logger, type ReplicatedApp, type Storage, type Transport } from '@admitone/core';
import { ConsensusError } from './errors.js';
import type { ReplicaId } from './messages.js';

/** One replica in the static membership. */
export interface ReplicaMember {
  readonly id: ReplicaId;
  /** The replica's Ed25519 public key (32 bytes): it signs every protocol message. */
  readonly publicKey: Uint8Array;
}

/** Protocol tunables (all optional). */
export interface PbftTunables {
  /** Checkpoint period K in sequence numbers. Default 64. */
  readonly checkpointInterval?: number;
  /** Log window L (high watermark = stable checkpoint + L). Default 4·K. */
  readonly logWindow?: number;
  /** Most requests in one batch. Default 256. */
  readonly maxBatchRequests?: number;
  /** Most bytes of requests in one batch. Default 1 MiB. */
  readonly maxBatchBytes?: number;
  /** Most batches in flight (pre-prepared, not executed) at the primary. Default 8. */
  readonly maxInFlightBatches?: number;
  /** Base view-change timeout in ms; doubles per consecutive view change. Default 1 000. */
  readonly viewChangeTimeoutMs?: number;
  /** Cap of the view-change timeout, at least `viewChangeTimeoutMs`. Default 30 000, or `viewChangeTimeoutMs` when that is longer. */
  readonly maxViewChangeTimeoutMs?: number;
  /** Retry period for state transfer requests. Default 500. */
  readonly stateTransferRetryMs?: number;
  /**
   * Most bytes of checkpoint state in one state-transfer message. A state that
   * fits is sent whole; a larger one is sent as a manifest of part hashes and
   * then in chunks of about this size, each checked against the certified
   * digest on arrival. A replica uses at most a quarter of its transport's
   * `maxMessageBytes`, whatever this says. Default 1 MiB.
   */
  readonly stateChunkBytes?: number;
  /** How many recent replies per client are kept for retransmissions (at most 65 536). Default 16. */
  readonly replyCachePerClient?: number;
  /**
   * Admission control: most unexecuted client requests a replica holds. Past
   * it, new requests from clients are dropped (counted as `overloaded`) before
   * their signature is checked, and their clients retransmit later; requests
   * inside a PRE-PREPARE are never refused. Default 16 384.
   */
  readonly maxPendingRequests?: number;
  /** Admission control: most unexecuted requests of one client id a replica holds (see `maxPendingRequests`). Default 1 024. */
  readonly maxPendingPerClient?: number;
  /**
   * How far, in ms, a new PRE-PREPARE's timestamp may be from a backup's own
   * clock. The timestamp is the agreed time apps execute with (sale and resale
   * windows, time-based epochs), and the primary chooses it: a backup does not
   * accept one that is further than this from its clock, or not later than
   * the timestamp of the batch before it in the same view (dropped as
   * `bad_timestamp`), so a faulty primary that lies about the time makes no
   * progress and is replaced by a view change. It bounds how far a faulty
   * primary can move time, and must exceed the replicas' clock skew plus the
   * network delay. Re-proposals in a NEW-VIEW keep their original timestamps
   * and are not checked. Default 30 000.
   */
  readonly maxClockSkewMs?: number;
}

/** The names of every {@link PbftTunables} field: for hosts that read tunables from configuration files. */
export const PBFT_TUNABLE_KEYS = [
  'checkpointInterval',
  'logWindow',
  'maxBatchRequests',
  'maxBatchBytes',
  'maxInFlightBatches',
  'viewChangeTimeoutMs',
  'maxViewChangeTimeoutMs',
  'stateTransferRetryMs',
  'stateChunkBytes',
  'replyCachePerClient',
  'maxPendingRequests',
  'maxPendingPerClient',
  'maxClockSkewMs',
] as const satisfies readonly (keyof PbftTunables)[];

/** Options of `createReplica`. */
export interface ReplicaOptions extends PbftTunables {
  /** This replica's id (must be in `members`). */
  readonly id: ReplicaId;
  /** This replica's 32-byte Ed25519 secret key (must match its member public key). */
  readonly secretKey: Uint8Array;
  /** The static membership, in a fixed order: the primary of view v is `members[v mod n]`. */
  readonly members: readonly ReplicaMember[];
  /** Messages to replicas and clients. */
  readonly transport: Transport;
  /** Durable view, log and checkpoints. */
  readonly storage: Storage;
  /** The replicated application. */
  readonly app: ReplicatedApp;
  /**
   * The deployment this cluster runs (see `DeploymentId` in `@admitone/core`):
   * every replica message is signed for it, so a vote, checkpoint or view
   * change from another deployment whose replicas share keys and ids is
   * refused as unauthenticated. Default: `app.deployment` (the shipped apps
   * name theirs); required for an app that does not, and refused when it
   * differs from the app's.
   */
  readonly deployment?: DeploymentId;
  /** Signs and verifies protocol messages. */
  readonly crypto: CryptoProvider;
  /** Timers and batch timestamps. */
  readonly clock: Clock;
  /** Optional structured logger. */
  readonly logger?: Logger;
}

/** Validated, defaulted configuration. */
export interface ResolvedConfig {
  readonly n: number;
  readonly f: number;
  /**
   * The Byzantine quorum {@link quorumSize}(n): ⌈(n+f+1)/2⌉, which is 2f+1
   * when n = 3f+1. Commit certificates, checkpoint certificates and NEW-VIEWs
   * need this many distinct replicas.
   */
  readonly quorum: number;
  /** The deployment every replica message is signed for. */
  readonly deployment: DeploymentId;
  /**
   * PREPAREs from distinct backups that, with the primary's PRE-PREPARE,
   * make a prepared certificate: `quorum − 1` (2f when n = 3f+1).
   */
  readonly prepareQuorum: number;
  readonly index: number;
  readonly members: readonly ReplicaMember[];
  readonly keyOf: ReadonlyMap<ReplicaId, Uint8Array>;
  readonly K: number;
  readonly L: number;
  readonly maxBatchRequests: number;
  readonly maxBatchBytes: number;
  readonly maxInFlightBatches: number;
  readonly viewChangeTimeoutMs: number;
  readonly maxViewChangeTimeoutMs: number;
  readonly stateTransferRetryMs: number;
  readonly stateChunkBytes: number;
  readonly replyCachePerClient: number;
  readonly maxPendingRequests: number;
  readonly maxPendingPerClient: number;
  readonly maxClockSkewMs: number;
}

/** The largest f that n replicas tolerate: ⌊(n−1)/3⌋. */
export function maxFaulty(n: number): number {
  return Math.floor((n - 1) / 3);
}

/**
 * The Byzantine quorum of n replicas tolerating f = {@link maxFaulty}(n):
 * ⌈(n+f+1)/2⌉. Any two such quorums share at least f+1 replicas, so at least
 * one honest one, which is what makes a prepared or committed batch unique
 * per sequence number; and n − f replicas (the honest ones) always make one,
 * so the cluster stays live. For n = 3f+1 it is the familiar 2f+1; for other
 * sizes 2f+1 is not enough (at n = 5, two sets of 3 can share only a faulty
 * replica), so every threshold is derived from this function, never from 2f+1.
 *
 * @example
 * ```ts
 * import { quorumSize } from '@admitone/consensus';
 * quorumSize(4); // 3
 * quorumSize(5); // 4
 * quorumSize(7); // 5
 * ```
 */
export function quorumSize(n: number): number {
  return Math.ceil((n + maxFaulty(n) + 1) / 2);
}

/**
 * Validates membership, the deployment id and tunables. Throws
 * `ConsensusError` (`CONSENSUS_CONFIG`) for anything that cannot be safe:
 * fewer than 4 replicas, duplicate ids or keys, a missing or malformed key,
 * an id not in the membership, or a missing or malformed deployment id.
 */
export function resolveConfig(opts: Pick<ReplicaOptions, 'id' | 'members' | 'deployment'> & { readonly app?: Pick<ReplicatedApp, 'deployment'> } & PbftTunables): ResolvedConfig {
  const fail = (msg: string): never => {
    throw new ConsensusError('CONSENSUS_CONFIG', msg);
  };
  const deployment = resolveDeployment(opts.deployment, opts.app);
  const members = opts.members;
  if (!Array.isArray(members)) fail('members must be an array');
  const n = members.length;
  if (n < 4) fail(`PBFT needs n ≥ 3f+1 with f ≥ 1, i.e. at least 4 replicas; got ${n}`);
  const keyOf = new Map<ReplicaId, Uint8Array>();
  const keys = new Set<string>();
  for (const [i, m] of members.entries()) {
    if (typeof m?.id !== 'string' || m.id.length === 0) fail(`members[${i}].id must be a non-empty string`);
    if (!(m.publicKey instanceof Uint8Array) || m.publicKey.length !== 32) fail(`members[${i}].publicKey must be 32 bytes`);
    if (keyOf.has(m.id)) fail(`duplicate replica id ${m.id}`);
    const hex = bytesToHex(m.publicKey);
    if (keys.has(hex)) fail(`members[${i}] reuses another replica's public key`);
    keys.add(hex);
    keyOf.set(m.id, m.publicKey);
  }
  const index = members.findIndex((m) => m.id === opts.id);
  if (index < 0) fail(`replica id ${String(opts.id)} is not in members`);
  const f = maxFaulty(n);
  const int = (v: number | undefined, def: number, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): number => {
    const x = v ?? def;
    if (!Number.isSafeInteger(x) || x < min || x > max) fail(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
    return x;
  };
  const quorum = quorumSize(n);
  const K = int(opts.checkpointInterval, 64, 'checkpointInterval');
  const L = int(opts.logWindow, 4 * K, 'logWindow');
  if (L < 2 * K) fail('logWindow must be at least 2·checkpointInterval');
  return {
    n,
    f,
    quorum,
    deployment,
    prepareQuorum: quorum - 1,
    index,
    members,
    keyOf,
    K,
    L,
    maxBatchRequests: int(opts.maxBatchRequests, 256, 'maxBatchRequests'),
    maxBatchBytes: int(opts.maxBatchBytes, 1 << 20, 'maxBatchBytes', 1024),
    maxInFlightBatches: int(opts.maxInFlightBatches, 8, 'maxInFlightBatches'),
    viewChangeTimeoutMs: int(opts.viewChangeTimeoutMs, 1000, 'viewChangeTimeoutMs'),
    // the backoff cap defaults to 30 s, or to the first timeout when that is longer; a cap set below the first timeout is refused
    maxViewChangeTimeoutMs: int(opts.maxViewChangeTimeoutMs, Math.max(30_000, opts.viewChangeTimeoutMs ?? 0), 'maxViewChangeTimeoutMs', opts.viewChangeTimeoutMs ?? 1000),
    stateTransferRetryMs: int(opts.stateTransferRetryMs, 500, 'stateTransferRetryMs'),
    stateChunkBytes: int(opts.stateChunkBytes, 1 << 20, 'stateChunkBytes', 1024, MAX_STATE_CHUNK_BYTES),
    replyCachePerClient: int(opts.replyCachePerClient, 16, 'replyCachePerClient', 1, 65_536),
    maxPendingRequests: int(opts.maxPendingRequests, 16_384, 'maxPendingRequests'),
    maxPendingPerClient: int(opts.maxPendingPerClient, 1024, 'maxPendingPerClient'),
    maxClockSkewMs: int(opts.maxClockSkewMs, DEFAULT_MAX_CLOCK_SKEW_MS, 'maxClockSkewMs'),
  };
}

/**
 * The deployment an engine signs for: `deployment` when given, else the app's
 * own (`app.deployment`). Throws `ConsensusError` (`CONSENSUS_CONFIG`) when
 * neither names a valid deployment id, or when they name different ones (the
 * engine would sign for one deployment while its app verifies under another).
 * @internal
 */
export function resolveDeployment(deployment: unknown, app: { readonly deployment?: unknown } | undefined): DeploymentId {
  const fail = (msg: string): never => {
    throw new ConsensusError('CONSENSUS_CONFIG', msg);
  };
  const own: unknown = typeof app === 'object' && app !== null ? app.deployment : undefined;
  const chosen = deployment !== undefined ? deployment : own;
  if (!isDeploymentId(chosen)) {
    fail(
      deployment === undefined && own === undefined
        ? 'deployment is required: the app does not name one (see DeploymentId in @admitone/core)'
        : `deployment must be a deployment id (1 to ${MAX_DEPLOYMENT_LENGTH} printable ASCII characters, no spaces)`,
    );
  }
  if (own !== undefined && own !== chosen) fail(`deployment is ${JSON.stringify(chosen)}, but the app verifies requests for ${JSON.stringify(own)}`);
  return chosen as DeploymentId;
}

/** Largest `stateChunkBytes` (a quarter of the largest wire message). @internal */
export const MAX_STATE_CHUNK_BYTES = 2 * 1024 * 1024;

/** The default of `maxClockSkewMs`. @internal */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 30_000;

/** The primary of `view`. */
export function primaryOf(cfg: ResolvedConfig, view: number): ReplicaId {
  return (cfg.members[view % cfg.n] as ReplicaMember).id;
}
