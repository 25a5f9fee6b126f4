/**
 * Batched Pedersen pair checks (`src/threshold/pedersen-batch.ts`): the bucket
 * MSM against noble's `pippenger`, and the batch verdicts against the
 * one-pair-at-a-time check `verifyPedersenShare` and against the pairs the
 * tests corrupt themselves.
 */
import { pippenger } from '@noble/curves/abstract/curve.js';
import { bn254, bn254_Fr } from '@noble/curves/bn254.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../src/index.js';
import {
  evaluatePolynomial,
  failingPedersenPairs,
  msm,
  pedersenCommit,
  pedersenH,
  pedersenPairsMatch,
  randomFieldElements,
  verifyPedersenShare,
  type PedersenPairCheck,
  type SharePair,
} from '../src/threshold/index.js';

const G1 = bn254.G1.Point;
const Fr = bn254_Fr;

/** `count` honest sharings of degree `t`, each with the pair of the member at `x`. */
function deal(count: number, t: number, x: bigint, random: Random): PedersenPairCheck[] {
  return Array.from({ length: count }, () => {
    const coefficients = randomFieldElements(Fr, random, 2 * (t + 1));
    const f = coefficients.slice(0, t + 1);
    const r = coefficients.slice(t + 1);
    const commitments = f.map((a, k) => pedersenCommit(a, r[k] as bigint));
    return { commitments, pair: [evaluatePolynomial(Fr, f, x), evaluatePolynomial(Fr, r, x)] };
  });
}

type Fate = 'ok' | 'value' | 'blinding' | 'both';
function corrupt(check: PedersenPairCheck, fate: Fate): PedersenPairCheck {
  const [f, r] = check.pair;
  const pair: SharePair = fate === 'value' ? [Fr.add(f, 1n), r] : fate === 'blinding' ? [f, Fr.sub(r, 1n)] : fate === 'both' ? [Fr.neg(f), Fr.neg(r)] : [f, r];
  return { ...check, pair };
}

const pool = new Map<number, PedersenPairCheck[]>(); // honest checks at x = 3, by degree (dealing is the slow part)
function honest(count: number, t: number): PedersenPairCheck[] {
  let list = pool.get(t) ?? [];
  if (list.length < count) list = [...list, ...deal(count - list.length, t, 3n, seededRandom(`pool/${t}/${list.length}`))];
  pool.set(t, list);
  return list.slice(0, count);
}

describe('msm (bucket method, signed digits)', () => {
  const base = Array.from({ length: 24 }, (_, i) => G1.BASE.multiply(BigInt(i + 2) * 7919n));

  it("equals noble's pippenger for scalars of any size up to the field's", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 16, 48, 64, 128, 254).chain((bits) => fc.tuple(fc.constant(bits), fc.array(fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }), { maxLength: 24 }))),
        ([bits, scalars]) => {
          const pts = base.slice(0, scalars.length);
          expect(msm(pts, scalars, bits).equals(pippenger(G1, pts, scalars.map((s) => Fr.create(s))))).toBe(true);
        },
      ),
      { numRuns: 16, seed: 20_261_201 },
    );
  });

  it('handles the largest scalar (every digit carries) and the empty sum', () => {
    const max = (1n << 48n) - 1n;
    expect(msm(base.slice(0, 3), [max, max, 0n], 48).equals(pippenger(G1, base.slice(0, 3), [max, max, 0n]))).toBe(true);
    expect(msm([], [], 48).is0()).toBe(true);
    expect(msm([G1.BASE, pedersenH()], [3n, 5n], 48).equals(pedersenCommit(3n, 5n))).toBe(true);
  });

  it('refuses mismatched lengths, bad bit counts and out-of-range scalars with RangeError', () => {
    expect(() => msm([G1.BASE], [], 8)).toThrow(RangeError);
    expect(() => msm([G1.BASE], [1n], 0)).toThrow(RangeError);
    expect(() => msm([G1.BASE], [1n], 1.5)).toThrow(RangeError);
    expect(() => msm([G1.BASE], [1n << 64n], 64)).toThrow(RangeError);
    expect(() => msm([G1.BASE], [-1n], 64)).toThrow(RangeError);
  });
});

