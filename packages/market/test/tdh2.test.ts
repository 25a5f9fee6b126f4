/**
 * TDH2 (Shoup & Gennaro 2002) on ristretto255: round trips over every
 * (t+1)-subset, CCA properties (mauling, relabelling, refusal), DLEQ share
 * verification single and batched with culprit naming, key intake from
 * noble's FROST dealer, strict decoding, and frozen regression vectors.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ristretto255, ristretto255_FROST, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { bytesToHex, encode, hexToBytes, seededRandom, utf8ToBytes, type Random } from '@admitone/core';
import {
  TDH2_SHARE_BYTES,
  Tdh2Error,
  decodeTdh2Ciphertext,
  decodeTdh2DecryptionShare,
  encodeTdh2Ciphertext,
  encodeTdh2DecryptionShare,
  sealedOrderLabel,
  tdh2CheckCiphertext,
  tdh2CiphertextId,
  tdh2Combine,
  tdh2DecryptMany,
  tdh2DecryptionShare,
  tdh2Encrypt,
  tdh2IdentifierOfIndex,
  tdh2IndexOfIdentifier,
  tdh2KeyShare,
  tdh2PublicKey,
  tdh2VerifyShare,
  tdh2VerifyShares,
  type Tdh2Ciphertext,
  type Tdh2DecryptionShare,
  type Tdh2KeyShare,
  type Tdh2PublicKey,
  type Tdh2ShareItem,
} from '../src/tdh2/index.js';
import vectors from './vectors/tdh2.json' with { type: 'json' };

const { Point } = ristretto255;
const Fn = Point.Fn;

interface Committee {
  readonly publicKey: Tdh2PublicKey;
  readonly members: readonly Tdh2KeyShare[];
  readonly dealt: ReturnType<typeof ristretto255_FROST.trustedDealer>;
}

/** A deterministic trusted-dealer committee with member indices 1..n. */
function committee(seed: string, min: number, max: number): Committee {
  const random = seededRandom(seed);
  const ids = Array.from({ length: max }, (_, i) => ristretto255_FROST.Identifier.fromNumber(i + 1));
  const dealt = ristretto255_FROST.trustedDealer({ min, max }, ids, undefined, (n = 32) => random.bytes(n));
  const publicKey = tdh2PublicKey(dealt.public);
  const members = ids.map((id) => tdh2KeyShare({ public: dealt.public, secret: dealt.secretShares[id]! }, publicKey));
  return { publicKey, members, dealt };
}

/** Every k-element subset of `items`. */
function subsets<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [head, ...rest] = items as [T, ...T[]];
  return [...subsets(rest, k - 1).map((s) => [head, ...s]), ...subsets(rest, k)];
}

function expectTdh2Error(fn: () => unknown, code: string): Tdh2Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Tdh2Error);
    expect((err as Tdh2Error).code).toBe(code);
    return err as Tdh2Error;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

const c4 = committee('tdh2/n4', 2, 4);
const c7 = committee('tdh2/n7', 3, 7);
const label = sealedOrderLabel('summer-gig', 3);
const payload = utf8ToBytes('{"listing":"t-17","bid":12000}');

