/**
 * A sorted set of ids for paged queries: the ledger's ticket index.
 * @module
 * @internal
 */
import { lowerBound } from '../app/state.js';

/**
 * Ids in ascending order (JavaScript string order), with pages
 * that start after a given id. Kept as sorted chunks of at most
 * {@link MAX_CHUNK} ids: an insert costs two binary searches and a splice of
 * at most a chunk (an id above all others, the common case of ids issued in
 * order, is a push), a page costs two binary searches plus its length.
 * @internal
 */
export interface SortedIds {
  /** Number of ids. */
  readonly size: number;
  /** Adds `id` (no effect when present). */
  insert(id: string): void;
  /** Removes `id` (no effect when absent). */
  delete(id: string): void;
  /** Up to `limit` ids greater than `after` (all ids when `after` is undefined), ascending. */
  page(after: string | undefined, limit: number): string[];
}

/** Largest chunk; a fuller chunk is split in two. */
const MAX_CHUNK = 1024;

/**
 * Creates a {@link SortedIds}, optionally from ids already in strictly
 * ascending order (not checked).
 * @internal
 */
export function createSortedIds(ascending: readonly string[] = []): SortedIds {
  const chunks: string[][] = [];
  for (let i = 0; i < ascending.length; i += MAX_CHUNK / 2) chunks.push(ascending.slice(i, i + MAX_CHUNK / 2));
  let size = ascending.length;
  /** The first chunk whose last id is ≥ `id` (or > `id` when `strict`), or `chunks.length`. */
  const chunkOf = (id: string, strict: boolean): number => {
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid] as string[];
      const last = c[c.length - 1] as string;
      if (last < id || (strict && last === id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    get size() {
      return size;
    },
    insert(id) {
      const last = chunks[chunks.length - 1];
      if (last === undefined) {
        chunks.push([id]);
        size++;
        return;
      }
      let ci = chunkOf(id, false);
      if (ci === chunks.length) ci--; // above every id: the end of the last chunk
      const c = chunks[ci] as string[];
      const i = lowerBound(c, id);
      if (c[i] === id) return;
      if (i === c.length) c.push(id);
      else c.splice(i, 0, id);
      size++;
      if (c.length > MAX_CHUNK) chunks.splice(ci + 1, 0, c.splice(c.length >>> 1));
    },
    delete(id) {
      const ci = chunkOf(id, false);
      const c = chunks[ci];
      if (c === undefined) return;
      const i = lowerBound(c, id);
      if (c[i] !== id) return;
      c.splice(i, 1);
      size--;
      if (c.length === 0) chunks.splice(ci, 1);
    },
    page(after, limit) {
      const out: string[] = [];
      let ci = after === undefined ? 0 : chunkOf(after, true);
      if (ci === chunks.length || limit <= 0) return out;
      let i = after === undefined ? 0 : upperBound(chunks[ci] as string[], after);
      for (; ci < chunks.length; ci++, i = 0) {
        const c = chunks[ci] as string[];
        for (; i < c.length; i++) {
          out.push(c[i] as string);
          if (out.length === limit) return out;
        }
      }
      return out;
    },
  };
}


/** The index of the first element > `id`. */
function upperBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
