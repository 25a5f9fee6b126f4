/**
 * TCP connections before their upgrade request (Node): on a server the
 * endpoint creates, at most `maxPendingHandshakes` TCP connections that have
 * not sent their upgrade request yet, at most `maxPendingHandshakesPerAddress`
 * of them from one IP address; beyond that a new connection is destroyed as
 * it is accepted (counted in `connectionLimitDrops`, logged with limit
 * `'tcp-total'` or `'tcp-per-address'`), and each slot comes back when its
 * upgrade request arrives (the connection is then a pending handshake) or its
 * socket closes. A server passed as `listen: { server }` is not limited.
 *
 * The attacker is a raw `net` socket that sends nothing (or a plain HTTP
 * request). The listener runs on a virtual clock, so neither its handshake
 * timeout nor the refusal log's interval pass unless a test advances it; the
 * server's own timeouts (`handshakeTimeoutMs`, 10 s of real time) are far
 * beyond each test. Several remote addresses come from 127.0.0.2, 127.0.0.3,
 * … (Linux routes 127.0.0.0/8 to loopback).
 */
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { virtualClock, type MemoryLogger } from '@admitone/core';
import type { WebSocketTransportInit } from '../src/index.js';
import { PENDING_LIMIT_REASON } from '../src/pending-handshakes.js';
import { useEndpoints, type Endpoint } from './endpoints.js';
import { identities, membersOf, rawHandshake, waitFor } from './helpers.js';

const fx = useEndpoints();

type Limits = Pick<WebSocketTransportInit, 'maxPendingHandshakes' | 'maxPendingHandshakesPerAddress'>;

/** alice listens on her own server on 127.0.0.1:0 (virtual clock); bob and carol are members without urls. */
async function aliceListening(limits: Limits, path?: string) {
  const ids = await identities('alice', 'bob', 'carol');
  const a = await fx.open({
    localId: 'alice',
    secretKey: ids.alice.secretKey,
    members: membersOf([ids.alice, ids.bob, ids.carol]),
    listen: { host: '127.0.0.1', port: 0, ...(path === undefined ? {} : { path }) },
    clock: virtualClock({ start: 1_000_000 }),
    ...limits,
  });
  const url = a.transport.address as string;
  return { ...ids, a, url, port: Number(new URL(url).port) };
}

/** A raw TCP client: what it received, and whether (when) the other side closed it. */
interface Tcp {
  readonly socket: Socket;
  readonly received: () => string;
  readonly isClosed: () => boolean;
  readonly closed: Promise<void>;
}

/** Connects to 127.0.0.1:`port` from `from`, sends nothing; destroyed after the test. */
function tcp(port: number, from = '127.0.0.1'): Tcp {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  fx.defer(() => socket.destroy());
  let received = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => {}); // a reset, when the server destroys the socket
  return {
    socket,
    received: () => received,
    isClosed: () => closed,
    closed: new Promise((resolve) => {
      socket.once('close', () => {
        closed = true;
        resolve();
      });
    }),
  };
}

const beforeUpgrade = (e: Endpoint): number => e.transport.stats().connectionsBeforeUpgrade;

/**
 * Opens `count` raw TCP connections from `from`, one after another, each
 * either counted by the listener (`'held'`) or closed by it (`'dropped'`)
 * before the next one opens.
 */
async function attack(e: Endpoint, port: number, count: number, from = '127.0.0.1'): Promise<{ clients: Tcp[]; outcomes: string[] }> {
  const clients: Tcp[] = [];
  const outcomes: string[] = [];
  for (let i = 0; i < count; i++) {
    const held = beforeUpgrade(e);
    const client = tcp(port, from);
    clients.push(client);
    await waitFor(() => beforeUpgrade(e) > held || client.isClosed(), `connection ${i} from ${from} to be counted or dropped`);
    outcomes.push(client.isClosed() ? 'dropped' : 'held');
  }
  return { clients, outcomes };
}

const refusals = (logs: MemoryLogger) => logs.records.filter((r) => r.level === 'warn' && r.fields['reason'] === PENDING_LIMIT_REASON);

/** `times` × `'held'` then one `'dropped'`: exactly the limit got in, no slot leaked or counted twice. */
const exactly = (times: number): string[] => [...Array<string>(times).fill('held'), 'dropped'];

