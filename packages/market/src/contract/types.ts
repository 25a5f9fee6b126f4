/**
 * The `EventContract`'s public vocabulary: event policies, operations,
 * results, closed rejection reasons and read-only views.
 *
 * Money is always a `bigint` of integer minor units (cents). Tickets are
 * named by `(eventId, serial)`: serials run 1, 2, 3, … in issue order inside
 * their event, so all state is namespaced by event id.
 * @module
 */
import type { ClientId, EventId, GateId, RotatingCode, ScanFact } from '@admitone/core';

/** A half-open time window `[start, end)` in ms since the epoch, compared with the slot's agreed timestamp. */
export interface TimeWindow {
  /** First instant inside the window. */
  readonly start: number;
  /** First instant after the window (`end > start`). */
  readonly end: number;
}

/**
 * The resale price cap: a percentage of the face price (`percent: 110` allows
 * resale up to 110 % of face, rounded down) or an absolute amount.
 */
export type ResaleCap =
  | {
      /** Discriminator. */
      readonly kind: 'percent';
      /** The cap as a percentage of the face price (0 … 100 000). */
      readonly percent: number;
    }
  | {
      /** Discriminator. */
      readonly kind: 'absolute';
      /** The cap in minor units. */
      readonly amount: bigint;
    };

/**
 * Where sealed-order epochs are cut off. Epochs form a fixed grid so that a
 * client can tell which epoch its order is for: with `seq`, epoch `e` holds
 * the consensus slots `[s0 + e·length, s0 + (e+1)·length)` where `s0` is the
 * slot that created the event; with `time`, it holds the timestamps
 * `[resale.start + e·lengthMs, resale.start + (e+1)·lengthMs)`, and the
 * resale window may span at most {@link MAX_EPOCHS} of them. The cutoff of
 * an epoch is committed by the first epoch operation of the event
 * (`submitSealedOrder`, `cutoff`, `postShares`) executed past its end.
 * Committing cutoffs and settling costs time in proportion to the epochs
 * that hold orders, never to the number of epochs that went by.
 */
export type EpochSchedule =
  | {
      /** Discriminator: cut off by consensus sequence number. */
      readonly kind: 'seq';
      /** Slots per epoch (≥ 1). */
      readonly length: number;
    }
  | {
      /** Discriminator: cut off by the slots' agreed timestamps. */
      readonly kind: 'time';
      /** Milliseconds per epoch (≥ 1). */
      readonly lengthMs: number;
    };

/** An event's rules, fixed at `createEvent` and enforced by every replica. */
export interface EventPolicy {
  /** How many tickets exist (1 … {@link MAX_CAPACITY}). */
  readonly capacity: number;
  /** Face price per ticket, in minor units (≥ 0; 0 for free events). */
  readonly facePrice: bigint;
  /** When `buyPrimary` is open. */
  readonly sale: TimeWindow;
  /** When listings and sealed orders are accepted. */
  readonly resale: TimeWindow;
  /** The highest resale price. */
  readonly resaleCap: ResaleCap;
  /** The organizer's royalty on every resale, in basis points (0 … 10 000), rounded down. */
  readonly royaltyBps: number;
  /** The most tickets one person (one event tag) may hold at once. */
  readonly perPersonCap: number;
  /** Whether holders may `transfer` (gift) tickets. Resale goes through the market either way. */
  readonly transferable: boolean;
  /** The sealed-order epoch grid. */
  readonly epochs: EpochSchedule;
  /**
   * The most sealed orders one person may submit per epoch (1 …
   * {@link MAX_ORDERS_PER_EPOCH}), counted by event tag: every key a person
   * registered for the event draws on the same allowance.
   */
  readonly maxOrdersPerAccount: number;
}

/** Largest event capacity. */
export const MAX_CAPACITY = 1_000_000;
/** Most sealed orders one epoch of one event holds. */
export const MAX_ORDERS_PER_EPOCH = 4096;
/** Most decryption shares one `postShares` operation carries (keeps the op under `MAX_OP_BYTES`). */
export const MAX_SHARES_PER_OP = 256;
/**
 * Most epochs a `time` grid may lay over the resale window (2^20): a policy
 * with a finer grid is an `invalid_policy`.
 */
