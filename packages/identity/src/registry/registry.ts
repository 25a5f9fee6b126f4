/**
 * Where a committee member records and looks up enrolled master tags: the
 * {@link TagRegistry} seam, with a registry kept by each member
 * ({@link localTagRegistry}, the default) and one ordered by consensus
 * ({@link ledgerTagRegistry}, over {@link createTagRegistryApp}).
 * @module
 */
import { type Clock, type Storage, bytesToHex, systemClock } from '@admitone/core';
import { IdentityError } from '../errors.js';
import { type RegistryEntry, lookupTag, registerOp } from '../committee/registry.js';
import {
  MAX_REGISTRY_ENTRIES,
  decodeRegistryQueryResult,
  decodeRegistryResult,
  encodeRegistryQuery,
  encodeRegistryVote,
  type TagRegistration,
  type TagVoteEntry,
} from './codec.js';

/**
 * The registry of enrolled master tags, as a committee member uses it. A
 * member issues a master credential only when the tag's registration names
 * the requester's holder key.
 */
export interface TagRegistry {
  /**
   * Asks to register each entry's tag to its holder key, as computed in
   * issuance batch `batchId` at batch time `time` (a ledger uses its own
   * agreed time instead). Resolves, per entry, with
   * the tag's registration once it is decided (to this holder key, or to
   * another one: then the request is a duplicate), or `undefined` when it was
   * not decided in time. Durable before it resolves.
   */
  register(batch: { readonly batchId: Uint8Array; readonly time: number; readonly entries: readonly TagVoteEntry[] }): Promise<readonly (TagRegistration | undefined)[]>;
  /** The registrations of `tags` (`undefined` where a tag is not registered). */
  lookup(tags: readonly Uint8Array[]): Promise<readonly (TagRegistration | undefined)[]>;
}

/**
 * The registry kept by one member in its own {@link Storage}: every member
 * decides alone, in the coordinator's batch order. Members agree as long as
 * each has processed every batch. A member that missed some (it was down, or
 * a lying coordinator kept them from it) disagrees with the others, and a
 * lying coordinator can then get a duplicate signed together with it. Use
 * {@link ledgerTagRegistry} when that matters.
 */
export function localTagRegistry(storage: Storage): TagRegistry {
  return {
    async register({ batchId, time, entries }) {
      const out: TagRegistration[] = [];
      const ops = [];
      const now = new Map<string, TagRegistration>();
      for (const { tag, holderKey } of entries) {
        const key = bytesToHex(tag);
        const existing = now.get(key) ?? (await lookupTag(storage, tag));
        if (existing !== undefined) {
          out.push(asRegistration(existing));
          continue;
        }
        const registration = { holderKey: holderKey.slice(), batchId: batchId.slice(), enrolledAt: time };
        now.set(key, registration);
        ops.push(registerOp(tag, registration));
        out.push(registration);
      }
      if (ops.length > 0) await storage.batch(ops); // durable before anyone learns the outcome
      return out;
    },
    async lookup(tags) {
      return Promise.all(
        tags.map(async (tag) => {
          const e = await lookupTag(storage, tag);
          return e === undefined ? undefined : asRegistration(e);
        }),
      );
    },
  };
}

/** A stored record as a registration (records written before batch ids were kept get an all-zero id). */
function asRegistration(e: RegistryEntry): TagRegistration {
  return { holderKey: e.holderKey, batchId: e.batchId ?? new Uint8Array(16), enrolledAt: e.enrolledAt };
}

/** What {@link ledgerTagRegistry} needs from a consensus client (PBFT's `createClient` gives it). */
export interface RegistryLedger {
  /** Orders an operation and resolves with its committed result. */
  submit(op: Uint8Array): Promise<Uint8Array>;
  /** Answers a read-only query. */
  read(query: Uint8Array): Promise<Uint8Array>;
}

