/**
 * Agreement on discarding a preprocessing chunk: a Dolev–Strong
 * authenticated broadcast of the members' alarms, run after the tuple check
 * when preprocessing transcripts are signed (the engine's `signing` option).
 *
 * Why: a member whose *own* share disagrees with what a check opening
 * decodes to was dealt a wrong share (see `preprocess.ts`), so the chunk
 * must go. The others may see nothing wrong (the opened values are right;
 * robust openings merely correct that member), and a local verdict is not
 * enough: every honest member must discard the chunk or none may, and a
 * malicious member could otherwise tell some members and not others.
 *
 * The protocol takes t + 1 rounds, `first … first + t`. Every message is a
 * broadcast of a list of *chains*; a chain is a list of signatures by
 * distinct members, the first by its *originator*:
 * - round 1: a member whose alarm is raised sends `[its FAIL]`;
 * - round k = 2 … t + 1: for every originator whose chain it first accepted
 *   in round k − 1, a member appends its own RELAY signature and sends the
 *   chain (k links) to everyone;
 * - in round k a chain is accepted only with exactly k links by distinct
 *   members: link 1 the originator's FAIL for round `first`, link ℓ a RELAY
 *   of that originator's alarm for round `first + ℓ − 1`.
 * After round t + 1 the result is the set of originators accepted (with this
 * member itself if it raised the alarm); the chunk is discarded iff it is
 * not empty. On the happy path every message is an empty list.
 *
 * Agreement, with at most t malicious members (Dolev–Strong, per
 * originator): if an honest member accepts an originator's chain in round
 * k ≤ t, it relays it in round k + 1 to every member, who all accept it
 * then; if it accepts one in round t + 1, the chain has t + 1 distinct
 * signers, so one of them is honest, and that member sent a chain for the
 * originator to everyone in the round it signed — every signature binds its
 * round, so it cannot be moved to a later link — and every honest member
 * accepted the originator by then. So every honest member ends with the same
 * set. Signatures cover `[tag, phase, session, round, context, role,
 * originator]` (`statement` in `transcript.ts`): a FAIL from another chunk,
 * session or round is worthless here, and a RELAY cannot pass for a FAIL, so
 * a member is an originator only if it really raised the alarm. That makes
 * an originator's FAIL transferable evidence, which `preprocess.ts` uses to
 * name false alarms.
 *
 * Wire: the chains travel in the engine message's element bytes (so every
 * message passes the wire and inbox checks). A link is 96 bytes: the signer's
 * member index as one packed 32-byte element (below n), then its 64-byte
 * Ed25519 signature. A round-k message is a whole number of k-link chains, at
 * most n. A message that does not parse, or holds a chain that does not
 * verify, is dropped whole (counted as `malformed`) and its sender named in a
 * warning; it never aborts the chunk, since an abort at only the members that
 * received it would split the decision this protocol exists to make. A
 * member that stays silent makes the round time out, as in every other
 * round.
 * @module
 */
import type { PeerId } from '@admitone/core';
import { broadcastRound, type MpcContext, type RoundAddress } from './round.js';
import { statement, type TranscriptKeys } from './transcript.js';
import { ELEMENT_BYTES, SIGNATURE_BYTES, packElements, unpackElements } from './wire.js';

/** Rounds the alarm agreement takes at degree t: t + 1. */
export const agreementRounds = (degree: number): number => degree + 1;

/**
 * Runs the agreement in rounds `first … first + t` (`at` must carry no
 * transcript: these messages are not part of it) and returns the
 * originators of the alarms this member accepted, the same set at every
 * honest member (member indices, ascending; this member among them when
 * `raised`).
 */
