/**
 * Validation of {@link WebSocketTransportInit} at the boundary, and its
 * defaults. Bad input throws `TypeError`/`RangeError` naming the field; a
 * secret key that does not match the local member's public key throws
 * `CryptoError` (`CRYPTO_INVALID_KEY`).
 * @module
 */
import {
  CryptoError,
  bytesToHex,
  defaultCrypto,
  equalBytes,
  isBytes,
  silentLogger,
  systemClock,
  systemRandom,
  type Clock,
  type CryptoProvider,
  type Logger,
  type PeerId,
  type Random,
} from '@admitone/core';
import {
  DEFAULT_WS_MAX_MESSAGE_BYTES,
  MAX_PEER_ID_LENGTH,
  type ListenOptions,
  type QueuePolicy,
  type WebSocketTransportInit,
} from './types.js';

/** A validated member. */
export interface ResolvedMember {
  readonly id: PeerId;
  readonly publicKey: Uint8Array;
  readonly url: string | undefined;
}

/** A validated init with every default filled in. */
export interface ResolvedConfig {
  readonly localId: PeerId;
  readonly secretKey: Uint8Array;
  readonly members: readonly ResolvedMember[];
  readonly listen: ListenOptions | undefined;
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
  readonly heartbeatMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxPendingHandshakes: number;
  readonly maxPendingHandshakesPerAddress: number;
  readonly reconnect: { readonly minMs: number; readonly maxMs: number };
  readonly sendQueue: { readonly maxMessages: number; readonly maxBytes: number; readonly policy: QueuePolicy };
}

/** Largest accepted `maxMessageBytes` (1 GiB). */
const MAX_MESSAGE_BYTES_LIMIT = 2 ** 30;
/** Largest accepted timer setting (the platform timer limit). */
const MAX_DELAY_MS = 2 ** 31 - 1;
const POLICIES: readonly QueuePolicy[] = ['reject', 'drop-oldest'];
/** Defaults of the pending-handshake limits (see their TSDoc in `types.ts` for why). */
const DEFAULT_MAX_PENDING_HANDSHAKES = 256;
const DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS = 16;

/** Validates `init` and fills in defaults; `canListen` is false in browsers. */
export async function resolveConfig(init: WebSocketTransportInit, canListen: boolean): Promise<ResolvedConfig> {
  if (typeof init !== 'object' || init === null) throw new TypeError('init must be an object');
  const localId = checkId(init.localId, 'init.localId');
  if (!isBytes(init.secretKey)) throw new TypeError('init.secretKey must be a Uint8Array');
  if (init.secretKey.length !== 32) throw new RangeError(`init.secretKey must be 32 bytes, got ${init.secretKey.length}`);
  const members = checkMembers(init.members);
  const self = members.find((m) => m.id === localId);
  if (self === undefined) throw new RangeError(`init.members must include init.localId "${localId}"`);

  const maxMessageBytes = integer(init.maxMessageBytes, 'init.maxMessageBytes', DEFAULT_WS_MAX_MESSAGE_BYTES, 1, MAX_MESSAGE_BYTES_LIMIT);
  const heartbeatMs = integer(init.heartbeatMs, 'init.heartbeatMs', 5_000, 1, Math.floor(MAX_DELAY_MS / 2));
  const heartbeatTimeoutMs = integer(init.heartbeatTimeoutMs, 'init.heartbeatTimeoutMs', Math.min(3 * heartbeatMs, MAX_DELAY_MS), 1, MAX_DELAY_MS);
  if (heartbeatTimeoutMs < 2 * heartbeatMs) {
    // a peer pings every heartbeatMs: a shorter window drops healthy connections between two pings
    throw new RangeError(
      `init.heartbeatTimeoutMs must be at least 2 × init.heartbeatMs (${2 * heartbeatMs}), got ${heartbeatTimeoutMs} with init.heartbeatMs ${heartbeatMs}`,
    );
  }
  const handshakeTimeoutMs = integer(init.handshakeTimeoutMs, 'init.handshakeTimeoutMs', 10_000, 1, MAX_DELAY_MS);
  const pending = checkPendingLimits(init.maxPendingHandshakes, init.maxPendingHandshakesPerAddress);
  const reconnect = checkReconnect(init.reconnect);
  const sendQueue = checkQueue(init.sendQueue, maxMessageBytes);
  const listen = checkListen(init.listen, canListen);

  const crypto = init.crypto ?? (await defaultCrypto());
  const derived = await crypto.getPublicKey(init.secretKey);
  if (!equalBytes(derived, self.publicKey)) {
    throw new CryptoError('CRYPTO_INVALID_KEY', `init.secretKey does not match the public key listed for "${localId}".`, {
      meta: { localId },
    });
  }
  const logger = (init.logger ?? silentLogger()).child({ component: 'transport-ws', local: localId });
  if (self.url !== undefined && listen === undefined) {
    logger.warn('the local member lists a url but does not listen; peers that should dial it cannot reach it', { url: self.url });
  }
  return {
    localId,
    secretKey: init.secretKey.slice(),
    members,
    listen,
    crypto,
    clock: init.clock ?? systemClock(),
    random: init.random ?? systemRandom(),
    logger,
    maxMessageBytes,
    heartbeatMs,
    heartbeatTimeoutMs,
    handshakeTimeoutMs,
    ...pending,
    reconnect,
    sendQueue,
  };
}

