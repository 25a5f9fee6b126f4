/**
 * The configuration of one venue node (JSON), its strict validation and the
 * command-line flags that override it.
 *
 * Keys are hex so the whole configuration is one JSON value. Validation is
 * strict: an unknown field is an error (a typo never silently falls back to
 * a default), every key must be well-formed and the node's secret keys must
 * match the public keys the other nodes know it by. Errors are
 * {@link NodeConfigError}s whose `code` names the problem and whose message
 * names the field; they never contain a secret. The command line is in
 * `flags.ts`.
 * @module
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { AdmitOneError, bytesToHex, equalBytes, hexToBytes, isDeploymentId, type DeploymentId, type LogLevel } from '@admitone/core';
import { PBFT_TUNABLE_KEYS, type PbftTunables } from '@admitone/consensus';

/** One replica of the venue: a venue node. */
export interface ReplicaEntry {
  /** Node id: the PBFT replica id, the committee member id and the `/api/v1/venue` name. */
  readonly id: string;
  /** Hex of its Ed25519 public key (PBFT messages, the ledger and committee mesh handshakes). */
  readonly publicKey: string;
  /** Where its replica listens for the ledger mesh: `ws://host:port`. */
  readonly ledgerUrl: string;
  /** Where its committee members listen for the committee mesh: `ws://host:port`. */
  readonly committeeUrl: string;
  /** Its HTTP API: `http://127.0.0.1:port`. */
  readonly httpUrl: string;
  /** Hex of its x25519 public key: users seal identity shares to it; members derive channel keys from it. */
  readonly encryptionKey: string;
  /** Its relay client on the ledger mesh; the relay key also signs the node's `postShares`. */
  readonly relay: {
    /** The relay's ledger-mesh id. */
    readonly id: string;
    /** Hex of the relay's Ed25519 public key. */
    readonly publicKey: string;
  };
}

/** A client device allowed on the ledger mesh (a gate device, a driver); it dials, so it has no url. */
export interface ClientEntry {
  /** Transport id. */
  readonly id: string;
  /** Hex of its Ed25519 transport key. */
  readonly publicKey: string;
}

/** What a venue node reads at start (JSON). */
export interface VenueNodeConfig {
  /**
   * The venue's deployment id, the same at every node: requests and holder
   * codes are signed for it, so none signed for another venue (or for a
   * staging copy of this one) is accepted here. 1 to 64 printable ASCII
   * characters without spaces.
   */
  readonly deployment: string;
  /** This node's id; it must appear in `replicas`. */
  readonly id: string;
  /** This node's secret keys (hex, 32 bytes each). */
  readonly keys: {
    /** Ed25519 seed: signs PBFT messages and both mesh handshakes. */
    readonly secretKey: string;
    /** x25519 secret key of the identity-committee member. */
    readonly encryptionSecretKey: string;
    /** Ed25519 seed of the relay client (the order-committee request key). */
    readonly relaySecretKey: string;
  };
  /** Every venue node, in membership order (the primary of view v is `replicas[v mod n]`). */
  readonly replicas: readonly ReplicaEntry[];
  /** Client devices allowed on the ledger mesh. Default none. */
  readonly clients?: readonly ClientEntry[];
  /** Where the node keeps `ledger/`, `identity/` and `orders/` (LevelDB). Reusing it restarts the node. */
  readonly dataDir: string;
  /** The HTTP API's address: host must be 127.0.0.1 (the default); port 0 picks a free one. */
  readonly http: {
    /** Must be 127.0.0.1 (the default). */
    readonly host?: string;
    /** TCP port; 0 picks a free one. */
    readonly port: number;
  };
  /** Organizer API authentication. */
  readonly organizer: {
    /** The SHA-256 (hex) of every accepted bearer token. */
    readonly tokenSha256: readonly string[];
  };
  /** Hex keys allowed to `deposit` (payment gateways). */
  readonly fundingKeys: readonly string[];
  /** The identity committee (all venue nodes are its members). */
  readonly identity: {
    /** The committee's name, bound into everything it signs. */
    readonly committeeId: string;
    /** t: n ≥ 3t + 1. */
    readonly degree: number;
    /** Hex keys of gate devices allowed to derive tags in ID mode. Default none. */
    readonly authorizedGates?: readonly string[];
    /** Power tuples prepared ahead in idle time (91 per MiMC evaluation). Default 728 (8 evaluations). */
    readonly preprocessAhead?: number;
    /** Timeout of each protocol step, in ms. Default 10 000. */
    readonly timeoutMs?: number;
  };
  /** The secret-management (order) committee (all venue nodes are its members). */
  readonly orders: {
    /** The committee's name (in its DKG session id). */
    readonly committeeId: string;
    /** t: t + 1 decryption shares open an order (1 ≤ t < n). */
    readonly degree: number;
    /** How long the first start's DKG may take, in ms. Default 120 000. */
    readonly dkgTimeoutMs?: number;
  };
  /** Contract options. */
  readonly contract?: {
    /** Rotating-code step length, in ms. Default 15 000. */
    readonly codeStepMs?: number;
  };
  /** PBFT tunables. */
  readonly tunables?: PbftTunables;
  /** `fsync` every LevelDB write. Default `true`. */
  readonly sync?: boolean;
  /** Lowest log level. Default `info`. */
  readonly logLevel?: LogLevel;
  /** WebSocket frame limit, in bytes. Default 8 MiB (state transfer carries snapshots). */
  readonly maxMessageBytes?: number;
  /** Largest HTTP request body, in bytes. Default 64 KiB. */
  readonly maxBodyBytes?: number;
  /** Most messages queued (handed to the socket, not yet flushed) for one `/ws` subscriber before it is dropped (close code 1013). Default 8 192. */
  readonly streamQueue?: number;
  /**
   * Origins whose pages may call the API from a browser (CORS), e.g.
   * `http://127.0.0.1:5173`, or `*` for any. Default `['*']`: the API has no
   * ambient credentials (writes are signed, organizer calls carry an explicit
   * bearer header), so a foreign page gains nothing a script could not do.
   */
  readonly corsOrigins?: readonly string[];
  /** Relay client timing. */
  readonly relay?: {
    /** First retransmission, in ms. Default 500. */
    readonly timeoutMs?: number;
    /** Give up (504 `consensus_timeout`) after this many ms. Default 20 000. */
    readonly deadlineMs?: number;
  };
}

