/**
 * The gate station: everything a scanner does between "a QR code was read"
 * and "the turnstile opens", independent of the DOM.
 *
 * 1. **Verify offline** with `createGateVerifier` (credential, pass and
 *    rotating-code signatures; validity before duplication). The local ticket
 *    status map makes a second scan at this gate fail here, without a network.
 * 2. **Record** the scan durably before answering: a signed `admit` request
 *    with a fixed request number, the local status `consumed`, and the next
 *    request number, in one atomic batch.
 * 3. **Online** (strict mode): relay the request to the replicas and show the
 *    committed result, ADMITTED or REJECTED with the ledger's reason. If the
 *    ledger does not answer in time, or the gate is offline, the holder is let
 *    in **provisionally** and the item stays queued.
 * 4. **Sync** on reconnect: every pending item is relayed again, in order,
 *    as the *same* signed request, so a retry after a lost reply is never
 *    applied twice (the replicas' reply cache and replay window). A provisional
 *    admission the ledger refuses is an **incident** (`double_admission` when
 *    the ticket was consumed at another gate first).
 * @module
 */
import {
  type Clock,
  type CryptoProvider,
  type Logger,
  type Random,
  type SignedRequest,
  type Storage,
  type TicketId,
  type BatchOp,
  clientIdOf,
  decodeRequest,
  encode,
  encodeRequest,
  equalBytes,
  isAdmitOneError,
  signRequest,
  silentLogger,
} from '@admitone/core';
import { type AdmissionRejection, type GatePolicy, type GateVerifier, type LocalTicketStatus, createGateVerifier, decodePresentation } from '@admitone/identity';
import {
  type ContractOp,
  type ContractRejection,
  type ContractResult,
  type TicketView,
  decodeContractQueryResult,
  decodeContractResult,
  encodeContractOp,
  encodeContractQuery,
} from '@admitone/market';
import type { GateConfig } from '../config/pages.js';
import { serialOf } from '../config/pages.js';
import { type Incident, type QueueItem, type Refusal, NEXT_SEQ_KEY, encodeItem, encodeRefusal, encodeTicketStatus, itemKey, loadRecords, refusalKey, ticketKey } from './records.js';

/** The replicas, as the station sees them: a PBFT client's `relay` and `read`. */
export interface LedgerLink {
  /** Forwards a request signed by the gate device; resolves with the committed result. */
  relay(request: SignedRequest): Promise<Uint8Array>;
  /** A read-only contract query. */
  read(query: Uint8Array): Promise<Uint8Array>;
}

/** Options of {@link openGateStation}. */
export interface GateStationOptions {
  /** The event, gate id, committee, organizer keys, device key and step. */
  readonly config: Pick<GateConfig, 'deployment' | 'eventId' | 'gateId' | 'committee' | 'organizerKeys' | 'device' | 'stepMs'>;
  /** Durable records (IndexedDB in the browser). The station owns it and closes it. */
  readonly storage: Storage;
  /** Ed25519 (verification of passes, signatures of requests). */
  readonly crypto: CryptoProvider;
  /** Scan times and timeouts. */
  readonly clock: Clock;
  /** Scan nonces. */
  readonly random: Random;
  /** Structured logs; never receives keys or passes. */
  readonly logger?: Logger;
  /** How long an online scan waits for the committed result before the holder is let in provisionally (ms). Default 8,000. */
  readonly commitTimeoutMs?: number;
}

/** Why the gate refused a scan: the offline verifier's reason or the ledger's. */
export type GateRejection = AdmissionRejection | ContractRejection;

/** What the gate shows for one scan. */
export type ScanVerdict =
  | {
      /** The ledger committed the admission: open the turnstile. */
      readonly kind: 'admitted';
      /** The ticket. */
      readonly ticketId: TicketId;
      /** Its queue item. */
      readonly seq: number;
    }
  | {
      /** Let in now, committed later (offline, or the ledger was slow). */
      readonly kind: 'provisional';
      /** The ticket. */
      readonly ticketId: TicketId;
      /** Its queue item. */
      readonly seq: number;
      /** Why it is provisional. */
      readonly why: 'offline' | 'timeout';
    }
  | {
      /** Refused. */
      readonly kind: 'rejected';
      /** The reason. */
      readonly reason: GateRejection;
      /** Whether the gate's offline check or the ledger refused it. */
      readonly by: 'gate' | 'ledger';
      /** The ticket, when the code named one. */
      readonly ticketId?: TicketId;
    };

