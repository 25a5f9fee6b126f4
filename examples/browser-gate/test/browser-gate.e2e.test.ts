/**
 * End to end, in real Chromium (playwright-core): a venue of four PBFT
 * replicas on 127.0.0.1 WebSockets, the built app served by Vite, and the
 * wallet, gate and organizer pages driven like a person would.
 *
 * 1. the wallet renders its rotating QR code;
 * 2. an image of it is fed to the gate (file input);
 * 3. ADMITTED, and the ledger says the ticket is consumed;
 * 4. the same image again: REJECTED, already consumed (locally);
 * 5. offline (the toggle, then the browser's network): another ticket is
 *    PROVISIONAL; the queue survives a reload;
 * 6. back online: the queue syncs, the item is committed as admitted and the
 *    ledger agrees; a queued scan of a ticket admitted meanwhile at another
 *    gate shows as an incident (double admission).
 *
 * Also: an image without a QR code, a file that is not an image, a QR code
 * that is not a ticket and a forged one (tampered signature) each show a clear
 * rejection; a broken configuration link shows an error, never a blank page.
 * Screenshots go to `test-results/` (test artifacts); with `UPDATE_SCREENSHOTS=1`
 * also to `screenshots/` (the README's pictures), so a plain test run leaves
 * the tracked files alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Client } from '@admitone/consensus';
import { nobleCrypto, rotatingCodeMessage, seededRandom, systemClock, utf8ToBytes } from '@admitone/core';
import { decodePresentation, encodePresentation } from '@admitone/identity';
import { decodeContractQueryResult, encodeContractQuery, type TicketView } from '@admitone/market';
import { configFromFragment, configLink } from '../src/config/pages.js';
import { seedScenario, type Scenario, type VenueAccess } from '../scripts/scenario.js';
import { serveApp, type ServedApp } from '../scripts/serve.js';
import { startNetworkVenue } from '../scripts/network-venue.js';
import { startVenueFixture } from '../scripts/venue-fixture.js';
import { blankPng, qrPng, readQrPng } from './qr-images.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOTS = `${here}screenshots/`;
const ARTIFACTS = `${here}test-results/`;
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const WAIT = { timeout: 25_000 }; // generous: CI runs every test file at once on two cores
const GATES = [
  { gateId: 'north-1', device: 'gate-1' },
  { gateId: 'south-1', device: 'gate-2' },
];

/** The venue: the node-host network (default) or, with BROWSER_GATE_VENUE=in-process, four replicas in this process. */
const IN_PROCESS = process.env['BROWSER_GATE_VENUE'] === 'in-process';

let venue: (VenueAccess & { stop(): Promise<void> }) | undefined;
let apiUrl: string | undefined;
let app: ServedApp | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let scenario: Scenario;
let links: ReturnType<Scenario['links']>;
let observer: Client;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const random = seededRandom('browser-gate-e2e');
  const devices = ['driver', 'observer', 'organizer', ...GATES.map((g) => g.device)];
  // started in parallel; whatever started is kept for afterAll even when something else failed
  const [started, launched] = await both(
    (IN_PROCESS ? startVenueFixture({ devices, random: random.fork('venue') }) : startNetworkVenue({ devices, seed: 'browser-gate-e2e', random: random.fork('enrollment') })).then((v) => (venue = v)),
    chromium
      .launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      })
      .then((b) => (browser = b)),
  );
  if ('network' in started) apiUrl = started.network.nodes[0]?.httpUrl;
  const [seeded, served] = await both(
    seedScenario(started, {
      eventId: 'e2e-gig',
      buyers: ['alice', 'bob', 'carol'],
      gates: GATES,
      organizerDevice: 'organizer',
      driverDevice: 'driver',
      random: random.fork('scenario'),
      clock: systemClock(),
      commitTimeoutMs: 20_000, // online scans must commit, not time out into PROVISIONAL, on a loaded box
    }),
    serveApp({ outDir: `${ARTIFACTS}dist`, ...(apiUrl === undefined ? {} : { proxy: apiUrl }) }).then((a) => (app = a)),
  );
  scenario = seeded;
  links = scenario.links(served.url, apiUrl === undefined ? undefined : served.url.replace(/\/$/, ''));
  observer = await started.client('observer');
  context = await launched.newContext({ viewport: { width: 960, height: 860 }, deviceScaleFactor: 1 });
  context.on('page', (p) => {
    p.on('pageerror', (err) => pageErrors.push(`${p.url().split('#')[0]}: ${err.message}`));
  });
}, 75_000);

