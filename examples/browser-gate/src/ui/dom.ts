/**
 * Small DOM helpers shared by the pages: element construction without
 * `innerHTML` (text is always text, never markup), error boxes, and a
 * last-resort handler so that no failure leaves a blank page.
 * @module
 */
import { describeError } from '../errors.js';

/** Attributes and properties for {@link el}. */
export type Attributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** A child of {@link el}: a node, text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element. `attrs` become attributes (`true` → present, `false`
 * or `undefined` → absent); strings among `children` become text nodes.
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attributes = {}, ...children: readonly Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

/** Appends children (see {@link el}). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: readonly Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** The element with `id`, which the page's HTML must contain. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page lacks #${id}`);
  return node as T;
}

/** An error box: a title and the error's one-line, secret-free description. */
export function errorBox(title: string, err?: unknown): HTMLElement {
  return el('div', { class: 'alert', role: 'alert' }, el('strong', {}, title), err === undefined ? null : el('div', {}, describeError(err)));
}

/** Shortens a hex key for display: the first and last 6 characters. */
export function shortHex(hex: string): string {
  return hex.length <= 14 ? hex : `${hex.slice(0, 6)}…${hex.slice(-6)}`;
}

/**
 * Shows uncaught errors and unhandled rejections in `container` (prepended),
 * so the page always says what went wrong.
 */
export function installErrorSurface(container: HTMLElement): void {
  const show = (err: unknown): void => {
    container.prepend(errorBox('Something went wrong', err));
  };
  window.addEventListener('error', (e) => show(e.error ?? e.message));
  window.addEventListener('unhandledrejection', (e) => show(e.reason));
}

/** Formats a ms timestamp as local `HH:MM:SS`. */
export function timeOfDay(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
