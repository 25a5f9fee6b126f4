/**
 * Distributed key generation over a {@link Transport}, wiring noble's FROST
 * DKG rounds (`suite.DKG.round1/round2/round3`, Pedersen DKG with proofs of
 * knowledge) to the network. No DKG maths here: only messaging, sealing and
 * blame.
 *
 * Rounds:
 * 1. every member broadcasts `{ p, s, r: 1, c: commitments, k: proof, e }`
 *    (noble's round-1 package without the identifier, which is derived from
 *    the authenticated sender, plus a fresh ephemeral x25519 key `e`);
 * 2. with every round-1 package in hand, each member sends each peer
 *    `{ p, s, r: 2, d: digests, x: sealed }`: `x` is noble's round-2 share
 *    for that peer, sealed ({@link sealTo}) to the peer's round-1 `e` with
 *    aad binding (sessionId, sender, recipient); `d` is the digest of every
 *    member's round-1 package as the sender saw it;
 * 3. each member checks every peer's digests against its own view, opens
 *    every share, then runs `round3` (which verifies each share against its
 *    sender's commitment); only if that fails does it check the shares one
 *    by one (`suite.validateSecret`) to name the senders.
 *
 * Blame (`THRESHOLD_PROTOCOL` with `culprits`): a malformed message or a bad
 * proof of knowledge names its sender; a share that does not open or fails
 * verification names its sender; differing round-1 digests name the member
 * whose package differs (an equivocating broadcaster). The transport's
 * authentication is not transferable, so a lying reporter could instead
 * frame a member in that last case: the error's `meta.reportedBy` says whose
 * report disagreed.
 * @module
 */
import type { DKG_Round1, DKG_Round2, DKG_Secret, FROST, Identifier, Key } from '@noble/curves/abstract/frost.js';
import { equalBytes } from '../bytes/index.js';
import { encode } from '../codec/cbor.js';
import { hash } from '../codec/hash.js';
import { readArray, readBytes, readInt, type CborRecord } from '../codec/schema.js';
import { silentLogger } from '../env/logger.js';
import { seededRandom } from '../env/random.js';
import type { Clock, Logger, Random } from '../env/types.js';
import { ThresholdError } from '../errors/index.js';
import type { PeerId, Transport } from '../transport/types.js';
import { X25519_KEY_BYTES, openSealed, sealTo, x25519KeyPair } from './seal.js';
import { broadcastOrLog, createRun, listenSession, memberPoints, protocolViolation, readSessionId, readTimeout, sendOrLog, sessionMessage } from './session.js';

/** Options of {@link runDkg}. */
export interface DkgOptions {
  /** noble's FROST suite: `ed25519_FROST` or `ristretto255_FROST`. */
  readonly suite: FROST;
  /** The committee's transport (authenticated; need not encrypt). */
  readonly transport: Transport;
  /** Tags this run's messages; every member must use the same, and never reuse it. */
  readonly sessionId: string;
  /** Minimum number of signers (`t + 1`), at least 2 and at most the number of members. */
  readonly threshold: number;
  /** Randomness for the polynomial, proofs and ephemeral keys (passed to noble as its RNG). */
  readonly random: Random;
  /** The clock for the timeout. */
  readonly clock: Clock;
  /** Give up after this long with `THRESHOLD_TIMEOUT` naming the members not heard from. */
  readonly timeoutMs: number;
  /** Diagnostics (member ids, rounds and codes only). Default: silent. */
  readonly logger?: Logger;
}

/** This member's result of {@link runDkg}. */
export interface DkgResult {
  /** noble's key package: the shared public package and this member's secret share. */
  readonly key: Key;
  /** The group public key (`key.public.commitments[0]`). */
  readonly groupPublicKey: Uint8Array;
  /** Each member's FROST identifier: `suite.Identifier.fromNumber(x)` with x from {@link memberPoints}. */
  readonly identifiers: Map<PeerId, Identifier>;
}

/** The protocol tag of DKG messages. */
export const DKG_PROTOCOL = 'admitone/dkg/v1';

