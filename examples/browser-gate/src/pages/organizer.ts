/**
 * The organizer page: create an event (policy form with resale cap and
 * royalty), authorise or revoke gate devices, and watch sales and scans live
 * (contract queries through the PBFT client's fast read path, once a second).
 * @module
 */
import { bytesToHex, consoleLogger, defaultCrypto, eventId as toEventId, hexToBytes, systemClock, systemRandom, type EventId } from '@admitone/core';
import {
  decodeContractQueryResult,
  decodeContractResult,
  encodeContractOp,
  encodeContractQuery,
  type ContractOp,
  type ContractQuery,
  type ContractQueryResult,
  type EventPolicy,
  type EventView,
  type TicketView,
} from '@admitone/market';
import { venueApi, type StreamUpdate } from '@admitone/example-node-host/client';
import { parseOrganizerConfig, type OrganizerConfig } from '../config/pages.js';
import { describeError } from '../errors.js';
import { connectLedger, type LedgerConnection } from '../ledger.js';
import { obtainConfig } from '../ui/config-form.js';
import { byId, el, errorBox, installErrorSurface, replaceChildren, shortHex, timeOfDay } from '../ui/dom.js';
import { reasonWords } from '../ui/reasons.js';
import '../ui/styles.css';

const clock = systemClock();
const random = systemRandom();
const logger = consoleLogger({ level: 'info', clock }).child({ page: 'organizer' });
const HOUR = 3_600_000;

async function main(): Promise<void> {
  const root = byId('app');
  installErrorSurface(root);
  const config = await obtainConfig({ container: root, what: 'organizer', parse: parseOrganizerConfig });
  const crypto = await defaultCrypto();
  const organizerKey = await crypto.getPublicKey(config.organizer.secretKey);
  const connection = await connectLedger({ device: config.organizer, replicas: config.replicas, deployment: config.deployment, signingKey: config.organizer.secretKey, crypto, clock, random, logger });
  const ui = buildPage(root, config, bytesToHex(organizerKey));
  const showPeers = (): void => {
    const n = connection.connected();
    ui.pill.className = `pill ${n > 0 ? 'online' : 'connecting'}`;
    ui.pill.textContent = n > 0 ? `Online · ${n}/${connection.replicas} replicas` : 'Connecting…';
  };
  connection.onPeers(showPeers);
  showPeers();

  const submit = async (op: ContractOp, what: string): Promise<boolean> => {
    try {
      const result = decodeContractResult(await connection.client.submit(encodeContractOp(op)));
      if (result.status === 'ok') {
        note(ui, `${what}: done.`, 'ok');
        return true;
      }
      note(ui, `${what}: rejected — ${reasonWords(result.reason)} (${result.reason}).`, 'bad');
    } catch (err) {
      note(ui, `${what}: ${describeError(err)}`, 'bad');
    }
    return false;
  };

  ui.createForm.addEventListener('submit', (e) => {
    e.preventDefault();
    let op: ContractOp;
    try {
      op = { type: 'createEvent', eventId: toEventId(field(ui.createForm, 'eventId')), policy: policyFrom(ui.createForm, clock.now()) };
    } catch (err) {
      note(ui, `Create event: ${describeError(err)}`, 'bad');
      return;
    }
    void submit(op, `Create event ${op.eventId}`).then((ok) => {
      if (ok) watch.start(op.eventId as EventId);
    });
  });
  const deviceOp = (type: 'authorizeGate' | 'revokeGate'): void => {
    let op: ContractOp;
    try {
      const key = field(ui.deviceForm, 'device').trim().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(key)) throw new RangeError('The device key must be 32 bytes of hex (64 characters).');
      op = { type, eventId: toEventId(field(ui.deviceForm, 'eventId')), device: hexToBytes(key) };
    } catch (err) {
      note(ui, describeError(err), 'bad');
      return;
    }
    void submit(op, `${type === 'authorizeGate' ? 'Authorise' : 'Revoke'} device ${shortHex(field(ui.deviceForm, 'device'))}`);
  };
  ui.deviceForm.addEventListener('submit', (e) => {
    e.preventDefault();
    deviceOp('authorizeGate');
  });
  byId<HTMLButtonElement>('revoke').addEventListener('click', () => deviceOp('revokeGate'));
  ui.watchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    try {
      watch.start(toEventId(field(ui.watchForm, 'eventId')));
    } catch (err) {
      note(ui, describeError(err), 'bad');
    }
  });

  const watch = watcher(ui, connection, config.apiUrl);
  if (config.eventId !== undefined) watch.start(config.eventId);
  if (config.apiUrl !== undefined) pollVenueStats(ui, config.apiUrl);
}

