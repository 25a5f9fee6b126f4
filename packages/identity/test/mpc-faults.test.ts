/**
 * The MPC engine under faults: lying, silent and confused members, malformed
 * and stray messages, and log hygiene. Delivery goes through a queue that the
 * test drains between macrotasks; when nothing is left to deliver and the
 * work is still pending, the virtual clock jumps to the next timer (a round
 * timeout), so every run is deterministic and needs no real waiting.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  concatBytes,
  encode,
  nobleCrypto,
  systemClock,
  formatLogRecord,
  isAdmitOneError,
  memoryLogger,
  memoryNetwork,
  seededRandom,
  utf8ToBytes,
  virtualClock,
  type Clock,
  type MemoryLogger,
  type Random,
  type Transport,
  type VirtualClock,
} from '@admitone/core';
import { ThresholdError, memberPoints, randomFieldElement, shamirShare } from '@admitone/core/threshold';
import { BN254_FR, BN254_FR_ORDER, MIMC7_ROUNDS, mimc7 } from '../src/mimc/index.js';
import {
  CONTEXT_DIGEST_BYTES,
  createMpcEngine,
  decodeMpcMessage,
  encodeMpcMessage,
  packElements,
  unpackElements,
  type MimcEvaluation,
  type MpcEngine,
  type MpcMessage,
} from '../src/mpc/index.js';

const F = BN254_FR;
const P = BN254_FR_ORDER;
const TIMEOUT = 5_000;
/** Real-time round timeout of the signed-transcript tests. */
const SIGNED_TIMEOUT = 1_500;
/** Chunk 0 of a signed, verified batch at n = 4, t = 1: rounds 0–7, the alarm agreement (t + 1 rounds), then the revelation. */
const AGREEMENT_ROUND = 8;
const REVEAL_ROUND = AGREEMENT_ROUND + 2;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Rewrites (or, returning `null`, drops) a liar's outgoing message. */
type Mutate = (message: MpcMessage, to: string | 'all') => MpcMessage | null;

/**
 * Rewrites (or drops) a liar's *broadcast* separately for each recipient, so
 * it can say different things to different members (signed again like a
 * {@link Mutate}'s output, as a broadcast).
 */
type Split = (message: MpcMessage, to: string) => MpcMessage | null;

interface Harness {
  readonly members: string[];
  readonly engines: MpcEngine[];
  readonly transports: Transport[];
  readonly points: bigint[];
  readonly clock: VirtualClock | Clock;
  readonly logger: MemoryLogger;
  readonly random: Random;
  /** Raw endpoint of a network peer outside the committee. */
  readonly intruder: Transport;
  /** Runs deliveries and, when stuck, timers until `work` settles. */
  drive<T>(work: Promise<T>): Promise<T>;
  /** Runs deliveries until none are left (no timers). */
  flush(): Promise<void>;
}

/**
 * Signed transcripts (`signing: true`) run in real time: signatures and
 * digests go through the runtime's crypto, which the virtual-clock driver
 * cannot see, so delivery is the network's own and round timeouts are real
 * (short). A liar's rewritten message is signed again with its own key, as a
 * cheater would.
 */
function harness(
  n: number,
  t: number,
  seed: string,
  liars: Readonly<Record<string, Mutate>> = {},
  extra: { verifyTuples?: boolean; signing?: boolean; split?: Readonly<Record<string, Split>> } = {},
): Harness {
  const members = Array.from({ length: n }, (_, i) => `m${i}`);
  const realTime = extra.signing === true;
  const queue: (() => void)[] = [];
  const net = memoryNetwork({
    members: [...members, 'intruder'],
    ...(realTime ? {} : { schedule: (_envelope, deliver) => queue.push(deliver), capabilities: { ordered: true, reliable: true } }),
  });
  const clock = realTime ? systemClock() : virtualClock();
  const logger = memoryLogger();
  const root = seededRandom(seed);
  const secretKeys = members.map((id) => secretKeyOf(seed, id));
  const publicKeys = new Map(members.map((id, i) => [id, ed25519.getPublicKey(secretKeys[i] as Uint8Array)]));
  const transports = members.map((id, i) => {
    const raw = net.transport(id);
    const view: Transport = { ...raw, members }; // the committee excludes the intruder
    const mutate = liars[id] ?? ((m: MpcMessage) => m);
    const split = extra.split?.[id];
    if (liars[id] === undefined && split === undefined) return view;
    // a message whose signature the liar left alone is signed again over what it now says
    const signed = (original: MpcMessage, m: MpcMessage, recipient: string): Uint8Array =>
      m.signature === undefined || m.signature !== original.signature
        ? encodeMpcMessage(m)
        : encodeMpcMessage({ ...m, signature: signEntry(m, recipient, secretKeys[i] as Uint8Array) });
    const rewrite = (bytes: Uint8Array, to: string): Uint8Array | null => {
      const original = decodeMpcMessage(bytes);
      const m = mutate(original, to);
      return m === null ? null : signed(original, m, to === 'all' ? '' : to);
    };
    const liar: Transport = {
      ...view,
      broadcast: async (bytes: Uint8Array) => {
        const out = rewrite(bytes, 'all');
        if (out === null) return;
        if (split === undefined) return view.broadcast(out);
        const message = decodeMpcMessage(out);
        await Promise.all(
          members.map(async (to) => {
            const m = to === id ? null : split(message, to);
            if (m !== null) await view.send(to, signed(message, m, ''));
          }),
        );
      },
      send: async (to: string, bytes: Uint8Array) => {
        const out = rewrite(bytes, to);
        if (out !== null) await view.send(to, out);
      },
    };
    return liar;
  });
  const crypto = nobleCrypto();
  const engines = transports.map((transport, i) =>
    createMpcEngine({
      transport,
      degree: t,
      random: root.fork(members[i] as string),
      clock,
      logger,
      timeoutMs: realTime ? SIGNED_TIMEOUT : TIMEOUT,
      ...(extra.verifyTuples === undefined ? {} : { verifyTuples: extra.verifyTuples }),
      ...(extra.signing === true ? { signing: { crypto, secretKey: secretKeys[i] as Uint8Array, publicKeys } } : {}),
    }),
  );
  const intruder = net.transport('intruder');
  cleanups.push(async () => {
    for (const e of engines) e.close();
    await net.close();
  });
  const pointOf = memberPoints(members);
  async function drive<T>(work: Promise<T>): Promise<T> {
    if (realTime) return work;
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (settled) return work;
      if (queue.length > 0) {
        for (const deliver of queue.splice(0)) deliver();
        continue;
      }
      if (!(clock as VirtualClock).runNext()) throw new Error('deadlock: nothing to deliver and no timer pending');
    }
  }
  async function flush(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (queue.length === 0) return;
      for (const deliver of queue.splice(0)) deliver();
    }
  }
  return { members, engines, transports, points: members.map((m) => pointOf.get(m) as bigint), clock, logger, random: root.fork('test'), intruder, drive, flush };
}

