/**
 * Ed25519 throughput: noble (pure JS) against WebCrypto (native), raw and
 * through the providers. Verification is what dominates PBFT ordering (every
 * replica verifies every client request), so its table uses noble's verify as
 * the baseline; signing gets its own table against noble's sign.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { isWebCryptoEd25519Supported, nobleCrypto, webCrypto } from '../src/crypto/index.js';
import { seededRandom } from '../src/env/index.js';
import { reportFigures } from '../../../bench/figures.js';
import { bench, report, type BenchResult } from './harness.js';

/** Runs the Ed25519 benchmarks and prints two tables (about 10 s in total). */
export async function benchCrypto(): Promise<void> {
  const budgetMs = 1100;
  const rng = seededRandom('bench/crypto');
  const secretKey = rng.bytes(32);
  const message = new Uint8Array(rng.bytes(200)); // about the size of a signed ticket operation
  const publicKey = ed25519.getPublicKey(secretKey);
  const signature = ed25519.sign(message, secretKey);
  const forged = signature.slice();
  forged[40] = (forged[40] as number) ^ 1;

  const noble = nobleCrypto();
  const nobleVerify = await bench('noble verify (zip215)', () => ed25519.verify(signature, message, publicKey, { zip215: true }), {
    budgetMs,
  });
  const verifyRows: BenchResult[] = [nobleVerify];
  const signRows: BenchResult[] = [await bench('noble sign', () => ed25519.sign(message, secretKey), { budgetMs })];
  verifyRows.push(await bench('nobleCrypto().verify', () => noble.verify(signature, message, publicKey), { budgetMs }));

  const subtle = globalThis.crypto?.subtle;
  if (subtle !== undefined && (await isWebCryptoEd25519Supported(subtle))) {
    const pub = await subtle.importKey('raw', publicKey, 'Ed25519', false, ['verify']);
    const pkcs8 = new Uint8Array([...hexToBytes('302e020100300506032b657004220420'), ...secretKey]);
    const priv = await subtle.importKey('pkcs8', pkcs8, 'Ed25519', false, ['sign']);
    const web = webCrypto({ subtle });
    const subtleVerify = await bench('WebCrypto subtle.verify (cached key)', () => subtle.verify('Ed25519', pub, signature, message), { budgetMs });
    const webVerify = await bench('webCrypto().verify (valid)', () => web.verify(signature, message, publicKey), { budgetMs });
    const webInvalid = await bench('webCrypto().verify (invalid: native + noble)', () => web.verify(forged, message, publicKey), { budgetMs });
    verifyRows.push(subtleVerify, webVerify, webInvalid);
    const subtleSign = await bench('WebCrypto subtle.sign (cached key)', () => subtle.sign('Ed25519', priv, message), { budgetMs });
    const webSign = await bench('webCrypto().sign', () => web.sign(message, secretKey), { budgetMs });
    signRows.push(subtleSign, webSign);
    reportFigures({
      ed25519_verify_per_s: webVerify.opsPerSec,
      ed25519_verify_p99_ms: webVerify.p99us / 1000,
      ed25519_subtle_verify_per_s: subtleVerify.opsPerSec,
      ed25519_verify_invalid_per_s: webInvalid.opsPerSec,
      ed25519_subtle_sign_per_s: subtleSign.opsPerSec,
      ed25519_sign_per_s: webSign.opsPerSec,
    });
  } else {
    console.log('\nWebCrypto Ed25519 is not supported here: only noble was measured.');
  }
  reportFigures({ ed25519_noble_verify_per_s: nobleVerify.opsPerSec, ed25519_noble_sign_per_s: (signRows[0] as BenchResult).opsPerSec });

  report('Ed25519 verify (200-byte message), ratio to noble verify', verifyRows, nobleVerify);
  report('Ed25519 sign (200-byte message), ratio to noble sign', signRows, signRows[0]);
}
