/**
 * Canonical, deterministic CBOR (RFC 8949 §4.2 "core deterministic encoding"),
 * written and read in one pass.
 *
 * The data model is deliberately small so that the same value gives the same
 * bytes on every platform:
 * - `null`, `boolean`, `string` (well-formed Unicode), `Uint8Array`;
 * - integers: safe-integer `number`s and `bigint`s of any size (beyond 64 bits
 *   as RFC 8949 bignums, tags 2/3). After decoding, an integer is a `number`
 *   when it is a safe integer and a `bigint` otherwise — use {@link readBigInt}
 *   when a field is money or a field element;
 * - arrays, and plain objects with string keys (maps sorted bytewise); the
 *   key `__proto__` is refused.
 *
 * Floats, `undefined`, `Map`, `Set`, `Date`, class instances and typed arrays
 * other than `Uint8Array` are rejected: they have no single canonical form or
 * do not round-trip.
 *
 * Decoding is strict: the input must be exactly the canonical encoding of the
 * value it decodes to, with no trailing bytes, no indefinite lengths, no
 * duplicate keys and no more than `maxBytes`. Every rule is checked while
 * reading (shortest heads, ascending keys, bignums only beyond 64 bits,
 * well-formed UTF-8, no floats), so nothing is re-encoded.
 *
 * Why not cborg, which the codec was first built on: it is token based, and
 * its strict mode cannot check canonical form, so a decode cost a decode plus
 * a re-encode and a token object per value. Encoding and decoding were 29 %
 * of a PBFT replica's main thread at peak. This codec is tested value for
 * value and verdict for verdict against that cborg-based reference
 * (`test/helpers/cbor-reference.ts`, RFC 8949 Appendix A, property tests).
 * @module
 */
import { CodecError } from '../errors/index.js';
import { isBytes } from '../bytes/index.js';

/** A value in AdmitOne's canonical data model. */
export type CborValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly CborValue[]
  | { readonly [key: string]: CborValue };

/** Options for {@link decode}. */
export interface DecodeOptions {
  /** Reject inputs longer than this many bytes. Default {@link DEFAULT_MAX_DECODE_BYTES}. */
  readonly maxBytes?: number;
  /** Reject values nested deeper than this. Default {@link DEFAULT_MAX_DEPTH}. */
  readonly maxDepth?: number;
}

/** Options for {@link encode}. */
export interface EncodeOptions {
  /** Reject values whose encoding would exceed this many bytes. Default: no limit. */
  readonly maxBytes?: number;
  /** Reject values nested deeper than this. Default {@link DEFAULT_MAX_DEPTH}. */
  readonly maxDepth?: number;
}

/** Default decode size limit: 8 MiB. */
export const DEFAULT_MAX_DECODE_BYTES = 8 * 1024 * 1024;
/** Default nesting limit for encode and decode. */
export const DEFAULT_MAX_DEPTH = 64;

/**
 * Encodes `value` canonically. Throws {@link CodecError} with code
 * `CODEC_UNSUPPORTED_TYPE` for values outside the data model, and
 * `CODEC_TOO_LARGE` when the result exceeds `options.maxBytes`.
 *
 * @example
 * ```ts
 * const bytes = encode({ b: 1n, a: [true, new Uint8Array([1])] });
 * decode(bytes); // { a: [true, Uint8Array[1]], b: 1 }
 * ```
 */
