/**
 * JSON renderings of contract values and the API's failure type.
 * @module
 */
import { AdmitOneError, bytesToHex } from '@admitone/core';
import type { Jsonified } from '../client/types.js';

/**
 * Renders a decoded contract value as JSON-safe data: `bigint` → decimal
 * string, `Uint8Array` → lowercase hex, `undefined` fields dropped.
 */
export function toJson<T>(value: T): Jsonified<T> {
  return convert(value) as Jsonified<T>;
}

function convert(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (Array.isArray(value)) return value.map(convert);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), convert(v)]));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = convert(v);
    return out;
  }
  return value;
}

/**
 * A request the API refuses: carries the HTTP status and the closed reason
 * code of the envelope (`code` is `HTTP_REFUSED` for every instance). The
 * message is for the client and never contains a body or a secret.
 */
export class HttpRefusal extends AdmitOneError {
  declare readonly code: 'HTTP_REFUSED';
  /** The HTTP status to answer with. */
  readonly status: number;
  /** The envelope's `error.reason`. */
  readonly reason: string;
  /** The offending field, when there is one. */
  readonly field: string | undefined;
  /** Extra response headers (e.g. `Allow` for 405). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, reason: string, message: string, options: { readonly field?: string; readonly headers?: Readonly<Record<string, string>> } = {}) {
    super('HTTP_REFUSED', message, { meta: { status, reason, ...(options.field === undefined ? {} : { field: options.field }) } });
    this.name = 'HttpRefusal';
    this.status = status;
    this.reason = reason;
    this.field = options.field;
    this.headers = options.headers ?? {};
  }
}
