/**
 * The MPC engine computes exactly MiMC-7 (checked against the plain
 * implementation, itself checked against circomlibjs) at n = 4 / t = 1 and
 * n = 7 / t = 2, for batches of 1 and 16 inputs, over core's memoryNetwork.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isAdmitOneError, memoryNetwork, seededRandom, silentLogger, utf8ToBytes, virtualClock, type Random } from '@admitone/core';
import { randomFieldElement, shamirShare } from '@admitone/core/threshold';
import { BN254_FR, BN254_FR_ORDER, MIMC7_ROUNDS, mimc7 } from '../src/mimc/index.js';
import { createMpcEngine, type MpcEngine } from '../src/mpc/index.js';

const F = BN254_FR;
const P = BN254_FR_ORDER;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A committee of `n` engines on one memory network. Member ids are deliberately not in sorted order. */
function committee(n: number, t: number, seed: string) {
  const members = Array.from({ length: n }, (_, i) => `member-${String.fromCharCode(122 - i)}`);
  const net = memoryNetwork({ members });
  const clock = virtualClock();
  const root = seededRandom(seed);
  const engines = members.map((id) =>
    createMpcEngine({ transport: net.transport(id), degree: t, random: root.fork(id), clock, logger: silentLogger() }),
  );
  cleanups.push(async () => {
    for (const e of engines) e.close();
    await net.close();
  });
  // The committee-wide point convention: 1-based rank of the sorted peer id.
  const sorted = [...members].sort();
  const points = members.map((m) => BigInt(sorted.indexOf(m) + 1));
  return { members, engines, points, random: root.fork('test') };
}

/** Shamir shares of `secret` in member order. */
function share(secret: bigint, t: number, points: readonly bigint[], random: Random): bigint[] {
  return shamirShare(F, secret, t, points, random).map((s) => s.y);
}

async function preprocessAll(engines: readonly MpcEngine[], id: string, count: number): Promise<void> {
  await Promise.all(engines.map((e) => e.preprocess(utf8ToBytes(id), count)));
}

async function evaluateAll(
  engines: readonly MpcEngine[],
  id: string,
  xShares: readonly (readonly bigint[])[], // [input][member]
  ds: readonly bigint[],
  keyShares: readonly bigint[],
) {
  return Promise.all(
    engines.map((e, j) =>
      e.evaluateMimc(
        utf8ToBytes(id),
        xShares.map((xs, i) => ({ x: xs[j] as bigint, d: ds[i] as bigint })),
        keyShares[j] as bigint,
      ),
    ),
  );
}

describe('MPC MiMC-7 equals plain mimc7', () => {
  for (const [n, t] of [
    [4, 1],
    [7, 2],
  ] as const) {
    for (const batch of [1, 16]) {
      it(`n=${n} t=${t}, batch of ${batch}`, async () => {
        const c = committee(n, t, `mpc-${n}-${t}-${batch}`);
        const k = randomFieldElement(F, c.random);
        const xs = Array.from({ length: batch }, () => randomFieldElement(F, c.random));
        const ds = Array.from({ length: batch }, (_, i) => (i === 0 ? P - 1n : randomFieldElement(F, c.random)));
        await preprocessAll(c.engines, 'pre', MIMC7_ROUNDS * batch);
        for (const e of c.engines) expect(e.available()).toBe(MIMC7_ROUNDS * batch);
        const results = await evaluateAll(
          c.engines,
          'eval',
          xs.map((x) => share(x, t, c.points, c.random)),
          ds,
          share(k, t, c.points, c.random),
        );
        const expected = xs.map((x, i) => mimc7((x + (ds[i] as bigint)) % P, k));
        for (const r of results) {
          expect(r.outputs).toEqual(expected);
          expect(r.suspects).toEqual([]);
        }
        for (const e of c.engines) {
          expect(e.available()).toBe(0);
          expect(Object.values(e.stats().dropped).every((v) => v === 0)).toBe(true);
          expect(e.stats().bufferedBytes).toBe(0);
        }
      });
    }
  }

  it('consumes tuples in call order across batches and chunks, and evaluations can overlap', async () => {
    const c = committee(4, 1, 'order');
    // Two batches, two concurrent evaluations claiming across the batch boundary.
    const engines = c.engines;
    await Promise.all(engines.map((e) => Promise.all([e.preprocess(utf8ToBytes('a'), 100), e.preprocess(utf8ToBytes('b'), 200)])));
    const k = randomFieldElement(F, c.random);
    const keyShares = share(k, 1, c.points, c.random);
    const x1 = [randomFieldElement(F, c.random)];
    const x2 = [randomFieldElement(F, c.random), randomFieldElement(F, c.random)];
    const [r1, r2] = await Promise.all([
      evaluateAll(engines, 'e1', x1.map((x) => share(x, 1, c.points, c.random)), [5n], keyShares),
      evaluateAll(engines, 'e2', x2.map((x) => share(x, 1, c.points, c.random)), [6n, 7n], keyShares),
    ]);
    for (const r of r1 ?? []) expect(r.outputs).toEqual([mimc7((x1[0] as bigint) + 5n, k)]);
    for (const r of r2 ?? []) expect(r.outputs).toEqual(x2.map((x, i) => mimc7((x + 6n + BigInt(i)) % P, k)));
    for (const e of engines) expect(e.available()).toBe(300 - 3 * MIMC7_ROUNDS);
  });

  it('discardUnclaimed skips tuples on every member and the pool keeps working', async () => {
    const c = committee(4, 1, 'discard');
    await preprocessAll(c.engines, 'a', 50);
    for (const e of c.engines) expect(e.discardUnclaimed()).toBe(50);
    await preprocessAll(c.engines, 'b', MIMC7_ROUNDS);
    const k = randomFieldElement(F, c.random);
    const x = randomFieldElement(F, c.random);
    const results = await evaluateAll(c.engines, 'e', [share(x, 1, c.points, c.random)], [9n], share(k, 1, c.points, c.random));
    for (const r of results) expect(r.outputs).toEqual([mimc7((x + 9n) % P, k)]);
    for (const e of c.engines) expect(e.stats().tuples).toEqual({ ready: 0, preparing: 0, failed: 0, claimed: 50 + MIMC7_ROUNDS });
  });

  it('splits large preprocessing batches into chunks', async () => {
    const members = ['a', 'b', 'c', 'd'];
    const net = memoryNetwork({ members });
    const clock = virtualClock();
    const root = seededRandom('chunks');
    const engines = members.map((id) =>
      createMpcEngine({ transport: net.transport(id), degree: 1, random: root.fork(id), clock, maxTuplesPerChunk: 40 }),
    );
    cleanups.push(async () => {
      for (const e of engines) e.close();
      await net.close();
    });
    await preprocessAll(engines, 'big', 91);
    const points = [1n, 2n, 3n, 4n];
    const random = root.fork('test');
    const k = randomFieldElement(F, random);
    const x = randomFieldElement(F, random);
    const results = await evaluateAll(engines, 'e', [share(x, 1, points, random)], [0n], share(k, 1, points, random));
    for (const r of results) expect(r.outputs).toEqual([mimc7(x, k)]);
  });
});

