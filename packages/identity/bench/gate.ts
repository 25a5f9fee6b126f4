/**
 * Offline gate verification throughput on one core: `verifyAdmission` of
 * distinct valid presentations, beside Ed25519 verifies/s through the same
 * crypto provider in the same run. An offline admission checks three
 * signatures (committee batch, organizer pass, holder code); with the batch
 * cache warm it checks two. Target (issue 5): ≥ 3,000 verifications/s,
 * p99 ≤ 2 ms.
 */
import { type CryptoProvider, defaultCrypto, eventId, seededRandom, ticketId } from '@admitone/core';
import { credentialBatchStatement, credentialLeaf, type EventCredential } from '../src/credential/credential.js';
import { merkleBatch } from '../src/credential/merkle.js';
import { createPresentation, encodePresentation, issueTicketPass } from '../src/credential/pass.js';
import { createGateVerifier } from '../src/gate/verify.js';
import { byMode, reportFigures } from '../../../bench/figures.js';

const NOW = 1_800_000_000_000;
const EVENT = eventId('bench-gig');

async function presentations(crypto: CryptoProvider, count: number, batchSize: number) {
  const random = seededRandom(1);
  const committeeSecret = random.bytes(32);
  const committee = { committeeId: 'bench', groupPublicKey: await crypto.getPublicKey(committeeSecret) };
  const organizerSecret = random.bytes(32);
  const out: Uint8Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const holders = Array.from({ length: Math.min(batchSize, count - start) }, () => random.bytes(32));
    const bodies = await Promise.all(
      holders.map(async (h) => ({
        kind: 'event' as const,
        committeeId: committee.committeeId,
        eventId: EVENT,
        eventTag: random.bytes(32),
        holderKey: await crypto.getPublicKey(h),
        issuedAt: NOW - 1000,
        expiresAt: NOW + 86_400_000,
      })),
    );
    const batchId = random.bytes(16);
    const tree = merkleBatch(bodies.map(credentialLeaf));
    const signature = await crypto.sign(credentialBatchStatement(committee.committeeId, batchId, bodies.length, tree.root), committeeSecret);
    for (let i = 0; i < bodies.length; i++) {
      const credential = { ...bodies[i]!, proof: { batchId, size: bodies.length, index: i, path: tree.paths[i] as Uint8Array[], signature } } as EventCredential;
      const pass = await issueTicketPass(crypto, organizerSecret, { deployment: 'test', eventId: EVENT, ticketId: ticketId(`t-${start + i}`), version: 1, holderKey: credential.holderKey, credential });
      out.push(encodePresentation(await createPresentation(crypto, holders[i]!, pass, NOW)));
    }
  }
  const organizerKey = await crypto.getPublicKey(organizerSecret);
  return { committee, organizerKey, presentations: out };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Runs `op(i)` over `count` items with `concurrency` in flight; returns ops/s and per-op latency (ms). */
