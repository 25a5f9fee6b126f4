/**
 * Reading request input defensively: content types, bodies under a byte
 * limit (reading stops at the limit), strict JSON objects (unknown fields are
 * refused by name) and query strings.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { HttpRefusal } from './json.js';

/** Refuses a request whose `Content-Type` media type is not `expected` (415 `unsupported_media_type`). */
export function requireContentType(req: IncomingMessage, expected: 'application/json' | 'application/octet-stream'): void {
  const header = req.headers['content-type'];
  const media = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (media !== expected) {
    throw new HttpRefusal(415, 'unsupported_media_type', header === undefined ? `This route needs Content-Type: ${expected}.` : `This route needs Content-Type: ${expected}, not ${JSON.stringify(media.slice(0, 64))}.`);
  }
}

/**
 * Reads the whole body, refusing more than `limit` bytes with 413
 * `body_too_large`: at once when `Content-Length` says so, else as soon as the
 * received bytes pass the limit (then it stops reading; the server closes the
 * connection after answering).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new HttpRefusal(413, 'body_too_large', `The request body exceeds ${limit} bytes.`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > limit)) return Promise.reject(tooLarge());
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    const finish = (err: unknown, value?: Uint8Array) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err !== undefined) reject(err);
      else resolve(value as Uint8Array);
    };
    const onData = (chunk: Uint8Array) => {
      size += chunk.length;
      if (size > limit) {
        req.pause(); // stop reading: nothing more is buffered
        finish(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const out = new Uint8Array(size);
      let offset = 0;
      for (const c of chunks) {
        out.set(c, offset);
        offset += c.length;
      }
      finish(undefined, out);
    };
    const onError = () => finish(new HttpRefusal(400, 'body_unreadable', 'The request body could not be read.'));
    const onAborted = () => finish(new HttpRefusal(400, 'body_unreadable', 'The request was aborted.'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a JSON object with exactly the fields `allowed` (those in
 * `required` must be present): 400 `malformed_json` for bytes that are not
 * UTF-8 JSON, `invalid_body` for a non-object, `unknown_field` /
 * `missing_field` naming the field.
 */
export function parseJsonObject(bytes: Uint8Array, allowed: readonly string[], required: readonly string[]): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new HttpRefusal(400, 'malformed_json', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpRefusal(400, 'invalid_body', 'The request body must be a JSON object.');
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw new HttpRefusal(400, 'unknown_field', `Unknown field ${JSON.stringify(k.slice(0, 64))} (allowed: ${allowed.join(', ')}).`, { field: k.slice(0, 64) });
  }
  for (const k of required) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) throw new HttpRefusal(400, 'missing_field', `Missing field ${JSON.stringify(k)}.`, { field: k });
  }
  return value as Record<string, unknown>;
}

/**
 * The query parameters of `url`, each at most once and all in `allowed`
 * (400 `unknown_field` / `invalid_field` otherwise).
 */
export function readQuery(url: URL, allowed: readonly string[]): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (!allowed.includes(k)) {
      throw new HttpRefusal(400, 'unknown_field', `Unknown query parameter ${JSON.stringify(k.slice(0, 64))}${allowed.length === 0 ? '' : ` (allowed: ${allowed.join(', ')})`}.`, { field: k.slice(0, 64) });
    }
    if (Object.prototype.hasOwnProperty.call(out, k)) throw new HttpRefusal(400, 'invalid_field', `Query parameter ${JSON.stringify(k)} is repeated.`, { field: k });
    out[k] = v;
  }
  return out;
}

/** A boolean query flag: `1`/`true` or `0`/`false` (400 `invalid_field` otherwise). */
export function readFlag(query: Readonly<Record<string, string>>, name: string): boolean {
  const v = query[name];
  if (v === undefined || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true' || v === '') return true;
  throw new HttpRefusal(400, 'invalid_field', `Query parameter ${name} must be 1 or 0.`, { field: name });
}

/** A positive integer (path or query), 400 `invalid_field` naming `field` otherwise. */
export function readPositiveInt(text: string, field: string, max = Number.MAX_SAFE_INTEGER, min = 1): number {
  if (!/^\d{1,16}$/.test(text)) throw new HttpRefusal(400, 'invalid_field', `${field} must be a decimal integer.`, { field });
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new HttpRefusal(400, 'invalid_field', `${field} must be in [${min}, ${max}].`, { field });
  return n;
}
