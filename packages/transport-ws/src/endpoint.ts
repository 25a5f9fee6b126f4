/**
 * The platform-neutral endpoint behind `webSocketTransport()`: membership and
 * dial rule, one live connection per peer, per-peer send queues with
 * backpressure, reconnection, handler dispatch and close.
 * @module
 */
import {
  MessageTooLargeError,
  TransportError,
  assertBytes,
  invariant,
  type InboundMessage,
  type PeerId,
  type PeerStatusEvent,
  type TimerHandle,
  type TransportCapabilities,
  type Unsubscribe,
} from '@admitone/core';
import { backoffDelay } from './backoff.js';
import { resolveConfig, type ResolvedMember } from './config.js';
import { CLOSE_CODE, createConnection, type Connection, type ConnectionContext, type ConnectionEvents } from './connection.js';
import { FRAME_OVERHEAD_BYTES, MAX_HANDSHAKE_FRAME_BYTES, dataFrame } from './frame.js';
import { listenerBudgets, type PendingSlot } from './pending-handshakes.js';
import { createSendQueue, type SendQueue } from './send-queue.js';
import type { AcceptedSocket, Platform, PlatformListener } from './socket.js';
import type { WebSocketTransport, WebSocketTransportInit, WebSocketTransportStats } from './types.js';

/** Above this many bytes buffered in a socket, new messages wait in the peer's queue. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** How often a blocked queue re-checks `bufferedAmount` when the platform gives no drain signal (browsers). */
const DRAIN_POLL_MS = 5;

/** One remote member, as this endpoint tracks it. */
interface Peer {
  readonly id: PeerId;
  readonly url: string | undefined;
  /** Whether this endpoint is the one that dials this peer. */
  readonly dials: boolean;
  /** Which side dials in this pair (`undefined` when neither has a url). */
  readonly dialer: PeerId | undefined;
  readonly queue: SendQueue;
  /** The live, authenticated connection. */
  conn: Connection | undefined;
  /** The current outbound dial (pending or live). */
  outbound: Connection | undefined;
  /** Dials since the last connection that lived long enough to count as stable (the backoff exponent). */
  attempts: number;
  /** When {@link Peer.conn} was established (clock ms). */
  connectedAt: number;
  reconnectTimer: TimerHandle | undefined;
  drainTimer: TimerHandle | undefined;
}

/**
 * Who dials whom in a pair: a member with a url is dialed by one without;
 * when both have urls, the smaller id (UTF-16 order) dials. Every member
 * computes the same answer from the shared membership list.
 */
function dialerOf(a: ResolvedMember, b: ResolvedMember): PeerId | undefined {
  if (a.url !== undefined && b.url !== undefined) return a.id < b.id ? a.id : b.id;
  if (b.url !== undefined) return a.id;
  if (a.url !== undefined) return b.id;
  return undefined;
}

