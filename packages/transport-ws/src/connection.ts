/**
 * One WebSocket connection: the handshake state machine (see `handshake.ts`),
 * the secure channel after it (`channel.ts`), frame validation, heartbeats and
 * close bookkeeping. Platform-neutral: it talks to a {@link RawSocket}.
 * @module
 */
import type { Clock, CryptoProvider, Logger, PeerId, Random, TimerHandle } from '@admitone/core';
import { deriveChannelKeys, ephemeralKeyPair, secureChannel, type Aead, type KeyAgreement, type SecureChannel } from './channel.js';
import {
  FRAME,
  FRAME_OVERHEAD_BYTES,
  MAX_HANDSHAKE_FRAME_BYTES,
  NONCE_BYTES,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL,
  READY_FRAME,
  authFrame,
  helloFrame,
  parseFrame,
  parseInnerFrame,
} from './frame.js';
import { otherRole, transcriptBytes, type HandshakeTranscript, type Role } from './handshake.js';
import type { PendingSlot } from './pending-handshakes.js';
import type { RawSocket, SocketHandlers } from './socket.js';

/** Close codes (browsers only let scripts send 1000 and 3000–4999). */
export const CLOSE_CODE = {
  normal: 1000,
  handshakeFailed: 4001,
  protocolError: 4002,
  tooLarge: 4003,
  heartbeatTimeout: 4004,
  handshakeTimeout: 4005,
  replaced: 4006,
} as const;

/** How long a graceful close may take before the socket is dropped. */
export const CLOSE_GRACE_MS = 1_000;

/**
 * Frames a legitimate peer sends before this side has verified its AUTH:
 * HELLO, AUTH and the sealed READY (the peer sends anything else only after
 * opening this side's READY, which this side sends once it verified the AUTH).
 */
const MAX_FRAMES_BEFORE_AUTH = 3;
/**
 * Raw bytes (WebSocket framing included) a peer may send after the upgrade
 * and before this side has verified its AUTH; beyond it the connection is
 * dropped at once (`'handshake too large'`). Where the platform reports the
 * bytes it reads (Node), this bounds what `ws` buffers for an
 * unauthenticated peer before any whole message reaches the checks above:
 * without it, one frame of up to the platform's `maxFrameBytes` (about
 * `maxMessageBytes`, 4 MiB by default) would be read in full first, and
 * WebSocket pings and the fragments of a message that never ends would not
 * be limited at all until the handshake timeout.
 *
 * Why 16 KiB: an honest peer sends less than 1 KiB before its AUTH verified:
 * HELLO is at most 856 bytes (its CBOR holds the protocol name, an id of at
 * most 256 UTF-16 code units, so at most 768 bytes of UTF-8, and two 32-byte
 * values), AUTH 65 and the sealed READY 18, each behind at most 8 bytes of
 * masked WebSocket header (a listener's frames are unmasked). The frame rules
 * above allow at most 3 × (2 KiB + 8) plus a close frame (at most 131
 * bytes), about 6.2 KiB, so those more specific checks still fire first, and
 * 16 KiB leaves more than twice that, and sixteen times an honest handshake.
 * A peer whose AUTH verified is bounded as an authenticated one (by
 * `maxMessageBytes`), so a large message right behind its READY is fine.
 */
export const MAX_BYTES_BEFORE_AUTH = 16 * 1024;
/**
 * Data a peer whose AUTH verified may send right behind its READY, before
 * this side has processed that READY, beyond one full frame (ws can emit
 * several small frames from one read).
 */
const PENDING_SLACK_BYTES = 64 * 1024;
/** The log `reason` of a connection dropped for exceeding {@link MAX_BYTES_BEFORE_AUTH}. */
export const HANDSHAKE_TOO_LARGE = 'handshake too large';