describe('webSocketTransport: TCP connections before their upgrade request (own server)', () => {
  it('destroys connections beyond the per-address limit as they are accepted, counts and logs them, and takes exactly the limit again once they close', async () => {
    const { a, port } = await aliceListening({ maxPendingHandshakes: 8, maxPendingHandshakesPerAddress: 3 });
    const { clients, outcomes } = await attack(a, port, 5);
    expect(outcomes).toEqual(['held', 'held', 'held', 'dropped', 'dropped']);
    // dropped without an answer; the held ones stay open
    expect(clients.slice(3).map((c) => c.received())).toEqual(['', '']);
    expect(clients.slice(0, 3).map((c) => c.isClosed())).toEqual([false, false, false]);
    expect(a.transport.stats()).toMatchObject({ connectionsBeforeUpgrade: 3, connectionLimitDrops: 2, pendingHandshakes: 0, pendingLimitRefusals: 0 });
    // one warning (the second drop came within the log interval), naming the limit and the address
    expect(refusals(a.logs)).toEqual([
      expect.objectContaining({
        message: 'connection refused before its handshake',
        fields: expect.objectContaining({
          reason: PENDING_LIMIT_REASON,
          limit: 'tcp-per-address',
          address: '127.0.0.1',
          remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
          connectionsBeforeUpgrade: 3,
          connectionsBeforeUpgradeFromAddress: 3,
        }),
      }),
    ]);

    // the attacker leaves: its slots come back, and exactly the limit gets in again
    for (const client of clients) client.socket.destroy();
    await waitFor(() => beforeUpgrade(a) === 0, "the attacker's slots to come back");
    expect((await attack(a, port, 4)).outcomes).toEqual(exactly(3));
    expect(a.transport.stats().connectionLimitDrops).toBe(3);
  });

  it('keeps members from other addresses connecting while one address is saturated, and one from that address once its sockets close', async () => {
    const { a, port, url, alice, bob, carol } = await aliceListening({ maxPendingHandshakes: 8, maxPendingHandshakesPerAddress: 3 });
    const attacker = await attack(a, port, 4);
    expect(attacker.outcomes).toEqual(exactly(3));

    // bob, from 127.0.0.2, has the per-address budget of his own
    const fromBob = fx.raw(url, { localAddress: '127.0.0.2' });
    await rawHandshake(fromBob, 'bob', 'alice', bob.secretKey);
    await waitFor(() => a.transport.connectedPeers().includes('bob'), 'bob to connect from 127.0.0.2');

    // carol dials from the saturated 127.0.0.1: each of her TCP connections is dropped, and she keeps retrying
    const carolMembers = membersOf([alice, bob, carol], new Map([['alice', url]]));
    const c = await fx.open({ localId: 'carol', secretKey: carol.secretKey, members: carolMembers, reconnect: { minMs: 10, maxMs: 20 } });
    await waitFor(() => a.transport.stats().connectionLimitDrops >= 3, "carol's dials to be dropped");
    expect(c.transport.connectedPeers()).toEqual([]);

    // the attacker's sockets close: carol's next dial gets in, and messages flow
    for (const client of attacker.clients) client.socket.destroy();
    await waitFor(() => c.transport.connectedPeers().includes('alice'), 'carol to connect');
    await c.transport.send('alice', Uint8Array.of(7));
    await waitFor(() => a.inbox.length === 1, "carol's message");
    expect(a.inbox[0]).toMatchObject({ from: 'carol', bytes: Uint8Array.of(7) });
    expect(a.transport.connectedPeers()).toEqual(['bob', 'carol']);
    await waitFor(() => beforeUpgrade(a) === 0, "every attacker's slot to come back");
    expect(a.transport.stats()).toMatchObject({ pendingHandshakes: 0, pendingLimitRefusals: 0 });
  });

  it('applies the listener-wide limit across addresses', async () => {
    const { a, port } = await aliceListening({ maxPendingHandshakes: 3, maxPendingHandshakesPerAddress: 2 });
    const first = await attack(a, port, 2, '127.0.0.2');
    expect(first.outcomes).toEqual(['held', 'held']);
    expect((await attack(a, port, 1, '127.0.0.3')).outcomes).toEqual(['held']);
    // 127.0.0.4 holds nothing, but the listener is full
    expect((await attack(a, port, 1, '127.0.0.4')).outcomes).toEqual(['dropped']);
    expect(refusals(a.logs)).toEqual([expect.objectContaining({ fields: expect.objectContaining({ limit: 'tcp-total', address: '127.0.0.4' }) })]);
    // one leaves: exactly one more gets in
    first.clients[0]!.socket.destroy();
    await waitFor(() => beforeUpgrade(a) === 2, 'the closed connection to free its slot');
    expect((await attack(a, port, 2, '127.0.0.4')).outcomes).toEqual(exactly(1));
    expect(a.transport.stats()).toMatchObject({ connectionsBeforeUpgrade: 3, connectionLimitDrops: 2 });
  });

  it('moves a connection to the pending-handshake budget when its upgrade request arrives (counted in one budget at a time)', async () => {
    const LIMIT = 2;
    const { a, port, url } = await aliceListening({ maxPendingHandshakes: LIMIT, maxPendingHandshakesPerAddress: LIMIT });
    const upgraded = [fx.raw(url), fx.raw(url)];
    await Promise.all(upgraded.map((c) => c.opened));
    expect(a.transport.stats()).toMatchObject({ pendingHandshakes: LIMIT, connectionsBeforeUpgrade: 0 });
    // both budgets full at once: TCP connections still get in up to their own limit
    expect((await attack(a, port, LIMIT + 1)).outcomes).toEqual(exactly(LIMIT));
    expect(a.transport.stats()).toMatchObject({ pendingHandshakes: LIMIT, connectionsBeforeUpgrade: LIMIT, connectionLimitDrops: 1, pendingLimitRefusals: 0 });
  });

  it.each<[string, string | undefined, string, RegExp]>([
    ['a plain HTTP request (426)', undefined, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 426 /],
    [
      'an upgrade request for another path (404)',
      '/mesh',
      'GET /other HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      /^HTTP\/1\.1 404 /,
    ],
  ])('%s is answered, closed, and gives its slot back', async (_what, path, request, answer) => {
    const LIMIT = 2;
    const { a, port } = await aliceListening({ maxPendingHandshakes: LIMIT, maxPendingHandshakesPerAddress: LIMIT }, path);
    const client = tcp(port);
    await waitFor(() => beforeUpgrade(a) === 1, 'the connection to be counted');
    client.socket.write(request);
    await client.closed; // closed by the listener: the client never ends its side
    expect(client.received()).toMatch(answer);
    await waitFor(() => beforeUpgrade(a) === 0, 'the slot to come back');
    expect(a.transport.stats().pendingHandshakes).toBe(0);
    expect((await attack(a, port, LIMIT + 1)).outcomes).toEqual(exactly(LIMIT));
  });

  it('close() releases every slot', async () => {
    const { a, port } = await aliceListening({ maxPendingHandshakes: 2, maxPendingHandshakesPerAddress: 2 });
    const { clients } = await attack(a, port, 2);
    await a.transport.close();
    await Promise.all(clients.map((c) => c.closed));
    await waitFor(() => beforeUpgrade(a) === 0, 'the slots to come back');
  });
});

describe('webSocketTransport: TCP connections on a shared server', () => {
  it('are left to the server: not counted, never dropped', async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const http = await fx.server();
    const accepted: Socket[] = [];
    http.server.on('connection', (socket: Socket) => accepted.push(socket));
    const a = await fx.open({
      localId: 'alice',
      secretKey: alice.secretKey,
      members: membersOf([alice, bob]),
      listen: { server: http.server },
      maxPendingHandshakes: 2,
      maxPendingHandshakesPerAddress: 2,
    });
    const port = Number(new URL(http.url).port);
    const clients = [tcp(port), tcp(port), tcp(port)];
    await waitFor(() => accepted.length === clients.length, 'the server to accept every connection');
    // every 'connection' listener has run: none destroyed the sockets
    expect(accepted.map((s) => s.destroyed)).toEqual([false, false, false]);
    expect(a.transport.stats()).toMatchObject({ connectionsBeforeUpgrade: 0, connectionLimitDrops: 0 });
  });
});
