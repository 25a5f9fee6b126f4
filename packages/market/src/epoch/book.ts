/**
 * The sealed-order epoch machine of one event: accepting ciphertexts while an
 * epoch is open, committing cutoffs, taking decryption shares for exactly the
 * orders of closed epochs, and settling epochs in order once every order has
 * t + 1 valid shares.
 *
 * Every function validates first and mutates only on success, so a rejected
 * operation changes nothing.
 * @module
 */
import { invariant, type ClientId, type ExecuteContext, type Random } from '@admitone/core';
import { tdh2VerifyShares, type Tdh2DecryptionShare, type Tdh2PublicKey } from '../tdh2/index.js';
import { epochAt, inWindow } from '../contract/policy.js';
import { addOrder, matchesFrozen, orderKey, type ContractState, type EpochRecord, type EventState, type FrozenListing, type PendingEpoch, type SealedOrder } from '../contract/state.js';
import { MAX_EPOCHS_PER_RESULT, MAX_ORDERS_PER_EPOCH, type ContractRejection, type ContractResult, type EpochView, type OrderOutcome, type TradeView } from '../contract/types.js';
import { settleEpoch } from './settle.js';

/** The secret-management committee as the contract sees it. */
export interface OrderCommitteeConfig {
  /** The committee's TDH2 public key (from its DKG). */
  readonly publicKey: Tdh2PublicKey;
  /** Member index (Shamir x) by the client id of the key that signs its `postShares` requests. */
  readonly members: ReadonlyMap<ClientId, bigint>;
}

/** Where ciphertexts of live orders are indexed by id (for share verification in `prepare`). */
export interface CiphertextIndex {
  add(order: SealedOrder): void;
  remove(order: SealedOrder): void;
}

/**
 * The epoch an operation executed at `ctx` falls in: the grid's epoch, but
 * never one whose cutoff is already committed (slot timestamps come from the
 * ordering protocol and need not be monotonic).
 */
export function currentEpoch(e: EventState, ctx: ExecuteContext): number {
  return Math.max(epochAt(e.policy, e.createdSeq, ctx), e.cutoffThrough);
}

/**
 * Summaries of `epochs`, in increasing order without repeats, at most
 * {@link MAX_EPOCHS_PER_RESULT}, for an operation's result.
 */
function summaries(e: EventState, epochs: Iterable<number>): EpochView[] {
  return [...new Set(epochs)]
    .sort((a, b) => a - b)
    .slice(0, MAX_EPOCHS_PER_RESULT)
    .map((n) => epochView(e, n));
}

/** `submitSealedOrder`: `order` was decoded and passed the validity check for its label (in `prepare`). */
export function submitOrder(
  s: ContractState,
  e: EventState,
  epoch: number,
  order: SealedOrder | undefined,
  committee: OrderCommitteeConfig,
  index: CiphertextIndex,
  ctx: ExecuteContext,
): ContractResult {
  if (!inWindow(e.policy.resale, ctx.timestamp)) return reject('window_closed');
  if (order === undefined) return reject('invalid_ciphertext');
  // only people with an event credential trade (and spam costs a credential)
  const tag = e.holders.get(order.submitter);
  if (tag === undefined) return reject('not_registered');
  const now = currentEpoch(e, ctx);
  if (epoch < now) return reject('epoch_closed');
  if (epoch > now + 1) return reject('wrong_epoch');
  const p = e.pending.get(epoch);
  if (p !== undefined) {
    if (p.keys.has(orderKey(order.idHex, order.submitter))) return reject('duplicate_order');
    // the allowance is per person: every key registered with one event tag shares it
    if ((p.perPerson.get(tag) ?? 0) >= e.policy.maxOrdersPerAccount || p.orders.length >= MAX_ORDERS_PER_EPOCH) return reject('too_many_orders');
  }
  const closed = commitCutoffs(e, ctx);
  let book = p;
  if (book === undefined) {
    book = { epoch, orders: [], keys: new Set(), perPerson: new Map(), closedAtSeq: undefined, frozen: undefined, decryptable: 0 };
    e.pending.set(epoch, book);
  }
  addOrder(book, order, tag);
  index.add(order);
  const settled = trySettle(s, e, committee, index, ctx);
  const epochs = summaries(e, [...closed, ...settled]);
  return { status: 'ok', order: { epoch, position: book.orders.length - 1, ciphertextId: order.id }, ...(epochs.length > 0 ? { epochs } : {}) };
}

