import { hash_to_field } from '@noble/curves/abstract/hash-to-curve.js';
import { FpIsSquare, FpSqrtEven } from '@noble/curves/abstract/modular.js';
import { bn254, bn254_Fr } from '@noble/curves/bn254.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, decode, encode, memoryLogger, memoryNetwork, seededRandom, virtualClock, type CborRecord, type Transport } from '../src/index.js';
import {
  JOINT_RANDOM_PROTOCOL,
  PEDERSEN_H_DST,
  ThresholdError,
  createOpener,
  evaluatePolynomial,
  memberPoints,
  pedersenCommit,
  pedersenH,
  reconstruct,
  runJointRandomSharing,
  runVerifiableJointRandomSharing,
  secureTransport,
  verifyPedersenShare,
  x25519KeyPair,
  type JointRandomSharingResult,
} from '../src/threshold/index.js';
import { answerDigest, readAnswerChunk, readReport, reportDigest } from '../src/threshold/joint-random-wire.js';

const F = bn254_Fr;
const G1 = bn254.G1.Point;
const MEMBERS = ['dave', 'alice', 'carol', 'bob']; // deliberately unsorted; sorted: alice 1, bob 2, carol 3, dave 4
const SORTED = [...MEMBERS].sort();
const SESSION = 'jrs-v';
const TIMEOUT = 10_000;

/** A memory network whose deliveries wait in a queue until `flush()` (deterministic, no sleeps). */
function manualNetwork(members: readonly string[], maxMessageBytes?: number) {
  const queue: (() => void)[] = [];
  const net = memoryNetwork({
    members,
    schedule: (_envelope, deliver) => queue.push(deliver),
    capabilities: { ordered: true, reliable: true },
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
  });
  const flush = (): void => {
    while (queue.length > 0) queue.shift()!();
  };
  return { net, flush };
}

// ---------------------------------------------------------------------------
// A byzantine member: the real protocol behind a transport that rewrites its
// outgoing (and optionally incoming) messages.

type Rewrite = (to: string, record: CborRecord) => CborRecord | undefined; // undefined drops the message

/** `t` with every outgoing message passed through `rewrite` (per recipient, so broadcasts can equivocate). */
function tampered(t: Transport, rewrite: Rewrite, incoming?: (from: string, record: CborRecord) => CborRecord): Transport {
  const sendOne = (to: string, bytes: Uint8Array): Promise<void> => {
    const out = rewrite(to, decode(bytes) as CborRecord);
    return out === undefined ? Promise.resolve() : t.send(to, encode(out));
  };
  return {
    ...t,
    send: sendOne,
    broadcast: async (bytes) => {
      await Promise.all(t.members.filter((m) => m !== t.localId).map((m) => sendOne(m, bytes)));
    },
    onMessage: (handler) =>
      t.onMessage((m) => handler(incoming === undefined ? m : { ...m, bytes: encode(incoming(m.from, decode(m.bytes) as CborRecord)) })),
  };
}

const addOne = (y: unknown): bigint => F.add(BigInt(y as bigint | number), 1n);

/** Round 1: the f-share of `values` (default all) sent to `victims` is off by one. */
const badSharesTo =
  (victims: readonly string[], values?: readonly number[]): Rewrite =>
  (to, r) => {
    if (r['r'] !== 1 || !victims.includes(to)) return r;
    const o = r['o'] as number;
    const y = (r['y'] as unknown[][]).map((pair, i) => (values === undefined || values.includes(o + i) ? [addOne(pair[0]), pair[1]] : pair));
    return { ...r, y } as CborRecord;
  };

/** Round 1: `victims` get commitments and matching pairs of *other* polynomials (seeded, the same for every victim). */
function otherCommitmentsTo(victims: readonly string[], degree: number): Rewrite {
  const points = memberPoints(SORTED);
  const random = seededRandom('alternative');
  const polys = new Map<number, { f: bigint[]; g: bigint[]; c: Uint8Array[] }>();
  const poly = (v: number) => {
    let p = polys.get(v);
    if (p === undefined) {
      const f = Array.from({ length: degree + 1 }, () => F.create(BigInt('0x' + bytesToHex(random.bytes(40)))));
      const g = Array.from({ length: degree + 1 }, () => F.create(BigInt('0x' + bytesToHex(random.bytes(40)))));
      p = { f, g, c: f.map((a, k) => pedersenCommit(a, g[k]!).toBytes(true)) };
      polys.set(v, p);
    }
    return p;
  };
  return (to, r) => {
    if (r['r'] !== 1 || !victims.includes(to)) return r;
    const o = r['o'] as number;
    const x = points.get(to)!;
    const n = (r['y'] as unknown[]).length;
    const values = Array.from({ length: n }, (_, i) => poly(o + i));
    return { ...r, c: values.map((p) => p.c), y: values.map((p) => [evaluatePolynomial(F, p.f, x), evaluatePolynomial(F, p.g, x)]) };
  };
}

/** Round 3: every answered f-share is off by one. */
const wrongAnswers: Rewrite = (_to, r) => {
  if (r['r'] !== 3 || (r['j'] as unknown[]).length === 0) return r;
  return { ...r, y: (r['y'] as unknown[][][]).map((row) => row.map((pair) => [addOne(pair[0]), pair[1]])) } as CborRecord;
};

