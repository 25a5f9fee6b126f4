/**
 * The PBFT replica (Castro & Liskov, OSDI '99 / TOCS 2002): normal case with
 * batching and a watermark window, checkpoints, view change with prepared
 * certificates, state transfer, persistence and a reply cache. It replicates
 * any {@link ReplicatedApp} and knows nothing about tickets.
 * @module
 */
import EventEmitter from 'eventemitter3';
import {
  bytesToHex,
  decodeRequest,
  equalBytes,
  silentLogger,
  type InboundMessage,
  type PreparedRequest,
  type SignedRequest,
  type StateEntry,
  type TimerHandle,
} from '@admitone/core';
import { ConsensusError } from '../errors.js';
import { PBFT_TUNABLE_KEYS, primaryOf, resolveConfig, type ReplicaOptions } from '../config.js';
import {
  batchDigest,
  encodeReplies,
  encodeSignedFrame,
  readFrame,
  signMessage,
  signedBytesOf,
  type Checkpoint,
  type CommittedEntry,
  type NewView,
  type PrePrepare,
  type PreparedProof,
  type ReplicaId,
  type ReplicaMessage,
  type ReplyMessage,
  type Signed,
  type StateChunk,
  type StateChunkRequest,
  type StateRequest,
  type StateResponse,
  type ViewChange,
  type Vote,
} from '../messages.js';
import { replicaStore } from './store.js';
import { createReplicaState, decodeEntries, digestEntries, keyString, type CheckpointState } from './state.js';
import { STATE_PARTS, checkManifest, chunkOf, createAssembly, serveState, type Assembly, type ServedState } from './transfer.js';
import { checkCheckpointProof, checkViewChange, newViewFloor, planNewView, voteKey } from './view-change.js';

/** A checkpoint's state as a replica serves it, with its proof, and when a peer last fetched a part of it. */
interface Served {
  readonly state: ServedState;
  readonly proof: Signed<Checkpoint>[];
  usedAt: number;
}

/** A snapshot of a replica's protocol state, for monitoring and tests. */
export interface ReplicaStatus {
  readonly id: ReplicaId;
  readonly view: number;
  readonly viewChanging: boolean;
  readonly primary: ReplicaId;
  readonly lastExecuted: number;
  readonly stableSeq: number;
  readonly highWatermark: number;
  readonly pendingRequests: number;
}

/** Events a replica emits (synchronously, so observers see the state right after the event). */
export interface ReplicaEvents {
  /** A batch was executed at `seq`. */
  executed: { replica: ReplicaId; view: number; seq: number; digest: Uint8Array; timestamp: number; requests: readonly { clientId: string; requestSeq: number; readOnly: boolean }[] };
  /** The replica started a view change to `view`. */
  'view-change': { replica: ReplicaId; view: number };
  /** The replica entered `view` through a NEW-VIEW. */
  'new-view': { replica: ReplicaId; view: number };
  /** A checkpoint became stable. */
  checkpoint: { replica: ReplicaId; seq: number; digest: Uint8Array };
  /** The replica installed a checkpoint snapshot fetched from peers. */
  'state-transfer': { replica: ReplicaId; fromSeq: number; toSeq: number };
  /** A message was dropped (bad input or out of place). Never thrown. */
  dropped: { replica: ReplicaId; from: string; reason: DropReason };
}

/** Why a message was dropped. */
export type DropReason =
  | 'malformed'
  | 'spoofed'
  | 'bad_signature'
  | 'unexpected'
  | 'stale_view'
  | 'future_view'
  | 'not_primary'
  | 'out_of_window'
  | 'bad_digest'
  | 'bad_timestamp'
  | 'equivocation'
  | 'unauthentic_request'
  | 'oversized_batch'
  | 'bad_view_change'
  | 'bad_new_view'
  | 'bad_state'
  | 'overloaded'
  | 'rate_limited'
  | 'internal';

/** A running PBFT replica. */
export interface Replica {
  readonly id: ReplicaId;
  /** Current protocol state. */
  status(): ReplicaStatus;
  /** Counters of dropped messages by reason. */
  dropped(): Readonly<Record<string, number>>;
  /** Subscribes to an event; returns an unsubscribe function. */
  on<E extends keyof ReplicaEvents>(event: E, handler: (payload: ReplicaEvents[E]) => void): () => void;
  /** Stops timers and message handling (does not close transport or storage). */
  stop(): Promise<void>;
}

/** A client request as a replica holds it: decoded once, prepared (verified) once, by its canonical bytes. */
interface PooledRequest {
  /** The canonical encoding (`encodeRequest`), as ordered in batches. */
  readonly bytes: Uint8Array;
  /** `bytes` as a one-char-per-byte string: the pool key. */
  readonly poolKey: string;
  readonly request: SignedRequest;
  /** `clientId:requestSeq`. */
  readonly key: string;
  readonly prepared: Promise<PreparedRequest>;
}

interface Slot {
  pp: Signed<PrePrepare> | undefined;
  requests: PooledRequest[] | undefined;
  accepting: boolean;
  /** verified votes by `type:view:seq:digest` then replica */
  votes: Map<string, Map<ReplicaId, Signed<Vote>>>;
  /** signature checks under way, by vote key: the replicas whose votes will count if they verify */
  checking: Map<string, Set<ReplicaId>>;
  /** votes that arrived once enough others were verified or under way: not checked unless one of those fails */
  surplus: Map<string, Signed<Vote>[]>;
  sentPrepare: Set<number>;
  sentCommit: Set<number>;
  preparedCert: PreparedProof | undefined;
  commitCert: CommittedEntry | undefined;
  executed: boolean;
  /**
   * This replica's own vote signatures for the slot, by vote key, started as
   * soon as the pre-prepare is seen (before its checks finish) so that signing
   * is off the critical path. A vote is only ever *sent* after the checks.
   */
  signing: Map<string, Promise<Signed<Vote>>>;
}

const MAX_VOTE_VIEW_AHEAD = 2;
/**
 * Offset of the signature in a canonical request, `{c: <64 hex>, g: <64 bytes>, …}`:
 * map header, `c`, text header, the id, `g`, byte-string header.
 */
const SIGNATURE_AT = 1 + 2 + 2 + 64 + 2 + 2;
const NULL_TIMESTAMP = 0;
const NO_BYTES = new Uint8Array(0);

/** Every key {@link ReplicaOptions} has. */
const REPLICA_OPTION_KEYS: ReadonlySet<string> = new Set<string>([
  'id',
  'secretKey',
  'members',
  'transport',
  'storage',
  'app',
  'deployment',
  'crypto',
  'clock',
  'logger',
  ...PBFT_TUNABLE_KEYS,
] satisfies readonly (keyof ReplicaOptions)[]);

/**
 * Checks what {@link resolveConfig} does not: the replica's key and the
 * objects it runs on. A transport that is not this replica's own endpoint, or
 * cannot reach every other replica, would make an honest replica look faulty
 * to its peers (its messages dropped as spoofed) and use up the cluster's
 * fault budget without a word, so it is refused here.
 */
function checkReplicaDependencies(opts: ReplicaOptions): void {
  const fail = (msg: string): never => {
    throw new ConsensusError('CONSENSUS_CONFIG', msg);
  };
  // a misspelt tunable would otherwise be ignored without a word (and its default used)
  for (const key of Object.keys(opts)) if (!REPLICA_OPTION_KEYS.has(key)) fail(`unknown option "${key}" (known: ${[...REPLICA_OPTION_KEYS].join(', ')})`);
  if (!(opts.secretKey instanceof Uint8Array) || opts.secretKey.length !== 32) fail('secretKey must be a 32-byte Uint8Array (an Ed25519 secret key)');
  const { transport, storage, app, crypto, clock } = opts;
  if (typeof transport?.send !== 'function' || typeof transport.onMessage !== 'function') fail('transport must be a Transport');
  if (typeof storage?.batch !== 'function' || typeof storage.iterate !== 'function') fail('storage must be a Storage');
  if (typeof app?.execute !== 'function' || typeof app.prepare !== 'function') fail('app must be a ReplicatedApp');
  if (typeof crypto?.sign !== 'function' || typeof crypto.verify !== 'function') fail('crypto must be a CryptoProvider');
  if (typeof clock?.now !== 'function' || typeof clock.setTimeout !== 'function') fail('clock must be a Clock');
  if (transport.localId !== opts.id) fail(`transport.localId is ${String(transport.localId)}, but this replica is ${opts.id}: give each replica its own endpoint`);
  const reachable = new Set(transport.members);
  const missing = opts.members.filter((m) => !reachable.has(m.id)).map((m) => m.id);
  if (missing.length > 0) fail(`replicas ${missing.join(', ')} are not members of the transport`);
}

/**
 * Creates and starts a PBFT replica. Loads persisted state from `storage`
 * (restoring the app from the last stable checkpoint and replaying committed
 * entries), then joins the protocol and asks peers for newer state.
 *
 * Throws `ConsensusError` (`CONSENSUS_CONFIG`) for unsafe configuration,
 * including an option it does not know (a misspelt tunable), a missing or
 * malformed `deployment` (or storage that holds another deployment's
 * replica), a secret key that is not 32 bytes or does not match this
 * replica's listed public key, a missing storage, app, crypto provider or
 * clock, and a transport whose `localId` is not `id` or whose members do not
 * include every replica.
 */
