/**
 * Wire forms of the tag registry app: the members' votes, the lookups, and
 * their results (canonical CBOR).
 * @module
 */
import { CodecError, decode, encode, readArray, readBytes, readEnum, readInt, readRecord, readString, type CborValue } from '@admitone/core';

/** Length of a master tag (a BN254 field element, big-endian). */
export const TAG_BYTES = 32;
/** Length of a holder key (Ed25519 public key). */
export const HOLDER_KEY_BYTES = 32;
/** Length of an issuance batch id. */
export const BATCH_ID_BYTES = 16;
/** Most entries one vote or one lookup may carry. */
export const MAX_REGISTRY_ENTRIES = 1024;

/** A decided registration: the tag belongs to `holderKey` from now on. */
export interface TagRegistration {
  /** The master holder key the tag is registered to. */
  readonly holderKey: Uint8Array;
  /** The issuance batch whose vote decided it (informational). */
  readonly batchId: Uint8Array;
  /** The agreed time at which it was decided (ms since the epoch; ledger time). */
  readonly enrolledAt: number;
}

/** One tag a member votes to register to a holder key. */
export interface TagVoteEntry {
  /** The 32-byte master tag. */
  readonly tag: Uint8Array;
  /** The 32-byte holder key the member saw it requested for. */
  readonly holderKey: Uint8Array;
}

/** A member's vote: register these tags, as computed in this issuance batch. */
export interface RegistryVote {
  readonly type: 'vote';
  /** The committee the registry serves. */
  readonly committeeId: string;
  /** The issuance batch the tags were computed in. */
  readonly batchId: Uint8Array;
  /** The tags and the holder keys they were requested for, at most {@link MAX_REGISTRY_ENTRIES}. */
  readonly entries: readonly TagVoteEntry[];
}

/** What a vote did for one entry. */
export type VoteOutcome =
  /** The tag is registered (maybe to another holder key: then this request is a duplicate). */
  | { readonly status: 'registered'; readonly registration: TagRegistration }
  /** Not decided yet: `votes` members (this one included) voted for this holder key. */
  | { readonly status: 'pending'; readonly votes: number }
  /**
   * The vote was not recorded because the tag had too many undecided
   * candidates. Deprecated: the registry app no longer gives it (each voter
   * backs at most one candidate per tag, and a vote moves it); it stays
   * decodable for results written before.
   */
  | { readonly status: 'refused'; readonly reason: 'too_many_candidates' };

/** Why the registry refused a whole vote. */
export type RegistryRejection = 'invalid_signature' | 'not_voter' | 'malformed' | 'replayed' | 'wrong_committee';

/** The result of a vote. */
export type RegistryResult =
  | { readonly status: 'ok'; readonly outcomes: readonly VoteOutcome[] }
  | { readonly status: 'rejected'; readonly reason: RegistryRejection };

/** A read-only question to the registry. */
export type RegistryQuery =
  | { readonly type: 'lookup'; readonly committeeId: string; readonly tags: readonly Uint8Array[] }
  | { readonly type: 'stats' };

/** The answer to a {@link RegistryQuery}. */
export type RegistryQueryResult =
  | { readonly status: 'ok'; readonly registrations: readonly (TagRegistration | null)[] }
  | { readonly status: 'ok'; readonly stats: { readonly registered: number; readonly pending: number } }
  | { readonly status: 'rejected'; readonly reason: 'malformed' | 'wrong_committee' };

const REJECTIONS: readonly RegistryRejection[] = ['invalid_signature', 'not_voter', 'malformed', 'replayed', 'wrong_committee'];

/** `[holderKey, batchId, enrolledAt]`: a registration's canonical form (also its state row). */
export function registrationToCbor(r: TagRegistration): CborValue {
  return [r.holderKey, r.batchId, r.enrolledAt];
}

/** Reads {@link registrationToCbor}'s form. */
export function readRegistration(value: unknown, field: string): TagRegistration {
  const a = readArray(value, field, 3);
  if (a.length !== 3) throw new CodecError('CODEC_SCHEMA', `${field} must be [holderKey, batchId, enrolledAt].`, { meta: { field } });
  return { holderKey: readBytes(a[0], `${field}.holderKey`, HOLDER_KEY_BYTES), batchId: readBytes(a[1], `${field}.batchId`, BATCH_ID_BYTES), enrolledAt: readInt(a[2], `${field}.enrolledAt`) };
}

function readTags(value: unknown, field: string): Uint8Array[] {
  return readArray(value, field, MAX_REGISTRY_ENTRIES).map((t, i) => readBytes(t, `${field}[${i}]`, TAG_BYTES));
}

/** Encodes a vote (the op a member submits). */
export function encodeRegistryVote(vote: RegistryVote): Uint8Array {
  if (vote.entries.length > MAX_REGISTRY_ENTRIES) throw new RangeError(`A vote carries at most ${MAX_REGISTRY_ENTRIES} entries.`);
  return encode({ type: 'vote', committeeId: vote.committeeId, batchId: vote.batchId, entries: vote.entries.map((e) => [e.tag, e.holderKey]) });
}

