/**
 * Size and count limits (Node): small `maxMessageBytes`, frames `ws` refuses
 * before the transport sees them, what an unauthenticated peer may send (in
 * frames, and in raw bytes while a frame is still arriving), and the
 * heartbeat options.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { seededRandom } from '@admitone/core';
import { DEFAULT_WS_MAX_MESSAGE_BYTES, MAX_PEER_ID_LENGTH, webSocketTransport, type WebSocketTransportInit } from '../src/index.js';
import { ephemeralKeyPair } from '../src/channel.js';
import { HANDSHAKE_TOO_LARGE, MAX_BYTES_BEFORE_AUTH } from '../src/connection.js';
import { FRAME, FRAME_OVERHEAD_BYTES, authFrame, dataFrame, helloFrame } from '../src/frame.js';
import { useEndpoints, warned } from './endpoints.js';
import { crypto, identities, initOutcome, identity, membersOf, rawHandshake, sendTogether, waitFor, type RawClient } from './helpers.js';

const fx = useEndpoints();

/** alice listens on 127.0.0.1:0; bob and carol are members without urls. */
async function aliceListening(extra: Partial<WebSocketTransportInit> = {}) {
  const ids = await identities('alice', 'bob', 'carol');
  const members = membersOf([ids.alice, ids.bob, ids.carol]);
  const a = await fx.open({ localId: 'alice', secretKey: ids.alice.secretKey, members, listen: { host: '127.0.0.1', port: 0 }, ...extra });
  return { ...ids, a, url: a.transport.address as string };
}

describe('webSocketTransport: maxMessageBytes', () => {
  it.each([1, 16, 64])('%i: peers still connect (handshake frames are larger), and a larger DATA frame is refused', async (max) => {
    const { a, url, alice, bob, carol } = await aliceListening({ maxMessageBytes: max });
    const b = await fx.open({ localId: 'bob', secretKey: bob.secretKey, members: membersOf([alice, bob, carol], new Map([['alice', url]])), maxMessageBytes: max });
    await waitFor(() => b.transport.connectedPeers().includes('alice'), 'bob to connect');
    await b.transport.send('alice', new Uint8Array(max).fill(1));
    await waitFor(() => a.inbox.length === 1, 'a message of maxMessageBytes');
    // carol sends one byte too many: ws lets it through (its limit is at least a handshake frame), the transport does not
    const client = fx.raw(url);
    const h = await rawHandshake(client, 'carol', 'alice', carol.secretKey);
    await waitFor(() => a.transport.connectedPeers().includes('carol'), 'carol to connect');
    client.send(h.seal(dataFrame(new Uint8Array(max + 1))));
    expect(await client.closed).toBe(4003);
    expect(a.transport.stats().protocolErrors).toBe(1);
    expect(warned(a.logs, 'oversized frame')).toBe(true);
    expect(a.inbox).toHaveLength(1);
  });

  it('counts a frame that ws refuses (over its maxPayload) as a protocol error, or before AUTH as a rejected handshake', async () => {
    const { a, url, bob } = await aliceListening({ maxMessageBytes: 4096 });
    const authenticated = fx.raw(url);
    const h = await rawHandshake(authenticated, 'bob', 'alice', bob.secretKey);
    await waitFor(() => a.transport.connectedPeers().includes('bob'), 'bob to connect');
    authenticated.send(h.seal(dataFrame(new Uint8Array(5000))));
    expect(await authenticated.closed).toBe(1009); // ws cuts it before buffering the frame
    await waitFor(() => a.transport.stats().protocolErrors === 1, 'the oversized frame to count');
    await waitFor(() => a.status.some((e) => e.status === 'disconnected'), "bob's disconnect");
    expect(warned(a.logs, 'oversized frame')).toBe(true);

    const anonymous = fx.raw(url);
    await anonymous.opened;
    anonymous.send(new Uint8Array(5000));
    expect(await anonymous.closed).toBe(1009);
    await waitFor(() => a.transport.stats().rejectedHandshakes === 1, 'the oversized handshake frame to count');
    expect(warned(a.logs, 'oversized handshake frame')).toBe(true);
    expect(a.transport.stats().protocolErrors).toBe(1);
    expect(a.inbox).toEqual([]);
  });
});

