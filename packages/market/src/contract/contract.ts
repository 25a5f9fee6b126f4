/**
 * `createEventContract`: the organizer-controlled event contract and its
 * F3B sealed-order market, as one deterministic {@link ReplicatedApp}.
 * @module
 */
import {
  CodecError,
  bytesToHex,
  clientIdOf,
  hash,
  rotatingCodeMessage,
  silentLogger,
  verifyRequest,
  checkDeploymentId,
  type DeploymentId,
  type ClientId,
  type CryptoProvider,
  type Digest,
  type EventId,
  type ExecuteContext,
  type Logger,
  type PreparedRequest,
  type Random,
  type ReplicatedApp,
  type SignedRequest,
} from '@admitone/core';
import { DEFAULT_CODE_STEP_MS, decodeCredential, verifyCredential, type CommitteePublicInfo } from '@admitone/identity';
import { ticketIdOf, type CodeRules } from './admission.js';
import {
  Tdh2Error,
  decodeTdh2Ciphertext,
  decodeTdh2DecryptionShare,
  sealedOrderLabel,
  tdh2CheckCiphertext,
  tdh2VerifyShares,
  type Tdh2Ciphertext,
  type Tdh2DecryptionShare,
  type Tdh2PublicKey,
} from '../tdh2/index.js';
import { currentEpoch, cutoff, epochView, outcomesPage, pageOf, postShares, submitOrder, tradesPage, type CiphertextIndex, type OrderCommitteeConfig, type PreparedShares } from '../epoch/book.js';
import { decodeContractOp, decodeContractQuery, encodeContractQueryResult, encodeContractResult } from './codec.js';
import { accountView, applyBasic, eventView, statusReason, ticketView, type BasicOp, type PreparedCredential } from './ops.js';
import { newOrder, snapshotOf, stateFromSnapshot, emptyState, type ContractState, type SealedOrder } from './state.js';
import {
  MAX_EPOCH_PAGE,
  MAX_TICKETS_PAGE,
  type AccountView,
  type ContractOp,
  type ContractQueryResult,
  type ContractResult,
  type ContractStats,
  type CurrentEpochView,
  type EpochView,
  type EventView,
  type OrderOutcome,
  type SealedOrderView,
  type SupplyView,
  type TicketView,
  type TradeView,
} from './types.js';

export type { SealedOrderView } from './types.js';

/** One member of the secret-management (order) committee. */
export interface OrderCommitteeMember {
  /** The member's TDH2 index (Shamir x-coordinate, as in `Tdh2KeyShare.index`). */
  readonly index: bigint;
  /** The 32-byte Ed25519 public key that signs the member's `postShares` requests. */
  readonly requestKey: Uint8Array;
}

/** The secret-management committee that decrypts sealed orders. */
export interface OrderCommittee {
  /** The committee's TDH2 public key (`tdh2PublicKey` of its DKG output). */
  readonly publicKey: Tdh2PublicKey;
  /** Every member, with the key that signs its shares. */
  readonly members: readonly OrderCommitteeMember[];
}

/** Options of {@link createEventContract}. */
export interface EventContractOptions {
  /** Verifies request signatures and credentials. */
  readonly crypto: CryptoProvider;
  /**
   * This ledger's deployment id: requests and holder codes signed for any
   * other deployment are refused as not authentic (see `DeploymentId` in
   * `@admitone/core`). Every replica and client of one ledger use the same.
   */
  readonly deployment: DeploymentId;
  /** The identity committee whose event credentials `buyPrimary` and `register` accept. */
  readonly identityCommittee: CommitteePublicInfo;
  /**
   * Public keys allowed to `deposit` (payment gateways): money enters the
   * ledger only through them, and leaves only through `withdraw`.
   */
  readonly fundingKeys: readonly Uint8Array[];
  /** The order committee; without it, sealed-order operations are rejected with `no_committee`. */
  readonly orderCommittee?: OrderCommittee;
  /**
   * Coefficients for batch verification of decryption shares. They must be
   * unpredictable to share makers: inject `systemRandom()` in production. A
   * verdict never depends on them except with probability 2^-128, so replicas
   * agree.
   */
  readonly random: Random;
  /** Structured logs (epoch settlements). Never receives secrets. */
  readonly logger?: Logger;
  /** Length of a holder's rotating-code time step at the gate. Default `DEFAULT_CODE_STEP_MS` (15 s), as wallets use. */
  readonly codeStepMs?: number;
  /** Steps of clock skew tolerated either side of a scan's time step. Default 1. */
  readonly codeSkewSteps?: number;
}