export const MAX_EPOCHS = 1 << 20;
/**
 * Most tickets one `buyPrimary` buys (more is `invalid_quantity`), so that the
 * result, one {@link TicketView} per ticket, stays small enough to deliver.
 */
export const MAX_PURCHASE_QUANTITY = 256;
/**
 * Most gate devices an event may have authorised at once (more is
 * `too_many_devices`); snapshots and result decoders accept exactly this many.
 */
export const MAX_GATE_DEVICES = 4096;
/** Most epoch summaries one operation's result lists (the lowest epochs first; query the rest). */
export const MAX_EPOCHS_PER_RESULT = 64;

/** Money enters the ledger: a funding key credits `amount` to `account`. */
export interface DepositOp {
  /** Discriminator. */
  readonly type: 'deposit';
  /** The credited account's 32-byte Ed25519 public key. */
  readonly account: Uint8Array;
  /** Minor units, 1 … `MAX_AMOUNT`. */
  readonly amount: bigint;
}

/** Money leaves the ledger: the signer takes `amount` out of its balance. */
export interface WithdrawOp {
  /** Discriminator. */
  readonly type: 'withdraw';
  /** Minor units, 1 … `MAX_AMOUNT` per operation, and at most the signer's balance. */
  readonly amount: bigint;
}

/** The signer creates an event and becomes its organizer. */
export interface CreateEventOp {
  /** Discriminator. */
  readonly type: 'createEvent';
  /** The new event's id (unique on the ledger). */
  readonly eventId: EventId;
  /** Its rules. */
  readonly policy: EventPolicy;
}

/** The signer buys tickets at face price, presenting its event credential. */
export interface BuyPrimaryOp {
  /** Discriminator. */
  readonly type: 'buyPrimary';
  /** The event. */
  readonly eventId: EventId;
  /** How many tickets, 1 … {@link MAX_PURCHASE_QUANTITY} (buy more in several operations). */
  readonly quantity: number;
  /** The signer's event credential for this event (`encodeCredential` from `@admitone/identity`). */
  readonly credential: Uint8Array;
}

/** The signer registers its event credential without buying (to receive transfers or bid in the market). */
export interface RegisterOp {
  /** Discriminator. */
  readonly type: 'register';
  /** The event. */
  readonly eventId: EventId;
  /** The signer's encoded event credential for this event. */
  readonly credential: Uint8Array;
}

/** The holder lists a ticket publicly; it is locked until sold or the listing is cancelled. */
export interface ListForResaleOp {
  /** Discriminator. */
  readonly type: 'listForResale';
  /** The event. */
  readonly eventId: EventId;
  /** The ticket's serial. */
  readonly serial: number;
  /** Asking price in minor units (1 … the resale cap, and at most `MAX_AMOUNT`). */
  readonly price: bigint;
}

/** The holder withdraws its listing (not while the listing is frozen into a closed epoch). */
export interface CancelListingOp {
  /** Discriminator. */
  readonly type: 'cancelListing';
  /** The event. */
  readonly eventId: EventId;
  /** The ticket's serial. */
  readonly serial: number;
}

/** The holder gives a ticket to another registered holder key; the ticket is re-issued. */
export interface TransferOp {
  /** Discriminator. */
  readonly type: 'transfer';
  /** The event. */
  readonly eventId: EventId;
  /** The ticket's serial. */
  readonly serial: number;
  /** The recipient's 32-byte Ed25519 public key (registered for the event). */
  readonly to: Uint8Array;
}

/** The organizer refunds one ticket: every sale of it is unwound. */
export interface RefundOp {
  /** Discriminator. */
  readonly type: 'refund';
  /** The event. */
  readonly eventId: EventId;
  /** The ticket's serial. */
  readonly serial: number;
}

