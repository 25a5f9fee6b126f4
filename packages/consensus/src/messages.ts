/**
 * PBFT wire messages: types, canonical encodings, signatures and strict
 * decoders. Every replica-to-replica message is signed by its sender's
 * Ed25519 key over `encode(['admitone/pbft/v2', deployment, body])` and
 * travels with the exact body bytes it was signed over (the deployment is not
 * sent: each replica supplies its own); client requests carry the client's own
 * signature inside, and replies rely on the transport's authenticated sender
 * id.
 * @module
 */
import {
  CodecError,
  checkDeploymentId,
  concatBytes,
  decode,
  decodeRequest,
  encode,
  encodeRequest,
  equalBytes,
  hash,
  readArray,
  readBytes,
  readEnum,
  readInt,
  readRecord,
  readString,
  type CborValue,
  type CryptoProvider,
  type DeploymentId,
  type Digest,
  type PeerId,
  type SignedRequest,
} from '@admitone/core';
import { byteStringsAt } from './raw-cbor.js';

/** A replica's id on the transport. */
export type ReplicaId = PeerId;

/** PRE-PREPARE: the primary of `view` assigns `seq` to a batch of requests. */
export interface PrePrepare {
  readonly type: 'pre-prepare';
  readonly view: number;
  readonly seq: number;
  /** {@link batchDigest} of `(timestamp, batch)`. */
  readonly digest: Uint8Array;
  /** The agreed timestamp of the batch (ms), passed to the app. */
  readonly timestamp: number;
  /** Encoded signed client requests (`encodeRequest`), in execution order. */
  readonly batch: readonly Uint8Array[];
  readonly replica: ReplicaId;
}

/** PREPARE or COMMIT vote for `(view, seq, digest)`. */
export interface Vote {
  readonly type: 'prepare' | 'commit';
  readonly view: number;
  readonly seq: number;
  readonly digest: Uint8Array;
  readonly replica: ReplicaId;
}

/** CHECKPOINT: the replica's state digest after executing `seq`. */
export interface Checkpoint {
  readonly type: 'checkpoint';
  readonly seq: number;
  readonly digest: Uint8Array;
  readonly replica: ReplicaId;
}

/** A prepared certificate: a pre-prepare and 2f matching prepares from other replicas. */
export interface PreparedProof {
  readonly prePrepare: Signed<PrePrepare>;
  readonly prepares: readonly Signed<Vote>[];
}

/** VIEW-CHANGE to `view`, carrying the sender's stable checkpoint proof and prepared certificates. */
export interface ViewChange {
  readonly type: 'view-change';
  readonly view: number;
  readonly stableSeq: number;
  /** A quorum (2f+1 when n = 3f+1) of checkpoint messages proving `stableSeq` (empty when `stableSeq` is 0). */
  readonly checkpointProof: readonly Signed<Checkpoint>[];
  /** Prepared certificates for sequence numbers above `stableSeq`. */
  readonly prepared: readonly PreparedProof[];
  readonly replica: ReplicaId;
}

/** NEW-VIEW: the new primary's quorum (2f+1 when n = 3f+1) of view changes and the pre-prepares it re-proposes. */
export interface NewView {
  readonly type: 'new-view';
  readonly view: number;
  readonly viewChanges: readonly Signed<ViewChange>[];
  readonly prePrepares: readonly Signed<PrePrepare>[];
  readonly replica: ReplicaId;
}

/** Asks peers for a stable checkpoint at or above `seq` (state transfer). */
export interface StateRequest {
  readonly type: 'state-request';
  readonly seq: number;
  readonly replica: ReplicaId;
}

/** A committed log entry: the pre-prepare and a quorum (2f+1 when n = 3f+1) of matching commits. */
export interface CommittedEntry {
  readonly prePrepare: Signed<PrePrepare>;
  readonly commits: readonly Signed<Vote>[];
}