/** Random key and inputs, their shares (in member order), and the expected outputs. */
function scenario(h: Harness, t: number, batch: number) {
  const k = randomFieldElement(F, h.random);
  const xs = Array.from({ length: batch }, () => randomFieldElement(F, h.random));
  const ds = xs.map((_, i) => BigInt(i * 1000 + 1));
  const share = (v: bigint) => shamirShare(F, v, t, h.points, h.random).map((s) => s.y);
  const keyShares = share(k);
  const xShares = xs.map(share);
  const expected = xs.map((x, i) => mimc7((x + (ds[i] as bigint)) % P, k));
  const inputsOf = (j: number, d = ds) => xShares.map((s, i) => ({ x: s[j] as bigint, d: d[i] as bigint }));
  const secrets = [k, ...xs, ...keyShares, ...xShares.flat()];
  return { k, xs, ds, keyShares, expected, inputsOf, secrets };
}

/** The Ed25519 secret key of member `id` in the harness seeded with `seed`. */
function secretKeyOf(seed: string, id: string): Uint8Array {
  return seededRandom(seed).fork(`key/${id}`).bytes(32);
}

/**
 * What a member signs for a preprocessing message (the transcript entry):
 * `[tag, phase, session, round, context, recipient ('' for broadcasts), SHA-256(elements)]`.
 */
function signEntry(m: MpcMessage, recipient: string, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(encode(['admitone/mpc/transcript/v1', m.phase, m.session, m.round, m.context, recipient, sha256(m.elements)]), secretKey);
}

async function preprocess(h: Harness, engines: readonly MpcEngine[], count: number, id = 'pre'): Promise<void> {
  await h.drive(Promise.all(engines.map((e) => e.preprocess(utf8ToBytes(id), count))));
}

/** Adds 1 to every opened element (all evaluation rounds). */
const shiftEverything: Mutate = (m) =>
  m.phase === 'eval' ? { ...m, elements: packElements((unpackElements(m.elements, m.elements.length / 32, P) ?? []).map((v) => (v + 1n) % P)) } : m;

/** Expects no secret (decimal or hex) in any log record. */
function expectNoSecretsInLogs(logger: MemoryLogger, secrets: readonly bigint[]): void {
  const text = logger.records.map(formatLogRecord).join('\n');
  for (const s of secrets) {
    if (s < 1000n) continue; // tiny numbers occur naturally (rounds, counts)
    expect(text).not.toContain(s.toString());
    expect(text).not.toContain(s.toString(16));
  }
}

function expectNoSecretsInError(error: unknown, secrets: readonly bigint[]): void {
  const e = error as ThresholdError;
  const text = `${e.message}\n${JSON.stringify(e.meta)}\n${String(e.culprits)}`;
  for (const s of secrets) {
    expect(text).not.toContain(s.toString());
    expect(text).not.toContain(s.toString(16));
  }
}

describe('robust openings', () => {
  it('one liar at n=4 is corrected and named (and never logged with values)', async () => {
    const h = harness(4, 1, 'one-liar', { m2: shiftEverything });
    const s = scenario(h, 1, 4);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 4);
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))));
    for (const j of [0, 1, 3]) {
      expect(results[j]?.outputs).toEqual(s.expected);
      expect(results[j]?.suspects).toEqual(['m2']);
    }
    const warnings = h.logger.records.filter((r) => r.message === 'mpc wrong opening shares');
    expect(warnings.length).toBe(3); // once per honest member: later rounds leave the suspect out
    for (const w of warnings) expect(w.fields['culprits']).toEqual(['m2']);
    expectNoSecretsInLogs(h.logger, s.secrets);
  });

  it('a liar in one round, on one element, is corrected and named', async () => {
    const h = harness(4, 1, 'one-shot', {
      m0: (m) => {
        if (m.phase !== 'eval' || m.round !== 37) return m;
        const v = unpackElements(m.elements, m.elements.length / 32, P) as bigint[];
        v[2] = (v[2] as bigint) ^ 1n;
        return { ...m, elements: packElements(v) };
      },
    });
    const s = scenario(h, 1, 3);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 3);
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))));
    for (const j of [1, 2, 3]) expect(results[j]).toEqual({ outputs: s.expected, suspects: ['m0'] });
  });

  it('n=7, t=2: two liars are corrected and both named', async () => {
    const h = harness(7, 2, 'two-of-seven', { m1: shiftEverything, m5: shiftEverything });
    const s = scenario(h, 2, 2);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 2);
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))));
    for (const j of [0, 2, 3, 4, 6]) expect(results[j]).toEqual({ outputs: s.expected, suspects: ['m1', 'm5'] });
  });

  it('two liars at n=4 make honest members abort with a typed error, never a wrong output', async () => {
    const h = harness(4, 1, 'two-liars', { m1: shiftEverything, m3: shiftEverything });
    const s = scenario(h, 1, 2);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 2);
    const settled = await h.drive(
      Promise.allSettled(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))),
    );
    for (const j of [0, 2]) {
      const r = settled[j] as PromiseSettledResult<MimcEvaluation>;
      expect(r.status).toBe('rejected');
      const error = (r as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(ThresholdError);
      expect((error as ThresholdError).code).toBe('THRESHOLD_INCONSISTENT_SHARES');
      expect((error as ThresholdError).meta['round']).toBe(0);
      expectNoSecretsInError(error, s.secrets);
    }
    expectNoSecretsInLogs(h.logger, s.secrets);
  });

  it('a second liar after the first was caught aborts, naming the first', async () => {
    const late: Mutate = (m, to) => (m.phase === 'eval' && m.round >= 10 ? shiftEverything(m, to) : m);
    const h = harness(4, 1, 'late-liar', { m1: shiftEverything, m2: late });
    const s = scenario(h, 1, 1);
    await preprocess(h, h.engines, MIMC7_ROUNDS);
    const settled = await h.drive(
      Promise.allSettled(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))),
    );
    for (const j of [0, 3]) {
      const error = (settled[j] as PromiseRejectedResult).reason as ThresholdError;
      expect(error.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
      expect(error.meta['round']).toBe(10);
      expect(error.culprits).toContain('m1');
    }
  });
});

