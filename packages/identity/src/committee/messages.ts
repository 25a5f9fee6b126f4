/**
 * Wire formats of the identity committee: client ↔ member requests and
 * responses, and member ↔ member coordination. All canonical CBOR, decoded
 * strictly (a malformed message is a {@link CodecError}, never a crash).
 * @module
 */
import {
  type CborRecord,
  type EventId,
  CodecError,
  decode,
  encode,
  eventId as toEventId,
  readArray,
  readBigInt,
  readBytes,
  readEnum,
  readInt,
  readRecord,
  readString,
} from '@admitone/core';
import { type Credential, credentialFromCbor, credentialToCbor, type MasterCredential } from '../credential/credential.js';
import { COMMITMENT_BYTES, type SharePair } from './vss.js';

/**
 * Domain of the requester's signature over a request. Version 2: the request
 * carries the commitments of the client's verifiable sharing, and each sealed
 * share is a pair (see {@link REQUEST_FORMAT_VERSION}).
 */
export const REQUEST_DOMAIN = 'admitone/identity/request/v2';

/**
 * The request format this code speaks, carried in every encoded request as
 * `version`. Format 2 (this one) adds the commitments of the client's
 * verifiable sharing ({@link IdentityRequest.commitments}) and seals a
 * (share, blinding) pair to each member. A member refuses a request of another
 * format, or of format 1 (which has no `version` field), as `malformed`, and an
 * older member refuses format 2 the same way (it does not know the fields), so
 * clients and members of different formats never act on each other's requests.
 */
export const REQUEST_FORMAT_VERSION = 2;

/** Request kinds: enroll (master credential), event credential, ID-mode tag derivation for a gate. */
export type RequestKind = 'enroll' | 'event' | 'derive';

/** A client's request to the committee (the same bytes go to every member). */
export interface IdentityRequest {
  /** What is asked. */
  readonly kind: RequestKind;
  /** The committee addressed. */
  readonly committeeId: string;
  /** 16 random bytes; a member answers a request id at most once. */
  readonly requestId: Uint8Array;
  /** Client time of the request (ms); members refuse requests outside their freshness window. */
  readonly issuedAt: number;
  /** The requester's key: the new holder key (enroll, event) or the gate device key (derive). Signs the request. */
  readonly requesterKey: Uint8Array;
  /** The event, for `event` and `derive`. */
  readonly eventId?: EventId;
  /** For `event`: the holder's master credential … */
  readonly master?: MasterCredential;
  /** … and the master holder key's signature over the request's signing bytes. */
  readonly masterSignature?: Uint8Array;
  /**
   * The commitments of the client's sharing of its identity element: t + 1
   * Pedersen commitments over BN254 G1 to the coefficient pairs of its value
   * and blinding polynomials (`C_k = f_k·G + r_k·H`, 65-byte uncompressed
   * points), signed with the rest of the request, so every member checks its
   * share against the same polynomial.
   */
  readonly commitments: readonly Uint8Array[];
  /** One sealed share per member, in committee order: the member's (share, blinding) pair, a CBOR array of two bigints. */
  readonly shares: readonly Uint8Array[];
  /** The requester's signature over {@link requestSigningBytes}. */
  readonly signature: Uint8Array;
}

/** The bytes the requester (and, for `event`, the master holder) signs: everything but the signatures. */
export function requestSigningBytes(r: Omit<IdentityRequest, 'signature' | 'masterSignature'>): Uint8Array {
  return encode([
    REQUEST_DOMAIN,
    r.kind,
    r.committeeId,
    r.requestId,
    r.issuedAt,
    r.requesterKey,
    r.eventId ?? null,
    r.master === undefined ? null : credentialToCbor(r.master),
    [...r.commitments],
    [...r.shares],
  ]);
}

/** Encodes a request. */
export function encodeIdentityRequest(r: IdentityRequest): Uint8Array {
  const record: Record<string, CborRecord[string]> = {
    version: REQUEST_FORMAT_VERSION,
    kind: r.kind,
    committeeId: r.committeeId,
    requestId: r.requestId,
    issuedAt: r.issuedAt,
    requesterKey: r.requesterKey,
    commitments: [...r.commitments],
    shares: [...r.shares],
    signature: r.signature,
  };
  if (r.eventId !== undefined) record['eventId'] = r.eventId;
  if (r.master !== undefined) record['master'] = credentialToCbor(r.master);
  if (r.masterSignature !== undefined) record['masterSignature'] = r.masterSignature;
  return encode(record);
}

