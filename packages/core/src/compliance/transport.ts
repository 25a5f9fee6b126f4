/**
 * The compliance suite every {@link Transport} implementation must pass.
 *
 * It registers its tests with any runner's `describe`/`it` and carries its own
 * assertions, so it runs unchanged under vitest, jest, mocha or node:test, in
 * Node and in browsers. It needs real timers (it polls with `setTimeout` while
 * waiting for asynchronous delivery, giving up after 5 s with a message that
 * says what it was waiting for).
 *
 * The suite sends messages between live peers and waits for them, so the
 * transports under test must deliver in practice even if they do not promise
 * it: run it on the default configuration, not on one that injects loss.
 * Exact-once counts are checked only when `capabilities.reliable` is true (an
 * unreliable transport may duplicate), and per-sender order only when
 * `capabilities.ordered` is true.
 *
 * @module
 */
import type { InboundMessage, PeerId, PeerStatusEvent, Transport } from '../transport/types.js';
import { check, checkBytesEqual, checkRejects, ComplianceAssertionError, type ComplianceTestApi } from './api.js';

/** How the suite obtains and disposes of the transports under test. */
export interface TransportHarness {
  /** Shown in the suite's name. */
  readonly name?: string;
  /**
   * Creates one endpoint per member id, in the same order, each with
   * `localId` equal to that id and `members` equal to the list. Resolves once
   * they can message each other (for network transports: once connected).
   */
  setup(members: readonly PeerId[]): Promise<readonly Transport[]>;
  /**
   * Releases what `setup` created beyond the endpoints (servers, networks).
   * The suite has already closed every endpoint when this runs, even when the
   * test failed.
   */
  teardown?(transports: readonly Transport[]): Promise<void>;
  /**
   * Whether endpoints report peers as connected after `setup` and observe
   * another endpoint's `close()` as a `'disconnected'` event. Default `true`;
   * set `false` to skip the peer-status tests for a transport that cannot
   * detect this.
   */
  readonly peerStatus?: boolean;
}

/**
 * Registers the transport compliance tests for `harness`.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { transportCompliance } from '@admitone/core/compliance';
 *
 * transportCompliance({ describe, it }, {
 *   name: 'memoryNetwork',
 *   async setup(members) {
 *     const net = memoryNetwork({ members });
 *     return members.map((id) => net.transport(id));
 *   },
 * });
 * ```
 */
