/**
 * The WebCrypto provider must accept exactly noble's ZIP-215 set. Runs in Node
 * (OpenSSL) and in headless Chromium (BoringSSL, when it supports Ed25519).
 *
 * Vectors: test/vectors/ed25519-zip215.json (ZIP-215, via noble-curves) and
 * test/vectors/ed25519-speccheck.json ("Taming the many EdDSAs"); see the
 * `_provenance` field of each file.
 */
import { describe, expect, it } from 'vitest';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, hexToBytes, utf8ToBytes } from '../src/bytes/index.js';
import {
  defaultCrypto,
  isWebCryptoEd25519Supported,
  nobleCrypto,
  webCrypto,
  type CryptoProvider,
} from '../src/crypto/index.js';
import { seededRandom } from '../src/env/index.js';
import { isAdmitOneError } from '../src/errors/index.js';
import speccheck from './vectors/ed25519-speccheck.json';
import { flipBit } from './helpers/ed25519.js';
import zip215 from './vectors/ed25519-zip215.json';

const subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle;
const supported = await isWebCryptoEd25519Supported();
const nodeVersions = (globalThis as { process?: { versions?: Record<string, string | undefined> } }).process?.versions;
const platform =
  nodeVersions?.['node'] !== undefined
    ? `node ${nodeVersions['node']} (OpenSSL ${nodeVersions['openssl'] ?? '?'})`
    : `browser (${navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? navigator.userAgent})`;

const noble = nobleCrypto();
const web = webCrypto();
const L = ed25519.Point.Fn.ORDER;

/** `subtle.verify` straight, without the noble re-check: 'T', 'F' or 'E' (threw). */
async function rawVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<'T' | 'F' | 'E'> {
  if (subtle === undefined) return 'E';
  try {
    const key = await subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, 'Ed25519', false, ['verify']);
    const ok = await subtle.verify('Ed25519', key, signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
    return ok ? 'T' : 'F';
  } catch {
    return 'E';
  }
}

/**
 * Checks one (signature, message, publicKey) triple: the combined provider's
 * verdict equals noble's, and (when WebCrypto supports Ed25519) raw WebCrypto
 * accepting implies noble accepting. Returns both verdicts.
 */
async function check(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  label: string,
): Promise<{ noble: boolean; raw: 'T' | 'F' | 'E' | 'unsupported' }> {
  const expected = await noble.verify(signature, message, publicKey);
  expect(await web.verify(signature, message, publicKey), `combined provider vs noble: ${label}`).toBe(expected);
  if (!supported) return { noble: expected, raw: 'unsupported' };
  const raw = await rawVerify(signature, message, publicKey);
  if (raw === 'T') expect(expected, `raw WebCrypto accepted but noble rejected: ${label}`).toBe(true);
  return { noble: expected, raw };
}

/** k = SHA-512(R || A || M) mod L, as in RFC 8032. */
function challenge(R: Uint8Array, A: Uint8Array, message: Uint8Array): bigint {
  return bytesToNumberLE(sha512(concatBytes(R, A, message))) % L;
}

