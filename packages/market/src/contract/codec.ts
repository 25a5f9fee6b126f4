/**
 * Canonical encodings of contract operations, results and queries, with
 * strict decoders that turn malformed input into a `CodecError`.
 *
 * Amounts and quantities decode as any integer: a zero or negative amount is
 * well-formed and comes back from `execute` as an `invalid_amount` /
 * `invalid_quantity` rejection rather than a decoding failure.
 * @module
 */
import {
  CodecError,
  MAX_OP_BYTES,
  bytesToHex,
  decode,
  encode,
  isValidId,
  readArray,
  readBigInt,
  readBytes,
  readEnum,
  readInt,
  readRecord,
  readString,
  readId,
  readRotatingCode,
  readScanFact,
  type CborRecord,
  type CborValue,
  type ClientId,
  type EventId,
  type GateId,
  type RotatingCode,
  type ScanFact,
} from '@admitone/core';
import { policyToCbor, readPolicy } from './policy.js';
import {
  CONTRACT_REJECTIONS,
  MAX_EPOCH_PAGE,
  MAX_EVENT_ID_LENGTH,
  MAX_GATE_DEVICES,
  MAX_NOTE_LENGTH,
  MAX_ORDERS_PAGE,
  MAX_SCANS_PER_TICKET,
  MAX_TICKETS_PAGE,
  type ContractStats,
  type CurrentEpochView,
  type ScanView,
  type SealedOrderView,
  MAX_SHARES_PER_OP,
  ORDER_DROP_REASONS,
  type AccountView,
  type ContractOp,
  type ContractQuery,
  type ContractQueryResult,
  type ContractResult,
  type EpochView,
  type EventView,
  type OrderOutcome,
  type OrderReceipt,
  type SupplyView,
  type TicketView,
  type TradeView,
} from './types.js';

const OP_TYPES = [
  'deposit',
  'withdraw',
  'createEvent',
  'buyPrimary',
  'register',
  'listForResale',
  'cancelListing',
  'transfer',
  'refund',
  'cancelEvent',
  'completeEvent',
  'submitSealedOrder',
  'cutoff',
  'postShares',
  'authorizeGate',
  'revokeGate',
  'admit',
  'validate',
  'consume',
  'dispute',
  'resolve',
] as const;

/** Encodes an operation canonically (the `op` of a request). */
export function encodeContractOp(op: ContractOp): Uint8Array {
  switch (op.type) {
    case 'createEvent':
      return encode({ type: op.type, eventId: op.eventId, policy: policyToCbor(op.policy) });
    case 'postShares':
      return encode({ type: op.type, eventId: op.eventId, epoch: op.epoch, from: op.from, shares: op.shares.map((s) => [s.ciphertextId, s.share]) });
    case 'admit':
    case 'validate':
      return encode({ type: op.type, eventId: op.eventId, serial: op.serial, scan: scanToCbor(op.scan), code: codeToCbor(op.code) });
    case 'consume':
      return encode({ type: op.type, eventId: op.eventId, serial: op.serial, scan: scanToCbor(op.scan) });
    default:
      return encode(op as unknown as CborValue);
  }
}

