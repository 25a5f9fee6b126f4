/**
 * Property test of the event contract over random operation sequences
 * (fast-check): honest and hostile actors deposit, withdraw, buy with good
 * and bad credentials, register, list, transfer, refund, cancel, complete and
 * replay. After every operation:
 *
 * - money is conserved: Σ balances + Σ escrow = deposited − withdrawn, and no
 *   balance or escrow is negative;
 * - escrow is exactly the face value of the active tickets of open events
 *   (there is no resale in this test, so every payment is a primary sale);
 * - tickets are conserved: per event, active + refunded = issued ≤ capacity,
 *   and no person (event tag, across keys) holds more than the cap;
 * - a rejection changes nothing but the replay window.
 *
 * At the end, a twin replica replaying the same requests reaches the same
 * digest, and the snapshot restores to an identical state.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode, eventId, signRequest, type CborRecord, type SignedRequest } from '@admitone/core';
import { decodeContractResult, encodeContractOp, type ContractOp, type ContractResult, type EventContract, type EventPolicy } from '../src/contract/index.js';
import { business, HOUR, T0, harness, makeActor, policy, replayInto, type Actor, type Harness } from './contract-helpers.js';

const EVENTS = [eventId('model-a'), eventId('model-b')] as const;
const POLICIES: Record<string, EventPolicy> = {
  'model-a': policy({ capacity: 6, facePrice: 1_000n, perPersonCap: 3 }),
  'model-b': policy({ capacity: 4, facePrice: 0n, perPersonCap: 2, transferable: false, resaleCap: { kind: 'absolute', amount: 100n } }),
};
/** People: p3 has two keys that share one event tag. */
const KEYS = ['p0', 'p1', 'p2', 'p3a', 'p3b'] as const;
const TAG: Record<string, string> = { p0: 'p0', p1: 'p1', p2: 'p2', p3a: 'p3', p3b: 'p3' };

type Who = (typeof KEYS)[number] | 'org' | 'gateway';
type Cmd =
  | { k: 'deposit'; by: 'gateway' | 'p0'; to: Who; amount: bigint }
  | { k: 'withdraw'; who: Who; amount: bigint }
  | { k: 'buy'; who: Who; ev: 0 | 1; qty: number; cred: 'good' | 'wrongEvent' | 'otherHolder' | 'garbage' }
  | { k: 'register'; who: Who; ev: 0 | 1 }
  | { k: 'list'; who: Who; ev: 0 | 1; serial: number; price: bigint }
  | { k: 'unlist'; who: Who; ev: 0 | 1; serial: number }
  | { k: 'transfer'; who: Who; ev: 0 | 1; serial: number; to: Who }
  | { k: 'refund'; who: Who; ev: 0 | 1; serial: number }
  | { k: 'cancel'; who: Who; ev: 0 | 1 }
  | { k: 'complete'; who: Who; ev: 0 | 1; late: boolean }
  | { k: 'replay' };

const person = fc.constantFrom<Who>(...KEYS);
const mostlyOrg = fc.constantFrom<Who>('org', 'org', 'org', ...KEYS);
const ev = fc.constantFrom<0 | 1>(0, 1);
const serial = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3 }), weight: 9 }, { arbitrary: fc.integer({ min: -1, max: 9 }), weight: 2 });
/** Ticket actions mostly come from the people who bought first (p0 in event a, p1 in event b). */
const holderish = fc.constantFrom<Who>('p0', 'p0', 'p1', 'p1', ...KEYS);
const amount = (max: bigint) => fc.oneof({ arbitrary: fc.bigInt({ min: 1n, max }), weight: 9 }, { arbitrary: fc.bigInt({ min: -3n, max: 0n }), weight: 1 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('deposit' as const), by: fc.constantFrom('gateway' as const, 'gateway' as const, 'p0' as const), to: person, amount: amount(4_000n) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('withdraw' as const), who: person, amount: amount(5_000n) }), weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant('buy' as const),
      who: person,
      ev,
      qty: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3 }), weight: 8 }, { arbitrary: fc.integer({ min: -1, max: 0 }), weight: 1 }),
      cred: fc.constantFrom('good' as const, 'good' as const, 'good' as const, 'good' as const, 'wrongEvent' as const, 'otherHolder' as const, 'garbage' as const),
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ k: fc.constant('register' as const), who: person, ev }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('list' as const), who: holderish, ev, serial, price: amount(1_600n) }), weight: 4 },
  { arbitrary: fc.record({ k: fc.constant('unlist' as const), who: holderish, ev, serial }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('transfer' as const), who: holderish, ev, serial, to: person }), weight: 4 },
  { arbitrary: fc.record({ k: fc.constant('refund' as const), who: mostlyOrg, ev, serial }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('cancel' as const), who: mostlyOrg, ev }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('complete' as const), who: mostlyOrg, ev, late: fc.boolean() }), weight: 1 },
  { arbitrary: fc.constant({ k: 'replay' as const }), weight: 1 },
);

