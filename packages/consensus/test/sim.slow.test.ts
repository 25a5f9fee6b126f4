/**
 * The simulator's slow lane: thousands of seeds over the whole fault space
 * (n = 4 and 7, every Byzantine strategy, partitions, crash-restarts with lost
 * writes, loss, duplication, jitter), each checked for safety and for
 * liveness after healing. It is not part of `npm test`:
 *
 *   npm run test:slow                              # ADMITONE_SLOW=1, 2 000 seeds
 *   ADMITONE_SLOW=1 ADMITONE_SLOW_SEEDS=20000 ADMITONE_SLOW_FROM=1 npx vitest run --project node packages/consensus/test/sim.slow.test.ts
 *
 * The default project excludes `*.slow.test.ts`; collected without
 * `ADMITONE_SLOW=1` this file fails loudly rather than passing vacuously.
 * Runs use Node's native Ed25519 (bit-identical signatures to noble, so the
 * same traces) to afford the seed count. A failing seed prints its report and
 * trace; replay it with `runSimulation(configFor(seed))` and add it to the
 * regression table in `sim.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@admitone/core';
import { formatReport, runSimulation, type ByzantineStrategy, type SimulationOptions } from '../src/sim/index.js';
import { nodeSyncCrypto } from '../src/sim/node-crypto.js';

if (process.env['ADMITONE_SLOW'] !== '1') {
  throw new Error(
    'sim.slow.test.ts is the slow lane: run it with `npm run test:slow` (ADMITONE_SLOW=1). ' +
      'The default vitest project must exclude **/*.slow.test.ts.',
  );
}

const STRATEGIES: readonly ByzantineStrategy[] = ['equivocate', 'forge', 'silent', 'replay', 'wrong-digest', 'slow', 'mixed'];
const count = Number(process.env['ADMITONE_SLOW_SEEDS'] ?? 2000);
const from = Number(process.env['ADMITONE_SLOW_FROM'] ?? 1);

/** The configuration of slow-lane seed `seed`: everything drawn from the seed. */
function configFor(seed: number): SimulationOptions {
  const r = seededRandom(`admitone/sim/slow/${seed}`);
  const nodes = r.int(2) === 0 ? 4 : 7;
  const f = Math.floor((nodes - 1) / 3);
  const byzantine = r.int(f + 1);
  const pick = <T>(a: readonly T[]): T => a[r.int(a.length)] as T;
  return {
    seed,
    nodes,
    byzantine,
    strategy: byzantine === 0 ? 'none' : pick(STRATEGIES),
    tickets: nodes === 4 ? 4 : 3,
    jitterMs: pick([0, 2, 5, 10]),
    packetLoss: pick([0, 0, 0.02, 0.05]),
    duplicateRate: pick([0, 0, 0.05]),
    partitions: r.int(3),
    crashes: r.int(3),
    durationMs: 3000 + 1000 * r.int(4),
  };
}

describe(`slow lane: ${count} seeds from ${from}`, () => {
  const crypto = nodeSyncCrypto();
  const chunk = 100;
  for (let start = from; start < from + count; start += chunk) {
    const end = Math.min(from + count, start + chunk) - 1;
    it(`seeds ${start}–${end} are safe and live`, async () => {
      const failures: string[] = [];
      const seeds: number[] = [];
      for (let seed = start; seed <= end; seed++) {
        const options = configFor(seed);
        const report = await runSimulation({ ...options, crypto });
        if (report.ok) continue;
        seeds.push(seed);
        failures.push(`seed ${seed} ${JSON.stringify(options)}\n${formatReport(report)}`);
      }
      expect(seeds, `failing seeds ${seeds.join(', ')}\n\n${failures.slice(0, 3).join('\n\n')}`).toEqual([]);
    }, 3_600_000);
  }
});