describe('failingPedersenPairs', () => {
  it('names exactly the pairs off their commitments, in batches of any size (bisection included)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 0, max: 24 }),
        fc.constantFrom(48, 128),
        fc.integer(),
        fc.func(fc.constantFrom<Fate>('ok', 'ok', 'ok', 'ok', 'value', 'blinding', 'both')),
        (t, count, weightBits, seed, fate) => {
          const expected: number[] = [];
          const checks = honest(count, t).map((c, i) => {
            if (fate(i) !== 'ok') expected.push(i);
            return corrupt(c, fate(i));
          });
          // the reference: one pair at a time, through the compressed encoding
          const reference = checks.flatMap((c, i) => (verifyPedersenShare(c.commitments.map((p) => p.toBytes(true)), 3n, ...c.pair) ? [] : [i]));
          expect(reference).toEqual(expected);
          expect(failingPedersenPairs(checks, 3n, weightBits, seededRandom(seed))).toEqual(expected);
          expect(pedersenPairsMatch(checks, 3n, weightBits, seededRandom(seed))).toBe(expected.length === 0);
        },
      ),
      { numRuns: 24, seed: 20_261_202 },
    );
  });

  it('finds one corrupted pair among 33 wherever it is, and returns [] once it is put right', () => {
    const checks = honest(33, 1);
    const random = seededRandom('one-of-33');
    for (let bad = 0; bad < 33; bad++) {
      expect(failingPedersenPairs(checks.map((c, i) => (i === bad ? corrupt(c, 'value') : c)), 3n, 48, random)).toEqual([bad]);
    }
    expect(failingPedersenPairs(checks, 3n, 48, random)).toEqual([]);
    expect(failingPedersenPairs(checks, 3n, 128, random)).toEqual([]);
  });

  it('finds errors that cancel in an unweighted sum (+1 and −1 on two values)', () => {
    const checks = honest(8, 1).map((c, i) => (i === 2 || i === 5 ? { ...c, pair: [Fr.add(c.pair[0], i === 2 ? 1n : Fr.ORDER - 1n), c.pair[1]] as const } : c));
    expect(failingPedersenPairs(checks, 3n, 48, seededRandom('cancel'))).toEqual([2, 5]);
    expect(pedersenPairsMatch(checks, 3n, 128, seededRandom('cancel'))).toBe(false);
  });

  it('draws its weights from `random`: a constant source gives equal weights, which errors that cancel get past', () => {
    const zeros: Random = { bytes: (n) => new Uint8Array(n), int: () => 0, float: () => 0 };
    const checks = honest(8, 1).map((c, i) => (i === 2 || i === 5 ? { ...c, pair: [Fr.add(c.pair[0], i === 2 ? 1n : Fr.ORDER - 1n), c.pair[1]] as const } : c));
    expect(pedersenPairsMatch(checks, 3n, 48, zeros)).toBe(true);
    expect(pedersenPairsMatch(checks, 3n, 48, seededRandom('not constant'))).toBe(false);
  });

  it('checks the pairs at the point given', () => {
    const checks = honest(5, 2);
    expect(failingPedersenPairs(checks, 4n, 48, seededRandom(4))).toEqual([0, 1, 2, 3, 4]);
    expect(pedersenPairsMatch(checks, 4n, 128, seededRandom(4))).toBe(false);
    expect(pedersenPairsMatch(checks, 3n, 128, seededRandom(4))).toBe(true);
  });

  it('checks nothing in an empty batch', () => {
    expect(failingPedersenPairs([], 1n, 48, seededRandom(5))).toEqual([]);
    expect(pedersenPairsMatch([], 1n, 128, seededRandom(5))).toBe(true);
  });

  it('refuses a bad point, weight size, commitments or pair with RangeError', () => {
    const [check] = honest(1, 1) as [PedersenPairCheck];
    const random = seededRandom(6);
    for (const run of [failingPedersenPairs, pedersenPairsMatch]) {
      expect(() => run([check], 0n, 48, random)).toThrow(RangeError);
      expect(() => run([check], Fr.ORDER, 48, random)).toThrow(RangeError);
      expect(() => run([check], 3n, 0, random)).toThrow(RangeError);
      expect(() => run([check], 3n, 129, random)).toThrow(RangeError);
      expect(() => run([check], 3n, 47.5, random)).toThrow(RangeError);
      expect(() => run([{ ...check, commitments: [] }], 3n, 48, random)).toThrow(RangeError);
      expect(() => run([check, { ...check, pair: [Fr.ORDER, 0n] }], 3n, 48, random)).toThrow(RangeError);
      expect(() => run([check, { ...check, pair: [0n, -1n] }], 3n, 48, random)).toThrow(RangeError);
    }
  });
});
