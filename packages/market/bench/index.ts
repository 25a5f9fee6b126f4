/** `npm run bench -w @admitone/market`: TDH2, sealed-order epoch, EventContract and holder-page benchmarks. */
import { benchContract } from './contract.js';
import { benchEpoch } from './epoch.js';
import { benchHoldings } from './holdings.js';
import { benchTdh2 } from './tdh2.js';

console.log(`@admitone/market benchmarks — Node ${process.version}, ${new Date().toISOString()}`);
console.log('Figures are medians over rounds; compare ratios measured in the same run.');
benchTdh2();
await benchEpoch();
await benchContract();
await benchHoldings();
