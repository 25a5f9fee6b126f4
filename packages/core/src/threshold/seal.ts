/**
 * Sealing to a member: anonymous public-key encryption of a message (a
 * secret share, a DKG round-2 package) to one recipient's x25519 key.
 *
 * Construction (ECIES-style, one ephemeral key per message):
 * - `e ← x25519 keypair` from the injected {@link Random};
 * - `ss = x25519(e, recipient)` (noble rejects low-order points);
 * - `key ‖ nonce = HKDF-SHA256(ikm = ss, salt = ∅, info = LABEL ‖ E ‖ R, 56)`
 *   where `E`, `R` are the ephemeral and recipient public keys;
 * - `sealed = 0x01 ‖ E ‖ XChaCha20-Poly1305(key, nonce, aad = 0x01 ‖ aad).seal(plaintext)`.
 *
 * Because the key is fresh per ephemeral key, a nonce derived with it never
 * repeats under the same key (unless `random` repeats itself). Every
 * failure to open throws the same `THRESHOLD_DECRYPT_FAILED`, whatever the
 * reason (wrong key, tampered bytes, wrong `aad`, wrong length).
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertBytes, concatBytes, equalBytes, isBytes, utf8ToBytes } from '../bytes/index.js';
import { CryptoError, ThresholdError } from '../errors/index.js';
import type { Random } from '../env/types.js';

/** Length of x25519 secret and public keys, in bytes. */
export const X25519_KEY_BYTES = 32;
/** Bytes a sealed message adds to its plaintext: version (1), ephemeral key (32), tag (16). */
export const SEAL_OVERHEAD_BYTES = 1 + X25519_KEY_BYTES + 16;

/** An x25519 key pair. */
export interface X25519KeyPair {
  /** The 32-byte secret (scalar) key. Keep it secret. */
  readonly secretKey: Uint8Array;
  /** The 32-byte public key (a Montgomery u-coordinate). */
  readonly publicKey: Uint8Array;
}

/**
 * A fresh x25519 key pair drawn from `random`.
 *
 * @example
 * ```ts
 * const member = x25519KeyPair(systemRandom());
 * ```
 */
export function x25519KeyPair(random: Random): X25519KeyPair {
  const secretKey = random.bytes(X25519_KEY_BYTES);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

/**
 * Encrypts `plaintext` to the holder of `recipientX25519Public`, binding
 * `aad` (authenticated, not encrypted). Throws `CryptoError`
 * (`CRYPTO_INVALID_KEY`) when the recipient key is not a usable x25519
 * public key (wrong length, low order).
 *
 * @example
 * ```ts
 * const sealed = sealTo(bob.publicKey, share, utf8ToBytes('dkg/7/alice→bob'), random);
 * openSealed(bob.secretKey, sealed, utf8ToBytes('dkg/7/alice→bob')); // share
 * ```
 */
export function sealTo(recipientX25519Public: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, random: Random): Uint8Array {
  assertBytes(plaintext, 'plaintext');
  assertBytes(aad, 'aad');
  const recipient = readPublicKey(recipientX25519Public);
  const ephemeral = x25519KeyPair(random);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(ephemeral.secretKey, recipient);
  } catch (cause) {
    throw new CryptoError('CRYPTO_INVALID_KEY', 'The recipient x25519 public key is not usable (low order).', { cause });
  } finally {
    ephemeral.secretKey.fill(0);
  }
  const { key, nonce } = deriveKeyAndNonce(shared, ephemeral.publicKey, recipient);
  try {
    const ciphertext = xchacha20poly1305(key, nonce, concatBytes(VERSION_BYTES, aad)).encrypt(plaintext);
    return concatBytes(VERSION_BYTES, ephemeral.publicKey, ciphertext);
  } finally {
    key.fill(0);
  }
}

