/**
 * The configuration of one replica host process, as JSON, and its validation.
 *
 * Keys are hex strings so the whole configuration travels as one JSON value
 * (a command-line argument, a file or an environment variable).
 * @module
 */
import { checkDeploymentId, hexToBytes, type DeploymentId } from '@admitone/core';
import { PBFT_TUNABLE_KEYS, type PbftTunables } from '@admitone/consensus';

/** A replica in the membership: it listens at `url` (`ws://host:port`). */
export interface HostReplicaMember {
  readonly id: string;
  /** Hex of its 32-byte Ed25519 public key. */
  readonly publicKey: string;
  readonly url: string;
}

/** A client endpoint in the membership: it only dials, so it has no url. */
export interface HostClientMember {
  readonly id: string;
  /** Hex of its 32-byte Ed25519 transport key. */
  readonly publicKey: string;
}

/** What a replica host reads at start (JSON). */
export interface ReplicaHostConfig {
  /** The ledger's deployment id, the same at every replica; clients sign their requests for it. */
  readonly deployment: string;
  /** This replica's id; it must appear in `replicas`. */
  readonly id: string;
  /** Hex of this replica's 32-byte Ed25519 secret key (signs PBFT messages and the transport handshake). */
  readonly secretKey: string;
  /** The replicas in membership order (the primary of view v is `replicas[v mod n]`). */
  readonly replicas: readonly HostReplicaMember[];
  /** Client endpoints allowed to connect (they submit requests and get replies). */
  readonly clients: readonly HostClientMember[];
  /** The LevelDB directory; reusing it restarts the replica from its durable state. */
  readonly dataDir: string;
  /** PBFT tunables (timeouts, checkpoint interval, batching). */
  readonly tunables?: PbftTunables;
  /** `fsync` every write (LevelDB `sync`). Default `true`. */
  readonly sync?: boolean;
  /** Require a holder's rotating code on `validate`. Default `true`. */
  readonly requireHolderCode?: boolean;
  /** Print a `status` line this often, in ms; 0 turns it off. Default 1 000. */
  readonly statusIntervalMs?: number;
  /** Print one `executed` line per executed batch. Default `true`. */
  readonly logExecuted?: boolean;
  /** Lowest level of `log` lines. Default `'info'`. */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Transport frame limit in bytes. Default 8 MiB (state transfer carries snapshots). */
  readonly maxMessageBytes?: number;
}

/** A {@link ReplicaHostConfig} with bytes decoded and defaults applied. */
export interface ResolvedHostConfig {
  readonly deployment: DeploymentId;
  readonly id: string;
  readonly secretKey: Uint8Array;
  readonly replicas: readonly { readonly id: string; readonly publicKey: Uint8Array; readonly url: string }[];
  readonly clients: readonly { readonly id: string; readonly publicKey: Uint8Array }[];
  readonly listen: { readonly host: string; readonly port: number };
  readonly dataDir: string;
  readonly tunables: PbftTunables;
  readonly sync: boolean;
  readonly requireHolderCode: boolean;
  readonly statusIntervalMs: number;
  readonly logExecuted: boolean;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly maxMessageBytes: number;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const TUNABLES = PBFT_TUNABLE_KEYS;

/**
 * Validates a parsed JSON configuration. Throws `TypeError`/`RangeError`
 * naming the offending field. The replica listens on the host and port of its
 * own `url`.
 */
export function resolveHostConfig(json: unknown): ResolvedHostConfig {
  const c = record(json, 'config');
  const deployment = checkDeploymentId(c['deployment'], 'config.deployment');
  const id = str(c['id'], 'config.id');
  const secretKey = key(c['secretKey'], 'config.secretKey');
  if (!Array.isArray(c['replicas'])) throw new TypeError('config.replicas must be an array');
  const replicas = c['replicas'].map((m: unknown, i) => {
    const r = record(m, `config.replicas[${i}]`);
    const url = str(r['url'], `config.replicas[${i}].url`);
    if (!/^ws:\/\/[^/]+:\d+\/?$/.test(url)) throw new TypeError(`config.replicas[${i}].url must be ws://host:port, got ${JSON.stringify(url)}`);
    return { id: str(r['id'], `config.replicas[${i}].id`), publicKey: key(r['publicKey'], `config.replicas[${i}].publicKey`), url };
  });
  const self = replicas.find((r) => r.id === id);
  if (self === undefined) throw new RangeError(`config.replicas must include config.id ${JSON.stringify(id)}`);
  const clientsRaw = c['clients'] ?? [];
  if (!Array.isArray(clientsRaw)) throw new TypeError('config.clients must be an array');
  const clients = clientsRaw.map((m: unknown, i) => {
    const r = record(m, `config.clients[${i}]`);
    return { id: str(r['id'], `config.clients[${i}].id`), publicKey: key(r['publicKey'], `config.clients[${i}].publicKey`) };
  });
  const url = new URL(self.url);
  const tunablesRaw = c['tunables'] === undefined ? {} : record(c['tunables'], 'config.tunables');
  const tunables: Record<string, number> = {};
  for (const [name, value] of Object.entries(tunablesRaw)) {
    if (!(TUNABLES as readonly string[]).includes(name)) throw new RangeError(`config.tunables.${name} is not a PBFT tunable`);
    tunables[name] = int(value, `config.tunables.${name}`, 1);
  }
  const logLevel = c['logLevel'] ?? 'info';
  if (!(LEVELS as readonly unknown[]).includes(logLevel)) throw new TypeError(`config.logLevel must be one of ${LEVELS.join(', ')}`);
  return {
    deployment,
    id,
    secretKey,
    replicas,
    clients,
    listen: { host: url.hostname, port: Number(url.port) },
    dataDir: str(c['dataDir'], 'config.dataDir'),
    tunables: tunables as PbftTunables,
    sync: bool(c['sync'], 'config.sync', true),
    requireHolderCode: bool(c['requireHolderCode'], 'config.requireHolderCode', true),
    statusIntervalMs: c['statusIntervalMs'] === undefined ? 1000 : int(c['statusIntervalMs'], 'config.statusIntervalMs', 0),
    logExecuted: bool(c['logExecuted'], 'config.logExecuted', true),
    logLevel: logLevel as ResolvedHostConfig['logLevel'],
    maxMessageBytes: c['maxMessageBytes'] === undefined ? 8 << 20 : int(c['maxMessageBytes'], 'config.maxMessageBytes', 1024),
  };
}

function record(v: unknown, name: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError(`${name} must be an object`);
  return v as Record<string, unknown>;
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new TypeError(`${name} must be a non-empty string`);
  return v;
}

function key(v: unknown, name: string): Uint8Array {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/i.test(v)) throw new TypeError(`${name} must be 64 hex digits (32 bytes)`);
  return hexToBytes(v.toLowerCase());
}

function int(v: unknown, name: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new TypeError(`${name} must be an integer`);
  if (v < min) throw new RangeError(`${name} must be ≥ ${min}, got ${v}`);
  return v;
}

function bool(v: unknown, name: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean`);
  return v;
}