/** Round 3: an empty answer instead of the real one. */
const noAnswers: Rewrite = (_to, r) => (r['r'] === 3 ? { p: r['p']!, s: r['s']!, r: 3, j: [] } : r);

/** Drops every message of round `round`. */
const dropRound =
  (round: number): Rewrite =>
  (_to, r) =>
    r['r'] === round ? undefined : r;

/**
 * Makes a byzantine member's round-4 echo consistent with what it really sent
 * in rounds 2 and 3 (uniformly to everyone), as a real adversary would; the
 * honest code's echo reflects what it meant to send.
 */
function echoConsistent(self: string, degree: number, count: number, ...rewrites: Rewrite[]): Rewrite {
  const shape = { n: SORTED.length, count, degree, order: F.ORDER };
  const index = SORTED.indexOf(self);
  let report: CborRecord | undefined;
  let answer: CborRecord | undefined;
  return (to, record) => {
    let r: CborRecord | undefined = record;
    for (const rewrite of rewrites) if (r !== undefined) r = rewrite(to, r);
    if (r === undefined) return undefined;
    if (r['r'] === 2) report = r;
    if (r['r'] === 3) answer = r;
    if (r['r'] !== 4) return r;
    const d = [...(r['d'] as Uint8Array[])];
    const e = [...(r['e'] as Uint8Array[])];
    if (report !== undefined) d[index] = reportDigest(SESSION, self, readReport(report, shape, index));
    if (answer !== undefined) {
      const a = readAnswerChunk(answer, shape, index); // one chunk in these tests
      e[index] = answerDigest(SESSION, self, a.complainers, a.commitments, a.pairs);
    }
    return { ...r, d, e };
  };
}

const compose =
  (...rewrites: Rewrite[]): Rewrite =>
  (to, record) => {
    let r: CborRecord | undefined = record;
    for (const rewrite of rewrites) if (r !== undefined) r = rewrite(to, r);
    return r;
  };

// ---------------------------------------------------------------------------
// Running and checking

interface Outcome {
  readonly results: Map<string, PromiseSettledResult<JointRandomSharingResult>>;
  readonly dealt: Map<string, readonly bigint[]>;
  readonly warnings: Map<string, string[]>;
}

interface RunOptions {
  readonly count?: number;
  readonly degree?: number;
  readonly members?: readonly string[];
  readonly byzantine?: Readonly<Record<string, (t: Transport) => Transport>>;
  readonly absent?: readonly string[];
  readonly seed?: string;
  readonly maxMessageBytes?: number;
  readonly wrap?: (t: Transport) => Transport;
}

/** Runs the verifiable protocol on every present member over a manual network, then lets anything still waiting time out. */
async function runVerifiable(opts: RunOptions = {}): Promise<Outcome> {
  const members = opts.members ?? MEMBERS;
  const { net, flush } = manualNetwork(members, opts.maxMessageBytes);
  const clock = virtualClock();
  const dealt = new Map<string, readonly bigint[]>();
  const loggers = new Map<string, ReturnType<typeof memoryLogger>>();
  const present = members.filter((id) => !opts.absent?.includes(id));
  const endpoints = new Map(present.map((id) => [id, net.transport(id)])); // every endpoint exists before anyone sends
  const runs = present.map((id) => {
    const base = opts.wrap?.(endpoints.get(id)!) ?? endpoints.get(id)!;
    const logger = memoryLogger();
    loggers.set(id, logger);
    return runVerifiableJointRandomSharing({
      F,
      transport: opts.byzantine?.[id]?.(base) ?? base,
      sessionId: SESSION,
      degree: opts.degree ?? 1,
      count: opts.count ?? 1,
      random: seededRandom(`${opts.seed ?? 'jrs'}/${id}`),
      clock,
      timeoutMs: TIMEOUT,
      logger,
      onDealt: (values) => dealt.set(id, values),
    });
  });
  const settled = Promise.allSettled(runs);
  flush();
  clock.advance(TIMEOUT);
  const results = await settled;
  expect(clock.pendingTimers()).toBe(0);
  await net.close();
  const warnings = new Map([...loggers].map(([id, l]) => [id, l.records.filter((r) => r.level === 'warn').map((r) => r.message)]));
  return { results: new Map(present.map((id, i) => [id, results[i]!])), dealt, warnings };
}

function fulfilled(r: PromiseSettledResult<JointRandomSharingResult> | undefined): JointRandomSharingResult {
  if (r?.status !== 'fulfilled') throw new Error(`expected success, got ${String((r as PromiseRejectedResult | undefined)?.reason)}`);
  return r.value;
}

function rejected(r: PromiseSettledResult<unknown> | undefined): ThresholdError {
  expect(r?.status).toBe('rejected');
  const e = (r as PromiseRejectedResult).reason as ThresholdError;
  expect(e).toBeInstanceOf(ThresholdError);
  return e;
}

/**
 * Checks what every member in `ids` holds: the same QUAL, disqualified list
 * and commitments; per value, shares on one degree-`degree` polynomial whose
 * value is the sum of QUAL's dealt values, blinding shares likewise, each
 * member's pair opening `commitments` at its point, and `commitments[v][0]`
 * committing to the joint value. Returns the joint values.
 */
