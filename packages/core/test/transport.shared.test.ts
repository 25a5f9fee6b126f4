import { describe, expect, it, vi } from 'vitest';
import { transportCompliance } from '../src/compliance/transport.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  memoryNetwork,
  type DeliveryScheduler,
  type Envelope,
  type MemoryNetwork,
  type PeerStatusEvent,
  type Transport,
} from '../src/transport/index.js';

/** Compliance harness over one fresh memory network per test. */
function memoryHarness(name: string, makeInit: () => Omit<Parameters<typeof memoryNetwork>[0], 'members'>) {
  const networks = new Map<readonly Transport[], MemoryNetwork>();
  return {
    name,
    async setup(members: readonly string[]) {
      const net = memoryNetwork({ members, ...makeInit() });
      const transports = members.map((id) => net.transport(id));
      networks.set(transports, net);
      return transports;
    },
    async teardown(transports: readonly Transport[]) {
      await networks.get(transports)?.close();
      networks.delete(transports);
    },
  };
}

transportCompliance({ describe, it }, memoryHarness('memoryNetwork (default scheduler)', () => ({})));

transportCompliance(
  { describe, it },
  memoryHarness('memoryNetwork (custom scheduler: reliable, seeded reordering)', () => ({
    schedule: shufflingScheduler(0x1234),
    capabilities: { ordered: false, reliable: true },
  })),
);