/** The organizer cancels the event: every ticket is refunded and pending epochs are void. */
export interface CancelEventOp {
  /** Discriminator. */
  readonly type: 'cancelEvent';
  /** The event. */
  readonly eventId: EventId;
}

/** The organizer completes the event after its windows: escrow is released to balances. */
export interface CompleteEventOp {
  /** Discriminator. */
  readonly type: 'completeEvent';
  /** The event. */
  readonly eventId: EventId;
}

/** The signer submits a TDH2-sealed order (see `sealOrder`). */
export interface SubmitSealedOrderOp {
  /** Discriminator. */
  readonly type: 'submitSealedOrder';
  /** The event. */
  readonly eventId: EventId;
  /** The epoch the ciphertext is labelled for: the current one or the next. */
  readonly epoch: number;
  /** The encoded TDH2 ciphertext (`encodeTdh2Ciphertext`). */
  readonly ciphertext: Uint8Array;
}

/** Anyone commits the cutoff of every epoch of the event whose end has passed. */
export interface CutoffOp {
  /** Discriminator. */
  readonly type: 'cutoff';
  /** The event. */
  readonly eventId: EventId;
}

/** One decryption share in a {@link PostSharesOp}. */
export interface SharePost {
  /** The id of the ciphertext it decrypts (`tdh2CiphertextId`). */
  readonly ciphertextId: Uint8Array;
  /** The encoded share (`encodeTdh2DecryptionShare`). */
  readonly share: Uint8Array;
}

/**
 * A committee member posts decryption shares for the orders at positions
 * `from, from + 1, …` of a closed epoch (see `createShareMaker`).
 */
export interface PostSharesOp {
  /** Discriminator. */
  readonly type: 'postShares';
  /** The event. */
  readonly eventId: EventId;
  /** The closed epoch. */
  readonly epoch: number;
  /** Position of the first share's order. */
  readonly from: number;
  /** 1 … {@link MAX_SHARES_PER_OP} shares, one per consecutive order. */
  readonly shares: readonly SharePost[];
}

/**
 * The organizer authorises (or revokes) a gate device key to admit tickets of
 * its event; at most {@link MAX_GATE_DEVICES} devices at once
 * (`too_many_devices`).
 */
export interface GateDeviceOp {
  /** Discriminator. */
  readonly type: 'authorizeGate' | 'revokeGate';
  /** The event. */
  readonly eventId: EventId;
  /** The device's 32-byte Ed25519 public key (it signs the device's scans). */
  readonly device: Uint8Array;
}

/**
 * An authorised gate device admits a ticket in one step (the gate's strict
 * mode): the holder's rotating code must be signed by the ticket's current
 * holder for its current version and a time step within the contract's skew
 * of the scan time; the ticket must be issued, not listed and not disputed.
 * It becomes consumed and the scan is recorded.
 */
export interface AdmitOp {
  /** Discriminator. */
  readonly type: 'admit';
  /** The event the gate admits to. */
  readonly eventId: EventId;
  /** The ticket's serial. */
  readonly serial: number;
  /** The gate's scan: a fresh 16-byte nonce, the gate id and the gate's time. */
  readonly scan: ScanFact;
  /** The holder's rotating code from the presentation. */
  readonly code: RotatingCode;
}

/** First phase of two-phase admission: checks the holder's code and marks the ticket validated. */
export interface ValidateOp {
  /** Discriminator. */
  readonly type: 'validate';
  /** The event the gate admits to. */
  readonly eventId: EventId;
  /** The ticket's serial. */
  readonly serial: number;
  /** The gate's scan. */
  readonly scan: ScanFact;
  /** The holder's rotating code. */
  readonly code: RotatingCode;
}

/** Second phase of two-phase admission: a validated ticket is consumed (the person walked through). */
export interface ConsumeOp {
  /** Discriminator. */
  readonly type: 'consume';
  /** The event the gate admits to. */
  readonly eventId: EventId;
  /** The ticket's serial. */
  readonly serial: number;
  /** The gate's scan. */
  readonly scan: ScanFact;
}