function checkAgreement(outcome: Outcome, ids: readonly string[], degree: number): bigint[] {
  const results = ids.map((id) => fulfilled(outcome.results.get(id)));
  const first = results[0]!;
  const points = memberPoints([...outcome.results.keys(), ...SORTED.filter((m) => !outcome.results.has(m))]);
  for (const r of results) {
    expect(r.qualified).toEqual(first.qualified);
    expect(r.disqualified).toEqual(first.disqualified);
    expect(r.commitments.map((row) => row.map(bytesToHex))).toEqual(first.commitments.map((row) => row.map(bytesToHex)));
  }
  const values: bigint[] = [];
  first.shares.forEach((_, v) => {
    const shares = ids.map((id, i) => ({ x: points.get(id)!, y: results[i]!.shares[v]! }));
    const blindings = ids.map((id, i) => ({ x: points.get(id)!, y: results[i]!.blindingShares[v]! }));
    const value = reconstruct(F, shares, degree); // throws unless all lie on one degree-`degree` polynomial
    const blinding = reconstruct(F, blindings, degree);
    const expected = first.qualified.reduce((acc, id) => F.add(acc, outcome.dealt.get(id)![v]!), 0n);
    expect(value).toBe(expected);
    ids.forEach((id, i) => expect(verifyPedersenShare(first.commitments[v]!, points.get(id)!, results[i]!.shares[v]!, results[i]!.blindingShares[v]!)).toBe(true));
    expect(bytesToHex(first.commitments[v]![0]!)).toBe(bytesToHex(pedersenCommit(value, blinding).toBytes(true)));
    values.push(value);
  });
  return values;
}

const honest = (...except: string[]) => SORTED.filter((id) => !except.includes(id));

// ---------------------------------------------------------------------------

describe('memberPoints', () => {
  it('numbers the sorted membership from 1, whatever the input order', () => {
    expect([...memberPoints(MEMBERS)]).toEqual([
      ['alice', 1n],
      ['bob', 2n],
      ['carol', 3n],
      ['dave', 4n],
    ]);
    expect(memberPoints(['b', 'a'])).toEqual(memberPoints(['a', 'b']));
    expect(() => memberPoints(['a', 'a'])).toThrow(RangeError);
    expect(() => memberPoints([])).toThrow(RangeError);
  });
});

describe('pedersenH: the second generator', () => {
  /** The derivation re-done from noble's primitives, as the module notes state it. */
  function derive(): { x: bigint; y: bigint; counter: number } {
    const Fp = G1.Fp;
    for (let counter = 0; ; counter++) {
      const msg = new Uint8Array(4);
      new DataView(msg.buffer).setUint32(0, counter);
      const [[x]] = hash_to_field(msg, 1, { DST: PEDERSEN_H_DST, p: Fp.ORDER, m: 1, k: 128, expand: 'xmd', hash: sha256 }) as [[bigint]];
      const rhs = Fp.add(Fp.pow(x, 3n), 3n);
      if (FpIsSquare(Fp, rhs)) return { x, y: FpSqrtEven(Fp, rhs), counter };
    }
  }

  it('is on the curve, not the identity, not ±G, reproducible, and pinned', () => {
    const H = pedersenH();
    expect(() => H.assertValidity()).not.toThrow();
    expect(H.is0()).toBe(false);
    expect(H.equals(G1.BASE)).toBe(false);
    expect(H.equals(G1.BASE.negate())).toBe(false);
    const { x, y } = derive();
    expect(H.x).toBe(x);
    expect(H.y).toBe(y);
    expect(y % 2n).toBe(0n);
    expect(G1.Fp.sqr(y)).toBe(G1.Fp.add(G1.Fp.pow(x, 3n), 3n));
    expect(pedersenH()).toBe(H); // cached
    expect(bytesToHex(H.toBytes(true))).toBe('020ea13e08171446174de1d65392108f1eb199afe70724e6822687264d9cb6b91f');
    expect(PEDERSEN_H_DST).toBe('admitone/pedersen/bn254-g1/H/v1');
  });

  it('pedersenCommit is a·G + b·H, and verifyPedersenShare checks pairs against coefficient commitments', () => {
    expect(pedersenCommit(5n, 7n).equals(G1.BASE.multiply(5n).add(pedersenH().multiply(7n)))).toBe(true);
    expect(pedersenCommit(0n, 0n).is0()).toBe(true);
    const f = [11n, 22n, 33n];
    const g = [44n, 55n, 66n];
    const c = f.map((a, k) => pedersenCommit(a, g[k]!).toBytes(true));
    const at = (x: bigint) => [evaluatePolynomial(F, f, x), evaluatePolynomial(F, g, x)] as const;
    expect(verifyPedersenShare(c, 3n, ...at(3n))).toBe(true);
    expect(verifyPedersenShare(c, 3n, F.add(at(3n)[0], 1n), at(3n)[1])).toBe(false);
    expect(verifyPedersenShare(c, 3n, at(3n)[0], F.add(at(3n)[1], 1n))).toBe(false);
    expect(verifyPedersenShare(c, 4n, ...at(3n))).toBe(false);
    expect(verifyPedersenShare([c[0]!, c[1]!, Uint8Array.of(2, ...new Uint8Array(32).fill(0xff))], 3n, ...at(3n))).toBe(false);
    expect(() => verifyPedersenShare(c, 3n, F.ORDER, 0n)).toThrow(RangeError);
    expect(() => pedersenCommit(-1n, 0n)).toThrow(RangeError);
  });
});

