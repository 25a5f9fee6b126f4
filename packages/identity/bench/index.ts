/**
 * All identity benchmarks: `npm run bench` in packages/identity.
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