async function drive(count: number, concurrency: number, op: (i: number) => Promise<unknown>) {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const s = performance.now();
        await op(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { opsPerSec: count / seconds, p50: pct(lat, 50), p99: pct(lat, 99) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function runGateBench(): Promise<void> {
  const crypto = await defaultCrypto();
  const N = byMode(2000, 500);
  const ROUNDS = byMode(5, 3);
  const fixture = await presentations(crypto, N, 64);
  const msg = new Uint8Array(200).fill(1);
  const key = seededRandom(2).bytes(32);
  const pub = await crypto.getPublicKey(key);
  const sig = await crypto.sign(msg, key);

  const rows: Record<string, { opsPerSec: number[]; p50: number[]; p99: number[] }> = {};
  const record = (name: string, r: { opsPerSec: number; p50: number; p99: number }) => {
    const row = (rows[name] ??= { opsPerSec: [], p50: [], p99: [] });
    row.opsPerSec.push(r.opsPerSec);
    row.p50.push(r.p50);
    row.p99.push(r.p99);
  };
  for (let round = 0; round < ROUNDS; round++) {
    record('Ed25519 verify (provider, 1 in flight)', await drive(N, 1, () => crypto.verify(sig, msg, pub)));
    record('Ed25519 verify (provider, 16 in flight)', await drive(N, 16, () => crypto.verify(sig, msg, pub)));
    const cold = createGateVerifier({ deployment: 'test', eventId: EVENT, committee: fixture.committee, organizerKeys: [fixture.organizerKey], crypto, cacheSize: 0, clock: { now: () => NOW, setTimeout: () => ({ cancel() {} }) } });
    record('verifyAdmission, cold (3 verifies), 1 in flight', await drive(N, 1, (i) => cold.verify(fixture.presentations[i]!, { now: NOW })));
    const cold16 = createGateVerifier({ deployment: 'test', eventId: EVENT, committee: fixture.committee, organizerKeys: [fixture.organizerKey], crypto, cacheSize: 0 });
    record('verifyAdmission, cold, 16 in flight', await drive(N, 16, (i) => cold16.verify(fixture.presentations[i]!, { now: NOW })));
    const warm1 = createGateVerifier({ deployment: 'test', eventId: EVENT, committee: fixture.committee, organizerKeys: [fixture.organizerKey], crypto });
    record('verifyAdmission, batch cache (2 verifies), 1 in flight', await drive(N, 1, (i) => warm1.verify(fixture.presentations[i]!, { now: NOW })));
    const warm = createGateVerifier({ deployment: 'test', eventId: EVENT, committee: fixture.committee, organizerKeys: [fixture.organizerKey], crypto });
    record('verifyAdmission, batch cache (2 verifies), 16 in flight', await drive(N, 16, (i) => warm.verify(fixture.presentations[i]!, { now: NOW })));
    const check = await warm.verify(fixture.presentations[0]!, { now: NOW });
    if (check.status !== 'admitted') throw new Error(`bench fixture not admitted: ${JSON.stringify(check)}`);
  }
  console.log(`\n## @admitone/identity gate verification (provider: ${crypto.backend}, ${N} distinct presentations per round, medians of ${ROUNDS} rounds)`);
  const limit = median(rows['Ed25519 verify (provider, 16 in flight)']!.opsPerSec);
  console.log('| operation | ops/s | p50 ms | p99 ms | × (verify/s ÷ sigs) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(rows)) {
    const sigs = name.includes('cold') ? 3 : name.includes('cache') ? 2 : 1;
    console.log(`| ${name} | ${Math.round(median(r.opsPerSec)).toLocaleString('en-US')} | ${median(r.p50).toFixed(3)} | ${median(r.p99).toFixed(3)} | ${(median(r.opsPerSec) / (limit / sigs)).toFixed(2)} |`);
  }
  console.log('Targets (issue 5): ≥ 3,000 offline verifications/s, p99 ≤ 2 ms.');
  const fig = (name: string) => {
    const r = rows[name]!;
    return { perSec: median(r.opsPerSec), p50: median(r.p50), p99: median(r.p99) };
  };
  const cold1 = fig('verifyAdmission, cold (3 verifies), 1 in flight');
  const cold16 = fig('verifyAdmission, cold, 16 in flight');
  const warm1 = fig('verifyAdmission, batch cache (2 verifies), 1 in flight');
  const warm16 = fig('verifyAdmission, batch cache (2 verifies), 16 in flight');
  reportFigures({
    gate_ed25519_verify_1_per_s: median(rows['Ed25519 verify (provider, 1 in flight)']!.opsPerSec),
    gate_ed25519_verify_16_per_s: limit,
    gate_verify_per_s: warm16.perSec,
    gate_verify_p50_ms: warm16.p50,
    gate_verify_p99_ms: warm16.p99,
    gate_verify_serial_per_s: warm1.perSec,
    gate_verify_serial_p50_ms: warm1.p50,
    gate_verify_serial_p99_ms: warm1.p99,
    gate_verify_cold_serial_per_s: cold1.perSec,
    gate_verify_cold_serial_p99_ms: cold1.p99,
    gate_verify_cold_per_s: cold16.perSec,
    gate_verify_cold_p99_ms: cold16.p99,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await runGateBench();
