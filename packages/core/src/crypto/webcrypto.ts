/**
 * The WebCrypto Ed25519 provider (native: OpenSSL in Node, BoringSSL in
 * Chromium), with noble as the arbiter of every negative verdict so that all
 * platforms accept exactly the same signatures.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { assertBytes, bytesToHex, concatBytes, equalBytes, hexToBytes } from '../bytes/index.js';
import { CryptoError } from '../errors/index.js';
import { assertSecretKey, nobleCrypto, nobleVerify } from './noble.js';
import { LruCache } from './lru.js';
import type { CryptoProvider } from './types.js';

/** Options for {@link webCrypto}. */
export interface WebCryptoInit {
  /** The `SubtleCrypto` to use. Default: `globalThis.crypto.subtle`. */
  readonly subtle?: SubtleCrypto;
  /**
   * How many imported keys to keep, per cache (public keys for `verify`,
   * secret keys for `sign`), least recently used first out. Default 1024;
   * 0 disables caching.
   */
  readonly cacheSize?: number;
}

/**
 * A {@link CryptoProvider} on WebCrypto Ed25519, several times faster than
 * noble for verification.
 *
 * Verification answers `true` when WebCrypto does. When WebCrypto answers
 * `false`, or refuses the input (for example a public key it will not import,
 * such as a non-canonical or small-order encoding), noble's ZIP-215 verdict is
 * returned instead. Native Ed25519 implementations (OpenSSL, BoringSSL) check
 * the cofactorless equation with canonical `R` and `S < L`, which implies
 * ZIP-215's cofactored equation, so WebCrypto-true ⊆ noble-true and the
 * accepted set is exactly noble's. The tests check this on the ZIP-215 and
 * ed25519-speccheck edge-case vectors in Node and in Chromium.
 *
 * Imported `CryptoKey`s are cached in bounded LRU caches because imports cost
 * about as much as a verification. Secret keys are cached under a SHA-256
 * digest of the seed, never under the seed itself.
 *
 * `getPublicKey` uses noble (one fixed-base multiplication). Signatures are
 * byte-identical to noble's: Ed25519 signing is deterministic.
 *
 * Throws {@link CryptoError} `CRYPTO_UNAVAILABLE` if no `SubtleCrypto` is
 * available. It does not check that it supports Ed25519: use
 * {@link defaultCrypto} or {@link isWebCryptoEd25519Supported} for that.
 *
 * @example
 * ```ts
 * const crypto = (await isWebCryptoEd25519Supported()) ? webCrypto() : nobleCrypto();
 * const ok = await crypto.verify(signature, message, publicKey);
 * ```
 */
export function webCrypto(init: WebCryptoInit = {}): CryptoProvider {
  const subtle = init.subtle ?? globalThis.crypto?.subtle;
  if (subtle === undefined) {
    throw new CryptoError('CRYPTO_UNAVAILABLE', 'WebCrypto (crypto.subtle) is not available.');
  }
  const cacheSize = init.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new RangeError(`cacheSize must be a non-negative integer, got ${String(cacheSize)}`);
  }
  // `null` remembers a public key WebCrypto refused to import, so later
  // verifications under it go straight to noble.
  const publicKeys = new LruCache<Promise<CryptoKey | null>>(cacheSize);
  const secretKeys = new LruCache<Promise<CryptoKey>>(cacheSize);
  const publicOfSecret = new LruCache<Uint8Array>(cacheSize);
  const noble = nobleCrypto();

  function importPublic(publicKey: Uint8Array): Promise<CryptoKey | null> {
    const id = bytesToHex(publicKey);
    const cached = publicKeys.get(id);
    if (cached !== undefined) return cached;
    const imported = subtle
      .importKey('raw', toBufferSource(publicKey), ED25519, false, ['verify'])
      .catch(() => null);
    publicKeys.set(id, imported);
    return imported;
  }

  function importSecret(secretKey: Uint8Array): Promise<CryptoKey> {
    const id = bytesToHex(sha256(concatBytes(SECRET_CACHE_DOMAIN, secretKey)));
    const cached = secretKeys.get(id);
    if (cached !== undefined) return cached;
    const pkcs8 = concatBytes(PKCS8_ED25519_PREFIX, secretKey);
    const imported = subtle.importKey('pkcs8', pkcs8, ED25519, false, ['sign']).finally(() => pkcs8.fill(0));
    // A failed import is not cached: the next call retries.
    imported.catch(() => secretKeys.delete(id));
    secretKeys.set(id, imported);
    return imported;
  }

  return {
    backend: 'webcrypto',
    async getPublicKey(secretKey: Uint8Array): Promise<Uint8Array> {
      // Deriving a public key is a full scalar multiplication in noble; clients
      // derive it for every request they sign, so remember recent ones (keyed by
      // a hash of the secret, never the secret itself).
      const id = bytesToHex(sha256(concatBytes(PUBLIC_CACHE_DOMAIN, assertSecretKey(secretKey))));
      const hit = publicOfSecret.get(id);
      if (hit !== undefined) return hit.slice();
      const pk = await noble.getPublicKey(secretKey);
      publicOfSecret.set(id, pk.slice());
      return pk;
    },
    async sign(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array> {
      assertBytes(message, 'message');
      assertSecretKey(secretKey);
      let key: CryptoKey;
      try {
        key = await importSecret(secretKey);
      } catch (cause) {
        throw new CryptoError('CRYPTO_UNAVAILABLE', 'WebCrypto could not import the Ed25519 secret key.', { cause });
      }
      return new Uint8Array(await subtle.sign(ED25519, key, toBufferSource(message)));
    },
    async verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
      assertBytes(signature, 'signature');
      assertBytes(message, 'message');
      assertBytes(publicKey, 'publicKey');
      if (signature.length !== 64 || publicKey.length !== 32) return false;
      try {
        const key = await importPublic(publicKey);
        if (key !== null && (await subtle.verify(ED25519, key, toBufferSource(signature), toBufferSource(message)))) {
          return true;
        }
      } catch {
        // WebCrypto refused the input: noble decides below.
      }
      return nobleVerify(signature, message, publicKey);
    },
  };
}

