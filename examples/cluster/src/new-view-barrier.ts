/**
 * A transport shim that works around a liveness bug of the PBFT replica in
 * `@admitone/consensus` (see the README of this example):
 *
 * The replica handles every inbound message in its own async task. A NEW-VIEW
 * needs dozens of signature checks (every VIEW-CHANGE, its checkpoint proof
 * and prepared certificates), a PRE-PREPARE needs one. With an asynchronous
 * `CryptoProvider` (WebCrypto, the default) the new primary's first
 * PRE-PREPARE of the new view, sent right after its NEW-VIEW on the same
 * ordered connection, finishes its check first, finds the backup still
 * `viewChanging` and is dropped as `future_view`. PBFT never resends it, so
 * nothing commits until the view-change timer fires, and the next view hits
 * the same race.
 *
 * The shim restores the order the sender meant: once a NEW-VIEW from a peer
 * is delivered, that peer's following messages are held until the replica
 * emits `new-view` for that view (or `maxHoldMs` passes, e.g. when the
 * NEW-VIEW was invalid), then delivered in order.
 * @module
 */
import { Buffer } from 'node:buffer';
import { decodeWire, type Replica } from '@admitone/consensus';
import type { InboundMessage, PeerId, Transport, Unsubscribe } from '@admitone/core';

/** A {@link Transport} that holds a peer's messages behind its NEW-VIEW. */
export interface NewViewBarrier extends Transport {
  /** Starts watching `replica` for `new-view` events (call right after `createReplica`). */
  attach(replica: Replica): void;
  /** How many messages were held so far. */
  held(): number;
}

/** Options of {@link newViewBarrier}. */
export interface NewViewBarrierOptions {
  /** Peer ids whose messages may carry a NEW-VIEW (the replicas). */
  readonly replicas: readonly PeerId[];
  /** Release a peer's held messages after this long even without a `new-view` event. Default 1 000 ms. */
  readonly maxHoldMs?: number;
}

const NEEDLE = Buffer.from('new-view', 'utf8');

/** Wraps `inner`; the replica must be given the wrapper as its transport. */
export function newViewBarrier(inner: Transport, options: NewViewBarrierOptions): NewViewBarrier {
  const replicas = new Set(options.replicas);
  const maxHoldMs = options.maxHoldMs ?? 1000;
  const handlers = new Set<(m: InboundMessage) => void>();
  /** Per held peer: the view its NEW-VIEW announced, the queue and the fallback timer. */
  const holds = new Map<PeerId, { view: number; queue: InboundMessage[]; timer: ReturnType<typeof setTimeout> }>();
  let replica: Replica | undefined;
  let heldCount = 0;

  const deliver = (m: InboundMessage): void => {
    for (const h of [...handlers]) {
      try {
        h(m);
      } catch {
        // a handler that throws must not break delivery to the others (the transport contract)
      }
    }
  };

  /** The view a message announces when it is a NEW-VIEW, else `undefined`. */
  const newViewOf = (bytes: Uint8Array): number | undefined => {
    if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(NEEDLE) < 0) return undefined;
    try {
      const wire = decodeWire(bytes);
      return wire.kind === 'signed' && wire.signed.body.type === 'new-view' ? wire.signed.body.view : undefined;
    } catch {
      return undefined; // malformed: the replica drops it itself
    }
  };

  const accept = (m: InboundMessage): void => {
    const hold = holds.get(m.from);
    if (hold !== undefined) {
      hold.queue.push(m);
      heldCount++;
      return;
    }
    deliver(m);
    if (!replicas.has(m.from)) return;
    const view = newViewOf(m.bytes);
    if (view === undefined) return;
    const s = replica?.status();
    if (s !== undefined && (s.view > view || (s.view === view && !s.viewChanging))) return; // already entered
    holds.set(m.from, { view, queue: [], timer: setTimeout(() => release(m.from), maxHoldMs) });
  };

  const release = (peer: PeerId): void => {
    const hold = holds.get(peer);
    if (hold === undefined) return;
    clearTimeout(hold.timer);
    holds.delete(peer);
    // re-run the queue through accept: a queued NEW-VIEW starts a new hold for the rest
    for (const m of hold.queue) accept(m);
  };

  const unsubscribe = inner.onMessage(accept);

  return {
    get localId() {
      return inner.localId;
    },
    get members() {
      return inner.members;
    },
    get capabilities() {
      return inner.capabilities;
    },
    send: (to, bytes) => inner.send(to, bytes),
    broadcast: (bytes) => inner.broadcast(bytes),
    onMessage(handler): Unsubscribe {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    onPeerStatus: (handler) => inner.onPeerStatus(handler),
    connectedPeers: () => inner.connectedPeers(),
    async close() {
      unsubscribe();
      for (const h of holds.values()) clearTimeout(h.timer);
      holds.clear();
      handlers.clear();
      await inner.close();
    },
    attach(r) {
      replica = r;
      r.on('new-view', (e) => {
        for (const [peer, hold] of [...holds]) if (hold.view <= e.view) release(peer);
      });
    },
    held: () => heldCount,
  };
}
