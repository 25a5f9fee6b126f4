/**
 * The gate's durable records, in any `Storage` (IndexedDB in the browser):
 *
 * - `item/<seq>`: one scan the gate accepted, with the signed `admit`
 *   request it will (re)send, its state (pending, admitted, rejected) and,
 *   once the ledger answered, the committed outcome;
 * - `ticket/<ticketId>`: what the gate knows about a ticket (consumed here,
 *   revoked, refunded, a newer version), so a second scan fails offline;
 * - `meta/next-seq`: the next request number of the device key.
 *
 * Records are canonical CBOR read back with the strict schema readers, so a
 * corrupted store fails loudly (`CodecError`) instead of half-loading.
 * @module
 */
import {
  type EventId,
  type Storage,
  type TicketId,
  decode,
  encode,
  eventId as toEventId,
  readBoolean,
  readBytes,
  readEnum,
  readInt,
  readOptional,
  readRecord,
  readString,
  ticketId as toTicketId,
  utf8ToBytes,
} from '@admitone/core';
import { ADMISSION_REJECTIONS, type AdmissionRejection, type LocalTicketStatus } from '@admitone/identity';
import { CONTRACT_REJECTIONS, type ContractRejection } from '@admitone/market';

/** Where a queued scan stands. */
export type ItemState = 'pending' | 'admitted' | 'rejected';

/** What went wrong when the ledger refused a scan the gate had already let through. */
export type Incident =
  /** The ticket was consumed elsewhere first: two people entered on one ticket. */
  | 'double_admission'
  /** The ledger refused it for another reason (revoked, listed, stale code …) after the holder entered. */
  | 'refused_after_entry';

/** One accepted scan and its fate. */
export interface QueueItem {
  /** The request number of its signed `admit` (also its queue position). */
  readonly seq: number;
  /** The event. */
  readonly eventId: EventId;
  /** The ticket. */
  readonly ticketId: TicketId;
  /** Its serial on the contract. */
  readonly serial: number;
  /** The pass version presented. */
  readonly version: number;
  /** The gate's time of the scan. */
  readonly scanTime: number;
  /** The scan's 16-byte nonce (recorded on the ticket when the ledger admits it). */
  readonly nonce: Uint8Array;
  /** True when the holder was let in before the ledger answered (offline or slow). */
  readonly provisional: boolean;
  /** The signed `admit` request, encoded (`encodeRequest`). */
  readonly request: Uint8Array;
  /** Pending until the ledger answers. */
  readonly state: ItemState;
  /** The ledger's reason, when rejected. */
  readonly reason?: ContractRejection;
  /** Set when the ledger refused a provisional admission. */
  readonly incident?: Incident;
  /** When the gate learnt the committed outcome. */
  readonly settledAt?: number;
}

/** A scan the gate refused on its own (the offline check): an audit record; nothing is sent to the ledger. */
export interface Refusal {
  /** When. */
  readonly time: number;
  /** The offline verifier's reason. */
  readonly reason: AdmissionRejection;
  /** The ticket, when the code named one. */
  readonly ticketId?: TicketId;
}

/** The store's key spaces. */
export const KEYS = {
  item: 'item/',
  ticket: 'ticket/',
  refusal: 'refusal/',
  nextSeq: 'meta/next-seq',
} as const;

/** The key of a refusal: by time, then a per-session counter, so key order is time order. */
export function refusalKey(time: number, counter: number): Uint8Array {
  return utf8ToBytes(`${KEYS.refusal}${String(time).padStart(16, '0')}-${String(counter).padStart(8, '0')}`);
}

/** Canonical CBOR of a refusal. */
export function encodeRefusal(r: Refusal): Uint8Array {
  return encode({ time: r.time, reason: r.reason, ...(r.ticketId === undefined ? {} : { ticketId: r.ticketId }) });
}

/** Strictly decodes a refusal. */
export function decodeRefusal(bytes: Uint8Array): Refusal {
  const r = readRecord(decode(bytes), 'refusal', ['time', 'reason', 'ticketId']);
  const ticketId = readOptional(r, 'ticketId', (v, f) => toTicketId(readString(v, f, 128)), 'refusal.');
  return {
    time: readInt(r['time'], 'refusal.time'),
    reason: readEnum(r['reason'], 'refusal.reason', ADMISSION_REJECTIONS),
    ...(ticketId === undefined ? {} : { ticketId }),
  };
}

/** The key of a queue item: zero-padded so key order is queue order. */
export function itemKey(seq: number): Uint8Array {
  return utf8ToBytes(`${KEYS.item}${String(seq).padStart(16, '0')}`);
}

/** The key of a ticket's local status. */
export function ticketKey(ticketId: TicketId): Uint8Array {
  return utf8ToBytes(`${KEYS.ticket}${ticketId}`);
}

