/**
 * How contract outcomes become HTTP statuses: one table, every
 * `ContractRejection` in it (a test checks completeness against
 * `CONTRACT_REJECTIONS`), so a domain outcome is never a 500.
 *
 * - 400: the operation does not decode (`malformed`);
 * - 401: the signature does not verify;
 * - 403: the signer may not do this (not the organizer, holder or an authorised device);
 * - 404: the event, ticket or order does not exist;
 * - 409: the request conflicts with the current state (already consumed, listed,
 *   sold out, replayed request number, epoch closed…): it could succeed in another state;
 * - 422: the request is well-formed but invalid whatever the state (a stale code,
 *   the wrong event, an amount above the cap, a bad credential or share).
 * @module
 */
import type { ContractRejection } from '@admitone/market';

/** The HTTP statuses contract rejections map to. */
export type RejectionStatus = 400 | 401 | 403 | 404 | 409 | 422;

/** Every contract rejection reason and its HTTP status. */
export const REJECTION_STATUS: Readonly<Record<ContractRejection, RejectionStatus>> = {
  malformed: 400,
  invalid_signature: 401,
  not_authorized: 403,
  not_organizer: 403,
  not_holder: 403,
  not_credential_holder: 403,
  not_found: 404,
  unknown_order: 404,
  replayed: 409,
  already_exists: 409,
  too_many_devices: 409,
  insufficient_funds: 409,
  event_cancelled: 409,
  event_completed: 409,
  window_closed: 409,
  sold_out: 409,
  cap_per_person: 409,
  not_registered: 409,
  ticket_listed: 409,
  not_listed: 409,
  ticket_refunded: 409,
  ticket_revoked: 409,
  locked_in_epoch: 409,
  too_early: 409,
  no_committee: 409,
  epoch_closed: 409,
  duplicate_order: 409,
  too_many_orders: 409,
  epoch_open: 409,
  epoch_settled: 409,
  already_validated: 409,
  already_consumed: 409,
  not_validated: 409,
  disputed: 409,
  not_disputed: 409,
  invalid_amount: 422,
  invalid_quantity: 422,
  invalid_policy: 422,
  invalid_credential: 422,
  credential_expired: 422,
  wrong_event: 422,
  credential_mismatch: 422,
  same_holder: 422,
  not_transferable: 422,
  above_cap: 422,
  invalid_ciphertext: 422,
  wrong_epoch: 422,
  invalid_share: 422,
  stale_code: 422,
};

/** The HTTP status of a contract rejection (422 for a reason this table does not know, never 500). */
export function statusOfRejection(reason: string): RejectionStatus {
  return Object.prototype.hasOwnProperty.call(REJECTION_STATUS, reason) ? REJECTION_STATUS[reason as ContractRejection] : 422;
}

/** The coarse `error.code` of the envelope for an HTTP status. */
export function codeOfStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 422:
      return 'unprocessable';
    case 426:
      return 'upgrade_required';
    case 503:
      return 'unavailable';
    case 504:
      return 'timeout';
    default:
      return status >= 500 ? 'internal' : 'error';
  }
}
