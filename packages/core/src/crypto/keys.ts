/**
 * Which Ed25519 public keys may stand for an actor.
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes, isBytes } from '../bytes/index.js';
import { LruCache } from './lru.js';
import type { CryptoProvider } from './types.js';

/**
 * True when `publicKey` is 32 bytes that are the canonical encoding of an
 * Ed25519 point that is not of small order.
 *
 * Every {@link CryptoProvider} verifies with the ZIP-215 rules, which accept
 * the signature (R = identity, S = 0) under any small-order key for any
 * message: a small-order key authenticates nothing, so anyone can act as it.
 * A non-canonical encoding names the same point as another key, so one key
 * would have two ids. Keys that are not points at all verify nothing, so
 * whatever they are given is lost. AdmitOne's apps refuse all three as
 * holders, devices and request signers. Mixed-order keys (a prime-order point
 * plus a torsion component) are accepted: only the owner of the prime-order
 * part can sign for them.
 *
 * Returns `false` for anything that is not a 32-byte `Uint8Array`; never
 * throws. The verdict is cached per key (bounded), because decoding a point
 * costs about a tenth of a verification.
 *
 * @example
 * ```ts
 * isValidPublicKey(await crypto.getPublicKey(secretKey)); // true
 * isValidPublicKey(new Uint8Array(32)); // false: small order
 * ```
 */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (!isBytes(publicKey) || publicKey.length !== 32) return false;
  return verdict(bytesToHex(publicKey), publicKey);
}

/**
 * {@link isValidPublicKey} of the key whose lowercase hex is `hex` (a client
 * id), without converting it to bytes on a cache hit. `false` for anything
 * that is not 64 lowercase hex characters.
 * @internal
 */
export function isValidPublicKeyHex(hex: string): boolean {
  const cached = cache.get(hex);
  if (cached !== undefined) return cached;
  if (typeof hex !== 'string' || !HEX_KEY.test(hex)) return false;
  return verdict(hex, hexToBytes(hex));
}

const HEX_KEY = /^[0-9a-f]{64}$/;

/** Verdicts by key hex: a replica sees the same few thousand signers and devices again and again. */
const cache = new LruCache<boolean>(4096);

function verdict(hex: string, key: Uint8Array): boolean {
  const cached = cache.get(hex);
  if (cached !== undefined) return cached;
  let ok: boolean;
  try {
    // strict decoding (zip215 = false) refuses y ≥ p; the re-encoding check refuses a negative zero x
    const point = ed25519.Point.fromBytes(key, false);
    ok = !point.isSmallOrder() && equalKey(point.toBytes(), key);
  } catch {
    ok = false;
  }
  cache.set(hex, ok);
  return ok;
}

function equalKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}