export function encode(value: CborValue, options: EncodeOptions = {}): Uint8Array {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  // A getter on a plain object may encode too: a nested call writes into its own buffer.
  const outer = writing ? { buf: out, pos, ancestors } : undefined;
  if (outer !== undefined) {
    out = new Uint8Array(256);
    ancestors = [];
  }
  writing = true;
  pos = 0;
  let bytes: Uint8Array;
  try {
    writeValue(value, 0, maxDepth);
    bytes = out.slice(0, pos);
  } catch (err) {
    if (err !== UNSUPPORTED) throw err;
    // the one-pass writer only knows that it failed: the validator names what and where
    validate(value, maxDepth, 'CODEC_UNSUPPORTED_TYPE');
    throw new CodecError('CODEC_UNSUPPORTED_TYPE', 'Value cannot be encoded.');
  } finally {
    ancestors.length = 0;
    if (outer !== undefined) {
      out = outer.buf;
      pos = outer.pos;
      ancestors = outer.ancestors;
    } else {
      writing = false;
      if (out.length > MAX_KEPT_BUFFER) out = new Uint8Array(INITIAL_BUFFER);
    }
  }
  if (options.maxBytes !== undefined && bytes.length > options.maxBytes) {
    throw new CodecError('CODEC_TOO_LARGE', `Encoding of ${bytes.length} bytes exceeds the limit of ${options.maxBytes} bytes.`, {
      meta: { size: bytes.length, limit: options.maxBytes },
    });
  }
  return bytes;
}

