/**
 * The `ConsensusEngine` seam and a single-process engine for development.
 * @module
 */
import {
  signRequest,
  type DeploymentId,
  systemClock,
  type Clock,
  type CryptoProvider,
  type ReplicatedApp,
} from '@admitone/core';
import { resolveDeployment } from './config.js';
import { ConsensusError } from './errors.js';

/**
 * What an application needs from consensus: submit an operation and get its
 * committed result. PBFT's {@link createClient} implements it; so does
 * {@link createLocalEngine}, and a researcher can plug in another protocol.
 */
export interface ConsensusEngine {
  /** Orders and executes `op`; resolves with the committed result bytes. */
  submit(op: Uint8Array): Promise<Uint8Array>;
  /** Answers a read-only query (`app.query`); resolves with the answer bytes. */
  read(query: Uint8Array): Promise<Uint8Array>;
  /** Releases resources; later calls reject. */
  close(): Promise<void>;
}

/** Options of {@link createLocalEngine}. */
export interface LocalEngineOptions {
  /** The application to run. */
  readonly app: ReplicatedApp;
  /** Signs requests; and the app verifies them. */
  readonly crypto: CryptoProvider;
  /** The client's 32-byte Ed25519 secret key. */
  readonly secretKey: Uint8Array;
  /**
   * The deployment requests are signed for. Default: `app.deployment` (the
   * shipped apps name theirs); required for an app that does not, and
   * refused when it differs from the app's.
   */
  readonly deployment?: DeploymentId;
  /** Timestamps for execution contexts. Default {@link systemClock}. */
  readonly clock?: Clock;
}

/**
 * A single-process {@link ConsensusEngine}: no replication, no fault
 * tolerance, one trusted host. Useful for development, demos of app logic and
 * as a baseline in benchmarks. Requests are signed and executed strictly in
 * submission order.
 *
 * Throws `ConsensusError` (`CONSENSUS_CONFIG`) when the deployment is missing
 * or malformed, or differs from the app's.
 */
export function createLocalEngine(options: LocalEngineOptions): ConsensusEngine {
  const deployment = resolveDeployment(options.deployment, options.app);
  const clock = options.clock ?? systemClock();
  let seq = 0;
  let requestSeq = Math.max(1, Math.floor(clock.now()));
  let closed = false;
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
  const ensureOpen = () => {
    if (closed) throw new ConsensusError('ENGINE_CLOSED', 'The engine is closed.');
  };
  return {
    async submit(op) {
      ensureOpen();
      return serial(async () => {
        const req = await signRequest(options.crypto, options.secretKey, { deployment, requestSeq: requestSeq++, op });
        const prepared = await options.app.prepare(req);
        return options.app.execute(prepared, { seq: ++seq, timestamp: clock.now() });
      });
    },
    async read(query) {
      ensureOpen();
      return serial(async () => options.app.query(query));
    },
    async close() {
      closed = true;
      await tail;
    },
  };
}
