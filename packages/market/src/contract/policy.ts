/**
 * Event policies: their canonical form, their strict reader, the semantic
 * check `createEvent` applies, and the prices and windows derived from them.
 * @module
 */
import { readBigInt, readBoolean, readEnum, readInt, readRecord, type CborValue } from '@admitone/core';
import { MAX_CAPACITY, MAX_EPOCHS, MAX_ORDERS_PER_EPOCH, type EpochSchedule, type EventPolicy, type ResaleCap, type TimeWindow } from './types.js';

/** Largest money amount any single field may carry (2^96 − 1 minor units). */
export const MAX_AMOUNT = (1n << 96n) - 1n;

/** The canonical CBOR form of a policy (also its wire form inside `createEvent`). */
export function policyToCbor(p: EventPolicy): CborValue {
  return {
    capacity: p.capacity,
    facePrice: p.facePrice,
    sale: windowToCbor(p.sale),
    resale: windowToCbor(p.resale),
    resaleCap: p.resaleCap.kind === 'percent' ? { kind: 'percent', percent: p.resaleCap.percent } : { kind: 'absolute', amount: p.resaleCap.amount },
    royaltyBps: p.royaltyBps,
    perPersonCap: p.perPersonCap,
    transferable: p.transferable,
    epochs: p.epochs.kind === 'seq' ? { kind: 'seq', length: p.epochs.length } : { kind: 'time', lengthMs: p.epochs.lengthMs },
    maxOrdersPerAccount: p.maxOrdersPerAccount,
  };
}

/**
 * Reads a policy's structure strictly (types, keys, integer ranges that keep
 * arithmetic exact); throws `CodecError`. Semantic rules (a window that ends
 * before it starts, a cap of zero) are {@link policyProblem}'s business, so
 * that they come back as an `invalid_policy` rejection.
 */
export function readPolicy(value: unknown, field: string): EventPolicy {
  const r = readRecord(value, field, POLICY_KEYS);
  const cap = readRecord(r['resaleCap'], `${field}.resaleCap`, ['kind', 'percent', 'amount']);
  const capKind = readEnum(cap['kind'], `${field}.resaleCap.kind`, ['percent', 'absolute'] as const);
  const resaleCap: ResaleCap =
    capKind === 'percent'
      ? { kind: 'percent', percent: readInt(readRecord(cap, `${field}.resaleCap`, ['kind', 'percent'])['percent'], `${field}.resaleCap.percent`) }
      : { kind: 'absolute', amount: readBigInt(readRecord(cap, `${field}.resaleCap`, ['kind', 'amount'])['amount'], `${field}.resaleCap.amount`, 0n, MAX_AMOUNT) };
  const ep = readRecord(r['epochs'], `${field}.epochs`, ['kind', 'length', 'lengthMs']);
  const epKind = readEnum(ep['kind'], `${field}.epochs.kind`, ['seq', 'time'] as const);
  const epochs: EpochSchedule =
    epKind === 'seq'
      ? { kind: 'seq', length: readInt(readRecord(ep, `${field}.epochs`, ['kind', 'length'])['length'], `${field}.epochs.length`) }
      : { kind: 'time', lengthMs: readInt(readRecord(ep, `${field}.epochs`, ['kind', 'lengthMs'])['lengthMs'], `${field}.epochs.lengthMs`) };
  return {
    capacity: readInt(r['capacity'], `${field}.capacity`),
    facePrice: readBigInt(r['facePrice'], `${field}.facePrice`, 0n, MAX_AMOUNT),
    sale: readWindow(r['sale'], `${field}.sale`),
    resale: readWindow(r['resale'], `${field}.resale`),
    resaleCap,
    royaltyBps: readInt(r['royaltyBps'], `${field}.royaltyBps`),
    perPersonCap: readInt(r['perPersonCap'], `${field}.perPersonCap`),
    transferable: readBoolean(r['transferable'], `${field}.transferable`),
    epochs,
    maxOrdersPerAccount: readInt(r['maxOrdersPerAccount'], `${field}.maxOrdersPerAccount`),
  };
}

/**
 * The first semantic problem of a structurally valid policy, or `undefined`
 * when it is acceptable. The answer names the field at fault and why:
 * capacity in 1 … {@link MAX_CAPACITY}, windows with `start < end`, a resale
 * cap of 1 … {@link MAX_AMOUNT} minor units (percent ≤ 100 000), royalty
 * ≤ 10 000 bps, a per-person cap ≥ 1, a positive epoch length, a `time` grid
 * of at most {@link MAX_EPOCHS} epochs over the resale window, and 1 …
 * {@link MAX_ORDERS_PER_EPOCH} orders per person and epoch.
 */
