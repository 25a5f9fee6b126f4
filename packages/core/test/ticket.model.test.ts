/**
 * Model-based test of the ticket lifecycle (fast-check `fc.commands`): random
 * sequences of signed operations by honest and hostile actors run against the
 * real ledger and against a tiny reference model written independently as a
 * transition table. After every command: the ledger agrees with the model,
 * no ticket's progress moves backwards, terminal states are absorbing, and no
 * ticket is ever consumed twice.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventId, ticketId, type TicketId } from '../src/codec/hash.js';
import { createRotatingCode, createTicketLedger, progressRank, type TicketResult, type TicketState } from '../src/ticket/index.js';
import { actor, crypto, harness, scan, type Actor, type Harness } from './helpers/ledger-harness.js';
import type { SignedRequest } from '../src/app/request.js';

const E = eventId('model-event');
const E2 = eventId('model-other');
const TICKETS = ['m0', 'm1', 'm2'].map(ticketId);
const PEOPLE = ['alice', 'bob', 'carol'] as const;
type Person = (typeof PEOPLE)[number];
type Who = Person | 'org' | 'gate' | 'gate2' | 'mallory';

let A: Record<Who, Actor>;
beforeAll(async () => {
  const names: Who[] = ['alice', 'bob', 'carol', 'org', 'gate', 'gate2', 'mallory'];
  const actors = await Promise.all(names.map((n) => actor(`model-${n}`)));
  A = Object.fromEntries(names.map((n, i) => [n, actors[i]])) as Record<Who, Actor>;
});

// ---- the reference model --------------------------------------------------------
interface MTicket {
  state: TicketState;
  holder: Who;
  version: number;
  from?: TicketState;
  consumes: number;
}
interface Model {
  tickets: Map<TicketId, MTicket>;
}
type Expect = { ok: true; next?: Partial<MTicket> } | { ok: false; reason: string };
const ok = (next?: Partial<MTicket>): Expect => (next ? { ok: true, next } : { ok: true });
const no = (reason: string): Expect => ({ ok: false, reason });
const TERMINAL: Partial<Record<TicketState, string>> = { CONSUMED: 'already_consumed', REVOKED: 'revoked', REFUNDED: 'refunded' };

type CodeKind = 'fresh' | 'stale' | 'none' | 'forged' | 'oldVersion';

// ---- the real system -------------------------------------------------------------
interface Real {
  h: Harness;
  last?: SignedRequest | undefined;
  maxRank: Map<TicketId, number>;
}

abstract class Cmd implements fc.AsyncCommand<Model, Real> {
  abstract toString(): string;
  check(): boolean {
    return true;
  }
  abstract expected(m: Model): Expect;
  abstract perform(r: Real, m: Model): Promise<TicketResult>;
  async run(m: Model, r: Real): Promise<void> {
    const want = this.expected(m);
    const got = await this.perform(r, m);
    if (want.ok) {
      expect(got, this.toString()).toMatchObject({ status: 'ok' });
      const id = (this as unknown as { t?: TicketId }).t;
      if (id !== undefined) {
        const t = m.tickets.get(id);
        if (t === undefined) m.tickets.set(id, { state: 'ISSUED', holder: 'alice', version: 1, consumes: 0, ...want.next });
        else Object.assign(t, want.next);
      }
    } else {
      expect(got, this.toString()).toEqual({ status: 'rejected', reason: want.reason });
    }
    invariants(m, r);
  }
}

function invariants(m: Model, r: Real): void {
  for (const id of TICKETS) {
    const real = r.h.ledger.getTicket(id);
    const mt = m.tickets.get(id);
    expect(real === undefined, `existence of ${id}`).toBe(mt === undefined);
    if (real === undefined || mt === undefined) continue;
    expect(real.state, `state of ${id}`).toBe(mt.state);
    expect(real.holder, `holder of ${id}`).toBe(A[mt.holder].id);
    expect(real.version).toBe(mt.version);
    // never consumed twice
    expect(real.scans.filter((s) => s.kind === 'consume').length).toBeLessThanOrEqual(1);
    expect(mt.consumes).toBeLessThanOrEqual(1);
    // progress never moves backwards; terminal states are absorbing
    const rank = progressRank(real.state, real.disputedFrom);
    const prev = r.maxRank.get(id) ?? 0;
    expect(rank, `progress of ${id}`).toBeGreaterThanOrEqual(prev);
    r.maxRank.set(id, rank);
  }
}

class Issue extends Cmd {
  constructor(readonly t: TicketId, readonly by: Who, readonly to: Person) {
    super();
  }
  toString() {
    return `issue(${this.t}, by=${this.by}, to=${this.to})`;
  }
  expected(m: Model): Expect {
    if (this.by !== 'org') return no('not_organizer');
    if (m.tickets.has(this.t)) return no('already_exists');
    return ok({ holder: this.to });
  }
  perform(r: Real) {
    return r.h.run(A[this.by], { type: 'issue', eventId: E, ticketId: this.t, holder: A[this.to].publicKey });
  }
}

class Transfer extends Cmd {
  constructor(readonly t: TicketId, readonly by: Who, readonly to: Person) {
    super();
  }
  toString() {
    return `transfer(${this.t}, by=${this.by}, to=${this.to})`;
  }
  expected(m: Model): Expect {
    const t = m.tickets.get(this.t);
    if (!t) return no('not_found');
    if (t.holder !== this.by) return no('not_holder');
    if (this.to === t.holder) return no('same_holder');
    if (TERMINAL[t.state]) return no(TERMINAL[t.state] as string);
    if (t.state === 'VALIDATED') return no('already_validated');
    if (t.state === 'DISPUTED') return no('disputed');
    return ok({ holder: this.to, version: t.version + 1 });
  }
  perform(r: Real) {
    return r.h.run(A[this.by], { type: 'transfer', ticketId: this.t, to: A[this.to].publicKey });
  }
}

class Scan extends Cmd {
  constructor(readonly t: TicketId, readonly kind: 'validate' | 'consume', readonly device: Who, readonly ev: 'right' | 'wrong', readonly code: CodeKind, readonly signerChoice: Person | 'holder') {
    super();
  }
  toString() {
    return `${this.kind}(${this.t}, device=${this.device}, event=${this.ev}, code=${this.code}/${this.signerChoice})`;
  }
  signer(m: Model): Person {
    if (this.signerChoice !== 'holder') return this.signerChoice;
    const h = m.tickets.get(this.t)?.holder;
    return h === 'alice' || h === 'bob' || h === 'carol' ? h : 'alice';
  }
  expected(m: Model): Expect {
    const t = m.tickets.get(this.t);
    if (!t) return no('not_found');
    if (this.ev === 'wrong') return no('wrong_event');
    if (this.device !== 'gate') return no('not_authorized');
    if (this.kind === 'validate') {
      if (this.code === 'none') return no('stale_code');
      if (this.code === 'forged') return no('invalid_signature');
      if (this.code !== 'fresh' || this.signer(m) !== t.holder) return no('stale_code');
    }
    if (t.state === 'CONSUMED') coverage.doubleConsumeAttempts++;
    if (TERMINAL[t.state]) return no(TERMINAL[t.state] as string);
    if (t.state === 'DISPUTED') return no('disputed');
    if (this.kind === 'consume' && t.state === 'VALIDATED') coverage.consumed++;
    if (this.kind === 'validate') return t.state === 'VALIDATED' ? no('already_validated') : ok({ state: 'VALIDATED' });
    return t.state === 'ISSUED' ? no('not_validated') : ok({ state: 'CONSUMED', consumes: t.consumes + 1 });
  }
  async perform(r: Real, m: Model) {
    const eventIdForScan = this.ev === 'right' ? E : E2;
    const device = this.ev === 'wrong' && this.device === 'gate' ? A.gate2 : A[this.device];
    if (this.kind === 'consume') return r.h.run(device, { type: 'consume', eventId: eventIdForScan, ticketId: this.t, scan: scan() });
    const version = m.tickets.get(this.t)?.version ?? 1;
    const time = r.h.time;
    let code;
    if (this.code === 'fresh' || this.code === 'forged') code = await createRotatingCode(crypto, A[this.signer(m)].secret, { deployment: 'test', ticketId: this.t, version, timeMs: time });
    if (this.code === 'stale') code = await createRotatingCode(crypto, A[this.signer(m)].secret, { deployment: 'test', ticketId: this.t, version, timeMs: time - 10 * 30_000 });
    if (this.code === 'oldVersion') code = await createRotatingCode(crypto, A[this.signer(m)].secret, { deployment: 'test', ticketId: this.t, version: version + 1, timeMs: time });
    if (this.code === 'forged' && code) code = { ...code, signature: code.signature.map((b, i) => (i === 5 ? b ^ 0x40 : b)) };
    const op = { type: 'validate' as const, eventId: eventIdForScan, ticketId: this.t, scan: scan() };
    return r.h.run(device, code ? { ...op, code } : op);
  }
}

class Dispute extends Cmd {
  constructor(readonly t: TicketId, readonly by: Who) {
    super();
  }
  toString() {
    return `dispute(${this.t}, by=${this.by})`;
  }
  expected(m: Model): Expect {
    const t = m.tickets.get(this.t);
    if (!t) return no('not_found');
    if (this.by !== t.holder && this.by !== 'org' && this.by !== 'gate') return no('not_authorized');
    if (TERMINAL[t.state]) return no(TERMINAL[t.state] as string);
    if (t.state === 'DISPUTED') return no('disputed');
    return ok({ state: 'DISPUTED', from: t.state });
  }
  perform(r: Real) {
    return r.h.run(A[this.by], { type: 'dispute', ticketId: this.t, note: 'model' });
  }
}

class Resolve extends Cmd {
  constructor(readonly t: TicketId, readonly by: Who, readonly outcome: 'reinstate' | 'revoke' | 'refund') {
    super();
  }
  toString() {
    return `resolve(${this.t}, by=${this.by}, ${this.outcome})`;
  }
  expected(m: Model): Expect {
    const t = m.tickets.get(this.t);
    if (!t) return no('not_found');
    if (this.by !== 'org') return no('not_organizer');
    if (t.state !== 'DISPUTED') return no(TERMINAL[t.state] ?? 'not_disputed');
    const next: TicketState = this.outcome === 'reinstate' ? (t.from as TicketState) : this.outcome === 'revoke' ? 'REVOKED' : 'REFUNDED';
    return ok({ state: next });
  }
  perform(r: Real) {
    return r.h.run(A[this.by], { type: 'resolve', ticketId: this.t, outcome: this.outcome });
  }
}

class Cancel extends Cmd {
  constructor(readonly t: TicketId, readonly by: Who, readonly kind: 'revoke' | 'refund') {
    super();
  }
  toString() {
    return `${this.kind}(${this.t}, by=${this.by})`;
  }
  expected(m: Model): Expect {
    const t = m.tickets.get(this.t);
    if (!t) return no('not_found');
    if (this.by !== 'org') return no('not_organizer');
    if (TERMINAL[t.state]) return no(TERMINAL[t.state] as string);
    // a validated ticket is never refunded directly, even while disputed: `resolve` settles that
    if (this.kind === 'refund' && (t.state === 'VALIDATED' || (t.state === 'DISPUTED' && t.from === 'VALIDATED'))) return no('already_validated');
    return ok({ state: this.kind === 'revoke' ? 'REVOKED' : 'REFUNDED' });
  }
  perform(r: Real) {
    return r.h.run(A[this.by], { type: this.kind, ticketId: this.t });
  }
}

/** Re-submits the last signed request: always `replayed`, never a second effect. */
class Replay implements fc.AsyncCommand<Model, Real> {
  toString() {
    return 'replay(last)';
  }
  check() {
    return true;
  }
  async run(m: Model, r: Real) {
    if (r.last === undefined) return;
    const digest = r.h.ledger.digest();
    expect(await r.h.runSigned(r.last)).toEqual({ status: 'rejected', reason: 'replayed' });
    expect(r.h.ledger.digest()).toEqual(digest);
    invariants(m, r);
  }
}

