import type { FROST, FrostSecret, Key, NonceCommitments } from '@noble/curves/abstract/frost.js';
import { ed25519, ed25519_FROST, ristretto255_FROST } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  decode,
  defaultCrypto,
  encode,
  memoryNetwork,
  nobleCrypto,
  seededRandom,
  utf8ToBytes,
  virtualClock,
  type CborRecord,
  type Transport,
} from '../src/index.js';
import { DKG_PROTOCOL, ThresholdError, memberPoints, runDkg, type DkgResult } from '../src/threshold/index.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${String.fromCharCode(97 + ((i * 3) % n))}`); // unsorted names

/** A network whose deliveries wait in a queue until flushed (deterministic; delivery may trigger more sends). */
function manualNetwork(members: readonly string[]) {
  const queue: (() => void)[] = [];
  const net = memoryNetwork({ members, schedule: (_e, deliver) => queue.push(deliver), capabilities: { ordered: true, reliable: true } });
  const flush = (): void => {
    while (queue.length > 0) queue.shift()!();
  };
  return { net, flush };
}

interface Member {
  readonly id: string;
  readonly suite?: FROST;
  readonly transport?: (t: Transport) => Transport;
}

/** Runs a DKG among `members` (some possibly byzantine via a wrapped suite/transport); returns each run's outcome. */
async function dkg(suite: FROST, members: readonly string[], threshold: number, overrides: readonly Member[] = [], opts: { seed?: string; absent?: string } = {}) {
  const { net, flush } = manualNetwork(members);
  const clock = virtualClock();
  const present = members.filter((id) => id !== opts.absent);
  const transports = present.map((id) => net.transport(id));
  const runs = transports.map((t) => {
    const o = overrides.find((m) => m.id === t.localId);
    return runDkg({
      suite: o?.suite ?? suite,
      transport: o?.transport?.(t) ?? t,
      sessionId: 'dkg-1',
      threshold,
      random: seededRandom(`${opts.seed ?? 'dkg'}/${t.localId}`),
      clock,
      timeoutMs: 10_000,
    });
  });
  const settled = Promise.allSettled(runs);
  flush();
  clock.advance(10_000); // anything still waiting times out
  const results = await settled;
  await net.close();
  return new Map(present.map((id, i) => [id, results[i]!]));
}

function fulfilled(r: PromiseSettledResult<DkgResult> | undefined): DkgResult {
  if (r?.status !== 'fulfilled') throw new Error(`expected success, got ${String((r as PromiseRejectedResult | undefined)?.reason)}`);
  return r.value;
}

function rejected(r: PromiseSettledResult<DkgResult> | undefined): ThresholdError {
  expect(r?.status).toBe('rejected');
  const e = (r as PromiseRejectedResult).reason as ThresholdError;
  expect(e).toBeInstanceOf(ThresholdError);
  return e;
}

/** FROST-signs `msg` with the first `threshold` members' keys (noble's commit/signShare/aggregate). */
function frostSign(suite: FROST, keys: readonly Key[], msg: Uint8Array): Uint8Array {
  const rng = seededRandom('nonces');
  const nonceRng = (n = 32) => new Uint8Array(rng.bytes(n));
  const signers = keys.map((k) => ({ key: k, ...suite.commit(k.secret, nonceRng) }));
  const commitments: NonceCommitments[] = signers.map((s) => s.commitments);
  const pub = keys[0]!.public;
  const shares = Object.fromEntries(signers.map((s) => [s.key.secret.identifier, suite.signShare(s.key.secret, pub, s.nonces, commitments, msg)]));
  return suite.aggregate(pub, commitments, msg, shares);
}

