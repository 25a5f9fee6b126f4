/**
 * Canonical encodings of ticket operations, results and queries, with strict
 * decoders that turn any malformed input into a `CodecError`.
 * @module
 */
import { decode, encode, type CborValue } from '../codec/cbor.js';
import { readArray, readBytes, readEnum, readInt, readRecord, readString, type CborRecord } from '../codec/schema.js';
import { bytesToHex } from '../bytes/index.js';
import type { ClientId, EventId, GateId, TicketId } from '../codec/hash.js';
import { isValidId } from '../codec/hash.js';
import { CodecError } from '../errors/index.js';
import {
  MAX_GATE_DEVICES,
  REJECTION_REASONS,
  TicketState,
  type EventView,
  type RotatingCode,
  type ScanFact,
  type ScanRecord,
  type TicketOp,
  type TicketQuery,
  type TicketQueryResult,
  type TicketResult,
  type TicketView,
} from './types.js';

const OP_TYPES = ['createEvent', 'authorizeGate', 'revokeGate', 'issue', 'transfer', 'validate', 'consume', 'dispute', 'resolve', 'revoke', 'refund'] as const;
const STATES = Object.values(TicketState);
/** Longest dispute note, in characters. */
export const MAX_NOTE_LENGTH = 280;

/**
 * Encodes a ticket operation canonically (the `op` of a request). An optional
 * field that is present but `undefined` (`code` of `validate`) is left out,
 * as if absent.
 */
export function encodeTicketOp(op: TicketOp): Uint8Array {
  return encode(withoutUndefined(op, op.type === 'validate' ? VALIDATE_OPTIONAL : NONE) as unknown as CborValue);
}

/** Decodes and validates a ticket operation; throws `CodecError` when malformed. */
export function decodeTicketOp(bytes: Uint8Array): TicketOp {
  const r = readRecord(decode(bytes, { maxBytes: 8192 }), 'op');
  const type = readEnum(r['type'], 'op.type', OP_TYPES);
  const keys = (...k: string[]) => readRecord(r, 'op', ['type', ...k]);
  switch (type) {
    case 'createEvent':
      keys('eventId');
      return { type, eventId: readId<EventId>(r['eventId'], 'op.eventId') };
    case 'authorizeGate':
    case 'revokeGate':
      keys('eventId', 'device');
      return { type, eventId: readId<EventId>(r['eventId'], 'op.eventId'), device: readBytes(r['device'], 'op.device', 32) };
    case 'issue':
      keys('eventId', 'ticketId', 'holder');
      return {
        type,
        eventId: readId<EventId>(r['eventId'], 'op.eventId'),
        ticketId: readId<TicketId>(r['ticketId'], 'op.ticketId'),
        holder: readBytes(r['holder'], 'op.holder', 32),
      };
    case 'transfer':
      keys('ticketId', 'to');
      return { type, ticketId: readId<TicketId>(r['ticketId'], 'op.ticketId'), to: readBytes(r['to'], 'op.to', 32) };
    case 'validate': {
      keys('eventId', 'ticketId', 'scan', 'code');
      const base = {
        type,
        eventId: readId<EventId>(r['eventId'], 'op.eventId'),
        ticketId: readId<TicketId>(r['ticketId'], 'op.ticketId'),
        scan: readScanFact(r['scan'], 'op.scan'),
      };
      return r['code'] === undefined ? base : { ...base, code: readRotatingCode(r['code'], 'op.code') };
    }
    case 'consume':
      keys('eventId', 'ticketId', 'scan');
      return {
        type,
        eventId: readId<EventId>(r['eventId'], 'op.eventId'),
        ticketId: readId<TicketId>(r['ticketId'], 'op.ticketId'),
        scan: readScanFact(r['scan'], 'op.scan'),
      };
    case 'dispute':
      keys('ticketId', 'note');
      return { type, ticketId: readId<TicketId>(r['ticketId'], 'op.ticketId'), note: readString(r['note'], 'op.note', MAX_NOTE_LENGTH) };
    case 'resolve':
      keys('ticketId', 'outcome');
      return {
        type,
        ticketId: readId<TicketId>(r['ticketId'], 'op.ticketId'),
        outcome: readEnum(r['outcome'], 'op.outcome', ['reinstate', 'revoke', 'refund'] as const),
      };
    case 'revoke':
    case 'refund':
      keys('ticketId');
      return { type, ticketId: readId<TicketId>(r['ticketId'], 'op.ticketId') };
  }
}

/** Encodes an execution result. */
export function encodeTicketResult(result: TicketResult): Uint8Array {
  return encode(result as unknown as CborValue);
}