/** Venue-wide counters from a venue node's `GET /api/v1/stats`, every two seconds. */
function pollVenueStats(ui: OrganizerUi, apiUrl: string): void {
  const api = venueApi(apiUrl);
  const poll = async (): Promise<void> => {
    try {
      const r = await api.stats();
      if (!r.ok) throw new Error(`${r.error.reason}: ${r.error.message}`);
      const s = r.data;
      ui.venueStats.classList.remove('hidden');
      replaceChildren(
        ui.venueStats,
        el('div', { class: 'muted', style: 'width:100%' }, 'Whole venue, from the node API'),
        ...(
          [
            ['Events', s.events],
            ['Tickets', s.tickets],
            ['Admitted', s.admitted],
            ['Listed', s.listed],
            ['Refunded', s.refunded],
          ] as const
        ).map(([label, n]) => el('span', { class: 'stat' }, label, el('b', { id: `venue-${label.toLowerCase()}` }, n))),
      );
    } catch (err) {
      ui.venueStats.classList.remove('hidden');
      replaceChildren(ui.venueStats, errorBox('The venue node’s stats are unavailable', err));
    }
    clock.setTimeout(() => void poll(), 2_000);
  };
  void poll();
}

interface OrganizerUi {
  readonly pill: HTMLElement;
  readonly notes: HTMLElement;
  readonly createForm: HTMLFormElement;
  readonly deviceForm: HTMLFormElement;
  readonly watchForm: HTMLFormElement;
  readonly summary: HTMLElement;
  readonly tickets: HTMLTableSectionElement;
  readonly feed: HTMLOListElement;
  readonly venueStats: HTMLElement;
  readonly stream: HTMLElement;
}

function buildPage(root: HTMLElement, config: OrganizerConfig, organizerHex: string): OrganizerUi {
  const input = (name: string, label: string, value: string, attrs: Record<string, string | number | boolean> = {}): HTMLElement =>
    el('label', {}, label, el('input', { type: 'text', name, value, required: true, ...attrs }));
  const eventDefault = config.eventId ?? 'my-event';
  const createForm = el(
    'form',
    { class: 'grid', id: 'create-event', 'aria-labelledby': 'create-title' },
    input('eventId', 'Event id', config.eventId === undefined ? eventDefault : `${config.eventId}-2`, { pattern: '[A-Za-z0-9][A-Za-z0-9._:-]{0,99}' }),
    input('capacity', 'Capacity (tickets)', '100', { type: 'number', min: 1 }),
    input('facePrice', 'Face price (cents)', '5000', { inputmode: 'numeric', pattern: '[0-9]+' }),
    input('saleHours', 'Sale open for (hours)', '48', { type: 'number', min: 1 }),
    input('resaleCap', 'Resale cap (% of face)', '110', { type: 'number', min: 0, max: 100000 }),
    input('royaltyBps', 'Royalty (basis points)', '1000', { type: 'number', min: 0, max: 10000 }),
    input('perPersonCap', 'Tickets per person', '4', { type: 'number', min: 1 }),
    el('label', {}, 'Transferable', el('select', { name: 'transferable' }, el('option', { value: 'yes' }, 'yes'), el('option', { value: 'no' }, 'no'))),
    el('button', { type: 'submit', class: 'primary' }, 'Create event'),
  );
  const deviceList = el('datalist', { id: 'known-devices' }, ...(config.devices ?? []).map((d) => el('option', { value: bytesToHex(d.publicKey) }, d.name)));
  const deviceForm = el(
    'form',
    { class: 'grid', id: 'devices', 'aria-labelledby': 'devices-title' },
    input('eventId', 'Event id', eventDefault),
    el('label', { style: 'grid-column: span 2' }, 'Gate device public key (hex)', el('input', { type: 'text', name: 'device', list: 'known-devices', required: true, value: config.devices?.[0] === undefined ? '' : bytesToHex(config.devices[0].publicKey) })),
    deviceList,
    el('button', { type: 'submit', class: 'primary' }, 'Authorise'),
    el('button', { type: 'button', id: 'revoke' }, 'Revoke'),
  );
  const watchForm = el('form', { class: 'row', id: 'watch' }, el('label', {}, 'Event id ', el('input', { type: 'text', name: 'eventId', value: eventDefault, style: 'width:16em' })), el('button', { type: 'submit' }, 'Watch'));
  const ui: OrganizerUi = {
    pill: el('span', { id: 'connection', class: 'pill connecting', role: 'status' }, 'Connecting…'),
    notes: el('div', { id: 'notes', 'aria-live': 'polite' }),
    createForm,
    deviceForm,
    watchForm,
    summary: el('div', { id: 'summary', class: 'row panel' }, el('span', { class: 'muted' }, 'Pick an event to watch.')),
    tickets: el('tbody', { id: 'ticket-rows' }),
    feed: el('ol', { id: 'feed', reversed: true }),
    venueStats: el('div', { id: 'venue-stats', class: 'row panel hidden' }),
    stream: el('span', { id: 'stream', class: 'muted' }),
  };
  replaceChildren(
    root,
    el('div', { class: 'row', style: 'justify-content:space-between' }, el('p', { class: 'muted mono' }, `Organizer ${shortHex(organizerHex)}`), ui.pill),
    ui.notes,
    el('h2', { id: 'live-title' }, 'Live: sales and scans'),
    ui.venueStats,
    watchForm,
    ui.summary,
    el('table', { 'aria-labelledby': 'live-title' }, el('thead', {}, el('tr', {}, ...['#', 'Holder', 'Version', 'Status', 'Admission', 'Last scan'].map((h) => el('th', {}, h)))), ui.tickets),
    el('div', { class: 'row', style: 'justify-content:space-between' }, el('h2', {}, 'Activity'), ui.stream),
    ui.feed,
    el('h2', { id: 'create-title' }, 'Create an event'),
    createForm,
    el('h2', { id: 'devices-title' }, 'Gate devices'),
    deviceForm,
  );
  return ui;
}

