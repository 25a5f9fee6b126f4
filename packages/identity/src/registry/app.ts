/**
 * The master-tag registry as a replicated app: the committee's "has this
 * person enrolled?" memory, ordered by consensus instead of kept by each
 * member.
 *
 * A tag is registered to a holder key once `threshold` distinct members
 * (t + 1, so at least one honest) have voted for that (tag, holder key); the
 * first candidate of a tag to get there wins, and every later vote for the tag
 * learns that registration. Every member therefore sees the same answer,
 * whatever it missed while it was down, and no coalition of t members (the
 * coordinator included) can register a tag, or get a second credential
 * signed for one, on its own.
 *
 * Votes are signed consensus requests from the members' ledger keys;
 * requests from any other key never touch the state. A voter backs at most
 * one holder key per undecided tag: a vote for another key moves its vote
 * there (so a tag has at most as many candidates as there are voters, and one
 * member cannot crowd out the others' candidate). Undecided candidates
 * expire `pendingTtlMs` after the tag's first vote (ledger time), so votes
 * that never reach the threshold do not accumulate.
 * @module
 */
import {
  CodecError,
  bytesToHex,
  bytesToUtf8,
  clientIdOf,
  compareBytes,
  createReplayGuard,
  createKeyedRows,
  decode,
  encode,
  equalBytes,
  readArray,
  readBytes,
  readInt,
  readRecord,
  readString,
  sortByKey,
  utf8ToBytes,
  verifyRequest,
  isDeploymentId,
  type DeploymentId,
  type CborValue,
  type ClientId,
  type CryptoProvider,
  type Digest,
  type ExecuteContext,
  type KeyedRows,
  type KeyedState,
  type PreparedRequest,
  type ReplayGuard,
  type ReplicatedApp,
  type SignedRequest,
  type StateEntry,
} from '@admitone/core';
import { IdentityError } from '../errors.js';
import {
  HOLDER_KEY_BYTES,
  decodeRegistryQuery,
  decodeRegistryVote,
  encodeRegistryQueryResult,
  encodeRegistryResult,
  readRegistration,
  registrationToCbor,
  type RegistryQueryResult,
  type RegistryRejection,
  type RegistryVote,
  type TagRegistration,
  type VoteOutcome,
} from './codec.js';

/** Options of {@link createTagRegistryApp}. */
export interface TagRegistryAppOptions {
  /** The committee the registry serves; votes and lookups name it. */
  readonly committeeId: string;
  /** The members' ledger keys (32-byte Ed25519 public keys), the only keys whose votes count. */
  readonly voters: readonly Uint8Array[];
  /** Distinct voters a candidate needs: t + 1 for a committee that tolerates t malicious members. */
  readonly threshold: number;
  /** Verifies the votes' request signatures. */
  readonly crypto: CryptoProvider;
  /**
   * The registry ledger's deployment id: votes signed for any other
   * deployment are refused (see `DeploymentId` in `@admitone/core`).
   */
  readonly deployment: DeploymentId;
  /** How long (ledger time) an undecided tag keeps its votes. Default 10 minutes. */
  readonly pendingTtlMs?: number;
  /**
   * Ignored. Each voter now backs at most one holder key per undecided tag (a
   * later vote for another key moves its vote), so a tag never has more
   * candidates than there are voters and a vote is never refused for lack of
   * room; this option used to cap candidates per tag, which let one voter
   * fill the cap and lock every honest vote out.
   * @deprecated Ignored since each voter backs at most one candidate per tag.
   */
  readonly maxCandidatesPerTag?: number;
}

/** A vote after the registry's stateless checks. */
export interface PreparedRegistryRequest extends PreparedRequest {
  /** The decoded vote, or `undefined` when the op bytes are malformed. */
  readonly vote: RegistryVote | undefined;
}