describe('client inputs (the first opening)', () => {
  it('a share a member declares unreadable is a missing share of that input only: right outputs, nobody named', async () => {
    const h = harness(4, 1, 'declared-share');
    const s = scenario(h, 1, 3);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 3);
    // m2 could not open its sealed share of input 1 (the client broke it): it declares it instead of sending a wrong share
    const inputsOf = (j: number) => s.inputsOf(j).map((input, i) => (j === 2 && i === 1 ? { x: 0n, d: input.d, declared: true } : input));
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), inputsOf(j), s.keyShares[j] as bigint))));
    for (const r of results) expect(r).toEqual({ outputs: s.expected, suspects: [] });
    expect(h.logger.records.filter((r) => r.message === 'mpc wrong opening shares')).toEqual([]);
    await expect(h.engines[0]!.evaluateMimc(utf8ToBytes('f'), [{ x: 1n, d: 0n, declared: 'yes' as never }], 1n)).rejects.toThrow(TypeError);
  });

  it('an input dealt off the polynomial at t + 1 members fails alone; the other inputs of the batch are right and nobody is named', async () => {
    const h = harness(4, 1, 'bad-input');
    const s = scenario(h, 1, 3);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 3);
    // the client of input 1 dealt m1 and m2 shares off its polynomial (more than the t = 1 errors a column can correct)
    const inputsOf = (j: number) => s.inputsOf(j).map((input, i) => (i === 1 && (j === 1 || j === 2) ? { ...input, x: (input.x + 5n) % P } : input));
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), inputsOf(j), s.keyShares[j] as bigint))));
    for (const r of results) {
      expect(r.failed).toEqual([1]);
      expect(r.suspects).toEqual([]);
      expect([r.outputs[0], r.outputs[2]]).toEqual([s.expected[0], s.expected[2]]);
    }
    expectNoSecretsInLogs(h.logger, s.secrets);
  });

  it('a declared share and a wrong share of the same input exceed what one input can lose: that input fails alone', async () => {
    const h = harness(4, 1, 'declared-and-wrong');
    const s = scenario(h, 1, 2);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 2);
    const inputsOf = (j: number) =>
      s.inputsOf(j).map((input, i) => (i !== 0 ? input : j === 3 ? { x: 0n, d: input.d, declared: true } : j === 1 ? { ...input, x: (input.x + 1n) % P } : input));
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), inputsOf(j), s.keyShares[j] as bigint))));
    for (const r of results) expect({ failed: r.failed, suspects: r.suspects, second: r.outputs[1] }).toEqual({ failed: [0], suspects: [], second: s.expected[1] });
  });

  it('a client that gets t + 1 honest members to declare, working with a lying member, gets its input refused, never a shifted output', async () => {
    // n = 4, t = 1: the client breaks m1's and m2's shares of input 0, so only m0's and m3's remain (t + 1, nothing to
    // check them against); m3 shifts its first-round share of that input. Before, the two shares were opened as they
    // were, and the honest members computed the PRF of another x (a fresh tag for the same person).
    const shiftInput0: Mutate = (m) => {
      if (m.phase !== 'eval' || m.round !== 0) return m;
      const L = 2;
      const v = unpackElements(m.elements.subarray(0, L * 32), L, P) as bigint[];
      v[0] = ((v[0] as bigint) + 5n) % P;
      return { ...m, elements: concatBytes(packElements(v), m.elements.subarray(L * 32)) };
    };
    const h = harness(4, 1, 'declared-and-shifted', { m3: shiftInput0 });
    const s = scenario(h, 1, 2);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 2);
    const inputsOf = (j: number) => s.inputsOf(j).map((input, i) => (i === 0 && (j === 1 || j === 2) ? { x: 0n, d: input.d, declared: true } : input));
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), inputsOf(j), s.keyShares[j] as bigint))));
    for (const j of [0, 1, 2]) {
      const r = results[j] as MimcEvaluation;
      expect(r.failed).toEqual([0]);
      expect(r.outputs[1]).toBe(s.expected[1]);
    }
  });
});

describe('silent members', () => {
  it('a member silent in an evaluation makes the others time out naming it', async () => {
    const h = harness(4, 1, 'silent-eval');
    const s = scenario(h, 1, 1);
    await preprocess(h, h.engines, MIMC7_ROUNDS);
    const start = h.clock.now();
    const settled = await h.drive(
      Promise.allSettled(h.engines.slice(0, 3).map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))),
    );
    expect(h.clock.now() - start).toBe(TIMEOUT);
    for (const r of settled) {
      expect(r.status).toBe('rejected');
      const error = (r as PromiseRejectedResult).reason as ThresholdError;
      expect(error.code).toBe('THRESHOLD_TIMEOUT');
      expect(error.culprits).toEqual(['m3']);
      expect(error.meta['round']).toBe(0);
      expectNoSecretsInError(error, s.secrets);
    }
    expectNoSecretsInLogs(h.logger, s.secrets);
  });

  it('a member silent in preprocessing fails the batch, and claims on it fail', async () => {
    const h = harness(4, 1, 'silent-pre');
    const live = h.engines.slice(1);
    const settled = await h.drive(Promise.allSettled(live.map((e) => e.preprocess(utf8ToBytes('pre'), MIMC7_ROUNDS))));
    for (const r of settled) {
      const error = (r as PromiseRejectedResult).reason as ThresholdError;
      expect(error.code).toBe('THRESHOLD_TIMEOUT');
      expect(error.culprits).toEqual(['m0']);
    }
    const e1 = live[0] as MpcEngine;
    expect(e1.stats().tuples).toEqual({ ready: 0, preparing: 0, failed: MIMC7_ROUNDS, claimed: 0 });
    await expect(e1.evaluateMimc(utf8ToBytes('e'), [{ x: 1n, d: 2n }], 3n)).rejects.toSatisfy((e) => isAdmitOneError(e, 'MPC_PREPROCESSING_FAILED'));
    expect(e1.available()).toBe(0);
    // Or the failed tuples can be skipped explicitly.
    const e2 = live[1] as MpcEngine;
    expect(e2.available()).toBe(MIMC7_ROUNDS);
    expect(e2.discardUnclaimed()).toBe(MIMC7_ROUNDS);
    expect(e2.available()).toBe(0);
    expect(e2.stats().tuples).toEqual({ ready: 0, preparing: 0, failed: 0, claimed: MIMC7_ROUNDS });
  });
});