describe('runVerifiableJointRandomSharing: honest members', () => {
  it('n = 4, t = 1: consistent shares of the sum of all dealt values, with commitments that open them', async () => {
    const outcome = await runVerifiable({ count: 5 });
    expect(outcome.dealt.size).toBe(4);
    const values = checkAgreement(outcome, SORTED, 1);
    expect(new Set(values).size).toBe(5);
    const r = fulfilled(outcome.results.get('alice'));
    expect(r.qualified).toEqual(SORTED);
    expect(r.disqualified).toEqual([]);
    expect(r.commitments.every((row) => row.length === 2 && row.every((c) => c.length === 33))).toBe(true);
    for (const [, w] of outcome.warnings) expect(w).toEqual([]);
    // the opener agrees
    const opener = createOpener(F, [1n, 2n, 3n, 4n], 1);
    expect(opener.openMany(SORTED.map((id) => fulfilled(outcome.results.get(id)).shares))).toEqual(values);
  });

  it('runJointRandomSharing resolves with the same shares (default memory network, real delivery)', async () => {
    const net = memoryNetwork({ members: MEMBERS });
    const clock = virtualClock();
    const dealt = new Map<string, readonly bigint[]>();
    const transports = MEMBERS.map((id) => net.transport(id));
    const outputs = await Promise.all(
      MEMBERS.map((id, i) =>
        runJointRandomSharing({ F, transport: transports[i]!, sessionId: 'jrs-1', degree: 1, count: 2, random: seededRandom(`d/${id}`), clock, timeoutMs: 1_000, onDealt: (v) => dealt.set(id, v) }),
      ),
    );
    await net.close();
    const points = memberPoints(MEMBERS);
    for (let v = 0; v < 2; v++) {
      const value = reconstruct(F, MEMBERS.map((id, i) => ({ x: points.get(id)!, y: outputs[i]![v]! })), 1);
      expect(value).toBe([...dealt.values()].reduce((acc, d) => F.add(acc, d[v]!), 0n));
    }
  });

  it('is deterministic under seeds, and different seeds give different values', async () => {
    const values = async (seed: string) => checkAgreement(await runVerifiable({ count: 2, seed }), SORTED, 1);
    expect(await values('s1')).toEqual(await values('s1'));
    expect(await values('s1')).not.toEqual(await values('s2'));
  });

  it('splits large dealings into chunks that fit the transport, and runs over secureTransport', async () => {
    const keys = new Map(MEMBERS.map((id) => [id, x25519KeyPair(seededRandom(`k/${id}`))]));
    const publicKeys = Object.fromEntries([...keys].map(([id, k]) => [id, k.publicKey]));
    const sizes: number[] = [];
    const outcome = await runVerifiable({
      count: 24,
      degree: 2,
      maxMessageBytes: 600,
      wrap: (t) => {
        const s = secureTransport(t, { staticSecret: keys.get(t.localId)!.secretKey, peerPublicKeys: publicKeys, random: seededRandom(t.localId) });
        if (t.localId === 'alice') s.onMessage((m) => sizes.push(m.bytes.length));
        return s;
      },
    });
    checkAgreement(outcome, SORTED, 2);
    expect(sizes.length).toBeGreaterThan(3 * 2); // more than one dealing message per peer
    expect(Math.max(...sizes)).toBeLessThanOrEqual(600 - 41);
  });

  it('ignores other sessions, other protocols and undecodable traffic', async () => {
    const outcome = await runVerifiable({
      wrap: (t) => {
        if (t.localId === 'alice') {
          for (const peer of MEMBERS.filter((m) => m !== 'alice')) {
            void t.send(peer, Uint8Array.of(0xff, 0x00));
            void t.send(peer, encode({ p: JOINT_RANDOM_PROTOCOL, s: 'another-session', r: 1, o: 0, c: [], y: [1] }));
            void t.send(peer, encode({ p: 'admitone/other', s: SESSION, r: 1, o: 0, y: ['x'] }));
          }
        }
        return t;
      },
    });
    checkAgreement(outcome, SORTED, 1);
  });

  it('n = 1 and count = 0 need no messages', async () => {
    const one = memoryNetwork({ members: ['solo'] });
    const base = { F, sessionId: 's', random: seededRandom(1), clock: virtualClock(), timeoutMs: 10 };
    const r = await runVerifiableJointRandomSharing({ ...base, transport: one.transport('solo'), degree: 0, count: 2 });
    expect(r.qualified).toEqual(['solo']);
    expect(r.commitments.map((row) => row.length)).toEqual([1, 1]);
    expect(verifyPedersenShare(r.commitments[0]!, 1n, r.shares[0]!, r.blindingShares[0]!)).toBe(true);
    const net = memoryNetwork({ members: MEMBERS });
    await expect(runJointRandomSharing({ ...base, transport: net.transport('alice'), degree: 1, count: 0 })).resolves.toEqual([]);
  });
});