describe('round trip', () => {
  for (const [name, c] of [
    ['n=4, t=1', c4],
    ['n=7, t=2', c7],
  ] as const) {
    it(`${name}: every (t+1)-subset of shares decrypts`, () => {
      const random = seededRandom(`roundtrip/${name}`);
      const ct = tdh2Encrypt(c.publicKey, label, payload, random);
      expect(tdh2CheckCiphertext(c.publicKey, ct, label)).toBe(true);
      const shares = c.members.map((m) => tdh2DecryptionShare(m, ct, { random, expectedLabel: label }));
      const all = subsets(shares, c.publicKey.minShares);
      expect(all.length).toBe(name === 'n=4, t=1' ? 6 : 35);
      for (const subset of all) {
        const out = tdh2Combine(c.publicKey, ct, subset, { random, expectedLabel: label });
        expect(bytesToHex(out.payload)).toBe(bytesToHex(payload));
        expect(out.used).toEqual(subset.map((s) => s.index));
        expect(out.invalid).toEqual([]);
      }
    });

    it(`${name}: t shares are not enough`, () => {
      const random = seededRandom(`few/${name}`);
      const ct = tdh2Encrypt(c.publicKey, label, payload, random);
      const shares = c.members.map((m) => tdh2DecryptionShare(m, ct, { random }));
      for (const subset of subsets(shares, c.publicKey.minShares - 1)) {
        const err = expectTdh2Error(() => tdh2Combine(c.publicKey, ct, subset, { random }), 'TDH2_NOT_ENOUGH_SHARES');
        expect(err.culprits).toEqual([]);
      }
    });
  }

  it('works for empty and maximum-size payloads, and encodings round-trip', () => {
    const random = seededRandom('sizes');
    for (const p of [new Uint8Array(0), random.bytes(65_536)]) {
      const ct = tdh2Encrypt(c4.publicKey, label, p, random);
      const decoded = decodeTdh2Ciphertext(encodeTdh2Ciphertext(ct));
      expect(bytesToHex(encodeTdh2Ciphertext(decoded))).toBe(bytesToHex(encodeTdh2Ciphertext(ct)));
      const shares = c4.members.slice(2).map((m) => decodeTdh2DecryptionShare(encodeTdh2DecryptionShare(tdh2DecryptionShare(m, decoded, { random }))));
      expect(bytesToHex(tdh2Combine(c4.publicKey, decoded, shares, { random }).payload)).toBe(bytesToHex(p));
    }
    expectTdh2Error(() => tdh2Encrypt(c4.publicKey, label, new Uint8Array(65_537), random), 'TDH2_MALFORMED');
    expectTdh2Error(() => tdh2Encrypt(c4.publicKey, new Uint8Array(1025), payload, random), 'TDH2_MALFORMED');
  });

  it('two encryptions of one payload are unlinkable byte strings', () => {
    const random = seededRandom('fresh');
    const a = encodeTdh2Ciphertext(tdh2Encrypt(c4.publicKey, label, payload, random));
    const b = encodeTdh2Ciphertext(tdh2Encrypt(c4.publicKey, label, payload, random));
    expect(bytesToHex(a)).not.toBe(bytesToHex(b));
  });
});