function field(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name);
  if (typeof value !== 'string') throw new TypeError(`The form lacks ${name}.`);
  return value;
}

function wholeNumber(form: HTMLFormElement, name: string, label: string, min: number, max: number): number {
  const text = field(form, name).trim();
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) throw new RangeError(`${label} must be a whole number from ${min} to ${max}.`);
  return n;
}

function policyFrom(form: HTMLFormElement, now: number): EventPolicy {
  const price = field(form, 'facePrice').trim();
  if (!/^[0-9]{1,20}$/.test(price)) throw new RangeError('Face price must be a whole number of cents.');
  const window = { start: now - 60_000, end: now + wholeNumber(form, 'saleHours', 'Sale hours', 1, 24 * 365) * HOUR };
  return {
    capacity: wholeNumber(form, 'capacity', 'Capacity', 1, 1_000_000),
    facePrice: BigInt(price),
    sale: window,
    resale: window,
    resaleCap: { kind: 'percent', percent: wholeNumber(form, 'resaleCap', 'Resale cap', 0, 100_000) },
    royaltyBps: wholeNumber(form, 'royaltyBps', 'Royalty', 0, 10_000),
    perPersonCap: wholeNumber(form, 'perPersonCap', 'Tickets per person', 1, 1_000_000),
    transferable: field(form, 'transferable') === 'yes',
    epochs: { kind: 'time', lengthMs: HOUR },
    maxOrdersPerAccount: 8,
  };
}

function note(ui: OrganizerUi, text: string, tone: 'ok' | 'bad'): void {
  ui.notes.prepend(el('div', { class: tone === 'ok' ? 'alert info' : 'alert', role: tone === 'ok' ? 'status' : 'alert' }, text));
  while (ui.notes.childElementCount > 4) ui.notes.lastElementChild?.remove();
}

