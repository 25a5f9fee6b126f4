/**
 * The TDH2 properties that must hold in browsers as well as in Node (this
 * file also runs in real Chromium): round trip over every (t+1)-subset,
 * CCA rejection of mauled and relabelled ciphertexts, DLEQ share checks
 * single and batched, strict decoding, and the frozen regression vectors.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ristretto255, ristretto255_FROST } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes, seededRandom, utf8ToBytes } from '@admitone/core';
import {
  Tdh2Error,
  decodeTdh2Ciphertext,
  decodeTdh2DecryptionShare,
  encodeTdh2Ciphertext,
  encodeTdh2DecryptionShare,
  sealedOrderLabel,
  tdh2CheckCiphertext,
  tdh2Combine,
  tdh2DecryptionShare,
  tdh2Encrypt,
  tdh2KeyShare,
  tdh2PublicKey,
  tdh2VerifyShare,
  tdh2VerifyShares,
  type Tdh2Ciphertext,
} from '../src/tdh2/index.js';
import vectors from './vectors/tdh2.json' with { type: 'json' };

const { Point } = ristretto255;
const Fn = Point.Fn;

function committee(seed: string, min: number, max: number) {
  const random = seededRandom(seed);
  const ids = Array.from({ length: max }, (_, i) => ristretto255_FROST.Identifier.fromNumber(i + 1));
  const dealt = ristretto255_FROST.trustedDealer({ min, max }, ids, undefined, (n = 32) => random.bytes(n));
  const publicKey = tdh2PublicKey(dealt.public);
  return { publicKey, members: ids.map((id) => tdh2KeyShare({ public: dealt.public, secret: dealt.secretShares[id]! }, publicKey)) };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Tdh2Error);
    return (err as Tdh2Error).code;
  }
  return undefined;
}

const c = committee('tdh2-shared/n4', 2, 4);
const label = sealedOrderLabel('summer-gig', 3);
const payload = utf8ToBytes('{"listing":"t-17","bid":12000}');
const random = seededRandom('tdh2-shared');
const ct = tdh2Encrypt(c.publicKey, label, payload, random);
const shares = c.members.map((m) => tdh2DecryptionShare(m, ct, { random, expectedLabel: label }));

describe('tdh2 (shared)', () => {
  it('n=4, t=1: every pair of shares decrypts, through the wire encodings', () => {
    const wire = decodeTdh2Ciphertext(encodeTdh2Ciphertext(ct));
    const wireShares = shares.map((s) => decodeTdh2DecryptionShare(encodeTdh2DecryptionShare(s)));
    let pairs = 0;
    for (let i = 0; i < wireShares.length; i++) {
      for (let j = i + 1; j < wireShares.length; j++) {
        const out = tdh2Combine(c.publicKey, wire, [wireShares[i]!, wireShares[j]!], { random, expectedLabel: label });
        expect(bytesToHex(out.payload)).toBe(bytesToHex(payload));
        pairs++;
      }
    }
    expect(pairs).toBe(6);
    expect(codeOf(() => tdh2Combine(c.publicKey, wire, [wireShares[0]!], { random }))).toBe('TDH2_NOT_ENOUGH_SHARES');
  });

  it('mauled ciphertext bytes fail decoding or the validity check', () => {
    const bytes = encodeTdh2Ciphertext(ct);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
        const mauled = bytes.slice();
        mauled[pos] = (mauled[pos] as number) ^ mask;
        let decoded: Tdh2Ciphertext;
        try {
          decoded = decodeTdh2Ciphertext(mauled);
        } catch (err) {
          expect(err).toBeInstanceOf(Tdh2Error);
          return;
        }
        expect(tdh2CheckCiphertext(c.publicKey, decoded)).toBe(false);
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('a label swap fails the check and members refuse to share', () => {
    const copied = { ...ct, label: sealedOrderLabel('summer-gig', 4) };
    expect(tdh2CheckCiphertext(c.publicKey, copied)).toBe(false);
    expect(codeOf(() => tdh2DecryptionShare(c.members[0]!, copied, { random }))).toBe('TDH2_INVALID_CIPHERTEXT');
  });

  it('a bad share is rejected alone and named by the batch fallback', () => {
    const bad = { ...shares[1]!, z: Fn.add(shares[1]!.z, 1n) };
    expect(tdh2VerifyShare(c.publicKey, ct, shares[1]!)).toBe(true);
    expect(tdh2VerifyShare(c.publicKey, ct, bad)).toBe(false);
    const items = [shares[0]!, bad, shares[2]!, shares[3]!].map((share) => ({ ciphertext: ct, share }));
    expect(tdh2VerifyShares(c.publicKey, items, random)).toEqual({ valid: false, invalid: [1], culprits: [2n] });
    items[1] = { ciphertext: ct, share: shares[1]! };
    expect(tdh2VerifyShares(c.publicKey, items, random).valid).toBe(true);
  });

  it('malformed encodings get the typed codes', () => {
    const bytes = encodeTdh2Ciphertext(ct);
    const patched = (offset: number, patch: Uint8Array) => {
      const out = bytes.slice();
      out.set(patch, offset);
      return out;
    };
    expect(codeOf(() => decodeTdh2Ciphertext(bytes.subarray(0, 50)))).toBe('TDH2_MALFORMED');
    expect(codeOf(() => decodeTdh2Ciphertext(patched(65, hexToBytes('ff'.repeat(32)))))).toBe('TDH2_INVALID_SCALAR');
    expect(codeOf(() => decodeTdh2Ciphertext(patched(1, new Uint8Array(32))))).toBe('TDH2_INVALID_POINT');
    expect(codeOf(() => decodeTdh2Ciphertext(patched(1, hexToBytes('ff'.repeat(32)))))).toBe('TDH2_INVALID_POINT');
    expect(codeOf(() => decodeTdh2DecryptionShare(new Uint8Array(160)))).toBe('TDH2_MALFORMED');
  });

  it('reproduces the frozen regression vectors', () => {
    const v = vectors;
    const vc = committee(v.committeeSeed, v.min, v.max);
    expect(bytesToHex(vc.publicKey.groupKey.toBytes())).toBe(v.groupKey);
    const vct = tdh2Encrypt(vc.publicKey, hexToBytes(v.label), hexToBytes(v.payload), seededRandom(v.encryptSeed));
    expect(bytesToHex(encodeTdh2Ciphertext(vct))).toBe(v.ciphertext);
    const shareRandom = seededRandom(v.shareSeed);
    v.shares.forEach((hex, i) => {
      expect(bytesToHex(encodeTdh2DecryptionShare(tdh2DecryptionShare(vc.members[i]!, vct, { random: shareRandom })))).toBe(hex);
    });
  });
});
