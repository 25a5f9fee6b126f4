/**
 * Boundary checks for the `Storage` methods, with the same messages as core's
 * `memoryStorage()`: invalid arguments throw `TypeError`/`RangeError` naming
 * the argument, and accepted bytes are copied so later mutation by the caller
 * cannot reach the store. Exported for adapter authors, so every
 * adapter rejects bad input with the same errors.
 * @module
 */
import { assertBytes, compareBytes, describe, prefixUpperBound } from '../bytes/index.js';
import type { BatchOp, IterateOptions } from './types.js';

/** A validated, copied write: `value` undefined means delete. */
export interface Write {
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

/** One end of a scan range. */
export interface Bound {
  readonly key: Uint8Array;
  readonly inclusive: boolean;
}

/** Validated iterate options, with prefix and bounds folded into two ends. */
export interface Range {
  readonly lower: Bound | undefined;
  readonly upper: Bound | undefined;
  readonly reverse: boolean;
  /** A non-negative safe integer, or `Infinity`. */
  readonly limit: number;
}

/** A fresh, plain `Uint8Array` with the same bytes (also for `Buffer` and views). */
export function copy(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

/** Checks a key (a non-empty `Uint8Array`) and returns a copy. */
export function readKey(key: unknown, name: string): Uint8Array {
  const bytes = assertBytes(key, name);
  if (bytes.length === 0) throw new RangeError(`${name} must not be empty`);
  return copy(bytes);
}

/** Checks a value (a `Uint8Array`, possibly empty, at most `maxValueBytes`) and returns a copy. */
export function readValue(value: unknown, name: string, maxValueBytes?: number): Uint8Array {
  const bytes = assertBytes(value, name);
  if (maxValueBytes !== undefined && bytes.length > maxValueBytes) {
    throw new RangeError(`${name} is ${bytes.length} bytes, more than maxValueBytes (${maxValueBytes})`);
  }
  return copy(bytes);
}

/** Validates and copies every op before any is applied. */
export function readOps(ops: readonly BatchOp[], maxValueBytes?: number): Write[] {
  if (!Array.isArray(ops)) throw new TypeError(`ops must be an array, got ${describe(ops)}`);
  const out: Write[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op: unknown = ops[i];
    const name = `ops[${i}]`;
    if (typeof op !== 'object' || op === null) throw new TypeError(`${name} must be an object, got ${describe(op)}`);
    const { type, key, value } = op as { type?: unknown; key?: unknown; value?: unknown };
    if (type === 'put') out.push({ key: readKey(key, `${name}.key`), value: readValue(value, `${name}.value`, maxValueBytes) });
    else if (type === 'del') out.push({ key: readKey(key, `${name}.key`), value: undefined });
    else throw new TypeError(`${name}.type must be 'put' or 'del', got ${describe(type)}`);
  }
  return out;
}

/** Validates iterate options and folds `prefix`, `gt`, `gte`, `lt`, `lte` into the tightest two bounds. */
export function readIterateOptions(options: IterateOptions | undefined): Range {
  if (options === undefined) return { lower: undefined, upper: undefined, reverse: false, limit: Infinity };
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const bound = (name: 'prefix' | 'gt' | 'gte' | 'lt' | 'lte'): Uint8Array | undefined => {
    const value: unknown = options[name];
    return value === undefined ? undefined : copy(assertBytes(value, `options.${name}`));
  };
  const prefix = bound('prefix');
  const gt = bound('gt');
  const gte = bound('gte');
  const lt = bound('lt');
  const lte = bound('lte');
  const reverse: unknown = options.reverse ?? false;
  if (typeof reverse !== 'boolean') throw new TypeError(`options.reverse must be a boolean, got ${describe(reverse)}`);
  const limit: unknown = options.limit ?? Infinity;
  if (typeof limit !== 'number') throw new TypeError(`options.limit must be a number, got ${describe(limit)}`);
  if (limit !== Infinity && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new RangeError(`options.limit must be a non-negative integer, got ${limit}`);
  }

  let lower: Bound | undefined;
  let upper: Bound | undefined;
  const raise = (b: Bound): void => {
    const c = lower === undefined ? 1 : compareBytes(b.key, lower.key);
    if (c > 0 || (c === 0 && !b.inclusive)) lower = b;
  };
  const drop = (b: Bound): void => {
    const c = upper === undefined ? -1 : compareBytes(b.key, upper.key);
    if (c < 0 || (c === 0 && !b.inclusive)) upper = b;
  };
  if (gte !== undefined) raise({ key: gte, inclusive: true });
  if (gt !== undefined) raise({ key: gt, inclusive: false });
  if (lte !== undefined) drop({ key: lte, inclusive: true });
  if (lt !== undefined) drop({ key: lt, inclusive: false });
  if (prefix !== undefined) {
    // Keys starting with `prefix` are exactly those in [prefix, prefixUpperBound(prefix)).
    raise({ key: prefix, inclusive: true });
    const end = prefixUpperBound(prefix);
    if (end !== undefined) drop({ key: end, inclusive: false });
  }
  return { lower, upper, reverse, limit };
}

/** True when no key can lie between the two bounds. */
export function isEmptyRange({ lower, upper, limit }: Range): boolean {
  if (limit === 0) return true;
  if (lower === undefined || upper === undefined) return false;
  const c = compareBytes(lower.key, upper.key);
  return c > 0 || (c === 0 && !(lower.inclusive && upper.inclusive));
}

/** A short description of a value's type, for error messages. */
export { describe };
