/**
 * `storageCompliance()`: the tests every {@link Storage} implementation must
 * pass, registered with any runner's `describe`/`it`.
 * @module
 */
import { compareBytes, startsWith } from '../bytes/index.js';
import { seededRandom } from '../env/random.js';
import type { BatchOp, IterateOptions, Storage } from '../storage/types.js';
import { check, checkBytesEqual, checkRejects, type ComplianceTestApi } from './api.js';

/** How {@link storageCompliance} opens and disposes of the storage under test. */
export interface StorageHarness {
  /** Appended to the `describe` block's title. */
  readonly name?: string;
  /** Opens a fresh, empty storage. Called once per test. */
  setup(): Promise<Storage>;
  /**
   * Releases whatever `setup` acquired (a temporary directory, a database
   * name). Runs after the suite has closed the storage, and receives the
   * storage last returned by `setup` or `reopen`.
   */
  teardown?(storage: Storage): Promise<void>;
  /**
   * Closes `storage` and opens the same data again, as after a restart.
   * Provide it only for adapters whose `capabilities.durable` is `true`: when
   * it is given, the persistence tests run and require durability.
   */
  reopen?(storage: Storage): Promise<Storage>;
}

/**
 * Registers the storage compliance tests: basic reads and writes, byte-exact
 * values, copy semantics, unsigned lexicographic order, range, prefix, reverse
 * and limited scans, atomic batches, concurrency, writes during iteration,
 * close semantics, argument checks and, when `harness.reopen` is given,
 * persistence across reopen.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { storageCompliance } from '@admitone/core/compliance';
 * storageCompliance({ describe, it }, { name: 'memoryStorage()', setup: async () => memoryStorage() });
 * ```
 */
