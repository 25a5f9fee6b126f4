/**
 * Hand-written canonical CBOR for the few shapes that consensus moves in bulk:
 * `[[key, value or null], …]` of byte strings (checkpoint deltas, stored bases,
 * state transfer) and the batch of a pre-prepare. Byte for byte what the
 * general codec (`encode`) produces, and only that is accepted back; written
 * and read in one pass, with views instead of copies where the bytes stay
 * alive anyway.
 * @module
 */
import { CodecError, type StateChange } from '@admitone/core';

/**
 * Decodes {@link encodePairs} output, `[[key, value or null], …]` (`null`
 * only with `allowNull`), accepting only its canonical form (shortest heads,
 * definite lengths, no trailing bytes); throws `CodecError` otherwise. Keys
 * and values are views into `bytes`, not copies: state entries are read in
 * bulk (a whole stored base) and mostly re-encoded or parsed at once.
 */
export function decodePairs(bytes: Uint8Array, field: string, allowNull: boolean): StateChange[] {
  const r = { at: 0 };
  const count = readHead(bytes, r, ARRAY, field);
  if (count > bytes.length) throw new CodecError('CODEC_MALFORMED', `Field ${field} is truncated.`);
  const out: StateChange[] = new Array<StateChange>(count);
  for (let i = 0; i < count; i++) {
    if (r.at >= bytes.length) throw new CodecError('CODEC_MALFORMED', `Field ${field} is truncated.`);
    if (bytes[r.at] !== (ARRAY | 2)) throw new CodecError('CODEC_SCHEMA', `Field ${field}[${i}] must be a [key, value] pair.`);
    r.at++;
    const key = readByteString(bytes, r, `${field}[${i}].key`);
    let value: Uint8Array | undefined;
    if (allowNull && bytes[r.at] === NULL) r.at++;
    else value = readByteString(bytes, r, `${field}[${i}].value`);
    out[i] = { key, value };
  }
  if (r.at !== bytes.length) throw new CodecError('CODEC_TRAILING_BYTES', `Field ${field} has trailing bytes.`);
  return out;
}

/**
 * The canonical CBOR of `[[key, value or null], …]`, byte for byte what
 * `encode` makes of it, written in one pass: checkpoints encode every changed
 * entry, and this spares the general encoder's walk.
 */
export function encodePairs(pairs: Iterable<{ readonly key: Uint8Array; readonly value: Uint8Array | undefined }>): Uint8Array {
  const list = Array.isArray(pairs) ? (pairs as readonly { readonly key: Uint8Array; readonly value: Uint8Array | undefined }[]) : [...pairs];
  return writePairs(
    list.length,
    list.map((e) => [e.key, e.value] as const),
    (key) => key.length,
    (out, at, key) => out.set(key, at),
  );
}

/**
 * {@link encodePairs} of changes given as a map from keys written one char
 * per byte (`keyString`) to values (`undefined` for a deletion), in the map's
 * order.
 */
export function encodeChanges(changes: ReadonlyMap<string, Uint8Array | undefined>): Uint8Array {
  return writePairs(
    changes.size,
    changes,
    (key) => key.length,
    (out, at, key) => {
      for (let i = 0; i < key.length; i++) out[at + i] = key.charCodeAt(i);
    },
  );
}

/** Writes `count` pairs `[key, value or null]` as a canonical CBOR array, keys through `keyLength` and `writeKey`. */
function writePairs<K>(
  count: number,
  pairs: Iterable<readonly [K, Uint8Array | undefined]>,
  keyLength: (key: K) => number,
  writeKey: (out: Uint8Array, at: number, key: K) => void,
): Uint8Array {
  let size = headLength(count);
  for (const [key, value] of pairs) {
    const n = keyLength(key);
    size += 1 + headLength(n) + n + (value === undefined ? 1 : headLength(value.length) + value.length);
  }
  const out = new Uint8Array(size);
  let at = writeHead(out, 0, ARRAY, count);
  for (const [key, value] of pairs) {
    out[at++] = ARRAY | 2;
    const n = keyLength(key);
    at = writeHead(out, at, BYTES, n);
    writeKey(out, at, key);
    at += n;
    if (value === undefined) out[at++] = NULL;
    else {
      at = writeHead(out, at, BYTES, value.length);
      out.set(value, at);
      at += value.length;
    }
  }
  return out;
}