/** The tag registry app; see {@link createTagRegistryApp}. */
export interface TagRegistryApp extends ReplicatedApp<PreparedRegistryRequest> {
  /**
   * The registry as keyed entries: `g/<tag hex>` → `[holderKey, batchId, enrolledAt]`,
   * `p/<tag hex>` → `[firstAt, [[holderKey, [voter indexes…]]…]]` (undecided; every voter index in at most one candidate),
   * `c` → `[newest firstAt]`, `r/<clientId>` → a voter's replay row.
   */
  readonly state: KeyedState;
  /** Convenience: the registration of a tag, or `undefined`. */
  registration(tag: Uint8Array): TagRegistration | undefined;
}

/** Snapshot format tag. */
export const TAG_REGISTRY_SNAPSHOT = 'admitone/identity/registry/v1';

const REGISTERED_ROW = 'g/';
const PENDING_ROW = 'p/';
const REPLAY_ROW = 'r/';
const CLOCK_ROW = 'c';

interface Candidate {
  readonly holderKey: Uint8Array;
  /** Indexes into `voters`, ascending, non-empty. */
  voters: number[];
}

interface Pending {
  /** Ledger time of the tag's first vote; never less than an earlier tag's. */
  readonly firstAt: number;
  /** Ascending by holder key; each voter in at most one of them. */
  candidates: Candidate[];
}

const pendingRow = (p: Pending): CborValue => [p.firstAt, p.candidates.map((c) => [c.holderKey, c.voters])];

/**
 * Creates an empty tag registry. Host it on a consensus cluster (for example
 * PBFT replicas, each with its own instance) and give every committee member
 * a {@link ledgerTagRegistry} over a client of that cluster.
 *
 * @example
 * ```ts
 * const app = createTagRegistryApp({ committeeId: 'eu-committee', voters: memberLedgerKeys, threshold: t + 1, crypto, deployment: 'eu-registry/prod' });
 * const replica = await createReplica({ id, secretKey, members, transport, storage, app, crypto });
 * ```
 */