export function storageCompliance(test: ComplianceTestApi, harness: StorageHarness): void {
  const { describe, it } = test;
  const t = (name: string, body: (s: Storage, session: Session) => Promise<void>) => it(name, withStorage(harness, body));

  describe(`storage compliance${harness.name === undefined ? '' : `: ${harness.name}`}`, () => {
    describe('get, put, del', () => {
      t('a fresh storage is empty and reports its capabilities', async (s) => {
        checkEntries(await collect(s), [], 'fresh storage scan');
        check(await s.get(b(1)) === undefined, 'get on a fresh storage returns undefined');
        const { durable, maxValueBytes } = s.capabilities;
        check(typeof durable === 'boolean', 'capabilities.durable is a boolean');
        check(maxValueBytes === undefined || (Number.isSafeInteger(maxValueBytes) && maxValueBytes > 0), 'capabilities.maxValueBytes is a positive integer or absent');
      });
      t('put then get returns the value; put overwrites', async (s) => {
        await s.put(b(1), b(10));
        await s.put(b(2), b(20));
        checkBytesEqual(await s.get(b(1)), b(10), 'get [01]');
        checkBytesEqual(await s.get(b(2)), b(20), 'get [02]');
        await s.put(b(1), b(11, 12));
        checkBytesEqual(await s.get(b(1)), b(11, 12), 'get [01] after overwrite');
        checkEntries(await collect(s), [[b(1), b(11, 12)], [b(2), b(20)]], 'scan after overwrite');
      });
      t('absent keys read as undefined, including neighbours, prefixes and extensions of present keys', async (s) => {
        await s.put(b(1, 0), b(1));
        await s.put(b(0x80), b(2));
        for (const k of [b(1), b(1, 0, 0), b(1, 1), b(0), b(0x7f), b(0x80, 0), b(0xff)]) {
          check(await s.get(k) === undefined, `get ${hex(k)} is undefined`);
        }
      });
      t('keys are compared by bytes, not by array identity or view', async (s) => {
        await s.put(b(5, 6, 7), b(42));
        const view = new Uint8Array([9, 5, 6, 7, 9]).subarray(1, 4);
        checkBytesEqual(await s.get(view), b(42), 'get through a subarray view');
        checkBytesEqual(await s.get(b(5, 6, 7)), b(42), 'get through a fresh array');
        await s.put(view, b(43));
        checkEntries(await collect(s), [[b(5, 6, 7), b(43)]], 'put through a view overwrites the same key');
      });
      t('del removes a key; deleting an absent key resolves', async (s) => {
        await s.put(b(1), b(1));
        await s.put(b(2), b(2));
        await s.del(b(1));
        check(await s.get(b(1)) === undefined, 'deleted key reads as undefined');
        checkBytesEqual(await s.get(b(2)), b(2), 'other key kept');
        await s.del(b(1));
        await s.del(b(3, 3));
        checkEntries(await collect(s), [[b(2), b(2)]], 'scan after del');
        await s.put(b(1), b(7));
        checkBytesEqual(await s.get(b(1)), b(7), 'a deleted key can be written again');
      });
    });

    describe('values', () => {
      t('stores the empty value, distinct from absence', async (s) => {
        await s.put(b(1), new Uint8Array(0));
        const v = await s.get(b(1));
        check(v instanceof Uint8Array && v.length === 0, 'get returns an empty Uint8Array, not undefined');
        checkEntries(await collect(s), [[b(1), new Uint8Array(0)]], 'the empty value is iterated');
      });
      t('stores all 256 byte values and values of 0x00 and 0xff byte-exact', async (s) => {
        const all = Uint8Array.from({ length: 256 }, (_, i) => i);
        const cases = [all, all.slice().reverse(), b(0), b(0xff), new Uint8Array(300), new Uint8Array(300).fill(0xff), b(0, 0xff, 0, 0xff, 0), b(0xef, 0xbf, 0xbd), b(0xc3, 0x28), b(0xd8, 0x00)];
        for (let i = 0; i < cases.length; i++) await s.put(b(0x10, i), cases[i] as Uint8Array);
        for (let i = 0; i < cases.length; i++) checkBytesEqual(await s.get(b(0x10, i)), cases[i], `value case ${i}`);
        checkEntries(await collect(s), cases.map((v, i) => [b(0x10, i), v]), 'scan of byte-exact values');
      });
      t('stores a 1 MiB value byte-exact (or the largest allowed value)', async (s) => {
        const max = s.capabilities.maxValueBytes;
        const size = max === undefined ? 1 << 20 : Math.min(1 << 20, max);
        const big = pseudoBytes(7, size);
        await s.put(b(1), big);
        checkBytesEqual(await s.get(b(1)), big, `${size}-byte value`);
        const [entry] = await collect(s);
        checkBytesEqual(entry?.[1], big, `${size}-byte value through iterate`);
      });
      t('stores only the bytes of a subarray view', async (s) => {
        const backing = Uint8Array.from([1, 2, 3, 4, 5, 6]);
        await s.put(b(1), backing.subarray(2, 4));
        checkBytesEqual(await s.get(b(1)), b(3, 4), 'value from a view');
      });
      t('rejects a value larger than capabilities.maxValueBytes with a RangeError and stores nothing', async (s) => {
        const max = s.capabilities.maxValueBytes;
        if (max === undefined) {
          await s.put(b(1), new Uint8Array(64 * 1024));
          check((await s.get(b(1)))?.length === 64 * 1024, 'no limit declared: a 64 KiB value is stored');
          return;
        }
        await checkRejects(() => s.put(b(1), new Uint8Array(max + 1)), 'RangeError', 'put over maxValueBytes');
        await checkRejects(() => s.batch([put(b(2), b(2)), put(b(3), new Uint8Array(max + 1))]), 'RangeError', 'batch over maxValueBytes');
        checkEntries(await collect(s), [], 'nothing stored after oversized writes');
      });
    });

    describe('copies', () => {
      t('mutating a value or key after put does not change stored data', async (s) => {
        const key = b(1, 2);
        const value = b(3, 4);
        await s.put(key, value);
        value[0] = 99;
        key[0] = 99;
        checkBytesEqual(await s.get(b(1, 2)), b(3, 4), 'stored value after mutating the inputs');
        check(await s.get(b(99, 2)) === undefined, 'the mutated key was not stored');
        checkEntries(await collect(s), [[b(1, 2), b(3, 4)]], 'scan after mutating the inputs');
      });
      t('returned values are fresh copies the caller may mutate', async (s) => {
        await s.put(b(1), b(5, 6));
        const first = await s.get(b(1));
        check(first !== undefined, 'value present');
        first.fill(0);
        const second = await s.get(b(1));
        checkBytesEqual(second, b(5, 6), 'stored value after mutating a returned one');
        check(first !== second, 'two gets return distinct arrays');
        for await (const [k, v] of s.iterate()) {
          k.fill(0xee);
          v.fill(0xee);
        }
        checkEntries(await collect(s), [[b(1), b(5, 6)]], 'scan after mutating yielded arrays');
      });
      t('mutating batch ops after batch resolves does not change stored data', async (s) => {
        const ops = [put(b(1), b(1, 1)), put(b(2), b(2, 2))];
        await s.batch(ops);
        for (const op of ops) {
          op.key[0] = 9;
          op.value.fill(0);
        }
        checkEntries(await collect(s), [[b(1), b(1, 1)], [b(2), b(2, 2)]], 'scan after mutating batch ops');
      });
    });

    describe('order', () => {
      t('keys iterate in unsigned lexicographic order, shorter prefix first', async (s) => {
        await fill(s, shuffled(ORDERED, 3));
        checkEntries(await collect(s), entriesOf(ORDERED), 'ascending scan');
        checkEntries(await collect(s, { reverse: true }), entriesOf(ORDERED).reverse(), 'descending scan');
        for (const k of ORDERED) checkBytesEqual(await s.get(k), valueFor(k), `get ${hex(k)}`);
      });
      t('every combination of lower bound, upper bound, reverse and limit matches the reference', async (s) => {
        await fill(s, shuffled(ORDERED, 5));
        const bounds = [b(0), b(1), b(1, 0, 0, 0), b(0x80), b(0xff, 0xff)];
        const lowers: IterateOptions[] = [{}, ...bounds.flatMap((k) => [{ gt: k }, { gte: k }])];
        const uppers: IterateOptions[] = [{}, ...bounds.flatMap((k) => [{ lt: k }, { lte: k }])];
        let n = 0;
        for (const lower of lowers) {
          for (const upper of uppers) {
            for (const reverse of [false, true]) {
              const limit = [undefined, 1, 4][n++ % 3];
              const options: IterateOptions = { ...lower, ...upper, reverse, ...(limit === undefined ? {} : { limit }) };
              checkEntries(await collect(s, options), reference(ORDERED, options), `scan ${show(options)}`);
            }
          }
        }
      });
      t('prefix scans yield exactly the keys with the prefix, including an all-0xff prefix', async (s) => {
        await fill(s, shuffled(ORDERED, 11));
        const cases: Array<[Uint8Array, Uint8Array[]]> = [
          [b(1), [b(1), b(1, 0), b(1, 0, 0), b(1, 1), b(1, 0xff)]],
          [b(1, 0), [b(1, 0), b(1, 0, 0)]],
          [b(0xff), [b(0xff), b(0xff, 0), b(0xff, 0xfe), b(0xff, 0xff), b(0xff, 0xff, 0xff)]],
          [b(0xff, 0xff), [b(0xff, 0xff), b(0xff, 0xff, 0xff)]],
          [b(0xff, 0xff, 0xff), [b(0xff, 0xff, 0xff)]],
          [b(0xff, 0xff, 0xff, 0xff), []],
          [b(0x7f), [b(0x7f), b(0x7f, 0xff)]],
          [b(3), []],
          [b(0, 0), [b(0, 0)]],
        ];
        for (const [prefix, keys] of cases) {
          checkEntries(await collect(s, { prefix }), entriesOf(keys), `prefix ${hex(prefix)}`);
          checkEntries(await collect(s, { prefix, reverse: true }), entriesOf(keys).reverse(), `reverse prefix ${hex(prefix)}`);
          checkEntries(await collect(s, { prefix, limit: 2 }), entriesOf(keys).slice(0, 2), `prefix ${hex(prefix)} limit 2`);
        }
      });
      t('prefix combines with the other bounds as an intersection', async (s) => {
        await fill(s, shuffled(ORDERED, 13));
        const cases: Array<[IterateOptions, Uint8Array[]]> = [
          [{ prefix: b(0xff), gt: b(0xff) }, [b(0xff, 0), b(0xff, 0xfe), b(0xff, 0xff), b(0xff, 0xff, 0xff)]],
          [{ prefix: b(0xff), lt: b(0xff, 0xff) }, [b(0xff), b(0xff, 0), b(0xff, 0xfe)]],
          [{ prefix: b(1), gte: b(0), lte: b(1, 1), reverse: true }, [b(1, 1), b(1, 0, 0), b(1, 0), b(1)]],
          [{ prefix: b(0xff), reverse: true, limit: 2 }, [b(0xff, 0xff, 0xff), b(0xff, 0xff)]],
          [{ prefix: b(1), gt: b(0x80) }, []],
          [{ prefix: b(1), lt: b(1) }, []],
          [{ prefix: b(1, 0), gte: b(0), lte: b(0xff) }, [b(1, 0), b(1, 0, 0)]],
          [{ gt: b(0x7f), gte: b(0x7f, 0xff), lt: b(0xff), lte: b(0xfe, 0xff, 0xff) }, [b(0x7f, 0xff), b(0x80), b(0x80, 0), b(0xfe), b(0xfe, 0xff, 0xff)]],
          [{ gt: b(0x7f, 0xff), gte: b(0x7f), lt: b(0xfe, 0xff, 0xff), lte: b(0xff) }, [b(0x80), b(0x80, 0), b(0xfe)]],
          [{ gt: b(0x7f), gte: b(0x7f), lt: b(0x80), lte: b(0x80) }, [b(0x7f, 0xff)]],
        ];
        for (const [options, keys] of cases) checkEntries(await collect(s, options), entriesOf(keys), `scan ${show(options)}`);
      });
      t('empty ranges, limit 0 and scans of an empty storage yield nothing', async (s) => {
        for (const reverse of [false, true]) checkEntries(await collect(s, { reverse }), [], 'empty storage');
        await fill(s, ORDERED);
        const empty: IterateOptions[] = [
          { gt: b(0x80), lt: b(0x80) },
          { gte: b(0x80), lt: b(0x80) },
          { gt: b(0x80), lte: b(0x80) },
          { gte: b(0x80), lte: b(0x7f) },
          { gt: b(0x80), lt: b(0x80, 0) },
          { gt: b(0xff, 0xff, 0xff) },
          { lt: b(0) },
          { limit: 0 },
          { prefix: b(1), limit: 0 },
        ];
        for (const options of empty) {
          for (const reverse of [false, true]) checkEntries(await collect(s, { ...options, reverse }), [], `scan ${show({ ...options, reverse })}`);
        }
        checkEntries(await collect(s, { gte: b(0x80), lte: b(0x80) }), entriesOf([b(0x80)]), 'single-key range');
      });
      t('an iteration can stop early and the storage stays usable', async (s) => {
        await fill(s, ORDERED);
        for await (const [k] of s.iterate()) {
          checkBytesEqual(k, ORDERED[0], 'first key');
          break;
        }
        const it2 = s.iterate({ reverse: true })[Symbol.asyncIterator]();
        const first = await it2.next();
        checkBytesEqual(first.done === true ? undefined : first.value[0], ORDERED[ORDERED.length - 1], 'first key of a reverse scan');
        await it2.return?.();
        await s.put(b(0x42), b(1));
        checkBytesEqual(await s.get(b(0x42)), b(1), 'put after abandoned iterations');
        checkEntries(await collect(s, { gte: b(0x42), lt: b(0x7f) }), [[b(0x42), b(1)]], 'a new scan after abandoned iterations');
      });
    });

    describe('batch', () => {
      t('all operations are visible after batch resolves', async (s) => {
        await fill(s, [b(1), b(2), b(3)]);
        await s.batch([put(b(4), b(4, 4)), del(b(2)), put(b(1), b(1, 1)), del(b(9)), put(b(0), new Uint8Array(0))]);
        checkEntries(await collect(s), [[b(0), new Uint8Array(0)], [b(1), b(1, 1)], [b(3), valueFor(b(3))], [b(4), b(4, 4)]], 'scan after batch');
        await s.batch([]);
        check((await collect(s)).length === 4, 'an empty batch changes nothing');
      });
      t('later operations on the same key win', async (s) => {
        await fill(s, [b(3)]);
        await s.batch([put(b(1), b(1)), put(b(1), b(2)), put(b(2), b(2)), del(b(2)), del(b(3)), put(b(3), b(33)), put(b(4), b(4)), del(b(4)), put(b(4), b(44)), del(b(4))]);
        checkEntries(await collect(s), [[b(1), b(2)], [b(3), b(33)]], 'scan after batch with repeated keys');
      });
      t('a batch with an invalid operation rejects and applies nothing', async (s) => {
        await fill(s, [b(1), b(2), b(3)]);
        const before = await collect(s);
        const valid: BatchOp[] = [put(b(1), b(0xaa)), del(b(2)), put(b(7), b(7))];
        const invalid: unknown[] = [
          { type: 'put', key: b(8), value: 'not bytes' },
          { type: 'put', key: b(8), value: [1, 2] },
          { type: 'put', key: b(8), value: null },
          { type: 'put', key: b(8) },
          { type: 'put', key: new Uint8Array(0), value: b(1) },
          { type: 'del', key: new Uint8Array(0) },
          { type: 'del', key: 'k' },
          { type: 'del' },
          { type: 'upsert', key: b(8), value: b(1) },
          null,
          'put',
        ];
        for (const bad of invalid) {
          for (const ops of [[...valid, bad], [bad, ...valid]]) {
            await rejectsWith(() => s.batch(ops as BatchOp[]), ARG_ERRORS, `batch with ${show(bad)}`);
            checkEntries(await collect(s), before, `nothing applied by a batch with ${show(bad)}`);
          }
        }
      });
    });

    describe('concurrency', () => {
      t('200 concurrent puts and 50 concurrent batches all land', async (s) => {
        const writes: Promise<void>[] = [];
        const expected: Array<[Uint8Array, Uint8Array]> = [];
        for (let i = 0; i < 200; i++) {
          const k = b(1, i >> 8, i & 0xff);
          expected.push([k, pseudoBytes(i, 1 + (i % 17))]);
          writes.push(s.put(k, pseudoBytes(i, 1 + (i % 17))));
        }
        for (let i = 0; i < 50; i++) {
          const ops = [0, 1, 2, 3].map((j) => put(b(2, i, j), pseudoBytes(1000 + i * 4 + j, 5)));
          for (const op of ops) expected.push([op.key, op.value.slice()]);
          writes.push(s.batch(ops));
        }
        await Promise.all(writes);
        checkEntries(await collect(s), expected, 'scan after concurrent writes');
      });
      t('concurrent readers see either the old or a new value of a key, never a mix', async (s) => {
        const key = b(9);
        const values = [new Uint8Array(4096).fill(1), new Uint8Array(4096).fill(2), new Uint8Array(4096).fill(3)];
        await s.put(key, values[0] as Uint8Array);
        const reads: Promise<Uint8Array | undefined>[] = [];
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 30; i++) {
          reads.push(s.get(key));
          if (i === 10) writes.push(s.put(key, values[1] as Uint8Array));
          if (i === 20) writes.push(s.batch([put(key, values[2] as Uint8Array)]));
        }
        const seen = await Promise.all(reads);
        await Promise.all(writes);
        for (const v of seen) check(v !== undefined && values.some((x) => sameBytes(x, v)), `a concurrent read returned a whole value (got ${v === undefined ? 'undefined' : hex(v.subarray(0, 4))})`);
        const last = await s.get(key);
        check(last !== undefined && (sameBytes(last, values[1] as Uint8Array) || sameBytes(last, values[2] as Uint8Array)), 'final value is one of the written values');
      });
      t('concurrent puts and dels of distinct keys all take effect', async (s) => {
        await fill(s, Array.from({ length: 100 }, (_, i) => b(3, i)));
        const ops: Promise<void>[] = [];
        for (let i = 0; i < 100; i++) ops.push(i % 2 === 0 ? s.del(b(3, i)) : s.put(b(3, i), b(i)));
        await Promise.all(ops);
        const expected = Array.from({ length: 50 }, (_, j): [Uint8Array, Uint8Array] => [b(3, 2 * j + 1), b(2 * j + 1)]);
        checkEntries(await collect(s), expected, 'scan after concurrent puts and dels');
      });
    });

    describe('writes during iteration', () => {
      for (const reverse of [false, true]) {
        t(`puts, overwrites and dels ahead of and behind the cursor keep a ${reverse ? 'descending' : 'ascending'} scan strict and complete`, async (s) => {
          await mutateDuringScan(s, reverse);
        });
      }
      for (const reverse of [false, true]) {
        t(`deleting each key right after it is yielded still yields every key once (${reverse ? 'descending' : 'ascending'})`, async (s) => {
          await fill(s, ORDERED);
          const yielded: Uint8Array[] = [];
          for await (const [k] of s.iterate({ reverse })) {
            yielded.push(k);
            check(yielded.length <= ORDERED.length, 'no more keys than were stored');
            await (yielded.length % 2 === 0 ? s.del(k) : s.batch([del(k)]));
          }
          checkKeys(yielded, reverse ? ORDERED.slice().reverse() : ORDERED, 'scan deleting the current key');
          checkEntries(await collect(s), [], 'every key was deleted');
        });
      }
      t('deleting the current key and everything ahead ends the scan without error', async (s) => {
        await fill(s, ORDERED);
        const yielded: Uint8Array[] = [];
        for await (const [k] of s.iterate()) {
          yielded.push(k);
          check(yielded.length <= ORDERED.length, 'no more keys than were stored');
          if (yielded.length === 3) await s.batch(ORDERED.slice(2).map((key) => del(key)));
        }
        checkStrict(yielded, false, 'scan with deletes');
        check(yielded.length >= 3, 'the keys before the deletion were yielded');
        checkEntries(await collect(s), entriesOf(ORDERED.slice(0, 2)), 'the deletes took effect');
      });
      t('interleaved scans in both directions each yield every key once', async (s) => {
        await fill(s, ORDERED);
        const up = s.iterate()[Symbol.asyncIterator]();
        const down = s.iterate({ reverse: true })[Symbol.asyncIterator]();
        const ups: Uint8Array[] = [];
        const downs: Uint8Array[] = [];
        for (let i = 0; i < ORDERED.length + 1; i++) {
          const [u, d] = await Promise.all([up.next(), down.next()]);
          if (u.done !== true) ups.push(u.value[0]);
          if (d.done !== true) downs.push(d.value[0]);
        }
        checkKeys(ups, ORDERED, 'ascending scan interleaved with a descending one');
        checkKeys(downs, ORDERED.slice().reverse(), 'descending scan interleaved with an ascending one');
      });
    });

    describe('close', () => {
      t('after close every method rejects with STORAGE_CLOSED, and close is idempotent', async (s) => {
        await s.put(b(1), b(1));
        await s.close();
        await checkRejects(() => s.get(b(1)), 'STORAGE_CLOSED', 'get after close');
        await checkRejects(() => s.put(b(2), b(2)), 'STORAGE_CLOSED', 'put after close');
        await checkRejects(() => s.del(b(1)), 'STORAGE_CLOSED', 'del after close');
        await checkRejects(() => s.batch([put(b(2), b(2))]), 'STORAGE_CLOSED', 'batch after close');
        await checkRejects(() => s.batch([]), 'STORAGE_CLOSED', 'empty batch after close');
        await checkRejects(() => collect(s), 'STORAGE_CLOSED', 'iterate after close');
        await checkRejects(() => collect(s, { prefix: b(1), reverse: true }), 'STORAGE_CLOSED', 'iterate with options after close');
        await s.close();
        await Promise.all([s.close(), s.close()]);
      });
      t('an iteration in progress rejects with STORAGE_CLOSED on its next step', async (s) => {
        await fill(s, ORDERED);
        const it = s.iterate()[Symbol.asyncIterator]();
        const first = await it.next();
        check(first.done !== true, 'the scan yielded a first entry');
        await s.close();
        await checkRejects(() => it.next(), 'STORAGE_CLOSED', 'next step after close');
      });
    });

    describe('arguments', () => {
      t('non-Uint8Array or empty keys and values throw TypeError or RangeError naming the argument', async (s) => {
        await s.put(b(1), b(1));
        const notBytes: unknown[] = ['k', 1, null, undefined, {}, [1], new ArrayBuffer(1), new Uint16Array(1)];
        for (const bad of [...notBytes, new Uint8Array(0)]) {
          const key = bad as Uint8Array;
          await rejectsWith(() => s.get(key), ARG_ERRORS, `get(${show(bad)})`, 'key');
          await rejectsWith(() => s.put(key, b(1)), ARG_ERRORS, `put(${show(bad)}, …)`, 'key');
          await rejectsWith(() => s.del(key), ARG_ERRORS, `del(${show(bad)})`, 'key');
        }
        for (const bad of notBytes) await rejectsWith(() => s.put(b(2), bad as Uint8Array), ['TypeError'], `put(…, ${show(bad)})`, 'value');
        for (const bad of ['ops', null, { type: 'put' }, 7]) await rejectsWith(() => s.batch(bad as unknown as BatchOp[]), ['TypeError'], `batch(${show(bad)})`, 'ops');
        checkEntries(await collect(s), [[b(1), b(1)]], 'storage unchanged and usable after bad arguments');
      });
      t('invalid iterate options throw TypeError or RangeError naming the option', async (s) => {
        await fill(s, ORDERED);
        const cases: Array<[unknown, string]> = [
          [{ gt: 'a' }, 'gt'],
          [{ gte: [1] }, 'gte'],
          [{ lt: 5 }, 'lt'],
          [{ lte: null }, 'lte'],
          [{ prefix: new ArrayBuffer(1) }, 'prefix'],
          [{ limit: -1 }, 'limit'],
          [{ limit: 1.5 }, 'limit'],
          [{ limit: Number.NaN }, 'limit'],
          [{ limit: '3' }, 'limit'],
        ];
        for (const [options, name] of cases) {
          await rejectsWith(() => collect(s, options as IterateOptions), ARG_ERRORS, `iterate(${show(options)})`, name);
        }
        check((await collect(s)).length === ORDERED.length, 'storage usable after bad options');
      });
    });

    if (harness.reopen !== undefined) {
      describe('durability (reopen)', () => {
        t('data written with put, batch and del is there after reopen, byte-exact and ordered', async (s0, session) => {
          check(s0.capabilities.durable, 'harness.reopen is given, so capabilities.durable must be true');
          const big = pseudoBytes(99, 256 * 1024);
          const all = Uint8Array.from({ length: 256 }, (_, i) => i);
          await fill(s0, ORDERED);
          await s0.put(b(0x10), big);
          await s0.put(b(0x11), new Uint8Array(0));
          await s0.put(b(0x12), all);
          await s0.batch([put(b(0x13), b(0, 0xff, 0)), del(b(0x80)), put(b(1), b(0xff)), del(b(0xff, 0xff))]);
          await s0.del(b(0x7f));
          await s0.put(b(0x11, 0), b(5));
          await s0.del(b(0x11, 0));
          const expected = await collect(s0);
          check(expected.length === ORDERED.length + 4 - 3, 'writes before reopen took effect');
          const s1 = await session.reopen();
          check(s1.capabilities.durable, 'the reopened storage is durable');
          checkEntries(await collect(s1), expected, 'ascending scan after reopen');
          checkEntries(await collect(s1, { reverse: true }), expected.slice().reverse(), 'descending scan after reopen');
          checkEntries(await collect(s1, { prefix: b(0xff) }), entriesOf([b(0xff), b(0xff, 0), b(0xff, 0xfe), b(0xff, 0xff, 0xff)]), 'prefix scan after reopen');
          checkBytesEqual(await s1.get(b(0x10)), big, 'large value after reopen');
          checkBytesEqual(await s1.get(b(0x12)), all, '256 byte values after reopen');
          checkBytesEqual(await s1.get(b(0x11)), new Uint8Array(0), 'empty value after reopen');
          checkBytesEqual(await s1.get(b(1)), b(0xff), 'batch overwrite after reopen');
          for (const gone of [b(0x80), b(0xff, 0xff), b(0x7f), b(0x11, 0)]) check(await s1.get(gone) === undefined, `deleted ${hex(gone)} stays deleted`);
        });
        t('writes after a reopen persist across another reopen; the old handle is closed', async (s0, session) => {
          check(s0.capabilities.durable, 'harness.reopen is given, so capabilities.durable must be true');
          await s0.put(b(1), b(1));
          const s1 = await session.reopen();
          await checkRejects(() => s0.get(b(1)), 'STORAGE_CLOSED', 'the handle passed to reopen is closed');
          await s1.batch([put(b(2), b(2)), del(b(1))]);
          await s1.put(b(0), b(0));
          const s2 = await session.reopen();
          checkEntries(await collect(s2), [[b(0), b(0)], [b(2), b(2)]], 'scan after a second reopen');
        });
      });
    }
  });
}

