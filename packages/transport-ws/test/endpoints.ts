/**
 * A per-file fixture for Node tests: endpoints that record what they see,
 * HTTP servers and raw clients, all closed after each test.
 */
import { afterEach } from 'vitest';
import { memoryLogger, type InboundMessage, type MemoryLogger, type PeerStatusEvent } from '@admitone/core';
import { webSocketTransport, type WebSocketTransport, type WebSocketTransportInit } from '../src/index.js';
import { crypto, httpServer, rawClient, type RawClient, type RawClientOptions } from './helpers.js';

/** An endpoint with everything it emitted and logged. */
export interface Endpoint {
  readonly transport: WebSocketTransport;
  readonly logs: MemoryLogger;
  readonly inbox: InboundMessage[];
  readonly status: PeerStatusEvent[];
}

/** Registers an `afterEach` that closes what the returned functions open (call it at the top of a test file). */
export function useEndpoints() {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  return {
    /** Runs `fn` after the test, before what was opened earlier is closed. */
    defer(fn: () => unknown): void {
      cleanup.push(async () => {
        await fn();
      });
    },
    /** Opens an endpoint (noble crypto, a debug-level memory logger unless given). */
    async open(init: WebSocketTransportInit): Promise<Endpoint> {
      const logs = memoryLogger({ level: 'debug' });
      const transport = await webSocketTransport({ crypto, logger: logs, ...init });
      cleanup.push(() => transport.close());
      const inbox: InboundMessage[] = [];
      const status: PeerStatusEvent[] = [];
      transport.onMessage((m) => inbox.push(m));
      transport.onPeerStatus((e) => status.push(e));
      return { transport, logs, inbox, status };
    },
    /** An HTTP server on 127.0.0.1:0. */
    async server(): Promise<Awaited<ReturnType<typeof httpServer>>> {
      const s = await httpServer();
      cleanup.push(() => s.close());
      return s;
    },
    /** A raw protocol client. */
    raw(url: string, options?: RawClientOptions): RawClient {
      const client = rawClient(url, options);
      cleanup.push(async () => {
        client.ws.terminate();
      });
      return client;
    },
  };
}

/** Whether `logs` hold a record whose `reason` field is `reason`. */
export const warned = (logs: MemoryLogger, reason: string): boolean => logs.records.some((r) => r.fields['reason'] === reason);