describe('runVerifiableJointRandomSharing: a cheating dealer', () => {
  it('a share off the commitments is complained about, answered in the clear, and adopted: everyone succeeds', async () => {
    const outcome = await runVerifiable({ count: 3, byzantine: { dave: (t) => tampered(t, badSharesTo(['carol'], [2])) } });
    checkAgreement(outcome, SORTED, 1);
    const r = fulfilled(outcome.results.get('carol'));
    expect(r.qualified).toEqual(SORTED);
    expect(r.disqualified).toEqual([]);
    expect(outcome.warnings.get('carol')).toContain('joint random sharing: a dealing does not match its commitments; complaining');
  });

  it('answers are chunked to fit the transport like dealings', async () => {
    const outcome = await runVerifiable({ count: 8, degree: 2, maxMessageBytes: 600, byzantine: { dave: (t) => tampered(t, badSharesTo(['carol'], [6])) } });
    checkAgreement(outcome, SORTED, 2);
    expect(fulfilled(outcome.results.get('carol')).qualified).toEqual(SORTED);
  });

  it('a wrong answer disqualifies the dealer everywhere; the rest agree on the sum of QUAL', async () => {
    const outcome = await runVerifiable({ byzantine: { dave: (t) => tampered(t, echoConsistent('dave', 1, 1, badSharesTo(['carol']), wrongAnswers)) } });
    checkAgreement(outcome, honest('dave'), 1);
    const r = fulfilled(outcome.results.get('alice'));
    expect(r.qualified).toEqual(honest('dave'));
    expect(r.disqualified).toEqual([{ member: 'dave', reason: 'bad_answer', reportedBy: ['carol'] }]);
    for (const id of honest('dave')) expect(outcome.warnings.get(id)).toContain('joint random sharing: dealer disqualified');
  });

  it('an answer that leaves out the complainer disqualifies the dealer everywhere', async () => {
    const outcome = await runVerifiable({ byzantine: { dave: (t) => tampered(t, echoConsistent('dave', 1, 1, badSharesTo(['carol']), noAnswers)) } });
    checkAgreement(outcome, honest('dave'), 1);
    expect(fulfilled(outcome.results.get('bob')).disqualified).toEqual([{ member: 'dave', reason: 'bad_answer', reportedBy: ['carol'] }]);
  });

  it('an answer addressed to another member than the complainer disqualifies the dealer everywhere', async () => {
    const elsewhere: Rewrite = (_to, r) => (r['r'] === 3 && (r['j'] as unknown[]).length > 0 ? { ...r, j: [0] } : r); // alice instead of carol
    const outcome = await runVerifiable({ byzantine: { dave: (t) => tampered(t, echoConsistent('dave', 1, 1, badSharesTo(['carol']), elsewhere)) } });
    checkAgreement(outcome, honest('dave'), 1);
    expect(fulfilled(outcome.results.get('bob')).disqualified).toEqual([{ member: 'dave', reason: 'bad_answer', reportedBy: ['carol'] }]);
  });

  it('no round-3 message at all times the run out naming the dealer', async () => {
    const outcome = await runVerifiable({ byzantine: { dave: (t) => tampered(t, compose(badSharesTo(['carol']), dropRound(3))) } });
    for (const id of honest('dave')) {
      const e = rejected(outcome.results.get(id));
      expect(e.code).toBe('THRESHOLD_TIMEOUT');
      expect(e.culprits).toEqual(['dave']);
      expect(e.meta['round']).toBe(3);
    }
  });

  it('more than t complaints disqualify the dealer, and it reveals no share', async () => {
    const revealed: CborRecord[] = [];
    const spy: Rewrite = (_to, r) => {
      if (r['r'] === 3) revealed.push(r);
      return r;
    };
    const outcome = await runVerifiable({ byzantine: { dave: (t) => tampered(t, compose(badSharesTo(['bob', 'carol']), spy)) } });
    checkAgreement(outcome, honest('dave'), 1);
    expect(fulfilled(outcome.results.get('alice')).disqualified).toEqual([{ member: 'dave', reason: 'too_many_complaints', reportedBy: ['bob', 'carol'] }]);
    expect(revealed.length).toBe(3);
    for (const r of revealed) expect(r['j']).toEqual([]);
  });

  it('commitments shown differently to more than t members disqualify the dealer (equivocation)', async () => {
    const outcome = await runVerifiable({ count: 2, byzantine: { dave: (t) => tampered(t, otherCommitmentsTo(['bob', 'carol'], 1)) } });
    checkAgreement(outcome, honest('dave'), 1);
    expect(fulfilled(outcome.results.get('alice')).disqualified).toEqual([{ member: 'dave', reason: 'equivocated', reportedBy: ['bob', 'carol'] }]);
  });

  it('commitments shown differently to one member make the dealer answer it with the real ones, which it adopts', async () => {
    const outcome = await runVerifiable({ count: 2, byzantine: { dave: (t) => tampered(t, otherCommitmentsTo(['carol'], 1)) } });
    checkAgreement(outcome, SORTED, 1);
    expect(fulfilled(outcome.results.get('carol')).qualified).toEqual(SORTED);
  });

  it('a complaint answered with other commitments than the dealer reported disqualifies it', async () => {
    // carol saw other commitments; dave's answer repeats those instead of the ones it reported
    const alt = otherCommitmentsTo(['carol'], 1);
    const sameAsCarolSaw: Rewrite = (to, r) => {
      if (r['r'] !== 3 || (r['j'] as unknown[]).length === 0) return r;
      const fake = alt('carol', { p: r['p']!, s: r['s']!, r: 1, o: 0, c: [], y: [[0, 0]] })!;
      const carolsPair = (fake['y'] as unknown[][])[0]!; // a valid pair under the other commitments
      return { ...r, c: fake['c']!, y: [[carolsPair]] } as CborRecord;
    };
    const outcome = await runVerifiable({ byzantine: { dave: (t) => tampered(t, echoConsistent('dave', 1, 1, alt, sameAsCarolSaw)) } });
    checkAgreement(outcome, honest('dave'), 1);
    expect(fulfilled(outcome.results.get('alice')).disqualified).toEqual([{ member: 'dave', reason: 'bad_answer', reportedBy: ['carol'] }]);
  });

  it('fewer than t + 1 qualified dealers reject the run naming the disqualified ones', async () => {
    // t = 2 of n = 4: two dealers each cheat three members (more than t complaints each)
    const cheat = (id: string) => (t: Transport) => tampered(t, badSharesTo(SORTED.filter((m) => m !== id)));
    const outcome = await runVerifiable({ degree: 2, byzantine: { carol: cheat('carol'), dave: cheat('dave') } });
    for (const id of honest('carol', 'dave')) {
      const e = rejected(outcome.results.get(id));
      expect(e.code).toBe('THRESHOLD_PROTOCOL');
      expect(e.culprits).toEqual(['carol', 'dave']);
      expect(JSON.stringify(e.meta)).toContain('too_many_complaints');
    }
  });
});

