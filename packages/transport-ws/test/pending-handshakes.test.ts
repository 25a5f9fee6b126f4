/**
 * Pending-handshake limits (Node): a listener holds at most
 * `maxPendingHandshakes` connections that have not authenticated, at most
 * `maxPendingHandshakesPerAddress` of them from one IP address, refuses the
 * rest with HTTP 503 before the WebSocket upgrade, and gives every slot back
 * exactly once, on every path a connection can take: when it authenticates,
 * or when its socket is gone.
 *
 * The listener runs on a virtual clock: handshake timeouts and the close
 * grace period end only when a test advances it, so a client that stops
 * reading keeps its socket (and its slot) open until then. Several remote
 * addresses come from 127.0.0.2, 127.0.0.3, … (Linux routes 127.0.0.0/8 to
 * loopback).
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { memoryLogger, seededRandom, virtualClock, type MemoryLogger, type VirtualClock } from '@admitone/core';
import { webSocketTransport, type WebSocketTransportInit } from '../src/index.js';
import { ephemeralKeyPair } from '../src/channel.js';
import { CLOSE_GRACE_MS } from '../src/connection.js';
import { authFrame, helloFrame } from '../src/frame.js';
import { PENDING_LIMIT_REASON, REFUSAL_LOG_INTERVAL_MS, addressKey, listenerBudgets } from '../src/pending-handshakes.js';
import { useEndpoints, warned, type Endpoint } from './endpoints.js';
import { crypto, identities, initOutcome, membersOf, rawHandshake, waitFor, type Identity, type RawClient } from './helpers.js';

const fx = useEndpoints();
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** alice listens on 127.0.0.1:0 on a virtual clock; bob and carol are members without urls. */
async function aliceListening(limits: Pick<WebSocketTransportInit, 'maxPendingHandshakes' | 'maxPendingHandshakesPerAddress'>) {
  const ids = await identities('alice', 'bob', 'carol');
  const clock = virtualClock({ start: 1_000_000 });
  const members = membersOf([ids.alice, ids.bob, ids.carol]);
  const a = await fx.open({
    localId: 'alice',
    secretKey: ids.alice.secretKey,
    members,
    listen: { host: '127.0.0.1', port: 0 },
    clock,
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    ...limits,
  });
  return { ...ids, a, clock, url: a.transport.address as string };
}

/**
 * Opens `count` raw connections from `from`, one after another, that never
 * authenticate; returns them with the HTTP status each upgrade got (101 or 503).
 */
async function attack(url: string, count: number, from = '127.0.0.1'): Promise<{ clients: RawClient[]; statuses: number[] }> {
  const clients: RawClient[] = [];
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const client = fx.raw(url, { localAddress: from });
    clients.push(client);
    statuses.push((await client.upgraded).status);
  }
  return { clients, statuses };
}

const refusals = (logs: MemoryLogger) => logs.records.filter((r) => r.level === 'warn' && r.fields['reason'] === PENDING_LIMIT_REASON);
const pendingOf = (e: Endpoint): number => e.transport.stats().pendingHandshakes;

/** Stops reading the client's TCP socket: it never answers the listener's close frame, so the socket stays open. */
function stopReading(client: RawClient): () => void {
  const socket = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  socket.pause();
  return () => socket.resume();
}