describe('webSocketTransport: pre-authentication limits', () => {
  const hello = helloFrame('bob', new Uint8Array(32).fill(1), ephemeralKeyPair(seededRandom('pre-auth')).publicKey);
  const sealedLooking = (length: number): Uint8Array => new Uint8Array(length).fill(FRAME.sealed, 0, 1);
  const junk = (length: number): Uint8Array => new Uint8Array(length).fill(0x41);

  it.each<[string, () => Uint8Array[], string]>([
    ['a fourth frame before its AUTH verified', () => [hello, authFrame(new Uint8Array(64)), sealedLooking(18), sealedLooking(18)], 'unexpected frame before the handshake completed'],
    ['a 3 kB frame behind a SEALED-looking one', () => [hello, sealedLooking(20), junk(3000)], 'oversized handshake frame'],
    ['200 frames of 3 kB and one of 1 MiB behind a SEALED-looking one', () => [hello, sealedLooking(20), ...Array.from({ length: 200 }, () => junk(3000)), junk(1 << 20)], 'oversized handshake frame'],
  ])('refuses %s, however it starts', async (_what, frames, reason) => {
    const { a, url } = await aliceListening();
    const client = fx.raw(url);
    await client.opened;
    sendTogether(client, frames()); // all in one turn of alice's event loop, before her handshake steps run
    expect(await client.closed).toBe(4001);
    expect(warned(a.logs, reason)).toBe(true);
    expect(a.transport.stats().rejectedHandshakes).toBe(1);
    expect(a.transport.connectedPeers()).toEqual([]);
    expect(a.inbox).toEqual([]);
  });
});

