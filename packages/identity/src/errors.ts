/**
 * Errors of the identity committee and client. Domain outcomes (a duplicate
 * enrollment, a refused request, a rejected scan) are results, not errors;
 * these are for configuration mistakes, lifecycle misuse and a committee that
 * cannot answer.
 * @module
 */
import { AdmitOneError, type AdmitOneErrorOptions } from '@admitone/core';
import type { RequestRejection } from './committee/messages.js';

/** Stable codes of {@link IdentityError}. */
export type IdentityErrorCode =
  /** The committee configuration cannot be safe (n < 3t+1, duplicate ids, bad keys). */
  | 'IDENTITY_CONFIG'
  /** A member was used before `start()` resolved. */
  | 'IDENTITY_NOT_STARTED'
  /** The member or client was closed. */
  | 'IDENTITY_CLOSED'
  /** Too few members answered consistently (timeouts, or members that lied): retry later. */
  | 'IDENTITY_UNAVAILABLE'
  /**
   * t+1 members agree on refusing the request, for the reason in
   * {@link IdentityError.reason} (also `meta.reason`), e.g. `not_authorized`
   * for a gate key the committee does not list: fix the request or the
   * configuration, retrying as is will not help (except for `stale`, after
   * fixing the clock). A refusal of `unavailable` is reported as
   * `IDENTITY_UNAVAILABLE` instead.
   */
  | 'IDENTITY_REFUSED'
  /** A member broke the protocol (named in `culprits`). */
  | 'IDENTITY_PROTOCOL';

/** Options of {@link IdentityError}. */
export interface IdentityErrorOptions extends AdmitOneErrorOptions {
  /** Members (peer ids) to blame, when identifiable. */
  readonly culprits?: readonly string[];
  /** Why the committee refused (with `IDENTITY_REFUSED`, and `IDENTITY_UNAVAILABLE` when members answered `unavailable`). */
  readonly reason?: RequestRejection;
}

/** Thrown by committee members and the identity client; `culprits` names members, never secrets. */
export class IdentityError extends AdmitOneError {
  declare readonly code: IdentityErrorCode;
  /** Members to blame, when identifiable. */
  readonly culprits: readonly string[];
  /** The committee's refusal reason, when t+1 members agreed on one (see `IDENTITY_REFUSED`); also in `meta.reason`. */
  readonly reason: RequestRejection | undefined;
  constructor(code: IdentityErrorCode, shortMessage: string, options: IdentityErrorOptions = {}) {
    const culprits = Object.freeze([...(options.culprits ?? [])]);
    const { reason, ...rest } = options;
    super(code, shortMessage, { ...rest, meta: { ...(options.meta ?? {}), culprits, ...(reason === undefined ? {} : { reason }) } });
    this.name = 'IdentityError';
    this.culprits = culprits;
    this.reason = reason;
  }
}