/** A request whose signature does not verify: `invalid_signature`, no effect at all. */
class Forge implements fc.AsyncCommand<Model, Real> {
  constructor(readonly t: TicketId) {}
  toString() {
    return `forge(consume ${this.t} as gate)`;
  }
  check() {
    return true;
  }
  async run(m: Model, r: Real) {
    const req = await r.h.sign(A.mallory, { type: 'consume', eventId: E, ticketId: this.t, scan: scan() });
    const forged = { ...req, clientId: A.gate.id };
    const digest = r.h.ledger.digest();
    const last = r.last;
    expect(await r.h.runSigned(forged)).toEqual({ status: 'rejected', reason: 'invalid_signature' });
    expect(await r.h.runSigned(forged)).toEqual({ status: 'rejected', reason: 'invalid_signature' });
    r.last = last; // a forged request is not a replay candidate: it never executed
    expect(r.h.ledger.digest()).toEqual(digest);
    invariants(m, r);
  }
}

const who = fc.constantFrom<Who>('alice', 'bob', 'carol', 'org', 'gate', 'gate2', 'mallory');
const person = fc.constantFrom<Person>(...PEOPLE);
const tid = fc.constantFrom(...TICKETS);
/** How often the interesting paths were exercised (asserted non-zero below, so the test cannot go vacuous). */
const coverage = { consumed: 0, doubleConsumeAttempts: 0 };