/** Everything a connection needs from its endpoint. */
export interface ConnectionContext {
  readonly localId: PeerId;
  readonly secretKey: Uint8Array;
  readonly crypto: CryptoProvider;
  /** Seals the frames after the handshake. */
  readonly aead: Aead;
  /** The ephemeral key exchange. */
  readonly keyAgreement: KeyAgreement;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** The listed public key of a member, `undefined` for a non-member. */
  readonly publicKeyOf: (id: PeerId) => Uint8Array | undefined;
  readonly maxMessageBytes: number;
  readonly heartbeatMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  /** Shared counters, incremented here. */
  readonly counters: { rejectedHandshakes: number; protocolErrors: number };
}

/** What a connection reports to its endpoint (synchronously; the endpoint must tolerate re-entrancy). */
export interface ConnectionEvents {
  /** The handshake completed: {@link Connection.peer} is authenticated. */
  established(conn: Connection): void;
  /** An application payload from the authenticated peer; the endpoint owns `payload`. */
  data(conn: Connection, payload: Uint8Array): void;
  /** The connection is no longer usable (called once, for any reason). */
  closed(conn: Connection): void;
  /** The socket may accept more data. */
  writable(conn: Connection): void;
}

/** Options of {@link createConnection}. */
export interface ConnectionOptions {
  readonly role: Role;
  /** Remote address or URL, for logs. */
  readonly remote: string;
  /** The id a dialer expects to reach. */
  readonly expectedPeer?: PeerId;
  /** Creates (dial) or adopts (accept) the socket with these handlers. */
  readonly bind: (handlers: SocketHandlers) => RawSocket;
  /** True for accepted sockets, which are open already. */
  readonly startsOpen: boolean;
  /**
   * An accepted connection's place among the listener's pending handshakes,
   * released here once the connection authenticates; otherwise the platform
   * releases it when the socket is gone.
   */
  readonly pending?: PendingSlot;
}

/** One connection, from socket creation to close. */
export interface Connection {
  readonly role: Role;
  readonly remote: string;
  /** The expected (dialer) or claimed (listener, after HELLO) peer id; authenticated once {@link Connection.isOpen}. */
  peer(): PeerId | undefined;
  /** True between a completed handshake and close. */
  isOpen(): boolean;
  /** Bytes queued in the socket. */
  bufferedAmount(): number;
  /** Seals and sends an inner frame on an open connection; false when it is not open or the socket failed. */
  send(frame: Uint8Array): boolean;
  /** Closes gracefully (the socket is dropped after {@link CLOSE_GRACE_MS}). Idempotent. */
  close(code: number, reason: string): void;
  /** Resolves once the socket is closed (or dropped). */
  readonly done: Promise<void>;
}