export function transportCompliance(test: ComplianceTestApi, harness: TransportHarness): void {
  const it = (name: string, body: () => Promise<void>): void => {
    test.it(name, body, TEST_TIMEOUT_MS);
  };
  const trio = (body: (a: Transport, b: Transport, c: Transport) => Promise<void>) => () =>
    withTransports(harness, TRIO, async (ts) => body(nth(ts, 0), nth(ts, 1), nth(ts, 2)));

  test.describe(`Transport compliance: ${harness.name ?? 'transport'}`, () => {
    it('exposes its own id, the membership and sane capabilities', () =>
      withTransports(harness, TRIO, async (ts) => {
        ts.forEach((t, i) => {
          check(t.localId === TRIO[i], `transport ${i}: localId should be ${TRIO[i]}, got ${t.localId}`);
          check(sameSet(t.members, TRIO), `${t.localId}: members should be ${TRIO.join(',')}, got ${t.members.join(',')}`);
          const caps = t.capabilities;
          check(typeof caps.ordered === 'boolean', `${t.localId}: capabilities.ordered must be a boolean`);
          check(typeof caps.reliable === 'boolean', `${t.localId}: capabilities.reliable must be a boolean`);
          check(
            Number.isSafeInteger(caps.maxMessageBytes) && caps.maxMessageBytes > 0,
            `${t.localId}: capabilities.maxMessageBytes must be a positive integer, got ${caps.maxMessageBytes}`,
          );
        });
      }));

    it('delivers point-to-point messages with the authenticated sender id', trio(async (a, b, c) => {
      const boxes = [inbox(a), inbox(b), inbox(c)];
      const route: ReadonlyArray<readonly [Transport, Transport]> = [[a, b], [b, c], [c, a]];
      for (const [from, to] of route) await from.send(to.localId, encode({ from: from.localId, to: to.localId }));
      await waitFor(() => boxes.every((box) => box.messages.length >= 1), () => `each peer to receive one message, got ${counts(boxes)}`);
      await settle();
      const reliable = a.capabilities.reliable;
      route.forEach(([from, to], i) => {
        const got = nthBox(boxes, (i + 1) % 3).messages;
        check(!reliable || got.length === 1, `${to.localId} should receive exactly 1 message, got ${got.length}`);
        for (const m of got) {
          const body = decode(m.bytes);
          check(m.from === from.localId, `${to.localId}: from should be ${from.localId}, got ${m.from}`);
          check(body?.['from'] === from.localId && body['to'] === to.localId, `${to.localId}: misrouted payload ${show(m)}`);
        }
      });
    }));

    it('broadcast reaches every other member exactly once and never the sender', trio(async (a, b, c) => {
      const peers = [a, b, c];
      const boxes = peers.map(inbox);
      await Promise.all(peers.map((p) => p.broadcast(encode({ from: p.localId }))));
      await waitFor(() => boxes.every((box) => box.messages.length >= 2), () => `each peer to receive 2 broadcasts, got ${counts(boxes)}`);
      await settle();
      peers.forEach((receiver, i) => {
        const got = nthBox(boxes, i).messages;
        for (const m of got) {
          check(m.from !== receiver.localId, `${receiver.localId} received its own broadcast`);
          check(decode(m.bytes)?.['from'] === m.from, `${receiver.localId}: payload does not match sender ${show(m)}`);
        }
        for (const sender of peers) {
          if (sender === receiver) continue;
          const n = got.filter((m) => m.from === sender.localId).length;
          check(
            receiver.capabilities.reliable ? n === 1 : n >= 1,
            `${receiver.localId} should receive ${sender.localId}'s broadcast exactly once, got ${n}`,
          );
        }
      });
    }));

    it('delivers payloads byte-exact: empty, every byte value, pseudo-random', trio(async (a, b, c) => {
      const payloads = [new Uint8Array(0), Uint8Array.from({ length: 256 }, (_, i) => i), pattern(65_537, 0x5eed)];
      const atB = inbox(b);
      const atC = inbox(c);
      await Promise.all(payloads.map((p) => a.send(b.localId, p)));
      const broadcastPayload = pattern(4_099, 0xcafe);
      await a.broadcast(broadcastPayload);
      await waitFor(() => atB.messages.length >= 4 && atC.messages.length >= 1, () => `4 messages at bob and 1 at carol, got ${counts([atB, atC])}`);
      await settle();
      checkDelivered(atB.messages, [...payloads, broadcastPayload], a, 'bob');
      checkDelivered(atC.messages, [broadcastPayload], a, 'carol');
    }));

    it('frames large messages: a payload of maxMessageBytes (capped at 1 MiB) and several back to back', trio(async (a, b) => {
      const size = Math.min(a.capabilities.maxMessageBytes, LARGE_CAP_BYTES);
      const atB = inbox(b);
      const first = pattern(size, 1);
      await a.send(b.localId, first);
      await waitFor(() => atB.messages.length >= 1, 'the first large message');
      const burst = [pattern(size, 2), pattern(size, 3), pattern(Math.max(0, size - 1), 4), pattern(size, 5), Uint8Array.of(7)];
      await Promise.all(burst.map((p) => a.send(b.localId, p)));
      await waitFor(() => atB.messages.length >= 1 + burst.length, () => `${1 + burst.length} messages at bob, got ${atB.messages.length}`);
      await settle();
      checkDelivered(atB.messages, [first, ...burst], a, 'bob');
    }));

    it('rejects a payload of maxMessageBytes + 1 with TRANSPORT_MESSAGE_TOO_LARGE and sends nothing', trio(async (a, b, c) => {
      const limit = a.capabilities.maxMessageBytes;
      const atB = inbox(b);
      const atC = inbox(c);
      const tooLarge = new Uint8Array(limit + 1);
      await checkRejects(() => a.send(b.localId, tooLarge), 'TRANSPORT_MESSAGE_TOO_LARGE', 'send of limit + 1 bytes');
      await checkRejects(() => a.broadcast(tooLarge), 'TRANSPORT_MESSAGE_TOO_LARGE', 'broadcast of limit + 1 bytes');
      await a.broadcast(encode({ marker: true }));
      await waitFor(() => atB.messages.length >= 1 && atC.messages.length >= 1, 'the marker broadcast after the rejected sends');
      await settle();
      for (const [name, box] of [['bob', atB], ['carol', atC]] as const) {
        for (const m of box.messages) check(m.bytes.length <= limit, `${name} received an oversized message of ${m.bytes.length} bytes`);
        check(box.messages.every((m) => decode(m.bytes)?.['marker'] === true), `${name} received something besides the marker`);
      }
    }));

    it('copies the payload on send: mutations by the sender or another receiver do not leak', trio(async (a, b, c) => {
      const atB = inbox(b);
      const atC = inbox(c);
      b.onMessage((m) => m.bytes.fill(0xee)); // runs after inbox(b) recorded the same array
      const direct = pattern(1_000, 11);
      const directCopy = direct.slice();
      const sent = a.send(c.localId, direct);
      direct.fill(0); // before the promise settles
      await sent;
      direct.fill(1); // and after
      const shared = pattern(1_000, 12);
      const sharedCopy = shared.slice();
      const broadcastDone = a.broadcast(shared);
      shared.fill(0);
      await broadcastDone;
      shared.fill(1);
      await waitFor(() => atB.messages.length >= 1 && atC.messages.length >= 2, () => `1 message at bob, 2 at carol, got ${counts([atB, atC])}`);
      await settle();
      checkDelivered(atC.messages, [directCopy, sharedCopy], a, 'carol (after bob mutated its copy)');
      checkBytesEqual(atB.messages[0]?.bytes, new Uint8Array(1_000).fill(0xee), 'bob owns its array and may mutate it');
    }));

    it('rejects sends to a peer outside the membership with TRANSPORT_UNKNOWN_PEER', trio(async (a) => {
      await checkRejects(() => a.send('not-a-member', Uint8Array.of(1)), 'TRANSPORT_UNKNOWN_PEER', 'send to a non-member');
      await checkRejects(() => a.send('', Uint8Array.of(1)), 'TRANSPORT_UNKNOWN_PEER', 'send to the empty id');
    }));

    it('keeps per-sender order when capabilities.ordered (else: everything still arrives)', trio(async (a, b, c) => {
      const atB = inbox(b);
      const perSender = 100;
      const sends: Array<Promise<void>> = [];
      for (let n = 0; n < perSender; n++) {
        for (const sender of [a, c]) {
          const bytes = encode({ from: sender.localId, n, pad: 'x'.repeat((n * 37) % 300) });
          sends.push(n % 10 === 9 ? sender.broadcast(bytes) : sender.send(b.localId, bytes));
        }
      }
      await Promise.all(sends);
      await waitFor(() => atB.messages.length >= 2 * perSender, () => `${2 * perSender} messages at bob, got ${atB.messages.length}`);
      for (const sender of [a, c]) {
        const seqs = atB.messages.filter((m) => m.from === sender.localId).map((m) => Number(decode(m.bytes)?.['n']));
        check(new Set(seqs).size === perSender, `bob should receive all ${perSender} of ${sender.localId}'s messages, got ${new Set(seqs).size} distinct`);
        if (b.capabilities.ordered) {
          const disorder = seqs.findIndex((n, i) => i > 0 && n <= (seqs[i - 1] as number));
          check(disorder < 0, `${sender.localId} → bob out of order at position ${disorder}: ${seqs.slice(Math.max(0, disorder - 2), disorder + 2).join(',')}`);
        }
      }
    }));

    it(`delivers ${CONCURRENT_SENDS} concurrent sends among 4 peers, exactly once each when reliable`, () =>
      withTransports(harness, QUARTET, async (peers) => {
        const boxes = peers.map(inbox);
        const perPeer = CONCURRENT_SENDS / peers.length;
        const expected = new Map<string, number>(); // "from>to" → count
        const sends: Array<Promise<void>> = [];
        for (let n = 0; n < perPeer; n++) {
          peers.forEach((sender, i) => {
            const broadcast = n % 15 === 14;
            const to = broadcast ? '*' : nth(peers, (i + 1 + (n % (peers.length - 1))) % peers.length).localId;
            const bytes = encode({ from: sender.localId, to, n, pad: 'y'.repeat((n * 53) % 1_500) });
            for (const r of peers) {
              if (r !== sender && (broadcast || r.localId === to)) increment(expected, `${sender.localId}>${r.localId}`);
            }
            sends.push(broadcast ? sender.broadcast(bytes) : sender.send(to, bytes));
          });
        }
        await Promise.all(sends);
        const total = [...expected.values()].reduce((x, y) => x + y, 0);
        await waitFor(() => boxes.reduce((x, box) => x + box.messages.length, 0) >= total, () => `${total} deliveries, got ${counts(boxes)}`);
        await settle();
        const reliable = nth(peers, 0).capabilities.reliable;
        const seen = new Set<string>();
        const actual = new Map<string, number>();
        peers.forEach((receiver, i) => {
          for (const m of nthBox(boxes, i).messages) {
            const body = decode(m.bytes);
            check(body?.['from'] === m.from, `${receiver.localId}: authenticated sender ${m.from} differs from payload ${show(m)}`);
            check(body['to'] === '*' || body['to'] === receiver.localId, `${receiver.localId} received a message for ${String(body['to'])}`);
            const key = `${m.from}>${receiver.localId}#${String(body['n'])}`;
            check(!reliable || !seen.has(key), `duplicate delivery ${key}`);
            if (!seen.has(key)) increment(actual, `${m.from}>${receiver.localId}`);
            seen.add(key);
          }
        });
        for (const [pair, n] of expected) {
          check(actual.get(pair) === n, `${pair}: expected ${n} distinct messages, got ${actual.get(pair) ?? 0}`);
        }
        check(actual.size === expected.size, `unexpected sender/receiver pairs: ${[...actual.keys()].join(',')}`);
      }));

    it('stops delivering to a handler once it unsubscribes', trio(async (a, b) => {
      const kept = inbox(b);
      const dropped = inbox(b);
      await a.send(b.localId, encode({ n: 1 }));
      await waitFor(() => kept.messages.length >= 1 && dropped.messages.length >= 1, 'the first message at both handlers');
      dropped.stop();
      dropped.stop(); // unsubscribing twice is harmless
      const before = dropped.messages.length;
      await a.send(b.localId, encode({ n: 2 }));
      await waitFor(() => kept.messages.some((m) => decode(m.bytes)?.['n'] === 2), 'the second message at the subscribed handler');
      await settle();
      check(dropped.messages.length === before, `the unsubscribed handler received ${dropped.messages.length - before} more message(s)`);
    }));

    it('keeps delivering to other handlers, and later messages, when a handler throws', trio(async (a, b) => {
      let thrown = 0;
      b.onMessage(() => {
        thrown++;
        throw new Error('handler failure injected by the compliance suite');
      });
      const atB = inbox(b);
      b.onMessage(() => {
        throw new Error('second handler failure injected by the compliance suite');
      });
      for (let n = 0; n < 3; n++) await a.send(b.localId, encode({ n }));
      await waitFor(() => atB.messages.length >= 3, () => `3 messages at the healthy handler, got ${atB.messages.length}`);
      check(thrown >= 3, `the throwing handler should still be called for each message, got ${thrown} calls`);
    }));

    it('rejects send and broadcast after close with TRANSPORT_CLOSED; close is idempotent', trio(async (a, b) => {
      await Promise.all([a.close(), a.close()]);
      await a.close();
      await checkRejects(() => a.send(b.localId, Uint8Array.of(1)), 'TRANSPORT_CLOSED', 'send after close');
      await checkRejects(() => a.broadcast(Uint8Array.of(1)), 'TRANSPORT_CLOSED', 'broadcast after close');
    }));

    it('runs no handler after close, and the remaining peers keep working among themselves', trio(async (a, b, c) => {
      const atB = inbox(b);
      let statusAtB = 0;
      b.onPeerStatus(() => statusAtB++);
      const inFlight = Array.from({ length: 20 }, (_, n) => a.send(b.localId, encode({ n })));
      await b.close();
      const messagesAtClose = atB.messages.length;
      const statusAtClose = statusAtB;
      await Promise.allSettled(inFlight);
      await Promise.allSettled([a.send(b.localId, encode({ late: true })), c.broadcast(encode({ late: true }))]);
      const atA = inbox(a);
      const atC = inbox(c);
      await a.send(c.localId, encode({ from: a.localId }));
      await c.send(a.localId, encode({ from: c.localId }));
      await waitFor(
        () => atA.messages.some((m) => m.from === c.localId) && atC.messages.some((m) => m.from === a.localId),
        'alice and carol to exchange messages after bob closed',
      );
      await c.close();
      await settle();
      check(atB.messages.length === messagesAtClose, `bob's message handler ran ${atB.messages.length - messagesAtClose} time(s) after close`);
      check(statusAtB === statusAtClose, `bob's peer-status handler ran ${statusAtB - statusAtClose} time(s) after close`);
    }));

    if (harness.peerStatus !== false) {
      it('reports every other member as connected after setup', trio(async (a, b, c) => {
        for (const t of [a, b, c]) {
          const others = TRIO.filter((id) => id !== t.localId);
          await waitFor(() => sameSet(t.connectedPeers(), others), () => `${t.localId} to see ${others.join(',')} connected, got ${t.connectedPeers().join(',')}`);
        }
      }));

      it("emits 'disconnected' and updates connectedPeers() when another endpoint closes", trio(async (a, b, c) => {
        const events: Array<readonly [PeerId, PeerStatusEvent]> = [];
        for (const t of [a, c]) t.onPeerStatus((e) => events.push([t.localId, e]));
        const bobLeft = (id: PeerId) => events.some(([at, e]) => at === id && e.peer === b.localId && e.status === 'disconnected');
        await b.close();
        await waitFor(() => bobLeft(a.localId) && bobLeft(c.localId), () => `'disconnected' for bob at alice and carol, got ${JSON.stringify(events)}`);
        for (const t of [a, c]) {
          check(!t.connectedPeers().includes(b.localId), `${t.localId}.connectedPeers() still lists bob`);
          const other = t === a ? c.localId : a.localId;
          check(t.connectedPeers().includes(other), `${t.localId}.connectedPeers() lost ${other}`);
        }
        check(events.every(([at, e]) => e.peer !== at), `a peer-status event about oneself: ${JSON.stringify(events)}`);
      }));
    }
  });
}