const commands = [
  fc.tuple(tid, fc.constantFrom<Who>('org', 'org', 'org', 'mallory'), person).map(([t, b, p]) => new Issue(t, b, p)),
  fc.tuple(tid, who, person).map(([t, b, p]) => new Transfer(t, b, p)),
  fc
    .tuple(tid, fc.constantFrom<'validate' | 'consume'>('validate', 'consume'), fc.constantFrom<Who>('gate', 'gate', 'gate', 'gate', 'gate2', 'mallory'), fc.constantFrom<'right' | 'wrong'>('right', 'right', 'right', 'right', 'wrong'), fc.constantFrom<CodeKind>('fresh', 'fresh', 'fresh', 'fresh', 'stale', 'none', 'forged', 'oldVersion'), fc.constantFrom<Person | 'holder'>('holder', 'holder', 'holder', 'holder', ...PEOPLE))
    .map(([t, k, d, e, c, s]) => new Scan(t, k, d, e, c, s)),
  fc.tuple(tid, who).map(([t, b]) => new Dispute(t, b)),
  fc.tuple(tid, fc.constantFrom<Who>('org', 'org', 'alice'), fc.constantFrom<'reinstate' | 'revoke' | 'refund'>('reinstate', 'reinstate', 'revoke', 'refund')).map(([t, b, o]) => new Resolve(t, b, o)),
  fc.tuple(tid, fc.constantFrom<Who>('org', 'bob'), fc.constantFrom<'revoke' | 'refund'>('revoke', 'refund')).map(([t, b, k]) => new Cancel(t, b, k)),
  fc.constant(new Replay()),
  tid.map((t) => new Forge(t)),
];

