/**
 * `startVenueNetwork`: a whole local venue network, one process per venue
 * node, on 127.0.0.1. It generates the keys and configurations of N nodes
 * (default 4) and of named client devices, writes them under a temp
 * directory (or a given one), spawns `node --conditions=admitone-source
 * --import tsx src/main.ts <config.json>` per node, waits until every node
 * printed `ready` (all start together: the committees' DKGs need everyone),
 * and returns a handle to kill, restart and stop nodes.
 *
 * **Ports.** Every node must know every other node's urls before it starts,
 * so the parent picks 3·N free ports by binding 127.0.0.1:0 that many times
 * at once, then closes them and hands them out. If another process grabs one
 * in between, the node reports `fatal` and the whole network is started again
 * on fresh ports and fresh data directories (three attempts).
 * @module
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bytesToHex, checkDeploymentId, defaultCrypto, hash, seededRandom, systemRandom, utf8ToBytes, type LogLevel, type Random } from '@admitone/core';
import { x25519KeyPair } from '@admitone/core/threshold';
import type { PbftTunables } from '@admitone/consensus';
import type { CommitteeDescriptor } from '@admitone/identity';
import type { OrderCommittee } from '@admitone/market';
import type { WebSocketMember } from '@admitone/transport-ws';
import { decodeVenueInfo } from './client/venue-info.js';
import { venueApi, type VenueApi } from './client/venue-api.js';
import type { VenueInfo } from './client/types.js';
import type { VenueNodeConfig } from './config.js';
import type { NodeProcessEvent } from './main.js';

/** Options of {@link startVenueNetwork}. */
export interface VenueNetworkOptions {
  /** Venue nodes (≥ 4). Default 4. Ids are `n0`, `n1`, …; `n0` is the first PBFT primary. */
  readonly n?: number;
  /** Named client devices to generate keys for; they are members of the ledger mesh. */
  readonly clients?: readonly string[];
  /** Client names whose keys may `deposit` (added to `clients` if missing). Default `['gateway']`. */
  readonly funders?: readonly string[];
  /** Client names allowed to derive event tags in ID mode at the identity committee. Default none. */
  readonly gates?: readonly string[];
  /** Seed of every generated key (deterministic runs). Default: fresh random keys. */
  readonly seed?: string;
  /** The venue's deployment id. Default `venue-` and 8 random hex digits. */
  readonly deployment?: string;
  /** Put configurations and data here instead of a new temp directory (never deleted by `stop`). */
  readonly dir?: string;
  /** Leave the temp directory in place on `stop()`. */
  readonly keep?: boolean;
  /** The organizer API token. Default: random. */
  readonly organizerToken?: string;
  /** Identity committee degree t (n ≥ 3t + 1). Default ⌊(n − 1) / 3⌋. */
  readonly identityDegree?: number;
  /** Order committee degree t (t + 1 shares decrypt). Default ⌊(n − 1) / 3⌋. */
  readonly orderDegree?: number;
  /** PBFT tunables for every node. */
  readonly tunables?: PbftTunables;
  /** LevelDB `fsync`. Default `true`. */
  readonly sync?: boolean;
  /** Node log level. Default `info`. */
  readonly logLevel?: LogLevel;
  /** Rotating-code step of the contract, in ms. Default 15 000. */
  readonly codeStepMs?: number;
  /** MiMC power tuples the identity committee prepares ahead. Default 728. */
  readonly preprocessAhead?: number;
  /** How long the nodes may take to print `ready`, in ms. Default 90 000. */
  readonly startTimeoutMs?: number;
  /** Extra Node flags for every node process. */
  readonly nodeArgs?: readonly string[];
  /** Receives every stderr (log) line of every node. */
  readonly onLog?: (id: string, line: string) => void;
}

/** Keys of a generated client device. */
export interface VenueClientKeys {
  /** Its id on the ledger mesh (its name). */
  readonly id: string;
  /** Its 32-byte Ed25519 seed. */
  readonly secretKey: Uint8Array;
  /** Its public key. */
  readonly publicKey: Uint8Array;
}

/** One node of the network. */
export interface VenueNetworkNode {
  /** Node id. */
  readonly id: string;
  /** Its HTTP API. */
  readonly httpUrl: string;
  /** Its replica's ledger-mesh url. */
  readonly ledgerUrl: string;
  /** Its committee-mesh url. */
  readonly committeeUrl: string;
  /** Its relay client's id. */
  readonly relayId: string;
  /** Its data directory. */
  readonly dataDir: string;
  /** Its configuration file. */
  readonly configPath: string;
}

