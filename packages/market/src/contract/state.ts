/**
 * The contract's in-memory state, the money movements every operation is
 * built from, and the canonical snapshot.
 *
 * Money invariant: every minor unit is either in an account's balance or in
 * an account's escrow for an open event, and `Σ balances + Σ escrow =
 * deposited − withdrawn`. Escrow is never stored on its own: an account's
 * escrow for an event is the sum of the credits it received from the
 * payments of that event's active tickets, so unwinding a ticket's payments
 * (refund, cancellation) removes exactly what they added.
 * @module
 */
import {
  CodecError,
  bytesToHex,
  createReplayGuard,
  decode,
  encode,
  equalBytes,
  invariant,
  readArray,
  readBigInt,
  readBytes,
  readEnum,
  readInt,
  readRecord,
  readString,
  type CborValue,
  type ClientId,
  type EventId,
  type GateId,
  type ReplayGuard,
  readId,
} from '@admitone/core';
import { decodeTdh2Ciphertext, decodeTdh2DecryptionShare, tdh2CiphertextId, type Tdh2Ciphertext, type Tdh2DecryptionShare } from '../tdh2/index.js';
import { outcomeToCbor, readClientId, readEventId, readOutcome, readTrade } from './codec.js';
import { indexTicket, type HolderIndex } from './holdings.js';
import { frozenPolicy, policyToCbor, readPolicy } from './policy.js';
import { MAX_GATE_DEVICES, MAX_SCANS_PER_TICKET, type AdmissionState, type EventPolicy, type EventStatus, type OrderOutcome, type ScanView, type TicketStatus, type TradeView } from './types.js';

/**
 * Snapshot format tag. v2: frozen listings carry the holder and ticket
 * version they were frozen with, and the last executed slot is kept (v1
 * snapshots are refused).
 */
export const EVENT_CONTRACT_SNAPSHOT = 'admitone/market/event-contract/v2';

/** One sale of a ticket: who paid how much, and whose escrow (for this event) got what. */
export interface Payment {
  readonly payer: ClientId;
  readonly amount: bigint;
  readonly credits: readonly (readonly [ClientId, bigint])[];
}

/** A ticket inside its event. */
export interface Ticket {
  holder: ClientId;
  version: number;
  status: TicketStatus;
  listing: bigint | undefined;
  /** Every sale of this ticket, oldest first (gifts add none). */
  payments: Payment[];
  /** Where it is on its way through the gate. */
  admission: AdmissionState;
  /** While disputed: the state it was disputed from. */
  disputedFrom: 'issued' | 'validated' | undefined;
  /** Accepted scans, oldest first (append-only). */
  scans: ScanView[];
}

/** A newly issued ticket (not yet in an event: see {@link issueTicket}). */
function newTicket(holder: ClientId): Ticket {
  return { holder, version: 1, status: 'active', listing: undefined, payments: [], admission: 'issued', disputedFrom: undefined, scans: [] };
}

/**
 * Issues the next ticket of event `e` to `holder` (its serial is the new
 * ticket count) and indexes it under its holder. The caller records the sale
 * and the held count.
 */
export function issueTicket(e: EventState, holder: ClientId): Ticket {
  const t = newTicket(holder);
  e.tickets.push(t);
  indexTicket(e.byHolder, holder, e.tickets.length);
  return t;
}

/** A sealed order waiting for its epoch to settle. */
export interface SealedOrder {
  readonly submitter: ClientId;
  readonly ciphertext: Tdh2Ciphertext;
  /** Its canonical encoding, as submitted (a private copy: never hand it out). */
  readonly bytes: Uint8Array;
  readonly id: Uint8Array;
  readonly idHex: string;
  /** Valid decryption shares by member index (at most t + 1 are kept), with their encodings. */
  readonly shares: Map<bigint, { readonly share: Tdh2DecryptionShare; readonly bytes: Uint8Array }>;
}