describe('ciphertext validity (CCA)', () => {
  const random = seededRandom('cca');
  const ct = tdh2Encrypt(c4.publicKey, label, payload, random);
  const bytes = encodeTdh2Ciphertext(ct);

  it('any mauled byte is rejected by the decoder or fails the validity check, and members refuse', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
        const mauled = bytes.slice();
        mauled[pos] = (mauled[pos] as number) ^ mask;
        let decoded: Tdh2Ciphertext;
        try {
          decoded = decodeTdh2Ciphertext(mauled);
        } catch (err) {
          expect(err).toBeInstanceOf(Tdh2Error);
          expect(['TDH2_MALFORMED', 'TDH2_INVALID_SCALAR', 'TDH2_INVALID_POINT']).toContain((err as Tdh2Error).code);
          return;
        }
        expect(tdh2CheckCiphertext(c4.publicKey, decoded)).toBe(false);
        expectTdh2Error(() => tdh2DecryptionShare(c4.members[0]!, decoded, { random }), 'TDH2_INVALID_CIPHERTEXT');
      }),
      { numRuns: 150, seed: 20260101 },
    );
  });

  it('a ciphertext copied under another label fails, and no member helps decrypt it', () => {
    const other = sealedOrderLabel('summer-gig', 4);
    const copied: Tdh2Ciphertext = { ...ct, label: other };
    expect(tdh2CheckCiphertext(c4.publicKey, copied)).toBe(false);
    expectTdh2Error(() => tdh2DecryptionShare(c4.members[1]!, copied, { random }), 'TDH2_INVALID_CIPHERTEXT');
    // Shares made for the genuine ciphertext do not combine for the copy either.
    const shares = c4.members.slice(0, 2).map((m) => tdh2DecryptionShare(m, ct, { random }));
    expectTdh2Error(() => tdh2Combine(c4.publicKey, copied, shares, { random }), 'TDH2_INVALID_CIPHERTEXT');
  });

  it('the expected label is enforced by the check, by members and by the combiner', () => {
    const other = sealedOrderLabel('other-gig', 3);
    expect(tdh2CheckCiphertext(c4.publicKey, ct, label)).toBe(true);
    expect(tdh2CheckCiphertext(c4.publicKey, ct, other)).toBe(false);
    expectTdh2Error(() => tdh2DecryptionShare(c4.members[0]!, ct, { random, expectedLabel: other }), 'TDH2_INVALID_CIPHERTEXT');
    const shares = c4.members.slice(0, 2).map((m) => tdh2DecryptionShare(m, ct, { random }));
    expectTdh2Error(() => tdh2Combine(c4.publicKey, ct, shares, { random, expectedLabel: other }), 'TDH2_INVALID_CIPHERTEXT');
  });

  it('tampering with each proof component is detected', () => {
    const variants: Tdh2Ciphertext[] = [
      { ...ct, e: Fn.add(ct.e, 1n) },
      { ...ct, f: Fn.add(ct.f, 1n) },
      { ...ct, u: ct.u.add(Point.BASE) },
      { ...ct, uBar: ct.uBar.add(Point.BASE) },
      { ...ct, sealed: ct.sealed.map((b, i) => (i === 0 ? b ^ 1 : b)) },
    ];
    for (const v of variants) expect(tdh2CheckCiphertext(c4.publicKey, v)).toBe(false);
  });

  it('a valid proof over a garbage payload (dishonest encryptor) ends in TDH2_DECRYPT_FAILED, not a wrong payload', () => {
    // Build the ciphertext by hand from the spec: u = g^r, ū = ḡ^r, e = H(h, L, c, u, w, ū, w̄), f = s + r·e, but with
    // c random bytes instead of an AEAD seal under K. This also pins the challenge transcript independently of the code.
    const gBar = ristretto255_hasher.hashToCurve(utf8ToBytes('g-bar'), { DST: 'AdmitOne-TDH2-v1-ristretto255-generator-gbar' });
    const r = 1234567n;
    const s = 7654321n;
    const u = Point.BASE.multiply(r);
    const uBar = gBar.multiply(r);
    const sealed = seededRandom('garbage').bytes(40);
    const transcript = encode([
      c4.publicKey.groupKey.toBytes(),
      label,
      sealed,
      u.toBytes(),
      Point.BASE.multiply(s).toBytes(),
      uBar.toBytes(),
      gBar.multiply(s).toBytes(),
    ]);
    const e = ristretto255_hasher.hashToScalar(transcript, { DST: 'AdmitOne-TDH2-v1-ciphertext-challenge' });
    const forged: Tdh2Ciphertext = { label, sealed, u, uBar, e, f: Fn.add(s, Fn.mul(r, e)) };
    expect(tdh2CheckCiphertext(c4.publicKey, forged)).toBe(true);
    const shares = c4.members.slice(0, 2).map((m) => tdh2DecryptionShare(m, forged, { random }));
    expectTdh2Error(() => tdh2Combine(c4.publicKey, forged, shares, { random }), 'TDH2_DECRYPT_FAILED');
    expect(tdh2DecryptMany(c4.publicKey, [{ ciphertext: forged, shares }], { random })).toEqual([
      { status: 'rejected', reason: 'decrypt_failed', culprits: [] },
    ]);
  });

  it('the proof binds the group key: a ciphertext for another committee is invalid here', () => {
    const stranger = committee('tdh2/stranger', 2, 4);
    const foreign = tdh2Encrypt(stranger.publicKey, label, payload, seededRandom('foreign'));
    expect(tdh2CheckCiphertext(stranger.publicKey, foreign)).toBe(true);
    expect(tdh2CheckCiphertext(c4.publicKey, foreign)).toBe(false);
  });
});