/**
 * State transfer answer: a checkpoint with its proof, plus committed entries
 * after it. The checkpoint's state comes whole in `snapshot` when it fits the
 * responder's chunk budget; otherwise `snapshot` is empty and `manifest`
 * holds the hash of each of its parts, fetched with STATE-CHUNK-REQUESTs.
 * Neither is set when the responder sends only log entries.
 */
export interface StateResponse {
  readonly type: 'state-response';
  readonly seq: number;
  readonly snapshot: Uint8Array;
  /** `(u16 part ‖ 32-byte hash)` per non-empty part of the state, or empty (see `snapshot`). */
  readonly manifest: Uint8Array;
  readonly proof: readonly Signed<Checkpoint>[];
  readonly log: readonly CommittedEntry[];
  readonly replica: ReplicaId;
}

/** Asks a peer for the parts of checkpoint `seq`'s state from part `from` on (state transfer of a large state). */
export interface StateChunkRequest {
  readonly type: 'state-chunk-request';
  readonly seq: number;
  readonly from: number;
  readonly replica: ReplicaId;
}

/** Consecutive parts of checkpoint `seq`'s state: `parts[i]` is part `from + i`, each its entries' canonical encoding. */
export interface StateChunk {
  readonly type: 'state-chunk';
  readonly seq: number;
  readonly from: number;
  readonly parts: readonly Uint8Array[];
  readonly replica: ReplicaId;
}

/** Replica-to-replica message bodies. */
export type ReplicaMessage = PrePrepare | Vote | Checkpoint | ViewChange | NewView | StateRequest | StateResponse | StateChunkRequest | StateChunk;

/**
 * A signed replica message. `bytes` is the canonical encoding of `body`: the
 * signature covers `['admitone/pbft/v2', deployment, body]`, whose canonical
 * encoding is a prefix fixed per deployment followed by `bytes`, so a
 * received message is verified, forwarded in proofs and persisted as the
 * bytes it arrived in, never re-encoded.
 */
export interface Signed<M extends ReplicaMessage = ReplicaMessage> {
  readonly body: M;
  readonly signature: Uint8Array;
  /** The canonical encoding of `body` (what follows the domain prefix in the signed bytes). */
  readonly bytes: Uint8Array;
}

/** A client's request to the replicas. */
export interface RequestMessage {
  readonly type: 'request';
  readonly request: SignedRequest;
  /**
   * For a read-only request: answer at once from current state (the fast
   * path) instead of ordering it. Ignored for writes.
   */
  readonly fastRead: boolean;
}

/** A replica's reply to a client. */
export interface ReplyMessage {
  readonly type: 'reply';
  readonly view: number;
  readonly clientId: string;
  readonly requestSeq: number;
  readonly result: Uint8Array;
  /** True for a fast-path read answered from current state. */
  readonly readOnly: boolean;
  /** Set when the replica refused the request instead of executing it. */
  readonly error?: 'invalid_signature';
  readonly replica: ReplicaId;
}

/**
 * Everything that travels on the consensus transport. A replica sends the
 * replies of one executed batch that go to the same transport peer in one
 * `replies` message.
 */
export type WireMessage =
  | { readonly kind: 'signed'; readonly signed: Signed }
  | { readonly kind: 'request'; readonly message: RequestMessage }
  | { readonly kind: 'requests'; readonly messages: readonly RequestMessage[] }
  | { readonly kind: 'replies'; readonly replica: ReplicaId; readonly replies: readonly ReplyMessage[] };

/** A request as it travels: its canonical bytes and whether it asks for the fast read path. */
export interface EncodedRequest {
  readonly fastRead: boolean;
  /** The canonical request (`encodeRequest`). */
  readonly request: Uint8Array;
}

/**
 * A wire message as the replica first sees it: signed messages decoded, a
 * request still as its canonical bytes (the replica decodes each distinct
 * request once, see `decodeRequest`).
 */
export type Frame =
  | { readonly kind: 'signed'; readonly signed: Signed }
  | { readonly kind: 'request'; readonly fastRead: boolean; readonly request: Uint8Array }
  | { readonly kind: 'requests'; readonly requests: readonly EncodedRequest[] }
  | { readonly kind: 'replies'; readonly replica: ReplicaId; readonly replies: readonly ReplyMessage[] };