/** `cutoff`: commits every cutoff that is due; `too_early` when none is. */
export function cutoff(s: ContractState, e: EventState, committee: OrderCommitteeConfig, index: CiphertextIndex, ctx: ExecuteContext): ContractResult {
  const now = currentEpoch(e, ctx);
  if (now <= e.cutoffThrough) return reject('too_early');
  const first = e.cutoffThrough;
  const closed = commitCutoffs(e, ctx);
  const settled = trySettle(s, e, committee, index, ctx);
  const shown = [...closed, ...settled];
  return { status: 'ok', epochs: summaries(e, shown.length === 0 ? [first] : shown) };
}

/** Shares of one `postShares` operation, after `prepare`. */
export interface PreparedShares {
  /** The decoded shares, or `undefined` when one did not decode. */
  readonly shares: readonly Tdh2DecryptionShare[] | undefined;
  /**
   * Per-share verdicts from `prepare`'s batch verification, or `undefined`
   * when `prepare` did not have the ciphertexts at hand (then `execute`
   * verifies).
   */
  readonly verdicts: readonly boolean[] | undefined;
}

/** `postShares` by the member with index `member`. */
export function postShares(
  s: ContractState,
  e: EventState,
  op: { readonly epoch: number; readonly from: number; readonly shares: readonly { readonly ciphertextId: Uint8Array; readonly share: Uint8Array }[] },
  member: bigint,
  prepared: PreparedShares,
  committee: OrderCommitteeConfig,
  index: CiphertextIndex,
  random: Random,
  ctx: ExecuteContext,
): ContractResult {
  const shares = prepared.shares;
  if (shares === undefined || shares.length !== op.shares.length) return reject('invalid_share');
  if (op.epoch >= currentEpoch(e, ctx)) return reject('epoch_open');
  if (op.epoch < e.settledThrough) return reject('epoch_settled');
  const p = e.pending.get(op.epoch);
  if (p === undefined) return reject('unknown_order');
  const targets: SealedOrder[] = [];
  for (const [k, item] of op.shares.entries()) {
    const o = p.orders[op.from + k];
    if (o === undefined || !sameBytes(o.id, item.ciphertextId)) return reject('unknown_order');
    targets.push(o);
  }
  if (shares.some((sh) => sh.index !== member)) return reject('invalid_share');
  let verdicts = prepared.verdicts;
  if (verdicts === undefined) {
    const items = shares.map((share, k) => ({ ciphertext: (targets[k] as SealedOrder).ciphertext, share }));
    const bad = new Set(tdh2VerifyShares(committee.publicKey, items, random).invalid);
    verdicts = shares.map((_, k) => !bad.has(k));
  }
  if (verdicts.some((ok) => !ok)) return reject('invalid_share');

  const closed = commitCutoffs(e, ctx);
  const need = committee.publicKey.minShares;
  let added = 0;
  shares.forEach((share, k) => {
    const o = targets[k] as SealedOrder;
    if (o.shares.size >= need || o.shares.has(member)) return;
    // a private copy of the bytes: the prepared request must not alias replicated state (decoded shares are frozen)
    o.shares.set(member, { share, bytes: (op.shares[k] as { share: Uint8Array }).share.slice() });
    added++;
    if (o.shares.size === need) p.decryptable++;
  });
  const settled = trySettle(s, e, committee, index, ctx);
  return { status: 'ok', epochs: summaries(e, [...closed, op.epoch, ...settled]) };
}

