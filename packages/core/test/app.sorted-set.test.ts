/**
 * The ledger's ticket index (`createSortedIds`): inserts in any order, with
 * duplicates, across chunk splits, and pages after any id, against a sorted
 * array as the reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSortedSet } from '../src/app/sorted-set.js';
const createSortedIds = (ids: readonly string[] = []) => createSortedSet<string>(ids);

/** The reference: up to `limit` ids of ascending `all` greater than `after`. */
function reference(all: readonly string[], after: string | undefined, limit: number): string[] {
  return all.filter((id) => after === undefined || id > after).slice(0, limit);
}

describe('sorted ids (the ticket index)', () => {
  it('agrees with a sorted array for inserts in any order, across chunk splits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 0, maxLength: 5000, size: 'max' }),
        fc.array(fc.tuple(fc.option(fc.stringMatching(/^[a-z0-9]{0,6}$/), { nil: undefined }), fc.integer({ min: 1, max: 3000 })), { maxLength: 20 }),
        (ids, queries) => {
          const set = createSortedIds();
          for (const id of ids) set.insert(id);
          const all = [...new Set(ids)].sort();
          expect(set.size).toBe(all.length);
          expect(set.page(undefined, all.length + 1)).toEqual(all);
          for (const [after, limit] of queries) expect(set.page(after, limit)).toEqual(reference(all, after, limit));
          // built from sorted ids, then grown: the same answers
          const built = createSortedIds(all.slice(0, all.length >> 1));
          for (const id of all.slice(all.length >> 1).reverse()) built.insert(id);
          expect(built.page(undefined, all.length + 1)).toEqual(all);
        },
      ),
      { numRuns: 30, seed: 11 },
    );
  });

  it('agrees with a set for interleaved inserts and deletes, across chunk splits and emptied chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { maxLength: 6000, size: 'max' }),
        (ops) => {
          const set = createSortedIds();
          const model = new Set<string>();
          for (const [add, n] of ops) {
            const id = `t-${String(n).padStart(4, '0')}`;
            if (add) {
              set.insert(id);
              model.add(id);
            } else {
              set.delete(id);
              model.delete(id);
            }
          }
          const all = [...model].sort();
          expect(set.size).toBe(all.length);
          expect(set.page(undefined, all.length + 1)).toEqual(all);
          for (const after of [undefined, 't-', 't-1000', 't-2999', 'u']) expect(set.page(after, 50)).toEqual(reference(all, after, 50));
          // emptied, then used again
          for (const id of all) set.delete(id);
          expect(set.size).toBe(0);
          expect(set.page(undefined, 10)).toEqual([]);
          set.insert('t-0001');
          expect(set.page(undefined, 10)).toEqual(['t-0001']);
        },
      ),
      { numRuns: 30, seed: 12 },
    );
  });

  it('pages through ids issued in order (appends) without skipping or repeating', () => {
    const set = createSortedIds();
    const all = Array.from({ length: 10_000 }, (_, i) => `t-${String(i).padStart(5, '0')}`);
    for (const id of all) set.insert(id);
    const got: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = set.page(after, 777);
      got.push(...page);
      if (page.length < 777) break;
      after = page[page.length - 1];
    }
    expect(got).toEqual(all);
    expect(set.page('t-09999', 5)).toEqual([]);
    expect(set.page('t', 2)).toEqual(['t-00000', 't-00001']);
  });
});