/** Scans biased to the admission path, so consumed tickets get re-scanned. */
const scanHeavy = fc
  .tuple(tid, fc.constantFrom<'validate' | 'consume'>('validate', 'consume'))
  .map(([t, k]) => new Scan(t, k, 'gate', 'right', 'fresh', 'holder'));

describe('ticket lifecycle: model-based', () => {
  it('matches the reference model; states never move backwards; no ticket is consumed twice', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands([...commands, scanHeavy, scanHeavy], { maxCommands: 40, size: 'large' }), async (cmds) => {
        const h = harness();
        // wrap run() to remember the last signed request for Replay
        const real: Real = { h, maxRank: new Map() };
        const runSigned = h.runSigned.bind(h);
        h.runSigned = async (req) => {
          real.last = req;
          return runSigned(req);
        };
        await h.run(A.org, { type: 'createEvent', eventId: E });
        await h.run(A.org, { type: 'authorizeGate', eventId: E, device: A.gate.publicKey });
        await h.run(A.mallory, { type: 'createEvent', eventId: E2 });
        await h.run(A.mallory, { type: 'authorizeGate', eventId: E2, device: A.gate2.publicKey });
        const model: Model = { tickets: new Map() };
        // two tickets start issued, the third is left to the Issue command
        for (const [t, p] of [[TICKETS[0], 'alice'], [TICKETS[1], 'bob']] as const) {
          await h.run(A.org, { type: 'issue', eventId: E, ticketId: t as TicketId, holder: A[p].publicKey });
          model.tickets.set(t as TicketId, { state: 'ISSUED', holder: p, version: 1, consumes: 0 });
        }
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // determinism: a fresh replica restored from the snapshot has the same digest
        const copy = createTicketLedger({ deployment: 'test', crypto });
        copy.restore(h.ledger.snapshot());
        expect(copy.digest()).toEqual(h.ledger.digest());
      }),
      { numRuns: 40, seed: 20261121 },
    );
    expect(coverage.consumed).toBeGreaterThan(5);
    expect(coverage.doubleConsumeAttempts).toBeGreaterThan(5);
  }, 120_000);
});
