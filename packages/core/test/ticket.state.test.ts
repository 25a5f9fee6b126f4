/**
 * The ticket ledger's keyed state (`ledger.state`) and incremental digest: the
 * digest is always the state digest of the entries, the changes taken after
 * each step rebuild exactly the entries, a restore from entries reproduces
 * the ledger, and malformed entries are refused without touching state. Also
 * the replay guard's compact rows against a set-based reference model.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_WINDOW, createReplayGuard } from '../src/app/replay.js';
import { stateDigest, sortByKey, type StateEntry } from '../src/app/state.js';
import { bytesToHex, utf8ToBytes } from '../src/bytes/index.js';
import { encode } from '../src/codec/cbor.js';
import { eventId, ticketId } from '../src/codec/hash.js';
import { CodecError } from '../src/errors/index.js';
import { createTicketLedger, encodeTicketQuery, type TicketOp } from '../src/ticket/index.js';
import { actor, crypto, harness, scan, type Actor } from './helpers/ledger-harness.js';

const E = eventId('state-gig');
let org: Actor, gate: Actor, alice: Actor, bob: Actor;
beforeAll(async () => {
  [org, gate, alice, bob] = (await Promise.all(['state-org', 'state-gate', 'state-alice', 'state-bob'].map(actor))) as [Actor, Actor, Actor, Actor];
});

const hex = (b: Uint8Array) => bytesToHex(b);
const entriesMap = (entries: readonly StateEntry[]) => new Map(entries.map((e) => [hex(e.key), hex(e.value)]));

/** A random ticket workload: ops by the organizer, the gate and holders on a few tickets. */
const stepArb = fc.record({
  who: fc.constantFrom('org', 'gate', 'alice', 'bob'),
  kind: fc.constantFrom('issue', 'transfer', 'validate', 'consume', 'dispute', 'resolve', 'revoke', 'refund', 'authorizeGate'),
  ticket: fc.integer({ min: 0, max: 5 }),
});
function opOf(step: { kind: string; ticket: number }): TicketOp {
  const t = ticketId(`s-${step.ticket}`);
  switch (step.kind) {
    case 'issue':
      return { type: 'issue', eventId: E, ticketId: t, holder: alice.publicKey };
    case 'transfer':
      return { type: 'transfer', ticketId: t, to: bob.publicKey };
    case 'validate':
      return { type: 'validate', eventId: E, ticketId: t, scan: scan() };
    case 'consume':
      return { type: 'consume', eventId: E, ticketId: t, scan: scan() };
    case 'dispute':
      return { type: 'dispute', ticketId: t, note: 'x' };
    case 'resolve':
      return { type: 'resolve', ticketId: t, outcome: 'reinstate' };
    case 'revoke':
      return { type: 'revoke', ticketId: t };
    case 'refund':
      return { type: 'refund', ticketId: t };
    default:
      return { type: 'authorizeGate', eventId: E, device: gate.publicKey };
  }
}

