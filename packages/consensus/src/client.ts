/**
 * The PBFT client: signs requests, sends them to every replica, retransmits
 * with backoff and accepts a result once f+1 replicas (a quorum, 2f+1 when n = 3f+1, for fast reads)
 * agree on it.
 * @module
 */
import {
  MAX_OP_BYTES,
  clientIdOf,
  isDeploymentId,
  MAX_DEPLOYMENT_LENGTH,
  type DeploymentId,
  encodeRequest,
  equalBytes,
  requestSigningBytes,
  silentLogger,
  type ClientId,
  type ClientRequest,
  type Clock,
  type CryptoProvider,
  type Logger,
  type SignedRequest,
  type TimerHandle,
  type Transport,
} from '@admitone/core';
import type { ConsensusEngine } from './engine.js';
import { ConsensusError } from './errors.js';
import { maxFaulty, quorumSize } from './config.js';
import { encodeRequestFrame, encodeRequestsFrame, readFrame, type Frame, type ReplicaId, type ReplyMessage } from './messages.js';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The client's endpoint; replicas reply to its `localId`. */
  readonly transport: Transport;
  /** Replica ids, in membership order. */
  readonly replicas: readonly ReplicaId[];
  /** The client's 32-byte Ed25519 secret key; its public key is the client id. */
  readonly secretKey: Uint8Array;
  /**
   * The deployment the client signs its requests for: the replicas' app must
   * be configured with the same id, or it refuses every request as not
   * authentic (see `DeploymentId` in `@admitone/core`).
   */
  readonly deployment: DeploymentId;
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  /** First retransmission timeout in ms (doubles per retry). Default 500. */
  readonly timeoutMs?: number;
  /** Retransmission timeout cap in ms. Default 8 000. */
  readonly maxTimeoutMs?: number;
  /** Give up after this many ms with `REQUEST_TIMEOUT`. Default: never. */
  readonly deadlineMs?: number;
  /**
   * First request number. Default: the clock's current time in ms, so a
   * restarted client with the same key keeps numbering above its old requests.
   */
  readonly firstRequestSeq?: number;
  readonly logger?: Logger;
}

/** A PBFT client; it is a {@link ConsensusEngine}. */
export interface Client extends ConsensusEngine {
  /** Requests awaiting their result. */
  pending(): number;
  /**
   * Forwards a request signed by someone else (an end user's wallet, a gate
   * device) and resolves with its committed result once f+1 replicas agree,
   * exactly like {@link ConsensusEngine.submit}. Replicas reply to the
   * transport peer that sent a request, so one relay serves many signers and
   * never holds their keys. The signature is checked by the replicas; a
   * forged request is refused (`REQUEST_REJECTED`, reason
   * `invalid_signature`). A request with the same `(clientId, requestSeq)` as
   * one still pending here shares its result; a retransmission after a lost
   * reply gets the cached reply (exactly-once). Read-only requests go through
   * the fast read path.
   */
  relay(request: SignedRequest): Promise<Uint8Array>;
}

/** What one replica answered: a result, or a refusal. */
interface Answer {
  readonly result: Uint8Array;
  readonly error: string | undefined;
}

/**
 * Requests submitted in one synchronous burst (for example, as a batch of
 * replies resolves earlier ones) are signed concurrently and sent together:
 * one message per replica once the whole burst is signed.
 */
interface Burst {
  /** Requests of the burst still being signed. */
  signing: number;
  readonly ready: Pending[];
  /** No request joins after the burst's first microtask turn. */
  closed: boolean;
}

/**
 * The last message decoded, shared by the clients on one endpoint: a transport
 * hands every subscriber the same bytes, so they are decoded once.
 */
let lastDecoded: { bytes: Uint8Array; frame: Frame | undefined } | undefined;

interface Pending {
  readonly request: SignedRequest;
  /** The request's canonical encoding, framed once per mode. */
  readonly encoded: Uint8Array;
  fast: boolean;
  readonly replies: Map<ReplicaId, Answer>;
  readonly resolve: (r: Uint8Array) => void;
  readonly reject: (e: unknown) => void;
  timer: TimerHandle | undefined;
  deadline: TimerHandle | undefined;
  attempt: number;
}

