/**
 * An ordered set with pages, for the indexes behind paged queries of
 * replicated apps (the ticket ledger's ids by event and holder, the event
 * contract's serials by holder).
 * @module
 */

/** What a {@link SortedSet} holds: strings (JavaScript string order) or numbers (numeric order), never mixed. */
export type SortedSetKey = string | number;

/**
 * Keys in ascending order, with pages that start after a given key. Kept as
 * sorted chunks of at most {@link SORTED_SET_MAX_CHUNK} keys, so an insert or
 * a delete costs two binary searches and a splice of at most one chunk (a
 * key above all others, the common case of ids or serials issued in order,
 * is a push), and a page costs two binary searches plus its length, however
 * large the set. Numbers must not be `NaN`.
 */
export interface SortedSet<K extends SortedSetKey> {
  /** Number of keys. */
  readonly size: number;
  /** Adds `key`; `false` when it was already there. */
  insert(key: K): boolean;
  /** Removes `key`; `false` when it was not there. */
  delete(key: K): boolean;
  /** Up to `limit` keys greater than `after` (from the first key when `after` is undefined), ascending. */
  page(after: K | undefined, limit: number): K[];
}

/** Largest chunk of a {@link SortedSet}; a fuller chunk is split in two. */
export const SORTED_SET_MAX_CHUNK = 1024;

/**
 * Creates a {@link SortedSet}, optionally from keys already in strictly
 * ascending order (not checked).
 *
 * @example
 * ```ts
 * const serials = createSortedSet<number>();
 * serials.insert(7);
 * serials.insert(3);
 * serials.page(3, 10); // [7]
 * ```
 */
export function createSortedSet<K extends SortedSetKey>(ascending: readonly K[] = []): SortedSet<K> {
  const chunks: K[][] = [];
  for (let i = 0; i < ascending.length; i += SORTED_SET_MAX_CHUNK / 2) chunks.push(ascending.slice(i, i + SORTED_SET_MAX_CHUNK / 2));
  let size = ascending.length;
  /** The first chunk whose last key is ≥ `key` (> `key` when `strict`), or `chunks.length`. */
  const chunkOf = (key: K, strict: boolean): number => {
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid] as K[];
      const last = c[c.length - 1] as K;
      if (last < key || (strict && last === key)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    get size() {
      return size;
    },
    insert(key) {
      const tail = chunks[chunks.length - 1];
      if (tail === undefined || (tail[tail.length - 1] as K) < key) {
        // above every key: a push
        if (tail === undefined || tail.length >= SORTED_SET_MAX_CHUNK) chunks.push([key]);
        else tail.push(key);
        size++;
        return true;
      }
      const ci = chunkOf(key, false);
      const c = chunks[ci] as K[];
      const i = bound(c, key, false);
      if (c[i] === key) return false;
      c.splice(i, 0, key);
      size++;
      if (c.length > SORTED_SET_MAX_CHUNK) chunks.splice(ci + 1, 0, c.splice(c.length >>> 1));
      return true;
    },
    delete(key) {
      const ci = chunkOf(key, false);
      const c = chunks[ci];
      if (c === undefined) return false;
      const i = bound(c, key, false);
      if (c[i] !== key) return false;
      c.splice(i, 1);
      size--;
      if (c.length === 0) chunks.splice(ci, 1);
      return true;
    },
    page(after, limit) {
      const out: K[] = [];
      if (limit <= 0) return out;
      let ci = after === undefined ? 0 : chunkOf(after, true);
      let i = after === undefined || ci === chunks.length ? 0 : bound(chunks[ci] as K[], after, true);
      for (; ci < chunks.length; ci++, i = 0) {
        const c = chunks[ci] as K[];
        for (; i < c.length; i++) {
          out.push(c[i] as K);
          if (out.length === limit) return out;
        }
      }
      return out;
    },
  };
}

/**
 * The first index of ascending `keys` whose key is ≥ `key` (> `key` when `strict`).
 * @internal
 */
export function bound<K extends SortedSetKey>(keys: readonly K[], key: K, strict: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = keys[mid] as K;
    if (v < key || (strict && v === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
