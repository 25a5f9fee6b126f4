/**
 * The node's order-committee duties on the ledger:
 *
 * - as sealed orders commit, compute this member's decryption share for each
 *   (a `createShareMaker` per event and epoch), spreading the work over the
 *   epoch;
 * - once an epoch's cutoff is committed (`getEpoch(...).status === 'closed'`),
 *   release the shares as `postShares` operations signed by the relay key
 *   (the member's request key) — never earlier, so no t + 1 members can
 *   decrypt orders of an epoch that still takes orders;
 * - optionally commit the cutoff of an epoch whose end has passed and that
 *   holds orders (anyone may; every node tries once per epoch).
 *
 * It is restart-safe: shares missing from memory (a restarted node) are
 * computed from the committed ciphertexts (`getOrders`) before release, and a
 * periodic sweep revisits every event seen in executed operations.
 * @module
 */
import type { Clock, EventId, Logger, Random } from '@admitone/core';
import { createShareMaker, type ContractOp, type ContractResult, type EventContract, type ShareMaker, type Tdh2KeyShare } from '@admitone/market';

/** Options of {@link createSharePoster}. */
export interface SharePosterOptions {
  /** This replica's contract (read-only use: events, epochs, committed ciphertexts). */
  readonly contract: EventContract;
  /** This member's TDH2 key share. */
  readonly keyShare: Tdh2KeyShare;
  /** Submits an operation signed by the member's request key; resolves with the committed result. */
  submit(op: ContractOp): Promise<ContractResult>;
  /** The replica's last executed sequence number (for `seq` epoch grids). */
  lastExecuted(): number;
  /** Commit due cutoffs of epochs that hold orders. */
  readonly autoCutoff: boolean;
  /** How often the sweep runs, in ms. */
  readonly sweepMs: number;
  /** DLEQ proof nonces. */
  readonly random: Random;
  /** Timers (the sweep, deferred share computation). */
  readonly clock: Clock;
  /** Diagnostics. */
  readonly logger: Logger;
}

/** The running share poster. */
export interface SharePoster {
  /** Feeds an executed operation and its result (called for every executed request). */
  observe(op: ContractOp | undefined, result: ContractResult): void;
  /** Runs a sweep now (also runs every `sweepMs`). */
  sweep(): Promise<void>;
  /** `postShares` operations committed by this node. */
  readonly posted: number;
  /** Stops the timer; pending submissions finish on their own. */
  close(): void;
}

/** Starts the share poster. */
export function createSharePoster(options: SharePosterOptions): SharePoster {
  const { contract, keyShare, random, clock, logger } = options;
  const events = new Set<EventId>();
  const makers = new Map<string, { maker: ShareMaker; added: Set<number> }>();
  const released = new Set<string>(); // event/epoch whose shares were released (or are being)
  const cutoffs = new Set<string>(); // event/epoch whose cutoff this node submitted
  let posted = 0;
  let closed = false;
  let sweeping: Promise<void> | undefined;
  let again = false;
  let timer = clock.setTimeout(tick, options.sweepMs);

  function tick(): void {
    if (closed) return;
    void poster.sweep().finally(() => {
      if (!closed) timer = clock.setTimeout(tick, options.sweepMs);
    });
  }

  const makerOf = (eventId: EventId, epoch: number) => {
    const key = `${eventId}/${epoch}`;
    let entry = makers.get(key);
    if (entry === undefined) {
      entry = { maker: createShareMaker({ keyShare, eventId, epoch, random }), added: new Set() };
      makers.set(key, entry);
    }
    return entry;
  };

  const add = (eventId: EventId, epoch: number, position: number, ciphertext: Uint8Array) => {
    const entry = makerOf(eventId, epoch);
    if (entry.added.has(position)) return;
    entry.maker.add(position, ciphertext);
    entry.added.add(position);
  };

  async function release(eventId: EventId, epoch: number, orders: number): Promise<void> {
    const key = `${eventId}/${epoch}`;
    released.add(key);
    try {
      for (const o of contract.getOrders(eventId, epoch)) add(eventId, epoch, o.position, o.ciphertext);
      const ops = makerOf(eventId, epoch).maker.release(orders);
      for (const op of ops) {
        const r = await options.submit(op);
        if (r.status === 'ok') posted += 1;
        else if (r.reason !== 'epoch_settled') logger.warn('postShares refused', { eventId, epoch, reason: r.reason });
      }
      makers.delete(key);
    } catch (err) {
      released.delete(key); // try again at the next sweep
      logger.warn('posting shares failed; will retry', { eventId, epoch, error: (err as { code?: string }).code ?? (err as Error).name });
    }
  }

  async function sweepOnce(): Promise<void> {
    const now = clock.now();
    const seq = options.lastExecuted();
    for (const eventId of [...events]) {
      const e = contract.getEvent(eventId);
      if (e === undefined) continue;
      if (e.status !== 'open') {
        events.delete(eventId);
        continue;
      }
      for (let epoch = e.settledThrough; epoch < e.cutoffThrough; epoch++) {
        const key = `${eventId}/${epoch}`;
        if (released.has(key)) continue;
        const v = contract.getEpoch(eventId, epoch);
        if (v === undefined || v.status !== 'closed' || v.orders === 0) continue;
        await release(eventId, epoch, v.orders);
      }
      if (!options.autoCutoff) continue;
      const open = e.cutoffThrough;
      const key = `${eventId}/${open}`;
      if (cutoffs.has(key)) continue;
      const grid = e.policy.epochs;
      const due = grid.kind === 'time' ? now >= e.policy.resale.start + (open + 1) * grid.lengthMs : seq >= e.createdSeq + (open + 1) * grid.length;
      if (!due || (contract.getEpoch(eventId, open)?.orders ?? 0) === 0) continue;
      cutoffs.add(key);
      try {
        const r = await options.submit({ type: 'cutoff', eventId });
        if (r.status === 'rejected' && r.reason === 'too_early') cutoffs.delete(key);
      } catch {
        cutoffs.delete(key);
      }
    }
  }

  const poster: SharePoster = {
    observe(op, result) {
      if (op === undefined || closed) return;
      if ('eventId' in op) events.add(op.eventId);
      if (result.status !== 'ok') return;
      if (op.type === 'submitSealedOrder' && result.order !== undefined) {
        const { epoch, position } = result.order;
        const eventId = op.eventId;
        const ciphertext = op.ciphertext;
        // compute the share off the execution path
        clock.setTimeout(() => {
          if (closed || released.has(`${eventId}/${epoch}`)) return;
          try {
            add(eventId, epoch, position, ciphertext);
          } catch (err) {
            logger.warn('could not compute a decryption share', { eventId, epoch, position, error: (err as { code?: string }).code ?? 'unknown' });
          }
        }, 0);
      }
      if (result.epochs?.some((v) => v.status === 'closed') === true) clock.setTimeout(() => void poster.sweep(), 0);
    },
    sweep() {
      if (sweeping !== undefined) {
        again = true;
        return sweeping;
      }
      sweeping = (async () => {
        do {
          again = false;
          try {
            await sweepOnce();
          } catch (err) {
            logger.warn('share sweep failed', { error: (err as Error).name });
          }
        } while (again && !closed);
      })().finally(() => {
        sweeping = undefined;
      });
      return sweeping;
    },
    get posted() {
      return posted;
    },
    close() {
      closed = true;
      timer.cancel();
    },
  };
  return poster;
}