/** Access to the storage under test, for tests that reopen it. */
interface Session {
  /** Closes the current storage, opens the same data again and makes that current. */
  reopen(): Promise<Storage>;
}

type Entry = readonly [Uint8Array, Uint8Array];

/** Error names accepted for invalid arguments. */
const ARG_ERRORS = ['TypeError', 'RangeError'];

/** Keys in ascending unsigned lexicographic order, written by hand (not sorted by the code under test). */
const ORDERED: readonly Uint8Array[] = [
  b(0), b(0, 0), b(0, 0xff), b(1), b(1, 0), b(1, 0, 0), b(1, 1), b(1, 0xff), b(2), b(0x7f), b(0x7f, 0xff),
  b(0x80), b(0x80, 0), b(0xfe), b(0xfe, 0xff, 0xff), b(0xff), b(0xff, 0), b(0xff, 0xfe), b(0xff, 0xff), b(0xff, 0xff, 0xff),
];

/** Wraps a test body: opens a storage, runs the body, and always closes it and runs teardown. */
function withStorage(harness: StorageHarness, body: (s: Storage, session: Session) => Promise<void>): () => Promise<void> {
  return async () => {
    let current = await harness.setup();
    const session: Session = {
      async reopen() {
        check(harness.reopen !== undefined, 'harness.reopen is required');
        current = await harness.reopen(current);
        return current;
      },
    };
    try {
      await body(current, session);
    } finally {
      try {
        await current.close();
      } finally {
        await harness.teardown?.(current);
      }
    }
  };
}