describe('webSocketTransport: pending-handshake limits', () => {
  it('refuses raw connections beyond the per-address limit with 503 before the upgrade; a member gets in once they time out', async () => {
    const { a, clock, url, bob, carol, alice } = await aliceListening({ maxPendingHandshakes: 8, maxPendingHandshakesPerAddress: 3 });
    const { clients, statuses } = await attack(url, 5);
    expect(statuses).toEqual([101, 101, 101, 503, 503]);
    const refused = await clients[3]!.upgraded;
    expect(refused.headers['connection']).toBe('close');
    expect(a.transport.stats()).toMatchObject({ pendingHandshakes: 3, pendingLimitRefusals: 2, rejectedHandshakes: 0 });
    // one warning (the second refusal came within the log interval), naming the limit and the address
    expect(refusals(a.logs)).toEqual([
      expect.objectContaining({
        message: 'connection refused before its handshake',
        fields: expect.objectContaining({ reason: PENDING_LIMIT_REASON, limit: 'per-address', address: '127.0.0.1', remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/), pending: 3 }),
      }),
    ]);
    await Promise.all([clients[3]!.closed, clients[4]!.closed]);

    // another address still has its own budget while 127.0.0.1's is full
    const other = fx.raw(url, { localAddress: '127.0.0.2' });
    await rawHandshake(other, 'bob', 'alice', bob.secretKey);
    await waitFor(() => a.transport.connectedPeers().includes('bob'), 'bob to connect from 127.0.0.2');
    expect(pendingOf(a)).toBe(3);

    // a real member dialing from the attackers' address is refused too, and keeps retrying
    const carolMembers = membersOf([alice, bob, carol], new Map([['alice', url]]));
    const c = await fx.open({ localId: 'carol', secretKey: carol.secretKey, members: carolMembers, reconnect: { minMs: 10, maxMs: 20 } });
    await waitFor(() => a.transport.stats().pendingLimitRefusals >= 4, "carol's dials to be refused");
    expect(c.transport.connectedPeers()).toEqual([]);

    // the attackers time out, and their slots come back as their sockets close
    clock.advance(HANDSHAKE_TIMEOUT_MS);
    expect(await Promise.all(clients.slice(0, 3).map((x) => x.closed))).toEqual([4005, 4005, 4005]);
    expect(a.transport.stats().rejectedHandshakes).toBe(3);

    // carol's next dial gets in, and messages flow
    await waitFor(() => c.transport.connectedPeers().includes('alice'), 'carol to connect');
    await c.transport.send('alice', Uint8Array.of(7));
    await waitFor(() => a.inbox.length === 1, "carol's message");
    expect(a.inbox[0]).toMatchObject({ from: 'carol', bytes: Uint8Array.of(7) });
    expect(pendingOf(a)).toBe(0);
  });

  it('applies the listener-wide limit across addresses', async () => {
    const { a, url } = await aliceListening({ maxPendingHandshakes: 3, maxPendingHandshakesPerAddress: 2 });
    const first = await attack(url, 2, '127.0.0.2');
    expect(first.statuses).toEqual([101, 101]);
    expect((await attack(url, 1, '127.0.0.3')).statuses).toEqual([101]);
    // 127.0.0.4 has sent nothing yet, but the listener is full
    expect((await attack(url, 1, '127.0.0.4')).statuses).toEqual([503]);
    expect(refusals(a.logs)).toEqual([expect.objectContaining({ fields: expect.objectContaining({ limit: 'total', address: '127.0.0.4' }) })]);
    expect(a.transport.stats()).toMatchObject({ pendingHandshakes: 3, pendingLimitRefusals: 1 });
    // one leaves: exactly one more gets in
    first.clients[0]!.ws.close();
    await waitFor(() => pendingOf(a) === 2, 'the closed connection to free its slot');
    expect((await attack(url, 2, '127.0.0.4')).statuses).toEqual([101, 503]);
    expect(a.transport.stats()).toMatchObject({ pendingHandshakes: 3, pendingLimitRefusals: 2 });
  });

  it('logs refusals at most once per interval under a flood, with the number not logged', async () => {
    const { a, clock, url } = await aliceListening({ maxPendingHandshakes: 1, maxPendingHandshakesPerAddress: 1 });
    expect((await attack(url, 4)).statuses).toEqual([101, 503, 503, 503]);
    expect(refusals(a.logs)).toHaveLength(1);
    clock.advance(REFUSAL_LOG_INTERVAL_MS - 1); // the pending connection's timeout (10 s) is still far
    expect((await attack(url, 1)).statuses).toEqual([503]);
    expect(refusals(a.logs)).toHaveLength(1);
    clock.advance(1);
    expect((await attack(url, 1)).statuses).toEqual([503]);
    expect(refusals(a.logs).map((r) => r.fields['notLogged'])).toEqual([undefined, 3]);
    expect(a.transport.stats().pendingLimitRefusals).toBe(5);
  });
});

