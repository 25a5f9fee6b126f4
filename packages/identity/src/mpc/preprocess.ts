/**
 * Preprocessing: random power tuples `([r], [r²], …, [r⁷])`, shared with
 * degree t, independent of any input.
 *
 * - Round 0 (joint random sharing): every member deals a fresh degree-t
 *   sharing of a random value per tuple; `[r]` is the sum of all dealings, so
 *   `r` is uniform and unknown as long as one dealer is honest.
 * - Rounds 1–3 (multiplication with degree reduction): the local products
 *   of shares are points on a degree-2t polynomial whose value at 0 is the
 *   product, so any 2t + 1 of them determine it. The *resharers* — the
 *   2t + 1 members with the smallest points (needs n ≥ 2t + 1) — each
 *   re-share their local product with a fresh degree-t sharing; every member
 *   combines the sub-shares it receives with the Lagrange weights at 0 over
 *   the resharers' points. (Members outside that set send an empty vector,
 *   so every round is still one message per peer; using 2t + 1 resharers
 *   instead of all n saves a quarter of the dealing work at n = 4.)
 *   Vectorised as `r²`; then `r³ = r²·r`, `r⁴ = r²·r²`; then
 *   `r⁵, r⁶, r⁷ = r⁴·(r, r², r³)`.
 *
 * - Rounds 4–7 (verification by sacrifice, on by default): rounds 0–3 make
 *   twice the tuples asked for, and every kept tuple `r` is checked against
 *   a sacrificed one `s`. A joint random `[u]` is dealt only now, when every
 *   tuple share is fixed, and opened; it gives public challenges α, γ, β.
 *   Then `ρ = α·r − s` is opened for each pair (uniform, since `s` is never
 *   used again), and one combination is opened,
 *   `Σ_m β^m Σ_{k=2..7} γ^k (α^k [r_m^k] − Σ_{j=0..k} C(k,j) ρ_m^(k−j) [s_m^j])`
 *   (`s⁰ = 1`). It is 0 when every tuple is right. An error `e` in some
 *   `[r^k]` or `f` in some `[s^j]`, fixed before `u` existed, leaves a
 *   non-zero polynomial of degree below `count + 20` in the challenges, so
 *   the check fails except with probability below `(count + 20)/p` (about
 *   2⁻²⁴¹ for a 4,096-tuple chunk). An error in a product propagates into
 *   the powers built on it and may make the opened value depend on `r` or
 *   `s`; the batch is then discarded, so nothing it reveals is ever used.
 *   All openings are robust (Berlekamp–Welch), so a member lying in them is
 *   corrected and named as usual.
 * - Rounds 8 … 8 + t (signed chunks only: verification with the engine's
 *   `signing` option): the members agree on whether anyone raised an
 *   *alarm* (Dolev–Strong, see `agreement.ts`). Then, if the chunk failed,
 *   one more round reveals its transcript (see `transcript.ts`).
 *
 * Security: with verification, a malicious member that adds errors to its
 * dealings or re-sharings makes the batch fail with
 * `THRESHOLD_INCONSISTENT_SHARES` instead of producing tuples that would
 * give wrong outputs (abort, not correction). Without verification it is
 * secure against semi-honest members only (honest majority): such errors go
 * undetected. Members that follow the protocol learn nothing about the kept
 * `r` either way. Malformed or missing messages abort the batch
 * (`THRESHOLD_PROTOCOL` / `THRESHOLD_TIMEOUT` naming the member). Every
 * message of rounds 0–4 carries secret shares and must travel over a
 * confidential channel.
 *
 * The check shows *that* a tuple is wrong, not who made it so, and one error
 * leaves every tuple right: a wrong share dealt to a single honest member
 * whose share feeds nobody else (a member outside the resharers, or anyone
 * in rounds 3 and 4). Then z = 0, and robust openings correct that member's
 * share ever after and name it, an honest member, as a suspect (the
 * *framing gap*). Only the member itself can tell: its own share is off the
 * polynomial an opening decodes to. With signed transcripts:
 * - a member raises the alarm when Berlekamp–Welch puts its own share off
 *   the decoded polynomial in a check opening (rounds 5–7: `u`; `ρ`, which
 *   covers every `[r]` and `[s]`; and z, which weighs every higher power of
 *   every tuple with random coefficients fixed after the shares, so a wrong
 *   share of any power shows in one of them except with negligible
 *   probability), or when a check opening cannot be decoded at all; it then
 *   carries on (zeros in place of an undecodable result) so that every member
 *   reaches the agreement;
 * - the agreement gives every honest member the same set of alarm
 *   originators; the chunk fails when that set is not empty or z ≠ 0 (z
 *   needs no agreement: every honest member decodes the same z);
 * - a failed chunk is revealed and replayed, and whoever sent the earliest
 *   message its seeds and inputs do not explain is named; the check
 *   openings' suspects are dropped (they include the victim). If the replay
 *   finds no deviation at all, the alarm was false and its originators are
 *   named (`meta.falseAlarm`; each one's signed FAIL proves it raised it).
 *
 * Why an alarm is never false when raised by an honest member, and why
 * the victim is never named: see the proof sketch in `transcript.ts`.
 *
 * Without signing keys none of this runs: a check with z = 0 passes, the
 * member dealt a wrong share is corrected and suspected in every later
 * evaluation, and the dealer is never named; a failed check names only
 * members caught lying in its openings, and an opening that cannot be
 * decoded aborts the batch at the members that could not decode it.
 * @module
 */