describe('webSocketTransport: bytes before authentication', () => {
  /** The most a socket reads at once (libuv's read buffer), so the most `ws` takes in past the budget. */
  const ONE_READ = 64 * 1024;

  /** A listener's upgraded TCP socket, and what it had read by the upgrade (the HTTP request). */
  interface Upgrade {
    readonly socket: Socket;
    readonly requestBytes: number;
  }

  /** Records each upgrade on `server` (call it after the endpoint attached, so that it has upgraded the socket by then). */
  function recordUpgrades(server: { on(event: 'upgrade', listener: (request: unknown, socket: Socket) => void): unknown }): Upgrade[] {
    const upgrades: Upgrade[] = [];
    server.on('upgrade', (_request, socket) => upgrades.push({ socket, requestBytes: socket.bytesRead }));
    return upgrades;
  }

  /** Bytes the listener read from the connection after the upgrade, once its socket is gone. */
  async function readAfterUpgrade(upgrade: Upgrade | undefined): Promise<number> {
    await waitFor(() => upgrade?.socket.destroyed === true, "the listener's socket to be destroyed");
    return (upgrade as Upgrade).socket.bytesRead - (upgrade as Upgrade).requestBytes;
  }

  /** alice listening on an HTTP server of the test's (default options), with its upgraded sockets. */
  async function aliceOnTestServer() {
    const http = await fx.server();
    const ids = await identities('alice', 'bob');
    const a = await fx.open({ localId: 'alice', secretKey: ids.alice.secretKey, members: membersOf([ids.alice, ids.bob]), listen: { server: http.server } });
    return { a, url: http.url, upgrades: recordUpgrades(http.server) };
  }

  it('drops a peer that sends one large frame right after the upgrade, long before the frame has arrived', async () => {
    const { a, url, upgrades } = await aliceOnTestServer(); // default maxMessageBytes: ws would accept a 4 MiB frame
    const frame = new Uint8Array(DEFAULT_WS_MAX_MESSAGE_BYTES + FRAME_OVERHEAD_BYTES).fill(FRAME.hello, 0, 1); // the largest ws lets through
    const client = fx.raw(url);
    await client.opened;
    client.send(frame);
    expect(await client.closed).toBe(1006); // dropped, not closed gracefully (which would keep reading)
    const read = await readAfterUpgrade(upgrades[0]);
    // the point: the listener stopped reading within one read of the budget, not after the 4 MiB frame
    expect(read).toBeGreaterThan(MAX_BYTES_BEFORE_AUTH);
    expect(read).toBeLessThanOrEqual(MAX_BYTES_BEFORE_AUTH + ONE_READ);
    const record = a.logs.records.find((r) => r.fields['reason'] === HANDSHAKE_TOO_LARGE);
    expect(record?.level).toBe('warn');
    expect(record?.message).toBe('handshake rejected');
    expect(record?.fields).toMatchObject({ limit: MAX_BYTES_BEFORE_AUTH, role: 'listener' });
    expect(record?.fields['bytes']).toBeGreaterThan(MAX_BYTES_BEFORE_AUTH);
    await waitFor(() => a.transport.stats().pendingHandshakes === 0, 'the pending slot to be released');
    expect(a.transport.stats()).toMatchObject({ rejectedHandshakes: 1, protocolErrors: 0 });
    expect(a.inbox).toEqual([]);
  });

  it('drops a rejected connection that keeps sending instead of reading it until the close grace ends', async () => {
    const { a, url, upgrades } = await aliceOnTestServer();
    const client = fx.raw(url);
    await client.opened;
    // a 3 kB frame is rejected at once (graceful close); a 4 MiB frame is already on its way behind it
    sendTogether(client, [new Uint8Array(3000), new Uint8Array(DEFAULT_WS_MAX_MESSAGE_BYTES)]);
    await client.closed;
    const read = await readAfterUpgrade(upgrades[0]);
    expect(read).toBeLessThanOrEqual(MAX_BYTES_BEFORE_AUTH + ONE_READ);
    expect(warned(a.logs, 'oversized handshake frame')).toBe(true);
    expect(a.logs.records.some((r) => r.message === 'dropping a closing unauthenticated connection that keeps sending')).toBe(true);
    expect(a.transport.stats()).toMatchObject({ rejectedHandshakes: 1, pendingHandshakes: 0 }); // counted once
  });

  /**
   * Repeats `step` (if any) and a ping of `pingBytes`, each time waiting for
   * the pong or the close: a trickle paced by the listener's answers. Returns
   * the pongs received, one per step the listener read and answered.
   */
  async function trickle(client: RawClient, step: (() => void) | undefined, pingBytes: number, maxSteps: number): Promise<number> {
    let pongs = 0;
    client.ws.on('pong', () => pongs++);
    await client.opened;
    for (let i = 0; i < maxSteps && client.closeCode === undefined; i++) {
      step?.();
      client.ws.ping(new Uint8Array(pingBytes));
      await waitFor(() => pongs > i || client.closeCode !== undefined, 'a pong or the close');
    }
    return pongs;
  }

  it.each<[string, number, ((client: RawClient) => () => void) | undefined, number]>([
    // a ping is a control frame: ws answers it, the transport never sees a message
    ['WebSocket pings of 125 bytes', 0, undefined, 125],
    // a message that never ends: ws buffers its fragments, and no whole message reaches the frame checks
    ['1 kB fragments of one message that never ends', 2 + 2 + 4 + 1000, (client) => () => client.ws.send(new Uint8Array(1000), { binary: true, fin: false }), 0],
  ])('drops a peer that trickles %s past the budget, not before', async (_what, stepBytes, makeStep, pingBytes) => {
    const { a, url } = await aliceOnTestServer();
    const client = fx.raw(url);
    const perStep = stepBytes + 2 + 4 + pingBytes; // with the (masked) ping that paces it
    const fit = Math.floor(MAX_BYTES_BEFORE_AUTH / perStep);
    const pongs = await trickle(client, makeStep?.(client), pingBytes, 3 * fit);
    expect(client.closeCode).toBe(1006);
    // every step within the budget was read and answered; the one that crossed it was the last
    expect(pongs).toBeGreaterThanOrEqual(fit);
    expect(pongs).toBeLessThanOrEqual(fit + 1);
    expect(warned(a.logs, HANDSHAKE_TOO_LARGE)).toBe(true);
    await waitFor(() => a.transport.stats().pendingHandshakes === 0, 'the pending slot to be released');
    expect(a.transport.stats().rejectedHandshakes).toBe(1);
  });

  it('a dialer drops a listener that sends too much before its AUTH verified', async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const http = await fx.server();
    const wss = new WebSocketServer({ server: http.server, perMessageDeflate: false });
    fx.defer(() => wss.close());
    // a message far larger than any socket buffers hold, so its send completes only if the dialer reads it all
    const bytes = 32 * 1024 * 1024;
    const sent = new Promise<Error | undefined>((resolve) => {
      wss.on('connection', (ws) => {
        ws.on('error', () => {});
        ws.send(new Uint8Array(bytes), (error) => resolve(error ?? undefined));
      });
    });
    const a = await fx.open({
      localId: 'alice',
      secretKey: alice.secretKey,
      members: membersOf([alice, bob], new Map([['bob', http.url]])),
      maxMessageBytes: bytes, // so that ws itself would let the frame through
      reconnect: { minMs: 60_000, maxMs: 60_000 }, // one dial in this test
    });
    expect(await sent).toBeInstanceOf(Error); // the dialer dropped the connection while the message was arriving
    await waitFor(() => warned(a.logs, HANDSHAKE_TOO_LARGE), 'the rejection to be logged');
    expect(a.transport.stats().rejectedHandshakes).toBe(1);
    expect(a.transport.connectedPeers()).toEqual([]);
  });

  it.each(['dials', 'listens'])('lets the largest honest handshake through: a member with the longest id in three-byte characters %s', async (longRole) => {
    const longest = '€'.repeat(MAX_PEER_ID_LENGTH); // 768 bytes of UTF-8
    expect(helloFrame(longest, new Uint8Array(32), new Uint8Array(32)).length).toBe(856); // as MAX_BYTES_BEFORE_AUTH's comment counts it
    const long = await identity(longest);
    const { alice } = await identities('alice');
    const [dialer, listener] = longRole === 'dials' ? [long, alice] : [alice, long];
    const http = await fx.server();
    const l = await fx.open({ localId: listener.id, secretKey: listener.secretKey, members: membersOf([alice, long]), listen: { server: http.server } });
    const upgrades = recordUpgrades(http.server);
    const d = await fx.open({ localId: dialer.id, secretKey: dialer.secretKey, members: membersOf([alice, long], new Map([[listener.id, http.url]])) });
    await waitFor(() => d.transport.connectedPeers().includes(listener.id) && l.transport.connectedPeers().includes(dialer.id), 'both to connect');
    // all the listener read after the upgrade: HELLO, AUTH and READY with their WebSocket headers (no heartbeat yet)
    const upgrade = upgrades[0] as Upgrade;
    const read = upgrade.socket.bytesRead - upgrade.requestBytes;
    expect(read).toBeLessThan(1024);
    expect(read * 16).toBeLessThanOrEqual(MAX_BYTES_BEFORE_AUTH);
    await d.transport.send(listener.id, new Uint8Array(1 << 20)); // and a large message right after it, as usual
    await waitFor(() => l.inbox.length === 1, 'the message');
    expect(l.transport.stats().rejectedHandshakes + d.transport.stats().rejectedHandshakes).toBe(0);
  });
});