const DOMAIN = 'admitone/pbft/v2';
const BATCH_DOMAIN = 'admitone/batch/v1';
/** Largest wire message the decoder accepts. */
export const MAX_WIRE_BYTES = 8 * 1024 * 1024;
/** Most replies in one `replies` message (a batch holds at most 4,096 requests). */
const MAX_REPLIES = 4096;
/** Most requests in one `requests` message. */
const MAX_REQUESTS = 4096;

/**
 * Wire framing: one tag byte, then
 * - `SIGNED`: the 64-byte signature, then the body's canonical CBOR;
 * - `REQUEST`: a flags byte (bit 0: fast read), then the canonical request (`encodeRequest`);
 * - `REQUESTS`: the canonical CBOR array of several requests, each a byte string
 *   holding a flags byte and the canonical request (a client's burst, one message per replica);
 * - `REPLIES`: the canonical CBOR `{i: replica, r: [[view, clientId, requestSeq, result, flags], …]}`
 *   (flags: bit 0 read-only, bit 1 refused as `invalid_signature`).
 */
const FRAME_SIGNED = 0x01;
const FRAME_REQUEST = 0x02;
const FRAME_REPLIES = 0x03;
const FRAME_REQUESTS = 0x04;

/**
 * The canonical encoding of `[DOMAIN, deployment, x]` is this prefix followed
 * by the encoding of `x`. Built once per deployment id (a process runs one or
 * a few); an id that is not a `DeploymentId` is refused.
 */
function signingPrefix(deployment: DeploymentId): Uint8Array {
  let prefix = prefixes.get(deployment);
  if (prefix === undefined) {
    checkDeploymentId(deployment, 'deployment');
    if (prefixes.size >= 64) prefixes.clear();
    prefix = concatBytes(Uint8Array.of(0x83), encode(DOMAIN), encode(deployment));
    prefixes.set(deployment, prefix);
  }
  return prefix;
}
const prefixes = new Map<string, Uint8Array>();

/** The digest of a batch: binds the timestamp and the exact request encodings. */
export function batchDigest(timestamp: number, batch: readonly Uint8Array[]): Digest {
  return hash(encode([BATCH_DOMAIN, timestamp, batch as Uint8Array[]]));
}

/**
 * The bytes a replica signs for `body` in `deployment`:
 * `encode(['admitone/pbft/v2', deployment, body])`. Binding the deployment
 * means a vote, checkpoint or view change signed for one ledger is not valid
 * on another that shares replica keys, ids and sequence numbers (a staging
 * copy, a fork). Throws `TypeError` when `deployment` is not a
 * `DeploymentId`.
 *
 * @example
 * ```ts
 * const bytes = signingBytes({ type: 'prepare', view: 0, seq: 1, digest, replica: 'r1' }, 'gig/prod');
 * ```
 */
export function signingBytes(body: ReplicaMessage, deployment: DeploymentId): Uint8Array {
  return concatBytes(signingPrefix(deployment), encode(toCbor(body)));
}

/** The bytes the signature of `signed` covers in `deployment`, from its body bytes (no re-encoding). */
export function signedBytesOf(signed: Signed, deployment: DeploymentId): Uint8Array {
  return concatBytes(signingPrefix(deployment), signed.bytes);
}

/** Signs a replica message for `deployment` (see {@link signingBytes}). */
export async function signMessage<M extends ReplicaMessage>(crypto: CryptoProvider, secretKey: Uint8Array, body: M, deployment: DeploymentId): Promise<Signed<M>> {
  const prefix = signingPrefix(deployment);
  const bytes = encode(toCbor(body));
  return { body, signature: await crypto.sign(concatBytes(prefix, bytes), secretKey), bytes };
}

