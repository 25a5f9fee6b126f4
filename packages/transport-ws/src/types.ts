/**
 * The public types of `@admitone/transport-ws`, shared by the Node and the
 * browser entry (both export the same API).
 * @module
 */
import type { Clock, CryptoProvider, Logger, PeerId, Random, Transport } from '@admitone/core';

/** One member of the static membership. */
export interface WebSocketMember {
  /** The member's peer id: a non-empty string of at most {@link MAX_PEER_ID_LENGTH} characters, distinct across members. */
  readonly id: PeerId;
  /** The member's Ed25519 public key (32 bytes), distinct across members. */
  readonly publicKey: Uint8Array;
  /**
   * Where the member accepts connections (`ws://` or `wss://`). Omit it for a
   * member that only dials out (a browser). See {@link webSocketTransport} for
   * who dials whom.
   */
  readonly url?: string;
}

/**
 * Listen on a host and port (Node only). The transport owns and closes the
 * server it creates, and bounds how long a connection may take to send its
 * HTTP upgrade request by `handshakeTimeoutMs` (the server's
 * `headersTimeout`, `requestTimeout` and idle socket timeout), and how many
 * such connections it holds by the pending-handshake limits (see
 * {@link WebSocketTransportInit.maxPendingHandshakes}). A request that is not
 * an upgrade is answered 426 and its connection closed.
 */
export interface ListenAddress {
  /** Interface to bind, e.g. `'127.0.0.1'`. Default: all interfaces. */
  readonly host?: string;
  /** TCP port; `0` picks a free one (read it back from {@link WebSocketTransport.address}). */
  readonly port: number;
  /**
   * Accept upgrade requests for this exact pathname only (e.g. `'/admitone'`;
   * the query string is ignored) and answer others with 404. Default: any
   * path. Members then list the url with the path, e.g.
   * `ws://10.0.0.1:7000/admitone`.
   */
  readonly path?: string;
}

/**
 * Accept connections on an existing Node `http.Server` or `https.Server` (Node
 * only), for example one that also serves an HTTP API. On `close()` the
 * transport detaches and closes its own sockets but leaves the server to its
 * owner.
 *
 * Sharing the server with another WebSocket service: give this endpoint a
 * {@link ListenServer.path} and let the other service handle only its own
 * paths. The endpoint leaves alone every upgrade request for another path,
 * and every upgrade that an earlier `'upgrade'` listener already took
 * (started reading, answered, ended or destroyed). Note that `ws`'s
 * `new WebSocketServer({ server, path })` answers 400 to every *other* path,
 * so it cannot share a server with anything: give such a service
 * `noServer: true` and call its `handleUpgrade` for its own path only.
 *
 * Slow clients: the server's owner sets its timeouts. Node's defaults let a
 * client take 60 s (`headersTimeout`) to send the upgrade request, and keep an
 * idle connection that sends nothing at all, before `handshakeTimeoutMs`
 * starts counting; set `server.headersTimeout`, `server.requestTimeout` and
 * `server.timeout` (socket idle timeout, which `ws` clears on upgrade) to bound them
 * where the server faces untrusted clients.
 *
 * Connections that have not sent an upgrade request are the owner's to
 * bound, too: the endpoint's pending-handshake limits count upgrade requests
 * only, so one address can hold as many idle TCP connections as the server
 * accepts. Cap them with a firewall or a proxy in front, or with
 * `server.maxConnections` (which counts every connection the server holds,
 * upgraded ones included, so leave room for the members).
 */
export interface ListenServer {
  /** The server whose `'upgrade'` requests this endpoint accepts. */
  readonly server: HttpUpgradeServer;
  /**
   * Accept upgrade requests for this exact pathname only (e.g. `'/admitone'`;
   * the query string is ignored), and leave the others to the server's other
   * `'upgrade'` listeners. Default: every upgrade request not already taken
   * by an earlier listener.
   */
  readonly path?: string;
}

/** Where a Node endpoint accepts connections. Browsers cannot listen. */
export type ListenOptions = ListenAddress | ListenServer;

/**
 * The part of a Node `http.Server`/`https.Server` the transport uses, typed
 * structurally so that this package's types do not depend on `@types/node`.
 */
export interface HttpUpgradeServer {
  /** Subscribes to HTTP upgrade requests. */
  on(event: 'upgrade', listener: (request: unknown, socket: unknown, head: unknown) => void): unknown;
  /** Unsubscribes from HTTP upgrade requests. */
  off(event: 'upgrade', listener: (request: unknown, socket: unknown, head: unknown) => void): unknown;
  /** The bound address (`net.Server#address()`), used for {@link WebSocketTransport.address}. */
  address(): unknown;
}