/** Decodes and validates an operation; throws `CodecError` when malformed. */
export function decodeContractOp(bytes: Uint8Array): ContractOp {
  const r = readRecord(decode(bytes, { maxBytes: MAX_OP_BYTES }), 'op');
  const type = readEnum(r['type'], 'op.type', OP_TYPES);
  const keys = (...k: string[]) => readRecord(r, 'op', ['type', ...k]);
  const event = () => readEventId(r['eventId'], 'op.eventId');
  const serial = () => readInt(r['serial'], 'op.serial');
  switch (type) {
    case 'deposit':
      keys('account', 'amount');
      return { type, account: readBytes(r['account'], 'op.account', 32), amount: readBigInt(r['amount'], 'op.amount') };
    case 'withdraw':
      keys('amount');
      return { type, amount: readBigInt(r['amount'], 'op.amount') };
    case 'createEvent':
      keys('eventId', 'policy');
      return { type, eventId: event(), policy: readPolicy(r['policy'], 'op.policy') };
    case 'buyPrimary':
      keys('eventId', 'quantity', 'credential');
      return {
        type,
        eventId: event(),
        quantity: readInt(r['quantity'], 'op.quantity', Number.MIN_SAFE_INTEGER),
        credential: readBytes(r['credential'], 'op.credential'),
      };
    case 'register':
      keys('eventId', 'credential');
      return { type, eventId: event(), credential: readBytes(r['credential'], 'op.credential') };
    case 'listForResale':
      keys('eventId', 'serial', 'price');
      return { type, eventId: event(), serial: serial(), price: readBigInt(r['price'], 'op.price') };
    case 'cancelListing':
    case 'refund':
      keys('eventId', 'serial');
      return { type, eventId: event(), serial: serial() };
    case 'transfer':
      keys('eventId', 'serial', 'to');
      return { type, eventId: event(), serial: serial(), to: readBytes(r['to'], 'op.to', 32) };
    case 'cancelEvent':
    case 'completeEvent':
    case 'cutoff':
      keys('eventId');
      return { type, eventId: event() };
    case 'submitSealedOrder':
      keys('eventId', 'epoch', 'ciphertext');
      return { type, eventId: event(), epoch: readInt(r['epoch'], 'op.epoch'), ciphertext: readBytes(r['ciphertext'], 'op.ciphertext') };
    case 'postShares': {
      keys('eventId', 'epoch', 'from', 'shares');
      const shares = readArray(r['shares'], 'op.shares', MAX_SHARES_PER_OP).map((item, i) => {
        const pair = readArray(item, `op.shares[${i}]`, 2);
        if (pair.length !== 2) throw new CodecError('CODEC_SCHEMA', `Field op.shares[${i}] must be [ciphertextId, share].`);
        return { ciphertextId: readBytes(pair[0], `op.shares[${i}].ciphertextId`, 32), share: readBytes(pair[1], `op.shares[${i}].share`) };
      });
      if (shares.length === 0) throw new CodecError('CODEC_SCHEMA', 'Field op.shares must not be empty.');
      return { type, eventId: event(), epoch: readInt(r['epoch'], 'op.epoch'), from: readInt(r['from'], 'op.from'), shares };
    }
    case 'authorizeGate':
    case 'revokeGate':
      keys('eventId', 'device');
      return { type, eventId: event(), device: readBytes(r['device'], 'op.device', 32) };
    case 'admit':
    case 'validate':
      keys('eventId', 'serial', 'scan', 'code');
      return { type, eventId: event(), serial: serial(), scan: readScanFact(r['scan'], 'op.scan'), code: readRotatingCode(r['code'], 'op.code') };
    case 'consume':
      keys('eventId', 'serial', 'scan');
      return { type, eventId: event(), serial: serial(), scan: readScanFact(r['scan'], 'op.scan') };
    case 'dispute':
      keys('eventId', 'serial', 'note');
      return { type, eventId: event(), serial: serial(), note: readString(r['note'], 'op.note', MAX_NOTE_LENGTH) };
    case 'resolve':
      keys('eventId', 'serial', 'outcome');
      return { type, eventId: event(), serial: serial(), outcome: readEnum(r['outcome'], 'op.outcome', ['reinstate', 'revoke', 'refund'] as const) };
  }
}

function scanToCbor(scan: ScanFact): CborValue {
  return { nonce: scan.nonce, gate: scan.gate, time: scan.time };
}

function codeToCbor(code: RotatingCode): CborValue {
  return { holder: code.holder, version: code.version, step: code.step, signature: code.signature };
}

/** Encodes an execution result. */
export function encodeContractResult(result: ContractResult): Uint8Array {
  if (result.status === 'rejected') return encode({ status: result.status, reason: result.reason });
  const out: Record<string, CborValue> = { status: 'ok' };
  if (result.account !== undefined) out['account'] = accountToCbor(result.account);
  if (result.event !== undefined) out['event'] = eventToCbor(result.event);
  if (result.tickets !== undefined) out['tickets'] = result.tickets.map(ticketToCbor);
  if (result.order !== undefined) out['order'] = { ...result.order };
  if (result.epochs !== undefined) out['epochs'] = result.epochs.map(epochToCbor);
  return encode(out);
}

