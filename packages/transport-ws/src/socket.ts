/**
 * The small socket abstraction the platform-neutral transport runs on. The
 * Node entry implements it on `ws`, the browser entry on the native
 * `WebSocket`; everything else (framing, handshake, queues, heartbeats,
 * reconnection) is shared.
 * @module
 */
import type { Logger } from '@admitone/core';
import type { Aead, KeyAgreement } from './channel.js';
import type { Admission, PendingSlot } from './pending-handshakes.js';
import type { ListenOptions } from './types.js';

/** Callbacks a platform socket reports to. Each is called on its own task, never inside a method call. */
export interface SocketHandlers {
  /** The socket is open (dialed sockets only; accepted sockets start open). */
  open(): void;
  /** One WebSocket message: bytes for a binary message, `'text'` for a text message (always a protocol error here). */
  message(data: Uint8Array | 'text'): void;
  /** The socket closed; called once, last. */
  close(code: number, reason: string): void;
  /** A socket-level error; `close` follows. */
  error(error: unknown): void;
  /** A hint that `bufferedAmount()` may have dropped (Node calls it after each write; browsers never do). */
  writable(): void;
  /**
   * `bytes` raw bytes arrived (WebSocket framing included), possibly the
   * middle of a message still arriving: a sign of life, and counted against
   * the budget of an unauthenticated peer (`MAX_BYTES_BEFORE_AUTH`). Node
   * calls it for each chunk read from the TCP socket after the upgrade;
   * browsers, which only see whole messages, never do. Called often: keep it
   * cheap, and it must not throw.
   */
  activity(bytes: number): void;
  /**
   * The platform refused a frame larger than its `maxFrameBytes` before
   * buffering it (Node: `ws`'s `maxPayload`, which then closes with 1009);
   * `close` follows. Browsers enforce no limit, so never call it.
   */
  oversized(): void;
}

/** A WebSocket as the shared code sees it. */
export interface RawSocket {
  /** Bytes accepted by `send` and not yet written to the network. */
  bufferedAmount(): number;
  /** Sends one binary message. Must not be called before `open`; may throw when the socket is closing. */
  send(frame: Uint8Array): void;
  /** Starts a graceful close (`code` is 1000 or 4000–4999). Idempotent. */
  close(code: number, reason: string): void;
  /** Drops the connection at once (browsers: same as `close`). */
  terminate(): void;
}

/** Binds handlers to an accepted socket and returns it; called synchronously on accept. */
export type AcceptedSocket = (handlers: SocketHandlers) => RawSocket;

/** What a platform listener needs besides {@link ListenOptions}. */
export interface ListenSettings {
  /** Frames larger than this close the connection before they are buffered. */
  readonly maxFrameBytes: number;
  /** Bounds, on a server the platform creates, how long a client may take to send its upgrade request. */
  readonly handshakeTimeoutMs: number;
  /** Receives upgrade failures (which never escape to the server). */
  readonly logger: Logger;
  /**
   * Asked for every upgrade request meant for this listener, before the
   * upgrade (`address` is the socket's remote IP address, `remote` is
   * `address:port`): a refused request is answered with HTTP 503 and never
   * upgraded. An admitted one holds its slot until the connection releases
   * it (authenticated) or the platform's socket is gone, whichever is first.
   */
  readonly admit: (address: string | undefined, remote: string) => Admission;
  /**
   * Asked, on a server the platform creates (never a shared one), for every
   * TCP connection as it is accepted: a refused one is destroyed at once,
   * before anything is read from it. An admitted one holds its slot until
   * its upgrade request arrives (then `admit` decides) or its socket is gone,
   * whichever is first.
   */
  readonly admitConnection: (address: string | undefined, remote: string) => Admission;
}

/** A listening server as the shared code sees it. */
export interface PlatformListener {
  /** The `ws://host:port` URL (followed by `listen.path`, if given), when known. */
  readonly address: string | undefined;
  /** Stops accepting; resolves once the server (if owned) is closed. */
  close(): Promise<void>;
}

/** What a runtime provides. */
export interface Platform {
  /** Shown in logs. */
  readonly name: 'node' | 'browser';
  /** The ChaCha20-Poly1305 that seals frames after the handshake. */
  readonly aead: Aead;
  /** The x25519 of the handshake's ephemeral key exchange. */
  readonly keyAgreement: KeyAgreement;
  /** Opens a client socket to `url`; frames larger than `maxFrameBytes` close it. */
  dial(url: string, maxFrameBytes: number, handlers: SocketHandlers): RawSocket;
  /**
   * Starts accepting connections, or is absent where the runtime cannot
   * listen. `accept` receives each upgraded socket, its remote address and
   * the pending-handshake slot that `settings.admit` gave it.
   */
  listen?(
    options: ListenOptions,
    settings: ListenSettings,
    accept: (socket: AcceptedSocket, remote: string, pending: PendingSlot) => void,
  ): Promise<PlatformListener>;
}
