/**
 * Browser tests (real Chromium): a browser `webSocketTransport` (native
 * WebSocket, the package's browser entry) talks to Node `webSocketTransport`
 * endpoints (on `ws`) hosted by the control server that globalSetup starts.
 *
 * What runs where:
 * - in the browser: one real endpoint per setup, which dials every Node
 *   member and authenticates with WebCrypto/noble Ed25519;
 * - in Node: the other members, real endpoints listening on 127.0.0.1:0 that
 *   connect to each other and accept the browser's connections;
 * - between them, only the transport's own WebSockets carry messages. The
 *   Node endpoints are driven from the browser through *proxies* over a
 *   separate control WebSocket (method calls forwarded, events streamed
 *   back), which lets the unchanged compliance suite run with one real
 *   browser member among Node members. Browsers cannot accept connections,
 *   so two browser members could never talk to each other directly.
 *
 * The suite runs twice, with the browser as `alice` (it sends most of the
 * suite's messages) and as `bob` (it receives most of them).
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { defaultCrypto, seededRandom, type CborValue, type CryptoProvider, type InboundMessage, type PeerId, type PeerStatusEvent, type Transport, type Unsubscribe } from '@admitone/core';
import { transportCompliance } from '@admitone/core/compliance';
import { webSocketTransport as packageEntry } from '@admitone/transport-ws';
import { webSocketTransport, type WebSocketMember, type WebSocketTransport, type WebSocketTransportInit } from '../src/browser.js';
import { CONTROL_URL_KEY, decodeControl, encodeControl, type ControlMember, type ErrorShape, type SetupArgs, type SetupResult } from './control-protocol.js';

// ---------------------------------------------------------------------------
// Control channel

type EventListener = (kind: string, payload: Record<string, CborValue>) => void;

interface Control {
  request(op: string, args: Record<string, CborValue>): Promise<CborValue>;
  listen(session: number, member: string, listener: EventListener): void;
  close(): void;
}

let controlPromise: Promise<Control> | undefined;
const getControl = (): Promise<Control> => (controlPromise ??= connectControl(inject(CONTROL_URL_KEY)));
afterAll(async () => {
  (await controlPromise)?.close();
});

async function connectControl(url: string): Promise<Control> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot reach the control server at ${url}`));
  });
  const pending = new Map<number, { resolve(value: CborValue): void; reject(error: unknown): void }>();
  const listeners = new Map<string, EventListener>();
  let nextId = 1;
  ws.onmessage = (event: MessageEvent<ArrayBuffer>) => {
    const frame = decodeControl(new Uint8Array(event.data)) as readonly CborValue[];
    if (frame[0] === 'res') {
      const [, id, ok, value] = frame as [string, number, boolean, CborValue];
      const waiter = pending.get(id);
      pending.delete(id);
      if (ok) waiter?.resolve(value);
      else waiter?.reject(rebuildError(value as unknown as ErrorShape));
    } else if (frame[0] === 'event') {
      const [, session, member, kind, payload] = frame as [string, number, string, string, Record<string, CborValue>];
      listeners.get(`${session}/${member}`)?.(kind, payload);
    }
  };
  return {
    request(op, args) {
      const id = nextId++;
      const done = new Promise<CborValue>((resolve, reject) => pending.set(id, { resolve, reject }));
      ws.send(encodeControl(['req', id, op, args])); // encodes (copies) synchronously
      return done;
    },
    listen: (session, member, listener) => listeners.set(`${session}/${member}`, listener),
    close: () => ws.close(),
  };
}

function rebuildError(shape: ErrorShape): Error {
  return Object.assign(new Error(shape.message), { name: shape.name, ...(shape.code === null ? {} : { code: shape.code }) });
}

/** A `Transport` in the browser that forwards to a Node endpoint over the control channel. */
function nodeProxy(control: Control, session: number, id: PeerId, ids: readonly PeerId[], capabilities: Transport['capabilities'], initiallyConnected: readonly PeerId[]): Transport {
  const messageHandlers = new Set<(m: InboundMessage) => void>();
  const statusHandlers = new Set<(e: PeerStatusEvent) => void>();
  let connected = [...initiallyConnected];
  let closing: Promise<void> | undefined;
  const dispatch = <T,>(handlers: Set<(v: T) => void>, value: T): void => {
    for (const h of [...handlers]) {
      if (closing !== undefined) return;
      if (!handlers.has(h)) continue;
      try {
        h(value);
      } catch {
        // like the real endpoint: a throwing handler does not stop the others
      }
    }
  };
  control.listen(session, id, (kind, payload) => {
    if (closing !== undefined) return;
    if (kind === 'message') dispatch(messageHandlers, Object.freeze({ from: payload['from'] as string, bytes: payload['bytes'] as Uint8Array }));
    if (kind === 'status') {
      connected = payload['connected'] as string[];
      dispatch(statusHandlers, Object.freeze({ peer: payload['peer'] as string, status: payload['status'] as PeerStatusEvent['status'] }));
    }
  });
  const subscribe = <T,>(handlers: Set<(v: T) => void>, handler: (v: T) => void): Unsubscribe => {
    const wrapped = (v: T): void => handler(v);
    if (closing === undefined) handlers.add(wrapped);
    return () => {
      handlers.delete(wrapped);
    };
  };
  const call = async (op: string, args: Record<string, CborValue> = {}): Promise<void> => {
    await control.request(op, { session, member: id, ...args });
  };
  return {
    localId: id,
    members: ids,
    capabilities,
    send: (to, bytes) => call('send', { to, bytes }),
    broadcast: (bytes) => call('broadcast', { bytes }),
    onMessage: (handler) => subscribe(messageHandlers, handler),
    onPeerStatus: (handler) => subscribe(statusHandlers, handler),
    connectedPeers: () => ids.filter((m) => connected.includes(m)),
    close() {
      if (closing === undefined) {
        messageHandlers.clear();
        statusHandlers.clear();
        closing = call('close');
      }
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------
// Setup helpers

let cryptoPromise: Promise<CryptoProvider> | undefined;
const crypto = (): Promise<CryptoProvider> => (cryptoPromise ??= defaultCrypto());
const keys = seededRandom('transport-ws-browser');

interface Session {
  readonly control: Control;
  readonly session: number;
  readonly browser: WebSocketTransport;
  readonly members: readonly WebSocketMember[];
}

/**
 * Starts Node members for `ids` (all but `browserId`) and the browser
 * endpoint. `nodeListsKey` replaces the key the Node members list for the
 * browser (to make its handshakes fail).
 */
async function startSession(
  ids: readonly PeerId[],
  browserId: PeerId,
  options: { nodeListsKey?: Uint8Array; nodeMaxMessageBytes?: number; browser?: Partial<WebSocketTransportInit> } = {},
): Promise<Session> {
  const control = await getControl();
  const provider = await crypto();
  const secretKey = keys.bytes(32);
  const publicKey = await provider.getPublicKey(secretKey);
  const args: SetupArgs = { ids, browserId, browserPublicKey: options.nodeListsKey ?? publicKey, maxMessageBytes: options.nodeMaxMessageBytes ?? null };
  const result = (await control.request('setup', { ...args, ids: [...ids] })) as unknown as SetupResult;
  const members = result.members.map((m: ControlMember): WebSocketMember =>
    m.id === browserId ? { id: m.id, publicKey } : m.url === null ? { id: m.id, publicKey: m.publicKey } : { id: m.id, publicKey: m.publicKey, url: m.url },
  );
  const browser = await webSocketTransport({ localId: browserId, secretKey, members, crypto: provider, reconnect: { minMs: 10, maxMs: 100 }, ...options.browser });
  return { control, session: result.session, browser, members };
}

function browserHarness(browserIndex: number) {
  const sessions = new Map<readonly Transport[], Session>();
  return {
    name: `webSocketTransport (browser endpoint as member #${browserIndex + 1}, Node members over ws)`,
    async setup(ids: readonly PeerId[]) {
      const browserId = ids[browserIndex] as PeerId;
      const s = await startSession(ids, browserId);
      const result = (await s.control.request('ready', { session: s.session })) as Record<string, PeerId[]>;
      await waitFor(() => s.browser.connectedPeers().length === ids.length - 1, 'the browser endpoint to connect to every Node member');
      const capabilities = s.browser.capabilities;
      const transports = ids.map((id) => (id === browserId ? s.browser : nodeProxy(s.control, s.session, id, ids, capabilities, result[id] ?? [])));
      sessions.set(transports, s);
      return transports;
    },
    async teardown(transports: readonly Transport[]) {
      const s = sessions.get(transports);
      sessions.delete(transports);
      if (s !== undefined) await s.control.request('teardown', { session: s.session });
    },
  };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Records a Node member's events in the browser. */
function nodeEvents(s: Session, member: PeerId): { messages: InboundMessage[]; status: PeerStatusEvent[] } {
  const out = { messages: [] as InboundMessage[], status: [] as PeerStatusEvent[] };
  s.control.listen(s.session, member, (kind, payload) => {
    if (kind === 'message') out.messages.push({ from: payload['from'] as string, bytes: payload['bytes'] as Uint8Array });
    else out.status.push({ peer: payload['peer'] as string, status: payload['status'] as PeerStatusEvent['status'] });
  });
  return out;
}

async function endSession(s: Session): Promise<void> {
  await s.browser.close();
  await s.control.request('teardown', { session: s.session });
}

// ---------------------------------------------------------------------------
// Tests

transportCompliance({ describe, it }, browserHarness(0));
transportCompliance({ describe, it }, browserHarness(1));

describe('webSocketTransport in the browser', () => {
  it('is the browser entry when imported by package name (the browser export condition)', async () => {
    const init = { localId: 'a', secretKey: new Uint8Array(32), members: [{ id: 'a', publicKey: new Uint8Array(32) }], listen: { port: 0 } };
    await expect(packageEntry(init)).rejects.toThrow(/not supported in browsers/);
  });

  it('never connects when the Node members list another key for it, and delivers nothing', async () => {
    const wrong = await (await crypto()).getPublicKey(keys.bytes(32));
    const s = await startSession(['alice', 'bob'], 'alice', { nodeListsKey: wrong });
    const atBob = nodeEvents(s, 'bob');
    await s.browser.send('bob', Uint8Array.of(1)); // queued; must never arrive
    const stats = async () => (await s.control.request('stats', { session: s.session, member: 'bob' })) as { rejectedHandshakes: number };
    let rejected = 0;
    for (const deadline = performance.now() + 5_000; rejected < 2 && performance.now() < deadline; ) {
      rejected = (await stats()).rejectedHandshakes;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(rejected).toBeGreaterThanOrEqual(2);
    expect(s.browser.connectedPeers()).toEqual([]);
    expect(atBob.messages).toEqual([]);
    expect(atBob.status).toEqual([]);
    await endSession(s);
  });

  it('closes a connection on an oversized frame from Node (browsers have no maxPayload), then reconnects', async () => {
    const s = await startSession(['alice', 'bob'], 'alice', { nodeMaxMessageBytes: 4096, browser: { maxMessageBytes: 1024 } });
    await waitFor(() => s.browser.connectedPeers().length === 1, 'the browser to connect');
    const got: InboundMessage[] = [];
    const status: PeerStatusEvent[] = [];
    s.browser.onMessage((m) => got.push(m));
    s.browser.onPeerStatus((e) => status.push(e));
    await s.control.request('send', { session: s.session, member: 'bob', to: 'alice', bytes: new Uint8Array(1025) });
    await waitFor(() => s.browser.stats().protocolErrors === 1, 'the browser to refuse the oversized frame');
    await waitFor(() => status.filter((e) => e.status === 'connected').length === 1 && s.browser.connectedPeers().length === 1, 'the browser to reconnect');
    await s.control.request('send', { session: s.session, member: 'bob', to: 'alice', bytes: new Uint8Array(1024).fill(3) });
    await waitFor(() => got.length === 1, 'a message at the limit');
    expect(got[0]!.bytes).toEqual(new Uint8Array(1024).fill(3));
    expect(status.map((e) => e.status)).toEqual(['disconnected', 'connected']);
    await endSession(s);
  });

  it('reconnects after the Node member restarts and delivers what was queued meanwhile, in order', async () => {
    const s = await startSession(['alice', 'bob'], 'alice');
    await waitFor(() => s.browser.connectedPeers().length === 1, 'the browser to connect');
    const status: PeerStatusEvent[] = [];
    s.browser.onPeerStatus((e) => status.push(e));
    const atBob = nodeEvents(s, 'bob');
    await s.control.request('restart', { session: s.session, member: 'bob' });
    await waitFor(() => status.some((e) => e.status === 'disconnected'), 'the browser to see the restart');
    for (let i = 0; i < 3; i++) await s.browser.send('bob', Uint8Array.of(i));
    await waitFor(() => atBob.messages.length === 3, 'the queued messages at the restarted bob');
    expect(atBob.messages.map((m) => [m.from, ...m.bytes])).toEqual([['alice', 0], ['alice', 1], ['alice', 2]]);
    expect(status.map((e) => e.status)).toEqual(['disconnected', 'connected']);
    await endSession(s);
  });

  it('keeps order under backpressure: 16 × 1 MiB from the browser arrive complete and in order', async () => {
    const s = await startSession(['alice', 'bob'], 'alice');
    await waitFor(() => s.browser.connectedPeers().length === 1, 'the browser to connect');
    const atBob = nodeEvents(s, 'bob');
    const size = 1024 * 1024;
    await Promise.all(Array.from({ length: 16 }, (_, i) => s.browser.send('bob', new Uint8Array(size).fill(i))));
    await waitFor(() => atBob.messages.length === 16, '16 large messages at bob', 15_000);
    expect(atBob.messages.map((m) => [m.bytes.length, m.bytes[0], m.bytes[size - 1]])).toEqual(Array.from({ length: 16 }, (_, i) => [size, i, i]));
    expect(s.browser.stats().droppedMessages).toBe(0);
    await endSession(s);
  });
});
