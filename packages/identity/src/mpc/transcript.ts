/**
 * Signed preprocessing transcripts, and how a failed tuple check names the
 * member that cheated.
 *
 * The sacrifice check (see `preprocess.ts`) shows *that* a chunk's tuples
 * are wrong, not who made them so. With signing keys (the engine's
 * `signing` option) every member:
 * - draws its dealing randomness for rounds 0–4 of a chunk from five fresh
 *   32-byte seeds (a ChaCha20 stream each), so everything it sends in
 *   rounds 0–7 is a deterministic function of its seeds and of what it
 *   received;
 * - signs every message of rounds 0–7: the Ed25519 signature covers
 *   `[tag, phase, session, round, context, recipient, SHA-256(elements)]`
 *   (`recipient` is `''` for the broadcast rounds 5–7), so a receiver can
 *   later prove what it was sent;
 * - verifies every signature it receives, on receipt (a missing or bad one
 *   aborts the chunk with `THRESHOLD_PROTOCOL` naming the sender), and keeps
 *   each message's digest and signature until the chunk ends.
 *
 * When the check fails (z ≠ 0), or the members agreed on an alarm (a
 * member found its own share off what a check opening decoded to, see
 * `preprocess.ts` and `agreement.ts`), the chunk is discarded anyway, so its
 * secrets may be published: in one more round every member broadcasts its
 * seeds and the digests and signatures it received. Every member then
 * replays the whole chunk honestly from the revealed seeds (the same code,
 * over an in-process network) and compares each revealed, signed digest with
 * the digest the sender should have sent. Let R be the earliest round with a
 * mismatch; every sender of a mismatching message in round R is named. When
 * there is no mismatch at all, the alarm was false, and the members that
 * raised it are named instead (`preprocess.ts`).
 *
 * Why only cheaters are named: an honest member reveals its true seeds and
 * every message it received; if all of those match the replay (no mismatch
 * before R), it computed exactly what the replay computes, so each message
 * it sent in round R matches too — and a receiver cannot present a
 * different one, because the sender's signature covers the digest. (A member
 * that carried on with zeros after a check opening it could not decode
 * deviates too, but only after a mismatch no later than that opening, by the
 * next paragraph's argument: never in round R.) So the member that was dealt
 * a wrong share, whose later messages do not match the replay either, is not
 * named: the dealer's message to it is earlier. A revealed record whose
 * signature does not verify names its *revealer* (members verify on receipt,
 * so an honest one never holds such a record).
 *
 * Why someone is named: suppose every message to an honest member matches
 * the replay (whatever seeds the others revealed). Then, opening by opening,
 * every share an honest member uses lies on the replay's degree-t
 * polynomial, so nobody is suspected, every opening decodes exactly (at
 * most t of n ≥ 3t + 1 shares could be wrong, and none are), z = 0, and no
 * honest member's own share is off the decoded polynomial: no honest alarm.
 * So a failed check or an honest alarm needs a message to an honest member
 * that differs from the replay, and that member reveals it. Conversely, with
 * no mismatch anywhere, no honest member raised the alarm, so every
 * originator of an accepted alarm is malicious, and its signed FAIL shows it
 * raised one. A member lying in an opening does not put an honest member's
 * own share off the decoded polynomial (decoding is exact), so it raises no
 * honest alarm; Berlekamp–Welch names it, and the replay does too if the
 * chunk fails.
 *
 * Members that do not reveal within the round timeout are reported as not
 * having revealed (`meta.unrevealed`), and named only when no cheater is
 * found otherwise. Each member judges from what it received: a cheater that
 * reveals different seeds to different members is named by each of them.
 * @module
 */
import {
  concatBytes,
  encode,
  equalBytes,
  memoryNetwork,
  seededRandom,
  silentLogger,
  type Clock,
  type CryptoProvider,
  type Random,
} from '@admitone/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { createInbox, type RoundMessages } from './inbox.js';
import { bufferedRandom } from './random.js';
import type { MpcContext, RoundAddress } from './round.js';
import { SIGNATURE_BYTES } from './wire.js';

