/**
 * The `/ws` stream: committed ticket updates and epoch changes as JSON text
 * messages, optionally filtered by `?eventId=`. Each subscriber has a bounded
 * queue (messages handed to the socket and not yet flushed); a consumer that
 * lets it fill is dropped with close code 1013 ("try again later"), so one
 * slow reader never makes the node buffer without bound.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { isValidId, type Clock, type Logger } from '@admitone/core';
import type { ContractOp, ContractResult } from '@admitone/market';
import type { StreamUpdate } from '../client/types.js';
import type { VenueBackend } from './backend.js';

/**
 * The stream updates of one executed operation: a `ticket` update per ticket
 * in an applied result, an `epoch` update per epoch it closed, touched or
 * settled. Rejections produce none.
 */
export function streamUpdatesOf(op: ContractOp | undefined, result: ContractResult, seq: number): StreamUpdate[] {
  if (op === undefined || result.status !== 'ok') return [];
  const out: StreamUpdate[] = [];
  for (const t of result.tickets ?? []) {
    out.push({ type: 'ticket', seq, op: op.type, eventId: t.eventId, serial: t.serial, admission: t.admission, status: t.status, holder: t.holder, version: t.version });
  }
  for (const v of result.epochs ?? []) out.push({ type: 'epoch', seq, eventId: v.eventId, epoch: v.epoch, status: v.status, orders: v.orders });
  return out;
}

/** A fan-out of stream updates to subscribers. */
export interface StreamHub {
  /** Delivers `update` to every subscriber (synchronously). */
  publish(update: StreamUpdate): void;
  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: (update: StreamUpdate) => void): () => void;
  /** Current subscribers. */
  readonly size: number;
}

/** Creates a {@link StreamHub}. A throwing listener is isolated from the others. */
export function createStreamHub(): StreamHub {
  const listeners = new Set<(update: StreamUpdate) => void>();
  return {
    publish(update) {
      for (const l of [...listeners]) {
        try {
          l(update);
        } catch {
          // a broken subscriber never stops the others
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get size() {
      return listeners.size;
    },
  };
}

/** Options of {@link createStreamServer}. */
export interface StreamServerOptions {
  /** Where updates come from. */
  readonly backend: VenueBackend;
  /** Most messages queued per subscriber before it is dropped. */
  readonly maxQueue: number;
  /** Timers (the grace before a dropped consumer's socket is destroyed). */
  readonly clock: Clock;
  /** Connection logs (no message contents). */
  readonly logger: Logger;
}

/** The `/ws` endpoint, attached to an HTTP server's `upgrade` event. */
export interface StreamServer {
  /** Handles an HTTP upgrade for `/ws`; answers 400/404 itself for anything else. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open subscriptions. */
  readonly connections: number;
  /** Subscribers dropped for being too slow since start. */
  readonly droppedSlow: number;
  /** Closes every subscription (code 1001). */
  close(): Promise<void>;
}

/** Creates the `/ws` endpoint (a `ws` server in `noServer` mode). */
export function createStreamServer(options: StreamServerOptions): StreamServer {
  const { backend, maxQueue, clock, logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  const sockets = new Set<WebSocket>();
  let droppedSlow = 0;

  const refuse = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  };

  function attach(ws: WebSocket, eventId: string | undefined): void {
    sockets.add(ws);
    let queued = 0;
    let dropped = false;
    const deliver = (update: StreamUpdate) => {
      if (dropped || ws.readyState !== WebSocket.OPEN) return;
      if (queued >= maxQueue) {
        dropped = true;
        droppedSlow += 1;
        unsubscribe();
        logger.warn('stream subscriber too slow, dropped', { queued });
        ws.close(1013, 'too slow: queue full');
        // a consumer that does not read will not read the close frame either
        clock.setTimeout(() => ws.terminate(), 2000);
        return;
      }
      queued += 1;
      ws.send(JSON.stringify(update), () => {
        queued -= 1;
      });
    };
    const unsubscribe = backend.subscribe((u) => {
      if (eventId === undefined || !('eventId' in u) || u.eventId === eventId) deliver(u);
    });
    ws.on('close', () => {
      unsubscribe();
      sockets.delete(ws);
    });
    ws.on('error', () => ws.terminate());
    // clients only listen; anything they send is ignored
    ws.on('message', () => {});
    deliver({ type: 'hello', node: backend.nodeId, seq: backend.lastExecuted(), ...(eventId === undefined ? {} : { eventId }) });
  }

  return {
    handleUpgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://127.0.0.1');
      } catch {
        refuse(socket, 400, 'Bad Request');
        return;
      }
      if (url.pathname !== '/ws') {
        refuse(socket, 404, 'Not Found');
        return;
      }
      let eventId: string | undefined;
      for (const [k, v] of url.searchParams) {
        if (k !== 'eventId' || eventId !== undefined || !isValidId(v)) {
          refuse(socket, 400, 'Bad Request');
          return;
        }
        eventId = v;
      }
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws, eventId));
    },
    get connections() {
      return sockets.size;
    },
    get droppedSlow() {
      return droppedSlow;
    },
    async close() {
      const closing = [...sockets].map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            ws.close(1001, 'node stopping');
            clock.setTimeout(() => {
              ws.terminate();
              resolve();
            }, 1000);
          }),
      );
      await Promise.all(closing);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
