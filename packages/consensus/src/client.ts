/**
 * The PBFT client: signs requests, sends them to every replica, retransmits
 * with backoff and accepts a result once f+1 replicas (2f+1 for fast reads)
 * agree on it.
 * @module
 */
import {
  bytesToHex,
  signRequest,
  silentLogger,
  type Clock,
  type CryptoProvider,
  type Logger,
  type SignedRequest,
  type TimerHandle,
  type Transport,
} from '@admitone/core';
import type { ConsensusEngine } from './engine.js';
import { ConsensusError } from './errors.js';
import { maxFaulty } from './config.js';
import { decodeWire, encodeWire, type ReplicaId, type ReplyMessage } from './messages.js';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The client's endpoint; replicas reply to its `localId`. */
  readonly transport: Transport;
  /** Replica ids, in membership order. */
  readonly replicas: readonly ReplicaId[];
  /** The client's 32-byte Ed25519 secret key; its public key is the client id. */
  readonly secretKey: Uint8Array;
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
}

interface Pending {
  readonly request: SignedRequest;
  fast: boolean;
  readonly replies: Map<ReplicaId, string>;
  readonly results: Map<string, Uint8Array>;
  readonly resolve: (r: Uint8Array) => void;
  readonly reject: (e: unknown) => void;
  timer: TimerHandle | undefined;
  deadline: TimerHandle | undefined;
  attempt: number;
}

/**
 * Creates a PBFT client.
 *
 * - `submit(op)` resolves with the result that f+1 distinct replicas report
 *   (at least one of them is honest, so the result is the committed one);
 * - `read(query)` first tries the read-only fast path and accepts 2f+1
 *   matching answers from current state; if they disagree or time out it
 *   falls back to ordering the query.
 *
 * Replies are authenticated by the transport's sender id.
 */
export function createClient(options: ClientOptions): Client {
  const { transport, crypto, clock, secretKey } = options;
  const replicas = [...options.replicas];
  const members = new Set(replicas);
  if (members.size !== replicas.length || replicas.length < 4) {
    throw new ConsensusError('CONSENSUS_CONFIG', 'replicas must list at least 4 distinct replica ids');
  }
  const f = maxFaulty(replicas.length);
  const log = options.logger ?? silentLogger();
  const baseTimeout = options.timeoutMs ?? 500;
  const maxTimeout = options.maxTimeoutMs ?? 8000;
  let nextSeq = options.firstRequestSeq ?? Math.max(1, Math.floor(clock.now()));
  let closed = false;
  const pending = new Map<number, Pending>();

  const unsubscribe = transport.onMessage(({ from, bytes }) => {
    if (!members.has(from)) return;
    let wire;
    try {
      wire = decodeWire(bytes);
    } catch {
      return;
    }
    if (wire.kind !== 'client' || wire.message.type !== 'reply') return;
    onReply(from, wire.message);
  });

  function send(p: Pending): void {
    const bytes = encodeWire({ kind: 'client', message: { type: 'request', request: p.request, fastRead: p.fast } });
    for (const r of replicas) transport.send(r, bytes).catch((err: unknown) => log.debug('send failed', { to: r, error: String(err) }));
  }

  function arm(p: Pending): void {
    p.timer?.cancel();
    const ms = Math.min(baseTimeout * 2 ** p.attempt, maxTimeout);
    p.timer = clock.setTimeout(() => {
      if (!pending.has(p.request.requestSeq)) return;
      p.attempt++;
      if (p.fast) {
        // fast path did not gather 2f+1 matching answers in time: order it
        p.fast = false;
        p.replies.clear();
        p.results.clear();
      }
      send(p);
      arm(p);
    }, ms);
  }

  function settle(p: Pending): void {
    p.timer?.cancel();
    p.deadline?.cancel();
    pending.delete(p.request.requestSeq);
  }

  function onReply(from: ReplicaId, m: ReplyMessage): void {
    const p = pending.get(m.requestSeq);
    if (p === undefined || m.replica !== from || m.clientId !== p.request.clientId) return;
    if (m.readOnly !== p.fast) return; // a stale fast-path answer after falling back, or vice versa
    const key = m.error === undefined ? bytesToHex(m.result) : `error:${m.error}`;
    p.replies.set(from, key);
    if (!p.results.has(key)) p.results.set(key, m.result);
    const need = p.fast ? 2 * f + 1 : f + 1;
    let count = 0;
    for (const k of p.replies.values()) if (k === key) count++;
    if (count >= need) {
      settle(p);
      if (m.error !== undefined) p.reject(new ConsensusError('REQUEST_REJECTED', `Replicas refused the request: ${m.error}.`, { meta: { reason: m.error } }));
      else p.resolve(p.results.get(key) as Uint8Array);
      return;
    }
    if (p.fast && p.replies.size === replicas.length) {
      // every replica answered and they disagree (concurrent writes): order it
      p.fast = false;
      p.replies.clear();
      p.results.clear();
      send(p);
      arm(p);
    }
  }

  async function run(op: Uint8Array, readOnly: boolean): Promise<Uint8Array> {
    if (closed) throw new ConsensusError('ENGINE_CLOSED', 'The client is closed.');
    if (!(op instanceof Uint8Array)) throw new TypeError('op must be a Uint8Array');
    const requestSeq = nextSeq++;
    const request = await signRequest(crypto, secretKey, readOnly ? { requestSeq, op, readOnly: true } : { requestSeq, op });
    if (closed) throw new ConsensusError('ENGINE_CLOSED', 'The client is closed.');
    return new Promise<Uint8Array>((resolve, reject) => {
      const p: Pending = { request, fast: readOnly, replies: new Map(), results: new Map(), resolve, reject, timer: undefined, deadline: undefined, attempt: 0 };
      pending.set(requestSeq, p);
      if (options.deadlineMs !== undefined) {
        p.deadline = clock.setTimeout(() => {
          if (!pending.has(requestSeq)) return;
          settle(p);
          reject(new ConsensusError('REQUEST_TIMEOUT', `No result after ${options.deadlineMs} ms.`, { meta: { requestSeq } }));
        }, options.deadlineMs);
      }
      send(p);
      arm(p);
    });
  }

  return {
    submit: (op) => run(op, false),
    read: (query) => run(query, true),
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