/** Verifies a signed message against its sender's public key, as signed for `deployment`. */
export function verifyMessage(crypto: CryptoProvider, signed: Signed, publicKey: Uint8Array, deployment: DeploymentId): Promise<boolean> {
  return crypto.verify(signed.signature, signedBytesOf(signed, deployment), publicKey);
}

/** Encodes a wire message. */
export function encodeWire(message: WireMessage): Uint8Array {
  switch (message.kind) {
    case 'signed':
      return encodeSignedFrame(message.signed);
    case 'request':
      return encodeRequestFrame(encodeRequest(message.message.request), message.message.fastRead);
    case 'requests':
      return encodeRequestsFrame(message.messages.map((m) => ({ fastRead: m.fastRead, request: encodeRequest(m.request) })));
    case 'replies':
      return encodeReplies(message.replica, message.replies);
  }
}

/** The wire frame of a signed message. */
export function encodeSignedFrame(s: Signed): Uint8Array {
  const out = new Uint8Array(65 + s.bytes.length);
  out[0] = FRAME_SIGNED;
  out.set(s.signature, 1);
  out.set(s.bytes, 65);
  return out;
}

/** The wire frame of a request, from its canonical encoding. */
export function encodeRequestFrame(request: Uint8Array, fastRead: boolean): Uint8Array {
  const out = new Uint8Array(2 + request.length);
  out[0] = FRAME_REQUEST;
  out[1] = fastRead ? 1 : 0;
  out.set(request, 2);
  return out;
}

/** The wire frame of several requests (one request gets the single-request frame). */
export function encodeRequestsFrame(requests: readonly EncodedRequest[]): Uint8Array {
  const only = requests[0];
  if (requests.length === 1 && only !== undefined) return encodeRequestFrame(only.request, only.fastRead);
  const body = encode(requests.map((r) => encodeRequestFrame(r.request, r.fastRead).subarray(1)));
  const out = new Uint8Array(1 + body.length);
  out[0] = FRAME_REQUESTS;
  out.set(body, 1);
  return out;
}

/** The wire frame of replies from `replica` (each reply's own `replica` field is ignored). */
export function encodeReplies(replica: ReplicaId, replies: readonly Omit<ReplyMessage, 'replica'>[]): Uint8Array {
  const rows = replies.map((m) => [m.view, m.clientId, m.requestSeq, m.result, (m.readOnly ? 1 : 0) | (m.error === undefined ? 0 : 2)]);
  const body = encode({ i: replica, r: rows });
  const out = new Uint8Array(1 + body.length);
  out[0] = FRAME_REPLIES;
  out.set(body, 1);
  return out;
}

