/**
 * `@admitone/transport-ws`: the AdmitOne `Transport` over WebSockets,
 * with an Ed25519-authenticated, forward-secret key exchange and every later
 * frame sealed with ChaCha20-Poly1305.
 *
 * One package, two runtimes chosen by conditional exports: under the `node`
 * (and `default`) condition it runs on `ws` and can listen; under `browser`
 * it uses the native `WebSocket` and only dials. Both entries export the same
 * API; framing, the handshake, heartbeats, queues and reconnection are shared.
 *
 * - **Membership** is static: every member has an id and an Ed25519 public
 *   key, and a member that accepts connections has a `url`.
 * - **Authentication and secrecy**: each connection starts with a handshake
 *   in which both sides sign a transcript binding both ids, fresh nonces and
 *   fresh x25519 keys from both sides; unknown ids, bad signatures, replayed
 *   handshakes and impersonation of the local id are refused, and nothing
 *   from such a connection reaches handlers. Every later frame is sealed with
 *   ChaCha20-Poly1305 under keys from that exchange.
 * - **Delivery**: `ordered: true` (per sender, as sent), `reliable: false`
 *   (messages queued for a peer that does not come back, or in flight when a
 *   connection drops, are lost; PBFT retransmits what it needs).
 *
 * @example
 * ```ts
 * import { defaultCrypto, systemRandom } from '@admitone/core';
 * import { webSocketTransport } from '@admitone/transport-ws';
 *
 * const crypto = await defaultCrypto();
 * const secretKey = systemRandom().bytes(32);
 * const transport = await webSocketTransport({
 *   localId: 'gate-1',
 *   secretKey,
 *   members: [
 *     { id: 'gate-1', publicKey: await crypto.getPublicKey(secretKey), url: 'ws://10.0.0.1:7000' },
 *     { id: 'gate-2', publicKey: gate2PublicKey, url: 'ws://10.0.0.2:7000' },
 *   ],
 *   listen: { host: '0.0.0.0', port: 7000 },
 * });
 * transport.onMessage(({ from, bytes }) => console.log(from, bytes.length));
 * await transport.send('gate-2', new Uint8Array([1, 2, 3]));
 * await transport.close();
 * ```
 * @packageDocumentation
 */
import { openEndpoint } from './endpoint.js';
import { nodePlatform } from './node/platform.js';
import type { WebSocketTransport, WebSocketTransportInit } from './types.js';

export {
  DEFAULT_WS_MAX_MESSAGE_BYTES,
  MAX_PEER_ID_LENGTH,
  type HttpUpgradeServer,
  type ListenAddress,
  type ListenOptions,
  type ListenServer,
  type QueuePolicy,
  type ReconnectOptions,
  type SendQueueOptions,
  type WebSocketMember,
  type WebSocketTransport,
  type WebSocketTransportInit,
  type WebSocketTransportStats,
} from './types.js';