export async function agreeOnAlarm(ctx: MpcContext, at: RoundAddress, first: number, keys: TranscriptKeys, raised: boolean): Promise<number[]> {
  const accepted = new Set<number>();
  let outgoing: Chain[] = [];
  if (raised) {
    accepted.add(ctx.self);
    outgoing.push([{ signer: ctx.self, signature: await keys.crypto.sign(alarmStatement(ctx, at, first, first, ctx.self), keys.secretKey) }]);
  }
  const last = first + agreementRounds(ctx.degree) - 1;
  for (let round = first; ; round++) {
    const received = await broadcastRound(ctx, at, round, encodeChains(outgoing));
    const fresh = await acceptChains(ctx, at, first, round, keys, received, accepted);
    if (round === last) break;
    outgoing = await Promise.all(
      fresh.map(async (chain) => {
        const originator = (chain[0] as Link).signer;
        const signature = await keys.crypto.sign(alarmStatement(ctx, at, first, round + 1, originator), keys.secretKey);
        return [...chain, { signer: ctx.self, signature }];
      }),
    );
  }
  return [...accepted].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------

const ALARM_TAG = 'admitone/mpc/alarm/v1';
const LINK_BYTES = ELEMENT_BYTES + SIGNATURE_BYTES;

interface Link {
  readonly signer: number;
  readonly signature: Uint8Array;
}
type Chain = readonly Link[];

/** What link `round − first` of an originator's chain signs: its FAIL in round `first`, a RELAY after. */
function alarmStatement(ctx: MpcContext, at: RoundAddress, first: number, round: number, originator: number): Uint8Array {
  return statement(ALARM_TAG, at, round, [round === first ? 'fail' : 'relay', ctx.members[originator] as string]);
}

/**
 * Checks round `round`'s messages (chains of `round − first + 1` links) and
 * adds the originators of valid chains to `accepted`; returns one chain per
 * originator accepted for the first time (to relay). Unusable messages are
 * dropped whole and their senders named.
 */
async function acceptChains(
  ctx: MpcContext,
  at: RoundAddress,
  first: number,
  round: number,
  keys: TranscriptKeys,
  received: readonly (Uint8Array | null | undefined)[],
  accepted: Set<number>,
): Promise<Chain[]> {
  const n = ctx.members.length;
  const links = round - first + 1;
  const bad = new Set<number>();
  const usable: { sender: number; chains: Chain[] }[] = [];
  await Promise.all(
    received.map(async (bytes, sender) => {
      // null: the sender disagrees about the session (the inbox counted and logged it)
      if (sender === ctx.self || bytes === null || bytes === undefined) return;
      const chains = decodeChains(bytes, links, n);
      if (chains === undefined) {
        bad.add(sender);
        return;
      }
      // only chains that could add an originator are worth verifying
      const news = chains.filter((chain) => !accepted.has((chain[0] as Link).signer));
      const valid = await Promise.all(news.map((chain) => verifyChain(ctx, at, first, keys, chain)));
      if (valid.every(Boolean)) usable.push({ sender, chains: news });
      else bad.add(sender);
    }),
  );
  if (bad.size > 0) {
    const culprits = [...bad].sort((a, b) => a - b);
    for (const j of culprits) at.inbox.reject(j);
    ctx.logger.warn('mpc preprocessing alarm message unusable', { session: at.inbox.id, round, culprits: culprits.map((j) => ctx.members[j] as PeerId) });
  }
  const fresh: Chain[] = [];
  usable.sort((a, b) => a.sender - b.sender);
  for (const { chains } of usable) {
    for (const chain of chains) {
      const originator = (chain[0] as Link).signer;
      if (accepted.has(originator)) continue;
      accepted.add(originator);
      fresh.push(chain);
    }
  }
  return fresh;
}

/** Whether every link's signature is its signer's, over the statement for its position. */
async function verifyChain(ctx: MpcContext, at: RoundAddress, first: number, keys: TranscriptKeys, chain: Chain): Promise<boolean> {
  const originator = (chain[0] as Link).signer;
  const checks = await Promise.all(
    chain.map((link, l) => keys.crypto.verify(link.signature, alarmStatement(ctx, at, first, first + l, originator), keys.publicKeys[link.signer] as Uint8Array)),
  );
  return checks.every(Boolean);
}

function encodeChains(chains: readonly Chain[]): Uint8Array {
  const size = chains.reduce((sum, chain) => sum + chain.length * LINK_BYTES, 0);
  const out = new Uint8Array(size);
  let o = 0;
  for (const chain of chains) {
    for (const link of chain) {
      out.set(packElements([BigInt(link.signer)]), o);
      out.set(link.signature, o + ELEMENT_BYTES);
      o += LINK_BYTES;
    }
  }
  return out;
}

/**
 * Parses a message of chains with `links` links each: undefined unless it
 * holds a whole number of them, at most `n`, with distinct originators, and
 * every chain's signers are distinct members.
 */
function decodeChains(bytes: Uint8Array, links: number, n: number): Chain[] | undefined {
  const size = links * LINK_BYTES;
  if (bytes.length % size !== 0 || bytes.length / size > n) return undefined;
  const chains: Chain[] = [];
  const originators = new Set<number>();
  for (let o = 0; o < bytes.length; o += size) {
    const chain: Link[] = [];
    const signers = new Set<number>();
    for (let l = 0; l < links; l++) {
      const start = o + l * LINK_BYTES;
      const signer = unpackElements(bytes.subarray(start, start + ELEMENT_BYTES), 1, BigInt(n))?.[0];
      if (signer === undefined || signers.has(Number(signer))) return undefined;
      signers.add(Number(signer));
      chain.push({ signer: Number(signer), signature: bytes.slice(start + ELEMENT_BYTES, start + LINK_BYTES) });
    }
    const originator = (chain[0] as Link).signer;
    if (originators.has(originator)) return undefined;
    originators.add(originator);
    chains.push(chain);
  }
  return chains;
}