describe('decryption shares', () => {
  const random = seededRandom('shares');
  const ct = tdh2Encrypt(c7.publicKey, label, payload, random);
  const shares = c7.members.map((m) => tdh2DecryptionShare(m, ct, { random }));

  it('each honest share verifies on its own and is bound to its ciphertext and index', () => {
    const ct2 = tdh2Encrypt(c7.publicKey, label, payload, random);
    for (const s of shares) {
      expect(tdh2VerifyShare(c7.publicKey, ct, s)).toBe(true);
      expect(tdh2VerifyShare(c7.publicKey, ct2, s)).toBe(false);
    }
    // Claiming another member's index (with that member's key) fails.
    const stolen: Tdh2DecryptionShare = { ...shares[0]!, index: shares[1]!.index };
    expect(tdh2VerifyShare(c7.publicKey, ct, stolen)).toBe(false);
    // An index outside the committee fails.
    expect(tdh2VerifyShare(c7.publicKey, ct, { ...shares[0]!, index: 99n })).toBe(false);
  });

  const corruptions: Record<string, (s: Tdh2DecryptionShare) => Tdh2DecryptionShare> = {
    'wrong u_i (proof unchanged)': (s) => ({ ...s, ui: s.ui.add(Point.BASE) }),
    'wrong DLEQ response z': (s) => ({ ...s, z: Fn.add(s.z, 1n) }),
    'wrong commitment A': (s) => ({ ...s, a: s.a.add(Point.BASE) }),
    'wrong commitment B': (s) => ({ ...s, b: s.b.add(Point.BASE) }),
  };

  for (const [name, corrupt] of Object.entries(corruptions)) {
    it(`${name}: rejected alone, named by the batch fallback, skipped by combine`, () => {
      const bad = corrupt(shares[2]!);
      expect(tdh2VerifyShare(c7.publicKey, ct, bad)).toBe(false);
      const batch = [shares[0]!, shares[1]!, bad, shares[3]!, shares[4]!].map((share) => ({ ciphertext: ct, share }));
      const result = tdh2VerifyShares(c7.publicKey, batch, seededRandom(`batch/${name}`));
      expect(result.valid).toBe(false);
      expect(result.invalid).toEqual([2]);
      expect(result.culprits).toEqual([3n]);
      const out = tdh2Combine(c7.publicKey, ct, [shares[0]!, bad, shares[1]!, shares[3]!], { random });
      expect(bytesToHex(out.payload)).toBe(bytesToHex(payload));
      expect(out.invalid).toEqual([3n]);
      expect(out.used).toEqual([1n, 2n, 4n]);
      const err = expectTdh2Error(() => tdh2Combine(c7.publicKey, ct, [shares[0]!, bad, shares[1]!], { random }), 'TDH2_NOT_ENOUGH_SHARES');
      expect(err.culprits).toEqual([3n]);
      expect(err.meta['culprits']).toEqual(['3']);
    });
  }

  it('a repeated index counts once: too few distinct indices is not enough shares, blaming no one', () => {
    const err = expectTdh2Error(() => tdh2Combine(c7.publicKey, ct, [shares[0]!, shares[1]!, shares[0]!], { random }), 'TDH2_NOT_ENOUGH_SHARES');
    expect(err.culprits).toEqual([]);
    const out = tdh2Combine(c7.publicKey, ct, [shares[0]!, shares[0]!, shares[1]!, shares[1]!, shares[2]!], { random });
    expect(bytesToHex(out.payload)).toBe(bytesToHex(payload));
    expect(out).toMatchObject({ used: [1n, 2n, 3n], invalid: [] });
  });

  it('verifies before de-duplicating: a forged share under an honest index blocks nothing and the honest share is used', () => {
    // the forgery claims member 1's index with member 2's point: its DLEQ proof fails
    const forged: Tdh2DecryptionShare = { ...shares[0]!, ui: shares[1]!.ui };
    for (const input of [
      [forged, shares[0]!, shares[1]!, shares[2]!],
      [shares[0]!, forged, shares[1]!, shares[2]!],
      [forged, forged, shares[1]!, shares[0]!, shares[2]!],
    ]) {
      const out = tdh2Combine(c7.publicKey, ct, input, { random });
      expect(bytesToHex(out.payload)).toBe(bytesToHex(payload));
      expect([...out.used].sort()).toEqual([1n, 2n, 3n]);
    }
    expect(tdh2Combine(c7.publicKey, ct, [forged, shares[0]!, shares[1]!, shares[2]!], { random }).invalid).toEqual([1n]);
    // with only the forgery for index 1, t + 1 = 3 valid distinct shares are missing: the forged index is named
    const err = expectTdh2Error(() => tdh2Combine(c7.publicKey, ct, [forged, shares[1]!, shares[2]!], { random }), 'TDH2_NOT_ENOUGH_SHARES');
    expect(err.culprits).toEqual([1n]);
  });

  it('batch verification accepts all-valid batches and rejects any single bad share (property)', () => {
    const cts = [ct, tdh2Encrypt(c7.publicKey, label, payload, random), tdh2Encrypt(c7.publicKey, sealedOrderLabel('x', 1), payload, random)];
    const pool: Tdh2ShareItem[] = cts.flatMap((ciphertext, k) =>
      (k === 0 ? shares : c7.members.map((m) => tdh2DecryptionShare(m, ciphertext, { random }))).map((share) => ({ ciphertext, share })),
    );
    const kinds = [...Object.values(corruptions), (s: Tdh2DecryptionShare) => ({ ...s, index: s.index === 7n ? 1n : s.index + 1n })];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: 12 }),
        fc.option(fc.record({ at: fc.nat(), kind: fc.integer({ min: 0, max: kinds.length }) })),
        fc.integer(),
        (picks, corruption, seed) => {
          const items = picks.map((p) => pool[p]!);
          let bad: number | undefined;
          if (corruption !== null) {
            bad = corruption.at % items.length;
            const item = items[bad]!;
            // kind === kinds.length: pair the share with a ciphertext it was not made for.
            items[bad] =
              corruption.kind === kinds.length
                ? { ciphertext: cts[(cts.indexOf(item.ciphertext) + 1) % cts.length]!, share: item.share }
                : { ciphertext: item.ciphertext, share: kinds[corruption.kind]!(item.share) };
          }
          const result = tdh2VerifyShares(c7.publicKey, items, seededRandom(seed));
          expect(result.valid).toBe(bad === undefined);
          expect(result.invalid).toEqual(bad === undefined ? [] : [bad]);
        },
      ),
      { numRuns: 40, seed: 424242 },
    );
  });

  it('an empty batch is valid', () => {
    expect(tdh2VerifyShares(c7.publicKey, [], random)).toEqual({ valid: true, invalid: [], culprits: [] });
  });
});