/** Decodes an execution result (client side); throws `CodecError` when malformed. */
export function decodeContractResult(bytes: Uint8Array): ContractResult {
  const r = readRecord(decode(bytes), 'result', ['status', 'reason', 'account', 'event', 'tickets', 'order', 'epochs']);
  const status = readEnum(r['status'], 'result.status', ['ok', 'rejected'] as const);
  if (status === 'rejected') return { status, reason: readEnum(r['reason'], 'result.reason', CONTRACT_REJECTIONS) };
  const out: { -readonly [K in keyof Extract<ContractResult, { status: 'ok' }>]: Extract<ContractResult, { status: 'ok' }>[K] } = { status };
  if (r['account'] !== undefined) out.account = readAccountView(r['account'], 'result.account');
  if (r['event'] !== undefined) out.event = readEventView(r['event'], 'result.event');
  if (r['tickets'] !== undefined) out.tickets = readArray(r['tickets'], 'result.tickets').map((t, i) => readTicketView(t, `result.tickets[${i}]`));
  if (r['order'] !== undefined) out.order = readOrderReceipt(r['order'], 'result.order');
  if (r['epochs'] !== undefined) out.epochs = readArray(r['epochs'], 'result.epochs').map((e, i) => readEpochView(e, `result.epochs[${i}]`));
  return out;
}

