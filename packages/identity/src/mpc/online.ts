/**
 * Online phase: MPC evaluation of `MiMC_k(x + d)` for a batch of inputs.
 *
 * Each MiMC round `i` computes `t_i` locally on shares (`x + d + k` for
 * i = 0, `r_{i−1} + k + c_i` after), opens `c = t_i − ρ` for a fresh power
 * tuple `ρ` (uniform, so `c` reveals nothing), and sets
 * `[t_i⁷] = Σ_j C(7,j)·c^(7−j)·[ρ^j]` (the `ρ⁰` term is the public `c⁷`).
 * One broadcast per round carries the whole batch; 91 rounds plus one final
 * opening of `[r_90 + k]` among the members.
 *
 * Openings are robust (Berlekamp–Welch through core's opener): wrong shares
 * are corrected while decodable and their senders become *suspects*, whose
 * shares are ignored in later rounds (and not waited for, so a caught member
 * cannot stall the evaluation by going silent). Unusable messages (wrong length,
 * out-of-field elements, a different context) make their sender a suspect
 * too.
 * @module
 */
import { taggedHash, type PeerId } from '@admitone/core';
import { MIMC7_ROUNDS, mimc7Constants } from '../mimc/mimc7.js';
import type { PowerVectors } from './pool.js';
import { openInputs, openRobust, type MpcContext, type RoundAddress } from './round.js';
import { packElements } from './wire.js';

/** Message rounds of one evaluation: one opening per MiMC round plus the output opening. */
export const EVALUATION_ROUNDS = MIMC7_ROUNDS + 1;

/** One input of a batch: this member's share of `x` and the public domain value `d`. */
export interface MimcInput {
  /** This member's Shamir share of the secret input `x`. */
  readonly x: bigint;
  /** The public domain value added to `x` (the same at every member). */
  readonly d: bigint;
  /**
   * Set when this member could not read its share of `x` (e.g. the client's
   * sealed share did not open, or its pair fails the client's commitments):
   * `x` is then ignored, and the member declares
   * the share in the first opening instead of sending a wrong one, so it is
   * treated as missing for this input and not blamed on this member.
   */
  readonly declared?: boolean;
}

/** The result of an evaluation. */
export interface MimcEvaluation {
  /** `MiMC_k(x + d mod p)` for each input, in input order (public to the members). */
  readonly outputs: bigint[];
  /** Members caught sending wrong or unusable opening shares (in member order). */
  readonly suspects: PeerId[];
  /**
   * Indexes of inputs whose shared `x` could not be decoded (too many wrong or
   * declared shares of that input alone), ascending; absent when every input
   * decoded. Their `outputs` entries are meaningless: the caller must refuse
   * those inputs. The other outputs are right.
   */
  readonly failed?: number[];
}

/**
 * Runs the online protocol. `powers` are the claimed tuples' shares in
 * online form (`preprocessChunk`'s output), tuple `i·L + m` serving MiMC
 * round `i` of input `m` (L = `inputs.length`);
 * `claimStart` is the claim's position, bound into the context digest.
 */
export async function evaluateMimcOnline(
  ctx: MpcContext,
  at: Omit<RoundAddress, 'context'>,
  claimStart: number,
  inputs: readonly MimcInput[],
  keyShare: bigint,
  powers: PowerVectors,
): Promise<MimcEvaluation> {
  const P = ctx.p;
  const L = inputs.length;
  const address: RoundAddress = {
    ...at,
    context: taggedHash('admitone/mpc/mimc7/v1', [claimStart, L, ctx.members.length, ctx.degree, packElements(inputs.map((v) => v.d))]),
  };
  const constants = mimc7Constants();
  // online form (see preprocess.ts): [ρ], [21ρ²], [35ρ³], [35ρ⁴], [21ρ⁵], [7ρ⁶], [ρ⁷]
  const [rho1, rho2, rho3, rho4, rho5, rho6, rho7] = powers as [bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[]];
  const suspects = new Set<number>();
  const k = keyShare;

  const r = new Array<bigint>(L);
  const masked = new Array<bigint>(L);
  const declared = inputs.map((input) => input.declared === true);
  let failed: number[] = [];
  for (let i = 0; i < MIMC7_ROUNDS; i++) {
    const base = i * L;
    const ci = constants[i] as bigint;
    for (let m = 0; m < L; m++) {
      const input = inputs[m] as MimcInput;
      let v = (i === 0 ? input.x + input.d + k : (r[m] as bigint) + k + ci) + P - (rho1[base + m] as bigint); // < 4p
      while (v >= P) v -= P; // at most three subtractions: cheaper than a division
      masked[m] = v;
    }
    let c: bigint[];
    if (i === 0) {
      // the clients' input sharings enter here: declared shares are erasures, and an input that cannot be
      // decoded fails alone (its opened value is taken as 0 at every member, so its later rounds stay consistent)
      const opened = await openInputs(ctx, address, i, masked, declared, suspects);
      c = opened.values;
      failed = opened.failed;
    } else c = await openRobust(ctx, address, i, masked, suspects);
    // [t⁷] = c⁷ + 7c⁶[ρ] + 21c⁵[ρ²] + 35c⁴[ρ³] + 35c³[ρ⁴] + 21c²[ρ⁵] + 7c[ρ⁶] + [ρ⁷], by Horner's rule in the
    // public c over the pre-scaled shares, reducing after the fourth and the last step (measured fastest:
    // bigint division and allocation dominate).
    for (let m = 0; m < L; m++) {
      const cm = c[m] as bigint;
      const j = base + m;
      let a = cm + 7n * (rho1[j] as bigint);
      a = a * cm + (rho2[j] as bigint);
      a = a * cm + (rho3[j] as bigint);
      a = (a * cm + (rho4[j] as bigint)) % P;
      a = a * cm + (rho5[j] as bigint);
      a = a * cm + (rho6[j] as bigint);
      r[m] = (a * cm + (rho7[j] as bigint)) % P;
    }
  }
  const outShares = r.map((v) => (v + k) % P);
  const outputs = await openRobust(ctx, address, MIMC7_ROUNDS, outShares, suspects);
  const named = [...suspects].sort((a, b) => a - b).map((i) => ctx.members[i] as PeerId);
  return failed.length === 0 ? { outputs, suspects: named } : { outputs, suspects: named, failed };
}