/** Largest encoded request accepted. */
export const MAX_REQUEST_BYTES = 16 * 1024;
/** Largest sealed share accepted (a pair of 32-byte field elements plus sealing overhead). */
export const MAX_SEALED_SHARE_BYTES = 160;

/**
 * Strictly decodes a request of format {@link REQUEST_FORMAT_VERSION};
 * throws {@link CodecError} (for a request of another format, with
 * `meta.field` `request.version`). Checks the commitments' shape (1 to
 * `members` entries of {@link COMMITMENT_BYTES}); their number (t + 1) and
 * that they are points are the member's to check.
 */
export function decodeIdentityRequest(bytes: Uint8Array, members: number): IdentityRequest {
  const raw = readRecord(decode(bytes, { maxBytes: MAX_REQUEST_BYTES }), 'request');
  const version = raw['version'];
  if (version !== REQUEST_FORMAT_VERSION) {
    throw new CodecError('CODEC_SCHEMA', `Field request.version must be ${REQUEST_FORMAT_VERSION}: the request is of another format (${version === undefined ? 'format 1, before client VSS' : 'an unknown one'}).`, {
      meta: { field: 'request.version', expected: REQUEST_FORMAT_VERSION },
    });
  }
  const r = readRecord(raw, 'request', [
    'version', 'kind', 'committeeId', 'requestId', 'issuedAt', 'requesterKey', 'eventId', 'master', 'masterSignature', 'commitments', 'shares', 'signature',
  ]);
  const kind = readEnum(r['kind'], 'request.kind', ['enroll', 'event', 'derive'] as const);
  const commitments = readArray(r['commitments'], 'request.commitments', members).map((c, i) => readBytes(c, `request.commitments[${i}]`, COMMITMENT_BYTES));
  if (commitments.length === 0) throw new CodecError('CODEC_SCHEMA', 'Field request.commitments must not be empty.', { meta: { field: 'request.commitments' } });
  const shares = readArray(r['shares'], 'request.shares', 256).map((s, i) => {
    const share = readBytes(s, `request.shares[${i}]`);
    if (share.length > MAX_SEALED_SHARE_BYTES) throw new CodecError('CODEC_SCHEMA', `Field request.shares[${i}] is too long.`, { meta: { field: `request.shares[${i}]` } });
    return share;
  });
  if (shares.length !== members) throw new CodecError('CODEC_SCHEMA', `Field request.shares must hold one share per member (${members}).`, { meta: { field: 'request.shares' } });
  const needsEvent = kind !== 'enroll';
  const hasEvent = 'eventId' in r;
  const hasMaster = 'master' in r || 'masterSignature' in r;
  if (needsEvent !== hasEvent) throw new CodecError('CODEC_SCHEMA', `Field request.eventId is ${needsEvent ? 'required' : 'not allowed'} for ${kind}.`, { meta: { field: 'request.eventId' } });
  if ((kind === 'event') !== hasMaster) throw new CodecError('CODEC_SCHEMA', `Fields request.master/masterSignature are ${kind === 'event' ? 'required' : 'not allowed'} for ${kind}.`, { meta: { field: 'request.master' } });
  const base = {
    kind,
    committeeId: readString(r['committeeId'], 'request.committeeId', 128),
    requestId: readBytes(r['requestId'], 'request.requestId', 16),
    issuedAt: readInt(r['issuedAt'], 'request.issuedAt'),
    requesterKey: readBytes(r['requesterKey'], 'request.requesterKey', 32),
    commitments,
    shares,
    signature: readBytes(r['signature'], 'request.signature', 64),
  };
  if (!needsEvent) return base;
  const eventId = readEventId(r['eventId'], 'request.eventId');
  if (kind === 'derive') return { ...base, eventId };
  const master = credentialFromCbor(r['master'], 'request.master');
  if (master.kind !== 'master') throw new CodecError('CODEC_SCHEMA', 'Field request.master must be a master credential.', { meta: { field: 'request.master' } });
  return { ...base, eventId, master, masterSignature: readBytes(r['masterSignature'], 'request.masterSignature', 64) };
}

/**
 * Why the committee refused a request. Deliberately coarse: a refusal never
 * says which check failed beyond this code (and never whether a person is
 * enrolled, except through `duplicate` on an enrollment).
 */
export const REQUEST_REJECTIONS = ['malformed', 'invalid_signature', 'stale', 'replayed', 'not_enrolled', 'not_authorized', 'unavailable'] as const;
/** A refusal reason; see {@link REQUEST_REJECTIONS}. */
export type RequestRejection = (typeof REQUEST_REJECTIONS)[number];

