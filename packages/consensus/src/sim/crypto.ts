/**
 * A memoizing {@link CryptoProvider} for the simulator. Ed25519 is
 * deterministic, so caching `getPublicKey`, `sign` and `verify` by their exact
 * inputs changes no verdict and no signature byte; it only spares the
 * simulated cluster from checking the same signature once per replica (every
 * replica verifies every vote and every client request).
 * @module
 */
import { bytesToHex, hash, type CryptoProvider } from '@admitone/core';

/**
 * Wraps `inner` with bounded caches keyed by the full inputs (secret or public
 * key, signature and a SHA-256 of the message). The provider must be
 * deterministic and settle in microtasks (for example `nobleCrypto()`), so the
 * simulation stays reproducible. Each cache is cleared when it reaches
 * `maxEntries`.
 */
export function memoizedCrypto(inner: CryptoProvider, maxEntries = 100_000): CryptoProvider {
  const publicKeys = new Map<string, Promise<Uint8Array>>();
  const signatures = new Map<string, Promise<Uint8Array>>();
  const verdicts = new Map<string, Promise<boolean>>();
  const remember = <T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> => {
    let p = cache.get(key);
    if (p === undefined) {
      p = make();
      if (cache.size >= maxEntries) cache.clear();
      cache.set(key, p);
    }
    return p;
  };
  return {
    backend: inner.backend,
    getPublicKey: (secretKey) => remember(publicKeys, bytesToHex(secretKey), () => inner.getPublicKey(secretKey)).then((k) => k.slice()),
    sign: (message, secretKey) =>
      remember(signatures, `${bytesToHex(secretKey)}:${bytesToHex(hash(message))}`, () => inner.sign(message, secretKey)).then((s) => s.slice()),
    verify: (signature, message, publicKey) =>
      remember(verdicts, `${bytesToHex(signature)}:${bytesToHex(publicKey)}:${bytesToHex(hash(message))}`, () => inner.verify(signature, message, publicKey)),
  };
}
