/**
 * A runnable PBFT replica of the ticket ledger, one per Node process:
 * `levelStorage` in its data directory, `webSocketTransport` listening on the
 * fixed `ws://host:port` of its own member entry, and `createReplica` running
 * `createTicketLedger`.
 *
 * Usage (from `examples/cluster`):
 * ```sh
 * node --conditions=admitone-source --import tsx src/replica-host.ts '<json>'   # or a path to a JSON file
 * ADMITONE_REPLICA_CONFIG='<json>' node --conditions=admitone-source --import tsx src/replica-host.ts
 * ```
 * The configuration is a {@link ReplicaHostConfig}. The host speaks the line
 * protocol of `protocol.ts`: JSON events on stdout (`ready`, `executed`,
 * `view-change`, `new-view`, `checkpoint`, `state-transfer`, `peer`, periodic
 * `status`, `log`), commands on stdin (`status`, `digest`, `query <hex>`,
 * `stop`). It stops gracefully on `stop`, SIGTERM, SIGINT or when stdin closes.
 * @module
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  bytesToHex,
  consoleLogger,
  createTicketLedger,
  formatLogRecord,
  hexToBytes,
  systemClock,
  type Storage,
  type TicketLedger,
} from '@admitone/core';
import { nodeCrypto } from '@admitone/core/node';
import { createReplica, type Replica } from '@admitone/consensus';
import { levelStorage } from '@admitone/storage-level';
import { webSocketTransport, type WebSocketTransport } from '@admitone/transport-ws';
import { resolveHostConfig, type ReplicaHostConfig, type ResolvedHostConfig } from './config.js';
import { parseCommand, type HostEvent, type StatusFields } from './protocol.js';

export type { ReplicaHostConfig } from './config.js';

/** The environment variable read when no configuration argument is given. */
export const CONFIG_ENV = 'ADMITONE_REPLICA_CONFIG';

