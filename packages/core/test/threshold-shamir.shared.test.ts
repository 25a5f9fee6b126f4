import { Field } from '@noble/curves/abstract/modular.js';
import { bn254_Fr } from '@noble/curves/bn254.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdmitOneError, seededRandom } from '../src/index.js';
import {
  ThresholdError,
  addConstant,
  addShares,
  addVectors,
  createOpener,
  evaluatePolynomial,
  interpolateAt,
  lagrangeCoefficients,
  maxCorrectable,
  randomFieldElement,
  randomFieldElements,
  reconstruct,
  robustReconstruct,
  scaleShare,
  scaleVector,
  shamirShare,
  shamirShareMany,
  signedRepresentatives,
  subShares,
  subVectors,
  sumVectors,
  type PrimeField,
  type Share,
} from '../src/threshold/index.js';

const Fr = bn254_Fr;
const Fn = ed25519.Point.Fn;
/** A tiny field, so that accidental codewords and exhaustive checks are reachable. */
const F13 = Field(13n);
const F101 = Field(101n);

const xsOf = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i + 1));

/** Catches a ThresholdError and returns it (fails the test if none is thrown). */
function thresholdErrorOf(f: () => unknown): ThresholdError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ThresholdError);
    return e as ThresholdError;
  }
  throw new Error('expected a ThresholdError');
}

/** All subsets of `items` of size `k`. */
function* subsets<T>(items: readonly T[], k: number, start = 0): Generator<T[]> {
  if (k === 0) {
    yield [];
    return;
  }
  for (let i = start; i <= items.length - k; i++) {
    for (const rest of subsets(items, k - 1, i + 1)) yield [items[i] as T, ...rest];
  }
}

/** True when every share lies on one polynomial of degree ≤ degree (interpolating the first degree+1). */
function onOnePolynomial(F: PrimeField, shares: readonly Share[], degree: number): boolean {
  const basis = shares.slice(0, degree + 1);
  return shares.slice(degree + 1).every((s) => interpolateAt(F, basis, s.x) === s.y);
}

/**
 * Reference decoder by brute force: the smallest set of shares whose removal
 * leaves the rest on one polynomial, searched up to the correction bound.
 */
function bruteForceDecode(F: PrimeField, shares: readonly Share[], degree: number): { value: bigint; culprits: bigint[] } | undefined {
  const bound = maxCorrectable(shares.length, degree);
  for (let w = 0; w <= bound; w++) {
    for (const wrong of subsets(shares, w)) {
      const rest = shares.filter((s) => !wrong.includes(s));
      if (onOnePolynomial(F, rest, degree)) {
        return { value: interpolateAt(F, rest.slice(0, degree + 1), 0n), culprits: wrong.map((s) => s.x).sort((a, b) => Number(a - b)) };
      }
    }
  }
  return undefined;
}

/** Corrupts the shares at the given indices by adding a non-zero delta. */
function corrupt(F: PrimeField, shares: readonly Share[], indices: readonly number[], delta: bigint): Share[] {
  return shares.map((s, i) => (indices.includes(i) ? { x: s.x, y: F.add(s.y, delta) } : s));
}

const nonZero = (F: PrimeField) => fc.bigInt({ min: 1n, max: F.ORDER - 1n });
const element = (F: PrimeField) => fc.bigInt({ min: 0n, max: F.ORDER - 1n });

/** n, degree < n, a secret, a seed, a subset of indices (as a shuffled prefix). */
const sharingArb = (F: PrimeField, maxN = 9) =>
  fc
    .integer({ min: 1, max: maxN })
    .chain((n) =>
      fc.record({
        n: fc.constant(n),
        degree: fc.integer({ min: 0, max: n - 1 }),
        secret: element(F),
        seed: fc.integer(),
        order: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
      }),
    );

describe('randomFieldElement', () => {
  it('is deterministic under a seed, canonical, and varies', () => {
    const a = Array.from({ length: 50 }, (_, i) => randomFieldElement(Fr, seededRandom(`r${i}`)));
    const b = Array.from({ length: 50 }, (_, i) => randomFieldElement(Fr, seededRandom(`r${i}`)));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(50);
    for (const v of a) expect(v >= 0n && v < Fr.ORDER).toBe(true);
    // wide reduction: it draws bits(p) + 128 bits
    let drawn = 0;
    const counting = { ...seededRandom(1), bytes: (n: number) => ((drawn += n), seededRandom(2).bytes(n)) };
    randomFieldElement(Fr, counting);
    expect(drawn).toBe(Math.ceil((254 + 128) / 8));
  });

  it('is close to uniform on a small field (every residue within 5% of its expectation over 26,000 draws)', () => {
    const rng = seededRandom('uniform');
    const counts = new Array<number>(13).fill(0);
    for (let i = 0; i < 26_000; i++) counts[Number(randomFieldElement(F13, rng))]! += 1;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(100);
  });
});