describe('MPC engine usage errors', () => {
  it('rejects bad options with RangeError/TypeError', () => {
    const net = memoryNetwork({ members: ['a', 'b', 'c'] });
    cleanups.push(() => net.close());
    const base = { random: seededRandom(1), clock: virtualClock() };
    expect(() => createMpcEngine({ ...base, transport: net.transport('a'), degree: 1 })).toThrow(/3·degree \+ 1/);
    expect(() => createMpcEngine({ ...base, transport: net.transport('b'), degree: 0 })).toThrow(RangeError);
    expect(() => createMpcEngine({ ...base, transport: {} as never, degree: 1 })).toThrow(TypeError);
  });

  it('checks arguments, tuple supply, session reuse and close', async () => {
    const c = committee(4, 1, 'usage');
    const [e0] = c.engines as [MpcEngine];
    await expect(e0.evaluateMimc(utf8ToBytes('e'), [{ x: 1n, d: 0n }], 1n)).rejects.toSatisfy((e) => isAdmitOneError(e, 'MPC_NOT_ENOUGH_TUPLES'));
    await expect(e0.evaluateMimc(utf8ToBytes('e'), [{ x: P, d: 0n }], 1n)).rejects.toThrow(/^inputs\[0\]\.x must be a field element/);
    await expect(e0.evaluateMimc(utf8ToBytes('e'), [{ x: 1n, d: 0n }], -1n)).rejects.toThrow(RangeError);
    await expect(e0.evaluateMimc(utf8ToBytes('e'), [{ x: 1, d: 0n } as never], 1n)).rejects.toThrow(TypeError);
    await expect(e0.evaluateMimc(utf8ToBytes('e'), [], 1n)).rejects.toThrow(RangeError);
    await expect(e0.evaluateMimc(new Uint8Array(0), [{ x: 1n, d: 0n }], 1n)).rejects.toThrow(RangeError);
    await expect(e0.preprocess(utf8ToBytes('p'), 0)).rejects.toThrow(RangeError);
    await preprocessAll(c.engines, 'p', 91);
    await expect(e0.preprocess(utf8ToBytes('p'), 1)).rejects.toSatisfy((e) => isAdmitOneError(e, 'MPC_SESSION_REUSED'));
    e0.close();
    e0.close();
    await expect(e0.preprocess(utf8ToBytes('q'), 1)).rejects.toSatisfy((e) => isAdmitOneError(e, 'MPC_CLOSED'));
    await expect(e0.evaluateMimc(utf8ToBytes('e'), [{ x: 1n, d: 0n }], 1n)).rejects.toSatisfy((e) => isAdmitOneError(e, 'MPC_CLOSED'));
  });
});
