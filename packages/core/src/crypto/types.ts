/**
 * The crypto provider seam for Ed25519.
 * @module
 */

/**
 * Ed25519 signing and verification.
 *
 * Every provider accepts *exactly* the same set of signatures: the ZIP-215
 * rules as implemented by noble's `ed25519.verify(..., { zip215: true })`
 * (canonical `S < L`, cofactored equation, non-canonical point encodings
 * allowed). A faster backend (WebCrypto) may answer `true` directly, but a
 * `false` from it is re-checked with noble, so replicas on different
 * platforms agree on every request.
 */
export interface CryptoProvider {
  /** Which backend answers first: `'webcrypto'`, `'noble'` or `'node'` (`node:crypto`, see `@admitone/core/node`). */
  readonly backend: 'webcrypto' | 'noble' | 'node';
  /** Derives the 32-byte public key of a 32-byte secret key (seed). */
  getPublicKey(secretKey: Uint8Array): Promise<Uint8Array>;
  /** Signs `message` with a 32-byte secret key; returns a 64-byte signature. */
  sign(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array>;
  /**
   * Verifies a signature. Returns `false` for any invalid signature, including
   * malformed lengths; throws only for a `publicKey`/`signature` that is not a
   * `Uint8Array`.
   */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
}