/** What one sync pass did. */
export interface SyncReport {
  /** Items that got their committed outcome in this pass. */
  readonly settled: readonly QueueItem[];
  /** Items still pending afterwards. */
  readonly pending: number;
  /** Why the pass stopped early (the ledger did not answer), if it did. */
  readonly error?: string;
}

/** Counters for the page. */
export interface StationStats {
  /** Scans admitted by the ledger (including synced provisional ones). */
  readonly admitted: number;
  /** Scans refused (by the gate or the ledger). */
  readonly rejected: number;
  /** Items waiting for the ledger. */
  readonly pending: number;
  /** Provisional admissions the ledger refused. */
  readonly incidents: number;
}

/** A gate device's scanning logic; see {@link openGateStation}. */
export interface GateStation {
  /** The device's client id (hex of its public key), as the contract lists it. */
  readonly deviceId: string;
  /** Verifies and records one scanned payload (the QR code's bytes). Never throws for bad input. */
  scan(payload: Uint8Array): Promise<ScanVerdict>;
  /** Goes online with `link` (and syncs), or offline with `undefined`. */
  setLedger(link: LedgerLink | undefined): void;
  /** True while a ledger link is set. */
  readonly online: boolean;
  /** Relays every pending item in queue order; resolves when done or when the ledger stops answering. */
  sync(): Promise<SyncReport>;
  /** Every item, oldest first. */
  items(): readonly QueueItem[];
  /** The gate's own refusals, oldest first. */
  refusals(): readonly Refusal[];
  /** Counters. */
  stats(): StationStats;
  /** Called after every change of an item or of the online state. */
  onChange(listener: () => void): () => void;
  /** Stops syncing and closes the storage. */
  close(): Promise<void>;
}

/**
 * Opens a gate station over `options.storage`, loading the queue and the
 * local ticket statuses it holds (so a reload resumes where it stopped).
 *
 * @example
 * ```ts
 * const station = await openGateStation({ config, storage: await idbStorage({ dbName: 'gate' }), crypto, clock: systemClock(), random: systemRandom() });
 * station.setLedger(client); // a PBFT client: relay + read
 * const verdict = await station.scan(qrBytes);
 * ```
 */