function checkId(id: unknown, name: string): PeerId {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError(`${name} must be a non-empty string, got ${JSON.stringify(id)}`);
  if (id.length > MAX_PEER_ID_LENGTH) throw new RangeError(`${name} must be at most ${MAX_PEER_ID_LENGTH} characters, got ${id.length}`);
  return id;
}

function checkMembers(members: unknown): readonly ResolvedMember[] {
  if (!Array.isArray(members)) throw new TypeError('init.members must be an array');
  if (members.length === 0) throw new RangeError('init.members must not be empty');
  const ids = new Set<string>();
  const keys = new Set<string>();
  const out: ResolvedMember[] = [];
  members.forEach((member: unknown, i) => {
    const name = `init.members[${i}]`;
    if (typeof member !== 'object' || member === null) throw new TypeError(`${name} must be an object`);
    const m = member as { id?: unknown; publicKey?: unknown; url?: unknown };
    const id = checkId(m.id, `${name}.id`);
    if (ids.has(id)) throw new RangeError(`init.members ids must be distinct, "${id}" appears twice`);
    ids.add(id);
    if (!isBytes(m.publicKey)) throw new TypeError(`${name}.publicKey must be a Uint8Array`);
    if (m.publicKey.length !== 32) throw new RangeError(`${name}.publicKey must be 32 bytes, got ${m.publicKey.length}`);
    const keyHex = bytesToHex(m.publicKey);
    if (keys.has(keyHex)) throw new RangeError(`init.members public keys must be distinct, "${id}" repeats another member's key`);
    keys.add(keyHex);
    out.push(Object.freeze({ id, publicKey: m.publicKey.slice(), url: checkUrl(m.url, `${name}.url`) }));
  });
  return Object.freeze(out);
}

function checkUrl(url: unknown, name: string): string | undefined {
  if (url === undefined) return undefined;
  if (typeof url !== 'string') throw new TypeError(`${name} must be a string`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${name} must be a valid URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new TypeError(`${name} must be a ws:// or wss:// URL, got ${JSON.stringify(url)}`);
  }
  return url;
}

function checkListen(listen: unknown, canListen: boolean): ListenOptions | undefined {
  if (listen === undefined) return undefined;
  if (!canListen) throw new TypeError('init.listen is not supported in browsers: a browser endpoint only dials');
  if (typeof listen !== 'object' || listen === null) throw new TypeError('init.listen must be an object');
  const l = listen as { server?: unknown; host?: unknown; port?: unknown; path?: unknown };
  checkPath(l.path);
  if (l.server !== undefined) {
    const s = l.server as { on?: unknown; off?: unknown; address?: unknown } | null;
    if (typeof s !== 'object' || s === null || typeof s.on !== 'function' || typeof s.off !== 'function' || typeof s.address !== 'function') {
      throw new TypeError('init.listen.server must be a Node http.Server or https.Server');
    }
    return listen as ListenOptions;
  }
  if (l.host !== undefined && (typeof l.host !== 'string' || l.host.length === 0)) {
    throw new TypeError('init.listen.host must be a non-empty string');
  }
  integer(l.port, 'init.listen.port', undefined, 0, 65_535);
  return listen as ListenOptions;
}

