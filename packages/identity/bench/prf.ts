/**
 * Threshold MiMC PRF over an in-memory network (every member in this one
 * thread, so per-member CPU cost is roughly the figures below divided by n):
 * - preprocessing cost per power tuple, verified by sacrifice (the default)
 *   and, at n = 4, unverified and with signed transcripts for comparison;
 * - latency of one evaluation (single input) at n = 4 and n = 7, p50/p99,
 *   with the tuples preprocessed before timing;
 * - batched throughput at n = 4 (identities per second, online only and
 *   including preprocessing).
 *
 * Run: `npx tsx --conditions=admitone-source bench/prf.ts` from packages/identity.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { defaultCrypto, memoryNetwork, seededRandom, systemClock, utf8ToBytes, type CryptoProvider } from '@admitone/core';
import { randomFieldElement, shamirShare } from '@admitone/core/threshold';
import { BN254_FR, BN254_FR_ORDER, MIMC7_ROUNDS, mimc7 } from '../src/mimc/index.js';
import { createMpcEngine, type MpcEngine } from '../src/mpc/index.js';
import { byMode, quickMode, reportFigures } from '../../../bench/figures.js';
import { fmt, opsPerSecond, summarize } from './stats.js';

const F = BN254_FR;

interface Committee {
  readonly engines: MpcEngine[];
  readonly points: bigint[];
  close(): Promise<void>;
}

function committee(n: number, t: number, seed: string, verifyTuples = true, crypto?: CryptoProvider): Committee {
  const members = Array.from({ length: n }, (_, i) => `m${i}`);
  const net = memoryNetwork({ members });
  const root = seededRandom(seed);
  const clock = systemClock();
  // with a crypto provider, the members sign their preprocessing transcripts (`signing`)
  const secretKeys = members.map((id) => root.fork(`key/${id}`).bytes(32));
  const publicKeys = new Map(members.map((id, i) => [id, ed25519.getPublicKey(secretKeys[i] as Uint8Array)]));
  const engines = members.map((id, i) =>
    createMpcEngine({
      transport: net.transport(id),
      degree: t,
      random: root.fork(id),
      clock,
      timeoutMs: 60_000,
      verifyTuples,
      ...(crypto === undefined ? {} : { signing: { crypto, secretKey: secretKeys[i] as Uint8Array, publicKeys } }),
    }),
  );
  return {
    engines,
    points: members.map((_, i) => BigInt(i + 1)),
    async close() {
      for (const e of engines) e.close();
      await net.close();
    },
  };
}

let sessions = 0;
const fresh = (label: string): Uint8Array => utf8ToBytes(`${label}-${sessions++}`);

async function preprocess(c: Committee, count: number): Promise<number> {
  const id = fresh('pre');
  const start = performance.now();
  await Promise.all(c.engines.map((e) => e.preprocess(id, count)));
  return performance.now() - start;
}

/** One evaluation of `batch` random inputs by the whole committee; checks the output; returns ms. */
async function evaluate(c: Committee, t: number, batch: number, random: ReturnType<typeof seededRandom>): Promise<number> {
  const k = randomFieldElement(F, random);
  const xs = Array.from({ length: batch }, () => randomFieldElement(F, random));
  const d = 7n;
  const keyShares = shamirShare(F, k, t, c.points, random).map((s) => s.y);
  const xShares = xs.map((x) => shamirShare(F, x, t, c.points, random).map((s) => s.y));
  const id = fresh('eval');
  const start = performance.now();
  const results = await Promise.all(
    c.engines.map((e, j) => e.evaluateMimc(id, xShares.map((s) => ({ x: s[j] as bigint, d })), keyShares[j] as bigint)),
  );
  const ms = performance.now() - start;
  const first = results[0]?.outputs[0];
  if (first !== mimc7(((xs[0] as bigint) + d) % BN254_FR_ORDER, k)) throw new Error('MPC output differs from mimc7');
  return ms;
}

