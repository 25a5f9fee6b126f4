/**
 * Ed25519 crypto providers: {@link nobleCrypto} (pure JS, the reference
 * acceptance set), {@link webCrypto} (native, re-checked with noble) and
 * {@link defaultCrypto} (picks the best one for the platform).
 * @module
 */
export type { CryptoProvider } from './types.js';
export { nobleCrypto } from './noble.js';
export { isValidPublicKey } from './keys.js';
export { defaultCrypto, isWebCryptoEd25519Supported, webCrypto, type WebCryptoInit } from './webcrypto.js';