/**
 * The attack robust openings cannot see: member `m${liar}` (of m0…m3) re-shares
 * its products in preprocessing round `round` plus δ with a consistent
 * degree-1 polynomial, shifting each receiver's sub-share by δ·(1 − x_to/x_liar).
 * Its own sub-share is unchanged, so every member's shares stay on one
 * polynomial: only the shared *value* is wrong. The round's vector holds
 * `blocks` products of `made` tuples each (the first half kept, the second
 * sacrificed when verifying); `select(block, index, made)` says which
 * elements to shift (default: all).
 */
function consistentShift(liar: number, delta: bigint, round: number, blocks = 1, select: (block: number, index: number, made: number) => boolean = () => true): Mutate {
  const members = ['m0', 'm1', 'm2', 'm3'];
  const pointOf = memberPoints(members);
  const xl = pointOf.get(`m${liar}`) as bigint;
  return (m, to) => {
    if (m.phase !== 'pre' || m.round !== round || to === 'all') return m;
    const shift = F.mul(delta, F.sub(1n, F.div(pointOf.get(to) as bigint, xl)));
    const v = unpackElements(m.elements, m.elements.length / 32, P) as bigint[];
    const made = v.length / blocks;
    return { ...m, elements: packElements(v.map((e, i) => (select(Math.floor(i / made), i % made, made) ? F.add(e, shift) : e))) };
  };
}

describe('verified preprocessing (sacrifice)', () => {
  it('honest members pass the check, and the verified tuples give the right outputs', async () => {
    const h = harness(4, 1, 'verified-honest');
    const s = scenario(h, 1, 3);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 3);
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))));
    for (const r of results) expect(r).toEqual({ outputs: s.expected, suspects: [] });
  });

  it('without the check, a consistent re-sharing error goes unseen and the outputs are wrong (the attack is real)', async () => {
    const h = harness(4, 1, 'unverified-shift', { m1: consistentShift(1, 5n, 1) }, { verifyTuples: false });
    const s = scenario(h, 1, 2);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 2);
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))));
    for (const j of [0, 2, 3]) {
      expect(results[j]?.suspects).toEqual([]); // nothing looked wrong to the openings
      for (let i = 0; i < s.expected.length; i++) expect(results[j]?.outputs[i]).not.toBe(s.expected[i]);
    }
  });

  it('with the check (the default), the same error fails the batch at every member, with no usable tuples and no secret in the error', async () => {
    const h = harness(4, 1, 'verified-shift', { m1: consistentShift(1, 5n, 1) });
    const settled = await h.drive(Promise.allSettled(h.engines.map((e) => e.preprocess(utf8ToBytes('pre'), MIMC7_ROUNDS))));
    for (const r of settled) {
      expect(r.status).toBe('rejected');
      const error = (r as PromiseRejectedResult).reason as ThresholdError;
      expect(error).toBeInstanceOf(ThresholdError);
      expect(error.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
      expect(error.culprits).toEqual([]); // the check shows that a tuple is wrong, not who made it so
    }
    for (const e of h.engines) {
      expect(e.stats().tuples).toMatchObject({ ready: 0, failed: MIMC7_ROUNDS });
      await expect(e.evaluateMimc(utf8ToBytes('e'), [{ x: 1n, d: 2n }], 3n)).rejects.toSatisfy((x) => isAdmitOneError(x, 'MPC_PREPROCESSING_FAILED'));
    }
    expect(h.logger.records.filter((r) => r.message === 'mpc preprocessing check failed; the batch is discarded')).toHaveLength(4);
  });

  it('an error in the sacrificed half alone is caught too', async () => {
    // only the second half of the [r²] re-sharing: the tuples made to be sacrificed
    const h = harness(4, 1, 'verified-shift-sacrificed', { m1: consistentShift(1, 7n, 1, 1, (_b, i, made) => i >= made / 2) });
    const settled = await h.drive(Promise.allSettled(h.engines.map((e) => e.preprocess(utf8ToBytes('pre'), 8))));
    for (const r of settled) expect(((r as PromiseRejectedResult).reason as ThresholdError).code).toBe('THRESHOLD_INCONSISTENT_SHARES');
  });

  it.each([
    ['[r³]', 2, 0, 2],
    ['[r⁴]', 2, 1, 2],
    ['[r⁵]', 3, 0, 3],
    ['[r⁷]', 3, 2, 3],
  ])('an error in only the kept %s is caught', async (_name, round, block, blocks) => {
    // δ = 1 on the kept half of one product block of the round
    const h = harness(4, 1, `verified-shift-${round}-${block}`, { m1: consistentShift(1, 1n, round, blocks, (b, i, made) => b === block && i < made / 2) });
    const settled = await h.drive(Promise.allSettled(h.engines.map((e) => e.preprocess(utf8ToBytes('pre'), 6))));
    for (const r of settled) expect(((r as PromiseRejectedResult).reason as ThresholdError).code).toBe('THRESHOLD_INCONSISTENT_SHARES');
  });

  it('a member that also lies in the check openings is corrected there and named in the failure', async () => {
    const shift = consistentShift(1, 3n, 1);
    const h = harness(4, 1, 'verified-shift-and-lie', { m1: (m, to) => (m.phase === 'pre' && m.round === 7 ? { ...m, elements: packElements([12345n]) } : shift(m, to)) });
    const settled = await h.drive(Promise.allSettled(h.engines.map((e) => e.preprocess(utf8ToBytes('pre'), 4))));
    for (const j of [0, 2, 3]) {
      const error = (settled[j] as PromiseRejectedResult).reason as ThresholdError;
      expect(error.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
      expect(error.culprits).toEqual(['m1']);
    }
  });

  it('members that disagree about verification fail the batch instead of mixing tuples', async () => {
    const h = harness(4, 1, 'verify-mismatch');
    const odd = createMpcEngine({ transport: h.transports[0] as Transport, degree: 1, random: seededRandom('odd'), clock: h.clock, logger: h.logger, timeoutMs: TIMEOUT, verifyTuples: false });
    cleanups.push(async () => odd.close());
    h.engines[0]?.close();
    const settled = await h.drive(Promise.allSettled([odd, ...h.engines.slice(1)].map((e) => e.preprocess(utf8ToBytes('pre'), 4))));
    for (const r of settled) expect(r.status).toBe('rejected');
  });

  it('refuses a non-boolean verifyTuples', () => {
    const h = harness(4, 1, 'verify-option');
    expect(() =>
      createMpcEngine({ transport: h.transports[0] as Transport, degree: 1, random: h.random, clock: h.clock, verifyTuples: 'yes' as unknown as boolean }),
    ).toThrow(TypeError);
  });
});

