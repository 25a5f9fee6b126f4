/**
 * Settling a closed epoch, deterministically on every replica:
 *
 * 1. decrypt every order with its t + 1 verified shares;
 * 2. drop invalid orders with a reason (undecryptable, malformed, copied from
 *    another submitter, bad amounts, above the resale cap);
 * 3. shuffle the valid orders and the listings frozen at the cutoff with a
 *    seed derived from all plaintexts ({@link epochSeed});
 * 4. match: bids by price (highest first), asks by price (lowest first), ties
 *    broken by the shuffle, never by submission order; each bid takes the
 *    cheapest remaining ask it covers from another person and pays the ask's
 *    price, while its bidder stays under the per-person cap and can pay;
 * 5. settle each trade: the buyer pays, the organizer's royalty and the
 *    seller's proceeds go to escrow for the event, and the ticket is re-issued
 *    to the buyer (version + 1).
 *
 * Because the seed and the sort keys ignore submission order, a primary that
 * reorders ciphertexts before the reveal changes nothing, and nobody can
 * reorder after it.
 * @module
 */
import { bytesToHex, invariant, type CborValue, type ClientId, type ExecuteContext } from '@admitone/core';
import type { Tdh2DecryptionShare, Tdh2PublicKey } from '../tdh2/index.js';
import { MAX_AMOUNT, resaleCapPrice, royaltyOf } from '../contract/policy.js';
import { adjustHeld, heldBy, matchesFrozen, pay, type ContractState, type EpochRecord, type EventState, type FrozenListing, type PendingEpoch, type SealedOrder } from '../contract/state.js';
import { moveTicket } from '../contract/holdings.js';
import type { OrderDropReason, OrderOutcome, OrderStatus, TradeView } from '../contract/types.js';
import { decodeOrderPayload, type MarketOrder } from './order.js';
import { epochSeed, openOrder, shuffleRanks } from './reveal.js';

/** A decrypted order that passed the stateless checks. */
interface Valid {
  readonly position: number;
  readonly order: MarketOrder;
  readonly submitter: ClientId;
}

/** An ask in the book: a sealed ask (by position) or a frozen public listing. */
interface Ask {
  readonly serial: number;
  readonly price: bigint;
  readonly rank: number;
  /** Position of the sealed ask, or `undefined` for a listing. */
  readonly position: number | undefined;
  /** The frozen listing, for a listing. */
  readonly frozen: FrozenListing | undefined;
  seller: ClientId | undefined;
  sellerTag: string | undefined;
  used: boolean;
}