/**
 * Commits the cutoff of every epoch that ended before `ctx`: each pending
 * epoch among them is closed at this slot and freezes the public listings
 * it will match against. Returns the epochs closed.
 */
export function commitCutoffs(e: EventState, ctx: ExecuteContext): number[] {
  const now = currentEpoch(e, ctx);
  if (now <= e.cutoffThrough) return [];
  const closed: number[] = [];
  for (const p of [...e.pending.values()].sort((a, b) => a.epoch - b.epoch)) {
    if (p.epoch >= now || p.closedAtSeq !== undefined) continue;
    p.closedAtSeq = ctx.seq;
    p.frozen = frozenListings(e);
    closed.push(p.epoch);
  }
  e.cutoffThrough = now;
  return closed;
}

/**
 * Settles closed epochs in order while each has t + 1 shares for every order;
 * returns those settled. Epochs without orders settle trivially, so
 * `settledThrough` jumps straight to the next pending epoch (or to
 * `cutoffThrough`): the cost follows the epochs that hold orders, never the
 * number of epochs that went by.
 */
export function trySettle(s: ContractState, e: EventState, committee: OrderCommitteeConfig, index: CiphertextIndex, ctx: ExecuteContext): number[] {
  const settled: number[] = [];
  if (e.settledThrough >= e.cutoffThrough) return settled;
  const due = [...e.pending.keys()].filter((n) => n >= e.settledThrough && n < e.cutoffThrough).sort((a, b) => a - b);
  for (const n of due) {
    const p = e.pending.get(n) as PendingEpoch;
    invariant(p.closedAtSeq !== undefined, 'an epoch below the cutoff is closed');
    e.settledThrough = n;
    if (p.decryptable < p.orders.length) return settled;
    e.history.set(p.epoch, settleEpoch(s, e, p, committee.publicKey, ctx));
    for (const o of p.orders) index.remove(o);
    e.pending.delete(p.epoch);
    settled.push(p.epoch);
  }
  e.settledThrough = e.cutoffThrough;
  return settled;
}

/** Voids every unsettled epoch (the event was cancelled or completed): its orders are discarded unexecuted. */
export function voidEpochs(e: EventState, index: CiphertextIndex): void {
  for (const p of e.pending.values()) {
    e.history.set(p.epoch, { epoch: p.epoch, status: 'void', orders: p.orders.length, closedAtSeq: p.closedAtSeq, settledAtSeq: undefined, seed: undefined, outcomes: [], trades: [] });
    for (const o of p.orders) index.remove(o);
  }
  e.pending.clear();
}

/**
 * The public summary of one epoch (opaque orders until settled; counts of
 * the outcomes and trades of a settled one, which {@link outcomesPage} and
 * {@link tradesPage} page).
 * It shares nothing with the state: byte arrays are copies.
 */
export function epochView(e: EventState, epoch: number): EpochView {
  const h = e.history.get(epoch);
  if (h !== undefined) return recordView(e, h);
  const p = e.pending.get(epoch);
  const base = { eventId: e.id, epoch };
  if (p !== undefined) {
    const closed = p.closedAtSeq !== undefined;
    return { ...base, status: closed ? 'closed' : 'open', orders: p.orders.length, decryptable: p.decryptable, ...(closed ? { closedAtSeq: p.closedAtSeq as number } : {}) };
  }
  const empty = { ...base, orders: 0, decryptable: 0 };
  if (e.status !== 'open' && epoch >= e.settledThrough) return { ...empty, status: 'void' };
  // an epoch without orders settles without a record
  if (epoch < e.settledThrough) return { ...empty, status: 'settled', outcomes: 0, trades: 0 };
  if (epoch < e.cutoffThrough) return { ...empty, status: 'closed' };
  return { ...empty, status: 'open' };
}

