/**
 * The Node platform: client and server sockets from `ws`, servers from
 * `node:http`. Per-message compression is off (it costs CPU and memory and
 * opens decompression bombs); `maxPayload` enforces the frame limit before a
 * frame is buffered in full.
 * @module
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Platform, PlatformListener, RawSocket, SocketHandlers } from '../socket.js';
import { nodeAead } from './aead.js';
import { nodeX25519 } from './x25519.js';
import type { ListenOptions } from '../types.js';

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
    return adopt(ws, handlers, true);
  },
  async listen(options, maxFrameBytes, accept) {
    const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false, clientTracking: false });
    const owned = 'server' in options ? undefined : await startServer(options);
    const server = owned ?? ((options as { server: unknown }).server as Server);
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      socket.on('error', () => socket.destroy()); // errors before the upgrade completes
      wss.handleUpgrade(request, socket, head, (ws) => {
        const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
        accept((handlers) => adopt(ws, handlers, false), remote);
      });
    };
    server.on('upgrade', onUpgrade);
    const listener: PlatformListener = {
      get address() {
        return addressOf(server);
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

/** Wires a `ws` socket to the shared handlers. */
function adopt(ws: WebSocket, handlers: SocketHandlers, dialed: boolean): RawSocket {
  ws.binaryType = 'arraybuffer'; // each message arrives as its own ArrayBuffer, which the transport then owns
  if (dialed) ws.on('open', () => handlers.open());
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) return handlers.message('text');
    handlers.message(data instanceof ArrayBuffer ? new Uint8Array(data) : copyOf(data));
  });
  ws.on('error', (error) => handlers.error(error));
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

function startServer(options: Extract<ListenOptions, { port: number }>): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    response.end('WebSocket only\n');
  });
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
