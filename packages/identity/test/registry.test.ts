/**
 * The tag registry app (`createTagRegistryApp`): t+1 distinct member votes
 * register a tag, the first candidate to get there wins, strangers never
 * touch the state, undecided tags expire, and the keyed state, snapshot and
 * digest agree across replicas that restored and replicas that did not.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError, bytesToHex, decode, encode, nobleCrypto, signRequest, stateDigest, type SignedRequest } from '@admitone/core';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  createTagRegistryApp,
  decodeRegistryQueryResult,
  decodeRegistryResult,
  encodeRegistryQuery,
  encodeRegistryVote,
  type RegistryResult,
  type TagRegistryApp,
  type VoteOutcome,
} from '../src/index.js';

const crypto = nobleCrypto();
const COMMITTEE = 'test-committee';
const secretOf = (label: string) => sha256(new TextEncoder().encode(`registry-test:${label}`));
const VOTERS = ['m1', 'm2', 'm3', 'm4'];
const voterKeys = await Promise.all(VOTERS.map((v) => crypto.getPublicKey(secretOf(v))));
const tag = (i: number) => sha256(new TextEncoder().encode(`tag-${i}`));
const key = (i: number) => sha256(new TextEncoder().encode(`holder-${i}`));
const batch = (i: number) => sha256(new TextEncoder().encode(`batch-${i}`)).slice(0, 16);

function app(opts: { ttl?: number; maxCandidates?: number } = {}): TagRegistryApp {
  return createTagRegistryApp({ deployment: 'test', committeeId: COMMITTEE,
    voters: voterKeys,
    threshold: 2,
    crypto,
    ...(opts.ttl === undefined ? {} : { pendingTtlMs: opts.ttl }),
    ...(opts.maxCandidates === undefined ? {} : { maxCandidatesPerTag: opts.maxCandidates }),
  });
}

const seqs = new Map<string, number>();
async function request(signer: string, op: Uint8Array): Promise<SignedRequest> {
  const seq = (seqs.get(signer) ?? 0) + 1;
  seqs.set(signer, seq);
  return signRequest(crypto, secretOf(signer), { deployment: 'test', requestSeq: seq, op });
}

async function run(a: TagRegistryApp, req: SignedRequest, timestamp = 1_000): Promise<RegistryResult> {
  return decodeRegistryResult(a.execute(await a.prepare(req), { seq: 1, timestamp }));
}

async function vote(a: TagRegistryApp, voter: string, entries: { tag: Uint8Array; holderKey: Uint8Array }[], timestamp = 1_000, batchId = batch(0)): Promise<VoteOutcome[]> {
  const r = await run(a, await request(voter, encodeRegistryVote({ type: 'vote', committeeId: COMMITTEE, batchId, entries })), timestamp);
  if (r.status !== 'ok') throw new Error(`vote rejected: ${r.reason}`);
  return [...r.outcomes];
}

function lookup(a: TagRegistryApp, tags: Uint8Array[]) {
  const r = decodeRegistryQueryResult(a.query(encodeRegistryQuery({ type: 'lookup', committeeId: COMMITTEE, tags })));
  if (r.status !== 'ok' || !('registrations' in r)) throw new Error('lookup failed');
  return r.registrations;
}

function stats(a: TagRegistryApp) {
  const r = decodeRegistryQueryResult(a.query(encodeRegistryQuery({ type: 'stats' })));
  if (r.status !== 'ok' || !('stats' in r)) throw new Error('stats failed');
  return r.stats;
}

describe('tag registry app', () => {
  it('registers a tag once t+1 distinct members vote for the same holder key, and only then', async () => {
    const a = app();
    expect(await vote(a, 'm1', [{ tag: tag(1), holderKey: key(1) }])).toEqual([{ status: 'pending', votes: 1 }]);
    // the same member again does not count twice
    expect(await vote(a, 'm1', [{ tag: tag(1), holderKey: key(1) }])).toEqual([{ status: 'pending', votes: 1 }]);
    expect(lookup(a, [tag(1)])).toEqual([null]);
    const [decided] = await vote(a, 'm3', [{ tag: tag(1), holderKey: key(1) }], 2_000, batch(7));
    expect(decided).toEqual({ status: 'registered', registration: { holderKey: key(1), batchId: batch(7), enrolledAt: 2_000 } });
    // later votes, for any holder key, learn the registration
    expect(await vote(a, 'm2', [{ tag: tag(1), holderKey: key(2) }])).toEqual([decided]);
    expect(lookup(a, [tag(1), tag(2)])).toEqual([{ holderKey: key(1), batchId: batch(7), enrolledAt: 2_000 }, null]);
    expect(stats(a)).toEqual({ registered: 1, pending: 0 });
  });

  it('gives a tag to the first candidate to reach the threshold; the other candidate learns it is a duplicate', async () => {
    const a = app();
    await vote(a, 'm1', [{ tag: tag(1), holderKey: key(1) }]);
    await vote(a, 'm2', [{ tag: tag(1), holderKey: key(2) }]);
    expect(stats(a)).toEqual({ registered: 0, pending: 1 });
    const [won] = await vote(a, 'm3', [{ tag: tag(1), holderKey: key(2) }]);
    expect(won).toMatchObject({ status: 'registered', registration: { holderKey: key(2) } });
    const [late] = await vote(a, 'm4', [{ tag: tag(1), holderKey: key(1) }]);
    expect(late).toMatchObject({ status: 'registered', registration: { holderKey: key(2) } });
    expect(stats(a)).toEqual({ registered: 1, pending: 0 });
  });

  it('lets no single member register a tag, however often it votes', async () => {
    const a = app();
    for (let i = 0; i < 5; i++) expect(await vote(a, 'm4', [{ tag: tag(1), holderKey: key(9) }])).toEqual([{ status: 'pending', votes: 1 }]);
    expect(lookup(a, [tag(1)])).toEqual([null]);
  });

  it('refuses strangers, forged signatures, reads, replays, foreign committees and malformed votes; strangers and forgeries leave the digest as it was', async () => {
    const a = app();
    await vote(a, 'm1', [{ tag: tag(1), holderKey: key(1) }]);
    const before = bytesToHex(a.digest());
    const op = encodeRegistryVote({ type: 'vote', committeeId: COMMITTEE, batchId: batch(0), entries: [{ tag: tag(1), holderKey: key(1) }] });
    expect(await run(a, await request('stranger', op))).toEqual({ status: 'rejected', reason: 'not_voter' });
    const real = await request('m2', op);
    const forged = { ...real, signature: real.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    expect(await run(a, forged)).toEqual({ status: 'rejected', reason: 'invalid_signature' });
    // a real member's vote, signed for another registry deployment
    const staging = await signRequest(crypto, secretOf('m2'), { deployment: 'test-staging', requestSeq: 400, op });
    expect(await run(a, staging)).toEqual({ status: 'rejected', reason: 'invalid_signature' });
    expect(bytesToHex(a.digest())).toBe(before);
    expect(lookup(a, [tag(1)])).toEqual([null]);
    const read = await signRequest(crypto, secretOf('m2'), { deployment: 'test', requestSeq: 500, op, readOnly: true });
    expect(await run(a, read)).toEqual({ status: 'rejected', reason: 'malformed' });
    expect(await run(a, real)).toMatchObject({ status: 'ok' });
    expect(await run(a, real)).toEqual({ status: 'rejected', reason: 'replayed' });
    const foreign = encodeRegistryVote({ type: 'vote', committeeId: 'other', batchId: batch(0), entries: [{ tag: tag(2), holderKey: key(1) }] });
    expect(await run(a, await request('m2', foreign))).toEqual({ status: 'rejected', reason: 'wrong_committee' });
    expect(await run(a, await request('m2', new Uint8Array([0xa1, 0x61, 0x78, 0x01])))).toEqual({ status: 'rejected', reason: 'malformed' });
    expect(() => encodeRegistryVote({ type: 'vote', committeeId: COMMITTEE, batchId: batch(0), entries: Array.from({ length: 1025 }, () => ({ tag: tag(1), holderKey: key(1) })) })).toThrow(RangeError);
    expect(decodeRegistryQueryResult(a.query(new Uint8Array([0xff])))).toEqual({ status: 'rejected', reason: 'malformed' });
    expect(decodeRegistryQueryResult(a.query(encodeRegistryQuery({ type: 'lookup', committeeId: 'other', tags: [tag(1)] })))).toEqual({ status: 'rejected', reason: 'wrong_committee' });
  });

  it('lets each voter back one holder key per undecided tag: a new vote moves it, so one member cannot crowd out the honest votes', async () => {
    const a = app();
    // m4 (malicious) votes eight keys of its own for the person's tag in one vote, before anyone else
    const squat = await vote(a, 'm4', Array.from({ length: 8 }, (_, i) => ({ tag: tag(1), holderKey: key(10 + i) })));
    expect(squat).toEqual(Array.from({ length: 8 }, () => ({ status: 'pending', votes: 1 })));
    // only its last key is still a candidate; the honest members' first votes are never refused
    expect(await vote(a, 'm1', [{ tag: tag(1), holderKey: key(1) }])).toEqual([{ status: 'pending', votes: 1 }]);
    expect(await vote(a, 'm2', [{ tag: tag(1), holderKey: key(1) }])).toMatchObject([{ status: 'registered', registration: { holderKey: key(1) } }]);
    // a voter that changes its mind moves its vote: the key it left loses it
    await vote(a, 'm1', [{ tag: tag(2), holderKey: key(2) }]);
    await vote(a, 'm1', [{ tag: tag(2), holderKey: key(3) }]);
    expect(await vote(a, 'm2', [{ tag: tag(2), holderKey: key(2) }])).toEqual([{ status: 'pending', votes: 1 }]);
    expect(await vote(a, 'm3', [{ tag: tag(2), holderKey: key(3) }])).toMatchObject([{ status: 'registered', registration: { holderKey: key(3) } }]);
    // the option that used to cap candidates is ignored: a voter's first candidate always counts
    const b = app({ maxCandidates: 1 });
    await vote(b, 'm1', [{ tag: tag(1), holderKey: key(1) }]);
    expect(await vote(b, 'm2', [{ tag: tag(1), holderKey: key(2) }])).toEqual([{ status: 'pending', votes: 1 }]);
    expect(await vote(b, 'm3', [{ tag: tag(1), holderKey: key(2) }])).toMatchObject([{ status: 'registered', registration: { holderKey: key(2) } }]);
  });

  it('restores only states where each voter backs at most one candidate per tag', async () => {
    const a = app();
    await vote(a, 'm1', [{ tag: tag(1), holderKey: key(1) }]);
    await vote(a, 'm2', [{ tag: tag(1), holderKey: key(2) }]);
    const entries = a.state.entries();
    const row = entries.find((e) => new TextDecoder().decode(e.key).startsWith('p/'))!;
    const [firstAt, candidates] = decode(row.value) as [number, [Uint8Array, number[]][]];
    // m1 (voter 0) on both candidates: what the old registry could store, and never a state this one makes
    const doubled = { key: row.key, value: encode([firstAt, candidates.map(([k]) => [k, [0]])]) };
    expect(() => app().state.restoreEntries(entries.map((e) => (e === row ? doubled : e)))).toThrow(CodecError);
    const restored = app();
    restored.state.restoreEntries(entries);
    expect(bytesToHex(restored.digest())).toBe(bytesToHex(a.digest()));
  });

  it('forgets undecided tags pendingTtlMs after their first vote (ledger time), oldest first', async () => {
    const a = app({ ttl: 1_000 });
    await vote(a, 'm1', [{ tag: tag(1), holderKey: key(1) }], 10_000);
    await vote(a, 'm1', [{ tag: tag(2), holderKey: key(2) }], 10_500);
    expect(stats(a)).toEqual({ registered: 0, pending: 2 });
    await vote(a, 'm2', [{ tag: tag(3), holderKey: key(3) }], 11_000); // tag 1 expires first
    expect(stats(a)).toEqual({ registered: 0, pending: 2 });
    // tag 1's old vote is gone: m2's vote starts over
    expect(await vote(a, 'm2', [{ tag: tag(1), holderKey: key(1) }], 11_100)).toEqual([{ status: 'pending', votes: 1 }]);
    // a time earlier than the newest first vote never makes a tag older than one voted before it
    await vote(a, 'm3', [{ tag: tag(4), holderKey: key(4) }], 5_000);
    await vote(a, 'm3', [{ tag: tag(5), holderKey: key(5) }], 11_600); // expires tag 2 only
    expect(stats(a)).toEqual({ registered: 0, pending: 4 });
  });

  it('refuses configurations that cannot be safe', () => {
    const base = { committeeId: COMMITTEE, voters: voterKeys, threshold: 2, crypto };
    expect(() => createTagRegistryApp({ deployment: 'test', ...base, threshold: 0 })).toThrow(/threshold/);
    expect(() => createTagRegistryApp({ deployment: 'test', ...base, threshold: 5 })).toThrow(/threshold/);
    expect(() => createTagRegistryApp({ deployment: 'test', ...base, voters: [voterKeys[0]!, voterKeys[0]!] })).toThrow(/twice/);
    expect(() => createTagRegistryApp({ deployment: 'test', ...base, voters: [new Uint8Array(31)] })).toThrow(/32-byte/);
    expect(() => createTagRegistryApp({ deployment: 'test', ...base, voters: [] })).toThrow(/at least one/);
    expect(() => createTagRegistryApp({ deployment: 'test', ...base, committeeId: '' })).toThrow(/committeeId/);
    expect(() => createTagRegistryApp({ ...base, deployment: 'two words' })).toThrow(/deployment/);
    expect(() => createTagRegistryApp({ deployment: 'test', ...base, pendingTtlMs: 0 })).toThrow(/pendingTtlMs/);
  });

  it('agrees across replicas: keyed entries, snapshot and digest, for one that restored midway and one that did not (fast-check)', async () => {
    const step = fc.record({
      voter: fc.integer({ min: 0, max: 4 }), // 4 is a stranger
      entries: fc.array(fc.record({ tag: fc.integer({ min: 0, max: 6 }), holder: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 3 }),
      dt: fc.integer({ min: -300, max: 700 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), fc.nat(), async (steps, cut) => {
        const a = app({ ttl: 1_500 });
        let b = app({ ttl: 1_500 });
        const split = cut % (steps.length + 1);
        let time = 10_000;
        for (const [i, s] of steps.entries()) {
          if (i === split) {
            // b joins from a's state: once by keyed entries, once by snapshot; both must equal a
            const viaEntries = app({ ttl: 1_500 });
            viaEntries.state.restoreEntries(a.state.entries());
            const viaSnapshot = app({ ttl: 1_500 });
            viaSnapshot.restore(a.snapshot());
            expect(bytesToHex(viaEntries.digest())).toBe(bytesToHex(a.digest()));
            expect(bytesToHex(viaSnapshot.digest())).toBe(bytesToHex(a.digest()));
            b = i % 2 === 0 ? viaEntries : viaSnapshot;
          }
          time += s.dt;
          const signer = s.voter === 4 ? 'stranger' : (VOTERS[s.voter] as string);
          const req = await request(signer, encodeRegistryVote({ type: 'vote', committeeId: COMMITTEE, batchId: batch(i), entries: s.entries.map((e) => ({ tag: tag(e.tag), holderKey: key(e.holder) })) }));
          const ra = a.execute(await a.prepare(req), { seq: i + 1, timestamp: time });
          const rb = b.execute(await b.prepare(req), { seq: i + 1, timestamp: time });
          expect(bytesToHex(rb)).toBe(bytesToHex(ra));
        }
        expect(bytesToHex(b.digest())).toBe(bytesToHex(a.digest()));
        expect(bytesToHex(a.digest())).toBe(bytesToHex(stateDigest(a.state.entries())));
        expect(bytesToHex(b.snapshot())).toBe(bytesToHex(a.snapshot()));
        // no tag is ever registered to two keys, and every registration had two distinct voters
        for (const t of Array.from({ length: 7 }, (_, i) => i)) {
          const r = a.registration(tag(t));
          if (r !== undefined) expect([0, 1, 2].some((h) => bytesToHex(key(h)) === bytesToHex(r.holderKey))).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('tracks changes: takeChanges reports what changed since the last call, and applying them reproduces the state', async () => {
    const a = app();
    const mirror = new Map<string, Uint8Array>();
    const apply = () => {
      for (const c of a.state.takeChanges()) {
        const k = bytesToHex(c.key);
        if (c.value === undefined) mirror.delete(k);
        else mirror.set(k, c.value);
      }
    };
    apply();
    await vote(a, 'm1', [{ tag: tag(1), holderKey: key(1) }, { tag: tag(2), holderKey: key(2) }]);
    apply();
    await vote(a, 'm2', [{ tag: tag(1), holderKey: key(1) }]);
    apply();
    const entries = a.state.entries();
    expect(new Map(entries.map((e) => [bytesToHex(e.key), bytesToHex(e.value)]))).toEqual(new Map([...mirror].map(([k, v]) => [k, bytesToHex(v)])));
  });

  it('refuses malformed or non-canonical state and snapshots, and keeps its state', async () => {
    const a = app();
    await vote(a, 'm1', [{ tag: tag(1), holderKey: key(1) }]);
    await vote(a, 'm2', [{ tag: tag(2), holderKey: key(2) }]);
    await vote(a, 'm3', [{ tag: tag(2), holderKey: key(2) }]);
    const before = bytesToHex(a.digest());
    const entries = a.state.entries();
    const swapped = [entries[1]!, entries[0]!, ...entries.slice(2)];
    expect(() => a.state.restoreEntries(swapped)).toThrow(CodecError);
    const badValue = entries.map((e, i) => (i === 1 ? { key: e.key, value: new Uint8Array([0x80]) } : e));
    expect(() => a.state.restoreEntries(badValue)).toThrow(CodecError);
    expect(() => a.state.restoreEntries([{ key: new TextEncoder().encode('x/zz'), value: new Uint8Array([0x80]) }])).toThrow(CodecError);
    expect(() => a.restore(new Uint8Array([0xa0]))).toThrow(CodecError);
    expect(bytesToHex(a.digest())).toBe(before);
    expect(stats(a)).toEqual({ registered: 1, pending: 1 });
  });
});