describe('EventContract conservation (property)', () => {
  it('conserves money and tickets over random operation sequences; rejections change nothing', async () => {
    const mint = await harness();
    const crypto = mint.crypto;
    const actors = new Map<Who, Actor>();
    for (const name of [...KEYS, 'org'] as const) actors.set(name, await makeActor(crypto, `model/${name}`));
    // credentials are minted once per (key, event, variant) and reused across runs
    const creds = new Map<string, Uint8Array>();
    for (const k of KEYS) {
      for (const [i, e] of EVENTS.entries()) {
        const a = actors.get(k)!;
        creds.set(`${k}/${i}/good`, await mint.credential(a, { eventId: e, tag: TAG[k]! }));
        creds.set(`${k}/${i}/wrongEvent`, await mint.credential(a, { eventId: EVENTS[1 - i]!, tag: TAG[k]! }));
        creds.set(`${k}/${i}/otherHolder`, await mint.credential(actors.get(k === 'p0' ? 'p1' : 'p0')!, { eventId: e, tag: TAG[k]! }));
      }
    }

    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 50, size: 'max' }), async (cmds) => {
        const contract = mint.twin(`run-${runs++}`); // a fresh replica with the shared committees and gateway
        const run = makeRunner(mint, contract, actors);
        for (const e of EVENTS) expect((await run('org', { type: 'createEvent', eventId: e, policy: POLICIES[e]! })).status).toBe('ok');
        for (const k of KEYS.slice(0, 3)) expect((await run('gateway', { type: 'deposit', account: actors.get(k)!.publicKey, amount: 3_000n })).status).toBe('ok');
        expect((await apply({ k: 'buy', who: 'p0', ev: 0, qty: 2, cred: 'good' }, run, actors, creds))?.status).toBe('ok');
        expect((await apply({ k: 'buy', who: 'p1', ev: 1, qty: 1, cred: 'good' }, run, actors, creds))?.status).toBe('ok');
        for (const [who, e] of [['p2', 0], ['p3a', 0], ['p2', 1]] as const) expect((await apply({ k: 'register', who, ev: e }, run, actors, creds))?.status).toBe('ok');
        for (const c of cmds) {
          const before = business(contract);
          const r = await apply(c, run, actors, creds);
          if (r !== undefined && r.status === 'rejected') expect(business(contract), `${JSON.stringify(c, big)} → ${r.reason}`).toEqual(before);
          invariants(contract, actors);
        }
        const twin = mint.twin('twin');
        await replayInto(twin, run.log);
        expect(twin.digest()).toEqual(contract.digest());
        const restored = mint.twin('restored');
        restored.restore(contract.snapshot());
        expect(restored.snapshot()).toEqual(contract.snapshot());
        expect(restored.digest()).toEqual(contract.digest());
      }),
      { numRuns: 50, seed: 20_251_121 },
    );
  });
});

interface Runner {
  (who: Who, op: ContractOp, at?: { timestamp?: number }): Promise<ContractResult>;
  readonly log: { request: SignedRequest; ctx: { seq: number; timestamp: number } }[];
  last: SignedRequest | undefined;
  replayLast(): Promise<ContractResult | undefined>;
}