/** Reads a wire frame; throws `CodecError` for anything malformed. Requests stay encoded. */
export function readFrame(bytes: Uint8Array): Frame {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) throw new CodecError('CODEC_MALFORMED', 'Wire message is too short.');
  if (bytes.length > MAX_WIRE_BYTES) throw new CodecError('CODEC_TOO_LARGE', `Wire message exceeds ${MAX_WIRE_BYTES} bytes.`);
  switch (bytes[0]) {
    case FRAME_SIGNED: {
      if (bytes.length < 66) throw new CodecError('CODEC_MALFORMED', 'Signed message is too short.');
      const body = bytes.subarray(65);
      return { kind: 'signed', signed: { body: batchAsViews(readBody(decode(body, { maxBytes: MAX_WIRE_BYTES, maxDepth: 16 }), 'signed.b'), body), signature: bytes.subarray(1, 65), bytes: body } };
    }
    case FRAME_REQUEST: {
      const flags = bytes[1] as number;
      if (flags > 1) throw new CodecError('CODEC_SCHEMA', 'Request flags must be 0 or 1.');
      return { kind: 'request', fastRead: flags === 1, request: bytes.subarray(2) };
    }
    case FRAME_REQUESTS: {
      const items = readArray(decode(bytes.subarray(1), { maxBytes: MAX_WIRE_BYTES, maxDepth: 4 }), 'requests', MAX_REQUESTS);
      if (items.length < 2) throw new CodecError('CODEC_SCHEMA', 'A requests message carries at least two requests.');
      return {
        kind: 'requests',
        requests: items.map((x, i) => {
          const b = readBytes(x, `requests[${i}]`);
          if (b.length < 2 || (b[0] as number) > 1) throw new CodecError('CODEC_SCHEMA', `Field requests[${i}] must be a flags byte and a request.`);
          return { fastRead: b[0] === 1, request: b.subarray(1) };
        }),
      };
    }
    case FRAME_REPLIES: {
      const top = readRecord(decode(bytes.subarray(1), { maxBytes: MAX_WIRE_BYTES, maxDepth: 8 }), 'replies', ['i', 'r']);
      const replica = readString(top['i'], 'replies.i', 256);
      const replies = readArray(top['r'], 'replies.r', MAX_REPLIES).map((row, k): ReplyMessage => {
        const f = `replies.r[${k}]`;
        const a = readArray(row, f, 5);
        if (a.length !== 5) throw new CodecError('CODEC_SCHEMA', `Field ${f} must have 5 items.`);
        const flags = readInt(a[4], `${f}.flags`, 0, 3);
        const base = {
          type: 'reply' as const,
          view: readInt(a[0], `${f}.view`),
          clientId: readString(a[1], `${f}.clientId`, 64),
          requestSeq: readInt(a[2], `${f}.requestSeq`, 1),
          result: readBytes(a[3], `${f}.result`),
          readOnly: (flags & 1) === 1,
          replica,
        };
        return (flags & 2) === 2 ? { ...base, error: 'invalid_signature' } : base;
      });
      return { kind: 'replies', replica, replies };
    }
    default:
      throw new CodecError('CODEC_SCHEMA', 'Unknown wire message kind.');
  }
}

/** Decodes a wire message, requests included; throws `CodecError` for anything malformed. */
export function decodeWire(bytes: Uint8Array): WireMessage {
  const frame = readFrame(bytes);
  if (frame.kind === 'request') return { kind: 'request', message: { type: 'request', request: decodeRequest(frame.request), fastRead: frame.fastRead } };
  if (frame.kind === 'requests') return { kind: 'requests', messages: frame.requests.map((r) => ({ type: 'request', request: decodeRequest(r.request), fastRead: r.fastRead })) };
  return frame;
}

// --- CBOR mapping ------------------------------------------------------------------

const TYPES = ['pre-prepare', 'prepare', 'commit', 'checkpoint', 'view-change', 'new-view', 'state-request', 'state-response', 'state-chunk-request', 'state-chunk'] as const;
/** Most parts in one state chunk (the parts of a state: two trees of 4,096 buckets). */
const MAX_PARTS = 8192;
const MAX_PROOF = 1024;

function signedToCbor(s: Signed): CborValue {
  return { b: s.bytes, g: s.signature };
}

function toCbor(m: ReplicaMessage): CborValue {
  switch (m.type) {
    case 'pre-prepare':
      return { t: m.type, v: m.view, n: m.seq, d: m.digest, ts: m.timestamp, b: m.batch as Uint8Array[], i: m.replica };
    case 'prepare':
    case 'commit':
      return { t: m.type, v: m.view, n: m.seq, d: m.digest, i: m.replica };
    case 'checkpoint':
      return { t: m.type, n: m.seq, d: m.digest, i: m.replica };
    case 'view-change':
      return {
        t: m.type,
        v: m.view,
        n: m.stableSeq,
        c: m.checkpointProof.map(signedToCbor),
        p: m.prepared.map((p) => ({ pp: signedToCbor(p.prePrepare), ps: p.prepares.map(signedToCbor) })),
        i: m.replica,
      };
    case 'new-view':
      return { t: m.type, v: m.view, vc: m.viewChanges.map(signedToCbor), o: m.prePrepares.map(signedToCbor), i: m.replica };
    case 'state-request':
      return { t: m.type, n: m.seq, i: m.replica };
    case 'state-response':
      return {
        t: m.type,
        n: m.seq,
        x: m.snapshot,
        m: m.manifest,
        c: m.proof.map(signedToCbor),
        l: m.log.map((e) => ({ pp: signedToCbor(e.prePrepare), cs: e.commits.map(signedToCbor) })),
        i: m.replica,
      };
    case 'state-chunk-request':
      return { t: m.type, n: m.seq, f: m.from, i: m.replica };
    case 'state-chunk':
      return { t: m.type, n: m.seq, f: m.from, p: [...m.parts], i: m.replica };
  }
}

