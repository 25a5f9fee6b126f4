import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareBytes, equalBytes, prefixUpperBound, startsWith, assertBytes } from '../src/bytes/index.js';

describe('bytes', () => {
  it('compareBytes is a total lexicographic order with prefixes first', () => {
    expect(compareBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBeLessThan(0);
    expect(compareBytes(new Uint8Array([2]), new Uint8Array([1, 255]))).toBeGreaterThan(0);
    expect(compareBytes(new Uint8Array([]), new Uint8Array([]))).toBe(0);
    fc.assert(
      fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
        const ab = compareBytes(a, b);
        const ba = compareBytes(b, a);
        expect(Math.sign(ab) + Math.sign(ba)).toBe(0);
        expect(ab === 0).toBe(equalBytes(a, b));
        // agrees with comparing hex strings of equal-width digits
        const ha = Array.from(a, (x) => x.toString(16).padStart(2, '0')).join('');
        const hb = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
        expect(Math.sign(ab)).toBe(ha < hb ? -1 : ha > hb ? 1 : 0);
      }),
    );
  });

  it('prefixUpperBound bounds exactly the keys with the prefix', () => {
    expect(prefixUpperBound(new Uint8Array([1, 0xff]))).toEqual(new Uint8Array([2]));
    expect(prefixUpperBound(new Uint8Array([0xff, 0xff]))).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 6 }), (p, k) => {
        const ub = prefixUpperBound(p);
        const inPrefix = startsWith(k, p);
        const belowUb = ub === undefined || compareBytes(k, ub) < 0;
        const atOrAbove = compareBytes(k, p) >= 0;
        expect(inPrefix).toBe(atOrAbove && belowUb);
      }),
    );
  });

  it('assertBytes names the argument', () => {
    expect(() => assertBytes('x', 'key')).toThrow(/key must be a Uint8Array/);
    expect(() => assertBytes(new Uint8Array(3), 'sig', 64)).toThrow(RangeError);
  });
});