/**
 * Decodes canonical bytes. Throws {@link CodecError}:
 * - `CODEC_TOO_LARGE` when `bytes` is longer than `maxBytes` (checked first);
 * - `CODEC_MALFORMED` for invalid or truncated CBOR, indefinite lengths,
 *   unsupported tags and simple values, floats, non-string or duplicate map
 *   keys, the key `__proto__`, nesting beyond `maxDepth`;
 * - `CODEC_TRAILING_BYTES` when bytes follow the first item;
 * - `CODEC_NON_CANONICAL` when the bytes are valid CBOR but not the canonical
 *   encoding of the value they hold (wrong map order, bignum that fits 64 bits
 *   or has a leading zero, invalid UTF-8, non-minimal lengths, a float that
 *   holds an integer).
 *
 * An input with several faults is refused for the first one in input order.
 * Byte strings come back as plain `Uint8Array` copies, independent of
 * `bytes`, also when `bytes` is a subclass such as Node's `Buffer`.
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): CborValue {
  if (!isBytes(bytes)) throw new TypeError('bytes must be a Uint8Array');
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DECODE_BYTES;
  if (bytes.length > maxBytes) {
    throw new CodecError('CODEC_TOO_LARGE', `Input of ${bytes.length} bytes exceeds the limit of ${maxBytes} bytes.`, {
      meta: { size: bytes.length, limit: maxBytes },
    });
  }
  if (bytes.length === 0) throw new CodecError('CODEC_MALFORMED', 'Input is empty.');
  // decoding calls no user code, so the reader's state cannot be re-entered.
  // A subclass (Node's Buffer) is read through a plain view: Buffer#slice
  // returns a view, not a copy, and byte strings must come back as copies.
  src = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  at = 0;
  try {
    const value = readValue(0, options.maxDepth ?? DEFAULT_MAX_DEPTH);
    if (at < bytes.length) {
      throw new CodecError('CODEC_TRAILING_BYTES', `Input has ${bytes.length - at} trailing bytes after the first item.`, {
        meta: { trailing: bytes.length - at },
      });
    }
    return value;
  } finally {
    src = EMPTY;
  }
}

/** True when `value` is in the canonical data model (see {@link CborValue}). */
export function isCborValue(value: unknown): value is CborValue {
  try {
    validate(value, DEFAULT_MAX_DEPTH, 'CODEC_UNSUPPORTED_TYPE');
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------

type ValidateCode = 'CODEC_UNSUPPORTED_TYPE' | 'CODEC_MALFORMED';

function validate(root: unknown, maxDepth: number, code: ValidateCode): void {
  // Recursion is bounded by maxDepth; `ancestors` detects cycles (a value
  // shared between siblings is fine, it simply encodes twice).
  const ancestors = new Set<object>();
  const visit = (value: unknown, depth: number, path: string): void => {
    if (depth > maxDepth) throw new CodecError(code, `Value nested deeper than ${maxDepth} at ${path}.`);
    switch (typeof value) {
      case 'boolean':
      case 'bigint':
        return;
      case 'string':
        if (!isWellFormed(value)) throw new CodecError(code, `String at ${path} is not well-formed Unicode (lone surrogate).`);
        return;
      case 'number':
        if (!Number.isSafeInteger(value)) {
          throw new CodecError(code, `Number at ${path} is not a safe integer (floats are not canonical; use bigint for large integers).`);
        }
        return;
      case 'object': {
        if (value === null || isBytes(value)) return;
        if (ancestors.has(value)) throw new CodecError(code, `Value at ${path} is cyclic.`);
        ancestors.add(value);
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) visit(value[i], depth + 1, `${path}[${i}]`);
        } else {
          const proto = Object.getPrototypeOf(value);
          if (proto !== Object.prototype && proto !== null) {
            throw new CodecError(code, `Value at ${path} is a ${(value as object).constructor?.name ?? 'non-plain object'}; only plain objects, arrays and Uint8Array are supported.`);
          }
          if (Object.getOwnPropertySymbols(value).length > 0) throw new CodecError(code, `Object at ${path} has symbol keys.`);
          for (const key of Object.keys(value)) {
            if (!isWellFormed(key)) throw new CodecError(code, `Key at ${path} is not well-formed Unicode.`);
            if (key === '__proto__') throw new CodecError(code, `Key "__proto__" at ${path} is refused (prototype pollution).`);
            visit((value as Record<string, unknown>)[key], depth + 1, `${path}.${key}`);
          }
        }
        ancestors.delete(value);
        return;
      }
      default:
        throw new CodecError(code, `Value at ${path} has unsupported type ${typeof value}.`);
    }
  };
  visit(root, 0, '$');
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isWellFormed(s: string): boolean {
  const native = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return typeof native === 'function' ? native.call(s) : !LONE_SURROGATE.test(s);
}

// --- the writer -----------------------------------------------------------------

const INITIAL_BUFFER = 8 * 1024;
/** A buffer grown beyond this by one large value is let go after it. */
const MAX_KEPT_BUFFER = 1024 * 1024;
/** Thrown by the writer for a value outside the data model; `encode` then asks {@link validate} why. */
const UNSUPPORTED = new Error('unsupported');

let out = new Uint8Array(INITIAL_BUFFER);
let pos = 0;
let writing = false;
/** The arrays and objects being written, outermost first (cycle detection). */
let ancestors: object[] = [];
const textEncoder = new TextEncoder();

function reserve(n: number): void {
  if (pos + n <= out.length) return;
  let size = out.length * 2;
  while (size < pos + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(out.subarray(0, pos));
  out = next;
}

/** Writes a big-endian u32 (room reserved by the caller). */
function writeU32(n: number): void {
  out[pos++] = n >>> 24;
  out[pos++] = (n >>> 16) & 0xff;
  out[pos++] = (n >>> 8) & 0xff;
  out[pos++] = n & 0xff;
}

/** A head with a non-negative safe-integer argument, in its shortest form. */
function writeHead(major: number, n: number): void {
  reserve(9);
  const m = major << 5;
  if (n < 24) out[pos++] = m | n;
  else if (n < 0x100) {
    out[pos++] = m | 24;
    out[pos++] = n;
  } else if (n < 0x10000) {
    out[pos++] = m | 25;
    out[pos++] = n >>> 8;
    out[pos++] = n & 0xff;
  } else if (n < 0x1_0000_0000) {
    out[pos++] = m | 26;
    writeU32(n);
  } else {
    out[pos++] = m | 27;
    writeU32(Math.floor(n / 0x1_0000_0000));
    writeU32(n >>> 0);
  }
}

const TWO_64 = 1n << 64n;

function writeBigInt(v: bigint): void {
  const negative = v < 0n;
  const magnitude = negative ? -1n - v : v;
  if (magnitude < TWO_64) {
    if (magnitude <= BigInt(Number.MAX_SAFE_INTEGER)) return writeHead(negative ? 1 : 0, Number(magnitude));
    reserve(9);
    out[pos++] = ((negative ? 1 : 0) << 5) | 27;
    writeU32(Number(magnitude >> 32n));
    writeU32(Number(magnitude & 0xffff_ffffn));
    return;
  }
  // RFC 8949 §3.4.3 bignum: tag 2 (or 3 for −1 − n), then n as a big-endian byte string without leading zeros
  let hex = magnitude.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  writeHead(6, negative ? 3 : 2);
  writeHead(2, hex.length / 2);
  reserve(hex.length / 2);
  for (let i = 0; i < hex.length; i += 2) out[pos++] = parseInt(hex.slice(i, i + 2), 16);
}

function writeString(s: string): void {
  const n = s.length;
  if (n < 24) {
    // short ASCII, the common case: written directly (undone if a char is not ASCII)
    reserve(1 + n);
    const start = pos;
    out[pos++] = 0x60 | n;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      out[pos++] = c;
    }
    if (i === n) return;
    pos = start;
  }
  if (!isWellFormed(s)) throw UNSUPPORTED;
  // at most 3 bytes per UTF-16 unit: write after the longest head it may need, then close the gap
  const guess = headSize(3 * n);
  reserve(guess + 3 * n);
  const start = pos;
  const { written } = textEncoder.encodeInto(s, out.subarray(start + guess, start + guess + 3 * n));
  const size = headSize(written);
  if (size !== guess) out.copyWithin(start + size, start + guess, start + guess + written);
  writeHead(3, written);
  pos = start + size + written;
}

function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1_0000_0000 ? 5 : 9;
}

