/**
 * The AdmitOne story, run against a live venue network: an organizer's
 * event with a resale cap and a royalty, enrollment through the identity
 * committee (a duplicate refused), event credentials, primary sales under the
 * per-person cap (a bot refused), two sealed-order resale epochs (an over-cap
 * ask dropped), gates admitting offline and online, a second scan at another
 * gate refused, and the primary replica killed half-way.
 *
 * Every outcome printed here is the committed result the replicas returned
 * (f+1 matching replies) or the gate verifier's verdict — nothing is assumed.
 * @module
 */
import {
  type ClientId,
  type CryptoProvider,
  type EventId,
  type GateId,
  type ScanFact,
  type SignedRequest,
  bytesToHex,
  clientIdOf,
  eventId as toEventId,
  gateId,
  signRequest,
  systemClock,
  systemRandom,
} from '@admitone/core';
import { createClient, type Client } from '@admitone/consensus';
import {
  type CommitteeDescriptor,
  type CommitteeEndpoint,
  type EventCredential,
  type IdentityAttributes,
  type MasterCredential,
  type Presentation,
  type TicketPass,
  createGateVerifier,
  createIdentityClient,
  createPresentation,
  decodePresentation,
  encodeCredential,
  encodePresentation,
  issueTicketPass,
} from '@admitone/identity';
import {
  type ContractOp,
  type ContractResult,
  type EventPolicy,
  type OrderOutcome,
  type Tdh2PublicKey,
  type TradeView,
  decodeContractQueryResult,
  decodeContractResult,
  encodeContractOp,
  encodeContractQuery,
  resaleCapPrice,
  sealOrder,
  ticketIdOf,
} from '@admitone/market';
import { webSocketTransport, type WebSocketTransport } from '@admitone/transport-ws';

/** What the story needs from a running venue network. */
export interface DemoVenue {
  /** The venue's deployment id: requests, passes and holder codes are signed for it. */
  readonly deployment: string;
  /** The PBFT replicas, in membership order, with their ledger WebSocket URLs. */
  readonly replicas: readonly { readonly id: string; readonly publicKey: Uint8Array; readonly url: string }[];
  /** A client device of the ledger mesh (allowed to connect to the replicas): the story's relay. */
  readonly device: { readonly id: string; readonly secretKey: Uint8Array };
  /** The identity committee and how to reach its members. */
  readonly identity: { readonly committee: CommitteeDescriptor; readonly endpoint: CommitteeEndpoint };
  /** The secret-management committee's TDH2 public key (sealed orders are encrypted to it). */
  readonly orderKey: Tdh2PublicKey;
  /** The payment gateway's secret key (a funding key of the contract): money enters only through it. */
  readonly fundingSecretKey: Uint8Array;
  /** SIGKILLs the process of replica `index`. */
  kill(index: number): Promise<void>;
  /** The cluster's current view as the live replicas report it (the highest a quorum has reached). */
  view(): Promise<number>;
}

/** One line of the summary table. */
export interface StoryStep {
  /** Step number in the story (1 … 7). */
  readonly step: number;
  /** What was attempted. */
  readonly action: string;
  /** What was expected. */
  readonly expected: string;
  /** What the venue answered. */
  readonly outcome: string;
  /** Whether the outcome is the expected one. */
  readonly ok: boolean;
}

/** The story's result. */
export interface StorySummary {
  /** Every checked outcome. */
  readonly steps: readonly StoryStep[];
  /** Operations committed through PBFT (accepted or rejected by the contract: both are committed results). */
  readonly committedOps: number;
  /** Median commit latency of the story's operations, ms. */
  readonly commitP50Ms: number;
  /** 99th-percentile commit latency, ms (includes the view change after the kill). */
  readonly commitP99Ms: number;
  /** The replica killed, and the view the cluster moved to. */
  readonly killed: { readonly replica: string; readonly newView: number | undefined };
  /** Money conservation after the story: deposited − withdrawn = balances + escrow. */
  readonly conserved: boolean;
  /** Resale trades settled, with price and royalty. */
  readonly trades: readonly { readonly epoch: number; readonly serial: number; readonly price: string; readonly royalty: string }[];
  /** Total wall time of the story, ms. */
  readonly durationMs: number;
}

