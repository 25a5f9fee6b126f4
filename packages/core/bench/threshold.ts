/**
 * Threshold building blocks: MPC openings over BN254's scalar field (the
 * identity committee's hot path) against raw bn254_Fr multiplications, the
 * Berlekamp–Welch fallback, sealing against raw x25519, and DKG latency over
 * an in-memory network against raw Ed25519 variable-base multiplications — each
 * beside its primitive measured in the same run.
 *
 * Run alone: `npx tsx --conditions=admitone-source bench/threshold.ts` (from packages/core).
 */
import { bn254_Fr } from '@noble/curves/bn254.js';
import { ed25519, ed25519_FROST, x25519 } from '@noble/curves/ed25519.js';
import { memoryNetwork } from '../src/transport/index.js';
import { seededRandom, virtualClock } from '../src/env/index.js';
import {
  createOpener,
  openSealed,
  randomFieldElement,
  robustReconstruct,
  runDkg,
  sealTo,
  shamirShare,
  x25519KeyPair,
  type Share,
} from '../src/threshold/index.js';
import { byMode, reportFigures } from '../../../bench/figures.js';
import { bench, report, type BenchResult } from './harness.js';

const F = bn254_Fr;

/** Runs the threshold benchmarks: three tables and the DKG latencies (about 35 s in total). */
export async function benchThreshold(): Promise<void> {
  const budgetMs = 1200;
  const rng = seededRandom('bench/threshold');

  // --- openings over BN254 --------------------------------------------------
  const BATCH = 1000;
  const a = Array.from({ length: BATCH }, () => randomFieldElement(F, rng));
  const b = Array.from({ length: BATCH }, () => randomFieldElement(F, rng));
  let sink = 0n;
  const mul = scaled(
    await bench('bn254_Fr.mul', () => {
      for (let i = 0; i < BATCH; i++) sink ^= F.mul(a[i] as bigint, b[i] as bigint);
    }, { budgetMs }),
    BATCH,
  );
  const openRows: BenchResult[] = [mul];
  const fallbackRows: BenchResult[] = [];
  for (const [n, t] of [
    [4, 1],
    [7, 2],
  ] as const) {
    const xs = Array.from({ length: n }, (_, i) => BigInt(i + 1));
    const opener = createOpener(F, xs, t);
    const columns = xs.map(() => [] as bigint[]);
    const secrets = Array.from({ length: BATCH }, () => randomFieldElement(F, rng));
    for (const s of secrets) shamirShare(F, s, t, xs, rng).forEach((share, i) => (columns[i] as bigint[]).push(share.y));
    const rows = secrets.map((_, v) => columns.map((c) => c[v] as bigint));
    const many = scaled(await bench(`openMany n=${n} t=${t} (values)`, () => opener.openMany(columns), { budgetMs }), BATCH);
    let v = 0;
    const one = await bench(`open n=${n} t=${t} (one value per call)`, () => opener.open(rows[v++ % BATCH] as bigint[]), { budgetMs });
    openRows.push(many, one);

    // one member lies on every value: BW once, then the suspect-avoiding plan
    const lying = columns.map((c, i) => (i === 0 ? c.map((y) => F.add(y, 1n)) : c));
    const liar = scaled(await bench(`openMany n=${n} t=${t}, 1 liar on every value`, () => opener.openMany(lying), { budgetMs }), BATCH);
    // a single opening with a wrong share: Berlekamp–Welch every time
    const wrongRow = (rows[0] as bigint[]).map((y, i) => (i === 0 ? F.add(y, 1n) : y));
    const bw = await bench(`open n=${n} t=${t}, 1 wrong share (BW)`, () => opener.open(wrongRow), { budgetMs });
    const shares: Share[] = wrongRow.map((y, i) => ({ x: xs[i] as bigint, y }));
    const robust = await bench(`robustReconstruct n=${n} t=${t}, 1 wrong (BW)`, () => robustReconstruct(F, shares, t), { budgetMs });
    fallbackRows.push(liar, bw, robust);
    reportFigures({
      [`shamir_n${n}_open_many_per_s`]: many.opsPerSec,
      [`shamir_n${n}_open_per_s`]: one.opsPerSec,
      [`shamir_n${n}_open_many_liar_per_s`]: liar.opsPerSec,
      [`shamir_n${n}_open_bw_per_s`]: bw.opsPerSec,
      [`shamir_n${n}_robust_reconstruct_per_s`]: robust.opsPerSec,
    });
  }
  reportFigures({ bn254_mul_per_s: mul.opsPerSec });
  if (sink === -1n) console.log(sink); // keep the multiplications alive
  report(`Opening Shamir-shared BN254 values (batches of ${BATCH}); ratio to raw bn254_Fr.mul`, openRows, mul);
  report('Robust opening when shares are wrong; ratio to raw bn254_Fr.mul', [mul, ...fallbackRows], mul);

  // --- sealing --------------------------------------------------------------
  const recipient = x25519KeyPair(rng);
  const sender = x25519KeyPair(rng);
  const plaintext = rng.bytes(64);
  const aad = rng.bytes(32);
  const sealed = sealTo(recipient.publicKey, plaintext, aad, rng);
  const ecdh = await bench('x25519.getSharedSecret', () => x25519.getSharedSecret(sender.secretKey, recipient.publicKey), { budgetMs });
  const seal = await bench('sealTo (keygen + ECDH + HKDF + AEAD)', () => sealTo(recipient.publicKey, plaintext, aad, rng), { budgetMs });
  const open = await bench('openSealed (ECDH + HKDF + AEAD)', () => openSealed(recipient.secretKey, sealed, aad), { budgetMs });
  report('Sealing a 64-byte share to a member; ratio to one raw x25519', [ecdh, seal, open], ecdh);
  reportFigures({ x25519_per_s: ecdh.opsPerSec, seal_per_s: seal.opsPerSec, open_sealed_per_s: open.opsPerSec });

  // --- DKG over an in-memory network -----------------------------------------
  // DKG verification is dominated by variable-base multiplications (proofs of knowledge, VSS checks).
  const scalar = ed25519.Point.Fn.fromBytes(rng.bytes(32).map((x, i) => (i === 31 ? x & 0x0f : x)));
  const point = ed25519.Point.BASE.multiply(randomFieldElement(ed25519.Point.Fn, rng) || 1n);
  const baseMul = await bench('ed25519 variable-base multiply', () => point.multiply(scalar), { budgetMs });
  console.log('\nFROST DKG latency: every member runs in this one thread over a memory network');
  console.log(`baseline: ed25519 variable-base multiply ${Math.round(baseMul.opsPerSec).toLocaleString('en-US')} ops/s (p50 ${baseMul.p50us.toFixed(0)} µs)`);
  reportFigures({ ed25519_var_mul_per_s: baseMul.opsPerSec });
  for (const [n, min] of [
    [4, 2],
    [7, 3],
  ] as const) {
    let run = 0;
    const r = await bench(`DKG n=${n}`, () => dkgOnce(n, min, run++), { budgetMs: 4000, rounds: byMode(3, 1) });
    const perMember = r.p50us / n;
    console.log(
      `DKG ed25519 n=${n} min=${min}: p50 ${(r.p50us / 1000).toFixed(0)} ms, p99 ${(r.p99us / 1000).toFixed(0)} ms for all ${n} members ` +
        `(${r.samples} runs) = ${(perMember / 1000).toFixed(0)} ms per member ≈ ${(perMember / baseMul.p50us).toFixed(0)} variable-base multiplications per member`,
    );
    reportFigures({ [`dkg_n${n}_p50_ms`]: r.p50us / 1000, [`dkg_n${n}_p99_ms`]: r.p99us / 1000 });
  }
}

/** Runs one DKG among `n` in-process members. */
async function dkgOnce(n: number, min: number, run: number): Promise<void> {
  const members = Array.from({ length: n }, (_, i) => `m${i}`);
  const net = memoryNetwork({ members });
  const transports = members.map((id) => net.transport(id));
  const clock = virtualClock();
  await Promise.all(
    transports.map((transport) =>
      runDkg({ suite: ed25519_FROST, transport, sessionId: `bench-${run}`, threshold: min, random: seededRandom(`${run}/${transport.localId}`), clock, timeoutMs: 60_000 }),
    ),
  );
  await net.close();
}

/** Turns a per-batch result into per-item throughput (latencies stay per batch). */
function scaled(r: BenchResult, batch: number): BenchResult {
  return { ...r, opsPerSec: r.opsPerSec * batch };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`@admitone/core threshold benchmarks — Node ${process.version}`);
  await benchThreshold();
}