// ---------------------------------------------------------------------------
// Helpers

const TRIO: readonly PeerId[] = ['alice', 'bob', 'carol'];
const QUARTET: readonly PeerId[] = ['alice', 'bob', 'carol', 'dave'];
const CONCURRENT_SENDS = 600;
const LARGE_CAP_BYTES = 1024 * 1024;
const WAIT_TIMEOUT_MS = 5_000;
const TEST_TIMEOUT_MS = 20_000;

interface Inbox {
  readonly messages: InboundMessage[];
  stop(): void;
}

/** Records every message delivered to `t` from now on. */
function inbox(t: Transport): Inbox {
  const messages: InboundMessage[] = [];
  const stop = t.onMessage((m) => messages.push(m));
  return { messages, stop };
}

async function withTransports(
  harness: TransportHarness,
  members: readonly PeerId[],
  body: (transports: readonly Transport[]) => Promise<void>,
): Promise<void> {
  const transports = await harness.setup(members);
  let failed = false;
  let failure: unknown;
  try {
    check(transports.length === members.length, `setup() must return ${members.length} transports, got ${transports.length}`);
    await body(transports);
  } catch (error) {
    failed = true;
    failure = error;
  }
  await Promise.allSettled(transports.map((t) => t.close()));
  try {
    await harness.teardown?.(transports);
  } catch (error) {
    if (!failed) {
      failed = true;
      failure = error;
    }
  }
  if (failed) throw failure;
}