/** A member's answer to a request. */
export type IdentityResponse =
  | { readonly status: 'issued'; readonly requestId: Uint8Array; readonly credential: Credential }
  | { readonly status: 'tag'; readonly requestId: Uint8Array; readonly eventTag: Uint8Array }
  | { readonly status: 'duplicate'; readonly requestId: Uint8Array }
  | { readonly status: 'rejected'; readonly requestId: Uint8Array; readonly reason: RequestRejection };

/** Encodes a response. */
export function encodeIdentityResponse(r: IdentityResponse): Uint8Array {
  switch (r.status) {
    case 'issued':
      return encode({ status: r.status, requestId: r.requestId, credential: credentialToCbor(r.credential) });
    case 'tag':
      return encode({ status: r.status, requestId: r.requestId, eventTag: r.eventTag });
    case 'duplicate':
      return encode({ status: r.status, requestId: r.requestId });
    case 'rejected':
      return encode({ status: r.status, requestId: r.requestId, reason: r.reason });
  }
}

/** Strictly decodes a response; throws {@link CodecError}. */
export function decodeIdentityResponse(bytes: Uint8Array): IdentityResponse {
  const r = readRecord(decode(bytes, { maxBytes: 8192 }), 'response');
  const status = readEnum(r['status'], 'response.status', ['issued', 'tag', 'duplicate', 'rejected'] as const);
  const requestId = readBytes(r['requestId'], 'response.requestId', 16);
  switch (status) {
    case 'issued':
      readRecord(r, 'response', ['status', 'requestId', 'credential']);
      return { status, requestId, credential: credentialFromCbor(r['credential'], 'response.credential') };
    case 'tag':
      readRecord(r, 'response', ['status', 'requestId', 'eventTag']);
      return { status, requestId, eventTag: readBytes(r['eventTag'], 'response.eventTag', 32) };
    case 'duplicate':
      readRecord(r, 'response', ['status', 'requestId']);
      return { status, requestId };
    case 'rejected':
      readRecord(r, 'response', ['status', 'requestId', 'reason']);
      return { status, requestId, reason: readEnum(r['reason'], 'response.reason', REQUEST_REJECTIONS) };
  }
}

// ---------------------------------------------------------------------------
// member ↔ member coordination (over the committee's confidential transport)

/** Coordination messages between members. */
export type ControlMessage =
  /** Coordinator → all: process these requests as batch `seq` at time `time`. */
  | { readonly type: 'batch'; readonly seq: number; readonly batchId: Uint8Array; readonly time: number; readonly requests: readonly Uint8Array[] }
  /** Member → coordinator: my FROST nonce commitments for signing `batchId` (attempt `attempt`). */
  | { readonly type: 'commit'; readonly batchId: Uint8Array; readonly attempt: number; readonly hiding: Uint8Array; readonly binding: Uint8Array }
  /** Coordinator → all: the signing set's commitments for `batchId`. */
  | { readonly type: 'signers'; readonly batchId: Uint8Array; readonly attempt: number; readonly commitments: readonly { readonly member: number; readonly hiding: Uint8Array; readonly binding: Uint8Array }[] }
  /** Member → all: my FROST signature share. */
  | { readonly type: 'share'; readonly batchId: Uint8Array; readonly attempt: number; readonly share: Uint8Array }
  /** Coordinator → all (in the batch stream): prepare `count` power tuples now, ahead of demand. */
  | { readonly type: 'preprocess'; readonly batchId: Uint8Array; readonly count: number }
  /** Coordinator → all (in the batch stream): discard every unclaimed tuple (pools back in step). */
  | { readonly type: 'reset'; readonly batchId: Uint8Array }
  /** Member → coordinator: my pool may be out of step (I restarted or a pool operation failed); please reset. */
  | { readonly type: 'resync'; readonly batchId: Uint8Array }
  /** Member → all: the aggregated signature verified; adopt it. */
  | { readonly type: 'signed'; readonly batchId: Uint8Array; readonly signature: Uint8Array };

/** Largest preprocessing request in one control message (tuples). */
export const MAX_PREPROCESS = 91 * 1024;