/**
 * Feature detection: resolves `true` when `subtle` (default
 * `globalThis.crypto.subtle`) imports an Ed25519 key pair, produces the
 * RFC 8032 test-1 signature byte for byte and verifies it. Never rejects.
 */
export async function isWebCryptoEd25519Supported(subtle?: SubtleCrypto): Promise<boolean> {
  const s = subtle ?? globalThis.crypto?.subtle;
  if (s === undefined) return false;
  try {
    const { secretKey, publicKey, message, signature } = RFC8032_TEST_1;
    const priv = await s.importKey('pkcs8', concatBytes(PKCS8_ED25519_PREFIX, hexToBytes(secretKey)), ED25519, false, [
      'sign',
    ]);
    const pub = await s.importKey('raw', hexToBytes(publicKey), ED25519, false, ['verify']);
    const sig = new Uint8Array(await s.sign(ED25519, priv, hexToBytes(message)));
    if (!equalBytes(sig, hexToBytes(signature))) return false;
    return (await s.verify(ED25519, pub, sig, hexToBytes(message))) === true;
  } catch {
    return false;
  }
}

/**
 * The best provider for this platform: {@link webCrypto} when
 * {@link isWebCryptoEd25519Supported}, else {@link nobleCrypto}. Both accept
 * exactly the same signatures. Detection runs once per realm and is cached.
 */
export function defaultCrypto(): Promise<CryptoProvider> {
  detection ??= isWebCryptoEd25519Supported();
  return detection.then((supported) => (supported ? webCrypto() : nobleCrypto()));
}

// ---------------------------------------------------------------------------
// helpers

/** The WebCrypto algorithm identifier for Ed25519. */
const ED25519 = { name: 'Ed25519' } as const;

/**
 * Default size of each key cache (shared with the Node provider).
 * @internal
 */
export const DEFAULT_CACHE_SIZE = 1024;

/**
 * DER prefix of a PKCS#8 `PrivateKeyInfo` for Ed25519 (RFC 8410): SEQUENCE,
 * version 0, AlgorithmIdentifier id-Ed25519 (1.3.101.112), then an OCTET
 * STRING wrapping the 32-byte seed as an OCTET STRING.
 * @internal
 */
export const PKCS8_ED25519_PREFIX = hexToBytes('302e020100300506032b657004220420');

/** Domain separator for secret-key cache ids. */
const SECRET_CACHE_DOMAIN = new TextEncoder().encode('admitone/webcrypto/secret-key-cache-id/v1');
const PUBLIC_CACHE_DOMAIN = new TextEncoder().encode('admitone/webcrypto/public-cache/v1');

/** RFC 8032 §7.1 TEST 1 (empty message). */
const RFC8032_TEST_1 = {
  secretKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  message: '',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
} as const;

/** The cached feature-detection result of {@link defaultCrypto}. */
let detection: Promise<boolean> | undefined;

/**
 * WebCrypto's typings want `ArrayBuffer`-backed views. Views over a
 * `SharedArrayBuffer` are copied; others are passed through.
 */
function toBufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
