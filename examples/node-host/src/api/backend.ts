/**
 * What the HTTP layer needs from a venue node: relaying signed requests,
 * answering queries, the identity committee member, the public venue
 * description, health, metrics and the stream of committed updates. The node
 * implements it; tests implement it with fakes, so the HTTP behaviour is
 * tested without processes.
 * @module
 */
import type { SignedRequest } from '@admitone/core';
import type { HealthReport, StreamUpdate, VenueInfo } from '../client/types.js';

/** A Prometheus exposition. */
export interface MetricsExposition {
  /** The exposition format's content type. */
  readonly contentType: string;
  /** The metrics, in that format. */
  readonly text: string;
}

/** The node behind the HTTP API. */
export interface VenueBackend {
  /** This node's id. */
  readonly nodeId: string;
  /** Checks a request's signature (before anything reaches consensus). */
  verify(request: SignedRequest): Promise<boolean>;
  /**
   * Relays a verified, signed write through PBFT; resolves with the encoded
   * `ContractResult`. Rejects with a `ConsensusError` when it cannot commit
   * (`REQUEST_TIMEOUT`, `REQUEST_REJECTED`, `ENGINE_CLOSED`).
   */
  relay(request: SignedRequest): Promise<Uint8Array>;
  /**
   * Answers an encoded `ContractQuery` with an encoded `ContractQueryResult`:
   * from this node's replica, or through the PBFT read path (linearizable)
   * when `consistent`.
   */
  query(query: Uint8Array, consistent: boolean): Promise<Uint8Array>;
  /** This node's identity-committee member: an encoded identity request in, its encoded answer out. */
  identity(request: Uint8Array): Promise<Uint8Array>;
  /** The public venue description. */
  venue(): VenueInfo;
  /** The health report. */
  health(): HealthReport;
  /** The Prometheus exposition. */
  metrics(): Promise<MetricsExposition>;
  /** The last executed sequence number (for the stream's `hello`). */
  lastExecuted(): number;
  /** Subscribes to committed updates; returns the unsubscribe function. */
  subscribe(listener: (update: StreamUpdate) => void): () => void;
}
