/**
 * Restoring the ticket ledger (`restore(snapshot)` and
 * `state.restoreEntries(entries)`): only states the ledger's operations can
 * reach are accepted; anything else is a `CodecError` that leaves the state
 * untouched (never a `TypeError`/`RangeError`, never a state on which a later
 * `execute` throws). Also the change tracking across a snapshot restore.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { stateDigest, type StateEntry } from '../src/app/state.js';
import { bytesToHex, utf8ToBytes } from '../src/bytes/index.js';
import { decode, encode, type CborValue } from '../src/codec/cbor.js';
import { eventId, ticketId } from '../src/codec/hash.js';
import { CodecError } from '../src/errors/index.js';
import { createTicketLedger, type TicketLedger } from '../src/ticket/index.js';
import { actor, crypto, harness, scan, type Actor, type Harness } from './helpers/ledger-harness.js';

const E = eventId('restore-gig');
const T = ticketId('t-1');
const T2 = ticketId('t-2');
let org: Actor, gate: Actor, alice: Actor;
beforeAll(async () => {
  [org, gate, alice] = (await Promise.all(['restore-org', 'restore-gate', 'restore-alice'].map(actor))) as [Actor, Actor, Actor];
});

/** An event with a gate, T validated and T2 issued. */
async function source(): Promise<Harness> {
  const h = harness({ requireHolderCode: false });
  await h.run(org, { type: 'createEvent', eventId: E });
  await h.run(org, { type: 'authorizeGate', eventId: E, device: gate.publicKey });
  await h.run(org, { type: 'issue', eventId: E, ticketId: T, holder: alice.publicKey });
  await h.run(org, { type: 'issue', eventId: E, ticketId: T2, holder: alice.publicKey });
  expect((await h.run(gate, { type: 'validate', eventId: E, ticketId: T, scan: scan() })).status).toBe('ok');
  return h;
}

/** A ledger restored from `h`, with its digest and snapshot, to check that failed restores leave it as it was. */
function target(h: Harness): { ledger: TicketLedger; same: () => void } {
  const ledger = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
  ledger.restore(h.ledger.snapshot());
  const digest = bytesToHex(ledger.digest());
  const snapshot = bytesToHex(ledger.snapshot());
  return {
    ledger,
    same() {
      expect(bytesToHex(ledger.digest())).toBe(digest);
      expect(bytesToHex(ledger.snapshot())).toBe(snapshot);
      expect(bytesToHex(stateDigest(ledger.state.entries()))).toBe(digest);
    },
  };
}

function expectSchemaError(f: () => void, label: string): void {
  let thrown: unknown;
  try {
    f();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, label).toBeInstanceOf(CodecError);
  expect((thrown as CodecError).code, label).toBe('CODEC_SCHEMA');
}

type Snap = { app: string; events: [string, string, string[], number][]; tickets: Record<string, CborValue>[]; replay: unknown[] };

describe('ticket ledger restore: impossible states are refused', () => {
  it('restore(snapshot) refuses inconsistent tickets, events and replay rows with CODEC_SCHEMA, leaving the state untouched', async () => {
    const h = await source();
    const { ledger, same } = target(h);
    const snap = decode(h.ledger.snapshot()) as unknown as Snap;
    const t1 = snap.tickets.findIndex((t) => t['ticketId'] === T);
    const t2 = snap.tickets.findIndex((t) => t['ticketId'] === T2);
    const validateScan = (snap.tickets[t1] as { scans: CborValue[] }).scans[0] as Record<string, CborValue>;
    const cases: [string, (s: Snap) => void][] = [
      ['DISPUTED without disputedFrom', (s) => (s.tickets[t2] = { ...s.tickets[t2], state: 'DISPUTED' })],
      ['CONSUMED with disputedFrom', (s) => (s.tickets[t1] = { ...s.tickets[t1], state: 'CONSUMED', disputedFrom: 'VALIDATED', scans: [validateScan, { ...validateScan, kind: 'consume' }] })],
      ['ISSUED with disputedFrom', (s) => (s.tickets[t2] = { ...s.tickets[t2], disputedFrom: 'ISSUED' })],
      ['CONSUMED without scans', (s) => (s.tickets[t2] = { ...s.tickets[t2], state: 'CONSUMED' })],
      ['VALIDATED without its scan', (s) => (s.tickets[t2] = { ...s.tickets[t2], state: 'VALIDATED' })],
      ['ISSUED with a validate scan', (s) => (s.tickets[t1] = { ...s.tickets[t1], state: 'ISSUED' })],
      ['DISPUTED from ISSUED with a validate scan', (s) => (s.tickets[t1] = { ...s.tickets[t1], state: 'DISPUTED', disputedFrom: 'ISSUED' })],
      ['a consume scan first', (s) => (s.tickets[t1] = { ...s.tickets[t1], scans: [{ ...validateScan, kind: 'consume' }] })],
      ['two validate scans', (s) => (s.tickets[t1] = { ...s.tickets[t1], state: 'CONSUMED', scans: [validateScan, validateScan] })],
      ['a device that is not a key', (s) => (s.events[0]![2] = ['zz'])],
      ['a ticket count above the tickets', (s) => (s.events[0]![3] = 999)],
      ['a ticket count below the tickets', (s) => (s.events[0]![3] = 1)],
      ['a replay row of a client that is not a key', (s) => (s.replay = [...s.replay, ['not-a-key', 1, [1]]])],
    ];
    for (const [label, mutate] of cases) {
      const s = structuredClone(snap);
      mutate(s);
      expectSchemaError(() => ledger.restore(encode(s as unknown as CborValue)), label);
      same();
    }
    // the untouched ledger still works: the dispute/resolve path executes without throwing
    const copy = harness({ requireHolderCode: false });
    copy.ledger.restore(ledger.snapshot());
    expect((await copy.run(alice, { type: 'dispute', ticketId: T2, note: 'x' })).status).toBe('ok');
    expect((await copy.run(org, { type: 'resolve', ticketId: T2, outcome: 'reinstate' })).status).toBe('ok');
  });

  it('state.restoreEntries refuses the same with CODEC_SCHEMA, leaving the state untouched', async () => {
    const h = await source();
    const { ledger, same } = target(h);
    const good = h.ledger.state.entries();
    const name = (e: StateEntry) => new TextDecoder().decode(e.key);
    const withValue = (row: string, f: (v: CborValue[]) => CborValue[]): StateEntry[] =>
      good.map((e) => (name(e) === row ? { key: e.key, value: encode(f(decode(e.value) as CborValue[])) } : e));
    const cases: [string, StateEntry[]][] = [
      ['DISPUTED without disputedFrom', withValue(`t/${T2}`, (v) => [v[0]!, 'DISPUTED', ...v.slice(2)])],
      ['CONSUMED with disputedFrom and no scans', withValue(`t/${T2}`, (v) => [v[0]!, 'CONSUMED', v[2]!, v[3]!, 'ISSUED', v[5]!])],
      ['VALIDATED without its scan', withValue(`t/${T2}`, (v) => [v[0]!, 'VALIDATED', ...v.slice(2)])],
      ['a device that is not a key', withValue(`e/${E}`, (v) => [v[0]!, ['zz'], v[2]!])],
      ['a ticket count above the tickets', withValue(`e/${E}`, (v) => [v[0]!, v[1]!, 3])],
      ['a replay row of a client that is not a key', [...good, { key: utf8ToBytes('r/not-a-key'), value: encode([1, new Uint8Array(128).fill(0).map((_, i) => (i === 0 ? 2 : 0))]) }]],
    ];
    for (const [label, entries] of cases) {
      const sorted = [...entries].sort((a, b) => bytesToHex(a.key).localeCompare(bytesToHex(b.key)));
      expectSchemaError(() => ledger.state.restoreEntries(sorted), label);
      same();
    }
  });
});