describe(`Ed25519 providers on ${platform}`, () => {
  it('reports WebCrypto Ed25519 support consistently with the providers', async () => {
    console.log(`[ed25519] ${platform}: WebCrypto Ed25519 supported = ${supported}`);
    expect(web.backend).toBe('webcrypto');
    expect(noble.backend).toBe('noble');
    const chosen = await defaultCrypto();
    expect(chosen.backend).toBe(supported ? 'webcrypto' : 'noble');
    // cached detection: a second call agrees
    expect((await defaultCrypto()).backend).toBe(chosen.backend);
  });

  it('valid signatures on seeded random keys and messages: webCrypto === noble === true, identical bytes', async () => {
    const rng = seededRandom('ed25519-webcrypto/valid');
    for (let i = 0; i < 40; i++) {
      const secretKey = rng.bytes(32);
      const message = rng.bytes(rng.int(300));
      const publicKey = await noble.getPublicKey(secretKey);
      expect(await web.getPublicKey(secretKey)).toEqual(publicKey);
      expect(publicKey).toEqual(ed25519.getPublicKey(secretKey));
      const signature = await noble.sign(message, secretKey);
      expect(signature).toEqual(ed25519.sign(message, secretKey));
      if (supported) {
        // Ed25519 is deterministic: WebCrypto and noble sign byte for byte alike.
        expect(await web.sign(message, secretKey)).toEqual(signature);
      }
      const { noble: n, raw } = await check(signature, message, publicKey, `valid #${i}`);
      expect(n).toBe(true);
      if (supported) expect(raw).toBe('T');
      expect(await web.verify(signature, message, publicKey)).toBe(true);
    }
  });

  it('bit-flipped signatures, messages and keys: webCrypto agrees with noble', async () => {
    const rng = seededRandom('ed25519-webcrypto/mutations');
    // R's first/last bits and x-sign bit, S's low bits and top bits, and the
    // boundary between R and S.
    const sigBits = [0, 1, 100, 254, 255, 256, 257, 400, 503, 509, 510, 511];
    const keyBits = [0, 3, 128, 250, 254, 255];
    let checked = 0;
    let accepted = 0;
    for (let i = 0; i < 16; i++) {
      const secretKey = rng.bytes(32);
      const message = rng.bytes(1 + rng.int(200));
      const publicKey = ed25519.getPublicKey(secretKey);
      const signature = ed25519.sign(message, secretKey);
      for (const bit of sigBits) {
        if ((await check(flipBit(signature, bit), message, publicKey, `key ${i} sig bit ${bit}`)).noble) accepted++;
        checked++;
      }
      for (const bit of [0, message.length * 8 - 1, rng.int(message.length * 8)]) {
        if ((await check(signature, flipBit(message, bit), publicKey, `key ${i} msg bit ${bit}`)).noble) accepted++;
        checked++;
      }
      for (const bit of keyBits) {
        if ((await check(signature, message, flipBit(publicKey, bit), `key ${i} key bit ${bit}`)).noble) accepted++;
        checked++;
      }
      // truncated and extended inputs
      expect(await web.verify(signature.subarray(0, 63), message, publicKey)).toBe(false);
      expect(await web.verify(concatBytes(signature, new Uint8Array(1)), message, publicKey)).toBe(false);
      expect(await web.verify(signature, message, publicKey.subarray(0, 31))).toBe(false);
      expect(await noble.verify(signature, message, concatBytes(publicKey, new Uint8Array(1)))).toBe(false);
    }
    expect(checked).toBe(16 * (sigBits.length + 3 + keyBits.length));
    // Flipping the x-sign bit of a small-order-free R/A or any S bit breaks the
    // signature; no mutation should verify.
    expect(accepted).toBe(0);
  });

  it('ZIP-215 vectors (noble-curves): noble accepts all 196, webCrypto equals noble, raw WebCrypto ⊆ noble', async () => {
    const message = utf8ToBytes(zip215._provenance.message_utf8);
    const rawAccepted: string[] = [];
    let rawRejected = 0;
    let rawThrew = 0;
    expect(zip215.cases).toHaveLength(196);
    for (const [i, v] of zip215.cases.entries()) {
      const { noble: n, raw } = await check(hexToBytes(v.sig), message, hexToBytes(v.vk), `zip215 #${i}`);
      expect(n, `zip215 #${i}`).toBe(zip215._provenance.valid_zip215);
      if (raw === 'T') rawAccepted.push(`${i}`);
      else if (raw === 'F') rawRejected++;
      else if (raw === 'E') rawThrew++;
    }
    console.log(
      supported
        ? `[ed25519] ${platform}: raw WebCrypto on ZIP-215: accepted ${rawAccepted.length}/196 (#${rawAccepted.join(',#')}), returned false ${rawRejected}, threw ${rawThrew}; noble and the combined provider accept 196/196`
        : `[ed25519] ${platform}: raw WebCrypto unsupported; combined provider equals noble on all 196 ZIP-215 vectors`,
    );
  });

  it('ed25519-speccheck ("Taming the many EdDSAs"): noble matches ZIP-215 (Zebra), webCrypto equals noble, raw WebCrypto ⊆ noble', async () => {
    const rows: string[] = [];
    for (const v of speccheck.cases) {
      const { noble: n, raw } = await check(
        hexToBytes(v.signature),
        hexToBytes(v.message),
        hexToBytes(v.pub_key),
        `speccheck #${v.id}`,
      );
      expect(n, `speccheck #${v.id}: ${v.note}`).toBe(v.zebra_zip215);
      rows.push(`${v.id}:${n ? 'V' : 'X'}/${raw === 'unsupported' ? '-' : raw}`);
    }
    console.log(`[ed25519] ${platform}: speccheck case:noble/rawWebCrypto (T accept, F reject, E threw) ${rows.join(' ')}`);
  });

  it('constructed edge cases: non-canonical S, small-order and mixed-order A and R', async () => {
    const rng = seededRandom('ed25519-webcrypto/constructed');
    const { Point } = ed25519;
    const T8 = Point.fromBytes(hexToBytes(ED25519_TORSION_SUBGROUP[1] as string), true); // order 8
    expect(T8.multiply(8n).is0() && !T8.multiply(4n).is0()).toBe(true);
    let rawRejectedNobleAccepted = 0;
    for (let i = 0; i < 8; i++) {
      const secretKey = rng.bytes(32);
      const message = rng.bytes(32);
      const { scalar: a, pointBytes: A, point: APoint } = ed25519.utils.getExtendedPublicKey(secretKey);
      const signature = ed25519.sign(message, secretKey);
      const R = signature.subarray(0, 32);
      const S = bytesToNumberLE(signature.subarray(32));

      // Non-canonical S = S + L: rejected by everyone (S < L is required).
      const sPlusL = concatBytes(R, numberToBytesLE(S + L, 32));
      expect((await check(sPlusL, message, A, `S+L #${i}`)).noble).toBe(false);

      // Mixed-order A' = A + T8 with a signature over A': the cofactored
      // equation holds, the cofactorless one fails unless k ≡ 0 (mod 8).
      const A2 = APoint.add(T8).toBytes();
      const r = rng.int(2 ** 32) + 1;
      const Rr = Point.BASE.multiply(BigInt(r)).toBytes();
      const k = challenge(Rr, A2, message);
      const sigMixedA = concatBytes(Rr, numberToBytesLE((BigInt(r) + k * a) % L, 32));
      const mixedA = await check(sigMixedA, message, A2, `mixed A #${i}`);
      expect(mixedA.noble).toBe(true);
      if (mixedA.raw !== 'T' && mixedA.raw !== 'unsupported') rawRejectedNobleAccepted++;

      // Mixed-order R' = rB + T8.
      const R2 = Point.BASE.multiply(BigInt(r)).add(T8).toBytes();
      const k2 = challenge(R2, A, message);
      const sigMixedR = concatBytes(R2, numberToBytesLE((BigInt(r) + k2 * a) % L, 32));
      const mixedR = await check(sigMixedR, message, A, `mixed R #${i}`);
      expect(mixedR.noble).toBe(true);
      if (mixedR.raw !== 'T' && mixedR.raw !== 'unsupported') rawRejectedNobleAccepted++;
    }
    // Small-order A and R with S = 0: [8]·0·B = [8]R + [8]kA holds for any
    // message (both are torsion); noble (ZIP-215) accepts, the identity included.
    for (const [j, t] of ED25519_TORSION_SUBGROUP.entries()) {
      const sig = concatBytes(hexToBytes(t), new Uint8Array(32));
      const res = await check(sig, rng.bytes(16), hexToBytes(t), `small order #${j}`);
      expect(res.noble).toBe(true);
    }
    // The identity as A with a non-canonical encoding (y = p + 1): ZIP-215 accepts.
    const eeff = hexToBytes(`ee${'ff'.repeat(30)}7f`);
    expect((await check(concatBytes(eeff, new Uint8Array(32)), rng.bytes(8), eeff, 'non-canonical identity')).noble).toBe(
      true,
    );
    // A y-coordinate with no point on the curve (x² non-square): everyone rejects.
    const notOnCurve = hexToBytes(`02${'00'.repeat(31)}`);
    expect(() => Point.fromBytes(notOnCurve, true)).toThrow();
    expect((await check(concatBytes(notOnCurve, new Uint8Array(32)), new Uint8Array(0), notOnCurve, 'off-curve')).noble).toBe(false);
    if (supported) {
      // The re-check path is really exercised: native cofactorless
      // verification rejects most mixed-order signatures that noble accepts.
      console.log(`[ed25519] ${platform}: mixed-order A/R signatures rejected by raw WebCrypto, accepted by noble and the combined provider: ${rawRejectedNobleAccepted}/16`);
      expect(rawRejectedNobleAccepted).toBeGreaterThan(0);
    }
  });

  it('re-checks with noble when WebCrypto says false or throws (fake SubtleCrypto)', async () => {
    const secretKey = seededRandom('fake-subtle').bytes(32);
    const message = utf8ToBytes('admit one');
    const publicKey = ed25519.getPublicKey(secretKey);
    const signature = ed25519.sign(message, secretKey);
    let imports = 0;
    const base = {
      importKey: async () => {
        imports++;
        return {} as CryptoKey;
      },
    };
    const alwaysFalse = webCrypto({ subtle: { ...base, verify: async () => false } as unknown as SubtleCrypto, cacheSize: 2 });
    const alwaysThrows = webCrypto({
      subtle: {
        importKey: async () => {
          throw new DOMException('refused', 'DataError');
        },
        verify: async () => false,
      } as unknown as SubtleCrypto,
    });
    for (const p of [alwaysFalse, alwaysThrows]) {
      expect(await p.verify(signature, message, publicKey)).toBe(true);
      expect(await p.verify(flipBit(signature, 3), message, publicKey)).toBe(false);
    }
    // LRU cache of size 2: A B A B import twice; then C evicts A (LRU), so A imports again.
    const keys = [0, 1, 2].map((i) => ed25519.getPublicKey(new Uint8Array(32).fill(i + 1)));
    imports = 0;
    const [k0, k1, k2] = keys as [Uint8Array, Uint8Array, Uint8Array];
    for (const k of [k0, k1, k0, k1]) await alwaysFalse.verify(signature, message, k);
    expect(imports).toBe(2);
    await alwaysFalse.verify(signature, message, k2);
    expect(imports).toBe(3);
    await alwaysFalse.verify(signature, message, k1); // still cached
    expect(imports).toBe(3);
    await alwaysFalse.verify(signature, message, k0); // evicted
    expect(imports).toBe(4);
  });

  it('checks arguments: TypeError names the argument, bad lengths verify false, bad secret keys throw CRYPTO_INVALID_KEY', async () => {
    const providers: CryptoProvider[] = [noble, web];
    const sk = new Uint8Array(32).fill(7);
    const pk = ed25519.getPublicKey(sk);
    const sig = ed25519.sign(new Uint8Array(0), sk);
    for (const p of providers) {
      await expect(p.verify('00' as unknown as Uint8Array, new Uint8Array(0), pk)).rejects.toThrow(/signature/);
      await expect(p.verify(sig, [1, 2] as unknown as Uint8Array, pk)).rejects.toThrow(TypeError);
      await expect(p.verify(sig, new Uint8Array(0), null as unknown as Uint8Array)).rejects.toThrow(/publicKey/);
      await expect(p.verify(sig, new Uint8Array(0), pk)).resolves.toBe(true);
      await expect(p.verify(new Uint8Array(0), new Uint8Array(0), pk)).resolves.toBe(false);
      await expect(p.verify(sig, new Uint8Array(0), new Uint8Array(33))).resolves.toBe(false);
      for (const bad of [new Uint8Array(31), new Uint8Array(64), new Uint8Array(0)]) {
        const errors = await Promise.allSettled([p.getPublicKey(bad), p.sign(new Uint8Array(1), bad)]);
        for (const e of errors) {
          expect(e.status).toBe('rejected');
          if (e.status === 'rejected') expect(isAdmitOneError(e.reason, 'CRYPTO_INVALID_KEY')).toBe(true);
        }
      }
      await expect(p.sign(new Uint8Array(1), 'key' as unknown as Uint8Array)).rejects.toThrow(/secretKey/);
      await expect(p.getPublicKey(undefined as unknown as Uint8Array)).rejects.toThrow(TypeError);
    }
    expect(() => webCrypto({ cacheSize: -1 })).toThrow(RangeError);
  });

  it('feature detection never rejects and says false for a broken SubtleCrypto', async () => {
    const broken = {
      importKey: async () => {
        throw new Error('NotSupportedError');
      },
    } as unknown as SubtleCrypto;
    await expect(isWebCryptoEd25519Supported(broken)).resolves.toBe(false);
    // A SubtleCrypto whose signatures are wrong is not "supported" either.
    const wrongSigner = {
      importKey: async () => ({}) as CryptoKey,
      sign: async () => new Uint8Array(64).buffer,
      verify: async () => true,
    } as unknown as SubtleCrypto;
    await expect(isWebCryptoEd25519Supported(wrongSigner)).resolves.toBe(false);
    if (subtle !== undefined) await expect(isWebCryptoEd25519Supported(subtle)).resolves.toBe(supported);
  });
});