describe('signed preprocessing transcripts: a failed check names the cheater', () => {
  /** Preprocessing of `count` tuples on every engine, settled. */
  const attempt = (h: Harness, count: number) => Promise.allSettled(h.engines.map((e) => e.preprocess(utf8ToBytes('pre'), count)));
  const reasonOf = (r: PromiseSettledResult<unknown> | undefined) => (r as PromiseRejectedResult).reason as ThresholdError;

  it('honest signed members pass the check, raise no alarm, and the tuples give the right outputs', async () => {
    const h = harness(4, 1, 'signed-honest', {}, { signing: true });
    const s = scenario(h, 1, 2);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 2);
    for (const e of h.engines) {
      expect(e.stats().tuples.ready).toBe(MIMC7_ROUNDS * 2);
      expect(Object.values(e.stats().dropped).every((n) => n === 0)).toBe(true);
    }
    expect(h.logger.records.filter((r) => r.level === 'warn' || r.level === 'error')).toEqual([]);
    const results = await Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint)));
    for (const r of results) expect(r).toEqual({ outputs: s.expected, suspects: [] });
  });

  it.each([
    ['the [r²] re-sharing (round 1)', 1, 1, 0],
    ['the [r⁴] re-sharing (round 2)', 2, 2, 1],
    ['the [r⁷] re-sharing (round 3)', 3, 3, 2],
  ])('a consistent error in %s is traced to its author', async (_name, round, blocks, block) => {
    const h = harness(4, 1, `signed-shift-${round}`, { m1: consistentShift(1, 5n, round, blocks, (b) => b === block) }, { signing: true });
    const settled = await attempt(h, 6);
    for (const j of [0, 2, 3]) {
      const error = reasonOf(settled[j]);
      expect(error.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
      expect(error.culprits).toEqual(['m1']);
      expect(error.meta).toMatchObject({ deviationRound: round });
    }
    for (const e of h.engines) expect(e.stats().tuples).toMatchObject({ ready: 0, failed: 6 });
  });

  it('an error in the joint random dealing (round 0) is traced too', async () => {
    // m2 adds 9 to the value it deals, consistently: its dealing stays a degree-1 sharing, of the wrong value
    const shiftDealing: Mutate = (m, to) => {
      if (m.phase !== 'pre' || m.round !== 0 || to === 'all') return m;
      const v = unpackElements(m.elements, m.elements.length / 32, P) as bigint[];
      return { ...m, elements: packElements(v.map((e) => F.add(e, 9n))) };
    };
    const h = harness(4, 1, 'signed-shift-0', { m2: shiftDealing }, { signing: true });
    const settled = await attempt(h, 4);
    // m2 keeps its own share unshifted, so its dealing is not one sharing, and its later products are off;
    // the replay shows its round-0 messages are not what its seed deals
    for (const j of [0, 1, 3]) {
      expect(reasonOf(settled[j]).culprits).toEqual(['m2']);
      expect(reasonOf(settled[j]).meta).toMatchObject({ deviationRound: 0 });
    }
  });

  it('a rewritten message without a valid signature from its sender is refused on receipt, naming the sender', async () => {
    const shift = consistentShift(1, 5n, 1);
    const h = harness(4, 1, 'signed-unsigned', { m1: (m, to) => { const out = shift(m, to); return out === null ? null : { ...out, signature: new Uint8Array(64) }; } }, { signing: true });
    const settled = await attempt(h, 4);
    for (const j of [0, 2, 3]) {
      const error = reasonOf(settled[j]);
      expect(error.code).toBe('THRESHOLD_PROTOCOL');
      expect(error.culprits).toEqual(['m1']);
      expect(h.engines[j]?.stats().dropped.malformed).toBeGreaterThan(0);
    }
  });

  it('a member that forges a record in its revelation is named beside the cheater; the member it tried to frame is not', async () => {
    const shift = consistentShift(1, 5n, 1);
    // m2 deals honestly but, in the revelation (the round after the check's agreement), flips a digest byte of what m3 sent it in round 0
    const forge: Mutate = (m) => {
      if (m.phase !== 'pre' || m.round !== REVEAL_ROUND) return m;
      const e = m.elements.slice();
      e[5 * 32 + 2 * 96] = (e[5 * 32 + 2 * 96] as number) ^ 1; // round 0, the third other member (m3): first digest byte
      return { ...m, elements: e };
    };
    const h = harness(4, 1, 'signed-forger', { m1: shift, m2: forge }, { signing: true });
    const settled = await attempt(h, 4);
    for (const j of [0, 3]) expect(reasonOf(settled[j]).culprits).toEqual(['m1', 'm2']);
  });

  it('a cheater that will not reveal its transcript is named for it', async () => {
    const shift = consistentShift(1, 5n, 1);
    const h = harness(4, 1, 'signed-silent', { m1: (m, to) => (m.phase === 'pre' && m.round === REVEAL_ROUND ? null : shift(m, to)) }, { signing: true });
    const settled = await attempt(h, 4);
    for (const j of [0, 2, 3]) {
      const error = reasonOf(settled[j]);
      expect(error.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
      expect(error.culprits).toEqual(['m1']);
      expect(error.meta).toMatchObject({ unrevealed: ['m1'] });
    }
  });

  it('refuses malformed signing options', () => {
    const h = harness(4, 1, 'signing-options');
    const base = { transport: h.transports[0] as Transport, degree: 1, random: h.random, clock: h.clock };
    const crypto = nobleCrypto();
    const keys = new Map(h.members.map((m) => [m, new Uint8Array(32)]));
    expect(() => createMpcEngine({ ...base, signing: { crypto, secretKey: new Uint8Array(31), publicKeys: keys } })).toThrow(TypeError);
    expect(() => createMpcEngine({ ...base, signing: { crypto, secretKey: new Uint8Array(32), publicKeys: new Map([['m0', new Uint8Array(32)]]) } })).toThrow(RangeError);
    expect(() => createMpcEngine({ ...base, signing: { crypto: {} as never, secretKey: new Uint8Array(32), publicKeys: keys } })).toThrow(TypeError);
  });
});

