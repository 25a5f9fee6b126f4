/**
 * The Node provider (`@admitone/core/node`, `node:crypto` one-shot Ed25519)
 * must accept exactly noble's ZIP-215 set and sign byte for byte alike. Node
 * only. Vectors: test/vectors/ed25519-zip215.json and
 * test/vectors/ed25519-speccheck.json (see their `_provenance` fields).
 */
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, hexToBytes, utf8ToBytes } from '../src/bytes/index.js';
import { nobleCrypto } from '../src/crypto/index.js';
import { seededRandom } from '../src/env/index.js';
import { isAdmitOneError } from '../src/errors/index.js';
import { nodeCrypto } from '../src/node.js';
import speccheck from './vectors/ed25519-speccheck.json';
import { flipBit } from './helpers/ed25519.js';
import zip215 from './vectors/ed25519-zip215.json';

const noble = nobleCrypto();
const native = nodeCrypto();
const L = ed25519.Point.Fn.ORDER;
const SPKI = hexToBytes('302a300506032b6570032100');

/** OpenSSL straight, without the noble re-check: 'T', 'F' or 'E' (refused the key or threw). */
function rawVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): 'T' | 'F' | 'E' {
  try {
    const key = createPublicKey({ key: Buffer.from(concatBytes(SPKI, publicKey)), format: 'der', type: 'spki' });
    return opensslVerify(null, message, key, signature) ? 'T' : 'F';
  } catch {
    return 'E';
  }
}

/** The provider's verdict equals noble's, and raw OpenSSL accepting implies noble accepting. */
async function check(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array, label: string): Promise<{ noble: boolean; raw: 'T' | 'F' | 'E' }> {
  const expected = await noble.verify(signature, message, publicKey);
  expect(await native.verify(signature, message, publicKey), `node provider vs noble: ${label}`).toBe(expected);
  const raw = rawVerify(signature, message, publicKey);
  if (raw === 'T') expect(expected, `raw OpenSSL accepted but noble rejected: ${label}`).toBe(true);
  return { noble: expected, raw };
}