/** A replica entry with keys decoded. */
export interface ResolvedReplica {
  /** Node id. */
  readonly id: string;
  /** Its Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** Its ledger-mesh url. */
  readonly ledgerUrl: string;
  /** Its committee-mesh url. */
  readonly committeeUrl: string;
  /** Its HTTP API url. */
  readonly httpUrl: string;
  /** Its x25519 public key. */
  readonly encryptionKey: Uint8Array;
  /** Its relay client: ledger-mesh id and Ed25519 public key. */
  readonly relay: MeshMember;
}

/** A ledger-mesh member without a url (a relay client or a client device): its id and public key. */
export interface MeshMember {
  /** Ledger-mesh id. */
  readonly id: string;
  /** Ed25519 public key (for a relay, also the node's order-committee request key). */
  readonly publicKey: Uint8Array;
}

/** A TCP address to listen on. */
export interface ListenAt {
  /** Interface. */
  readonly host: string;
  /** Port. */
  readonly port: number;
}

/** A {@link VenueNodeConfig} with keys decoded, consistency checked and defaults applied. */
export interface ResolvedNodeConfig {
  /** The venue's deployment id. */
  readonly deployment: DeploymentId;
  /** This node's id. */
  readonly id: string;
  /** This node's Ed25519 seed (PBFT, both meshes). */
  readonly secretKey: Uint8Array;
  /** The identity member's x25519 secret key. */
  readonly encryptionSecretKey: Uint8Array;
  /** The relay client's Ed25519 seed. */
  readonly relaySecretKey: Uint8Array;
  /** Every venue node, in membership order. */
  readonly replicas: readonly ResolvedReplica[];
  /** This node's entry. */
  readonly self: ResolvedReplica;
  /** Client devices allowed on the ledger mesh. */
  readonly clients: readonly MeshMember[];
  /** The data directory. */
  readonly dataDir: string;
  /** Where the HTTP API listens. */
  readonly http: ListenAt;
  /** Where the replica listens (host and port of its own `ledgerUrl`). */
  readonly ledgerListen: ListenAt;
  /** Where the committee members listen (host and port of its own `committeeUrl`). */
  readonly committeeListen: ListenAt;
  /** SHA-256 of every accepted organizer token. */
  readonly organizerTokenHashes: readonly Uint8Array[];
  /** Keys allowed to deposit. */
  readonly fundingKeys: readonly Uint8Array[];
  /** The identity committee's parameters. */
  readonly identity: IdentityParameters;
  /** The order committee's parameters. */
  readonly orders: OrderParameters;
  /** Rotating-code step, in ms. */
  readonly codeStepMs: number;
  /** PBFT tunables. */
  readonly tunables: PbftTunables;
  /** LevelDB `fsync`. */
  readonly sync: boolean;
  /** Lowest log level. */
  readonly logLevel: LogLevel;
  /** WebSocket frame limit, in bytes. */
  readonly maxMessageBytes: number;
  /** HTTP body limit, in bytes. */
  readonly maxBodyBytes: number;
  /** `/ws` per-subscriber queue bound. */
  readonly streamQueue: number;
  /** Allowed CORS origins (`*` for any). */
  readonly corsOrigins: readonly string[];
  /** Relay client timing. */
  readonly relay: {
    /** First retransmission, in ms. */
    readonly timeoutMs: number;
    /** Give-up deadline, in ms. */
    readonly deadlineMs: number;
  };
}

