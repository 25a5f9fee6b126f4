/**
 * The parent side of a multi-process cluster: starts one replica host per
 * replica as a child Node process, watches their stdout events, sends them
 * commands, kills and restarts them, and opens client endpoints in the
 * parent's process.
 *
 * **Ports.** Every member must know every replica's url before any transport
 * starts, so the parent picks the ports: it binds one server per replica on
 * 127.0.0.1:0 (all at once, so the ports are distinct), reads the ports and
 * closes the servers, then starts the hosts on those ports. Another process
 * could take one of those ports in between; a host that cannot listen reports
 * a `fatal` line and exits, and {@link startProcessCluster} then starts the
 * whole cluster again on fresh ports (a few attempts). A restarted host reuses
 * its port, which stays free while it is down unless something else grabs it.
 * @module
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bytesToHex, checkDeploymentId, defaultCrypto, hexToBytes, type CryptoProvider } from '@admitone/core';
import type { PbftTunables, ReplicaMember } from '@admitone/consensus';
import { webSocketTransport, type WebSocketMember, type WebSocketTransport } from '@admitone/transport-ws';
import type { ReplicaHostConfig } from './config.js';
import type { HostEvent, StatusFields } from './protocol.js';

/** The default deployment id of a process cluster. */
export const CLUSTER_DEPLOYMENT = 'admitone-cluster';

/** Options of {@link startProcessCluster}. */
export interface ProcessClusterInit {
  /** Number of replicas (≥ 4). Ids are `r0`, `r1`, …; `r0` is the first primary. */
  readonly n: number;
  /** Transport ids of the client endpoints the parent may open. Default `['c0']`. */
  readonly clientIds?: readonly string[];
  /** Seed of the deterministic keys. Default `'admitone-cluster'`. */
  readonly seed?: string;
  /** The ledger's deployment id (clients must sign for it). Default {@link CLUSTER_DEPLOYMENT}. */
  readonly deployment?: string;
  readonly tunables?: PbftTunables;
  /** LevelDB `fsync` on every write. Default `true`. */
  readonly sync?: boolean;
  /** Default `true`. */
  readonly requireHolderCode?: boolean;
  /** Default 1 000; 0 turns periodic status lines off. */
  readonly statusIntervalMs?: number;
  /** Default `true`. */
  readonly logExecuted?: boolean;
  readonly logLevel?: ReplicaHostConfig['logLevel'];
  /** Extra Node flags per replica (e.g. `--cpu-prof`). */
  readonly nodeArgs?: (id: string) => readonly string[];
  /** How long a host may take to print `ready`, in ms. Default 30 000. */
  readonly startTimeoutMs?: number;
  /** Called with every line of every host (for debugging). */
  readonly onEvent?: (id: string, event: HostEvent) => void;
}