function readSigned(value: unknown, field: string): Signed {
  const r = readRecord(value, field, ['b', 'g']);
  const bytes = readBytes(r['b'], `${field}.b`);
  return { body: batchAsViews(readBody(decode(bytes, { maxBytes: MAX_WIRE_BYTES, maxDepth: 16 }), `${field}.b`), bytes), signature: readBytes(r['g'], `${field}.g`, 64), bytes };
}

/** The canonical encoding of a pre-prepare starts with its batch: a 7-entry map whose first key is `b` (keys sort by length, then bytes). */
const PRE_PREPARE_HEAD = Uint8Array.of(0xa7, 0x61, 0x62);

/**
 * A decoded message, with a pre-prepare's batch as views into its canonical
 * encoding `bytes` instead of the decoder's copies: a batch is held until its
 * checkpoint is stable, and one buffer per pre-prepare costs the collector
 * far less than one per request. The views must equal the decoded requests;
 * otherwise the message is returned as decoded.
 */
function batchAsViews(m: ReplicaMessage, bytes: Uint8Array): ReplicaMessage {
  if (m.type !== 'pre-prepare' || m.batch.length === 0 || !equalBytes(bytes.subarray(0, 3), PRE_PREPARE_HEAD)) return m;
  const views = byteStringsAt(bytes, 3)?.items;
  if (views === undefined || views.length !== m.batch.length || !views.every((v, i) => equalBytes(v, m.batch[i] as Uint8Array))) return m;
  return { ...m, batch: views };
}

function readSignedOf<T extends ReplicaMessage['type']>(value: unknown, field: string, ...types: T[]): Signed<Extract<ReplicaMessage, { type: T }>> {
  const s = readSigned(value, field);
  if (!(types as string[]).includes(s.body.type)) throw new CodecError('CODEC_SCHEMA', `Field ${field} must be a ${types.join('|')} message.`);
  return s as Signed<Extract<ReplicaMessage, { type: T }>>;
}

