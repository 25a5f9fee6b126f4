/**
 * A member of the identity committee (CanDID-style).
 *
 * Members jointly hold a MiMC PRF key `k` (a Shamir sharing over BN254's
 * scalar field from a joint random sharing, no dealer) and a FROST(Ed25519)
 * signing key (from noble's DKG rounds). A user secret-shares their identity
 * element `x` to the members verifiably (Pedersen commitments to its sharing in
 * the signed request, see `vss.ts`), each member's (share, blinding) pair
 * sealed to it; a member checks its pair against the commitments and declares
 * a share that fails, so the client's dealing is never blamed on a member. For
 * every batch of requests the committee:
 *
 * 1. evaluates `MiMC_k(x + d)` in MPC (`d` = the enrollment domain for the
 *    master tag, `H(eventId)` for an event tag) — no member sees `x`, `k` or
 *    any tag before it is opened among members;
 * 2. enrollment: refuses a master tag already registered (`duplicate`, a
 *    result that says nothing more), else registers it durably;
 * 3. signs every credential of the batch at once: one FROST signature over the
 *    Merkle root of the batch's credentials.
 *
 * Coordination is by a fixed coordinator (the first member by id): it cuts
 * batches and orders them; every member processes batches in that order, so
 * their registries stay equal. Each member answers the clients that asked it;
 * a client trusts a credential only after verifying the committee signature,
 * and a `duplicate`/refusal only when t+1 members agree.
 * @module
 */
import {
  type Clock,
  type CryptoProvider,
  type Logger,
  type PeerId,
  type Random,
  type Storage,
  type TimerHandle,
  type Transport,
  bytesToHex,
  concatBytes,
  decode,
  encode,
  equalBytes,
  hexToBytes,
  multiplexTransport,
  silentLogger,
  systemClock,
  systemRandom,
  utf8ToBytes,
} from '@admitone/core';
import { type G1Point, createSealOpener, memberPoints, runDkg, runJointRandomSharing, secureTransport } from '@admitone/core/threshold';
import { ed25519_FROST } from '@noble/curves/ed25519.js';
import { bn254_Fr } from '@noble/curves/bn254.js';
import type { FrostPublic, FrostSecret } from '@noble/curves/abstract/frost.js';
import { eventDomain, fieldToBytes, masterDomain } from '../attributes.js';
import { type CommitteePublicInfo, type CredentialBody, type Credential, type MasterCredential, credentialBatchStatement, credentialLeaf, verifyCredential } from '../credential/credential.js';
import { merkleBatch } from '../credential/merkle.js';
import { IdentityError } from '../errors.js';
import { createMpcEngine, type MpcEngine } from '../mpc/index.js';
import { MIMC7_ROUNDS } from '../mimc/mimc7.js';
import {
  type ControlMessage,
  type IdentityRequest,
  type IdentityResponse,
  type RequestRejection,
  MAX_REQUEST_BYTES,
  decodeControl,
  decodeIdentityRequest,
  decodeSharePair,
  encodeControl,
  encodeIdentityResponse,
  requestSigningBytes,
} from './messages.js';
import { type MemberKeys, loadKeys, saveKeys } from './registry.js';
import { type TagRegistry, localTagRegistry } from '../registry/registry.js';
import type { TagRegistration } from '../registry/codec.js';
import { type BatchSigning, createBatchSigning } from './signer.js';
import { type ShareCheck, type SharePair, decodeCommitments, failingShares } from './vss.js';

/** A committee member's public description. */
export interface CommitteeMemberInfo {
  /** Its peer id on the committee transport. */
  readonly id: PeerId;
  /** Its 32-byte x25519 public key: users seal identity shares to it; members derive pairwise channel keys from it. */
  readonly encryptionKey: Uint8Array;
  /**
   * Its 32-byte Ed25519 public key for signed preprocessing transcripts
   * (optional; give it for every member or none). With it, a member that
   * corrupts preprocessing is named rather than only detected; see
   * {@link CommitteeMemberOptions.signingSecretKey}.
   */
  readonly signingKey?: Uint8Array;
}

/** The committee's static configuration (the same at every member and client). */
export interface CommitteeConfig {
  /** The committee's name, bound into everything it signs. */
  readonly committeeId: string;
  /** Every member. Order does not matter: members are ranked by id. */
  readonly members: readonly CommitteeMemberInfo[];
  /** Corruption threshold t: sharings have degree t, n ≥ 3t+1, t+1 members sign. */
  readonly degree: number;
  /** Gate device keys allowed to ask for ID-mode tag derivation. */
  readonly authorizedGates?: readonly Uint8Array[];
}

/** A committee as clients and verifiers see it once its keys exist. */
export interface CommitteeDescriptor extends CommitteeConfig, CommitteePublicInfo {}