import { concatBytes, invariant, taggedHash, type PeerId } from '@admitone/core';
import { ThresholdError, randomFieldElements, shamirShareMany } from '@admitone/core/threshold';
import { hashToField } from '../mimc/hash-to-field.js';
import { agreeOnAlarm, agreementRounds } from './agreement.js';
import type { RoundInputs } from './inbox.js';
import { POWERS, type PowerVectors } from './pool.js';
import { broadcastRound, dealRound, openRobust, type MpcContext, type RoundAddress } from './round.js';
import { blame, signedTranscript } from './transcript.js';
import { packElements, unpackElements } from './wire.js';

/**
 * Message rounds one preprocessing chunk takes with verification (the
 * default); 4 without. With signed transcripts (the engine's `signing`
 * option) a verified chunk takes t + 1 more, the alarm agreement.
 */
export const PREPROCESS_ROUNDS = 8;

/** Rounds per chunk: making the tuples (0–3), checking them (4–7), then, when signed, agreeing on alarms (8 … 8 + t). */
const roundsPerChunk = (ctx: MpcContext, verify: boolean): number =>
  verify ? PREPROCESS_ROUNDS + (ctx.signing === undefined ? 0 : agreementRounds(ctx.degree)) : PREPROCESS_ROUNDS / 2;

/**
 * Runs preprocessing chunk number `chunk` (rounds `R·chunk … R·chunk + R − 1`
 * of the session, R = 8 with verification, 8 + t + 1 with verification and
 * signing, 4 without verification) for `count` tuples and returns this
 * member's shares. Every member must pass the same `verify` and configure
 * signing alike (both are bound into the rounds' context).
 */
export async function preprocessChunk(
  ctx: MpcContext,
  at: Omit<RoundAddress, 'context'>,
  chunk: number,
  count: number,
  verify: boolean,
): Promise<PowerVectors> {
  const keys = verify ? ctx.signing : undefined;
  const plain: RoundAddress = {
    ...at,
    context: taggedHash('admitone/mpc/preprocess/v3', [chunk, count, ctx.members.length, ctx.degree, verify ? 1 : 0, keys === undefined ? 0 : 1]),
  };
  const base = chunk * roundsPerChunk(ctx, verify);
  const address: RoundAddress = keys === undefined ? plain : { ...plain, transcript: signedTranscript(ctx, plain, base, keys) };
  const { powers, check } = await makeTuples(ctx, address, base, count, verify);
  if (check !== undefined) {
    // With signing, an alarm raised by any member (its own share is wrong) is agreed on and discards the chunk
    // everywhere; z ≠ 0 needs no agreement (every honest member decodes the same z).
    const raisedBy = keys === undefined ? [] : await agreeOnAlarm(ctx, unsigned(address), base + PREPROCESS_ROUNDS, keys, check.alarm);
    if (raisedBy.length > 0) {
      ctx.logger.warn('mpc preprocessing alarm raised; the chunk is discarded', {
        session: at.inbox.id,
        round: base + PREPROCESS_ROUNDS + agreementRounds(ctx.degree) - 1,
        raisedBy: raisedBy.map((j) => ctx.members[j]),
      });
    }
    if (check.z !== 0n || raisedBy.length > 0) await checkFailed(ctx, address, base, count, check.suspects, raisedBy);
  }
  return toOnlineForm(ctx.p, verify ? powers.map((vector) => vector.slice(0, count)) : powers);
}