/** The holder, the organizer or an authorised device disputes an issued or validated ticket. */
export interface DisputeOp {
  /** Discriminator. */
  readonly type: 'dispute';
  /** The event. */
  readonly eventId: EventId;
  /** The ticket's serial. */
  readonly serial: number;
  /** A short reason for staff (at most {@link MAX_NOTE_LENGTH} characters). */
  readonly note: string;
}

/** The organizer resolves a dispute: reinstate the prior state, revoke (void, no refund) or refund. */
export interface ResolveOp {
  /** Discriminator. */
  readonly type: 'resolve';
  /** The event. */
  readonly eventId: EventId;
  /** The ticket's serial. */
  readonly serial: number;
  /** What to do with the disputed ticket. */
  readonly outcome: 'reinstate' | 'revoke' | 'refund';
}

/** Longest dispute note. */
export const MAX_NOTE_LENGTH = 280;
/** Longest event id on the contract (ticket ids are `eventId:serial`, at most 128 characters). */
export const MAX_EVENT_ID_LENGTH = 100;

/** Operations of the contract. Each is the `op` of a request signed by its actor. */
export type ContractOp =
  | DepositOp
  | WithdrawOp
  | CreateEventOp
  | BuyPrimaryOp
  | RegisterOp
  | ListForResaleOp
  | CancelListingOp
  | TransferOp
  | RefundOp
  | CancelEventOp
  | CompleteEventOp
  | SubmitSealedOrderOp
  | CutoffOp
  | PostSharesOp
  | GateDeviceOp
  | AdmitOp
  | ValidateOp
  | ConsumeOp
  | DisputeOp
  | ResolveOp;

/** The kinds of {@link ContractOp}. */
export type ContractOpType = ContractOp['type'];

/** The closed set of rejection reasons. A rejection is a result and changes nothing (but the request number). */
export const CONTRACT_REJECTIONS = [
  'malformed',
  'invalid_signature',
  'replayed',
  'not_authorized',
  'invalid_amount',
  'invalid_quantity',
  'insufficient_funds',
  'invalid_policy',
  'already_exists',
  'not_found',
  'not_organizer',
  'event_cancelled',
  'event_completed',
  'window_closed',
  'sold_out',
  'cap_per_person',
  'invalid_credential',
  'credential_expired',
  'wrong_event',
  'not_credential_holder',
  'credential_mismatch',
  'not_registered',
  'not_holder',
  'same_holder',
  'not_transferable',
  'ticket_listed',
  'not_listed',
  'above_cap',
  'ticket_refunded',
  'locked_in_epoch',
  'too_early',
  'no_committee',
  'invalid_ciphertext',
  'wrong_epoch',
  'epoch_closed',
  'duplicate_order',
  'too_many_orders',
  'epoch_open',
  'epoch_settled',
  'unknown_order',
  'invalid_share',
  'stale_code',
  'already_validated',
  'already_consumed',
  'not_validated',
  'disputed',
  'not_disputed',
  'ticket_revoked',
  'too_many_devices',
] as const;
/** Why an operation was rejected. */
export type ContractRejection = (typeof CONTRACT_REJECTIONS)[number];

/** A ticket's money lifecycle on the contract: active, refunded (payments unwound) or revoked (void, no refund). */
export type TicketStatus = 'active' | 'refunded' | 'revoked';

/**
 * A ticket's admission lifecycle: issued → validated → consumed (terminal),
 * or disputed (from issued or validated) until the organizer resolves it.
 * States only move forward; only an issued ticket can change hands.
 */
export type AdmissionState = 'issued' | 'validated' | 'consumed' | 'disputed';

/** An accepted scan on a ticket: append-only. */
export interface ScanView {
  /** Which admission step it recorded. */
  readonly kind: 'validate' | 'consume' | 'admit';
  /** The gate's 16-byte nonce. */
  readonly nonce: Uint8Array;
  /** The entrance. */
  readonly gate: GateId;
  /** The gate's time of the scan (ms since the epoch). */
  readonly time: number;
  /** Hex of the authorised device key that signed it. */
  readonly device: ClientId;
  /** The consensus slot that ordered it. */
  readonly seq: number;
}

