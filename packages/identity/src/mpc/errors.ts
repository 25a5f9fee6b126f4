/**
 * Errors raised by the MPC engine for its own misuse and lifecycle. Protocol
 * failures (a silent member, shares that cannot be decoded, a malformed
 * preprocessing message) are `ThresholdError`s from `@admitone/core/threshold`
 * whose `culprits` are peer ids.
 * @module
 */
import { AdmitOneError, type AdmitOneErrorOptions } from '@admitone/core';

/** Stable codes of {@link MpcError}. */
export type MpcErrorCode =
  /** The engine was closed before or during the call. */
  | 'MPC_CLOSED'
  /** An evaluation needs more power tuples than the pool holds (ready or in preparation). */
  | 'MPC_NOT_ENOUGH_TUPLES'
  /** A preprocessing batch id or evaluation session id was used before on this engine. */
  | 'MPC_SESSION_REUSED'
  /** The tuples an evaluation claimed belong to a preprocessing batch that failed. */
  | 'MPC_PREPROCESSING_FAILED';

/** Thrown by the MPC engine for misuse and lifecycle problems (see {@link MpcErrorCode}). */
export class MpcError extends AdmitOneError {
  declare readonly code: MpcErrorCode;
  constructor(code: MpcErrorCode, shortMessage: string, options?: AdmitOneErrorOptions) {
    super(code, shortMessage, options);
    this.name = 'MpcError';
  }
}
