/**
 * An in-memory {@link Transport} network whose delivery is injectable.
 *
 * Every message a peer sends becomes one {@link Envelope} per receiver and is
 * handed to a {@link DeliveryScheduler}, which decides when (and whether, and
 * how often) to deliver it. The default scheduler delivers every message
 * exactly once, in FIFO order, on a later macrotask. A deterministic
 * simulator passes its own scheduler to inject latency, loss, duplication,
 * reordering and partitions under virtual time.
 *
 * @module
 */
import { assertBytes } from '../bytes/index.js';
import { MessageTooLargeError, TransportError } from '../errors/index.js';
import type {
  InboundMessage,
  PeerId,
  PeerStatusEvent,
  Transport,
  TransportCapabilities,
  Unsubscribe,
} from './types.js';

/** One message from one sender to one receiver, as seen by a {@link DeliveryScheduler}. */
export interface Envelope {
  /** Unique per network and increasing in send order (0, 1, 2, …); a broadcast gets one id per receiver. */
  readonly id: number;
  /** The sending peer. */
  readonly from: PeerId;
  /** The receiving peer. */
  readonly to: PeerId;
  /**
   * The network's snapshot of the payload, taken when `send` was called.
   * Treat it as read-only: each delivery copies it, so mutating it changes
   * what later deliveries hand over. A broadcast's envelopes share one snapshot.
   */
  readonly bytes: Uint8Array;
}

/**
 * Decides when messages are delivered. It is called synchronously inside
 * `send`/`broadcast`, once per (sender → receiver) message, including messages
 * that are doomed because the receiver has no open endpoint or a peer is down
 * (their `deliver` is a no-op), so envelope ids and call counts do not depend
 * on peer state.
 *
 * Each call of `deliver` hands the receiver a fresh copy of the payload,
 * synchronously, running its handlers before `deliver` returns. Never calling
 * it drops the message; calling it twice duplicates it; calling it later
 * delays it; the order of calls across envelopes is the delivery order.
 * `deliver` is a no-op when the receiving endpoint (the one open when the
 * message was sent) has closed, or when either peer was down at any time
 * between the send and this call.
 *
 * A scheduler should not call `deliver` synchronously from within its own
 * invocation (that would run handlers inside `send`), and should not throw (an
 * exception propagates out of `send`, possibly after part of a broadcast was
 * scheduled).
 */
export type DeliveryScheduler = (envelope: Envelope, deliver: () => void) => void;

/** Where a handler error reported to {@link MemoryNetworkInit.onHandlerError} came from. */
export interface HandlerErrorContext {
  /** The endpoint whose handler threw. */
  readonly peer: PeerId;
  /** Which kind of handler threw. */
  readonly kind: 'message' | 'peer-status';
}

/** Options of {@link memoryNetwork}. */
export interface MemoryNetworkInit {
  /** The static membership: distinct, non-empty peer ids. */
  readonly members: readonly PeerId[];
  /** Largest accepted payload, in bytes. Default {@link DEFAULT_MAX_MESSAGE_BYTES} (4 MiB). */
  readonly maxMessageBytes?: number;
  /** Custom delivery. Default: reliable, FIFO, one macrotask later (see {@link memoryNetwork}). */
  readonly schedule?: DeliveryScheduler;
  /**
   * What the endpoints declare in `capabilities`. Defaults: `true`/`true` with
   * the default scheduler, `false`/`false` with a custom one (declare what
   * your scheduler really guarantees).
   */
  readonly capabilities?: Partial<Pick<TransportCapabilities, 'ordered' | 'reliable'>>;
  /**
   * Receives errors thrown by message and peer-status handlers. A throwing
   * handler never stops the other handlers. Without this hook such errors are
   * swallowed; errors thrown by the hook itself are swallowed too.
   */
  readonly onHandlerError?: (error: unknown, context: HandlerErrorContext) => void;
}

