/**
 * The codec as it was built on cborg (encode, then decode by cborg plus a
 * re-encode check), kept as the reference the hand-written codec in
 * `src/codec/cbor.ts` is tested against, value for value and verdict for
 * verdict.
 */
import { decodeFirst, encode as cborgEncode, rfc8949EncodeOptions } from 'cborg';
import { isCborValue, type CborValue } from '../../src/codec/cbor.js';
import { bigIntDecoder, bigIntEncoder, bigNegIntDecoder } from 'cborg/taglib';
import { CodecError } from '../../src/errors/index.js';
import { compareBytes } from '../../src/bytes/index.js';

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

/** The reference encoding of `value` (cborg, default limits). */
export function referenceEncode(value: CborValue): Uint8Array {
  validate(value, DEFAULT_MAX_DEPTH, 'CODEC_UNSUPPORTED_TYPE');
  return cborgEncode(value, ENCODE_OPTIONS);
}

/** The reference decoding of `bytes` (cborg, then the data-model check and a re-encode; default limits). */
export function referenceDecode(bytes: Uint8Array): CborValue {
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
  validate(value, DEFAULT_MAX_DEPTH, 'CODEC_MALFORMED');
  const again = cborgEncode(value, ENCODE_OPTIONS);
  if (!sameBytes(again, bytes)) {
    throw new CodecError('CODEC_NON_CANONICAL', 'Input is not canonically encoded.', {
      details: 'Re-encoding the decoded value gives different bytes (map order, integer or bignum width, or invalid UTF-8).',
    });
  }
  return value as CborValue;
}

// ---------------------------------------------------------------------------

/** The data-model check (now the codec's own), raising `code` where the reference did. */
function validate(value: unknown, maxDepth: number, code: 'CODEC_UNSUPPORTED_TYPE' | 'CODEC_MALFORMED'): void {
  if (maxDepth !== DEFAULT_MAX_DEPTH) throw new RangeError('the reference supports the default depth only');
  if (!isCborValue(value)) throw new CodecError(code, 'Value is outside the data model.');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}
