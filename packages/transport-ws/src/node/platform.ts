/**
 * The Node platform: client and server sockets from `ws`, servers from
 * `node:http`. Per-message compression is off (it costs CPU and memory and
 * opens decompression bombs); `maxPayload` enforces the frame limit before a
 * frame is buffered in full (reported as `oversized`). Every chunk read from
 * the TCP socket is reported as `activity` with its size, so liveness does
 * not wait for a whole message, and a peer that has not authenticated is cut
 * off by its byte count rather than after a whole frame. A listener takes
 * only the upgrade requests meant for it (`listen.path`, and none another
 * `'upgrade'` listener took), and no request can throw out of the server's
 * `'upgrade'` event. On its own server it also bounds the TCP connections
 * that have not sent their upgrade request yet.
 * @module
 */
import { STATUS_CODES, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { PendingSlot } from '../pending-handshakes.js';
import type { Platform, PlatformListener, RawSocket, SocketHandlers } from '../socket.js';
import { nodeAead } from './aead.js';
import { nodeX25519 } from './x25519.js';
import type { ListenAddress } from '../types.js';

/** The Node implementation of {@link Platform}. */
export const nodePlatform: Platform = {
  name: 'node',
  aead: nodeAead,
  keyAgreement: nodeX25519,
  dial(url, maxFrameBytes, handlers) {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, { maxPayload: maxFrameBytes, perMessageDeflate: false });
    } catch (error) {
      queueMicrotask(() => {
        handlers.error(error);
        handlers.close(1006, 'invalid url');
      });
      return DEAD_SOCKET;
    }
    return adopt(ws, handlers, undefined);
  },
  async listen(options, settings, accept) {
    const { maxFrameBytes, handshakeTimeoutMs, logger, admit, admitConnection } = settings;
    const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false, clientTracking: false });
    const path = options.path;
    /** On our own server, the TCP connections whose upgrade request has not arrived, with their slots. */
    const beforeUpgrade = new WeakMap<Duplex, PendingSlot>();
    const onConnection = (socket: Socket): void => {
      // runs after the HTTP server's own 'connection' listener (added by its constructor), before any byte is read
      const admission = admitConnection(socket.remoteAddress, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`);
      if (admission.status === 'refused') {
        socket.destroy(); // nothing was read, so no HTTP answer is due
        return;
      }
      const slot = admission.slot;
      beforeUpgrade.set(socket, slot);
      // Until its upgrade request arrives (onUpgrade) or its socket is gone: a client that never sends one, or sends
      // it too slowly (the server's timeouts), or a plain HTTP request (answered 426 with Connection: close).
      socket.once('close', () => slot.release());
    };
    const owned = 'server' in options ? undefined : await startServer(options, handshakeTimeoutMs, onConnection);
    const server = owned ?? ((options as { server: unknown }).server as Server);
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      // the request arrived: from here the pending-handshake budget governs it (or a 404 or 503 closes it)
      beforeUpgrade.get(socket)?.release();
      if (path !== undefined && pathOf(request.url) !== path) {
        // on a shared server, another 'upgrade' listener's request; on our own, nobody else answers it
        if (owned !== undefined) refuse(socket, 404);
        return;
      }
      if (taken(socket)) return;
      const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
      // before ws answers the upgrade and before the connection makes its key pair: a refusal costs almost nothing
      const admission = admit(request.socket.remoteAddress, remote);
      if (admission.status === 'refused') {
        refuse(socket, 503);
        return;
      }
      const pending = admission.slot;
      claimed.add(socket);
      // Pending until it authenticates (the connection releases the slot then) or its socket is gone, on every
      // other path: a failed or timed-out handshake, a client that leaves, an upgrade ws itself refuses (400).
      // Not at the failure itself: a client that never answers the close keeps its socket for up to
      // CLOSE_GRACE_MS, and must not open more meanwhile.
      socket.once('close', () => pending.release());
      socket.on('error', () => socket.destroy()); // errors before the upgrade completes
      try {
        wss.handleUpgrade(request, socket, head, (ws) => {
          accept((handlers) => adopt(ws, handlers, socket), remote, pending);
        });
      } catch (error) {
        // never let one request throw out of the server's 'upgrade' event (that would crash the host)
        logger.warn('upgrade failed, dropping the socket', { remote, error });
        socket.destroy();
      }
    };
    server.on('upgrade', onUpgrade);
    const listener: PlatformListener = {
      get address() {
        const address = addressOf(server);
        return address === undefined ? undefined : address + (path ?? '');
      },
      async close() {
        server.off('upgrade', onUpgrade);
        wss.close();
        if (owned === undefined) return;
        await new Promise<void>((resolve) => {
          owned.close(() => resolve());
          owned.closeAllConnections();
        });
      },
    };
    return listener;
  },
};

/** Upgrade sockets that an endpoint of this process took (several may share one server). */
const claimed = new WeakSet<Duplex>();

/**
 * Whether an earlier `'upgrade'` listener already took or answered `socket`:
 * it is gone, ended (a refusal), ours, or read by someone (Node's HTTP server
 * stops reading a socket before it emits `'upgrade'`; `ws` and others start).
 */
function taken(socket: Duplex): boolean {
  return socket.destroyed || !socket.writable || claimed.has(socket) || socket.listenerCount('data') > 0;
}

/** The pathname of a request target (`/path?query`), as `ws` matches its own `path` option. */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Answers an upgrade request with an HTTP error and closes the socket. */
function refuse(socket: Duplex, status: number): void {
  if (taken(socket)) return;
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Wires a `ws` socket to the shared handlers. `accepted` is the TCP socket of
 * an accepted connection; a dialed one reports `open` and finds its TCP
 * socket on `'upgrade'`. Every chunk read from that socket is reported as
 * activity with its size, so a large message still arriving keeps the
 * connection alive, and an unauthenticated peer that sends too much is
 * dropped while its frame is still arriving. The listener runs after `ws`'s
 * own, so `ws` holds at most one chunk (one read, at most 64 KiB) beyond that
 * budget when the connection drops it.
 */
function adopt(ws: WebSocket, handlers: SocketHandlers, accepted: Duplex | undefined): RawSocket {
  ws.binaryType = 'arraybuffer'; // each message arrives as its own ArrayBuffer, which the transport then owns
  const activity = (chunk: Buffer): void => handlers.activity(chunk.length);
  if (accepted === undefined) {
    let tcp: Duplex | undefined;
    ws.once('upgrade', (response: IncomingMessage) => {
      tcp = response.socket;
    });
    ws.on('open', () => {
      // only now: a 'data' listener added before ws's own would swallow the bytes that came with the upgrade
      tcp?.on('data', activity);
      handlers.open();
    });
  } else {
    accepted.on('data', activity);
  }
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) return handlers.message('text');
    handlers.message(data instanceof ArrayBuffer ? new Uint8Array(data) : copyOf(data));
  });
  ws.on('error', (error: Error & { code?: string }) => {
    handlers.error(error);
    // maxPayload: ws refused the frame before buffering it and closes with 1009
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') handlers.oversized();
  });
  ws.on('close', (code: number, reason: Buffer) => handlers.close(code, reason.toString('utf8')));
  const written = (error?: Error): void => {
    if (error === undefined || error === null) handlers.writable();
  };
  return {
    bufferedAmount: () => ws.bufferedAmount,
    send(frame) {
      if (ws.readyState !== WebSocket.OPEN) throw new Error('socket is not open');
      ws.send(frame, { binary: true }, written);
    },
    close(code, reason) {
      if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
      ws.close(code, reason);
    },
    terminate: () => ws.terminate(),
  };
}

/** Copies `ws` data that is not a single ArrayBuffer (not expected with `binaryType = 'arraybuffer'`). */
function copyOf(data: RawData): Uint8Array {
  const chunks = Array.isArray(data) ? data : [data as Buffer];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Creates the endpoint's own HTTP server. A client must send its whole
 * upgrade request within about `handshakeTimeoutMs` (`headersTimeout` and
 * `requestTimeout`, checked every `connectionsCheckingInterval`), and a
 * connection that sends nothing is dropped after as long (the socket idle
 * timeout, which `ws` clears on upgrade); Node's defaults allow 60 s and
 * forever. After the upgrade the transport's own handshake timeout applies.
 * `onConnection` sees every TCP connection, from the first (it is added
 * before the server listens). A request that is not an upgrade is answered
 * 426 with `Connection: close`, and Node then closes its socket.
 *
 * `maxConnections` stays unset: Node counts every socket until it closes,
 * authenticated members and pending handshakes included, so any value
 * would either repeat the limits this endpoint applies to each phase or let
 * an attacker's idle sockets shut members out; and Node drops sockets over
 * it before `'connection'`, unseen by the endpoint's count and log.
 */
function startServer(options: ListenAddress, handshakeTimeoutMs: number, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer(
    {
      headersTimeout: handshakeTimeoutMs, // Node requires headersTimeout ≤ requestTimeout
      requestTimeout: handshakeTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.ceil(handshakeTimeoutMs / 4))),
    },
    (_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      response.end('WebSocket only\n');
    },
  );
  server.timeout = handshakeTimeoutMs;
  server.on('connection', onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const listening = (): void => {
      server.off('error', reject);
      resolve(server);
    };
    if (options.host === undefined) server.listen(options.port, listening);
    else server.listen(options.port, options.host, listening);
  });
}

function addressOf(server: Server): string | undefined {
  const info = server.address() as AddressInfo | string | null;
  if (info === null || typeof info === 'string') return undefined;
  const host = info.family === 'IPv6' || info.family === (6 as unknown) ? `[${info.address}]` : info.address;
  return `ws://${host}:${info.port}`;
}

/** Returned for a dial that failed synchronously; its handlers are told on a microtask. */
const DEAD_SOCKET: RawSocket = {
  bufferedAmount: () => 0,
  send() {
    throw new Error('socket is not open');
  },
  close() {},
  terminate() {},
};