/** The public view of a ticket. */
export interface TicketView {
  /** The event. */
  readonly eventId: EventId;
  /** 1-based serial inside the event. */
  readonly serial: number;
  /** Hex of the holder's Ed25519 key; changes, with `version`, on every ownership change. */
  readonly holder: ClientId;
  /** 1 at issue, +1 on every ownership change, so an old copy of the ticket stops working at the gate. */
  readonly version: number;
  /** Active, or refunded (void at the gate). */
  readonly status: TicketStatus;
  /** What the current holder paid for it (0 for a gift). */
  readonly paid: bigint;
  /** The public listing price, when listed. */
  readonly listing?: bigint;
  /** Where the ticket is on its way through the gate. */
  readonly admission: AdmissionState;
  /** While disputed: the state it was disputed from. */
  readonly disputedFrom?: 'issued' | 'validated';
  /** Accepted scans, oldest first. */
  readonly scans: readonly ScanView[];
}

/** An account's money. */
export interface AccountView {
  /** Hex of the account's Ed25519 key. */
  readonly account: ClientId;
  /** Spendable and withdrawable. */
  readonly balance: bigint;
  /** Held for events that have not completed (sale proceeds, royalties); released by `completeEvent`. */
  readonly escrow: bigint;
}

/** An event's lifecycle. */
export type EventStatus = 'open' | 'cancelled' | 'completed';

/** The public view of an event. */
export interface EventView {
  /** The event. */
  readonly eventId: EventId;
  /** Hex of the organizer's key (the signer of `createEvent`). */
  readonly organizer: ClientId;
  /** Its rules. */
  readonly policy: EventPolicy;
  /** Open, cancelled or completed. */
  readonly status: EventStatus;
  /** The consensus slot that created the event (origin of a `seq` epoch grid). */
  readonly createdSeq: number;
  /** Tickets issued so far (serials 1 … issued). */
  readonly issued: number;
  /** Tickets refunded so far. */
  readonly refunded: number;
  /** Every epoch below this has had its cutoff committed. */
  readonly cutoffThrough: number;
  /** Every epoch below this is settled (or was void). */
  readonly settledThrough: number;
  /** Hex keys of the authorised gate devices, sorted. */
  readonly devices: readonly ClientId[];
  /** Tickets consumed at a gate so far. */
  readonly admitted: number;
}

/** Counters over the whole contract (`stats` query). */
export interface ContractStats {
  /** Events created. */
  readonly events: number;
  /** Tickets issued. */
  readonly tickets: number;
  /** Tickets consumed at a gate. */
  readonly admitted: number;
  /** Tickets refunded. */
  readonly refunded: number;
  /** Tickets listed right now. */
  readonly listed: number;
  /** Sealed-order epochs settled. */
  readonly settledEpochs: number;
}

/** Most tickets one `tickets` query returns. */
export const MAX_TICKETS_PAGE = 500;
/** Most sealed orders one `orders` query returns. */
export const MAX_ORDERS_PAGE = 256;
/**
 * Most items one `epochOutcomes` or `epochTrades` query returns. An outcome
 * or a trade encodes to at most about 230 bytes (about 300 as node-host
 * JSON), under half a sealed order with its ciphertext (about 530), so even
 * a worst-case full page stays under 128 KiB, less than a full `orders`
 * page, and the {@link MAX_ORDERS_PER_EPOCH} outcomes of a full epoch take 8
 * pages.
 */
export const MAX_EPOCH_PAGE = 512;
/**
 * Most scans a ticket can carry: the admission machine records at most two
 * (validate, consume) or one (admit); readers accept this many.
 */
export const MAX_SCANS_PER_TICKET = 64;