/** The identity committee's parameters, resolved. */
export interface IdentityParameters {
  /** The committee's name. */
  readonly committeeId: string;
  /** t (n ≥ 3t + 1). */
  readonly degree: number;
  /** Gate device keys allowed to derive tags in ID mode. */
  readonly authorizedGates: readonly Uint8Array[];
  /** Power tuples prepared ahead in idle time. */
  readonly preprocessAhead: number;
  /** Timeout of each protocol step, in ms. */
  readonly timeoutMs: number;
}

/** The order committee's parameters, resolved. */
export interface OrderParameters {
  /** The committee's name. */
  readonly committeeId: string;
  /** t (t + 1 shares decrypt). */
  readonly degree: number;
  /** How long the first start's DKG may take, in ms. */
  readonly dkgTimeoutMs: number;
}

/** Stable codes of {@link NodeConfigError}. */
export type NodeConfigErrorCode =
  /** A required field is absent. */
  | 'CONFIG_MISSING'
  /** A field has the wrong type or shape (not hex, not a url…). */
  | 'CONFIG_TYPE'
  /** A number is out of range. */
  | 'CONFIG_RANGE'
  /** A field the configuration does not have (a typo). */
  | 'CONFIG_UNKNOWN_FIELD'
  /** Fields disagree: a key that does not match, duplicate ids, this node missing, n < 3t + 1… */
  | 'CONFIG_INCONSISTENT'
  /** The configuration file cannot be read or is not JSON. */
  | 'CONFIG_UNREADABLE'
  /** A bad command-line flag. */
  | 'CONFIG_FLAG';

/** A configuration that cannot run; `meta.field` names the field. Never carries a secret. */
export class NodeConfigError extends AdmitOneError {
  declare readonly code: NodeConfigErrorCode;
  /** The offending field (`replicas[2].ledgerUrl`), when there is one. */
  readonly field: string | undefined;
  constructor(code: NodeConfigErrorCode, field: string | undefined, shortMessage: string) {
    super(code, shortMessage, field === undefined ? {} : { meta: { field } });
    this.name = 'NodeConfigError';
    this.field = field;
  }
}

/** The log levels a configuration may name. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const LEVELS = LOG_LEVELS;
const TUNABLES = PBFT_TUNABLE_KEYS;
const TOP_FIELDS = [
  'deployment',
  'id',
  'keys',
  'replicas',
  'clients',
  'dataDir',
  'http',
  'organizer',
  'fundingKeys',
  'identity',
  'orders',
  'contract',
  'tunables',
  'sync',
  'logLevel',
  'maxMessageBytes',
  'maxBodyBytes',
  'streamQueue',
  'corsOrigins',
  'relay',
] as const;

/**
 * Validates a parsed JSON configuration and decodes its keys. Throws
 * {@link NodeConfigError} naming the first offending field.
 */
