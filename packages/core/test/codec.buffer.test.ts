/**
 * `decode` of a Node `Buffer` (a `Uint8Array` subclass whose `slice` returns
 * a view, not a copy): byte strings come back as plain copies, so a decoded
 * request or ledger state never shares memory with a socket's buffer. Node
 * only (`Buffer`); the platform-neutral codec tests are in
 * `codec.rfc8949.shared.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../src/codec/cbor.js';
import { decodeRequest, encodeRequest, signRequest } from '../src/app/request.js';
import { nobleCrypto } from '../src/crypto/noble.js';

describe('decode of a Node Buffer', () => {
  it('returns byte strings as plain Uint8Array copies, independent of the Buffer', () => {
    const wire = Buffer.from(encode({ x: new Uint8Array([1, 2, 3]), y: [new Uint8Array([4])] }));
    const v = decode(wire) as { x: Uint8Array; y: Uint8Array[] };
    wire.fill(0xee);
    expect(v.x).toEqual(new Uint8Array([1, 2, 3]));
    expect(v.y[0]).toEqual(new Uint8Array([4]));
    expect(v.x.constructor).toBe(Uint8Array);
    expect(Buffer.isBuffer(v.x)).toBe(false);
  });

  it('a decoded request keeps its op and signature when the wire buffer is reused', async () => {
    const crypto = nobleCrypto();
    const req = await signRequest(crypto, new Uint8Array(32).fill(5), { deployment: 'test', requestSeq: 1, op: new Uint8Array([9, 8, 7]) });
    // a pooled buffer with other bytes around the message, as a socket hands it over
    const pool = Buffer.alloc(4096, 0x55);
    const bytes = encodeRequest(req);
    pool.set(bytes, 100);
    const decoded = decodeRequest(pool.subarray(100, 100 + bytes.length));
    pool.fill(0);
    expect(decoded.op).toEqual(new Uint8Array([9, 8, 7]));
    expect(decoded.signature).toEqual(req.signature);
  });
});