/**
 * Opens a WebSocket endpoint for `init.localId`. Resolves once the endpoint
 * listens (when `init.listen` is given); connections to peers are made in the
 * background, so watch `onPeerStatus` or `connectedPeers()` to know when a peer is reachable.
 *
 * **Who dials whom.** For each pair of members, exactly one side dials: a
 * member with a `url` is dialed by one without (browsers always dial); when
 * both have urls, the smaller id (UTF-16 order) dials. A dialer reconnects
 * with jittered exponential backoff after a failure or a drop. There is at
 * most one live connection per pair: a new authenticated connection from the
 * same side replaces the old one (a restart), and if both sides ever dial,
 * both keep the connection dialed by the side the rule prefers.
 *
 * **Handshake** (protocol `admitone/ws/v2`). Both sides send a fresh 32-byte
 * nonce and a fresh x25519 public key, then each signs
 * `['admitone/ws-handshake/v2', dialerId, listenerId, dialerNonce,
 * listenerNonce, dialerEphemeral, listenerEphemeral, role]` (canonical CBOR)
 * with its Ed25519 key, and the other verifies it against the listed public
 * key. A failure (unknown or unexpected id, the local id, another protocol
 * version, a bad or replayed signature, a low-order key, an oversized or
 * extra frame before the peer's signature verified, a timeout) closes the
 * connection with a logged reason and counts in
 * {@link WebSocketTransportStats.rejectedHandshakes}.
 *
 * **Secure channel.** Both sides then derive two keys (one per direction)
 * from the x25519 exchange with HKDF-SHA256, and every later frame, starting
 * with a `READY` that confirms the keys, is sealed with ChaCha20-Poly1305
 * under a per-direction counter nonce. An on-path attacker cannot read, forge,
 * alter, replay, reorder or reflect a frame: one that does not open closes the
 * connection. The ephemeral secrets are wiped once the keys are derived and
 * the keys when the connection closes (forward secrecy). `wss://` is not
 * needed for integrity or confidentiality (browsers on `https://` pages still
 * need it).
 *
 * **Framing and limits.** Each binary WebSocket message carries one typed
 * frame. `send`/`broadcast` copy the payload, and reject one larger than
 * `maxMessageBytes` with `MessageTooLargeError` (nothing is sent). A peer
 * that sends an oversized, malformed or text frame is disconnected (logged,
 * counted in {@link WebSocketTransportStats.protocolErrors}).
 *
 * **Listening** (Node). `listen: { host, port }` creates a server that also
 * bounds how long a client may take to send its upgrade request
 * (`handshakeTimeoutMs`); `listen: { server }` shares an existing
 * `http.Server`/`https.Server`, whose timeouts stay its owner's. With
 * `listen.path`, only upgrade requests for that exact path are accepted (the
 * members' urls then carry the path); without it, every upgrade request that
 * an earlier `'upgrade'` listener did not take. See {@link ListenServer}.
 * A listener holds at most `maxPendingHandshakes` (default 256) connections
 * that have not authenticated yet, at most `maxPendingHandshakesPerAddress`
 * (default 16) of them from one IP address; further upgrade requests are
 * refused with HTTP 503 before any key pair is made, logged and counted in
 * {@link WebSocketTransportStats.pendingLimitRefusals}. On its own server,
 * the same limits bound the TCP connections that have not sent their upgrade
 * request yet: beyond them a new connection is destroyed as it is accepted,
 * logged and counted in {@link WebSocketTransportStats.connectionLimitDrops}.
 * See {@link WebSocketTransportInit.maxPendingHandshakes}.
 *
 * **Liveness.** Live connections exchange application-level pings every
 * `heartbeatMs`; one silent for `heartbeatTimeoutMs` (at least 2 ×
 * `heartbeatMs`) is dropped, which emits `'disconnected'` (`'connected'` is
 * emitted after a handshake). In Node any received bytes count as a sign of
 * life, also those of a large message still arriving; browsers only see whole
 * messages, so there each message must arrive within `heartbeatTimeoutMs`.
 * A dialer's backoff restarts from `reconnect.minMs` only after a connection
 * that lasted at least `reconnect.maxMs`, so a peer that drops each
 * connection right after its handshake is redialed ever more slowly.
 *
 * **Backpressure.** Each peer has a bounded queue. A message waits there while
 * the peer is not connected or its socket holds more than 1 MiB unsent; when
 * the queue is full, `'reject'` rejects with `TRANSPORT_QUEUE_FULL` and
 * `'drop-oldest'` (the default) drops the oldest queued messages.
 * `send` resolves once the message is sent or queued.
 *
 * **Delivery.** `capabilities` is `{ ordered: true, reliable: false }`: a
 * receiver gets each sender's messages at most once and in send order, but
 * messages in flight when a connection drops, dropped from a full queue, or
 * queued for a peer that never reconnects are lost. A `send` to the local id
 * is delivered locally on a later task.
 *
 * **Validation.** Bad init throws (the promise rejects with) `TypeError` or
 * `RangeError` naming the field: duplicate ids or public keys, a missing
 * local member, wrong key lengths, a non-`ws(s)://` url, `listen` in a
 * browser, a `listen.path` that is not a pathname, `heartbeatTimeoutMs` below
 * 2 × `heartbeatMs`, a pending-handshake limit that is not a positive integer
 * or a `maxPendingHandshakesPerAddress` above `maxPendingHandshakes`. A `secretKey` that does not match the local member's `publicKey`
 * rejects with `CryptoError` (`CRYPTO_INVALID_KEY`); a failure to listen with
 * `TransportError` (`TRANSPORT_IO`).
 *
 * `close()` stops timers, closes every socket (dropping any that does not
 * finish its close within a second) and the server it created, wipes the
 * endpoint's copy of `secretKey` (not the caller's), then resolves.
 */
export function webSocketTransport(init: WebSocketTransportInit): Promise<WebSocketTransport> {
  return openEndpoint(init, nodePlatform);
}