export function resolveNodeConfig(json: unknown): ResolvedNodeConfig {
  const c = record(json, 'config', TOP_FIELDS);
  const deployment = str(c['deployment'], 'deployment');
  if (!isDeploymentId(deployment)) {
    throw new NodeConfigError('CONFIG_TYPE', 'deployment', 'deployment must be 1 to 64 printable ASCII characters without spaces, e.g. "my-venue/prod"');
  }
  const id = str(c['id'], 'id');
  const k = record(c['keys'], 'keys', ['secretKey', 'encryptionSecretKey', 'relaySecretKey']);
  const secretKey = key(k['secretKey'], 'keys.secretKey');
  const encryptionSecretKey = key(k['encryptionSecretKey'], 'keys.encryptionSecretKey');
  const relaySecretKey = key(k['relaySecretKey'], 'keys.relaySecretKey');

  const replicas = array(c['replicas'], 'replicas').map((m, i): ResolvedReplica => {
    const f = `replicas[${i}]`;
    const r = record(m, f, ['id', 'publicKey', 'ledgerUrl', 'committeeUrl', 'httpUrl', 'encryptionKey', 'relay']);
    const relay = record(r['relay'], `${f}.relay`, ['id', 'publicKey']);
    return {
      id: str(r['id'], `${f}.id`),
      publicKey: key(r['publicKey'], `${f}.publicKey`),
      ledgerUrl: url(r['ledgerUrl'], `${f}.ledgerUrl`, 'ws'),
      committeeUrl: url(r['committeeUrl'], `${f}.committeeUrl`, 'ws'),
      httpUrl: url(r['httpUrl'], `${f}.httpUrl`, 'http'),
      encryptionKey: key(r['encryptionKey'], `${f}.encryptionKey`),
      relay: { id: str(relay['id'], `${f}.relay.id`), publicKey: key(relay['publicKey'], `${f}.relay.publicKey`) },
    };
  });
  const n = replicas.length;
  if (n < 4) throw new NodeConfigError('CONFIG_INCONSISTENT', 'replicas', `replicas must list at least 4 venue nodes (n ≥ 3f + 1 with f ≥ 1), got ${n}`);
  const self = replicas.find((r) => r.id === id);
  if (self === undefined) throw new NodeConfigError('CONFIG_INCONSISTENT', 'id', `replicas must include this node's id ${JSON.stringify(id)}`);
  const clients = (c['clients'] === undefined ? [] : array(c['clients'], 'clients')).map((m, i) => {
    const r = record(m, `clients[${i}]`, ['id', 'publicKey']);
    return { id: str(r['id'], `clients[${i}].id`), publicKey: key(r['publicKey'], `clients[${i}].publicKey`) };
  });

  // the ledger mesh: replicas, relays and clients share one id and key space
  const meshIds = new Map<string, string>();
  const meshKeys = new Map<string, string>();
  const claim = (memberId: string, publicKey: Uint8Array, field: string): void => {
    const other = meshIds.get(memberId);
    if (other !== undefined) throw new NodeConfigError('CONFIG_INCONSISTENT', field, `${field} repeats the ledger-mesh id ${JSON.stringify(memberId)} of ${other}`);
    meshIds.set(memberId, field);
    const hex = bytesToHex(publicKey);
    const owner = meshKeys.get(hex);
    if (owner !== undefined) throw new NodeConfigError('CONFIG_INCONSISTENT', field, `${field} reuses the public key of ${owner}`);
    meshKeys.set(hex, field);
  };
  replicas.forEach((r, i) => claim(r.id, r.publicKey, `replicas[${i}].id`));
  replicas.forEach((r, i) => claim(r.relay.id, r.relay.publicKey, `replicas[${i}].relay.id`));
  clients.forEach((m, i) => claim(m.id, m.publicKey, `clients[${i}].id`));
  for (const field of ['encryptionKey', 'ledgerUrl', 'committeeUrl', 'httpUrl'] as const) {
    const seen = new Map<string, number>();
    replicas.forEach((r, i) => {
      const value = field === 'encryptionKey' ? bytesToHex(r.encryptionKey) : r[field];
      const first = seen.get(value);
      if (first !== undefined) {
        throw new NodeConfigError('CONFIG_INCONSISTENT', `replicas[${i}].${field}`, `replicas[${i}].${field} repeats replicas[${first}].${field}: every venue node needs its own`);
      }
      seen.set(value, i);
    });
  }

  // the secret keys must be the ones the others know this node by (checked without echoing them)
  if (!equalBytes(ed25519.getPublicKey(secretKey), self.publicKey)) {
    throw new NodeConfigError('CONFIG_INCONSISTENT', 'keys.secretKey', `keys.secretKey does not match the publicKey of replica ${JSON.stringify(id)}`);
  }
  if (!equalBytes(x25519.getPublicKey(encryptionSecretKey), self.encryptionKey)) {
    throw new NodeConfigError('CONFIG_INCONSISTENT', 'keys.encryptionSecretKey', `keys.encryptionSecretKey does not match the encryptionKey of replica ${JSON.stringify(id)}`);
  }
  if (!equalBytes(ed25519.getPublicKey(relaySecretKey), self.relay.publicKey)) {
    throw new NodeConfigError('CONFIG_INCONSISTENT', 'keys.relaySecretKey', `keys.relaySecretKey does not match the relay publicKey of replica ${JSON.stringify(id)}`);
  }

  const http = record(c['http'], 'http', ['host', 'port']);
  const host = http['host'] === undefined ? '127.0.0.1' : str(http['host'], 'http.host');
  if (host !== '127.0.0.1') throw new NodeConfigError('CONFIG_RANGE', 'http.host', `http.host must be 127.0.0.1 (the API is loopback-only), got ${JSON.stringify(host)}`);
  const port = int(http['port'], 'http.port', 0, 65535);

  const organizer = record(c['organizer'], 'organizer', ['tokenSha256']);
  const organizerTokenHashes = array(organizer['tokenSha256'], 'organizer.tokenSha256').map((h, i) => key(h, `organizer.tokenSha256[${i}]`));
  const fundingKeys = array(c['fundingKeys'], 'fundingKeys').map((h, i) => key(h, `fundingKeys[${i}]`));

  const ident = record(c['identity'], 'identity', ['committeeId', 'degree', 'authorizedGates', 'preprocessAhead', 'timeoutMs']);
  const identityDegree = int(ident['degree'], 'identity.degree', 1, 1000);
  if (n < 3 * identityDegree + 1) {
    throw new NodeConfigError('CONFIG_INCONSISTENT', 'identity.degree', `identity.degree ${identityDegree} needs n ≥ ${3 * identityDegree + 1} venue nodes, there are ${n}`);
  }
  const orders = record(c['orders'], 'orders', ['committeeId', 'degree', 'dkgTimeoutMs']);
  const ordersDegree = int(orders['degree'], 'orders.degree', 1, n - 1);
  const contract = c['contract'] === undefined ? {} : record(c['contract'], 'contract', ['codeStepMs']);
  const tunablesRaw = c['tunables'] === undefined ? {} : record(c['tunables'], 'tunables', TUNABLES);
  const tunables: Record<string, number> = {};
  for (const [name, value] of Object.entries(tunablesRaw)) tunables[name] = int(value, `tunables.${name}`, 1, 2 ** 31);
  const logLevel = c['logLevel'] ?? 'info';
  if (!(LEVELS as readonly unknown[]).includes(logLevel)) throw new NodeConfigError('CONFIG_TYPE', 'logLevel', `logLevel must be one of ${LEVELS.join(', ')}`);
  const relay = c['relay'] === undefined ? {} : record(c['relay'], 'relay', ['timeoutMs', 'deadlineMs']);

  return {
    deployment,
    id,
    secretKey,
    encryptionSecretKey,
    relaySecretKey,
    replicas,
    self,
    clients,
    dataDir: str(c['dataDir'], 'dataDir'),
    http: { host, port },
    ledgerListen: listenOf(self.ledgerUrl),
    committeeListen: listenOf(self.committeeUrl),
    organizerTokenHashes,
    fundingKeys,
    identity: {
      committeeId: str(ident['committeeId'], 'identity.committeeId'),
      degree: identityDegree,
      authorizedGates: (ident['authorizedGates'] === undefined ? [] : array(ident['authorizedGates'], 'identity.authorizedGates')).map((h, i) =>
        key(h, `identity.authorizedGates[${i}]`),
      ),
      preprocessAhead: optInt(ident['preprocessAhead'], 'identity.preprocessAhead', 0, 91 * 4096, 91 * 8),
      timeoutMs: optInt(ident['timeoutMs'], 'identity.timeoutMs', 100, 600_000, 10_000),
    },
    orders: {
      committeeId: str(orders['committeeId'], 'orders.committeeId'),
      degree: ordersDegree,
      dkgTimeoutMs: optInt(orders['dkgTimeoutMs'], 'orders.dkgTimeoutMs', 1000, 3_600_000, 120_000),
    },
    codeStepMs: optInt(contract['codeStepMs'], 'contract.codeStepMs', 1000, 3_600_000, 15_000),
    tunables: tunables as PbftTunables,
    sync: c['sync'] === undefined ? true : bool(c['sync'], 'sync'),
    logLevel: logLevel as LogLevel,
    maxMessageBytes: optInt(c['maxMessageBytes'], 'maxMessageBytes', 64 * 1024, 256 << 20, 8 << 20),
    maxBodyBytes: optInt(c['maxBodyBytes'], 'maxBodyBytes', 1024, 16 << 20, 64 * 1024),
    streamQueue: optInt(c['streamQueue'], 'streamQueue', 1, 1 << 20, 8192),
    corsOrigins: (c['corsOrigins'] === undefined ? ['*'] : array(c['corsOrigins'], 'corsOrigins')).map((o, i) => {
      if (typeof o !== 'string' || !(o === '*' || /^https?:\/\/[^/\s]+$/.test(o))) {
        throw new NodeConfigError('CONFIG_TYPE', `corsOrigins[${i}]`, `corsOrigins[${i}] must be * or an origin such as http://127.0.0.1:5173`);
      }
      return o;
    }),
    relay: {
      timeoutMs: optInt(relay['timeoutMs'], 'relay.timeoutMs', 10, 60_000, 500),
      deadlineMs: optInt(relay['deadlineMs'], 'relay.deadlineMs', 100, 600_000, 20_000),
    },
  };
}

