/**
 * Gate admission on the event contract: the tickets the market sells are the
 * tickets the gates admit, on the same replicated state.
 *
 * A ticket's admission state moves only forward — issued → validated →
 * consumed — or to disputed (from issued or validated) until the organizer
 * resolves it. Every check of validity (authorised device, holder code,
 * event) comes before every check of duplication (state), so a forged code on
 * a consumed ticket is `invalid_signature`, not `already_consumed`.
 * @module
 */
import { isValidPublicKey, stepOf, ticketId as toTicketId, type ClientId, type EventId, type ExecuteContext, type TicketId } from '@admitone/core';
import { keyId } from './codec.js';
import { adjustHeld, type EventState, type Ticket } from './state.js';
import { MAX_GATE_DEVICES, type AdmitOp, type ConsumeOp, type ContractRejection, type ContractResult, type DisputeOp, type GateDeviceOp, type ResolveOp, type ValidateOp } from './types.js';

/** The ticket id of `(eventId, serial)`: `eventId:serial`, as named in ticket passes and rotating codes. */
export function ticketIdOf(eventId: EventId, serial: number): TicketId {
  if (!Number.isSafeInteger(serial) || serial < 1) throw new RangeError('serial must be a positive safe integer');
  return toTicketId(`${eventId}:${serial}`);
}

/** Operations handled here. */
export type AdmissionOp = GateDeviceOp | AdmitOp | ValidateOp | ConsumeOp | DisputeOp | ResolveOp;

/** True for an {@link AdmissionOp}. */
export function isAdmissionOp(op: { readonly type: string }): op is AdmissionOp {
  return ADMISSION_OP_TYPES.has(op.type);
}
const ADMISSION_OP_TYPES = new Set(['authorizeGate', 'revokeGate', 'admit', 'validate', 'consume', 'dispute', 'resolve']);

/** Rotating-code rules of the contract. */
export interface CodeRules {
  /** Length of a time step in ms. */
  readonly stepMs: number;
  /** Steps of tolerated skew either side of the scan time's step. */
  readonly skewSteps: number;
}

/**
 * Why a ticket in this state cannot change hands or be refunded, or
 * `undefined` when it can (issued, not yet scanned).
 */
export function admissionBlock(t: Ticket): ContractRejection | undefined {
  switch (t.admission) {
    case 'issued':
      return undefined;
    case 'validated':
      return 'already_validated';
    case 'consumed':
      return 'already_consumed';
    case 'disputed':
      return 'disputed';
  }
}

/**
 * Applies one admission operation by `actor` to event `e` (open). `codeValid`
 * is the verdict of the holder code's signature from `prepare` (for
 * `admit`/`validate`); `refund` unwinds a ticket's payments (the contract's
 * refund). Mutates only on success; the caller adds the views.
 */
export function applyAdmission(
  e: EventState,
  op: AdmissionOp,
  actor: ClientId,
  ctx: ExecuteContext,
  codeValid: boolean,
  rules: CodeRules,
  refund: (t: Ticket) => void,
): ContractResult {
  if (op.type === 'authorizeGate' || op.type === 'revokeGate') {
    if (e.organizer !== actor) return reject('not_organizer');
    const device = keyId(op.device);
    if (op.type === 'authorizeGate') {
      // a small-order or non-canonical key "signs" anything under ZIP-215: anyone could act as that device
      if (!isValidPublicKey(op.device)) return reject('malformed');
      if (!e.devices.has(device) && e.devices.size >= MAX_GATE_DEVICES) return reject('too_many_devices');
      e.devices.add(device);
    } else e.devices.delete(device);
    return { status: 'ok' };
  }
  return applyToTicket(e, op as Exclude<AdmissionOp, GateDeviceOp>, actor, ctx, codeValid, rules, refund);
}

function applyToTicket(
  e: EventState,
  op: Exclude<AdmissionOp, GateDeviceOp>,
  actor: ClientId,
  ctx: ExecuteContext,
  codeValid: boolean,
  rules: CodeRules,
  refund: (t: Ticket) => void,
): ContractResult {
  const t = op.serial >= 1 ? e.tickets[op.serial - 1] : undefined;
  if (t === undefined) return reject('not_found');
  switch (op.type) {
    case 'admit':
    case 'validate':
    case 'consume': {
      // validity first: device, code; then the ticket's money state; duplication last
      if (!e.devices.has(actor)) return reject('not_authorized');
      if (op.type !== 'consume') {
        if (!codeValid) return reject('invalid_signature');
        const { code } = op;
        const fresh = keyId(code.holder) === t.holder && code.version === t.version && Math.abs(code.step - stepOf(op.scan.time, rules.stepMs)) <= rules.skewSteps;
        if (!fresh) return reject('stale_code');
      }
      if (t.status === 'refunded') return reject('ticket_refunded');
      if (t.status === 'revoked') return reject('ticket_revoked');
      if (t.admission === 'consumed') return reject('already_consumed');
      if (t.admission === 'disputed') return reject('disputed');
      if (op.type === 'consume') {
        if (t.admission !== 'validated') return reject('not_validated');
      } else {
        if (t.admission === 'validated') return reject('already_validated');
        if (t.listing !== undefined) return reject('ticket_listed');
      }
      t.admission = op.type === 'validate' ? 'validated' : 'consumed';
      if (t.admission === 'consumed') e.admitted++;
      t.scans.push({ kind: op.type, nonce: op.scan.nonce.slice(), gate: op.scan.gate, time: op.scan.time, device: actor, seq: ctx.seq });
      return { status: 'ok', tickets: [] };
    }
    case 'dispute': {
      if (actor !== t.holder && actor !== e.organizer && !e.devices.has(actor)) return reject('not_authorized');
      if (t.status === 'refunded') return reject('ticket_refunded');
      if (t.status === 'revoked') return reject('ticket_revoked');
      if (t.admission === 'consumed') return reject('already_consumed');
      if (t.admission === 'disputed') return reject('disputed');
      if (t.listing !== undefined) return reject('ticket_listed');
      t.disputedFrom = t.admission;
      t.admission = 'disputed';
      return { status: 'ok', tickets: [] };
    }
    case 'resolve': {
      if (actor !== e.organizer) return reject('not_organizer');
      if (t.admission !== 'disputed') return reject('not_disputed');
      const from = t.disputedFrom ?? 'issued';
      t.admission = from;
      t.disputedFrom = undefined;
      if (op.outcome === 'refund') refund(t);
      else if (op.outcome === 'revoke') {
        adjustHeld(e, t.holder, -1);
        t.status = 'revoked';
      }
      return { status: 'ok', tickets: [] };
    }
  }
}

function reject(reason: ContractRejection): ContractResult {
  return { status: 'rejected', reason };
}
