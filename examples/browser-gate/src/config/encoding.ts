/**
 * Text encodings used by the page configurations: unpadded base64url for
 * binary blobs (passes, QR payloads) and lowercase hex for keys, plus strict
 * JSON field readers that throw {@link AppError} `APP_CONFIG_INVALID` naming
 * the field (never its value: configurations carry secret keys).
 * @module
 */
import { bytesToHex, bytesToUtf8, hexToBytes, utf8ToBytes } from '@admitone/core';
import { AppError } from '../errors.js';

const B64URL_RE = /^[A-Za-z0-9_-]*$/;

/** Encodes bytes as unpadded base64url (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Decodes unpadded base64url; throws `APP_CONFIG_INVALID` naming `field` when it is not base64url. */
export function fromBase64Url(text: string, field: string): Uint8Array {
  if (typeof text !== 'string' || !B64URL_RE.test(text) || text.length % 4 === 1) {
    throw invalid(field, 'must be base64url');
  }
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Encodes a JSON-serialisable value as base64url of its UTF-8 JSON (for URL fragments). */
export function jsonToBase64Url(value: unknown): string {
  return toBase64Url(utf8ToBytes(JSON.stringify(value)));
}

/** Parses base64url of UTF-8 JSON; throws `APP_CONFIG_INVALID` naming `field`. */
export function jsonFromBase64Url(text: string, field: string): unknown {
  return parseJson(decodeUtf8(fromBase64Url(text, field), field), field);
}

/** Parses JSON text; throws `APP_CONFIG_INVALID` naming `field` (the parser's message may quote input, so it is dropped). */
export function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid(field, 'is not valid JSON');
  }
}

/** A JSON object with only the listed keys (all of `required` present). */
export function readObject(value: unknown, field: string, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'must be an object');
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!required.includes(key) && !optional.includes(key)) throw invalid(`${field}.${key}`, 'is not a known field');
  }
  for (const key of required) if (!(key in record)) throw invalid(`${field}.${key}`, 'is missing');
  return record;
}

/** A string of 1 … `max` characters. */
export function readText(value: unknown, field: string, max = 256): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw invalid(field, `must be a string of 1–${max} characters`);
  return value;
}

/** Lowercase or uppercase hex of exactly `length` bytes. */
export function readHex(value: unknown, field: string, length: number): Uint8Array {
  if (typeof value !== 'string' || value.length !== 2 * length || !/^[0-9a-fA-F]*$/.test(value)) throw invalid(field, `must be ${length} bytes of hex`);
  return hexToBytes(value.toLowerCase());
}

/** A safe integer in `[min, max]`. */
export function readInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw invalid(field, `must be an integer in [${min}, ${max}]`);
  return value;
}

/** An array of at most `max` items. */
export function readList(value: unknown, field: string, max: number): readonly unknown[] {
  if (!Array.isArray(value) || value.length > max) throw invalid(field, `must be an array of at most ${max} items`);
  return value as readonly unknown[];
}

/** Lowercase hex of bytes (for writing configurations). */
export function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** The error every reader throws: the field and what is wrong with it, never the value. */
export function invalid(field: string, problem: string, cause?: unknown): AppError {
  return new AppError('APP_CONFIG_INVALID', `Configuration field ${field} ${problem}.`, { meta: { field }, ...(cause === undefined ? {} : { cause }) });
}

function decodeUtf8(bytes: Uint8Array, field: string): string {
  try {
    return bytesToUtf8(bytes);
  } catch {
    throw invalid(field, 'is not UTF-8');
  }
}
