/**
 * TDH2 throughput on ristretto255, each figure beside the primitive limit
 * measured in the same run: one ristretto255 variable-base scalar
 * multiplication (noble's constant-time `multiply`). The "× mult" column is
 * the row's throughput over that limit (for batch rows, per share), and
 * "mults/op" is the cost of one item in scalar-multiplication equivalents.
 *
 * Run: `npx tsx --conditions=admitone-source bench/tdh2.ts` from packages/market.
 */
import { ristretto255, ristretto255_FROST } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { seededRandom, utf8ToBytes } from '@admitone/core';
import {
  sealedOrderLabel,
  tdh2CheckCiphertext,
  tdh2Combine,
  tdh2DecryptMany,
  tdh2DecryptionShare,
  tdh2Encrypt,
  tdh2KeyShare,
  tdh2PublicKey,
  tdh2VerifyShare,
  tdh2VerifyShares,
  type Tdh2Ciphertext,
  type Tdh2DecryptionShare,
  type Tdh2ShareItem,
} from '../src/tdh2/index.js';
import { byMode, reportFigures } from '../../../bench/figures.js';

/** One measured row. */
interface Row {
  readonly name: string;
  /** Median items/s across rounds (an op may process several items, e.g. a batch of shares). */
  readonly itemsPerSec: number;
  /** Median across rounds of (items/s) / (limit ops/s), each round's limit measured right after it. */
  readonly ratio: number;
  /** Per-op latency percentiles, in ms. */
  readonly p50ms: number;
  readonly p99ms: number;
}

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Runs `op` repeatedly for about `ms` (at least `min` times); returns ops/s and pushes each op's latency. */
function timed(op: () => unknown, ms: number, min: number, lat?: number[]): number {
  const start = performance.now();
  let now = start;
  let n = 0;
  while (now < start + ms || n < min) {
    const t0 = performance.now();
    op();
    now = performance.now();
    lat?.push(now - t0);
    n++;
  }
  return (n * 1000) / (now - start);
}

/**
 * Measures `op` in rounds; after each round, the primitive `limit` runs for a
 * third of the time, and the round's ratio compares the two. On a shared,
 * noisy machine the per-round ratio is far steadier than either rate alone.
 */
function measure(name: string, op: () => unknown, limit: () => unknown, items = 1, budgetMs = byMode(1500, 180), rounds = byMode(5, 3)): Row {
  timed(op, Math.min(300, budgetMs / 5), 1);
  const rates: number[] = [];
  const ratios: number[] = [];
  const lat: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const rate = timed(op, budgetMs / rounds, 3, lat) * items;
    const limitRate = timed(limit, budgetMs / rounds / 3, 5);
    rates.push(rate);
    ratios.push(rate / limitRate);
  }
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.max(0, Math.ceil((p / 100) * lat.length) - 1))] as number;
  return { name, itemsPerSec: median(rates), ratio: median(ratios), p50ms: pct(50), p99ms: pct(99) };
}