/** A request after the contract's stateless checks. */
export interface PreparedContractRequest extends PreparedRequest {
  /** The decoded operation, or `undefined` when the op bytes are malformed. */
  readonly op: ContractOp | undefined;
  /** For `buyPrimary` / `register`: the decoded credential and its signature check. */
  readonly credential: PreparedCredential | undefined;
  /** For `submitSealedOrder`: the ciphertext when it decodes and passes the TDH2 validity check for its label. */
  readonly sealed: PreparedSealedOrder | undefined;
  /** For `postShares`: the decoded shares and, when `prepare` could, their batch-verification verdicts. */
  readonly shares: PreparedShares | undefined;
  /** For `admit` / `validate`: whether the holder's rotating-code signature verifies. */
  readonly codeValid: boolean;
}

/** A submitted ciphertext that decoded and passed the TDH2 validity check for its label. */
export interface PreparedSealedOrder {
  /** The decoded ciphertext. */
  readonly ciphertext: Tdh2Ciphertext;
  /** Its encoding, as submitted. */
  readonly bytes: Uint8Array;
}

/**
 * The event contract app. Every getter returns fresh objects (the policy is
 * deep-frozen): nothing a caller does to a view reaches the replicated state.
 */
export interface EventContract extends ReplicatedApp<PreparedContractRequest> {
  /** An account's money (zeros when unknown). */
  getAccount(account: ClientId | Uint8Array): AccountView;
  /** An event, or `undefined`. */
  getEvent(eventId: EventId): EventView | undefined;
  /** A ticket, or `undefined`. */
  getTicket(eventId: EventId, serial: number): TicketView | undefined;
  /**
   * A sealed-order epoch's summary, or `undefined` for an unknown event:
   * its status, counts (and, once settled, how many outcomes and trades it
   * recorded), slots and seed, never its per-order details; page those with
   * {@link EventContract.listEpochOutcomes} and
   * {@link EventContract.listEpochTrades}. Throws `RangeError` unless
   * `epoch` is a non-negative safe integer.
   */
  getEpoch(eventId: EventId, epoch: number): EpochView | undefined;
  /**
   * A page of a settled epoch's per-order outcomes in position order (an
   * outcome's `position` is its index), starting at position `from`, at
   * most `limit` (1 … `MAX_EPOCH_PAGE`); `next` is the `from` of the
   * following page when more follow. Empty for an epoch that is not settled
   * (open or closed: none yet; void: never), so read the summary's `status`
   * before taking an empty page for an epoch without orders. `undefined` for
   * an unknown event. Throws `TypeError`/`RangeError` naming the argument
   * unless `epoch` and `from` are non-negative safe integers and `limit` is
   * in range.
   *
   * @example
   * ```ts
   * const summary = contract.getEpoch(eventId, 3);
   * const outcomes: OrderOutcome[] = [];
   * if (summary?.status === 'settled') {
   *   for (let from = 0; ; ) {
   *     const page = contract.listEpochOutcomes(eventId, 3, from, 256)!;
   *     outcomes.push(...page.outcomes);
   *     if (page.next === undefined) break;
   *     from = page.next;
   *   }
   * }
   * ```
   */
  listEpochOutcomes(eventId: EventId, epoch: number, from?: number, limit?: number): { readonly outcomes: readonly OrderOutcome[]; readonly next?: number } | undefined;
  /**
   * A page of a settled epoch's trades in execution order, starting at index
   * `from`, at most `limit` (1 … `MAX_EPOCH_PAGE`); `next` is the `from` of
   * the following page when more follow. Empty for an epoch that is not
   * settled, `undefined` for an unknown event, and the arguments are checked,
   * as for {@link EventContract.listEpochOutcomes}.
   *
   * @example
   * ```ts
   * let royalties = 0n;
   * for (let from = 0; ; ) {
   *   const page = contract.listEpochTrades(eventId, 3, from);
   *   if (page === undefined) break; // unknown event
   *   for (const t of page.trades) royalties += t.royalty;
   *   if (page.next === undefined) break;
   *   from = page.next;
   * }
   * ```
   */
  listEpochTrades(eventId: EventId, epoch: number, from?: number, limit?: number): { readonly trades: readonly TradeView[]; readonly next?: number } | undefined;
  /**
   * The epoch accepting orders as of the last executed slot, or `undefined`
   * for an unknown event.
   */
  getCurrentEpoch(eventId: EventId): CurrentEpochView | undefined;
  /** Money totals (the conservation law's two sides). */
  supply(): SupplyView;
  /**
   * A page of an event's tickets in serial order, starting after serial
   * `after`, at most `limit` (1 … `MAX_TICKETS_PAGE`); `next` is the `after`
   * of the following page. `undefined` for an unknown event.
   */
  listTickets(eventId: EventId, after?: number, limit?: number): { readonly tickets: readonly TicketView[]; readonly next?: number } | undefined;
  /**
   * A page of the tickets `holder` holds in an event, in serial order,
   * starting after serial `after`, at most `limit` (1 … `MAX_TICKETS_PAGE`);
   * `next` is the `after` of the following page (the page's last serial)
   * when more follow. Every ticket whose current holder is the key, whatever
   * its status (active, listed, scanned, disputed, refunded, revoked: the
   * views say which). Costs O(log n + page) through a derived index, however
   * many tickets the event has. `undefined` for an unknown event; an empty
   * page for a key that holds none. Throws `TypeError`/`RangeError` naming
   * the argument unless `holder` is a 32-byte key or its 64-hex client id,
   * and as `listTickets` does for `after` and `limit`.
   *
   * @example
   * ```ts
   * const held: TicketView[] = [];
   * for (let after = 0; ; ) {
   *   const page = contract.listTicketsHeldBy(eventId, walletKey, after, 100);
   *   if (page === undefined) break; // unknown event
   *   held.push(...page.tickets);
   *   if (page.next === undefined) break;
   *   after = page.next;
   * }
   * ```
   */
  listTicketsHeldBy(eventId: EventId, holder: ClientId | Uint8Array, after?: number, limit?: number): { readonly tickets: readonly TicketView[]; readonly next?: number } | undefined;
  /** Counters over every event. */
  stats(): ContractStats;
  /**
   * The sealed orders of an unsettled epoch in position order (ciphertexts
   * are public; their contents are not): what committee members compute
   * shares for. Empty for an unknown, empty or finished epoch. Remote members
   * page through them with the `orders` query.
   */
  getOrders(eventId: EventId, epoch: number): readonly SealedOrderView[];
}

