/**
 * The `Transport` seam: authenticated point-to-point messages between known
 * peer ids.
 * @module
 */

/**
 * A peer's identity on a transport: a stable, printable string. For network
 * transports it is derived from (or bound to) the peer's Ed25519 key, and the
 * transport guarantees that a message delivered "from" a peer id really came
 * from that peer.
 */
export type PeerId = string;

/** What a transport promises. Consensus and tests adapt to these. */
export interface TransportCapabilities {
  /** Messages from one sender to one receiver arrive in send order (when they arrive). */
  readonly ordered: boolean;
  /** Messages between live, connected peers are never lost or duplicated. */
  readonly reliable: boolean;
  /** Largest message accepted by `send`/`broadcast`, in bytes. */
  readonly maxMessageBytes: number;
}

/** A received message. */
export interface InboundMessage {
  /** The authenticated sender. */
  readonly from: PeerId;
  /** The payload, byte-exact; the receiver owns this array. */
  readonly bytes: Uint8Array;
}

/** Peer status notifications. */
export interface PeerStatusEvent {
  readonly peer: PeerId;
  readonly status: 'connected' | 'disconnected';
}

/** Unsubscribes a handler. */
export type Unsubscribe = () => void;

/**
 * Authenticated point-to-point messaging among a static membership.
 *
 * Contract (checked by `transportCompliance()` from `@admitone/core/compliance`):
 * - `send` copies the payload before returning; later mutation by the caller
 *   does not change what is delivered;
 * - a payload larger than `capabilities.maxMessageBytes` is rejected with
 *   `MessageTooLargeError` (code `TRANSPORT_MESSAGE_TOO_LARGE`), and nothing is
 *   sent; payloads up to the limit arrive byte-exact (framing is the
 *   transport's job);
 * - sending to a peer id outside the membership rejects with code
 *   `TRANSPORT_UNKNOWN_PEER`;
 * - `broadcast` sends to every other member (never to self);
 * - after `close()` resolves, sends reject with code `TRANSPORT_CLOSED`, no
 *   handler is called again, and every socket/timer is released; `close()` is
 *   idempotent;
 * - a handler that throws does not break delivery to other handlers.
 */
export interface Transport {
  /** This endpoint's own peer id. */
  readonly localId: PeerId;
  /** The static membership, including `localId`. */
  readonly members: readonly PeerId[];
  /** What this transport promises. */
  readonly capabilities: TransportCapabilities;
  /** Sends `bytes` to one peer. Resolves once the message is accepted for delivery. */
  send(to: PeerId, bytes: Uint8Array): Promise<void>;
  /** Sends `bytes` to every other member. */
  broadcast(bytes: Uint8Array): Promise<void>;
  /** Subscribes to inbound messages. */
  onMessage(handler: (message: InboundMessage) => void): Unsubscribe;
  /** Subscribes to peer connect/disconnect events. */
  onPeerStatus(handler: (event: PeerStatusEvent) => void): Unsubscribe;
  /** Peers currently believed reachable (excluding self). */
  connectedPeers(): PeerId[];
  /** Closes the endpoint. Idempotent. */
  close(): Promise<void>;
}