afterAll(async () => {
  try {
    await browser?.close();
  } finally {
    try {
      await app?.close();
    } finally {
      await venue?.stop();
    }
  }
}, 30_000);

function appServer(): ServedApp {
  if (app === undefined) throw new Error('the app is not served');
  return app;
}

/** Awaits both promises, letting both settle before the first failure is thrown (so nothing started is orphaned). */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/** The ledger's view of a ticket (fast read through the replicas). */
async function ledgerTicket(serial: number): Promise<TicketView> {
  const answer = decodeContractQueryResult(await observer.read(encodeContractQuery({ type: 'ticket', eventId: scenario.eventId, serial })));
  if (answer.status !== 'ok' || !('ticket' in answer)) throw new Error(`ticket ${serial} not found`);
  return answer.ticket;
}

async function shot(page: Page, name: string): Promise<void> {
  const png = await page.screenshot({ fullPage: false });
  if (process.env['UPDATE_SCREENSHOTS'] === '1') writeFileSync(`${SCREENSHOTS}${name}.png`, png);
  writeFileSync(`${ARTIFACTS}${name}.png`, png);
}

/** Opens ticket `i`'s wallet and returns a picture of its QR code (what a camera would see). */
async function walletCode(i: number, screenshot?: string): Promise<Buffer> {
  const page = await context.newPage();
  await page.goto(links.wallets[i]!);
  await page.locator('#qr[data-step]').waitFor(WAIT);
  const png = await page.locator('#qr').screenshot();
  if (screenshot !== undefined) await shot(page, screenshot);
  await page.close();
  return png;
}

async function openGate(gateId: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(links.gates[gateId]!);
  await page.locator('#verdict').waitFor(WAIT);
  return page;
}

async function scan(gate: Page, name: string, buffer: Buffer, mimeType = 'image/png'): Promise<void> {
  await gate.locator('#scan-file').setInputFiles({ name, mimeType, buffer });
  await gate.locator('#verdict:not([data-kind="checking"])').waitFor(WAIT);
}

async function verdict(gate: Page): Promise<{ kind: string | null; reason: string | null; headline: string; detail: string; code: string }> {
  await expectNotChecking(gate);
  const v = gate.locator('#verdict');
  return {
    kind: await v.getAttribute('data-kind'),
    reason: await v.getAttribute('data-reason'),
    headline: await gate.locator('#verdict-headline').innerText(),
    detail: await gate.locator('#verdict-detail').innerText(),
    code: await gate.locator('#verdict-code').innerText(),
  };
}

async function expectNotChecking(gate: Page): Promise<void> {
  await gate.waitForFunction(() => document.querySelector('#verdict')?.getAttribute('data-kind') !== 'checking', undefined, WAIT);
}