/** Encoded map keys (head and UTF-8), by key: keys come from a small vocabulary of field names. */
const keyCache = new Map<string, Uint8Array>();
const KEY_CACHE_LIMIT = 4096;

function encodedKey(key: string): Uint8Array {
  let k = keyCache.get(key);
  if (k !== undefined) return k;
  if (key === '__proto__' || !isWellFormed(key)) throw UNSUPPORTED;
  const utf8 = textEncoder.encode(key);
  const n = utf8.length;
  const head = n < 24 ? [0x60 | n] : n < 0x100 ? [0x78, n] : n < 0x10000 ? [0x79, n >>> 8, n & 0xff] : [0x7a, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  k = new Uint8Array(head.length + n);
  k.set(head);
  const h = head.length;
  k.set(utf8, h);
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(key, k);
  return k;
}

/** RFC 8949 §4.2.1 order of encoded keys: bytewise, a prefix first. */
function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function writeValue(v: unknown, depth: number, maxDepth: number): void {
  if (depth > maxDepth) throw UNSUPPORTED;
  switch (typeof v) {
    case 'number':
      if (!Number.isSafeInteger(v)) throw UNSUPPORTED;
      if (v >= 0) writeHead(0, v);
      else writeHead(1, -1 - v);
      return;
    case 'string':
      writeString(v);
      return;
    case 'boolean':
      reserve(1);
      out[pos++] = v ? 0xf5 : 0xf4;
      return;
    case 'bigint':
      writeBigInt(v);
      return;
    case 'object':
      break;
    default:
      throw UNSUPPORTED;
  }
  if (v === null) {
    reserve(1);
    out[pos++] = 0xf6;
    return;
  }
  if (isBytes(v)) {
    const b = v as Uint8Array;
    writeHead(2, b.length);
    reserve(b.length);
    out.set(b, pos);
    pos += b.length;
    return;
  }
  if (ancestors.includes(v)) throw UNSUPPORTED;
  ancestors.push(v);
  if (Array.isArray(v)) {
    writeHead(4, v.length);
    for (let i = 0; i < v.length; i++) writeValue(v[i], depth + 1, maxDepth);
  } else {
    const proto = Object.getPrototypeOf(v);
    if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(v).length > 0) throw UNSUPPORTED;
    const keys = Object.keys(v);
    const n = keys.length;
    const encoded: Uint8Array[] = new Array<Uint8Array>(n);
    for (let i = 0; i < n; i++) encoded[i] = encodedKey(keys[i] as string);
    // insertion sort: maps are small, and often already in order
    for (let i = 1; i < n; i++) {
      const k = encoded[i] as Uint8Array;
      const name = keys[i] as string;
      let j = i - 1;
      while (j >= 0 && compareKeys(encoded[j] as Uint8Array, k) > 0) {
        encoded[j + 1] = encoded[j] as Uint8Array;
        keys[j + 1] = keys[j] as string;
        j--;
      }
      encoded[j + 1] = k;
      keys[j + 1] = name;
    }
    writeHead(5, n);
    for (let i = 0; i < n; i++) {
      const k = encoded[i] as Uint8Array;
      reserve(k.length);
      out.set(k, pos);
      pos += k.length;
      writeValue((v as Record<string, unknown>)[keys[i] as string], depth + 1, maxDepth);
    }
  }
  ancestors.pop();
}