/**
 * The byte strings of a CBOR array of byte strings starting at `bytes[at]`,
 * as views into `bytes`, and the offset after it; `undefined` when the bytes
 * there are not such an array in canonical form.
 */
export function byteStringsAt(bytes: Uint8Array, at: number): { items: Uint8Array[]; end: number } | undefined {
  try {
    const r = { at };
    const count = readHead(bytes, r, ARRAY, 'array');
    if (count > bytes.length) return undefined;
    const items: Uint8Array[] = new Array<Uint8Array>(count);
    for (let i = 0; i < count; i++) items[i] = readByteString(bytes, r, 'item');
    return { items, end: r.at };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------

/** CBOR major types (in the high bits of the initial byte) and the null simple value. */
const BYTES = 0x40;
const ARRAY = 0x80;
const NULL = 0xf6;

/** Reads a CBOR head of `major` at `r.at` (shortest form only, argument < 2³²) and returns its argument. */
function readHead(bytes: Uint8Array, r: { at: number }, major: number, field: string): number {
  const first = bytes[r.at];
  if (first === undefined) throw new CodecError('CODEC_MALFORMED', `Field ${field} is truncated.`);
  if ((first & 0xe0) !== major) throw new CodecError('CODEC_SCHEMA', `Field ${field} has the wrong type.`);
  const info = first & 0x1f;
  let n: number;
  let size: number;
  if (info < 24) [n, size] = [info, 1];
  else if (info === 24) [n, size] = [bytes[r.at + 1] ?? -1, 2];
  else if (info === 25) [n, size] = [((bytes[r.at + 1] ?? 0) << 8) | (bytes[r.at + 2] ?? 0), 3];
  else if (info === 26) [n, size] = [r.at + 5 <= bytes.length ? new DataView(bytes.buffer, bytes.byteOffset + r.at + 1, 4).getUint32(0) : -1, 5];
  else throw new CodecError('CODEC_MALFORMED', `Field ${field} has an unsupported or indefinite length.`);
  if (r.at + size > bytes.length || n < 0) throw new CodecError('CODEC_MALFORMED', `Field ${field} is truncated.`);
  if (headLength(n) !== size) throw new CodecError('CODEC_NON_CANONICAL', `Field ${field} has a non-minimal length.`);
  r.at += size;
  return n;
}

/** Reads a byte string at `r.at` as a view into `bytes`. */
function readByteString(bytes: Uint8Array, r: { at: number }, field: string): Uint8Array {
  const n = readHead(bytes, r, BYTES, field);
  if (r.at + n > bytes.length) throw new CodecError('CODEC_MALFORMED', `Field ${field} is truncated.`);
  const out = bytes.subarray(r.at, r.at + n);
  r.at += n;
  return out;
}

/** Length of the shortest CBOR head for `n` (< 2³²). */
function headLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x1_0000 ? 3 : 5;
}

/** Writes the shortest CBOR head of `major` with argument `n` (< 2³²) at `at`; returns the offset after it. */
function writeHead(out: Uint8Array, at: number, major: number, n: number): number {
  if (n < 24) {
    out[at] = major | n;
    return at + 1;
  }
  if (n < 0x100) {
    out[at] = major | 24;
    out[at + 1] = n;
    return at + 2;
  }
  if (n < 0x1_0000) {
    out[at] = major | 25;
    out[at + 1] = n >>> 8;
    out[at + 2] = n & 0xff;
    return at + 3;
  }
  if (n > 0xffff_ffff) throw new RangeError(`CBOR length ${n} is too large`);
  out[at] = major | 26;
  new DataView(out.buffer, out.byteOffset + at + 1, 4).setUint32(0, n);
  return at + 5;
}