/** A sealed order as committed (still encrypted). */
export interface SealedOrderView {
  /** Position in the epoch. */
  readonly position: number;
  /** The submitting account. */
  readonly submitter: ClientId;
  /** The encoded TDH2 ciphertext. */
  readonly ciphertext: Uint8Array;
  /** Its id (`tdh2CiphertextId`). */
  readonly ciphertextId: Uint8Array;
}

/**
 * Where an event's sealed-order grid stands as of the last slot that applied
 * an operation on the replica (a read has no slot of its own). With a `time`
 * grid a client can also compute the epoch from the policy and its clock.
 */
export interface CurrentEpochView {
  /** The event. */
  readonly eventId: EventId;
  /**
   * The epoch that accepted orders at that slot: the grid's epoch, but never
   * one whose cutoff is committed. Orders may name it or the next one.
   */
  readonly epoch: number;
  /** That slot's sequence number (0 before any operation). */
  readonly asOfSeq: number;
  /** That slot's agreed timestamp. */
  readonly asOfTimestamp: number;
}

/** What became of one sealed order at settlement. */
export type OrderStatus = 'filled' | 'partial' | 'unmatched' | 'dropped';

/**
 * Why a decrypted order was dropped (or, for `partial`, why it stopped): a
 * closed set, recorded in the epoch's outcome.
 */
export const ORDER_DROP_REASONS = [
  'undecryptable',
  'malformed_order',
  'wrong_submitter',
  'invalid_amount',
  'invalid_quantity',
  'above_cap',
  'not_holder',
  'ticket_listed',
  'duplicate_ask',
  'ticket_scanned',
  'cap_per_person',
  'insufficient_funds',
] as const;
/** A reason from {@link ORDER_DROP_REASONS}. */
export type OrderDropReason = (typeof ORDER_DROP_REASONS)[number];

/** One sealed order's outcome, in submission order. */
export interface OrderOutcome {
  /** Position in the epoch (consensus order of submission). */
  readonly position: number;
  /** The account that submitted it. */
  readonly submitter: ClientId;
  /** The ciphertext id (`tdh2CiphertextId` of the sealed order). */
  readonly ciphertextId: Uint8Array;
  /** The order's side, once decrypted and decoded. */
  readonly side?: 'bid' | 'ask';
  /** Filled, partly filled, unmatched, or dropped with a reason. */
  readonly status: OrderStatus;
  /** Tickets bought (bid) or sold (ask). */
  readonly filled: number;
  /** Why it was dropped, or why a partial fill stopped. */
  readonly reason?: OrderDropReason;
}

/** One resale executed at settlement. */
export interface TradeView {
  /** The ticket sold. */
  readonly serial: number;
  /** Its holder before the trade. */
  readonly seller: ClientId;
  /** Its holder after the trade. */
  readonly buyer: ClientId;
  /** What the buyer paid (the ask's price). */
  readonly price: bigint;
  /** The organizer's royalty out of `price`; the seller's escrow got `price − royalty`. */
  readonly royalty: bigint;
  /** The re-issued ticket's version. */
  readonly version: number;
  /** Whether the ask was a public listing (else a sealed ask). */
  readonly listing: boolean;
}

/** An epoch's lifecycle: collecting orders, closed and awaiting shares, settled, or void (event cancelled/completed first). */
export type EpochStatus = 'open' | 'closed' | 'settled' | 'void';

/**
 * The public view (a summary of bounded size) of a sealed-order epoch.
 * Orders stay opaque until it is settled; the settled epoch's outcomes and
 * trades are paged separately (`epochOutcomes`, `epochTrades`), since an
 * epoch can hold {@link MAX_ORDERS_PER_EPOCH} orders.
 */