/** An in-memory network of {@link Transport} endpoints, created by {@link memoryNetwork}. */
export interface MemoryNetwork {
  /** The static membership (a frozen copy of `init.members`). */
  readonly members: readonly PeerId[];
  /** The capabilities every endpoint of this network declares. */
  readonly capabilities: TransportCapabilities;
  /**
   * Opens the endpoint of member `id`. Throws a `TransportError` with code
   * `TRANSPORT_UNKNOWN_PEER` for a non-member, `TRANSPORT_DUPLICATE_PEER`
   * while another endpoint for `id` is open, and `TRANSPORT_CLOSED` after
   * {@link MemoryNetwork.close}. After the previous endpoint closed, a new one
   * may be opened (a restart); messages in flight to the old one are dropped.
   */
  transport(id: PeerId): Transport;
  /**
   * Takes member `id` down (`false`) or back up (`true`), for fault tests.
   * Messages to and from a down peer are dropped, and so are those in flight
   * when it goes down (even if it is up again at delivery); peers on both sides see
   * `'disconnected'` events; bringing it up emits `'connected'` again. Throws
   * `TRANSPORT_UNKNOWN_PEER` for a non-member.
   */
  setPeerUp(id: PeerId, up: boolean): void;
  /** Whether member `id` is up (every member starts up). */
  isPeerUp(id: PeerId): boolean;
  /** Closes every open endpoint; later {@link MemoryNetwork.transport} calls throw. Idempotent. */
  close(): Promise<void>;
}

/** The default {@link MemoryNetworkInit.maxMessageBytes}: 4 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES: number = 4 * 1024 * 1024;

/**
 * Creates an in-memory network for the given members.
 *
 * The default scheduler delivers each message on its own macrotask, in send
 * order: `setImmediate` where it exists (Node), otherwise a `MessageChannel`
 * (browsers, workers), otherwise `setTimeout(0)`. A macrotask rather than a
 * microtask because two handlers that answer each other would otherwise keep
 * the microtask queue busy forever and starve timers and I/O; `setTimeout(0)`
 * is only the last resort because browsers clamp nested timeouts to 4 ms.
 * Delivery is therefore never synchronous inside `send`.
 *
 * Peer status: opening an endpoint emits `'connected'` to every other open,
 * up endpoint, and the new endpoint gets `'connected'` for each of them;
 * closing one emits `'disconnected'` to the others. `connectedPeers()` changes
 * immediately; the events follow on a later macrotask (they never go through
 * the scheduler). Loopback (`send` to one's own id) is delivered like any
 * other message; `broadcast` never includes self.
 *
 * @example
 * ```ts
 * const net = memoryNetwork({ members: ['a', 'b'] });
 * const a = net.transport('a');
 * const b = net.transport('b');
 * b.onMessage(({ from, bytes }) => console.log(from, bytes));
 * await a.send('b', new Uint8Array([1, 2, 3]));
 * await net.close();
 * ```
 */