describe('browser gate end to end (Chromium, 4 replicas over WebSocket)', () => {
  let gate1: Page;
  let alice: Buffer;

  it('1–3: the wallet renders a rotating QR code; its image at the gate is ADMITTED and the ledger says consumed', async () => {
    alice = await walletCode(0, 'wallet');
    expect(decodePresentation(readQrPng(alice)).pass.ticketId).toBe(`${scenario.eventId}:1`); // the picture holds the presentation

    gate1 = await openGate('north-1');
    await gate1.locator('#connection[data-state="online"]').waitFor(WAIT);
    await scan(gate1, 'alice.png', alice);
    const v = await verdict(gate1);
    expect(v).toMatchObject({ kind: 'admitted', headline: 'ADMITTED' });
    expect(v.detail).toContain(`${scenario.eventId}:1`);
    await shot(gate1, 'gate-admitted');

    const t = await ledgerTicket(1);
    expect(t.admission).toBe('consumed');
    expect(t.scans).toHaveLength(1);
    expect(t.scans[0]).toMatchObject({ kind: 'admit', gate: 'north-1' });
  });

  it('4: the same image again is REJECTED as already consumed, at the gate, without a second ledger scan', async () => {
    await scan(gate1, 'alice-again.png', alice);
    const v = await verdict(gate1);
    expect(v).toMatchObject({ kind: 'rejected', reason: 'already_consumed', headline: 'REJECTED', detail: 'Ticket already used' });
    expect(v.code).toContain('checked at the gate');
    await shot(gate1, 'gate-rejected');
    expect((await ledgerTicket(1)).scans).toHaveLength(1);
  });

  it('5: offline, another ticket is PROVISIONAL; the queue survives a reload', async () => {
    const bob = await walletCode(1);
    const carol = await walletCode(2);
    await gate1.locator('#online-toggle').uncheck();
    await gate1.locator('#connection[data-state="offline"]').waitFor(WAIT);

    await scan(gate1, 'bob.png', bob);
    expect(await verdict(gate1)).toMatchObject({ kind: 'provisional', headline: 'PROVISIONAL' });
    expect(await gate1.locator('#verdict-code').innerText()).toContain('gate offline');
    await shot(gate1, 'gate-provisional');

    // carol's ticket: admitted locally here while offline, and meanwhile online at the other gate
    await scan(gate1, 'carol.png', carol);
    expect(await verdict(gate1)).toMatchObject({ kind: 'provisional' });
    const gate2 = await openGate('south-1');
    await gate2.locator('#connection[data-state="online"]').waitFor(WAIT);
    await scan(gate2, 'carol.png', carol);
    expect(await verdict(gate2)).toMatchObject({ kind: 'admitted' });
    await gate2.close();

    // nothing of gate 1's offline scans reached the ledger
    expect((await ledgerTicket(2)).admission).toBe('issued');
    expect((await ledgerTicket(3)).scans.map((s) => s.gate)).toEqual(['south-1']);

    // the queue is durable (IndexedDB): a reload finds both items, still pending, and stays offline
    await gate1.reload();
    await gate1.locator('#connection[data-state="offline"]').waitFor(WAIT);
    await gate1.locator('#queue-rows tr[data-state="pending"]').nth(1).waitFor(WAIT);
    expect(await gate1.locator('#queue-rows tr[data-state="pending"]').count()).toBe(2);
    expect(await gate1.locator('#stat-pending').innerText()).toBe('2');
  });

  it('6: back online (toggle on, then the browser network), the queue syncs: committed admission, and an incident for the double admission', async () => {
    // the browser has no network: the toggle alone does not bring the gate online
    await context.setOffline(true);
    await gate1.locator('#online-toggle').check();
    await gate1.locator('#connection[data-state="offline"]').waitFor(WAIT);
    expect(await gate1.locator('#connection').innerText()).toContain('no network');
    await context.setOffline(false);

    await gate1.locator(`#queue-rows tr[data-ticket="${scenario.eventId}:2"][data-state="admitted"]`).waitFor(WAIT);
    await gate1.locator(`#queue-rows tr[data-ticket="${scenario.eventId}:3"][data-state="incident"]`).waitFor(WAIT);
    expect(await gate1.locator(`#queue-rows tr[data-ticket="${scenario.eventId}:3"]`).innerText()).toContain('double admission');
    expect(await gate1.locator('#stat-pending').innerText()).toBe('0');
    expect(await gate1.locator('#stat-incidents').innerText()).toBe('1');
    await gate1.locator('#sync-report').waitFor(WAIT);
    await shot(gate1, 'gate-synced');

    // the ledger agrees: bob's ticket consumed by this gate's queued scan, carol's only once, at the other gate
    const bob = await ledgerTicket(2);
    expect(bob.admission).toBe('consumed');
    expect(bob.scans.map((s) => s.gate)).toEqual(['north-1']);
    const carol = await ledgerTicket(3);
    expect(carol.admission).toBe('consumed');
    expect(carol.scans.map((s) => s.gate)).toEqual(['south-1']);
  });

  it('the wallet re-signs its QR code at every time step', async () => {
    // carol's wallet with 1 s steps (the shortest a wallet configuration allows)
    const link = links.wallets[2]!;
    const config = configFromFragment(new URL(link).hash) as Record<string, unknown>;
    const page = await context.newPage();
    try {
      await page.goto(configLink(link, { ...config, stepMs: 1000 }));
      const shown = async (): Promise<{ step: number; presentation: ReturnType<typeof decodePresentation> }> => {
        for (;;) {
          await page.locator('#qr[data-step]').waitFor(WAIT);
          const before = await page.locator('#qr').getAttribute('data-step');
          const png = await page.locator('#qr').screenshot();
          // the code may have turned over while the picture was taken: then take it again
          if ((await page.locator('#qr').getAttribute('data-step')) !== before) continue;
          return { step: Number(before), presentation: decodePresentation(readQrPng(png)) };
        }
      };
      const first = await shown();
      await page.waitForFunction((s) => Number(document.querySelector('#qr')?.getAttribute('data-step')) > s, first.step, WAIT);
      const second = await shown();
      expect(second.step).toBeGreaterThan(first.step);
      const crypto = nobleCrypto();
      for (const { step, presentation } of [first, second]) {
        const { pass, code } = presentation;
        expect(code.step).toBe(step); // the picture carries the step the page says it shows
        expect(await crypto.verify(code.signature, rotatingCodeMessage(pass.deployment, pass.ticketId, code.version, code.step), code.holder)).toBe(true);
      }
      expect(second.presentation.pass.ticketId).toBe(first.presentation.pass.ticketId);
      expect(Buffer.from(second.presentation.code.signature).equals(Buffer.from(first.presentation.code.signature))).toBe(false);
    } finally {
      await page.close();
    }
  });

  it('bad input: no QR code, not an image, not a ticket, a forged ticket — each a clear rejection', async () => {
    await scan(gate1, 'blank.png', blankPng());
    expect(await verdict(gate1)).toMatchObject({ kind: 'unreadable', headline: 'REJECTED', code: 'APP_QR_NOT_FOUND' });
    await shot(gate1, 'gate-unreadable');

    await scan(gate1, 'notes.png', Buffer.from('this is not an image'));
    expect(await verdict(gate1)).toMatchObject({ kind: 'unreadable', headline: 'REJECTED', code: 'APP_IMAGE_UNREADABLE' });

    await scan(gate1, 'url.png', await qrPng(utf8ToBytes('https://example.com/ticket/42')));
    expect(await verdict(gate1)).toMatchObject({ kind: 'rejected', reason: 'malformed', detail: 'Not an AdmitOne ticket code' });

    // a valid QR code whose holder signature was tampered with: invalid, even though the ticket is consumed (validity first)
    const presentation = decodePresentation(readQrPng(alice));
    const signature = presentation.code.signature.slice();
    signature[0] = (signature[0] ?? 0) ^ 1;
    const forged = encodePresentation({ ...presentation, code: { ...presentation.code, signature } });
    await scan(gate1, 'forged.png', await qrPng(forged));
    expect(await verdict(gate1)).toMatchObject({ kind: 'rejected', reason: 'invalid_signature', headline: 'REJECTED', detail: 'Forged or tampered ticket code' });
    await shot(gate1, 'gate-forged');
    expect((await ledgerTicket(1)).scans).toHaveLength(1);
  });

  it('a broken configuration link shows what is wrong and a form, never a blank page', async () => {
    const page = await context.newPage();
    await page.goto(`${appServer().url}gate.html#config=not-base64-%%%`);
    await page.getByRole('alert').first().waitFor(WAIT);
    expect(await page.getByRole('alert').first().innerText()).toContain('cannot be used');
    await page.locator('#config-form').waitFor(WAIT);
    await page.locator('#config-text').fill('{"kind":"admitone.gate/v2"}');
    await page.getByRole('button', { name: 'Load' }).click();
    await page.getByText('Configuration field gate.deployment is missing.').waitFor(WAIT);
    // a wallet opened without a link asks for its configuration
    await page.goto('about:blank');
    await page.goto(`${appServer().url}wallet.html`);
    await page.getByRole('heading', { name: 'Load the wallet configuration' }).waitFor(WAIT);
    await page.close();
  });

  it('the organizer page shows the event live: sales, admissions and gate devices', async () => {
    const page = await context.newPage();
    await page.goto(links.organizer);
    await page.locator('#event-admitted').getByText('3', { exact: true }).waitFor(WAIT);
    expect(await page.locator('#event-issued').innerText()).toBe('3/100');
    expect(await page.locator('#event-devices').innerText()).toBe('2');
    expect(await page.locator('#ticket-rows tr[data-admission="consumed"]').count()).toBe(3);
    if (apiUrl !== undefined) {
      // the node API (proxied same-origin): venue-wide stats, and the live /ws stream of committed changes
      await page.locator('#venue-admitted').getByText('3', { exact: true }).waitFor(WAIT);
      await page.locator('#stream').getByText('live stream from node').waitFor(WAIT);
    }
    await shot(page, 'organizer');

    // create another event from the policy form and authorise a gate device for it
    const form = page.locator('#create-event');
    await form.locator('input[name="eventId"]').fill('e2e-gig-2');
    await form.locator('input[name="resaleCap"]').fill('120');
    await form.locator('input[name="royaltyBps"]').fill('500');
    await form.getByRole('button', { name: 'Create event' }).click();
    await page.getByText('Create event e2e-gig-2: done.').waitFor(WAIT);
    await page.locator('#event-issued').getByText('0/100', { exact: true }).waitFor(WAIT);
    const devices = page.locator('#devices');
    await devices.locator('input[name="eventId"]').fill('e2e-gig-2');
    await devices.getByRole('button', { name: 'Authorise' }).click();
    await page.locator('#event-devices').getByText('1', { exact: true }).waitFor(WAIT);
    await page.close();
    expect(pageErrors).toEqual([]);
  });
});