/**
 * Scans 30 keys while writing around the cursor at every step: new keys just
 * ahead and just behind, deletes and overwrites of keys ahead, deletes of
 * keys behind, alternately with `put`/`del` and with `batch`. Keys with index
 * 0 or 1 (mod 5) are never touched and must each be yielded exactly once.
 */
async function mutateDuringScan(s: Storage, reverse: boolean): Promise<void> {
  const n = 30;
  const base = (i: number) => b(0x20 + i);
  const cls = (i: number) => (i >= 0 && i < n ? i % 5 : -1); // 0,1 untouched; 2 deleted ahead; 3 overwritten ahead; 4 deleted behind
  await fill(s, Array.from({ length: n }, (_, i) => base(i)));
  const dir = reverse ? -1 : 1;
  const inserted: Uint8Array[] = [];
  const model = new Map<string, Entry>(Array.from({ length: n }, (_, i) => [hex(base(i)), [base(i), valueFor(base(i))]]));
  const yielded: Entry[] = [];
  for await (const entry of s.iterate({ reverse })) {
    yielded.push(entry);
    check(yielded.length <= 3 * n, 'the scan terminates');
    const [k] = entry;
    if (k.length !== 1) continue; // an inserted key: no writes
    const i = (k[0] as number) - 0x20;
    const ops: BatchOp[] = [put(b(0x20 + i - 1, 0x40), b(i)), put(b(0x20 + i + 1, 0x80), b(i))];
    inserted.push(b(0x20 + i - 1, 0x40), b(0x20 + i + 1, 0x80));
    for (const d of [1, 2, 3]) {
      const j = i + d * dir;
      if (cls(j) === 2) ops.push(del(base(j)));
      if (cls(j) === 3) ops.push(put(base(j), b(0xee, j)));
    }
    if (cls(i - dir) === 4) ops.push(del(base(i - dir)));
    if (i % 2 === 0) await s.batch(ops);
    else for (const op of ops) await (op.type === 'put' ? s.put(op.key, op.value) : s.del(op.key));
    for (const op of ops) {
      if (op.type === 'put') model.set(hex(op.key), [op.key, op.value]);
      else model.delete(hex(op.key));
    }
  }
  checkStrict(yielded.map(([k]) => k), reverse, 'scan with writes');
  const known = new Set([...Array.from({ length: n }, (_, i) => hex(base(i))), ...inserted.map(hex)]);
  for (const [k] of yielded) check(known.has(hex(k)), `yielded key ${hex(k)} was written at some point`);
  for (let i = 0; i < n; i++) {
    if (cls(i) > 1) continue;
    const hits = yielded.filter(([k]) => sameBytes(k, base(i)));
    check(hits.length === 1, `untouched key ${hex(base(i))} yielded exactly once (got ${hits.length})`);
    checkBytesEqual(hits[0]?.[1], valueFor(base(i)), `value of untouched key ${hex(base(i))}`);
  }
  // The writes made during the scan all took effect.
  const final = [...model.values()].sort(([x], [y]) => compareBytes(x, y));
  check(final.length > n, 'the scan inserted keys');
  checkEntries(await collect(s), final, 'data after the scan');
}

