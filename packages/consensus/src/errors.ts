/**
 * Consensus error types.
 * @module
 */
import { AdmitOneError, type AdmitOneErrorOptions } from '@admitone/core';

/** Codes raised by consensus. */
export type ConsensusErrorCode =
  | 'CONSENSUS_CONFIG'
  | 'CONSENSUS_STORAGE'
  | 'ENGINE_CLOSED'
  | 'REQUEST_TIMEOUT'
  | 'REQUEST_REJECTED'
  | 'REPLICA_STOPPED';

/** Thrown for unsafe configuration, corrupt stored state, closed engines and requests that cannot complete. */
export class ConsensusError extends AdmitOneError {
  declare readonly code: ConsensusErrorCode;
  constructor(code: ConsensusErrorCode, shortMessage: string, options?: AdmitOneErrorOptions) {
    super(code, shortMessage, options);
    this.name = 'ConsensusError';
  }
}