export interface EpochView {
  /** The event. */
  readonly eventId: EventId;
  /** The epoch number on the event's grid. */
  readonly epoch: number;
  /** Open, closed (awaiting shares), settled or void. */
  readonly status: EpochStatus;
  /** Sealed orders submitted. */
  readonly orders: number;
  /** Orders that already have t + 1 valid decryption shares. */
  readonly decryptable: number;
  /** The slot that committed the cutoff. */
  readonly closedAtSeq?: number;
  /** The slot that settled it. */
  readonly settledAtSeq?: number;
  /** The shuffle seed (known only after the reveal). */
  readonly seed?: Uint8Array;
  /**
   * Once settled: how many per-order outcomes it recorded (one per sealed
   * order, so equal to `orders`). Page through them with the
   * `epochOutcomes` query or `EventContract.listEpochOutcomes`.
   */
  readonly outcomes?: number;
  /**
   * Once settled: how many trades it executed. Page through them, in
   * execution order, with the `epochTrades` query or
   * `EventContract.listEpochTrades`.
   */
  readonly trades?: number;
}

/** Where an accepted sealed order went. */
export interface OrderReceipt {
  /** The epoch that holds the order. */
  readonly epoch: number;
  /** Its position in that epoch. */
  readonly position: number;
  /** The ciphertext id (what a member's share names). */
  readonly ciphertextId: Uint8Array;
}

/** Money totals: the conservation law is `balances + escrow = deposited − withdrawn`. */
export interface SupplyView {
  /** Everything ever deposited. */
  readonly deposited: bigint;
  /** Everything ever withdrawn. */
  readonly withdrawn: bigint;
  /** The sum of all balances. */
  readonly balances: bigint;
  /** The sum of all escrow. */
  readonly escrow: bigint;
}

/** A rejected operation: nothing changed but the signer's request number. */
export interface ContractRejected {
  /** Discriminator. */
  readonly status: 'rejected';
  /** Why. */
  readonly reason: ContractRejection;
}

/** An applied operation, with the views it touched. */
export interface ContractApplied {
  /** Discriminator. */
  readonly status: 'ok';
  /** The account that paid or was paid (deposit, withdraw, buyPrimary). */
  readonly account?: AccountView;
  /** The event (createEvent, cancelEvent, completeEvent). */
  readonly event?: EventView;
  /** Tickets issued or changed. */
  readonly tickets?: readonly TicketView[];
  /** Where a sealed order went (submitSealedOrder). */
  readonly order?: OrderReceipt;
  /**
   * Epochs closed, touched or settled by the operation, lowest first and at
   * most {@link MAX_EPOCHS_PER_RESULT} of them (summaries: page a settled
   * epoch's outcomes and trades with the `epochOutcomes` and `epochTrades`
   * queries, and query the event for how far settlement got).
   */
  readonly epochs?: readonly EpochView[];
}

/** The result of executing an operation. */
export type ContractResult = ContractRejected | ContractApplied;

