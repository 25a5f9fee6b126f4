/**
 * The wallet page: one ticket as a rotating QR code. Every time step the
 * holder's key signs a fresh code (`createPresentation`), so a screenshot
 * stops working within a step or two; a countdown shows when it changes.
 * The page needs no network: the pass and key come from the link or a file.
 * @module
 */
import { bytesToHex, defaultCrypto, equalBytes, stepOf, systemClock, type Clock, type CryptoProvider } from '@admitone/core';
import { createPresentation, encodePresentation } from '@admitone/identity';
import { parseWalletConfig, type WalletConfig } from '../config/pages.js';
import { drawQr } from '../qr/render.js';
import { obtainConfig } from '../ui/config-form.js';
import { byId, el, errorBox, installErrorSurface, replaceChildren, shortHex } from '../ui/dom.js';
import '../ui/styles.css';

async function main(): Promise<void> {
  const root = byId('app');
  installErrorSurface(root);
  const config = await obtainConfig({ container: root, what: 'wallet', parse: parseWalletConfig });
  const crypto = await defaultCrypto();
  const holder = await crypto.getPublicKey(config.holderSecretKey);
  if (!equalBytes(holder, config.pass.holderKey)) {
    replaceChildren(root, errorBox('This wallet cannot show the ticket', new Error('The holder key in this configuration does not hold this ticket (it was transferred, or the link is wrong).')));
    return;
  }
  showTicket(root, config, crypto, systemClock());
}

function showTicket(root: HTMLElement, config: WalletConfig, crypto: CryptoProvider, clock: Clock): void {
  const { pass, stepMs } = config;
  const canvas = el('canvas', { id: 'qr', role: 'img', 'aria-label': `Ticket code for ${pass.ticketId}` });
  const seconds = el('span', { id: 'countdown' }, '…');
  const bar = el('progress', { id: 'countdown-bar', max: stepMs, value: 0, 'aria-label': 'Time until the code changes' });
  const problem = el('div', { 'aria-live': 'assertive' });
  replaceChildren(
    root,
    el(
      'section',
      { class: 'wallet', 'aria-labelledby': 'ticket-title' },
      el('h2', { id: 'ticket-title' }, config.label ?? 'Your ticket'),
      el('div', { class: 'row', style: 'justify-content:center' },
        el('span', { class: 'stat' }, 'Event', el('b', { id: 'event' }, pass.eventId)),
        el('span', { class: 'stat' }, 'Ticket', el('b', { id: 'ticket' }, pass.ticketId)),
        el('span', { class: 'stat' }, 'Version', el('b', { id: 'version' }, pass.version)),
      ),
      canvas,
      el('div', { class: 'countdown' }, el('div', {}, 'New code in ', seconds, ' s'), bar),
      el('p', { class: 'muted' }, 'Show this code at the gate. It changes every ', String(stepMs / 1000), ' seconds; a screenshot will not work for long.'),
      el('p', { class: 'muted mono' }, 'Holder ', shortHex(bytesToHex(pass.holderKey)), ' · valid until ', new Date(pass.credential.expiresAt).toLocaleString()),
      problem,
    ),
  );

  let shownStep = -1;
  let drawing = false;
  const tick = (): void => {
    const now = clock.now();
    const step = stepOf(now, stepMs);
    const left = (step + 1) * stepMs - now;
    seconds.textContent = String(Math.ceil(left / 1000));
    bar.value = stepMs - left;
    if (step !== shownStep && !drawing) {
      drawing = true;
      createPresentation(crypto, config.holderSecretKey, pass, now, stepMs)
        .then((p) => drawQr(canvas, encodePresentation(p)))
        .then((version) => {
          shownStep = step;
          canvas.dataset['step'] = String(step);
          canvas.dataset['qrVersion'] = String(version);
          problem.replaceChildren();
        })
        .catch((err: unknown) => {
          shownStep = step; // try again at the next step, not in a tight loop
          problem.replaceChildren(errorBox('The ticket code cannot be drawn', err));
        })
        .finally(() => {
          drawing = false;
        });
    }
    clock.setTimeout(tick, Math.min(250, left));
  };
  tick();
}

main().catch((err: unknown) => {
  const root = document.getElementById('app') ?? document.body;
  replaceChildren(root, errorBox('The wallet could not start', err));
});
