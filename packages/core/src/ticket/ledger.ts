/**
 * The ticket ledger: the ticket lifecycle as a pure, deterministic
 * {@link ReplicatedApp}.
 * @module
 */
import type { CryptoProvider } from '../crypto/types.js';
import { isValidPublicKey } from '../crypto/keys.js';
import type { ExecuteContext, PreparedRequest, ReplicatedApp } from '../app/types.js';
import { checkDeploymentId, verifyRequest, type DeploymentId, type SignedRequest } from '../app/request.js';
import { createReplayGuard, type ReplayGuard } from '../app/replay.js';
import { createKeyedRows, sortByKey, type KeyedRows, type KeyedState, type StateEntry } from '../app/state.js';
import { decode, encode, type CborValue } from '../codec/cbor.js';
import type { ClientId, Digest, EventId, TicketId } from '../codec/hash.js';
import { readArray, readRecord, readString } from '../codec/schema.js';
import { CodecError, invariant } from '../errors/index.js';
import { bytesToUtf8, equalBytes, isBytes, utf8ToBytes } from '../bytes/index.js';
import {
  decodeTicketOp,
  decodeTicketQuery,
  encodeTicketQueryResult,
  encodeTicketResult,
  keyId,
  readClientId,
  readId,
  readTicketView,
} from './codec.js';
import { rotatingCodeMessage, stepOf } from './code.js';
import { checkTicketCounts, eventRowValue, readEventRow, ticketRowOf, ticketRowValue, type EventRow, type TicketRow } from './rows.js';
import { createSortedSet, type SortedSet } from '../app/sorted-set.js';
import {
  MAX_GATE_DEVICES,
  TicketState,
  type EventView,
  type RejectionReason,
  type TicketOp,
  type TicketQueryResult,
  type TicketResult,
  type TicketView,
} from './types.js';

/** Options of {@link createTicketLedger}. */
export interface TicketLedgerOptions {
  /** Verifies request signatures and rotating codes. */
  readonly crypto: CryptoProvider;
  /**
   * This ledger's deployment id: requests and rotating codes signed for any
   * other deployment are refused (`invalid_signature`, or a code that does
   * not verify). Every replica of one ledger, and its clients, use the same.
   */
  readonly deployment: DeploymentId;
  /** Require a holder's rotating code on `validate`. Default `true`. */
  readonly requireHolderCode?: boolean;
  /** Length of a rotating-code time step in ms. Default 30 000. */
  readonly codeStepMs?: number;
  /** How many steps a code may differ from the scan's step. Default 1. */
  readonly codeSkewSteps?: number;
}

/** A request after the ledger's stateless checks. */
export interface PreparedTicketRequest extends PreparedRequest {
  /**
   * The decoded operation, or `undefined` when the op bytes are malformed or
   * the key it names (`issue` holder, `transfer` target, `authorizeGate`
   * device) is not a valid public key ({@link isValidPublicKey}); `execute`
   * rejects it as `malformed`.
   */
  readonly op: TicketOp | undefined;
  /** For `validate` with a code: whether the holder's code signature verifies. */
  readonly codeValid: boolean | undefined;
}

/** The ticket ledger app. */
export interface TicketLedger extends ReplicatedApp<PreparedTicketRequest> {
  /**
   * The ledger as keyed entries: `e/<eventId>` → `[organizer, devices, tickets]`,
   * `t/<ticketId>` → `[eventId, state, holder, version, disputedFrom | null, scans]`,
   * `r/<clientId>` → the client's replay row (`ReplayGuard.rowOf`).
   * `digest()` is their state digest, maintained in O(changes).
   *
   * `restoreEntries` forgets pending changes (later changes are relative to
   * the restored entries); `restore(snapshot)` keeps them and adds every row
   * it wrote or deleted, so an engine that takes changes sees the whole
   * replacement. Both accept only states the ledger's operations can reach
   * (see {@link TicketLedger.restore}).
   */
  readonly state: KeyedState;
  /**
   * Replaces the state with a snapshot, or throws `CodecError` and leaves the
   * state untouched. Besides malformed or non-canonical bytes
   * (`CODEC_MALFORMED`, `CODEC_NON_CANONICAL`, …), it refuses with
   * `CODEC_SCHEMA` any state the ledger's operations cannot reach: ids that
   * are not 64 lowercase hex client ids (organizers, devices, holders, replay
   * rows), more than {@link MAX_GATE_DEVICES} devices, `disputedFrom` set
   * outside DISPUTED or missing in it, scans that do not fit the state, a
   * ticket of an unknown event, an event whose `tickets` is not its number of
   * tickets. `state.restoreEntries` checks the same.
   */
  restore(snapshot: Uint8Array): void;
  /** Convenience: the current view of a ticket (a copy: changing it changes nothing), or `undefined`. */
  getTicket(id: TicketId): TicketView | undefined;
  /** Convenience: the current view of an event (a fresh object), or `undefined`. */
  getEvent(id: EventId): EventView | undefined;
}

