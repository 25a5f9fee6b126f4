/// <reference types="node" />
/**
 * The Node-native Ed25519 provider: `node:crypto`'s one-shot `sign`/`verify`
 * (OpenSSL) on the calling thread, with noble as the arbiter of every negative
 * verdict, as in {@link webCrypto}.
 * @module
 */
import { createPrivateKey, createPublicKey, sign as signOneShot, verify as verifyOneShot, type KeyObject } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertBytes, bytesToHex, concatBytes } from '../bytes/index.js';
import { CryptoError } from '../errors/index.js';
import { LruCache } from './lru.js';
import { assertSecretKey, nobleVerify } from './noble.js';
import type { CryptoProvider } from './types.js';
import { DEFAULT_CACHE_SIZE, PKCS8_ED25519_PREFIX, type webCrypto } from './webcrypto.js';

/** Options for {@link nodeCrypto}. */
export interface NodeCryptoInit {
  /**
   * How many parsed keys to keep, per cache (public keys for `verify`, secret
   * keys for `sign`), least recently used first out. Default 1024; 0 disables
   * caching.
   */
  readonly cacheSize?: number;
}

/**
 * A {@link CryptoProvider} on `node:crypto`'s synchronous Ed25519 (OpenSSL),
 * for Node processes. Import it from `@admitone/core/node`.
 *
 * Each call runs on the calling thread and settles at once: there is no
 * threadpool round trip, no completion wake-up and no promise job per call
 * (one at a time on the 2-core test machine: ~64 µs of CPU per verification,
 * against ~106 µs through WebCrypto). That is the better trade
 * when a replica's process shares cores with others (several replicas or
 * clients on one machine), or when latency per message matters more than
 * verifying many signatures of one burst in parallel; {@link webCrypto}
 * remains the better one for a lone process that must spread a large burst of
 * verifications over idle cores.
 *
 * The accepted set is exactly noble's ZIP-215 set, as for {@link webCrypto}:
 * `verify` answers `true` when OpenSSL does (its cofactorless check with
 * canonical `R` and `S < L` implies ZIP-215's cofactored equation), and
 * otherwise, or when OpenSSL refuses the key, returns noble's verdict. The
 * tests check this on the ZIP-215 and ed25519-speccheck vectors. Signatures are
 * byte-identical to noble's (Ed25519 signing is deterministic).
 *
 * Parsed keys are cached in bounded LRU caches; secret keys under a SHA-256
 * digest of the seed, never under the seed itself.
 *
 * Throws `RangeError` for a `cacheSize` that is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { nodeCrypto } from '@admitone/core/node';
 * const crypto = nodeCrypto();
 * const signature = await crypto.sign(message, secretKey);
 * await crypto.verify(signature, message, await crypto.getPublicKey(secretKey)); // true
 * ```
 */
export function nodeCrypto(init: NodeCryptoInit = {}): CryptoProvider {
  const cacheSize = init.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new RangeError(`cacheSize must be a non-negative integer, got ${String(cacheSize)}`);
  }
  // `null` remembers a public key OpenSSL refused to parse: noble decides for it.
  const publicKeys = new LruCache<KeyObject | null>(cacheSize);
  const secretKeys = new LruCache<{ key: KeyObject; publicKey: Uint8Array }>(cacheSize);

  function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
    const id = bytesToHex(publicKey);
    const cached = publicKeys.get(id);
    if (cached !== undefined) return cached;
    let key: KeyObject | null;
    try {
      key = createPublicKey({ key: Buffer.from(concatBytes(SPKI_ED25519_PREFIX, publicKey)), format: 'der', type: 'spki' });
    } catch {
      key = null;
    }
    publicKeys.set(id, key);
    return key;
  }

  function secretKeyObject(secretKey: Uint8Array): { key: KeyObject; publicKey: Uint8Array } {
    assertSecretKey(secretKey);
    const id = bytesToHex(sha256(concatBytes(SECRET_CACHE_DOMAIN, secretKey)));
    const cached = secretKeys.get(id);
    if (cached !== undefined) return cached;
    const der = Buffer.from(concatBytes(PKCS8_ED25519_PREFIX, secretKey));
    let entry: { key: KeyObject; publicKey: Uint8Array };
    try {
      const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
      entry = { key, publicKey: new Uint8Array(spki.subarray(spki.length - 32)) };
    } catch (cause) {
      throw new CryptoError('CRYPTO_UNAVAILABLE', 'node:crypto could not import the Ed25519 secret key.', { cause });
    } finally {
      der.fill(0);
    }
    secretKeys.set(id, entry);
    return entry;
  }

  return {
    backend: 'node',
    async getPublicKey(secretKey: Uint8Array): Promise<Uint8Array> {
      return secretKeyObject(secretKey).publicKey.slice();
    },
    async sign(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array> {
      assertBytes(message, 'message');
      const { key } = secretKeyObject(secretKey);
      const signature = signOneShot(null, message, key);
      return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength).slice();
    },
    async verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
      assertBytes(signature, 'signature');
      assertBytes(message, 'message');
      assertBytes(publicKey, 'publicKey');
      if (signature.length !== 64 || publicKey.length !== 32) return false;
      const key = publicKeyObject(publicKey);
      try {
        if (key !== null && verifyOneShot(null, message, key, signature)) return true;
      } catch {
        // OpenSSL refused the input: noble decides below.
      }
      return nobleVerify(signature, message, publicKey);
    },
  };
}

/** DER prefix of a `SubjectPublicKeyInfo` for Ed25519 (RFC 8410), followed by the 32-byte key. */
const SPKI_ED25519_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/** Domain separator for secret-key cache ids. */
const SECRET_CACHE_DOMAIN = new TextEncoder().encode('admitone/node-crypto/secret-key-cache-id/v1');