describe('decrypting many ciphertexts at once', () => {
  it('returns an outcome per request, topping up invalid shares and naming culprits', () => {
    const random = seededRandom('many');
    const payloads = Array.from({ length: 5 }, (_, i) => utf8ToBytes(`order ${i}`));
    const cts = payloads.map((p) => tdh2Encrypt(c4.publicKey, label, p, random));
    const sharesOf = (ct: Tdh2Ciphertext) => c4.members.map((m) => tdh2DecryptionShare(m, ct, { random }));
    const s = cts.map(sharesOf);
    const broken = (x: Tdh2DecryptionShare) => ({ ...x, z: Fn.add(x.z, 1n) });
    const outcomes = tdh2DecryptMany(
      c4.publicKey,
      [
        { ciphertext: cts[0]!, shares: s[0]! },
        { ciphertext: cts[1]!, shares: [broken(s[1]![0]!), s[1]![1]!, broken(s[1]![2]!), s[1]![3]!] },
        { ciphertext: { ...cts[2]!, label: sealedOrderLabel('summer-gig', 9) }, shares: s[2]! },
        { ciphertext: cts[3]!, shares: [broken(s[3]![0]!), s[3]![1]!] },
        { ciphertext: cts[4]!, shares: [s[4]![0]!, s[4]![0]!] },
      ],
      { random },
    );
    expect(outcomes[0]).toMatchObject({ status: 'decrypted', used: [1n, 2n], invalid: [] });
    expect(outcomes[1]).toMatchObject({ status: 'decrypted', used: [2n, 4n], invalid: [1n, 3n] });
    expect(outcomes[2]).toEqual({ status: 'rejected', reason: 'invalid_ciphertext', culprits: [] });
    expect(outcomes[3]).toEqual({ status: 'rejected', reason: 'not_enough_shares', culprits: [1n] });
    expect(outcomes[4]).toEqual({ status: 'rejected', reason: 'not_enough_shares', culprits: [] });
    for (const k of [0, 1]) {
      const o = outcomes[k]!;
      expect(o.status === 'decrypted' && bytesToHex(o.payload)).toBe(bytesToHex(payloads[k]!));
    }
  });
});