/** The key of the next request number. */
export const NEXT_SEQ_KEY: Uint8Array = utf8ToBytes(KEYS.nextSeq);

/** Canonical CBOR of an item. */
export function encodeItem(item: QueueItem): Uint8Array {
  return encode({
    seq: item.seq,
    eventId: item.eventId,
    ticketId: item.ticketId,
    serial: item.serial,
    version: item.version,
    scanTime: item.scanTime,
    nonce: item.nonce,
    provisional: item.provisional,
    request: item.request,
    state: item.state,
    ...(item.reason === undefined ? {} : { reason: item.reason }),
    ...(item.incident === undefined ? {} : { incident: item.incident }),
    ...(item.settledAt === undefined ? {} : { settledAt: item.settledAt }),
  });
}

/** Strictly decodes an item; throws `CodecError` when it is malformed. */
export function decodeItem(bytes: Uint8Array): QueueItem {
  const keys = ['seq', 'eventId', 'ticketId', 'serial', 'version', 'scanTime', 'nonce', 'provisional', 'request', 'state', 'reason', 'incident', 'settledAt'];
  const r = readRecord(decode(bytes), 'item', keys);
  const reason = readOptional(r, 'reason', (v, f) => readEnum(v, f, CONTRACT_REJECTIONS), 'item.');
  const incident = readOptional(r, 'incident', (v, f) => readEnum(v, f, ['double_admission', 'refused_after_entry'] as const), 'item.');
  const settledAt = readOptional(r, 'settledAt', (v, f) => readInt(v, f), 'item.');
  return {
    seq: readInt(r['seq'], 'item.seq', 1),
    eventId: toEventId(readString(r['eventId'], 'item.eventId', 128)),
    ticketId: toTicketId(readString(r['ticketId'], 'item.ticketId', 128)),
    serial: readInt(r['serial'], 'item.serial', 1),
    version: readInt(r['version'], 'item.version'),
    scanTime: readInt(r['scanTime'], 'item.scanTime'),
    nonce: readBytes(r['nonce'], 'item.nonce', 16),
    provisional: readBoolean(r['provisional'], 'item.provisional'),
    request: readBytes(r['request'], 'item.request'),
    state: readEnum(r['state'], 'item.state', ['pending', 'admitted', 'rejected'] as const),
    ...(reason === undefined ? {} : { reason }),
    ...(incident === undefined ? {} : { incident }),
    ...(settledAt === undefined ? {} : { settledAt }),
  };
}

/** Canonical CBOR of a ticket's local status. */
export function encodeTicketStatus(status: LocalTicketStatus): Uint8Array {
  return encode({ ...(status.state === undefined ? {} : { state: status.state }), ...(status.version === undefined ? {} : { version: status.version }) });
}

/** Strictly decodes a ticket's local status. */
export function decodeTicketStatus(bytes: Uint8Array): LocalTicketStatus {
  const r = readRecord(decode(bytes), 'ticket', ['state', 'version']);
  const state = readOptional(r, 'state', (v, f) => readEnum(v, f, ['consumed', 'revoked', 'refunded'] as const), 'ticket.');
  const version = readOptional(r, 'version', (v, f) => readInt(v, f), 'ticket.');
  return { ...(state === undefined ? {} : { state }), ...(version === undefined ? {} : { version }) };
}

/** Everything the gate persisted, loaded at start. */
export interface LoadedRecords {
  /** Every item, in queue order. */
  readonly items: QueueItem[];
  /** Local ticket statuses. */
  readonly tickets: Map<TicketId, LocalTicketStatus>;
  /** The gate's own refusals, oldest first. */
  readonly refusals: Refusal[];
  /** The next request number, when one was stored. */
  readonly nextSeq: number | undefined;
}

/** Reads every record from `storage`. */
export async function loadRecords(storage: Storage): Promise<LoadedRecords> {
  const items: QueueItem[] = [];
  for await (const [, value] of storage.iterate({ prefix: utf8ToBytes(KEYS.item) })) items.push(decodeItem(value));
  const tickets = new Map<TicketId, LocalTicketStatus>();
  const prefix = utf8ToBytes(KEYS.ticket);
  for await (const [key, value] of storage.iterate({ prefix })) {
    tickets.set(toTicketId(new TextDecoder().decode(key.subarray(prefix.length))), decodeTicketStatus(value));
  }
  const refusals: Refusal[] = [];
  for await (const [, value] of storage.iterate({ prefix: utf8ToBytes(KEYS.refusal) })) refusals.push(decodeRefusal(value));
  const next = await storage.get(NEXT_SEQ_KEY);
  return { items, tickets, refusals, nextSeq: next === undefined ? undefined : readInt(decode(next), 'meta.nextSeq', 1) };
}