export function memoryNetwork(init: MemoryNetworkInit): MemoryNetwork {
  const members = checkMembers(init.members);
  const memberSet = new Set(members);
  const maxMessageBytes = init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 0) {
    throw new RangeError(`init.maxMessageBytes must be a non-negative safe integer, got ${String(maxMessageBytes)}`);
  }
  const schedule: DeliveryScheduler = init.schedule ?? ((_envelope, deliver) => macrotask(deliver));
  const reliableByDefault = init.schedule === undefined;
  const capabilities: TransportCapabilities = Object.freeze({
    ordered: init.capabilities?.ordered ?? reliableByDefault,
    reliable: init.capabilities?.reliable ?? reliableByDefault,
    maxMessageBytes,
  });
  const onHandlerError = init.onHandlerError;

  const open = new Map<PeerId, Endpoint>();
  const down = new Set<PeerId>();
  /** Per peer, how many times it has gone down: a message sent in an earlier epoch is lost. */
  const downEpochs = new Map<PeerId, number>();
  const epochOf = (id: PeerId): number => downEpochs.get(id) ?? 0;
  let nextEnvelopeId = 0;
  let closed = false;

  const reportError = (error: unknown, context: HandlerErrorContext): void => {
    if (onHandlerError === undefined) return;
    try {
      onHandlerError(error, context);
    } catch {
      // The hook must not break delivery either.
    }
  };

  const linked = (a: PeerId, b: PeerId): boolean =>
    a !== b && open.has(a) && open.has(b) && !down.has(a) && !down.has(b);

  /** Brings every open endpoint's connected set in line with reality, emitting the differences. */
  const refreshLinks = (): void => {
    for (const endpoint of open.values()) {
      for (const peer of members) {
        const want = linked(endpoint.localId, peer);
        if (want === endpoint.connected.has(peer)) continue;
        if (want) endpoint.connected.add(peer);
        else endpoint.connected.delete(peer);
        endpoint.emitStatus({ peer, status: want ? 'connected' : 'disconnected' });
      }
    }
  };

  const post = (from: PeerId, to: PeerId, snapshot: Uint8Array): void => {
    const receiver = open.get(to);
    const doomed = receiver === undefined || down.has(from) || down.has(to);
    const fromEpoch = epochOf(from);
    const toEpoch = epochOf(to);
    const envelope: Envelope = Object.freeze({ id: nextEnvelopeId++, from, to, bytes: snapshot });
    schedule(envelope, () => {
      if (doomed || !receiver.isOpen() || epochOf(from) !== fromEpoch || epochOf(to) !== toEpoch) return;
      receiver.receive(from, snapshot.slice());
    });
  };

  const createEndpoint = (localId: PeerId): Endpoint => {
    const messageHandlers = new Set<(message: InboundMessage) => void>();
    const statusHandlers = new Set<(event: PeerStatusEvent) => void>();
    const connected = new Set<PeerId>();
    let isOpen = true;

    const ensureOpen = (): void => {
      if (!isOpen) throw new TransportError('TRANSPORT_CLOSED', `Endpoint "${localId}" is closed.`, { meta: { peer: localId } });
    };
    const checkPayload = (bytes: Uint8Array): void => {
      assertBytes(bytes, 'bytes');
      if (bytes.length > maxMessageBytes) throw new MessageTooLargeError(bytes.length, maxMessageBytes);
    };
    const dispatch = <T>(handlers: Set<(value: T) => void>, value: T, kind: HandlerErrorContext['kind']): void => {
      for (const handler of [...handlers]) {
        if (!isOpen) return;
        if (!handlers.has(handler)) continue;
        try {
          handler(value);
        } catch (error) {
          reportError(error, { peer: localId, kind });
        }
      }
    };
    const subscribe = <T>(handlers: Set<(value: T) => void>, handler: (value: T) => void): Unsubscribe => {
      if (typeof handler !== 'function') throw new TypeError('handler must be a function');
      const wrapped = (value: T): void => handler(value); // distinct per subscription
      if (isOpen) handlers.add(wrapped);
      return () => {
        handlers.delete(wrapped);
      };
    };

    const transport: Transport = {
      localId,
      members,
      capabilities,
      async send(to, bytes) {
        ensureOpen();
        if (!memberSet.has(to)) {
          throw new TransportError('TRANSPORT_UNKNOWN_PEER', `"${String(to)}" is not a member of this network.`, {
            meta: { peer: to },
          });
        }
        checkPayload(bytes);
        post(localId, to, bytes.slice());
      },
      async broadcast(bytes) {
        ensureOpen();
        checkPayload(bytes);
        const snapshot = bytes.slice();
        for (const peer of members) if (peer !== localId) post(localId, peer, snapshot);
      },
      onMessage: (handler) => subscribe(messageHandlers, handler),
      onPeerStatus: (handler) => subscribe(statusHandlers, handler),
      connectedPeers: () => members.filter((peer) => connected.has(peer)),
      async close() {
        if (!isOpen) return;
        isOpen = false;
        messageHandlers.clear();
        statusHandlers.clear();
        connected.clear();
        if (open.get(localId) === endpoint) open.delete(localId);
        refreshLinks();
      },
    };

    const endpoint: Endpoint = {
      localId,
      connected,
      transport,
      isOpen: () => isOpen,
      receive(from, bytes) {
        dispatch(messageHandlers, Object.freeze({ from, bytes }), 'message');
      },
      emitStatus(event) {
        const frozen = Object.freeze(event);
        macrotask(() => dispatch(statusHandlers, frozen, 'peer-status'));
      },
    };
    return endpoint;
  };

  return {
    members,
    capabilities,
    transport(id) {
      if (closed) throw new TransportError('TRANSPORT_CLOSED', 'The memory network is closed.');
      if (!memberSet.has(id)) {
        throw new TransportError('TRANSPORT_UNKNOWN_PEER', `"${String(id)}" is not a member of this network.`, {
          meta: { peer: id },
        });
      }
      if (open.has(id)) {
        throw new TransportError('TRANSPORT_DUPLICATE_PEER', `An endpoint for "${id}" is already open.`, {
          meta: { peer: id },
        });
      }
      const endpoint = createEndpoint(id);
      open.set(id, endpoint);
      refreshLinks();
      return endpoint.transport;
    },
    setPeerUp(id, up) {
      if (!memberSet.has(id)) {
        throw new TransportError('TRANSPORT_UNKNOWN_PEER', `"${String(id)}" is not a member of this network.`, {
          meta: { peer: id },
        });
      }
      if (up) down.delete(id);
      else if (!down.has(id)) {
        down.add(id);
        downEpochs.set(id, epochOf(id) + 1);
      }
      refreshLinks();
    },
    isPeerUp: (id) => memberSet.has(id) && !down.has(id),
    async close() {
      closed = true;
      await Promise.all([...open.values()].map((endpoint) => endpoint.transport.close()));
    },
  };
}