/** Reconnection delays for the peers this endpoint dials (jittered exponential backoff). */
export interface ReconnectOptions {
  /** The base delay before the first retry, in ms. */
  readonly minMs: number;
  /** The cap on the base delay, in ms (≥ `minMs`). */
  readonly maxMs: number;
}

/** What happens when a peer's send queue is full. */
export type QueuePolicy = 'reject' | 'drop-oldest';

/** Bounds of each peer's send queue. */
export interface SendQueueOptions {
  /** Most messages queued per peer. */
  readonly maxMessages?: number;
  /** Most payload bytes queued per peer (≥ `maxMessageBytes`). */
  readonly maxBytes?: number;
  /**
   * `'reject'`: `send` rejects with `TRANSPORT_QUEUE_FULL` and nothing is
   * queued (a `broadcast` is all-or-nothing); `'drop-oldest'`: the oldest
   * queued messages are dropped to make room and counted in
   * {@link WebSocketTransportStats.droppedMessages}.
   */
  readonly policy?: QueuePolicy;
}

/** Options of {@link webSocketTransport}. */
export interface WebSocketTransportInit {
  /** This endpoint's peer id; it must appear in `members`. */
  readonly localId: PeerId;
  /** This endpoint's Ed25519 secret key (the 32-byte seed); it must match its member's `publicKey`. */
  readonly secretKey: Uint8Array;
  /** The static membership, including this endpoint. */
  readonly members: readonly WebSocketMember[];
  /** Accept connections (Node only). Without it the endpoint only dials. */
  readonly listen?: ListenOptions;
  /** Signs and verifies handshakes. Default: `defaultCrypto()` from `@admitone/core`. */
  readonly crypto?: CryptoProvider;
  /** Time and timers (heartbeats, backoff, timeouts). Default: `systemClock()`. */
  readonly clock?: Clock;
  /** Handshake nonces and backoff jitter. Default: `systemRandom()`. */
  readonly random?: Random;
  /** Receives connection events and rejection reasons. Default: `silentLogger()`. */
  readonly logger?: Logger;
  /** Largest payload, in bytes, sent or accepted. Default {@link DEFAULT_WS_MAX_MESSAGE_BYTES} (4 MiB). */
  readonly maxMessageBytes?: number;
  /** Interval between heartbeat pings on a live connection, in ms (at most 2^30 − 1). Default 5,000. */
  readonly heartbeatMs?: number;
  /**
   * A connection that receives nothing for this long is dropped, in ms. At
   * least 2 × `heartbeatMs` (a smaller value drops healthy connections; a
   * `RangeError` names both options). Default 3 × `heartbeatMs`. In Node any
   * received bytes count, also part of a message still arriving; browsers
   * only see whole messages, so there one message must arrive within this
   * time (on a slow link, allow `maxMessageBytes` / link rate).
   */
  readonly heartbeatTimeoutMs?: number;
  /** A connection that has not completed its handshake after this long is dropped, in ms. Default 10,000. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Most *pending handshakes* a listener holds at once: connections it
   * accepted that have not authenticated yet (a positive integer; used only
   * with `listen`). Further upgrade requests are refused with HTTP 503 before
   * the WebSocket upgrade, so a refusal costs no key pair; each is counted in
   * {@link WebSocketTransportStats.pendingLimitRefusals} and logged as a
   * warning with reason `'pending handshake limit'` (under a flood, at most
   * one warning a second, carrying the number not logged). A connection
   * stops counting once it authenticates, or once its socket is gone: after
   * its handshake failed or timed out (the listener closes it, and drops it
   * after 1 s if the client does not answer the close), or the client left.
   * Authenticated connections are not limited by this: the membership bounds
   * them.
   *
   * Default 256. A legitimate handshake takes a few round trips, so even
   * hundreds of members (gate scanners) reconnecting at once after an outage
   * fit, and one that is refused retries with backoff. An attacker who fills
   * the budget (from at least 16 addresses, see
   * {@link WebSocketTransportInit.maxPendingHandshakesPerAddress}) holds 256
   * sockets, key pairs and timers: a small share of a process's file
   * descriptors (commonly 1,024 or more). Memory: in Node, a connection
   * whose peer sends more than 16 KiB (WebSocket framing included) before
   * its `AUTH` verified is dropped while those bytes arrive, so `ws` buffers
   * at most about 80 KiB for each (the 16 KiB and one 64 KiB socket read),
   * about 20 MiB for 256, whatever `maxMessageBytes` is.
   *
   * On a server the endpoint creates (`listen: { host, port }`), the same
   * two limits also apply, separately, to TCP connections that have not sent
   * their upgrade request yet, from the server's `'connection'` event until
   * that request arrives (the connection then takes a pending-handshake slot
   * instead) or the socket closes: beyond them a new TCP connection is
   * destroyed at once, before anything is read from it, counted in
   * {@link WebSocketTransportStats.connectionLimitDrops} and logged with the
   * same warning (limit `'tcp-total'` or `'tcp-per-address'`). So one
   * address holds at most 2 × `maxPendingHandshakesPerAddress` sockets that
   * have not authenticated (32 by default), and the listener 2 ×
   * `maxPendingHandshakes` (512), besides refused upgrade requests while
   * their 503 or 404 is written. A member's dial sends its upgrade request as
   * soon as it connects, so the same numbers leave it as much room in that
   * phase as in the handshake, and members behind one NAT address need room
   * in both. A server passed as `listen: { server }` is not limited this way
   * (see {@link ListenServer}).
   */
  readonly maxPendingHandshakes?: number;
  /**
   * Most pending handshakes (see {@link WebSocketTransportInit.maxPendingHandshakes})
   * from one remote IP address, and likewise of TCP connections before their
   * upgrade request on the endpoint's own server: a positive integer, at most
   * `maxPendingHandshakes` (a `RangeError` names both). An IPv4-mapped IPv6
   * address (`::ffff:1.2.3.4`) counts as the IPv4 address.
   *
   * Default 16, or `maxPendingHandshakes` if that is smaller. One host then
   * takes at most a sixteenth of the default budget and cannot starve
   * members connecting from elsewhere, while members behind one NAT address
   * (a venue's Wi-Fi) still have 16 handshakes in flight at a time (each
   * takes milliseconds on a LAN; the rest retry with backoff). Raise it when
   * many members share one address and must reconnect together. An attacker
   * with many addresses (an IPv6 prefix, a botnet) is held by
   * `maxPendingHandshakes` alone.
   */
  readonly maxPendingHandshakesPerAddress?: number;
  /** Backoff between dials to an unreachable peer. Default `{ minMs: 100, maxMs: 5_000 }`. */
  readonly reconnect?: ReconnectOptions;
  /** Per-peer send queue bounds. Default `{ maxMessages: 10_000, maxBytes: max(32 MiB, maxMessageBytes), policy: 'drop-oldest' }`. */
  readonly sendQueue?: SendQueueOptions;
}

