/**
 * The Node side of the browser tests, run as a child process by
 * `ws-server.global-setup.ts` (through tsx, with the `admitone-source`
 * condition). It hosts real Node `webSocketTransport` endpoints, each on its
 * own HTTP server on 127.0.0.1:0, which browser endpoints dial directly; a
 * separate control WebSocket lets the browser test create them, call their
 * methods and receive their events (see `control-protocol.ts`).
 *
 * Prints `READY ws://127.0.0.1:<port>` on stdout once listening; exits on
 * SIGTERM or when stdin closes, after closing everything it opened.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { nobleCrypto, seededRandom, type CborValue } from '@admitone/core';
import { webSocketTransport, type WebSocketMember, type WebSocketTransport } from '../src/index.js';
import { decodeControl, encodeControl, type ControlMember, type ErrorShape, type SetupArgs } from './control-protocol.js';

const crypto = nobleCrypto();

interface Session {
  readonly ids: readonly string[];
  readonly members: readonly WebSocketMember[];
  readonly secretKeys: ReadonlyMap<string, Uint8Array>;
  readonly servers: ReadonlyMap<string, { server: Server; close(): Promise<void> }>;
  readonly transports: Map<string, WebSocketTransport>;
  readonly maxMessageBytes: number | null;
}

const sessions = new Map<number, Session>();
let nextSession = 1;

const control = createServer();
const wss = new WebSocketServer({ server: control, perMessageDeflate: false, maxPayload: 128 * 1024 * 1024 });
wss.on('connection', (ws) => {
  ws.binaryType = 'arraybuffer';
  ws.on('message', (data) => void handle(ws, new Uint8Array(data as ArrayBuffer)));
  ws.on('error', () => {});
});

control.listen(0, '127.0.0.1', () => {
  const { port } = control.address() as AddressInfo;
  process.stdout.write(`READY ws://127.0.0.1:${port}\n`);
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([...sessions.keys()].map((s) => teardown(s)));
  for (const client of wss.clients) client.terminate();
  wss.close();
  control.close();
  control.closeAllConnections();
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();

async function handle(ws: WebSocket, bytes: Uint8Array): Promise<void> {
  const [, id, op, args] = decodeControl(bytes) as [string, number, string, Record<string, CborValue>];
  try {
    const value = await run(ws, op, args);
    ws.send(encodeControl(['res', id, true, value]));
  } catch (error) {
    const e = error as { name?: unknown; code?: unknown; message?: unknown };
    const shape: ErrorShape = {
      name: String(e.name ?? 'Error'),
      code: typeof e.code === 'string' ? e.code : null,
      message: String(e.message ?? error),
    };
    ws.send(encodeControl(['res', id, false, { ...shape }]));
  }
}

async function run(ws: WebSocket, op: string, args: Record<string, CborValue>): Promise<CborValue> {
  switch (op) {
    case 'setup':
      return setup(ws, args as unknown as SetupArgs);
    case 'ready': {
      const s = session(args);
      await waitFor(() => [...s.transports.values()].every((t) => t.connectedPeers().length === s.ids.length - 1), 'every Node member to see every peer');
      return Object.fromEntries([...s.transports].map(([id, t]) => [id, t.connectedPeers()]));
    }
    case 'send':
      await transport(args).send(args['to'] as string, args['bytes'] as Uint8Array);
      return null;
    case 'broadcast':
      await transport(args).broadcast(args['bytes'] as Uint8Array);
      return null;
    case 'close':
      await transport(args).close();
      return null;
    case 'stats':
      return { ...transport(args).stats() };
    case 'restart': {
      const s = session(args);
      const id = args['member'] as string;
      await transport(args).close();
      s.transports.set(id, await open(ws, args['session'] as number, s, id));
      return null;
    }
    case 'teardown':
      await teardown(args['session'] as number);
      return null;
    default:
      throw new TypeError(`unknown op ${op}`);
  }
}

async function setup(ws: WebSocket, args: SetupArgs): Promise<CborValue> {
  const sessionId = nextSession++;
  const nodeIds = args.ids.filter((id) => id !== args.browserId);
  const rng = seededRandom(`control-session-${sessionId}`);
  const secretKeys = new Map(nodeIds.map((id) => [id, rng.fork(id).bytes(32)] as const));
  const servers = new Map(await Promise.all(nodeIds.map(async (id) => [id, await httpServer()] as const)));
  const members: WebSocketMember[] = await Promise.all(
    args.ids.map(async (id): Promise<WebSocketMember> => {
      if (id === args.browserId) return { id, publicKey: args.browserPublicKey };
      return { id, publicKey: await crypto.getPublicKey(secretKeys.get(id) as Uint8Array), url: urlOf(servers.get(id)!.server) };
    }),
  );
  const s: Session = { ids: args.ids, members, secretKeys, servers, transports: new Map(), maxMessageBytes: args.maxMessageBytes };
  sessions.set(sessionId, s);
  for (const id of nodeIds) s.transports.set(id, await open(ws, sessionId, s, id));
  const first = s.transports.values().next().value as WebSocketTransport;
  const wire: ControlMember[] = members.map((m) => ({ id: m.id, publicKey: m.publicKey, url: m.url ?? null }));
  return { session: sessionId, members: wire.map((m) => ({ ...m })), capabilities: { ...first.capabilities } };
}

/** Opens the Node endpoint `id` of session `s` and streams its events to the browser. */
async function open(ws: WebSocket, sessionId: number, s: Session, id: string): Promise<WebSocketTransport> {
  const t = await webSocketTransport({
    localId: id,
    secretKey: s.secretKeys.get(id) as Uint8Array,
    members: s.members,
    crypto,
    listen: { server: s.servers.get(id)!.server },
    reconnect: { minMs: 10, maxMs: 100 },
    ...(s.maxMessageBytes === null ? {} : { maxMessageBytes: s.maxMessageBytes }),
  });
  const push = (kind: string, payload: CborValue): void => {
    if (ws.readyState === ws.OPEN) ws.send(encodeControl(['event', sessionId, id, kind, payload]));
  };
  t.onMessage((m) => push('message', { from: m.from, bytes: m.bytes }));
  t.onPeerStatus((e) => push('status', { peer: e.peer, status: e.status, connected: t.connectedPeers() }));
  return t;
}

async function teardown(sessionId: number): Promise<void> {
  const s = sessions.get(sessionId);
  if (s === undefined) return;
  sessions.delete(sessionId);
  await Promise.allSettled([...s.transports.values()].map((t) => t.close()));
  await Promise.allSettled([...s.servers.values()].map((x) => x.close()));
}

function session(args: Record<string, CborValue>): Session {
  const s = sessions.get(args['session'] as number);
  if (s === undefined) throw new RangeError(`unknown session ${String(args['session'])}`);
  return s;
}

function transport(args: Record<string, CborValue>): WebSocketTransport {
  const t = session(args).transports.get(args['member'] as string);
  if (t === undefined) throw new RangeError(`unknown member ${String(args['member'])}`);
  return t;
}

async function httpServer(): Promise<{ server: Server; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function urlOf(server: Server): string {
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