/** The address without its transcript: for the rounds after 0–7 (agreement, revelation), which are not signed as part of it. */
function unsigned(at: RoundAddress): RoundAddress {
  const { transcript: _signed, ...rest } = at;
  return rest;
}

/**
 * Rounds 0–7 of a chunk (0–3 without verification): the tuples (plain
 * powers; with verification the sacrificed half too) and the check's
 * outcome. The replay behind a failed check runs this same function.
 */
async function makeTuples(
  ctx: MpcContext,
  at: RoundAddress,
  base: number,
  count: number,
  verify: boolean,
): Promise<{ powers: bigint[][]; check: CheckOutcome | undefined }> {
  // with verification, tuples count … 2·count − 1 are made to be sacrificed
  const made = verify ? 2 * count : count;

  // Round 0: joint random sharing.
  const r1 = await jointRandom(ctx, at, base, made);

  // Rounds 1–3: products with degree reduction.
  const r2 = await multiply(ctx, at, base + 1, made, [[r1, r1]]);
  const [r3, r4] = await multiply(ctx, at, base + 2, made, [
    [r2[0] as bigint[], r1],
    [r2[0] as bigint[], r2[0] as bigint[]],
  ]);
  const high = await multiply(ctx, at, base + 3, made, [
    [r4 as bigint[], r1],
    [r4 as bigint[], r2[0] as bigint[]],
    [r4 as bigint[], r3 as bigint[]],
  ]);
  const powers = [r1, r2[0], r3, r4, ...high] as bigint[][];
  invariant(powers.length === POWERS, 'preprocessing produced the wrong number of powers');
  // Rounds 4–7: check the kept half against the sacrificed half.
  return { powers, check: verify ? await checkBySacrifice(ctx, at, base + 4, powers, count) : undefined };
}

/**
 * The check failed (z ≠ 0, or an agreed alarm raised by `raisedBy`): reject
 * with `THRESHOLD_INCONSISTENT_SHARES`. With signed transcripts, first
 * reveal them (the round after the agreement) and name whoever sent a
 * message its seeds and inputs do not explain (see `transcript.ts`); when
 * nobody did, the alarm was false and its originators are named. The check's
 * own suspects are then never named: the replay's verdict replaces them (a
 * member dealt a wrong share looks like a liar to those openings). Without
 * signing, the culprits are only the members caught lying in the check's own
 * openings.
 */