export async function openGateStation(options: GateStationOptions): Promise<GateStation> {
  const { config, storage, crypto, clock, random } = options;
  const log = (options.logger ?? silentLogger()).child({ component: 'gate-station', gate: config.gateId });
  const commitTimeoutMs = options.commitTimeoutMs ?? 8_000;
  const devicePublicKey = await crypto.getPublicKey(config.device.secretKey);
  const deviceId = clientIdOf(devicePublicKey);

  const loaded = await loadRecords(storage);
  const items = new Map<number, QueueItem>(loaded.items.map((i) => [i.seq, i]));
  const tickets = loaded.tickets;
  // A fresh store numbers from the current time, above anything an earlier store of this device key used;
  // after that the numbers are dense, so queued requests stay well inside the replicas' replay window.
  let nextSeq = loaded.nextSeq ?? Math.max(1, Math.floor(clock.now()));
  for (const seq of items.keys()) nextSeq = Math.max(nextSeq, seq + 1);

  const policy: GatePolicy = {
    deployment: config.deployment,
    eventId: config.eventId,
    committee: config.committee,
    organizerKeys: config.organizerKeys,
    crypto,
    stepMs: config.stepMs,
    clock,
    ticketStatus: (id) => tickets.get(id),
  };
  const verifier: GateVerifier = createGateVerifier(policy);

  let link: LedgerLink | undefined;
  let closed = false;
  const refusals = loaded.refusals;
  let refusalCounter = 0;
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const l of [...listeners]) {
      try {
        l();
      } catch (err) {
        log.warn('change listener failed', { error: String(err) });
      }
    }
  };

  // every storage write goes through one chain, so batches land in order
  let writes: Promise<void> = Promise.resolve();
  const write = (ops: readonly BatchOp[]): Promise<void> => {
    const next = writes.then(() => storage.batch(ops));
    writes = next.catch(() => undefined);
    return next;
  };

  /** Relays in flight, by item: a sync and a slow online scan share one. */
  const inFlight = new Map<number, Promise<QueueItem | undefined>>();

  async function settleItem(item: QueueItem): Promise<QueueItem | undefined> {
    let running = inFlight.get(item.seq);
    if (running === undefined) {
      running = relayItem(item).finally(() => inFlight.delete(item.seq));
      inFlight.set(item.seq, running);
    }
    return running;
  }

  /** Relays one item and records its outcome; `undefined` when the ledger did not answer (still pending). */
  async function relayItem(item: QueueItem, resigned = false): Promise<QueueItem | undefined> {
    const current = link;
    if (current === undefined) return undefined;
    let result: ContractResult;
    try {
      result = decodeContractResult(await current.relay(decodeRequest(item.request)));
    } catch (err) {
      if (isAdmitOneError(err, 'REQUEST_REJECTED')) {
        // the replicas refused the request itself (its signature): permanent
        return record(item, { status: 'rejected', reason: 'invalid_signature' });
      }
      log.info('ledger did not answer; the scan stays queued', { seq: item.seq, error: isAdmitOneError(err) ? err.code : String(err) });
      return undefined;
    }
    if (result.status === 'rejected' && result.reason === 'replayed') {
      if (!resigned) return resolveReplayed(current, item);
      log.warn('a re-signed scan was refused as replayed again; it stays queued', { seq: item.seq });
      return undefined;
    }
    return record(item, result);
  }

  /**
   * `replayed`: this request number already executed (its reply left the
   * replicas' cache) or fell below the replay window. The ticket's scans say
   * which: our nonce is there exactly when our admission executed. If it is
   * not, the request can never execute any more (the window only moves up),
   * so the same scan (same nonce) is signed again under a fresh number — at
   * least the current time in ms, above numbers another store of this device
   * key may have used — and queued in its place.
   */
  async function resolveReplayed(current: LedgerLink, item: QueueItem): Promise<QueueItem | undefined> {
    let ticket: TicketView | undefined;
    try {
      const answer = decodeContractQueryResult(await current.read(encodeContractQuery({ type: 'ticket', eventId: item.eventId, serial: item.serial })));
      ticket = answer.status === 'ok' && 'ticket' in answer ? answer.ticket : undefined;
    } catch (err) {
      log.info('could not read the ticket of a replayed scan', { seq: item.seq, error: String(err) });
      return undefined;
    }
    if (ticket?.scans.some((s) => equalBytes(s.nonce, item.nonce)) === true) return record(item, { status: 'ok' });
    const op = decodeRequest(item.request).op;
    const seq = Math.max(nextSeq, Math.floor(clock.now()));
    nextSeq = seq + 1;
    const request = await signRequest(crypto, config.device.secretKey, { deployment: config.deployment, requestSeq: seq, op });
    const renewed: QueueItem = { ...item, seq, request: encodeRequest(request) };
    items.delete(item.seq);
    items.set(seq, renewed);
    await write([
      { type: 'del', key: itemKey(item.seq) },
      { type: 'put', key: itemKey(seq), value: encodeItem(renewed) },
      { type: 'put', key: NEXT_SEQ_KEY, value: encode(nextSeq) },
    ]);
    log.info('re-signed a scan whose request number expired', { from: item.seq, to: seq });
    changed();
    return relayItem(renewed, true);
  }

  /** Stores the committed outcome of an item and adjusts the local ticket status. */
  async function record(item: QueueItem, result: { readonly status: 'ok' } | { readonly status: 'rejected'; readonly reason: ContractRejection }): Promise<QueueItem> {
    const latest = items.get(item.seq) ?? item;
    if (latest.state !== 'pending' || closed) return latest; // settled meanwhile by another path, or shutting down
    const settledAt = clock.now();
    let settled: QueueItem;
    const ops: BatchOp[] = [];
    if (result.status === 'ok') {
      settled = { ...latest, state: 'admitted', settledAt };
    } else {
      const incident: Incident | undefined = latest.provisional ? (result.reason === 'already_consumed' ? 'double_admission' : 'refused_after_entry') : undefined;
      settled = { ...latest, state: 'rejected', reason: result.reason, settledAt, ...(incident === undefined ? {} : { incident }) };
      const status = statusAfterRefusal(latest, result.reason);
      if (status === null) {
        tickets.delete(latest.ticketId);
        ops.push({ type: 'del', key: ticketKey(latest.ticketId) });
      } else if (status !== undefined) {
        tickets.set(latest.ticketId, status);
        ops.push({ type: 'put', key: ticketKey(latest.ticketId), value: encodeTicketStatus(status) });
      }
      if (incident !== undefined) log.warn('incident: the ledger refused a provisional admission', { ticketId: latest.ticketId, reason: result.reason, incident });
    }
    items.set(settled.seq, settled);
    ops.push({ type: 'put', key: itemKey(settled.seq), value: encodeItem(settled) });
    await write(ops);
    changed();
    return settled;
  }

  /**
   * The local status after the ledger refused a scan: `undefined` keeps it,
   * `null` forgets the gate's own "consumed" mark (the holder was not let in,
   * so a later scan must be judged afresh).
   */
  function statusAfterRefusal(item: QueueItem, reason: ContractRejection): LocalTicketStatus | null | undefined {
    switch (reason) {
      case 'already_consumed':
        return { state: 'consumed', version: item.version };
      case 'ticket_revoked':
        return { state: 'revoked' };
      case 'ticket_refunded':
        return { state: 'refunded' };
      case 'stale_code':
        return { version: item.version + 1 };
      default:
        return item.provisional ? undefined : null;
    }
  }

  let syncing: Promise<SyncReport> | undefined;
  async function syncOnce(): Promise<SyncReport> {
    const settled: QueueItem[] = [];
    const tried = new Set<number>(); // each queued scan is settled at most once per sync
    for (;;) {
      // the oldest pending scan not yet tried (the queue may grow while we sync)
      let item: QueueItem | undefined;
      for (const i of items.values()) if (i.state === 'pending' && !tried.has(i.seq) && (item === undefined || i.seq < item.seq)) item = i;
      if (item === undefined || link === undefined || closed) break;
      tried.add(item.seq);
      const outcome = await settleItem(item);
      if (outcome === undefined) {
        return { settled, pending: pendingCount(), error: link === undefined ? 'offline' : 'the ledger did not answer' };
      }
      settled.push(outcome);
    }
    return { settled, pending: pendingCount() };
  }

  const pendingCount = (): number => [...items.values()].filter((i) => i.state === 'pending').length;

  function ledgerVerdict(item: QueueItem): ScanVerdict {
    return { kind: 'rejected', reason: item.reason ?? 'malformed', by: 'ledger', ticketId: item.ticketId };
  }

  /** Records the gate's own refusal (an audit trail that survives reloads) and returns its verdict. */
  async function refuse(reason: AdmissionRejection, ticketId?: TicketId): Promise<ScanVerdict> {
    const refusal: Refusal = { time: clock.now(), reason, ...(ticketId === undefined ? {} : { ticketId }) };
    refusals.push(refusal);
    await write([{ type: 'put', key: refusalKey(refusal.time, refusalCounter++), value: encodeRefusal(refusal) }]);
    changed();
    return ticketId === undefined ? { kind: 'rejected', reason, by: 'gate' } : { kind: 'rejected', reason, by: 'gate', ticketId };
  }

  // scans run one at a time: the local status of one must be recorded before the next is judged
  let scanning: Promise<unknown> = Promise.resolve();

  async function scanNow(payload: Uint8Array): Promise<ScanVerdict> {
    if (closed) throw new Error('the gate station is closed');
    const result = await verifier.verify(payload);
    if (result.status === 'rejected') return refuse(result.reason, result.ticketId);
    const serial = serialOf(config.eventId, result.ticketId);
    if (serial === undefined) return refuse('malformed', result.ticketId);
    const { code } = decodePresentation(payload); // verified above: it decodes
    const scanTime = clock.now();
    const nonce = random.bytes(16);
    const op: Extract<ContractOp, { type: 'admit' }> = { type: 'admit', eventId: config.eventId, serial, scan: { nonce, gate: config.gateId, time: scanTime }, code };
    const seq = nextSeq++;
    const request = await signRequest(crypto, config.device.secretKey, { deployment: config.deployment, requestSeq: seq, op: encodeContractOp(op) });
    const item: QueueItem = {
      seq,
      eventId: config.eventId,
      ticketId: result.ticketId,
      serial,
      version: result.version,
      scanTime,
      nonce,
      provisional: link === undefined,
      request: encodeRequest(request),
      state: 'pending',
    };
    const status: LocalTicketStatus = { state: 'consumed', version: result.version };
    items.set(seq, item);
    tickets.set(result.ticketId, status);
    await write([
      { type: 'put', key: itemKey(seq), value: encodeItem(item) },
      { type: 'put', key: ticketKey(result.ticketId), value: encodeTicketStatus(status) },
      { type: 'put', key: NEXT_SEQ_KEY, value: encode(nextSeq) },
    ]);
    changed();
    if (link === undefined) return { kind: 'provisional', ticketId: item.ticketId, seq, why: 'offline' };

    const settling = settleItem(item);
    settling.catch((err: unknown) => log.warn('recording a committed outcome failed', { seq, error: String(err) }));
    const outcome = await Promise.race([settling, delay(clock, commitTimeoutMs)]);
    if (outcome === undefined) {
      // no answer in time: let the holder in and keep the item queued (the relay goes on in the background)
      const latest = [...items.values()].find((i) => equalBytes(i.nonce, nonce)) ?? item; // it may have been re-signed under a new number
      const provisional: QueueItem = { ...latest, provisional: true };
      if (provisional.state === 'pending') {
        items.set(provisional.seq, provisional);
        await write([{ type: 'put', key: itemKey(provisional.seq), value: encodeItem(provisional) }]);
        changed();
        return { kind: 'provisional', ticketId: item.ticketId, seq: provisional.seq, why: 'timeout' };
      }
      return verdictOf(provisional);
    }
    return verdictOf(outcome);
  }

  function verdictOf(item: QueueItem): ScanVerdict {
    if (item.state === 'admitted') return { kind: 'admitted', ticketId: item.ticketId, seq: item.seq };
    if (item.state === 'pending') return { kind: 'provisional', ticketId: item.ticketId, seq: item.seq, why: 'timeout' };
    return ledgerVerdict(item);
  }

  const station: GateStation = {
    deviceId,
    get online() {
      return link !== undefined;
    },
    scan(payload) {
      const run = scanning.then(() => scanNow(payload));
      scanning = run.catch(() => undefined);
      return run;
    },
    setLedger(next) {
      if (closed) return;
      link = next;
      changed();
      if (next !== undefined) void station.sync();
    },
    sync() {
      syncing ??= syncOnce().finally(() => {
        syncing = undefined;
      });
      return syncing;
    },
    items: () => [...items.values()].sort((a, b) => a.seq - b.seq),
    refusals: () => [...refusals],
    stats() {
      let admitted = 0;
      let refusedByLedger = 0;
      let incidents = 0;
      for (const i of items.values()) {
        if (i.state === 'admitted') admitted++;
        else if (i.incident !== undefined) incidents++;
        else if (i.state === 'rejected') refusedByLedger++;
      }
      return { admitted, rejected: refusals.length + refusedByLedger, pending: pendingCount(), incidents };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      link = undefined;
      listeners.clear();
      await writes;
      await storage.close();
    },
  };
  log.info('gate station opened', { device: deviceId, items: items.size, pending: pendingCount() });
  return station;
}

function delay(clock: Clock, ms: number): Promise<undefined> {
  return new Promise((resolve) => clock.setTimeout(() => resolve(undefined), ms));
}