/** The network's private view of one open endpoint. */
interface Endpoint {
  readonly localId: PeerId;
  /** Peers this endpoint currently reports as connected. */
  readonly connected: Set<PeerId>;
  readonly transport: Transport;
  isOpen(): boolean;
  /** Runs the message handlers now, synchronously. */
  receive(from: PeerId, bytes: Uint8Array): void;
  /** Runs the peer-status handlers on a later macrotask. */
  emitStatus(event: PeerStatusEvent): void;
}

function checkMembers(members: readonly PeerId[]): readonly PeerId[] {
  if (!Array.isArray(members)) throw new TypeError('init.members must be an array of peer ids');
  if (members.length === 0) throw new RangeError('init.members must not be empty');
  const seen = new Set<PeerId>();
  for (const id of members) {
    if (typeof id !== 'string' || id.length === 0) {
      throw new TypeError(`init.members must hold non-empty strings, got ${JSON.stringify(id)}`);
    }
    if (seen.has(id)) throw new RangeError(`init.members must be distinct, "${id}" appears twice`);
    seen.add(id);
  }
  return Object.freeze([...members]);
}

/** Runs a task on a later macrotask, FIFO (see {@link memoryNetwork} for the choice of primitive). */
const macrotask: (task: () => void) => void = pickMacrotask();

function pickMacrotask(): (task: () => void) => void {
  const g = globalThis as { setImmediate?: (task: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    return (task) => {
      (g.setImmediate as (task: () => void) => unknown)(task);
    };
  }
  if (typeof MessageChannel === 'function') {
    const queue: Array<() => void> = [];
    let channel: MessageChannel | undefined;
    return (task) => {
      if (channel === undefined) {
        channel = new MessageChannel();
        channel.port1.onmessage = () => queue.shift()?.();
      }
      queue.push(task);
      channel.port2.postMessage(null);
    };
  }
  return (task) => {
    setTimeout(task, 0);
  };
}