/**
 * Runs a FROST DKG among `transport.members` and resolves with this
 * member's key package. Rejects with `THRESHOLD_PROTOCOL` naming culprits
 * (see the module notes), or `THRESHOLD_TIMEOUT` naming the members whose
 * round-1 or round-2 message is missing. Round state is erased with
 * `suite.DKG.clean` however the run ends. Bad options (threshold outside
 * `[2, n]`, not a FROST suite, empty session id) throw synchronously.
 *
 * @example
 * ```ts
 * import { ed25519_FROST } from '@noble/curves/ed25519.js';
 * const { key, groupPublicKey } = await runDkg({
 *   suite: ed25519_FROST, transport, sessionId: 'credential-key/1', threshold: 3,
 *   random: systemRandom(), clock: systemClock(), timeoutMs: 30_000,
 * });
 * ```
 */
export function runDkg(options: DkgOptions): Promise<DkgResult> {
  const { suite, transport, random, clock } = options;
  if (typeof suite?.DKG?.round1 !== 'function' || typeof suite.Identifier?.fromNumber !== 'function') {
    throw new TypeError('suite must be a noble FROST suite (e.g. ed25519_FROST)');
  }
  const sessionId = readSessionId(options.sessionId);
  const timeoutMs = readTimeout(options.timeoutMs);
  const logger = options.logger ?? silentLogger();
  const points = memberPoints(transport.members);
  const n = points.size;
  const threshold = options.threshold;
  if (!Number.isSafeInteger(threshold) || threshold < 2 || threshold > n) {
    throw new RangeError(`threshold must be an integer in [2, ${n}] (the number of members), got ${String(threshold)}`);
  }
  const self = transport.localId;
  if (!points.has(self)) throw new RangeError('transport.localId must be a member');
  const members = [...points.keys()];
  const peers = members.filter((id) => id !== self);
  const identifiers = new Map<PeerId, Identifier>(members.map((id) => [id, suite.Identifier.fromNumber(Number(points.get(id)))]));
  const myId = identifiers.get(self) as Identifier;
  const signers = { min: threshold, max: n };
  const rng = (length = 32): Uint8Array<ArrayBuffer> => new Uint8Array(random.bytes(length));

  const ephemeral = x25519KeyPair(random);
  const round1 = suite.DKG.round1(myId, signers, undefined, rng);
  const secret: DKG_Secret = round1.secret;
  const mine: Round1Message = { commitment: round1.public.commitment, proof: round1.public.proofOfKnowledge, ephemeral: ephemeral.publicKey };

  const r1 = new Map<PeerId, Round1Message>([[self, mine]]);
  const r2Pending = new Map<PeerId, CborRecord>(); // round-2 messages that arrived before our round 1 completed
  const shares = new Map<PeerId, Uint8Array>();
  let digests: Uint8Array[] | undefined; // per member (sorted), once round 1 is complete

  const run = createRun<DkgResult>(
    clock,
    timeoutMs,
    () => {
      const round = digests === undefined ? 1 : 2;
      const missing = peers.filter((id) => (round === 1 ? !r1.has(id) : !shares.has(id)));
      return new ThresholdError('THRESHOLD_TIMEOUT', `DKG timed out in round ${round} waiting for ${missing.length} member(s).`, {
        culprits: missing,
        meta: { protocol: DKG_PROTOCOL, sessionId, round },
      });
    },
    () => {
      unsubscribe();
      suite.DKG.clean(secret);
      ephemeral.secretKey.fill(0);
      for (const share of shares.values()) share.fill(0);
    },
  );
  const fail = (culprit: PeerId, what: string, meta: Record<string, unknown> = {}): void => {
    const error = protocolViolation(DKG_PROTOCOL, culprit, what);
    run.reject(Object.keys(meta).length === 0 ? error : withMeta(error, meta));
  };

  const onRound1 = (from: PeerId, record: CborRecord): void => {
    let message: Round1Message;
    try {
      message = readRound1(record, threshold);
    } catch {
      fail(from, 'sent a malformed round-1 message');
      return;
    }
    const previous = r1.get(from);
    if (previous !== undefined) {
      if (!sameRound1(previous, message)) fail(from, 'sent two different round-1 messages');
      return;
    }
    r1.set(from, message);
    if (r1.size === n) startRound2();
  };

  const startRound2 = (): void => {
    digests = members.map((id) => round1Digest(sessionId, id, r1.get(id) as Round1Message));
    const others = peers.map((id) => toNoblePackage(identifiers.get(id) as Identifier, r1.get(id) as Round1Message));
    let packages: Record<string, DKG_Round2>;
    try {
      packages = suite.DKG.round2(secret, others);
    } catch {
      const bad = findBadRound1(suite, threshold, new Map(peers.map((id, i) => [id, others[i] as DKG_Round1])));
      run.reject(
        new ThresholdError('THRESHOLD_PROTOCOL', `${DKG_PROTOCOL}: invalid round-1 package (bad proof of knowledge or commitment).`, {
          culprits: bad,
          meta: { protocol: DKG_PROTOCOL, sessionId, round: 1 },
        }),
      );
      return;
    }
    logger.debug('dkg round 1 complete', { sessionId });
    for (const peer of peers) {
      const share = packages[identifiers.get(peer) as Identifier]?.signingShare;
      if (share === undefined) {
        run.reject(new ThresholdError('THRESHOLD_PROTOCOL', `${DKG_PROTOCOL}: noble produced no round-2 package for a member.`, { culprits: [] }));
        return;
      }
      let sealed: Uint8Array;
      try {
        sealed = sealTo((r1.get(peer) as Round1Message).ephemeral, share, round2Aad(sessionId, self, peer), random);
      } catch {
        fail(peer, 'published an unusable ephemeral key');
        return;
      } finally {
        share.fill(0);
      }
      sendOrLog(transport, peer, sessionMessage(DKG_PROTOCOL, sessionId, { r: 2, d: digests, x: sealed }), run, logger);
    }
    for (const [from, record] of r2Pending) onRound2(from, record);
    r2Pending.clear();
  };

  const onRound2 = (from: PeerId, record: CborRecord): void => {
    if (digests === undefined) {
      if (!r2Pending.has(from)) r2Pending.set(from, record);
      return;
    }
    if (shares.has(from)) return; // a duplicate; the first one was checked
    let theirs: Uint8Array[];
    let sealed: Uint8Array;
    try {
      theirs = readArray(record['d'], 'd', n).map((d, i) => readBytes(d, `d[${i}]`, 32));
      sealed = readBytes(record['x'], 'x');
      if (theirs.length !== n) throw new RangeError('wrong digest count');
    } catch {
      fail(from, 'sent a malformed round-2 message');
      return;
    }
    const differing = members.filter((_, i) => !equalBytes(theirs[i] as Uint8Array, (digests as Uint8Array[])[i] as Uint8Array));
    if (differing.length > 0) {
      run.reject(
        new ThresholdError('THRESHOLD_PROTOCOL', `${DKG_PROTOCOL}: members saw different round-1 messages (equivocation).`, {
          culprits: differing,
          meta: { protocol: DKG_PROTOCOL, sessionId, round: 1, reportedBy: from },
        }),
      );
      return;
    }
    let share: Uint8Array;
    try {
      share = openSealed(ephemeral.secretKey, sealed, round2Aad(sessionId, from, self));
    } catch {
      fail(from, 'sent a round-2 share that cannot be opened', { round: 2 });
      return;
    }
    shares.set(from, share);
    if (shares.size === peers.length) finish();
  };

  const finish = (): void => {
    const others = peers.map((id) => toNoblePackage(identifiers.get(id) as Identifier, r1.get(id) as Round1Message));
    const received = peers.map((id) => ({ identifier: identifiers.get(id) as Identifier, signingShare: shares.get(id) as Uint8Array }));
    let key: Key;
    try {
      // round3 verifies every share against its sender's commitment (and fails without naming anyone).
      key = suite.DKG.round3(secret, others, received);
    } catch (cause) {
      const bad = peers.filter((id) => !shareVerifies(id));
      run.reject(
        bad.length > 0
          ? new ThresholdError('THRESHOLD_PROTOCOL', `${DKG_PROTOCOL}: round-2 share(s) fail verification against their sender's commitment.`, {
              culprits: bad,
              meta: { protocol: DKG_PROTOCOL, sessionId, round: 2 },
            })
          : new ThresholdError('THRESHOLD_PROTOCOL', `${DKG_PROTOCOL}: round 3 failed.`, { cause, meta: { protocol: DKG_PROTOCOL, sessionId, round: 3 } }),
      );
      return;
    }
    logger.debug('dkg complete', { sessionId });
    run.resolve({ key, groupPublicKey: (key.public.commitments[0] as Uint8Array).slice(), identifiers });
  };

  /** Blame: does `from`'s share verify against its round-1 commitment (noble's vss_verify)? */
  const shareVerifies = (from: PeerId): boolean => {
    try {
      const signingShare = shares.get(from) as Uint8Array;
      suite.validateSecret({ identifier: myId, signingShare }, { signers, commitments: (r1.get(from) as Round1Message).commitment, verifyingShares: {} });
      return true;
    } catch {
      return false;
    }
  };

  const unsubscribe = listenSession(transport, DKG_PROTOCOL, sessionId, (from, record) => {
    if (run.settled) return;
    let round: number;
    try {
      round = readInt(record['r'], 'r', 1, 2);
    } catch {
      fail(from, 'sent a message for an unknown round');
      return;
    }
    if (round === 1) onRound1(from, record);
    else onRound2(from, record);
  });

  // Round 1: broadcast (the handler is already subscribed).
  const bytes = sessionMessage(DKG_PROTOCOL, sessionId, { r: 1, c: mine.commitment, k: mine.proof, e: mine.ephemeral });
  broadcastOrLog(transport, bytes, run, logger);
  return run.promise;
}

