/**
 * The venue node process.
 *
 * ```sh
 * node --conditions=admitone-source --import tsx src/main.ts --config node.json [--http-port 8080] [--data-dir dir] [--log-level debug] [--ignore-stdin]
 * ```
 *
 * stdout carries lifecycle lines, one JSON object each: `ready` (with pid and
 * urls, once the HTTP API listens), `fatal` (startup failed; exit code 1),
 * `stopped`. Structured logs go to stderr as JSON lines. The node stops
 * gracefully on SIGTERM, SIGINT and when stdin closes (unless
 * `--ignore-stdin`), so a node started by a parent never outlives its pipe.
 * @module
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { consoleLogger, formatLogRecord, systemClock } from '@admitone/core';
import { nodeCrypto } from '@admitone/core/node';
import type { ResolvedNodeConfig } from './config.js';
import { loadNodeConfig, parseNodeFlags } from './flags.js';
import { startVenueNode, type VenueNode } from './node.js';

/** The node listens: printed once. */
export interface NodeReadyEvent {
  /** Discriminator. */
  readonly event: 'ready';
  /** Node id. */
  readonly id: string;
  /** Process id. */
  readonly pid: number;
  /** HTTP API url. */
  readonly http: string;
  /** Ledger-mesh url. */
  readonly ledger: string;
  /** Committee-mesh url. */
  readonly committee: string;
  /** Last executed sequence number at start (above 0 after a restart). */
  readonly lastExecuted: number;
  /** PBFT view at start. */
  readonly view: number;
}

/** Start-up failed; the process exits with code 1. */
export interface NodeFatalEvent {
  /** Discriminator. */
  readonly event: 'fatal';
  /** The error and its causes (never secrets). */
  readonly error: string;
  /** The error code, e.g. `TRANSPORT_IO`, `STORAGE_LOCKED`, `CONFIG_UNKNOWN_FIELD`. */
  readonly code?: string;
}

/** The node stopped gracefully. */
export interface NodeStoppedEvent {
  /** Discriminator. */
  readonly event: 'stopped';
  /** Node id. */
  readonly id: string;
}

/** A stdout line of the node process. */
export type NodeProcessEvent = NodeReadyEvent | NodeFatalEvent | NodeStoppedEvent;

/** Runs the node process with `argv` (without `node` and the script). Resolves once the node is ready. */
export async function main(argv: readonly string[]): Promise<void> {
  const write = (e: NodeProcessEvent): void => {
    process.stdout.write(`${JSON.stringify(e)}\n`);
  };
  process.stdout.on('error', () => process.exit(1));
  const fatal = (err: unknown): never => {
    const code = (err as { code?: unknown } | null)?.code;
    write({ event: 'fatal', error: describeError(err), ...(typeof code === 'string' ? { code } : {}) });
    process.exit(1);
  };
  process.on('unhandledRejection', fatal);
  let config: ResolvedNodeConfig;
  let ignoreStdin: boolean;
  try {
    const flags = parseNodeFlags(argv);
    ignoreStdin = flags.ignoreStdin;
    config = loadNodeConfig(flags);
  } catch (err) {
    return fatal(err);
  }
  const clock = systemClock();
  const logger = consoleLogger({ level: config.logLevel, clock, sink: (r) => process.stderr.write(`${formatLogRecord(r)}\n`) });
  let node: VenueNode | undefined;
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    const done = () => {
      write({ event: 'stopped', id: config.id });
      process.exit(0);
    };
    if (node === undefined) done();
    else node.stop().then(done, fatal);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  if (!ignoreStdin) {
    process.stdin.on('end', shutdown);
    process.stdin.on('close', shutdown);
    process.stdin.resume();
  }
  try {
    // one node per process: node:crypto's one-shot Ed25519 on the main thread
    // costs ~40 % less CPU per signature than WebCrypto's threadpool round trip
    // (docs/benchmark-history.md, session 10), and the acceptance set is the same
    node = await startVenueNode(config, { logger, clock, crypto: nodeCrypto() });
  } catch (err) {
    // e.g. TRANSPORT_IO / EADDRINUSE (a port is taken), STORAGE_LOCKED (another node has the directory)
    return fatal(err);
  }
  if (stopping) {
    await node.stop();
    return;
  }
  const s = node.replica.status();
  write({ event: 'ready', id: node.id, pid: process.pid, http: node.httpUrl, ledger: node.ledgerUrl, committee: node.committeeUrl, lastExecuted: s.lastExecuted, view: s.view });
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
if (entry !== undefined && realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))) await main(process.argv.slice(2));