/** Validates `init`, starts listening (if asked) and dialing, and returns the endpoint. */
export async function openEndpoint(init: WebSocketTransportInit, platform: Platform): Promise<WebSocketTransport> {
  const config = await resolveConfig(init, platform.listen !== undefined);
  const { localId, clock, logger, maxMessageBytes } = config;
  const self = config.members.find((m) => m.id === localId) as ResolvedMember;
  const memberIds = Object.freeze(config.members.map((m) => m.id));
  const keys = new Map(config.members.map((m) => [m.id, m.publicKey] as const));
  const capabilities: TransportCapabilities = Object.freeze({ ordered: true, reliable: false, maxMessageBytes });
  const counters = { rejectedHandshakes: 0, protocolErrors: 0 };
  /**
   * Pending handshakes and, on the endpoint's own server, TCP connections
   * before their upgrade request: the same limits for each phase (see
   * {@link WebSocketTransportInit.maxPendingHandshakes}).
   */
  const budgets = listenerBudgets({
    total: config.maxPendingHandshakes,
    perAddress: config.maxPendingHandshakesPerAddress,
    clock,
    logger,
  });
  /**
   * What the platform lets through before the transport sees a frame: a full
   * DATA frame, and never less than the largest handshake frame (a small
   * `maxMessageBytes` must not stop handshakes). Larger DATA frames than
   * `maxMessageBytes` allows are refused by the connection itself.
   */
  const maxFrameBytes = Math.max(maxMessageBytes + FRAME_OVERHEAD_BYTES, MAX_HANDSHAKE_FRAME_BYTES);
  /**
   * A connection that lived this long resets the peer's backoff when it
   * drops; a shorter one (a peer that authenticates, then drops at once)
   * does not, so such a peer is redialed ever more slowly.
   */
  const stableAfterMs = config.reconnect.maxMs;
  let droppedMessages = 0;

  const peers = new Map<PeerId, Peer>();
  for (const member of config.members) {
    if (member.id === localId) continue;
    const dialer = dialerOf(self, member);
    if (dialer === undefined) logger.warn('neither side has a url: this peer can never be reached', { peer: member.id });
    peers.set(member.id, {
      id: member.id,
      url: member.url,
      dials: dialer === localId,
      dialer,
      queue: createSendQueue(config.sendQueue),
      conn: undefined,
      outbound: undefined,
      attempts: 0,
      connectedAt: 0,
      reconnectTimer: undefined,
      drainTimer: undefined,
    });
  }

  const messageHandlers = new Set<(message: InboundMessage) => void>();
  const statusHandlers = new Set<(event: PeerStatusEvent) => void>();
  const connections = new Set<Connection>();
  const loopbacks = new Set<TimerHandle>();
  let closed = false;
  let closing: Promise<void> | undefined;
  let listener: PlatformListener | undefined;

  const ctx: ConnectionContext = {
    localId,
    secretKey: config.secretKey,
    crypto: config.crypto,
    aead: platform.aead,
    keyAgreement: platform.keyAgreement,
    clock,
    random: config.random,
    logger,
    publicKeyOf: (id) => keys.get(id),
    maxMessageBytes,
    heartbeatMs: config.heartbeatMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    counters,
  };

  const events: ConnectionEvents = {
    established(conn) {
      if (closed) return conn.close(CLOSE_CODE.normal, 'transport closed');
      const peer = peers.get(conn.peer() as PeerId);
      invariant(peer !== undefined, 'an authenticated connection belongs to a member');
      const existing = peer.conn;
      if (existing !== undefined) {
        if (keepExisting(peer, existing, conn)) {
          logger.debug('closing a duplicate connection', { peer: peer.id, role: conn.role });
          return conn.close(CLOSE_CODE.replaced, 'duplicate connection');
        }
        peer.conn = conn; // before closing the old one, so its close is not a disconnect
        logger.info('connection replaced by a newer one', { peer: peer.id, role: conn.role });
        existing.close(CLOSE_CODE.replaced, 'replaced by a newer connection');
      } else {
        peer.conn = conn;
        logger.info('peer connected', { peer: peer.id, role: conn.role, remote: conn.remote });
      }
      peer.connectedAt = clock.now();
      peer.reconnectTimer?.cancel();
      peer.reconnectTimer = undefined;
      if (existing === undefined) emitStatus({ peer: peer.id, status: 'connected' });
      flush(peer);
    },
    data(conn, payload) {
      if (closed) return;
      const peer = peers.get(conn.peer() as PeerId);
      if (peer === undefined || peer.conn !== conn) return;
      dispatch(messageHandlers, Object.freeze({ from: peer.id, bytes: payload }), 'message');
    },
    closed(conn) {
      const id = conn.peer();
      const peer = id === undefined ? undefined : peers.get(id);
      if (peer === undefined || (peer.conn !== conn && peer.outbound !== conn)) return;
      if (peer.outbound === conn) peer.outbound = undefined;
      if (closed) return;
      if (peer.conn === conn) {
        peer.conn = undefined;
        if (clock.now() - peer.connectedAt >= stableAfterMs) peer.attempts = 0;
        logger.info('peer disconnected', { peer: peer.id });
        emitStatus({ peer: peer.id, status: 'disconnected' });
      }
      scheduleReconnect(peer);
    },
    writable(conn) {
      const peer = peers.get(conn.peer() as PeerId);
      if (peer !== undefined && peer.conn === conn) flush(peer);
    },
  };

  /** Of two authenticated connections with one peer, whether to keep the older one. */
  function keepExisting(peer: Peer, existing: Connection, incoming: Connection): boolean {
    const dialerSide = (c: Connection): PeerId => (c.role === 'dialer' ? localId : peer.id);
    // Same direction: the peer (or we) reconnected, and the old socket may be half-open.
    if (dialerSide(existing) === dialerSide(incoming)) return false;
    // Both directions (inconsistent membership lists): both sides keep the preferred dialer's.
    const preferred = peer.dialer ?? (localId < peer.id ? localId : peer.id);
    return dialerSide(existing) === preferred;
  }

  function track(conn: Connection): Connection {
    connections.add(conn);
    void conn.done.then(() => connections.delete(conn));
    return conn;
  }

  function dial(peer: Peer): void {
    if (closed || peer.conn !== undefined || peer.outbound !== undefined || peer.url === undefined) return;
    const url = peer.url;
    logger.debug('dialing', { peer: peer.id, url, attempt: peer.attempts });
    peer.outbound = track(
      createConnection(ctx, events, {
        role: 'dialer',
        remote: url,
        expectedPeer: peer.id,
        bind: (handlers) => platform.dial(url, maxFrameBytes, handlers),
        startsOpen: false,
      }),
    );
  }

  function scheduleReconnect(peer: Peer): void {
    if (closed || !peer.dials || peer.conn !== undefined || peer.outbound !== undefined || peer.reconnectTimer !== undefined) return;
    const delay = backoffDelay(peer.attempts++, config.reconnect.minMs, config.reconnect.maxMs, config.random);
    logger.debug('reconnecting later', { peer: peer.id, delayMs: delay });
    peer.reconnectTimer = clock.setTimeout(() => {
      peer.reconnectTimer = undefined;
      dial(peer);
    }, delay);
  }

  function accept(bind: AcceptedSocket, remote: string, slot: PendingSlot): void {
    if (closed) {
      bind(IGNORE).terminate(); // its socket's close gives its pending-handshake slot back
      return;
    }
    track(createConnection(ctx, events, { role: 'listener', remote, bind, startsOpen: true, pending: slot }));
  }

  function canWriteNow(peer: Peer): boolean {
    return peer.conn !== undefined && peer.queue.length === 0 && peer.conn.bufferedAmount() < HIGH_WATER_BYTES;
  }

  /** Sends or queues one frame; false when the `'reject'` policy refused it. */
  function enqueue(peer: Peer, frame: Uint8Array): boolean {
    if (canWriteNow(peer) && (peer.conn as Connection).send(frame)) return true;
    if (!peer.queue.push(frame, () => droppedMessages++)) return false;
    flush(peer);
    return true;
  }

  function flush(peer: Peer): void {
    const conn = peer.conn;
    if (conn === undefined) return;
    while (peer.queue.length > 0 && conn.bufferedAmount() < HIGH_WATER_BYTES) {
      if (!conn.send(peer.queue.shift() as Uint8Array)) return; // the connection failed; that message is lost
    }
    if (peer.queue.length > 0 && peer.drainTimer === undefined) {
      peer.drainTimer = clock.setTimeout(() => {
        peer.drainTimer = undefined;
        if (!closed) flush(peer);
      }, DRAIN_POLL_MS);
    }
  }

  function ensureOpen(): void {
    if (closed) throw new TransportError('TRANSPORT_CLOSED', `Endpoint "${localId}" is closed.`, { meta: { peer: localId } });
  }

  function checkPayload(bytes: Uint8Array): void {
    assertBytes(bytes, 'bytes');
    if (bytes.length > maxMessageBytes) throw new MessageTooLargeError(bytes.length, maxMessageBytes);
  }

  function queueFull(ids: readonly PeerId[]): TransportError {
    return new TransportError('TRANSPORT_QUEUE_FULL', `The send queue for ${ids.map((id) => `"${id}"`).join(', ')} is full.`, {
      meta: { peers: ids },
    });
  }

  function loopback(bytes: Uint8Array): void {
    const timer = clock.setTimeout(() => {
      loopbacks.delete(timer);
      if (!closed) dispatch(messageHandlers, Object.freeze({ from: localId, bytes }), 'message');
    }, 0);
    loopbacks.add(timer);
  }

  function emitStatus(event: PeerStatusEvent): void {
    dispatch(statusHandlers, Object.freeze(event), 'peer-status');
  }

  function dispatch<T>(handlers: Set<(value: T) => void>, value: T, kind: string): void {
    for (const handler of [...handlers]) {
      if (closed) return;
      if (!handlers.has(handler)) continue;
      try {
        handler(value);
      } catch (error) {
        logger.warn('handler threw', { kind, error });
      }
    }
  }

  function subscribe<T>(handlers: Set<(value: T) => void>, handler: (value: T) => void): Unsubscribe {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    const wrapped = (value: T): void => handler(value); // distinct per subscription
    if (!closed) handlers.add(wrapped);
    return () => {
      handlers.delete(wrapped);
    };
  }

  const transport: WebSocketTransport = {
    localId,
    members: memberIds,
    capabilities,
    get address() {
      return listener?.address;
    },
    async send(to, bytes) {
      ensureOpen();
      const peer = peers.get(to);
      if (peer === undefined && to !== localId) {
        throw new TransportError('TRANSPORT_UNKNOWN_PEER', `"${String(to)}" is not a member.`, { meta: { peer: to } });
      }
      checkPayload(bytes);
      if (peer === undefined) return loopback(bytes.slice());
      if (!enqueue(peer, dataFrame(bytes))) throw queueFull([to]);
    },
    async broadcast(bytes) {
      ensureOpen();
      checkPayload(bytes);
      const frame = dataFrame(bytes);
      if (config.sendQueue.policy === 'reject') {
        const full = [...peers.values()].filter((p) => !canWriteNow(p) && !p.queue.hasRoom(frame.length));
        if (full.length > 0) throw queueFull(full.map((p) => p.id));
      }
      // The check above makes this all-or-nothing, unless a handler run on the way (a failed send
      // emits 'disconnected') filled a queue: never drop that message silently.
      let refused: PeerId[] | undefined; // allocated only when needed: broadcast is on the hot path
      for (const peer of peers.values()) if (!enqueue(peer, frame)) (refused ??= []).push(peer.id);
      if (refused !== undefined) throw queueFull(refused);
    },
    onMessage: (handler) => subscribe(messageHandlers, handler),
    onPeerStatus: (handler) => subscribe(statusHandlers, handler),
    connectedPeers: () => memberIds.filter((id) => peers.get(id)?.conn !== undefined),
    stats(): WebSocketTransportStats {
      let queuedMessages = 0;
      let queuedBytes = 0;
      for (const peer of peers.values()) {
        queuedMessages += peer.queue.length;
        queuedBytes += peer.queue.bytes;
      }
      const { handshakes, connections: tcp } = budgets;
      return {
        queuedMessages,
        queuedBytes,
        droppedMessages,
        ...counters,
        pendingHandshakes: handshakes.size,
        pendingLimitRefusals: handshakes.refusals,
        connectionsBeforeUpgrade: tcp.size,
        connectionLimitDrops: tcp.refusals,
      };
    },
    close() {
      if (closing !== undefined) return closing;
      closed = true;
      messageHandlers.clear();
      statusHandlers.clear();
      for (const peer of peers.values()) {
        peer.reconnectTimer?.cancel();
        peer.drainTimer?.cancel();
        peer.reconnectTimer = undefined;
        peer.drainTimer = undefined;
        peer.queue.clear();
        peer.conn = undefined;
        peer.outbound = undefined;
      }
      for (const timer of loopbacks) timer.cancel();
      loopbacks.clear();
      const open = [...connections];
      for (const conn of open) conn.close(CLOSE_CODE.normal, 'transport closed');
      config.secretKey.fill(0); // the endpoint's copy; no handshake signs after this
      closing = (async () => {
        await Promise.all(open.map((conn) => conn.done));
        try {
          await listener?.close();
        } catch (error) {
          logger.warn('closing the listener failed', { error });
        }
        logger.debug('transport closed');
      })();
      return closing;
    },
  };

  if (config.listen !== undefined && platform.listen !== undefined) {
    try {
      const settings = {
        maxFrameBytes,
        handshakeTimeoutMs: config.handshakeTimeoutMs,
        logger,
        admit: budgets.handshakes.admit,
        admitConnection: budgets.connections.admit,
      };
      listener = await platform.listen(config.listen, settings, accept);
    } catch (error) {
      config.secretKey.fill(0);
      throw new TransportError('TRANSPORT_IO', 'Could not start listening.', { cause: error, meta: { localId } });
    }
    logger.info('listening', { address: listener.address });
  }
  for (const peer of peers.values()) if (peer.dials) dial(peer);
  return transport;
}

/** Handlers for a socket accepted after close, which is dropped at once. */
const IGNORE = { open() {}, message() {}, close() {}, error() {}, writable() {}, activity() {}, oversized() {} };