/** Polls the event and its tickets once a second and turns changes into an activity feed. */
function watcher(ui: OrganizerUi, connection: LedgerConnection, apiUrl: string | undefined): { start(eventId: EventId): void } {
  let current: EventId | undefined;
  let generation = 0;
  let known = new Map<number, TicketView>();
  let socket: WebSocket | undefined;
  let streaming = false;
  let primed = false;
  const read = async (q: ContractQuery): Promise<ContractQueryResult> => decodeContractQueryResult(await connection.client.read(encodeContractQuery(q)));

  const poll = async (eventId: EventId, gen: number): Promise<void> => {
    try {
      const answer = await read({ type: 'event', eventId });
      if (gen !== generation) return;
      if (answer.status !== 'ok' || !('event' in answer)) {
        replaceChildren(ui.summary, el('span', {}, `No event ${eventId} on the ledger yet.`));
      } else {
        const tickets: TicketView[] = [];
        let after: number | undefined = 0;
        while (after !== undefined && tickets.length < 2_000) {
          const page = await read({ type: 'tickets', eventId, after, limit: 500 });
          if (page.status !== 'ok' || !('tickets' in page)) break;
          tickets.push(...page.tickets);
          after = page.next;
        }
        if (gen !== generation) return;
        render(answer.event, tickets);
      }
    } catch (err) {
      if (gen === generation) replaceChildren(ui.summary, errorBox('The ledger did not answer', err));
    }
    if (gen === generation) clock.setTimeout(() => void poll(eventId, gen), 1_000);
  };

  const render = (event: EventView, tickets: readonly TicketView[]): void => {
    replaceChildren(
      ui.summary,
      el('span', { class: 'stat' }, 'Event', el('b', {}, event.eventId)),
      el('span', { class: 'stat' }, 'Status', el('b', { id: 'event-status' }, event.status)),
      el('span', { class: 'stat' }, 'Sold', el('b', { id: 'event-issued' }, `${event.issued}/${event.policy.capacity}`)),
      el('span', { class: 'stat' }, 'Admitted', el('b', { id: 'event-admitted' }, event.admitted)),
      el('span', { class: 'stat' }, 'Refunded', el('b', {}, event.refunded)),
      el('span', { class: 'stat' }, 'Gate devices', el('b', { id: 'event-devices' }, event.devices.length)),
    );
    replaceChildren(
      ui.tickets,
      ...tickets.map((t) => {
        const scan = t.scans[t.scans.length - 1];
        return el(
          'tr',
          { 'data-serial': t.serial, 'data-admission': t.admission },
          el('td', {}, t.serial),
          el('td', { class: 'mono' }, shortHex(t.holder)),
          el('td', {}, t.version),
          el('td', {}, el('span', { class: `tag ${t.status === 'active' ? 'issued' : t.status}` }, t.status)),
          el('td', {}, el('span', { class: `tag ${t.admission}` }, t.admission)),
          el('td', {}, scan === undefined ? '—' : `${scan.kind} at ${scan.gate}, ${timeOfDay(scan.time)}`),
        );
      }),
    );
    // the stream reports changes as they commit; the first snapshot (and every change, without a stream) comes from the diff
    for (const t of streaming && primed ? [] : tickets) {
      const before = known.get(t.serial);
      if (before === undefined) feed(`Ticket ${t.serial} sold to ${shortHex(t.holder)}`);
      else if (before.holder !== t.holder) feed(`Ticket ${t.serial} changed hands (version ${t.version})`);
      for (const s of t.scans.slice(before?.scans.length ?? 0)) feed(`Ticket ${t.serial}: ${s.kind} at gate ${s.gate}`);
      if (before !== undefined && before.admission !== t.admission && t.scans.length === before.scans.length) feed(`Ticket ${t.serial} is now ${t.admission}`);
    }
    known = new Map(tickets.map((t) => [t.serial, t]));
    primed = true;
  };

  const feed = (text: string): void => {
    ui.feed.prepend(el('li', {}, `${timeOfDay(clock.now())} ${text}`));
    while (ui.feed.childElementCount > 100) ui.feed.lastElementChild?.remove();
  };

  /** The node's `/ws` stream of committed ticket changes: the activity feed, as it happens. */
  const subscribe = (eventId: EventId, gen: number): void => {
    if (apiUrl === undefined) return;
    const url = `${apiUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/ws?eventId=${encodeURIComponent(eventId)}`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener('message', (m) => {
      if (gen !== generation || typeof m.data !== 'string') return;
      let u: StreamUpdate;
      try {
        u = JSON.parse(m.data) as StreamUpdate;
      } catch {
        return;
      }
      if (u.type === 'hello') {
        streaming = true;
        ui.stream.textContent = `live stream from node ${u.node}`;
      } else if (u.type === 'ticket') {
        feed(`Ticket ${u.serial}: ${u.op}${u.admission === undefined ? '' : ` → ${u.admission}`} (slot ${u.seq})`);
      }
    });
    ws.addEventListener('close', () => {
      if (gen !== generation) return;
      streaming = false;
      ui.stream.textContent = 'stream closed; polling';
      clock.setTimeout(() => {
        if (gen === generation) subscribe(eventId, gen);
      }, 3_000);
    });
  };

  return {
    start(eventId) {
      current = eventId;
      generation++;
      known = new Map();
      streaming = false;
      primed = false;
      socket?.close();
      socket = undefined;
      ui.feed.replaceChildren();
      ui.stream.textContent = apiUrl === undefined ? 'polling the replicas' : 'connecting to the stream…';
      replaceChildren(ui.summary, el('span', { class: 'muted' }, `Watching ${current}…`));
      subscribe(eventId, generation);
      void poll(eventId, generation);
    },
  };
}

main().catch((err: unknown) => {
  const root = document.getElementById('app') ?? document.body;
  replaceChildren(root, errorBox('The organizer console could not start', err));
});
