/**
 * PBFT wire messages: types, canonical encodings, signatures and strict
 * decoders. Every replica-to-replica message is signed by its sender's
 * Ed25519 key over `encode(['admitone/pbft/v1', body])`; client requests carry
 * the client's own signature inside, and replies rely on the transport's
 * authenticated sender id.
 * @module
 */
import {
  CodecError,
  decode,
  decodeRequest,
  encode,
  encodeRequest,
  hash,
  readArray,
  readBoolean,
  readBytes,
  readEnum,
  readInt,
  readRecord,
  readString,
  type CborValue,
  type CryptoProvider,
  type Digest,
  type PeerId,
  type SignedRequest,
} from '@admitone/core';

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
  /** 2f+1 checkpoint messages proving `stableSeq` (empty when `stableSeq` is 0). */
  readonly checkpointProof: readonly Signed<Checkpoint>[];
  /** Prepared certificates for sequence numbers above `stableSeq`. */
  readonly prepared: readonly PreparedProof[];
  readonly replica: ReplicaId;
}

/** NEW-VIEW: the new primary's 2f+1 view changes and the pre-prepares it re-proposes. */
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

/** A committed log entry: the pre-prepare and 2f+1 matching commits. */
export interface CommittedEntry {
  readonly prePrepare: Signed<PrePrepare>;
  readonly commits: readonly Signed<Vote>[];
}

/** State transfer answer: a checkpoint snapshot with its proof, plus committed entries after it. */
export interface StateResponse {
  readonly type: 'state-response';
  readonly seq: number;
  readonly snapshot: Uint8Array;
  readonly proof: readonly Signed<Checkpoint>[];
  readonly log: readonly CommittedEntry[];
  readonly replica: ReplicaId;
}

/** Replica-to-replica message bodies. */
export type ReplicaMessage = PrePrepare | Vote | Checkpoint | ViewChange | NewView | StateRequest | StateResponse;

/** A signed replica message, kept with its exact encoding so it can be forwarded in proofs. */
export interface Signed<M extends ReplicaMessage = ReplicaMessage> {
  readonly body: M;
  readonly signature: Uint8Array;
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

/** Everything that travels on the consensus transport. */
export type WireMessage = { readonly kind: 'signed'; readonly signed: Signed } | { readonly kind: 'client'; readonly message: RequestMessage | ReplyMessage };

const DOMAIN = 'admitone/pbft/v1';
const BATCH_DOMAIN = 'admitone/batch/v1';
/** Largest wire message the decoder accepts. */
export const MAX_WIRE_BYTES = 8 * 1024 * 1024;

/** The digest of a batch: binds the timestamp and the exact request encodings. */
export function batchDigest(timestamp: number, batch: readonly Uint8Array[]): Digest {
  return hash(encode([BATCH_DOMAIN, timestamp, batch as Uint8Array[]]));
}

/** The bytes a replica signs for `body`. */
export function signingBytes(body: ReplicaMessage): Uint8Array {
  return encode([DOMAIN, toCbor(body)]);
}

/** Signs a replica message. */
export async function signMessage<M extends ReplicaMessage>(crypto: CryptoProvider, secretKey: Uint8Array, body: M): Promise<Signed<M>> {
  return { body, signature: await crypto.sign(signingBytes(body), secretKey) };
}

/** Verifies a signed message against its sender's public key. */
export function verifyMessage(crypto: CryptoProvider, signed: Signed, publicKey: Uint8Array): Promise<boolean> {
  return crypto.verify(signed.signature, signingBytes(signed.body), publicKey);
}

/** Encodes a wire message. */
export function encodeWire(message: WireMessage): Uint8Array {
  if (message.kind === 'signed') return encode({ s: signedToCbor(message.signed) });
  const m = message.message;
  if (m.type === 'request') {
    return encode({ q: { x: encodeRequest(m.request), f: m.fastRead } });
  }
  const a: Record<string, CborValue> = { v: m.view, c: m.clientId, s: m.requestSeq, x: m.result, r: m.readOnly, i: m.replica };
  if (m.error !== undefined) a['e'] = m.error;
  return encode({ a });
}

/** Decodes a wire message; throws `CodecError` for anything malformed. */
export function decodeWire(bytes: Uint8Array): WireMessage {
  const top = readRecord(decode(bytes, { maxBytes: MAX_WIRE_BYTES, maxDepth: 16 }), 'wire');
  const keys = Object.keys(top);
  if (keys.length !== 1) throw new CodecError('CODEC_SCHEMA', 'Wire message must have exactly one key.');
  if (top['s'] !== undefined) return { kind: 'signed', signed: readSigned(top['s'], 'wire.s') };
  if (top['q'] !== undefined) {
    const q = readRecord(top['q'], 'wire.q', ['x', 'f']);
    const request = decodeRequest(readBytes(q['x'], 'wire.q.x'));
    return { kind: 'client', message: { type: 'request', request, fastRead: readBoolean(q['f'], 'wire.q.f') } };
  }
  if (top['a'] !== undefined) {
    const a = readRecord(top['a'], 'wire.a', ['v', 'c', 's', 'x', 'r', 'i', 'e']);
    return {
      kind: 'client',
      message: {
        type: 'reply',
        ...(a['e'] === undefined ? {} : { error: readEnum(a['e'], 'wire.a.e', ['invalid_signature'] as const) }),
        view: readInt(a['v'], 'wire.a.v'),
        clientId: readString(a['c'], 'wire.a.c', 64),
        requestSeq: readInt(a['s'], 'wire.a.s', 1),
        result: readBytes(a['x'], 'wire.a.x'),
        readOnly: readBoolean(a['r'], 'wire.a.r'),
        replica: readString(a['i'], 'wire.a.i', 256),
      },
    };
  }
  throw new CodecError('CODEC_SCHEMA', 'Unknown wire message kind.');
}

// --- CBOR mapping ------------------------------------------------------------------

const TYPES = ['pre-prepare', 'prepare', 'commit', 'checkpoint', 'view-change', 'new-view', 'state-request', 'state-response'] as const;
const MAX_PROOF = 1024;

function signedToCbor(s: Signed): CborValue {
  return { b: toCbor(s.body), g: s.signature };
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
        c: m.proof.map(signedToCbor),
        l: m.log.map((e) => ({ pp: signedToCbor(e.prePrepare), cs: e.commits.map(signedToCbor) })),
        i: m.replica,
      };
  }
}

function readSigned(value: unknown, field: string): Signed {
  const r = readRecord(value, field, ['b', 'g']);
  return { body: readBody(r['b'], `${field}.b`), signature: readBytes(r['g'], `${field}.g`, 64) };
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
      readRecord(r, f, ['t', 'n', 'x', 'c', 'l', 'i']);
      return {
        type,
        seq: readInt(r['n'], `${f}.n`),
        snapshot: readBytes(r['x'], `${f}.x`),
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
