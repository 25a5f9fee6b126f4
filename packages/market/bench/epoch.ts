/**
 * F3B sealed-order epochs on the EventContract: an epoch of ORDERS sealed
 * orders (default 1 000: half asks, half bids) at committee n = 4 (t = 1)
 * and n = 7 (t = 2), timed from the committed cutoff to the settled state,
 * beside ristretto255 scalar multiplications/s measured in the same run.
 *
 * The timed path is what every replica does after the cutoff: execute the
 * `cutoff` op, then for each of the first t + 1 members' `postShares` ops
 * sign, `prepare` (decode + batch DLEQ verification: one MSM per op) and
 * `execute` (the last one decrypts, shuffles, matches and settles).
 * Members compute their shares while the epoch is open (as each order
 * commits) and only release them after the cutoff; that work is measured
 * separately ("member shares"), and "cold" adds it to the path for members
 * that only start at the cutoff. Rounds restore a snapshot taken just before
 * the cutoff, so each round settles the same epoch from scratch.
 *
 * Run: `npx tsx --conditions=admitone-source bench/epoch.ts` from packages/market
 * (ORDERS=200 for a quick run). Quick mode (`ADMITONE_BENCH_QUICK=1`, the
 * root runner's `--quick`) keeps 1 000 orders at n = 4 (the target)
 * but seals 250 at n = 7, settles once instead of three times, and only the
 * t + 1 members whose shares settle the epoch compute them while it is open
 * (the others' share work is the same per member, so the per-member figure is
 * their median either way); it skips the "later member" line.
 *
 * Figures for the root runner (`bench/figures.ts`): per-order keys
 * `f3b_n{n}_*` for both sizes (comparable between quick and full mode), plus
 * the epoch totals `f3b_epoch{orders}_n4_s` / `_cold_s` at n = 4.
 */
import { ristretto255, ristretto255_FROST } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { defaultCrypto, eventId, seededRandom, signRequest, type CryptoProvider, type ExecuteContext, type SignedRequest } from '@admitone/core';
import { credentialBatchStatement, credentialLeaf, encodeCredential, merkleBatch, type CredentialBody, type EventCredential } from '@admitone/identity';
import { tdh2KeyShare, tdh2PublicKey } from '../src/tdh2/index.js';
import { createEventContract, decodeContractResult, encodeContractOp, type ContractOp, type EventContract, type EventPolicy } from '../src/contract/index.js';
import { createShareMaker, sealOrder, type ShareMaker } from '../src/epoch/index.js';
import { byMode, quickMode, reportFigures } from '../../../bench/figures.js';

const HOUR = 3_600_000;
const T0 = 1_900_000_000_000;
const EVENT = eventId('bench-epoch');

interface Person {
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  seq: number;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
};

/** ristretto255 constant-time variable-base scalar multiplications per second, over about `ms`. */
function multsPerSecond(ms = 800): number {
  const random = seededRandom('bench/epoch/mults');
  const Point = ristretto255.Point;
  const scalars = Array.from({ length: 32 }, () => Point.Fn.create(bytesToNumberLE(random.bytes(40))));
  const points = scalars.map((s) => Point.BASE.multiply(s));
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    points[n & 31]!.multiply(scalars[(n + 7) & 31]!);
    n++;
    if ((n & 7) === 0) now = performance.now();
  }
  return (n * 1000) / (performance.now() - start);
}

async function person(crypto: CryptoProvider, label: string): Promise<Person> {
  const secret = seededRandom(`bench/epoch/${label}`).bytes(32);
  return { secret, publicKey: await crypto.getPublicKey(secret), seq: 1 };
}