describe('evaluatePolynomial and lagrangeCoefficients', () => {
  it('Horner agrees with the naive sum, and Lagrange coefficients reproduce the value at any point', () => {
    fc.assert(
      fc.property(fc.array(element(Fr), { maxLength: 8 }), element(Fr), element(Fr), (coefficients, x, at) => {
        let naive = 0n;
        coefficients.forEach((c, i) => (naive = Fr.add(naive, Fr.mul(c, Fr.pow(x, BigInt(i))))));
        expect(evaluatePolynomial(Fr, coefficients, x)).toBe(naive);
        const xs = xsOf(Math.max(1, coefficients.length));
        const lambda = lagrangeCoefficients(Fr, xs, at);
        const combined = lambda.reduce((acc, l, i) => Fr.add(acc, Fr.mul(l, evaluatePolynomial(Fr, coefficients, xs[i] as bigint))), 0n);
        expect(combined).toBe(evaluatePolynomial(Fr, coefficients, at));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects repeated points and non-field values', () => {
    expect(() => lagrangeCoefficients(Fr, [1n, 2n, 1n], 0n)).toThrow(RangeError);
    expect(() => lagrangeCoefficients(Fr, [1n, Fr.ORDER], 0n)).toThrow(RangeError);
    expect(() => evaluatePolynomial(Fr, [Fr.ORDER], 1n)).toThrow(RangeError);
    expect(() => evaluatePolynomial({} as PrimeField, [1n], 1n)).toThrow(TypeError);
  });
});

describe('bulk helpers: randomFieldElements, shamirShareMany, signedRepresentatives', () => {
  for (const [name, F] of [
    ['BN254 Fr (48-byte draws, whole words)', Fr],
    ['F13 (17-byte draws, a leading partial word)', F13],
  ] as const) {
    it(`randomFieldElements reads each element as big-endian bytes mod p from one draw (${name})`, () => {
      const width = Math.ceil((F.BITS + 128) / 8);
      const bytes = seededRandom('bulk').bytes(5 * width);
      const expected = Array.from({ length: 5 }, (_, i) => bytesToNumberBE(bytes.subarray(i * width, (i + 1) * width)) % F.ORDER);
      expect(randomFieldElements(F, seededRandom('bulk'), 5)).toEqual(expected);
      expect(randomFieldElement(F, seededRandom('bulk'))).toBe(expected[0]);
      expect(randomFieldElements(F, seededRandom('bulk'), 0)).toEqual([]);
      expect(() => randomFieldElements(F, seededRandom('bulk'), -1)).toThrow(RangeError);
    });
  }

  it('shamirShareMany: per point vectors whose every degree+1 subset reconstructs each secret', () => {
    for (const [F, degree, n] of [
      [Fr, 1, 4],
      [Fr, 2, 7],
      [F13, 1, 4],
    ] as const) {
      const secrets = randomFieldElements(F, seededRandom(`s${n}`), 6);
      const columns = shamirShareMany(F, secrets, degree, xsOf(n), seededRandom(`c${n}`));
      expect(columns).toHaveLength(n);
      secrets.forEach((secret, i) => {
        const shares = columns.map((c, j) => ({ x: BigInt(j + 1), y: c[i] as bigint }));
        expect(reconstruct(F, shares, degree)).toBe(secret); // all n lie on one degree-t polynomial
        expect(reconstruct(F, shares.slice(n - degree - 1), degree)).toBe(secret);
      });
    }
    expect(() => shamirShareMany(Fr, [Fr.ORDER], 1, xsOf(4), seededRandom(1))).toThrow(RangeError);
    expect(() => shamirShareMany(Fr, [1n], 3, xsOf(3), seededRandom(1))).toThrow(RangeError);
  });

  it('signedRepresentatives keeps the residue and lands in (−p/2, p/2]', () => {
    const weights = lagrangeCoefficients(Fr, xsOf(3), 0n);
    expect(signedRepresentatives(Fr, weights)).toEqual([3n, -3n, 1n]);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: F101.ORDER - 1n }), (v) => {
        const [w] = signedRepresentatives(F101, [v]) as [bigint];
        expect(w > -F101.ORDER / 2n - 1n && w <= F101.ORDER / 2n).toBe(true);
        expect(F101.create(w)).toBe(v);
      }),
    );
  });
});