export function createTagRegistryApp(options: TagRegistryAppOptions): TagRegistryApp {
  const { committeeId, crypto } = options;
  const ttl = options.pendingTtlMs ?? 600_000;
  if (!isDeploymentId(options.deployment)) throw new IdentityError('IDENTITY_CONFIG', 'deployment must be a deployment id (1 to 64 printable ASCII characters, no spaces).');
  const deployment = options.deployment;
  if (typeof committeeId !== 'string' || committeeId.length === 0 || committeeId.length > 128) throw new IdentityError('IDENTITY_CONFIG', 'committeeId must be a 1–128 character string.');
  if (!Array.isArray(options.voters) || options.voters.length === 0) throw new IdentityError('IDENTITY_CONFIG', 'The registry needs at least one voter key.');
  const voterIndex = new Map<ClientId, number>();
  for (const [i, key] of options.voters.entries()) {
    if (!(key instanceof Uint8Array) || key.length !== 32) throw new IdentityError('IDENTITY_CONFIG', `Voter key ${i} is not a 32-byte Ed25519 public key.`, { meta: { index: i } });
    const id = clientIdOf(key);
    if (voterIndex.has(id)) throw new IdentityError('IDENTITY_CONFIG', `Voter key ${i} is listed twice.`, { meta: { index: i } });
    voterIndex.set(id, i);
  }
  const n = options.voters.length;
  if (!Number.isSafeInteger(options.threshold) || options.threshold < 1 || options.threshold > n) {
    throw new IdentityError('IDENTITY_CONFIG', `threshold must be an integer from 1 to ${n} (t + 1 for a committee tolerating t).`, { meta: { threshold: options.threshold, voters: n } });
  }
  const threshold = options.threshold;
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new IdentityError('IDENTITY_CONFIG', 'pendingTtlMs must be a positive integer.');

  let registered = new Map<string, TagRegistration>(); // tag hex →
  let pending = new Map<string, Pending>(); // tag hex →, in firstAt order (ties in any order)
  let newest = 0; // the largest firstAt ever given (the `c` row), so firstAt never decreases
  let replay: ReplayGuard = createReplayGuard();
  const rowValue = (row: string): Uint8Array | undefined => {
    if (row === CLOCK_ROW) return newest === 0 ? undefined : encode([newest]);
    const id = row.slice(2);
    switch (row.slice(0, 2)) {
      case REGISTERED_ROW: {
        const r = registered.get(id);
        return r === undefined ? undefined : encode(registrationToCbor(r));
      }
      case PENDING_ROW: {
        const p = pending.get(id);
        return p === undefined ? undefined : encode(pendingRow(p));
      }
      default: {
        const r = replay.rowOf(id);
        return r === undefined ? undefined : encode(r);
      }
    }
  };

  const allEntries = (): StateEntry[] => {
    const out: StateEntry[] = [];
    const add = (row: string) => out.push({ key: utf8ToBytes(row), value: rowValue(row) as Uint8Array });
    if (newest !== 0) add(CLOCK_ROW);
    for (const id of registered.keys()) add(REGISTERED_ROW + id);
    for (const id of pending.keys()) add(PENDING_ROW + id);
    for (const row of replay.toCbor() as [string, ...CborValue[]][]) add(REPLAY_ROW + row[0]);
    return sortByKey(out);
  };
  // touched rows, the incremental digest and the changes not yet taken
  const rows: KeyedRows = createKeyedRows(rowValue, allEntries);

  /** Drops undecided tags whose first vote is `ttl` old; the oldest come first. */
  const expire = (now: number): void => {
    for (const [id, p] of pending) {
      if (p.firstAt + ttl > now) break;
      pending.delete(id);
      rows.touch(PENDING_ROW + id);
    }
  };

  const vote = (entry: { tag: Uint8Array; holderKey: Uint8Array }, voter: number, batchId: Uint8Array, now: number): VoteOutcome => {
    const id = bytesToHex(entry.tag);
    const done = registered.get(id);
    if (done !== undefined) return { status: 'registered', registration: done };
    let p = pending.get(id);
    const fresh = p === undefined;
    if (p === undefined) p = { firstAt: Math.max(now, newest), candidates: [] };
    let c = p.candidates.find((x) => equalBytes(x.holderKey, entry.holderKey));
    if (c === undefined || !c.voters.includes(voter)) {
      // one candidate per voter: a vote for another holder key moves this voter's vote (its old candidate
      // goes when nobody else backs it), so candidates never outnumber voters and no vote is ever refused
      for (const other of p.candidates) if (other !== c) other.voters = other.voters.filter((v) => v !== voter);
      p.candidates = p.candidates.filter((x) => x === c || x.voters.length > 0);
      if (c === undefined) {
        c = { holderKey: entry.holderKey.slice(), voters: [] };
        p.candidates.push(c);
        p.candidates.sort((a, b) => compareBytes(a.holderKey, b.holderKey));
      }
      c.voters.push(voter);
      c.voters.sort((a, b) => a - b);
    }
    rows.touch(PENDING_ROW + id);
    if (c.voters.length >= threshold) {
      const registration: TagRegistration = { holderKey: c.holderKey, batchId: batchId.slice(), enrolledAt: now };
      registered.set(id, registration);
      if (!fresh) pending.delete(id);
      rows.touch(REGISTERED_ROW + id);
      return { status: 'registered', registration };
    }
    if (fresh) {
      pending.set(id, p);
      newest = p.firstAt;
      rows.touch(CLOCK_ROW);
    }
    return { status: 'pending', votes: c.voters.length };
  };

  const reject = (reason: RegistryRejection) => encodeRegistryResult({ status: 'rejected', reason });

  /** Checks and installs keyed entries (ascending keys); throws `CodecError` and changes nothing when they are malformed. */
  const restoreEntries = (entries: readonly StateEntry[]): void => {
    const nextRegistered = new Map<string, TagRegistration>();
    const nextPending: [string, Pending][] = [];
    const nextReplay = createReplayGuard();
    let nextNewest = 0;
    let prev: Uint8Array | undefined;
    for (const [i, entry] of entries.entries()) {
      const f = `entries[${i}]`;
      if (prev !== undefined && compareBytes(prev, entry.key) >= 0) throw new CodecError('CODEC_SCHEMA', 'State entries must have strictly ascending keys.');
      prev = entry.key;
      const row = bytesToUtf8(entry.key);
      const value = decode(entry.value, { maxBytes: 1 << 20 });
      let canonical: CborValue;
      if (row === CLOCK_ROW) {
        const a = readArray(value, `${f}.clock`, 1);
        nextNewest = readInt(a[0], `${f}.clock[0]`, 1);
        canonical = [nextNewest];
      } else {
        const id = row.slice(2);
        const prefix = row.slice(0, 2);
        if (prefix === REPLAY_ROW) {
          nextReplay.setRow(id, value);
          canonical = nextReplay.rowOf(id) as CborValue;
        } else {
          if (!/^[0-9a-f]{64}$/.test(id)) throw new CodecError('CODEC_SCHEMA', `${f} has a malformed tag.`);
          if (prefix === REGISTERED_ROW) {
            const r = readRegistration(value, `${f}.registration`);
            nextRegistered.set(id, r);
            canonical = registrationToCbor(r);
          } else if (prefix === PENDING_ROW) {
            const p = readPending(value, f, n, threshold);
            if (nextRegistered.has(id)) throw new CodecError('CODEC_SCHEMA', `${f}: a registered tag cannot also be undecided.`);
            nextPending.push([id, p]);
            canonical = pendingRow(p);
          } else throw new CodecError('CODEC_SCHEMA', `${f} has an unknown key.`);
        }
      }
      if (!equalBytes(encode(canonical), entry.value)) throw new CodecError('CODEC_NON_CANONICAL', `${f} is not in canonical form.`);
    }
    for (const [id, p] of nextPending) {
      if (p.firstAt > nextNewest) throw new CodecError('CODEC_SCHEMA', `Undecided tag ${id} is newer than the registry clock.`);
    }
    // expiry walks undecided tags oldest first: the same order on every replica, restored or not
    nextPending.sort(([a, p], [b, q]) => p.firstAt - q.firstAt || (a < b ? -1 : a > b ? 1 : 0));
    registered = nextRegistered;
    pending = new Map(nextPending);
    newest = nextNewest;
    replay = nextReplay;
    rows.reset();
  };

  const query = (bytes: Uint8Array): Uint8Array => {
    let q;
    try {
      q = decodeRegistryQuery(bytes);
    } catch (err) {
      if (err instanceof CodecError) return encodeRegistryQueryResult({ status: 'rejected', reason: 'malformed' });
      throw err;
    }
    let out: RegistryQueryResult;
    if (q.type === 'stats') out = { status: 'ok', stats: { registered: registered.size, pending: pending.size } };
    else if (q.committeeId !== committeeId) out = { status: 'rejected', reason: 'wrong_committee' };
    else out = { status: 'ok', registrations: q.tags.map((t) => registered.get(bytesToHex(t)) ?? null) };
    return encodeRegistryQueryResult(out);
  };

  return {
    name: 'identity-registry',
    deployment: options.deployment,

    async prepare(request: SignedRequest): Promise<PreparedRegistryRequest> {
      const authentic = await verifyRequest(crypto, request, deployment);
      let v: RegistryVote | undefined;
      try {
        v = decodeRegistryVote(request.op);
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        v = undefined;
      }
      return { request, authentic, vote: v };
    },

    execute(prepared: PreparedRegistryRequest, ctx: ExecuteContext): Uint8Array {
      const { request } = prepared;
      // a forged request, or one from a key that is not a member's, never touches state
      if (!prepared.authentic) return reject('invalid_signature');
      const voter = voterIndex.get(request.clientId);
      if (voter === undefined) return reject('not_voter');
      if (request.readOnly === true) return reject('malformed');
      if (!replay.isFresh(request.clientId, request.requestSeq)) return reject('replayed');
      replay.record(request.clientId, request.requestSeq);
      rows.touch(REPLAY_ROW + request.clientId);
      const v = prepared.vote;
      if (v === undefined) return reject('malformed');
      if (v.committeeId !== committeeId) return reject('wrong_committee');
      expire(ctx.timestamp);
      const outcomes = v.entries.map((e) => vote(e, voter, v.batchId, ctx.timestamp));
      return encodeRegistryResult({ status: 'ok', outcomes });
    },

    query,

    snapshot(): Uint8Array {
      return encode({ app: TAG_REGISTRY_SNAPSHOT, entries: allEntries().map((e) => [bytesToUtf8(e.key), e.value]) });
    },

    restore(snapshot: Uint8Array): void {
      const r = readRecord(decode(snapshot, { maxBytes: 1 << 30 }), 'snapshot', ['app', 'entries']);
      if (readString(r['app'], 'snapshot.app') !== TAG_REGISTRY_SNAPSHOT) throw new CodecError('CODEC_SCHEMA', 'Snapshot is not a tag registry snapshot.');
      const entries = readArray(r['entries'], 'snapshot.entries').map((e, i) => {
        const a = readArray(e, `snapshot.entries[${i}]`, 2);
        return { key: utf8ToBytes(readString(a[0], `snapshot.entries[${i}].key`, 256)), value: readBytes(a[1], `snapshot.entries[${i}].value`) };
      });
      restoreEntries(entries);
    },

    digest(): Digest {
      return rows.digest();
    },

    state: {
      takeChanges: () => rows.takeChanges(),
      entries: allEntries,
      restoreEntries(entries) {
        restoreEntries(entries);
        rows.track();
      },
    },

    registration(tag) {
      return registered.get(bytesToHex(tag));
    },
  };
}