// ---------------------------------------------------------------------------
// helpers

interface Round1Message {
  readonly commitment: Uint8Array[];
  readonly proof: Uint8Array;
  readonly ephemeral: Uint8Array;
}

/** Longest accepted point or proof encoding (bounds memory; noble validates the content). */
const MAX_ELEMENT_BYTES = 128;

function readRound1(record: CborRecord, threshold: number): Round1Message {
  const commitment = readArray(record['c'], 'c', threshold).map((c, i) => readBytes(c, `c[${i}]`));
  if (commitment.length !== threshold) throw new RangeError('wrong commitment count');
  const proof = readBytes(record['k'], 'k');
  if (proof.length > MAX_ELEMENT_BYTES || commitment.some((c) => c.length > MAX_ELEMENT_BYTES)) throw new RangeError('element too long');
  return { commitment, proof, ephemeral: readBytes(record['e'], 'e', X25519_KEY_BYTES) };
}

function sameRound1(a: Round1Message, b: Round1Message): boolean {
  return (
    equalBytes(a.proof, b.proof) &&
    equalBytes(a.ephemeral, b.ephemeral) &&
    a.commitment.length === b.commitment.length &&
    a.commitment.every((c, i) => equalBytes(c, b.commitment[i] as Uint8Array))
  );
}