function print(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`);
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'operation'.padEnd(w)}  ${'items/s'.padStart(10)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ${'× mult'.padStart(7)}  ${'mults/op'.padStart(8)}`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(w)}  ${Math.round(r.itemsPerSec).toLocaleString('en-US').padStart(10)}  ${r.p50ms.toFixed(2).padStart(8)}  ${r.p99ms
        .toFixed(2)
        .padStart(8)}  ${r.ratio.toFixed(2).padStart(7)}  ${(1 / r.ratio).toFixed(2).padStart(8)}`,
    );
  }
}

/** Runs the TDH2 benchmarks (about 40 s) and prints one table per committee size. */
export function benchTdh2(): void {
  const random = seededRandom('bench/tdh2');
  const Point = ristretto255.Point;
  const scalars = Array.from({ length: 64 }, () => Point.Fn.create(bytesToNumberLE(random.bytes(40))));
  const points = scalars.map((s) => Point.BASE.multiply(s));
  let k = 0;
  const next = () => k++ & 63;
  const mult = () => points[next()]!.multiply(scalars[next()]!);
  const m = (name: string, op: () => unknown, items = 1) => measure(name, op, mult, items);
  const limitRows = [
    m('limit: ristretto255 var-base multiply (ct)', mult),
    m('ristretto255 var-base multiplyUnsafe', () => points[next()]!.multiplyUnsafe(scalars[next()]!)),
  ];
  reportFigures({ ristretto_mul_per_s: limitRows[0]!.itemsPerSec, ristretto_mul_unsafe_per_s: limitRows[1]!.itemsPerSec });

  for (const [min, max] of [
    [3, 7],
    [2, 4],
  ] as const) {
    const ids = Array.from({ length: max }, (_, i) => ristretto255_FROST.Identifier.fromNumber(i + 1));
    const dealt = ristretto255_FROST.trustedDealer({ min, max }, ids, undefined, (n = 32) => random.bytes(n));
    const publicKey = tdh2PublicKey(dealt.public);
    const members = ids.map((id) => tdh2KeyShare({ public: dealt.public, secret: dealt.secretShares[id]! }, publicKey));
    const label = sealedOrderLabel('bench-event', 1);
    const payload = utf8ToBytes(JSON.stringify({ listing: 'ticket-000123', side: 'bid', price: 12_000, nonce: 'x'.repeat(40) }));

    // A pool of ciphertexts with every member's share, for the verification rows.
    const pool: { ct: Tdh2Ciphertext; shares: Tdh2DecryptionShare[] }[] = [];
    for (let i = 0; i < Math.ceil(256 / max) + 1; i++) {
      const ct = tdh2Encrypt(publicKey, label, payload, random);
      pool.push({ ct, shares: members.map((m) => tdh2DecryptionShare(m, ct, { random })) });
    }
    const items: Tdh2ShareItem[] = pool.flatMap(({ ct, shares }) => shares.map((share) => ({ ciphertext: ct, share })));
    let c = 0;
    const nextCt = () => pool[c++ % pool.length]!;

    const rows: Row[] = [...limitRows];
    /** Figures for the root runner: items/s, and the ratio to the mult limit measured beside the row. */
    const figures: Record<string, number> = {};
    const add = (key: string, row: Row) => {
      rows.push(row);
      figures[`tdh2_n${max}_${key}_per_s`] = row.itemsPerSec;
      figures[`tdh2_n${max}_${key}_ratio`] = row.ratio;
    };
    add('encrypt', m(`encrypt (${payload.length}-byte order)`, () => tdh2Encrypt(publicKey, label, payload, random)));
    add('check', m('validity check', () => tdh2CheckCiphertext(publicKey, nextCt().ct, label)));
    add('share', m('decryption share (incl. validity check)', () => tdh2DecryptionShare(members[0]!, nextCt().ct, { random })));
    add(
      'verify_share',
      m('verify one share', () => {
        const { ct, shares } = nextCt();
        return tdh2VerifyShare(publicKey, ct, shares[0]!);
      }),
    );
    for (const size of [16, 64, 256]) {
      const batch = items.slice(0, size);
      const cts = new Set(batch.map((b) => b.ciphertext)).size;
      add(`batch_verify${size}`, m(`batch verify ${size} shares (${cts} cts), per share`, () => tdh2VerifyShares(publicKey, batch, random), size));
    }
    const bad = items.slice(0, 64);
    const first = bad[5]!;
    bad[5] = { ciphertext: first.ciphertext, share: { ...first.share, z: Point.Fn.add(first.share.z, 1n) } };
    add('batch_verify64_bad', m('batch 64 with 1 bad (fallback), per share', () => tdh2VerifyShares(publicKey, bad, random), 64));
    add(
      'combine',
      m(`combine (${min} shares, incl. checks)`, () => {
        const { ct, shares } = nextCt();
        return tdh2Combine(publicKey, ct, shares.slice(0, min), { random });
      }),
    );
    const epoch = pool.slice(0, 32).map(({ ct, shares }) => ({ ciphertext: ct, shares: shares.slice(0, min) }));
    add('decrypt_many', m('decryptMany 32 cts, per ciphertext', () => tdh2DecryptMany(publicKey, epoch, { random }), epoch.length));
    print(`TDH2, n=${max}, t=${min - 1} (${min} shares decrypt); ratios to the ct var-base mult limit (measured beside each row)`, rows);
    reportFigures(figures);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`@admitone/market TDH2 benchmark — Node ${process.version}, ${new Date().toISOString()}`);
  benchTdh2();
}
