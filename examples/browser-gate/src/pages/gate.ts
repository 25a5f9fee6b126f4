/**
 * The gate page: scan a QR code (camera or image file), verify it offline,
 * admit it on the ledger when online, queue it durably when not, and show
 * ADMITTED, REJECTED (with the reason in words) or PROVISIONAL in large
 * colours. The scanning logic is {@link openGateStation}; this file is the DOM.
 * @module
 */
import { quorumSize } from '@admitone/consensus';
import { bytesToHex, consoleLogger, defaultCrypto, memoryStorage, systemClock, systemRandom, type Storage } from '@admitone/core';
import { idbStorage } from '@admitone/storage-idb';
import { parseGateConfig, type GateConfig } from '../config/pages.js';
import { AppError, describeError } from '../errors.js';
import { openGateStation, type GateStation, type ScanVerdict, type SyncReport } from '../gate/station.js';
import type { QueueItem } from '../gate/records.js';
import { connectLedger, type LedgerConnection } from '../ledger.js';
import { decodeQrFile, decodeQrPixels } from '../qr/decode.js';
import { obtainConfig } from '../ui/config-form.js';
import { byId, el, errorBox, installErrorSurface, replaceChildren, shortHex, timeOfDay } from '../ui/dom.js';
import { reasonWords } from '../ui/reasons.js';
import '../ui/styles.css';

const clock = systemClock();
const random = systemRandom();
const logger = consoleLogger({ level: 'info', clock }).child({ page: 'gate' });

async function main(): Promise<void> {
  const root = byId('app');
  installErrorSurface(root);
  const config = await obtainConfig({ container: root, what: 'gate device', parse: parseGateConfig });
  const crypto = await defaultCrypto();
  const deviceKey = await crypto.getPublicKey(config.device.secretKey);
  const ui = buildPage(root, config);
  ui.subtitle.textContent = `Event ${config.eventId} · gate ${config.gateId} · device ${shortHex(bytesToHex(deviceKey))}`;

  let storage: Storage;
  try {
    storage = await idbStorage({ dbName: `admitone-gate:${config.eventId}:${config.gateId}:${bytesToHex(deviceKey).slice(0, 16)}` });
  } catch (err) {
    ui.messages.append(errorBox('Offline queue unavailable: scans will not survive a reload', err));
    storage = memoryStorage();
  }
  const station = await openGateStation({ config, storage, crypto, clock, random, logger, commitTimeoutMs: config.commitTimeoutMs ?? 5_000 });
  const render = (): void => renderQueue(ui, station);
  station.onChange(render);
  render();

  // online = the toggle AND the browser's network state
  const toggleKey = `admitone-gate-online:${config.gateId}`;
  ui.toggle.checked = localStorage.getItem(toggleKey) !== 'off';
  let connection: LedgerConnection | undefined;
  let reconciling: Promise<void> = Promise.resolve();
  // the station counts as online once a commit quorum (2f + 1 replicas when n = 3f+1) is connected; before that, scans are provisional at once
  const quorum = quorumSize(config.replicas.length);
  const showConnection = (): void => {
    if (connection !== undefined) {
      const n = connection.connected();
      const ready = n >= quorum;
      if (ready !== station.online) {
        station.setLedger(ready ? connection.client : undefined);
        if (ready) void station.sync().then((r) => showSync(ui, r));
      }
      ui.pill.className = `pill ${ready ? 'online' : 'connecting'}`;
      ui.pill.textContent = ready ? `Online · ${n}/${connection.replicas} replicas` : `Connecting… ${n}/${connection.replicas} replicas`;
      ui.pill.dataset['state'] = ready ? 'online' : 'connecting';
    } else {
      if (station.online) station.setLedger(undefined);
      ui.pill.className = 'pill offline';
      ui.pill.textContent = navigator.onLine ? 'Offline' : 'Offline · no network';
      ui.pill.dataset['state'] = 'offline';
    }
  };
  const reconcile = (): Promise<void> => {
    reconciling = reconciling.then(async () => {
      const wanted = ui.toggle.checked && navigator.onLine;
      if (wanted && connection === undefined) {
        try {
          // a relay gives up a little after the scan stops waiting for it (the item stays queued either way)
          const deadlineMs = Math.max(10_000, (config.commitTimeoutMs ?? 5_000) + 5_000);
          connection = await connectLedger({ device: config.device, replicas: config.replicas, deployment: config.deployment, crypto, clock, random, logger, deadlineMs });
          connection.onPeers(showConnection);
        } catch (err) {
          ui.messages.prepend(errorBox('Cannot reach the venue network', err));
        }
      } else if (!wanted && connection !== undefined) {
        const closing = connection;
        connection = undefined;
        station.setLedger(undefined);
        await closing.close();
      }
      showConnection();
    });
    return reconciling;
  };
  ui.toggle.addEventListener('change', () => {
    localStorage.setItem(toggleKey, ui.toggle.checked ? 'on' : 'off');
    void reconcile();
  });
  window.addEventListener('online', () => void reconcile());
  window.addEventListener('offline', () => void reconcile());
  ui.syncButton.addEventListener('click', () => {
    if (!station.online) {
      ui.messages.prepend(el('div', { class: 'alert info', role: 'status' }, 'The gate is offline: scans stay queued until it reconnects.'));
      return;
    }
    void station.sync().then((r) => showSync(ui, r));
  });
  // keep retrying while scans are queued and the gate is online
  const retry = (): void => {
    if (station.online && station.stats().pending > 0) void station.sync().then((r) => showSync(ui, r));
    clock.setTimeout(retry, 5_000);
  };
  clock.setTimeout(retry, 5_000);
  await reconcile();

  // scanning (the station runs scans one at a time, in order)
  const scan = async (read: () => Promise<Uint8Array>): Promise<void> => {
    showVerdict(ui, { kind: 'checking' });
    try {
      let payload: Uint8Array;
      try {
        payload = await read();
      } catch (err) {
        showVerdict(ui, { kind: 'unreadable', message: describeError(err), code: err instanceof AppError ? err.code : 'APP_IMAGE_UNREADABLE' });
        return;
      }
      showVerdict(ui, await station.scan(payload));
    } catch (err) {
      showVerdict(ui, { kind: 'unreadable', message: `The scan could not be recorded: ${describeError(err)}`, code: 'APP_SCAN_FAILED' });
    }
  };
  ui.file.addEventListener('change', () => {
    const file = ui.file.files?.[0];
    ui.file.value = ''; // the same file can be scanned again
    if (file !== undefined) void scan(() => decodeQrFile(file));
  });
  setupCamera(ui, (payload) => scan(async () => payload));
}