/** Options of {@link createCommitteeMember}. */
export interface CommitteeMemberOptions {
  /** The committee. */
  readonly config: CommitteeConfig;
  /** Authenticated transport among the members; `localId` is this member's id. The member owns it and closes it on `close()`. */
  readonly transport: Transport;
  /** This member's 32-byte x25519 secret key (matching its `encryptionKey`). */
  readonly encryptionSecretKey: Uint8Array;
  /** Durable storage for key shares (and the tag registry, unless `registry` is given). */
  readonly storage: Storage;
  /** Ed25519 provider for request signatures. */
  readonly crypto: CryptoProvider;
  /** Randomness; default {@link systemRandom}. */
  readonly random?: Random;
  /** Time; default {@link systemClock}. */
  readonly clock?: Clock;
  /** Logger; never receives identities, shares or keys. Default silent. */
  readonly logger?: Logger;
  /**
   * Set when `transport` already encrypts (e.g. an in-process network). By
   * default the member wraps it with `secureTransport` (pairwise x25519 keys,
   * XChaCha20-Poly1305), since shares travel between members.
   */
  readonly confidentialTransport?: boolean;
  /** Largest batch the coordinator cuts. Default 256 requests. */
  readonly maxBatch?: number;
  /** How long the coordinator waits to fill a batch. Default 2 ms. */
  readonly batchDelayMs?: number;
  /** Validity of issued credentials. Default 365 days. */
  readonly credentialTtlMs?: number;
  /**
   * Requests older or newer than this (by the member's clock) are `stale`. Default 5 min. It also bounds the
   * coordinator's batch time, which becomes the credentials' `issuedAt`: a member neither registers nor signs
   * anything in a batch whose time is further than this from its own clock when the batch arrives, and refuses
   * (`unavailable`) a request whose `issuedAt` is further than this plus `timeoutMs` from its batch's time. Every
   * member of a committee should use the same value.
   */
  readonly freshnessMs?: number;
  /** Timeout of each protocol step. Default 10 s. */
  readonly timeoutMs?: number;
  /**
   * Power tuples the coordinator keeps prepared ahead of demand, topped up
   * whenever the committee is idle (91 per MiMC evaluation; an enrollment needs
   * one evaluation, an event credential two). Default 91 × 64. A batch larger
   * than the pool prepares its shortfall itself. 0 disables ahead-of-time
   * preprocessing.
   */
  readonly preprocessAhead?: number;
  /**
   * Verify power tuples by sacrifice (default `true`; see the MPC engine's
   * `verifyTuples`). Every member of a committee must use the same setting.
   */
  readonly verifyTuples?: boolean;
  /**
   * This member's 32-byte Ed25519 secret key matching its `signingKey` in the
   * configuration. Required when the configuration lists signing keys, and
   * refused when it does not. With it, every preprocessing message is signed,
   * and when the tuple check fails the members reveal and replay the failed
   * chunk, so the member that cheated is named (and kept as a suspect: see
   * {@link CommitteeMemberStats.suspects}) instead of the batch failing with
   * no culprit. A member dealt a wrong share that leaves the tuples right
   * raises an alarm the members agree on, so that chunk fails too and its
   * dealer is named, rather than the honest member being suspected (see the
   * MPC engine's `signing` option).
   */
  readonly signingSecretKey?: Uint8Array;
  /**
   * Where enrolled master tags are recorded. Default: this member's
   * `storage` ({@link localTagRegistry}), where each member decides alone.
   * Give every member a {@link ledgerTagRegistry} over a consensus cluster
   * running {@link createTagRegistryApp} so that a tag is registered only when
   * t + 1 members agree and every member reads the same registry, whatever
   * batches it missed.
   */
  readonly registry?: TagRegistry;
}

/** Counters a member exposes. */
export interface CommitteeMemberStats {
  /** Batches processed. */
  readonly batches: number;
  /** Master credentials issued. */
  readonly enrolled: number;
  /** Enrollments refused as duplicates. */
  readonly duplicates: number;
  /** Event credentials issued. */
  readonly eventCredentials: number;
  /** ID-mode tags derived for gates. */
  readonly derived: number;
  /** Requests refused, by reason. */
  readonly rejected: Readonly<Partial<Record<RequestRejection, number>>>;
  /** Members this member has seen misbehave (wrong shares, bad signature shares). */
  readonly suspects: readonly PeerId[];
  /** Power tuples prepared and not yet claimed (equal at every member between batches once preprocessing settles). */
  readonly tuples: number;
}

/** A running committee member. */
export interface CommitteeMember {
  /** This member's peer id. */
  readonly id: PeerId;
  /**
   * Loads this member's key shares from storage, or — on first start — runs
   * the DKG and the PRF key's joint random sharing with the other members
   * (all must call `start()`). Resolves with the committee's public info.
   */
  start(): Promise<CommitteeDescriptor>;
  /** Handles a client request (encoded {@link IdentityRequest}); resolves with the encoded response. Never rejects. */
  handle(request: Uint8Array): Promise<Uint8Array>;
  /** Counters. */
  stats(): CommitteeMemberStats;
  /** Stops: pending requests are answered `unavailable` and the transport is closed (the member owns it). Storage stays open (the caller owns it). */
  close(): Promise<void>;
}

const SETUP_SESSION = 'admitone/identity/setup/v1';

/** A request that passed validation, with its decoded commitments. */
interface Validated {
  readonly request: IdentityRequest;
  readonly commitments: G1Point[];
}

/**
 * Signing messages kept per sender for a batch whose signing has not started at this member: a member sends the
 * coordinator at most 3 commitments and 3 shares per batch, the coordinator at most 3 signing sets and 1 signature.
 */
const EARLY_PER_SENDER = 8;

/**
 * Creates a committee member. Checks the configuration up front: n ≥ 3t+1,
 * distinct ids, 32-byte keys, this member in the list.
 *
 * @example
 * ```ts
 * const member = createCommitteeMember({ config, transport, encryptionSecretKey, storage, crypto });
 * const committee = await member.start(); // every member starts together the first time
 * httpServer.on('/identity', async (body) => member.handle(body));
 * ```
 */