function listenOf(u: string): { host: string; port: number } {
  const parsed = new URL(u);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port) };
}

function record(v: unknown, name: string, allowed: readonly string[]): Record<string, unknown> {
  if (v === undefined) throw new NodeConfigError('CONFIG_MISSING', name, `${name} is required`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new NodeConfigError('CONFIG_TYPE', name, `${name} must be an object`);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      const field = name === 'config' ? k : `${name}.${k}`;
      throw new NodeConfigError('CONFIG_UNKNOWN_FIELD', field, `unknown field ${field} (allowed: ${allowed.join(', ')})`);
    }
  }
  return v as Record<string, unknown>;
}

function array(v: unknown, name: string): readonly unknown[] {
  if (v === undefined) throw new NodeConfigError('CONFIG_MISSING', name, `${name} is required`);
  if (!Array.isArray(v)) throw new NodeConfigError('CONFIG_TYPE', name, `${name} must be an array`);
  return v;
}

function str(v: unknown, name: string): string {
  if (v === undefined) throw new NodeConfigError('CONFIG_MISSING', name, `${name} is required`);
  if (typeof v !== 'string' || v.length === 0 || v.length > 256) throw new NodeConfigError('CONFIG_TYPE', name, `${name} must be a non-empty string of at most 256 characters`);
  return v;
}