describe('runVerifiableJointRandomSharing: lying reporters', () => {
  it('a false complaint only makes an honest dealer publish the liar’s own share: it stays in QUAL', async () => {
    // dave "receives" a corrupted share from bob, so it complains about bob (others cannot tell it lies)
    const liar = (t: Transport) => tampered(t, (_to, r) => r, (from, r) => (from === 'bob' ? badSharesTo(['dave'])('dave', r)! : r));
    const outcome = await runVerifiable({ byzantine: { dave: liar } });
    checkAgreement(outcome, SORTED, 1);
    expect(fulfilled(outcome.results.get('alice')).disqualified).toEqual([]);
  });

  it('a false commitment digest is treated as a complaint: the honest dealer answers and stays in QUAL', async () => {
    const alt = otherCommitmentsTo(['dave'], 1);
    const liar = (t: Transport) => tampered(t, (_to, r) => r, (from, r) => (from === 'bob' ? alt('dave', r)! : r));
    const outcome = await runVerifiable({ byzantine: { dave: liar } });
    checkAgreement(outcome, SORTED, 1);
    expect(fulfilled(outcome.results.get('carol')).qualified).toEqual(SORTED);
  });

  it('different round-2 reports to different members abort the run in round 4, naming the sender', async () => {
    // a genuine complaint puts everyone on the slow path; dave also tells only alice that it complains about bob
    const split: Rewrite = (to, r) => (r['r'] === 2 && to === 'alice' ? { ...r, x: [...(r['x'] as number[]), 1].sort() } : r);
    const outcome = await runVerifiable({ byzantine: { dave: (t) => tampered(t, compose(badSharesTo(['carol']), split)) } });
    for (const id of honest('dave')) {
      const e = rejected(outcome.results.get(id));
      expect(e.code).toBe('THRESHOLD_PROTOCOL');
      expect(e.culprits).toEqual(['dave']);
      expect(e.meta['round']).toBe(2);
      expect(SORTED).toContain(e.meta['reportedBy']);
    }
  });

  it('different round-3 answers to different members abort the run in round 4, naming the sender', async () => {
    const split: Rewrite = (to, r) => (to === 'alice' ? wrongAnswers(to, r) : r);
    const outcome = await runVerifiable({ byzantine: { dave: (t) => tampered(t, compose(badSharesTo(['carol']), split)) } });
    for (const id of honest('dave')) {
      const e = rejected(outcome.results.get(id));
      expect(e.code).toBe('THRESHOLD_PROTOCOL');
      expect(e.culprits).toEqual(['dave']);
      expect(e.meta['round']).toBe(3);
    }
  });

  it('a complaint shown to one member only cannot split the outputs: the others finish and agree, that one times out', async () => {
    const split: Rewrite = (to, r) => (r['r'] === 2 && to === 'carol' ? { ...r, x: [0] } : r);
    const outcome = await runVerifiable({ byzantine: { dave: (t) => tampered(t, split) } });
    checkAgreement(outcome, honest('carol'), 1);
    const e = rejected(outcome.results.get('carol'));
    expect(e.code).toBe('THRESHOLD_TIMEOUT');
    expect(e.meta['round']).toBe(3);
  });

  it('property: whatever one dealer does in rounds 1 and 3, the others agree on the sum of QUAL, and it stays in QUAL only when it should', async () => {
    const others = honest('dave');
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(others),
        fc.subarray(others),
        fc.constantFrom('honest', 'wrong', 'none'),
        async (badShares, otherCommitments, answers) => {
          const round3 = answers === 'wrong' ? wrongAnswers : answers === 'none' ? noAnswers : (_to: string, r: CborRecord) => r;
          const rewrite = echoConsistent('dave', 1, 1, otherCommitmentsTo(otherCommitments, 1), badSharesTo(badShares), round3);
          const outcome = await runVerifiable({ byzantine: { dave: (t) => tampered(t, rewrite) } });
          checkAgreement(outcome, others, 1);
          const complainers = new Set([...badShares, ...otherCommitments]);
          const kept = complainers.size === 0 || (complainers.size <= 1 && answers === 'honest');
          expect(fulfilled(outcome.results.get('alice')).qualified.includes('dave')).toBe(kept);
        },
      ),
      { numRuns: 12, seed: 20250601 },
    );
  });
});

