/**
 * Size and count limits (Node): small `maxMessageBytes`, frames `ws` refuses
 * before the transport sees them, what an unauthenticated peer may send, and
 * the heartbeat options.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@admitone/core';
import { webSocketTransport, type WebSocketTransportInit } from '../src/index.js';
import { ephemeralKeyPair } from '../src/channel.js';
import { FRAME, authFrame, dataFrame, helloFrame } from '../src/frame.js';
import { useEndpoints, warned } from './endpoints.js';
import { crypto, identities, membersOf, rawHandshake, sendTogether, waitFor } from './helpers.js';

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

describe('webSocketTransport: heartbeat options', () => {
  it('rejects heartbeatTimeoutMs below 2 × heartbeatMs with a RangeError naming both', async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const base: WebSocketTransportInit = { localId: 'alice', secretKey: alice.secretKey, members: membersOf([alice, bob]), crypto };
    const outcome = (init: WebSocketTransportInit): Promise<Error | undefined> =>
      webSocketTransport(init).then(
        async (t) => {
          await t.close();
          return undefined;
        },
        (e: unknown) => e as Error,
      );
    for (const [heartbeatMs, heartbeatTimeoutMs] of [[300, 200], [300, 599], [5_000, 5_000]] as const) {
      const error = await outcome({ ...base, heartbeatMs, heartbeatTimeoutMs });
      expect(error?.name, `${heartbeatMs}/${heartbeatTimeoutMs}`).toBe('RangeError');
      expect(error?.message).toContain('init.heartbeatTimeoutMs');
      expect(error?.message).toContain('init.heartbeatMs');
    }
    expect(await outcome({ ...base, heartbeatTimeoutMs: 9_999 })).toMatchObject({ name: 'RangeError' }); // default heartbeatMs 5 s
    expect(await outcome({ ...base, heartbeatMs: 300, heartbeatTimeoutMs: 600 })).toBeUndefined();
    expect(await outcome({ ...base, heartbeatMs: 300 })).toBeUndefined(); // default: 3 × heartbeatMs
    expect(await outcome({ ...base, heartbeatMs: 2 ** 30 - 1 })).toBeUndefined(); // the default timeout stays a valid timer
    expect(await outcome({ ...base, heartbeatMs: 2 ** 30 })).toMatchObject({ name: 'RangeError' });
  });
});