describe('keys', () => {
  it('identifiers are noble Identifier.fromNumber of the Shamir x', () => {
    for (const x of [1, 2, 7, 255, 256, 65_537]) {
      expect(tdh2IdentifierOfIndex(BigInt(x))).toBe(ristretto255_FROST.Identifier.fromNumber(x));
      expect(tdh2IndexOfIdentifier(ristretto255_FROST.Identifier.fromNumber(x))).toBe(BigInt(x));
    }
    expect(() => tdh2IdentifierOfIndex(0n)).toThrow(RangeError);
    expectTdh2Error(() => tdh2IndexOfIdentifier('zz'), 'TDH2_MALFORMED');
    expectTdh2Error(() => tdh2IndexOfIdentifier('00'.repeat(32)), 'TDH2_INVALID_SCALAR');
    expectTdh2Error(() => tdh2IndexOfIdentifier('ff'.repeat(32)), 'TDH2_INVALID_SCALAR');
  });

  it('derived (non-numeric) FROST identifiers work too', () => {
    const random = seededRandom('derived');
    const ids = ['alice', 'bob', 'carol'].map((n) => ristretto255_FROST.Identifier.derive(n));
    const dealt = ristretto255_FROST.trustedDealer({ min: 2, max: 3 }, ids, undefined, (n = 32) => random.bytes(n));
    const publicKey = tdh2PublicKey(dealt.public);
    const members = ids.map((id) => tdh2KeyShare({ public: dealt.public, secret: dealt.secretShares[id]! }));
    const ct = tdh2Encrypt(publicKey, label, payload, random);
    const shares = members.slice(1).map((m) => tdh2DecryptionShare(m, ct, { random }));
    expect(bytesToHex(tdh2Combine(publicKey, ct, shares, { random }).payload)).toBe(bytesToHex(payload));
  });

  it("keys from noble's FROST DKG rounds (run in-process) plug in directly", () => {
    const random = seededRandom('dkg-rounds');
    const rng = (n = 32) => random.bytes(n);
    const signers = { min: 2, max: 4 };
    const ids = [1, 2, 3, 4].map((x) => ristretto255_FROST.Identifier.fromNumber(x));
    const r1 = ids.map((id) => ristretto255_FROST.DKG.round1(id, signers, undefined, rng));
    const r2 = r1.map((me) => ristretto255_FROST.DKG.round2(me.secret, r1.filter((o) => o !== me).map((o) => o.public)));
    const keys = r1.map((me, i) =>
      ristretto255_FROST.DKG.round3(
        me.secret,
        r1.filter((o) => o !== me).map((o) => o.public),
        r2.filter((_, j) => j !== i).map((out) => out[ids[i]!]!),
      ),
    );
    const publicKey = tdh2PublicKey(keys[0]!.public);
    const members = keys.map((k) => tdh2KeyShare(k, publicKey));
    expect(members.map((m) => m.index)).toEqual([1n, 2n, 3n, 4n]);
    const ct = tdh2Encrypt(publicKey, label, payload, random);
    for (const pair of subsets(members, 2)) {
      const shares = pair.map((m) => tdh2DecryptionShare(m, ct, { random }));
      expect(bytesToHex(tdh2Combine(publicKey, ct, shares, { random }).payload)).toBe(bytesToHex(payload));
    }
  });

  it('the group key is the dealing secret times g', () => {
    const secret = ristretto255_FROST.combineSecret(Object.values(c7.dealt.secretShares).slice(0, 3), { min: 3, max: 7 });
    expect(Point.BASE.multiply(Fn.fromBytes(secret)).equals(c7.publicKey.groupKey)).toBe(true);
    expect(c7.publicKey.minShares).toBe(3);
    expect([...c7.publicKey.verificationKeys.keys()]).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
  });

  it('a secret share that does not match its verification key is refused without leaking it', () => {
    const id1 = ristretto255_FROST.Identifier.fromNumber(1);
    const id2 = ristretto255_FROST.Identifier.fromNumber(2);
    const wrong = c4.dealt.secretShares[id2]!.signingShare;
    const err = expectTdh2Error(
      () => tdh2KeyShare({ public: c4.dealt.public, secret: { identifier: id1, signingShare: wrong } }),
      'TDH2_INVALID_KEY',
    );
    const text = `${err.message} ${JSON.stringify(err.meta)}`;
    expect(text).not.toContain(bytesToHex(wrong));
    expect(text).not.toContain(String(Fn.fromBytes(wrong)));
    // The key share object itself holds no secret either.
    const good = c4.members[0]!;
    expect(JSON.stringify(good, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(
      String(Fn.fromBytes(c4.dealt.secretShares[id1]!.signingShare)),
    );
    expectTdh2Error(
      () => tdh2KeyShare({ public: c4.dealt.public, secret: { identifier: id1, signingShare: Fn.toBytes(0n) } }),
      'TDH2_INVALID_SCALAR',
    );
    expectTdh2Error(() => tdh2KeyShare({ public: c4.dealt.public, secret: { identifier: id1, signingShare: wrong } }, c7.publicKey), 'TDH2_INVALID_KEY');
  });

  it('a public package whose verification key is off the dealing is refused', () => {
    const pub = c4.dealt.public;
    const id3 = ristretto255_FROST.Identifier.fromNumber(3);
    const tampered = {
      ...pub,
      verifyingShares: { ...pub.verifyingShares, [id3]: Point.fromBytes(pub.verifyingShares[id3]!).add(Point.BASE).toBytes() },
    };
    expectTdh2Error(() => tdh2PublicKey(tampered), 'TDH2_INVALID_KEY');
    expectTdh2Error(() => tdh2PublicKey({ ...pub, commitments: pub.commitments.slice(1) }), 'TDH2_MALFORMED');
    expectTdh2Error(() => tdh2PublicKey({ ...pub, signers: { min: 3, max: 2 } }), 'TDH2_MALFORMED');
    expectTdh2Error(() => tdh2PublicKey({ ...pub, commitments: [new Uint8Array(32), pub.commitments[1]!] }), 'TDH2_INVALID_POINT');
  });
});

describe('strict decoding', () => {
  const random = seededRandom('decode');
  const ct = tdh2Encrypt(c4.publicKey, label, payload, random);
  const bytes = encodeTdh2Ciphertext(ct);
  const share = encodeTdh2DecryptionShare(tdh2DecryptionShare(c4.members[0]!, ct, { random }));
  const orderLE = Fn.toBytes(0n).map((_, i) => Number((Fn.ORDER >> BigInt(8 * i)) & 0xffn));
  const nonCanonicalPoint = hexToBytes('ff'.repeat(32));
  const identity = new Uint8Array(32);
  const at = (b: Uint8Array, offset: number, patch: Uint8Array) => {
    const out = b.slice();
    out.set(patch, offset);
    return out;
  };

  it('ciphertexts: wrong length, version, framing, scalars and points get their codes', () => {
    const cases: [Uint8Array, string, string?][] = [
      [bytes.subarray(0, 100), 'TDH2_MALFORMED'],
      [new Uint8Array(0), 'TDH2_MALFORMED'],
      [at(bytes, 0, [2] as unknown as Uint8Array), 'TDH2_MALFORMED'],
      [at(bytes, 129, Uint8Array.of(0x04, 0x01)), 'TDH2_MALFORMED'], // label length 1025
      [at(bytes, 129, Uint8Array.of(0x00, 0xff)), 'TDH2_MALFORMED'], // label eats the tag
      [at(bytes, 65, orderLE), 'TDH2_INVALID_SCALAR', 'e'],
      [at(bytes, 97, hexToBytes('ff'.repeat(32))), 'TDH2_INVALID_SCALAR', 'f'],
      [at(bytes, 1, nonCanonicalPoint), 'TDH2_INVALID_POINT', 'u'],
      [at(bytes, 33, identity), 'TDH2_INVALID_POINT', 'uBar'],
      [at(bytes, 1, identity), 'TDH2_INVALID_POINT', 'u'],
    ];
    for (const [input, code, field] of cases) {
      const err = expectTdh2Error(() => decodeTdh2Ciphertext(input), code);
      if (field !== undefined) expect(err.meta['field']).toBe(field);
    }
    expect(expectTdh2Error(() => decodeTdh2Ciphertext(at(bytes, 1, identity)), 'TDH2_INVALID_POINT').meta['reason']).toBe('identity');
    expect(expectTdh2Error(() => decodeTdh2Ciphertext(at(bytes, 1, nonCanonicalPoint)), 'TDH2_INVALID_POINT').meta['reason']).toBe('encoding');
    expect(() => decodeTdh2Ciphertext('00' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('shares: wrong length, version, index, scalars and points get their codes', () => {
    expect(share.length).toBe(TDH2_SHARE_BYTES);
    const cases: [Uint8Array, string, string?][] = [
      [share.subarray(1), 'TDH2_MALFORMED'],
      [new Uint8Array([...share, 0]), 'TDH2_MALFORMED'],
      [at(share, 0, Uint8Array.of(9)), 'TDH2_MALFORMED'],
      [at(share, 1, new Uint8Array(32)), 'TDH2_INVALID_SCALAR', 'index'],
      [at(share, 1, orderLE), 'TDH2_INVALID_SCALAR', 'index'],
      [at(share, 129, orderLE), 'TDH2_INVALID_SCALAR', 'z'],
      [at(share, 33, identity), 'TDH2_INVALID_POINT', 'ui'],
      [at(share, 65, nonCanonicalPoint), 'TDH2_INVALID_POINT', 'a'],
      [at(share, 97, identity), 'TDH2_INVALID_POINT', 'b'],
    ];
    for (const [input, code, field] of cases) {
      const err = expectTdh2Error(() => decodeTdh2DecryptionShare(input), code);
      if (field !== undefined) expect(err.meta['field']).toBe(field);
    }
  });

  it('the ciphertext id changes with any byte and is stable across a round trip', () => {
    const id = bytesToHex(tdh2CiphertextId(ct));
    expect(bytesToHex(tdh2CiphertextId(decodeTdh2Ciphertext(bytes)))).toBe(id);
    expect(bytesToHex(tdh2CiphertextId({ ...ct, label: sealedOrderLabel('summer-gig', 4) }))).not.toBe(id);
  });

  it('sealedOrderLabel is canonical and validates its inputs', () => {
    expect(bytesToHex(sealedOrderLabel('summer-gig', 3))).toBe(bytesToHex(sealedOrderLabel('summer-gig', 3n)));
    expect(bytesToHex(sealedOrderLabel('summer-gig', 3))).not.toBe(bytesToHex(sealedOrderLabel('summer-gig', 30)));
    expect(() => sealedOrderLabel('bad id!', 1)).toThrow(RangeError);
    expect(() => sealedOrderLabel('ok', -1)).toThrow(RangeError);
    expect(() => sealedOrderLabel('ok', 1.5)).toThrow(TypeError);
    expect(() => sealedOrderLabel('ok', 1n << 64n)).toThrow(RangeError);
  });
});

describe('regression vectors (test/vectors/tdh2.json)', () => {
  // Produced by this implementation from seeded randomness: they freeze the wire format, the DSTs and the
  // KDF, so any change to them is a deliberate, versioned decision. They are not independent vectors.
  it('encryption and shares from fixed randomness reproduce the frozen bytes, and the frozen bytes decrypt', () => {
    const v = vectors;
    const c = committee(v.committeeSeed, v.min, v.max);
    expect(bytesToHex(c.publicKey.groupKey.toBytes())).toBe(v.groupKey);
    const random: Random = seededRandom(v.encryptSeed);
    const ct = tdh2Encrypt(c.publicKey, hexToBytes(v.label), hexToBytes(v.payload), random);
    expect(bytesToHex(encodeTdh2Ciphertext(ct))).toBe(v.ciphertext);
    expect(bytesToHex(tdh2CiphertextId(ct))).toBe(v.ciphertextId);
    const shareRandom = seededRandom(v.shareSeed);
    const shares = v.shares.map((hex, i) => {
      const made = tdh2DecryptionShare(c.members[i]!, ct, { random: shareRandom });
      expect(bytesToHex(encodeTdh2DecryptionShare(made))).toBe(hex);
      return decodeTdh2DecryptionShare(hexToBytes(hex));
    });
    expect(bytesToHex(tdh2Combine(c.publicKey, decodeTdh2Ciphertext(hexToBytes(v.ciphertext)), shares, { random }).payload)).toBe(v.payload);
  });
});