/** A running venue network. */
export interface VenueNetwork {
  /** The directory holding configurations and data. */
  readonly dir: string;
  /** The nodes, in membership order. */
  readonly nodes: readonly VenueNetworkNode[];
  /** Replica ids in membership order. */
  readonly replicaIds: readonly string[];
  /** The whole ledger mesh: replicas (with urls), relays and client devices. */
  readonly ledgerMembers: readonly WebSocketMember[];
  /**
   * The membership a client device's own transport takes: the replicas (with
   * urls) and the device itself (client devices only talk to replicas).
   */
  ledgerMembersFor(client: string): readonly WebSocketMember[];
  /** Generated client devices by name. */
  readonly clients: Readonly<Record<string, VenueClientKeys>>;
  /** The organizer API token (`Authorization: Bearer …`). */
  readonly organizerToken: string;
  /** The public venue description (from the first node). */
  readonly venue: VenueInfo;
  /** The identity committee. */
  readonly identityCommittee: CommitteeDescriptor;
  /** The order committee (its `publicKey` seals orders). */
  readonly orderCommittee: OrderCommittee;
  /** A typed API client for node `i`. */
  api(i: number): VenueApi;
  /** True while node `i`'s process runs. */
  alive(i: number): boolean;
  /** Node `i`'s pid, while it runs. */
  pid(i: number): number | undefined;
  /** Kills node `i` (SIGKILL by default) and waits until it exited. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts node `i` again with the same configuration and data directory; waits for `ready`. */
  restart(i: number): Promise<void>;
  /** The last stderr (log) lines of node `i`. */
  logs(i: number): string;
  /** Stops every node (SIGTERM, then SIGKILL), and removes the temp directory unless `keep` or `dir`. */
  stop(): Promise<void>;
}

