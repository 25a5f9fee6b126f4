import { bn254_Fr } from '@noble/curves/bn254.js';
import { describe, expect, it } from 'vitest';
import { encode, memoryNetwork, seededRandom, virtualClock, type Transport } from '../src/index.js';
import {
  JOINT_RANDOM_PROTOCOL,
  ThresholdError,
  createOpener,
  memberPoints,
  robustReconstruct,
  runJointRandomSharing,
  secureTransport,
  x25519KeyPair,
} from '../src/threshold/index.js';

const F = bn254_Fr;
const MEMBERS = ['dave', 'alice', 'carol', 'bob']; // deliberately unsorted

/** A memory network whose deliveries wait in a queue until `flush()` (deterministic, no sleeps). */
function manualNetwork(members: readonly string[]) {
  const queue: (() => void)[] = [];
  const net = memoryNetwork({ members, schedule: (_envelope, deliver) => queue.push(deliver), capabilities: { ordered: true, reliable: true } });
  const flush = (): void => {
    while (queue.length > 0) queue.shift()!();
  };
  return { net, flush };
}

/** Runs joint random sharing on the given endpoints at once; returns outputs and each member's dealt values. */
async function runAll(transports: readonly Transport[], opts: { count: number; degree: number; sessionId?: string; seed?: string }) {
  const clock = virtualClock();
  const dealt = new Map<string, readonly bigint[]>();
  const outputs = await Promise.all(
    transports.map((transport) =>
      runJointRandomSharing({
        F,
        transport,
        sessionId: opts.sessionId ?? 'jrs-1',
        degree: opts.degree,
        count: opts.count,
        random: seededRandom(`${opts.seed ?? 'jrs'}/${transport.localId}`),
        clock,
        timeoutMs: 1_000,
        onDealt: (values) => dealt.set(transport.localId, values),
      }),
    ),
  );
  return { outputs: new Map(transports.map((t, i) => [t.localId, outputs[i]!])), dealt };
}

/** Checks that the outputs are consistent degree-`degree` sharings of the sums of the dealt values. */
function checkJointValues(outputs: Map<string, bigint[]>, dealt: Map<string, readonly bigint[]>, count: number, degree: number): bigint[] {
  const points = memberPoints([...outputs.keys()]);
  const values: bigint[] = [];
  for (let j = 0; j < count; j++) {
    const shares = [...outputs].map(([id, ys]) => ({ x: points.get(id)!, y: ys[j]! }));
    const { value, culprits } = robustReconstruct(F, shares, degree);
    expect(culprits).toEqual([]); // every member's share lies on one degree-`degree` polynomial
    const expected = [...dealt.values()].reduce((acc, d) => F.add(acc, d[j]!), 0n);
    expect(value).toBe(expected);
    values.push(value);
  }
  return values;
}

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