/** Runs the PRF benchmarks and prints their lines. */
export async function benchPrf(): Promise<void> {
  console.log('## Threshold MiMC PRF (memoryNetwork, all members in one thread)');
  const random = seededRandom('bench-prf');
  let y = 3n;
  const plainPerSecond = opsPerSecond(() => {
    y = mimc7(y, 5n);
  }, byMode(500, 200));
  const plainMs = 1000 / plainPerSecond;
  console.log(`plain mimc7 (same run)      ${fmt(plainPerSecond)} ops/s = ${fmt(plainMs * 1000, 1)} µs each`);
  reportFigures({ prf_mimc7_baseline_per_s: plainPerSecond });
  for (const [n, t, iterations] of [
    [4, 1, byMode(60, 15)],
    [7, 2, byMode(30, 8)],
  ] as const) {
    const c = committee(n, t, `bench-${n}`);
    const warm = 3;
    await preprocess(c, byMode(500, 200)); // JIT warm-up, then discarded
    for (const e of c.engines) e.discardUnclaimed();
    const tuples = MIMC7_ROUNDS * (iterations + warm);
    const preMs = await preprocess(c, tuples);
    for (let i = 0; i < warm; i++) await evaluate(c, t, 1, random);
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) samples.push(await evaluate(c, t, 1, random));
    const s = summarize(samples);
    console.log(
      `n=${n} t=${t} preprocessing       ${fmt((preMs * 1000) / tuples, 1).padStart(8)} µs/tuple for the whole committee ` +
        `(≈ ${fmt((preMs * 1000) / tuples / n, 1)} µs per member; ${tuples} tuples in ${fmt(preMs)} ms; ${fmt((preMs * MIMC7_ROUNDS) / tuples, 1)} ms per identity)`,
    );
    console.log(
      `n=${n} t=${t} single-input PRF    p50 ${fmt(s.p50, 2)} ms  p99 ${fmt(s.p99, 2)} ms  (mean ${fmt(s.mean, 2)}, ${s.n} runs, 92 rounds each; p50 = ${fmt(s.p50 / plainMs)}× plain mimc7)`,
    );
    reportFigures({ [`prf_n${n}_memory_p50_ms`]: s.p50, [`prf_n${n}_memory_p99_ms`]: s.p99, [`prf_n${n}_preprocess_tuple_ms`]: preMs / tuples });
    await c.close();
    if (n === 4) {
      // the price of verification: the same preprocessing without the sacrifice check (semi-honest members only)
      const u = committee(n, t, `bench-${n}-unverified`, false);
      await preprocess(u, byMode(500, 200));
      const uMs = await preprocess(u, tuples);
      console.log(
        `n=${n} t=${t} preprocessing, unverified ${fmt((uMs * 1000) / tuples, 1).padStart(8)} µs/tuple (verifyTuples: false, semi-honest only; verified/unverified = ${fmt(preMs / uMs, 2)})`,
      );
      reportFigures({ [`prf_n${n}_preprocess_unverified_tuple_ms`]: uMs / tuples });
      await u.close();
      // and of naming a cheater: signed transcripts (every message signed and checked on receipt)
      const signed = committee(n, t, `bench-${n}-signed`, true, await defaultCrypto());
      await preprocess(signed, byMode(500, 200));
      const sMs = await preprocess(signed, tuples);
      console.log(
        `n=${n} t=${t} preprocessing, signed     ${fmt((sMs * 1000) / tuples, 1).padStart(8)} µs/tuple (verified, with signed transcripts; signed/verified = ${fmt(sMs / preMs, 2)})`,
      );
      reportFigures({ [`prf_n${n}_preprocess_signed_tuple_ms`]: sMs / tuples });
      await signed.close();
    }
  }
  for (const batch of [64, 256]) {
    const c = committee(4, 1, `bench-batch-${batch}`);
    const runs = batch === 64 ? byMode(4, 1) : byMode(2, 1);
    // quick mode: batch 64 has just warmed up the same code, so batch 256 skips its warm-up evaluation
    const warmups = quickMode && batch === 256 ? 0 : 1;
    const tuples = MIMC7_ROUNDS * batch * (runs + warmups);
    const preMs = await preprocess(c, tuples);
    for (let i = 0; i < warmups; i++) await evaluate(c, 1, batch, random);
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push(await evaluate(c, 1, batch, random));
    const online = summarize(samples).p50;
    const prePerIdentity = preMs / (batch * (runs + warmups));
    console.log(
      `n=4 t=1 batch ${String(batch).padStart(3)}           online ${fmt((batch * 1000) / online).padStart(6)} identities/s (p50 ${fmt(online, 1)} ms/batch; ${fmt((batch * 1000) / online / plainPerSecond * 100, 1)}% of plain mimc7 ops/s); ` +
        `with preprocessing ${fmt(1000 / (online / batch + prePerIdentity))} identities/s (preprocessing ${fmt((preMs * 1000) / tuples, 1)} µs/tuple)`,
    );
    // batch 256 is the headline MPC figure (prf_n4_batch_per_s)
    const key = batch === 256 ? 'prf_n4_batch' : `prf_n4_batch${batch}`;
    reportFigures({ [`${key}_per_s`]: (batch * 1000) / online, [`${key}_with_preprocessing_per_s`]: 1000 / (online / batch + prePerIdentity) });
    await c.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPrf();