/** Counters of a {@link WebSocketTransport}, for metrics and tests. */
export interface WebSocketTransportStats {
  /** Messages currently queued, over all peers. */
  readonly queuedMessages: number;
  /** Payload bytes currently queued, over all peers. */
  readonly queuedBytes: number;
  /** Messages dropped by the `'drop-oldest'` policy since the endpoint opened. */
  readonly droppedMessages: number;
  /**
   * Connections closed because their handshake failed (bad signature, unknown
   * or wrong id, an oversized or extra frame, in Node more than 16 KiB before
   * the peer's AUTH verified, timeout, …).
   */
  readonly rejectedHandshakes: number;
  /** Authenticated connections closed for a protocol violation (garbage or oversized frame, in Node also one `ws` refused). */
  readonly protocolErrors: number;
  /** Connections accepted by this endpoint's listener that have not authenticated yet (now). */
  readonly pendingHandshakes: number;
  /**
   * Upgrade requests refused with HTTP 503 because `maxPendingHandshakes` or
   * `maxPendingHandshakesPerAddress` was reached, since the endpoint opened.
   */
  readonly pendingLimitRefusals: number;
  /**
   * TCP connections to the server this endpoint created that have not sent
   * their upgrade request yet (now; always 0 with `listen: { server }`).
   */
  readonly connectionsBeforeUpgrade: number;
  /**
   * TCP connections to the server this endpoint created that were destroyed
   * as they were accepted, with no answer, because `maxPendingHandshakes` or
   * `maxPendingHandshakesPerAddress` connections (in all, or from their
   * address) had not sent their upgrade request yet, since the endpoint opened.
   * Not included in {@link WebSocketTransportStats.pendingLimitRefusals}.
   */
  readonly connectionLimitDrops: number;
}

/** A {@link Transport} over WebSockets, created by {@link webSocketTransport}. */
export interface WebSocketTransport extends Transport {
  /**
   * The `ws://host:port` URL this endpoint listens on (with the actual port
   * when `listen.port` was 0), or `undefined` when it does not listen.
   */
  readonly address: string | undefined;
  /** A snapshot of the endpoint's counters. */
  stats(): WebSocketTransportStats;
}

/** The default {@link WebSocketTransportInit.maxMessageBytes}: 4 MiB. */
export const DEFAULT_WS_MAX_MESSAGE_BYTES: number = 4 * 1024 * 1024;

/** The longest accepted peer id, in UTF-16 code units. */
export const MAX_PEER_ID_LENGTH: number = 256;