describe('webSocketTransport: heartbeat options', () => {
  it('rejects heartbeatTimeoutMs below 2 × heartbeatMs with a RangeError naming both', async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const base: WebSocketTransportInit = { localId: 'alice', secretKey: alice.secretKey, members: membersOf([alice, bob]), crypto };
    for (const [heartbeatMs, heartbeatTimeoutMs] of [[300, 200], [300, 599], [5_000, 5_000]] as const) {
      const error = await initOutcome({ ...base, heartbeatMs, heartbeatTimeoutMs });
      expect(error?.name, `${heartbeatMs}/${heartbeatTimeoutMs}`).toBe('RangeError');
      expect(error?.message).toContain('init.heartbeatTimeoutMs');
      expect(error?.message).toContain('init.heartbeatMs');
    }
    expect(await initOutcome({ ...base, heartbeatTimeoutMs: 9_999 })).toMatchObject({ name: 'RangeError' }); // default heartbeatMs 5 s
    expect(await initOutcome({ ...base, heartbeatMs: 300, heartbeatTimeoutMs: 600 })).toBeUndefined();
    expect(await initOutcome({ ...base, heartbeatMs: 300 })).toBeUndefined(); // default: 3 × heartbeatMs
    expect(await initOutcome({ ...base, heartbeatMs: 2 ** 30 - 1 })).toBeUndefined(); // the default timeout stays a valid timer
    expect(await initOutcome({ ...base, heartbeatMs: 2 ** 30 })).toMatchObject({ name: 'RangeError' });
  });
});
