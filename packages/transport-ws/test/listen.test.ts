/**
 * Listening (Node): `listen.path`, sharing an HTTP server with another
 * WebSocket service, and the bounds on clients that never finish their
 * upgrade request.
 */
import type { IncomingMessage, Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { webSocketTransport, type WebSocketTransportInit } from '../src/index.js';
import { useEndpoints } from './endpoints.js';
import { crypto, identities, membersOf, waitFor } from './helpers.js';

const fx = useEndpoints();

/** Another service's WebSocket server on the same HTTP server: it greets each client with a text message. */
function greeter(): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  fx.defer(() => wss.close());
  return wss;
}

/**
 * Errors thrown out of `server`'s `'upgrade'` event: Node would turn them into
 * an uncaught exception, which crashes the host process.
 */
function upgradeErrors(server: Server): unknown[] {
  const thrown: unknown[] = [];
  const emit = server.emit.bind(server);
  server.emit = ((event: string, ...args: unknown[]): boolean => {
    try {
      return emit(event, ...args);
    } catch (error) {
      if (event !== 'upgrade') throw error;
      thrown.push(error);
      return true;
    }
  }) as Server['emit'];
  return thrown;
}

/** The first message a plain client receives at `url`, as text. */
async function greeting(url: string): Promise<string> {
  const ws = new WebSocket(url);
  fx.defer(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(String(data)));
    ws.once('error', reject);
  });
}

describe('webSocketTransport: listen.path', () => {
  it.each(['before', 'after'] as const)(
    'shares an HTTP server with another WebSocket service on another path (its upgrade listener added %s the endpoint)',
    async (order) => {
      const { alice, bob } = await identities('alice', 'bob');
      const http = await fx.server();
      const crashes = upgradeErrors(http.server);
      const events = greeter();
      // the other service routes by path, as a shared server needs
      const route = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
        if (request.url?.split('?')[0] === '/events') events.handleUpgrade(request, socket, head, (ws) => ws.send('hello from /events'));
      };
      if (order === 'before') http.server.on('upgrade', route);
      const members = membersOf([alice, bob], new Map([['alice', `${http.url}/mesh`]]));
      const a = await fx.open({ localId: 'alice', secretKey: alice.secretKey, members, listen: { server: http.server, path: '/mesh' } });
      if (order === 'after') http.server.on('upgrade', route);
      const b = await fx.open({ localId: 'bob', secretKey: bob.secretKey, members });

      expect(await greeting(`${http.url}/events?x=1`)).toBe('hello from /events');
      await waitFor(() => a.transport.connectedPeers().length === 1 && b.transport.connectedPeers().length === 1, 'bob to reach alice on /mesh');
      expect(a.transport.address).toBe(`${http.url}/mesh`);
      expect(a.transport.stats().rejectedHandshakes).toBe(0);
      expect(crashes).toEqual([]);
    },
  );

  it("without a path, leaves alone an upgrade that an earlier listener took (ws's { server, path } service)", async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const http = await fx.server();
    const crashes = upgradeErrors(http.server);
    // the audit's setup: this used to throw "handleUpgrade() was called more than once" out of the server's 'upgrade' event
    const events = new WebSocketServer({ server: http.server, path: '/events' });
    fx.defer(() => events.close());
    events.on('connection', (ws) => ws.send('hello from /events'));
    const a = await fx.open({ localId: 'alice', secretKey: alice.secretKey, members: membersOf([alice, bob]), listen: { server: http.server } });
    expect(await greeting(`${http.url}/events`)).toBe('hello from /events');
    expect(crashes).toEqual([]);
    expect(a.transport.stats().rejectedHandshakes).toBe(0);
    expect(a.logs.records.filter((r) => r.level === 'warn')).toEqual([
      expect.objectContaining({ message: 'neither side has a url: this peer can never be reached' }),
    ]);
  });

  it('on its own server: the address carries the path, and other paths get 404', async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const a = await fx.open({ localId: 'alice', secretKey: alice.secretKey, members: membersOf([alice, bob]), listen: { host: '127.0.0.1', port: 0, path: '/mesh' } });
    const url = a.transport.address as string;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mesh$/);
    const refused = await new Promise<number | undefined>((resolve, reject) => {
      const ws = new WebSocket(url.replace(/\/mesh$/, '/other'));
      fx.defer(() => ws.terminate());
      ws.once('unexpected-response', (request, response) => {
        resolve(response.statusCode);
        request.destroy();
      });
      ws.once('open', () => resolve(101));
      ws.once('error', reject);
    });
    expect(refused).toBe(404);
    const b = await fx.open({ localId: 'bob', secretKey: bob.secretKey, members: membersOf([alice, bob], new Map([['alice', url]])) });
    await waitFor(() => b.transport.connectedPeers().length === 1, 'bob to reach alice at her address');
    expect(a.transport.stats().rejectedHandshakes).toBe(0);
  });

  it('rejects a listen.path that is not a pathname, naming the field', async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const base: WebSocketTransportInit = { localId: 'alice', secretKey: alice.secretKey, members: membersOf([alice, bob]), crypto };
    const cases: Array<[unknown, string]> = [
      ['mesh', 'RangeError'],
      ['/mesh?x=1', 'RangeError'],
      ['', 'RangeError'],
      [7, 'TypeError'],
    ];
    for (const [path, expected] of cases) {
      const listen = { host: '127.0.0.1', port: 0, path } as WebSocketTransportInit['listen'];
      const error = await webSocketTransport({ ...base, ...(listen === undefined ? {} : { listen }) }).then(
        async (t) => {
          await t.close();
          return undefined;
        },
        (e: unknown) => e as Error,
      );
      expect(error?.name, String(path)).toBe(expected);
      expect(error?.message, String(path)).toContain('init.listen.path');
    }
  });
});

describe('webSocketTransport: slow upgrade requests', () => {
  it('its own server drops clients that do not finish their upgrade request within handshakeTimeoutMs, not live connections', async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const timing = { handshakeTimeoutMs: 300 };
    const a = await fx.open({ localId: 'alice', secretKey: alice.secretKey, members: membersOf([alice, bob]), listen: { host: '127.0.0.1', port: 0 }, ...timing });
    const b = await fx.open({ localId: 'bob', secretKey: bob.secretKey, members: membersOf([alice, bob], new Map([['alice', a.transport.address as string]])), ...timing });
    await waitFor(() => b.transport.connectedPeers().length === 1, 'bob to connect');

    const port = Number(new URL(a.transport.address as string).port);
    const closed = new Set<string>();
    const tcp = (name: string, onConnect: (s: Socket) => void): Socket => {
      const socket = connect(port, '127.0.0.1', () => onConnect(socket));
      socket.on('error', () => {});
      socket.on('close', () => closed.add(name));
      fx.defer(() => socket.destroy());
      return socket;
    };
    // slowloris: a request line, then one more header line every 50 ms, never the end of the headers
    const dripping = tcp('dripping', (s) => s.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'));
    const drip = setInterval(() => dripping.writable && dripping.write('X-Pad: 1\r\n'), 50);
    fx.defer(() => clearInterval(drip));
    tcp('silent', () => {}); // connects and sends nothing

    // Node's defaults would keep them for 60 s (headers) and forever (silence)
    await waitFor(() => closed.size === 2, 'the listener to drop both slow clients', 10_000);
    expect([...closed].sort()).toEqual(['dripping', 'silent']);
    // the upgraded connection outlived those timeouts
    expect(b.transport.connectedPeers()).toEqual(['alice']);
    expect(b.status).toEqual([{ peer: 'alice', status: 'connected' }]);
  });
});