/**
 * A public listing as frozen into an epoch at its cutoff. The holder and the
 * ticket version name the listing exactly: a ticket's version changes with
 * every change of hands, and a listing cannot be cancelled while a frozen
 * entry matches it, so a later listing of the same ticket (after a sale, by
 * the buyer) never matches an older entry, whatever its price.
 */
export interface FrozenListing {
  readonly serial: number;
  readonly price: bigint;
  readonly holder: ClientId;
  readonly version: number;
}

/** True when ticket `t` is still listed exactly as `f` froze it (same price, holder and version). */
export function matchesFrozen(f: FrozenListing, t: Ticket): boolean {
  return t.status === 'active' && t.listing === f.price && t.holder === f.holder && t.version === f.version;
}

/** An epoch that has sealed orders and is not settled yet. */
export interface PendingEpoch {
  readonly epoch: number;
  readonly orders: SealedOrder[];
  /** `ciphertextIdHex/submitter` of every order, to refuse duplicates. */
  readonly keys: Set<string>;
  /** Orders per person (event tag, hex), whatever key submitted them. */
  readonly perPerson: Map<string, number>;
  /** The slot that committed the cutoff, once closed. */
  closedAtSeq: number | undefined;
  /** Public listings frozen into the epoch at its cutoff, by serial (strictly increasing). */
  frozen: readonly FrozenListing[] | undefined;
  /** Orders with t + 1 valid shares. */
  decryptable: number;
}

/** A finished epoch's public record. */
export interface EpochRecord {
  readonly epoch: number;
  readonly status: 'settled' | 'void';
  readonly orders: number;
  readonly closedAtSeq: number | undefined;
  readonly settledAtSeq: number | undefined;
  readonly seed: Uint8Array | undefined;
  readonly outcomes: readonly OrderOutcome[];
  readonly trades: readonly TradeView[];
}

/** One event's namespace. */
export interface EventState {
  readonly id: EventId;
  readonly organizer: ClientId;
  readonly policy: EventPolicy;
  readonly createdSeq: number;
  status: EventStatus;
  /** `tickets[serial − 1]`. */
  readonly tickets: Ticket[];
  refunded: number;
  /** Registered holder keys → the event tag (hex) of their credential. */
  readonly holders: Map<ClientId, string>;
  /** Derived: active tickets held per event tag. */
  readonly held: Map<string, number>;
  /** Derived: escrow per account for this event (open events only). */
  readonly escrow: Map<ClientId, bigint>;
  /**
   * Derived: the serials each key holds, whatever their status (see
   * `holdings.ts`); changed only by `issueTicket` and `moveTicket`.
   */
  readonly byHolder: HolderIndex;
  cutoffThrough: number;
  settledThrough: number;
  readonly pending: Map<number, PendingEpoch>;
  readonly history: Map<number, EpochRecord>;
  /** Authorised gate device keys. */
  readonly devices: Set<ClientId>;
  /** Tickets consumed at a gate. */
  admitted: number;
}

/** An account's money; `escrow` is derived (the sum over open events). */
export interface Account {
  balance: bigint;
  escrow: bigint;
}

/** The whole contract state. */
export interface ContractState {
  readonly accounts: Map<ClientId, Account>;
  readonly events: Map<EventId, EventState>;
  replay: ReplayGuard;
  deposited: bigint;
  withdrawn: bigint;
  /** The slot of the last applied operation (what a read reports the epoch grid against). */
  slot: { seq: number; timestamp: number };
}

/** An empty state. */
export function emptyState(): ContractState {
  return { accounts: new Map(), events: new Map(), replay: createReplayGuard(), deposited: 0n, withdrawn: 0n, slot: { seq: 0, timestamp: 0 } };
}