describe('webSocketTransport: every pending-handshake slot is released exactly once', () => {
  const LIMIT = 2;
  const limits = { maxPendingHandshakes: LIMIT, maxPendingHandshakesPerAddress: LIMIT };
  const mallory = ephemeralKeyPair(seededRandom('mallory')).publicKey;
  const hello = (id: string): Uint8Array => helloFrame(id, new Uint8Array(32).fill(3), mallory);

  /** Exactly `LIMIT` more raw connections get in, the next is refused: no slot leaked, none counted twice. */
  async function expectFullCapacity(url: string): Promise<void> {
    expect((await attack(url, LIMIT + 1)).statuses).toEqual([...Array<number>(LIMIT).fill(101), 503]);
  }

  const failures: Array<[string, (c: RawClient, ids: { carol: Identity }) => Promise<void>, string]> = [
    ['an unknown peer id', async (c) => c.send(hello('mallory')), 'unknown peer id'],
    [
      "a bad proof (bob's HELLO, carol's signature)",
      async (c, { carol }) => {
        c.send(hello('bob'));
        c.send(authFrame(await crypto.sign(Uint8Array.of(1, 2, 3), carol.secretKey)));
      },
      'bad handshake signature',
    ],
    ['a text message', async (c) => c.ws.send('hello?'), 'text message'],
  ];

  it.each(failures)('a handshake that fails on %s releases its slot as its socket closes', async (_what, misbehave, reason) => {
    const { a, url, carol } = await aliceListening(limits);
    const client = fx.raw(url);
    await client.opened;
    expect(pendingOf(a)).toBe(1);
    await misbehave(client, { carol });
    expect(await client.closed).toBe(4001);
    expect(warned(a.logs, reason)).toBe(true);
    await waitFor(() => pendingOf(a) === 0, 'the slot to come back');
    await expectFullCapacity(url);
  });

  it.each(failures)(
    'a handshake that fails on %s keeps its slot while a client that stops reading holds the socket, until the close grace ends',
    async (_what, misbehave, reason) => {
      const { a, clock, url, carol } = await aliceListening(limits);
      const client = fx.raw(url);
      await client.opened;
      const resume = stopReading(client); // it never sees, so never answers, the listener's close
      await misbehave(client, { carol });
      await waitFor(() => a.transport.stats().rejectedHandshakes === 1, 'the handshake to fail');
      expect(warned(a.logs, reason)).toBe(true);
      expect(pendingOf(a)).toBe(1);
      expect((await attack(url, LIMIT)).statuses).toEqual([101, 503]); // the lingering socket still counts
      clock.advance(CLOSE_GRACE_MS); // the listener drops the socket
      await waitFor(() => pendingOf(a) === 1, "the failed connection's slot to come back");
      resume();
      await client.closed;
    },
  );

  it('a handshake that times out releases its slot as its socket closes', async () => {
    const { a, clock, url } = await aliceListening(limits);
    const client = fx.raw(url);
    await client.opened;
    clock.advance(HANDSHAKE_TIMEOUT_MS - 1);
    expect(a.transport.stats().rejectedHandshakes).toBe(0); // the timer fires inside advance(): not yet
    expect(pendingOf(a)).toBe(1);
    clock.advance(1);
    expect(await client.closed).toBe(4005);
    expect(warned(a.logs, 'handshake timeout')).toBe(true);
    await waitFor(() => pendingOf(a) === 0, 'the slot to come back');
    await expectFullCapacity(url);
  });

  it('a handshake that succeeds releases its slot while the connection stays up', async () => {
    const { a, url, bob } = await aliceListening(limits);
    const client = fx.raw(url);
    await rawHandshake(client, 'bob', 'alice', bob.secretKey);
    await waitFor(() => a.transport.connectedPeers().includes('bob'), 'bob to authenticate');
    expect(pendingOf(a)).toBe(0);
    await expectFullCapacity(url);
    expect(a.transport.connectedPeers()).toEqual(['bob']);
    // and closing the authenticated connection later releases nothing more
    client.ws.close();
    await waitFor(() => a.status.some((e) => e.status === 'disconnected'), "bob's disconnect");
    expect(pendingOf(a)).toBe(LIMIT);
  });

  it.each<[string, (c: RawClient) => void]>([
    ['closes the WebSocket', (c) => c.ws.close(1000)],
    ['drops the TCP connection', (c) => c.ws.terminate()],
  ])('a client that %s before its handshake releases its slot', async (_what, leave) => {
    const { a, url } = await aliceListening(limits);
    const client = fx.raw(url);
    await client.opened;
    expect(pendingOf(a)).toBe(1);
    leave(client);
    await client.closed;
    await waitFor(() => pendingOf(a) === 0, 'the slot to be released');
    expect(a.transport.stats().rejectedHandshakes).toBe(0);
    await expectFullCapacity(url);
  });

  it('an upgrade request that ws itself refuses (400, never upgraded) releases its slot', async () => {
    const { a, url } = await aliceListening(limits);
    const { port } = new URL(url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        // an upgrade request without Sec-WebSocket-Key: the server emits 'upgrade', ws answers 400
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n');
      });
      fx.defer(() => socket.destroy());
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    await waitFor(() => pendingOf(a) === 0, 'the slot to be released');
    await expectFullCapacity(url);
  });

  it('close() releases the slots of connections still pending', async () => {
    const { a, url } = await aliceListening(limits);
    const { statuses } = await attack(url, LIMIT);
    expect(statuses).toEqual([101, 101]);
    expect(pendingOf(a)).toBe(LIMIT);
    await a.transport.close();
    expect(pendingOf(a)).toBe(0);
  });
});