/** A running multi-process cluster. */
export interface ProcessCluster {
  /** Replica ids in membership order. */
  readonly ids: readonly string[];
  /** The ledger's deployment id: clients sign their requests for it. */
  readonly deployment: string;
  /** The PBFT membership (ids and public keys). */
  readonly members: readonly ReplicaMember[];
  /** The transport membership: replicas with urls, then clients. */
  readonly transportMembers: readonly WebSocketMember[];
  /** The temp directory holding every replica's LevelDB directory. */
  readonly dir: string;
  readonly crypto: CryptoProvider;
  /** True while the host of `id` runs. */
  alive(id: string): boolean;
  /** Kills the host of `id` (SIGKILL by default) and waits for it to exit. */
  kill(id: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts the host of `id` again, on the same port and data directory, and waits for `ready`. */
  restart(id: string): Promise<void>;
  /** `status` of a host. */
  status(id: string, timeoutMs?: number): Promise<StatusFields & { readonly peers: readonly string[]; readonly dropped: Readonly<Record<string, number>> }>;
  /** `digest` of a host: its app digest (hex) and `lastExecuted`. */
  digest(id: string, timeoutMs?: number): Promise<{ readonly lastExecuted: number; readonly digest: string }>;
  /** Runs a read-only app query on a host's current state; resolves with the encoded answer. */
  query(id: string, query: Uint8Array, timeoutMs?: number): Promise<{ readonly lastExecuted: number; readonly result: Uint8Array }>;
  /**
   * Waits for a line of `id` matching `match`, among lines printed from now on
   * (or since the host started, with `past`). Rejects after `timeoutMs` with a
   * message naming `what`, or when the host exits.
   */
  waitForEvent(id: string, match: (e: HostEvent) => boolean, what: string, opts?: { timeoutMs?: number; past?: boolean }): Promise<HostEvent>;
  /** Every line the current run of `id` printed (the last 20 000). */
  events(id: string): readonly HostEvent[];
  /**
   * Opens the parent-side endpoint of client `clientId` and waits until it is
   * connected to every live replica.
   */
  openClientTransport(clientId: string, timeoutMs?: number): Promise<WebSocketTransport>;
  /** Stops every host (SIGTERM, then SIGKILL), closes client endpoints and deletes the temp directory. */
  close(): Promise<void>;
}

const HOST = fileURLToPath(new URL('./replica-host.ts', import.meta.url));
const CLUSTER_DIR = fileURLToPath(new URL('..', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAX_EVENTS = 20_000;

/** A deterministic 32-byte key for `label`. */
export function keyFor(seed: string, label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`${seed}:${label}`).digest());
}

/** Starts `init.n` replica hosts in child processes and waits until each printed `ready`. */
export async function startProcessCluster(init: ProcessClusterInit): Promise<ProcessCluster> {
  if (!Number.isSafeInteger(init.n) || init.n < 4) throw new RangeError(`init.n must be an integer ≥ 4, got ${init.n}`);
  const crypto = await defaultCrypto();
  const seed = init.seed ?? 'admitone-cluster';
  const deployment = checkDeploymentId(init.deployment ?? CLUSTER_DEPLOYMENT, 'init.deployment');
  const ids = Array.from({ length: init.n }, (_, i) => `r${i}`);
  const clientIds = [...(init.clientIds ?? ['c0'])];
  const keys = new Map([...ids, ...clientIds].map((id) => [id, keyFor(seed, `transport:${id}`)]));
  const publicKeys = new Map<string, Uint8Array>();
  for (const [id, k] of keys) publicKeys.set(id, await crypto.getPublicKey(k));
  const members: ReplicaMember[] = ids.map((id) => ({ id, publicKey: publicKeys.get(id) as Uint8Array }));
  const dir = mkdtempSync(join(tmpdir(), 'admitone-cluster-'));

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const ports = await pickPorts(init.n);
    const urls = new Map(ids.map((id, i) => [id, `ws://127.0.0.1:${ports[i] as number}`]));
    const configs = new Map<string, ReplicaHostConfig>(
      ids.map((id) => [
        id,
        {
          deployment,
          id,
          secretKey: bytesToHex(keys.get(id) as Uint8Array),
          replicas: ids.map((r) => ({ id: r, publicKey: bytesToHex(publicKeys.get(r) as Uint8Array), url: urls.get(r) as string })),
          clients: clientIds.map((c) => ({ id: c, publicKey: bytesToHex(publicKeys.get(c) as Uint8Array) })),
          dataDir: join(dir, `${id}-attempt${attempt}`),
          ...(init.tunables === undefined ? {} : { tunables: init.tunables }),
          ...(init.sync === undefined ? {} : { sync: init.sync }),
          ...(init.requireHolderCode === undefined ? {} : { requireHolderCode: init.requireHolderCode }),
          ...(init.statusIntervalMs === undefined ? {} : { statusIntervalMs: init.statusIntervalMs }),
          ...(init.logExecuted === undefined ? {} : { logExecuted: init.logExecuted }),
          ...(init.logLevel === undefined ? {} : { logLevel: init.logLevel }),
        },
      ]),
    );
    const cluster = createCluster(init, crypto, deployment, ids, members, clientIds, keys, publicKeys, urls, configs, dir);
    try {
      await Promise.all(ids.map((id) => cluster.restart(id)));
      return cluster;
    } catch (err) {
      lastError = err;
      await cluster.close({ keepDir: true });
      // only a port taken between picking and listening is worth another attempt
      if (!/TRANSPORT_IO|EADDRINUSE/.test(String(err))) break;
    }
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  throw lastError;
}

interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly events: HostEvent[];
  readonly listeners: Set<(e: HostEvent | undefined) => void>;
  readonly exited: Promise<void>;
  exitCode: number | null | undefined;
  stderr: string;
}