/** What a member signs in the alarm agreement: `[tag, phase, session, round, context, 'fail' | 'relay', originator]`. */
function signAlarm(m: MpcMessage, round: number, role: 'fail' | 'relay', originator: string, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(encode(['admitone/mpc/alarm/v1', m.phase, m.session, round, m.context, role, originator]), secretKey);
}

/** An alarm chain on the wire: per link, the signer's member index as one packed element, then its signature. */
function chain(links: readonly (readonly [number, Uint8Array])[]): Uint8Array {
  return concatBytes(...links.flatMap(([signer, signature]) => [packElements([BigInt(signer)]), signature]));
}

/** Adds `delta` to every element the liar deals `victim` in preprocessing round `round` (the harness signs it again, as a cheater would). */
function dealWrongTo(victim: string, round: number, delta: bigint): Mutate {
  return (m, to) => {
    if (m.phase !== 'pre' || m.round !== round || to !== victim) return m;
    const v = unpackElements(m.elements, m.elements.length / 32, P) as bigint[];
    return { ...m, elements: packElements(v.map((e) => F.add(e, delta))) };
  };
}

describe('signed preprocessing: a member dealt a wrong share raises an alarm, and every member agrees on it', () => {
  const attempt = (h: Harness, count: number) => Promise.allSettled(h.engines.map((e) => e.preprocess(utf8ToBytes('pre'), count)));
  const reasonOf = (r: PromiseSettledResult<unknown> | undefined) => (r as PromiseRejectedResult).reason as ThresholdError;
  const alarmsIn = (h: Harness) => h.logger.records.filter((r) => r.message === 'mpc preprocessing alarm raised; the chunk is discarded');
  const HONEST = [0, 2, 3];

  // m3 re-shares nothing (the resharers are the 2t + 1 = 3 members with the smallest points), so a wrong share dealt to it
  // feeds nobody else: the tuples' values stay right and the check's z is 0. Robust openings correct m3's share and suspect
  // m3; only m3 can tell, because its own share disagrees with what an opening decodes to.
  it.each([
    ['the [u] dealing (round 4; m3 sees it opening u)', 4],
    ['the [r] dealing (round 0; m3 sees it opening ρ)', 0],
    ['the [r²] re-sharing (round 1; m3 sees it opening z)', 1],
    ['the [r⁵, r⁶, r⁷] re-sharing (round 3; m3 sees it opening z)', 3],
  ])('a wrong share dealt to one member in %s discards the chunk everywhere and names the dealer, never the victim', async (_name, round) => {
    const h = harness(4, 1, `framing-${round}`, { m1: dealWrongTo('m3', round, 5n) }, { signing: true });
    const settled = await attempt(h, MIMC7_ROUNDS);
    for (const j of HONEST) {
      const error = reasonOf(settled[j]);
      expect(error.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
      expect(error.culprits).toEqual(['m1']); // the victim m3 is not named, not even by itself
      expect(error.meta).toMatchObject({ deviationRound: round });
      expect(error.meta).not.toHaveProperty('falseAlarm');
      const engine = h.engines[j] as MpcEngine;
      expect(engine.stats().tuples).toMatchObject({ ready: 0, failed: MIMC7_ROUNDS });
      await expect(engine.evaluateMimc(utf8ToBytes('e'), [{ x: 1n, d: 2n }], 3n)).rejects.toSatisfy((x) => isAdmitOneError(x, 'MPC_PREPROCESSING_FAILED'));
    }
    // the chunk failed on m3's alarm, which every member (the dealer's engine too) accepted
    const alarms = alarmsIn(h);
    expect(alarms).toHaveLength(4);
    for (const a of alarms) expect(a.fields['raisedBy']).toEqual(['m3']);
  });

  it('when the victim’s error and a liar make an opening undecodable at one member, that member raises the alarm too: only the cheater is named', async () => {
    // m1 deals m3 a wrong [u] share (round 4) and, opening u (round 5), sends m0 alone a wrong share too: m0 sees two
    // wrong shares of four, more than t = 1 can be corrected. Aborting there would leave m0 silent in round 6 and get it
    // named by the others' timeouts; instead m0 raises the alarm and carries on with zeros.
    const openToM0: Split = (m, to) => {
      if (m.phase !== 'pre' || m.round !== 5 || to !== 'm0') return m;
      const v = unpackElements(m.elements, 1, P) as bigint[];
      return { ...m, elements: packElements([F.add(v[0] as bigint, 1n)]) };
    };
    const h = harness(4, 1, 'alarm-undecodable', { m1: dealWrongTo('m3', 4, 5n) }, { signing: true, split: { m1: openToM0 } });
    const settled = await attempt(h, 4);
    for (const j of HONEST) {
      const error = reasonOf(settled[j]);
      expect(error.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
      expect(error.culprits).toEqual(['m1']);
      expect(error.meta).toMatchObject({ deviationRound: 4 });
    }
    expect(h.logger.records.some((r) => r.message === 'mpc opening failed' && r.fields['member'] === 'm0' && r.fields['round'] === 5)).toBe(true);
  });

  it('without signing keys the same attack passes the check, and robust openings suspect the victim (the documented gap)', async () => {
    const h = harness(4, 1, 'framing-unsigned', { m1: dealWrongTo('m3', 1, 5n) });
    const s = scenario(h, 1, 1);
    await preprocess(h, h.engines, MIMC7_ROUNDS);
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))));
    for (const j of [0, 2]) expect(results[j]).toEqual({ outputs: s.expected, suspects: ['m3'] });
    expect(alarmsIn(h)).toEqual([]);
  });

  it('a false alarm discards the chunk everywhere and names whoever raised it, and no one else', async () => {
    const key = secretKeyOf('false-alarm', 'm1');
    const raise: Mutate = (m) =>
      m.phase === 'pre' && m.round === AGREEMENT_ROUND ? { ...m, elements: chain([[1, signAlarm(m, AGREEMENT_ROUND, 'fail', 'm1', key)]]) } : m;
    const h = harness(4, 1, 'false-alarm', { m1: raise }, { signing: true });
    const settled = await attempt(h, 4);
    for (const j of HONEST) {
      const error = reasonOf(settled[j]);
      expect(error.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
      expect(error.culprits).toEqual(['m1']);
      expect(error.meta).toMatchObject({ falseAlarm: ['m1'] });
      expect(error.meta).not.toHaveProperty('deviationRound');
      expect(h.engines[j]?.stats().tuples).toMatchObject({ ready: 0, failed: 4 });
    }
  });

  it('an alarm sent to one member only, in the first agreement round, is relayed: every member discards the chunk alike', async () => {
    const key = secretKeyOf('split-first', 'm1');
    const toM0Only: Split = (m, to) =>
      m.phase === 'pre' && m.round === AGREEMENT_ROUND && to === 'm0' ? { ...m, elements: chain([[1, signAlarm(m, AGREEMENT_ROUND, 'fail', 'm1', key)]]) } : m;
    const h = harness(4, 1, 'split-first', {}, { signing: true, split: { m1: toM0Only } });
    const settled = await attempt(h, 4);
    for (const j of HONEST) {
      const error = reasonOf(settled[j]);
      expect(error.culprits).toEqual(['m1']);
      expect(error.meta).toMatchObject({ falseAlarm: ['m1'] });
      expect(h.engines[j]?.stats().tuples).toMatchObject({ ready: 0, failed: 4 });
    }
  });

  const lastRound: [string, (m: MpcMessage, key: Uint8Array) => Uint8Array][] = [
    ['its FAIL alone (one signature where two are needed)', (m, key) => chain([[1, signAlarm(m, AGREEMENT_ROUND, 'fail', 'm1', key)]])],
    [
      'its FAIL relayed by itself (two signatures, one signer)',
      (m, key) => chain([[1, signAlarm(m, AGREEMENT_ROUND, 'fail', 'm1', key)], [1, signAlarm(m, AGREEMENT_ROUND + 1, 'relay', 'm1', key)]]),
    ],
    [
      'its FAIL with a relay by a signer that is no member (index 9 of 4)',
      (m, key) => chain([[1, signAlarm(m, AGREEMENT_ROUND, 'fail', 'm1', key)], [9, signAlarm(m, AGREEMENT_ROUND + 1, 'relay', 'm1', key)]]),
    ],
    [
      "its FAIL with a relay it signed in m2's name",
      (m, key) => chain([[1, signAlarm(m, AGREEMENT_ROUND, 'fail', 'm1', key)], [2, signAlarm(m, AGREEMENT_ROUND + 1, 'relay', 'm1', key)]]),
    ],
  ];
  it.each(lastRound)('an alarm sent to one member only in the last agreement round, as %s, is dropped: every member keeps the chunk', async (_name, make) => {
    const key = secretKeyOf('split-last', 'm1');
    const toM0Only: Split = (m, to) => (m.phase === 'pre' && m.round === AGREEMENT_ROUND + 1 && to === 'm0' ? { ...m, elements: make(m, key) } : m);
    const h = harness(4, 1, 'split-last', {}, { signing: true, split: { m1: toM0Only } });
    const s = scenario(h, 1, 1);
    await preprocess(h, h.engines, MIMC7_ROUNDS);
    for (const e of h.engines) expect(e.stats().tuples.ready).toBe(MIMC7_ROUNDS);
    expect(h.engines[0]?.stats().dropped.malformed).toBe(1);
    const warnings = h.logger.records.filter((r) => r.message === 'mpc preprocessing alarm message unusable');
    expect(warnings.map((w) => w.fields['culprits'])).toEqual([['m1']]);
    const results = await Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint)));
    for (const r of results) expect(r).toEqual({ outputs: s.expected, suspects: [] });
  });

  it('n=7, t=2: colluders that relay an alarm to one member only, in the second of three rounds, cannot split the decision', async () => {
    // m1 keeps its FAIL to itself in round 1; in round 2, m5 sends m0 alone the chain [m1's FAIL, m5's relay]. m0 accepts it
    // (two distinct signers in round 2) and relays it in round 3 with its own signature, so everyone accepts (three).
    const k1 = secretKeyOf('split-colluders', 'm1');
    const k5 = secretKeyOf('split-colluders', 'm5');
    const relay: Split = (m, to) =>
      m.phase === 'pre' && m.round === AGREEMENT_ROUND + 1 && to === 'm0'
        ? { ...m, elements: chain([[1, signAlarm(m, AGREEMENT_ROUND, 'fail', 'm1', k1)], [5, signAlarm(m, AGREEMENT_ROUND + 1, 'relay', 'm1', k5)]]) }
        : m;
    const h = harness(7, 2, 'split-colluders', {}, { signing: true, split: { m5: relay } });
    const settled = await attempt(h, 4);
    for (const j of [0, 2, 3, 4, 6]) {
      const error = reasonOf(settled[j]);
      expect(error.code).toBe('THRESHOLD_INCONSISTENT_SHARES');
      expect(error.culprits).toEqual(['m1']); // the originator; a relay proves nothing false
      expect(error.meta).toMatchObject({ falseAlarm: ['m1'] });
      expect(h.engines[j]?.stats().tuples).toMatchObject({ ready: 0, failed: 4 });
    }
  });
});