/** Read-only queries (`request.readOnly`). */
export type ContractQuery =
  | {
      /** Discriminator. */
      readonly type: 'account';
      /** The account's 32-byte key. */
      readonly account: Uint8Array;
    }
  | {
      /** Discriminator. */
      readonly type: 'event';
      /** The event. */
      readonly eventId: EventId;
    }
  | {
      /** Discriminator. */
      readonly type: 'ticket';
      /** The event. */
      readonly eventId: EventId;
      /** The ticket's serial. */
      readonly serial: number;
    }
  | {
      /** Discriminator. */
      readonly type: 'epoch';
      /** The event. */
      readonly eventId: EventId;
      /** The epoch number. */
      readonly epoch: number;
    }
  | {
      /** Discriminator. */
      readonly type: 'supply';
    }
  | {
      /**
       * Discriminator: a page of an event's tickets in serial order, all of
       * them or only those a key holds (`holder`).
       */
      readonly type: 'tickets';
      /** The event. */
      readonly eventId: EventId;
      /**
       * Only the tickets whose current holder is this 32-byte Ed25519 public
       * key, whatever their status: active (listed or not, at any admission
       * state, disputed included), refunded or revoked — the views say which,
       * so a wallet can show a refund rather than lose the ticket. A ticket
       * leaves the page when it changes hands (transfer, resale). Answered
       * from an index: a page costs O(log n + page), not O(tickets). Another
       * length is `malformed`.
       */
      readonly holder?: Uint8Array;
      /** Start after this serial (the previous page's `next`); default 0. */
      readonly after?: number;
      /** Page size, 1 … {@link MAX_TICKETS_PAGE}; default 100. */
      readonly limit?: number;
    }
  | {
      /** Discriminator. */
      readonly type: 'stats';
    }
  | {
      /** Discriminator: a page of an unsettled epoch's sealed orders in position order (what committee members compute shares for). */
      readonly type: 'orders';
      /** The event. */
      readonly eventId: EventId;
      /** The epoch. */
      readonly epoch: number;
      /** Position of the first order of the page (the previous page's `next`); default 0. */
      readonly from?: number;
      /** Page size, 1 … {@link MAX_ORDERS_PAGE}; default 100. */
      readonly limit?: number;
    }
  | {
      /**
       * Discriminator: a page of a settled epoch's per-order outcomes, in
       * position order (an outcome's `position` is its index). Empty for an
       * epoch that is not settled (open, closed or void): read the `epoch`
       * summary's `status` before taking an empty page for "no orders".
       */
      readonly type: 'epochOutcomes';
      /** The event. */
      readonly eventId: EventId;
      /** The epoch. */
      readonly epoch: number;
      /** Position of the first outcome of the page (the previous page's `next`); default 0. */
      readonly from?: number;
      /** Page size, 1 … {@link MAX_EPOCH_PAGE}; default 100. */
      readonly limit?: number;
    }
  | {
      /**
       * Discriminator: a page of a settled epoch's trades, in execution
       * order. Empty for an epoch that is not settled (open, closed or
       * void): read the `epoch` summary's `status` before taking an empty
       * page for "no trades".
       */
      readonly type: 'epochTrades';
      /** The event. */
      readonly eventId: EventId;
      /** The epoch. */
      readonly epoch: number;
      /** Index (in execution order) of the first trade of the page (the previous page's `next`); default 0. */
      readonly from?: number;
      /** Page size, 1 … {@link MAX_EPOCH_PAGE}; default 100. */
      readonly limit?: number;
    }
  | {
      /** Discriminator: the epoch currently accepting orders ({@link CurrentEpochView}). */
      readonly type: 'currentEpoch';
      /** The event. */
      readonly eventId: EventId;
    };

/** Answers to {@link ContractQuery}. */
export type ContractQueryResult =
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** The account asked for (zeros when unknown). */
      readonly account: AccountView;
    }
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** The event asked for. */
      readonly event: EventView;
    }
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** The ticket asked for. */
      readonly ticket: TicketView;
    }
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** The epoch asked for: its summary, with outcome and trade counts once settled. */
      readonly epoch: EpochView;
    }
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** The money totals. */
      readonly supply: SupplyView;
    }
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** The page of tickets, in serial order. */
      readonly tickets: readonly TicketView[];
      /** The `after` of the next page (the last serial of this one), when more tickets follow. */
      readonly next?: number;
    }
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** The counters. */
      readonly stats: ContractStats;
    }
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** The page of sealed orders (empty for an unknown, empty or finished epoch). */
      readonly orders: readonly SealedOrderView[];
      /** The `from` of the next page, when there is one. */
      readonly next?: number;
    }
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** The page of a settled epoch's outcomes, in position order (empty for an epoch not settled). */
      readonly outcomes: readonly OrderOutcome[];
      /** The `from` of the next page, when more outcomes follow. */
      readonly next?: number;
    }
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** The page of a settled epoch's trades, in execution order (empty for an epoch not settled). */
      readonly trades: readonly TradeView[];
      /** The `from` of the next page, when more trades follow. */
      readonly next?: number;
    }
  | {
      /** Discriminator. */
      readonly status: 'ok';
      /** Where the event's epoch grid stands. */
      readonly currentEpoch: CurrentEpochView;
    }
  | {
      /** Discriminator. */
      readonly status: 'rejected';
      /** Unknown event/ticket, or an undecodable query. */
      readonly reason: 'not_found' | 'malformed';
    };