/**
 * Decrypts a message sealed with {@link sealTo} to this `recipientX25519Secret`,
 * checking `aad`. Throws `ThresholdError` with code
 * `THRESHOLD_DECRYPT_FAILED` for every failure (wrong key, tampered or
 * truncated bytes, wrong `aad`, unknown version), without saying which.
 * A secret key of the wrong length is a programmer error: `CryptoError`
 * (`CRYPTO_INVALID_KEY`).
 */
export function openSealed(recipientX25519Secret: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  const secret = readSecretKey(recipientX25519Secret);
  checkSealed(sealed, aad);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secret, sealed.subarray(1, 1 + X25519_KEY_BYTES));
  } catch {
    throw decryptFailed();
  }
  return decryptSealed(sealed, aad, shared, publicKeyOf(secret));
}

/** Opens messages sealed to one static x25519 key; see {@link createSealOpener}. */
export interface SealOpener {
  /** The recipient's x25519 public key. */
  readonly publicKey: Uint8Array;
  /** `'webcrypto'` when the platform's X25519 does the ECDH, `'noble'` otherwise. */
  readonly backend: 'webcrypto' | 'noble';
  /**
   * Decrypts like {@link openSealed}, with the same single failure
   * (`THRESHOLD_DECRYPT_FAILED`, whatever went wrong).
   */
  open(sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

/** Options of {@link createSealOpener}. */
export interface SealOpenerOptions {
  /**
   * The WebCrypto implementation to try (default `globalThis.crypto.subtle`);
   * `null` forces the portable noble path.
   */
  readonly subtle?: SubtleCrypto | null;
}

/**
 * An opener for a member's static x25519 key, for a member that opens many
 * sealed shares. Where the platform's WebCrypto has X25519 (Node ≥ 20,
 * current Chromium, Firefox, Safari) the ECDH runs natively, about 10–15×
 * faster than portable code and off the main thread in Node; elsewhere it
 * falls back to noble. Both give the same bytes and the same errors:
 * `openSealed(k, s, a)` and `(await createSealOpener(k)).open(s, a)` agree on
 * every input.
 *
 * The opener keeps its own copy of the secret (a non-extractable WebCrypto key,
 * or a private array for noble), so the caller may wipe its array afterwards.
 *
 * @example
 * ```ts
 * const opener = await createSealOpener(member.secretKey);
 * const share = await opener.open(sealed, aad);
 * ```
 */
export async function createSealOpener(recipientX25519Secret: Uint8Array, options: SealOpenerOptions = {}): Promise<SealOpener> {
  const secret = readSecretKey(recipientX25519Secret);
  const publicKey = x25519.getPublicKey(secret);
  const subtle = options.subtle === undefined ? globalThis.crypto?.subtle : options.subtle;
  const privateKey = subtle ? await importX25519Private(subtle, secret, publicKey) : undefined;
  // The one step that differs: the ECDH with the message's ephemeral key. Both reject a
  // low-order point (an all-zero shared secret), which `open` reports as a failed decryption.
  let ecdh: (ephemeralPublic: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>;
  if (subtle && privateKey) {
    ecdh = async (ephemeralPublic) => {
      const ephemeral = await subtle.importKey('raw', ephemeralPublic, { name: 'X25519' }, false, []);
      return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: ephemeral }, privateKey, 256));
    };
  } else {
    const own = Uint8Array.from(secret);
    ecdh = async (ephemeralPublic) => x25519.getSharedSecret(own, ephemeralPublic);
  }
  return {
    publicKey,
    backend: subtle && privateKey ? 'webcrypto' : 'noble',
    async open(sealed, aad) {
      checkSealed(sealed, aad);
      let shared: Uint8Array;
      try {
        shared = await ecdh(sealed.slice(1, 1 + X25519_KEY_BYTES));
      } catch {
        throw decryptFailed();
      }
      return decryptSealed(sealed, aad, shared, publicKey);
    },
  };
}