/** Snapshot format tag. */
export const TICKET_LEDGER_SNAPSHOT = 'admitone/tickets/v1';

/** Key prefixes of the keyed state. */
const EVENT_ROW = 'e/';
const TICKET_ROW = 't/';
const REPLAY_ROW = 'r/';

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** Whether the keys an operation puts into the state are valid public keys (revoking any device stays possible). */
function keysValid(op: TicketOp): boolean {
  switch (op.type) {
    case 'issue':
      return isValidPublicKey(op.holder);
    case 'transfer':
      return isValidPublicKey(op.to);
    case 'authorizeGate':
      return isValidPublicKey(op.device);
    default:
      return true;
  }
}

/**
 * Ticket ids in order: all, by event, by holder and by (holder, event), so
 * `tickets` pages cost their length plus a few binary searches, never a scan.
 */
interface TicketIndex {
  readonly all: SortedSet<string>;
  readonly byEvent: Map<EventId, SortedSet<string>>;
  readonly byHolder: Map<ClientId, SortedSet<string>>;
  /** Keyed by {@link holderEventKey}. */
  readonly byHolderEvent: Map<string, SortedSet<string>>;
}

/** The `byHolderEvent` key of a holder's tickets of one event (a client id has no `/`). */
function holderEventKey(holder: ClientId, eventId: EventId): string {
  return `${holder}/${eventId}`;
}

/** The index of `tickets` (derived state: not in snapshots or digests). */
function indexOf(tickets: ReadonlyMap<TicketId, TicketRow>): TicketIndex {
  const groups = <K>(keyOf: (t: TicketRow) => K): Map<K, SortedSet<string>> => {
    const m = new Map<K, string[]>();
    for (const [id, t] of tickets) {
      const k = keyOf(t);
      const ids = m.get(k);
      if (ids === undefined) m.set(k, [id]);
      else ids.push(id);
    }
    return new Map([...m].map(([k, ids]) => [k, createSortedSet<string>(ids.sort())]));
  };
  return {
    all: createSortedSet<string>([...tickets.keys()].sort()),
    byEvent: groups((t) => t.eventId),
    byHolder: groups((t) => t.holder),
    byHolderEvent: groups((t) => holderEventKey(t.holder, t.eventId)),
  };
}

/** Adds `id` to the set of `key` in `m`, creating it. */
function indexAdd<K>(m: Map<K, SortedSet<string>>, key: K, id: string): void {
  let ids = m.get(key);
  if (ids === undefined) m.set(key, (ids = createSortedSet<string>()));
  ids.insert(id);
}

/** Removes `id` from the set of `key` in `m`, dropping a set that becomes empty. */
function indexRemove<K>(m: Map<K, SortedSet<string>>, key: K, id: string): void {
  const ids = m.get(key);
  if (ids === undefined) return;
  ids.delete(id);
  if (ids.size === 0) m.delete(key);
}

/**
 * Creates an empty ticket ledger.
 *
 * @example
 * ```ts
 * const ledger = createTicketLedger({ crypto: await defaultCrypto(), deployment: 'gig/prod' });
 * const req = await signRequest(crypto, organizerKey, { deployment: 'gig/prod', requestSeq: 1, op: encodeTicketOp({ type: 'createEvent', eventId: eventId('gig') }) });
 * const result = decodeTicketResult(ledger.execute(await ledger.prepare(req), { seq: 1, timestamp: Date.now() }));
 * ```
 */