/** The signing keys of a committee's preprocessing transcripts (the engine's `signing` option, resolved). */
export interface TranscriptKeys {
  readonly crypto: CryptoProvider;
  /** This member's 32-byte Ed25519 secret key. */
  readonly secretKey: Uint8Array;
  /** Every member's Ed25519 public key, by member index. */
  readonly publicKeys: readonly Uint8Array[];
}

/** Rounds of a chunk whose messages are dealt per recipient (0–4); rounds 5–7 are broadcasts. */
export const DEALT_ROUNDS = 5;
/** Rounds of a chunk that are signed and revealed (0–7). */
export const SIGNED_ROUNDS = 8;

const SEED_BYTES = 32;
const DIGEST_BYTES = 32;
const RECORD_BYTES = DIGEST_BYTES + SIGNATURE_BYTES;
const ENTRY_TAG = 'admitone/mpc/transcript/v1';

/** One chunk's transcript: where its dealing randomness comes from, and what is signed and kept. */
export interface Transcript {
  /** This member's dealing randomness for chunk round `round` (absolute; 0–4 relative to the chunk). */
  dealingRandom(round: number): Random;
  /** Signs (or records) an outgoing message; `recipient` is a member index, or `null` for a broadcast. */
  outgoing(round: number, recipient: number | null, elements: Uint8Array): Promise<Uint8Array | undefined>;
  /**
   * Checks and keeps a round's incoming messages: every usable message must
   * carry a valid signature, else this rejects with the senders' indices.
   */
  incoming(round: number, dealt: boolean, messages: RoundMessages): Promise<number[]>;
  /** The revelation: seeds, then per round and other member a digest and signature (zeros when none). */
  reveal(): Uint8Array;
}

