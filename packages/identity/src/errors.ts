/**
 * Errors of the identity committee and client. Domain outcomes (a duplicate
 * enrollment, a refused request, a rejected scan) are results, not errors;
 * these are for configuration mistakes, lifecycle misuse and a committee that
 * cannot answer.
 * @module
 */
import { AdmitOneError, type AdmitOneErrorOptions } from '@admitone/core';

/** Stable codes of {@link IdentityError}. */
export type IdentityErrorCode =
  /** The committee configuration cannot be safe (n < 3t+1, duplicate ids, bad keys). */
  | 'IDENTITY_CONFIG'
  /** A member was used before `start()` resolved. */
  | 'IDENTITY_NOT_STARTED'
  /** The member or client was closed. */
  | 'IDENTITY_CLOSED'
  /** Too few members answered consistently (timeouts, or members that lied). */
  | 'IDENTITY_UNAVAILABLE'
  /** A member broke the protocol (named in `culprits`). */
  | 'IDENTITY_PROTOCOL';

/** Options of {@link IdentityError}. */
export interface IdentityErrorOptions extends AdmitOneErrorOptions {
  /** Members (peer ids) to blame, when identifiable. */
  readonly culprits?: readonly string[];
}

/** Thrown by committee members and the identity client; `culprits` names members, never secrets. */
export class IdentityError extends AdmitOneError {
  declare readonly code: IdentityErrorCode;
  /** Members to blame, when identifiable. */
  readonly culprits: readonly string[];
  constructor(code: IdentityErrorCode, shortMessage: string, options: IdentityErrorOptions = {}) {
    const culprits = Object.freeze([...(options.culprits ?? [])]);
    super(code, shortMessage, { ...options, meta: { ...(options.meta ?? {}), culprits } });
    this.name = 'IdentityError';
    this.culprits = culprits;
  }
}