// the client helpers a network's users need, re-exported for convenience (they live in browser-safe files)
export { httpCommitteeEndpoint } from './client/committee-endpoint.js';
export { venueApi } from './client/venue-api.js';
export { decodeVenueInfo } from './client/venue-info.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Generates, starts and waits for a venue network. Rejects (after cleaning up) when a node fails to start. */
export async function startVenueNetwork(options: VenueNetworkOptions = {}): Promise<VenueNetwork> {
  const n = options.n ?? 4;
  if (!Number.isSafeInteger(n) || n < 4) throw new RangeError(`options.n must be an integer ≥ 4, got ${String(options.n)}`);
  const crypto = await defaultCrypto();
  const random: Random = options.seed === undefined ? systemRandom() : seededRandom(options.seed);
  const deployment = options.deployment ?? `venue-${bytesToHex(random.bytes(4))}`;
  checkDeploymentId(deployment, 'options.deployment');
  const t = Math.floor((n - 1) / 3);
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const funders = [...(options.funders ?? ['gateway'])];
  const clientNames = [...new Set([...(options.clients ?? []), ...funders, ...(options.gates ?? [])])];
  const ed = async () => {
    const secretKey = random.bytes(32);
    return { secretKey, publicKey: await crypto.getPublicKey(secretKey) };
  };
  const nodeKeys = [];
  for (const id of ids) nodeKeys.push({ id, main: await ed(), relay: await ed(), enc: x25519KeyPair(random) });
  const clients: Record<string, VenueClientKeys> = {};
  for (const name of clientNames) clients[name] = { id: name, ...(await ed()) };
  const organizerToken = options.organizerToken ?? bytesToHex(random.bytes(24));
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'admitone-venue-'));
  mkdirSync(dir, { recursive: true });

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const ports = await pickPorts(3 * n);
    const port = (i: number, k: number) => ports[3 * i + k] as number;
    const entries = nodeKeys.map((k, i) => ({
      id: k.id,
      publicKey: bytesToHex(k.main.publicKey),
      ledgerUrl: `ws://127.0.0.1:${port(i, 0)}`,
      committeeUrl: `ws://127.0.0.1:${port(i, 1)}`,
      httpUrl: `http://127.0.0.1:${port(i, 2)}`,
      encryptionKey: bytesToHex(k.enc.publicKey),
      relay: { id: `${k.id}-relay`, publicKey: bytesToHex(k.relay.publicKey) },
    }));
    const nodes: VenueNetworkNode[] = nodeKeys.map((k, i) => {
      const base = join(dir, `${k.id}${attempt === 0 ? '' : `-attempt${attempt}`}`);
      mkdirSync(base, { recursive: true });
      const config: VenueNodeConfig = {
        deployment,
        id: k.id,
        keys: { secretKey: bytesToHex(k.main.secretKey), encryptionSecretKey: bytesToHex(k.enc.secretKey), relaySecretKey: bytesToHex(k.relay.secretKey) },
        replicas: entries,
        clients: clientNames.map((name) => ({ id: name, publicKey: bytesToHex((clients[name] as VenueClientKeys).publicKey) })),
        dataDir: join(base, 'data'),
        http: { host: '127.0.0.1', port: port(i, 2) },
        organizer: { tokenSha256: [bytesToHex(hash(utf8ToBytes(organizerToken)))] },
        fundingKeys: funders.map((name) => bytesToHex((clients[name] as VenueClientKeys).publicKey)),
        identity: {
          committeeId: 'venue-identity',
          degree: options.identityDegree ?? t,
          authorizedGates: (options.gates ?? []).map((name) => bytesToHex((clients[name] as VenueClientKeys).publicKey)),
          ...(options.preprocessAhead === undefined ? {} : { preprocessAhead: options.preprocessAhead }),
        },
        orders: { committeeId: 'venue-orders', degree: options.orderDegree ?? t },
        ...(options.codeStepMs === undefined ? {} : { contract: { codeStepMs: options.codeStepMs } }),
        ...(options.tunables === undefined ? {} : { tunables: options.tunables }),
        ...(options.sync === undefined ? {} : { sync: options.sync }),
        ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
      };
      const configPath = join(base, 'config.json');
      writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
      const e = entries[i] as (typeof entries)[number];
      return { id: k.id, httpUrl: e.httpUrl, ledgerUrl: e.ledgerUrl, committeeUrl: e.committeeUrl, relayId: e.relay.id, dataDir: config.dataDir, configPath };
    });
    const processes = createProcesses(nodes, options);
    try {
      await Promise.all(nodes.map((_, i) => processes.start(i)));
      const first = venueApi((nodes[0] as VenueNetworkNode).httpUrl);
      const info = await first.venue();
      if (!info.ok) throw new Error(`node ${ids[0]} did not describe the venue: ${info.error.message}`);
      const decoded = decodeVenueInfo(info.data);
      const ledgerMembers: WebSocketMember[] = [
        ...decoded.replicas.map((r) => ({ id: r.id, publicKey: r.publicKey, url: r.url })),
        ...decoded.relays,
        ...clientNames.map((name) => ({ id: name, publicKey: (clients[name] as VenueClientKeys).publicKey })),
      ];
      let stopped: Promise<void> | undefined;
      return {
        dir,
        nodes,
        replicaIds: ids,
        ledgerMembers,
        ledgerMembersFor(client) {
          const keys = clients[client];
          if (keys === undefined) throw new RangeError(`unknown client ${JSON.stringify(client)}`);
          return [...decoded.replicas.map((r) => ({ id: r.id, publicKey: r.publicKey, url: r.url })), { id: keys.id, publicKey: keys.publicKey }];
        },
        clients,
        organizerToken,
        venue: info.data,
        identityCommittee: decoded.identityCommittee,
        orderCommittee: decoded.orderCommittee,
        api: (i) => venueApi(nodeAt(nodes, i).httpUrl),
        alive: (i) => processes.alive(i),
        pid: (i) => processes.pid(i),
        kill: (i, signal) => processes.kill(i, signal ?? 'SIGKILL'),
        restart: (i) => processes.start(i),
        logs: (i) => processes.logs(i),
        stop() {
          stopped ??= (async () => {
            await processes.stopAll();
            if (ownDir && options.keep !== true) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
          })();
          return stopped;
        },
      };
    } catch (err) {
      lastError = err;
      await processes.stopAll();
      if (!/TRANSPORT_IO|EADDRINUSE/.test(String(err))) break;
    }
  }
  if (ownDir && options.keep !== true) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  throw lastError;
}

