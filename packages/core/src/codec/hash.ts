/**
 * Hashing and typed ids.
 *
 * `hash` is SHA-256 (noble). Every structured hash in AdmitOne is
 * domain-separated with {@link taggedHash}, so a digest computed for one
 * purpose can never be replayed as another.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../bytes/index.js';
import { encode, type CborValue } from './cbor.js';

declare const brand: unique symbol;
/** A nominal type: `T` tagged with `Name` so that ids cannot be mixed up. */
export type Brand<T, Name extends string> = T & { readonly [brand]: Name };

/** A 32-byte SHA-256 digest. */
export type Digest = Brand<Uint8Array, 'Digest'>;

/** Length of a {@link Digest} in bytes. */
export const DIGEST_BYTES = 32;

/** SHA-256 of `bytes`. */
export function hash(bytes: Uint8Array): Digest {
  return sha256(bytes) as Digest;
}

/**
 * Domain-separated hash: `SHA-256(encode([domain, value]))`. Because the
 * encoding is canonical, equal `(domain, value)` pairs always give the same
 * digest, and different domains never collide structurally.
 */
export function taggedHash(domain: string, value: CborValue): Digest {
  if (typeof domain !== 'string' || domain.length === 0) throw new TypeError('domain must be a non-empty string');
  return hash(encode([domain, value]));
}

/** A digest as lowercase hex. */
export function digestHex(d: Uint8Array): string {
  return bytesToHex(d);
}

/** Parses a 64-character hex digest. Throws `RangeError` on anything else. */
export function parseDigest(hex: string): Digest {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex)) throw new RangeError('digest must be 64 lowercase hex characters');
  return hexToBytes(hex) as Digest;
}

// --- typed string ids --------------------------------------------------------

/** An event's id, chosen by its organizer. */
export type EventId = Brand<string, 'EventId'>;
/** A ticket's id, unique on a ledger. */
export type TicketId = Brand<string, 'TicketId'>;
/** A gate's id within an event (a physical entrance). */
export type GateId = Brand<string, 'GateId'>;
/**
 * A client's id: the lowercase hex of its Ed25519 public key. Requests are
 * signed with that key, so the id is self-certifying.
 */
export type ClientId = Brand<string, 'ClientId'>;

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function makeId<T>(kind: string, value: unknown): T {
  if (typeof value !== 'string') throw new TypeError(`${kind} must be a string`);
  if (!ID_RE.test(value)) {
    throw new RangeError(`${kind} must be 1-128 characters of [A-Za-z0-9._:-] starting with a letter or digit, got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return value as T;
}

/** Validates and brands an {@link EventId}. */
export function eventId(value: string): EventId {
  return makeId<EventId>('eventId', value);
}
/** Validates and brands a {@link TicketId}. */
export function ticketId(value: string): TicketId {
  return makeId<TicketId>('ticketId', value);
}
/** Validates and brands a {@link GateId}. */
export function gateId(value: string): GateId {
  return makeId<GateId>('gateId', value);
}
/** True when `value` is a syntactically valid id string. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_RE.test(value);
}

/** The {@link ClientId} of an Ed25519 public key. */
export function clientIdOf(publicKey: Uint8Array): ClientId {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new RangeError('publicKey must be 32 bytes');
  return bytesToHex(publicKey) as ClientId;
}

/** The public key inside a {@link ClientId}. Throws `RangeError` for malformed ids. */
export function publicKeyOf(id: ClientId | string): Uint8Array {
  if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) throw new RangeError('clientId must be 64 lowercase hex characters');
  return hexToBytes(id);
}

/** UTF-8 bytes of a string (re-exported for convenience). */
export const utf8 = utf8ToBytes;