/** A fresh event namespace. */
export function newEvent(id: EventId, organizer: ClientId, policy: EventPolicy, createdSeq: number): EventState {
  return {
    id,
    organizer,
    policy: frozenPolicy(policy),
    createdSeq,
    status: 'open',
    tickets: [],
    refunded: 0,
    holders: new Map(),
    held: new Map(),
    escrow: new Map(),
    byHolder: new Map(),
    cutoffThrough: 0,
    settledThrough: 0,
    pending: new Map(),
    history: new Map(),
    devices: new Set(),
    admitted: 0,
  };
}

// ---------------------------------------------------------------------------
// money movements

/** The account, created empty on first use. */
export function accountOf(s: ContractState, id: ClientId): Account {
  let a = s.accounts.get(id);
  if (a === undefined) {
    a = { balance: 0n, escrow: 0n };
    s.accounts.set(id, a);
  }
  return a;
}

/** Records a sale: `payer`'s balance pays `amount`, credited to the escrow of `credits` for event `e`. */
export function pay(s: ContractState, e: EventState, ticket: Ticket, payer: ClientId, amount: bigint, credits: readonly (readonly [ClientId, bigint])[]): void {
  const a = accountOf(s, payer);
  invariant(a.balance >= amount, 'payment exceeds the balance');
  let sum = 0n;
  for (const [, v] of credits) sum += v;
  invariant(sum === amount, 'payment credits must add up to the amount');
  a.balance -= amount;
  const kept = credits.filter(([, v]) => v > 0n);
  for (const [who, v] of kept) addEscrow(s, e, who, v);
  ticket.payments.push({ payer, amount, credits: kept });
}

/** Unwinds every sale of `ticket`: each payer is repaid from the escrow its payment credited. */
export function unwindPayments(s: ContractState, e: EventState, ticket: Ticket): void {
  for (const p of ticket.payments) {
    for (const [who, v] of p.credits) addEscrow(s, e, who, -v);
    accountOf(s, p.payer).balance += p.amount;
  }
  ticket.payments = [];
}

/** Moves all of event `e`'s escrow to its holders' balances (completion). */
export function releaseEscrow(s: ContractState, e: EventState): void {
  for (const [who, v] of e.escrow) {
    const a = accountOf(s, who);
    a.escrow -= v;
    a.balance += v;
  }
  e.escrow.clear();
}

function addEscrow(s: ContractState, e: EventState, who: ClientId, v: bigint): void {
  const next = (e.escrow.get(who) ?? 0n) + v;
  invariant(next >= 0n, 'escrow went negative');
  if (next === 0n) e.escrow.delete(who);
  else e.escrow.set(who, next);
  accountOf(s, who).escrow += v;
}

/** Adjusts the active-ticket count of the person behind `holder`. */
export function adjustHeld(e: EventState, holder: ClientId, delta: number): void {
  const tag = e.holders.get(holder);
  invariant(tag !== undefined, 'every holder is registered');
  const next = (e.held.get(tag) ?? 0) + delta;
  invariant(next >= 0, 'held count went negative');
  if (next === 0) e.held.delete(tag);
  else e.held.set(tag, next);
}

/** Active tickets held by the person behind a registered key. */
export function heldBy(e: EventState, holder: ClientId): number {
  const tag = e.holders.get(holder);
  return tag === undefined ? 0 : (e.held.get(tag) ?? 0);
}

// ---------------------------------------------------------------------------
// snapshot

/** The canonical snapshot bytes of `s`. */
export function snapshotOf(s: ContractState): Uint8Array {
  const accounts = [...s.accounts.keys()].sort().map((id) => [id, (s.accounts.get(id) as Account).balance]);
  const events = [...s.events.keys()].sort().map((id) => eventToCbor(s.events.get(id) as EventState));
  return encode({ app: EVENT_CONTRACT_SNAPSHOT, supply: [s.deposited, s.withdrawn], slot: [s.slot.seq, s.slot.timestamp], accounts, events, replay: s.replay.toCbor() });
}