/**
 * Creates an empty event contract.
 *
 * @example
 * ```ts
 * const contract = createEventContract({ crypto, deployment: 'gig/prod', identityCommittee, fundingKeys: [gatewayKey], orderCommittee, random: systemRandom() });
 * const req = await signRequest(crypto, organizerSecret, { deployment: 'gig/prod', requestSeq: 1, op: encodeContractOp({ type: 'createEvent', eventId, policy }) });
 * const result = decodeContractResult(contract.execute(await contract.prepare(req), { seq: 1, timestamp: Date.now() }));
 * ```
 */
export function createEventContract(options: EventContractOptions): EventContract {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { crypto, identityCommittee, random } = options;
  if (typeof crypto?.verify !== 'function') throw new TypeError('options.crypto must be a CryptoProvider');
  if (typeof random?.bytes !== 'function') throw new TypeError('options.random must be a Random');
  const deployment = checkDeploymentId(options.deployment, 'options.deployment');
  if (typeof identityCommittee?.committeeId !== 'string' || !(identityCommittee.groupPublicKey instanceof Uint8Array) || identityCommittee.groupPublicKey.length !== 32) {
    throw new TypeError('options.identityCommittee must be { committeeId: string, groupPublicKey: 32 bytes }');
  }
  if (!Array.isArray(options.fundingKeys)) throw new TypeError('options.fundingKeys must be an array of 32-byte keys');
  if (options.orderCommittee !== undefined) checkOrderCommittee(options.orderCommittee);
  const logger = (options.logger ?? silentLogger()).child({ app: 'event-contract' });
  const funders = new Set<ClientId>(options.fundingKeys.map((k) => clientIdOf(k)));
  const committee: OrderCommitteeConfig | undefined =
    options.orderCommittee === undefined
      ? undefined
      : {
          publicKey: options.orderCommittee.publicKey,
          members: new Map(options.orderCommittee.members.map((m) => [clientIdOf(m.requestKey), m.index])),
        };
  if (committee !== undefined) {
    for (const index of committee.members.values()) {
      if (!committee.publicKey.verificationKeys.has(index)) throw new RangeError('orderCommittee.members names an index without a verification key');
    }
    if (committee.members.size !== options.orderCommittee?.members.length) throw new RangeError('orderCommittee.members must have distinct request keys');
    if (new Set(committee.members.values()).size < committee.publicKey.minShares) {
      throw new RangeError(`orderCommittee.members must hold at least publicKey.minShares (${committee.publicKey.minShares}) distinct indices, or no epoch with orders could ever settle`);
    }
  }
  const minShares = committee?.publicKey.minShares ?? 1;
  const codeRules: CodeRules = { stepMs: options.codeStepMs ?? DEFAULT_CODE_STEP_MS, skewSteps: options.codeSkewSteps ?? 1 };
  if (!Number.isSafeInteger(codeRules.stepMs) || codeRules.stepMs <= 0) throw new RangeError('options.codeStepMs must be a positive integer');
  if (!Number.isSafeInteger(codeRules.skewSteps) || codeRules.skewSteps < 0) throw new RangeError('options.codeSkewSteps must be a non-negative integer');

  let state: ContractState = emptyState();
  let cachedDigest: Digest | undefined;

  // Content-addressed: ciphertext id → ciphertext, for the orders in the state. `prepare` reads it to
  // batch-verify shares; a hit is exactly the ciphertext the id names, so it never changes a verdict.
  const ciphertexts = new Map<string, { ciphertext: Tdh2Ciphertext; refs: number }>();
  const index: CiphertextIndex = {
    add(order) {
      const entry = ciphertexts.get(order.idHex);
      if (entry === undefined) ciphertexts.set(order.idHex, { ciphertext: order.ciphertext, refs: 1 });
      else entry.refs++;
    },
    remove(order) {
      const entry = ciphertexts.get(order.idHex);
      if (entry === undefined) return;
      if (--entry.refs === 0) ciphertexts.delete(order.idHex);
    },
  };
  const reindex = () => {
    ciphertexts.clear();
    for (const e of state.events.values()) for (const p of e.pending.values()) for (const o of p.orders) index.add(o);
  };

  async function prepareCredential(bytes: Uint8Array): Promise<PreparedCredential> {
    let credential;
    try {
      credential = decodeCredential(bytes);
    } catch (err) {
      if (err instanceof CodecError) return { credential: undefined, valid: false };
      throw err;
    }
    if (credential.kind !== 'event') return { credential: undefined, valid: false };
    return { credential, valid: await verifyCredential(crypto, identityCommittee, credential) };
  }

  function prepareSealed(op: Extract<ContractOp, { type: 'submitSealedOrder' }>): PreparedContractRequest['sealed'] {
    if (committee === undefined) return undefined;
    try {
      const ciphertext = decodeTdh2Ciphertext(op.ciphertext);
      return tdh2CheckCiphertext(committee.publicKey, ciphertext, sealedOrderLabel(op.eventId, op.epoch)) ? { ciphertext, bytes: op.ciphertext } : undefined;
    } catch (err) {
      if (err instanceof Tdh2Error) return undefined;
      throw err;
    }
  }

  function prepareShares(op: Extract<ContractOp, { type: 'postShares' }>, actor: ClientId): PreparedShares | undefined {
    if (committee === undefined || !committee.members.has(actor)) return undefined;
    let shares: Tdh2DecryptionShare[];
    try {
      shares = op.shares.map((s) => decodeTdh2DecryptionShare(s.share));
    } catch (err) {
      if (err instanceof Tdh2Error) return { shares: undefined, verdicts: undefined };
      throw err;
    }
    const cts = op.shares.map((s) => ciphertexts.get(bytesToHex(s.ciphertextId))?.ciphertext);
    if (cts.some((c) => c === undefined)) return { shares, verdicts: undefined };
    const items = shares.map((share, k) => ({ ciphertext: cts[k] as Tdh2Ciphertext, share }));
    const bad = new Set(tdh2VerifyShares(committee.publicKey, items, random).invalid);
    return { shares, verdicts: shares.map((_, k) => !bad.has(k)) };
  }

  function apply(prepared: PreparedContractRequest, op: ContractOp, actor: ClientId, ctx: ExecuteContext): ContractResult {
    if (op.type !== 'submitSealedOrder' && op.type !== 'cutoff' && op.type !== 'postShares') {
      return applyBasic(state, op as BasicOp, actor, ctx, prepared.credential, funders, index, { valid: prepared.codeValid, rules: codeRules });
    }
    if (committee === undefined) return { status: 'rejected', reason: 'no_committee' };
    const member = committee.members.get(actor);
    if (op.type === 'postShares' && member === undefined) return { status: 'rejected', reason: 'not_authorized' };
    const e = state.events.get(op.eventId);
    if (e === undefined) return { status: 'rejected', reason: 'not_found' };
    const closed = statusReason(e);
    if (closed !== undefined) return { status: 'rejected', reason: closed };
    const before = e.settledThrough;
    let result: ContractResult;
    switch (op.type) {
      case 'submitSealedOrder': {
        const order: SealedOrder | undefined = prepared.sealed === undefined ? undefined : newOrder(actor, prepared.sealed.ciphertext, prepared.sealed.bytes);
        result = submitOrder(state, e, op.epoch, order, committee, index, ctx);
        break;
      }
      case 'cutoff':
        result = cutoff(state, e, committee, index, ctx);
        break;
      case 'postShares':
        result = postShares(state, e, op, member as bigint, prepared.shares ?? { shares: undefined, verdicts: undefined }, committee, index, random, ctx);
        break;
    }
    if (e.settledThrough > before) logger.info('sealed-order epochs settled', { eventId: e.id, from: before, to: e.settledThrough, seq: ctx.seq });
    return result;
  }

  function query(bytes: Uint8Array): Uint8Array {
    let q;
    try {
      q = decodeContractQuery(bytes);
    } catch (err) {
      if (err instanceof CodecError) return encodeContractQueryResult({ status: 'rejected', reason: 'malformed' });
      throw err;
    }
    const notFound: ContractQueryResult = { status: 'rejected', reason: 'not_found' };
    switch (q.type) {
      case 'account':
        return encodeContractQueryResult({ status: 'ok', account: app.getAccount(q.account) });
      case 'event': {
        const e = app.getEvent(q.eventId);
        return encodeContractQueryResult(e === undefined ? notFound : { status: 'ok', event: e });
      }
      case 'ticket': {
        const t = app.getTicket(q.eventId, q.serial);
        return encodeContractQueryResult(t === undefined ? notFound : { status: 'ok', ticket: t });
      }
      case 'epoch': {
        const v = app.getEpoch(q.eventId, q.epoch);
        return encodeContractQueryResult(v === undefined ? notFound : { status: 'ok', epoch: v });
      }
      case 'supply':
        return encodeContractQueryResult({ status: 'ok', supply: app.supply() });
      case 'tickets': {
        // the decoder bounds after, limit and the holder's length, so neither call throws
        const page = q.holder === undefined ? app.listTickets(q.eventId, q.after ?? 0, q.limit ?? 100) : app.listTicketsHeldBy(q.eventId, q.holder, q.after ?? 0, q.limit ?? 100);
        return encodeContractQueryResult(page === undefined ? notFound : { status: 'ok', ...page });
      }
      case 'stats':
        return encodeContractQueryResult({ status: 'ok', stats: app.stats() });
      case 'orders': {
        const e = state.events.get(q.eventId);
        if (e === undefined) return encodeContractQueryResult(notFound);
        const { items: orders, next } = pageOf(e.pending.get(q.epoch)?.orders ?? [], q.from ?? 0, q.limit ?? 100, orderView);
        return encodeContractQueryResult(next === undefined ? { status: 'ok', orders } : { status: 'ok', orders, next });
      }
      case 'epochOutcomes': {
        // the decoder bounds epoch, from and limit, so the call does not throw
        const page = app.listEpochOutcomes(q.eventId, q.epoch, q.from ?? 0, q.limit ?? 100);
        return encodeContractQueryResult(page === undefined ? notFound : { status: 'ok', ...page });
      }
      case 'epochTrades': {
        const page = app.listEpochTrades(q.eventId, q.epoch, q.from ?? 0, q.limit ?? 100);
        return encodeContractQueryResult(page === undefined ? notFound : { status: 'ok', ...page });
      }
      case 'currentEpoch': {
        const v = app.getCurrentEpoch(q.eventId);
        return encodeContractQueryResult(v === undefined ? notFound : { status: 'ok', currentEpoch: v });
      }
    }
  }

  const app: EventContract = {
    name: 'event-contract',
    deployment,

    async prepare(request: SignedRequest): Promise<PreparedContractRequest> {
      const authentic = await verifyRequest(crypto, request, deployment);
      let op: ContractOp | undefined;
      try {
        op = decodeContractOp(request.op);
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        op = undefined;
      }
      let credential: PreparedCredential | undefined;
      let sealed: PreparedContractRequest['sealed'];
      let shares: PreparedShares | undefined;
      let codeValid = false;
      // expensive checks only for authentic requests: a forged one is rejected before they matter
      if (authentic && op !== undefined) {
        if (op.type === 'buyPrimary' || op.type === 'register') credential = await prepareCredential(op.credential);
        else if (op.type === 'submitSealedOrder') sealed = prepareSealed(op);
        else if (op.type === 'postShares') shares = prepareShares(op, request.clientId);
        else if ((op.type === 'admit' || op.type === 'validate') && op.serial >= 1) {
          const message = rotatingCodeMessage(deployment, ticketIdOf(op.eventId, op.serial), op.code.version, op.code.step);
          codeValid = await crypto.verify(op.code.signature, message, op.code.holder);
        }
      }
      return { request, authentic, op, credential, sealed, shares, codeValid };
    },

    execute(prepared: PreparedContractRequest, ctx: ExecuteContext): Uint8Array {
      const { request } = prepared;
      // 1. validity: a forged request never touches state, not even the replay window
      if (!prepared.authentic) return encodeContractResult({ status: 'rejected', reason: 'invalid_signature' });
      if (request.readOnly === true) return encodeContractResult({ status: 'rejected', reason: 'malformed' });
      // 2. duplication
      if (!state.replay.isFresh(request.clientId, request.requestSeq)) return encodeContractResult({ status: 'rejected', reason: 'replayed' });
      state.replay.record(request.clientId, request.requestSeq);
      cachedDigest = undefined;
      // 3. the operation (a malformed op still consumes its request number)
      if (prepared.op === undefined) return encodeContractResult({ status: 'rejected', reason: 'malformed' });
      const result = apply(prepared, prepared.op, request.clientId, ctx);
      // the slot of the last applied operation (a rejection changes nothing but the request number); the
      // timestamp is floored so that the snapshot stays integral whatever clock an engine feeds in
      if (result.status === 'ok') {
        const timestamp = Math.floor(ctx.timestamp);
        if (Number.isSafeInteger(ctx.seq) && ctx.seq >= 0 && Number.isSafeInteger(timestamp)) state.slot = { seq: ctx.seq, timestamp };
      }
      return encodeContractResult(result);
    },

    query,

    snapshot(): Uint8Array {
      return snapshotOf(state);
    },

    restore(snapshot: Uint8Array): void {
      const next = stateFromSnapshot(snapshot, minShares);
      state = next;
      cachedDigest = undefined;
      reindex();
    },

    digest(): Digest {
      cachedDigest ??= hash(snapshotOf(state));
      // a copy: a caller that scribbles on the answer must not change this replica's next one
      return cachedDigest.slice() as Digest;
    },

    getAccount(account) {
      return accountView(state, typeof account === 'string' ? account : clientIdOf(account));
    },
    getEvent(eventId) {
      const e = state.events.get(eventId);
      return e === undefined ? undefined : eventView(e);
    },
    getTicket(eventId, serial) {
      const e = state.events.get(eventId);
      const t = e?.tickets[serial - 1];
      return e === undefined || t === undefined || serial < 1 ? undefined : ticketView(e, serial, t);
    },
    getEpoch(eventId, epoch) {
      if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError('epoch must be a non-negative safe integer');
      const e = state.events.get(eventId);
      return e === undefined ? undefined : epochView(e, epoch);
    },
    listEpochOutcomes(eventId, epoch, from = 0, limit = 100) {
      checkEpochPage(epoch, from, limit);
      const e = state.events.get(eventId);
      if (e === undefined) return undefined;
      const { items, next } = outcomesPage(e, epoch, from, limit);
      return next === undefined ? { outcomes: items } : { outcomes: items, next };
    },
    listEpochTrades(eventId, epoch, from = 0, limit = 100) {
      checkEpochPage(epoch, from, limit);
      const e = state.events.get(eventId);
      if (e === undefined) return undefined;
      const { items, next } = tradesPage(e, epoch, from, limit);
      return next === undefined ? { trades: items } : { trades: items, next };
    },
    getCurrentEpoch(eventId) {
      const e = state.events.get(eventId);
      if (e === undefined) return undefined;
      return { eventId: e.id, epoch: currentEpoch(e, state.slot), asOfSeq: state.slot.seq, asOfTimestamp: state.slot.timestamp };
    },
    supply() {
      let balances = 0n;
      let escrow = 0n;
      for (const a of state.accounts.values()) {
        balances += a.balance;
        escrow += a.escrow;
      }
      return { deposited: state.deposited, withdrawn: state.withdrawn, balances, escrow };
    },
    listTickets(eventId, after = 0, limit = 100) {
      checkPage(after, limit);
      const e = state.events.get(eventId);
      if (e === undefined) return undefined;
      const end = Math.min(e.tickets.length, after + limit);
      const tickets: TicketView[] = [];
      for (let serial = after + 1; serial <= end; serial++) tickets.push(ticketView(e, serial, e.tickets[serial - 1] as (typeof e.tickets)[number]));
      return end < e.tickets.length ? { tickets, next: end } : { tickets };
    },
    listTicketsHeldBy(eventId, holder, after = 0, limit = 100) {
      const key = holderId(holder);
      checkPage(after, limit);
      const e = state.events.get(eventId);
      if (e === undefined) return undefined;
      const held = e.byHolder.get(key);
      if (held === undefined) return { tickets: [] };
      // one more than the page: whether there is a next page
      const found = held.page(after, limit + 1);
      const more = found.length > limit;
      const serials = more ? found.slice(0, limit) : found;
      const tickets = serials.map((serial) => ticketView(e, serial, e.tickets[serial - 1] as (typeof e.tickets)[number]));
      return more ? { tickets, next: serials[serials.length - 1] as number } : { tickets };
    },
    stats() {
      let tickets = 0;
      let admitted = 0;
      let refunded = 0;
      let listed = 0;
      let settledEpochs = 0;
      for (const e of state.events.values()) {
        tickets += e.tickets.length;
        admitted += e.admitted;
        refunded += e.refunded;
        for (const t of e.tickets) if (t.listing !== undefined) listed++;
        for (const h of e.history.values()) if (h.status === 'settled') settledEpochs++;
      }
      return { events: state.events.size, tickets, admitted, refunded, listed, settledEpochs };
    },
    getOrders(eventId, epoch) {
      const p = state.events.get(eventId)?.pending.get(epoch);
      return p === undefined ? [] : p.orders.map(orderView);
    },
  };
  return app;
}

