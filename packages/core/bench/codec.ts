/** Codec benchmarks: canonical CBOR encode/decode of a typical ticket operation and a ledger-sized state, and SHA-256. */
import { reportFigures } from '../../../bench/figures.js';
import { bench, report } from './harness.js';
import { decode, encode, hash, type CborValue } from '../src/codec/index.js';

export async function benchCodec(): Promise<void> {
  const op: CborValue = {
    type: 'validate',
    eventId: 'summer-gig-2026',
    ticketId: 'T-000123',
    scan: { nonce: new Uint8Array(16).fill(7), gate: 'north-3', time: 1_790_000_000_000 },
    code: { holder: new Uint8Array(32).fill(1), version: 2, step: 59_666_666, signature: new Uint8Array(64).fill(9) },
  };
  const opBytes = encode(op);
  const big: CborValue = { tickets: Array.from({ length: 1000 }, (_, i) => ({ id: `t-${i}`, holder: new Uint8Array(32).fill(i & 0xff), state: 'ISSUED', version: 1 })) };
  const bigBytes = encode(big);
  const results = [
    await bench(`encode op (${opBytes.length} B)`, () => encode(op)),
    await bench(`decode op (${opBytes.length} B, strict+canonical)`, () => decode(opBytes)),
    await bench(`encode 1k-ticket state (${(bigBytes.length / 1024).toFixed(0)} KiB)`, () => encode(big)),
    await bench(`decode 1k-ticket state (${(bigBytes.length / 1024).toFixed(0)} KiB)`, () => decode(bigBytes)),
    await bench(`sha256 (${opBytes.length} B)`, () => hash(opBytes)),
  ];
  report('Canonical CBOR codec (ops/s)', results);
  const [encOp, decOp, encState, decState, sha] = results.map((r) => r.opsPerSec) as [number, number, number, number, number];
  reportFigures({
    cbor_encode_op_per_s: encOp,
    cbor_decode_op_per_s: decOp,
    cbor_encode_state_1k_per_s: encState,
    cbor_decode_state_1k_per_s: decState,
    sha256_op_per_s: sha,
  });
}
