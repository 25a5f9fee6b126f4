/**
 * The `ReplicatedApp` seam: a deterministic application that a consensus
 * engine replicates. PBFT knows nothing about tickets; the ticket ledger and
 * the market's `EventContract` are apps.
 * @module
 */
import type { Digest } from '../codec/hash.js';
import type { DeploymentId } from './request.js';
import type { SignedRequest } from './request.js';
import type { KeyedState } from './state.js';

/** Deterministic context an engine passes to {@link ReplicatedApp.execute}. */
export interface ExecuteContext {
  /** The consensus sequence number of the slot that ordered this request. */
  readonly seq: number;
  /**
   * The agreed timestamp of the slot (ms since epoch), chosen by the ordering
   * protocol and identical on every replica. Apps must use it instead of a clock.
   */
  readonly timestamp: number;
}

/** The stateless, possibly expensive checks of a request, done before ordering. */
export interface PreparedRequest {
  /** The request itself. */
  readonly request: SignedRequest;
  /** True when the client's signature on the request verifies. */
  readonly authentic: boolean;
}

/**
 * A deterministic replicated state machine.
 *
 * Determinism contract: starting from the same snapshot and executing the same
 * prepared requests with the same contexts, every replica returns the same
 * results, the same `snapshot()` bytes and the same `digest()`.
 *
 * - `prepare` is a pure, stateless, asynchronous function of the request: it
 *   verifies signatures (which may use WebCrypto) and decodes the operation.
 *   Engines may run it concurrently and cache it by request digest; engines
 *   refuse to order a request whose `authentic` is false.
 * - `execute` is synchronous and applies one prepared request. Domain
 *   rejections are returned as results (bytes), never thrown. It must execute
 *   each `(clientId, requestSeq)` at most once.
 * - `query` answers read-only requests (`request.readOnly`) from current state
 *   without changing it; engines never pass a read-only request to `execute`.
 * - `restore` replaces the whole state with a snapshot, or throws a
 *   `CodecError` and leaves the state untouched.
 * - `state`, when offered, describes the same state as keyed entries
 *   ({@link KeyedState}); both views must always agree.
 */
export interface ReplicatedApp<P extends PreparedRequest = PreparedRequest> {
  /** A short name, included in snapshots and logs. */
  readonly name: string;
  /**
   * The deployment whose signed requests the app accepts (see
   * {@link DeploymentId}), when it verifies under one. Engines that sign for
   * a deployment themselves (a PBFT replica's votes, a local engine's
   * requests) default to it and refuse a different one, so a replica or
   * engine cannot be configured for one deployment and run an app of another.
   */
  readonly deployment?: DeploymentId;
  /** Stateless checks of a request (signatures, decoding). */
  prepare(request: SignedRequest): Promise<P>;
  /** Applies a prepared request; returns the encoded result. */
  execute(prepared: P, ctx: ExecuteContext): Uint8Array;
  /** Answers a read-only query; returns the encoded answer. */
  query(query: Uint8Array): Uint8Array;
  /** Canonical bytes of the whole state. */
  snapshot(): Uint8Array;
  /** Replaces the state with `snapshot`; throws `CodecError` if it is malformed. */
  restore(snapshot: Uint8Array): void;
  /** A digest of the whole state; equal states have equal digests. */
  digest(): Digest;
  /**
   * Optional: the state as keyed entries with change tracking, so that an
   * engine checkpoints, persists and transfers state in O(changes). When
   * present, `digest()` must equal `stateDigest(state.entries())`. Engines
   * fall back to `snapshot()` at every checkpoint when it is absent.
   */
  readonly state?: KeyedState;
}