/** Options of {@link ledgerTagRegistry}. */
export interface LedgerTagRegistryOptions {
  /** A consensus client, signing with this member's ledger key (one of the app's `voters`). */
  readonly ledger: RegistryLedger;
  /** The committee (as configured in the app). */
  readonly committeeId: string;
  /** How long to wait for the other members' votes to decide a tag. Default 10 s. */
  readonly timeoutMs?: number;
  /** First delay between lookups while waiting; it doubles up to 200 ms. Default 5 ms. */
  readonly pollMs?: number;
  /** Time, for the waits. Default {@link systemClock}. */
  readonly clock?: Clock;
}

/**
 * A {@link TagRegistry} on a consensus ledger running
 * {@link createTagRegistryApp}: the member votes for its batch's tags, and a
 * tag is registered once t + 1 members voted for the same holder key. All
 * members read the same registrations, so a member that was down or was kept
 * out of batches by a lying coordinator still refuses duplicates, and no t
 * members can register or re-register a tag on their own.
 *
 * Errors: a vote the ledger refuses (`not_voter`, `wrong_committee`, …)
 * rejects with `IDENTITY_CONFIG`; a ledger that cannot be reached rejects
 * with whatever the client throws, and the member then refuses the batch as
 * `unavailable`.
 */
export function ledgerTagRegistry(options: LedgerTagRegistryOptions): TagRegistry {
  const { ledger, committeeId } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pollMs = options.pollMs ?? 5;
  const clock = options.clock ?? systemClock();
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

  const lookup = async (tags: readonly Uint8Array[]): Promise<(TagRegistration | undefined)[]> => {
    const out: (TagRegistration | undefined)[] = [];
    for (let i = 0; i < tags.length; i += MAX_REGISTRY_ENTRIES) {
      const answer = decodeRegistryQueryResult(await ledger.read(encodeRegistryQuery({ type: 'lookup', committeeId, tags: tags.slice(i, i + MAX_REGISTRY_ENTRIES) })));
      if (answer.status === 'rejected') throw new IdentityError('IDENTITY_CONFIG', `The tag registry refused the lookup (${answer.reason}).`, { meta: { reason: answer.reason } });
      if (!('registrations' in answer)) throw new IdentityError('IDENTITY_PROTOCOL', 'The tag registry answered a lookup with something else.');
      for (const r of answer.registrations) out.push(r ?? undefined);
    }
    return out;
  };

  return {
    async register({ batchId, entries }) {
      const out: (TagRegistration | undefined)[] = [];
      for (let i = 0; i < entries.length; i += MAX_REGISTRY_ENTRIES) {
        const chunk = entries.slice(i, i + MAX_REGISTRY_ENTRIES);
        const result = decodeRegistryResult(await ledger.submit(encodeRegistryVote({ type: 'vote', committeeId, batchId, entries: chunk })));
        if (result.status === 'rejected') throw new IdentityError('IDENTITY_CONFIG', `The tag registry refused this member's vote (${result.reason}).`, { meta: { reason: result.reason } });
        if (result.outcomes.length !== chunk.length) throw new IdentityError('IDENTITY_PROTOCOL', 'The tag registry answered a vote with the wrong number of outcomes.');
        for (const o of result.outcomes) out.push(o.status === 'registered' ? o.registration : undefined);
      }
      // the other members' votes decide the rest: read until they are in, or time runs out
      const deadline = clock.now() + timeoutMs;
      let delay = pollMs;
      for (;;) {
        const open = out.flatMap((r, i) => (r === undefined ? [i] : []));
        if (open.length === 0 || clock.now() >= deadline) break;
        await sleep(Math.min(delay, Math.max(1, deadline - clock.now())));
        delay = Math.min(delay * 2, 200);
        const found = await lookup(open.map((i) => (entries[i] as TagVoteEntry).tag));
        open.forEach((i, j) => (out[i] = found[j]));
      }
      return out;
    },
    lookup,
  };
}