/** Imports an x25519 secret into WebCrypto, or `undefined` when the platform lacks X25519. */
async function importX25519Private(subtle: SubtleCrypto, secret: Uint8Array, publicKey: Uint8Array): Promise<CryptoKey | undefined> {
  try {
    const jwk: JsonWebKey = { kty: 'OKP', crv: 'X25519', d: base64Url(secret), x: base64Url(publicKey) };
    return await subtle.importKey('jwk', jwk, { name: 'X25519' }, false, ['deriveBits']);
  } catch {
    return undefined;
  }
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// ---------------------------------------------------------------------------
// helpers

const VERSION = 1;
const VERSION_BYTES = Uint8Array.of(VERSION);
const SEAL_LABEL = utf8ToBytes('admitone/threshold/seal/x25519-hkdf-sha256-xchacha20poly1305/v1');
const KEY_BYTES = 32;
const NONCE_BYTES = 24;

/** Argument and framing checks shared by every opener (a bad frame is the one decrypt failure). */
function checkSealed(sealed: Uint8Array, aad: Uint8Array): void {
  assertBytes(sealed, 'sealed');
  assertBytes(aad, 'aad');
  if (sealed.length < SEAL_OVERHEAD_BYTES || sealed[0] !== VERSION) throw decryptFailed();
}

/** Derives the message key from the ECDH result and opens the AEAD; wipes the key. */
function decryptSealed(sealed: Uint8Array, aad: Uint8Array, shared: Uint8Array, recipientPublic: Uint8Array): Uint8Array {
  const { key, nonce } = deriveKeyAndNonce(shared, sealed.subarray(1, 1 + X25519_KEY_BYTES), recipientPublic);
  try {
    return xchacha20poly1305(key, nonce, concatBytes(VERSION_BYTES, aad)).decrypt(sealed.subarray(1 + X25519_KEY_BYTES));
  } catch {
    throw decryptFailed();
  } finally {
    key.fill(0);
  }
}

function deriveKeyAndNonce(shared: Uint8Array, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdf(sha256, shared, undefined, concatBytes(SEAL_LABEL, ephemeralPublic, recipientPublic), KEY_BYTES + NONCE_BYTES);
  shared.fill(0);
  return { key: okm.subarray(0, KEY_BYTES), nonce: okm.subarray(KEY_BYTES) };
}

/**
 * The x25519 public key of `secret`, cached per key array: a member opens
 * many sealed messages with one static key, and this halves the cost. The
 * cache holds a SHA-256 digest of the secret (never a copy) to notice a
 * mutated array, and dies with the array (WeakMap).
 */
function publicKeyOf(secret: Uint8Array): Uint8Array {
  const digest = sha256(concatBytes(PUBLIC_KEY_CACHE_LABEL, secret));
  const cached = publicKeys.get(secret);
  if (cached !== undefined && equalBytes(cached.digest, digest)) return cached.publicKey;
  const publicKey = x25519.getPublicKey(secret);
  publicKeys.set(secret, { digest, publicKey });
  return publicKey;
}
const publicKeys = new WeakMap<Uint8Array, { readonly digest: Uint8Array; readonly publicKey: Uint8Array }>();
const PUBLIC_KEY_CACHE_LABEL = utf8ToBytes('admitone/threshold/seal/public-key-cache\0');

function decryptFailed(): ThresholdError {
  return new ThresholdError('THRESHOLD_DECRYPT_FAILED', 'The sealed message could not be opened.');
}

/** Checks a recipient public key's length (low-order points are caught by x25519 itself). */
export function readPublicKey(key: unknown, what = 'recipient x25519 public key'): Uint8Array {
  if (!isBytes(key) || key.length !== X25519_KEY_BYTES) {
    throw new CryptoError('CRYPTO_INVALID_KEY', `The ${what} must be ${X25519_KEY_BYTES} bytes.`);
  }
  return key;
}

/** Checks an x25519 secret key's length, without revealing anything about it. */
export function readSecretKey(key: unknown, what = 'x25519 secret key'): Uint8Array {
  if (!isBytes(key) || key.length !== X25519_KEY_BYTES) {
    throw new CryptoError('CRYPTO_INVALID_KEY', `The ${what} must be ${X25519_KEY_BYTES} bytes.`);
  }
  return key;
}
