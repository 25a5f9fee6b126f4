/**
 * The codec as it was built on cborg (encode, then decode by cborg plus a
 * re-encode check), kept as the reference the hand-written codec in
 * `src/codec/cbor.ts` is tested against, value for value and verdict for
 * verdict.
 */
import { decodeFirst, encode as cborgEncode, rfc8949EncodeOptions } from 'cborg';
import type { CborValue } from '../../src/codec/cbor.js';
import { bigIntDecoder, bigIntEncoder, bigNegIntDecoder } from 'cborg/taglib';
import { CodecError } from '../../src/errors/index.js';
import { isBytes } from '../../src/bytes/index.js';


/** Options for {@link decode}. */
interface DecodeOptions {
  /** Reject inputs longer than this many bytes. Default {@link DEFAULT_MAX_DECODE_BYTES}. */
  readonly maxBytes?: number;
  /** Reject values nested deeper than this. Default {@link DEFAULT_MAX_DEPTH}. */
  readonly maxDepth?: number;
}

/** Options for {@link encode}. */
interface EncodeOptions {
  /** Reject values whose encoding would exceed this many bytes. Default: no limit. */
  readonly maxBytes?: number;
  /** Reject values nested deeper than this. Default {@link DEFAULT_MAX_DEPTH}. */
  readonly maxDepth?: number;
}

/** Default decode size limit: 8 MiB. */
const DEFAULT_MAX_DECODE_BYTES = 8 * 1024 * 1024;
/** Default nesting limit for encode and decode. */
const DEFAULT_MAX_DEPTH = 64;

/**
 * cborg's default map sorter is length-first then bytewise (RFC 7049
 * canonical). Our maps only have text-string keys, whose CBOR header grows
 * monotonically with length, so that order is exactly RFC 8949's bytewise
 * order of encoded keys — and it keeps cborg's fast direct-encode path (the
 * `rfc8949EncodeOptions` sorter re-encodes every key). A property test checks
 * the equivalence against `rfc8949EncodeOptions`.
 */
const ENCODE_OPTIONS = { typeEncoders: { bigint: bigIntEncoder } };
/** The reference RFC 8949 options, exported for the equivalence test. */
export const RFC8949_REFERENCE_OPTIONS = { ...rfc8949EncodeOptions, typeEncoders: { bigint: bigIntEncoder } };
const DECODE_OPTIONS = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowNaN: false,
  allowInfinity: false,
  rejectDuplicateMapKeys: true,
  useMaps: false,
  tags: [] as unknown[],
};
DECODE_OPTIONS.tags[2] = bigIntDecoder;
DECODE_OPTIONS.tags[3] = bigNegIntDecoder;

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
export function referenceEncode(value: CborValue, options: EncodeOptions = {}): Uint8Array {
  validate(value, options.maxDepth ?? DEFAULT_MAX_DEPTH, 'CODEC_UNSUPPORTED_TYPE');
  let bytes: Uint8Array;
  try {
    bytes = cborgEncode(value, ENCODE_OPTIONS);
  } catch (cause) {
    throw new CodecError('CODEC_UNSUPPORTED_TYPE', 'Value cannot be encoded.', { cause });
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
 * - `CODEC_MALFORMED` for invalid CBOR, unsupported tags, floats, non-string map keys;
 * - `CODEC_TRAILING_BYTES` when bytes follow the first item;
 * - `CODEC_NON_CANONICAL` when the bytes are valid CBOR but not the canonical
 *   encoding of the value they hold (wrong map order, bignum that fits 64 bits,
 *   invalid UTF-8, non-minimal lengths).
 */
export function referenceDecode(bytes: Uint8Array, options: DecodeOptions = {}): CborValue {
  if (!isBytes(bytes)) throw new TypeError('bytes must be a Uint8Array');
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DECODE_BYTES;
  if (bytes.length > maxBytes) {
    throw new CodecError('CODEC_TOO_LARGE', `Input of ${bytes.length} bytes exceeds the limit of ${maxBytes} bytes.`, {
      meta: { size: bytes.length, limit: maxBytes },
    });
  }
  if (bytes.length === 0) throw new CodecError('CODEC_MALFORMED', 'Input is empty.');
  let value: unknown;
  let rest: Uint8Array;
  try {
    [value, rest] = decodeFirst(bytes, DECODE_OPTIONS as Parameters<typeof decodeFirst>[1]);
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    const code = /minimal|canonical|strict/i.test(msg) ? 'CODEC_NON_CANONICAL' : 'CODEC_MALFORMED';
    throw new CodecError(code, code === 'CODEC_NON_CANONICAL' ? 'Input is not canonically encoded.' : 'Input is not valid CBOR.', {
      cause,
      details: msg,
    });
  }
  if (rest.length > 0) {
    throw new CodecError('CODEC_TRAILING_BYTES', `Input has ${rest.length} trailing bytes after the first item.`, {
      meta: { trailing: rest.length },
    });
  }
  validate(value, options.maxDepth ?? DEFAULT_MAX_DEPTH, 'CODEC_MALFORMED');
  const again = cborgEncode(value, ENCODE_OPTIONS);
  if (!sameBytes(again, bytes)) {
    throw new CodecError('CODEC_NON_CANONICAL', 'Input is not canonically encoded.', {
      details: 'Re-encoding the decoded value gives different bytes (map order, integer or bignum width, or invalid UTF-8).',
    });
  }
  return value as CborValue;
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

/**
 * Byte equality, four bytes at a time, stopping at the first difference.
 * Not constant-time (the canonical-form check compares public bytes), and
 * about three times faster than a byte loop on the multi-kilobyte messages
 * the MPC and consensus layers decode.
 */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const x = new DataView(a.buffer, a.byteOffset, a.length);
  const y = new DataView(b.buffer, b.byteOffset, b.length);
  const words = a.length & ~3;
  let i = 0;
  for (; i < words; i += 4) if (x.getUint32(i) !== y.getUint32(i)) return false;
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