function b(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

function put(key: Uint8Array, value: Uint8Array): { type: 'put'; key: Uint8Array; value: Uint8Array } {
  return { type: 'put', key, value };
}

function del(key: Uint8Array): BatchOp {
  return { type: 'del', key };
}

/** A value derived from the key, so scans can check values too. */
function valueFor(key: Uint8Array): Uint8Array {
  return Uint8Array.from([key.length, ...key, ...key].map((x) => x ^ 0x5a));
}

function entriesOf(keys: readonly Uint8Array[]): Entry[] {
  return keys.map((k) => [k, valueFor(k)]);
}

async function fill(s: Storage, keys: readonly Uint8Array[]): Promise<void> {
  for (const k of keys) await s.put(k, valueFor(k));
}

async function collect(s: Storage, options?: IterateOptions): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const entry of s.iterate(options)) out.push(entry);
  return out;
}

/** The expected scan of `valueFor`-filled `keys` (ascending), computed naively. */
function reference(keys: readonly Uint8Array[], o: IterateOptions): Entry[] {
  const hit = keys.filter(
    (k) =>
      (o.prefix === undefined || startsWith(k, o.prefix)) &&
      (o.gt === undefined || compareBytes(k, o.gt) > 0) &&
      (o.gte === undefined || compareBytes(k, o.gte) >= 0) &&
      (o.lt === undefined || compareBytes(k, o.lt) < 0) &&
      (o.lte === undefined || compareBytes(k, o.lte) <= 0),
  );
  if (o.reverse === true) hit.reverse();
  return entriesOf(o.limit === undefined ? hit : hit.slice(0, o.limit));
}