/** SHA-256 of `bytes`, natively (WebCrypto) when the runtime has it. */
async function digest(bytes: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return sha256(bytes);
  return new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/**
 * The bytes a preprocessing signature covers: `[tag, phase, session, round,
 * context, ...fields]` as canonical CBOR, so a signature made for one
 * purpose, session, chunk or round is never valid for another.
 */
export function statement(tag: string, at: RoundAddress, round: number, fields: readonly (string | Uint8Array)[]): Uint8Array {
  return encode([tag, at.phase, at.session, round, at.context, ...fields]);
}

/** The bytes a transcript signature covers. */
function entry(ctx: MpcContext, at: RoundAddress, round: number, recipient: number | null, elementsDigest: Uint8Array): Uint8Array {
  return statement(ENTRY_TAG, at, round, [recipient === null ? '' : (ctx.members[recipient] as string), elementsDigest]);
}

/** Bytes of a revelation for `n` members. */
export const revelationBytes = (n: number): number => DEALT_ROUNDS * SEED_BYTES + SIGNED_ROUNDS * (n - 1) * RECORD_BYTES;

/** A live, signing transcript for the chunk starting at session round `base`. */
export function signedTranscript(ctx: MpcContext, at: RoundAddress, base: number, keys: TranscriptKeys): Transcript {
  const seeds = Array.from({ length: DEALT_ROUNDS }, () => ctx.random.bytes(SEED_BYTES));
  const n = ctx.members.length;
  // records[round][sender] = digest ‖ signature of what that sender sent this member
  const records: (Uint8Array | undefined)[][] = Array.from({ length: SIGNED_ROUNDS }, () => new Array(n).fill(undefined));
  return {
    dealingRandom: (round) => dealingRandom(seeds, round - base),
    async outgoing(round, recipient, elements) {
      return keys.crypto.sign(entry(ctx, at, round, recipient, await digest(elements)), keys.secretKey);
    },
    async incoming(round, dealt, messages) {
      const bad: number[] = [];
      await Promise.all(
        messages.elements.map(async (elements, j) => {
          if (elements === null || elements === undefined) return;
          const signature = messages.signatures[j];
          const d = await digest(elements);
          const ok = signature !== undefined && (await keys.crypto.verify(signature, entry(ctx, at, round, dealt ? ctx.self : null, d), keys.publicKeys[j] as Uint8Array));
          if (!ok) bad.push(j);
          else (records[round - base] as (Uint8Array | undefined)[])[j] = concatBytes(d, signature);
        }),
      );
      return bad.sort((a, b) => a - b);
    },
    reveal() {
      const out = new Uint8Array(revelationBytes(n));
      seeds.forEach((seed, i) => out.set(seed, i * SEED_BYTES));
      let o = DEALT_ROUNDS * SEED_BYTES;
      for (const row of records) {
        for (let j = 0; j < n; j++) {
          if (j === ctx.self) continue;
          const record = row[j];
          if (record !== undefined) out.set(record, o);
          o += RECORD_BYTES;
        }
      }
      return out;
    },
  };
}

function dealingRandom(seeds: readonly Uint8Array[], relative: number): Random {
  const seed = seeds[relative];
  if (seed === undefined) throw new RangeError(`no dealing randomness for chunk round ${relative}`);
  return bufferedRandom(seededRandom(seed));
}

/** A parsed revelation. */
interface Revelation {
  readonly seeds: readonly Uint8Array[];
  /** records[round][sender]: digest and signature, or undefined. */
  readonly records: readonly (readonly ({ digest: Uint8Array; signature: Uint8Array } | undefined)[])[];
}

function parseRevelation(bytes: Uint8Array, n: number, revealer: number): Revelation | undefined {
  if (bytes.length !== revelationBytes(n)) return undefined;
  const seeds = Array.from({ length: DEALT_ROUNDS }, (_, i) => bytes.slice(i * SEED_BYTES, (i + 1) * SEED_BYTES));
  let o = DEALT_ROUNDS * SEED_BYTES;
  const records: ({ digest: Uint8Array; signature: Uint8Array } | undefined)[][] = [];
  for (let r = 0; r < SIGNED_ROUNDS; r++) {
    const row: ({ digest: Uint8Array; signature: Uint8Array } | undefined)[] = new Array(n).fill(undefined);
    for (let j = 0; j < n; j++) {
      if (j === revealer) continue;
      const record = bytes.subarray(o, o + RECORD_BYTES);
      o += RECORD_BYTES;
      if (record.every((b) => b === 0)) continue;
      row[j] = { digest: record.slice(0, DIGEST_BYTES), signature: record.slice(DIGEST_BYTES) };
    }
    records.push(row);
  }
  return { seeds, records };
}

/** What the blame analysis found. */
export interface Blame {
  /** Members proven to have sent a message their seeds and inputs do not explain, or to have revealed a forged record. */
  readonly culprits: readonly number[];
  /** Members whose revelation was missing or malformed. */
  readonly unrevealed: readonly number[];
  /** The chunk round (0–7) of the earliest deviation, if one was found. */
  readonly round: number | undefined;
}

/**
 * Runs one chunk's rounds 0–7 for a member whose context and address are
 * given; used to replay the chunk honestly.
 */
export type ChunkRunner = (ctx: MpcContext, at: RoundAddress) => Promise<unknown>;

/**
 * Analyses revelations (`revealed[j]`: member j's bytes, or null/undefined
 * when it sent nothing usable; this member's own included): replays the
 * chunk from the revealed seeds with `run` and blames as the module comment
 * describes.
 */
export async function blame(ctx: MpcContext, at: RoundAddress, base: number, keys: TranscriptKeys, revealed: readonly (Uint8Array | null | undefined)[], run: ChunkRunner): Promise<Blame> {
  const n = ctx.members.length;
  const parsed = revealed.map((bytes, j) => (bytes === null || bytes === undefined ? undefined : parseRevelation(bytes, n, j)));
  const unrevealed = parsed.flatMap((p, j) => (p === undefined ? [j] : []));
  if (unrevealed.length > 0) return { culprits: [], unrevealed, round: undefined };
  const revelations = parsed as Revelation[];

  // Replay the chunk honestly from everyone's seeds, recording what each member should have sent.
  const ideal = await replay(ctx, at, base, revelations, run);

  // Signatures on every revealed record; a forged one names its revealer.
  const forgers = new Set<number>();
  let earliest = SIGNED_ROUNDS;
  const mismatches: { round: number; sender: number }[] = [];
  await Promise.all(
    revelations.flatMap((rev, i) =>
      rev.records.flatMap((row, r) =>
        row.map(async (record, j) => {
          if (record === undefined) return;
          const dealt = r < DEALT_ROUNDS;
          const ok = await keys.crypto.verify(record.signature, entry(ctx, at, base + r, dealt ? i : null, record.digest), keys.publicKeys[j] as Uint8Array);
          if (!ok) {
            forgers.add(i);
            return;
          }
          const expected = ideal.get(key(r, j, dealt ? i : null));
          if (expected === undefined || !equalBytes(expected, record.digest)) {
            mismatches.push({ round: r, sender: j });
            earliest = Math.min(earliest, r);
          }
        }),
      ),
    ),
  );
  const culprits = new Set(forgers);
  for (const m of mismatches) if (m.round === earliest) culprits.add(m.sender);
  return { culprits: [...culprits].sort((a, b) => a - b), unrevealed: [], round: earliest < SIGNED_ROUNDS ? earliest : undefined };
}

const key = (round: number, sender: number, recipient: number | null): string => `${round}/${sender}/${recipient ?? '*'}`;

/** Runs the chunk for every member over an in-process network from the revealed seeds; returns the digest of every message sent. */
async function replay(ctx: MpcContext, at: RoundAddress, base: number, revelations: readonly Revelation[], run: ChunkRunner): Promise<Map<string, Uint8Array>> {
  const ideal = new Map<string, Uint8Array>();
  const net = memoryNetwork({ members: ctx.members, maxMessageBytes: ctx.transport.capabilities.maxMessageBytes });
  const transports = ctx.members.map((id) => net.transport(id));
  const inboxes = transports.map((transport) =>
    createInbox({ transport, clock: NEVER, logger: silentLogger(), timeoutMs: 1, maxBufferedBytes: Number.MAX_SAFE_INTEGER }),
  );
  try {
    await Promise.all(
      ctx.members.map((_, j) => {
        const inbox = inboxes[j] as ReturnType<typeof createInbox>;
        const seeds = (revelations[j] as Revelation).seeds;
        const transcript: Transcript = {
          dealingRandom: (round) => dealingRandom(seeds, round - base),
          async outgoing(round, recipient, elements) {
            ideal.set(key(round - base, j, recipient), await digest(elements));
            return undefined;
          },
          incoming: async () => [],
          reveal: () => new Uint8Array(0),
        };
        const session = inbox.open(at.phase, at.session);
        const simulated: MpcContext = { ...ctx, self: j, transport: transports[j] as MpcContext['transport'], inbox, random: NO_RANDOM, logger: silentLogger() };
        return run(simulated, { ...at, inbox: session, transcript }).finally(() => session.finish());
      }),
    );
  } finally {
    for (const inbox of inboxes) inbox.close();
    await net.close();
  }
  return ideal;
}

/** The replay never times out: every simulated member runs the same honest code. */
const NEVER: Clock = { now: () => 0, setTimeout: () => ({ cancel() {} }) };

/** The replay draws all randomness from the revealed seeds; anything else is a bug. */
const NO_RANDOM: Random = {
  bytes() {
    throw new Error('the preprocessing replay must not draw fresh randomness');
  },
  int() {
    throw new Error('the preprocessing replay must not draw fresh randomness');
  },
  float() {
    throw new Error('the preprocessing replay must not draw fresh randomness');
  },
};