/** Options of {@link runStory}. */
export interface StoryOptions {
  /** Ed25519 provider. */
  readonly crypto: CryptoProvider;
  /** Progress lines, as they happen. */
  readonly progress: (line: string) => void;
  /** Length of a sealed-order epoch. Default 3 000 ms. */
  readonly epochMs?: number;
}

interface Person {
  readonly name: string;
  readonly attributes: IdentityAttributes;
  readonly masterSecret: Uint8Array;
  master?: MasterCredential;
}

interface Wallet {
  readonly owner: string;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly id: ClientId;
  credential?: EventCredential;
}

/** Runs the whole story; resolves with the summary (`steps[].ok` false for any unexpected outcome). */
export async function runStory(venue: DemoVenue, options: StoryOptions): Promise<StorySummary> {
  const { crypto, progress } = options;
  const epochMs = options.epochMs ?? 3_000;
  const random = systemRandom();
  const clock = systemClock();
  const started = clock.now();
  const steps: StoryStep[] = [];
  const latencies: number[] = [];
  const check = (step: number, action: string, expected: string, outcome: string): boolean => {
    const ok = outcome === expected;
    steps.push({ step, action, expected, outcome, ok });
    progress(`   ${ok ? '✓' : '✗'} ${action}: ${outcome}${ok ? '' : ` (expected ${expected})`}`);
    return ok;
  };

  // the story's relay into the ledger mesh: users sign their own requests, the relay only forwards them
  const transport: WebSocketTransport = await webSocketTransport({
    localId: venue.device.id,
    secretKey: venue.device.secretKey,
    members: [...venue.replicas.map((r) => ({ id: r.id, publicKey: r.publicKey, url: r.url })), { id: venue.device.id, publicKey: await crypto.getPublicKey(venue.device.secretKey) }],
    crypto,
    clock,
    reconnect: { minMs: 50, maxMs: 500 },
  });
  const client: Client = createClient({ transport, replicas: venue.replicas.map((r) => r.id), secretKey: venue.device.secretKey, deployment: venue.deployment, crypto, clock, timeoutMs: 400, maxTimeoutMs: 2_000, deadlineMs: 60_000 });
  const seqs = new Map<string, number>();
  let committedOps = 0;
  const send = async (secret: Uint8Array, op: ContractOp): Promise<ContractResult> => {
    const id = bytesToHex(await crypto.getPublicKey(secret));
    const requestSeq = (seqs.get(id) ?? 0) + 1;
    seqs.set(id, requestSeq);
    const request: SignedRequest = await signRequest(crypto, secret, { deployment: venue.deployment, requestSeq, op: encodeContractOp(op) });
    const t0 = performance.now();
    const result = decodeContractResult(await client.relay(request));
    latencies.push(performance.now() - t0);
    committedOps++;
    return result;
  };
  const outcomeOf = (r: ContractResult): string => (r.status === 'ok' ? 'ok' : `rejected: ${r.reason}`);
  const query = async (q: Parameters<typeof encodeContractQuery>[0]) => decodeContractQueryResult(await client.read(encodeContractQuery(q)));
  const wallet = async (owner: string): Promise<Wallet> => {
    const secret = random.bytes(32);
    const publicKey = await crypto.getPublicKey(secret);
    return { owner, secret, publicKey, id: clientIdOf(publicKey) };
  };

  try {
    await waitConnected(transport, venue.replicas.length, 20_000);
    const identity = createIdentityClient({ committee: venue.identity.committee, endpoint: venue.identity.endpoint, crypto, random });

    // 1 ─ the organizer creates an event with a resale cap and a royalty
    progress('1. The organizer creates an event with a resale cap and a royalty');
    const organizer = await wallet('organizer');
    const EVENT: EventId = toEventId(`summer-gig-${bytesToHex(random.bytes(3))}`);
    const now = clock.now();
    const policy: EventPolicy = {
      capacity: 100,
      facePrice: 5_000n,
      sale: { start: now - 60_000, end: now + 3_600_000 },
      resale: { start: now, end: now + 3_600_000 },
      resaleCap: { kind: 'percent', percent: 110 },
      royaltyBps: 500,
      perPersonCap: 2,
      transferable: true,
      epochs: { kind: 'time', lengthMs: epochMs },
      maxOrdersPerAccount: 4,
    };
    check(1, `create event ${EVENT} (face 50.00, resale cap 110 % = ${money(resaleCapPrice(policy))}, royalty 5 %, 2 per person)`, 'ok', outcomeOf(await send(organizer.secret, { type: 'createEvent', eventId: EVENT, policy })));
    const gates = { north: await wallet('gate north'), south: await wallet('gate south'), east: await wallet('gate east (offline)') };
    for (const g of Object.values(gates)) {
      check(1, `authorise ${g.owner}`, 'ok', outcomeOf(await send(organizer.secret, { type: 'authorizeGate', eventId: EVENT, device: g.publicKey })));
    }

    // 2 ─ buyers enroll once and get event credentials
    progress('2. Buyers enroll with the identity committee (secret-shared identity, threshold MiMC PRF) and get event credentials');
    const people: Person[] = ['alice', 'bob', 'carol', 'dave', 'mallory'].map((name, i) => ({
      name,
      attributes: { country: 'NL', document: `DOC-${name.toUpperCase()}-${i}`, birth: `199${i}-0${i + 1}-1${i}` },
      masterSecret: random.bytes(32),
    }));
    for (const p of people) {
      const r = await identity.enroll({ attributes: p.attributes, holderSecretKey: p.masterSecret });
      if (r.status === 'enrolled') p.master = r.credential;
      check(2, `enroll ${p.name}`, 'enrolled', r.status === 'rejected' ? `rejected: ${r.reason}` : r.status);
    }
    const again = await identity.enroll({ attributes: (people[0] as Person).attributes, holderSecretKey: random.bytes(32) });
    check(2, 'enroll alice again with a new key (same identity)', 'duplicate', again.status === 'rejected' ? `rejected: ${again.reason}` : again.status);
    const byName = new Map(people.map((p) => [p.name, p]));
    const credentialFor = async (name: string, w: Wallet): Promise<void> => {
      const p = byName.get(name) as Person;
      if (p.master === undefined) throw new Error(`${name} is not enrolled`);
      const r = await identity.requestEventCredential({ attributes: p.attributes, eventId: EVENT, master: p.master, masterSecretKey: p.masterSecret, holderSecretKey: w.secret });
      if (r.status !== 'issued') throw new Error(`event credential for ${name}: ${r.reason}`);
      w.credential = r.credential;
    };
    const w = {
      alice: await wallet('alice'),
      bob: await wallet('bob'),
      carol: await wallet('carol'),
      dave: await wallet('dave'),
      bot1: await wallet('mallory (key 1)'),
      bot2: await wallet('mallory (key 2)'),
    };
    await credentialFor('alice', w.alice);
    await credentialFor('bob', w.bob);
    await credentialFor('carol', w.carol);
    await credentialFor('dave', w.dave);
    await credentialFor('mallory', w.bot1);
    await credentialFor('mallory', w.bot2);
    const sameTag = bytesToHex((w.bot1.credential as EventCredential).eventTag) === bytesToHex((w.bot2.credential as EventCredential).eventTag);
    check(2, 'mallory’s two wallets get the same per-event tag (one person)', 'same tag', sameTag ? 'same tag' : 'different tags');
    const gateway = venue.fundingSecretKey;
    for (const x of Object.values(w)) {
      const r = await send(gateway, { type: 'deposit', account: x.publicKey, amount: 20_000n });
      if (r.status !== 'ok') throw new Error(`deposit for ${x.owner}: ${r.reason}`);
    }
    progress(`   · the payment gateway deposited 200.00 into ${Object.keys(w).length} wallets`);

    // 3 ─ primary sales under the per-person cap
    progress('3. Primary sales, capped at 2 tickets per person (by event tag, across wallets)');
    const buy = (x: Wallet, quantity: number) => send(x.secret, { type: 'buyPrimary', eventId: EVENT, quantity, credential: encodeCredential(x.credential as EventCredential) });
    const bought = new Map<string, number[]>();
    for (const [x, q] of [
      [w.alice, 2],
      [w.bob, 1],
      [w.carol, 1],
      [w.bot1, 2],
    ] as const) {
      const r = await buy(x, q);
      if (r.status === 'ok') bought.set(x.owner, (r.tickets ?? []).map((t) => t.serial));
      check(3, `${x.owner} buys ${q}`, 'ok', outcomeOf(r));
    }
    check(3, 'mallory buys 1 more with a second wallet (3 > cap 2)', 'rejected: cap_per_person', outcomeOf(await buy(w.bot2, 1)));
    check(3, 'dave registers his credential to trade on the resale market', 'ok', outcomeOf(await send(w.dave.secret, { type: 'register', eventId: EVENT, credential: encodeCredential(w.dave.credential as EventCredential) })));

    // alice's wallet receives her passes now; she will sell #1 in the resale and keep an old copy of its pass
    const aliceOldPass = await issueTicketPass(crypto, organizer.secret, {
      deployment: venue.deployment,
      eventId: EVENT,
      ticketId: ticketIdOf(EVENT, (bought.get('alice') ?? [])[0] ?? 1),
      version: 1,
      holderKey: w.alice.publicKey,
      credential: w.alice.credential as EventCredential,
    });

    // 7 (mid-way) ─ kill the primary; everything after this goes through a view change
    const view0 = await venue.view();
    const primary = view0 % venue.replicas.length;
    progress(`7. Killing the primary replica ${venue.replicas[primary]?.id} (view ${view0}) — the story carries on`);
    await venue.kill(primary);

    // 4 ─ two sealed-order resale epochs
    progress('4. Two resale epochs through sealed orders: encrypted, ordered while encrypted, cut off, decrypted, shuffled, matched');
    const [aliceFirst, aliceSecond] = bought.get('alice') ?? [];
    const bobTicket = (bought.get('bob') ?? [])[0];
    const carolTicket = (bought.get('carol') ?? [])[0];
    if (aliceFirst === undefined || aliceSecond === undefined || bobTicket === undefined || carolTicket === undefined) throw new Error('primary sales did not issue the expected tickets');
    const trades: { epoch: number; serial: number; price: string; royalty: string }[] = [];
    const runEpoch = async (label: string, orders: readonly { who: Wallet; order: Parameters<typeof sealOrder>[3] }[], expect: (v: { outcomes: readonly OrderOutcome[]; trades: readonly TradeView[] }) => void): Promise<void> => {
      const epoch = Math.floor((clock.now() - policy.resale.start) / epochMs) + 1; // the next epoch: never closed when the order lands
      for (const { who, order } of orders) {
        const ciphertext = sealOrder(venue.orderKey, EVENT, epoch, order, who.publicKey, random);
        const r = await send(who.secret, { type: 'submitSealedOrder', eventId: EVENT, epoch, ciphertext });
        check(4, `${label}: ${who.owner} submits a sealed ${order.side} (${order.side === 'ask' ? `#${order.serial} at ${money(order.price)}` : `${order.quantity} at ≤ ${money(order.maxPrice)}`})`, 'ok', outcomeOf(r));
      }
      // after the epoch ends anyone may commit the cutoff; the committee members then post their shares
      await sleep(policy.resale.start + (epoch + 1) * epochMs - clock.now() + 50);
      const cut = await send(organizer.secret, { type: 'cutoff', eventId: EVENT });
      if (cut.status !== 'ok' && cut.reason !== 'too_early') throw new Error(`cutoff: ${cut.reason}`);
      await waitFor(async () => {
        const v = await query({ type: 'epoch', eventId: EVENT, epoch });
        return 'epoch' in v && v.epoch.status === 'settled' ? v.epoch : undefined;
      }, 30_000, `epoch ${epoch} to settle`);
      // the summary has counts only: page through the settled outcomes and trades
      const settled: { outcomes: OrderOutcome[]; trades: TradeView[] } = { outcomes: [], trades: [] };
      for (let from: number | undefined = 0; from !== undefined; ) {
        const page = await query({ type: 'epochOutcomes', eventId: EVENT, epoch, from });
        if (!('outcomes' in page)) throw new Error(`epoch ${epoch}: no outcomes page`);
        settled.outcomes.push(...page.outcomes);
        from = page.next;
      }
      for (let from: number | undefined = 0; from !== undefined; ) {
        const page = await query({ type: 'epochTrades', eventId: EVENT, epoch, from });
        if (!('trades' in page)) throw new Error(`epoch ${epoch}: no trades page`);
        settled.trades.push(...page.trades);
        from = page.next;
      }
      for (const t of settled.trades) trades.push({ epoch, serial: t.serial, price: money(t.price), royalty: money(t.royalty) });
      expect(settled);
    };
    await runEpoch(
      'epoch A',
      [
        { who: w.alice, order: { side: 'ask', serial: aliceFirst, price: 5_200n } },
        { who: w.bob, order: { side: 'ask', serial: bobTicket, price: 9_000n } },
        { who: w.dave, order: { side: 'bid', quantity: 1, maxPrice: 5_500n } },
      ],
      (v) => {
        const dropped = v.outcomes.find((o) => o.status === 'dropped');
        check(4, 'epoch A: bob’s ask at 90.00 (over the 55.00 cap) is dropped', 'dropped: above_cap', dropped === undefined ? 'not dropped' : `dropped: ${dropped.reason ?? '?'}`);
        const t = v.trades[0];
        check(4, 'epoch A: dave buys alice’s ticket at her ask, organizer gets 5 %', 'trade 52.00, royalty 2.60', t === undefined ? 'no trade' : `trade ${money(t.price)}, royalty ${money(t.royalty)}`);
      },
    );
    await runEpoch(
      'epoch B',
      [
        { who: w.carol, order: { side: 'ask', serial: carolTicket, price: 5_500n } },
        { who: w.bob, order: { side: 'bid', quantity: 1, maxPrice: 5_500n } },
      ],
      (v) => {
        const t = v.trades[0];
        check(4, 'epoch B: bob buys carol’s ticket at the cap', 'trade 55.00, royalty 2.75', t === undefined ? 'no trade' : `trade ${money(t.price)}, royalty ${money(t.royalty)}`);
      },
    );
    const newView = await venue.view().catch(() => undefined);
    check(7, `the cluster carried on without replica ${venue.replicas[primary]?.id}`, 'view changed', newView !== undefined && newView > view0 ? 'view changed' : `view ${String(newView)}`);

    // 5 ─ gates admit: offline verification of the wallet's rotating QR, then the consume through PBFT
    progress('5. Gates admit holders: offline check of the rotating QR code, then the admission committed through PBFT');
    const ticketOf = async (serial: number) => {
      const r = await query({ type: 'ticket', eventId: EVENT, serial });
      if (!('ticket' in r)) throw new Error(`ticket ${serial} not found`);
      return r.ticket;
    };
    const passFor = async (serial: number, holder: Wallet): Promise<TicketPass> => {
      const t = await ticketOf(serial);
      if (t.holder !== holder.id) throw new Error(`${holder.owner} does not hold ticket ${serial}`);
      return issueTicketPass(crypto, organizer.secret, { deployment: venue.deployment, eventId: EVENT, ticketId: ticketIdOf(EVENT, serial), version: t.version, holderKey: holder.publicKey, credential: holder.credential as EventCredential });
    };
    const gatePolicy = { deployment: venue.deployment, eventId: EVENT, committee: venue.identity.committee, organizerKeys: [organizer.publicKey], crypto };
    const verifier = { north: createGateVerifier(gatePolicy), south: createGateVerifier(gatePolicy), east: createGateVerifier(gatePolicy) };
    const scan = (gate: GateId): ScanFact => ({ nonce: random.bytes(16), gate, time: clock.now() });
    const admitAt = async (g: keyof typeof gates, qr: Uint8Array, serial: number): Promise<{ offline: string; online: string }> => {
      const presentation: Presentation = decodePresentation(qr);
      const v = await verifier[g].verify(qr, { now: clock.now() });
      const offline = v.status === 'admitted' ? 'admitted' : `rejected: ${v.reason}`;
      if (v.status !== 'admitted') return { offline, online: 'not sent' };
      const r = await send(gates[g].secret, { type: 'admit', eventId: EVENT, serial, scan: scan(gateId(`gate-${g}`)), code: presentation.code });
      return { offline, online: outcomeOf(r) };
    };
    const davePass = await passFor(aliceFirst, w.dave);
    const daveQr = encodePresentation(await createPresentation(crypto, w.dave.secret, davePass, clock.now()));
    const first = await admitAt('north', daveQr, aliceFirst);
    check(5, `gate north scans dave’s ticket #${aliceFirst} (bought in resale)`, 'admitted → ok', `${first.offline} → ${first.online}`);
    const alicePass = await passFor(aliceSecond, w.alice);
    const aliceQr = encodePresentation(await createPresentation(crypto, w.alice.secret, alicePass, clock.now()));
    const second = await admitAt('south', aliceQr, aliceSecond);
    check(5, `gate south scans alice’s ticket #${aliceSecond}`, 'admitted → ok', `${second.offline} → ${second.online}`);
    // an offline gate admits provisionally from the QR alone and syncs later
    const bobPass = await passFor(carolTicket, w.bob);
    const bobQr = encodePresentation(await createPresentation(crypto, w.bob.secret, bobPass, clock.now()));
    const offlineVerdict = await verifier.east.verify(bobQr, { now: clock.now() });
    check(5, `gate east (offline) scans bob’s ticket #${carolTicket}: provisional, queued`, 'admitted', offlineVerdict.status === 'admitted' ? 'admitted' : `rejected: ${offlineVerdict.reason}`);
    const queued = { serial: carolTicket, scan: scan(gateId('gate-east')), code: decodePresentation(bobQr).code };
    const synced = await send(gates.east.secret, { type: 'admit', eventId: EVENT, serial: queued.serial, scan: queued.scan, code: queued.code });
    check(5, 'gate east reconnects and syncs its queue', 'ok', outcomeOf(synced));
    const forged = encodePresentation({ ...decodePresentation(aliceQr), code: { ...decodePresentation(aliceQr).code, signature: new Uint8Array(64).fill(7) } });
    const forgedVerdict = await verifier.north.verify(forged, { now: clock.now() });
    check(5, 'a forged QR code at gate north', 'rejected: invalid_signature', forgedVerdict.status === 'admitted' ? 'admitted' : `rejected: ${forgedVerdict.reason}`);

    // 6 ─ the same ticket at another gate
    progress('6. The same ticket scanned again at another gate');
    const replay = await admitAt('south', daveQr, aliceFirst);
    check(6, `gate south scans dave’s ticket #${aliceFirst} again`, 'admitted → rejected: already_consumed', `${replay.offline} → ${replay.online}`);
    const oldCopy = encodePresentation(await createPresentation(crypto, w.alice.secret, aliceOldPass, clock.now()));
    const stale = await admitAt('north', oldCopy, aliceFirst);
    check(6, `alice’s old pass for ticket #${aliceFirst}, which she sold`, 'admitted → rejected: stale_code', `${stale.offline} → ${stale.online}`);

    const supply = await query({ type: 'supply' });
    const conserved = 'supply' in supply && supply.supply.balances + supply.supply.escrow === supply.supply.deposited - supply.supply.withdrawn;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      steps,
      committedOps,
      commitP50Ms: round(quantile(sorted, 0.5)),
      commitP99Ms: round(quantile(sorted, 0.99)),
      killed: { replica: venue.replicas[primary]?.id ?? '?', newView },
      conserved,
      trades,
      durationMs: Math.round(clock.now() - started),
    };
  } finally {
    await client.close();
    await transport.close();
  }
}

function money(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const v = minor < 0n ? -minor : minor;
  return `${sign}${v / 100n}.${(v % 100n).toString().padStart(2, '0')}`;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function waitConnected(transport: WebSocketTransport, n: number, ms: number): Promise<void> {
  await waitFor(async () => (transport.connectedPeers().length >= n - 1 ? true : undefined), ms, 'the replicas to accept the story’s connection');
}
