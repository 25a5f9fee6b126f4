/**
 * Getting a page its configuration: from the URL fragment when it has one,
 * else (or when it is malformed) from a form where the user pastes the JSON
 * or picks a `.json` file. A bad configuration shows what is wrong with it and
 * the form stays open: the page is never blank.
 * @module
 */
import { configFromFragment, configFromText, configLink } from '../config/pages.js';
import { el, errorBox, replaceChildren } from './dom.js';

/** Options of {@link obtainConfig}. */
export interface ObtainConfigOptions<T> {
  /** Where the form and its messages go. */
  readonly container: HTMLElement;
  /** What is being configured, for the form's title ("wallet", "gate device" …). */
  readonly what: string;
  /** Strict parser of the JSON document (throws `APP_CONFIG_INVALID`). */
  readonly parse: (json: unknown) => T;
}

/**
 * Resolves with a parsed configuration. A configuration entered in the form
 * is also written to the URL fragment, so a reload finds it again (a local
 * demo convenience: the fragment holds secret keys and never leaves the
 * browser, but it does stay in its history).
 */
export function obtainConfig<T>(options: ObtainConfigOptions<T>): Promise<T> {
  const { container, what, parse } = options;
  return new Promise<T>((resolve) => {
    let firstError: unknown;
    try {
      const json = configFromFragment(location.hash);
      if (json !== undefined) {
        resolve(parse(json));
        return;
      }
    } catch (err) {
      firstError = err;
    }

    const messages = el('div', { 'aria-live': 'polite' });
    const text = el('textarea', { id: 'config-text', 'aria-label': `${what} configuration (JSON)`, spellcheck: false, placeholder: '{ "kind": … }' });
    const file = el('input', { type: 'file', id: 'config-file', accept: '.json,application/json' });
    const load = el('button', { type: 'submit', class: 'primary' }, 'Load');
    const form = el(
      'form',
      { class: 'panel', id: 'config-form' },
      el('h2', {}, `Load the ${what} configuration`),
      el('p', { class: 'muted' }, 'Open this page from a link made by the organizer, or paste the JSON configuration here, or pick its file.'),
      el('label', { for: 'config-text' }, 'Configuration JSON'),
      text,
      el('div', { class: 'row', style: 'margin-top:10px' }, load, el('label', { class: 'file' }, 'or a file: ', file)),
    );
    replaceChildren(container, messages, form);
    if (firstError !== undefined) messages.append(errorBox('The configuration in this link cannot be used', firstError));

    const accept = (raw: string): void => {
      messages.replaceChildren();
      try {
        const json = configFromText(raw);
        const config = parse(json);
        history.replaceState(null, '', configLink(location.href, json as Record<string, unknown>));
        container.replaceChildren();
        resolve(config);
      } catch (err) {
        messages.append(errorBox('This configuration cannot be used', err));
      }
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      accept(text.value);
    });
    file.addEventListener('change', () => {
      const chosen = file.files?.[0];
      if (chosen === undefined) return;
      chosen.text().then(accept, (err: unknown) => messages.append(errorBox('The file cannot be read', err)));
    });
  });
}