/**
 * Polls `condition` on macrotasks until it holds; fails after
 * {@link WAIT_TIMEOUT_MS} with `what` (a string or a function producing one
 * from the current state).
 */
async function waitFor(condition: () => boolean, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (let polls = 0; !condition(); polls++) {
    if (Date.now() >= deadline) {
      const description = typeof what === 'string' ? what : what();
      throw new ComplianceAssertionError(`Timed out after ${WAIT_TIMEOUT_MS} ms (${polls} polls) waiting for ${description}`);
    }
    await nextTask(polls < 200 ? 0 : 5);
  }
}

/** Gives stray (wrong, duplicate, late) deliveries a few macrotasks to show up before a "nothing more" check. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await nextTask(0);
}

function nextTask(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Checks that `got` holds exactly `expected` (each once when reliable; in order when ordered), all from `sender`. */
function checkDelivered(got: readonly InboundMessage[], expected: readonly Uint8Array[], sender: Transport, where: string): void {
  const { reliable, ordered } = sender.capabilities;
  for (const m of got) check(m.from === sender.localId, `${where}: from should be ${sender.localId}, got ${m.from}`);
  expected.forEach((payload, i) => {
    const n = got.filter((m) => equal(m.bytes, payload)).length;
    check(reliable ? n === 1 : n >= 1, `${where}: payload #${i} (${payload.length} bytes) arrived ${n} times intact`);
  });
  for (const m of got) {
    check(expected.some((p) => equal(m.bytes, p)), `${where}: received a payload that was never sent ${show(m)}`);
  }
  if (reliable && ordered) {
    check(got.length === expected.length, `${where}: expected ${expected.length} messages, got ${got.length}`);
    expected.forEach((payload, i) => checkBytesEqual(got[i]?.bytes, payload, `${where}: message #${i} in send order`));
  }
}

function nth<T>(items: readonly T[], i: number): T {
  const item = items[i];
  check(item !== undefined, `missing item #${i}`);
  return item;
}

const nthBox = (boxes: readonly Inbox[], i: number): Inbox => nth(boxes, i);

const counts = (boxes: readonly Inbox[]): string => boxes.map((box) => box.messages.length).join('/');

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sameSet(a: readonly PeerId[], b: readonly PeerId[]): boolean {
  const set = new Set(a);
  return set.size === a.length && a.length === b.length && b.every((x) => set.has(x));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encode(value: Readonly<Record<string, unknown>>): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function decode(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function show(m: InboundMessage): string {
  const text = decoder.decode(m.bytes.subarray(0, 80));
  return `(from ${m.from}, ${m.bytes.length} bytes: ${JSON.stringify(text)})`;
}

/** `length` deterministic pseudo-random bytes (xorshift32) from `seed`. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