describe('runJointRandomSharing', () => {
  it('n = 4, t = 1: every member ends with a share of the sum of all dealt values', async () => {
    const net = memoryNetwork({ members: MEMBERS });
    const { outputs, dealt } = await runAll(MEMBERS.map((id) => net.transport(id)), { count: 5, degree: 1 });
    expect(dealt.size).toBe(4);
    const values = checkJointValues(outputs, dealt, 5, 1);
    expect(new Set(values).size).toBe(5);
    // the opener agrees
    const opener = createOpener(F, [1n, 2n, 3n, 4n], 1);
    const points = memberPoints(MEMBERS);
    const columns = [...points.keys()].map((id) => outputs.get(id)!);
    expect(opener.openMany(columns)).toEqual(values);
    await net.close();
  });

  it('is deterministic under seeds, and different sessions give different values', async () => {
    const run = async (seed: string) => {
      const net = memoryNetwork({ members: MEMBERS });
      const r = await runAll(MEMBERS.map((id) => net.transport(id)), { count: 2, degree: 1, seed });
      await net.close();
      return [...r.outputs.entries()].sort();
    };
    expect(await run('s1')).toEqual(await run('s1'));
    expect(await run('s1')).not.toEqual(await run('s2'));
  });

  it('splits large dealings into chunks that fit the transport, and runs over secureTransport', async () => {
    const net = memoryNetwork({ members: MEMBERS, maxMessageBytes: 400 });
    const keys = new Map(MEMBERS.map((id) => [id, x25519KeyPair(seededRandom(`k/${id}`))]));
    const publicKeys = Object.fromEntries([...keys].map(([id, k]) => [id, k.publicKey]));
    const transports = MEMBERS.map((id) => secureTransport(net.transport(id), { staticSecret: keys.get(id)!.secretKey, peerPublicKeys: publicKeys, random: seededRandom(id) }));
    const sizes: number[] = [];
    const inner = transports[0]!;
    inner.onMessage((m) => sizes.push(m.bytes.length));
    const { outputs, dealt } = await runAll(transports, { count: 40, degree: 2 });
    checkJointValues(outputs, dealt, 40, 2);
    expect(sizes.length).toBeGreaterThan(3); // more than one message per peer
    expect(Math.max(...sizes)).toBeLessThanOrEqual(400 - 41);
    await net.close();
  });

  it('ignores other sessions, other protocols and undecodable traffic', async () => {
    const net = memoryNetwork({ members: MEMBERS });
    const transports = MEMBERS.map((id) => net.transport(id));
    const noise = transports[0]!;
    for (const t of transports.slice(1)) {
      await noise.send(t.localId, Uint8Array.of(0xff, 0x00));
      await noise.send(t.localId, encode({ p: JOINT_RANDOM_PROTOCOL, s: 'another-session', o: 0, y: [1] }));
      await noise.send(t.localId, encode({ p: 'admitone/other', s: 'jrs-1', o: 0, y: ['x'] }));
    }
    const { outputs, dealt } = await runAll(transports, { count: 1, degree: 1 });
    checkJointValues(outputs, dealt, 1, 1);
    await net.close();
  });

  it('times out naming the members whose dealing never arrived', async () => {
    const { net, flush } = manualNetwork(MEMBERS);
    const clock = virtualClock();
    const present = MEMBERS.filter((id) => id !== 'carol');
    const transports = present.map((id) => net.transport(id));
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
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as ThresholdError;
      expect(e).toBeInstanceOf(ThresholdError);
      expect(e.code).toBe('THRESHOLD_TIMEOUT');
      expect(e.culprits).toEqual(['carol']);
    }
    expect(clock.pendingTimers()).toBe(0);
    await net.close();
  });

  for (const [what, message] of [
    ['a value outside the field', { o: 0, y: [F.ORDER, 1, 2] }],
    ['a negative value', { o: 0, y: [-1, 1, 2] }],
    ['too many values', { o: 0, y: [1, 2, 3, 4] }],
    ['an offset past the end', { o: 3, y: [1] }],
    ['a non-integer value', { o: 0, y: ['1', 2, 3] }],
    ['an empty chunk', { o: 0, y: [] }],
  ] as const) {
    it(`names a member that sends ${what} (THRESHOLD_PROTOCOL)`, async () => {
      const { net, flush } = manualNetwork(MEMBERS);
      const clock = virtualClock();
      const honest = MEMBERS.filter((id) => id !== 'bob').map((id) => net.transport(id));
      const bob = net.transport('bob');
      const runs = honest.map((transport) =>
        runJointRandomSharing({ F, transport, sessionId: 'jrs-b', degree: 1, count: 3, random: seededRandom(transport.localId), clock, timeoutMs: 5_000 }),
      );
      for (const t of honest) await bob.send(t.localId, encode({ ...message, p: JOINT_RANDOM_PROTOCOL, s: 'jrs-b' }));
      flush();
      for (const r of await Promise.allSettled(runs)) {
        const e = (r as PromiseRejectedResult).reason as ThresholdError;
        expect(e.code).toBe('THRESHOLD_PROTOCOL');
        expect(e.culprits).toEqual(['bob']);
        expect(JSON.stringify(e.meta)).not.toMatch(/"y"/);
      }
      expect(clock.pendingTimers()).toBe(0);
      await net.close();
    });
  }

  it('names a member that sends two different dealings, and tolerates an exact duplicate', async () => {
    const { net, flush } = manualNetwork(['a', 'b', 'c', 'd']);
    const clock = virtualClock();
    const honest = ['a', 'b', 'c'].map((id) => net.transport(id));
    const d = net.transport('d');
    const runs = honest.map((transport) =>
      runJointRandomSharing({ F, transport, sessionId: 'jrs-e', degree: 1, count: 2, random: seededRandom(transport.localId), clock, timeoutMs: 5_000 }),
    );
    await d.send('a', encode({ p: JOINT_RANDOM_PROTOCOL, s: 'jrs-e', o: 1, y: [6] }));
    await d.send('a', encode({ p: JOINT_RANDOM_PROTOCOL, s: 'jrs-e', o: 1, y: [6] })); // same value again: fine
    await d.send('a', encode({ p: JOINT_RANDOM_PROTOCOL, s: 'jrs-e', o: 1, y: [7] })); // different: equivocation
    await d.send('b', encode({ p: JOINT_RANDOM_PROTOCOL, s: 'jrs-e', o: 1, y: [2] }));
    await d.send('b', encode({ p: JOINT_RANDOM_PROTOCOL, s: 'jrs-e', o: 1, y: [2] })); // an exact duplicate is tolerated
    await d.send('b', encode({ p: JOINT_RANDOM_PROTOCOL, s: 'jrs-e', o: 0, y: [1, 2] })); // overlapping but equal
    await d.send('c', encode({ p: JOINT_RANDOM_PROTOCOL, s: 'jrs-e', o: 0, y: [1, 2] }));
    flush();
    const [atA, atB, atC] = await Promise.allSettled(runs);
    expect(((atA as PromiseRejectedResult).reason as ThresholdError).culprits).toEqual(['d']);
    expect(((atA as PromiseRejectedResult).reason as ThresholdError).code).toBe('THRESHOLD_PROTOCOL');
    // b and c finish (d's dealing to them is well-formed; plain sharing cannot tell it is inconsistent)
    expect(atB?.status).toBe('fulfilled');
    expect(atC?.status).toBe('fulfilled');
    await net.close();
  });

  it('validates its options', () => {
    const net = memoryNetwork({ members: MEMBERS });
    const transport = net.transport('alice');
    const base = { F, transport, sessionId: 's', degree: 1, count: 1, random: seededRandom(1), clock: virtualClock(), timeoutMs: 10 };
    expect(() => runJointRandomSharing({ ...base, degree: 4 })).toThrow(RangeError);
    expect(() => runJointRandomSharing({ ...base, count: -1 })).toThrow(RangeError);
    expect(() => runJointRandomSharing({ ...base, sessionId: '' })).toThrow(RangeError);
    expect(() => runJointRandomSharing({ ...base, timeoutMs: 0 })).toThrow(RangeError);
    return expect(runJointRandomSharing({ ...base, count: 0 })).resolves.toEqual([]);
  });
});