export function createCommitteeMember(options: CommitteeMemberOptions): CommitteeMember {
  const { config, storage, crypto } = options;
  checkConfig(config);
  const random = options.random ?? systemRandom();
  const clock = options.clock ?? systemClock();
  const logger = (options.logger ?? silentLogger()).child({ component: 'identity-member', member: options.transport.localId });
  const maxBatch = options.maxBatch ?? 256;
  const batchDelayMs = options.batchDelayMs ?? 2;
  const ttl = options.credentialTtlMs ?? 365 * 24 * 3600 * 1000;
  const freshness = options.freshnessMs ?? 5 * 60 * 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const preprocessAhead = options.preprocessAhead ?? MIMC7_ROUNDS * 64;
  const registry = options.registry ?? localTagRegistry(storage);
  const selfId = options.transport.localId;
  const ids = config.members.map((m) => m.id);
  if (!ids.includes(selfId)) throw new IdentityError('IDENTITY_CONFIG', 'This member is not in the committee configuration.');
  if (!sameSet(ids, options.transport.members)) throw new IdentityError('IDENTITY_CONFIG', 'The transport membership differs from the committee members.');
  if (!(options.encryptionSecretKey instanceof Uint8Array) || options.encryptionSecretKey.length !== 32) {
    throw new IdentityError('IDENTITY_CONFIG', 'encryptionSecretKey must be 32 bytes.');
  }
  const signed = config.members.some((m) => m.signingKey !== undefined);
  if (signed !== (options.signingSecretKey !== undefined)) {
    throw new IdentityError('IDENTITY_CONFIG', signed ? 'The committee lists signing keys: signingSecretKey is required.' : 'signingSecretKey needs signingKey in the configuration for every member.');
  }
  if (signed && !(options.signingSecretKey instanceof Uint8Array && options.signingSecretKey.length === 32)) {
    throw new IdentityError('IDENTITY_CONFIG', 'signingSecretKey must be 32 bytes.');
  }
  const points = memberPoints(ids); // PeerId → 1-based x, by sorted id
  const indexOf = (id: PeerId) => Number(points.get(id) as bigint);
  const sorted = [...ids].sort();
  const peerOf = (index: number) => sorted[index - 1] as PeerId;
  const self = indexOf(selfId);
  const coordinator = 1;
  const n = ids.length;
  const members = sorted.map((_, i) => i + 1);
  const gates = new Set((config.authorizedGates ?? []).map((k) => bytesToHex(k)));
  const dMaster = masterDomain(config.committeeId);

  const inner = options.confidentialTransport === true
    ? options.transport
    : secureTransport(options.transport, {
        staticSecret: options.encryptionSecretKey,
        peerPublicKeys: Object.fromEntries(config.members.map((m) => [m.id, m.encryptionKey])),
      });
  const mux = multiplexTransport(inner);
  const control = mux.channel('identity/control');
  const engine: MpcEngine = createMpcEngine({
    transport: mux.channel('identity/mpc'),
    degree: config.degree,
    random: random,
    clock,
    logger,
    timeoutMs,
    ...(options.verifyTuples === undefined ? {} : { verifyTuples: options.verifyTuples }),
    ...(options.signingSecretKey === undefined
      ? {}
      : { signing: { crypto, secretKey: options.signingSecretKey, publicKeys: new Map(config.members.map((m) => [m.id, m.signingKey as Uint8Array])) } }),
  });

  let keys: MemberKeys | undefined;
  let descriptor: CommitteeDescriptor | undefined;
  let frostPub: FrostPublic | undefined;
  let frostSecret: FrostSecret | undefined;
  let closed = false;
  let nextSeq = 0; // coordinator: batch counter (diagnostics only)
  const queue: Uint8Array[] = []; // coordinator: requests waiting for a batch
  let cutTimer: { cancel(): void } | undefined;
  const pending = new Map<string, (r: IdentityResponse) => void>(); // requests this member must answer
  const requestTimers = new Map<string, TimerHandle>(); // each pending request's give-up timer
  const lingerTimers = new Set<TimerHandle>(); // signings kept briefly for late messages
  const seen = new Map<string, number>(); // requestId → expiry (replay window)
  let nextPrune = 0;
  const asked = new Map<string, { bytes: Uint8Array; signed: boolean }>(); // requestId → the bytes this member was asked to answer (pending); signed once checked
  const signings = new Map<string, BatchSigning>();
  // Signing messages that arrive before this member's signing of their batch exists, per batch and sender, kept only
  // for batches in the coordinator's stream that are not done yet (the entry is made when the batch is enqueued and
  // removed when it is processed), at most EARLY_PER_SENDER per sender: junk for other batch ids is dropped.
  const early = new Map<string, Map<number, ControlMessage[]>>();
  const suspects = new Set<PeerId>();
  const counters = { batches: 0, enrolled: 0, duplicates: 0, eventCredentials: 0, derived: 0 };
  const rejected: Partial<Record<RequestRejection, number>> = {};
  let chain: Promise<void> = Promise.resolve();

  const send = (to: number | 'all', message: ControlMessage): void => {
    const bytes = encodeControl(message);
    const p = to === 'all' ? control.broadcast(bytes) : control.send(peerOf(to), bytes);
    p.catch((cause: unknown) => logger.debug('control send failed', { error: String((cause as Error)?.message ?? cause) }));
  };

  control.onMessage(({ from, bytes }) => {
    const sender = points.get(from);
    if (sender === undefined || closed) return;
    let message: ControlMessage;
    try {
      message = decodeControl(bytes, maxBatch);
    } catch {
      logger.warn('dropped a malformed control message', { from });
      return;
    }
    const index = Number(sender);
    // The transport delivers each sender's messages in order, so the coordinator's stream (batches
    // and pool operations) is processed in the same order at every member, which keeps the members'
    // tuple pools in step (tuples are claimed in call order).
    if (message.type === 'batch') {
      if (index !== coordinator || message.requests.length === 0) return;
      enqueueBatch(message.batchId, message.time, message.requests, clock.now());
      return;
    }
    if (message.type === 'preprocess' || message.type === 'reset') {
      if (index === coordinator) enqueuePool(message);
      return;
    }
    if (message.type === 'resync') {
      if (self === coordinator) streamPool({ type: 'reset', batchId: random.bytes(16) });
      return;
    }
    const key = bytesToHex(message.batchId);
    const signing = signings.get(key);
    if (signing !== undefined) {
      signing.receive(index, message);
      return;
    }
    // Before this member's signing of the batch exists: keep it only for a batch the coordinator has already put in
    // the stream (the transport keeps each sender's order, so its own messages always follow its batch; the
    // coordinator made the batch before anyone else can sign it), and only a few per sender.
    const waiting = early.get(key);
    if (waiting === undefined) {
      logger.debug('dropped a control message for no batch in progress', { from, type: message.type });
      return;
    }
    const list = waiting.get(index) ?? [];
    if (list.length >= EARLY_PER_SENDER) return;
    list.push(message);
    waiting.set(index, list);
  });

  let streamed = 0; // stream operations enqueued and not yet finished (coordinator: idle when 0)
  const enqueue = (op: () => Promise<void>): void => {
    streamed += 1;
    chain = chain
      .then(op)
      .catch((cause: unknown) => {
        // an operation cut short by close() is expected, not an error
        if (closed) logger.debug('stream operation stopped by close', { error: String((cause as Error)?.message ?? cause) });
        else logger.error('stream operation failed', { error: String((cause as Error)?.message ?? cause) });
        // a failed pool operation may leave this member's pool out of step
        if (!closed) send(coordinator === self ? 'all' : coordinator, { type: 'resync', batchId: random.bytes(16) });
        if (!closed && self === coordinator) streamPool({ type: 'reset', batchId: random.bytes(16) });
      })
      .finally(() => {
        streamed -= 1;
        if (streamed === 0) topUp();
      });
  };
  /** Puts a batch into the ordered stream; `receivedAt` is this member's clock when the batch reached it. */
  const enqueueBatch = (batchId: Uint8Array, time: number, requests: readonly Uint8Array[], receivedAt: number): void => {
    const key = bytesToHex(batchId);
    if (!early.has(key)) early.set(key, new Map());
    enqueue(async () => {
      try {
        await processBatch(batchId, time, requests, receivedAt);
      } finally {
        early.delete(key); // done: later messages for this batch go to its signing while it lingers, or nowhere
      }
    });
  };
  const enqueuePool = (message: Extract<ControlMessage, { type: 'preprocess' | 'reset' }>): void => {
    enqueue(async () => {
      if (keys === undefined || closed) return;
      if (message.type === 'reset') engine.discardUnclaimed();
      else {
        try {
          await engine.preprocess(derivedId(message.batchId, 'ahead'), message.count);
        } catch (cause) {
          // a cheater named by the tuple check (signed transcripts) is kept as a suspect
          for (const c of (cause as { culprits?: readonly unknown[] }).culprits ?? []) if (typeof c === 'string') suspects.add(c);
          throw cause;
        }
      }
    });
  };
  /** Coordinator: puts a pool operation into the ordered stream (for everyone, itself included). */
  const streamPool = (message: Extract<ControlMessage, { type: 'preprocess' | 'reset' }>): void => {
    send('all', message);
    enqueuePool(message);
  };
  /**
   * Coordinator, when idle: refill the pool in small chunks (two evaluations'
   * worth), so a batch that arrives meanwhile waits behind at most one chunk.
   */
  let topUpTimer: { cancel(): void } | undefined;
  const topUp = (): void => {
    if (self !== coordinator || closed || descriptor === undefined || topUpTimer !== undefined) return;
    topUpTimer = clock.setTimeout(() => {
      topUpTimer = undefined;
      if (closed || streamed > 0 || queue.length > 0) return;
      const missing = preprocessAhead - engine.available();
      if (missing > 0) streamPool({ type: 'preprocess', batchId: random.bytes(16), count: Math.min(missing, MIMC7_ROUNDS * 2) });
    }, 1);
  };

  const answer = (requestId: Uint8Array, response: IdentityResponse): void => {
    const key = bytesToHex(requestId);
    const resolve = pending.get(key);
    if (resolve === undefined) return;
    pending.delete(key);
    requestTimers.get(key)?.cancel();
    requestTimers.delete(key);
    asked.delete(key);
    if (response.status === 'rejected') rejected[response.reason] = (rejected[response.reason] ?? 0) + 1;
    resolve(response);
  };

  /** Checks a request's own signature (the requester's key over its signing bytes); never throws. */
  const requesterSigned = async (request: IdentityRequest): Promise<boolean> => {
    try {
      return await crypto.verify(request.signature, requestSigningBytes(request), request.requesterKey);
    } catch {
      return false;
    }
  };

  /**
   * Deterministic validity: every member reaches the same verdict on the same bytes and batch time. Never
   * throws: anything unexpected about one request refuses that request (`malformed`), never the batch.
   */
  const validate = async (bytes: Uint8Array, time: number): Promise<Validated | RequestRejection> => {
    try {
      return await checkRequest(bytes, time);
    } catch (cause) {
      logger.warn('a request could not be validated; it is refused as malformed', { code: (cause as { code?: string })?.code ?? (cause as Error)?.name ?? 'unknown' });
      return 'malformed';
    }
  };
  const checkRequest = async (bytes: Uint8Array, time: number): Promise<Validated | RequestRejection> => {
    let request: IdentityRequest;
    let commitments: G1Point[];
    try {
      request = decodeIdentityRequest(bytes, n);
      // t + 1 points on the curve, or the request is malformed (the same verdict at every member: the bytes are signed)
      commitments = decodeCommitments(request.commitments, config.degree);
    } catch {
      return 'malformed';
    }
    if (request.committeeId !== config.committeeId) return 'malformed';
    // The batch time becomes the credential's issuedAt: it must be close to when the requester signed. A request the
    // coordinator batched far from its time (or a batch time a lying coordinator made up) is refused, not issued.
    if (Math.abs(time - request.issuedAt) > freshness + timeoutMs) return 'unavailable';
    const signing = requestSigningBytes(request);
    // this member already checked the signature of the very same bytes when it was asked (see handle)
    const mine = asked.get(bytesToHex(request.requestId));
    const checked = mine !== undefined && mine.signed && equalBytes(mine.bytes, bytes);
    if (!checked && !(await crypto.verify(request.signature, signing, request.requesterKey))) return 'invalid_signature';
    if (request.kind === 'derive' && !gates.has(bytesToHex(request.requesterKey))) return 'not_authorized';
    if (request.kind === 'event') {
      const master = request.master;
      const masterSignature = request.masterSignature;
      if (master === undefined || masterSignature === undefined || descriptor === undefined) return 'malformed';
      if (!(await crypto.verify(masterSignature, signing, master.holderKey))) return 'invalid_signature';
      if (!(await verifyCredential(crypto, descriptor, master))) return 'invalid_signature';
      // an event credential expires with its master credential: one that has expired by the batch time issues nothing
      if (request.issuedAt > master.expiresAt || master.expiresAt <= time) return 'not_enrolled';
    }
    return { request, commitments };
  };

  /**
   * Processes one batch of the coordinator's stream. Never leaves a request it owes hanging: an unexpected
   * failure answers them `unavailable` (and is rethrown, so the stream resynchronises the tuple pools).
   */
  const processBatch = async (batchId: Uint8Array, time: number, requests: readonly Uint8Array[], receivedAt: number): Promise<void> => {
    if (keys === undefined || descriptor === undefined || closed) return;
    try {
      await runBatch(batchId, time, requests, receivedAt);
    } catch (cause) {
      for (const bytes of requests) {
        const id = tryRequestId(bytes);
        const mine = id === undefined ? undefined : asked.get(bytesToHex(id));
        if (id !== undefined && mine !== undefined && equalBytes(mine.bytes, bytes)) answer(id, { status: 'rejected', requestId: id, reason: 'unavailable' });
      }
      throw cause;
    }
  };

  const runBatch = async (batchId: Uint8Array, time: number, requests: readonly Uint8Array[], receivedAt: number): Promise<void> => {
    if (keys === undefined || descriptor === undefined) return;
    counters.batches += 1;
    // The coordinator picks the batch time, and it becomes every credential's validity window. A member takes part
    // in the MPC of a batch whose time is off its own clock by more than the freshness window (so that every member's
    // tuple pool stays in step) but neither registers nor signs anything in it: the coordinator alone (or with up to
    // t - 1 others) cannot sign, so it cannot choose validity windows. Honest clocks agree within that window.
    const timely = Math.abs(receivedAt - time) <= freshness;
    if (!timely) logger.warn('a batch time is outside this member\u2019s freshness window; the batch is refused', { batch: bytesToHex(batchId), skewMs: time - receivedAt });

    // Answers only the exact bytes this member was asked (a coordinator that batches an altered copy under the same
    // request id cannot answer for the original), each request id once per batch (the same at every member).
    const mine = new Set<IdentityRequest>();
    const reply = (request: IdentityRequest, response: IdentityResponse): void => {
      if (mine.has(request)) answer(request.requestId, response);
    };
    const reject = (request: IdentityRequest, reason: RequestRejection): void => reply(request, { status: 'rejected', requestId: request.requestId, reason });
    const unique: Uint8Array[] = [];
    const ids = new Set<string>();
    for (const bytes of requests) {
      const id = tryRequestId(bytes);
      if (id !== undefined) {
        if (ids.has(bytesToHex(id))) continue;
        ids.add(bytesToHex(id));
      }
      unique.push(bytes);
    }
    const valid: IdentityRequest[] = [];
    const commitmentsOf: (readonly G1Point[])[] = []; // decoded commitments, by index in `valid`
    // Signature checks run concurrently (native verification overlaps); verdicts keep batch order.
    const verdicts = await Promise.all(unique.map((bytes) => validate(bytes, time)));
    verdicts.forEach((verdict, i) => {
      const bytes = unique[i] as Uint8Array;
      const id = tryRequestId(bytes);
      const owed = id === undefined ? undefined : asked.get(bytesToHex(id));
      const owned = owed !== undefined && equalBytes(owed.bytes, bytes);
      if (typeof verdict === 'string') {
        if (owned && id !== undefined) answer(id, { status: 'rejected', requestId: id, reason: verdict });
      } else {
        valid.push(verdict.request);
        commitmentsOf.push(verdict.commitments);
        if (owned) mine.add(verdict.request);
      }
    });
    if (valid.length === 0) return;
    // Open this member's shares and check each against its request's commitments (all at once, see failingShares). A
    // share that does not open or decode, or lies off the client's committed polynomial, was dealt wrong by the client:
    // it is declared in the MPC's first opening and counts as missing for that request, not as this member's wrong
    // share. A share that passes lies on the committed polynomial, so a first-opening share the robust opening corrects
    // is the sender's lie. A request whose sharing cannot be decoded (declared or wrong shares at too many members)
    // fails alone.
    const opened = await Promise.all(valid.map((request) => openShare(request)));
    const checks: ShareCheck[] = [];
    const checkOf: number[] = []; // check index → index in `valid`
    opened.forEach((share, i) => {
      if (share === undefined) return;
      checks.push({ commitments: commitmentsOf[i] as G1Point[], pair: share });
      checkOf.push(i);
    });
    const offPolynomial = new Set(failingShares(checks, BigInt(self), random).map((c) => checkOf[c] as number));
    if (offPolynomial.size > 0) logger.warn('request shares lie off their clients\u2019 committed polynomials; this member declares them', { count: offPolynomial.size });
    const inputs: { x: bigint; d: bigint; declared?: boolean }[] = [];
    const inputOf: number[] = []; // input index → index in `valid`
    for (const [i, request] of valid.entries()) {
      const share = opened[i];
      const declared = share === undefined || offPolynomial.has(i);
      const x = declared ? 0n : share[0];
      const mark = declared ? { declared: true } : {};
      if (request.kind !== 'derive') {
        inputs.push({ x, d: dMaster, ...mark });
        inputOf.push(i);
      }
      if (request.kind !== 'enroll') {
        inputs.push({ x, d: eventDomain(config.committeeId, request.eventId as NonNullable<typeof request.eventId>), ...mark });
        inputOf.push(i);
      }
    }
    let outputs: bigint[];
    const undecodable = new Set<number>(); // indexes in `valid`
    try {
      // Preprocess exactly what this batch needs, so every member's pool is empty between batches
      // and stays identical across member restarts (tuples are claimed in call order).
      // Use the tuples prepared ahead; prepare the shortfall now (the same decision at every member).
      const needed = inputs.length * MIMC7_ROUNDS;
      if (engine.available() < needed) await engine.preprocess(derivedId(batchId, 'pre'), needed - engine.available());
      const result = await engine.evaluateMimc(derivedId(batchId, 'eval'), inputs, keys.prfKeyShare);
      outputs = result.outputs;
      for (const s of result.suspects) suspects.add(s);
      for (const f of result.failed ?? []) undecodable.add(inputOf[f] as number);
    } catch (cause) {
      const culprits = (cause as { culprits?: readonly unknown[] }).culprits ?? [];
      for (const c of culprits) if (typeof c === 'string') suspects.add(c);
      logger.warn('MPC evaluation failed; the batch is refused', { batch: bytesToHex(batchId), code: (cause as { code?: string }).code ?? 'unknown' });
      for (const request of valid) reject(request, 'unavailable');
      return;
    }
    if (!timely) {
      for (const request of valid) reject(request, 'unavailable');
      return;
    }

    // The tags, in batch order, and the credential each request would get (built now, before anything is
    // registered, so that a request whose credential cannot be made is refused alone and never registered).
    // Derivations need no registry: answered now. A person twice in one batch is a duplicate the second time
    // (the same at every member).
    const tagged: { request: IdentityRequest; masterTag: Uint8Array; body: CredentialBody; leaf: Uint8Array; repeat: boolean }[] = [];
    const inBatch = new Set<string>();
    let j = 0;
    for (const [i, request] of valid.entries()) {
      const masterTag = request.kind === 'derive' ? undefined : fieldToBytes(outputs[j++] as bigint);
      const eventTag = request.kind === 'enroll' ? undefined : fieldToBytes(outputs[j++] as bigint);
      if (undecodable.has(i)) {
        logger.warn('a request\u2019s identity shares cannot be decoded; it is refused', { request: bytesToHex(request.requestId) });
        reject(request, 'malformed');
        continue;
      }
      if (masterTag === undefined) {
        counters.derived += 1;
        reply(request, { status: 'tag', requestId: request.requestId, eventTag: eventTag as Uint8Array });
        continue;
      }
      const body: CredentialBody =
        request.kind === 'enroll'
          ? { kind: 'master', committeeId: config.committeeId, holderKey: request.requesterKey, issuedAt: time, expiresAt: time + ttl }
          : {
              kind: 'event',
              committeeId: config.committeeId,
              eventId: request.eventId as NonNullable<typeof request.eventId>,
              eventTag: eventTag as Uint8Array,
              holderKey: request.requesterKey,
              issuedAt: time,
              expiresAt: Math.min(time + ttl, (request.master as MasterCredential).expiresAt),
            };
      let leaf: Uint8Array;
      try {
        leaf = credentialLeaf(body);
      } catch (cause) {
        logger.error('a credential could not be built; the request is refused', { request: bytesToHex(request.requestId), error: String((cause as Error)?.message ?? cause) });
        reject(request, 'unavailable');
        continue;
      }
      const hex = bytesToHex(masterTag);
      const repeat = request.kind === 'enroll' && inBatch.has(hex);
      if (request.kind === 'enroll') inBatch.add(hex);
      tagged.push({ request, masterTag, body, leaf, repeat });
    }
    // Register the enrollments and look up the event requests' master tags, one round each.
    const enrolling = tagged.filter((x) => x.request.kind === 'enroll' && !x.repeat);
    const checking = tagged.filter((x) => x.request.kind === 'event');
    const registrations = new Map<string, TagRegistration | undefined>(); // master tag hex →
    try {
      const [registered, looked] = await Promise.all([
        enrolling.length === 0 ? [] : registry.register({ batchId, time, entries: enrolling.map((x) => ({ tag: x.masterTag, holderKey: x.request.requesterKey })) }),
        checking.length === 0 ? [] : registry.lookup(checking.map((x) => x.masterTag)),
      ]);
      enrolling.forEach((x, i) => registrations.set(bytesToHex(x.masterTag), registered[i]));
      // an event request whose master enrolls in this very batch sees that enrollment's outcome
      checking.forEach((x, i) => {
        const hex = bytesToHex(x.masterTag);
        if (!registrations.has(hex)) registrations.set(hex, looked[i]);
      });
    } catch (cause) {
      logger.warn('the tag registry failed; the batch is refused', { batch: bytesToHex(batchId), code: (cause as { code?: string }).code ?? 'unknown' });
      for (const { request } of tagged) reject(request, 'unavailable');
      return;
    }

    // Decide, in batch order (identical at every member that reads the same registry).
    const bodies: { request: IdentityRequest; body: CredentialBody; leaf: Uint8Array }[] = [];
    for (const { request, masterTag, body, leaf, repeat } of tagged) {
      const registration = registrations.get(bytesToHex(masterTag));
      if (request.kind === 'enroll') {
        // the tag is this person's: issued only to the holder key it is registered to (a retry with that key is issued again)
        if (repeat || (registration !== undefined && !equalBytes(registration.holderKey, request.requesterKey))) {
          counters.duplicates += 1;
          reply(request, { status: 'duplicate', requestId: request.requestId });
          continue;
        }
        if (registration === undefined) {
          // not decided in time (too few members voted): neither issued nor a duplicate
          reject(request, 'unavailable');
          continue;
        }
      } else if (registration === undefined || request.master === undefined || !equalBytes(registration.holderKey, request.master.holderKey)) {
        reject(request, 'not_enrolled');
        continue;
      }
      bodies.push({ request, body, leaf });
    }
    if (bodies.length === 0) return;

    const leaves = bodies.map(({ leaf }) => leaf);
    const tree = merkleBatch(leaves);
    const statement = credentialBatchStatement(config.committeeId, batchId, leaves.length, tree.root);
    const key = bytesToHex(batchId);
    const signing = createBatchSigning(
      {
        self,
        coordinator,
        members,
        min: config.degree + 1,
        rotation: counters.batches,
        avoid: new Set([...suspects].map(indexOf)),
        pub: frostPub as FrostPublic,
        secret: frostSecret as FrostSecret,
        send,
        peerOf,
        random,
        clock,
        timeoutMs,
        logger,
      },
      batchId,
      statement,
    );
    signings.set(key, signing);
    const waiting = early.get(key);
    early.delete(key);
    for (const [from, list] of waiting ?? []) for (const message of list) signing.receive(from, message);
    let signature: Uint8Array;
    try {
      signature = await signing.run();
      for (const m of signing.culprits()) suspects.add(peerOf(m)); // left out of later signing sets
    } catch (cause) {
      for (const c of (cause as { culprits?: readonly string[] }).culprits ?? []) suspects.add(c);
      for (const { request } of bodies) reject(request, 'unavailable');
      return;
    } finally {
      // keep the signing reachable briefly for late messages from slower members
      const linger: TimerHandle = clock.setTimeout(() => {
        lingerTimers.delete(linger);
        signings.delete(key);
      }, timeoutMs);
      lingerTimers.add(linger);
    }
    bodies.forEach(({ request, body }, index) => {
      const credential = { ...body, proof: { batchId, size: leaves.length, index, path: tree.paths[index] as Uint8Array[], signature } } as Credential;
      if (credential.kind === 'master') counters.enrolled += 1;
      else counters.eventCredentials += 1;
      reply(request, { status: 'issued', requestId: request.requestId, credential });
    });
  };

  // The member's static x25519 key, imported once (native X25519 where the platform has it).
  let opener: ReturnType<typeof createSealOpener> | undefined;
  /** This member's (share, blinding) pair of a request's identity element, or `undefined` (declared) when its sealed share does not open or decode. */
  const openShare = async (request: IdentityRequest): Promise<SharePair | undefined> => {
    const sealed = request.shares[self - 1];
    if (sealed === undefined) return undefined;
    try {
      opener ??= createSealOpener(options.encryptionSecretKey);
      const plaintext = await (await opener).open(sealed, shareAad(request, selfId));
      return decodeSharePair(plaintext, bn254_Fr.ORDER);
    } catch {
      logger.warn('a request share did not open; this member declares it (the client dealt it, not this member)', { request: bytesToHex(request.requestId) });
      return undefined;
    }
  };

  const cutBatch = (): void => {
    cutTimer?.cancel();
    cutTimer = undefined;
    while (queue.length > 0) {
      const requests = queue.splice(0, maxBatch);
      const batch = { type: 'batch' as const, seq: nextSeq++, batchId: random.bytes(16), time: clock.now(), requests };
      send('all', batch);
      enqueueBatch(batch.batchId, batch.time, batch.requests, batch.time);
    }
  };

  return {
    id: selfId,

    async start() {
      if (descriptor !== undefined) return descriptor;
      if (closed) throw new IdentityError('IDENTITY_CLOSED', 'The member is closed.');
      keys = await loadKeys(storage);
      if (keys === undefined) {
        const sessionId = `${SETUP_SESSION}/${config.committeeId}`;
        const [dkg, prf] = await Promise.all([
          runDkg({ suite: ed25519_FROST, transport: mux.channel('identity/dkg'), sessionId, threshold: config.degree + 1, random, clock, timeoutMs: timeoutMs * 3, logger }),
          runJointRandomSharing({ F: bn254_Fr, transport: mux.channel('identity/prf-key'), sessionId, degree: config.degree, count: 1, random, clock, timeoutMs: timeoutMs * 3, logger }),
        ]);
        const k = dkg.key;
        keys = {
          prfKeyShare: prf[0] as bigint,
          frost: {
            min: k.public.signers.min,
            max: k.public.signers.max,
            commitments: k.public.commitments,
            verifyingShares: k.public.verifyingShares,
            identifier: k.secret.identifier,
            signingShare: k.secret.signingShare,
          },
        };
        await saveKeys(storage, keys);
      }
      frostPub = {
        signers: { min: keys.frost.min, max: keys.frost.max },
        commitments: [...keys.frost.commitments],
        verifyingShares: { ...keys.frost.verifyingShares },
      } as FrostPublic;
      frostSecret = { identifier: keys.frost.identifier, signingShare: keys.frost.signingShare } as FrostSecret;
      descriptor = { ...config, groupPublicKey: keys.frost.commitments[0] as Uint8Array };
      // A (re)started member has an empty pool: bring everyone's pools back in step, then fill them.
      if (self === coordinator) streamPool({ type: 'reset', batchId: random.bytes(16) });
      else send(coordinator, { type: 'resync', batchId: random.bytes(16) });
      logger.info('committee member ready', { committee: config.committeeId });
      return descriptor;
    },

    async handle(bytes) {
      const zero = new Uint8Array(16);
      if (closed) return encodeIdentityResponse({ status: 'rejected', requestId: tryRequestId(bytes) ?? zero, reason: 'unavailable' });
      if (descriptor === undefined) return encodeIdentityResponse({ status: 'rejected', requestId: tryRequestId(bytes) ?? zero, reason: 'unavailable' });
      let request: IdentityRequest;
      try {
        request = decodeIdentityRequest(bytes, n);
      } catch (cause) {
        if ((cause as { meta?: { field?: unknown } }).meta?.field === 'request.version') logger.warn('a request of another format version is refused as malformed');
        rejected.malformed = (rejected.malformed ?? 0) + 1;
        return encodeIdentityResponse({ status: 'rejected', requestId: tryRequestId(bytes) ?? zero, reason: 'malformed' });
      }
      const id = request.requestId;
      const key = bytesToHex(id);
      const now = clock.now();
      const reject = (reason: RequestRejection) => {
        rejected[reason] = (rejected[reason] ?? 0) + 1;
        return encodeIdentityResponse({ status: 'rejected', requestId: id, reason });
      };
      if (request.committeeId !== config.committeeId || request.commitments.length !== config.degree + 1) return reject('malformed');
      if (Math.abs(now - request.issuedAt) > freshness) return reject('stale');
      if (now >= nextPrune) {
        // expired ids leave the replay set at most once per freshness window, not on every request
        for (const [k, expiry] of seen) if (expiry < now) seen.delete(k);
        nextPrune = now + freshness;
      }
      if (seen.has(key) || pending.has(key)) return reject('replayed');
      seen.set(key, now + 2 * freshness);
      const entry = { bytes, signed: false };
      const response = new Promise<IdentityResponse>((resolve) => {
        pending.set(key, resolve);
        asked.set(key, entry);
        requestTimers.set(key, clock.setTimeout(() => answer(id, { status: 'rejected', requestId: id, reason: 'unavailable' }), timeoutMs * 6));
      });
      // Every member checks the requester's signature of the request it was asked (the same bytes everywhere, so the
      // same verdict): a request nobody signed is refused at once and never enters a batch, where the coordinator
      // would make every member verify it. The batch's validation then skips this check for these very bytes.
      if (await requesterSigned(request)) {
        entry.signed = true;
        if (self === coordinator && pending.has(key) && !closed) {
          queue.push(bytes);
          if (queue.length >= maxBatch) cutBatch();
          else cutTimer ??= clock.setTimeout(cutBatch, batchDelayMs);
        }
      } else answer(id, { status: 'rejected', requestId: id, reason: 'invalid_signature' });
      return encodeIdentityResponse(await response);
    },

    stats() {
      return { ...counters, rejected: { ...rejected }, suspects: [...suspects].sort(), tuples: engine.stats().tuples.ready };
    },

    async close() {
      if (closed) return;
      closed = true;
      cutTimer?.cancel();
      topUpTimer?.cancel();
      for (const t of lingerTimers) t.cancel();
      lingerTimers.clear();
      for (const t of requestTimers.values()) t.cancel();
      requestTimers.clear();
      early.clear();
      asked.clear();
      for (const [key, resolve] of [...pending]) {
        pending.delete(key);
        resolve({ status: 'rejected', requestId: hexToBytes(key), reason: 'unavailable' });
      }
      engine.close();
      await mux.close();
      await inner.close().catch(() => {});
    },
  };
}

