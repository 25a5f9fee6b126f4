/**
 * `createSealOpener` — the native (WebCrypto X25519) and portable (noble)
 * backends open exactly what `openSealed` opens and fail exactly where it
 * fails, with the one indistinguishable `THRESHOLD_DECRYPT_FAILED`. Runs in
 * Node and in Chromium, which both have WebCrypto X25519.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CryptoError, seededRandom, utf8ToBytes } from '../src/index.js';
import { ThresholdError, createSealOpener, openSealed, sealTo, x25519KeyPair, type SealOpener } from '../src/threshold/index.js';

const bob = x25519KeyPair(seededRandom('opener-bob'));
const eve = x25519KeyPair(seededRandom('opener-eve'));
const AAD = utf8ToBytes('batch-7/share-for-bob');

async function openers(secret: Uint8Array): Promise<SealOpener[]> {
  return [await createSealOpener(secret), await createSealOpener(secret, { subtle: null })];
}

/** What the caller sees: the bytes, or the error code (and that nothing else leaks). */
async function outcome(f: () => Promise<Uint8Array> | Uint8Array): Promise<string> {
  try {
    return `ok:${Array.from(await f()).join(',')}`;
  } catch (e) {
    expect(e).toBeInstanceOf(ThresholdError);
    const err = e as ThresholdError;
    expect(err.cause).toBeUndefined();
    return `${err.code}:${err.message}`;
  }
}

describe('createSealOpener', () => {
  it('uses the platform X25519 where there is one, noble when told not to', async () => {
    const [native, portable] = await openers(bob.secretKey);
    expect(native!.backend).toBe('webcrypto'); // Node 20 and current Chromium both have X25519
    expect(portable!.backend).toBe('noble');
    expect(native!.publicKey).toEqual(bob.publicKey);
    expect(portable!.publicKey).toEqual(bob.publicKey);
  });

  it('opens whatever sealTo sealed, as openSealed does', async () => {
    const [native, portable] = await openers(bob.secretKey);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 40 }), fc.integer(), async (plaintext, aad, seed) => {
        const sealed = sealTo(bob.publicKey, plaintext, aad, seededRandom(seed));
        expect(await native!.open(sealed, aad)).toEqual(plaintext);
        expect(await portable!.open(sealed, aad)).toEqual(plaintext);
      }),
      { numRuns: 60 },
    );
  });

  it('fails where openSealed fails, with the same single code: tampering, wrong aad, wrong key, truncation, low-order keys', async () => {
    const sealed = sealTo(bob.publicKey, utf8ToBytes('a share'), AAD, seededRandom('s'));
    const flip = (i: number) => {
      const copy = Uint8Array.from(sealed);
      copy[i] = (copy[i] as number) ^ 1;
      return copy;
    };
    const lowOrder = Uint8Array.from(sealed);
    lowOrder.fill(0, 1, 33); // the ephemeral key replaced by the all-zero point
    const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
      [bob.secretKey, flip(0), AAD], // version
      [bob.secretKey, flip(5), AAD], // ephemeral key
      [bob.secretKey, flip(40), AAD], // ciphertext
      [bob.secretKey, flip(sealed.length - 1), AAD], // tag
      [bob.secretKey, sealed, utf8ToBytes('batch-8/share-for-bob')],
      [eve.secretKey, sealed, AAD],
      [bob.secretKey, sealed.subarray(0, 40), AAD],
      [bob.secretKey, new Uint8Array(0), AAD],
      [bob.secretKey, lowOrder, AAD],
    ];
    for (const [secret, bytes, aad] of cases) {
      const expected = await outcome(() => openSealed(secret, bytes, aad));
      expect(expected.startsWith('THRESHOLD_DECRYPT_FAILED')).toBe(true);
      for (const opener of await openers(secret)) expect(await outcome(() => opener.open(bytes, aad))).toBe(expected);
    }
  });

  it('refuses a secret key of the wrong length at construction, and non-bytes when opening', async () => {
    await expect(createSealOpener(new Uint8Array(31))).rejects.toBeInstanceOf(CryptoError);
    const [native] = await openers(bob.secretKey);
    await expect(native!.open('nope' as unknown as Uint8Array, AAD)).rejects.toBeInstanceOf(TypeError);
  });

  it('does not depend on the caller keeping its copy of the secret', async () => {
    const secret = Uint8Array.from(bob.secretKey);
    const portable = await createSealOpener(secret, { subtle: null });
    const native = await createSealOpener(secret);
    secret.fill(0);
    const sealed = sealTo(bob.publicKey, utf8ToBytes('later'), AAD, seededRandom('later'));
    expect(await portable.open(sealed, AAD)).toEqual(utf8ToBytes('later'));
    expect(await native.open(sealed, AAD)).toEqual(utf8ToBytes('later'));
  });
});
