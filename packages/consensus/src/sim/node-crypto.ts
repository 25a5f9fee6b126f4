/// <reference types="node" />
/**
 * A fast, Node-only Ed25519 {@link CryptoProvider} on `node:crypto`'s
 * synchronous `sign`/`verify` (OpenSSL), for the `admitone-sim` CLI and the
 * slow test lane. Ed25519 signatures are deterministic, so it produces the
 * same bytes as `nobleCrypto()`, and since every call completes synchronously
 * (the promises settle in microtasks) a simulation run with it has exactly the
 * same trace as one with noble — about 20× faster.
 *
 * Not exported from `@admitone/consensus/sim` (which stays platform-neutral).
 * @module
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { CryptoProvider } from '@admitone/core';

const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

const join = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * Creates the provider. Secret keys must be 32-byte seeds; a malformed key,
 * signature or public key makes `verify` return `false`, never throw.
 */
export function nodeSyncCrypto(): CryptoProvider {
  const privateKeys = new Map<string, KeyObject>();
  const publicKeys = new Map<string, KeyObject>();
  const priv = (sk: Uint8Array): KeyObject => {
    if (!(sk instanceof Uint8Array) || sk.length !== 32) throw new RangeError('secretKey must be 32 bytes');
    const k = hex(sk);
    let key = privateKeys.get(k);
    if (key === undefined) {
      key = createPrivateKey({ key: Buffer.from(join(PKCS8_PREFIX, sk)), format: 'der', type: 'pkcs8' });
      privateKeys.set(k, key);
    }
    return key;
  };
  const pub = (pk: Uint8Array): KeyObject | undefined => {
    if (!(pk instanceof Uint8Array) || pk.length !== 32) return undefined;
    const k = hex(pk);
    let key = publicKeys.get(k);
    if (key === undefined) {
      try {
        key = createPublicKey({ key: Buffer.from(join(SPKI_PREFIX, pk)), format: 'der', type: 'spki' });
      } catch {
        return undefined;
      }
      publicKeys.set(k, key);
    }
    return key;
  };
  return {
    backend: 'webcrypto',
    async getPublicKey(secretKey) {
      const der = createPublicKey(priv(secretKey)).export({ format: 'der', type: 'spki' });
      return new Uint8Array(der.subarray(der.length - 32));
    },
    async sign(message, secretKey) {
      return new Uint8Array(sign(null, message, priv(secretKey)));
    },
    async verify(signature, message, publicKey) {
      const key = pub(publicKey);
      if (key === undefined || !(signature instanceof Uint8Array) || signature.length !== 64) return false;
      try {
        return verify(null, message, key, signature);
      } catch {
        return false;
      }
    },
  };
}
