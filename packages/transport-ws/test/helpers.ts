/**
 * Test helpers shared by the Node tests: keys, members, HTTP servers on
 * 127.0.0.1:0, a raw protocol client for attack tests, and bounded polling.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { nobleCrypto, seededRandom, type CryptoProvider, type PeerId } from '@admitone/core';
import type { WebSocketMember } from '../src/index.js';
import { READY_FRAME, authFrame, helloFrame, parseFrame } from '../src/frame.js';
import { transcriptBytes } from '../src/handshake.js';

/** Noble everywhere in tests: identical results on every platform, no WebCrypto probing. */
export const crypto: CryptoProvider = nobleCrypto();

/** A member's keys, derived deterministically from its id. */
export interface Identity {
  readonly id: PeerId;
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Deterministic Ed25519 keys for `id` (distinct seeds give distinct keys). */
export async function identity(id: PeerId, seed = 'transport-ws-test'): Promise<Identity> {
  const secretKey = seededRandom(seed).fork(id).bytes(32);
  return { id, secretKey, publicKey: await crypto.getPublicKey(secretKey) };
}

/** Members list from identities and optional urls. */
export function membersOf(ids: readonly Identity[], urls: ReadonlyMap<PeerId, string> = new Map()): WebSocketMember[] {
  return ids.map((m) => {
    const url = urls.get(m.id);
    return url === undefined ? { id: m.id, publicKey: m.publicKey } : { id: m.id, publicKey: m.publicKey, url };
  });
}

/** An HTTP server listening on 127.0.0.1:0, with its ws:// url. */
export async function httpServer(): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Polls `condition` every few ms until it holds; throws after `timeoutMs`
 * with `what`. Bounded: a test never hangs on it.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets pending I/O and timers run for a few ticks (for "nothing more happens" checks). */
export async function settle(ms = 50): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** A raw `ws` client for speaking (or breaking) the protocol by hand. */
export interface RawClient {
  readonly ws: WebSocket;
  /** Every binary frame received so far. */
  readonly frames: Uint8Array[];
  /** Set once the socket closed. */
  closeCode: number | undefined;
  send(frame: Uint8Array): void;
  /** Resolves when the socket is open. */
  opened: Promise<void>;
  /** Resolves with the close code. */
  closed: Promise<number>;
}

/** Opens a raw client to `url`. */
export function rawClient(url: string): RawClient {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.binaryType = 'arraybuffer';
  const frames: Uint8Array[] = [];
  const client: RawClient = {
    ws,
    frames,
    closeCode: undefined,
    send: (frame) => ws.send(frame),
    opened: new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    closed: new Promise((resolve) => {
      ws.once('close', (code) => {
        client.closeCode = code;
        resolve(code);
      });
    }),
  };
  ws.on('error', () => {});
  ws.on('message', (data) => frames.push(new Uint8Array(data as ArrayBuffer)));
  return client;
}

const rawNonces = seededRandom('raw-handshake-nonces');

/** The frames a raw dialer sent in {@link rawHandshake}, for replaying. */
export interface RawHandshake {
  readonly sent: readonly Uint8Array[];
}

/**
 * Runs the dialer side of the handshake by hand over `client`, claiming
 * `claimedId` and signing with `signingKey` (the claimed member's own key for
 * an honest handshake). Sends HELLO, AUTH and READY.
 */
export async function rawHandshake(
  client: RawClient,
  claimedId: PeerId,
  listenerId: PeerId,
  signingKey: Uint8Array,
): Promise<RawHandshake> {
  await client.opened;
  const dialerNonce = rawNonces.bytes(32);
  const hello = helloFrame(claimedId, dialerNonce);
  client.send(hello);
  await waitFor(() => client.frames.length >= 1 || client.closeCode !== undefined, "the listener's HELLO");
  const first = client.frames[0];
  if (first === undefined) throw new Error(`closed before HELLO (code ${String(client.closeCode)})`);
  const parsed = parseFrame(first);
  if (!parsed.ok || parsed.frame.type !== 'hello') throw new Error('expected HELLO from the listener');
  const signature = await crypto.sign(
    transcriptBytes({ dialerId: claimedId, listenerId, dialerNonce, listenerNonce: parsed.frame.nonce }, 'dialer'),
    signingKey,
  );
  const auth = authFrame(signature);
  client.send(auth);
  client.send(READY_FRAME);
  return { sent: [hello, auth, READY_FRAME] };
}

/** Identities for several ids at once, by name: `const { alice, bob } = await identities('alice', 'bob')`. */
export async function identities<const T extends readonly PeerId[]>(...ids: T): Promise<{ readonly [K in T[number]]: Identity }> {
  const entries = await Promise.all(ids.map(async (id) => [id, await identity(id)] as const));
  return Object.fromEntries(entries) as { readonly [K in T[number]]: Identity };
}