export function createTicketLedger(options: TicketLedgerOptions): TicketLedger {
  const crypto = options.crypto;
  const deployment = checkDeploymentId(options.deployment, 'TicketLedgerOptions.deployment');
  const requireCode = options.requireHolderCode ?? true;
  const stepMs = options.codeStepMs ?? 30_000;
  const skew = options.codeSkewSteps ?? 1;
  if (!Number.isSafeInteger(stepMs) || stepMs <= 0) throw new RangeError('codeStepMs must be a positive integer');
  if (!Number.isSafeInteger(skew) || skew < 0) throw new RangeError('codeSkewSteps must be a non-negative integer');

  let events = new Map<EventId, EventRow>();
  let tickets = new Map<TicketId, TicketRow>();
  let replay: ReplayGuard = createReplayGuard();
  let index: TicketIndex = indexOf(tickets);
  // Keyed state: touched rows, the incremental digest and the changes not yet taken (see createKeyedRows).
  const rows: KeyedRows = createKeyedRows(rowValue, allEntries);

  /**
   * A view that shares the ticket's scans: only for values encoded at once
   * (results, query answers, snapshots), never handed to a caller.
   */
  const view = (id: TicketId, t: TicketRow): TicketView =>
    t.disputedFrom === undefined
      ? { ticketId: id, eventId: t.eventId, state: t.state, holder: t.holder, version: t.version, scans: t.scans }
      : { ticketId: id, eventId: t.eventId, state: t.state, holder: t.holder, version: t.version, disputedFrom: t.disputedFrom, scans: t.scans };
  /** A view that shares nothing with the ledger's state, for callers. */
  const copyView = (id: TicketId, t: TicketRow): TicketView => {
    const v = view(id, t);
    return { ...v, scans: t.scans.map((s) => ({ ...s, nonce: s.nonce.slice() })) };
  };
  const eventView = (id: EventId, e: EventRow): EventView => ({
    eventId: id,
    organizer: e.organizer,
    devices: [...e.devices].sort(),
    tickets: e.tickets,
  });
  const reject = (reason: RejectionReason): TicketResult => ({ status: 'rejected', reason });
  const okTicket = (id: TicketId, t: TicketRow): TicketResult => ({ status: 'ok', ticket: view(id, t) });
  const terminalReason = (s: TicketState): RejectionReason | undefined =>
    s === 'CONSUMED' ? 'already_consumed' : s === 'REVOKED' ? 'revoked' : s === 'REFUNDED' ? 'refunded' : undefined;

  function apply(op: TicketOp, actor: ClientId, codeValid: boolean | undefined, ctx: ExecuteContext): TicketResult {
    switch (op.type) {
      case 'createEvent': {
        if (events.has(op.eventId)) return reject('already_exists');
        const e: EventRow = { organizer: actor, devices: new Set(), tickets: 0 };
        events.set(op.eventId, e);
        rows.touch(EVENT_ROW + op.eventId);
        return { status: 'ok', event: eventView(op.eventId, e) };
      }
      case 'authorizeGate':
      case 'revokeGate': {
        const e = events.get(op.eventId);
        if (e === undefined) return reject('not_found');
        if (e.organizer !== actor) return reject('not_organizer');
        const device = keyId(op.device);
        if (op.type === 'revokeGate') e.devices.delete(device);
        else if (e.devices.has(device)) return { status: 'ok', event: eventView(op.eventId, e) };
        else if (e.devices.size >= MAX_GATE_DEVICES) return reject('too_many_devices');
        else e.devices.add(device);
        rows.touch(EVENT_ROW + op.eventId);
        return { status: 'ok', event: eventView(op.eventId, e) };
      }
      case 'issue': {
        const e = events.get(op.eventId);
        if (e === undefined) return reject('not_found');
        if (e.organizer !== actor) return reject('not_organizer');
        if (tickets.has(op.ticketId)) return reject('already_exists');
        const t: TicketRow = { eventId: op.eventId, state: 'ISSUED', holder: keyId(op.holder), version: 1, disputedFrom: undefined, scans: [] };
        tickets.set(op.ticketId, t);
        e.tickets++;
        index.all.insert(op.ticketId);
        indexAdd(index.byEvent, op.eventId, op.ticketId);
        indexAdd(index.byHolder, t.holder, op.ticketId);
        indexAdd(index.byHolderEvent, holderEventKey(t.holder, t.eventId), op.ticketId);
        rows.touch(EVENT_ROW + op.eventId);
        rows.touch(TICKET_ROW + op.ticketId);
        return okTicket(op.ticketId, t);
      }
      default:
        return applyToTicket(op, actor, codeValid, ctx);
    }
  }

  function applyToTicket(
    op: Exclude<TicketOp, { type: 'createEvent' | 'authorizeGate' | 'revokeGate' | 'issue' }>,
    actor: ClientId,
    codeValid: boolean | undefined,
    ctx: ExecuteContext,
  ): TicketResult {
    const t = tickets.get(op.ticketId);
    if (t === undefined) return reject('not_found');
    const e = events.get(t.eventId);
    invariant(e !== undefined, 'ticket refers to a missing event');
    // conservatively dirty: a rejected op leaves the row as it was, and an unchanged row changes nothing
    rows.touch(TICKET_ROW + op.ticketId);
    const terminal = terminalReason(t.state);
    switch (op.type) {
      case 'transfer': {
        if (t.holder !== actor) return reject('not_holder');
        if (keyId(op.to) === t.holder) return reject('same_holder');
        if (t.state !== 'ISSUED') return reject(terminal ?? (t.state === 'VALIDATED' ? 'already_validated' : 'disputed'));
        indexRemove(index.byHolder, t.holder, op.ticketId);
        indexRemove(index.byHolderEvent, holderEventKey(t.holder, t.eventId), op.ticketId);
        t.holder = keyId(op.to);
        t.version++;
        indexAdd(index.byHolder, t.holder, op.ticketId);
        indexAdd(index.byHolderEvent, holderEventKey(t.holder, t.eventId), op.ticketId);
        return okTicket(op.ticketId, t);
      }
      case 'validate':
      case 'consume': {
        // Validity first (event, device, code), duplication (state) last.
        if (op.eventId !== t.eventId) return reject('wrong_event');
        if (!e.devices.has(actor)) return reject('not_authorized');
        if (op.type === 'validate') {
          if (op.code === undefined) {
            if (requireCode) return reject('stale_code');
          } else {
            if (codeValid !== true) return reject('invalid_signature');
            const fresh =
              keyId(op.code.holder) === t.holder &&
              op.code.version === t.version &&
              Math.abs(op.code.step - stepOf(op.scan.time, stepMs)) <= skew;
            if (!fresh) return reject('stale_code');
          }
        }
        if (terminal !== undefined) return reject(terminal);
        if (t.state === 'DISPUTED') return reject('disputed');
        if (op.type === 'validate') {
          if (t.state === 'VALIDATED') return reject('already_validated');
          t.state = 'VALIDATED';
        } else {
          if (t.state === 'ISSUED') return reject('not_validated');
          t.state = 'CONSUMED';
        }
        t.scans.push({ kind: op.type, nonce: op.scan.nonce, gate: op.scan.gate, time: op.scan.time, device: actor, seq: ctx.seq });
        return okTicket(op.ticketId, t);
      }
      case 'dispute': {
        if (actor !== t.holder && actor !== e.organizer && !e.devices.has(actor)) return reject('not_authorized');
        if (terminal !== undefined) return reject(terminal);
        if (t.state === 'DISPUTED') return reject('disputed');
        t.disputedFrom = t.state;
        t.state = 'DISPUTED';
        return okTicket(op.ticketId, t);
      }
      case 'resolve': {
        if (actor !== e.organizer) return reject('not_organizer');
        if (t.state !== 'DISPUTED') return reject(terminal ?? 'not_disputed');
        const from = t.disputedFrom;
        invariant(from === 'ISSUED' || from === 'VALIDATED', 'disputed ticket without a prior state');
        t.state = op.outcome === 'reinstate' ? from : op.outcome === 'revoke' ? 'REVOKED' : 'REFUNDED';
        t.disputedFrom = undefined;
        return okTicket(op.ticketId, t);
      }
      case 'revoke':
      case 'refund': {
        if (actor !== e.organizer) return reject('not_organizer');
        if (terminal !== undefined) return reject(terminal);
        // a validated ticket is not refunded, nor is one disputed after validation: `resolve` settles that one
        if (op.type === 'refund' && (t.state === 'VALIDATED' || (t.state === 'DISPUTED' && t.disputedFrom === 'VALIDATED'))) return reject('already_validated');
        t.state = op.type === 'revoke' ? 'REVOKED' : 'REFUNDED';
        t.disputedFrom = undefined;
        return okTicket(op.ticketId, t);
      }
    }
  }

  function snapshotValue(events: Map<EventId, EventRow>, tickets: Map<TicketId, TicketRow>, replay: ReplayGuard): CborValue {
    const ev = [...events.keys()].sort().map((id) => [id, ...eventRowValue(events.get(id) as EventRow)]);
    const tk = [...tickets.keys()].sort().map((id) => view(id, tickets.get(id) as TicketRow) as unknown as CborValue);
    return { app: TICKET_LEDGER_SNAPSHOT, events: ev, tickets: tk, replay: replay.toCbor() };
  }

  /** The canonical value of a keyed-state row, or `undefined` when it does not exist. */
  function rowValue(row: string): Uint8Array | undefined {
    const id = row.slice(2);
    switch (row.slice(0, 2)) {
      case EVENT_ROW: {
        const e = events.get(id as EventId);
        return e === undefined ? undefined : encode(eventRowValue(e));
      }
      case TICKET_ROW: {
        const t = tickets.get(id as TicketId);
        return t === undefined ? undefined : encode(ticketRowValue(t));
      }
      default: {
        const r = replay.rowOf(id);
        return r === undefined ? undefined : encode(r);
      }
    }
  }

  /** The names of every row of the current state. */
  function allRows(): string[] {
    const out: string[] = [];
    for (const id of events.keys()) out.push(EVENT_ROW + id);
    for (const id of tickets.keys()) out.push(TICKET_ROW + id);
    for (const row of replay.toCbor() as [string, ...CborValue[]][]) out.push(REPLAY_ROW + row[0]);
    return out;
  }

  function allEntries(): StateEntry[] {
    return sortByKey(allRows().map((row) => ({ key: utf8ToBytes(row), value: rowValue(row) as Uint8Array })));
  }

  function restoreEntries(entries: readonly StateEntry[]): void {
    const nextEvents = new Map<EventId, EventRow>();
    const nextTickets = new Map<TicketId, TicketRow>();
    const nextReplay = createReplayGuard();
    let prev: Uint8Array | undefined;
    for (const [i, entry] of entries.entries()) {
      const f = `entries[${i}]`;
      if (typeof entry !== 'object' || entry === null || !isBytes(entry.key) || !isBytes(entry.value)) {
        throw new CodecError('CODEC_SCHEMA', `${f} must have a byte key and a byte value.`, { meta: { field: f } });
      }
      if (prev !== undefined && compareKeys(prev, entry.key) >= 0) throw new CodecError('CODEC_SCHEMA', 'State entries must have strictly ascending keys.');
      prev = entry.key;
      let row: string;
      try {
        row = bytesToUtf8(entry.key);
      } catch (cause) {
        throw new CodecError('CODEC_SCHEMA', `${f} has a key that is not UTF-8.`, { cause, meta: { field: f } });
      }
      const id = row.slice(2);
      const value = decode(entry.value, { maxBytes: 1 << 24 });
      switch (row.slice(0, 2)) {
        case EVENT_ROW: {
          const a = readArray(value, `${f}.event`, 3);
          const e = readEventRow(a[0], a[1], a[2], f);
          if (!equalBytes(encode(eventRowValue(e)), entry.value)) throw new CodecError('CODEC_NON_CANONICAL', `${f} is not in canonical form.`);
          nextEvents.set(readId<EventId>(id, `${f}.id`), e);
          break;
        }
        case TICKET_ROW: {
          const a = readArray(value, `${f}.ticket`, 6);
          if (a.length !== 6) throw new CodecError('CODEC_SCHEMA', `${f} must be a 6-item ticket row.`);
          const fields: Record<string, CborValue> = { ticketId: id, eventId: a[0] as CborValue, state: a[1] as CborValue, holder: a[2] as CborValue, version: a[3] as CborValue, scans: a[5] as CborValue };
          if (a[4] !== null) fields['disputedFrom'] = a[4] as CborValue;
          const v = readTicketView(fields, `${f}.ticket`);
          const t = ticketRowOf(v, `${f}.ticket`);
          if (!equalBytes(encode(ticketRowValue(t)), entry.value)) throw new CodecError('CODEC_NON_CANONICAL', `${f} is not in canonical form.`);
          nextTickets.set(v.ticketId, t);
          break;
        }
        case REPLAY_ROW: {
          nextReplay.setRow(readClientId(id, `${f}.client`), value);
          if (!equalBytes(encode(nextReplay.rowOf(id) as CborValue), entry.value)) throw new CodecError('CODEC_NON_CANONICAL', `${f} is not in canonical form.`);
          break;
        }
        default:
          throw new CodecError('CODEC_SCHEMA', `${f} has an unknown key.`);
      }
    }
    checkTicketCounts(nextEvents, nextTickets, 'entries');
    const nextIndex = indexOf(nextTickets);
    // Swap only after everything checked: bad entries leave the state untouched.
    events = nextEvents;
    tickets = nextTickets;
    replay = nextReplay;
    index = nextIndex;
    rows.reset();
    rows.track();
  }

  function query(bytes: Uint8Array): Uint8Array {
    let q;
    try {
      q = decodeTicketQuery(bytes);
    } catch (err) {
      if (err instanceof CodecError) return encodeTicketQueryResult({ status: 'rejected', reason: 'malformed' });
      throw err;
    }
    let out: TicketQueryResult;
    switch (q.type) {
      case 'ticket': {
        const t = tickets.get(q.ticketId);
        out = t === undefined ? { status: 'rejected', reason: 'not_found' } : { status: 'ok', ticket: view(q.ticketId, t) };
        break;
      }
      case 'event': {
        const e = events.get(q.eventId);
        out = e === undefined ? { status: 'rejected', reason: 'not_found' } : { status: 'ok', event: eventView(q.eventId, e) };
        break;
      }
      case 'tickets': {
        const limit = q.limit ?? 100;
        const holder = q.holder === undefined ? undefined : keyId(q.holder);
        const ids =
          holder === undefined
            ? q.eventId === undefined
              ? index.all
              : index.byEvent.get(q.eventId)
            : q.eventId === undefined
              ? index.byHolder.get(holder)
              : index.byHolderEvent.get(holderEventKey(holder, q.eventId));
        // one more than the page: whether there is a next page
        const found = ids === undefined ? [] : ids.page(q.after, limit + 1);
        const page = found.length > limit ? found.slice(0, limit) : found;
        const list = page.map((id) => view(id as TicketId, tickets.get(id as TicketId) as TicketRow));
        out = found.length > limit ? { status: 'ok', tickets: list, next: page[page.length - 1] as TicketId } : { status: 'ok', tickets: list };
        break;
      }
      case 'stats': {
        const byState = Object.fromEntries(Object.values(TicketState).map((s) => [s, 0])) as Record<TicketState, number>;
        for (const t of tickets.values()) byState[t.state]++;
        out = { status: 'ok', stats: { events: events.size, tickets: tickets.size, byState } };
        break;
      }
    }
    return encodeTicketQueryResult(out);
  }

  return {
    name: 'tickets',
    deployment,

    async prepare(request: SignedRequest): Promise<PreparedTicketRequest> {
      const authentic = await verifyRequest(crypto, request, deployment);
      let op: TicketOp | undefined;
      try {
        op = decodeTicketOp(request.op);
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        op = undefined;
      }
      // a key that enters the state must be one that only its owner can sign for
      if (authentic && op !== undefined && !keysValid(op)) op = undefined;
      let codeValid: boolean | undefined;
      if (op?.type === 'validate' && op.code !== undefined) {
        codeValid = await crypto.verify(op.code.signature, rotatingCodeMessage(deployment, op.ticketId, op.code.version, op.code.step), op.code.holder);
      }
      return { request, authentic, op, codeValid };
    },

    execute(prepared: PreparedTicketRequest, ctx: ExecuteContext): Uint8Array {
      const { request } = prepared;
      // 1. validity: a forged request never touches state, not even the replay window
      if (!prepared.authentic) return encodeTicketResult(reject('invalid_signature'));
      // engines answer read-only requests with query(); refuse one passed here by mistake
      if (request.readOnly === true) return encodeTicketResult(reject('malformed'));
      // verifyRequest refuses these; a hand-made prepared request must not reach the replay window either
      if (!Number.isSafeInteger(request.requestSeq) || request.requestSeq < 1) return encodeTicketResult(reject('malformed'));
      // 2. duplication
      if (!replay.isFresh(request.clientId, request.requestSeq)) return encodeTicketResult(reject('replayed'));
      replay.record(request.clientId, request.requestSeq);
      rows.touch(REPLAY_ROW + request.clientId);
      // 3. the operation (malformed ops still consume their request number)
      if (prepared.op === undefined) return encodeTicketResult(reject('malformed'));
      return encodeTicketResult(apply(prepared.op, request.clientId, prepared.codeValid, ctx));
    },

    query,

    snapshot(): Uint8Array {
      return encode(snapshotValue(events, tickets, replay));
    },

    restore(snapshot: Uint8Array): void {
      const r = readRecord(decode(snapshot, { maxBytes: 1 << 30 }), 'snapshot', ['app', 'events', 'tickets', 'replay']);
      if (readString(r['app'], 'snapshot.app') !== TICKET_LEDGER_SNAPSHOT) throw new CodecError('CODEC_SCHEMA', 'Snapshot is not a ticket ledger snapshot.');
      const nextEvents = new Map<EventId, EventRow>();
      for (const [i, row] of readArray(r['events'], 'snapshot.events').entries()) {
        const f = `snapshot.events[${i}]`;
        const a = readArray(row, f, 4);
        nextEvents.set(readId<EventId>(a[0], `${f}.id`), readEventRow(a[1], a[2], a[3], f));
      }
      const nextTickets = new Map<TicketId, TicketRow>();
      for (const [i, row] of readArray(r['tickets'], 'snapshot.tickets').entries()) {
        const v = readTicketView(row, `snapshot.tickets[${i}]`);
        nextTickets.set(v.ticketId, ticketRowOf(v, `snapshot.tickets[${i}]`));
      }
      checkTicketCounts(nextEvents, nextTickets, 'snapshot');
      // replay rows belong to clients: their ids are keys (the guard itself takes any string)
      for (const [i, row] of readArray(r['replay'], 'snapshot.replay').entries()) readClientId(readArray(row, `snapshot.replay[${i}]`)[0], `snapshot.replay[${i}].client`);
      const nextReplay = createReplayGuard(r['replay']);
      // The canonical form must reproduce the input exactly (sorted, no duplicates).
      if (!equalBytes(encode(snapshotValue(nextEvents, nextTickets, nextReplay)), snapshot)) {
        throw new CodecError('CODEC_NON_CANONICAL', 'Snapshot is not in canonical form.');
      }
      const nextIndex = indexOf(nextTickets);
      // Every row before and after is marked changed, so that takeChanges() reports the replacement
      // (deleted rows included) to an engine that tracks changes.
      const before = allRows();
      // Swap only after everything checked: a bad snapshot leaves state untouched.
      events = nextEvents;
      tickets = nextTickets;
      replay = nextReplay;
      index = nextIndex;
      for (const row of before) rows.touch(row);
      for (const row of allRows()) rows.touch(row);
    },

    digest(): Digest {
      return rows.digest();
    },

    state: {
      takeChanges: () => rows.takeChanges(),
      entries: allEntries,
      restoreEntries,
    },

    getTicket(id) {
      const t = tickets.get(id);
      return t === undefined ? undefined : copyView(id, t);
    },
    getEvent(id) {
      const e = events.get(id);
      return e === undefined ? undefined : eventView(id, e);
    },
  };
}