describe('nodeCrypto (node:crypto Ed25519)', () => {
  it('derives the same public keys and signs the same bytes as noble; verifies them', async () => {
    expect(native.backend).toBe('node');
    const rng = seededRandom('ed25519-node/valid');
    for (let i = 0; i < 40; i++) {
      const secretKey = rng.bytes(32);
      const message = rng.bytes(rng.int(300));
      const publicKey = ed25519.getPublicKey(secretKey);
      expect(await native.getPublicKey(secretKey)).toEqual(publicKey);
      const signature = await native.sign(message, secretKey);
      expect(signature).toEqual(ed25519.sign(message, secretKey));
      expect(signature.constructor).toBe(Uint8Array);
      const { noble: n, raw } = await check(signature, message, publicKey, `valid #${i}`);
      expect(n).toBe(true);
      expect(raw).toBe('T');
    }
  });

  it('bit-flipped signatures, messages and keys: agrees with noble (none verify)', async () => {
    const rng = seededRandom('ed25519-node/mutations');
    let accepted = 0;
    for (let i = 0; i < 12; i++) {
      const secretKey = rng.bytes(32);
      const message = rng.bytes(1 + rng.int(200));
      const publicKey = ed25519.getPublicKey(secretKey);
      const signature = ed25519.sign(message, secretKey);
      for (const bit of [0, 1, 254, 255, 256, 257, 503, 509, 510, 511]) {
        if ((await check(flipBit(signature, bit), message, publicKey, `key ${i} sig bit ${bit}`)).noble) accepted++;
      }
      if ((await check(signature, flipBit(message, rng.int(message.length * 8)), publicKey, `key ${i} msg`)).noble) accepted++;
      for (const bit of [0, 128, 254, 255]) {
        if ((await check(signature, message, flipBit(publicKey, bit), `key ${i} key bit ${bit}`)).noble) accepted++;
      }
    }
    expect(accepted).toBe(0);
  });

  it('ZIP-215 vectors: the provider accepts all 196 (raw OpenSSL only a subset), as noble does', async () => {
    const message = utf8ToBytes(zip215._provenance.message_utf8);
    let rawAccepted = 0;
    for (const [i, v] of zip215.cases.entries()) {
      const { noble: n, raw } = await check(hexToBytes(v.sig), message, hexToBytes(v.vk), `zip215 #${i}`);
      expect(n, `zip215 #${i}`).toBe(zip215._provenance.valid_zip215);
      if (raw === 'T') rawAccepted++;
    }
    // the noble re-check is really exercised: OpenSSL alone rejects most of these edge cases
    expect(rawAccepted).toBeLessThan(196);
  });

  it('ed25519-speccheck ("Taming the many EdDSAs"): equals noble on every case', async () => {
    for (const v of speccheck.cases) {
      const { noble: n } = await check(hexToBytes(v.signature), hexToBytes(v.message), hexToBytes(v.pub_key), `speccheck #${v.id}`);
      expect(n, `speccheck #${v.id}: ${v.note}`).toBe(v.zebra_zip215);
    }
  });

  it('constructed edge cases: non-canonical S rejected, mixed-order A and small-order keys decided as noble does', async () => {
    const rng = seededRandom('ed25519-node/constructed');
    const { Point } = ed25519;
    const T8 = Point.fromBytes(hexToBytes(ED25519_TORSION_SUBGROUP[1] as string), true);
    let rescued = 0;
    for (let i = 0; i < 6; i++) {
      const secretKey = rng.bytes(32);
      const message = rng.bytes(32);
      const { scalar: a, pointBytes: A, point: APoint } = ed25519.utils.getExtendedPublicKey(secretKey);
      const signature = ed25519.sign(message, secretKey);
      const sPlusL = concatBytes(signature.subarray(0, 32), numberToBytesLE(bytesToNumberLE(signature.subarray(32)) + L, 32));
      expect((await check(sPlusL, message, A, `S+L #${i}`)).noble).toBe(false);
      const A2 = APoint.add(T8).toBytes();
      const r = BigInt(rng.int(2 ** 32) + 1);
      const R = Point.BASE.multiply(r).toBytes();
      const k = bytesToNumberLE(sha512(concatBytes(R, A2, message))) % L;
      const mixed = await check(concatBytes(R, numberToBytesLE((r + k * a) % L, 32)), message, A2, `mixed A #${i}`);
      expect(mixed.noble).toBe(true);
      if (mixed.raw !== 'T') rescued++;
    }
    for (const [j, t] of ED25519_TORSION_SUBGROUP.entries()) {
      expect((await check(concatBytes(hexToBytes(t), new Uint8Array(32)), rng.bytes(16), hexToBytes(t), `small order #${j}`)).noble).toBe(true);
    }
    expect(rescued).toBeGreaterThan(0);
  });

  it('checks arguments like the other providers, and cacheSize', async () => {
    const sk = new Uint8Array(32).fill(7);
    const pk = ed25519.getPublicKey(sk);
    const sig = ed25519.sign(new Uint8Array(0), sk);
    await expect(native.verify('00' as unknown as Uint8Array, new Uint8Array(0), pk)).rejects.toThrow(/signature/);
    await expect(native.verify(sig, [1, 2] as unknown as Uint8Array, pk)).rejects.toThrow(TypeError);
    await expect(native.verify(sig, new Uint8Array(0), null as unknown as Uint8Array)).rejects.toThrow(/publicKey/);
    await expect(native.verify(new Uint8Array(0), new Uint8Array(0), pk)).resolves.toBe(false);
    await expect(native.verify(sig, new Uint8Array(0), new Uint8Array(33))).resolves.toBe(false);
    await expect(native.sign(null as unknown as Uint8Array, sk)).rejects.toThrow(/message/);
    for (const bad of [new Uint8Array(31), new Uint8Array(64), new Uint8Array(0)]) {
      for (const e of await Promise.allSettled([native.getPublicKey(bad), native.sign(new Uint8Array(1), bad)])) {
        expect(e.status).toBe('rejected');
        if (e.status === 'rejected') expect(isAdmitOneError(e.reason, 'CRYPTO_INVALID_KEY')).toBe(true);
      }
    }
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => nodeCrypto({ cacheSize: bad })).toThrow(RangeError);
    // no cache: still correct; a returned public key is the caller's copy
    const uncached = nodeCrypto({ cacheSize: 0 });
    await expect(uncached.verify(await uncached.sign(utf8ToBytes('x'), sk), utf8ToBytes('x'), pk)).resolves.toBe(true);
    const got = await native.getPublicKey(sk);
    got.fill(0);
    expect(await native.getPublicKey(sk)).toEqual(pk);
    // a key OpenSSL refuses (not on the curve) is remembered as refused and still decided by noble
    const offCurve = hexToBytes(`02${'00'.repeat(31)}`);
    for (let i = 0; i < 2; i++) await expect(native.verify(concatBytes(offCurve, new Uint8Array(32)), new Uint8Array(0), offCurve)).resolves.toBe(false);
  });
});