describe('runDkg', () => {
  for (const [n, threshold] of [
    [4, 2],
    [7, 3],
  ] as const) {
    it(`ed25519 n = ${n}, min ${threshold}: one group key, shares on Shamir x's, signatures verify as plain Ed25519`, async () => {
      const members = ids(n);
      const results = await dkg(ed25519_FROST, members, threshold);
      const outs = members.map((id) => fulfilled(results.get(id)));
      const group = outs[0]!.groupPublicKey;
      for (const o of outs) {
        expect(bytesToHex(o.groupPublicKey)).toBe(bytesToHex(group));
        expect(o.key.public.commitments.map(bytesToHex)).toEqual(outs[0]!.key.public.commitments.map(bytesToHex));
      }
      // identifiers follow memberPoints, so FROST shares line up with Shamir x-coordinates
      const points = memberPoints(members);
      members.forEach((id, i) => {
        expect(outs[i]!.identifiers.get(id)).toBe(ed25519_FROST.Identifier.fromNumber(Number(points.get(id))));
        expect(outs[i]!.key.secret.identifier).toBe(outs[i]!.identifiers.get(id));
      });
      // the group key is the public key of combineSecret(any `threshold` shares)
      const secrets: FrostSecret[] = outs.map((o) => o.key.secret);
      const combined = ed25519_FROST.combineSecret(secrets.slice(0, threshold), { min: threshold, max: n });
      const again = ed25519_FROST.combineSecret(secrets.slice(n - threshold), { min: threshold, max: n });
      expect(bytesToHex(again)).toBe(bytesToHex(combined));
      const Fn = ed25519_FROST.utils.Fn;
      expect(ed25519.Point.BASE.multiply(Fn.fromBytes(combined)).toHex()).toBe(bytesToHex(group));
      // a threshold signature is a standard Ed25519 signature under the group key
      const msg = utf8ToBytes('credential: holder key …');
      const sig = frostSign(ed25519_FROST, outs.slice(1, 1 + threshold).map((o) => o.key), msg);
      expect(ed25519.verify(sig, msg, group)).toBe(true);
      expect(await nobleCrypto().verify(sig, msg, group)).toBe(true);
      expect(await (await defaultCrypto()).verify(sig, msg, group)).toBe(true);
      expect(await nobleCrypto().verify(sig, utf8ToBytes('other'), group)).toBe(false);
    });
  }

  it('ristretto255 n = 4, min 2: the suite verifies the threshold signature', async () => {
    const members = ids(4);
    const results = await dkg(ristretto255_FROST, members, 2);
    const outs = members.map((id) => fulfilled(results.get(id)));
    const msg = utf8ToBytes('tdh2 committee');
    const sig = frostSign(ristretto255_FROST, [outs[3]!.key, outs[0]!.key], msg);
    expect(ristretto255_FROST.verify(sig, msg, outs[0]!.groupPublicKey)).toBe(true);
  });

  it('is deterministic under seeds', async () => {
    const members = ids(4);
    const key = async (seed: string) => bytesToHex(fulfilled((await dkg(ed25519_FROST, members, 2, [], { seed })).get(members[0]!)).groupPublicKey);
    expect(await key('x')).toBe(await key('x'));
    expect(await key('x')).not.toBe(await key('y'));
  });

  it('names a member whose round-1 proof of knowledge is bad', async () => {
    const members = ids(4);
    const byz = members[2]!;
    const badSuite: FROST = {
      ...ed25519_FROST,
      DKG: {
        ...ed25519_FROST.DKG,
        round1: (...args) => {
          const r = ed25519_FROST.DKG.round1(...args);
          r.public.proofOfKnowledge[40]! ^= 1;
          return r;
        },
      },
    };
    const results = await dkg(ed25519_FROST, members, 2, [{ id: byz, suite: badSuite }]);
    for (const id of members.filter((m) => m !== byz)) {
      const e = rejected(results.get(id));
      expect(e.code).toBe('THRESHOLD_PROTOCOL');
      expect(e.culprits).toEqual([byz]);
      expect(e.meta['round']).toBe(1);
    }
  });

  it('names a member that sends a round-2 share which fails verification against its commitment (n = 7)', async () => {
    const members = ids(7);
    const byz = members[5]!;
    const victim = members[1]!;
    const victimId = ed25519_FROST.Identifier.fromNumber(Number(memberPoints(members).get(victim)));
    const badSuite: FROST = {
      ...ed25519_FROST,
      DKG: {
        ...ed25519_FROST.DKG,
        round2: (secret, others) => {
          const packages = ed25519_FROST.DKG.round2(secret, others);
          packages[victimId]!.signingShare[0]! ^= 1;
          return packages;
        },
      },
    };
    const results = await dkg(ed25519_FROST, members, 3, [{ id: byz, suite: badSuite }]);
    const e = rejected(results.get(victim));
    expect(e.code).toBe('THRESHOLD_PROTOCOL');
    expect(e.culprits).toEqual([byz]);
    expect(e.meta['round']).toBe(2);
    // members who got good shares finish (plain DKG has no complaint round)
    for (const id of members.filter((m) => m !== victim && m !== byz)) fulfilled(results.get(id));
  });

  it('names an equivocating round-1 broadcaster at every honest member', async () => {
    const members = ids(4);
    const byz = members[0]!;
    const victim = members[3]!;
    const points = memberPoints(members);
    const alternative = seededRandom('alternative');
    const altRng = (length = 32) => new Uint8Array(alternative.bytes(length));
    const equivocate = (t: Transport): Transport => ({
      ...t,
      broadcast: async (bytes) => {
        const record = decode(bytes) as CborRecord;
        // a second, perfectly valid round-1 package for the same identifier, shown only to the victim
        const alt = ed25519_FROST.DKG.round1(ed25519_FROST.Identifier.fromNumber(Number(points.get(byz))), { min: 2, max: 4 }, undefined, altRng);
        const altBytes = encode({ ...record, c: alt.public.commitment, k: alt.public.proofOfKnowledge });
        await Promise.all(t.members.filter((m) => m !== t.localId).map((m) => t.send(m, m === victim ? altBytes : bytes)));
      },
    });
    const results = await dkg(ed25519_FROST, members, 2, [{ id: byz, transport: equivocate }]);
    for (const id of members.filter((m) => m !== byz)) {
      const e = rejected(results.get(id));
      expect(e.code).toBe('THRESHOLD_PROTOCOL');
      expect(e.culprits).toEqual([byz]);
    }
  });

  it('names a member that sends a malformed round-1 message', async () => {
    const members = ids(4);
    const byz = members[1]!;
    const malformed = (t: Transport): Transport => ({
      ...t,
      broadcast: async (bytes) => {
        const record = decode(bytes) as CborRecord;
        await t.broadcast(encode({ ...record, c: (record['c'] as Uint8Array[]).slice(0, 1) })); // one commitment short
      },
    });
    const results = await dkg(ed25519_FROST, members, 2, [{ id: byz, transport: malformed }]);
    for (const id of members.filter((m) => m !== byz)) {
      const e = rejected(results.get(id));
      expect(e.code).toBe('THRESHOLD_PROTOCOL');
      expect(e.culprits).toEqual([byz]);
    }
  });

  it('times out naming the silent member', async () => {
    const members = ids(4);
    const results = await dkg(ed25519_FROST, members, 2, [], { absent: members[2]! });
    for (const [, r] of results) {
      const e = rejected(r);
      expect(e.code).toBe('THRESHOLD_TIMEOUT');
      expect(e.culprits).toEqual([members[2]]);
      expect(e.meta['round']).toBe(1);
    }
  });

  it('validates its options', () => {
    const net = memoryNetwork({ members: ['a', 'b', 'c'] });
    const base = { suite: ed25519_FROST, transport: net.transport('a'), sessionId: 's', threshold: 2, random: seededRandom(1), clock: virtualClock(), timeoutMs: 10 };
    expect(() => runDkg({ ...base, threshold: 1 })).toThrow(RangeError);
    expect(() => runDkg({ ...base, threshold: 4 })).toThrow(RangeError);
    expect(() => runDkg({ ...base, suite: {} as FROST })).toThrow(TypeError);
    expect(DKG_PROTOCOL).toBe('admitone/dkg/v1');
  });
});