async function checkFailed(
  ctx: MpcContext,
  at: RoundAddress,
  base: number,
  count: number,
  suspects: ReadonlySet<number>,
  raisedBy: readonly number[],
): Promise<never> {
  const meta: Record<string, unknown> = { session: at.inbox.id, round: base + PREPROCESS_ROUNDS - 1 };
  let culprits = [...suspects];
  let message = 'The preprocessing check failed: a member deviated while making power tuples, so the batch is discarded.';
  // a transcript exists exactly when the chunk was signed (verification on, and ctx.signing set)
  const keys = ctx.signing;
  if (keys !== undefined && at.transcript !== undefined) {
    const round = base + PREPROCESS_ROUNDS + agreementRounds(ctx.degree);
    const own = at.transcript.reveal();
    let revealed: (Uint8Array | null | undefined)[] | undefined;
    try {
      revealed = [...(await broadcastRound(ctx, unsigned(at), round, own))]; // the revelation itself is not signed
      revealed[ctx.self] = own;
    } catch (error) {
      if (!(error instanceof ThresholdError) || error.code !== 'THRESHOLD_TIMEOUT') throw error;
      // members that do not justify their part of a failed chunk are named for it
      culprits = error.culprits.map((id) => ctx.members.indexOf(id as PeerId));
      meta['unrevealed'] = error.culprits;
      message = 'The preprocessing check failed, and member(s) did not reveal their transcript for the failed chunk.';
    }
    if (revealed !== undefined) {
      const found = await blame(ctx, at, base, keys, revealed, (simCtx, simAt) => makeTuples(simCtx, simAt, base, count, true));
      if (found.unrevealed.length > 0) {
        for (const j of found.unrevealed) at.inbox.reject(j);
        meta['unrevealed'] = found.unrevealed.map((j) => ctx.members[j]);
        culprits = [...found.unrevealed];
        message = 'The preprocessing check failed, and member(s) sent an unusable transcript revelation.';
      } else if (found.culprits.length > 0) {
        culprits = [...found.culprits];
        meta['deviationRound'] = found.round;
        message = `The preprocessing check failed: member(s) sent messages in chunk round ${String(found.round)} that their revealed transcript does not explain.`;
      } else if (raisedBy.length > 0) {
        // no deviation in rounds 0–7, so no honest member's share was wrong: whoever raised the alarm lied,
        // and its signed FAIL (accepted in the agreement) shows it did
        culprits = [...raisedBy];
        meta['falseAlarm'] = raisedBy.map((j) => ctx.members[j]);
        message = 'A preprocessing chunk was discarded on a false alarm: its revealed transcript shows no deviation, so the member(s) that raised it are named.';
      }
    }
  }
  const named = [...new Set(culprits)].sort((a, b) => a - b).map((j) => ctx.members[j] as PeerId);
  ctx.logger.error('mpc preprocessing check failed; the batch is discarded', { ...meta, culprits: named });
  throw new ThresholdError('THRESHOLD_INCONSISTENT_SHARES', message, { culprits: named, meta });
}

/**
 * One round of joint random sharing: every member deals `count` fresh random
 * values with degree t; this member's shares of their sums (uniform and
 * unknown while one dealer is honest).
 */
async function jointRandom(ctx: MpcContext, at: RoundAddress, round: number, count: number): Promise<bigint[]> {
  const random = at.transcript?.dealingRandom(round) ?? ctx.random;
  const dealt = shamirShareMany(ctx.F, randomFieldElements(ctx.F, random, count), ctx.degree, ctx.points, random);
  const received = await dealRound(ctx, at, round, dealt);
  return combine(ctx, at, received, dealt[ctx.self] as bigint[], count, round, ctx.members.map((_, j) => j), null);
}

/** `C(k, j)` for 0 ≤ j ≤ k ≤ 7. */
const BINOMIAL: readonly (readonly bigint[])[] = Array.from({ length: POWERS + 1 }, (_, k) => {
  const row = [1n];
  for (let j = 1; j <= k; j++) row.push((row[j - 1] as bigint) * BigInt(k - j + 1) / BigInt(j));
  return row;
});

/** A public challenge from the opened coin `u`: a field element, never 0. */
function challenge(u: bigint, label: number): bigint {
  const v = hashToField(concatBytes(packElements([u]), Uint8Array.of(label)), 'admitone/mpc/sacrifice/v1');
  return v === 0n ? 1n : v;
}

/** What the tuple check found. */
interface CheckOutcome {
  /** The opened combination: 0 when the tuples are right. */
  readonly z: bigint;
  /** Members caught sending wrong or unusable shares in the check's own openings (in a signed chunk never this member: see `alarm`). */
  readonly suspects: ReadonlySet<number>;
  /**
   * Signed chunks only: this member's own share disagreed with what a check
   * opening decoded to, or an opening could not be decoded at all. Either
   * means some member deviated in rounds 0–7 (see the module comment), even
   * when `z` is 0.
   */
  readonly alarm: boolean;
}

/**
 * Rounds `round … round + 3`: checks tuples `0 … count − 1` of `powers`
 * (plain powers, not online form) by sacrificing tuples `count … 2·count − 1`
 * (see the module comment). Returns the opened combination `z`, the members
 * caught lying in the check's own openings and, for a signed chunk, whether
 * this member raises the alarm; the caller decides what they mean. In a
 * signed chunk an opening that cannot be decoded raises the alarm and the
 * check goes on with zeros in its place (every member must reach the
 * agreement rounds); unsigned, it rejects as before.
 */