/** The page's elements. */
interface GateUi {
  readonly subtitle: HTMLElement;
  readonly pill: HTMLElement;
  readonly toggle: HTMLInputElement;
  readonly file: HTMLInputElement;
  readonly cameraButton: HTMLButtonElement;
  readonly video: HTMLVideoElement;
  readonly verdict: HTMLElement;
  readonly headline: HTMLElement;
  readonly detail: HTMLElement;
  readonly code: HTMLElement;
  readonly stats: HTMLElement;
  readonly syncButton: HTMLButtonElement;
  readonly queue: HTMLTableSectionElement;
  readonly messages: HTMLElement;
}

function buildPage(root: HTMLElement, config: GateConfig): GateUi {
  const ui: GateUi = {
    subtitle: el('p', { class: 'muted', id: 'gate-info' }),
    pill: el('span', { id: 'connection', class: 'pill offline', role: 'status', 'aria-live': 'polite' }, 'Offline'),
    toggle: el('input', { type: 'checkbox', id: 'online-toggle', role: 'switch' }),
    file: el('input', { type: 'file', id: 'scan-file', accept: 'image/*', 'aria-describedby': 'scan-help' }),
    cameraButton: el('button', { type: 'button', id: 'camera' }, 'Start camera'),
    video: el('video', { id: 'camera-view', class: 'hidden', muted: true, playsinline: true, 'aria-label': 'Camera' }),
    verdict: el('section', { id: 'verdict', class: 'verdict', role: 'status', 'aria-live': 'assertive', 'aria-atomic': 'true', 'data-kind': 'idle' }),
    headline: el('div', { class: 'headline', id: 'verdict-headline' }, 'READY'),
    detail: el('div', { class: 'detail', id: 'verdict-detail' }, 'Scan a ticket'),
    code: el('div', { class: 'code mono', id: 'verdict-code' }),
    stats: el('div', { id: 'stats', class: 'row' }),
    syncButton: el('button', { type: 'button', id: 'sync' }, 'Sync now'),
    queue: el('tbody', { id: 'queue-rows' }),
    messages: el('div', { id: 'messages', 'aria-live': 'polite' }),
  };
  ui.verdict.append(ui.headline, ui.detail, ui.code);
  replaceChildren(
    root,
    el('div', { class: 'row', style: 'justify-content:space-between' }, ui.subtitle, el('div', { class: 'row' }, ui.pill, el('label', { class: 'switch', for: 'online-toggle' }, ui.toggle, 'Online'))),
    ui.messages,
    ui.verdict,
    el(
      'div',
      { class: 'row panel' },
      el('label', { class: 'file', for: 'scan-file' }, el('strong', {}, 'Scan an image: '), ui.file),
      ui.cameraButton,
      el('span', { id: 'scan-help', class: 'muted' }, 'Point the camera at the wallet’s code, or pick a photo of it.'),
    ),
    ui.video,
    el('h2', {}, 'Scans at this gate'),
    el('div', { class: 'row', style: 'justify-content:space-between' }, ui.stats, ui.syncButton),
    el('table', { id: 'queue', 'aria-label': 'Scans at this gate' }, el('thead', {}, el('tr', {}, el('th', {}, 'Time'), el('th', {}, 'Ticket'), el('th', {}, 'Outcome'))), ui.queue),
    el('p', { class: 'muted' }, `Offline scans are kept in this browser (IndexedDB) and sent to the ${config.replicas.length} replicas when the gate is back online.`),
  );
  return ui;
}

