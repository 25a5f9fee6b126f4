/**
 * The contract's non-market operations: money in and out, events, primary
 * sales with event credentials, listings, transfers, refunds, cancellation
 * and completion. Each validates first and mutates only on success, so a
 * rejection changes nothing.
 * @module
 */
import type { ClientId, ExecuteContext } from '@admitone/core';
import type { EventCredential } from '@admitone/identity';
import { lockedInEpoch, voidEpochs, type CiphertextIndex } from '../epoch/book.js';
import { keyId } from './codec.js';
import { MAX_AMOUNT, inWindow, policyProblem, resaleCapPrice } from './policy.js';
import { moveTicket } from './holdings.js';
import { accountOf, adjustHeld, heldBy, issueTicket, newEvent, pay, releaseEscrow, unwindPayments, type ContractState, type EventState, type Ticket } from './state.js';
import { admissionBlock, applyAdmission, isAdmissionOp, type CodeRules } from './admission.js';
import { MAX_PURCHASE_QUANTITY, type AccountView, type ContractOp, type ContractRejection, type ContractResult, type EventView, type TicketView } from './types.js';

/** A credential after `prepare`: decoded and signature-checked, or `undefined` when it did not decode. */
export interface PreparedCredential {
  /** The decoded event credential, or `undefined` when the bytes were not one. */
  readonly credential: EventCredential | undefined;
  /** True when the identity committee's signature and Merkle path verify. */
  readonly valid: boolean;
}

/** Ops handled here. */
export type BasicOp = Exclude<ContractOp, { type: 'submitSealedOrder' | 'cutoff' | 'postShares' }>;