/** Encodes a control message. */
export function encodeControl(m: ControlMessage): Uint8Array {
  switch (m.type) {
    case 'batch':
      return encode({ type: m.type, seq: m.seq, batchId: m.batchId, time: m.time, requests: [...m.requests] });
    case 'commit':
      return encode({ type: m.type, batchId: m.batchId, attempt: m.attempt, hiding: m.hiding, binding: m.binding });
    case 'signers':
      return encode({
        type: m.type,
        batchId: m.batchId,
        attempt: m.attempt,
        commitments: m.commitments.map((c) => ({ member: c.member, hiding: c.hiding, binding: c.binding })),
      });
    case 'share':
      return encode({ type: m.type, batchId: m.batchId, attempt: m.attempt, share: m.share });
    case 'signed':
      return encode({ type: m.type, batchId: m.batchId, signature: m.signature });
    case 'preprocess':
      return encode({ type: m.type, batchId: m.batchId, count: m.count });
    case 'reset':
    case 'resync':
      return encode({ type: m.type, batchId: m.batchId });
  }
}

/** Strictly decodes a control message; throws {@link CodecError}. */
export function decodeControl(bytes: Uint8Array, maxBatch: number): ControlMessage {
  const r = readRecord(decode(bytes, { maxBytes: (maxBatch + 1) * MAX_REQUEST_BYTES }), 'control');
  const type = readEnum(r['type'], 'control.type', ['batch', 'commit', 'signers', 'share', 'signed', 'preprocess', 'reset', 'resync'] as const);
  const batchId = readBytes(r['batchId'], 'control.batchId', 16);
  switch (type) {
    case 'batch':
      readRecord(r, 'control', ['type', 'seq', 'batchId', 'time', 'requests']);
      return {
        type,
        seq: readInt(r['seq'], 'control.seq'),
        batchId,
        time: readInt(r['time'], 'control.time'),
        requests: readArray(r['requests'], 'control.requests', maxBatch).map((q, i) => readBytes(q, `control.requests[${i}]`)),
      };
    case 'commit':
      readRecord(r, 'control', ['type', 'batchId', 'attempt', 'hiding', 'binding']);
      return {
        type,
        batchId,
        attempt: readInt(r['attempt'], 'control.attempt', 0, 16),
        hiding: readBytes(r['hiding'], 'control.hiding', 32),
        binding: readBytes(r['binding'], 'control.binding', 32),
      };
    case 'signers':
      readRecord(r, 'control', ['type', 'batchId', 'attempt', 'commitments']);
      return {
        type,
        batchId,
        attempt: readInt(r['attempt'], 'control.attempt', 0, 16),
        commitments: readArray(r['commitments'], 'control.commitments', 256).map((c, i) => {
          const e = readRecord(c, `control.commitments[${i}]`, ['member', 'hiding', 'binding']);
          return {
            member: readInt(e['member'], `control.commitments[${i}].member`, 1, 256),
            hiding: readBytes(e['hiding'], `control.commitments[${i}].hiding`, 32),
            binding: readBytes(e['binding'], `control.commitments[${i}].binding`, 32),
          };
        }),
      };
    case 'share':
      readRecord(r, 'control', ['type', 'batchId', 'attempt', 'share']);
      return { type, batchId, attempt: readInt(r['attempt'], 'control.attempt', 0, 16), share: readBytes(r['share'], 'control.share', 32) };
    case 'signed':
      readRecord(r, 'control', ['type', 'batchId', 'signature']);
      return { type, batchId, signature: readBytes(r['signature'], 'control.signature', 64) };
    case 'preprocess':
      readRecord(r, 'control', ['type', 'batchId', 'count']);
      return { type, batchId, count: readInt(r['count'], 'control.count', 1, MAX_PREPROCESS) };
    case 'reset':
    case 'resync':
      readRecord(r, 'control', ['type', 'batchId']);
      return { type, batchId };
  }
}

/** A sealed share's plaintext: the member's share of the identity element and of the blinding polynomial, as a CBOR array of two bigints. */
export function encodeSharePair(value: bigint, blinding: bigint): Uint8Array {
  return encode([value, blinding]);
}

/** Decodes a share pair, checking both values lie in `[0, order)`; throws {@link CodecError}. */
export function decodeSharePair(bytes: Uint8Array, order: bigint): SharePair {
  const pair = readArray(decode(bytes, { maxBytes: 96 }), 'share', 2);
  if (pair.length !== 2) throw new CodecError('CODEC_SCHEMA', 'Field share must hold a value and a blinding.', { meta: { field: 'share' } });
  return [readBigInt(pair[0], 'share[0]', 0n, order - 1n), readBigInt(pair[1], 'share[1]', 0n, order - 1n)];
}

function readEventId(value: unknown, field: string): EventId {
  const s = readString(value, field, 128);
  try {
    return toEventId(s);
  } catch (cause) {
    throw new CodecError('CODEC_SCHEMA', `Field ${field} is not a valid id.`, { cause, meta: { field } });
  }
}
