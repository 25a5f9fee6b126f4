/**
 * The client's verifiable sharing of its identity element (`src/committee/vss.ts`),
 * checked against core's independent Pedersen code (`verifyPedersenShare`,
 * which takes compressed points, and `reconstruct`). The batched check itself
 * (`failingPedersenPairs`, its bucket MSM against noble's `pippenger`) is
 * tested in core (`threshold-pedersen-batch.shared.test.ts`); here through the
 * member's wrapper, at identity's weight size.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@admitone/core';
import { reconstruct, verifyPedersenShare } from '@admitone/core/threshold';
import { bn254, bn254_Fr } from '@noble/curves/bn254.js';
import { COMMITMENT_BYTES, decodeCommitments, dealIdentity, failingShares, type SharePair } from '../src/committee/vss.js';

const G1 = bn254.G1.Point;
const Fr = bn254_Fr;
const field = fc.bigInt({ min: 0n, max: Fr.ORDER - 1n });
const points = (n: number) => Array.from({ length: n }, (_, i) => BigInt(i + 1));

describe('dealIdentity', () => {
  it('commits to t + 1 coefficient pairs; every pair lies on the commitments (core checks it) and any t + 1 values reconstruct x', () => {
    fc.assert(
      fc.property(field, fc.integer({ min: 1, max: 3 }), fc.integer(), (x, t, seed) => {
        const xs = points(3 * t + 1);
        const { commitments, pairs } = dealIdentity(x, t, xs, seededRandom(seed));
        expect(commitments).toHaveLength(t + 1);
        for (const c of commitments) expect(c.length).toBe(COMMITMENT_BYTES);
        const compressed = decodeCommitments(commitments, t).map((p) => p.toBytes(true));
        pairs.forEach(([f, r], i) => expect(verifyPedersenShare(compressed, xs[i] as bigint, f, r)).toBe(true));
        const last = pairs.slice(-(t + 1)).map(([f], i) => ({ x: xs[xs.length - t - 1 + i] as bigint, y: f }));
        expect(reconstruct(Fr, last, t)).toBe(x);
      }),
      { numRuns: 8, seed: 20_261_122 },
    );
  });

  it('hides x: the same identity dealt twice gives unrelated commitments (Pedersen, not Feldman)', () => {
    const random = seededRandom('hide');
    const a = dealIdentity(42n, 1, points(4), random);
    const b = dealIdentity(42n, 1, points(4), random);
    expect(a.commitments[0]).not.toEqual(b.commitments[0]);
    expect(a.commitments[0]).not.toEqual(G1.BASE.multiply(42n).toBytes(false));
  });

  it('refuses bad arguments with RangeError', () => {
    const random = seededRandom(1);
    expect(() => dealIdentity(Fr.ORDER, 1, points(4), random)).toThrow(RangeError);
    expect(() => dealIdentity(1n, 0, points(4), random)).toThrow(RangeError);
    expect(() => dealIdentity(1n, 2, points(2), random)).toThrow(RangeError);
  });
});

describe('decodeCommitments', () => {
  const { commitments } = dealIdentity(7n, 1, points(4), seededRandom('decode'));
  const [c0, c1] = commitments as [Uint8Array, Uint8Array];
  const p = G1.Fp.ORDER;
  const be = (v: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((v >> BigInt(8 * (31 - i))) & 0xffn));

  it('decodes t + 1 uncompressed points', () => {
    const decoded = decodeCommitments(commitments, 1);
    expect(decoded.map((q) => q.toBytes(false))).toEqual(commitments);
  });

  it.each([
    ['too few', [c0]],
    ['too many', [c0, c1, c0]],
    ['a compressed point', [c0, G1.fromBytes(c1).toBytes(true)]],
    ['a wrong prefix', [c0, Uint8Array.of(0x05, ...c1.subarray(1))]],
    ['a point off the curve', [c0, c1.map((b, j) => (j === 64 ? b ^ 1 : b))]],
    ['the all-zero encoding (no point)', [c0, Uint8Array.of(4, ...new Array<number>(64).fill(0))]],
    ['a coordinate not below p (the generator, x + p)', [c0, Uint8Array.of(4, ...be(1n + p), ...be(2n))]],
  ])('refuses %s with RangeError', (_name, list) => {
    expect(() => decodeCommitments(list, 1)).toThrow(RangeError);
  });

  it('accepts the generator written canonically (the case above is only refused for its encoding)', () => {
    expect(decodeCommitments([c0, Uint8Array.of(4, ...be(1n), ...be(2n))], 1)[1]!.equals(G1.BASE)).toBe(true);
  });
});

describe('failingShares', () => {
  it('names exactly the pairs off their commitments, in batches of any size (bisection included)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer(),
        fc.func(fc.constantFrom<'ok' | 'value' | 'blinding'>('ok', 'ok', 'ok', 'value', 'blinding')),
        (t, count, seed, fate) => {
          const random = seededRandom(seed);
          const xs = points(3 * t + 1);
          const x = xs[Math.abs(seed) % xs.length] as bigint;
          const expected: number[] = [];
          const checks = Array.from({ length: count }, (_, i) => {
            const { commitments, pairs } = dealIdentity(Fr.create(BigInt(seed) * 31n + BigInt(i)), t, xs, random);
            const [f, r] = pairs[Number(x) - 1] as SharePair;
            const what = fate(i);
            if (what !== 'ok') expected.push(i);
            const pair: SharePair = what === 'value' ? [Fr.add(f, 1n), r] : what === 'blinding' ? [f, Fr.sub(r, 1n)] : [f, r];
            return { commitments: decodeCommitments(commitments, t), pair };
          });
          expect(failingShares(checks, x, random)).toEqual(expected);
        },
      ),
      { numRuns: 12, seed: 20_261_123 },
    );
  });

  it('finds wrong pairs at the ends and in the middle of a batch of 9 (every level of the bisection)', () => {
    const random = seededRandom('nine');
    const checks = Array.from({ length: 9 }, (_, i) => {
      const { commitments, pairs } = dealIdentity(BigInt(1000 + i), 1, points(4), random);
      const [f, r] = pairs[2] as SharePair;
      const pair: SharePair = i === 0 || i === 8 ? [Fr.add(f, 3n), r] : i === 4 ? [f, Fr.add(r, 3n)] : [f, r];
      return { commitments: decodeCommitments(commitments, 1), pair };
    });
    expect(failingShares(checks, 3n, random)).toEqual([0, 4, 8]);
    expect(failingShares(checks.map((c, i) => (i === 0 || i === 4 || i === 8 ? checks[1]! : c)), 3n, random)).toEqual([]);
  });

  it('checks nothing in an empty batch, and refuses a zero point or out-of-field pairs with RangeError', () => {
    const random = seededRandom(2);
    expect(failingShares([], 1n, random)).toEqual([]);
    const { commitments, pairs } = dealIdentity(5n, 1, points(4), random);
    const check = { commitments: decodeCommitments(commitments, 1), pair: pairs[0] as SharePair };
    expect(() => failingShares([check], 0n, random)).toThrow(RangeError);
    expect(() => failingShares([{ ...check, pair: [Fr.ORDER, 0n] }], 1n, random)).toThrow(RangeError);
  });
});
