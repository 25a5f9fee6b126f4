/**
 * Typed readers for decoded values. Each throws {@link CodecError} with code
 * `CODEC_SCHEMA` naming the field, so a malformed message becomes a typed
 * error at the decoder boundary instead of an `undefined` deep inside.
 * @module
 */
import { CodecError } from '../errors/index.js';
import { isBytes } from '../bytes/index.js';
import type { CborValue } from './cbor.js';

/** A decoded plain object. */
export type CborRecord = { readonly [key: string]: CborValue };

function fail(field: string, expected: string, got: unknown): never {
  const kind = got === null ? 'null' : isBytes(got) ? 'bytes' : Array.isArray(got) ? 'array' : typeof got;
  throw new CodecError('CODEC_SCHEMA', `Field ${field} must be ${expected}, got ${kind}.`, { meta: { field } });
}

/** Reads a plain object, optionally allowing only the listed keys. */
export function readRecord(value: unknown, field: string, allowedKeys?: readonly string[]): CborRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isBytes(value)) fail(field, 'a map', value);
  if (allowedKeys !== undefined) {
    for (const k of Object.keys(value)) {
      if (!allowedKeys.includes(k)) throw new CodecError('CODEC_SCHEMA', `Field ${field} has unexpected key "${k}".`, { meta: { field, key: k } });
    }
  }
  return value as CborRecord;
}

/** Reads an array, optionally of bounded length. */
export function readArray(value: unknown, field: string, maxLength = Number.MAX_SAFE_INTEGER): readonly CborValue[] {
  if (!Array.isArray(value)) fail(field, 'an array', value);
  if (value.length > maxLength) throw new CodecError('CODEC_SCHEMA', `Field ${field} has ${value.length} items; at most ${maxLength} allowed.`, { meta: { field } });
  return value as readonly CborValue[];
}

/** Reads a string of bounded length (in UTF-16 code units). */
export function readString(value: unknown, field: string, maxLength = 1024): string {
  if (typeof value !== 'string') fail(field, 'a string', value);
  if (value.length > maxLength) throw new CodecError('CODEC_SCHEMA', `Field ${field} is longer than ${maxLength} characters.`, { meta: { field } });
  return value;
}

/** Reads a boolean. */
export function readBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') fail(field, 'a boolean', value);
  return value;
}

/** Reads bytes, optionally of an exact length. */
export function readBytes(value: unknown, field: string, length?: number): Uint8Array {
  if (!isBytes(value)) fail(field, 'bytes', value);
  if (length !== undefined && value.length !== length) {
    throw new CodecError('CODEC_SCHEMA', `Field ${field} must be ${length} bytes, got ${value.length}.`, { meta: { field } });
  }
  return value;
}

/** Reads a safe integer within `[min, max]`. */
export function readInt(value: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(field, 'an integer', value);
  if (value < min || value > max) throw new CodecError('CODEC_SCHEMA', `Field ${field} must be in [${min}, ${max}], got ${value}.`, { meta: { field } });
  return value;
}

/**
 * Reads an integer of any size as a `bigint` (decoded integers are `number`
 * when safe and `bigint` otherwise), within optional bounds.
 */
export function readBigInt(value: unknown, field: string, min?: bigint, max?: bigint): bigint {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else fail(field, 'an integer', value);
  if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
    throw new CodecError('CODEC_SCHEMA', `Field ${field} is out of range.`, { meta: { field } });
  }
  return v;
}

/** Reads one of a closed set of string literals. */
export function readEnum<const T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) fail(field, `one of ${allowed.join('|')}`, value);
  return value as T;
}

/** Reads an optional field: `undefined` when absent, else `read(value)`. */
export function readOptional<T>(record: CborRecord, key: string, read: (v: unknown, field: string) => T, prefix = ''): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? read(record[key], `${prefix}${key}`) : undefined;
}
