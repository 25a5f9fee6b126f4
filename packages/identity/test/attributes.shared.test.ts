/**
 * Canonicalisation of identity attributes: however a document was typed in,
 * the same person maps to the same identity element, and a canonical value is
 * its own canonical form (idempotence), so feeding it back in changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalAttributes, identityElement } from '../src/attributes.js';

describe('canonicalAttributes', () => {
  it('is idempotent for every code point, alone and after a letter (upper-casing can produce text NFKC changes again)', () => {
    const unstable: string[] = [];
    for (let cp = 0x20; cp < 0x30000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      for (const value of [String.fromCodePoint(cp), `A${String.fromCodePoint(cp)}`]) {
        let once: string;
        try {
          once = canonicalAttributes({ name: value })['name'] as string;
        } catch {
          continue; // only whitespace: refused as empty
        }
        if (canonicalAttributes({ name: once })['name'] !== once) unstable.push(`U+${cp.toString(16).toUpperCase()}`);
      }
    }
    expect(unstable).toEqual([]);
  });

  it('gives the same identity element for a value and its canonical form (U+0390, U+03B0, U+1FD2 …)', () => {
    for (const value of ['ΐ', 'ΰ', 'ῒ', 'Aΐ', 'Παΐσιος']) {
      const canonical = canonicalAttributes({ name: value })['name'] as string;
      expect(canonicalAttributes({ name: canonical })['name']).toBe(canonical);
      expect(identityElement({ name: canonical })).toBe(identityElement({ name: value }));
    }
    // Ϊ́ (U+03AA U+0301) is what one NFKC-then-upper-case pass made of ΐ; it is the same name
    expect(identityElement({ name: '\u0399\u0308\u0301' })).toBe(identityElement({ name: 'ΐ' }));
  });

  it('is idempotent on arbitrary text (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }), (value) => {
        let once: string;
        try {
          once = canonicalAttributes({ name: value })['name'] as string;
        } catch {
          return; // empty after trimming, or too long
        }
        expect(canonicalAttributes({ name: once })['name']).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves identity elements of text a single pass already settled unchanged (as enrolled before the fix)', () => {
    // computed with the single-pass canonicalisation this package shipped before
    expect(identityElement({ country: 'NL', document: 'X1234567', birth: '1990-01-01' }).toString(16)).toBe('6d176000a796f9a15606ba57cd028340667dc7a6103da76a2276e4f3642aeaa');
    expect(identityElement({ name: 'Zoë Ångström-Straße', document: 'ΑΒΓ 123' }).toString(16)).toBe('2b6d9bd9657bb55b6ff23a15ba4c333852e2cddb43d6d72fc9c08e5ed1507609');
    expect(identityElement({ country: ' nl ', document: 'x1234567', birth: '1990-01-01 ' })).toBe(identityElement({ country: 'NL', document: 'X1234567', birth: '1990-01-01' }));
  });
});