/** Decodes a vote; throws `CodecError` when malformed. */
export function decodeRegistryVote(bytes: Uint8Array): RegistryVote {
  const r = readRecord(decode(bytes), 'vote', ['type', 'committeeId', 'batchId', 'entries']);
  readEnum(r['type'], 'vote.type', ['vote']);
  const entries = readArray(r['entries'], 'vote.entries', MAX_REGISTRY_ENTRIES).map((e, i) => {
    const a = readArray(e, `vote.entries[${i}]`, 2);
    if (a.length !== 2) throw new CodecError('CODEC_SCHEMA', `vote.entries[${i}] must be [tag, holderKey].`);
    return { tag: readBytes(a[0], `vote.entries[${i}].tag`, TAG_BYTES), holderKey: readBytes(a[1], `vote.entries[${i}].holderKey`, HOLDER_KEY_BYTES) };
  });
  return { type: 'vote', committeeId: readString(r['committeeId'], 'vote.committeeId', 128), batchId: readBytes(r['batchId'], 'vote.batchId', BATCH_ID_BYTES), entries };
}

/** Encodes a vote's result. */
export function encodeRegistryResult(result: RegistryResult): Uint8Array {
  if (result.status === 'rejected') return encode({ status: 'rejected', reason: result.reason });
  const outcomes = result.outcomes.map((o): CborValue => {
    switch (o.status) {
      case 'registered':
        return ['registered', registrationToCbor(o.registration)];
      case 'pending':
        return ['pending', o.votes];
      case 'refused':
        return ['refused', o.reason];
    }
  });
  return encode({ status: 'ok', outcomes });
}

/** Decodes a vote's result; throws `CodecError` when malformed. */
export function decodeRegistryResult(bytes: Uint8Array): RegistryResult {
  const r = readRecord(decode(bytes), 'result', ['status', 'reason', 'outcomes']);
  if (readEnum(r['status'], 'result.status', ['ok', 'rejected']) === 'rejected') return { status: 'rejected', reason: readEnum(r['reason'], 'result.reason', REJECTIONS) };
  const outcomes = readArray(r['outcomes'], 'result.outcomes', MAX_REGISTRY_ENTRIES).map((o, i): VoteOutcome => {
    const f = `result.outcomes[${i}]`;
    const a = readArray(o, f, 2);
    switch (readEnum(a[0], `${f}.status`, ['registered', 'pending', 'refused'])) {
      case 'registered':
        return { status: 'registered', registration: readRegistration(a[1], `${f}.registration`) };
      case 'pending':
        return { status: 'pending', votes: readInt(a[1], `${f}.votes`) };
      case 'refused':
        return { status: 'refused', reason: readEnum(a[1], `${f}.reason`, ['too_many_candidates']) };
    }
  });
  return { status: 'ok', outcomes };
}

/** Encodes a registry query. */
export function encodeRegistryQuery(query: RegistryQuery): Uint8Array {
  if (query.type === 'stats') return encode({ type: 'stats' });
  if (query.tags.length > MAX_REGISTRY_ENTRIES) throw new RangeError(`A lookup carries at most ${MAX_REGISTRY_ENTRIES} tags.`);
  return encode({ type: 'lookup', committeeId: query.committeeId, tags: [...query.tags] });
}

/** Decodes a registry query; throws `CodecError` when malformed. */
export function decodeRegistryQuery(bytes: Uint8Array): RegistryQuery {
  const r = readRecord(decode(bytes), 'query', ['type', 'committeeId', 'tags']);
  if (readEnum(r['type'], 'query.type', ['lookup', 'stats']) === 'stats') return { type: 'stats' };
  return { type: 'lookup', committeeId: readString(r['committeeId'], 'query.committeeId', 128), tags: readTags(r['tags'], 'query.tags') };
}

/** Encodes a query's answer. */
export function encodeRegistryQueryResult(result: RegistryQueryResult): Uint8Array {
  if (result.status === 'rejected') return encode({ status: 'rejected', reason: result.reason });
  if ('stats' in result) return encode({ status: 'ok', stats: { registered: result.stats.registered, pending: result.stats.pending } });
  return encode({ status: 'ok', registrations: result.registrations.map((r) => (r === null ? null : registrationToCbor(r))) });
}

/** Decodes a query's answer; throws `CodecError` when malformed. */
export function decodeRegistryQueryResult(bytes: Uint8Array): RegistryQueryResult {
  const r = readRecord(decode(bytes), 'answer', ['status', 'reason', 'registrations', 'stats']);
  if (readEnum(r['status'], 'answer.status', ['ok', 'rejected']) === 'rejected') return { status: 'rejected', reason: readEnum(r['reason'], 'answer.reason', ['malformed', 'wrong_committee']) };
  if (r['stats'] !== undefined) {
    const s = readRecord(r['stats'], 'answer.stats', ['registered', 'pending']);
    return { status: 'ok', stats: { registered: readInt(s['registered'], 'answer.stats.registered'), pending: readInt(s['pending'], 'answer.stats.pending') } };
  }
  const registrations = readArray(r['registrations'], 'answer.registrations', MAX_REGISTRY_ENTRIES).map((x, i) => (x === null ? null : readRegistration(x, `answer.registrations[${i}]`)));
  return { status: 'ok', registrations };
}