function readBody(value: unknown, f: string): ReplicaMessage {
  const r = readRecord(value, f);
  const type = readEnum(r['t'], `${f}.t`, TYPES);
  const replica = readString(r['i'], `${f}.i`, 256);
  switch (type) {
    case 'pre-prepare': {
      readRecord(r, f, ['t', 'v', 'n', 'd', 'ts', 'b', 'i']);
      return {
        type,
        view: readInt(r['v'], `${f}.v`),
        seq: readInt(r['n'], `${f}.n`, 1),
        digest: readBytes(r['d'], `${f}.d`, 32),
        timestamp: readInt(r['ts'], `${f}.ts`),
        batch: readArray(r['b'], `${f}.b`, 4096).map((x, i) => readBytes(x, `${f}.b[${i}]`)),
        replica,
      };
    }
    case 'prepare':
    case 'commit':
      readRecord(r, f, ['t', 'v', 'n', 'd', 'i']);
      return { type, view: readInt(r['v'], `${f}.v`), seq: readInt(r['n'], `${f}.n`, 1), digest: readBytes(r['d'], `${f}.d`, 32), replica };
    case 'checkpoint':
      readRecord(r, f, ['t', 'n', 'd', 'i']);
      return { type, seq: readInt(r['n'], `${f}.n`, 1), digest: readBytes(r['d'], `${f}.d`, 32), replica };
    case 'view-change':
      readRecord(r, f, ['t', 'v', 'n', 'c', 'p', 'i']);
      return {
        type,
        view: readInt(r['v'], `${f}.v`, 1),
        stableSeq: readInt(r['n'], `${f}.n`),
        checkpointProof: readArray(r['c'], `${f}.c`, MAX_PROOF).map((x, i) => readSignedOf(x, `${f}.c[${i}]`, 'checkpoint')),
        prepared: readArray(r['p'], `${f}.p`, 4 * MAX_PROOF).map((x, i) => {
          const p = readRecord(x, `${f}.p[${i}]`, ['pp', 'ps']);
          return {
            prePrepare: readSignedOf(p['pp'], `${f}.p[${i}].pp`, 'pre-prepare'),
            prepares: readArray(p['ps'], `${f}.p[${i}].ps`, MAX_PROOF).map((y, j) => readSignedOf(y, `${f}.p[${i}].ps[${j}]`, 'prepare')),
          };
        }),
        replica,
      };
    case 'new-view':
      readRecord(r, f, ['t', 'v', 'vc', 'o', 'i']);
      return {
        type,
        view: readInt(r['v'], `${f}.v`, 1),
        viewChanges: readArray(r['vc'], `${f}.vc`, MAX_PROOF).map((x, i) => readSignedOf(x, `${f}.vc[${i}]`, 'view-change')),
        prePrepares: readArray(r['o'], `${f}.o`, 4 * MAX_PROOF).map((x, i) => readSignedOf(x, `${f}.o[${i}]`, 'pre-prepare')),
        replica,
      };
    case 'state-request':
      readRecord(r, f, ['t', 'n', 'i']);
      return { type, seq: readInt(r['n'], `${f}.n`), replica };
    case 'state-response':
      readRecord(r, f, ['t', 'n', 'x', 'm', 'c', 'l', 'i']);
      return {
        type,
        seq: readInt(r['n'], `${f}.n`),
        snapshot: readBytes(r['x'], `${f}.x`),
        manifest: readBytes(r['m'], `${f}.m`),
        proof: readArray(r['c'], `${f}.c`, MAX_PROOF).map((x, i) => readSignedOf(x, `${f}.c[${i}]`, 'checkpoint')),
        log: readArray(r['l'], `${f}.l`, 4 * MAX_PROOF).map((x, i) => {
          const e = readRecord(x, `${f}.l[${i}]`, ['pp', 'cs']);
          return {
            prePrepare: readSignedOf(e['pp'], `${f}.l[${i}].pp`, 'pre-prepare'),
            commits: readArray(e['cs'], `${f}.l[${i}].cs`, MAX_PROOF).map((y, j) => readSignedOf(y, `${f}.l[${i}].cs[${j}]`, 'commit')),
          };
        }),
        replica,
      };
    case 'state-chunk-request':
      readRecord(r, f, ['t', 'n', 'f', 'i']);
      return { type, seq: readInt(r['n'], `${f}.n`), from: readInt(r['f'], `${f}.f`, 0, MAX_PARTS - 1), replica };
    case 'state-chunk':
      readRecord(r, f, ['t', 'n', 'f', 'p', 'i']);
      return {
        type,
        seq: readInt(r['n'], `${f}.n`),
        from: readInt(r['f'], `${f}.f`, 0, MAX_PARTS - 1),
        parts: readArray(r['p'], `${f}.p`, MAX_PARTS).map((x, i) => readBytes(x, `${f}.p[${i}]`)),
        replica,
      };
  }
}

/** Encodes a signed message on its own (used for persistence). */
export function encodeSigned(s: Signed): Uint8Array {
  return encode(signedToCbor(s));
}

/** Decodes a signed message on its own (used for persistence). */
export function decodeSigned(bytes: Uint8Array): Signed {
  return readSigned(decode(bytes, { maxBytes: MAX_WIRE_BYTES, maxDepth: 16 }), 'signed');
}

/** Decodes each request of a batch; throws `CodecError` on any malformed one. */
export function decodeBatch(batch: readonly Uint8Array[]): SignedRequest[] {
  return batch.map((b) => decodeRequest(b));
}