/** A started replica host. */
export interface ReplicaHost {
  readonly replica: Replica;
  readonly ledger: TicketLedger;
  readonly transport: WebSocketTransport;
  readonly storage: Storage;
  /** Runs one command line (see `protocol.ts`); answers through the host's output. */
  command(line: string): void;
  /** Stops the replica, then closes the transport and the storage. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Opens storage and transport and starts the replica described by `config`,
 * printing {@link HostEvent}s through `out`.
 */
export async function startReplicaHost(config: ResolvedHostConfig, out: (e: HostEvent) => void): Promise<ReplicaHost> {
  const { id } = config;
  const clock = systemClock();
  const logger = consoleLogger({ level: config.logLevel, clock, sink: (r) => out({ ...(JSON.parse(formatLogRecord(r)) as { level: string; msg: string }), event: 'log' }) });
  // node:crypto on the main thread, not WebCrypto's threadpool: replicas share the machine's cores with
  // each other, so a threadpool round trip per signature buys no parallelism and costs a wake-up
  // (session 10: ~10 % more peak ops/s and less CPU per op on the 4-process bench)
  const crypto = nodeCrypto();
  const storage = await levelStorage({ location: config.dataDir, sync: config.sync });
  let transport: WebSocketTransport;
  try {
    transport = await webSocketTransport({
      localId: id,
      secretKey: config.secretKey,
      members: [...config.replicas, ...config.clients],
      listen: config.listen,
      crypto,
      clock,
      logger,
      maxMessageBytes: config.maxMessageBytes,
      reconnect: { minMs: 50, maxMs: 1000 },
    });
  } catch (err) {
    await storage.close();
    throw err;
  }
  const ledger = createTicketLedger({ crypto, deployment: config.deployment, requireHolderCode: config.requireHolderCode });
  let replica: Replica;
  try {
    replica = await createReplica({
      deployment: config.deployment,
      id,
      secretKey: config.secretKey,
      members: config.replicas.map((r) => ({ id: r.id, publicKey: r.publicKey })),
      transport,
      storage,
      app: ledger,
      crypto,
      clock,
      logger,
      ...config.tunables,
    });
  } catch (err) {
    await transport.close();
    await storage.close();
    throw err;
  }

  const fields = (): StatusFields => {
    const s = replica.status();
    return {
      id,
      view: s.view,
      viewChanging: s.viewChanging,
      primary: s.primary,
      lastExecuted: s.lastExecuted,
      stableSeq: s.stableSeq,
      pendingRequests: s.pendingRequests,
      digest: bytesToHex(ledger.digest()),
    };
  };
  const status = (tag?: string): HostEvent => ({
    event: 'status',
    ...fields(),
    dropped: replica.dropped(),
    peers: transport.connectedPeers(),
    ...(tag === undefined ? {} : { tag }),
  });

  if (config.logExecuted) {
    replica.on('executed', (e) => out({ event: 'executed', id, view: e.view, seq: e.seq, requests: e.requests.length }));
  }
  replica.on('view-change', (e) => out({ event: 'view-change', id, view: e.view }));
  replica.on('new-view', (e) => out({ event: 'new-view', id, view: e.view }));
  replica.on('checkpoint', (e) => out({ event: 'checkpoint', id, seq: e.seq }));
  replica.on('state-transfer', (e) => out({ event: 'state-transfer', id, fromSeq: e.fromSeq, toSeq: e.toSeq }));
  transport.onPeerStatus((e) => out({ event: 'peer', id, peer: e.peer, status: e.status }));
  const ticker = config.statusIntervalMs > 0 ? setInterval(() => out(status()), config.statusIntervalMs) : undefined;

  let stopping: Promise<void> | undefined;
  const host: ReplicaHost = {
    replica,
    ledger,
    transport,
    storage,
    command(line) {
      try {
        const c = parseCommand(line);
        if (c === undefined) return;
        switch (c.cmd) {
          case 'status':
            out(status(c.tag));
            return;
          case 'digest': {
            const f = fields();
            out({ event: 'digest', id, lastExecuted: f.lastExecuted, digest: f.digest, ...(c.tag === undefined ? {} : { tag: c.tag }) });
            return;
          }
          case 'query': {
            const result = bytesToHex(ledger.query(hexToBytes(c.query.toLowerCase())));
            out({ event: 'query', id, lastExecuted: replica.status().lastExecuted, result, ...(c.tag === undefined ? {} : { tag: c.tag }) });
            return;
          }
          case 'stop':
            void host.stop();
            return;
        }
      } catch (err) {
        out({ event: 'error', id, error: String(err), command: line });
      }
    },
    stop() {
      stopping ??= (async () => {
        if (ticker !== undefined) clearInterval(ticker);
        await replica.stop();
        await transport.close();
        await storage.close();
        out({ event: 'stopped', id });
      })();
      return stopping;
    },
  };
  out({ event: 'ready', pid: process.pid, url: config.replicas.find((r) => r.id === id)?.url ?? '', ...fields() });
  return host;
}

/**
 * Reads the configuration text: `argv[0]` as inline JSON (starting with `{`)
 * or as a path to a JSON file, else the {@link CONFIG_ENV} variable.
 */
export function readConfigText(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const arg = argv[0];
  if (arg !== undefined) {
    if (arg.trimStart().startsWith('{')) return arg;
    if (existsSync(arg)) return readFileSync(arg, 'utf8');
    throw new TypeError(`the argument must be inline JSON or the path of a JSON file; ${JSON.stringify(arg)} is neither`);
  }
  const text = env[CONFIG_ENV];
  if (text === undefined || text.length === 0) throw new TypeError(`pass the configuration as the first argument or in ${CONFIG_ENV}`);
  return text;
}

/** The process entry point: parse the configuration, start, wire stdin/stdout and signals. */
async function main(): Promise<void> {
  const write = (e: HostEvent): void => {
    process.stdout.write(`${JSON.stringify(e)}\n`);
  };
  // A parent that went away closes our stdout: nothing left to report to.
  process.stdout.on('error', () => process.exit(1));
  const fatal = (err: unknown): never => {
    const code = (err as { code?: unknown } | null)?.code;
    write({ event: 'fatal', error: describeError(err), ...(typeof code === 'string' ? { code } : {}) });
    process.exit(1);
  };
  process.on('unhandledRejection', fatal);
  let config: ResolvedHostConfig;
  try {
    config = resolveHostConfig(JSON.parse(readConfigText(process.argv.slice(2), process.env)));
  } catch (err) {
    return fatal(err);
  }
  let host: ReplicaHost;
  try {
    host = await startReplicaHost(config, write);
  } catch (err) {
    // e.g. TRANSPORT_IO (the port is taken) or STORAGE_LOCKED (another host has the directory)
    return fatal(err);
  }
  const shutdown = () => void host.stop().then(() => process.exit(0), fatal);
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => host.command(line));
  lines.on('close', shutdown);
}

/** `Name: message`, followed by the messages of its `cause` chain. */
function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    if (!(e instanceof Error)) break;
  }
  return parts.join(' <- ');
}

const entry = process.argv[1];
if (entry !== undefined && realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))) await main();