export function policyProblem(p: EventPolicy): string | undefined {
  if (p.capacity < 1 || p.capacity > MAX_CAPACITY) return 'capacity: out of range';
  if (p.sale.start >= p.sale.end) return 'sale: empty window';
  if (p.resale.start >= p.resale.end) return 'resale: empty window';
  if (p.resaleCap.kind === 'percent' && p.resaleCap.percent > 100_000) return 'resaleCap: percent out of range';
  const cap = resaleCapPrice(p);
  if (cap < 1n) return 'resaleCap: below one minor unit';
  if (cap > MAX_AMOUNT) return 'resaleCap: above MAX_AMOUNT';
  if (p.royaltyBps > 10_000) return 'royaltyBps: out of range';
  if (p.perPersonCap < 1) return 'perPersonCap: out of range';
  if (p.epochs.kind === 'seq' ? p.epochs.length < 1 : p.epochs.lengthMs < 1) return 'epochs: length below 1';
  if (p.epochs.kind === 'time' && Math.ceil((p.resale.end - p.resale.start) / p.epochs.lengthMs) > MAX_EPOCHS) return 'epochs: more than MAX_EPOCHS epochs over the resale window';
  if (p.maxOrdersPerAccount < 1 || p.maxOrdersPerAccount > MAX_ORDERS_PER_EPOCH) return 'maxOrdersPerAccount: out of range';
  return undefined;
}

/**
 * A deep-frozen copy of a policy: what an event stores, so that nothing that
 * reads it (a view, a caller holding the operation) can change the rules on
 * one replica.
 */
export function frozenPolicy(p: EventPolicy): EventPolicy {
  return Object.freeze({
    capacity: p.capacity,
    facePrice: p.facePrice,
    sale: Object.freeze({ start: p.sale.start, end: p.sale.end }),
    resale: Object.freeze({ start: p.resale.start, end: p.resale.end }),
    resaleCap: Object.freeze(p.resaleCap.kind === 'percent' ? { kind: 'percent', percent: p.resaleCap.percent } : { kind: 'absolute', amount: p.resaleCap.amount }),
    royaltyBps: p.royaltyBps,
    perPersonCap: p.perPersonCap,
    transferable: p.transferable,
    epochs: Object.freeze(p.epochs.kind === 'seq' ? { kind: 'seq', length: p.epochs.length } : { kind: 'time', lengthMs: p.epochs.lengthMs }),
    maxOrdersPerAccount: p.maxOrdersPerAccount,
  } as EventPolicy);
}

/** The highest allowed resale price per ticket. */
export function resaleCapPrice(p: EventPolicy): bigint {
  return p.resaleCap.kind === 'absolute' ? p.resaleCap.amount : (p.facePrice * BigInt(p.resaleCap.percent)) / 100n;
}

/** The organizer's royalty on a resale at `price` (rounded down). */
export function royaltyOf(p: EventPolicy, price: bigint): bigint {
  return (price * BigInt(p.royaltyBps)) / 10_000n;
}

/** True when `timestamp` lies in `[w.start, w.end)`. */
export function inWindow(w: TimeWindow, timestamp: number): boolean {
  return timestamp >= w.start && timestamp < w.end;
}

/**
 * The epoch a slot falls in on the event's grid (see {@link EpochSchedule});
 * 0 before the grid starts.
 */
export function epochAt(p: EventPolicy, createdSeq: number, ctx: { readonly seq: number; readonly timestamp: number }): number {
  const e = p.epochs.kind === 'seq' ? Math.floor((ctx.seq - createdSeq) / p.epochs.length) : Math.floor((ctx.timestamp - p.resale.start) / p.epochs.lengthMs);
  return Math.max(0, e);
}

const POLICY_KEYS = [
  'capacity',
  'facePrice',
  'sale',
  'resale',
  'resaleCap',
  'royaltyBps',
  'perPersonCap',
  'transferable',
  'epochs',
  'maxOrdersPerAccount',
] as const;

function windowToCbor(w: TimeWindow): CborValue {
  return { start: w.start, end: w.end };
}

function readWindow(value: unknown, field: string): TimeWindow {
  const r = readRecord(value, field, ['start', 'end']);
  return { start: readInt(r['start'], `${field}.start`), end: readInt(r['end'], `${field}.end`) };
}
