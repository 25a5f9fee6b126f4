/**
 * Connections over time (Node): liveness on a slow link, reconnection backoff
 * against a peer that drops right after authenticating, and the secret key
 * on close.
 */
import { createServer, connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CryptoProvider } from '@admitone/core';
import { useEndpoints } from './endpoints.js';
import { crypto, identities, membersOf, onPathRelay, waitFor } from './helpers.js';

const fx = useEndpoints();

/**
 * A TCP proxy on 127.0.0.1:0 to `targetPort`. Once {@link TrickleProxy.throttle}
 * is called, bytes towards the dialer pass `chunkBytes` at a time, one chunk
 * each time bytes arrive from the dialer: a link whose speed is set by the
 * dialer's own heartbeat, so a large message takes many heartbeats to
 * arrive, whatever the machine's speed.
 */
interface TrickleProxy {
  readonly url: string;
  throttle(): void;
}

async function trickleProxy(targetPort: number, chunkBytes: number): Promise<TrickleProxy> {
  let throttled = false;
  const sockets = new Set<Socket>();
  const server = createServer((dialer) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pending: Buffer[] = [];
    for (const s of [dialer, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        dialer.destroy();
        upstream.destroy();
      });
    }
    const release = (): void => {
      const next = pending[0];
      if (next === undefined) return;
      if (next.length <= chunkBytes) pending.shift();
      else pending[0] = next.subarray(chunkBytes);
      dialer.write(next.subarray(0, chunkBytes));
    };
    upstream.on('data', (data: Buffer) => {
      if (throttled) pending.push(data);
      else dialer.write(data);
    });
    dialer.on('data', (data: Buffer) => {
      upstream.write(data);
      if (throttled) release();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fx.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    throttle() {
      throttled = true;
    },
  };
}

describe('webSocketTransport: liveness', () => {
  it('keeps a connection on which a large message is still arriving, though no whole message arrives for longer than heartbeatTimeoutMs', async () => {
    const { alice, bob } = await identities('alice', 'bob');
    // Generous: a loaded machine's event-loop stalls stay well below the timeout.
    const timing = { heartbeatMs: 20, heartbeatTimeoutMs: 400 };
    const a = await fx.open({ localId: 'alice', secretKey: alice.secretKey, members: membersOf([alice, bob]), listen: { host: '127.0.0.1', port: 0 }, ...timing });
    const proxy = await trickleProxy(Number(new URL(a.transport.address as string).port), 512);
    const members = membersOf([alice, bob], new Map([['alice', proxy.url]]));
    const b = await fx.open({ localId: 'bob', secretKey: bob.secretKey, members, reconnect: { minMs: 60_000, maxMs: 60_000 }, ...timing });
    await waitFor(() => a.transport.connectedPeers().length === 1 && b.transport.connectedPeers().length === 1, 'the pair to connect');
    proxy.throttle();
    // 32 KiB in 512-byte chunks, one per frame bob sends (a ping every 20 ms): ≥ 64 of bob's heartbeats,
    // over 3 timeouts, during which bob receives no whole message, only bytes of this one
    await a.transport.send('bob', new Uint8Array(32 * 1024).fill(7));
    await waitFor(() => b.inbox.length === 1 || b.status.length > 1, 'the large message (or a drop)', 20_000);
    expect(b.status).toEqual([{ peer: 'alice', status: 'connected' }]);
    expect(b.inbox.map((m) => m.bytes.length)).toEqual([32 * 1024]);
    expect(b.logs.records.some((r) => r.message.includes('heartbeat timeout'))).toBe(false);
  });
});

describe('webSocketTransport: reconnection backoff', () => {
  it('backs off from a peer that drops each connection right after the handshake, and resets after a stable connection', async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const a = await fx.open({ localId: 'alice', secretKey: alice.secretKey, members: membersOf([alice, bob]), listen: { host: '127.0.0.1', port: 0 } });
    const relay = await onPathRelay(a.transport.address as string);
    fx.defer(() => relay.close());
    const reconnect = { minMs: 10, maxMs: 1_000 };
    const b = await fx.open({ localId: 'bob', secretKey: bob.secretKey, members: membersOf([alice, bob], new Map([['alice', relay.url]])), reconnect });
    const connects = (): number => b.status.filter((e) => e.status === 'connected').length;
    const delays = (): number[] => b.logs.records.filter((r) => r.message === 'reconnecting later').map((r) => r.fields['delayMs'] as number);
    for (let i = 1; i <= 5; i++) {
      await waitFor(() => connects() === i, `connection ${i}`);
      relay.disconnect(); // authenticated, then gone at once
    }
    await waitFor(() => connects() === 6, 'connection 6');
    // retry k waits a random half of minMs · 2^k (capped): it grows, though every attempt authenticated
    const flapping = delays();
    expect(flapping.length).toBeGreaterThanOrEqual(5);
    flapping.forEach((delay, k) => expect(delay, `retry ${k}`).toBeGreaterThanOrEqual(Math.min(reconnect.maxMs, reconnect.minMs * 2 ** k) / 2));

    // a connection that lived at least maxMs counts as stable: the next retry starts from minMs again
    const stableSince = performance.now();
    await waitFor(() => performance.now() - stableSince > reconnect.maxMs + 50, 'the connection to become stable', 5_000);
    expect(b.transport.connectedPeers()).toEqual(['alice']);
    relay.disconnect();
    await waitFor(() => connects() === 7, 'connection 7');
    expect(delays().slice(flapping.length)[0]).toBeLessThanOrEqual(reconnect.minMs);
  });
});

describe('webSocketTransport: secret key', () => {
  it("wipes its copy of the secret key on close, and leaves the caller's array alone", async () => {
    const { alice, bob } = await identities('alice', 'bob');
    const used: Uint8Array[] = [];
    const recording: CryptoProvider = {
      ...crypto,
      sign: (message, secretKey) => {
        used.push(secretKey);
        return crypto.sign(message, secretKey);
      },
    };
    const secretKey = alice.secretKey.slice();
    const a = await fx.open({ localId: 'alice', secretKey, crypto: recording, members: membersOf([alice, bob]), listen: { host: '127.0.0.1', port: 0 } });
    const b = await fx.open({ localId: 'bob', secretKey: bob.secretKey, members: membersOf([alice, bob], new Map([['alice', a.transport.address as string]])) });
    await waitFor(() => b.transport.connectedPeers().length === 1, 'a handshake');
    expect(used.length).toBeGreaterThan(0);
    expect(used.every((key) => key !== secretKey && key.some((x) => x !== 0))).toBe(true);
    await a.transport.close();
    expect(used.every((key) => key.every((x) => x === 0))).toBe(true);
    expect(secretKey).toEqual(alice.secretKey);
  });
});