function checkEntries(actual: readonly Entry[], expected: readonly Entry[], message: string): void {
  const keys = (xs: readonly Entry[]) => xs.map(([k]) => hex(k)).join(' ');
  check(actual.length === expected.length, `${message}: expected ${expected.length} entries [${keys(expected)}], got ${actual.length} [${keys(actual)}]`);
  for (let i = 0; i < actual.length; i++) {
    const [ak, av] = actual[i] as Entry;
    const [ek, ev] = expected[i] as Entry;
    checkBytesEqual(ak, ek, `${message}: key #${i}`);
    checkBytesEqual(av, ev, `${message}: value of ${hex(ek)}`);
  }
}

function checkKeys(actual: readonly Uint8Array[], expected: readonly Uint8Array[], message: string): void {
  checkEntries(actual.map((k) => [k, k]), expected.map((k) => [k, k]), message);
}

function checkStrict(keys: readonly Uint8Array[], reverse: boolean, message: string): void {
  for (let i = 1; i < keys.length; i++) {
    const c = compareBytes(keys[i - 1] as Uint8Array, keys[i] as Uint8Array);
    check(reverse ? c > 0 : c < 0, `${message}: ${hex(keys[i - 1] as Uint8Array)} then ${hex(keys[i] as Uint8Array)} breaks the strict order`);
  }
}