/**
 * Rebuilds a state from snapshot bytes. Throws `CodecError` when the bytes
 * are malformed or not in canonical form (re-encoding must reproduce them).
 * `minShares` is the order committee's t + 1 (shares beyond it are refused).
 */
export function stateFromSnapshot(bytes: Uint8Array, minShares: number): ContractState {
  const r = readRecord(decode(bytes, { maxBytes: 1 << 30 }), 'snapshot', ['app', 'supply', 'slot', 'accounts', 'events', 'replay']);
  if (readString(r['app'], 'snapshot.app') !== EVENT_CONTRACT_SNAPSHOT) throw new CodecError('CODEC_SCHEMA', 'Snapshot is not an event contract snapshot.');
  const supply = readArray(r['supply'], 'snapshot.supply', 2);
  const s = emptyState();
  s.deposited = readBigInt(supply[0], 'snapshot.supply.deposited', 0n);
  s.withdrawn = readBigInt(supply[1], 'snapshot.supply.withdrawn', 0n);
  const slot = readArray(r['slot'], 'snapshot.slot', 2);
  s.slot = { seq: readInt(slot[0], 'snapshot.slot.seq'), timestamp: readInt(slot[1], 'snapshot.slot.timestamp', Number.MIN_SAFE_INTEGER) };
  for (const [i, row] of readArray(r['accounts'], 'snapshot.accounts').entries()) {
    const a = readArray(row, `snapshot.accounts[${i}]`, 2);
    s.accounts.set(readClientId(a[0], `snapshot.accounts[${i}].id`), { balance: readBigInt(a[1], `snapshot.accounts[${i}].balance`, 0n), escrow: 0n });
  }
  for (const [i, row] of readArray(r['events'], 'snapshot.events').entries()) {
    const e = eventFromCbor(row, `snapshot.events[${i}]`, minShares);
    s.events.set(e.id, e);
  }
  s.replay = createReplayGuard(r['replay']);
  deriveAll(s);
  if (!equalBytes(snapshotOf(s), bytes)) throw new CodecError('CODEC_NON_CANONICAL', 'Snapshot is not in canonical form.');
  return s;
}

/** Recomputes every derived field (held counts, escrow, the holder index) from the stored ones. */
function deriveAll(s: ContractState): void {
  for (const e of s.events.values()) {
    if (e.tickets.filter((t) => t.status === 'refunded').length !== e.refunded) throw new CodecError('CODEC_SCHEMA', `The refund count of ${e.id} does not match its tickets.`);
    if (e.tickets.filter((t) => t.admission === 'consumed').length !== e.admitted) throw new CodecError('CODEC_SCHEMA', `The admitted count of ${e.id} does not match its tickets.`);
    for (const [serial0, t] of e.tickets.entries()) {
      // in serial order, so every index entry is a push
      indexTicket(e.byHolder, t.holder, serial0 + 1);
      if (t.status === 'refunded') continue;
      if (!e.holders.has(t.holder)) throw new CodecError('CODEC_SCHEMA', `Ticket ${serial0 + 1} of ${e.id} has an unregistered holder.`);
      // a revoked ticket frees its holder's cap but keeps its payments in escrow
      if (t.status === 'active') adjustHeld(e, t.holder, 1);
      if (e.status !== 'open') continue;
      for (const p of t.payments) {
        for (const [who, v] of p.credits) {
          const a = s.accounts.get(who);
          if (a === undefined) throw new CodecError('CODEC_SCHEMA', `Escrow of ${e.id} credits an unknown account.`);
          e.escrow.set(who, (e.escrow.get(who) ?? 0n) + v);
          a.escrow += v;
        }
      }
    }
  }
}

