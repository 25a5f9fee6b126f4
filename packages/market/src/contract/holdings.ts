/**
 * Which tickets each key holds: the per-event holder index behind the
 * `tickets` query's `holder` filter.
 *
 * Derived state, like the held counts and escrow: it is never in a snapshot
 * or a digest, and `stateFromSnapshot` rebuilds it from the tickets. Every
 * change of a ticket's holder goes through `issueTicket` (in `state.ts`) or
 * {@link moveTicket}, which keep it in step; refunds and revocations keep the
 * holder (the ticket stays in its holder's page with its new status).
 *
 * Each key's serials are a `SortedSet<number>` from `@admitone/core` (sorted
 * chunks, the structure behind the ticket ledger's indexes), so a page costs
 * two binary searches plus its length, and a move costs two binary searches
 * plus a splice of at most one chunk however many tickets the key holds
 * (issuing, always above every serial, is a push).
 * @module
 */
import { createSortedSet, invariant, type ClientId, type SortedSet } from '@admitone/core';
import type { EventState } from './state.js';

/** One event's holder index: holder key → the serials it holds (ascending). */
export type HolderIndex = Map<ClientId, SortedSet<number>>;

/**
 * Hands ticket `serial` of event `e` to `to`: sets its holder and moves it in
 * the holder index. The caller does the rest of the change of hands (version,
 * held counts, payments).
 */
export function moveTicket(e: EventState, serial: number, to: ClientId): void {
  const t = e.tickets[serial - 1];
  invariant(t !== undefined, 'moving a ticket that was never issued');
  const from = e.byHolder.get(t.holder);
  invariant(from !== undefined && from.delete(serial), 'every ticket is indexed under its holder');
  if (from.size === 0) e.byHolder.delete(t.holder);
  t.holder = to;
  indexTicket(e.byHolder, to, serial);
}

/** Adds ticket `serial` to `holder`'s serials (state restore and issue). */
export function indexTicket(index: HolderIndex, holder: ClientId, serial: number): void {
  let set = index.get(holder);
  if (set === undefined) {
    set = createSortedSet<number>();
    index.set(holder, set);
  }
  invariant(set.insert(serial), 'a ticket is indexed once');
}
