/**
 * Test helpers shared by the Node tests: keys, members, HTTP servers on
 * 127.0.0.1:0, a raw protocol client for attack tests, and bounded polling.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { nobleCrypto, seededRandom, type CryptoProvider, type PeerId } from '@admitone/core';
import { webSocketTransport, type WebSocketMember, type WebSocketTransportInit } from '../src/index.js';
import { deriveChannelKeys, ephemeralKeyPair, nobleAead, secureChannel } from '../src/channel.js';
import { FRAME, READY_FRAME, authFrame, helloFrame, parseFrame } from '../src/frame.js';
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
  /**
   * Resolves with the listener's answer to the upgrade request: status 101
   * once open, or its refusal's status and headers (the socket is then dropped).
   */
  upgraded: Promise<{ status: number; headers: IncomingHttpHeaders }>;
}

/** Where a {@link rawClient} connects from. */
export interface RawClientOptions {
  /** The local address to connect from, e.g. `'127.0.0.2'` (Linux routes all of 127.0.0.0/8 to loopback). */
  readonly localAddress?: string;
}

/** Opens a raw client to `url`. */
export function rawClient(url: string, options: RawClientOptions = {}): RawClient {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
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
    upgraded: new Promise((resolve) => {
      ws.once('open', () => resolve({ status: 101, headers: {} }));
      ws.once('unexpected-response', (_request, response) => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers });
        ws.terminate();
      });
      ws.once('close', () => resolve({ status: 0, headers: {} }));
    }),
  };
  client.opened.catch(() => {}); // a refused client's is never awaited
  ws.on('error', () => {});
  ws.on('message', (data) => frames.push(new Uint8Array(data as ArrayBuffer)));
  return client;
}

const rawNonces = seededRandom('raw-handshake-nonces');

/** The frames a raw dialer sent in {@link rawHandshake}, for replaying, and its end of the secure channel. */
export interface RawHandshake {
  readonly sent: readonly Uint8Array[];
  /** Seals an inner frame (e.g. `dataFrame(...)`) as the next frame this dialer sends. */
  seal(inner: Uint8Array): Uint8Array;
  /** Opens the next sealed frame from the listener (the whole frame, with its type byte). */
  open(frame: Uint8Array): Uint8Array | undefined;
}

/**
 * Runs the dialer side of the handshake by hand over `client`, claiming
 * `claimedId` and signing with `signingKey` (the claimed member's own key for
 * an honest handshake). Sends HELLO, AUTH and the sealed READY.
 */
export async function rawHandshake(
  client: RawClient,
  claimedId: PeerId,
  listenerId: PeerId,
  signingKey: Uint8Array,
): Promise<RawHandshake> {
  await client.opened;
  const dialerNonce = rawNonces.bytes(32);
  const ephemeral = ephemeralKeyPair(rawNonces);
  const hello = helloFrame(claimedId, dialerNonce, ephemeral.publicKey);
  client.send(hello);
  await waitFor(() => client.frames.length >= 1 || client.closeCode !== undefined, "the listener's HELLO");
  const first = client.frames[0];
  if (first === undefined) throw new Error(`closed before HELLO (code ${String(client.closeCode)})`);
  const parsed = parseFrame(first);
  if (!parsed.ok || parsed.frame.type !== 'hello') throw new Error('expected HELLO from the listener');
  const transcript = {
    dialerId: claimedId,
    listenerId,
    dialerNonce,
    listenerNonce: parsed.frame.nonce,
    dialerEphemeral: ephemeral.publicKey,
    listenerEphemeral: parsed.frame.ephemeral,
  };
  const signature = await crypto.sign(transcriptBytes(transcript, 'dialer'), signingKey);
  const keys = deriveChannelKeys('dialer', ephemeral, transcript);
  if (keys === undefined) throw new Error("unusable listener's ephemeral key");
  const channel = secureChannel(keys, nobleAead);
  const auth = authFrame(signature);
  const ready = channel.seal(FRAME.sealed, READY_FRAME);
  client.send(auth);
  client.send(ready);
  return {
    sent: [hello, auth, ready],
    seal: (inner) => channel.seal(FRAME.sealed, inner),
    open: (frame) => (frame[0] === FRAME.sealed ? channel.open(frame.subarray(1)) : undefined),
  };
}

/**
 * Sends `frames` with one write, so that they arrive together and the
 * receiver handles them in one turn of its event loop (before any of its
 * asynchronous handshake steps runs). Uses `ws`'s socket (test-only).
 */