describe('memoryNetwork', () => {
  it('honours a custom scheduler that drops, duplicates and reverses, deterministically', async () => {
    const run = async () => {
      const { schedule, queue } = manualScheduler();
      const net = memoryNetwork({ members: ['a', 'b', 'c'], schedule });
      const a = net.transport('a');
      const b = net.transport('b'); // 'c' has no open endpoint
      const got: Uint8Array[] = [];
      b.onMessage((m) => {
        expect(m.from).toBe('a');
        got.push(m.bytes);
      });
      for (let i = 0; i < 4; i++) await a.send('b', Uint8Array.of(i));
      await a.broadcast(Uint8Array.of(9));
      const envelopes = queue.map(({ envelope: e }) => [e.id, e.from, e.to, [...e.bytes]]);
      await nextTask();
      expect(got).toEqual([]); // nothing moves unless the scheduler delivers

      const deliver = (i: number) => queue[i]?.deliver();
      // drop #0, duplicate #1, then deliver the rest in reverse order (#5 goes to the closed-off 'c')
      deliver(1);
      deliver(1);
      for (let i = queue.length - 1; i >= 2; i--) deliver(i);
      const trace = got.map((bytes) => [...bytes]);
      expect(got[0]).not.toBe(got[1]); // every delivery is its own copy
      got[0]?.fill(0xff);
      expect([...(got[1] ?? [])]).toEqual([1]);
      await net.close();
      deliver(2); // after close: a no-op
      expect(got).toHaveLength(5);
      return { envelopes, trace, capabilities: net.capabilities };
    };
    const first = await run();
    expect(first.envelopes).toEqual([
      [0, 'a', 'b', [0]],
      [1, 'a', 'b', [1]],
      [2, 'a', 'b', [2]],
      [3, 'a', 'b', [3]],
      [4, 'a', 'b', [9]],
      [5, 'a', 'c', [9]],
    ]);
    expect(first.trace).toEqual([[1], [1], [9], [3], [2]]);
    expect(first.capabilities).toEqual({ ordered: false, reliable: false, maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES });
    expect(await run()).toEqual(first);
  });

  it('delivers with the default scheduler only after send returns, in FIFO order', async () => {
    const net = memoryNetwork({ members: ['a', 'b'] });
    expect(net.capabilities).toEqual({ ordered: true, reliable: true, maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES });
    const a = net.transport('a');
    const b = net.transport('b');
    const got: number[] = [];
    b.onMessage((m) => got.push(m.bytes[0] ?? -1));
    const sent = [a.send('b', Uint8Array.of(1)), a.broadcast(Uint8Array.of(2)), a.send('b', Uint8Array.of(3))];
    await Promise.all(sent);
    expect(got).toEqual([]); // not synchronously, not on a microtask
    await vi.waitFor(() => expect(got).toEqual([1, 2, 3]));
    await net.close();
  });

  it('does not starve timers when handlers answer each other forever', async () => {
    const net = memoryNetwork({ members: ['a', 'b'] });
    const a = net.transport('a');
    const b = net.transport('b');
    let volleys = 0;
    const bounce = (self: Transport, other: string) =>
      self.onMessage((m) => {
        volleys++;
        self.send(other, m.bytes).catch(() => {});
      });
    bounce(a, 'b');
    bounce(b, 'a');
    await a.send('b', Uint8Array.of(1));
    await new Promise((resolve) => setTimeout(resolve, 10)); // would never fire under microtask delivery
    expect(volleys).toBeGreaterThan(0);
    await net.close();
    const after = volleys;
    await nextTask();
    expect(volleys).toBe(after);
  });

  it('setPeerUp(false) drops messages to/from the peer, in flight too, and emits status events', async () => {
    const { schedule, queue } = manualScheduler();
    const net = memoryNetwork({ members: ['a', 'b', 'c'], schedule, capabilities: { ordered: true, reliable: true } });
    expect(net.capabilities.ordered && net.capabilities.reliable).toBe(true);
    const [a, b, c] = ['a', 'b', 'c'].map((id) => net.transport(id)) as [Transport, Transport, Transport];
    const events = recordStatus([a, b, c]);
    const atA = record(a);
    const atB = record(b);
    expect(await drain(events, 6)).toHaveLength(6); // everyone connected to everyone

    await a.send('b', Uint8Array.of(1)); // in flight when b goes down
    net.setPeerUp('b', false);
    expect(net.isPeerUp('b')).toBe(false);
    expect(a.connectedPeers()).toEqual(['c']);
    expect(b.connectedPeers()).toEqual([]);
    await a.send('b', Uint8Array.of(2));
    await b.send('a', Uint8Array.of(3));
    expect(await drain(events, 4)).toEqual(['a:b:disconnected', 'b:a:disconnected', 'b:c:disconnected', 'c:b:disconnected']);

    net.setPeerUp('b', true);
    expect(b.connectedPeers()).toEqual(['a', 'c']);
    await a.send('b', Uint8Array.of(4));
    for (const { deliver } of queue) deliver();
    expect(atB).toEqual(['a:4']); // 1 was in flight, 2 and 3 were sent while b was down
    expect(atA).toEqual([]);
    expect(queue.map(({ envelope }) => envelope.id)).toEqual([0, 1, 2, 3]);
    expect(await drain(events, 4)).toEqual(['a:b:connected', 'b:a:connected', 'b:c:connected', 'c:b:connected']);
    await net.close();
  });

  it('announces a new endpoint asynchronously, and the newcomer learns who is already there', async () => {
    const net = memoryNetwork({ members: ['a', 'b', 'c'] });
    const a = net.transport('a');
    const b = net.transport('b');
    const events = recordStatus([a, b]);
    expect(await drain(events, 2)).toEqual(['a:b:connected', 'b:a:connected']);
    const c = net.transport('c');
    const atC: string[] = [];
    c.onPeerStatus((e) => atC.push(`${e.peer}:${e.status}`));
    expect(events).toEqual([]); // not synchronously...
    expect(a.connectedPeers()).toEqual(['b', 'c']); // ...but the state is current at once
    expect(c.connectedPeers()).toEqual(['a', 'b']);
    expect(await drain(events, 2)).toEqual(['a:c:connected', 'b:c:connected']);
    await vi.waitFor(() => expect(sorted(atC)).toEqual(['a:connected', 'b:connected']));
    await c.close();
    expect(a.connectedPeers()).toEqual(['b']);
    expect(c.connectedPeers()).toEqual([]);
    expect(await drain(events, 2)).toEqual(['a:c:disconnected', 'b:c:disconnected']);
    await net.close();
  });

  it('rejects unknown and duplicate endpoints, allows a restart after close, and close() closes all', async () => {
    const { schedule, queue } = manualScheduler();
    const net = memoryNetwork({ members: ['a', 'b'], schedule });
    const a = net.transport('a');
    const b1 = net.transport('b');
    expect(codeOf(() => net.transport('b'))).toBe('TRANSPORT_DUPLICATE_PEER');
    expect(codeOf(() => net.transport('z'))).toBe('TRANSPORT_UNKNOWN_PEER');
    expect(codeOf(() => net.setPeerUp('z', false))).toBe('TRANSPORT_UNKNOWN_PEER');
    expect(net.isPeerUp('z')).toBe(false);

    await a.send('b', Uint8Array.of(1)); // in flight to the first incarnation of b
    await b1.close();
    const b2 = net.transport('b');
    const atB2 = record(b2);
    await a.send('b', Uint8Array.of(2));
    for (const { deliver } of queue) deliver();
    expect(atB2).toEqual(['a:2']);

    await net.close();
    await net.close();
    await expect(a.send('b', Uint8Array.of(3))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await expect(b2.broadcast(Uint8Array.of(3))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(codeOf(() => net.transport('a'))).toBe('TRANSPORT_CLOSED');
  });

  it('reports handler errors to onHandlerError and keeps delivering', async () => {
    const errors: string[] = [];
    const net = memoryNetwork({
      members: ['a', 'b'],
      onHandlerError: (error, { peer, kind }) => {
        errors.push(`${peer}:${kind}:${(error as Error).message}`);
        throw new Error('the hook itself fails'); // swallowed
      },
    });
    const a = net.transport('a');
    const b = net.transport('b');
    b.onPeerStatus(() => {
      throw new Error('status boom');
    });
    b.onMessage(() => {
      throw new Error('message boom');
    });
    const atB = record(b);
    await a.send('b', Uint8Array.of(1));
    await vi.waitFor(() => expect(atB).toEqual(['a:1']));
    await vi.waitFor(() => expect(errors).toEqual(['b:peer-status:status boom', 'b:message:message boom']));
    await net.close();
  });

  it('validates its arguments', async () => {
    expect(() => memoryNetwork({ members: [] })).toThrow(RangeError);
    expect(() => memoryNetwork({ members: ['a', 'a'] })).toThrow(/init.members must be distinct/);
    expect(() => memoryNetwork({ members: ['a', ''] })).toThrow(TypeError);
    expect(() => memoryNetwork({ members: ['a'], maxMessageBytes: -1 })).toThrow(/init.maxMessageBytes/);
    expect(() => memoryNetwork({ members: ['a'], maxMessageBytes: 1.5 })).toThrow(RangeError);

    const net = memoryNetwork({ members: ['a', 'b'], maxMessageBytes: 10, capabilities: { ordered: false } });
    expect(net.capabilities).toEqual({ ordered: false, reliable: true, maxMessageBytes: 10 });
    const a = net.transport('a');
    await expect(a.send('b', new Uint8Array(11))).rejects.toMatchObject({ code: 'TRANSPORT_MESSAGE_TOO_LARGE', size: 11, limit: 10 });
    await expect(a.send('b', 'text' as unknown as Uint8Array)).rejects.toThrow(/bytes must be a Uint8Array/);
    await expect(a.send('b', new Uint8Array(10))).resolves.toBeUndefined();
    expect(() => a.onMessage(undefined as unknown as () => void)).toThrow(TypeError);
    await net.close();
  });
});

// ---------------------------------------------------------------------------
// Helpers

interface Scheduled {
  readonly envelope: Envelope;
  readonly deliver: () => void;
}

/** A scheduler that only queues; the test delivers by hand. */
function manualScheduler(): { schedule: DeliveryScheduler; queue: Scheduled[] } {
  const queue: Scheduled[] = [];
  return { schedule: (envelope, deliver) => queue.push({ envelope, deliver }), queue };
}

/** Reliable but unordered: delivers each batch one timer later in a seeded-shuffled order. */
function shufflingScheduler(seed: number): DeliveryScheduler {
  let pending: Array<() => void> = [];
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  return (_envelope, deliver) => {
    if (pending.length === 0) {
      setTimeout(() => {
        const batch = pending;
        pending = [];
        for (let i = batch.length - 1; i > 0; i--) {
          const j = Math.floor(next() * (i + 1));
          [batch[i], batch[j]] = [batch[j] as () => void, batch[i] as () => void];
        }
        for (const run of batch) run();
      }, 0);
    }
    pending.push(deliver);
  };
}

function record(t: Transport): string[] {
  const got: string[] = [];
  t.onMessage((m) => got.push(`${m.from}:${[...m.bytes].join(',')}`));
  return got;
}

function recordStatus(transports: readonly Transport[]): string[] {
  const events: string[] = [];
  for (const t of transports) t.onPeerStatus((e: PeerStatusEvent) => events.push(`${t.localId}:${e.peer}:${e.status}`));
  return events;
}

/** Waits until `events` holds at least `n` entries, then removes and returns them all, sorted. */
async function drain(events: string[], n: number): Promise<string[]> {
  await vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(n));
  return sorted(events.splice(0));
}

const sorted = (items: readonly string[]): string[] => [...items].sort();

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return 'no error';
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