/** The fields of a request that a sealed share is bound to (see {@link shareAad}). */
export type ShareContext = Pick<IdentityRequest, 'kind' | 'committeeId' | 'requestId' | 'issuedAt' | 'requesterKey' | 'eventId'>;

/**
 * The AEAD associated data of a user's share for one member. It binds the
 * share to the committee, the member and everything the request asks with it:
 * its kind, id, time, event and, above all, the requester's key. A relay or
 * member that copies someone's sealed shares into a request signed with its
 * own key therefore gets shares that do not open, not that person's
 * enrollment.
 */
export function shareAad(request: ShareContext, memberId: PeerId): Uint8Array {
  return encode([
    'admitone/identity/share/v3',
    request.committeeId,
    memberId,
    request.kind,
    request.requestId,
    request.issuedAt,
    request.requesterKey,
    request.eventId ?? null,
  ]);
}

function derivedId(batchId: Uint8Array, label: string): Uint8Array {
  return concatBytes(batchId, utf8ToBytes(label));
}

/** Best effort: the request id of bytes that fail later checks, to address the answer. */
function tryRequestId(bytes: Uint8Array): Uint8Array | undefined {
  try {
    const id = (decode(bytes, { maxBytes: MAX_REQUEST_BYTES }) as { requestId?: unknown } | null)?.requestId;
    return id instanceof Uint8Array && id.length === 16 ? id : undefined;
  } catch {
    return undefined;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && new Set(a).size === a.length && a.every((x) => b.includes(x));
}

function checkConfig(config: CommitteeConfig): void {
  if (typeof config !== 'object' || config === null) throw new IdentityError('IDENTITY_CONFIG', 'config must be an object.');
  if (typeof config.committeeId !== 'string' || config.committeeId.length === 0 || config.committeeId.length > 128) {
    throw new IdentityError('IDENTITY_CONFIG', 'committeeId must be a 1–128 character string.');
  }
  const t = config.degree;
  const n = config.members.length;
  if (!Number.isSafeInteger(t) || t < 1) throw new IdentityError('IDENTITY_CONFIG', 'degree (t) must be a positive integer.');
  if (n < 3 * t + 1) throw new IdentityError('IDENTITY_CONFIG', `A committee of ${n} cannot tolerate t = ${t}: n ≥ 3t+1 is required.`, { meta: { n, t } });
  const ids = new Set<string>();
  for (const m of config.members) {
    if (typeof m.id !== 'string' || m.id.length === 0) throw new IdentityError('IDENTITY_CONFIG', 'Every member needs a non-empty id.');
    if (ids.has(m.id)) throw new IdentityError('IDENTITY_CONFIG', `Duplicate member id ${m.id}.`, { meta: { id: m.id } });
    ids.add(m.id);
    if (!(m.encryptionKey instanceof Uint8Array) || m.encryptionKey.length !== 32) {
      throw new IdentityError('IDENTITY_CONFIG', `Member ${m.id} needs a 32-byte encryptionKey.`, { meta: { id: m.id } });
    }
    if (m.signingKey !== undefined && !(m.signingKey instanceof Uint8Array && m.signingKey.length === 32)) {
      throw new IdentityError('IDENTITY_CONFIG', `Member ${m.id} has a signingKey that is not 32 bytes.`, { meta: { id: m.id } });
    }
  }
  const signing = config.members.filter((m) => m.signingKey !== undefined).length;
  if (signing !== 0 && signing !== n) throw new IdentityError('IDENTITY_CONFIG', 'Give every member a signingKey, or none.', { meta: { withKey: signing, n } });
}