function nodeAt(nodes: readonly VenueNetworkNode[], i: number): VenueNetworkNode {
  const node = nodes[i];
  if (node === undefined) throw new RangeError(`no node ${i} (there are ${nodes.length})`);
  return node;
}

interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<void>;
  exitCode: number | null | undefined;
  stderr: string[];
}

function createProcesses(nodes: readonly VenueNetworkNode[], options: VenueNetworkOptions) {
  const children = new Map<number, Child>();
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  let closed = false;

  const logs = (i: number): string => (children.get(i)?.stderr ?? []).join('\n');

  function spawnNode(i: number): { child: Child; ready: Promise<void> } {
    const node = nodeAt(nodes, i);
    const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), '--conditions=admitone-source', '--import', TSX, MAIN, '--config', node.configPath], {
      cwd: PACKAGE_DIR,
      env: process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let resolveExit: () => void = () => {};
    const child: Child = { proc, exited: new Promise<void>((r) => (resolveExit = r)), exitCode: undefined, stderr: [] };
    children.set(i, child);
    proc.stdin.on('error', () => {}); // EPIPE after the child died
    let errBuffer = '';
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      errBuffer += chunk;
      let nl: number;
      while ((nl = errBuffer.indexOf('\n')) >= 0) {
        const line = errBuffer.slice(0, nl);
        errBuffer = errBuffer.slice(nl + 1);
        child.stderr.push(line);
        if (child.stderr.length > 400) child.stderr.splice(0, child.stderr.length - 400);
        options.onLog?.(node.id, line);
      }
    });
    const ready = new Promise<void>((resolve, reject) => {
      let outBuffer = '';
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err === undefined) resolve();
        else reject(err);
      };
      const timer = setTimeout(() => settle(new Error(`node ${node.id} was not ready within ${startTimeoutMs} ms${tail(child)}`)), startTimeoutMs);
      proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        outBuffer += chunk;
        let nl: number;
        while ((nl = outBuffer.indexOf('\n')) >= 0) {
          const line = outBuffer.slice(0, nl);
          outBuffer = outBuffer.slice(nl + 1);
          let e: NodeProcessEvent;
          try {
            e = JSON.parse(line) as NodeProcessEvent;
          } catch {
            continue;
          }
          if (e.event === 'ready') settle();
          else if (e.event === 'fatal') settle(new Error(`node ${node.id} failed to start: ${e.error}${e.code === undefined ? '' : ` (${e.code})`}`));
        }
      });
      proc.once('close', (code, signal) => {
        child.exitCode = code ?? (signal === null ? -1 : -2);
        resolveExit();
        settle(new Error(`node ${node.id} exited (code ${String(code)}, signal ${String(signal)}) before it was ready${tail(child)}`));
      });
    });
    return { child, ready };
  }

  const alive = (i: number) => {
    const c = children.get(i);
    return c !== undefined && c.exitCode === undefined;
  };

  async function stopChild(c: Child): Promise<void> {
    if (c.exitCode !== undefined) return;
    c.proc.kill('SIGTERM');
    const timer = setTimeout(() => c.proc.kill('SIGKILL'), 5000);
    await c.exited;
    clearTimeout(timer);
  }

  return {
    alive,
    pid: (i: number) => (alive(i) ? children.get(i)?.proc.pid : undefined),
    logs,
    async start(i: number): Promise<void> {
      if (closed) throw new Error('the network is stopped');
      if (alive(i)) throw new Error(`node ${nodeAt(nodes, i).id} is still running`);
      const { child, ready } = spawnNode(i);
      try {
        await ready;
      } catch (err) {
        await stopChild(child);
        throw err;
      }
    },
    async kill(i: number, signal: NodeJS.Signals): Promise<void> {
      const c = children.get(i);
      if (c === undefined || c.exitCode !== undefined) throw new Error(`node ${nodeAt(nodes, i).id} is not running`);
      c.proc.kill(signal);
      await c.exited;
    },
    async stopAll(): Promise<void> {
      closed = true;
      await Promise.all([...children.values()].map(stopChild));
    },
  };
}

function tail(c: Child): string {
  const lines = c.stderr.slice(-15);
  return lines.length === 0 ? '' : `\n--- last log lines ---\n${lines.join('\n')}`;
}

/** Distinct free ports on 127.0.0.1: binds `count` servers on port 0 at once, reads their ports, closes them. */
export async function pickPorts(count: number): Promise<number[]> {
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
