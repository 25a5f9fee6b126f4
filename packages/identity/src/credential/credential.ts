/**
 * Committee credentials: what the identity committee signs, and how anyone
 * checks it offline.
 *
 * A credential is a small record (holder key, event tag, validity window) that
 * is a leaf of a Merkle tree over one issuance batch; the committee signs the
 * batch statement `(committeeId, batchId, size, root)` with one FROST(Ed25519)
 * threshold signature. The result is a *standard* Ed25519 signature under the
 * committee's group key, so a scanner verifies it with any Ed25519
 * implementation plus a few SHA-256 hashes for the path.
 * @module
 */
import {
  type CborRecord,
  type CryptoProvider,
  type EventId,
  CodecError,
  decode,
  encode,
  eventId as toEventId,
  readArray,
  readBytes,
  readEnum,
  readInt,
  readRecord,
  readString,
} from '@admitone/core';
import { MAX_BATCH_SIZE, merkleRootFromPath } from './merkle.js';

/** Versioned domain strings; a signature for one purpose never verifies for another. */
export const CREDENTIAL_DOMAINS = {
  master: 'admitone/identity/master-credential/v1',
  event: 'admitone/identity/event-credential/v1',
  batch: 'admitone/identity/credential-batch/v1',
} as const;

/** What a verifier must know about a committee. */
export interface CommitteePublicInfo {
  /** The committee's name, bound into every statement it signs. */
  readonly committeeId: string;
  /** The committee's FROST group public key: a 32-byte Ed25519 public key. */
  readonly groupPublicKey: Uint8Array;
}

/** The inclusion proof and batch signature that make a credential verifiable. */
export interface CredentialProof {
  /** 16 random bytes naming the issuance batch. */
  readonly batchId: Uint8Array;
  /** Number of credentials in the batch (1 … {@link MAX_BATCH_SIZE}). */
  readonly size: number;
  /** This credential's position in the batch. */
  readonly index: number;
  /** Merkle inclusion path, leaf side first (32-byte hashes). */
  readonly path: readonly Uint8Array[];
  /** The committee's 64-byte Ed25519 (FROST) signature over the batch statement. */
  readonly signature: Uint8Array;
}

/** Fields shared by every credential. */
interface CredentialCommon {
  /** The issuing committee. */
  readonly committeeId: string;
  /** The holder's 32-byte Ed25519 public key. */
  readonly holderKey: Uint8Array;
  /** Issue time, ms since the epoch. */
  readonly issuedAt: number;
  /** End of validity, ms since the epoch. */
  readonly expiresAt: number;
  /** Inclusion proof and committee signature. */
  readonly proof: CredentialProof;
}

/** Proof that the holder enrolled once with the committee (one per person). */
export interface MasterCredential extends CredentialCommon {
  /** Discriminator. */
  readonly kind: 'master';
}

/**
 * Binds a per-event pseudonym (`eventTag = PRF_k(x + H(eventId))`) to a holder
 * key. The same person always gets the same tag for the same event; tags of
 * different events are unlinkable without the committee's key.
 */
export interface EventCredential extends CredentialCommon {
  /** Discriminator. */
  readonly kind: 'event';
  /** The event this credential is for. */
  readonly eventId: EventId;
  /** The event tag: the PRF output as a 32-byte big-endian field element. */
  readonly eventTag: Uint8Array;
}

/** Either credential. */
export type Credential = MasterCredential | EventCredential;

/** A credential without its proof: what the committee decides to issue. */
export type CredentialBody = Omit<MasterCredential, 'proof'> | Omit<EventCredential, 'proof'>;

/** The bytes of a credential's Merkle leaf (canonical CBOR of its body). */
export function credentialLeaf(body: CredentialBody): Uint8Array {
  checkBody(body);
  if (body.kind === 'master') {
    return encode([CREDENTIAL_DOMAINS.master, body.committeeId, body.holderKey, body.issuedAt, body.expiresAt]);
  }
  return encode([CREDENTIAL_DOMAINS.event, body.committeeId, body.eventId, body.eventTag, body.holderKey, body.issuedAt, body.expiresAt]);
}

/** The exact bytes the committee signs for one issuance batch. */
export function credentialBatchStatement(committeeId: string, batchId: Uint8Array, size: number, root: Uint8Array): Uint8Array {
  return encode([CREDENTIAL_DOMAINS.batch, committeeId, batchId, size, root]);
}

/** The batch statement a credential claims to be covered by, or `undefined` if its path is malformed. */
export function credentialStatement(credential: Credential): Uint8Array | undefined {
  const { proof } = credential;
  const root = merkleRootFromPath(credentialLeaf(credential), proof.index, proof.size, proof.path);
  if (root === undefined) return undefined;
  return credentialBatchStatement(credential.committeeId, proof.batchId, proof.size, root);
}

/**
 * Checks a credential's committee, Merkle path and signature (not its
 * validity window: compare `expiresAt` with your clock). Resolves `false` for
 * any invalid credential.
 */