function eventToCbor(e: EventState): CborValue {
  const tickets = e.tickets.map((t) => [
    t.holder,
    t.version,
    t.status,
    t.listing ?? null,
    t.payments.map((p) => [p.payer, p.amount, p.credits.map(([w, v]) => [w, v])]),
    t.admission,
    t.disputedFrom ?? null,
    t.scans.map((x) => [x.kind, x.nonce, x.gate, x.time, x.device, x.seq]),
  ]);
  const holders = [...e.holders.keys()].sort().map((k) => [k, e.holders.get(k) as string]);
  const pending = [...e.pending.keys()].sort((a, b) => a - b).map((k) => pendingToCbor(e.pending.get(k) as PendingEpoch));
  const history = [...e.history.keys()].sort((a, b) => a - b).map((k) => recordToCbor(e.history.get(k) as EpochRecord));
  return [e.id, e.organizer, policyToCbor(e.policy), e.createdSeq, e.status, e.refunded, tickets, holders, [e.cutoffThrough, e.settledThrough, pending, history], [...e.devices].sort(), e.admitted];
}

function pendingToCbor(p: PendingEpoch): CborValue {
  const orders = p.orders.map((o) => [o.submitter, o.bytes, [...o.shares.keys()].sort((a, b) => (a < b ? -1 : 1)).map((k) => [k, (o.shares.get(k) as { bytes: Uint8Array }).bytes])]);
  return [p.epoch, p.closedAtSeq ?? null, p.frozen === undefined ? null : p.frozen.map((f) => [f.serial, f.price, f.holder, f.version]), orders];
}

function recordToCbor(h: EpochRecord): CborValue {
  return [h.epoch, h.status, h.orders, h.closedAtSeq ?? null, h.settledAtSeq ?? null, h.seed ?? null, h.outcomes.map(outcomeToCbor), h.trades as unknown as CborValue];
}

function eventFromCbor(value: unknown, f: string, minShares: number): EventState {
  const a = readArray(value, f, 11);
  if (a.length !== 11) throw new CodecError('CODEC_SCHEMA', `Field ${f} must have 11 entries.`);
  const e = newEvent(readEventId(a[0], `${f}.id`), readClientId(a[1], `${f}.organizer`), readPolicy(a[2], `${f}.policy`), readInt(a[3], `${f}.createdSeq`));
  e.status = readEnum(a[4], `${f}.status`, ['open', 'cancelled', 'completed'] as const);
  e.refunded = readInt(a[5], `${f}.refunded`);
  for (const [i, row] of readArray(a[6], `${f}.tickets`, e.policy.capacity).entries()) {
    const t = readArray(row, `${f}.tickets[${i}]`, 8);
    if (t.length !== 8) throw new CodecError('CODEC_SCHEMA', `Field ${f}.tickets[${i}] must have 8 entries.`);
    e.tickets.push({
      holder: readClientId(t[0], `${f}.tickets[${i}].holder`),
      version: readInt(t[1], `${f}.tickets[${i}].version`, 1),
      status: readEnum(t[2], `${f}.tickets[${i}].status`, ['active', 'refunded', 'revoked'] as const),
      listing: t[3] === null ? undefined : readBigInt(t[3], `${f}.tickets[${i}].listing`, 1n),
      payments: readArray(t[4], `${f}.tickets[${i}].payments`).map((p, j) => readPayment(p, `${f}.tickets[${i}].payments[${j}]`)),
      admission: readEnum(t[5], `${f}.tickets[${i}].admission`, ADMISSION_STATES),
      disputedFrom: t[6] === null ? undefined : readEnum(t[6], `${f}.tickets[${i}].disputedFrom`, ['issued', 'validated'] as const),
      scans: readArray(t[7], `${f}.tickets[${i}].scans`, MAX_SCANS_PER_TICKET).map((x, j) => readScanRow(x, `${f}.tickets[${i}].scans[${j}]`)),
    });
  }
  for (const [i, row] of readArray(a[7], `${f}.holders`).entries()) {
    const h = readArray(row, `${f}.holders[${i}]`, 2);
    const tag = readString(h[1], `${f}.holders[${i}].tag`, 64);
    if (!/^[0-9a-f]{64}$/.test(tag)) throw new CodecError('CODEC_SCHEMA', `Field ${f}.holders[${i}].tag must be 64 hex.`);
    e.holders.set(readClientId(h[0], `${f}.holders[${i}].key`), tag);
  }
  const ep = readArray(a[8], `${f}.epochs`, 4);
  e.cutoffThrough = readInt(ep[0], `${f}.cutoffThrough`);
  e.settledThrough = readInt(ep[1], `${f}.settledThrough`, 0, e.cutoffThrough);
  for (const [i, row] of readArray(ep[2], `${f}.pending`).entries()) {
    const p = pendingFromCbor(row, `${f}.pending[${i}]`, minShares, e);
    e.pending.set(p.epoch, p);
  }
  for (const [i, row] of readArray(ep[3], `${f}.history`).entries()) {
    const h = recordFromCbor(row, `${f}.history[${i}]`);
    e.history.set(h.epoch, h);
  }
  for (const [i, d] of readArray(a[9], `${f}.devices`, MAX_GATE_DEVICES).entries()) e.devices.add(readClientId(d, `${f}.devices[${i}]`));
  e.admitted = readInt(a[10], `${f}.admitted`);
  return e;
}

