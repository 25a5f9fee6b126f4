/**
 * The pure-JavaScript Ed25519 provider, on `@noble/curves`. It defines the
 * acceptance set every other provider must match: ZIP-215 verification
 * (`ed25519.verify(..., { zip215: true })`).
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { assertBytes } from '../bytes/index.js';
import { CryptoError } from '../errors/index.js';
import type { CryptoProvider } from './types.js';

/** Length of an Ed25519 secret key (seed), public key and half-signature, in bytes. */
const KEY_LENGTH = 32;
/** Length of an Ed25519 signature, in bytes. */
const SIGNATURE_LENGTH = 64;

/**
 * A {@link CryptoProvider} on noble's audited pure-JS Ed25519.
 *
 * It runs everywhere and defines the reference verdict: `verify` is exactly
 * `ed25519.verify(signature, message, publicKey, { zip215: true })`, except
 * that malformed lengths return `false` instead of throwing.
 *
 * @example
 * ```ts
 * const crypto = nobleCrypto();
 * const pub = await crypto.getPublicKey(secretKey);
 * const sig = await crypto.sign(message, secretKey);
 * await crypto.verify(sig, message, pub); // true
 * ```
 */
export function nobleCrypto(): CryptoProvider {
  return {
    backend: 'noble',
    async getPublicKey(secretKey: Uint8Array): Promise<Uint8Array> {
      return ed25519.getPublicKey(assertSecretKey(secretKey));
    },
    async sign(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array> {
      assertBytes(message, 'message');
      return ed25519.sign(message, assertSecretKey(secretKey));
    },
    async verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
      return nobleVerify(signature, message, publicKey);
    },
  };
}

/**
 * Synchronous ZIP-215 Ed25519 verification: the reference acceptance set of
 * every {@link CryptoProvider}.
 *
 * Returns `false` (never throws) for a wrong-length signature or public key
 * and for any invalid encoding; throws `TypeError` naming the argument when
 * `signature`, `message` or `publicKey` is not a `Uint8Array`.
 */
export function nobleVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  assertBytes(signature, 'signature');
  assertBytes(message, 'message');
  assertBytes(publicKey, 'publicKey');
  if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== KEY_LENGTH) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: true });
  } catch {
    // noble already maps decoding failures to `false`; this only guards
    // against a future version that throws for some malformed input.
    return false;
  }
}

/**
 * Checks that `secretKey` is a 32-byte `Uint8Array`: `TypeError` when it is not
 * bytes, {@link CryptoError} `CRYPTO_INVALID_KEY` when the length is wrong.
 * Shared with the WebCrypto provider.
 * @internal
 */
export function assertSecretKey(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'secretKey');
  if (secretKey.length !== KEY_LENGTH) {
    throw new CryptoError('CRYPTO_INVALID_KEY', 'An Ed25519 secret key must be 32 bytes.', {
      details: `secretKey is ${secretKey.length} bytes`,
      meta: { length: secretKey.length },
    });
  }
  return secretKey;
}