export async function verifyCredential(crypto: CryptoProvider, committee: CommitteePublicInfo, credential: Credential): Promise<boolean> {
  if (credential.committeeId !== committee.committeeId) return false;
  const statement = credentialStatement(credential);
  if (statement === undefined) return false;
  return crypto.verify(credential.proof.signature, statement, committee.groupPublicKey);
}

/** Canonical CBOR of a credential. */
export function encodeCredential(credential: Credential): Uint8Array {
  return encode(credentialToCbor(credential));
}

/**
 * Strictly decodes a credential; throws {@link CodecError} on anything
 * malformed, including a validity window that ends before it starts
 * (`expiresAt < issuedAt`). A decoded credential always re-encodes.
 */
export function decodeCredential(bytes: Uint8Array, maxBytes = 4096): Credential {
  return credentialFromCbor(decode(bytes, { maxBytes }), 'credential');
}

/** @internal CBOR form, shared with the pass codec. */
export function credentialToCbor(c: Credential): CborRecord {
  checkBody(c);
  const proof = {
    batchId: c.proof.batchId,
    size: c.proof.size,
    index: c.proof.index,
    path: [...c.proof.path],
    signature: c.proof.signature,
  };
  const common = { kind: c.kind, committeeId: c.committeeId, holderKey: c.holderKey, issuedAt: c.issuedAt, expiresAt: c.expiresAt, proof };
  return c.kind === 'master' ? common : { ...common, eventId: c.eventId, eventTag: c.eventTag };
}

/** @internal Strict reader, shared with the pass codec. */
export function credentialFromCbor(value: unknown, field: string): Credential {
  const kind = readEnum(readRecord(value, field)['kind'], `${field}.kind`, ['master', 'event'] as const);
  const keys = ['kind', 'committeeId', 'holderKey', 'issuedAt', 'expiresAt', 'proof', ...(kind === 'event' ? ['eventId', 'eventTag'] : [])];
  const r = readRecord(value, field, keys);
  for (const k of keys) if (!(k in r)) throw new CodecError('CODEC_SCHEMA', `Field ${field}.${k} is missing.`, { meta: { field: `${field}.${k}` } });
  const p = readRecord(r['proof'], `${field}.proof`, ['batchId', 'size', 'index', 'path', 'signature']);
  const size = readInt(p['size'], `${field}.proof.size`, 1, MAX_BATCH_SIZE);
  const proof: CredentialProof = {
    batchId: readBytes(p['batchId'], `${field}.proof.batchId`, 16),
    size,
    index: readInt(p['index'], `${field}.proof.index`, 0, size - 1),
    path: readArray(p['path'], `${field}.proof.path`, 17).map((h, i) => readBytes(h, `${field}.proof.path[${i}]`, 32)),
    signature: readBytes(p['signature'], `${field}.proof.signature`, 64),
  };
  const issuedAt = readInt(r['issuedAt'], `${field}.issuedAt`);
  const common = {
    committeeId: readString(r['committeeId'], `${field}.committeeId`, 128),
    holderKey: readBytes(r['holderKey'], `${field}.holderKey`, 32),
    issuedAt,
    // the same rule as the encoder's (checkBody): a window that ends before it starts is malformed,
    // so nothing decoded can make credentialLeaf/credentialToCbor throw later
    expiresAt: readInt(r['expiresAt'], `${field}.expiresAt`, issuedAt),
    proof,
  };
  let credential: Credential;
  if (kind === 'master') credential = { kind, ...common };
  else {
    let event: EventId;
    try {
      event = toEventId(readString(r['eventId'], `${field}.eventId`, 128));
    } catch (cause) {
      throw new CodecError('CODEC_SCHEMA', `Field ${field}.eventId is not a valid id.`, { cause, meta: { field: `${field}.eventId` } });
    }
    credential = { kind, ...common, eventId: event, eventTag: readBytes(r['eventTag'], `${field}.eventTag`, 32) };
  }
  try {
    checkBody(credential); // whatever the encoder refuses, the decoder refuses too
  } catch (cause) {
    throw new CodecError('CODEC_SCHEMA', `Field ${field} is not a valid credential body.`, { cause, meta: { field } });
  }
  return credential;
}

function checkBody(body: CredentialBody): void {
  if (typeof body.committeeId !== 'string' || body.committeeId.length === 0 || body.committeeId.length > 128) {
    throw new RangeError('committeeId must be a 1–128 character string');
  }
  if (!(body.holderKey instanceof Uint8Array) || body.holderKey.length !== 32) throw new RangeError('holderKey must be 32 bytes');
  if (!Number.isSafeInteger(body.issuedAt) || body.issuedAt < 0) throw new RangeError('issuedAt must be a non-negative safe integer');
  if (!Number.isSafeInteger(body.expiresAt) || body.expiresAt < body.issuedAt) throw new RangeError('expiresAt must be a safe integer ≥ issuedAt');
  if (body.kind === 'event' && (!(body.eventTag instanceof Uint8Array) || body.eventTag.length !== 32)) {
    throw new RangeError('eventTag must be 32 bytes');
  }
}