/** Decodes an execution result (client side); throws `CodecError` when malformed. */
export function decodeTicketResult(bytes: Uint8Array): TicketResult {
  const r = readRecord(decode(bytes), 'result', ['status', 'reason', 'ticket', 'event']);
  const status = readEnum(r['status'], 'result.status', ['ok', 'rejected'] as const);
  if (status === 'rejected') return { status, reason: readEnum(r['reason'], 'result.reason', REJECTION_REASONS) };
  const out: { status: 'ok'; ticket?: TicketView; event?: EventView } = { status };
  if (r['ticket'] !== undefined) out.ticket = readTicketView(r['ticket'], 'result.ticket');
  if (r['event'] !== undefined) out.event = readEventView(r['event'], 'result.event');
  return out;
}

/**
 * Encodes a read-only query. Optional fields that are present but `undefined`
 * (`eventId`, `holder`, `after`, `limit` of `tickets`) are left out, as if absent.
 */
export function encodeTicketQuery(query: TicketQuery): Uint8Array {
  return encode(withoutUndefined(query, query.type === 'tickets' ? TICKETS_OPTIONAL : NONE) as unknown as CborValue);
}

const NONE: readonly string[] = [];
const VALIDATE_OPTIONAL: readonly string[] = ['code'];
const TICKETS_OPTIONAL: readonly string[] = ['eventId', 'holder', 'after', 'limit'];

/** `value` itself, or a shallow copy without those of `optional` that are present but `undefined`. */
function withoutUndefined<T extends object>(value: T, optional: readonly string[]): T {
  const v = value as Record<string, unknown>;
  if (!optional.some((k) => k in v && v[k] === undefined)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) if (!(v[k] === undefined && optional.includes(k))) out[k] = v[k];
  return out as T;
}

/** Decodes a read-only query; throws `CodecError` when malformed. */
export function decodeTicketQuery(bytes: Uint8Array): TicketQuery {
  const r = readRecord(decode(bytes, { maxBytes: 4096 }), 'query');
  const type = readEnum(r['type'], 'query.type', ['ticket', 'event', 'tickets', 'stats'] as const);
  switch (type) {
    case 'ticket':
      readRecord(r, 'query', ['type', 'ticketId']);
      return { type, ticketId: readId<TicketId>(r['ticketId'], 'query.ticketId') };
    case 'event':
      readRecord(r, 'query', ['type', 'eventId']);
      return { type, eventId: readId<EventId>(r['eventId'], 'query.eventId') };
    case 'tickets': {
      readRecord(r, 'query', ['type', 'eventId', 'holder', 'after', 'limit']);
      const q: { type: 'tickets'; eventId?: EventId; holder?: Uint8Array; after?: TicketId; limit?: number } = { type };
      if (r['eventId'] !== undefined) q.eventId = readId<EventId>(r['eventId'], 'query.eventId');
      if (r['holder'] !== undefined) q.holder = readBytes(r['holder'], 'query.holder', 32);
      if (r['after'] !== undefined) q.after = readId<TicketId>(r['after'], 'query.after');
      if (r['limit'] !== undefined) q.limit = readInt(r['limit'], 'query.limit', 1, 1000);
      return q;
    }
    case 'stats':
      readRecord(r, 'query', ['type']);
      return { type };
  }
}

/** Encodes a query answer. */
export function encodeTicketQueryResult(result: TicketQueryResult): Uint8Array {
  return encode(result as unknown as CborValue);
}

/** Decodes a query answer (client side); throws `CodecError` when malformed. */
export function decodeTicketQueryResult(bytes: Uint8Array): TicketQueryResult {
  const r = readRecord(decode(bytes), 'answer', ['status', 'reason', 'ticket', 'event', 'tickets', 'next', 'stats']);
  const status = readEnum(r['status'], 'answer.status', ['ok', 'rejected'] as const);
  if (status === 'rejected') return { status, reason: readEnum(r['reason'], 'answer.reason', ['not_found', 'malformed'] as const) };
  if (r['ticket'] !== undefined) return { status, ticket: readTicketView(r['ticket'], 'answer.ticket') };
  if (r['event'] !== undefined) return { status, event: readEventView(r['event'], 'answer.event') };
  if (r['tickets'] !== undefined) {
    const tickets = readArray(r['tickets'], 'answer.tickets', 1000).map((t, i) => readTicketView(t, `answer.tickets[${i}]`));
    return r['next'] === undefined ? { status, tickets } : { status, tickets, next: readId<TicketId>(r['next'], 'answer.next') };
  }
  if (r['stats'] !== undefined) {
    const s = readRecord(r['stats'], 'answer.stats', ['events', 'tickets', 'byState']);
    const by = readRecord(s['byState'], 'answer.stats.byState', STATES);
    const byState = Object.fromEntries(STATES.map((k) => [k, readInt(by[k], `answer.stats.byState.${k}`)])) as Record<TicketState, number>;
    return { status, stats: { events: readInt(s['events'], 'answer.stats.events'), tickets: readInt(s['tickets'], 'answer.stats.tickets'), byState } };
  }
  throw new CodecError('CODEC_SCHEMA', 'Field answer has no payload.');
}