describe('ticket ledger: keyed state', () => {
  it('digest() is the state digest of entries(), and taken changes rebuild the entries, after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25 }), async (steps) => {
        const h = harness({ requireHolderCode: false });
        const actors: Record<string, Actor> = { org, gate, alice, bob };
        const mirror = new Map<string, string>();
        const take = () => {
          for (const c of h.ledger.state.takeChanges()) {
            if (c.value === undefined) mirror.delete(hex(c.key));
            else mirror.set(hex(c.key), hex(c.value));
          }
        };
        take(); // the first call reports the whole (empty) state
        await h.run(org, { type: 'createEvent', eventId: E });
        for (const step of steps) {
          await h.run(actors[step.who] as Actor, opOf(step));
          take();
          const entries = h.ledger.state.entries();
          expect(mirror).toEqual(entriesMap(entries));
          expect(hex(h.ledger.digest())).toBe(hex(stateDigest(entries)));
        }
      }),
      { numRuns: 25, seed: 42 },
    );
  });

  it('the first takeChanges reports every entry; a ledger never asked keeps no change list', async () => {
    const h = harness({ requireHolderCode: false });
    await h.run(org, { type: 'createEvent', eventId: E });
    await h.run(org, { type: 'issue', eventId: E, ticketId: ticketId('first'), holder: alice.publicKey });
    const first = h.ledger.state.takeChanges();
    expect(first.map((c) => c.key)).toEqual(h.ledger.state.entries().map((e) => e.key));
    expect(h.ledger.state.takeChanges()).toEqual([]);
    await h.run(org, { type: 'issue', eventId: E, ticketId: ticketId('second'), holder: alice.publicKey });
    // the event row, the new ticket and the organizer's replay row
    expect(h.ledger.state.takeChanges().map((c) => new TextDecoder().decode(c.key))).toEqual(['e/state-gig', `r/${org.id}`, 't/second']);
  });

  it('restoreEntries reproduces the ledger: digest, snapshot and queries', async () => {
    const h = harness({ requireHolderCode: false });
    await h.run(org, { type: 'createEvent', eventId: E });
    await h.run(org, { type: 'authorizeGate', eventId: E, device: gate.publicKey });
    for (let i = 0; i < 5; i++) await h.run(org, { type: 'issue', eventId: E, ticketId: ticketId(`r-${i}`), holder: alice.publicKey });
    await h.run(gate, { type: 'validate', eventId: E, ticketId: ticketId('r-1'), scan: scan() });
    await h.run(alice, { type: 'dispute', ticketId: ticketId('r-2'), note: 'lost' });
    const copy = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
    copy.state.restoreEntries(h.ledger.state.entries());
    expect(copy.digest()).toEqual(h.ledger.digest());
    expect(copy.snapshot()).toEqual(h.ledger.snapshot());
    const q = encodeTicketQuery({ type: 'tickets', eventId: E });
    expect(copy.query(q)).toEqual(h.ledger.query(q));
    // changes after a restore are relative to the restored state
    expect(copy.state.takeChanges()).toEqual([]);
    // and a snapshot restore agrees with the entries
    const viaSnapshot = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
    viaSnapshot.restore(h.ledger.snapshot());
    expect(viaSnapshot.state.entries()).toEqual(h.ledger.state.entries());
    expect(viaSnapshot.digest()).toEqual(h.ledger.digest());
  });

  it('refuses malformed entries with a CodecError and leaves the state untouched', async () => {
    const h = harness({ requireHolderCode: false });
    await h.run(org, { type: 'createEvent', eventId: E });
    await h.run(org, { type: 'issue', eventId: E, ticketId: ticketId('m-1'), holder: alice.publicKey });
    const good = h.ledger.state.entries();
    const target = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
    target.state.restoreEntries(good);
    const before = target.digest();
    const byKey = (k: string) => good.find((e) => new TextDecoder().decode(e.key) === k) as StateEntry;
    const ticket = byKey('t/m-1');
    const bad: StateEntry[][] = [
      [...good].reverse(), // out of order
      [...good, { key: utf8ToBytes('x/unknown'), value: encode(1) }], // unknown prefix
      good.filter((e) => e !== byKey('e/state-gig')), // ticket of an unknown event
      good.map((e) => (e === ticket ? { key: utf8ToBytes('t/bad id!'), value: e.value } : e)), // an invalid ticket id
      good.map((e) => (e === ticket ? { key: e.key, value: encode(['state-gig', 'ISSUED', alice.id, 1, null]) } : e)), // short row
      good.map((e) => (e === ticket ? { key: e.key, value: encode(['state-gig', 'BOGUS', alice.id, 1, null, []]) } : e)),
      good.map((e) => (e.key[0] === 0x72 ? { key: e.key, value: encode([5, new Uint8Array(REPLAY_WINDOW / 8).fill(0xff)]) } : e)), // replays below 1
    ];
    for (const [i, entries] of bad.entries()) {
      expect(() => target.state.restoreEntries(sortByKeySafe(entries)), `case ${i}`).toThrow(CodecError);
      expect(target.digest()).toEqual(before);
    }
  });
});

/** Sorts unless the case is about order (keeps reversed lists reversed). */
function sortByKeySafe(entries: StateEntry[]): StateEntry[] {
  const sorted = sortByKey([...entries]);
  const reversed = [...sorted].reverse();
  return entries.length > 1 && entries.every((e, i) => e === reversed[i]) ? entries : sorted;
}

describe('replay guard', () => {
  it('agrees with a set-based reference model, and its rows round-trip', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 * REPLAY_WINDOW }), { maxLength: 300 }), (seqs) => {
        const g = createReplayGuard();
        const seen = new Set<number>();
        let high = 0;
        for (const s of seqs) {
          const fresh = !(high > 0 && (s <= high - REPLAY_WINDOW || seen.has(s)));
          expect(g.isFresh('c', s)).toBe(fresh);
          if (fresh) {
            g.record('c', s);
            seen.add(s);
            high = Math.max(high, s);
          }
        }
        if (high === 0) return;
        const copy = createReplayGuard();
        copy.setRow('c', g.rowOf('c') ?? null);
        expect(encode(copy.rowOf('c') ?? null)).toEqual(encode(g.rowOf('c') ?? null));
        expect(createReplayGuard(g.toCbor()).toCbor()).toEqual(g.toCbor());
        for (let s = Math.max(1, high - REPLAY_WINDOW - 2); s <= high + 2; s++) expect(copy.isFresh('c', s)).toBe(g.isFresh('c', s));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('refuses malformed rows', () => {
    const g = createReplayGuard();
    expect(() => g.setRow('c', [1])).toThrow(CodecError);
    expect(() => g.setRow('c', [1, new Uint8Array(3)])).toThrow(CodecError);
    expect(() => g.setRow('c', [0, new Uint8Array(REPLAY_WINDOW / 8)])).toThrow(CodecError);
    expect(() => createReplayGuard([['c', 5000, [10]]])).toThrow(CodecError); // below the window
  });
});