/** Fails unless `fn` rejects (or throws) an error whose name is one of `names`, with `argument` in its message. */
async function rejectsWith(fn: () => unknown, names: readonly string[], message: string, argument?: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const name = (err as { name?: unknown }).name;
    check(typeof name === 'string' && names.includes(name), `${message}: expected ${names.join(' or ')}, got ${String(err)}`);
    if (argument !== undefined) check(String((err as Error).message).includes(argument), `${message}: the error names ${argument} (got "${String(err)}")`);
    return;
  }
  check(false, `${message}: expected ${names.join(' or ')}, but it resolved`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('') || '""';
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `<${hex(value)}>`;
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? JSON.stringify(value) : String(value);
  if (Array.isArray(value)) return `[${value.map(show).join(',')}]`;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.constructor.name;
  return `{${Object.entries(value).map(([k, v]) => `${k}:${show(v)}`).join(',')}}`;
}

/** A fixed permutation of `keys` (Fisher–Yates driven by core's seeded DRBG). */
function shuffled(keys: readonly Uint8Array[], seed: number): Uint8Array[] {
  const out = keys.slice();
  const rng = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j] as Uint8Array, out[i] as Uint8Array];
  }
  return out;
}

/** `length` deterministic pseudo-random bytes. */
function pseudoBytes(seed: number, length: number): Uint8Array {
  return seededRandom(seed).bytes(length);
}