function key(v: unknown, name: string): Uint8Array {
  if (v === undefined) throw new NodeConfigError('CONFIG_MISSING', name, `${name} is required`);
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) throw new NodeConfigError('CONFIG_TYPE', name, `${name} must be 64 hex digits (32 bytes)`);
  return hexToBytes(v.toLowerCase());
}

function url(v: unknown, name: string, scheme: 'ws' | 'http'): string {
  const s = str(v, name);
  const re = scheme === 'ws' ? /^ws:\/\/[^/\s]+:\d{1,5}\/?$/ : /^http:\/\/[^/\s]+:\d{1,5}\/?$/;
  if (!re.test(s)) throw new NodeConfigError('CONFIG_TYPE', name, `${name} must be ${scheme}://host:port, got ${JSON.stringify(s)}`);
  const port = Number(new URL(s).port || '0');
  if (port < 1 || port > 65535) throw new NodeConfigError('CONFIG_RANGE', name, `${name} needs a port in 1–65535`);
  return s.replace(/\/$/, '');
}

function int(v: unknown, name: string, min: number, max: number): number {
  if (v === undefined) throw new NodeConfigError('CONFIG_MISSING', name, `${name} is required`);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new NodeConfigError('CONFIG_TYPE', name, `${name} must be an integer`);
  if (v < min || v > max) throw new NodeConfigError('CONFIG_RANGE', name, `${name} must be in [${min}, ${max}], got ${v}`);
  return v;
}

function optInt(v: unknown, name: string, min: number, max: number, fallback: number): number {
  return v === undefined ? fallback : int(v, name, min, max);
}

function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw new NodeConfigError('CONFIG_TYPE', name, `${name} must be a boolean`);
  return v;
}