function toNoblePackage(identifier: Identifier, m: Round1Message): DKG_Round1 {
  return { identifier, commitment: m.commitment.map((c) => new Uint8Array(c)), proofOfKnowledge: new Uint8Array(m.proof) };
}

function round1Digest(sessionId: string, member: PeerId, m: Round1Message): Uint8Array {
  return hash(encode([`${DKG_PROTOCOL}/round1`, sessionId, member, m.commitment, m.proof, m.ephemeral]));
}

function round2Aad(sessionId: string, from: PeerId, to: PeerId): Uint8Array {
  return encode([`${DKG_PROTOCOL}/round2`, sessionId, from, to]);
}

function withMeta(error: ThresholdError, meta: Record<string, unknown>): ThresholdError {
  return new ThresholdError(error.code, error.shortMessage, { culprits: error.culprits, meta: { ...error.meta, ...meta } });
}

/**
 * Which round-1 packages noble rejects, one at a time: each is run through
 * `round2` of a throwaway participant (public, deterministic randomness)
 * together with valid filler packages, so that a failure can only come from
 * the package under test.
 */
function findBadRound1(suite: FROST, threshold: number, packages: ReadonlyMap<PeerId, DKG_Round1>): PeerId[] {
  const rng = seededRandom('admitone/dkg/blame');
  const scratchRng = (length = 32): Uint8Array<ArrayBuffer> => new Uint8Array(rng.bytes(length));
  const signers = { min: threshold, max: threshold };
  const base = 2 ** 40; // far from member identifiers (1..n)
  const filler: DKG_Round1[] = [];
  for (let k = 0; k < threshold - 2; k++) filler.push(suite.DKG.round1(suite.Identifier.fromNumber(base + 1 + k), signers, undefined, scratchRng).public);
  const bad: PeerId[] = [];
  for (const [peer, pkg] of packages) {
    const scratch = suite.DKG.round1(suite.Identifier.fromNumber(base), signers, undefined, scratchRng).secret;
    try {
      suite.DKG.round2(scratch, [pkg, ...filler]);
    } catch {
      bad.push(peer);
    } finally {
      suite.DKG.clean(scratch);
    }
  }
  return bad;
}
