/**
 * Plain MiMC-7 throughput beside the BN254 Fr multiplication rate measured
 * in the same run (MiMC-7 costs 4 field multiplications per round × 91
 * rounds = 364, so the ideal ratio is about 1/364 ≈ 0.27%).
 *
 * Run: `npx tsx --conditions=admitone-source bench/mimc.ts` from packages/identity.
 */
import { BN254_FR, BN254_FR_ORDER, mimc7 } from '../src/mimc/index.js';
import { byMode, reportFigures } from '../../../bench/figures.js';
import { fmt, opsPerSecond } from './stats.js';

/** Runs the MiMC benchmark and prints its lines; returns the numbers. */
export function benchMimc(): { mimcPerSecond: number; mulPerSecond: number } {
  const F = BN254_FR;
  let a = BN254_FR_ORDER - 12345678901234567890n;
  const b = 98765432109876543210987654321n;
  const budgetMs = byMode(1000, 300);
  const mulPerSecond = opsPerSecond(() => {
    a = F.mul(a, b);
  }, budgetMs);
  let x = 1n;
  const k = 0x1234567890abcdefn;
  const mimcPerSecond = opsPerSecond(() => {
    x = mimc7(x, k);
  }, budgetMs);
  console.log('## MiMC-7 (plain, one core)');
  console.log(`bn254_Fr.mul            ${fmt(mulPerSecond).padStart(12)} ops/s`);
  console.log(`mimc7 (91 rounds)       ${fmt(mimcPerSecond).padStart(12)} ops/s`);
  console.log(
    `ratio mimc7/mul         ${fmt((mimcPerSecond / mulPerSecond) * 100, 3).padStart(12)} %  (= ${fmt(mulPerSecond / mimcPerSecond, 0)} mul-equivalents per mimc7; 364 multiplications by design)`,
  );
  reportFigures({ mimc7_per_s: mimcPerSecond, mimc_bn254_mul_per_s: mulPerSecond });
  return { mimcPerSecond, mulPerSecond };
}

if (import.meta.url === `file://${process.argv[1]}`) benchMimc();
