/**
 * Consensus error types.
 * @module
 */
import { AdmitOneError, type AdmitOneErrorOptions } from '@admitone/core';

/**
 * Codes raised by consensus:
 * - `CONSENSUS_CONFIG`: `createReplica`/`createClient` refused their options (the message names the option);
 * - `CONSENSUS_STORAGE`: a replica's stored state is corrupt (it refuses to start rather than act on it);
 * - `ENGINE_CLOSED`: a call on a closed engine, or a request still pending when it was closed;
 * - `REQUEST_TIMEOUT`: no result within the client's `deadlineMs` (`meta.requestSeq`);
 * - `REQUEST_REJECTED`: the replicas refused the request before ordering it (`meta.reason`, e.g. `invalid_signature`).
 */
export type ConsensusErrorCode = 'CONSENSUS_CONFIG' | 'CONSENSUS_STORAGE' | 'ENGINE_CLOSED' | 'REQUEST_TIMEOUT' | 'REQUEST_REJECTED';

/** Thrown for unsafe configuration, corrupt stored state, closed engines and requests that cannot complete. */
export class ConsensusError extends AdmitOneError {
  declare readonly code: ConsensusErrorCode;
  constructor(code: ConsensusErrorCode, shortMessage: string, options?: AdmitOneErrorOptions) {
    super(code, shortMessage, options);
    this.name = 'ConsensusError';
  }
}
