/**
 * Byte helpers used across AdmitOne. Hex, UTF-8 and concatenation come from
 * `@noble/hashes/utils`; ordering and equality are defined here because the
 * storage seam needs a total order on keys.
 * @module
 */
import { bytesToHex, concatBytes, hexToBytes, isBytes, utf8ToBytes } from '@noble/hashes/utils.js';

export { bytesToHex, concatBytes, hexToBytes, isBytes, utf8ToBytes };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8; throws `TypeError` on invalid UTF-8. */
export function bytesToUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Lexicographic byte order: negative when `a < b`, zero when equal, positive
 * when `a > b`. A proper prefix sorts first. This is the key order of every
 * {@link Storage} implementation.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Constant-length-independent equality of two byte arrays. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** True when `bytes` starts with `prefix`. */
export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/**
 * The smallest key strictly greater than every key that starts with `prefix`,
 * or `undefined` when no such key exists (prefix is all `0xff`).
 */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

/**
 * Checks that `value` is a `Uint8Array` and returns it. Throws a `TypeError`
 * naming `name` otherwise (noble-style boundary checks).
 */
export function assertBytes(value: unknown, name: string, length?: number): Uint8Array {
  if (!isBytes(value)) throw new TypeError(`${name} must be a Uint8Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** A short description of a value's type, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (isBytes(value)) return `Uint8Array(${value.length})`;
  const t = typeof value;
  if (t === 'object') return (value as object).constructor?.name ?? 'object';
  return t;
}