async function checkBySacrifice(
  ctx: MpcContext,
  at: RoundAddress,
  round: number,
  powers: readonly (readonly bigint[])[],
  count: number,
): Promise<CheckOutcome> {
  const P = ctx.p;
  const suspects = new Set<number>();
  const signed = at.transcript !== undefined;
  let alarm = false;
  const open = async (r: number, shares: readonly bigint[]): Promise<bigint[]> => {
    // This member's own share off the decoded polynomial means it was dealt a wrong share (a member lying in
    // this opening cannot cause that): in a signed chunk it raises the alarm instead of suspecting itself.
    const ownShareOff = signed
      ? () => {
          alarm = true;
          ctx.logger.warn('mpc preprocessing share of this member is inconsistent; raising the alarm', { session: at.inbox.id, round: r });
        }
      : undefined;
    try {
      return await openRobust(ctx, at, r, shares, suspects, ownShareOff);
    } catch (error) {
      if (!signed || !undecodable(error)) throw error;
      alarm = true;
      return shares.map(() => 0n);
    }
  };

  // Round 4: a joint random [u], dealt after every tuple share was fixed (so no error can depend on it).
  const uShare = await jointRandom(ctx, at, round, 1);

  // Round 5: open u; the challenges follow from it.
  const u = (await open(round + 1, uShare))[0] as bigint;
  const alpha = challenge(u, 1);
  const gamma = challenge(u, 2);
  const beta = challenge(u, 3);

  // Round 6: open ρ_m = α·r_m − s_m (uniform: s_m is independent of r_m and is never used again).
  const r = powers[0] as readonly bigint[];
  const rhoShares = new Array<bigint>(count);
  for (let m = 0; m < count; m++) {
    const v = ((alpha * (r[m] as bigint)) % P) - (r[count + m] as bigint);
    rhoShares[m] = v < 0n ? v + P : v;
  }
  const rho = await open(round + 2, rhoShares);

  // This member's share of Σ_m β^m Σ_k γ^k (α^k [r_m^k] − Σ_j C(k,j) ρ_m^(k−j) [s_m^j]).
  const gammaPow: bigint[] = [1n];
  const alphaGammaPow: bigint[] = [1n];
  for (let k = 1; k <= POWERS; k++) {
    gammaPow.push(((gammaPow[k - 1] as bigint) * gamma) % P);
    alphaGammaPow.push(((alphaGammaPow[k - 1] as bigint) * alpha * gamma) % P);
  }
  // coefficient of [s^j]: Σ_{k ≥ max(2, j)} γ^k C(k,j) ρ^(k−j), as a table over (k, j) without ρ
  const coeff: bigint[][] = BINOMIAL.map((row, k) => row.map((c) => (c * (gammaPow[k] as bigint)) % P));
  const rhoPow = new Array<bigint>(POWERS + 1);
  let total = 0n;
  let weight = 1n;
  for (let m = 0; m < count; m++) {
    const x = rho[m] as bigint;
    rhoPow[0] = 1n;
    rhoPow[1] = x;
    for (let i = 2; i <= POWERS; i++) rhoPow[i] = ((rhoPow[i - 1] as bigint) * x) % P;
    let acc = 0n;
    for (let k = 2; k <= POWERS; k++) {
      acc += (alphaGammaPow[k] as bigint) * ((powers[k - 1] as readonly bigint[])[m] as bigint);
      acc -= ((coeff[k] as bigint[])[0] as bigint) * (rhoPow[k] as bigint); // j = 0: the public s⁰ = 1
    }
    for (let j = 1; j <= POWERS; j++) {
      let c = 0n;
      for (let k = Math.max(2, j); k <= POWERS; k++) c += ((coeff[k] as bigint[])[j] as bigint) * (rhoPow[k - j] as bigint);
      acc -= (c % P) * ((powers[j - 1] as readonly bigint[])[count + m] as bigint);
    }
    total = (total + weight * (acc % P)) % P;
    weight = (weight * beta) % P;
  }
  if (total < 0n) total += P;

  // Round 7: open the combination; it must be 0.
  const z = (await open(round + 3, [total]))[0] as bigint;
  return { z, suspects, alarm };
}

/** Whether an opening failed because its shares could not be decoded (not a timeout or an unusable signature). */
function undecodable(error: unknown): boolean {
  return error instanceof ThresholdError && (error.code === 'THRESHOLD_INCONSISTENT_SHARES' || error.code === 'THRESHOLD_NOT_ENOUGH_SHARES');
}