/**
 * Checks a client's options and throws `CONSENSUS_CONFIG` naming the first
 * bad one: a client that starts with them would only fail later, at its first
 * request, or hang (a request number below 1 is dropped by every replica, a
 * replica id its transport cannot reach is never answered).
 */
function checkClientOptions(options: ClientOptions): ClientOptions {
  const fail = (msg: string): never => {
    throw new ConsensusError('CONSENSUS_CONFIG', msg);
  };
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const { transport, crypto, clock, secretKey } = options;
  if (typeof transport?.send !== 'function' || typeof transport.onMessage !== 'function') fail('transport must be a Transport');
  if (typeof crypto?.sign !== 'function' || typeof crypto.verify !== 'function') fail('crypto must be a CryptoProvider');
  if (typeof clock?.now !== 'function' || typeof clock.setTimeout !== 'function') fail('clock must be a Clock');
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) fail('secretKey must be a 32-byte Uint8Array (an Ed25519 secret key)');
  if (!isDeploymentId(options.deployment)) fail(`deployment must be a deployment id (1 to ${MAX_DEPLOYMENT_LENGTH} printable ASCII characters, no spaces)`);
  const replicas: unknown = options.replicas;
  if (!Array.isArray(replicas)) fail('replicas must be an array of replica ids');
  const ids = replicas as unknown[];
  ids.forEach((r, i) => {
    if (typeof r !== 'string' || r.length === 0) fail(`replicas[${i}] must be a non-empty string`);
  });
  if (new Set(ids).size !== ids.length || ids.length < 4) fail('replicas must list at least 4 distinct replica ids');
  const reachable = new Set(transport.members);
  const missing = (ids as string[]).filter((r) => !reachable.has(r));
  if (missing.length > 0) fail(`replicas ${missing.join(', ')} are not members of the transport (its members: ${transport.members.join(', ')})`);
  const int = (v: number | undefined, name: string, min = 1): void => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) fail(`${name} must be an integer ≥ ${min}, got ${String(v)}`);
  };
  int(options.timeoutMs, 'timeoutMs');
  int(options.maxTimeoutMs, 'maxTimeoutMs', options.timeoutMs ?? 1);
  int(options.deadlineMs, 'deadlineMs');
  int(options.firstRequestSeq, 'firstRequestSeq');
  return options;
}

/**
 * Creates a PBFT client.
 *
 * - `submit(op)` resolves with the result that f+1 distinct replicas report
 *   (at least one of them is honest, so the result is the committed one);
 * - `read(query)` first tries the read-only fast path and accepts a quorum (2f+1 when n = 3f+1) of
 *   matching answers from current state; if they disagree or time out it
 *   falls back to ordering the query.
 *
 * Replies are authenticated by the transport's sender id.
 *
 * Throws `ConsensusError` (`CONSENSUS_CONFIG`) for options it could not work
 * with: a missing transport, crypto provider or clock, a secret key that is
 * not 32 bytes, fewer than 4 distinct replica ids or ones the transport does
 * not list among its members, and timeouts or a first request number that
 * are not integers ≥ 1 (`maxTimeoutMs` ≥ `timeoutMs`).
 */