/** Encodes a read-only query. */
export function encodeContractQuery(query: ContractQuery): Uint8Array {
  if (query.type === 'tickets') {
    return encode({
      type: query.type,
      eventId: query.eventId,
      ...(query.holder === undefined ? {} : { holder: query.holder }),
      ...(query.after === undefined ? {} : { after: query.after }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
    });
  }
  if (query.type === 'orders' || query.type === 'epochOutcomes' || query.type === 'epochTrades') {
    return encode({
      type: query.type,
      eventId: query.eventId,
      epoch: query.epoch,
      ...(query.from === undefined ? {} : { from: query.from }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
    });
  }
  return encode(query as unknown as CborValue);
}

/** Decodes a read-only query; throws `CodecError` when malformed. */
export function decodeContractQuery(bytes: Uint8Array): ContractQuery {
  const r = readRecord(decode(bytes, { maxBytes: 4096 }), 'query');
  const type = readEnum(r['type'], 'query.type', ['account', 'event', 'ticket', 'epoch', 'supply', 'tickets', 'stats', 'orders', 'epochOutcomes', 'epochTrades', 'currentEpoch'] as const);
  switch (type) {
    case 'account':
      readRecord(r, 'query', ['type', 'account']);
      return { type, account: readBytes(r['account'], 'query.account', 32) };
    case 'event':
      readRecord(r, 'query', ['type', 'eventId']);
      return { type, eventId: readEventId(r['eventId'], 'query.eventId') };
    case 'ticket':
      readRecord(r, 'query', ['type', 'eventId', 'serial']);
      return { type, eventId: readEventId(r['eventId'], 'query.eventId'), serial: readInt(r['serial'], 'query.serial') };
    case 'epoch':
      readRecord(r, 'query', ['type', 'eventId', 'epoch']);
      return { type, eventId: readEventId(r['eventId'], 'query.eventId'), epoch: readInt(r['epoch'], 'query.epoch') };
    case 'supply':
    case 'stats':
      readRecord(r, 'query', ['type']);
      return { type };
    case 'tickets': {
      readRecord(r, 'query', ['type', 'eventId', 'holder', 'after', 'limit']);
      const q: { type: 'tickets'; eventId: EventId; holder?: Uint8Array; after?: number; limit?: number } = { type, eventId: readEventId(r['eventId'], 'query.eventId') };
      if (r['holder'] !== undefined) q.holder = readBytes(r['holder'], 'query.holder', 32);
      if (r['after'] !== undefined) q.after = readInt(r['after'], 'query.after', 0);
      if (r['limit'] !== undefined) q.limit = readInt(r['limit'], 'query.limit', 1, MAX_TICKETS_PAGE);
      return q;
    }
    case 'orders': {
      readRecord(r, 'query', ['type', 'eventId', 'epoch', 'from', 'limit']);
      const q: { type: 'orders'; eventId: EventId; epoch: number; from?: number; limit?: number } = {
        type,
        eventId: readEventId(r['eventId'], 'query.eventId'),
        epoch: readInt(r['epoch'], 'query.epoch'),
      };
      if (r['from'] !== undefined) q.from = readInt(r['from'], 'query.from', 0);
      if (r['limit'] !== undefined) q.limit = readInt(r['limit'], 'query.limit', 1, MAX_ORDERS_PAGE);
      return q;
    }
    case 'epochOutcomes':
    case 'epochTrades': {
      readRecord(r, 'query', ['type', 'eventId', 'epoch', 'from', 'limit']);
      const q: { type: 'epochOutcomes' | 'epochTrades'; eventId: EventId; epoch: number; from?: number; limit?: number } = {
        type,
        eventId: readEventId(r['eventId'], 'query.eventId'),
        epoch: readInt(r['epoch'], 'query.epoch'),
      };
      if (r['from'] !== undefined) q.from = readInt(r['from'], 'query.from', 0);
      if (r['limit'] !== undefined) q.limit = readInt(r['limit'], 'query.limit', 1, MAX_EPOCH_PAGE);
      return q as ContractQuery;
    }
    case 'currentEpoch':
      readRecord(r, 'query', ['type', 'eventId']);
      return { type, eventId: readEventId(r['eventId'], 'query.eventId') };
  }
}

/** Encodes a query answer. */
export function encodeContractQueryResult(result: ContractQueryResult): Uint8Array {
  if (result.status === 'rejected') return encode({ status: 'rejected', reason: result.reason });
  if ('account' in result) return encode({ status: 'ok', account: accountToCbor(result.account) });
  if ('event' in result) return encode({ status: 'ok', event: eventToCbor(result.event) });
  if ('ticket' in result) return encode({ status: 'ok', ticket: ticketToCbor(result.ticket) });
  if ('epoch' in result) return encode({ status: 'ok', epoch: epochToCbor(result.epoch) });
  if ('tickets' in result) return encode({ status: 'ok', tickets: result.tickets.map(ticketToCbor), ...(result.next === undefined ? {} : { next: result.next }) });
  if ('stats' in result) return encode({ status: 'ok', stats: { ...result.stats } });
  if ('orders' in result) return encode({ status: 'ok', orders: result.orders.map((o) => ({ ...o })), ...(result.next === undefined ? {} : { next: result.next }) });
  if ('outcomes' in result) return encode({ status: 'ok', outcomes: result.outcomes.map(outcomeToCbor), ...(result.next === undefined ? {} : { next: result.next }) });
  if ('trades' in result) return encode({ status: 'ok', trades: result.trades.map(tradeToCbor), ...(result.next === undefined ? {} : { next: result.next }) });
  if ('currentEpoch' in result) return encode({ status: 'ok', currentEpoch: { ...result.currentEpoch } });
  return encode({ status: 'ok', supply: { ...result.supply } });
}

/** Decodes a query answer; throws `CodecError` when malformed. */
export function decodeContractQueryResult(bytes: Uint8Array): ContractQueryResult {
  const r = readRecord(decode(bytes), 'answer', ['status', 'reason', 'account', 'event', 'ticket', 'epoch', 'supply', 'tickets', 'next', 'stats', 'orders', 'outcomes', 'trades', 'currentEpoch']);
  if (readEnum(r['status'], 'answer.status', ['ok', 'rejected'] as const) === 'rejected') {
    return { status: 'rejected', reason: readEnum(r['reason'], 'answer.reason', ['not_found', 'malformed'] as const) };
  }
  if (r['account'] !== undefined) return { status: 'ok', account: readAccountView(r['account'], 'answer.account') };
  if (r['event'] !== undefined) return { status: 'ok', event: readEventView(r['event'], 'answer.event') };
  if (r['ticket'] !== undefined) return { status: 'ok', ticket: readTicketView(r['ticket'], 'answer.ticket') };
  if (r['epoch'] !== undefined) return { status: 'ok', epoch: readEpochView(r['epoch'], 'answer.epoch') };
  if (r['tickets'] !== undefined) {
    const tickets = readArray(r['tickets'], 'answer.tickets', MAX_TICKETS_PAGE).map((t, i) => readTicketView(t, `answer.tickets[${i}]`));
    return r['next'] === undefined ? { status: 'ok', tickets } : { status: 'ok', tickets, next: readInt(r['next'], 'answer.next', 0) };
  }
  if (r['orders'] !== undefined) {
    const orders = readArray(r['orders'], 'answer.orders', MAX_ORDERS_PAGE).map((o, i) => readSealedOrderView(o, `answer.orders[${i}]`));
    return r['next'] === undefined ? { status: 'ok', orders } : { status: 'ok', orders, next: readInt(r['next'], 'answer.next', 0) };
  }
  if (r['outcomes'] !== undefined) {
    const outcomes = readArray(r['outcomes'], 'answer.outcomes', MAX_EPOCH_PAGE).map((o, i) => readOutcome(o, `answer.outcomes[${i}]`));
    return r['next'] === undefined ? { status: 'ok', outcomes } : { status: 'ok', outcomes, next: readInt(r['next'], 'answer.next', 0) };
  }
  if (r['trades'] !== undefined) {
    const trades = readArray(r['trades'], 'answer.trades', MAX_EPOCH_PAGE).map((t, i) => readTrade(t, `answer.trades[${i}]`));
    return r['next'] === undefined ? { status: 'ok', trades } : { status: 'ok', trades, next: readInt(r['next'], 'answer.next', 0) };
  }
  if (r['currentEpoch'] !== undefined) {
    const x = readRecord(r['currentEpoch'], 'answer.currentEpoch', ['eventId', 'epoch', 'asOfSeq', 'asOfTimestamp']);
    const currentEpoch: CurrentEpochView = {
      eventId: readEventId(x['eventId'], 'answer.currentEpoch.eventId'),
      epoch: readInt(x['epoch'], 'answer.currentEpoch.epoch'),
      asOfSeq: readInt(x['asOfSeq'], 'answer.currentEpoch.asOfSeq'),
      asOfTimestamp: readInt(x['asOfTimestamp'], 'answer.currentEpoch.asOfTimestamp', Number.MIN_SAFE_INTEGER),
    };
    return { status: 'ok', currentEpoch };
  }
  if (r['stats'] !== undefined) {
    const x = readRecord(r['stats'], 'answer.stats', ['events', 'tickets', 'admitted', 'refunded', 'listed', 'settledEpochs']);
    const stats: ContractStats = {
      events: readInt(x['events'], 'answer.stats.events', 0),
      tickets: readInt(x['tickets'], 'answer.stats.tickets', 0),
      admitted: readInt(x['admitted'], 'answer.stats.admitted', 0),
      refunded: readInt(x['refunded'], 'answer.stats.refunded', 0),
      listed: readInt(x['listed'], 'answer.stats.listed', 0),
      settledEpochs: readInt(x['settledEpochs'], 'answer.stats.settledEpochs', 0),
    };
    return { status: 'ok', stats };
  }
  const s = readRecord(r['supply'], 'answer.supply', ['deposited', 'withdrawn', 'balances', 'escrow']);
  const supply: SupplyView = {
    deposited: readBigInt(s['deposited'], 'answer.supply.deposited', 0n),
    withdrawn: readBigInt(s['withdrawn'], 'answer.supply.withdrawn', 0n),
    balances: readBigInt(s['balances'], 'answer.supply.balances', 0n),
    escrow: readBigInt(s['escrow'], 'answer.supply.escrow', 0n),
  };
  return { status: 'ok', supply };
}

// ---------------------------------------------------------------------------
// views (shared with the snapshot codec)

/** Reads a valid event id; throws `CodecError`. */
export function readEventId(value: unknown, field: string): EventId {
  const s = readString(value, field, MAX_EVENT_ID_LENGTH);
  if (!isValidId(s)) throw new CodecError('CODEC_SCHEMA', `Field ${field} is not a valid id.`, { meta: { field } });
  return s as EventId;
}

/** Reads a 64-hex client id; throws `CodecError`. */
export function readClientId(value: unknown, field: string): ClientId {
  const s = readString(value, field, 64);
  if (!/^[0-9a-f]{64}$/.test(s)) throw new CodecError('CODEC_SCHEMA', `Field ${field} must be a 64-hex key.`, { meta: { field } });
  return s as ClientId;
}

/** The client id of a 32-byte key (no checks beyond length). */
export function keyId(key: Uint8Array): ClientId {
  return bytesToHex(key) as ClientId;
}

function accountToCbor(a: AccountView): CborValue {
  return { account: a.account, balance: a.balance, escrow: a.escrow };
}

function readAccountView(value: unknown, field: string): AccountView {
  const r = readRecord(value, field, ['account', 'balance', 'escrow']);
  return { account: readClientId(r['account'], `${field}.account`), balance: readBigInt(r['balance'], `${field}.balance`, 0n), escrow: readBigInt(r['escrow'], `${field}.escrow`, 0n) };
}

function eventToCbor(e: EventView): CborValue {
  return { ...e, policy: policyToCbor(e.policy) } as unknown as CborValue;
}

function readEventView(value: unknown, field: string): EventView {
  const r = readRecord(value, field, ['eventId', 'organizer', 'policy', 'status', 'createdSeq', 'issued', 'refunded', 'cutoffThrough', 'settledThrough', 'devices', 'admitted']);
  return {
    eventId: readEventId(r['eventId'], `${field}.eventId`),
    organizer: readClientId(r['organizer'], `${field}.organizer`),
    policy: readPolicy(r['policy'], `${field}.policy`),
    status: readEnum(r['status'], `${field}.status`, ['open', 'cancelled', 'completed'] as const),
    createdSeq: readInt(r['createdSeq'], `${field}.createdSeq`),
    issued: readInt(r['issued'], `${field}.issued`),
    refunded: readInt(r['refunded'], `${field}.refunded`),
    cutoffThrough: readInt(r['cutoffThrough'], `${field}.cutoffThrough`),
    settledThrough: readInt(r['settledThrough'], `${field}.settledThrough`),
    devices: readArray(r['devices'], `${field}.devices`, MAX_GATE_DEVICES).map((d, i) => readClientId(d, `${field}.devices[${i}]`)),
    admitted: readInt(r['admitted'], `${field}.admitted`, 0),
  };
}

function ticketToCbor(t: TicketView): CborValue {
  return { ...t, scans: t.scans.map((x) => ({ ...x })) } as unknown as CborValue;
}

function readTicketView(value: unknown, field: string): TicketView {
  const r = readRecord(value, field, ['eventId', 'serial', 'holder', 'version', 'status', 'paid', 'listing', 'admission', 'disputedFrom', 'scans']);
  const base = {
    eventId: readEventId(r['eventId'], `${field}.eventId`),
    serial: readInt(r['serial'], `${field}.serial`, 1),
    holder: readClientId(r['holder'], `${field}.holder`),
    version: readInt(r['version'], `${field}.version`, 1),
    status: readEnum(r['status'], `${field}.status`, ['active', 'refunded', 'revoked'] as const),
    paid: readBigInt(r['paid'], `${field}.paid`, 0n),
    admission: readEnum(r['admission'], `${field}.admission`, ['issued', 'validated', 'consumed', 'disputed'] as const),
    scans: readArray(r['scans'], `${field}.scans`, MAX_SCANS_PER_TICKET).map((x, i) => readScanView(x, `${field}.scans[${i}]`)),
    ...(r['listing'] === undefined ? {} : { listing: readBigInt(r['listing'], `${field}.listing`, 1n) }),
  };
  return r['disputedFrom'] === undefined ? base : { ...base, disputedFrom: readEnum(r['disputedFrom'], `${field}.disputedFrom`, ['issued', 'validated'] as const) };
}

function readScanView(value: unknown, field: string): ScanView {
  const r = readRecord(value, field, ['kind', 'nonce', 'gate', 'time', 'device', 'seq']);
  return {
    kind: readEnum(r['kind'], `${field}.kind`, ['validate', 'consume', 'admit'] as const),
    nonce: readBytes(r['nonce'], `${field}.nonce`, 16),
    gate: readId<GateId>(r['gate'], `${field}.gate`),
    time: readInt(r['time'], `${field}.time`),
    device: readClientId(r['device'], `${field}.device`),
    seq: readInt(r['seq'], `${field}.seq`),
  };
}

function readSealedOrderView(value: unknown, field: string): SealedOrderView {
  const r = readRecord(value, field, ['position', 'submitter', 'ciphertext', 'ciphertextId']);
  return {
    position: readInt(r['position'], `${field}.position`),
    submitter: readClientId(r['submitter'], `${field}.submitter`),
    ciphertext: readBytes(r['ciphertext'], `${field}.ciphertext`),
    ciphertextId: readBytes(r['ciphertextId'], `${field}.ciphertextId`, 32),
  };
}

function readOrderReceipt(value: unknown, field: string): OrderReceipt {
  const r = readRecord(value, field, ['epoch', 'position', 'ciphertextId']);
  return { epoch: readInt(r['epoch'], `${field}.epoch`), position: readInt(r['position'], `${field}.position`), ciphertextId: readBytes(r['ciphertextId'], `${field}.ciphertextId`, 32) };
}

function epochToCbor(e: EpochView): CborValue {
  const out: Record<string, CborValue> = { eventId: e.eventId, epoch: e.epoch, status: e.status, orders: e.orders, decryptable: e.decryptable };
  if (e.closedAtSeq !== undefined) out['closedAtSeq'] = e.closedAtSeq;
  if (e.settledAtSeq !== undefined) out['settledAtSeq'] = e.settledAtSeq;
  if (e.seed !== undefined) out['seed'] = e.seed;
  if (e.outcomes !== undefined) out['outcomes'] = e.outcomes;
  if (e.trades !== undefined) out['trades'] = e.trades;
  return out;
}

/** Canonical form of an order outcome. */
export function outcomeToCbor(o: OrderOutcome): CborValue {
  const out: Record<string, CborValue> = { position: o.position, submitter: o.submitter, ciphertextId: o.ciphertextId, status: o.status, filled: o.filled };
  if (o.side !== undefined) out['side'] = o.side;
  if (o.reason !== undefined) out['reason'] = o.reason;
  return out;
}

/** Reads an order outcome strictly. */
export function readOutcome(value: unknown, field: string): OrderOutcome {
  const r: CborRecord = readRecord(value, field, ['position', 'submitter', 'ciphertextId', 'side', 'status', 'filled', 'reason']);
  const base = {
    position: readInt(r['position'], `${field}.position`),
    submitter: readClientId(r['submitter'], `${field}.submitter`),
    ciphertextId: readBytes(r['ciphertextId'], `${field}.ciphertextId`, 32),
    status: readEnum(r['status'], `${field}.status`, ['filled', 'partial', 'unmatched', 'dropped'] as const),
    filled: readInt(r['filled'], `${field}.filled`),
  };
  return {
    ...base,
    ...(r['side'] === undefined ? {} : { side: readEnum(r['side'], `${field}.side`, ['bid', 'ask'] as const) }),
    ...(r['reason'] === undefined ? {} : { reason: readEnum(r['reason'], `${field}.reason`, ORDER_DROP_REASONS) }),
  };
}

/** Canonical form of a trade. */
export function tradeToCbor(t: TradeView): CborValue {
  return { serial: t.serial, seller: t.seller, buyer: t.buyer, price: t.price, royalty: t.royalty, version: t.version, listing: t.listing };
}

/** Reads a trade strictly. */
export function readTrade(value: unknown, field: string): TradeView {
  const r = readRecord(value, field, ['serial', 'seller', 'buyer', 'price', 'royalty', 'version', 'listing']);
  const listing = r['listing'];
  if (typeof listing !== 'boolean') throw new CodecError('CODEC_SCHEMA', `Field ${field}.listing must be a boolean.`);
  return {
    serial: readInt(r['serial'], `${field}.serial`, 1),
    seller: readClientId(r['seller'], `${field}.seller`),
    buyer: readClientId(r['buyer'], `${field}.buyer`),
    price: readBigInt(r['price'], `${field}.price`, 1n),
    royalty: readBigInt(r['royalty'], `${field}.royalty`, 0n),
    version: readInt(r['version'], `${field}.version`, 1),
    listing,
  };
}

function readEpochView(value: unknown, field: string): EpochView {
  const r = readRecord(value, field, ['eventId', 'epoch', 'status', 'orders', 'decryptable', 'closedAtSeq', 'settledAtSeq', 'seed', 'outcomes', 'trades']);
  return {
    eventId: readEventId(r['eventId'], `${field}.eventId`),
    epoch: readInt(r['epoch'], `${field}.epoch`),
    status: readEnum(r['status'], `${field}.status`, ['open', 'closed', 'settled', 'void'] as const),
    orders: readInt(r['orders'], `${field}.orders`),
    decryptable: readInt(r['decryptable'], `${field}.decryptable`),
    ...(r['closedAtSeq'] === undefined ? {} : { closedAtSeq: readInt(r['closedAtSeq'], `${field}.closedAtSeq`) }),
    ...(r['settledAtSeq'] === undefined ? {} : { settledAtSeq: readInt(r['settledAtSeq'], `${field}.settledAtSeq`) }),
    ...(r['seed'] === undefined ? {} : { seed: readBytes(r['seed'], `${field}.seed`, 32) }),
    ...(r['outcomes'] === undefined ? {} : { outcomes: readInt(r['outcomes'], `${field}.outcomes`) }),
    ...(r['trades'] === undefined ? {} : { trades: readInt(r['trades'], `${field}.trades`) }),
  };
}
