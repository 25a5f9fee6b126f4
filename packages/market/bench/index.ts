/** `npm run bench -w @admitone/market`: TDH2 benchmarks (the EventContract and epoch benches can register here too). */
import { benchTdh2 } from './tdh2.js';

console.log(`@admitone/market benchmarks — Node ${process.version}, ${new Date().toISOString()}`);
console.log('Figures are medians over rounds; compare ratios measured in the same run.');
benchTdh2();