export function createClient(options: ClientOptions): Client {
  const { transport, crypto, clock, secretKey, deployment } = checkClientOptions(options);
  const replicas = [...options.replicas];
  const members = new Set(replicas);
  const f = maxFaulty(replicas.length);
  /** Matching fast-read answers needed: a Byzantine quorum (2f+1 when n = 3f+1). */
  const readQuorum = quorumSize(replicas.length);
  const log = options.logger ?? silentLogger();
  const baseTimeout = options.timeoutMs ?? 500;
  const maxTimeout = options.maxTimeoutMs ?? 8000;
  let nextSeq = options.firstRequestSeq ?? Math.max(1, Math.floor(clock.now()));
  let closed = false;
  /** Pending requests by `clientId/requestSeq` (relayed requests carry other signers' ids). */
  const pending = new Map<string, Pending>();
  const keyOf = (clientId: string, requestSeq: number): string => `${clientId}/${requestSeq}`;

  const unsubscribe = transport.onMessage(({ from, bytes }) => {
    if (!members.has(from)) return;
    if (lastDecoded?.bytes !== bytes) {
      let frame: Frame | undefined;
      try {
        frame = readFrame(bytes);
      } catch {
        frame = undefined;
      }
      lastDecoded = { bytes, frame };
    }
    const frame = lastDecoded.frame;
    // replies rely on the transport's authenticated sender id
    if (frame?.kind !== 'replies' || frame.replica !== from) return;
    for (const m of frame.replies) onReply(from, m);
  });

  function sendBytes(bytes: Uint8Array): void {
    for (const r of replicas) transport.send(r, bytes).catch((err: unknown) => log.debug('send failed', { to: r, error: String(err) }));
  }
  function send(p: Pending): void {
    sendBytes(encodeRequestFrame(p.encoded, p.fast));
  }

  let burst: Burst | undefined;
  function joinBurst(): Burst {
    if (burst === undefined || burst.closed) {
      const b: Burst = { signing: 0, ready: [], closed: false };
      burst = b;
      queueMicrotask(() => {
        b.closed = true;
        if (b.signing === 0) flush(b);
      });
    }
    burst.signing++;
    return burst;
  }
  function leaveBurst(b: Burst, p: Pending | undefined): void {
    b.signing--;
    if (p !== undefined) b.ready.push(p);
    if (b.closed && b.signing === 0) flush(b);
  }
  function flush(b: Burst): void {
    const live = b.ready.splice(0).filter((p) => pending.get(keyOf(p.request.clientId, p.request.requestSeq)) === p);
    if (live.length > 0) sendBytes(encodeRequestsFrame(live.map((p) => ({ request: p.encoded, fastRead: p.fast }))));
    for (const p of live) arm(p);
  }

  function arm(p: Pending): void {
    p.timer?.cancel();
    const ms = Math.min(baseTimeout * 2 ** p.attempt, maxTimeout);
    p.timer = clock.setTimeout(() => {
      if (pending.get(keyOf(p.request.clientId, p.request.requestSeq)) !== p) return;
      p.attempt++;
      if (p.fast) {
        // fast path did not gather a quorum of matching answers in time: order it
        p.fast = false;
        p.replies.clear();
      }
      send(p);
      arm(p);
    }, ms);
  }

  function settle(p: Pending): void {
    p.timer?.cancel();
    p.deadline?.cancel();
    const key = keyOf(p.request.clientId, p.request.requestSeq);
    if (pending.get(key) === p) pending.delete(key);
  }

  function onReply(from: ReplicaId, m: ReplyMessage): void {
    const p = pending.get(keyOf(m.clientId, m.requestSeq));
    if (p === undefined || m.replica !== from) return;
    if (m.readOnly !== p.fast) return; // a stale fast-path answer after falling back, or vice versa
    const answer: Answer = { result: m.result, error: m.error };
    p.replies.set(from, answer);
    const need = p.fast ? readQuorum : f + 1;
    let count = 0;
    for (const a of p.replies.values()) if (a.error === answer.error && (a.error !== undefined || equalBytes(a.result, answer.result))) count++;
    if (count >= need) {
      settle(p);
      if (m.error !== undefined) p.reject(new ConsensusError('REQUEST_REJECTED', `Replicas refused the request: ${m.error}.`, { meta: { reason: m.error } }));
      else p.resolve(m.result);
      return;
    }
    if (p.fast && p.replies.size === replicas.length) {
      // every replica answered and they disagree (concurrent writes): order it
      p.fast = false;
      p.replies.clear();
      send(p);
      arm(p);
    }
  }

  // the client id is the public key: derive it once, not per request
  let clientId: Promise<ClientId> | undefined;
  async function run(op: Uint8Array, readOnly: boolean): Promise<Uint8Array> {
    if (closed) throw new ConsensusError('ENGINE_CLOSED', 'The client is closed.');
    if (!(op instanceof Uint8Array)) throw new TypeError('op must be a Uint8Array');
    if (op.length > MAX_OP_BYTES) throw new RangeError(`op must be at most ${MAX_OP_BYTES} bytes`);
    const b = joinBurst();
    let p: Pending | undefined;
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        start(op, readOnly, resolve, reject).then(
          (started) => {
            p = started;
          },
          reject,
        ).finally(() => leaveBurst(b, p));
      });
    } finally {
      if (p !== undefined) settle(p);
    }
  }

  /** Signs the request and registers it as pending; the burst sends it. */
  async function start(op: Uint8Array, readOnly: boolean, resolve: (r: Uint8Array) => void, reject: (e: unknown) => void): Promise<Pending | undefined> {
    const requestSeq = nextSeq++;
    if (clientId === undefined) {
      const derived = crypto.getPublicKey(secretKey).then(clientIdOf);
      derived.catch(() => {
        if (clientId === derived) clientId = undefined; // a failed derivation is retried next time
      });
      clientId = derived;
    }
    const id = await clientId;
    const unsigned: ClientRequest = readOnly ? { clientId: id, requestSeq, op, readOnly: true } : { clientId: id, requestSeq, op };
    const request: SignedRequest = { ...unsigned, signature: await crypto.sign(requestSigningBytes(unsigned, deployment), secretKey) };
    if (closed) throw new ConsensusError('ENGINE_CLOSED', 'The client is closed.');
    return register(request, resolve, reject);
  }

  /** Registers a signed request as pending (with its deadline); the caller sends it. */
  function register(request: SignedRequest, resolve: (r: Uint8Array) => void, reject: (e: unknown) => void): Pending {
    const p: Pending = { request, encoded: encodeRequest(request), fast: request.readOnly === true, replies: new Map(), resolve, reject, timer: undefined, deadline: undefined, attempt: 0 };
    pending.set(keyOf(request.clientId, request.requestSeq), p);
    if (options.deadlineMs !== undefined) {
      p.deadline = clock.setTimeout(() => {
        if (pending.get(keyOf(request.clientId, request.requestSeq)) !== p) return;
        settle(p);
        reject(new ConsensusError('REQUEST_TIMEOUT', `No result after ${options.deadlineMs} ms.`, { meta: { requestSeq: request.requestSeq } }));
      }, options.deadlineMs);
    }
    return p;
  }

  /** Relayed requests with the same key share one pending entry's result. */
  const relayed = new Map<string, Promise<Uint8Array>>();
  async function relay(request: SignedRequest): Promise<Uint8Array> {
    if (closed) throw new ConsensusError('ENGINE_CLOSED', 'The client is closed.');
    if (typeof request !== 'object' || request === null || typeof request.clientId !== 'string' || !(request.op instanceof Uint8Array) || !(request.signature instanceof Uint8Array)) {
      throw new TypeError('request must be a SignedRequest');
    }
    if (!Number.isSafeInteger(request.requestSeq) || request.requestSeq < 1) throw new RangeError('request.requestSeq must be a positive safe integer');
    if (request.op.length > MAX_OP_BYTES) throw new RangeError(`request.op must be at most ${MAX_OP_BYTES} bytes`);
    const key = keyOf(request.clientId, request.requestSeq);
    const shared = relayed.get(key);
    if (shared !== undefined) return shared;
    const b = joinBurst();
    let p: Pending | undefined;
    const result = new Promise<Uint8Array>((resolve, reject) => {
      p = register(request, resolve, reject);
    });
    leaveBurst(b, p);
    relayed.set(key, result);
    try {
      return await result;
    } finally {
      relayed.delete(key);
      if (p !== undefined) settle(p);
    }
  }

  return {
    submit: (op) => run(op, false),
    read: (query) => run(query, true),
    relay,
    pending: () => pending.size,
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const p of [...pending.values()]) {
        settle(p);
        p.reject(new ConsensusError('ENGINE_CLOSED', 'The client was closed before the request completed.'));
      }
    },
  };
}