/** `listen.path`: an absolute pathname, as the request line carries it (no query, no fragment). */
function checkPath(path: unknown): void {
  if (path === undefined) return;
  if (typeof path !== 'string') throw new TypeError(`init.listen.path must be a string, got ${typeof path}`);
  if (!path.startsWith('/') || /[?#\s]/.test(path) || path.length > 2048) {
    throw new RangeError(`init.listen.path must be a pathname starting with "/", without "?", "#" or spaces, got ${JSON.stringify(path)}`);
  }
}

function checkPendingLimits(
  total: unknown,
  perAddress: unknown,
): Pick<ResolvedConfig, 'maxPendingHandshakes' | 'maxPendingHandshakesPerAddress'> {
  const maxPendingHandshakes = integer(total, 'init.maxPendingHandshakes', DEFAULT_MAX_PENDING_HANDSHAKES, 1, Number.MAX_SAFE_INTEGER);
  const fallback = Math.min(DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS, maxPendingHandshakes);
  const maxPendingHandshakesPerAddress = integer(perAddress, 'init.maxPendingHandshakesPerAddress', fallback, 1, Number.MAX_SAFE_INTEGER);
  if (maxPendingHandshakesPerAddress > maxPendingHandshakes) {
    throw new RangeError(
      `init.maxPendingHandshakesPerAddress must be at most init.maxPendingHandshakes (${maxPendingHandshakes}), got ${maxPendingHandshakesPerAddress}`,
    );
  }
  return { maxPendingHandshakes, maxPendingHandshakesPerAddress };
}

function checkReconnect(reconnect: unknown): ResolvedConfig['reconnect'] {
  if (reconnect === undefined) return { minMs: 100, maxMs: 5_000 };
  if (typeof reconnect !== 'object' || reconnect === null) throw new TypeError('init.reconnect must be an object');
  const r = reconnect as { minMs?: unknown; maxMs?: unknown };
  const minMs = integer(r.minMs, 'init.reconnect.minMs', undefined, 1, MAX_DELAY_MS);
  const maxMs = integer(r.maxMs, 'init.reconnect.maxMs', undefined, minMs, MAX_DELAY_MS);
  return { minMs, maxMs };
}

function checkQueue(queue: unknown, maxMessageBytes: number): ResolvedConfig['sendQueue'] {
  if (queue !== undefined && (typeof queue !== 'object' || queue === null)) throw new TypeError('init.sendQueue must be an object');
  const q = (queue ?? {}) as { maxMessages?: unknown; maxBytes?: unknown; policy?: unknown };
  const maxMessages = integer(q.maxMessages, 'init.sendQueue.maxMessages', 10_000, 1, Number.MAX_SAFE_INTEGER);
  const defaultBytes = Math.max(32 * 1024 * 1024, maxMessageBytes);
  const maxBytes = integer(q.maxBytes, 'init.sendQueue.maxBytes', defaultBytes, maxMessageBytes, Number.MAX_SAFE_INTEGER);
  const policy = q.policy ?? 'drop-oldest';
  if (!POLICIES.includes(policy as QueuePolicy)) {
    throw new TypeError(`init.sendQueue.policy must be 'reject' or 'drop-oldest', got ${JSON.stringify(policy)}`);
  }
  return { maxMessages, maxBytes, policy: policy as QueuePolicy };
}

/** Checks an optional integer field in `[min, max]`; `fallback` undefined makes it required. */
function integer(value: unknown, name: string, fallback: number | undefined, min: number, max: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer, got ${String(value)}`);
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`);
  return value;
}