describe('ticket ledger restore: typed errors', () => {
  it('malformed ids, keys and values are a CodecError (CODEC_SCHEMA), never a TypeError or RangeError', async () => {
    const h = await source();
    const { ledger, same } = target(h);
    const snap = decode(h.ledger.snapshot()) as unknown as Snap;
    const upper = structuredClone(snap);
    upper.events[0]![1] = upper.events[0]![1].toUpperCase(); // 64 hex characters, but not a client id
    expectSchemaError(() => ledger.restore(encode(upper as unknown as CborValue)), 'snapshot: organizer in upper case');
    same();
    const good = h.ledger.state.entries();
    const name = (e: StateEntry) => new TextDecoder().decode(e.key);
    const cases: [string, StateEntry[]][] = [
      ['an organizer in upper case', good.map((e) => (name(e) === `e/${E}` ? { key: e.key, value: encode([...(decode(e.value) as CborValue[])].map((v, i) => (i === 0 ? (v as string).toUpperCase() : v))) } : e))],
      ['a key that is not UTF-8', [...good, { key: new Uint8Array([0x74, 0x2f, 0xff]), value: encode(1) }]],
      ['a value that is not bytes', good.map((e) => (name(e) === `e/${E}` ? { key: e.key, value: 'x' as unknown as Uint8Array } : e))],
      ['a key that is not bytes', [{ key: 'e/x' as unknown as Uint8Array, value: encode(1) }]],
    ];
    for (const [label, entries] of cases) {
      expectSchemaError(() => ledger.state.restoreEntries(entries), `entries: ${label}`);
      same();
    }
  });
});

describe('ticket ledger restore: change tracking', () => {
  it('after restore(snapshot), takeChanges reports every replaced and deleted row', async () => {
    const h = await source();
    const before = h.ledger.state.entries().map((e) => new TextDecoder().decode(e.key));
    h.ledger.state.takeChanges(); // start tracking
    h.ledger.restore(createTicketLedger({ deployment: 'test', crypto }).snapshot()); // the empty state
    const changes = h.ledger.state.takeChanges();
    expect(changes.map((c) => [new TextDecoder().decode(c.key), c.value])).toEqual(before.map((k) => [k, undefined]));
    expect(h.ledger.state.entries()).toEqual([]);
    expect(bytesToHex(h.ledger.digest())).toBe(bytesToHex(stateDigest([])));
    // and back: every row is reported with its value
    const full = await source();
    h.ledger.restore(full.ledger.snapshot());
    const mirror = new Map(h.ledger.state.takeChanges().map((c) => [bytesToHex(c.key), c.value && bytesToHex(c.value)]));
    expect(mirror).toEqual(new Map(full.ledger.state.entries().map((e) => [bytesToHex(e.key), bytesToHex(e.value)])));
    expect(bytesToHex(h.ledger.digest())).toBe(bytesToHex(full.ledger.digest()));
  });
});
