/**
 * The Pedersen-VSS parts of verifiable joint random sharing, as pure
 * functions: a member's dealing (polynomials, commitments, everyone's pairs),
 * the round-2 rules that turn the n reports into a verdict per dealer, and
 * the round-3 check of a dealer's answer. Every member applies the rules to
 * the same (echo-checked) data, so every member reaches the same decision.
 * @module
 */
import { equalBytes } from '../bytes/index.js';
import type { Digest } from '../codec/hash.js';
import type { Random } from '../env/types.js';
import type { PeerId } from '../transport/types.js';
import { randomFieldElements, type PrimeField } from './field.js';
import { commitmentsDigest, type Report } from './joint-random-wire.js';
import { encodePoint, pairsMatchCommitments, pedersenCommit, type G1Point, type SharePair } from './pedersen.js';
import { evaluatePolynomial } from './shamir.js';

/** This member's dealing: per value, commitments to f's and g's coefficients and every member's pair. */
export interface MyDealing {
  readonly values: bigint[];
  readonly commitments: Uint8Array[][];
  readonly points: G1Point[][];
  /** `[member index][value]`. */
  readonly columns: SharePair[][];
}

/**
 * Deals `count` values: per value, uniform polynomials f, g of degree `t`
 * (f(0) is the value), Pedersen commitments to their coefficient pairs, and
 * every member's pair (f(x), g(x)). The coefficients are dropped afterwards.
 */
export function deal(F: PrimeField, count: number, t: number, xs: readonly bigint[], random: Random): MyDealing {
  const values: bigint[] = [];
  const commitments: Uint8Array[][] = [];
  const points: G1Point[][] = [];
  const columns: SharePair[][] = xs.map(() => []);
  for (let v = 0; v < count; v++) {
    const coefficients = randomFieldElements(F, random, 2 * (t + 1));
    const f = coefficients.slice(0, t + 1);
    const g = coefficients.slice(t + 1);
    values.push(f[0] as bigint);
    const row = f.map((a, k) => pedersenCommit(a, g[k] as bigint));
    points.push(row);
    commitments.push(row.map(encodePoint));
    xs.forEach((x, i) => (columns[i] as SharePair[]).push([evaluatePolynomial(F, f, x), evaluatePolynomial(F, g, x)]));
    coefficients.fill(0n);
    f.fill(0n);
    g.fill(0n);
  }
  return { values, commitments, points, columns };
}

/** A peer's dealing to this member, assembled from chunks. */
export interface Dealing {
  readonly commitments: (Uint8Array[] | undefined)[];
  readonly points: (readonly G1Point[] | undefined)[];
  readonly pairs: (SharePair | undefined)[];
  missing: number;
  digest?: Digest;
  /** Whether the pairs match the commitments (set once complete). */
  valid?: boolean;
}

/** A dealing with nothing received yet. */
export function emptyDealing(count: number): Dealing {
  return { commitments: new Array(count).fill(undefined), points: new Array(count).fill(undefined), pairs: new Array(count).fill(undefined), missing: count };
}

/** A member's round-3 answer, assembled from chunks. */
export interface Answer {
  readonly complainers: readonly number[];
  readonly commitments: (Uint8Array[] | undefined)[];
  readonly points: (readonly G1Point[] | undefined)[];
  readonly pairs: (SharePair[] | undefined)[];
  missing: number;
  digest?: Digest;
}

/** An answer with nothing received yet (complete at once when it answers nobody). */
export function emptyAnswer(complainers: readonly number[], count: number): Answer {
  const length = complainers.length === 0 ? 0 : count;
  return { complainers, commitments: new Array(length).fill(undefined), points: new Array(length).fill(undefined), pairs: new Array(length).fill(undefined), missing: length };
}

/** What the round-2 reports say about one dealer. */
export interface Verdict {
  /** The dealer's own report of its commitments' digest. */
  readonly claimed: Uint8Array;
  /** Member indices that complained or report another digest, ascending. */
  readonly complainers: readonly number[];
  readonly status: 'ok' | 'answer' | 'equivocated' | 'too_many_complaints';
}

/** Applies the round-2 rules to the n reports (in member order); every member computes the same from the same reports. */
export function judge(reports: readonly Report[], t: number): Verdict[] {
  return reports.map((_, d) => {
    const claimed = (reports[d] as Report).digests[d] as Uint8Array;
    const mismatched: number[] = [];
    const complainers: number[] = [];
    reports.forEach((report, j) => {
      if (j === d) return;
      const differs = !equalBytes(report.digests[d] as Uint8Array, claimed);
      if (differs) mismatched.push(j);
      if (differs || report.complaints.includes(d)) complainers.push(j);
    });
    const status = mismatched.length > t ? 'equivocated' : complainers.length > t ? 'too_many_complaints' : complainers.length > 0 ? 'answer' : 'ok';
    return { claimed, complainers, status };
  });
}

/**
 * Round-3 rule for a dealer with 1…t complainers: its answer must cover
 * every complainer, carry the commitments it reported in round 2, and give
 * each complainer a pair on them (checked one value at a time, deterministic).
 * Returns the commitments and, when this member complained, its pairs; or
 * `undefined` when the dealer is to be disqualified (`bad_answer`).
 */
export function resolveAnswer(
  sessionId: string,
  dealer: PeerId,
  verdict: Verdict,
  answer: Answer,
  xs: readonly bigint[],
  selfIndex: number,
): { points: readonly (readonly G1Point[])[]; mine?: readonly SharePair[] } | undefined {
  const columns = verdict.complainers.map((c) => answer.complainers.indexOf(c));
  if (columns.some((col) => col < 0)) return undefined;
  if (!equalBytes(commitmentsDigest(sessionId, dealer, answer.commitments as Uint8Array[][]), verdict.claimed)) return undefined;
  const points = answer.points as G1Point[][];
  const pairsOf = (k: number): SharePair[] => (answer.pairs as SharePair[][]).map((row) => row[columns[k] as number] as SharePair);
  if (!verdict.complainers.every((c, k) => pairsMatchCommitments(points, xs[c] as bigint, pairsOf(k)))) return undefined;
  const mineAt = verdict.complainers.indexOf(selfIndex);
  return mineAt < 0 ? { points } : { points, mine: pairsOf(mineAt) };
}

/** What a wiped pair slot holds. */
export const ZERO_PAIR: SharePair = [0n, 0n];

/** Whether two pairs are equal. */
export function samePair(a: SharePair, b: SharePair): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/** Whether two index lists are equal. */
export function sameIndices(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Whether two rows of encoded points are equal, byte for byte. */
export function sameRows(a: readonly (readonly Uint8Array[])[], b: readonly (readonly Uint8Array[])[]): boolean {
  return a.length === b.length && a.every((row, i) => row.length === (b[i] as Uint8Array[]).length && row.every((x, k) => equalBytes(x, (b[i] as Uint8Array[])[k] as Uint8Array)));
}