// --- the reader -----------------------------------------------------------------

const EMPTY = new Uint8Array(0);
let src: Uint8Array = EMPTY;
let at = 0;
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function readU16(i: number): number {
  return ((src[i] as number) << 8) | (src[i + 1] as number);
}

function readU32(i: number): number {
  return (((src[i] as number) << 24) | ((src[i + 1] as number) << 16) | ((src[i + 2] as number) << 8) | (src[i + 3] as number)) >>> 0;
}

function malformed(message: string): never {
  throw new CodecError('CODEC_MALFORMED', `Input is not valid CBOR: ${message}`);
}

function nonCanonical(message: string): never {
  throw new CodecError('CODEC_NON_CANONICAL', `Input is not canonically encoded: ${message}`);
}

/**
 * The argument of a head with additional info `ai` (< 28), checked to be in
 * its shortest form. Returns a number, or -1 for a 64-bit argument beyond
 * the safe integers (then read it with {@link readBigArgument}).
 */
function readArgument(ai: number): number {
  if (ai < 24) return ai;
  const size = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : 8;
  if (at + size > src.length) malformed('truncated head');
  let n: number;
  if (size === 1) {
    n = src[at] as number;
    if (n < 24) nonCanonical('non-minimal integer or length');
  } else if (size === 2) {
    n = readU16(at);
    if (n < 0x100) nonCanonical('non-minimal integer or length');
  } else if (size === 4) {
    n = readU32(at);
    if (n < 0x10000) nonCanonical('non-minimal integer or length');
  } else {
    const hi = readU32(at);
    if (hi === 0) nonCanonical('non-minimal integer or length');
    if (hi >= 0x20_0000) {
      at += 8;
      return -1;
    }
    n = hi * 0x1_0000_0000 + readU32(at + 4);
  }
  at += size;
  return n;
}

/** The 64-bit argument just read by {@link readArgument} when it returned -1. */
function readBigArgument(): bigint {
  return (BigInt(readU32(at - 8)) << 32n) | BigInt(readU32(at - 4));
}

function readLength(ai: number): number {
  if (ai === 31) malformed('indefinite length');
  const n = readArgument(ai);
  if (n < 0 || at + n > src.length) malformed('truncated');
  return n;
}

function readText(length: number): string {
  const end = at + length;
  if (length <= 32) {
    let s = '';
    let i = at;
    for (; i < end; i++) {
      const c = src[i] as number;
      if (c >= 0x80) break;
      s += String.fromCharCode(c);
    }
    if (i === end) {
      at = end;
      return s;
    }
  }
  let s: string;
  try {
    s = textDecoder.decode(src.subarray(at, end));
  } catch {
    nonCanonical('invalid UTF-8');
  }
  at = end;
  return s;
}