/** One committee size: set up an epoch of `orders` orders, then settle it `rounds` times. */
async function benchOne(crypto: CryptoProvider, n: number, min: number, orders: number, rounds: number): Promise<void> {
  const random = seededRandom(`bench/epoch/n${n}`);
  const ids = Array.from({ length: n }, (_, i) => ristretto255_FROST.Identifier.fromNumber(i + 1));
  const dealt = ristretto255_FROST.trustedDealer({ min, max: n }, ids, undefined, (len = 32) => random.bytes(len));
  const publicKey = tdh2PublicKey(dealt.public);
  const keyShares = ids.map((id) => tdh2KeyShare({ public: dealt.public, secret: dealt.secretShares[id]! }, publicKey));
  const members = await Promise.all(ids.map((_, i) => person(crypto, `member-${n}-${i}`)));
  const identitySecret = random.bytes(32);
  const identity = { committeeId: 'bench-identity', groupPublicKey: await crypto.getPublicKey(identitySecret) };
  const gateway = await person(crypto, 'gateway');
  const organizer = await person(crypto, 'organizer');
  const contract = createEventContract({ deployment: 'test', crypto,
    identityCommittee: identity,
    fundingKeys: [gateway.publicKey],
    orderCommittee: { publicKey, members: members.map((m, i) => ({ index: keyShares[i]!.index, requestKey: m.publicKey })) },
    random: random.fork('batch'),
  });
  let seq = 0;
  let now = T0 - 1;
  const sign = (who: Person, op: ContractOp): Promise<SignedRequest> => signRequest(crypto, who.secret, { deployment: 'test', requestSeq: who.seq++, op: encodeContractOp(op) });
  const exec = async (who: Person, op: ContractOp, target: EventContract = contract) => {
    const r = decodeContractResult(target.execute(await target.prepare(await sign(who, op)), { seq: ++seq, timestamp: now }));
    if (r.status !== 'ok') throw new Error(`${op.type} rejected: ${r.reason}`);
    return r;
  };

  // --- setup (not timed): an event, half as many sellers as orders (one ticket each) and as many buyers
  const half = orders / 2;
  const policy: EventPolicy = {
    capacity: half,
    facePrice: 1_000n,
    sale: { start: T0 - HOUR, end: T0 + HOUR },
    resale: { start: T0, end: T0 + 10 * HOUR },
    resaleCap: { kind: 'percent', percent: 150 },
    royaltyBps: 500,
    perPersonCap: 2,
    transferable: true,
    epochs: { kind: 'time', lengthMs: HOUR },
    maxOrdersPerAccount: 4,
  };
  const setup0 = performance.now();
  await exec(organizer, { type: 'createEvent', eventId: EVENT, policy });
  const people = await Promise.all(Array.from({ length: orders }, (_, i) => person(crypto, `person-${i}`)));
  const bodies: CredentialBody[] = people.map((p, i) => ({
    kind: 'event',
    committeeId: identity.committeeId,
    eventId: EVENT,
    eventTag: seededRandom(`bench/epoch/tag/${i}`).bytes(32),
    holderKey: p.publicKey,
    issuedAt: T0 - 10 * HOUR,
    expiresAt: T0 + 100 * HOUR,
  }));
  const tree = merkleBatch(bodies.map(credentialLeaf));
  const batchId = random.bytes(16);
  const signature = await crypto.sign(credentialBatchStatement(identity.committeeId, batchId, bodies.length, tree.root), identitySecret);
  const credentials = bodies.map((b, index) => encodeCredential({ ...(b as Omit<EventCredential, 'proof'>), proof: { batchId, size: bodies.length, index, path: tree.paths[index]!, signature } }));
  for (const [i, p] of people.entries()) {
    await exec(gateway, { type: 'deposit', account: p.publicKey, amount: 10_000n });
    if (i < half) await exec(p, { type: 'buyPrimary', eventId: EVENT, quantity: 1, credential: credentials[i]! });
    else await exec(p, { type: 'register', eventId: EVENT, credential: credentials[i]! });
  }
  // --- the epoch: sealed asks from sellers and bids from buyers, prices around face
  now = T0 + 1;
  const priceRandom = seededRandom('bench/epoch/prices');
  // members that compute shares while the epoch is open: all (full), or the t + 1 that settle it (quick)
  const sharing = quickMode ? min : n;
  const makers: ShareMaker[] = keyShares
    .slice(0, sharing)
    .map((keyShare, i) => createShareMaker({ keyShare, eventId: EVENT, epoch: 0, random: random.fork(`member-${i}`) }));
  const memberMs = makers.map(() => 0);
  const mpsSealing0 = multsPerSecond(byMode(400, 200));
  let sealMs = 0;
  let submitMs = 0;
  for (const [i, p] of people.entries()) {
    const price = 900n + BigInt(priceRandom.int(401));
    const t0 = performance.now();
    const ciphertext = sealOrder(publicKey, EVENT, 0, i < half ? { side: 'ask', serial: i + 1, price } : { side: 'bid', quantity: 1, maxPrice: price }, p.publicKey, random);
    const t1 = performance.now();
    const r = await exec(p, { type: 'submitSealedOrder', eventId: EVENT, epoch: 0, ciphertext });
    const t2 = performance.now();
    sealMs += t1 - t0;
    submitMs += t2 - t1;
    // every member computes its share as the order commits (and holds it until the cutoff)
    makers.forEach((maker, m) => {
      const s = performance.now();
      maker.add(r.order!.position, ciphertext);
      memberMs[m]! += performance.now() - s;
    });
  }
  const mpsSealing = (mpsSealing0 + multsPerSecond(byMode(400, 200))) / 2;
  const setupS = (performance.now() - setup0) / 1000;
  const atCutoff = contract.snapshot();
  const opsOf = makers.map((m) => m.release(orders));

  // --- timed rounds: cutoff → settled
  const totals: number[] = [];
  const verifyMs: number[] = [];
  const executeMs: number[] = [];
  const opLatency: number[] = [];
  const ratios: number[] = [];
  const roundMps: number[] = [];
  let lateVerifyMs = 0;
  let trades = 0;
  for (let round = 0; round < rounds; round++) {
    contract.restore(atCutoff);
    const roundSeq = seq;
    now = T0 + HOUR + 1;
    let prepareSum = 0;
    let executeSum = 0;
    const mpsBefore = multsPerSecond(byMode(400, 200));
    const start = performance.now();
    const ctx = (): ExecuteContext => ({ seq: ++seq, timestamp: now });
    const cut = await contract.prepare(await sign(members[0]!, { type: 'cutoff', eventId: EVENT }));
    contract.execute(cut, ctx());
    for (let m = 0; m < min; m++) {
      for (const op of opsOf[m]!) {
        const o0 = performance.now();
        const request = await sign(members[m]!, op);
        const prepared = await contract.prepare(request);
        const o1 = performance.now();
        const r = decodeContractResult(contract.execute(prepared, ctx()));
        const o2 = performance.now();
        if (r.status !== 'ok') throw new Error(`postShares rejected: ${r.reason}`);
        prepareSum += o1 - o0;
        executeSum += o2 - o1;
        opLatency.push(o2 - o0);
      }
    }
    const total = performance.now() - start;
    const epoch = contract.getEpoch(EVENT, 0)!;
    if (epoch.status !== 'settled') throw new Error(`epoch not settled: ${epoch.status}`);
    trades = epoch.trades ?? 0;
    const supply = contract.supply();
    if (supply.balances + supply.escrow !== supply.deposited - supply.withdrawn) throw new Error('money not conserved');
    // the remaining members' shares arrive after settlement: their ciphertexts are no longer indexed, so prepare
    // skips verification and execute refuses them as epoch_settled without verifying either
    if (round === 0 && min < sharing) {
      const l0 = performance.now();
      for (const op of opsOf[min]!) await contract.prepare(await sign(members[min]!, op));
      lateVerifyMs = performance.now() - l0;
    }
    const mps = (mpsBefore + multsPerSecond(byMode(400, 200))) / 2;
    roundMps.push(mps);
    totals.push(total);
    verifyMs.push(prepareSum);
    executeMs.push(executeSum);
    ratios.push((total / 1000) * mps);
    seq = roundSeq + 1_000; // fresh slots for the next round
  }
  const mps = median(roundMps);
  const hot = median(totals) / 1000;
  const memberS = median(memberMs) / 1000;
  console.log(`\nF3B epoch, n=${n}, t=${min - 1}: ${orders} sealed orders (${half} asks, ${half} bids), ${trades} trades; setup ${setupS.toFixed(1)} s`);
  console.log(`  ristretto255 var-base mult (ct), measured around each round: ${Math.round(mps).toLocaleString('en-US')}/s (median)`);
  console.log(`  cutoff → settled (median of ${rounds}): ${hot.toFixed(2)} s  [min ${(Math.min(...totals) / 1000).toFixed(2)}, max ${(Math.max(...totals) / 1000).toFixed(2)}]`);
  console.log(`    = ${(median(ratios) / orders).toFixed(2)} scalar-mult equivalents per order (${(median(totals) / orders).toFixed(2)} ms); at 1 090 mults/s (DESIGN.md, unloaded): ${((median(ratios) / 1090)).toFixed(2)} s`);
  console.log(`    prepare (decode + batch DLEQ verify of ${min}×${orders} shares): ${(median(verifyMs) / 1000).toFixed(2)} s; execute (incl. decrypt + shuffle + match + settle): ${(median(executeMs) / 1000).toFixed(2)} s`);
  console.log(`    per postShares op (≤ 256 shares) p50/p99: ${pct(opLatency, 50).toFixed(0)}/${pct(opLatency, 99).toFixed(0)} ms`);
  console.log(`  member shares, computed while the epoch is open: ${memberS.toFixed(2)} s per member (${((memberS * 1000) / orders).toFixed(2)} ms/order, ${((memberS * mpsSealing) / orders).toFixed(2)} mults/order at ${Math.round(mpsSealing)} mults/s)`);
  console.log(`  cold (members start only at the cutoff, in parallel): ${(hot + memberS).toFixed(2)} s`);
  if (lateVerifyMs > 0) console.log(`  each later member's ${orders} shares after settlement (prepare, not verified): ${(lateVerifyMs / 1000).toFixed(2)} s`);
  console.log(`  before the cutoff, per order: seal ${(sealMs / orders).toFixed(2)} ms (client), submit ${(submitMs / orders).toFixed(2)} ms (prepare validity check + execute)`);
  const key = `f3b_n${n}`;
  const perOrderMs = (seconds: number) => (seconds * 1000) / orders;
  reportFigures({
    [`${key}_settle_per_order_ms`]: perOrderMs(hot),
    [`${key}_cold_per_order_ms`]: perOrderMs(hot + memberS),
    [`${key}_member_shares_per_order_ms`]: perOrderMs(memberS),
    [`${key}_prepare_per_order_ms`]: median(verifyMs) / orders,
    [`${key}_execute_per_order_ms`]: median(executeMs) / orders,
    [`${key}_post_shares_p50_ms`]: pct(opLatency, 50),
    [`${key}_post_shares_p99_ms`]: pct(opLatency, 99),
    [`${key}_mult_per_s`]: mps,
    [`${key}_seal_ms`]: sealMs / orders,
    [`${key}_submit_ms`]: submitMs / orders,
    ...(n === 4 ? { [`f3b_epoch${orders}_n4_s`]: hot, [`f3b_epoch${orders}_n4_cold_s`]: hot + memberS } : {}),
  });
}

/** Runs the epoch benchmark at n = 4 and n = 7. */
export async function benchEpoch(): Promise<void> {
  const orders = Number(process.env['ORDERS'] ?? 1000);
  const rounds = Number(process.env['ROUNDS'] ?? byMode(3, 1));
  if (!Number.isSafeInteger(orders) || orders < 2 || orders % 2 !== 0) throw new RangeError('ORDERS must be an even integer ≥ 2');
  const crypto = await defaultCrypto();
  console.log(`\nF3B sealed-order epochs (EventContract), ${orders} orders, Ed25519 backend ${crypto.backend}; target: n=4 settled in ≤ 5 s`);
  await benchOne(crypto, 4, 2, orders, rounds);
  await benchOne(crypto, 7, 3, byMode(orders, Math.min(orders, 250)), rounds);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`@admitone/market epoch benchmark — Node ${process.version}, ${new Date().toISOString()}`);
  await benchEpoch();
}