function recordView(e: EventState, h: EpochRecord): EpochView {
  return {
    eventId: e.id,
    epoch: h.epoch,
    status: h.status,
    orders: h.orders,
    decryptable: h.status === 'settled' ? h.orders : 0,
    ...(h.closedAtSeq === undefined ? {} : { closedAtSeq: h.closedAtSeq }),
    ...(h.settledAtSeq === undefined ? {} : { settledAtSeq: h.settledAtSeq }),
    ...(h.seed === undefined ? {} : { seed: h.seed.slice() }),
    ...(h.status === 'settled' ? { outcomes: h.outcomes.length, trades: h.trades.length } : {}),
  };
}

/** A page of a list: a settled epoch's outcomes or trades, or a pending epoch's orders. */
export interface EpochPage<T> {
  /** The items at indices `[from, from + limit)`. */
  readonly items: T[];
  /** The index after the page's last item, when more follow. */
  readonly next?: number;
}

/**
 * The outcomes of epoch `epoch` at positions `[from, from + limit)`, as
 * copies; empty unless the epoch is settled (an unsettled epoch has none
 * yet, a void one never will). `from` ≥ 0 and `limit` ≥ 1 are the caller's
 * to check.
 */
export function outcomesPage(e: EventState, epoch: number, from: number, limit: number): EpochPage<OrderOutcome> {
  return pageOf(settledRecord(e, epoch)?.outcomes ?? [], from, limit, (o) => ({ ...o, ciphertextId: o.ciphertextId.slice() }));
}

/** The trades of epoch `epoch` at indices `[from, from + limit)` of execution order, as {@link outcomesPage} pages outcomes. */
export function tradesPage(e: EventState, epoch: number, from: number, limit: number): EpochPage<TradeView> {
  return pageOf(settledRecord(e, epoch)?.trades ?? [], from, limit, (t) => ({ ...t }));
}

function settledRecord(e: EventState, epoch: number): EpochRecord | undefined {
  const h = e.history.get(epoch);
  return h?.status === 'settled' ? h : undefined;
}

/**
 * The views of `all[from … from + limit)` (`view` gets each item and its
 * index), with `next` (the index after the page) when more follow. `from` ≥ 0
 * and `limit` ≥ 1 are the caller's to check.
 */
export function pageOf<T, V>(all: readonly T[], from: number, limit: number, view: (item: T, index: number) => V): EpochPage<V> {
  const end = Math.min(all.length, from + limit);
  const items: V[] = [];
  for (let i = from; i < end; i++) items.push(view(all[i] as T, i));
  return end < all.length ? { items, next: end } : { items };
}

/**
 * True when the ticket's current listing is frozen into a closed, unsettled
 * epoch: an entry of that epoch names this very listing (serial, price,
 * holder and ticket version), not merely an earlier listing of the ticket.
 */
export function lockedInEpoch(e: EventState, serial: number): boolean {
  const t = e.tickets[serial - 1];
  if (t === undefined) return false;
  for (const p of e.pending.values()) {
    const f = p.frozen === undefined ? undefined : frozenAt(p.frozen, serial);
    if (f !== undefined && matchesFrozen(f, t)) return true;
  }
  return false;
}

/** The entry for `serial` in a frozen list (sorted by serial), by binary search. */
function frozenAt(frozen: readonly FrozenListing[], serial: number): FrozenListing | undefined {
  let lo = 0;
  let hi = frozen.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const f = frozen[mid] as FrozenListing;
    if (f.serial === serial) return f;
    if (f.serial < serial) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

function frozenListings(e: EventState): FrozenListing[] {
  const out: FrozenListing[] = [];
  e.tickets.forEach((t, i) => {
    if (t.status === 'active' && t.listing !== undefined) out.push({ serial: i + 1, price: t.listing, holder: t.holder, version: t.version });
  });
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function reject(reason: ContractRejection): ContractResult {
  return { status: 'rejected', reason };
}
