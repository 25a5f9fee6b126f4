/**
 * All identity benchmarks: `npm run bench` in packages/identity. Quick mode
 * (`ADMITONE_BENCH_QUICK=1`, the root runner's `--quick`) runs fewer
 * iterations; figures go to the root runner through `bench/figures.ts`.
 */
import { benchMimc } from './mimc.js';
import { benchPrf } from './prf.js';
import { benchCommittee } from './committee.js';
import { runGateBench } from './gate.js';

benchMimc();
console.log();
await benchPrf();
console.log();
await benchCommittee();
await runGateBench();
// Exit as soon as the last figure is out: a timer left behind by library code
// (closed committee members once kept one per request for 6 × timeoutMs) must not
// hold the bench, and the root runner's timeout, for minutes.
process.exit(0);