describe('runVerifiableJointRandomSharing: malformed traffic and timeouts', () => {
  it('times out naming the members whose dealing never arrived', async () => {
    const { net, flush } = manualNetwork(MEMBERS);
    const clock = virtualClock();
    const transports = MEMBERS.filter((id) => id !== 'carol').map((id) => net.transport(id));
    const runs = transports.map((transport) =>
      runJointRandomSharing({ F, transport, sessionId: 'jrs-t', degree: 1, count: 3, random: seededRandom(transport.localId), clock, timeoutMs: 5_000 }),
    );
    const settled = Promise.allSettled(runs);
    flush();
    expect(clock.pendingTimers()).toBe(3);
    clock.advance(4_999);
    expect(clock.pendingTimers()).toBe(3);
    clock.advance(1);
    for (const r of await settled) {
      const e = rejected(r);
      expect(e.code).toBe('THRESHOLD_TIMEOUT');
      expect(e.culprits).toEqual(['carol']);
      expect(e.meta['round']).toBe(1);
    }
    expect(clock.pendingTimers()).toBe(0);
    await net.close();
  });

  const G = G1.BASE.toBytes(true);
  const row = [G, G];
  const offCurve = (() => {
    const Fp = G1.Fp;
    for (let x = 1; ; x++) if (!FpIsSquare(Fp, Fp.add(Fp.pow(BigInt(x), 3n), 3n))) return Uint8Array.of(2, ...new Uint8Array(31), x); // no point has this x
  })();
  const digest = new Uint8Array(32);
  for (const [what, message] of [
    ['a value outside the field', { r: 1, o: 0, c: [row], y: [[F.ORDER, 1]] }],
    ['a negative value', { r: 1, o: 0, c: [row], y: [[-1, 1]] }],
    ['a non-integer value', { r: 1, o: 0, c: [row], y: [['1', 1]] }],
    ['a share without its blinding', { r: 1, o: 0, c: [row], y: [[1]] }],
    ['more values than there are', { r: 1, o: 0, c: [row, row, row, row], y: [[1, 1], [1, 1], [1, 1], [1, 1]] }],
    ['an offset past the end', { r: 1, o: 3, c: [row], y: [[1, 1]] }],
    ['an empty chunk', { r: 1, o: 0, c: [], y: [] }],
    ['commitments and shares of different lengths', { r: 1, o: 0, c: [row, row], y: [[1, 1]] }],
    ['too few commitments for the degree', { r: 1, o: 0, c: [[G]], y: [[1, 1]] }],
    ['a commitment that is not a curve point', { r: 1, o: 0, c: [[G, offCurve]], y: [[1, 1]] }],
    ['a commitment of the wrong length', { r: 1, o: 0, c: [[G, G.slice(0, 32)]], y: [[1, 1]] }],
    ['an unknown round', { r: 5 }],
    ['a report with too few digests', { r: 2, d: [digest, digest, digest], x: [] }],
    ['a report complaining about its sender', { r: 2, d: [digest, digest, digest, digest], x: [1] }],
    ['a report with unsorted complaints', { r: 2, d: [digest, digest, digest, digest], x: [3, 0] }],
    ['an answer to more than t complainers', { r: 3, j: [0, 2], o: 0, c: [row], y: [[[1, 1], [1, 1]]] }],
    ['an empty answer carrying values', { r: 3, j: [], o: 0, c: [row], y: [] }],
    ['a confirmation with a short digest', { r: 4, d: [digest, digest, digest, digest.slice(1)], e: [digest, digest, digest, digest] }],
  ] as const) {
    it(`names a member that sends ${what} (THRESHOLD_PROTOCOL)`, async () => {
      const { net, flush } = manualNetwork(MEMBERS);
      const clock = virtualClock();
      const others = honest('bob').map((id) => net.transport(id));
      const bob = net.transport('bob');
      const runs = others.map((transport) =>
        runVerifiableJointRandomSharing({ F, transport, sessionId: 'jrs-b', degree: 1, count: 3, random: seededRandom(transport.localId), clock, timeoutMs: 5_000 }),
      );
      for (const t of others) await bob.send(t.localId, encode({ ...message, p: JOINT_RANDOM_PROTOCOL, s: 'jrs-b' }));
      flush();
      for (const r of await Promise.allSettled(runs)) {
        const e = rejected(r);
        expect(e.code).toBe('THRESHOLD_PROTOCOL');
        expect(e.culprits).toEqual(['bob']);
        expect(JSON.stringify(e.meta)).not.toMatch(/"y"/);
      }
      expect(clock.pendingTimers()).toBe(0);
      await net.close();
    });
  }

  const other = Uint8Array.from(digest, (_, i) => i);
  for (const [what, first, second] of [
    ['round-2 reports', { r: 2, d: [digest, digest, digest, digest], x: [] }, { r: 2, d: [digest, digest, digest, digest], x: [0] }],
    ['round-3 answers (complainers)', { r: 3, j: [] }, { r: 3, j: [0], o: 0, c: [row], y: [[[1, 1]]] }],
    ['round-3 answers (pairs)', { r: 3, j: [0], o: 0, c: [row], y: [[[1, 1]]] }, { r: 3, j: [0], o: 0, c: [row], y: [[[1, 2]]] }],
    ['round-4 confirmations', { r: 4, d: [digest, digest, digest, digest], e: [digest, digest, digest, digest] }, { r: 4, d: [digest, digest, digest, digest], e: [digest, digest, digest, other] }],
  ] as const) {
    it(`names a member that sends two different ${what}, and tolerates an exact duplicate`, async () => {
      const { net, flush } = manualNetwork(MEMBERS);
      const clock = virtualClock();
      const others = honest('bob').map((id) => net.transport(id));
      const bob = net.transport('bob');
      const runs = others.map((transport) =>
        runVerifiableJointRandomSharing({ F, transport, sessionId: 'jrs-d', degree: 1, count: 1, random: seededRandom(transport.localId), clock, timeoutMs: 5_000 }),
      );
      const settled = Promise.allSettled(runs);
      await bob.send('alice', encode({ ...first, p: JOINT_RANDOM_PROTOCOL, s: 'jrs-d' }));
      await bob.send('alice', encode({ ...first, p: JOINT_RANDOM_PROTOCOL, s: 'jrs-d' }));
      await bob.send('carol', encode({ ...first, p: JOINT_RANDOM_PROTOCOL, s: 'jrs-d' }));
      await bob.send('carol', encode({ ...second, p: JOINT_RANDOM_PROTOCOL, s: 'jrs-d' }));
      flush();
      clock.advance(5_000);
      const [atAlice, atCarol] = await settled;
      expect(rejected(atAlice).code).toBe('THRESHOLD_TIMEOUT'); // the duplicate was fine; bob never dealt
      expect(rejected(atCarol).code).toBe('THRESHOLD_PROTOCOL');
      expect(rejected(atCarol).culprits).toEqual(['bob']);
      await net.close();
    });
  }

  it('names a member that sends two different dealings, and tolerates an exact duplicate', async () => {
    const { net, flush } = manualNetwork(['a', 'b', 'c', 'd']);
    const clock = virtualClock();
    const others = ['a', 'b', 'c'].map((id) => net.transport(id));
    const d = net.transport('d');
    const runs = others.map((transport) =>
      runVerifiableJointRandomSharing({ F, transport, sessionId: 'jrs-e', degree: 1, count: 2, random: seededRandom(transport.localId), clock, timeoutMs: 5_000 }),
    );
    const G2 = G1.BASE.double().toBytes(true);
    const msg = (o: number, c: Uint8Array[][], y: number[][]) => encode({ p: JOINT_RANDOM_PROTOCOL, s: 'jrs-e', r: 1, o, c, y });
    await d.send('a', msg(1, [row], [[6, 1]]));
    await d.send('a', msg(1, [row], [[6, 1]])); // same again: fine
    await d.send('a', msg(1, [row], [[7, 1]])); // a different share: equivocation
    await d.send('b', msg(1, [row], [[2, 1]]));
    await d.send('b', msg(1, [[G, G2]], [[2, 1]])); // different commitments: equivocation
    await d.send('c', msg(0, [row, row], [[1, 1], [2, 1]]));
    await d.send('c', msg(1, [row], [[2, 1]])); // overlapping but equal
    const settled = Promise.allSettled(runs);
    flush();
    clock.advance(5_000);
    const [atA, atB, atC] = await settled;
    for (const r of [atA, atB]) {
      expect(rejected(r).code).toBe('THRESHOLD_PROTOCOL');
      expect(rejected(r).culprits).toEqual(['d']);
    }
    // c's dealing from d is complete (and fails its check); c waits for the others' round-2 reports
    expect(rejected(atC).code).toBe('THRESHOLD_TIMEOUT');
    expect(rejected(atC).meta['round']).toBe(2);
    await net.close();
  });

  it('validates its options', () => {
    const net = memoryNetwork({ members: MEMBERS });
    const transport = net.transport('alice');
    const base = { F, transport, sessionId: 's', degree: 1, count: 1, random: seededRandom(1), clock: virtualClock(), timeoutMs: 10 };
    expect(() => runVerifiableJointRandomSharing({ ...base, degree: 4 })).toThrow(RangeError);
    expect(() => runVerifiableJointRandomSharing({ ...base, count: -1 })).toThrow(RangeError);
    expect(() => runVerifiableJointRandomSharing({ ...base, sessionId: '' })).toThrow(RangeError);
    expect(() => runVerifiableJointRandomSharing({ ...base, timeoutMs: 0 })).toThrow(RangeError);
    expect(() => runVerifiableJointRandomSharing({ ...base, F: bn254.G1.Point.Fp })).toThrow(/bn254_Fr/);
    const tiny = memoryNetwork({ members: MEMBERS, maxMessageBytes: 150 });
    expect(() => runVerifiableJointRandomSharing({ ...base, transport: tiny.transport('alice') })).toThrow(/maxMessageBytes/);
    expect(() => runJointRandomSharing({ ...base, degree: -1 })).toThrow(RangeError);
    expect(JOINT_RANDOM_PROTOCOL).toBe('admitone/jrs/v2');
  });
});
