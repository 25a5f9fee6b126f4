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
  type CborRecord,
  type CborValue,
  type ClientId,
  type EventId,
} from '@admitone/core';
import { policyToCbor, readPolicy } from './policy.js';
import {
  CONTRACT_REJECTIONS,
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
] as const;

/** Encodes an operation canonically (the `op` of a request). */
export function encodeContractOp(op: ContractOp): Uint8Array {
  switch (op.type) {
    case 'createEvent':
      return encode({ type: op.type, eventId: op.eventId, policy: policyToCbor(op.policy) });
    case 'postShares':
      return encode({ type: op.type, eventId: op.eventId, epoch: op.epoch, from: op.from, shares: op.shares.map((s) => [s.ciphertextId, s.share]) });
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
  }
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
  return encode(query as unknown as CborValue);
}

/** Decodes a read-only query; throws `CodecError` when malformed. */
export function decodeContractQuery(bytes: Uint8Array): ContractQuery {
  const r = readRecord(decode(bytes, { maxBytes: 4096 }), 'query');
  const type = readEnum(r['type'], 'query.type', ['account', 'event', 'ticket', 'epoch', 'supply'] as const);
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
      readRecord(r, 'query', ['type']);
      return { type };
  }
}

/** Encodes a query answer. */
export function encodeContractQueryResult(result: ContractQueryResult): Uint8Array {
  if (result.status === 'rejected') return encode({ status: 'rejected', reason: result.reason });
  if ('account' in result) return encode({ status: 'ok', account: accountToCbor(result.account) });
  if ('event' in result) return encode({ status: 'ok', event: eventToCbor(result.event) });
  if ('ticket' in result) return encode({ status: 'ok', ticket: ticketToCbor(result.ticket) });
  if ('epoch' in result) return encode({ status: 'ok', epoch: epochToCbor(result.epoch) });
  return encode({ status: 'ok', supply: { ...result.supply } });
}

/** Decodes a query answer; throws `CodecError` when malformed. */
export function decodeContractQueryResult(bytes: Uint8Array): ContractQueryResult {
  const r = readRecord(decode(bytes), 'answer', ['status', 'reason', 'account', 'event', 'ticket', 'epoch', 'supply']);
  if (readEnum(r['status'], 'answer.status', ['ok', 'rejected'] as const) === 'rejected') {
    return { status: 'rejected', reason: readEnum(r['reason'], 'answer.reason', ['not_found', 'malformed'] as const) };
  }
  if (r['account'] !== undefined) return { status: 'ok', account: readAccountView(r['account'], 'answer.account') };
  if (r['event'] !== undefined) return { status: 'ok', event: readEventView(r['event'], 'answer.event') };
  if (r['ticket'] !== undefined) return { status: 'ok', ticket: readTicketView(r['ticket'], 'answer.ticket') };
  if (r['epoch'] !== undefined) return { status: 'ok', epoch: readEpochView(r['epoch'], 'answer.epoch') };
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
  const s = readString(value, field, 128);
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
  const r = readRecord(value, field, ['eventId', 'organizer', 'policy', 'status', 'createdSeq', 'issued', 'refunded', 'cutoffThrough', 'settledThrough']);
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
  };
}

function ticketToCbor(t: TicketView): CborValue {
  return t as unknown as CborValue;
}

function readTicketView(value: unknown, field: string): TicketView {
  const r = readRecord(value, field, ['eventId', 'serial', 'holder', 'version', 'status', 'paid', 'listing']);
  const base = {
    eventId: readEventId(r['eventId'], `${field}.eventId`),
    serial: readInt(r['serial'], `${field}.serial`, 1),
    holder: readClientId(r['holder'], `${field}.holder`),
    version: readInt(r['version'], `${field}.version`, 1),
    status: readEnum(r['status'], `${field}.status`, ['active', 'refunded'] as const),
    paid: readBigInt(r['paid'], `${field}.paid`, 0n),
  };
  return r['listing'] === undefined ? base : { ...base, listing: readBigInt(r['listing'], `${field}.listing`, 1n) };
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
  if (e.outcomes !== undefined) out['outcomes'] = e.outcomes.map(outcomeToCbor);
  if (e.trades !== undefined) out['trades'] = e.trades as unknown as CborValue;
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
    ...(r['outcomes'] === undefined ? {} : { outcomes: readArray(r['outcomes'], `${field}.outcomes`).map((o, i) => readOutcome(o, `${field}.outcomes[${i}]`)) }),
    ...(r['trades'] === undefined ? {} : { trades: readArray(r['trades'], `${field}.trades`).map((t, i) => readTrade(t, `${field}.trades[${i}]`)) }),
  };
}