function createCluster(
  init: ProcessClusterInit,
  crypto: CryptoProvider,
  deployment: string,
  ids: readonly string[],
  members: readonly ReplicaMember[],
  clientIds: readonly string[],
  keys: ReadonlyMap<string, Uint8Array>,
  publicKeys: ReadonlyMap<string, Uint8Array>,
  urls: ReadonlyMap<string, string>,
  configs: ReadonlyMap<string, ReplicaHostConfig>,
  dir: string,
): ProcessCluster & { close(opts?: { keepDir?: boolean }): Promise<void> } {
  const children = new Map<string, Child>();
  const clients: WebSocketTransport[] = [];
  const transportMembers: WebSocketMember[] = [
    ...ids.map((id) => ({ id, publicKey: publicKeys.get(id) as Uint8Array, url: urls.get(id) as string })),
    ...clientIds.map((id) => ({ id, publicKey: publicKeys.get(id) as Uint8Array })),
  ];
  let tags = 0;
  let closed = false;

  const child = (id: string): Child => {
    const c = children.get(id);
    if (c === undefined || c.exitCode !== undefined) throw new Error(`replica ${id} is not running`);
    return c;
  };

  function spawnHost(id: string): Child {
    const config = configs.get(id);
    if (config === undefined) throw new RangeError(`unknown replica id ${JSON.stringify(id)}`);
    const proc = spawn(process.execPath, [...(init.nodeArgs?.(id) ?? []), '--conditions=admitone-source', '--import', TSX, HOST], {
      cwd: CLUSTER_DIR,
      env: { ...process.env, ADMITONE_REPLICA_CONFIG: JSON.stringify(config) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let resolveExit: () => void = () => {};
    const c: Child = { proc, events: [], listeners: new Set(), exited: new Promise<void>((r) => (resolveExit = r)), exitCode: undefined, stderr: '' };
    proc.stdin.on('error', () => {}); // EPIPE after the child died
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      c.stderr = (c.stderr + chunk).slice(-8000);
    });
    let buffered = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let e: HostEvent;
        try {
          e = JSON.parse(line) as HostEvent;
        } catch {
          e = { event: 'log', level: 'info', msg: 'non-JSON stdout line', line };
        }
        c.events.push(e);
        if (c.events.length > MAX_EVENTS) c.events.splice(0, c.events.length - MAX_EVENTS);
        init.onEvent?.(id, e);
        for (const l of [...c.listeners]) l(e);
      }
    });
    // 'close' fires after the process exited and its stdio ended, so every line has been seen
    proc.once('close', (code, signal) => {
      c.exitCode = code ?? (signal === null ? -1 : -2);
      for (const l of [...c.listeners]) l(undefined);
      resolveExit();
    });
    children.set(id, c);
    return c;
  }

  function waitOn(c: Child, id: string, match: (e: HostEvent) => boolean, what: string, timeoutMs: number, past: boolean): Promise<HostEvent> {
    if (past) {
      const hit = c.events.find(match);
      if (hit !== undefined) return Promise.resolve(hit);
    }
    return new Promise<HostEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        c.listeners.delete(listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (replica ${id})${tail(c)}`));
      }, timeoutMs);
      const listener = (e: HostEvent | undefined) => {
        if (e === undefined) {
          clearTimeout(timer);
          c.listeners.delete(listener);
          reject(new Error(`replica ${id} exited (code ${String(c.exitCode)}) while waiting for ${what}${tail(c)}`));
          return;
        }
        if (!match(e)) return;
        clearTimeout(timer);
        c.listeners.delete(listener);
        resolve(e);
      };
      c.listeners.add(listener);
    });
  }

  async function command<E extends HostEvent['event']>(id: string, line: string, kind: E, timeoutMs: number): Promise<Extract<HostEvent, { event: E }>> {
    const c = child(id);
    const tag = `t${++tags}`;
    const full = `${line} ${tag}`;
    const answer = waitOn(c, id, (e) => ('tag' in e && e.tag === tag) || (e.event === 'error' && e.command === full), `the answer to "${line}"`, timeoutMs, false);
    c.proc.stdin.write(`${full}\n`);
    const e = await answer;
    if (e.event === 'error') throw new Error(`replica ${id} refused "${line}": ${e.error}`);
    if (e.event !== kind) throw new Error(`replica ${id} answered "${line}" with ${e.event}`);
    return e as Extract<HostEvent, { event: E }>;
  }

  const cluster = {
    ids,
    deployment,
    members,
    transportMembers,
    dir,
    crypto,
    alive: (id: string) => children.get(id)?.exitCode === undefined && children.has(id),
    async kill(id: string, signal: NodeJS.Signals = 'SIGKILL') {
      const c = child(id);
      c.proc.kill(signal);
      await c.exited;
    },
    async restart(id: string) {
      if (closed) throw new Error('the cluster is closed');
      const old = children.get(id);
      if (old !== undefined && old.exitCode === undefined) throw new Error(`replica ${id} is still running`);
      const c = spawnHost(id);
      const timeoutMs = init.startTimeoutMs ?? 30_000;
      const e = await waitOn(c, id, (x) => x.event === 'ready' || x.event === 'fatal', 'the host to be ready', timeoutMs, true);
      if (e.event === 'fatal') {
        await c.exited;
        throw new Error(`replica ${id} failed to start: ${e.error}${e.code === undefined ? '' : ` (${e.code})`}`);
      }
    },
    async status(id: string, timeoutMs = 5000) {
      const { event: _e, tag: _t, ...rest } = await command(id, 'status', 'status', timeoutMs);
      return rest;
    },
    async digest(id: string, timeoutMs = 5000) {
      const e = await command(id, 'digest', 'digest', timeoutMs);
      return { lastExecuted: e.lastExecuted, digest: e.digest };
    },
    async query(id: string, q: Uint8Array, timeoutMs = 5000) {
      const e = await command(id, `query ${bytesToHex(q)}`, 'query', timeoutMs);
      return { lastExecuted: e.lastExecuted, result: hexToBytes(e.result) };
    },
    waitForEvent(id: string, match: (e: HostEvent) => boolean, what: string, opts: { timeoutMs?: number; past?: boolean } = {}) {
      return waitOn(child(id), id, match, what, opts.timeoutMs ?? 10_000, opts.past ?? false);
    },
    events: (id: string) => children.get(id)?.events ?? [],
    async openClientTransport(clientId: string, timeoutMs = 10_000) {
      const secretKey = keys.get(clientId);
      if (secretKey === undefined || !clientIds.includes(clientId)) throw new RangeError(`unknown client id ${JSON.stringify(clientId)}`);
      const t = await webSocketTransport({
        localId: clientId,
        secretKey,
        members: transportMembers,
        crypto,
        reconnect: { minMs: 50, maxMs: 500 },
        maxMessageBytes: 8 << 20,
      });
      clients.push(t);
      const live = ids.filter((id) => cluster.alive(id));
      const end = Date.now() + timeoutMs;
      while (!live.every((id) => t.connectedPeers().includes(id))) {
        if (Date.now() > end) throw new Error(`client ${clientId} did not connect to ${live.filter((id) => !t.connectedPeers().includes(id)).join(', ')} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return t;
    },
    async close(opts: { keepDir?: boolean } = {}) {
      closed = true;
      await Promise.all(clients.splice(0).map((t) => t.close().catch(() => {})));
      await Promise.all(
        [...children.values()].map(async (c) => {
          if (c.exitCode !== undefined) return;
          c.proc.kill('SIGTERM');
          const timer = setTimeout(() => c.proc.kill('SIGKILL'), 3000);
          await c.exited;
          clearTimeout(timer);
        }),
      );
      if (opts.keepDir !== true) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  return cluster;
}

/** The last lines a host printed on stderr, for failure messages. */
function tail(c: Child): string {
  const err = c.stderr.trim();
  const fatal = c.events.filter((e) => e.event === 'fatal' || e.event === 'error').map((e) => JSON.stringify(e));
  const parts = [...fatal, ...(err.length > 0 ? [`stderr: ${err.slice(-2000)}`] : [])];
  return parts.length === 0 ? '' : `\n${parts.join('\n')}`;
}

/** Distinct free ports on 127.0.0.1: binds `count` servers on port 0 at once, reads their ports, closes them. */
async function pickPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}