function readValue(depth: number, maxDepth: number): CborValue {
  if (depth > maxDepth) malformed(`nested deeper than ${maxDepth}`);
  if (at >= src.length) malformed('truncated');
  const ib = src[at++] as number;
  const major = ib >>> 5;
  const ai = ib & 31;
  if (ai >= 28 && major !== 7) malformed(ai === 31 ? 'indefinite length' : 'reserved additional information');
  switch (major) {
    case 0: {
      const n = readArgument(ai);
      return n >= 0 ? n : readBigArgument();
    }
    case 1: {
      const n = readArgument(ai);
      return n >= 0 && n < MAX_SAFE ? -1 - n : -1n - (n >= 0 ? BigInt(n) : readBigArgument());
    }
    case 2: {
      const n = readLength(ai);
      const b = src.slice(at, at + n);
      at += n;
      return b;
    }
    case 3:
      return readText(readLength(ai));
    case 4: {
      const n = readLength(ai); // at least a byte per item, so n is bounded by the input
      const arr = new Array<CborValue>(n);
      for (let i = 0; i < n; i++) arr[i] = readValue(depth + 1, maxDepth);
      return arr;
    }
    case 5: {
      const n = readLength(ai);
      const obj: Record<string, CborValue> = {};
      let prevStart = 0;
      let prevEnd = 0;
      for (let i = 0; i < n; i++) {
        if (at >= src.length) malformed('truncated');
        const kb = src[at] as number;
        if (kb >>> 5 !== 3) malformed('non-string map key');
        const start = at++;
        if ((kb & 31) === 31) malformed('indefinite length');
        const key = readText(readLength(kb & 31));
        if (i > 0) {
          const order = compareRanges(prevStart, prevEnd, start, at);
          if (order === 0) malformed(`duplicate map key "${key}"`);
          if (order > 0) nonCanonical('map keys out of order');
        }
        if (key === '__proto__') malformed('map key "__proto__" is refused');
        prevStart = start;
        prevEnd = at;
        obj[key] = readValue(depth + 1, maxDepth);
      }
      return obj;
    }
    case 6: {
      const tag = readArgument(ai);
      if (tag !== 2 && tag !== 3) malformed(`unsupported tag ${tag}`);
      if (at >= src.length) malformed('truncated');
      const bb = src[at++] as number;
      if (bb >>> 5 !== 2) malformed('bignum content is not a byte string');
      const n = readLength(bb & 31);
      if (n <= 8 || src[at] === 0) nonCanonical(n <= 8 ? 'bignum that fits in 64 bits' : 'bignum with a leading zero');
      let hex = '';
      for (let i = at; i < at + n; i++) hex += (src[i] as number).toString(16).padStart(2, '0');
      at += n;
      const magnitude = BigInt(`0x${hex}`);
      return tag === 2 ? magnitude : -1n - magnitude;
    }
    default:
      return readSimple(ai);
  }
}

function readSimple(ai: number): CborValue {
  switch (ai) {
    case 20:
      return false;
    case 21:
      return true;
    case 22:
      return null;
    case 25:
    case 26:
    case 27: {
      const size = ai === 25 ? 2 : ai === 26 ? 4 : 8;
      if (at + size > src.length) malformed('truncated float');
      // rare (floats are refused): a view just for this read
      const view = new DataView(src.buffer, src.byteOffset + at, size);
      const f = size === 2 ? halfToNumber(view.getUint16(0)) : size === 4 ? view.getFloat32(0) : view.getFloat64(0);
      at += size;
      // an integer is canonical only as an integer; other floats are outside the data model
      if (Number.isSafeInteger(f)) nonCanonical('float holding an integer');
      return malformed('floats are not supported');
    }
    default:
      return malformed(ai === 23 ? 'undefined is not supported' : ai === 31 ? 'unexpected break' : 'unsupported simple value');
  }
}

function halfToNumber(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : Number.NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** Bytewise order of two ranges of the input (a prefix first). */
function compareRanges(a: number, aEnd: number, b: number, bEnd: number): number {
  const n = Math.min(aEnd - a, bEnd - b);
  for (let i = 0; i < n; i++) {
    const d = (src[a + i] as number) - (src[b + i] as number);
    if (d !== 0) return d;
  }
  return aEnd - a - (bEnd - b);
}
