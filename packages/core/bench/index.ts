/** `npm run bench -w @admitone/core`: crypto provider, codec, ledger and threshold benchmarks. */
import { benchCrypto } from './crypto.js';
import { benchCodec } from './codec.js';
import { benchLedger } from './ledger.js';
import { benchThreshold } from './threshold.js';

console.log(`@admitone/core benchmarks — Node ${process.version}, ${new Date().toISOString()}`);
console.log('Figures are medians over rounds; compare ratios measured in the same run.');
await benchCrypto();
await benchCodec();
await benchLedger();
await benchThreshold();
