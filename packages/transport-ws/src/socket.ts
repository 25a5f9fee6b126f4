/**
 * The small socket abstraction the platform-neutral transport runs on. The
 * Node entry implements it on `ws`, the browser entry on the native
 * `WebSocket`; everything else (framing, handshake, queues, heartbeats,
 * reconnection) is shared.
 * @module
 */
import type { Aead, KeyAgreement } from './channel.js';
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

/** A listening server as the shared code sees it. */
export interface PlatformListener {
  /** The `ws://host:port` URL, when known. */
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
   * listen. `accept` receives each upgraded socket and its remote address.
   */
  listen?(options: ListenOptions, maxFrameBytes: number, accept: (socket: AcceptedSocket, remote: string) => void): Promise<PlatformListener>;
}