function readPending(value: unknown, f: string, n: number, threshold: number): Pending {
  const a = readArray(value, `${f}.pending`, 2);
  if (a.length !== 2) throw new CodecError('CODEC_SCHEMA', `${f} must be [firstAt, candidates].`);
  const firstAt = readInt(a[0], `${f}.firstAt`);
  // each voter backs at most one candidate, so there are at most n of them
  const list = readArray(a[1], `${f}.candidates`, n);
  if (list.length === 0) throw new CodecError('CODEC_SCHEMA', `${f} has no candidates.`);
  const candidates = list.map((c, j): Candidate => {
    const cf = `${f}.candidates[${j}]`;
    const pair = readArray(c, cf, 2);
    if (pair.length !== 2) throw new CodecError('CODEC_SCHEMA', `${cf} must be [holderKey, voters].`);
    const voters = readArray(pair[1], `${cf}.voters`, threshold - 1).map((v, k) => readInt(v, `${cf}.voters[${k}]`, 0, n - 1));
    if (voters.length === 0 || voters.some((v, k) => k > 0 && v <= (voters[k - 1] as number))) throw new CodecError('CODEC_SCHEMA', `${cf}.voters must be ascending, unique and non-empty.`);
    return { holderKey: readBytes(pair[0], `${cf}.holderKey`, HOLDER_KEY_BYTES), voters };
  });
  for (let j = 1; j < candidates.length; j++) {
    if (compareBytes((candidates[j - 1] as Candidate).holderKey, (candidates[j] as Candidate).holderKey) >= 0) throw new CodecError('CODEC_SCHEMA', `${f}.candidates must be ascending by holder key.`);
  }
  const backed = candidates.flatMap((c) => c.voters);
  if (new Set(backed).size !== backed.length) throw new CodecError('CODEC_SCHEMA', `${f}: a voter backs at most one candidate.`);
  return { firstAt, candidates };
}