/** Signs and executes ops on `contract` as the named actors, logging every request for replay. */
function makeRunner(h: Harness, contract: EventContract, actors: Map<Who, Actor>): Runner {
  let seq = 0;
  const seqs = new Map<Who, number>();
  const log: Runner['log'] = [];
  const exec = async (request: SignedRequest, timestamp = T0 + 1) => {
    const ctx = { seq: ++seq, timestamp };
    log.push({ request, ctx });
    return decodeContractResult(contract.execute(await contract.prepare(request), ctx));
  };
  const run = (async (who: Who, op: ContractOp, at?: { timestamp?: number }) => {
    const actor = who === 'gateway' ? h.gateway : actors.get(who)!;
    const requestSeq = (seqs.get(who) ?? 0) + 1;
    seqs.set(who, requestSeq);
    const request = await signRequest(h.crypto, actor.secret, { deployment: 'test', requestSeq, op: encodeContractOp(op) });
    run.last = request;
    return exec(request, at?.timestamp);
  }) as Runner;
  Object.assign(run, { log, last: undefined });
  run.replayLast = async () => {
    if (run.last === undefined) return undefined;
    const r = await exec(run.last);
    expect(r).toEqual({ status: 'rejected', reason: 'replayed' });
    return r;
  };
  return run;
}

async function apply(c: Cmd, run: Runner, actors: Map<Who, Actor>, creds: Map<string, Uint8Array>): Promise<ContractResult | undefined> {
  const key = (w: Who) => (w === 'gateway' ? undefined : actors.get(w)!.publicKey);
  switch (c.k) {
    case 'deposit':
      return run(c.by, { type: 'deposit', account: key(c.to)!, amount: c.amount });
    case 'withdraw':
      return run(c.who, { type: 'withdraw', amount: c.amount });
    case 'buy': {
      const credential = c.cred === 'garbage' ? new Uint8Array([0xa0]) : creds.get(`${c.who}/${c.ev}/${c.cred}`)!;
      return run(c.who, { type: 'buyPrimary', eventId: EVENTS[c.ev], quantity: c.qty, credential });
    }
    case 'register':
      return run(c.who, { type: 'register', eventId: EVENTS[c.ev], credential: creds.get(`${c.who}/${c.ev}/good`)! });
    case 'list':
      return run(c.who, { type: 'listForResale', eventId: EVENTS[c.ev], serial: c.serial, price: c.price });
    case 'unlist':
      return run(c.who, { type: 'cancelListing', eventId: EVENTS[c.ev], serial: c.serial });
    case 'transfer':
      return run(c.who, { type: 'transfer', eventId: EVENTS[c.ev], serial: c.serial, to: key(c.to)! });
    case 'refund':
      return run(c.who, { type: 'refund', eventId: EVENTS[c.ev], serial: c.serial });
    case 'cancel':
      return run(c.who, { type: 'cancelEvent', eventId: EVENTS[c.ev] });
    case 'complete':
      return run(c.who, { type: 'completeEvent', eventId: EVENTS[c.ev] }, { timestamp: c.late ? T0 + 49 * HOUR : T0 + 1 });
    case 'replay':
      return run.replayLast();
  }
}

function invariants(contract: EventContract, actors: Map<Who, Actor>): void {
  const supply = contract.supply();
  expect(supply.balances + supply.escrow).toBe(supply.deposited - supply.withdrawn);
  for (const a of actors.values()) {
    const v = contract.getAccount(a.id);
    expect(v.balance >= 0n && v.escrow >= 0n).toBe(true);
  }
  let expectedEscrow = 0n;
  for (const e of EVENTS) {
    const view = contract.getEvent(e)!;
    expect(view.issued).toBeLessThanOrEqual(view.policy.capacity);
    const held = new Map<string, number>();
    let active = 0;
    let refunded = 0;
    for (let s = 1; s <= view.issued; s++) {
      const t = contract.getTicket(e, s)!;
      if (t.status === 'refunded') {
        refunded++;
        continue;
      }
      active++;
      if (view.status === 'open') expectedEscrow += view.policy.facePrice;
      const name = [...actors.entries()].find(([, a]) => a.id === t.holder)![0];
      held.set(TAG[name]!, (held.get(TAG[name]!) ?? 0) + 1);
    }
    expect(active + refunded).toBe(view.issued);
    expect(refunded).toBe(view.refunded);
    for (const n of held.values()) expect(n).toBeLessThanOrEqual(view.policy.perPersonCap);
  }
  expect(supply.escrow).toBe(expectedEscrow);
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `bytes(${v.length})` : v;
}