export function sendTogether(client: RawClient, frames: readonly Uint8Array[]): void {
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  socket.cork();
  for (const frame of frames) client.send(frame);
  socket.uncork();
}

/** Identities for several ids at once, by name: `const { alice, bob } = await identities('alice', 'bob')`. */
export async function identities<const T extends readonly PeerId[]>(...ids: T): Promise<{ readonly [K in T[number]]: Identity }> {
  const entries = await Promise.all(ids.map(async (id) => [id, await identity(id)] as const));
  return Object.fromEntries(entries) as { readonly [K in T[number]]: Identity };
}

/** Which way a frame travels through an {@link onPathRelay}. */
export type RelayDirection = 'toListener' | 'toDialer';

/**
 * What an on-path attacker does with one frame: the frames to forward in its
 * place (`[]` drops it, `[frame]` passes it, more injects), and frames to send
 * back the way it came (reflection).
 */
export interface RelayVerdict {
  readonly forward: readonly Uint8Array[];
  readonly reflect?: readonly Uint8Array[];
}

/** A man in the middle on loopback: dialers connect to `url`, and it dials `target` for each. */
export interface OnPathRelay {
  readonly url: string;
  /** Every frame seen, per direction, in order (across connections). */
  readonly seen: Record<RelayDirection, Uint8Array[]>;
  /** Cuts every connection through the relay now (both ends see the TCP connection drop). */
  disconnect(): void;
  close(): Promise<void>;
}

/**
 * Starts a WebSocket relay on 127.0.0.1:0 that forwards every frame between a
 * dialer and `target`, first passing it to `tamper` with its index in its
 * direction on that connection (0 HELLO, 1 AUTH, 2 READY, then sealed frames).
 * This is the attacker the secure channel is for: it sits on the TCP path and
 * can read, drop, alter, inject, replay and reflect frames, but holds no
 * member's key.
 */
export async function onPathRelay(
  target: string,
  tamper: (direction: RelayDirection, index: number, frame: Uint8Array) => RelayVerdict = (_d, _i, frame) => ({ forward: [frame] }),
): Promise<OnPathRelay> {
  const http = await httpServer();
  const wss = new WebSocketServer({ server: http.server, perMessageDeflate: false });
  const seen: Record<RelayDirection, Uint8Array[]> = { toListener: [], toDialer: [] };
  const sockets = new Set<WebSocket>();
  wss.on('connection', (dialer: WebSocket) => {
    const listener = new WebSocket(target, { perMessageDeflate: false });
    for (const ws of [dialer, listener]) {
      ws.binaryType = 'arraybuffer';
      sockets.add(ws);
      ws.on('error', () => {});
    }
    const backlog: Uint8Array[] = [];
    const counts: Record<RelayDirection, number> = { toListener: 0, toDialer: 0 };
    const relay = (direction: RelayDirection, frame: Uint8Array): void => {
      seen[direction].push(frame);
      const [to, from] = direction === 'toListener' ? [listener, dialer] : [dialer, listener];
      const verdict = tamper(direction, counts[direction]++, frame);
      for (const f of verdict.forward) if (to.readyState === WebSocket.OPEN) to.send(f);
      for (const f of verdict.reflect ?? []) if (from.readyState === WebSocket.OPEN) from.send(f);
    };
    dialer.on('message', (data) => {
      const frame = new Uint8Array(data as ArrayBuffer);
      if (listener.readyState === WebSocket.OPEN) relay('toListener', frame);
      else backlog.push(frame);
    });
    listener.on('open', () => {
      for (const frame of backlog.splice(0)) relay('toListener', frame);
    });
    listener.on('message', (data) => relay('toDialer', new Uint8Array(data as ArrayBuffer)));
    dialer.on('close', () => {
      listener.terminate();
      sockets.delete(dialer);
    });
    listener.on('close', () => {
      dialer.terminate();
      sockets.delete(listener);
    });
  });
  return {
    url: http.url,
    seen,
    disconnect() {
      for (const ws of sockets) ws.terminate();
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await http.close();
    },
  };
}

/**
 * The error `webSocketTransport(init)` rejects with, or `undefined` when it
 * starts (the transport is then closed at once): for option-validation tests.
 */
export function initOutcome(init: WebSocketTransportInit): Promise<Error | undefined> {
  return webSocketTransport(init).then(
    async (t) => {
      await t.close();
      return undefined;
    },
    (e: unknown) => e as Error,
  );
}