/** The admission states, for strict decoding. */
export const ADMISSION_STATES = ['issued', 'validated', 'consumed', 'disputed'] as const;

function readScanRow(value: unknown, f: string): ScanView {
  const x = readArray(value, f, 6);
  if (x.length !== 6) throw new CodecError('CODEC_SCHEMA', `Field ${f} must have 6 entries.`);
  return {
    kind: readEnum(x[0], `${f}.kind`, ['validate', 'consume', 'admit'] as const),
    nonce: readBytes(x[1], `${f}.nonce`, 16),
    gate: readId<GateId>(x[2], `${f}.gate`),
    time: readInt(x[3], `${f}.time`),
    device: readClientId(x[4], `${f}.device`),
    seq: readInt(x[5], `${f}.seq`),
  };
}

function readPayment(value: unknown, f: string): Payment {
  const p = readArray(value, f, 3);
  return {
    payer: readClientId(p[0], `${f}.payer`),
    amount: readBigInt(p[1], `${f}.amount`, 0n),
    credits: readArray(p[2], `${f}.credits`, 2).map((c, k) => {
      const pair = readArray(c, `${f}.credits[${k}]`, 2);
      return [readClientId(pair[0], `${f}.credits[${k}].account`), readBigInt(pair[1], `${f}.credits[${k}].amount`, 1n)] as const;
    }),
  };
}

function pendingFromCbor(value: unknown, f: string, minShares: number, e: EventState): PendingEpoch {
  const a = readArray(value, f, 4);
  const p: PendingEpoch = {
    epoch: readInt(a[0], `${f}.epoch`),
    orders: [],
    keys: new Set(),
    perPerson: new Map(),
    closedAtSeq: a[1] === null ? undefined : readInt(a[1], `${f}.closedAtSeq`),
    frozen: a[2] === null ? undefined : readFrozen(a[2], `${f}.frozen`, e.policy.capacity),
    decryptable: 0,
  };
  for (const [i, row] of readArray(a[3], `${f}.orders`).entries()) {
    const o = readArray(row, `${f}.orders[${i}]`, 3);
    const submitter = readClientId(o[0], `${f}.orders[${i}].submitter`);
    const tag = e.holders.get(submitter);
    if (tag === undefined) throw new CodecError('CODEC_SCHEMA', `Field ${f}.orders[${i}].submitter is not registered.`);
    const bytes = readBytes(o[1], `${f}.orders[${i}].ciphertext`);
    const ciphertext = wrapCodec(() => decodeTdh2Ciphertext(bytes), `${f}.orders[${i}].ciphertext`);
    const order = newOrder(submitter, ciphertext, bytes);
    for (const [j, sh] of readArray(o[2], `${f}.orders[${i}].shares`, minShares).entries()) {
      const pair = readArray(sh, `${f}.orders[${i}].shares[${j}]`, 2);
      const index = readBigInt(pair[0], `${f}.orders[${i}].shares[${j}].index`, 1n);
      const shareBytes = readBytes(pair[1], `${f}.orders[${i}].shares[${j}].share`);
      const share = wrapCodec(() => decodeTdh2DecryptionShare(shareBytes), `${f}.orders[${i}].shares[${j}].share`);
      if (share.index !== index) throw new CodecError('CODEC_SCHEMA', `Field ${f}.orders[${i}].shares[${j}] has a mismatched index.`);
      order.shares.set(index, { share, bytes: shareBytes });
    }
    addOrder(p, order, tag);
    if (order.shares.size >= minShares) p.decryptable++;
  }
  return p;
}

