/**
 * The ticket ledger's rows (events and tickets) as it keeps them, their
 * canonical values, and the checks that make a restored state one the ledger
 * could have reached: what `restore` and `state.restoreEntries` share.
 * @module
 * @internal
 */
import type { CborValue } from '../codec/cbor.js';
import type { ClientId, EventId, TicketId } from '../codec/hash.js';
import { readArray, readInt } from '../codec/schema.js';
import { CodecError } from '../errors/index.js';
import { readClientId } from './codec.js';
import { MAX_GATE_DEVICES, type ScanRecord, type TicketState, type TicketView } from './types.js';

/** An event as the ledger keeps it. @internal */
export interface EventRow {
  organizer: ClientId;
  devices: Set<ClientId>;
  tickets: number;
}

/** A ticket as the ledger keeps it. @internal */
export interface TicketRow {
  eventId: EventId;
  state: TicketState;
  holder: ClientId;
  version: number;
  disputedFrom: TicketState | undefined;
  scans: ScanRecord[];
}

/** An event's keyed-state value (also its snapshot row, without the id): `[organizer, devices, tickets]`. @internal */
export function eventRowValue(e: EventRow): CborValue[] {
  return [e.organizer, [...e.devices].sort(), e.tickets];
}

/** A ticket's keyed-state value: `[eventId, state, holder, version, disputedFrom | null, scans]`. @internal */
export function ticketRowValue(t: TicketRow): CborValue[] {
  return [t.eventId, t.state, t.holder, t.version, t.disputedFrom ?? null, t.scans as unknown as CborValue[]];
}

/**
 * Reads an event's fields (from a snapshot row or a keyed-state value):
 * client ids for the organizer and at most {@link MAX_GATE_DEVICES} devices,
 * a ticket count. Throws `CodecError` `CODEC_SCHEMA`.
 * @internal
 */
export function readEventRow(organizer: unknown, devices: unknown, tickets: unknown, field: string): EventRow {
  return {
    organizer: readClientId(organizer, `${field}.organizer`),
    devices: new Set(readArray(devices, `${field}.devices`, MAX_GATE_DEVICES).map((d, j) => readClientId(d, `${field}.devices[${j}]`))),
    tickets: readInt(tickets, `${field}.tickets`),
  };
}

/**
 * A ticket row from a decoded {@link TicketView}, after checking that its
 * fields fit together the way the ledger's operations leave them:
 * `disputedFrom` is set exactly while DISPUTED, and the scans are those of the
 * state (none before validation, one `validate` from VALIDATED on, then one
 * `consume` for CONSUMED). Throws `CodecError` `CODEC_SCHEMA`.
 * @internal
 */
export function ticketRowOf(v: TicketView, field: string): TicketRow {
  const t: TicketRow = { eventId: v.eventId, state: v.state, holder: v.holder, version: v.version, disputedFrom: v.disputedFrom, scans: v.scans.slice() };
  if ((t.state === 'DISPUTED') !== (t.disputedFrom !== undefined)) {
    throw new CodecError('CODEC_SCHEMA', `Field ${field}.disputedFrom must be set exactly when the state is DISPUTED.`, { meta: { field } });
  }
  const n = t.scans.length;
  const kindsOk = n <= 2 && (n < 1 || t.scans[0]?.kind === 'validate') && (n < 2 || t.scans[1]?.kind === 'consume');
  const [min, max] = SCANS_OF[t.state === 'DISPUTED' ? (t.disputedFrom as TicketState) : t.state];
  if (!kindsOk || n < min || n > max) {
    throw new CodecError('CODEC_SCHEMA', `Field ${field}.scans does not fit the state ${t.state}.`, { meta: { field } });
  }
  return t;
}

/**
 * How many scans (`validate`, then `consume`) a ticket has in each state; a
 * DISPUTED ticket has those of the state it was disputed from.
 */
const SCANS_OF: Readonly<Record<TicketState, readonly [number, number]>> = {
  ISSUED: [0, 0],
  VALIDATED: [1, 1],
  CONSUMED: [2, 2],
  DISPUTED: [0, -1], // never used: disputedFrom is ISSUED or VALIDATED
  REVOKED: [0, 1],
  REFUNDED: [0, 1],
};

/**
 * Checks that every ticket names an existing event and that each event's
 * ticket count is its number of tickets. Throws `CodecError` `CODEC_SCHEMA`.
 * @internal
 */
export function checkTicketCounts(events: ReadonlyMap<EventId, EventRow>, tickets: ReadonlyMap<TicketId, TicketRow>, field: string): void {
  const counts = new Map<EventId, number>();
  for (const [id, t] of tickets) {
    if (!events.has(t.eventId)) throw new CodecError('CODEC_SCHEMA', `${field}: ticket ${id} refers to an unknown event.`);
    counts.set(t.eventId, (counts.get(t.eventId) ?? 0) + 1);
  }
  for (const [id, e] of events) {
    if (e.tickets !== (counts.get(id) ?? 0)) throw new CodecError('CODEC_SCHEMA', `${field}: event ${id} counts ${e.tickets} tickets but has ${counts.get(id) ?? 0}.`);
  }
}
