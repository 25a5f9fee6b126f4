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
 * Security: semi-honest (honest majority). Members that follow the protocol
 * learn nothing about `r`, but a malicious member can add an error to its
 * re-sharing and so corrupt tuples undetectably; malformed or missing
 * messages abort the batch (`THRESHOLD_PROTOCOL` / `THRESHOLD_TIMEOUT`
 * naming the member). Every message of rounds 0–3 carries secret shares and
 * must travel over a confidential channel.
 * @module
 */
import { invariant, taggedHash } from '@admitone/core';
import { ThresholdError, randomFieldElements, shamirShareMany } from '@admitone/core/threshold';
import type { RoundInputs } from './inbox.js';
import { POWERS, type PowerVectors } from './pool.js';
import { dealRound, type MpcContext, type RoundAddress } from './round.js';
import { unpackElements } from './wire.js';

/** Message rounds one preprocessing chunk takes. */
export const PREPROCESS_ROUNDS = 4;

/**
 * Runs preprocessing chunk number `chunk` (rounds `4·chunk … 4·chunk + 3` of
 * the session) for `count` tuples and returns this member's shares.
 */
export async function preprocessChunk(
  ctx: MpcContext,
  at: Omit<RoundAddress, 'context'>,
  chunk: number,
  count: number,
): Promise<PowerVectors> {
  const address: RoundAddress = {
    ...at,
    context: taggedHash('admitone/mpc/preprocess/v1', [chunk, count, ctx.members.length, ctx.degree]),
  };
  const base = chunk * PREPROCESS_ROUNDS;

  // Round 0: joint random sharing.
  const secrets = randomFieldElements(ctx.F, ctx.random, count);
  const dealt = shamirShareMany(ctx.F, secrets, ctx.degree, ctx.points, ctx.random);
  const received = await dealRound(ctx, address, base, dealt);
  const everyone = ctx.members.map((_, j) => j);
  const r1 = combine(ctx, address, received, dealt[ctx.self] as bigint[], count, base, everyone, null);

  // Rounds 1–3: products with degree reduction.
  const r2 = await multiply(ctx, address, base + 1, count, [[r1, r1]]);
  const [r3, r4] = await multiply(ctx, address, base + 2, count, [
    [r2[0] as bigint[], r1],
    [r2[0] as bigint[], r2[0] as bigint[]],
  ]);
  const high = await multiply(ctx, address, base + 3, count, [
    [r4 as bigint[], r1],
    [r4 as bigint[], r2[0] as bigint[]],
    [r4 as bigint[], r3 as bigint[]],
  ]);
  const powers = [r1, r2[0], r3, r4, ...high] as bigint[][];
  invariant(powers.length === POWERS, 'preprocessing produced the wrong number of powers');
  return toOnlineForm(ctx.p, powers);
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
    dealt = shamirShareMany(ctx.F, products, ctx.degree, ctx.points, ctx.random);
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