/** Settles pending epoch `p` of event `e` (every order has t + 1 shares); returns its public record. */
export function settleEpoch(s: ContractState, e: EventState, p: PendingEpoch, publicKey: Tdh2PublicKey, ctx: ExecuteContext): EpochRecord {
  const cap = resaleCapPrice(e.policy);
  const outcomes: OrderOutcome[] = [];
  const dropped = (o: SealedOrder, position: number, reason: OrderDropReason, side?: 'bid' | 'ask'): OrderOutcome => ({
    position,
    submitter: o.submitter,
    ciphertextId: o.id,
    ...(side === undefined ? {} : { side }),
    status: 'dropped',
    filled: 0,
    reason,
  });

  // 1–2. decrypt and apply the stateless checks
  const valid: Valid[] = [];
  const seedEntries: { key: string; value: CborValue }[] = [];
  p.orders.forEach((o, position) => {
    const shares = [...o.shares.values()].map((x) => x.share).sort(byIndex).slice(0, publicKey.minShares);
    invariant(shares.length === publicKey.minShares, 'settling an order without t + 1 shares');
    const plain = openOrder(publicKey, o.ciphertext, shares);
    seedEntries.push({ key: `${o.idHex}/${o.submitter}`, value: [o.id, o.submitter, plain ?? null] });
    if (plain === undefined) return void outcomes.push(dropped(o, position, 'undecryptable'));
    let decoded;
    try {
      decoded = decodeOrderPayload(plain);
    } catch {
      return void outcomes.push(dropped(o, position, 'malformed_order'));
    }
    const { order, submitterKey } = decoded;
    if (bytesToHex(submitterKey) !== o.submitter) return void outcomes.push(dropped(o, position, 'wrong_submitter', order.side));
    const problem = statelessProblem(order, cap, e.policy.capacity);
    if (problem !== undefined) return void outcomes.push(dropped(o, position, problem, order.side));
    outcomes.push({ position, submitter: o.submitter, ciphertextId: o.id, side: order.side, status: 'unmatched', filled: 0 });
    valid.push({ position, order, submitter: o.submitter });
  });

  // 3. the seed and the shuffle (canonical order: by ciphertext id and submitter, then listings by serial)
  seedEntries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const listings = p.frozen ?? [];
  const seed = epochSeed(
    e.id,
    p.epoch,
    seedEntries.map((x) => x.value),
    listings.map((f) => [f.serial, f.price]),
  );
  const canonical = [...valid].sort((a, b) => {
    const ka = `${(p.orders[a.position] as SealedOrder).idHex}/${a.submitter}`;
    const kb = `${(p.orders[b.position] as SealedOrder).idHex}/${b.submitter}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const ranks = shuffleRanks(seed, canonical.length + listings.length);
  const rankOf = new Map<number, number>(canonical.map((v, i) => [v.position, ranks[i] as number]));

  // 4a. the ask book, validated in (price, rank) order
  const asks: Ask[] = [];
  for (const v of valid) {
    if (v.order.side === 'ask') asks.push(newAsk(v.order.serial, v.order.price, rankOf.get(v.position) as number, v.position));
  }
  listings.forEach((f, i) => asks.push(newAsk(f.serial, f.price, ranks[canonical.length + i] as number, undefined, f)));
  asks.sort((a, b) => (a.price < b.price ? -1 : a.price > b.price ? 1 : a.rank - b.rank));
  const claimed = new Set<number>();
  const book: Ask[] = [];
  for (const ask of asks) {
    const ticket = e.tickets[ask.serial - 1];
    if (ask.position === undefined) {
      // a frozen listing is only for sale while that very listing stands: same price, holder and ticket version
      if (ticket === undefined || ask.frozen === undefined || !matchesFrozen(ask.frozen, ticket) || claimed.has(ask.serial)) continue;
    } else {
      const o = outcomes[ask.position] as OrderOutcome;
      const reason: OrderDropReason | undefined =
        ticket === undefined || ticket.status !== 'active' || ticket.holder !== o.submitter
          ? 'not_holder'
          : ticket.listing !== undefined
            ? 'ticket_listed'
            : ticket.admission !== 'issued'
              ? 'ticket_scanned'
            : claimed.has(ask.serial)
              ? 'duplicate_ask'
              : undefined;
      if (reason !== undefined) {
        outcomes[ask.position] = { ...o, status: 'dropped', reason };
        continue;
      }
    }
    claimed.add(ask.serial);
    ask.seller = (ticket as { holder: ClientId }).holder;
    ask.sellerTag = e.holders.get(ask.seller);
    book.push(ask);
  }

  // 4b–5. match bids in (price desc, rank) order and settle each trade
  const bids = valid.filter((v): v is Valid & { order: Extract<MarketOrder, { side: 'bid' }> } => v.order.side === 'bid');
  bids.sort((a, b) => (a.order.maxPrice > b.order.maxPrice ? -1 : a.order.maxPrice < b.order.maxPrice ? 1 : (rankOf.get(a.position) as number) - (rankOf.get(b.position) as number)));
  const trades: TradeView[] = [];
  let firstFree = 0;
  for (const bid of bids) {
    const buyer = bid.submitter;
    const tag = e.holders.get(buyer);
    const o = outcomes[bid.position] as OrderOutcome;
    invariant(tag !== undefined, 'submitters are registered at submission and registrations are permanent');
    let filled = 0;
    let stop: OrderDropReason | undefined;
    while (filled < bid.order.quantity) {
      while (firstFree < book.length && (book[firstFree] as Ask).used) firstFree++;
      let ask: Ask | undefined;
      for (let k = firstFree; k < book.length; k++) {
        const a = book[k] as Ask;
        if (a.price > bid.order.maxPrice) break;
        if (!a.used && a.sellerTag !== tag) {
          ask = a;
          break;
        }
      }
      if (ask === undefined) break;
      if (heldBy(e, buyer) + 1 > e.policy.perPersonCap) {
        stop = 'cap_per_person';
        break;
      }
      const account = s.accounts.get(buyer);
      if (account === undefined || account.balance < ask.price) {
        stop = 'insufficient_funds';
        break;
      }
      trades.push(trade(s, e, ask, buyer));
      if (ask.position !== undefined) outcomes[ask.position] = { ...(outcomes[ask.position] as OrderOutcome), status: 'filled', filled: 1 };
      filled++;
    }
    const status: OrderStatus = filled === bid.order.quantity ? 'filled' : filled > 0 ? 'partial' : stop !== undefined ? 'dropped' : 'unmatched';
    outcomes[bid.position] = { ...o, status, filled, ...(stop === undefined || status === 'filled' ? {} : { reason: stop }) };
  }

  return {
    epoch: p.epoch,
    status: 'settled',
    orders: p.orders.length,
    closedAtSeq: p.closedAtSeq,
    settledAtSeq: ctx.seq,
    seed,
    outcomes,
    trades,
  };
}

/** The stateless reason to drop a decoded order, if any. */
function statelessProblem(order: MarketOrder, cap: bigint, capacity: number): OrderDropReason | undefined {
  if (order.side === 'bid') {
    if (order.quantity < 1 || order.quantity > capacity) return 'invalid_quantity';
    if (order.maxPrice < 1n || order.maxPrice > MAX_AMOUNT) return 'invalid_amount';
    if (order.maxPrice > cap) return 'above_cap';
    return undefined;
  }
  if (order.serial < 1) return 'not_holder';
  if (order.price < 1n || order.price > MAX_AMOUNT) return 'invalid_amount';
  if (order.price > cap) return 'above_cap';
  return undefined;
}

function newAsk(serial: number, price: bigint, rank: number, position: number | undefined, frozen?: FrozenListing): Ask {
  return { serial, price, rank, position, frozen, seller: undefined, sellerTag: undefined, used: false };
}

/** Executes one resale: payment, royalty, escrow, re-issue. */
function trade(s: ContractState, e: EventState, ask: Ask, buyer: ClientId): TradeView {
  const ticket = e.tickets[ask.serial - 1];
  invariant(ticket !== undefined && ask.seller !== undefined && ticket.holder === ask.seller, 'matched ask lost its ticket');
  const royalty = royaltyOf(e.policy, ask.price);
  pay(s, e, ticket, buyer, ask.price, [
    [e.organizer, royalty],
    [ask.seller, ask.price - royalty],
  ]);
  adjustHeld(e, ask.seller, -1);
  adjustHeld(e, buyer, 1);
  moveTicket(e, ask.serial, buyer);
  ticket.version++;
  ticket.listing = undefined;
  ask.used = true;
  return { serial: ask.serial, seller: ask.seller, buyer, price: ask.price, royalty, version: ticket.version, listing: ask.position === undefined };
}

function byIndex(a: Tdh2DecryptionShare, b: Tdh2DecryptionShare): number {
  return a.index < b.index ? -1 : a.index > b.index ? 1 : 0;
}
