/**
 * Ticket lifecycle types: states, operations, results and closed rejection
 * reasons.
 * @module
 */
import type { ClientId, EventId, GateId, TicketId } from '../codec/hash.js';

/** All ticket states, as a const object (no enums). */
export const TicketState = {
  ISSUED: 'ISSUED',
  VALIDATED: 'VALIDATED',
  CONSUMED: 'CONSUMED',
  DISPUTED: 'DISPUTED',
  REVOKED: 'REVOKED',
  REFUNDED: 'REFUNDED',
} as const;
/** A ticket state. */
export type TicketState = (typeof TicketState)[keyof typeof TicketState];

/** States a ticket never leaves. */
export const TERMINAL_STATES: readonly TicketState[] = ['CONSUMED', 'REVOKED', 'REFUNDED'];

/**
 * Progress rank of the admission path: ISSUED (0) → VALIDATED (1) → CONSUMED
 * (2). A ticket's rank never decreases; DISPUTED keeps the rank of the state it
 * was disputed from; REVOKED and REFUNDED are terminal.
 */
export function progressRank(state: TicketState, disputedFrom?: TicketState): number {
  switch (state) {
    case 'ISSUED':
      return 0;
    case 'VALIDATED':
      return 1;
    case 'DISPUTED':
      return disputedFrom === 'VALIDATED' ? 1 : 0;
    case 'CONSUMED':
    case 'REVOKED':
    case 'REFUNDED':
      return 2;
  }
}

/**
 * The closed set of rejection reasons. A rejection is a result, never a thrown error.
 *
 * - `malformed`: the op bytes do not decode, or a key it names (`issue`
 *   holder, `transfer` target, `authorizeGate` device) is not a valid Ed25519
 *   public key (see {@link isValidPublicKey}); also a read-only or ill-numbered
 *   request passed to `execute`;
 * - `invalid_signature`: the request's signature (or its signer key) does not
 *   verify, or a `validate` carries a holder code whose signature does not;
 * - `replayed`: the `(clientId, requestSeq)` already executed or fell out of
 *   the replay window;
 * - `not_found`, `already_exists`, `wrong_event`: the event or ticket is
 *   unknown, already exists, or belongs to another event;
 * - `not_organizer`, `not_holder`, `not_authorized`: the signer may not do
 *   this (not the event's organizer, not the holder, not an authorised gate
 *   device, holder or organizer);
 * - `stale_code`: the holder code is missing or names another holder, version
 *   or time step;
 * - `already_validated`, `already_consumed`, `not_validated`, `disputed`,
 *   `not_disputed`, `revoked`, `refunded`: the ticket's state does not allow
 *   the operation. `refund` answers `already_validated` for a VALIDATED ticket
 *   and for one DISPUTED from VALIDATED (the organizer settles that one with
 *   `resolve`);
 * - `same_holder`: a transfer to the current holder;
 * - `too_many_devices`: the event already has {@link MAX_GATE_DEVICES}
 *   authorised gate devices.
 */
export const REJECTION_REASONS = [
  'malformed',
  'invalid_signature',
  'replayed',
  'not_found',
  'already_exists',
  'wrong_event',
  'not_organizer',
  'not_holder',
  'not_authorized',
  'stale_code',
  'already_validated',
  'already_consumed',
  'not_validated',
  'disputed',
  'not_disputed',
  'revoked',
  'refunded',
  'same_holder',
  'too_many_devices',
] as const;
/** A rejection reason. */
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/**
 * Most gate devices an event may authorise at once: a further `authorizeGate`
 * is rejected `too_many_devices`, and decoders refuse longer device lists.
 */
export const MAX_GATE_DEVICES = 4096;

/** A scan fact recorded by a gate: append-only, carrying `(nonce, gate, device, time)`. */
export interface ScanFact {
  /** 16 random bytes chosen by the gate, unique per scan. */
  readonly nonce: Uint8Array;
  /** The entrance. */
  readonly gate: GateId;
  /** Gate's local time of the scan (ms since epoch). */
  readonly time: number;
}

/**
 * A holder's rotating proof of possession (SafeTix-style): the holder's
 * Ed25519 signature over `(ticketId, version, step)` where
 * `step = floor(time / stepMs)`. A code made before a transfer names an old
 * holder or version and is refused as `stale_code`.
 */
export interface RotatingCode {
  /** The holder key that signed; must be the ticket's current holder. */
  readonly holder: Uint8Array;
  /** The ticket version the code was made for; must be current. */
  readonly version: number;
  /** The time step the code was made for. */
  readonly step: number;
  /** 64-byte signature. */
  readonly signature: Uint8Array;
}