/** The view of a pending epoch's order at `position`, with copies of its bytes. */
function orderView(o: SealedOrder, position: number): SealedOrderView {
  return { position, submitter: o.submitter, ciphertext: o.bytes.slice(), ciphertextId: o.id.slice() };
}

/** Throws `RangeError` naming the argument unless `after`/`limit` describe a valid ticket page. */
function checkPage(after: number, limit: number): void {
  if (!Number.isSafeInteger(after) || after < 0) throw new RangeError('after must be a non-negative safe integer');
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_TICKETS_PAGE) throw new RangeError(`limit must be an integer in [1, ${MAX_TICKETS_PAGE}]`);
}

/** Throws `TypeError`/`RangeError` naming the argument unless `epoch`/`from`/`limit` describe a valid outcome or trade page. */
function checkEpochPage(epoch: number, from: number, limit: number): void {
  for (const [name, value] of [['epoch', epoch], ['from', from], ['limit', limit]] as const) {
    if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  }
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError('epoch must be a non-negative safe integer');
  if (!Number.isSafeInteger(from) || from < 0) throw new RangeError('from must be a non-negative safe integer');
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_EPOCH_PAGE) throw new RangeError(`limit must be an integer in [1, ${MAX_EPOCH_PAGE}]`);
}

/** The client id of a holder key given as 32 bytes or 64 lowercase hex; throws naming `holder` otherwise. */
function holderId(holder: ClientId | Uint8Array): ClientId {
  if (holder instanceof Uint8Array) {
    if (holder.length !== 32) throw new RangeError(`holder must be a 32-byte public key, got ${holder.length} bytes`);
    return clientIdOf(holder);
  }
  if (typeof holder !== 'string') throw new TypeError('holder must be a 32-byte public key or its 64-hex client id');
  if (!/^[0-9a-f]{64}$/.test(holder)) throw new RangeError('holder must be 64 lowercase hex digits');
  return holder;
}

/** Structural checks of an order committee (the contract's invariants need them). */
function checkOrderCommittee(c: OrderCommittee): void {
  if (typeof c !== 'object' || c === null || typeof c.publicKey !== 'object' || c.publicKey === null || !Array.isArray(c.members)) {
    throw new TypeError('options.orderCommittee must be { publicKey, members }');
  }
  c.members.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || typeof m.index !== 'bigint') throw new TypeError(`options.orderCommittee.members[${i}].index must be a bigint`);
    if (!(m.requestKey instanceof Uint8Array) || m.requestKey.length !== 32) throw new RangeError(`options.orderCommittee.members[${i}].requestKey must be 32 bytes`);
  });
}