/** Applies one basic operation by `actor`. */
export function applyBasic(
  s: ContractState,
  op: BasicOp,
  actor: ClientId,
  ctx: ExecuteContext,
  credential: PreparedCredential | undefined,
  funders: ReadonlySet<ClientId>,
  index: CiphertextIndex,
  code: { readonly valid: boolean; readonly rules: CodeRules },
): ContractResult {
  switch (op.type) {
    case 'deposit': {
      if (!funders.has(actor)) return reject('not_authorized');
      if (op.amount < 1n || op.amount > MAX_AMOUNT) return reject('invalid_amount');
      const to = keyId(op.account);
      accountOf(s, to).balance += op.amount;
      s.deposited += op.amount;
      return { status: 'ok', account: accountView(s, to) };
    }
    case 'withdraw': {
      if (op.amount < 1n || op.amount > MAX_AMOUNT) return reject('invalid_amount');
      const a = s.accounts.get(actor);
      if (a === undefined || a.balance < op.amount) return reject('insufficient_funds');
      a.balance -= op.amount;
      s.withdrawn += op.amount;
      return { status: 'ok', account: accountView(s, actor) };
    }
    case 'createEvent': {
      if (s.events.has(op.eventId)) return reject('already_exists');
      if (policyProblem(op.policy) !== undefined) return reject('invalid_policy');
      const e = newEvent(op.eventId, actor, op.policy, ctx.seq);
      s.events.set(op.eventId, e);
      return { status: 'ok', event: eventView(e) };
    }
    default:
      break;
  }
  const e = s.events.get(op.eventId);
  if (e === undefined) return reject('not_found');
  const closed = statusReason(e);
  if (isAdmissionOp(op)) {
    if (closed !== undefined) return reject(closed);
    const result = applyAdmission(e, op, actor, ctx, code.valid, code.rules, (t) => refundTicket(s, e, t));
    if (result.status !== 'ok') return result;
    if (op.type === 'authorizeGate' || op.type === 'revokeGate') return { status: 'ok', event: eventView(e) };
    const serial = (op as { readonly serial: number }).serial;
    return { status: 'ok', tickets: [ticketView(e, serial, e.tickets[serial - 1] as Ticket)] };
  }
  switch (op.type) {
    case 'buyPrimary': {
      if (closed !== undefined) return reject(closed);
      if (op.quantity < 1 || op.quantity > MAX_PURCHASE_QUANTITY) return reject('invalid_quantity');
      if (!inWindow(e.policy.sale, ctx.timestamp)) return reject('window_closed');
      const bound = bindCredential(e, op.eventId, actor, credential, ctx);
      if ('reason' in bound) return reject(bound.reason);
      if (op.quantity > e.policy.capacity - e.tickets.length) return reject('sold_out');
      if ((e.held.get(bound.tag) ?? 0) + op.quantity > e.policy.perPersonCap) return reject('cap_per_person');
      const cost = e.policy.facePrice * BigInt(op.quantity);
      if ((s.accounts.get(actor)?.balance ?? 0n) < cost) return reject('insufficient_funds');
      e.holders.set(actor, bound.tag);
      const issued: TicketView[] = [];
      for (let q = 0; q < op.quantity; q++) {
        const t = issueTicket(e, actor);
        if (e.policy.facePrice > 0n) pay(s, e, t, actor, e.policy.facePrice, [[e.organizer, e.policy.facePrice]]);
        adjustHeld(e, actor, 1);
        issued.push(ticketView(e, e.tickets.length, t));
      }
      return { status: 'ok', tickets: issued, account: accountView(s, actor) };
    }
    case 'register': {
      if (closed !== undefined) return reject(closed);
      const bound = bindCredential(e, op.eventId, actor, credential, ctx);
      if ('reason' in bound) return reject(bound.reason);
      e.holders.set(actor, bound.tag);
      return { status: 'ok' };
    }
    case 'listForResale':
    case 'cancelListing':
    case 'transfer': {
      if (closed !== undefined) return reject(closed);
      if (op.type === 'listForResale' && (op.price < 1n || op.price > MAX_AMOUNT)) return reject('invalid_amount');
      const t = e.tickets[op.serial - 1];
      if (t === undefined || op.serial < 1) return reject('not_found');
      if (t.status === 'refunded') return reject('ticket_refunded');
      if (t.status === 'revoked') return reject('ticket_revoked');
      if (t.holder !== actor) return reject('not_holder');
      const blocked = op.type === 'cancelListing' ? undefined : admissionBlock(t);
      if (blocked !== undefined) return reject(blocked);
      if (op.type === 'listForResale') {
        if (t.listing !== undefined) return reject('ticket_listed');
        if (!inWindow(e.policy.resale, ctx.timestamp)) return reject('window_closed');
        if (op.price > resaleCapPrice(e.policy)) return reject('above_cap');
        t.listing = op.price;
      } else if (op.type === 'cancelListing') {
        if (t.listing === undefined) return reject('not_listed');
        if (lockedInEpoch(e, op.serial)) return reject('locked_in_epoch');
        t.listing = undefined;
      } else {
        if (!e.policy.transferable) return reject('not_transferable');
        const to = keyId(op.to);
        if (to === actor) return reject('same_holder');
        if (t.listing !== undefined) return reject('ticket_listed');
        const toTag = e.holders.get(to);
        if (toTag === undefined) return reject('not_registered');
        if (toTag !== e.holders.get(actor) && heldBy(e, to) + 1 > e.policy.perPersonCap) return reject('cap_per_person');
        adjustHeld(e, actor, -1);
        adjustHeld(e, to, 1);
        moveTicket(e, op.serial, to);
        t.version++;
      }
      return { status: 'ok', tickets: [ticketView(e, op.serial, t)] };
    }
    case 'refund': {
      if (e.organizer !== actor) return reject('not_organizer');
      if (closed !== undefined) return reject(closed);
      const t = e.tickets[op.serial - 1];
      if (t === undefined || op.serial < 1) return reject('not_found');
      if (t.status === 'refunded') return reject('ticket_refunded');
      if (t.status === 'revoked') return reject('ticket_revoked');
      const blocked = admissionBlock(t);
      if (blocked !== undefined) return reject(blocked);
      refundTicket(s, e, t);
      return { status: 'ok', tickets: [ticketView(e, op.serial, t)] };
    }
    case 'cancelEvent':
    case 'completeEvent': {
      if (e.organizer !== actor) return reject('not_organizer');
      if (closed !== undefined) return reject(closed);
      if (op.type === 'cancelEvent') {
        // everyone who paid is repaid, revoked tickets included (their payments were kept in escrow)
        for (const t of e.tickets) if (t.status !== 'refunded') refundTicket(s, e, t);
        e.status = 'cancelled';
      } else {
        if (ctx.timestamp < Math.max(e.policy.sale.end, e.policy.resale.end)) return reject('too_early');
        releaseEscrow(s, e);
        for (const t of e.tickets) t.listing = undefined;
        e.status = 'completed';
      }
      voidEpochs(e, index);
      return { status: 'ok', event: eventView(e) };
    }
  }
}

