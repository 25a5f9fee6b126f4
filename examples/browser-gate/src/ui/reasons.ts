/**
 * Every reason a gate can refuse a ticket, in words staff can act on. The
 * table is exhaustive over the identity package's admission reasons and the
 * contract's rejection reasons (the compiler checks it).
 * @module
 */
import type { AdmissionRejection } from '@admitone/identity';
import type { ContractRejection } from '@admitone/market';

/** Any reason the gate page may show. */
export type Reason = AdmissionRejection | ContractRejection;

const WORDS: Readonly<Record<Reason, string>> = {
  // the gate's offline check
  malformed: 'Not an AdmitOne ticket code',
  wrong_event: 'Ticket is for a different event',
  unknown_committee: 'Ticket credential from an unknown issuer',
  unknown_organizer: 'Ticket not signed by this event’s organizer',
  not_holder: 'Code not made by the ticket’s holder',
  expired: 'Ticket credential has expired',
  stale_code: 'Code expired or from an old copy of the ticket: ask the holder to refresh the wallet',
  invalid_signature: 'Forged or tampered ticket code',
  identity_mismatch: 'ID does not match the ticket',
  revoked: 'Ticket has been revoked',
  refunded: 'Ticket has been refunded',
  already_consumed: 'Ticket already used',
  // the ledger's
  replayed: 'Duplicate request',
  not_authorized: 'This gate device is not authorised for the event',
  too_many_devices: 'The event has as many gate devices as it may: revoke one first',
  invalid_amount: 'Invalid amount',
  invalid_quantity: 'Invalid quantity',
  insufficient_funds: 'Insufficient funds',
  invalid_policy: 'Invalid event policy',
  already_exists: 'Already exists',
  not_found: 'Unknown ticket or event',
  not_organizer: 'Only the organizer may do this',
  event_cancelled: 'Event cancelled',
  event_completed: 'Event completed',
  window_closed: 'Outside the allowed time window',
  sold_out: 'Sold out',
  cap_per_person: 'Per-person ticket limit reached',
  invalid_credential: 'Invalid identity credential',
  credential_expired: 'Identity credential expired',
  not_credential_holder: 'Credential belongs to someone else',
  credential_mismatch: 'Credential does not match',
  not_registered: 'Recipient not registered for the event',
  same_holder: 'Already the holder',
  not_transferable: 'Ticket is not transferable',
  ticket_listed: 'Ticket is listed for resale: the holder must cancel the listing first',
  not_listed: 'Ticket is not listed',
  above_cap: 'Price above the resale cap',
  ticket_refunded: 'Ticket has been refunded',
  locked_in_epoch: 'Ticket is locked in a resale round',
  too_early: 'Too early',
  no_committee: 'No order committee',
  invalid_ciphertext: 'Invalid sealed order',
  wrong_epoch: 'Wrong resale round',
  epoch_closed: 'Resale round closed',
  duplicate_order: 'Duplicate order',
  too_many_orders: 'Too many orders',
  epoch_open: 'Resale round still open',
  epoch_settled: 'Resale round already settled',
  unknown_order: 'Unknown order',
  invalid_share: 'Invalid decryption share',
  already_validated: 'Ticket already validated at another gate',
  not_validated: 'Ticket not validated yet',
  disputed: 'Ticket is under dispute: send the holder to the box office',
  not_disputed: 'Ticket is not disputed',
  ticket_revoked: 'Ticket has been revoked',
};

/** The words for a reason code (the code itself, spaced, for one the table does not know). */
export function reasonWords(reason: string): string {
  return (WORDS as Readonly<Record<string, string>>)[reason] ?? reason.replaceAll('_', ' ');
}