describe('the pending-handshake budget', () => {
  const budget = (total: number, perAddress: number) =>
    listenerBudgets({ total, perAddress, clock: virtualClock(), logger: memoryLogger({ level: 'warn' }) }).handshakes;

  it('counts an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(addressKey('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(addressKey('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('0:0:0:0:0:ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(addressKey('0::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(addressKey('1.2.3.4')).toBe('1.2.3.4');
    expect(addressKey('2001:DB8::1')).toBe('2001:db8::1');
    expect(addressKey('::ffff:0:1.2.3.4')).toBe('::ffff:0:1.2.3.4'); // IPv4-translated, not mapped
    expect(addressKey('::1')).toBe('::1');
    expect(addressKey(undefined)).toBe('unknown');

    const b = budget(10, 2);
    expect(b.admit('::ffff:1.2.3.4', 'x').status).toBe('admitted');
    expect(b.admit('1.2.3.4', 'x').status).toBe('admitted');
    expect(b.admit('::ffff:1.2.3.4', 'x')).toEqual({ status: 'refused', limit: 'per-address' });
    expect(b.admit('1.2.3.5', 'x').status).toBe('admitted');
  });

  it('releases a slot once however often release() is called', () => {
    const b = budget(2, 2);
    const first = b.admit('1.2.3.4', 'x');
    const second = b.admit('1.2.3.4', 'x');
    if (first.status !== 'admitted' || second.status !== 'admitted') throw new Error('expected two slots');
    first.slot.release();
    first.slot.release();
    expect(b.size).toBe(1);
    expect(b.admit('1.2.3.4', 'x').status).toBe('admitted');
    expect(b.admit('1.2.3.4', 'x')).toEqual({ status: 'refused', limit: 'total' });
    expect(b.refusals).toBe(1);
  });
});

describe('webSocketTransport: pending-handshake options', () => {
  it('rejects bad limits with a TypeError or RangeError naming the field', async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const base: WebSocketTransportInit = { localId: 'alice', secretKey: alice.secretKey, members: membersOf([alice, bob]), crypto };
    const cases: Array<[Partial<Record<'maxPendingHandshakes' | 'maxPendingHandshakesPerAddress', unknown>>, string, readonly string[]]> = [
      [{ maxPendingHandshakes: 1.5 }, 'TypeError', ['init.maxPendingHandshakes']],
      [{ maxPendingHandshakes: '8' }, 'TypeError', ['init.maxPendingHandshakes']],
      [{ maxPendingHandshakes: Number.NaN }, 'TypeError', ['init.maxPendingHandshakes']],
      [{ maxPendingHandshakes: Number.POSITIVE_INFINITY }, 'TypeError', ['init.maxPendingHandshakes']],
      [{ maxPendingHandshakes: 0 }, 'RangeError', ['init.maxPendingHandshakes']],
      [{ maxPendingHandshakes: -1 }, 'RangeError', ['init.maxPendingHandshakes']],
      [{ maxPendingHandshakesPerAddress: 2.5 }, 'TypeError', ['init.maxPendingHandshakesPerAddress']],
      [{ maxPendingHandshakesPerAddress: null }, 'TypeError', ['init.maxPendingHandshakesPerAddress']],
      [{ maxPendingHandshakesPerAddress: 0 }, 'RangeError', ['init.maxPendingHandshakesPerAddress']],
      [{ maxPendingHandshakesPerAddress: -3 }, 'RangeError', ['init.maxPendingHandshakesPerAddress']],
      [{ maxPendingHandshakes: 8, maxPendingHandshakesPerAddress: 9 }, 'RangeError', ['init.maxPendingHandshakesPerAddress', 'init.maxPendingHandshakes (8)']],
      [{ maxPendingHandshakesPerAddress: 257 }, 'RangeError', ['init.maxPendingHandshakesPerAddress', 'init.maxPendingHandshakes (256)']],
    ];
    for (const [limits, name, fields] of cases) {
      const error = await initOutcome({ ...base, ...(limits as object) });
      expect(error?.name, JSON.stringify(limits)).toBe(name);
      for (const field of fields) expect(error?.message, JSON.stringify(limits)).toContain(field);
    }
    // the per-address default shrinks to a smaller listener-wide limit; equal limits are fine
    for (const limits of [{ maxPendingHandshakes: 4 }, { maxPendingHandshakes: 1, maxPendingHandshakesPerAddress: 1 }, { maxPendingHandshakesPerAddress: 256 }]) {
      expect(await initOutcome({ ...base, ...limits }), JSON.stringify(limits)).toBeUndefined();
    }
  });
});