/**
 * Operations on the ticket ledger. Each is signed (as a request) by its actor.
 *
 * - `createEvent`: anyone; the signer becomes the event's organizer.
 * - `authorizeGate`, `revokeGate`, `issue`: the organizer; at most
 *   {@link MAX_GATE_DEVICES} devices per event.
 * - `transfer`: the holder, only from ISSUED; bumps the ticket's version.
 * - `validate` (ISSUED → VALIDATED, with the holder's rotating code) and
 *   `consume` (VALIDATED → CONSUMED): an authorised gate device of the
 *   ticket's event. Each records its scan.
 * - `dispute`: the holder, the organizer or an authorised device, from ISSUED
 *   or VALIDATED; the ticket is frozen until `resolve`.
 * - `resolve`: the organizer, on a DISPUTED ticket: `reinstate` returns it to
 *   the state it was disputed from, `revoke` or `refund` end it.
 * - `revoke`: the organizer, from any non-terminal state.
 * - `refund`: the organizer, from ISSUED or from DISPUTED when the dispute
 *   began at ISSUED; a ticket that was validated is `already_validated`
 *   (settle a dispute about it with `resolve`).
 */
export type TicketOp =
  | { readonly type: 'createEvent'; readonly eventId: EventId }
  | { readonly type: 'authorizeGate'; readonly eventId: EventId; readonly device: Uint8Array }
  | { readonly type: 'revokeGate'; readonly eventId: EventId; readonly device: Uint8Array }
  | { readonly type: 'issue'; readonly eventId: EventId; readonly ticketId: TicketId; readonly holder: Uint8Array }
  | { readonly type: 'transfer'; readonly ticketId: TicketId; readonly to: Uint8Array }
  | { readonly type: 'validate'; readonly eventId: EventId; readonly ticketId: TicketId; readonly scan: ScanFact; readonly code?: RotatingCode }
  | { readonly type: 'consume'; readonly eventId: EventId; readonly ticketId: TicketId; readonly scan: ScanFact }
  | { readonly type: 'dispute'; readonly ticketId: TicketId; readonly note: string }
  | { readonly type: 'resolve'; readonly ticketId: TicketId; readonly outcome: 'reinstate' | 'revoke' | 'refund' }
  | { readonly type: 'revoke'; readonly ticketId: TicketId }
  | { readonly type: 'refund'; readonly ticketId: TicketId };

/** The kinds of {@link TicketOp}. */
export type TicketOpType = TicketOp['type'];

/** A recorded, accepted scan (validate or consume) on a ticket. */
export interface ScanRecord extends ScanFact {
  readonly kind: 'validate' | 'consume';
  /** The authorised gate device (hex public key) that submitted it. */
  readonly device: ClientId;
  /** The consensus sequence number that ordered it. */
  readonly seq: number;
}

/** The public view of a ticket. */
export interface TicketView {
  readonly ticketId: TicketId;
  readonly eventId: EventId;
  readonly state: TicketState;
  /** Hex of the holder's Ed25519 public key. */
  readonly holder: ClientId;
  /** Incremented on every ownership change; old codes stop working. */
  readonly version: number;
  /** Set while DISPUTED: the state the ticket was disputed from. */
  readonly disputedFrom?: TicketState;
  /** Accepted scans, oldest first. */
  readonly scans: readonly ScanRecord[];
}

/** The public view of an event on the ticket ledger. */
export interface EventView {
  readonly eventId: EventId;
  /** Hex of the organizer's public key. */
  readonly organizer: ClientId;
  /** Hex public keys of authorised gate devices, sorted. */
  readonly devices: readonly ClientId[];
  readonly tickets: number;
}

/** The result of executing a ticket operation. */
export type TicketResult =
  | { readonly status: 'ok'; readonly ticket?: TicketView; readonly event?: EventView }
  | { readonly status: 'rejected'; readonly reason: RejectionReason };

/** Read-only queries. */
export type TicketQuery =
  | { readonly type: 'ticket'; readonly ticketId: TicketId }
  | { readonly type: 'event'; readonly eventId: EventId }
  | {
      readonly type: 'tickets';
      /** Only this event's tickets. */
      readonly eventId?: EventId;
      /**
       * Only the tickets this 32-byte key holds now (every state: a wallet's
       * whole history of tickets it still holds, consumed ones included).
       * With `eventId`, that key's tickets of that event.
       */
      readonly holder?: Uint8Array;
      /** Start after this ticket id (the previous page's `next`). */
      readonly after?: TicketId;
      /** Page size, 1 … 1,000; default 100. */
      readonly limit?: number;
    }
  | { readonly type: 'stats' };

/** Counts by state, for `stats` queries. */
export interface LedgerStats {
  readonly events: number;
  readonly tickets: number;
  readonly byState: Readonly<Record<TicketState, number>>;
}

/** Answers to {@link TicketQuery}. */
export type TicketQueryResult =
  | { readonly status: 'ok'; readonly ticket: TicketView }
  | { readonly status: 'ok'; readonly event: EventView }
  | { readonly status: 'ok'; readonly tickets: readonly TicketView[]; readonly next?: TicketId }
  | { readonly status: 'ok'; readonly stats: LedgerStats }
  | { readonly status: 'rejected'; readonly reason: 'not_found' | 'malformed' };