/** The rejection for an operation on an event that is no longer open. */
export function statusReason(e: EventState): ContractRejection | undefined {
  return e.status === 'cancelled' ? 'event_cancelled' : e.status === 'completed' ? 'event_completed' : undefined;
}

/**
 * Checks a credential for `(eventId, actor)` at `ctx`: the event tag (hex)
 * it binds the actor's key to, or the rejection reason.
 */
function bindCredential(
  e: EventState,
  eventId: string,
  actor: ClientId,
  prepared: PreparedCredential | undefined,
  ctx: ExecuteContext,
): { readonly tag: string } | { readonly reason: ContractRejection } {
  const c = prepared?.credential;
  if (prepared === undefined || c === undefined || !prepared.valid) return { reason: 'invalid_credential' };
  if (c.eventId !== eventId) return { reason: 'wrong_event' };
  if (keyId(c.holderKey) !== actor) return { reason: 'not_credential_holder' };
  if (ctx.timestamp < c.issuedAt || ctx.timestamp >= c.expiresAt) return { reason: 'credential_expired' };
  const tag = keyId(c.eventTag);
  const existing = e.holders.get(actor);
  if (existing !== undefined && existing !== tag) return { reason: 'credential_mismatch' };
  return { tag };
}

/** Refunds one active or revoked ticket: unwinds its sales and frees the holder's cap (a revoked ticket's already is). */
function refundTicket(s: ContractState, e: EventState, t: Ticket): void {
  unwindPayments(s, e, t);
  if (t.status === 'active') adjustHeld(e, t.holder, -1);
  t.status = 'refunded';
  t.listing = undefined;
  e.refunded++;
}

/** An account's view (zeros for an unknown account). */
export function accountView(s: ContractState, id: ClientId): AccountView {
  const a = s.accounts.get(id);
  return { account: id, balance: a?.balance ?? 0n, escrow: a?.escrow ?? 0n };
}

/** An event's view (its policy is the event's deep-frozen one; nothing else is shared with the state). */
export function eventView(e: EventState): EventView {
  return {
    eventId: e.id,
    organizer: e.organizer,
    policy: e.policy,
    status: e.status,
    createdSeq: e.createdSeq,
    issued: e.tickets.length,
    refunded: e.refunded,
    cutoffThrough: e.cutoffThrough,
    settledThrough: e.settledThrough,
    devices: [...e.devices].sort(),
    admitted: e.admitted,
  };
}

/** A ticket's view: shares nothing with the state (scans and their nonces are copies). */
export function ticketView(e: EventState, serial: number, t: Ticket): TicketView {
  const last = t.payments[t.payments.length - 1];
  const paid = last !== undefined && last.payer === t.holder ? last.amount : 0n;
  return {
    eventId: e.id,
    serial,
    holder: t.holder,
    version: t.version,
    status: t.status,
    paid,
    ...(t.listing === undefined ? {} : { listing: t.listing }),
    admission: t.admission,
    ...(t.disputedFrom === undefined ? {} : { disputedFrom: t.disputedFrom }),
    scans: t.scans.map((x) => ({ ...x, nonce: x.nonce.slice() })),
  };
}

function reject(reason: ContractRejection): ContractResult {
  return { status: 'rejected', reason };
}