describe('shamirShare / reconstruct', () => {
  for (const [name, F] of [
    ['BN254 Fr', Fr],
    ['ed25519 Fn', Fn],
  ] as const) {
    it(`any degree+1 of n shares reconstruct the secret (${name})`, () => {
      fc.assert(
        fc.property(sharingArb(F), ({ n, degree, secret, seed, order }) => {
          const shares = shamirShare(F, secret, degree, xsOf(n), seededRandom(seed));
          expect(shares.map((s) => s.x)).toEqual(xsOf(n));
          const chosen = order.slice(0, degree + 1).map((i) => shares[i] as Share);
          expect(reconstruct(F, chosen, degree)).toBe(secret);
          expect(reconstruct(F, order.map((i) => shares[i] as Share), degree)).toBe(secret);
          expect(interpolateAt(F, chosen, 0n)).toBe(secret);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('degree shares are consistent with every candidate secret (they reveal nothing)', () => {
    fc.assert(
      fc.property(sharingArb(Fr), element(Fr), ({ n, degree, secret, seed, order }, candidate) => {
        fc.pre(degree >= 1);
        const shares = shamirShare(Fr, secret, degree, xsOf(n), seededRandom(seed));
        const seen = order.slice(0, degree).map((i) => shares[i] as Share);
        // The polynomial through (0, candidate) and the seen shares has degree ≤ degree and explains them:
        const f = (x: bigint) => lagrangeEval(Fr, [[0n, candidate], ...seen.map((s) => [s.x, s.y] as [bigint, bigint])], x);
        expect(f(0n)).toBe(candidate);
        for (const s of seen) expect(f(s.x)).toBe(s.y);
        // ...so a full sharing of `candidate` that agrees with the seen shares exists:
        const alternative = xsOf(n).map((x) => ({ x, y: f(x) }));
        expect(reconstruct(Fr, alternative, degree)).toBe(candidate);
        for (const s of seen) expect(alternative.find((a) => a.x === s.x)?.y).toBe(s.y);
      }),
      { numRuns: 60 },
    );
  });

  it('exhaustively: over F13, every pair of degree-2 shares is uniform whatever the secret', () => {
    for (const secret of [0n, 1n, 7n, 12n]) {
      const counts = new Map<string, number>();
      for (let a1 = 0n; a1 < 13n; a1++) {
        for (let a2 = 0n; a2 < 13n; a2++) {
          const key = `${evaluatePolynomial(F13, [secret, a1, a2], 3n)},${evaluatePolynomial(F13, [secret, a1, a2], 5n)}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
      expect(counts.size).toBe(169);
      for (const c of counts.values()) expect(c).toBe(1);
    }
  });

  it('is deterministic under a seed and uses fresh randomness otherwise', () => {
    const a = shamirShare(Fr, 5n, 2, xsOf(5), seededRandom(9));
    expect(shamirShare(Fr, 5n, 2, xsOf(5), seededRandom(9))).toEqual(a);
    expect(shamirShare(Fr, 5n, 2, xsOf(5), seededRandom(10))).not.toEqual(a);
    // degree 0: every share is the secret
    expect(shamirShare(Fr, 5n, 0, xsOf(3), seededRandom(1)).map((s) => s.y)).toEqual([5n, 5n, 5n]);
  });

  it('rejects bad configuration with RangeError/TypeError', () => {
    const r = seededRandom(1);
    expect(() => shamirShare(Fr, 1n, -1, xsOf(3), r)).toThrow(RangeError);
    expect(() => shamirShare(Fr, 1n, 1.5, xsOf(3), r)).toThrow(RangeError);
    expect(() => shamirShare(Fr, 1n, 3, xsOf(3), r)).toThrow(RangeError);
    expect(() => shamirShare(Fr, 1n, 1, [0n, 1n], r)).toThrow(RangeError);
    expect(() => shamirShare(Fr, 1n, 1, [2n, 2n], r)).toThrow(RangeError);
    expect(() => shamirShare(Fr, Fr.ORDER, 1, xsOf(3), r)).toThrow(RangeError);
    expect(() => shamirShare(Fr, -1n, 1, xsOf(3), r)).toThrow(RangeError);
  });

  it('names the problem with typed errors: not enough, invalid, inconsistent', () => {
    const shares = shamirShare(Fr, 77n, 2, xsOf(5), seededRandom(3));
    const few = thresholdErrorOf(() => reconstruct(Fr, shares.slice(0, 2), 2));
    expect(few.code).toBe('THRESHOLD_NOT_ENOUGH_SHARES');
    expect(few.meta).toMatchObject({ have: 2, need: 3 });

    const dup = thresholdErrorOf(() => reconstruct(Fr, [...shares.slice(0, 3), shares[1] as Share], 2));
    expect(dup.code).toBe('THRESHOLD_INVALID_SHARE');
    expect(dup.culprits).toEqual([2n]);
    expect(dup.meta['culprits']).toEqual(['2']);

    const zero = thresholdErrorOf(() => reconstruct(Fr, [{ x: 0n, y: 1n }, ...shares], 2));
    expect(zero.code).toBe('THRESHOLD_INVALID_SHARE');
    const outside = thresholdErrorOf(() => reconstruct(Fr, [...shares.slice(0, 2), { x: 3n, y: Fr.ORDER }], 2));
    expect(outside.code).toBe('THRESHOLD_INVALID_SHARE');
    expect(outside.culprits).toEqual([3n]);
    const notAShare = thresholdErrorOf(() => reconstruct(Fr, [null as unknown as Share, ...shares], 2));
    expect(notAShare.code).toBe('THRESHOLD_INVALID_SHARE');

    const lied = corrupt(Fr, shares, [4], 1n);
    const inconsistent = thresholdErrorOf(() => reconstruct(Fr, lied, 2));
    expect(inconsistent.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
    expect(inconsistent).toBeInstanceOf(AdmitOneError);
    // exactly degree+1 shares carry no redundancy: nothing to check
    expect(reconstruct(Fr, lied.slice(2), 2)).not.toBe(77n);
  });

  it('never puts share values into error messages or meta', () => {
    const secretish = 0x5ec2e7_5ec2e7_5ec2e7n;
    const shares = [
      { x: 1n, y: secretish },
      { x: 2n, y: secretish + 1n },
      { x: 3n, y: secretish + 5n },
    ];
    const e = thresholdErrorOf(() => reconstruct(Fr, shares, 1));
    const text = `${e.message} ${JSON.stringify(e.meta)}`;
    for (const s of shares) expect(text).not.toContain(s.y.toString());
    expect(text).not.toContain(secretish.toString(16));
  });
});

describe('robustReconstruct (Berlekamp–Welch)', () => {
  it('corrects up to ⌊(m − degree − 1)/2⌋ wrong shares and names exactly them (BN254)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            degree: fc.integer({ min: 0, max: n - 1 }),
            secret: element(Fr),
            seed: fc.integer(),
            wrong: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i)),
            delta: nonZero(Fr),
          }),
        ),
        ({ n, degree, secret, seed, wrong, delta }) => {
          const bound = maxCorrectable(n, degree);
          const bad = wrong.slice(0, bound);
          const shares = corrupt(Fr, shamirShare(Fr, secret, degree, xsOf(n), seededRandom(seed)), bad, delta);
          const result = robustReconstruct(Fr, shares, degree);
          expect(result.value).toBe(secret);
          expect(result.culprits).toEqual(bad.map((i) => BigInt(i + 1)).sort((a, b) => Number(a - b)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('detects more wrong shares than it can correct (random corruption, BN254)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 10 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            degree: fc.integer({ min: 0, max: n - 3 }),
            seed: fc.integer(),
            order: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
            extra: fc.integer({ min: 1, max: 10 }),
          }),
        ),
        ({ n, degree, seed, order, extra }) => {
          const bound = maxCorrectable(n, degree);
          const w = Math.min(n - degree - 1, bound + extra); // still below m − k, so a check exists
          fc.pre(w > bound);
          const rng = seededRandom(seed);
          const shares = shamirShare(Fr, 1n, degree, xsOf(n), rng);
          const bad = shares.map((s, i) => (order.slice(0, w).includes(i) ? { x: s.x, y: randomFieldElement(Fr, rng) } : s));
          const e = thresholdErrorOf(() => robustReconstruct(Fr, bad, degree));
          expect(e.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('agrees with brute force over subsets on arbitrary received words (n ≤ 7, F13 and F101)', () => {
    for (const F of [F13, F101]) {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 7 }).chain((n) =>
            fc.record({
              degree: fc.integer({ min: 0, max: n - 1 }),
              ys: fc.array(element(F), { minLength: n, maxLength: n }),
              secret: element(F),
              seed: fc.integer(),
              wrong: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i)),
              random: fc.boolean(),
            }),
          ),
          ({ degree, ys, secret, seed, wrong, random }) => {
            const n = ys.length;
            // half the runs: arbitrary words; half: a sharing with some positions overwritten
            const shares: Share[] = random
              ? ys.map((y, i) => ({ x: BigInt(i + 1), y }))
              : shamirShare(F, secret, degree, xsOf(n), seededRandom(seed)).map((s, i) => (wrong.includes(i) ? { x: s.x, y: ys[i] as bigint } : s));
            const expected = bruteForceDecode(F, shares, degree);
            if (expected === undefined) {
              expect(thresholdErrorOf(() => robustReconstruct(F, shares, degree)).code).toBe('THRESHOLD_INCONSISTENT_SHARES');
            } else {
              expect(robustReconstruct(F, shares, degree)).toEqual(expected);
            }
          },
        ),
        { numRuns: 400 },
      );
    }
  });

  it('works with any x-coordinates, not just 1..n', () => {
    const xs = [5n, 1000n, 3n, Fr.ORDER - 1n, 77n, 2n, 9n];
    const shares = corrupt(Fr, shamirShare(Fr, 123n, 2, xs, seededRandom(4)), [1, 3], 9n);
    expect(robustReconstruct(Fr, shares, 2)).toEqual({ value: 123n, culprits: [1000n, Fr.ORDER - 1n] });
  });
});

describe('createOpener', () => {
  const arb = fc.integer({ min: 1, max: 10 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      degree: fc.integer({ min: 0, max: n - 1 }),
      secrets: fc.array(element(Fr), { minLength: 1, maxLength: 4 }),
      seed: fc.integer(),
      missing: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { maxLength: n }),
      wrongCount: fc.integer({ min: 0, max: 6 }),
      delta: nonZero(Fr),
    }),
  );

  it('fast path == slow path: open equals robustReconstruct (values, culprits and errors)', () => {
    fc.assert(
      fc.property(arb, ({ n, degree, secrets, seed, missing, wrongCount, delta }) => {
        const xs = xsOf(n);
        const opener = createOpener(Fr, xs, degree);
        expect(opener.maxErrors).toBe(maxCorrectable(n, degree));
        const rng = seededRandom(seed);
        for (const secret of secrets) {
          const shares = shamirShare(Fr, secret, degree, xs, rng);
          const absent = missing.slice(0, Math.max(0, missing.length - wrongCount));
          const wrong = missing.slice(absent.length);
          const ys = corrupt(Fr, shares, wrong, delta).map((s, i) => (absent.includes(i) ? undefined : s.y));
          const given = xs.flatMap((x, i) => (ys[i] === undefined ? [] : [{ x, y: ys[i] as bigint }]));
          let expected: unknown;
          try {
            expected = robustReconstruct(Fr, given, degree);
          } catch (e) {
            expected = (e as ThresholdError).code;
          }
          let actual: unknown;
          try {
            actual = opener.openWithCulprits(ys);
            expect(opener.open(ys)).toBe((actual as { value: bigint }).value);
          } catch (e) {
            actual = (e as ThresholdError).code;
          }
          expect(actual).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('openMany equals opening each value, and names the union of culprits', () => {
    fc.assert(
      fc.property(
        fc.record({
          degree: fc.integer({ min: 1, max: 2 }),
          count: fc.integer({ min: 0, max: 12 }),
          seed: fc.integer(),
          faults: fc.array(fc.record({ member: fc.nat(6), value: fc.nat(11), delta: nonZero(Fr) }), { maxLength: 6 }),
          silent: fc.option(fc.nat(6), { nil: undefined }),
        }),
        ({ degree, count, seed, faults, silent }) => {
          const n = 3 * degree + 1; // 4 or 7
          const xs = xsOf(n);
          const opener = createOpener(Fr, xs, degree);
          const rng = seededRandom(seed);
          const secrets = Array.from({ length: count }, () => randomFieldElement(Fr, rng));
          const columns: (bigint[] | undefined)[] = xs.map(() => []);
          for (const s of secrets) shamirShare(Fr, s, degree, xs, rng).forEach((share, i) => columns[i]!.push(share.y));
          // at most `degree` members misbehave (this is within the bound for n = 3·degree + 1)
          const liars = [...new Set(faults.map((f) => f.member % n))].slice(0, silent === undefined ? degree : degree - 1);
          for (const f of faults) {
            const m = f.member % n;
            if (liars.includes(m) && f.value < count) columns[m]![f.value] = Fr.add(columns[m]![f.value]!, f.delta);
          }
          if (silent !== undefined && !liars.includes(silent % n)) columns[silent % n] = undefined;
          const many = opener.openManyWithCulprits(columns);
          expect(many.values).toEqual(secrets);
          const perValue = secrets.map((_, v) => opener.openWithCulprits(columns.map((c) => c?.[v])));
          expect(perValue.map((r) => r.value)).toEqual(secrets);
          const union = [...new Set(perValue.flatMap((r) => r.culprits))].sort((a, b) => Number(a - b));
          expect(many.culprits).toEqual(union);
          expect(opener.openMany(columns)).toEqual(secrets);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('keeps naming culprits value by value once a member is suspect (suspect-avoiding plan)', () => {
    const xs = xsOf(7);
    const opener = createOpener(Fr, xs, 2);
    const rng = seededRandom('suspects');
    const secrets = Array.from({ length: 6 }, () => randomFieldElement(Fr, rng));
    const columns = xs.map(() => [] as bigint[]);
    for (const s of secrets) shamirShare(Fr, s, 2, xs, rng).forEach((share, i) => columns[i]!.push(share.y));
    // member x=1 (a basis point) lies on values 0 and 3; member x=5 lies only on value 4
    columns[0]![0] = Fr.add(columns[0]![0]!, 1n);
    columns[0]![3] = Fr.add(columns[0]![3]!, 1n);
    columns[4]![4] = Fr.add(columns[4]![4]!, 1n);
    expect(opener.openManyWithCulprits(columns)).toEqual({ values: secrets, culprits: [1n, 5n] });
    // three liars on one value exceed the bound of 2: detected, with the culprits known so far
    columns[1]![5] = Fr.add(columns[1]![5]!, 1n);
    columns[2]![5] = Fr.add(columns[2]![5]!, 1n);
    columns[3]![5] = Fr.add(columns[3]![5]!, 1n);
    const e = thresholdErrorOf(() => opener.openMany(columns));
    expect(e.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
    expect(e.meta['valueIndex']).toBe(5);
    expect(e.culprits).toEqual([1n, 5n]);
  });

  it('never accepts a coordinated lie within the bound, even after many members became suspects', () => {
    const xs = xsOf(7);
    const opener = createOpener(Fr, xs, 2);
    const rng = seededRandom('coordinated');
    const secrets = Array.from({ length: 3 }, () => randomFieldElement(Fr, rng));
    const columns = xs.map(() => [] as bigint[]);
    for (const s of secrets) shamirShare(Fr, s, 2, xs, rng).forEach((share, i) => columns[i]!.push(share.y));
    // value 0: x=1, x=2 lie; value 1: x=3 lies → suspects {1, 2, 3}, leaving only 4 trusted members
    columns[0]![0] = Fr.add(columns[0]![0]!, 1n);
    columns[1]![0] = Fr.add(columns[1]![0]!, 1n);
    columns[2]![1] = Fr.add(columns[2]![1]!, 1n);
    // value 2: x=4 and x=5 lie *consistently* with x=6, x=7 on a fake polynomial (a fake secret)
    const fake = Fr.add(secrets[2]!, 1n);
    const points = [[0n, fake], [6n, columns[5]![2]!], [7n, columns[6]![2]!]] as const;
    for (const i of [3, 4]) columns[i]![2] = lagrangeEval(Fr, points, xs[i]!);
    const result = opener.openManyWithCulprits(columns);
    expect(result.values).toEqual(secrets);
    expect(result.culprits).toEqual([1n, 2n, 3n, 4n, 5n]);
  });

  it('treats malformed entries as missing and wrong; reports too few shares', () => {
    const xs = xsOf(4);
    const opener = createOpener(Fr, xs, 1);
    const shares = shamirShare(Fr, 9n, 1, xs, seededRandom(5));
    const ys: (bigint | undefined)[] = shares.map((s) => s.y);
    expect(opener.openWithCulprits([ys[0], Fr.ORDER, ys[2], ys[3]])).toEqual({ value: 9n, culprits: [2n] });
    expect(opener.openWithCulprits([ys[0], 'x' as unknown as bigint, ys[2], undefined])).toEqual({ value: 9n, culprits: [2n] });
    const few = thresholdErrorOf(() => opener.open([ys[0], -1n, undefined, undefined]));
    expect(few.code).toBe('THRESHOLD_NOT_ENOUGH_SHARES');
    expect(few.culprits).toEqual([2n]);
    // openMany: wrong-length or malformed vectors
    const columns = shares.map((s) => [s.y, s.y]);
    expect(opener.openManyWithCulprits([columns[0], [1n], columns[2], columns[3]])).toEqual({ values: [9n, 9n], culprits: [2n] });
    expect(opener.openManyWithCulprits([columns[0], columns[1], [1n, Fr.ORDER], undefined], 2)).toEqual({ values: [9n, 9n], culprits: [3n] });
    expect(opener.openMany([[], [], [], undefined])).toEqual([]);
    expect(() => opener.open([1n])).toThrow(RangeError);
    expect(() => opener.openMany(columns, -1)).toThrow(RangeError);
    expect(() => createOpener(Fr, [1n, 1n], 0)).toThrow(RangeError);
    expect(() => createOpener(Fr, [1n], 1)).toThrow(RangeError);
  });
});

describe('share arithmetic', () => {
  it('adds, subtracts, scales and shifts shared secrets', () => {
    fc.assert(
      fc.property(element(Fr), element(Fr), element(Fr), fc.integer(), (a, b, c, seed) => {
        const xs = xsOf(4);
        const rng = seededRandom(seed);
        const sa = shamirShare(Fr, a, 1, xs, rng);
        const sb = shamirShare(Fr, b, 1, xs, rng);
        const sum = sa.map((s, i) => addShares(Fr, s, sb[i] as Share));
        expect(reconstruct(Fr, sum, 1)).toBe(Fr.add(a, b));
        expect(reconstruct(Fr, sa.map((s, i) => subShares(Fr, s, sb[i] as Share)), 1)).toBe(Fr.sub(a, b));
        expect(reconstruct(Fr, sa.map((s) => scaleShare(Fr, s, c)), 1)).toBe(Fr.mul(a, c));
        expect(reconstruct(Fr, sa.map((s) => addConstant(Fr, s, c)), 1)).toBe(Fr.add(a, c));
        // vector forms on y-values
        const ya = sa.map((s) => s.y);
        const yb = sb.map((s) => s.y);
        const opener = createOpener(Fr, xs, 1);
        expect(opener.open(addVectors(Fr, ya, yb))).toBe(Fr.add(a, b));
        expect(opener.open(subVectors(Fr, ya, yb))).toBe(Fr.sub(a, b));
        expect(opener.open(scaleVector(Fr, ya, c))).toBe(Fr.mul(a, c));
        expect(opener.open(sumVectors(Fr, [ya, yb, ya]))).toBe(Fr.add(Fr.add(a, b), a));
      }),
      { numRuns: 40 },
    );
  });

  it('rejects mismatched shares and vectors', () => {
    expect(thresholdErrorOf(() => addShares(Fr, { x: 1n, y: 1n }, { x: 2n, y: 1n })).code).toBe('THRESHOLD_INVALID_SHARE');
    expect(() => addVectors(Fr, [1n], [1n, 2n])).toThrow(RangeError);
    expect(() => scaleVector(Fr, [1n], Fr.ORDER)).toThrow(RangeError);
    expect(sumVectors(Fr, [])).toEqual([]);
  });
});

/** Evaluates at x the polynomial through the given points (independent of the code under test's Lagrange). */
function lagrangeEval(F: PrimeField, points: readonly (readonly [bigint, bigint])[], x: bigint): bigint {
  let acc = 0n;
  for (const [xi, yi] of points) {
    let term = yi;
    for (const [xj] of points) if (xj !== xi) term = F.mul(term, F.div(F.sub(x, xj), F.sub(xi, xj)));
    acc = F.add(acc, term);
  }
  return acc;
}