type Shown = ScanVerdict | { readonly kind: 'checking' } | { readonly kind: 'unreadable'; readonly message: string; readonly code: string };

function showVerdict(ui: GateUi, v: Shown): void {
  const set = (cls: string, headline: string, detail: string, code: string, reason?: string): void => {
    ui.verdict.className = `verdict ${cls}`;
    ui.verdict.dataset['kind'] = v.kind;
    if (reason === undefined) delete ui.verdict.dataset['reason'];
    else ui.verdict.dataset['reason'] = reason;
    ui.headline.textContent = headline;
    ui.detail.textContent = detail;
    ui.code.textContent = code;
  };
  switch (v.kind) {
    case 'checking':
      set('checking', 'CHECKING…', 'Verifying the ticket', '');
      return;
    case 'admitted':
      set('admitted', 'ADMITTED', `Ticket ${v.ticketId}`, 'committed on the ledger');
      return;
    case 'provisional':
      set(
        'provisional',
        'PROVISIONAL',
        `Ticket ${v.ticketId}: admitted locally`,
        v.why === 'offline' ? 'gate offline · queued for the ledger' : 'the ledger is slow · queued for the ledger',
      );
      return;
    case 'rejected':
      set('rejected', 'REJECTED', reasonWords(v.reason), `${v.reason} · ${v.by === 'gate' ? 'checked at the gate' : 'refused by the ledger'}${v.ticketId === undefined ? '' : ` · ${v.ticketId}`}`, v.reason);
      return;
    case 'unreadable':
      set('rejected', 'REJECTED', v.message, v.code, 'unreadable');
      return;
  }
}

function renderQueue(ui: GateUi, station: GateStation): void {
  const s = station.stats();
  replaceChildren(
    ui.stats,
    el('span', { class: 'stat' }, 'Admitted', el('b', { id: 'stat-admitted' }, s.admitted)),
    el('span', { class: 'stat' }, 'Refused', el('b', { id: 'stat-rejected' }, s.rejected)),
    el('span', { class: 'stat' }, 'Queued', el('b', { id: 'stat-pending' }, s.pending)),
    el('span', { class: 'stat' }, 'Incidents', el('b', { id: 'stat-incidents' }, s.incidents)),
  );
  // the newest 50 of the gate's scans and refusals (rows are built only for those)
  type Entry = { readonly time: number; readonly row: () => HTMLTableRowElement };
  const scans: Entry[] = station.items().map((item) => ({
    time: item.scanTime,
    row: () =>
      el('tr', { 'data-seq': item.seq, 'data-ticket': item.ticketId, 'data-state': rowState(item) }, el('td', {}, timeOfDay(item.scanTime)), el('td', { class: 'mono' }, item.ticketId), el('td', {}, ...outcome(item))),
  }));
  const refusals: Entry[] = station.refusals().map((r) => ({
    time: r.time,
    row: () =>
      el(
        'tr',
        { 'data-ticket': r.ticketId, 'data-state': 'refused', 'data-reason': r.reason },
        el('td', {}, timeOfDay(r.time)),
        el('td', { class: 'mono' }, r.ticketId ?? '—'),
        el('td', {}, el('span', { class: 'tag rejected' }, 'refused'), ` ${reasonWords(r.reason)} (at the gate)`),
      ),
  }));
  // newest first; on equal times the later entry (scans and refusals are each in order) comes first
  const rows = [...scans.map((e, i) => ({ e, i })), ...refusals.map((e, i) => ({ e, i }))]
    .sort((a, b) => b.e.time - a.e.time || b.i - a.i)
    .slice(0, 50)
    .map(({ e }) => e.row());
  replaceChildren(ui.queue, ...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'No scans yet.'))]));
}