function readFrozen(value: unknown, f: string, capacity: number): FrozenListing[] {
  let prev = 0;
  return readArray(value, f, capacity).map((x, i) => {
    const row = readArray(x, `${f}[${i}]`, 4);
    if (row.length !== 4) throw new CodecError('CODEC_SCHEMA', `Field ${f}[${i}] must have 4 entries.`);
    const serial = readInt(row[0], `${f}[${i}].serial`, prev + 1, capacity);
    prev = serial;
    return { serial, price: readBigInt(row[1], `${f}[${i}].price`, 1n), holder: readClientId(row[2], `${f}[${i}].holder`), version: readInt(row[3], `${f}[${i}].version`, 1) };
  });
}

function recordFromCbor(value: unknown, f: string): EpochRecord {
  const a = readArray(value, f, 8);
  return {
    epoch: readInt(a[0], `${f}.epoch`),
    status: readEnum(a[1], `${f}.status`, ['settled', 'void'] as const),
    orders: readInt(a[2], `${f}.orders`),
    closedAtSeq: a[3] === null ? undefined : readInt(a[3], `${f}.closedAtSeq`),
    settledAtSeq: a[4] === null ? undefined : readInt(a[4], `${f}.settledAtSeq`),
    seed: a[5] === null ? undefined : readBytes(a[5], `${f}.seed`, 32),
    outcomes: readArray(a[6], `${f}.outcomes`).map((o, i) => readOutcome(o, `${f}.outcomes[${i}]`)),
    trades: readArray(a[7], `${f}.trades`).map((t, i) => readTrade(t, `${f}.trades[${i}]`)),
  };
}

/**
 * A sealed order record for a decoded, checked ciphertext. It keeps private,
 * frozen copies, so the caller's objects (a prepared request) never alias
 * replicated state.
 */
export function newOrder(submitter: ClientId, ciphertext: Tdh2Ciphertext, bytes: Uint8Array): SealedOrder {
  const own: Tdh2Ciphertext = Object.freeze({ ...ciphertext, label: ciphertext.label.slice(), sealed: ciphertext.sealed.slice() });
  const id = tdh2CiphertextId(own);
  return { submitter, ciphertext: own, bytes: bytes.slice(), id, idHex: bytesToHex(id), shares: new Map() };
}

/** The duplicate-detection key of an order. */
export function orderKey(idHex: string, submitter: ClientId): string {
  return `${idHex}/${submitter}`;
}

/** Appends an order, submitted by the person with event tag `tag`, to a pending epoch's book. */
export function addOrder(p: PendingEpoch, order: SealedOrder, tag: string): void {
  p.orders.push(order);
  p.keys.add(orderKey(order.idHex, order.submitter));
  p.perPerson.set(tag, (p.perPerson.get(tag) ?? 0) + 1);
}

function wrapCodec<T>(f: () => T, field: string): T {
  try {
    return f();
  } catch (cause) {
    throw new CodecError('CODEC_SCHEMA', `Field ${field} is malformed.`, { cause, meta: { field } });
  }
}
