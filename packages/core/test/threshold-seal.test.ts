import { x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CryptoError, equalBytes, seededRandom, utf8ToBytes } from '../src/index.js';
import { SEAL_OVERHEAD_BYTES, ThresholdError, openSealed, sealTo, x25519KeyPair } from '../src/threshold/index.js';

const bob = x25519KeyPair(seededRandom('bob'));
const eve = x25519KeyPair(seededRandom('eve'));
const AAD = utf8ToBytes('session-1/alice->bob');

/** Runs `f`, expecting THRESHOLD_DECRYPT_FAILED, and returns what an observer could see of the error. */
function failure(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ThresholdError);
    const err = e as ThresholdError;
    expect(err.code).toBe('THRESHOLD_DECRYPT_FAILED');
    expect(err.cause).toBeUndefined();
    return JSON.stringify([err.message, err.meta, err.culprits]);
  }
  throw new Error('expected THRESHOLD_DECRYPT_FAILED');
}

describe('x25519KeyPair', () => {
  it('derives the public key with noble and is deterministic under a seed', () => {
    const a = x25519KeyPair(seededRandom(1));
    expect(equalBytes(a.publicKey, x25519.getPublicKey(a.secretKey))).toBe(true);
    expect(x25519KeyPair(seededRandom(1))).toEqual(a);
    expect(x25519KeyPair(seededRandom(2)).publicKey).not.toEqual(a.publicKey);
  });
});

describe('sealTo / openSealed', () => {
  it('round-trips any plaintext and aad, adding exactly SEAL_OVERHEAD_BYTES', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 64 }), fc.integer(), (plaintext, aad, seed) => {
        const sealed = sealTo(bob.publicKey, plaintext, aad, seededRandom(seed));
        expect(sealed.length).toBe(plaintext.length + SEAL_OVERHEAD_BYTES);
        expect(openSealed(bob.secretKey, sealed, aad)).toEqual(plaintext);
      }),
      { numRuns: 100 },
    );
    expect(SEAL_OVERHEAD_BYTES).toBe(49);
  });

  it('uses a fresh ephemeral key per message (same plaintext, different ciphertexts)', () => {
    const rng = seededRandom('fresh');
    const plaintext = utf8ToBytes('share');
    const a = sealTo(bob.publicKey, plaintext, AAD, rng);
    const b = sealTo(bob.publicKey, plaintext, AAD, rng);
    expect(equalBytes(a, b)).toBe(false);
    expect(equalBytes(a.subarray(1, 33), b.subarray(1, 33))).toBe(false);
    // deterministic under the same seed
    expect(sealTo(bob.publicKey, plaintext, AAD, seededRandom('fresh'))).toEqual(a);
  });

  it('fails with the single code, indistinguishably, for wrong key, wrong aad, tampering and wrong length', () => {
    const plaintext = utf8ToBytes('a secret share value');
    const sealed = sealTo(bob.publicKey, plaintext, AAD, seededRandom(3));
    const seen = new Set<string>();
    seen.add(failure(() => openSealed(eve.secretKey, sealed, AAD)));
    seen.add(failure(() => openSealed(bob.secretKey, sealed, utf8ToBytes('session-1/alice->carol'))));
    seen.add(failure(() => openSealed(bob.secretKey, sealed, new Uint8Array(0))));
    seen.add(failure(() => openSealed(bob.secretKey, new Uint8Array(0), AAD)));
    for (let length = 0; length < sealed.length; length += 7) seen.add(failure(() => openSealed(bob.secretKey, sealed.slice(0, length), AAD)));
    seen.add(failure(() => openSealed(bob.secretKey, sealed.slice(0, -1), AAD)));
    const longer = new Uint8Array(sealed.length + 1);
    longer.set(sealed);
    seen.add(failure(() => openSealed(bob.secretKey, longer, AAD)));
    // every bit of every byte (version, ephemeral key, ciphertext, tag)
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const mauled = sealed.slice();
        mauled[i]! ^= 1 << bit;
        seen.add(failure(() => openSealed(bob.secretKey, mauled, AAD)));
      }
    }
    // a low-order ephemeral key (u = 0) is rejected by x25519 itself: same failure
    const lowOrder = sealed.slice();
    lowOrder.fill(0, 1, 33);
    seen.add(failure(() => openSealed(bob.secretKey, lowOrder, AAD)));
    expect(seen.size).toBe(1); // nothing distinguishes why
    expect([...seen][0]).not.toContain('secret share');
  });

  it('binds the recipient: a ciphertext re-targeted with another recipient key fails', () => {
    const sealed = sealTo(eve.publicKey, utf8ToBytes('x'), AAD, seededRandom(4));
    failure(() => openSealed(bob.secretKey, sealed, AAD));
    expect(openSealed(eve.secretKey, sealed, AAD)).toEqual(utf8ToBytes('x'));
  });

  it('notices a secret-key array mutated in place (the public-key cache keys on content, not identity)', () => {
    const key = x25519KeyPair(seededRandom('mutable'));
    const other = x25519KeyPair(seededRandom('other'));
    const secret = key.secretKey.slice();
    expect(openSealed(secret, sealTo(key.publicKey, Uint8Array.of(1), AAD, seededRandom(1)), AAD)).toEqual(Uint8Array.of(1));
    secret.set(other.secretKey);
    expect(openSealed(secret, sealTo(other.publicKey, Uint8Array.of(2), AAD, seededRandom(2)), AAD)).toEqual(Uint8Array.of(2));
    failure(() => openSealed(secret, sealTo(key.publicKey, Uint8Array.of(3), AAD, seededRandom(3)), AAD));
  });

  it('rejects unusable keys as CRYPTO_INVALID_KEY and bad arguments as TypeError', () => {
    const rng = seededRandom(5);
    const invalid = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(CryptoError);
        expect((e as CryptoError).code).toBe('CRYPTO_INVALID_KEY');
        return;
      }
      throw new Error('expected CRYPTO_INVALID_KEY');
    };
    invalid(() => sealTo(new Uint8Array(32), utf8ToBytes('x'), AAD, rng)); // u = 0 has low order
    invalid(() => sealTo(new Uint8Array(31), utf8ToBytes('x'), AAD, rng));
    invalid(() => openSealed(new Uint8Array(16), new Uint8Array(60), AAD));
    expect(() => sealTo(bob.publicKey, 'x' as unknown as Uint8Array, AAD, rng)).toThrow(TypeError);
    expect(() => openSealed(bob.secretKey, new Uint8Array(60), 'aad' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