describe('closing', () => {
  it('close() fails pending preprocessing and evaluations with MPC_CLOSED', async () => {
    const h = harness(4, 1, 'close');
    const [e0] = h.engines as [MpcEngine];
    const pre = e0.preprocess(utf8ToBytes('pre'), MIMC7_ROUNDS); // the others never join
    const evaluation = e0.evaluateMimc(utf8ToBytes('e'), [{ x: 1n, d: 2n }], 3n); // waits for that batch
    await h.flush();
    e0.close();
    await expect(pre).rejects.toSatisfy((e) => isAdmitOneError(e, 'MPC_CLOSED'));
    await expect(evaluation).rejects.toSatisfy((e) => isAdmitOneError(e, 'MPC_CLOSED'));
  });
});

describe('confused members and malformed traffic', () => {
  it('a member with a different public d is outvoted (and fails itself); no wrong output', async () => {
    const h = harness(4, 1, 'wrong-d');
    const s = scenario(h, 1, 2);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 2);
    const settled = await h.drive(
      Promise.allSettled(
        h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j, j === 3 ? [5n, 6n] : s.ds), s.keyShares[j] as bigint)),
      ),
    );
    for (const j of [0, 1, 2]) expect(settled[j]).toEqual({ status: 'fulfilled', value: { outputs: s.expected, suspects: ['m3'] } });
    expect(settled[3]?.status).toBe('rejected');
    expect(((settled[3] as PromiseRejectedResult).reason as ThresholdError).code).toBe('THRESHOLD_NOT_ENOUGH_SHARES');
    expect(h.engines[0]?.stats().dropped.context).toBe(1);
  });

  it('wrong-length and out-of-field opening vectors make their senders suspects; the drops are counted', async () => {
    const h = harness(4, 1, 'bad-vectors', {
      m1: (m) => (m.phase === 'eval' && m.round === 3 ? { ...m, elements: m.elements.subarray(32) } : m),
      m2: (m) => (m.phase === 'eval' && m.round === 5 ? { ...m, elements: packElements([P, ...(unpackElements(m.elements, 2, P) ?? []).slice(1)]) } : m),
    });
    const s = scenario(h, 1, 2);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 2);
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))));
    // Unusable vectors are erasures (cost 1 each, not 2): the two honest members still hold t + 1 = 2 good shares.
    for (const j of [0, 3]) {
      expect(results[j]).toEqual({ outputs: s.expected, suspects: ['m1', 'm2'] });
      expect(h.engines[j]?.stats().dropped.malformed).toBe(2);
    }
  });

  it('a single wrong-length vector is tolerated', async () => {
    const h = harness(4, 1, 'short-vector', { m1: (m) => (m.phase === 'eval' && m.round === 90 ? { ...m, elements: new Uint8Array(0) } : m) });
    const s = scenario(h, 1, 2);
    await preprocess(h, h.engines, MIMC7_ROUNDS * 2);
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))));
    for (const j of [0, 2, 3]) {
      expect(results[j]).toEqual({ outputs: s.expected, suspects: ['m1'] });
      expect(h.engines[j]?.stats().dropped.malformed).toBe(1);
    }
  });

  it('drops garbage, strangers, duplicates, stale and premature messages without crashing', async () => {
    const h = harness(4, 1, 'garbage');
    const s = scenario(h, 1, 1);
    const [e0] = h.engines as [MpcEngine];
    const m1 = h.transports[1] as Transport;
    const context = new Uint8Array(CONTEXT_DIGEST_BYTES);
    const message = (fields: Partial<MpcMessage>): Uint8Array =>
      encodeMpcMessage({ phase: 'eval', session: utf8ToBytes('x'), round: 0, context, elements: new Uint8Array(32), ...fields });
    // Before any session: garbage, wrong shapes, a stranger, a premature round, then a duplicate of a buffered message.
    await m1.send('m0', Uint8Array.of(0xff, 0x00));
    await m1.send('m0', encode({ v: 1 }));
    await m1.send('m0', encode({ v: 2, p: 'eval', s: utf8ToBytes('x'), r: 0, h: context, e: new Uint8Array(0) }));
    await m1.send('m0', message({ elements: new Uint8Array(31) }));
    await h.intruder.send('m0', message({}));
    await m1.send('m0', message({ round: 5 }));
    await m1.send('m0', message({ session: utf8ToBytes('early') }));
    await m1.send('m0', message({ session: utf8ToBytes('early') }));
    await h.flush();
    expect(e0.stats().dropped).toMatchObject({ malformed: 4, unknownSender: 1, unexpectedRound: 1, duplicate: 1 });
    expect(e0.stats().bufferedBytes).toBeGreaterThan(0);

    // The engine still works, and messages for a finished session are stale.
    await preprocess(h, h.engines, MIMC7_ROUNDS);
    const results = await h.drive(Promise.all(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))));
    for (const r of results) expect(r).toEqual({ outputs: s.expected, suspects: [] });
    await m1.send('m0', message({ session: utf8ToBytes('e'), round: 3 }));
    await h.flush();
    expect(e0.stats().dropped.stale).toBe(1);
  });

  it('bounds what it buffers for sessions it has not opened', async () => {
    const h = harness(4, 1, 'flood');
    const [e0] = h.engines as [MpcEngine];
    const m1 = h.transports[1] as Transport;
    const context = new Uint8Array(CONTEXT_DIGEST_BYTES);
    for (let i = 0; i < 300; i++) {
      await m1.send('m0', encodeMpcMessage({ phase: 'pre', session: utf8ToBytes(`s${i}`), round: 0, context, elements: new Uint8Array(64) }));
    }
    await h.flush();
    expect(e0.stats().dropped.overflow).toBe(300 - 256);
    expect(e0.stats().bufferedBytes).toBe(256 * (64 + 128));
  });

  it('members whose call sequences differ never compute with misaligned tuples', async () => {
    const h = harness(4, 1, 'misaligned');
    const s = scenario(h, 1, 1);
    await preprocess(h, h.engines, 2 * MIMC7_ROUNDS);
    // m0 and m1 evaluate "warm-up" first; m2 and m3 skip it, so for "e" they claim different tuples.
    const warm = h.engines.slice(0, 2).map((e, j) => e.evaluateMimc(utf8ToBytes('warm-up'), s.inputsOf(j), s.keyShares[j] as bigint));
    warm.forEach((p) => p.catch(() => {}));
    const settled = await h.drive(
      Promise.allSettled(h.engines.map((e, j) => e.evaluateMimc(utf8ToBytes('e'), s.inputsOf(j), s.keyShares[j] as bigint))),
    );
    // Each pair shares consistent tuples, so it may still open correctly with t + 1 = 2 shares; nobody may output garbage.
    for (const r of settled) if (r.status === 'fulfilled') expect(r.value.outputs).toEqual(s.expected);
    for (const e of h.engines) expect(e.stats().dropped.context).toBe(2);
    const warmed = await h.drive(Promise.allSettled(warm));
    for (const r of warmed) expect(((r as PromiseRejectedResult).reason as ThresholdError).code).toBe('THRESHOLD_TIMEOUT');
  });
});