// --- shared readers -----------------------------------------------------------

/** Reads a validated id string (EventId, TicketId, GateId). */
export function readId<T extends string>(value: unknown, field: string): T {
  const s = readString(value, field, 128);
  if (!isValidId(s)) throw new CodecError('CODEC_SCHEMA', `Field ${field} is not a valid id.`, { meta: { field } });
  return s as T;
}

/**
 * Reads a {@link ClientId} (64 lowercase hex characters); throws `CodecError`
 * `CODEC_SCHEMA` otherwise.
 * @internal
 */
export function readClientId(value: unknown, field: string): ClientId {
  const s = readString(value, field, 64);
  if (!/^[0-9a-f]{64}$/.test(s)) throw new CodecError('CODEC_SCHEMA', `Field ${field} must be a 64-hex key.`, { meta: { field } });
  return s as ClientId;
}

/** Reads a {@link ScanFact} strictly (16-byte nonce, gate id, integer time). */
export function readScanFact(value: unknown, field: string): ScanFact {
  const s = readRecord(value, field, ['nonce', 'gate', 'time']);
  return { nonce: readBytes(s['nonce'], `${field}.nonce`, 16), gate: readId<GateId>(s['gate'], `${field}.gate`), time: readInt(s['time'], `${field}.time`) };
}

/** Reads a {@link RotatingCode} strictly (32-byte holder, version ≥ 1, step, 64-byte signature). */
export function readRotatingCode(value: unknown, field: string): RotatingCode {
  const c = readRecord(value, field, ['holder', 'version', 'step', 'signature']);
  return { holder: readBytes(c['holder'], `${field}.holder`, 32), version: readInt(c['version'], `${field}.version`, 1), step: readInt(c['step'], `${field}.step`), signature: readBytes(c['signature'], `${field}.signature`, 64) };
}

/** Reads a {@link ScanRecord} strictly. */
export function readScanRecord(value: unknown, field: string): ScanRecord {
  const s: CborRecord = readRecord(value, field, ['kind', 'nonce', 'gate', 'time', 'device', 'seq']);
  return {
    kind: readEnum(s['kind'], `${field}.kind`, ['validate', 'consume'] as const),
    nonce: readBytes(s['nonce'], `${field}.nonce`, 16),
    gate: readId<GateId>(s['gate'], `${field}.gate`),
    time: readInt(s['time'], `${field}.time`),
    device: readClientId(s['device'], `${field}.device`),
    seq: readInt(s['seq'], `${field}.seq`),
  };
}

/** Reads a {@link TicketView} (also used for snapshots). */
export function readTicketView(value: unknown, field: string): TicketView {
  const t = readRecord(value, field, ['ticketId', 'eventId', 'state', 'holder', 'version', 'disputedFrom', 'scans']);
  const view = {
    ticketId: readId<TicketId>(t['ticketId'], `${field}.ticketId`),
    eventId: readId<EventId>(t['eventId'], `${field}.eventId`),
    state: readEnum(t['state'], `${field}.state`, STATES),
    holder: readClientId(t['holder'], `${field}.holder`),
    version: readInt(t['version'], `${field}.version`, 1),
    scans: readArray(t['scans'], `${field}.scans`, 64).map((s, i) => readScanRecord(s, `${field}.scans[${i}]`)),
  };
  if (t['disputedFrom'] !== undefined) {
    return { ...view, disputedFrom: readEnum(t['disputedFrom'], `${field}.disputedFrom`, ['ISSUED', 'VALIDATED'] as const) };
  }
  return view;
}

/** Reads an {@link EventView}. */
export function readEventView(value: unknown, field: string): EventView {
  const e = readRecord(value, field, ['eventId', 'organizer', 'devices', 'tickets']);
  return {
    eventId: readId<EventId>(e['eventId'], `${field}.eventId`),
    organizer: readClientId(e['organizer'], `${field}.organizer`),
    devices: readArray(e['devices'], `${field}.devices`, MAX_GATE_DEVICES).map((d, i) => readClientId(d, `${field}.devices[${i}]`)),
    tickets: readInt(e['tickets'], `${field}.tickets`),
  };
}

/** Hex of a 32-byte key as a ClientId. */
export function keyId(key: Uint8Array): ClientId {
  return bytesToHex(key) as ClientId;
}
