/**
 * The MPC engine's wire format and tuple pool, in isolation (Node and Chromium).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, isAdmitOneError } from '@admitone/core';
import { BN254_FR_ORDER } from '../src/mimc/index.js';
import { createTuplePool } from '../src/mpc/pool.js';
import {
  CONTEXT_DIGEST_BYTES,
  ELEMENT_BYTES,
  decodeMpcMessage,
  encodeMpcMessage,
  packElements,
  unpackElements,
  type MpcMessage,
} from '../src/mpc/index.js';

const P = BN254_FR_ORDER;
const element = fc.bigInt({ min: 0n, max: P - 1n });

describe('packElements / unpackElements', () => {
  it('round-trip any vector of field elements, 32 bytes each', () => {
    fc.assert(
      fc.property(fc.array(element, { maxLength: 40 }), (values) => {
        const bytes = packElements(values);
        return bytes.length === values.length * ELEMENT_BYTES && JSON.stringify(unpackElements(bytes, values.length, P)?.map(String)) === JSON.stringify(values.map(String));
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  it('encodes big-endian, limb by limb', () => {
    const bytes = packElements([1n, (1n << 255n) + (0xabn << 64n)]);
    expect(bytes[31]).toBe(1);
    expect(bytes[32]).toBe(0x80);
    expect(bytes[32 + 23]).toBe(0xab);
  });

  it('refuses a wrong length or an element ≥ p', () => {
    const bytes = packElements([5n, 6n]);
    expect(unpackElements(bytes, 1, P)).toBeUndefined();
    expect(unpackElements(bytes.subarray(1), 2, P)).toBeUndefined();
    expect(unpackElements(packElements([P - 1n]), 1, P)).toEqual([P - 1n]);
    expect(unpackElements(packElements([P]), 1, P)).toBeUndefined();
    expect(unpackElements(packElements([(1n << 256n) - 1n]), 1, P)).toBeUndefined();
  });
});

describe('encodeMpcMessage / decodeMpcMessage', () => {
  const message: MpcMessage = {
    phase: 'eval',
    session: Uint8Array.of(1, 2, 3),
    round: 90,
    context: new Uint8Array(CONTEXT_DIGEST_BYTES).fill(7),
    elements: packElements([1n, 2n]),
  };

  it('round-trips', () => {
    expect(decodeMpcMessage(encodeMpcMessage(message))).toEqual(message);
  });

  it('round-trips a signed message, and leaves the signature out when there is none', () => {
    const signed = { ...message, phase: 'pre' as const, signature: new Uint8Array(64).fill(9) };
    expect(decodeMpcMessage(encodeMpcMessage(signed))).toEqual(signed);
    expect('signature' in decodeMpcMessage(encodeMpcMessage(message))).toBe(false);
  });

  it.each([
    ['bad CBOR', Uint8Array.of(0xff)],
    ['not a map', encode([1, 2])],
    ['wrong version', encode({ v: 2, p: 'eval', s: Uint8Array.of(1), r: 0, h: new Uint8Array(32), e: new Uint8Array(0) })],
    ['unknown phase', encode({ v: 1, p: 'other', s: Uint8Array.of(1), r: 0, h: new Uint8Array(32), e: new Uint8Array(0) })],
    ['empty session', encode({ v: 1, p: 'eval', s: new Uint8Array(0), r: 0, h: new Uint8Array(32), e: new Uint8Array(0) })],
    ['long session', encode({ v: 1, p: 'eval', s: new Uint8Array(65), r: 0, h: new Uint8Array(32), e: new Uint8Array(0) })],
    ['negative round', encode({ v: 1, p: 'eval', s: Uint8Array.of(1), r: -1, h: new Uint8Array(32), e: new Uint8Array(0) })],
    ['short digest', encode({ v: 1, p: 'eval', s: Uint8Array.of(1), r: 0, h: new Uint8Array(31), e: new Uint8Array(0) })],
    ['ragged elements', encode({ v: 1, p: 'eval', s: Uint8Array.of(1), r: 0, h: new Uint8Array(32), e: new Uint8Array(33) })],
    ['short signature', encode({ v: 1, p: 'pre', s: Uint8Array.of(1), r: 0, h: new Uint8Array(32), e: new Uint8Array(0), g: new Uint8Array(63) })],
    ['non-bytes signature', encode({ v: 1, p: 'pre', s: Uint8Array.of(1), r: 0, h: new Uint8Array(32), e: new Uint8Array(0), g: 5 })],
    ['extra key', encode({ v: 1, p: 'eval', s: Uint8Array.of(1), r: 0, h: new Uint8Array(32), e: new Uint8Array(0), x: 1 })],
  ])('rejects %s with a CodecError', (_name, bytes) => {
    let caught: unknown;
    try {
      decodeMpcMessage(bytes);
    } catch (e) {
      caught = e;
    }
    expect(isAdmitOneError(caught) && caught.code.startsWith('CODEC_')).toBe(true);
  });
});

describe('tuple pool', () => {
  /** Fake shares: power j of tuple i (global index) is 1000·(j+1) + i. */
  const fake = (start: number, count: number) =>
    Array.from({ length: 7 }, (_, j) => Array.from({ length: count }, (_, i) => BigInt(1000 * (j + 1) + start + i)));

  it('hands out tuples in call order, whatever order batches finish in', async () => {
    const pool = createTuplePool();
    const a = pool.add(3);
    const b = pool.add(4);
    const first = pool.claim(2);
    const second = pool.claim(4);
    expect([first.start, second.start]).toEqual([0, 2]);
    const taken = second.take();
    b.fill(fake(3, 4));
    a.fill(fake(0, 3));
    expect((await taken)[0]).toEqual([1002n, 1003n, 1004n, 1005n]);
    expect((await taken)[6]).toEqual([7002n, 7003n, 7004n, 7005n]);
    expect((await first.take())[1]).toEqual([2000n, 2001n]);
    expect(pool.unclaimed()).toBe(1);
    expect(pool.stats()).toEqual({ ready: 1, preparing: 0, failed: 0, claimed: 6 });
  });

  it('refuses to over-claim and fails claims on a failed batch', async () => {
    const pool = createTuplePool();
    const a = pool.add(2);
    pool.add(2).fill(fake(2, 2));
    expect(() => pool.claim(5)).toThrow(expect.objectContaining({ code: 'MPC_NOT_ENOUGH_TUPLES' }));
    const claim = pool.claim(3);
    a.fail(new Error('boom'));
    await expect(claim.take()).rejects.toSatisfy((e) => isAdmitOneError(e, 'MPC_PREPROCESSING_FAILED'));
    expect(pool.discardUnclaimed()).toBe(1);
    expect(pool.unclaimed()).toBe(0);
  });
});
