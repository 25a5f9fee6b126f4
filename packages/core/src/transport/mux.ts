/**
 * Named channels over one {@link Transport}: several protocols (an MPC engine,
 * a committee's coordination messages, a DKG) share one authenticated
 * connection per peer without seeing each other's messages.
 *
 * Each channel prefixes its payloads with its name (one length byte, then the
 * UTF-8 name). A channel is itself a {@link Transport}: it keeps the inner
 * transport's membership, sender authentication and ordering, and lowers
 * `maxMessageBytes` by the prefix. Closing a channel detaches it without
 * closing the inner transport or the other channels.
 * @module
 */
import { equalBytes, utf8ToBytes } from '../bytes/index.js';
import { MessageTooLargeError, TransportError } from '../errors/index.js';
import type { InboundMessage, PeerId, PeerStatusEvent, Transport, Unsubscribe } from './types.js';

/** Channels over one transport; see {@link multiplexTransport}. */
export interface TransportMultiplexer {
  /**
   * Opens the channel `name` (1–255 UTF-8 bytes). Both ends must use the same
   * name. Opening a name that is already open throws `TypeError`.
   */
  channel(name: string): Transport;
  /** Messages that named no open channel (or were too short to name one). */
  readonly dropped: number;
  /** Detaches from the inner transport and closes every open channel. Does not close the inner transport. */
  close(): Promise<void>;
}

/**
 * Multiplexes named channels over `inner`.
 *
 * @example
 * ```ts
 * const mux = multiplexTransport(transport);
 * const mpc = mux.channel('mpc');
 * const control = mux.channel('committee');
 * ```
 */
export function multiplexTransport(inner: Transport): TransportMultiplexer {
  const channels = new Map<string, { prefix: Uint8Array; deliver: (m: InboundMessage) => void; peer: (e: PeerStatusEvent) => void; close: () => void }>();
  let dropped = 0;
  const offMessage = inner.onMessage((message) => {
    const bytes = message.bytes;
    const length = bytes[0];
    if (length === undefined || length === 0 || bytes.length < 1 + length) {
      dropped += 1;
      return;
    }
    for (const entry of channels.values()) {
      if (entry.prefix.length === 1 + length && equalBytes(entry.prefix, bytes.subarray(0, 1 + length))) {
        entry.deliver({ from: message.from, bytes: bytes.slice(1 + length) });
        return;
      }
    }
    dropped += 1;
  });
  const offPeer = inner.onPeerStatus((event) => {
    for (const entry of channels.values()) entry.peer(event);
  });

  return {
    get dropped() {
      return dropped;
    },
    channel(name: string): Transport {
      if (typeof name !== 'string') throw new TypeError('channel name must be a string');
      const nameBytes = utf8ToBytes(name);
      if (nameBytes.length === 0 || nameBytes.length > 255) throw new RangeError('channel name must be 1–255 UTF-8 bytes');
      if (channels.has(name)) throw new TypeError(`channel "${name}" is already open`);
      const prefix = new Uint8Array(1 + nameBytes.length);
      prefix[0] = nameBytes.length;
      prefix.set(nameBytes, 1);
      const limit = inner.capabilities.maxMessageBytes - prefix.length;
      const messageHandlers = new Set<(m: InboundMessage) => void>();
      const peerHandlers = new Set<(e: PeerStatusEvent) => void>();
      let closed = false;

      const frame = (bytes: Uint8Array): Uint8Array => {
        if (closed) throw new TransportError('TRANSPORT_CLOSED', 'The channel is closed.');
        if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
        if (bytes.length > limit) throw new MessageTooLargeError(bytes.length, limit);
        const framed = new Uint8Array(prefix.length + bytes.length);
        framed.set(prefix, 0);
        framed.set(bytes, prefix.length);
        return framed;
      };
      const invokeAll = <T>(handlers: Set<(value: T) => void>, value: T): void => {
        for (const handler of [...handlers]) {
          if (closed) return;
          try {
            handler(value);
          } catch {
            // A throwing handler must not break delivery to the others (the Transport contract).
          }
        }
      };
      const close = (): void => {
        closed = true;
        messageHandlers.clear();
        peerHandlers.clear();
        channels.delete(name);
      };
      channels.set(name, {
        prefix,
        deliver: (m) => invokeAll(messageHandlers, m),
        peer: (e) => invokeAll(peerHandlers, e),
        close,
      });

      const channel: Transport = {
        localId: inner.localId,
        members: inner.members,
        capabilities: { ...inner.capabilities, maxMessageBytes: limit },
        async send(to: PeerId, bytes: Uint8Array): Promise<void> {
          await inner.send(to, frame(bytes));
        },
        async broadcast(bytes: Uint8Array): Promise<void> {
          await inner.broadcast(frame(bytes));
        },
        onMessage(handler: (message: InboundMessage) => void): Unsubscribe {
          if (closed) return () => {};
          messageHandlers.add(handler);
          return () => messageHandlers.delete(handler);
        },
        onPeerStatus(handler: (event: PeerStatusEvent) => void): Unsubscribe {
          if (closed) return () => {};
          peerHandlers.add(handler);
          return () => peerHandlers.delete(handler);
        },
        connectedPeers: () => inner.connectedPeers(),
        async close(): Promise<void> {
          close();
        },
      };
      return channel;
    },
    async close(): Promise<void> {
      offMessage();
      offPeer();
      for (const entry of [...channels.values()]) entry.close();
    },
  };
}