/** Creates a connection and starts its handshake. */
export function createConnection(ctx: ConnectionContext, events: ConnectionEvents, options: ConnectionOptions): Connection {
  const { role, remote } = options;
  const { clock } = ctx;
  const localNonce = ctx.random.bytes(NONCE_BYTES);
  const localEphemeral = ephemeralKeyPair(ctx.random, ctx.keyAgreement);
  let state: 'handshake' | 'open' | 'closed' = 'handshake';
  let peerId: PeerId | undefined = options.expectedPeer;
  let peerKey: Uint8Array | undefined;
  let peerNonce: Uint8Array | undefined;
  let peerEphemeral: Uint8Array | undefined;
  /** Set once the peer's AUTH verified. */
  let channel: SecureChannel | undefined;
  let framesBeforeAuth = 0;
  /** Raw bytes read while {@link channel} is unset (counted only where the platform reports them). */
  let bytesBeforeAuth = 0;
  let pendingBytes = 0;
  /** Frames chained behind the asynchronous handshake steps, processed strictly in arrival order. */
  let pendingSteps = 0;
  let steps: Promise<void> = Promise.resolve();
  let lastReceived = clock.now();
  let heartbeatTimer: TimerHandle | undefined;
  let graceTimer: TimerHandle | undefined;
  let closedNotified = false;
  let finished = false;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const log = (): Logger => ctx.logger.child({ remote, role, ...(peerId === undefined ? {} : { peer: peerId }) });

  const handshakeTimer = clock.setTimeout(() => reject('handshake timeout'), ctx.handshakeTimeoutMs);

  const handlers: SocketHandlers = {
    open() {
      if (state === 'handshake') sendRaw(hello());
    },
    message: (data) => onMessage(data),
    close: (code, reason) => onSocketClosed(code, reason),
    error(error) {
      ctx.logger.debug('socket error', { remote, error });
    },
    writable() {
      if (state === 'open') events.writable(conn);
    },
    activity(bytes) {
      lastReceived = clock.now(); // bytes of a message still arriving are a sign of life too
      if (channel !== undefined) return; // the peer authenticated: maxMessageBytes bounds it from now on
      bytesBeforeAuth += bytes;
      if (bytesBeforeAuth > MAX_BYTES_BEFORE_AUTH) tooMuchBeforeAuth();
    },
    oversized() {
      if (state === 'open') violation('oversized frame', CLOSE_CODE.tooLarge);
      else reject('oversized handshake frame');
    },
  };

  const conn: Connection = {
    role,
    remote,
    peer: () => peerId,
    isOpen: () => state === 'open',
    bufferedAmount: () => socket.bufferedAmount(),
    send: (frame) => state === 'open' && sendSealed(frame),
    close: (code, reason) => shutdown(code, reason, false),
    done,
  };

  const socket = options.bind(handlers);
  if (options.startsOpen) sendRaw(hello());
  return conn;

  function hello(): Uint8Array {
    return helloFrame(ctx.localId, localNonce, localEphemeral.publicKey);
  }

  function onMessage(data: Uint8Array | 'text'): void {
    if (state === 'closed') return;
    lastReceived = clock.now();
    if (data === 'text') {
      if (state === 'open') violation('text message');
      else reject('text message');
      return;
    }
    if (state === 'open' && pendingSteps === 0) {
      onOpenFrame(data);
      return;
    }
    if (state === 'handshake') {
      if (channel === undefined) {
        // Until the peer's AUTH verified, only HELLO, AUTH and the sealed READY may come, and they are small.
        if (data.length > MAX_HANDSHAKE_FRAME_BYTES) return reject('oversized handshake frame');
        if (++framesBeforeAuth > MAX_FRAMES_BEFORE_AUTH) return reject('unexpected frame before the handshake completed');
      } else {
        // An authenticated peer's frames behind its READY (ws can emit several from one TCP read) wait for it, within a budget.
        pendingBytes += data.length;
        if (pendingBytes > ctx.maxMessageBytes + FRAME_OVERHEAD_BYTES + PENDING_SLACK_BYTES) return reject('too much data before the handshake completed');
      }
    }
    pendingSteps++;
    steps = steps
      .then(() => (state === 'open' ? onOpenFrame(data) : handshakeStep(data)))
      .catch((error: unknown) => reject('handshake error', { error }))
      .finally(() => {
        pendingSteps--;
      });
  }

  async function handshakeStep(bytes: Uint8Array): Promise<void> {
    if (state !== 'handshake') return; // closed while queued
    const parsed = parseFrame(bytes);
    if (!parsed.ok) return reject(parsed.reason);
    const frame = parsed.frame;
    switch (frame.type) {
      case 'hello': {
        if (peerNonce !== undefined) return reject('second HELLO');
        if (frame.protocol !== PROTOCOL) return reject('unsupported protocol');
        if (frame.id === ctx.localId) return reject('peer claims the local id', { claimedId: frame.id });
        const key = ctx.publicKeyOf(frame.id);
        if (key === undefined) return reject('unknown peer id', { claimedId: frame.id });
        if (options.expectedPeer !== undefined && frame.id !== options.expectedPeer) {
          return reject('unexpected peer id', { claimedId: frame.id });
        }
        peerId = frame.id;
        peerKey = key;
        peerNonce = frame.nonce;
        peerEphemeral = frame.ephemeral;
        const signature = await ctx.crypto.sign(transcriptBytes(transcript(peerNonce, peerEphemeral), role), ctx.secretKey);
        if (state === 'handshake') sendRaw(authFrame(signature));
        return;
      }
      case 'auth': {
        if (peerNonce === undefined || peerEphemeral === undefined || peerKey === undefined) return reject('AUTH before HELLO');
        if (channel !== undefined) return reject('second AUTH');
        const t = transcript(peerNonce, peerEphemeral);
        const ok = await ctx.crypto.verify(frame.signature, transcriptBytes(t, otherRole(role)), peerKey);
        if (state !== 'handshake') return;
        if (!ok) return reject('bad handshake signature');
        // only an authenticated peer gets the (costlier) key agreement
        const keys = deriveChannelKeys(role, localEphemeral, t, ctx.keyAgreement);
        if (keys === undefined) return reject('unusable ephemeral key');
        channel = secureChannel(keys, ctx.aead);
        sendSealed(READY_FRAME);
        return;
      }
      case 'sealed': {
        if (channel === undefined) return reject('sealed frame before a verified AUTH');
        const inner = channel.open(frame.sealed);
        if (inner === undefined) return reject('READY does not authenticate');
        const parsedInner = parseInnerFrame(inner);
        if (!parsedInner.ok) return reject(parsedInner.reason);
        if (parsedInner.frame.type !== 'ready') return reject(`${parsedInner.frame.type} frame before READY`);
        state = 'open';
        handshakeTimer.cancel();
        options.pending?.release(); // authenticated: bounded by the membership from now on
        lastReceived = clock.now();
        heartbeatTimer = clock.setTimeout(heartbeat, ctx.heartbeatMs);
        log().debug('connection authenticated');
        events.established(conn);
        return;
      }
    }
  }

  function transcript(remoteNonce: Uint8Array, remoteEphemeral: Uint8Array): HandshakeTranscript {
    const other = peerId as PeerId;
    const local = localEphemeral.publicKey;
    return role === 'dialer'
      ? { dialerId: ctx.localId, listenerId: other, dialerNonce: localNonce, listenerNonce: remoteNonce, dialerEphemeral: local, listenerEphemeral: remoteEphemeral }
      : { dialerId: other, listenerId: ctx.localId, dialerNonce: remoteNonce, listenerNonce: localNonce, dialerEphemeral: remoteEphemeral, listenerEphemeral: local };
  }

  function onOpenFrame(bytes: Uint8Array): void {
    if (bytes.length > ctx.maxMessageBytes + FRAME_OVERHEAD_BYTES) return violation('oversized frame', CLOSE_CODE.tooLarge);
    const parsed = parseFrame(bytes);
    if (!parsed.ok) return violation(parsed.reason);
    if (parsed.frame.type !== 'sealed') return violation(`${parsed.frame.type} frame after the handshake`);
    const inner = (channel as SecureChannel).open(parsed.frame.sealed);
    // forged, altered, replayed, reordered, reflected, or a frame before it was dropped
    if (inner === undefined) return violation('frame does not authenticate');
    const parsedInner = parseInnerFrame(inner);
    if (!parsedInner.ok) return violation(parsedInner.reason);
    switch (parsedInner.frame.type) {
      case 'data':
        events.data(conn, parsedInner.frame.payload);
        return;
      case 'ping':
        sendSealed(PONG_FRAME);
        return;
      case 'pong':
        return;
      default:
        return violation(`${parsedInner.frame.type} frame after the handshake`);
    }
  }

  function heartbeat(): void {
    heartbeatTimer = undefined;
    if (state !== 'open') return;
    const silentFor = clock.now() - lastReceived;
    if (silentFor >= ctx.heartbeatTimeoutMs) {
      log().warn('heartbeat timeout, dropping connection', { silentMs: silentFor });
      shutdown(CLOSE_CODE.heartbeatTimeout, 'heartbeat timeout', true);
      return;
    }
    sendSealed(PING_FRAME);
    heartbeatTimer = clock.setTimeout(heartbeat, Math.min(ctx.heartbeatMs, ctx.heartbeatTimeoutMs - silentFor));
  }

  /**
   * Closes a connection whose handshake failed; nothing it sent reaches the
   * endpoint. `fields` go to the log; `hard` drops the socket at once instead
   * of closing it gracefully.
   */
  function reject(reason: string, fields: Readonly<Record<string, unknown>> = {}, hard = false): void {
    if (state !== 'handshake') return;
    ctx.counters.rejectedHandshakes++;
    log().warn('handshake rejected', { reason, ...fields });
    shutdown(reason === 'handshake timeout' ? CLOSE_CODE.handshakeTimeout : CLOSE_CODE.handshakeFailed, reason, hard);
  }

  /**
   * The peer sent more than {@link MAX_BYTES_BEFORE_AUTH} before its AUTH
   * verified. Dropped, not closed gracefully: a graceful close keeps reading
   * (and `ws` buffering) whatever the peer sends until it answers the close
   * or the grace period ends. Called from the platform's read callback:
   * never throws.
   */
  function tooMuchBeforeAuth(): void {
    if (state === 'handshake') {
      reject(HANDSHAKE_TOO_LARGE, { bytes: bytesBeforeAuth, limit: MAX_BYTES_BEFORE_AUTH }, true);
      return;
    }
    if (finished) return;
    // already rejected (or closed by the endpoint) and waiting for the peer's close: it keeps sending instead
    log().debug('dropping a closing unauthenticated connection that keeps sending', { bytes: bytesBeforeAuth });
    try {
      socket.terminate();
    } catch (error) {
      ctx.logger.debug('socket terminate failed', { remote, error });
    }
  }

  /** Closes an authenticated connection that broke the protocol. */
  function violation(reason: string, code: number = CLOSE_CODE.protocolError): void {
    if (state !== 'open') return;
    ctx.counters.protocolErrors++;
    log().warn('protocol violation, closing connection', { reason });
    shutdown(code, reason, false);
  }

  /** Seals an inner frame under the next send counter and sends it. */
  function sendSealed(inner: Uint8Array): boolean {
    let sealed: Uint8Array;
    try {
      sealed = (channel as SecureChannel).seal(FRAME.sealed, inner);
    } catch (error) {
      log().warn('cannot seal, closing connection', { error });
      shutdown(CLOSE_CODE.normal, 'channel exhausted', false);
      return false;
    }
    return sendRaw(sealed);
  }

  function sendRaw(frame: Uint8Array): boolean {
    try {
      socket.send(frame);
      return true;
    } catch (error) {
      log().debug('send failed, closing connection', { error });
      shutdown(CLOSE_CODE.normal, 'send failed', true);
      return false;
    }
  }

  function shutdown(code: number, reason: string, hard: boolean): void {
    if (state === 'closed') return;
    state = 'closed';
    stopTimers();
    try {
      if (hard) socket.terminate();
      else socket.close(code, reason);
    } catch (error) {
      ctx.logger.debug('socket close failed', { remote, error });
    }
    if (!finished) {
      graceTimer = clock.setTimeout(() => {
        try {
          socket.terminate();
        } catch {
          // already gone
        }
        finish();
      }, CLOSE_GRACE_MS);
    }
    notifyClosed();
  }

  function onSocketClosed(code: number, reason: string): void {
    if (state !== 'closed') {
      const wasOpen = state === 'open';
      state = 'closed';
      stopTimers();
      if (wasOpen) log().info('connection closed by peer', { code, reason });
      else log().debug('connection closed during handshake', { code, reason });
      notifyClosed();
    }
    finish();
  }

  function stopTimers(): void {
    // nothing is sealed or opened after this: wipe the keys
    channel?.destroy();
    localEphemeral.secretKey.fill(0);
    handshakeTimer.cancel();
    heartbeatTimer?.cancel();
    heartbeatTimer = undefined;
  }

  function notifyClosed(): void {
    if (closedNotified) return;
    closedNotified = true;
    events.closed(conn);
  }

  function finish(): void {
    if (finished) return;
    finished = true;
    graceTimer?.cancel();
    resolveDone();
  }
}
