/**
 * Identity attributes → one BN254 field element.
 *
 * The same person must map to the same element however their ID document was
 * typed in, so attributes are canonicalised first (Unicode NFKC, trimmed,
 * inner whitespace collapsed, upper-cased, repeated until nothing changes),
 * encoded as canonical CBOR (keys in RFC 8949 order) and hashed to the field
 * with RFC 9380 `hash_to_field`.
 *
 * The PRF domains — `H(master)` for enrollment and `H(eventId)` per event —
 * are field elements derived the same way, bound to the committee id.
 * @module
 */
import { type EventId, encode } from '@admitone/core';
import { hashToField } from './mimc/hash-to-field.js';

/** An identity document's attributes: lower-case keys (`[a-z][a-z0-9_]*`) to strings. */
export type IdentityAttributes = Readonly<Record<string, string>>;

/** At most this many attributes. */
export const MAX_ATTRIBUTES = 16;
/** At most this many characters per attribute value (after canonicalisation). */
export const MAX_ATTRIBUTE_LENGTH = 256;

const KEY_RE = /^[a-z][a-z0-9_]{0,31}$/;
const ATTRIBUTES_DST = 'admitone/identity/attributes/v1';
const DOMAIN_DST = 'admitone/identity/prf-domain/v1';

/** Canonicalisation passes before a value counts as having no stable form (two suffice for every code point). */
const MAX_CANONICAL_PASSES = 4;

/**
 * Canonicalises attributes: each value is NFKC-normalised, trimmed, its
 * inner whitespace collapsed to one space and upper-cased, and this is
 * repeated until the value no longer changes. The repetition matters:
 * upper-casing can produce text that NFKC changes again (e.g. U+0390 `ΐ`
 * upper-cases to `Ϊ́`, which NFKC composes to U+03AA U+0301), so a single
 * pass was not idempotent and a canonical value fed back in gave a different
 * identity element. Canonicalising a canonical value now returns it
 * unchanged. Throws `TypeError`/`RangeError` naming the bad key (never
 * echoing a value, which is personal data), also for a value with no stable
 * form within a few passes (none is known).
 */
export function canonicalAttributes(attributes: IdentityAttributes): Readonly<Record<string, string>> {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) throw new TypeError('attributes must be an object');
  const keys = Object.keys(attributes);
  if (keys.length === 0 || keys.length > MAX_ATTRIBUTES) throw new RangeError(`attributes must have 1–${MAX_ATTRIBUTES} entries`);
  const out: Record<string, string> = {};
  for (const key of keys) {
    if (!KEY_RE.test(key)) throw new RangeError(`attribute key "${key.slice(0, 32)}" must match [a-z][a-z0-9_]{0,31}`);
    const value = attributes[key];
    if (typeof value !== 'string') throw new TypeError(`attribute ${key} must be a string`);
    let canonical = canonicalPass(value);
    for (let pass = 1; ; pass++) {
      const again = canonicalPass(canonical);
      if (again === canonical) break;
      if (pass >= MAX_CANONICAL_PASSES) throw new RangeError(`attribute ${key} has no stable canonical form`);
      canonical = again;
    }
    if (canonical.length === 0 || canonical.length > MAX_ATTRIBUTE_LENGTH) {
      throw new RangeError(`attribute ${key} must be 1–${MAX_ATTRIBUTE_LENGTH} characters after canonicalisation`);
    }
    out[key] = canonical;
  }
  return out;
}

function canonicalPass(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/gu, ' ').toUpperCase();
}

/** The identity's field element `x = hashToField(CBOR(canonical attributes))`. */
export function identityElement(attributes: IdentityAttributes): bigint {
  return hashToField(encode(canonicalAttributes(attributes)), ATTRIBUTES_DST);
}

/** The public PRF domain of enrollment (master tags) for a committee. */
export function masterDomain(committeeId: string): bigint {
  return hashToField(encode(['master', committeeId]), DOMAIN_DST);
}

/** The public PRF domain `H(eventId)` of an event's tags for a committee. */
export function eventDomain(committeeId: string, eventId: EventId): bigint {
  return hashToField(encode(['event', committeeId, eventId]), DOMAIN_DST);
}

/** A field element as 32 big-endian bytes (how tags travel in credentials). */
export function fieldToBytes(value: bigint): Uint8Array {
  if (typeof value !== 'bigint' || value < 0n || value >= 1n << 256n) throw new RangeError('value must be a 256-bit non-negative bigint');
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