function rowState(item: QueueItem): string {
  return item.incident !== undefined ? 'incident' : item.state;
}

function outcome(item: QueueItem): (Node | string)[] {
  const parts: (Node | string)[] = [];
  if (item.state === 'pending') {
    parts.push(el('span', { class: 'tag pending' }, 'queued'), item.provisional ? ' admitted locally, waiting for the ledger' : ' waiting for the ledger');
  } else if (item.state === 'admitted') {
    parts.push(el('span', { class: 'tag admitted' }, 'admitted'), item.provisional ? ' committed after sync' : ' committed');
  } else if (item.incident === 'double_admission') {
    parts.push(el('span', { class: 'tag incident' }, 'INCIDENT: double admission'), ' the ticket was used at another gate first');
  } else if (item.incident !== undefined) {
    parts.push(el('span', { class: 'tag incident' }, 'INCIDENT'), ` admitted locally, then refused: ${reasonWords(item.reason ?? 'malformed')}`);
  } else {
    parts.push(el('span', { class: 'tag rejected' }, 'rejected'), ` ${reasonWords(item.reason ?? 'malformed')}`);
  }
  return parts;
}

function showSync(ui: GateUi, report: SyncReport): void {
  if (report.settled.length === 0 && report.error === undefined) return;
  const lines = report.settled.map((i) => `${i.ticketId}: ${i.state === 'admitted' ? 'admitted' : i.incident === 'double_admission' ? 'INCIDENT double admission' : `rejected (${i.reason ?? ''})`}`);
  const box = el(
    'div',
    { class: report.error === undefined ? 'alert info' : 'alert', role: 'status', id: 'sync-report' },
    el('strong', {}, report.settled.length === 0 ? 'Sync paused' : `Synced ${report.settled.length} queued scan${report.settled.length === 1 ? '' : 's'}`),
    ...lines.map((l) => el('div', { class: 'mono' }, l)),
    report.error === undefined ? null : el('div', {}, `${report.pending} still queued: ${report.error}; retrying.`),
  );
  document.getElementById('sync-report')?.remove();
  ui.messages.prepend(box);
}

function setupCamera(ui: GateUi, onPayload: (payload: Uint8Array) => Promise<void>): void {
  let stream: MediaStream | undefined;
  let last: { text: string; at: number } | undefined;
  const canvas = document.createElement('canvas');
  const stop = (): void => {
    for (const t of stream?.getTracks() ?? []) t.stop();
    stream = undefined;
    ui.video.classList.add('hidden');
    ui.cameraButton.textContent = 'Start camera';
  };
  const frame = (): void => {
    if (stream === undefined) return;
    if (ui.video.readyState >= 2 && ui.video.videoWidth > 0) {
      canvas.width = ui.video.videoWidth;
      canvas.height = ui.video.videoHeight;
      const context = canvas.getContext('2d', { willReadFrequently: true });
      if (context !== null) {
        context.drawImage(ui.video, 0, 0);
        try {
          const payload = decodeQrPixels(context.getImageData(0, 0, canvas.width, canvas.height));
          const text = bytesToHex(payload);
          const now = clock.now();
          // the same code held in front of the camera is one scan, not one per frame
          if (last === undefined || last.text !== text || now - last.at > 4_000) {
            last = { text, at: now };
            void onPayload(payload);
          }
        } catch {
          // no code in this frame
        }
      }
    }
    clock.setTimeout(frame, 150);
  };
  ui.cameraButton.addEventListener('click', () => {
    if (stream !== undefined) {
      stop();
      return;
    }
    const media = navigator.mediaDevices as MediaDevices | undefined;
    if (media?.getUserMedia === undefined) {
      ui.messages.prepend(errorBox('No camera', new AppError('APP_CAMERA_UNAVAILABLE', 'This browser offers no camera here (it needs https or localhost): scan an image file instead.')));
      return;
    }
    media
      .getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(async (s) => {
        stream = s;
        ui.video.srcObject = s;
        ui.video.classList.remove('hidden');
        ui.cameraButton.textContent = 'Stop camera';
        await ui.video.play();
        frame();
      })
      .catch((err: unknown) => {
        stop();
        ui.messages.prepend(errorBox('The camera cannot be used', new AppError('APP_CAMERA_UNAVAILABLE', `The camera cannot be used (${describeError(err)}): scan an image file instead.`)));
      });
  });
}

main().catch((err: unknown) => {
  const root = document.getElementById('app') ?? document.body;
  replaceChildren(root, errorBox('The gate could not start', err));
});
