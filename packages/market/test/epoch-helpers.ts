/**
 * Helpers for sealed-order epoch tests on top of the contract harness:
 * sealing and submitting orders, and committee members that compute their
 * shares from the committed ciphertexts and post them.
 */
import { seededRandom, type EventId } from '@admitone/core';
import { createShareMaker, sealOrder, type MarketOrder } from '../src/epoch/index.js';
import type { ContractOp, ContractResult, EventContract, OrderOutcome, TradeView } from '../src/contract/index.js';
import { EVENT, type Actor, type Harness } from './contract-helpers.js';

const sealRandom = seededRandom('seal');

/** Seals `order` as `who` for `epoch` and returns the encoded ciphertext. */
export function seal(h: Harness, who: Actor, order: MarketOrder, epoch = 0, event: EventId = EVENT): Uint8Array {
  return sealOrder(h.orders.publicKey, event, epoch, order, who.publicKey, sealRandom);
}

/** Seals and submits `order` as `who`. */
export function submit(h: Harness, who: Actor, order: MarketOrder, epoch = 0, event: EventId = EVENT): Promise<ContractResult> {
  return h.run(who, { type: 'submitSealedOrder', eventId: event, epoch, ciphertext: seal(h, who, order, epoch, event) });
}

/** Member `m`'s `postShares` ops for every committed order of `epoch` (computed from the contract's ciphertexts). */
export function shareOps(h: Harness, m: number, epoch = 0, event: EventId = EVENT): ContractOp[] {
  const maker = createShareMaker({ keyShare: h.orders.keyShares[m]!, eventId: event, epoch, random: seededRandom(`shares/${m}`) });
  const orders = h.contract.getOrders(event, epoch);
  for (const o of orders) maker.add(o.position, o.ciphertext);
  return maker.release(orders.length);
}

/** Members `members` post their shares for `epoch`; returns the result of each op. */
export async function postAll(h: Harness, members: readonly number[], epoch = 0, event: EventId = EVENT): Promise<ContractResult[]> {
  const out: ContractResult[] = [];
  for (const m of members) for (const op of shareOps(h, m, epoch, event)) out.push(await h.run(h.orders.members[m]!, op));
  return out;
}

/** Every outcome of `epoch`, in position order, paged through `listEpochOutcomes` (`limit` per page). */
export function outcomesOf(contract: EventContract, epoch = 0, event: EventId = EVENT, limit?: number): OrderOutcome[] {
  const out: OrderOutcome[] = [];
  for (let from: number | undefined = 0; from !== undefined; ) {
    const page = contract.listEpochOutcomes(event, epoch, from, limit);
    if (page === undefined) throw new Error(`unknown event ${event}`);
    out.push(...page.outcomes);
    from = page.next;
  }
  return out;
}

/** Every trade of `epoch`, in execution order, paged through `listEpochTrades` (`limit` per page). */
export function tradesOf(contract: EventContract, epoch = 0, event: EventId = EVENT, limit?: number): TradeView[] {
  const out: TradeView[] = [];
  for (let from: number | undefined = 0; from !== undefined; ) {
    const page = contract.listEpochTrades(event, epoch, from, limit);
    if (page === undefined) throw new Error(`unknown event ${event}`);
    out.push(...page.trades);
    from = page.next;
  }
  return out;
}