export async function createReplica(opts: ReplicaOptions): Promise<Replica> {
  const cfg = resolveConfig(opts);
  checkReplicaDependencies(opts);
  const { app, crypto, clock, transport } = opts;
  const me = opts.id;
  const log = (opts.logger ?? silentLogger()).child({ replica: me });
  const myKey = await crypto.getPublicKey(opts.secretKey);
  if (!equalBytes(myKey, cfg.keyOf.get(me) as Uint8Array)) {
    throw new ConsensusError('CONSENSUS_CONFIG', `secretKey does not match the public key listed for ${me}`);
  }
  // replicas rewrite their stored state base at different checkpoints (see replicaStore)
  const store = replicaStore(opts.storage, 1 + cfg.index / cfg.n);
  const events = new EventEmitter();
  const drops: Record<string, number> = {};

  // ---- protocol state ----------------------------------------------------------
  let view = 0;
  let viewChanging = false;
  /**
   * The highest sequence number the current view's NEW-VIEW assigned (its
   * last pre-prepare's, or its checkpoint's); 0 in view 0. Every sequence
   * number up to it is decided by the NEW-VIEW (or by the checkpoint below
   * it), so a PRE-PREPARE of this view at or below it that does not come
   * with the NEW-VIEW is an equivocation, even one that arrives while the
   * NEW-VIEW's own pre-prepares are still being accepted.
   */
  let viewFloor = 0;
  let lastExecuted = 0;
  let stableSeq = 0;
  let stableProof: Signed<Checkpoint>[] = [];
  /**
   * The stable checkpoint's state as served in state transfer, read from
   * storage once a peer asked for it, and kept (pinned) while a peer fetches
   * its parts even after a newer checkpoint became stable.
   */
  let served: Served | undefined;
  /** A state too large for one message, being fetched from peers part by part. */
  let fetching:
    | {
        asm: Assembly;
        /** The checked manifest: every honest replica sends the same one for the same seq. */
        manifest: Uint8Array;
        proof: Signed<Checkpoint>[];
        /** Committed entries after the checkpoint, from the manifest's sender: checked and executed once the state is in. */
        log: readonly CommittedEntry[];
        peers: ReplicaId[];
        turn: number;
        next: number;
        progressAt: number;
        timer: TimerHandle | undefined;
      }
    | undefined;
  /** State-transfer bytes per message: the tunable, within a quarter of what the transport carries. */
  const chunkBytes = Math.max(256, Math.min(cfg.stateChunkBytes, Math.floor(transport.capabilities.maxMessageBytes / 4)));
  /** Bumped when state transfer replaces the state: checkpoints queued before it are void. */
  let stateEpoch = 0;
  let ckptTail: Promise<void> = Promise.resolve();
  const rstate = createReplicaState(app, cfg.replyCachePerClient);
  let lastAssigned = 0;
  let lastTimestamp = 0;
  let stopped = false;
  let consecutiveViewChanges = 0;
  const slots = new Map<number, Slot>();
  const checkpointVotes = new Map<number, Map<string, Map<ReplicaId, Signed<Checkpoint>>>>();
  const ownCheckpoints = new Map<number, CheckpointState>();
  const clientPeer = new Map<string, string>();
  const pending = new Map<string, PooledRequest>();
  /** Requests in `pending`, by client id (admission control: `maxPendingPerClient`). */
  const pendingOf = new Map<string, number>();
  const bump = (counts: Map<string, number>, k: string, d: number): void => {
    const n = (counts.get(k) ?? 0) + d;
    if (n <= 0) counts.delete(k);
    else counts.set(k, n);
  };
  const unpend = (key: string, clientId: string): void => {
    if (pending.delete(key)) bump(pendingOf, clientId, -1);
  };
  const queue = new Map<string, PooledRequest>();
  const ordered = new Set<string>();
  /** Requests seen, by canonical bytes: each is decoded and verified once, whether it came from its client or in a batch. */
  const pool = new Map<string, PooledRequest>();
  /**
   * Signature checks of small messages (votes, checkpoints), by signature,
   * with the bytes they cover, in two generations: since the last stable
   * checkpoint, and the interval before it. Votes at or below the stable
   * checkpoint are seldom checked again, so they leave with their log instead
   * of lingering in memory.
   */
  let verifyCache = new Map<string, { bytes: Uint8Array; verdict: Promise<boolean> }>();
  let verifyCacheOld: typeof verifyCache = new Map();
  const viewChanges = new Map<number, Map<ReplicaId, Signed<ViewChange>>>();
  let lastNewView: Signed<NewView> | undefined;
  /** PRE-PREPAREs that overtook the NEW-VIEW of their view on the network, replayed in enterView. */
  const earlyPrePrepares = new Map<string, Signed<PrePrepare>>();
  let vcTimer: TimerHandle | undefined;
  let nvTimer: TimerHandle | undefined;
  let stTimer: TimerHandle | undefined;
  let stateTarget = 0;
  let stateTries = 0;
  let cutting = false;
  let execTail: Promise<void> = Promise.resolve();
  /** Per-sender handling chains (see onMessage). */
  const senderChains = new Map<string, Promise<void>>();
  let executing = false;

  const isPrimary = (v = view) => primaryOf(cfg, v) === me;
  const reqKey = (r: { clientId: string; requestSeq: number }) => `${r.clientId}:${r.requestSeq}`;
  const emit = <E extends keyof ReplicaEvents>(e: E, payload: ReplicaEvents[E]) => {
    try {
      events.emit(e, payload);
    } catch (err) {
      log.error('event handler threw', { event: e, error: String(err) });
    }
  };
  const drop = (from: string, reason: DropReason) => {
    drops[reason] = (drops[reason] ?? 0) + 1;
    emit('dropped', { replica: me, from, reason });
  };
  const slotOf = (seq: number): Slot => {
    let s = slots.get(seq);
    if (s === undefined) {
      s = { pp: undefined, requests: undefined, accepting: false, votes: new Map(), checking: new Map(), surplus: new Map(), sentPrepare: new Set(), sentCommit: new Set(), preparedCert: undefined, commitCert: undefined, executed: false, signing: new Map() };
      slots.set(seq, s);
    }
    return s;
  };
  const inWindow = (seq: number) => seq > stableSeq && seq <= stableSeq + cfg.L;

  // ---- crypto helpers ------------------------------------------------------------
  const sign = <M extends ReplicaMessage>(body: M) => signMessage(crypto, opts.secretKey, body, cfg.deployment);
  /**
   * This replica's PREPARE or COMMIT for `(view, seq, digest)`, signed once per
   * slot (Ed25519 is deterministic, so an early start changes no bytes). Signing
   * speculatively is safe: a vote is sent only after the checks it depends on.
   */
  const voteSignature = (slot: Slot, type: 'prepare' | 'commit', v: number, seq: number, digest: Uint8Array): Promise<Signed<Vote>> => {
    const key = `${type}:${voteKey(v, seq, digest)}`;
    let signed = slot.signing.get(key);
    if (signed === undefined) {
      signed = sign<Vote>({ type, view: v, seq, digest, replica: me });
      slot.signing.set(key, signed);
      signed.catch(() => {
        if (slot.signing.get(key) === signed) slot.signing.delete(key);
      });
    }
    return signed;
  };
  /** Starts this backup's votes for a current-view PRE-PREPARE while its signature and requests are checked. */
  const speculateVotes = (m: PrePrepare): void => {
    if (stopped || viewChanging || m.view !== view || isPrimary() || m.replica !== primaryOf(cfg, view) || !inWindow(m.seq)) return;
    const slot = slotOf(m.seq);
    if (slot.pp !== undefined || slot.signing.size >= 4) return; // accepted already, or a primary spraying digests
    void voteSignature(slot, 'prepare', m.view, m.seq, m.digest).catch(() => undefined);
    void voteSignature(slot, 'commit', m.view, m.seq, m.digest).catch(() => undefined);
  };
  // A verdict is a function of (signature, signed bytes): the cache is keyed by
  // the signature and hit only for the very same bytes, so a valid signature
  // replayed on another body never hits it. Large messages (pre-prepares, view
  // changes) are not cached: they are rarely checked twice.
  const verify = (s: Signed): Promise<boolean> => {
    const key = cfg.keyOf.get(s.body.replica);
    if (key === undefined) return Promise.resolve(false);
    if (s.bytes.length > 1024) return crypto.verify(s.signature, signedBytesOf(s, cfg.deployment), key);
    const id = keyString(s.signature);
    const hit = verifyCache.get(id) ?? verifyCacheOld.get(id);
    if (hit !== undefined && (hit.bytes === s.bytes || equalBytes(hit.bytes, s.bytes))) return hit.verdict;
    const verdict = crypto.verify(s.signature, signedBytesOf(s, cfg.deployment), key);
    if (verifyCache.size >= 8192) ageVerifyCache();
    verifyCache.set(id, { bytes: s.bytes, verdict });
    return verdict;
  };
  const ageVerifyCache = () => {
    verifyCacheOld = verifyCache;
    verifyCache = new Map();
  };
  /**
   * The pooled request for canonical request bytes; throws `CodecError` when
   * they do not decode. The pool is keyed by the bytes where a canonical
   * request holds its signature (after the 64-hex client id), and a hit must
   * match every byte, so the key only decides where to look.
   */
  const pooled = (bytes: Uint8Array): PooledRequest => pooledIf(bytes, undefined) as PooledRequest;
  /** {@link pooled}, except that a request not in the pool is only decoded, not pooled or verified, unless `admit` accepts it. */
  function pooledIf(bytes: Uint8Array, admit: ((r: SignedRequest, key: string) => boolean) | undefined): PooledRequest | undefined {
    const poolKey = keyString(bytes.length > SIGNATURE_AT + 64 ? bytes.subarray(SIGNATURE_AT, SIGNATURE_AT + 64) : bytes);
    const hit = pool.get(poolKey);
    if (hit !== undefined && (hit.bytes === bytes || equalBytes(hit.bytes, bytes))) return hit;
    const request = decodeRequest(bytes);
    const key = reqKey(request);
    if (admit !== undefined && !admit(request, key)) return undefined;
    const e: PooledRequest = { bytes, poolKey, request, key, prepared: app.prepare(request) };
    if (pool.size >= 65_536) pool.clear();
    pool.set(poolKey, e);
    return e;
  }

  // ---- sending -------------------------------------------------------------------
  const sendTo = (to: string, bytes: Uint8Array) => {
    transport.send(to, bytes).catch((err: unknown) => log.debug('send failed', { to, error: String(err) }));
  };
  const broadcast = (s: Signed) => {
    const bytes = encodeSignedFrame(s);
    for (const m of cfg.members) if (m.id !== me) sendTo(m.id, bytes);
  };
  const reply = (r: SignedRequest, result: Uint8Array, readOnly: boolean, error?: 'invalid_signature'): Omit<ReplyMessage, 'replica'> => ({
    type: 'reply',
    view,
    clientId: r.clientId,
    requestSeq: r.requestSeq,
    result,
    readOnly,
    ...(error === undefined ? {} : { error }),
  });
  const sendReply = (r: SignedRequest, result: Uint8Array, readOnly: boolean, error?: 'invalid_signature', to?: string) => {
    const peer = to ?? clientPeer.get(r.clientId);
    if (peer === undefined) return;
    sendTo(peer, encodeReplies(me, [reply(r, result, readOnly, error)]));
  };

  // ---- timers ----------------------------------------------------------------------
  const vcTimeout = () => Math.min(cfg.viewChangeTimeoutMs * 2 ** consecutiveViewChanges, cfg.maxViewChangeTimeoutMs);
  const armViewChangeTimer = (restart: boolean) => {
    if (stopped || viewChanging) return;
    if (pending.size === 0) {
      vcTimer?.cancel();
      vcTimer = undefined;
      return;
    }
    if (vcTimer !== undefined && !restart) return;
    vcTimer?.cancel();
    vcTimer = clock.setTimeout(() => {
      vcTimer = undefined;
      void guarded('view-change timer', () => startViewChange(view + 1));
    }, vcTimeout());
  };

  const guarded = async (what: string, fn: () => Promise<void> | void) => {
    try {
      await fn();
    } catch (err) {
      if (!stopped) log.error(`${what} failed`, { error: String(err) });
      drops['internal'] = (drops['internal'] ?? 0) + 1;
    }
  };

  // ---- client requests ----------------------------------------------------------
  /**
   * Admission control for requests from clients (never for requests inside a
   * PRE-PREPARE, which are ordered already): a new request is refused before
   * its signature is checked while this replica holds `maxPendingRequests`
   * unexecuted requests, or `maxPendingPerClient` of its client's (counting
   * the admitted ones whose signature check is under way). Requests it
   * already holds, or has executed, always pass (duplicates, retransmissions
   * for a cached reply). Fast-path reads hold nothing: `onRequest` lets them
   * through without asking.
   */
  const admits = (r: SignedRequest, key: string): boolean => {
    if (pending.has(key) || rstate.reply(r.clientId, r.requestSeq) !== undefined) return true;
    return (
      pending.size + checkingAll < cfg.maxPendingRequests && (pendingOf.get(r.clientId) ?? 0) + (checkingOf.get(r.clientId) ?? 0) < cfg.maxPendingPerClient
    );
  };
  /** Requests admitted whose signature check is under way: they count against the limits. */
  let checkingAll = 0;
  const checkingOf = new Map<string, number>();
  const reserve = (clientId: string, d: number): void => {
    checkingAll += d;
    bump(checkingOf, clientId, d);
  };
  async function onRequest(from: string, bytes: Uint8Array, fastRead: boolean): Promise<void> {
    // a request admitted here holds its place while its signature is checked
    let reserved = undefined as string | undefined;
    let e: PooledRequest | undefined;
    try {
      e = pooledIf(bytes, (r, key) => {
        if (r.readOnly === true && fastRead) return true; // holds nothing
        if (!admits(r, key)) return false;
        reserved = r.clientId;
        reserve(r.clientId, 1);
        return true;
      });
    } catch {
      return drop(from, 'malformed');
    }
    if (e === undefined) return drop(from, 'overloaded');
    try {
      await handleRequest(from, e, fastRead);
    } finally {
      if (reserved !== undefined) reserve(reserved, -1);
    }
  }
  async function handleRequest(from: string, e: PooledRequest, fastRead: boolean): Promise<void> {
    const r = e.request;
    if (r.readOnly === true && fastRead) {
      const p = await e.prepared;
      if (!p.authentic) {
        drop(from, 'unauthentic_request');
        sendReply(r, new Uint8Array(0), true, 'invalid_signature', from);
        return;
      }
      sendReply(r, app.query(r.op), true, undefined, from);
      return;
    }
    const key = e.key;
    const cached = rstate.reply(r.clientId, r.requestSeq);
    if (cached !== undefined) {
      clientPeer.set(r.clientId, from);
      sendReply(r, cached, false, undefined, from);
      return;
    }
    if (pending.has(key)) {
      clientPeer.set(r.clientId, from);
      return;
    }
    const p = await e.prepared;
    if (!p.authentic) {
      drop(from, 'unauthentic_request');
      sendReply(r, new Uint8Array(0), r.readOnly === true, 'invalid_signature', from);
      return;
    }
    clientPeer.set(r.clientId, from);
    if (pending.has(key) || rstate.reply(r.clientId, r.requestSeq) !== undefined) return;
    pending.set(key, e);
    bump(pendingOf, r.clientId, 1);
    if (isPrimary() && !viewChanging && !ordered.has(key)) {
      queue.set(key, e);
      void guarded('batching', cutBatches);
    }
    armViewChangeTimer(false);
  }

  // ---- normal case: primary --------------------------------------------------------
  const pipelineThreshold = Math.max(1, Math.floor(cfg.maxBatchRequests / 4));
  async function cutBatches(): Promise<void> {
    if (cutting) return;
    cutting = true;
    try {
      // Adaptive batching: with nothing in flight a request is proposed at once;
      // while batches are in flight, requests gather into the next batch, and
      // another batch is cut early (pipelined, up to maxInFlightBatches) only
      // once a quarter of a full batch is waiting. Small batches under load
      // would spend the CPU on per-batch protocol signatures instead.
      while (!stopped && isPrimary() && !viewChanging && queue.size > 0 && lastAssigned + 1 <= stableSeq + cfg.L) {
        const inFlight = lastAssigned - lastExecuted;
        if (inFlight > 0 && (inFlight >= cfg.maxInFlightBatches || queue.size < pipelineThreshold)) break;
        const batchReqs: PooledRequest[] = [];
        const batch: Uint8Array[] = [];
        let bytes = 0;
        for (const [key, e] of queue) {
          const enc = e.bytes;
          if (batch.length > 0 && (batch.length >= cfg.maxBatchRequests || bytes + enc.length > cfg.maxBatchBytes)) break;
          queue.delete(key);
          if (ordered.has(key) || !pending.has(key)) continue;
          ordered.add(key);
          batchReqs.push(e);
          batch.push(enc);
          bytes += enc.length;
        }
        if (batch.length === 0) continue;
        const seq = ++lastAssigned;
        const timestamp = Math.max(lastTimestamp + 1, Math.floor(clock.now()));
        lastTimestamp = timestamp;
        const v = view;
        const digest = batchDigest(timestamp, batch);
        void voteSignature(slotOf(seq), 'commit', v, seq, digest).catch(() => undefined); // ready by the time it prepares
        const pp = await sign<PrePrepare>({ type: 'pre-prepare', view: v, seq, digest, timestamp, batch, replica: me });
        await store.savePrePrepare(pp);
        if (stopped || view !== v || viewChanging) return;
        const slot = slotOf(seq);
        slot.pp = pp;
        slot.requests = batchReqs;
        broadcast(pp);
        checkPrepared(seq);
      }
    } finally {
      cutting = false;
    }
  }

  // ---- normal case: backups ---------------------------------------------------------
  async function onPrePrepare(s: Signed<PrePrepare>, fromNewView = false): Promise<void> {
    const m = s.body;
    if (!fromNewView) {
      if (m.view < view) return drop(m.replica, 'stale_view');
      if (m.view > view || viewChanging) {
        // it overtook the NEW-VIEW of its view: keep it until we enter that view
        if (m.view <= view + MAX_VOTE_VIEW_AHEAD && m.replica === primaryOf(cfg, m.view) && earlyPrePrepares.size < cfg.L) {
          earlyPrePrepares.set(`${m.view}:${m.seq}`, s);
          return;
        }
        return drop(m.replica, 'future_view');
      }
    }
    if (m.replica !== primaryOf(cfg, m.view)) return drop(m.replica, 'not_primary');
    if (!fromNewView && m.seq <= viewFloor) {
      // the NEW-VIEW decided this seq: its own pre-prepare (being accepted, or accepted) is the only one
      const assigned = lastNewView?.body.view === m.view ? lastNewView.body.prePrepares.find((p) => p.body.seq === m.seq) : undefined;
      if (assigned !== undefined && equalBytes(assigned.body.digest, m.digest)) return;
      return drop(m.replica, 'equivocation');
    }
    if (!inWindow(m.seq) && !(fromNewView && m.seq > stableSeq)) return drop(m.replica, 'out_of_window');
    if (!equalBytes(m.digest, batchDigest(m.timestamp, m.batch))) return drop(m.replica, 'bad_digest');
    const slot = slotOf(m.seq);
    if (slot.pp !== undefined && slot.pp.body.view === m.view) {
      if (!equalBytes(slot.pp.body.digest, m.digest)) drop(m.replica, 'equivocation');
      return;
    }
    if (slot.accepting) return;
    if (!fromNewView && !plausibleTimestamp(m)) return drop(m.replica, 'bad_timestamp');
    if (m.batch.length > cfg.maxBatchRequests || m.batch.reduce((a, b) => a + b.length, 0) > cfg.maxBatchBytes + 1024) {
      return drop(m.replica, 'oversized_batch');
    }
    let reqs: PooledRequest[];
    try {
      reqs = m.batch.map(pooled);
    } catch {
      return drop(m.replica, 'malformed');
    }
    slot.accepting = true;
    try {
      const prepared = await Promise.all(reqs.map((e) => e.prepared));
      if (prepared.some((p) => !p.authentic)) return drop(m.replica, 'unauthentic_request');
      if (stopped || m.view !== view || viewChanging) return;
      if (slot.pp !== undefined && slot.pp.body.view === m.view) return;
      const amPrimary = isPrimary(m.view);
      const vote = amPrimary ? undefined : await voteSignature(slot, 'prepare', m.view, m.seq, m.digest);
      await store.savePrePrepare(s, vote);
      if (stopped || m.view !== view || viewChanging) return;
      slot.pp = s;
      slot.requests = reqs;
      lastTimestamp = Math.max(lastTimestamp, m.timestamp);
      for (const e of reqs) {
        ordered.add(e.key);
        queue.delete(e.key);
      }
      if (vote !== undefined) {
        slot.sentPrepare.add(m.view);
        addVote(slot, vote);
        broadcast(vote);
      }
      checkPrepared(m.seq);
    } finally {
      slot.accepting = false;
    }
  }

  /**
   * Whether a new PRE-PREPARE's timestamp is one an honest primary could have
   * chosen: within `maxClockSkewMs` of this replica's clock (or one past the
   * latest timestamp it has seen, which is what an honest primary proposes
   * when it cuts more than one batch per ms), and between the timestamps of
   * its neighbours in the same view, which an honest primary makes strictly
   * increasing. The neighbours are checked whichever arrives first.
   */
  function plausibleTimestamp(m: PrePrepare): boolean {
    const now = clock.now();
    const skew = cfg.maxClockSkewMs;
    if (m.timestamp < now - skew || m.timestamp > Math.max(now + skew, lastTimestamp + 1)) return false;
    const before = slots.get(m.seq - 1)?.pp?.body;
    const after = slots.get(m.seq + 1)?.pp?.body;
    return !((before?.view === m.view && before.timestamp >= m.timestamp) || (after?.view === m.view && after.timestamp <= m.timestamp));
  }

  const voteMapKey = (b: Vote) => `${b.type}:${voteKey(b.view, b.seq, b.digest)}`;

  /**
   * A PREPARE or COMMIT for the current view's pre-prepare at `seq` that the
   * quorum does not need: enough matching votes are verified or being
   * verified. Its signature is not checked (it is set aside, and checked only
   * if one of those fails), which spares a third of the vote verifications.
   * Votes that do not match the pre-prepare are always checked.
   */
  function isSurplusVote(b: Vote): boolean {
    if (b.view !== view || viewChanging) return false;
    const slot = slots.get(b.seq);
    const pp = slot?.pp;
    if (slot === undefined || pp === undefined || pp.body.view !== b.view || !equalBytes(pp.body.digest, b.digest)) return false;
    const key = voteMapKey(b);
    const verified = slot.votes.get(key);
    if (verified?.has(b.replica)) return false; // a duplicate: the verify cache answers it
    const primary = primaryOf(cfg, b.view);
    const counted = new Set(slot.checking.get(key));
    for (const r of verified?.keys() ?? []) counted.add(r);
    counted.delete(b.replica);
    if (b.type === 'prepare') counted.delete(primary);
    return counted.size >= (b.type === 'prepare' ? cfg.prepareQuorum : cfg.quorum);
  }

  /** Notes a vote's signature check as under way until it settles; a failure calls in the votes set aside. */
  function trackCheck(b: Vote, verified: Promise<boolean>): void {
    const slot = slots.get(b.seq);
    if (slot === undefined || (b.type === 'prepare' && b.replica === primaryOf(cfg, b.view))) return;
    const key = voteMapKey(b);
    let checking = slot.checking.get(key);
    if (checking === undefined) {
      checking = new Set();
      slot.checking.set(key, checking);
    }
    if (checking.has(b.replica)) return; // a duplicate under check counts once
    checking.add(b.replica);
    const settled = checking;
    void verified.then((ok) => {
      settled.delete(b.replica);
      if (ok) return;
      const spare = slot.surplus.get(key);
      slot.surplus.delete(key);
      for (const v of spare ?? []) ingestSigned(v.body.replica, v);
    });
  }

  function addVote(slot: Slot, v: Signed<Vote>): void {
    const key = voteMapKey(v.body);
    let m = slot.votes.get(key);
    if (m === undefined) {
      m = new Map();
      slot.votes.set(key, m);
    }
    if (!m.has(v.body.replica)) m.set(v.body.replica, v);
  }

  function votesFor(slot: Slot, type: 'prepare' | 'commit', v: number, seq: number, digest: Uint8Array): Signed<Vote>[] {
    return [...(slot.votes.get(`${type}:${voteKey(v, seq, digest)}`)?.values() ?? [])];
  }

  function onVote(s: Signed<Vote>): void {
    const m = s.body;
    if (m.view < view) return drop(m.replica, 'stale_view');
    if (m.view > view + MAX_VOTE_VIEW_AHEAD) return drop(m.replica, 'future_view');
    if (!inWindow(m.seq)) return drop(m.replica, 'out_of_window');
    if (m.type === 'prepare' && m.replica === primaryOf(cfg, m.view)) return drop(m.replica, 'not_primary');
    const slot = slotOf(m.seq);
    addVote(slot, s);
    if (m.view === view) checkPrepared(m.seq);
  }

  function checkPrepared(seq: number): void {
    const slot = slots.get(seq);
    if (slot?.pp === undefined || slot.pp.body.view !== view || viewChanging) return;
    const { digest } = slot.pp.body;
    const primary = primaryOf(cfg, view);
    const prepares = votesFor(slot, 'prepare', view, seq, digest).filter((v) => v.body.replica !== primary);
    if (prepares.length < cfg.prepareQuorum) return;
    if (slot.preparedCert === undefined || slot.preparedCert.prePrepare.body.view < view) {
      slot.preparedCert = { prePrepare: slot.pp, prepares: prepares.slice(0, cfg.prepareQuorum) };
    }
    if (!slot.sentCommit.has(view)) {
      slot.sentCommit.add(view);
      const v = view;
      void guarded('commit', async () => {
        const commit = await voteSignature(slot, 'commit', v, seq, digest);
        // a restarted replica must still prove in its VIEW-CHANGEs what it prepared
        await store.savePrepared(slot.preparedCert as PreparedProof, commit);
        if (stopped || view !== v) return;
        addVote(slot, commit);
        broadcast(commit);
        checkCommitted(seq);
      });
      return;
    }
    checkCommitted(seq);
  }

  function checkCommitted(seq: number): void {
    const slot = slots.get(seq);
    if (slot?.pp === undefined || slot.commitCert !== undefined) return;
    const { view: v, digest } = slot.pp.body;
    if (slot.preparedCert?.prePrepare.body.view !== v) return;
    const commits = votesFor(slot, 'commit', v, seq, digest);
    if (commits.length < cfg.quorum) return;
    slot.commitCert = { prePrepare: slot.pp, commits: commits.slice(0, cfg.quorum) };
    store.saveCommitCert(slot.commitCert);
    scheduleExecution();
  }

  // ---- execution -------------------------------------------------------------------
  function serialExec(fn: () => Promise<void>): Promise<void> {
    const next = execTail.then(fn, fn);
    execTail = next.catch((err: unknown) => log.error('execution failed', { error: String(err) }));
    return next;
  }

  function scheduleExecution(): void {
    if (executing) return;
    executing = true;
    void serialExec(async () => {
      try {
        for (;;) {
          const slot = slots.get(lastExecuted + 1);
          if (stopped || slot?.commitCert === undefined || slot.requests === undefined) break;
          await executeSlot(lastExecuted + 1, slot);
        }
      } finally {
        executing = false;
      }
    });
  }

  /**
   * Readies a slot to execute a batch committed elsewhere (state transfer, or
   * a commit certificate replayed after a restart). A PRE-PREPARE of a later
   * view that this replica accepted stays the slot's pre-prepare: forgetting
   * it would let it accept a second, different one in that view.
   */
  function installCommitted(slot: Slot, entry: CommittedEntry, requests: PooledRequest[]): void {
    if (slot.pp === undefined || slot.pp.body.view <= entry.prePrepare.body.view) slot.pp = entry.prePrepare;
    slot.requests = requests;
    slot.commitCert = entry;
    slot.preparedCert ??= { prePrepare: entry.prePrepare, prepares: [] };
  }

  async function executeSlot(seq: number, slot: Slot): Promise<void> {
    const pp = (slot.commitCert as CommittedEntry).prePrepare.body;
    const reqs = slot.requests;
    if (reqs === undefined) return; // executed already (requests are let go then)
    const prepared = await Promise.all(reqs.map((e) => e.prepared));
    if (seq !== lastExecuted + 1) return;
    // the event's request list is built only for listeners
    const executedReqs: { clientId: string; requestSeq: number; readOnly: boolean }[] | undefined = events.listenerCount('executed') > 0 ? [] : undefined;
    /** replies by client peer: one message per peer per batch */
    const replies = new Map<string, Omit<ReplyMessage, 'replica'>[]>();
    for (let i = 0; i < reqs.length; i++) {
      const e = reqs[i] as PooledRequest;
      const r = e.request;
      const p = prepared[i] as PreparedRequest;
      const readOnly = r.readOnly === true;
      // exactly once: a request ordered again after a view change keeps its first result
      const cached = readOnly ? undefined : rstate.reply(r.clientId, r.requestSeq);
      const result = readOnly ? app.query(r.op) : (cached ?? app.execute(p, { seq, timestamp: pp.timestamp }));
      if (!readOnly && cached === undefined) rstate.recordReply(r.clientId, r.requestSeq, result, seq, i);
      unpend(e.key, r.clientId);
      queue.delete(e.key);
      ordered.delete(e.key);
      if (pool.get(e.poolKey) === e) pool.delete(e.poolKey);
      executedReqs?.push({ clientId: r.clientId, requestSeq: r.requestSeq, readOnly });
      const peer = clientPeer.get(r.clientId);
      if (peer !== undefined) {
        let list = replies.get(peer);
        if (list === undefined) {
          list = [];
          replies.set(peer, list);
        }
        list.push(reply(r, result, false));
      }
    }
    for (const [peer, list] of replies) sendTo(peer, encodeReplies(me, list));
    slot.executed = true;
    // the decoded requests are not needed any more: let them go before the checkpoint drops the slot
    slot.requests = undefined;
    lastExecuted = seq;
    lastTimestamp = Math.max(lastTimestamp, pp.timestamp);
    consecutiveViewChanges = 0;
    rstate.afterBatch();
    if (executedReqs !== undefined) emit('executed', { replica: me, view: pp.view, seq, digest: pp.digest, timestamp: pp.timestamp, requests: executedReqs });
    if (seq % cfg.K === 0) takeCheckpoint(seq);
    armViewChangeTimer(true);
    if (isPrimary()) void guarded('batching', cutBatches);
  }

  // ---- checkpoints -------------------------------------------------------------------
  /** Runs checkpoint installs one at a time, in order (they write storage and the stable entries). */
  function serialCheckpoint(fn: () => Promise<void>): Promise<void> {
    const next = ckptTail.then(fn, fn);
    ckptTail = next.catch((err: unknown) => log.error('installing a checkpoint failed', { error: String(err) }));
    return next;
  }

  /**
   * Captures the state at `seq` synchronously (before the next batch runs)
   * and announces it. The signature is made off the execution path: batches
   * behind a checkpoint do not wait for it.
   */
  function takeCheckpoint(seq: number): void {
    const ck = rstate.checkpoint();
    ownCheckpoints.set(seq, ck);
    void guarded('checkpoint', async () => {
      const msg = await sign<Checkpoint>({ type: 'checkpoint', seq, digest: ck.digest, replica: me });
      if (stopped) return;
      broadcast(msg);
      addCheckpointVote(msg);
    });
  }

  function addCheckpointVote(s: Signed<Checkpoint>): void {
    const { seq, digest, replica } = s.body;
    if (seq <= stableSeq || seq % cfg.K !== 0 || seq > stableSeq + 64 * cfg.L) return;
    let bySeq = checkpointVotes.get(seq);
    if (bySeq === undefined) {
      bySeq = new Map();
      checkpointVotes.set(seq, bySeq);
    }
    const d = bytesToHex(digest);
    let votes = bySeq.get(d);
    if (votes === undefined) {
      votes = new Map();
      bySeq.set(d, votes);
    }
    votes.set(replica, s);
    if (votes.size >= cfg.quorum) void guarded('checkpoint', () => onCheckpointCertified(seq, digest, [...votes.values()].slice(0, cfg.quorum)));
  }

  async function onCheckpointCertified(seq: number, digest: Uint8Array, proof: Signed<Checkpoint>[]): Promise<void> {
    if (seq <= stableSeq) return;
    const own = ownCheckpoints.get(seq);
    if (own === undefined) {
      if (lastExecuted < seq) requestState(seq);
      else log.error('checkpoint certified for an executed seq without a local checkpoint', { seq });
      return;
    }
    if (!equalBytes(own.digest, digest)) {
      log.error('local state diverged from the certified checkpoint; fetching state', { seq });
      requestState(seq);
      return;
    }
    const epoch = stateEpoch;
    await serialCheckpoint(async () => {
      if (seq <= stableSeq || epoch !== stateEpoch) return;
      // the changes since the stable checkpoint, up to seq, oldest first (usually one checkpoint's)
      const upTo = [...ownCheckpoints.keys()].sort((a, b) => a - b).filter((s) => s <= seq);
      let changes: ReadonlyMap<string, Uint8Array | undefined> = ownCheckpoints.get(upTo[0] ?? seq)?.changes ?? new Map();
      if (upTo.length > 1) {
        const merged = new Map<string, Uint8Array | undefined>();
        for (const s of upTo) for (const [k, v] of (ownCheckpoints.get(s) as CheckpointState).changes) merged.set(k, v);
        changes = merged;
      }
      for (const s of upTo) ownCheckpoints.delete(s);
      await store.saveCheckpoint({ seq, digest, proof }, { changes });
      becomeStable(seq, proof, digest);
    });
  }

  /** Installs state fetched from peers as the stable checkpoint (its entries are checked against `digest`). */
  function installTransferred(seq: number, entries: readonly StateEntry[], proof: Signed<Checkpoint>[], digest: Uint8Array): Promise<void> {
    return serialCheckpoint(async () => {
      if (seq <= stableSeq) return;
      await store.saveCheckpoint({ seq, digest, proof }, { replace: entries });
      becomeStable(seq, proof, digest);
    });
  }

  function becomeStable(seq: number, proof: Signed<Checkpoint>[], digest: Uint8Array): void {
    if (seq <= stableSeq) return;
    stableSeq = seq;
    stableProof = proof;
    ageVerifyCache();
    for (const k of [...slots.keys()]) if (k <= seq) slots.delete(k);
    for (const k of [...checkpointVotes.keys()]) if (k <= seq) checkpointVotes.delete(k);
    for (const k of [...ownCheckpoints.keys()]) if (k <= seq) ownCheckpoints.delete(k);
    if (lastAssigned < seq) lastAssigned = seq;
    emit('checkpoint', { replica: me, seq, digest });
    if (isPrimary()) void guarded('batching', cutBatches);
  }

  // ---- state transfer ------------------------------------------------------------------
  /**
   * Asks peers for state until `lastExecuted ≥ seq`. `delayMs` gives normal
   * execution a chance first (a replica a little behind catches up by itself);
   * `tries` bounds speculative requests (at start-up nobody may be ahead).
   */
  function requestState(seq: number, delayMs = cfg.stateTransferRetryMs, tries = Infinity): void {
    if (seq <= lastExecuted) return;
    stateTarget = Math.max(stateTarget, seq);
    stateTries = Math.max(stateTries, tries);
    if (stTimer !== undefined) return;
    const ask = () => {
      stTimer = undefined;
      if (stopped || stateTarget <= lastExecuted || stateTries <= 0) {
        stateTries = 0;
        return;
      }
      stateTries--;
      // a large state being fetched part by part needs no new manifest while parts keep arriving
      const busy = fetching !== undefined && clock.now() - fetching.progressAt < cfg.stateTransferRetryMs;
      if (!busy) void guarded('state request', async () => broadcast(await sign<StateRequest>({ type: 'state-request', seq: lastExecuted + 1, replica: me })));
      stTimer = clock.setTimeout(ask, cfg.stateTransferRetryMs);
    };
    stTimer = clock.setTimeout(ask, delayMs);
  }

  /**
   * The state to serve to a peer that has executed up to `minSeq − 1`: the
   * pinned one if a peer is still fetching its parts and it is recent enough,
   * else the stable checkpoint's, read from storage between checkpoint
   * installs (so state, seq and proof agree): O(state) once per stable
   * checkpoint however many peers ask. `undefined` when neither reaches `minSeq`.
   */
  function servedState(minSeq: number): Promise<Served | undefined> {
    const pinned = served !== undefined && (served.state.seq === stableSeq || clock.now() - served.usedAt < cfg.stateTransferRetryMs);
    if (pinned && served !== undefined && served.state.seq >= minSeq) return Promise.resolve(served);
    if (stableSeq === 0 || stableSeq < minSeq) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      void serialCheckpoint(async () => {
        try {
          if (served?.state.seq !== stableSeq) served = { state: serveState(stableSeq, await store.loadState(), chunkBytes), proof: stableProof, usedAt: -Infinity };
          resolve(served);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  /**
   * Answers to a peer's STATE-REQUEST or stale VIEW-CHANGE, which a Byzantine
   * replica can replay at will, each answer far larger or more frequent than
   * its trigger (two replicas answering each other's replays grew a message
   * storm exponentially in the simulator). Per peer and kind: one answer per
   * half of `retryMs` (the period on which a lagging peer retries, halved so
   * that delivery jitter never makes a real retry look early), and one
   * whenever the peer asks about a newer view or seq than any answered
   * (bounded by this replica's progress).
   */
  const answered = new Map<string, { mark: number; at: number }>();
  function mayAnswer(kind: 'state' | 'chunk' | 'view-change', peer: ReplicaId, mark: number, retryMs: number): boolean {
    const key = `${kind}:${peer}`;
    const now = clock.now();
    const last = answered.get(key);
    if (last !== undefined && mark <= last.mark && now - last.at < retryMs / 2) {
      drop(peer, 'rate_limited');
      return false;
    }
    answered.set(key, { mark: Math.max(mark, last?.mark ?? mark), at: now });
    return true;
  }

  async function onStateRequest(s: Signed<StateRequest>): Promise<void> {
    const m = s.body;
    if (lastExecuted < m.seq) return;
    if (!mayAnswer('state', m.replica, m.seq, cfg.stateTransferRetryMs)) return;
    const snap = await servedState(m.seq);
    const from = snap?.state.seq ?? stableSeq;
    // committed entries after it, within the message budget (at least one, so the peer progresses)
    const logEntries: CommittedEntry[] = [];
    let logBytes = 0;
    for (let seq = Math.max(m.seq, from + 1); seq <= lastExecuted && logEntries.length < cfg.L; seq++) {
      const cert = slots.get(seq)?.commitCert;
      if (cert === undefined) break;
      logBytes += cert.prePrepare.bytes.length + cert.commits.reduce((sum, c) => sum + c.bytes.length + 80, 80);
      if (logEntries.length > 0 && logBytes > chunkBytes) break;
      logEntries.push(cert);
    }
    if (snap === undefined && logEntries.length === 0) return;
    const resp = await sign<StateResponse>({
      type: 'state-response',
      seq: from,
      snapshot: snap?.state.whole ?? NO_BYTES,
      manifest: snap !== undefined && snap.state.whole === undefined ? snap.state.manifest : NO_BYTES,
      proof: snap?.proof ?? [],
      log: logEntries,
      replica: me,
    });
    sendTo(m.replica, encodeSignedFrame(resp));
    if (lastNewView !== undefined && lastNewView.body.view === view && !viewChanging) sendTo(m.replica, encodeSignedFrame(lastNewView));
  }

  /** Sends the parts of a served state a peer asks for (only of the exact checkpoint it names). */
  async function onStateChunkRequest(s: Signed<StateChunkRequest>): Promise<void> {
    const m = s.body;
    const sv = served?.state.seq === m.seq ? served : stableSeq === m.seq ? await servedState(m.seq) : undefined;
    if (sv?.state.seq !== m.seq) return;
    if (!mayAnswer('chunk', m.replica, m.seq * STATE_PARTS + m.from, cfg.stateTransferRetryMs)) return;
    sv.usedAt = clock.now();
    const chunk = await sign<StateChunk>({ type: 'state-chunk', seq: m.seq, from: m.from, parts: chunkOf(sv.state, m.from, chunkBytes), replica: me });
    sendTo(m.replica, encodeSignedFrame(chunk));
  }

  /** Asks the next peer in turn for the first missing parts of the state being fetched; a peer that does not answer in time loses its turn. */
  function requestChunk(): void {
    const f = fetching;
    if (f === undefined || stopped) return;
    f.timer?.cancel();
    f.timer = undefined;
    if (f.asm.seq <= lastExecuted) {
      fetching = undefined; // passed meanwhile (by execution or another transfer)
      return;
    }
    const next = f.asm.missing(f.next) ?? f.asm.missing(0);
    if (next === undefined) {
      void guarded('state install', () => finishFetch(f));
      return;
    }
    const peer = f.peers[f.turn % f.peers.length] as ReplicaId;
    void guarded('state chunk request', async () => sendTo(peer, encodeSignedFrame(await sign<StateChunkRequest>({ type: 'state-chunk-request', seq: f.asm.seq, from: next, replica: me }))));
    f.timer = clock.setTimeout(() => {
      if (fetching !== f) return;
      f.turn++;
      requestChunk();
    }, cfg.stateTransferRetryMs);
  }

  function onStateChunk(s: Signed<StateChunk>): void {
    const m = s.body;
    const f = fetching;
    if (f === undefined || m.seq !== f.asm.seq) return;
    if (!f.asm.accept(m.from, m.parts)) {
      drop(m.replica, 'bad_state');
      const asked = f.peers[f.turn % f.peers.length] === m.replica;
      f.peers = f.peers.filter((p) => p !== m.replica);
      if (f.peers.length === 0) {
        f.timer?.cancel();
        fetching = undefined;
      } else if (asked) requestChunk(); // the next peer at once; a chunk nobody asked for changes nothing else
      return;
    }
    f.progressAt = clock.now();
    f.next = m.from + m.parts.length;
    requestChunk();
  }

  /** Installs a state fetched part by part (every part already checked against the manifest). */
  async function finishFetch(f: NonNullable<typeof fetching>): Promise<void> {
    if (fetching !== f) return;
    fetching = undefined;
    f.timer?.cancel();
    // every part hashed to the manifest and the manifest to the certified digest: no need to hash it all again
    const state = f.asm.entries();
    const entries: CommittedEntry[] = [];
    for (const e of [...f.log].sort((a, b) => a.prePrepare.body.seq - b.prePrepare.body.seq)) {
      if (!(await checkCommitCert(e))) break;
      entries.push(e);
    }
    await applyTransfer(f.asm.seq, state, f.proof, f.asm.digest, entries, f.peers[0] as ReplicaId);
    scheduleExecution();
  }

  async function checkCommitCert(e: CommittedEntry): Promise<boolean> {
    const pp = e.prePrepare.body;
    if (pp.replica !== primaryOf(cfg, pp.view) || !equalBytes(pp.digest, batchDigest(pp.timestamp, pp.batch))) return false;
    if (!(await verify(e.prePrepare))) return false;
    const seen = new Set<string>();
    for (const c of e.commits) {
      const b = c.body;
      if (b.type !== 'commit' || b.view !== pp.view || b.seq !== pp.seq || !equalBytes(b.digest, pp.digest) || seen.has(b.replica) || !cfg.keyOf.has(b.replica)) continue;
      if (await verify(c)) seen.add(b.replica);
    }
    return seen.size >= cfg.quorum;
  }

  /**
   * Replaces the app and reply cache with checked entries (throws `CodecError`
   * for malformed ones, leaving them untouched); own checkpoints not yet
   * stable are void from here on.
   */
  function installState(entries: readonly StateEntry[]): void {
    rstate.install(entries);
    ownCheckpoints.clear();
    stateEpoch++;
    // requests the new state already executed are no longer pending
    for (const [k, e] of pending) {
      if (rstate.reply(e.request.clientId, e.request.requestSeq) !== undefined) {
        unpend(k, e.request.clientId);
        queue.delete(k);
      }
    }
  }

  async function onStateResponse(s: Signed<StateResponse>): Promise<void> {
    const m = s.body;
    if (m.manifest.length > 0) return onManifest(m);
    let digest: Uint8Array | undefined;
    let state: StateEntry[] = [];
    if (m.snapshot.length > 0 && m.seq > lastExecuted) {
      digest = await checkCheckpointProof(cfg, verify, m.proof, m.seq);
      if (digest === undefined) return drop(m.replica, 'bad_state');
      try {
        state = decodeEntries(m.snapshot);
        if (!equalBytes(digestEntries(state), digest)) return drop(m.replica, 'bad_state');
      } catch {
        return drop(m.replica, 'bad_state');
      }
    }
    const entries: CommittedEntry[] = [];
    for (const e of [...m.log].sort((a, b) => a.prePrepare.body.seq - b.prePrepare.body.seq)) {
      if (!(await checkCommitCert(e))) return drop(m.replica, 'bad_state');
      entries.push(e);
    }
    await applyTransfer(m.seq, digest === undefined ? undefined : state, [...m.proof], digest, entries, m.replica);
    scheduleExecution();
  }

  /**
   * A state too large for one message: checks the manifest of its parts
   * against the certified digest, then fetches the parts (keeping those of an
   * older fetch that did not change). The log entries that came with it are
   * checked and executed once the state is installed.
   */
  async function onManifest(m: StateResponse): Promise<void> {
    const already = () => m.seq <= lastExecuted || (fetching !== undefined && fetching.asm.seq >= m.seq);
    if (m.snapshot.length > 0) return drop(m.replica, 'bad_state');
    // the manifest of a certified state is a function of its digest: another one for the same seq is a lie
    if (fetching?.asm.seq === m.seq && !equalBytes(fetching.manifest, m.manifest)) return drop(m.replica, 'bad_state');
    if (already()) return;
    const digest = await checkCheckpointProof(cfg, verify, m.proof, m.seq);
    const hashes = digest === undefined ? undefined : checkManifest(m.manifest, digest);
    if (digest === undefined || hashes === undefined) return drop(m.replica, 'bad_state');
    if (already()) return;
    const asm = createAssembly(m.seq, digest, hashes);
    if (fetching !== undefined) {
      asm.adopt(fetching.asm);
      fetching.timer?.cancel();
    }
    // the sender first, then every other replica that may hold the same checkpoint
    const peers = [m.replica, ...cfg.members.map((x) => x.id).filter((id) => id !== me && id !== m.replica)];
    fetching = { asm, manifest: m.manifest, proof: [...m.proof], log: m.log, peers, turn: 0, next: 0, progressAt: clock.now(), timer: undefined };
    requestChunk();
  }

  /**
   * Installs transferred state (when `state` is set: checked against `digest`
   * already) as the stable checkpoint at `seq`, then executes the checked
   * committed `entries` that follow on from it; having moved on, asks
   * `source` for more.
   */
  async function applyTransfer(seq: number, state: StateEntry[] | undefined, proof: Signed<Checkpoint>[], digest: Uint8Array | undefined, entries: readonly CommittedEntry[], source: ReplicaId): Promise<void> {
    let advanced = false;
    await serialExec(async () => {
      const from = lastExecuted;
      if (state !== undefined && digest !== undefined && seq > lastExecuted) {
        try {
          installState(state);
        } catch {
          drop(source, 'bad_state');
          return;
        }
        lastExecuted = seq;
        for (const k of [...slots.keys()]) if (k <= seq) slots.delete(k);
        await installTransferred(seq, state, proof, digest);
      }
      for (const e of entries) {
        const eseq = e.prePrepare.body.seq;
        if (eseq !== lastExecuted + 1) continue;
        let reqs: PooledRequest[];
        try {
          reqs = e.prePrepare.body.batch.map(pooled);
        } catch {
          drop(source, 'bad_state');
          return;
        }
        const slot = slotOf(eseq);
        installCommitted(slot, e, reqs);
        await executeSlot(eseq, slot);
      }
      if (lastExecuted > from) emit('state-transfer', { replica: me, fromSeq: from, toSeq: lastExecuted });
      if (lastAssigned < lastExecuted) lastAssigned = lastExecuted;
      advanced = lastExecuted > from;
    });
    // a fetch of a checkpoint this replica has passed meanwhile is moot
    if (fetching !== undefined && fetching.asm.seq <= lastExecuted) {
      fetching.timer?.cancel();
      fetching = undefined;
    }
    // an answer holds at most a chunk of log: ask its sender at once for what follows (it stays silent when there is nothing)
    if (advanced && !stopped) void guarded('state request', async () => sendTo(source, encodeSignedFrame(await sign<StateRequest>({ type: 'state-request', seq: lastExecuted + 1, replica: me }))));
  }

  // ---- view change ---------------------------------------------------------------------
  async function startViewChange(target: number): Promise<void> {
    if (stopped || target <= view) return;
    view = target;
    viewChanging = true;
    consecutiveViewChanges++;
    vcTimer?.cancel();
    vcTimer = undefined;
    queue.clear();
    await store.saveView(target, true);
    if (view !== target) return;
    await announceViewChange(target);
  }

  /**
   * Signs and sends this replica's VIEW-CHANGE for `target` (the view it is
   * changing to): on starting the change, and again after a restart in the
   * middle of one (from what it stored).
   */
  async function announceViewChange(target: number): Promise<void> {
    const prepared: PreparedProof[] = [];
    for (const [seq, slot] of [...slots].sort((a, b) => a[0] - b[0])) {
      // certificates rebuilt from state transfer carry no prepares: others hold the real ones
      if (seq > stableSeq && slot.preparedCert !== undefined && slot.preparedCert.prepares.length >= cfg.prepareQuorum) prepared.push(slot.preparedCert);
    }
    const vc = await sign<ViewChange>({ type: 'view-change', view: target, stableSeq, checkpointProof: stableProof, prepared, replica: me });
    if (view !== target || !viewChanging) return;
    recordViewChange(vc);
    broadcast(vc);
    emit('view-change', { replica: me, view: target });
    armNewViewTimer(target, vc);
    if (isPrimary(target)) await tryNewView(target);
  }

  /**
   * Castro & Liskov §4.5.2: move on to target+1 only once a quorum of replicas are at
   * target or beyond (otherwise a lone replica races ahead through views and
   * never rejoins); until then re-send our VIEW-CHANGE.
   */
  function armNewViewTimer(target: number, vc: Signed<ViewChange>): void {
    nvTimer?.cancel();
    nvTimer = clock.setTimeout(() => {
      nvTimer = undefined;
      if (!viewChanging || view !== target) return;
      const atLeast = new Set<string>();
      for (const [v, byReplica] of viewChanges) if (v >= target) for (const r of byReplica.keys()) atLeast.add(r);
      if (atLeast.size >= cfg.quorum) void guarded('new-view timer', () => startViewChange(target + 1));
      else {
        broadcast(vc);
        armNewViewTimer(target, vc);
      }
    }, vcTimeout());
  }

  function recordViewChange(vc: Signed<ViewChange>): void {
    let m = viewChanges.get(vc.body.view);
    if (m === undefined) {
      m = new Map();
      viewChanges.set(vc.body.view, m);
    }
    m.set(vc.body.replica, vc);
  }

  async function onViewChange(s: Signed<ViewChange>): Promise<void> {
    const m = s.body;
    if (m.view < view || (m.view === view && !viewChanging)) {
      // a lagging replica: show it the view we are in, or, when we moved past m.view without a NEW-VIEW, our
      // own VIEW-CHANGE for it (rate-limited: replays of old VIEW-CHANGEs cost their sender nothing)
      const answer = lastNewView !== undefined && lastNewView.body.view === view && !viewChanging ? lastNewView : viewChanges.get(m.view)?.get(me);
      if (answer !== undefined && mayAnswer('view-change', m.replica, m.view, cfg.viewChangeTimeoutMs)) sendTo(m.replica, encodeSignedFrame(answer));
      return;
    }
    if (viewChanges.get(m.view)?.has(m.replica)) return;
    if (!(await checkViewChange(cfg, verify, s))) return drop(m.replica, 'bad_view_change');
    recordViewChange(s);
    // join rule: f+1 replicas want a higher view, so at least one honest one does
    const ahead = new Map<ReplicaId, number>();
    for (const [v, byReplica] of viewChanges) {
      if (v <= view) continue;
      for (const r of byReplica.keys()) ahead.set(r, Math.min(ahead.get(r) ?? Infinity, v));
    }
    if (ahead.size >= cfg.f + 1) {
      const target = Math.min(...ahead.values());
      if (target > view) await startViewChange(target);
    }
    if (viewChanging && m.view === view && isPrimary(view)) await tryNewView(view);
  }

  const sentNewView = new Set<number>();
  async function tryNewView(v: number): Promise<void> {
    if (sentNewView.has(v) || !viewChanging || view !== v) return;
    const byReplica = viewChanges.get(v);
    if (byReplica === undefined || byReplica.size < cfg.quorum || !byReplica.has(me)) return;
    sentNewView.add(v);
    const chosen = cfg.members.map((m) => byReplica.get(m.id)).filter((x): x is Signed<ViewChange> => x !== undefined).slice(0, cfg.quorum);
    const plan = planNewView(chosen.map((c) => c.body));
    const o: Signed<PrePrepare>[] = [];
    for (const slot of plan.slots) {
      const src = slot.source;
      const batch = src?.batch ?? [];
      const timestamp = src?.timestamp ?? NULL_TIMESTAMP;
      o.push(await sign<PrePrepare>({ type: 'pre-prepare', view: v, seq: slot.seq, digest: src?.digest ?? batchDigest(timestamp, batch), timestamp, batch, replica: me }));
    }
    const nv = await sign<NewView>({ type: 'new-view', view: v, viewChanges: chosen, prePrepares: o, replica: me });
    if (view !== v || !viewChanging) return;
    // entered, durably and with its pre-prepares, before anyone sees the NEW-VIEW: a restart must never make a second, different one for v
    const floor = newViewFloor(plan);
    await store.saveNewView(v, o, floor);
    if (view !== v || !viewChanging) return;
    broadcast(nv);
    await enterView(nv, plan.minS, floor);
  }

  async function onNewView(s: Signed<NewView>): Promise<void> {
    const m = s.body;
    if (m.view < view || (m.view === view && !viewChanging)) return;
    if (m.replica !== primaryOf(cfg, m.view)) return drop(m.replica, 'not_primary');
    const seen = new Set<string>();
    for (const vc of m.viewChanges) {
      if (vc.body.view !== m.view || seen.has(vc.body.replica)) return drop(m.replica, 'bad_new_view');
      if (!(await checkViewChange(cfg, verify, vc))) return drop(m.replica, 'bad_new_view');
      seen.add(vc.body.replica);
    }
    if (seen.size < cfg.quorum) return drop(m.replica, 'bad_new_view');
    const plan = planNewView(m.viewChanges.map((c) => c.body));
    if (plan.slots.length !== m.prePrepares.length) return drop(m.replica, 'bad_new_view');
    for (let i = 0; i < plan.slots.length; i++) {
      const want = plan.slots[i] as { seq: number; source: PrePrepare | undefined };
      const got = m.prePrepares[i] as Signed<PrePrepare>;
      const b = got.body;
      const wantDigest = want.source?.digest ?? batchDigest(NULL_TIMESTAMP, []);
      if (b.view !== m.view || b.seq !== want.seq || b.replica !== m.replica || !equalBytes(b.digest, wantDigest)) return drop(m.replica, 'bad_new_view');
      if (!equalBytes(b.digest, batchDigest(b.timestamp, b.batch))) return drop(m.replica, 'bad_new_view');
      if (!(await verify(got))) return drop(m.replica, 'bad_new_view');
    }
    if (m.view < view || (m.view === view && !viewChanging)) return;
    view = m.view;
    viewChanging = true;
    // entered together with what the NEW-VIEW assigned: after a restart, a PRE-PREPARE of this view that conflicts with it is refused
    const floor = newViewFloor(plan);
    await store.saveNewView(m.view, m.prePrepares, floor);
    // a view change to a later view may have started during the write, or another copy of this NEW-VIEW entered it
    if (view !== m.view || !viewChanging) return;
    await enterView(s, plan.minS, floor);
  }

  /** Enters the NEW-VIEW's view; `minS` and `floor` come from its plan ({@link newViewFloor}). */
  async function enterView(nv: Signed<NewView>, minS: number, floor: number): Promise<void> {
    const v = nv.body.view;
    view = v;
    viewChanging = false;
    viewFloor = floor;
    lastNewView = nv;
    nvTimer?.cancel();
    nvTimer = undefined;
    for (const k of [...viewChanges.keys()]) if (k <= v) viewChanges.delete(k);
    emit('new-view', { replica: me, view: v });
    if (minS > lastExecuted) requestState(minS, 0);
    // forget requests assigned in older views but not re-proposed: they go back to the queue
    const inO = new Set<string>();
    for (const pp of nv.body.prePrepares) {
      try {
        for (const b of pp.body.batch) inO.add(pooled(b).key);
      } catch {
        /* validated already */
      }
    }
    ordered.clear();
    for (const k of inO) ordered.add(k);
    if (isPrimary(v)) {
      lastAssigned = Math.max(floor, lastExecuted, stableSeq);
      for (const pp of nv.body.prePrepares) {
        lastTimestamp = Math.max(lastTimestamp, pp.body.timestamp);
        const slot = slotOf(pp.body.seq);
        slot.pp = pp;
        try {
          slot.requests = pp.body.batch.map(pooled);
        } catch {
          slot.requests = [];
        }
        checkPrepared(pp.body.seq);
      }
      queue.clear();
      for (const [k, r] of pending) if (!inO.has(k)) queue.set(k, r);
    } else {
      for (const pp of nv.body.prePrepares) await onPrePrepare(pp, true);
    }
    const early = [...earlyPrePrepares.values()].filter((pp) => pp.body.view === v).sort((a, b) => a.body.seq - b.body.seq);
    for (const [k, pp] of earlyPrePrepares) if (pp.body.view <= v) earlyPrePrepares.delete(k);
    if (!isPrimary(v)) for (const pp of early) await onPrePrepare(pp);
    armViewChangeTimer(true);
    if (isPrimary(v)) await cutBatches();
  }

  // ---- dispatch ------------------------------------------------------------------------
  function onMessage(msg: InboundMessage): void {
    if (stopped) return;
    let frame;
    try {
      frame = readFrame(msg.bytes);
    } catch {
      drop(msg.from, 'malformed');
      return;
    }
    if (frame.kind === 'request') {
      const { request, fastRead } = frame;
      void guarded('request', () => onRequest(msg.from, request, fastRead));
      return;
    }
    if (frame.kind === 'requests') {
      for (const { request, fastRead } of frame.requests) void guarded('request', () => onRequest(msg.from, request, fastRead));
      return;
    }
    if (frame.kind !== 'signed') return drop(msg.from, 'unexpected');
    const s = frame.signed;
    // Only NEW-VIEW may be relayed (to bring a lagging replica into the current
    // view); everything else must come from its signer over an authenticated link.
    const relayable = s.body.type === 'new-view';
    if (!cfg.keyOf.has(s.body.replica) || (!relayable && s.body.replica !== msg.from)) return drop(msg.from, 'spoofed');
    // Verify at once (in parallel), but handle each sender's messages in arrival
    // order: a NEW-VIEW takes many signature checks, and the new primary's first
    // PRE-PREPARE, sent right after it, must not overtake it and be dropped.
    if (s.body.type === 'prepare' || s.body.type === 'commit') {
      const b = s.body;
      if (isSurplusVote(b)) {
        const slot = slotOf(b.seq);
        const key = voteMapKey(b);
        const spare = slot.surplus.get(key) ?? [];
        if (spare.length < cfg.n) spare.push(s as Signed<Vote>);
        slot.surplus.set(key, spare);
        return;
      }
    }
    ingestSigned(msg.from, s);
  }

  /** Verifies a signed message at once (in parallel) and handles it in its sender's order. */
  function ingestSigned(from: string, s: Signed): void {
    const verified = verify(s);
    if (s.body.type === 'pre-prepare') speculateVotes(s.body);
    if (s.body.type === 'prepare' || s.body.type === 'commit') trackCheck(s.body, verified);
    const prev = senderChains.get(from) ?? Promise.resolve();
    const next = prev.then(() => guarded('message', () => handleSigned(from, s, verified)));
    senderChains.set(from, next);
    void next.then(() => {
      if (senderChains.get(from) === next) senderChains.delete(from);
    });
  }

  async function handleSigned(from: string, s: Signed, verified: Promise<boolean>): Promise<void> {
    {
      if (!(await verified)) return drop(from, 'bad_signature');
      if (stopped) return;
      switch (s.body.type) {
        case 'pre-prepare':
          return onPrePrepare(s as Signed<PrePrepare>);
        case 'prepare':
        case 'commit':
          return onVote(s as Signed<Vote>);
        case 'checkpoint':
          return addCheckpointVote(s as Signed<Checkpoint>);
        case 'view-change':
          return onViewChange(s as Signed<ViewChange>);
        case 'new-view':
          return onNewView(s as Signed<NewView>);
        case 'state-request':
          return onStateRequest(s as Signed<StateRequest>);
        case 'state-response':
          return onStateResponse(s as Signed<StateResponse>);
        case 'state-chunk-request':
          return onStateChunkRequest(s as Signed<StateChunkRequest>);
        case 'state-chunk':
          return onStateChunk(s as Signed<StateChunk>);
      }
    }
  }

  // ---- recovery from storage -----------------------------------------------------------
  const foreign = await store.bindDeployment(cfg.deployment);
  if (foreign !== undefined) {
    throw new ConsensusError('CONSENSUS_CONFIG', `storage holds a replica of deployment ${JSON.stringify(foreign)}, but this replica is configured for ${JSON.stringify(cfg.deployment)}: its signed log and checkpoint proofs would be refused by every peer`, {
      meta: { stored: foreign, deployment: cfg.deployment },
    });
  }
  const loaded = await store.load();
  view = loaded.view;
  viewFloor = loaded.viewChanging ? 0 : loaded.viewFloor;
  if (loaded.checkpoint !== undefined) {
    let ok: boolean;
    try {
      ok = equalBytes(digestEntries(loaded.entries), loaded.checkpoint.digest);
      if (ok) rstate.install(loaded.entries);
    } catch {
      ok = false;
    }
    if (!ok) throw new ConsensusError('CONSENSUS_STORAGE', 'The stored checkpoint state does not match its certified digest.', { meta: { seq: loaded.checkpoint.seq } });
    lastExecuted = stableSeq = loaded.checkpoint.seq;
    stableProof = [...loaded.checkpoint.proof];
  }
  for (const pp of loaded.prePrepares) {
    if (pp.body.seq <= stableSeq) continue;
    const slot = slotOf(pp.body.seq);
    if (slot.pp === undefined || slot.pp.body.view < pp.body.view) {
      slot.pp = pp;
      try {
        slot.requests = pp.body.batch.map(pooled);
      } catch {
        slot.requests = undefined;
      }
    }
    lastAssigned = Math.max(lastAssigned, pp.body.seq);
    lastTimestamp = Math.max(lastTimestamp, pp.body.timestamp);
  }
  for (const cert of loaded.prepared) {
    const seq = cert.prePrepare.body.seq;
    if (seq <= stableSeq) continue;
    const slot = slotOf(seq);
    if (slot.preparedCert === undefined || slot.preparedCert.prePrepare.body.view < cert.prePrepare.body.view) slot.preparedCert = cert;
  }
  for (const vote of loaded.votes) {
    if (vote.body.seq <= stableSeq) continue;
    const slot = slotOf(vote.body.seq);
    (vote.body.type === 'prepare' ? slot.sentPrepare : slot.sentCommit).add(vote.body.view);
    addVote(slot, vote);
  }
  for (const cert of loaded.certs.slice().sort((a, b) => a.prePrepare.body.seq - b.prePrepare.body.seq)) {
    const seq = cert.prePrepare.body.seq;
    if (seq !== lastExecuted + 1) continue;
    const slot = slotOf(seq);
    installCommitted(slot, cert, cert.prePrepare.body.batch.map(pooled));
    await executeSlot(seq, slot);
  }
  lastAssigned = Math.max(lastAssigned, lastExecuted);

  const unsubscribe = transport.onMessage(onMessage);
  // it crashed after sending its VIEW-CHANGE: it is still changing views, and takes part in `view` only through its NEW-VIEW
  if (loaded.viewChanging) {
    viewChanging = true;
    void guarded('view change', () => announceViewChange(view));
  }
  // catch up with whatever the others committed while we were away (a few tries: maybe nobody is ahead)
  requestState(lastExecuted + 1, 0, 3);

  return {
    id: me,
    status: () => ({
      id: me,
      view,
      viewChanging,
      primary: primaryOf(cfg, view),
      lastExecuted,
      stableSeq,
      highWatermark: stableSeq + cfg.L,
      pendingRequests: pending.size,
    }),
    dropped: () => ({ ...drops }),
    on(event, handler) {
      events.on(event, handler as (...args: unknown[]) => void);
      return () => events.off(event, handler as (...args: unknown[]) => void);
    },
    async stop() {
      stopped = true;
      unsubscribe();
      vcTimer?.cancel();
      nvTimer?.cancel();
      stTimer?.cancel();
      fetching?.timer?.cancel();
      await execTail;
    },
  };
}