/** The binomial coefficients `C(7, j)` that the online phase multiplies `[ρʲ]` by (j = 1…7). */
const ONLINE_SCALES = [1n, 21n, 35n, 35n, 21n, 7n, 1n] as const;

/**
 * Scales the power shares into the form the online phase consumes:
 * `[ρ], [21ρ²], [35ρ³], [35ρ⁴], [21ρ⁵], [7ρ⁶], [ρ⁷]` (`[ρ]` stays unscaled
 * because it also masks the round's input). Scaling a share by a public
 * constant scales the shared value, so these are still degree-t sharings;
 * doing it here, in idle time, saves the online phase five short
 * multiplications per MiMC round and input.
 */
function toOnlineForm(p: bigint, powers: bigint[][]): bigint[][] {
  return powers.map((vector, j) => {
    const scale = ONLINE_SCALES[j] as bigint;
    return scale === 1n ? vector : vector.map((v) => (v * scale) % p);
  });
}

// ---------------------------------------------------------------------------

/**
 * Multiplies each pair of share vectors element-wise and reduces the degree;
 * returns one vector (length `count`) per pair.
 */
async function multiply(
  ctx: MpcContext,
  at: RoundAddress,
  round: number,
  count: number,
  pairs: readonly (readonly [readonly bigint[], readonly bigint[]])[],
): Promise<bigint[][]> {
  const length = pairs.length * count;
  let dealt: bigint[][];
  if (ctx.resharers.includes(ctx.self)) {
    const P = ctx.p;
    const products = new Array<bigint>(length);
    let i = 0;
    for (const [a, b] of pairs) for (let m = 0; m < count; m++) products[i++] = ((a[m] as bigint) * (b[m] as bigint)) % P;
    dealt = shamirShareMany(ctx.F, products, ctx.degree, ctx.points, at.transcript?.dealingRandom(round) ?? ctx.random);
  } else {
    dealt = ctx.members.map(() => []);
  }
  const received = await dealRound(ctx, at, round, dealt);
  const reduced = combine(ctx, at, received, dealt[ctx.self] as bigint[], length, round, ctx.resharers, ctx.reduceWeights);
  return pairs.map((_, k) => reduced.slice(k * count, (k + 1) * count));
}

/**
 * Sums (weights `null`) or Lagrange-combines the vectors of length `length`
 * that the members in `senders` sent (`own` for this member); every other
 * member must have sent an empty vector. A missing, unusable or malformed
 * vector aborts with `THRESHOLD_PROTOCOL` naming its senders.
 */
function combine(
  ctx: MpcContext,
  at: RoundAddress,
  received: RoundInputs,
  own: readonly bigint[],
  length: number,
  round: number,
  senders: readonly number[],
  weights: readonly bigint[] | null,
): bigint[] {
  const vectors: (readonly bigint[])[] = [];
  const culprits: string[] = [];
  ctx.members.forEach((member, j) => {
    const expected = senders.includes(j) ? length : 0;
    const bytes = received[j];
    const vector = j === ctx.self ? own : bytes === null || bytes === undefined ? undefined : unpackElements(bytes, expected, ctx.p);
    if (vector === undefined) {
      culprits.push(member);
      if (bytes !== null && bytes !== undefined) at.inbox.reject(j);
    } else if (expected > 0) vectors.push(vector);
  });
  if (culprits.length > 0) {
    ctx.logger.warn('mpc preprocessing message unusable', { round, culprits });
    throw new ThresholdError('THRESHOLD_PROTOCOL', `${culprits.length} member(s) sent an unusable preprocessing message.`, {
      culprits,
      meta: { round },
    });
  }
  // the weights are signed representatives (ctx.reduceWeights): short products, one reduction per sum
  const P = ctx.p;
  const out = new Array<bigint>(length);
  for (let i = 0; i < length; i++) {
    let acc = 0n;
    for (let j = 0; j < vectors.length; j++) {
      const v = (vectors[j] as readonly bigint[])[i] as bigint;
      acc += weights === null ? v : (weights[j] as bigint) * v;
    }
    acc %= P;
    out[i] = acc < 0n ? acc + P : acc;
  }
  return out;
}
