import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { storageCompliance } from '../src/compliance/storage.js';
import { compareBytes, startsWith } from '../src/bytes/index.js';
import { StorageError } from '../src/errors/index.js';
import {
  createMemoryStore,
  memoryStorage,
  type BatchOp,
  type IterateOptions,
  type MemoryStore,
  type Storage,
} from '../src/storage/index.js';

storageCompliance({ describe, it }, { name: 'memoryStorage()', setup: async () => memoryStorage() });

const storeOf = new WeakMap<Storage, MemoryStore>();
const openStore = (store: MemoryStore): Storage => {
  const storage = memoryStorage({ store });
  storeOf.set(storage, store);
  return storage;
};
storageCompliance(
  { describe, it },
  {
    name: 'memoryStorage({ store })',
    setup: async () => openStore(createMemoryStore()),
    async reopen(storage) {
      const store = storeOf.get(storage);
      if (store === undefined) throw new Error('reopen: unknown storage');
      await storage.close();
      return openStore(store);
    },
  },
);

storageCompliance({ describe, it }, { name: 'memoryStorage({ maxValueBytes })', setup: async () => memoryStorage({ maxValueBytes: 64 * 1024 }) });

const b = (...bytes: number[]) => Uint8Array.from(bytes);
const hex = (bytes: Uint8Array) => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');

async function collect(s: Storage, options?: IterateOptions): Promise<Array<readonly [Uint8Array, Uint8Array]>> {
  const out: Array<readonly [Uint8Array, Uint8Array]> = [];
  for await (const entry of s.iterate(options)) out.push(entry);
  return out;
}

describe('memoryStorage', () => {
  it('declares durability only when opened on a store, and its value limit', async () => {
    const bare = memoryStorage();
    const stored = memoryStorage({ store: createMemoryStore() });
    const limited = memoryStorage({ maxValueBytes: 10 });
    expect(bare.capabilities).toEqual({ durable: false });
    expect('maxValueBytes' in bare.capabilities).toBe(false);
    expect(stored.capabilities).toEqual({ durable: true });
    expect(limited.capabilities).toEqual({ durable: false, maxValueBytes: 10 });
    await Promise.all([bare.close(), stored.close(), limited.close()]);
  });

  it('rejects values over maxValueBytes with a RangeError and applies nothing', async () => {
    const s = memoryStorage({ maxValueBytes: 4 });
    try {
      await s.put(b(1), new Uint8Array(4));
      await expect(s.put(b(2), new Uint8Array(5))).rejects.toThrow(RangeError);
      await expect(s.put(b(2), new Uint8Array(5))).rejects.toThrow(/value.*maxValueBytes/);
      await expect(s.batch([{ type: 'del', key: b(1) }, { type: 'put', key: b(3), value: new Uint8Array(5) }])).rejects.toThrow(
        /ops\[1\]\.value/,
      );
      expect((await collect(s)).map(([k]) => hex(k))).toEqual(['01']);
      const zero = memoryStorage({ maxValueBytes: 0 });
      await zero.put(b(1), new Uint8Array(0));
      await expect(zero.put(b(1), b(0))).rejects.toThrow(RangeError);
      await zero.close();
    } finally {
      await s.close();
    }
  });

  it('checks its init', () => {
    expect(() => memoryStorage({ maxValueBytes: -1 })).toThrow(RangeError);
    expect(() => memoryStorage({ maxValueBytes: 1.5 })).toThrow(/init\.maxValueBytes/);
    expect(() => memoryStorage({ maxValueBytes: '1' as unknown as number })).toThrow(TypeError);
    expect(() => memoryStorage({ store: { size: 0 } })).toThrow(/init\.store/);
    expect(() => memoryStorage(null as unknown as {})).toThrow(TypeError);
  });

  it('shares a store between open storages and keeps it across close', async () => {
    const store = createMemoryStore();
    const a = memoryStorage({ store });
    const c = memoryStorage({ store });
    await a.put(b(1), b(1));
    expect(await c.get(b(1))).toEqual(b(1));
    await a.close();
    await c.batch([{ type: 'put', key: b(2), value: b(2) }]);
    expect(store.size).toBe(2);
    await c.del(b(1));
    expect(store.size).toBe(1);
    await c.close();
    const reopened = memoryStorage({ store });
    expect((await collect(reopened)).map(([k, v]) => [hex(k), hex(v)])).toEqual([['02', '02']]);
    await reopened.close();
    const other = memoryStorage();
    expect(await collect(other)).toEqual([]);
    await other.close();
  });

  it('validates iterate options when iterate() is called and rejects on the next step once closed', async () => {
    const s = memoryStorage();
    await s.put(b(1), b(1));
    await s.put(b(2), b(2));
    expect(() => s.iterate({ limit: -1 })).toThrow(RangeError);
    expect(() => s.iterate({ reverse: 'yes' as unknown as boolean })).toThrow(/options\.reverse/);
    expect(() => s.iterate(7 as unknown as IterateOptions)).toThrow(TypeError);
    const it = s.iterate({ limit: 1 })[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await s.close();
    const err: unknown = await it.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('STORAGE_CLOSED');
  });

  it('keeps 5,000 keys in order through inserts and deletes in scrambled order', async () => {
    const s = memoryStorage();
    try {
      const keys = Array.from({ length: 5000 }, (_, i) => b((i * 7919) % 5000 >> 8, ((i * 7919) % 5000) & 0xff, i % 3));
      for (const k of keys) await s.put(k, k);
      for (const k of keys.filter((_, i) => i % 2 === 0)) await s.del(k);
      const expected = keys.filter((_, i) => i % 2 === 1).sort(compareBytes).map(hex);
      expect((await collect(s)).map(([k]) => hex(k))).toEqual(expected);
      expect((await collect(s, { reverse: true, limit: 3 })).map(([k]) => hex(k))).toEqual(expected.slice(-3).reverse());
    } finally {
      await s.close();
    }
  });
});

// ---- property tests against a naive reference model -------------------------

const keyArb = fc.array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff), { minLength: 1, maxLength: 3 }).map((xs) => Uint8Array.from(xs));
const boundArb = fc.array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff), { maxLength: 3 }).map((xs) => Uint8Array.from(xs));
const opArb: fc.Arbitrary<BatchOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArb, value: fc.uint8Array({ maxLength: 6 }) }),
  fc.record({ type: fc.constant('del' as const), key: keyArb }),
);
const commandArb = fc.oneof(
  opArb.map((op) => ({ kind: 'op' as const, op })),
  fc.array(opArb, { maxLength: 6 }).map((ops) => ({ kind: 'batch' as const, ops })),
  // large batches are merged into the table in one pass, repeated keys included
  fc.array(opArb, { minLength: 17, maxLength: 80 }).map((ops) => ({ kind: 'batch' as const, ops })),
);
const optionsArb: fc.Arbitrary<IterateOptions> = fc.record(
  { prefix: boundArb, gt: boundArb, gte: boundArb, lt: boundArb, lte: boundArb, reverse: fc.boolean(), limit: fc.nat({ max: 8 }) },
  { requiredKeys: [] },
);

/** The reference: a Map from hex key to value, scanned by sorting and filtering. */
class Model {
  readonly data = new Map<string, readonly [Uint8Array, Uint8Array]>();
  apply(op: BatchOp): void {
    if (op.type === 'put') this.data.set(hex(op.key), [op.key.slice(), op.value.slice()]);
    else this.data.delete(hex(op.key));
  }
  /** All entries in range, ascending (no reverse/limit). */
  range(o: IterateOptions, after?: Uint8Array, before?: Uint8Array): Array<readonly [Uint8Array, Uint8Array]> {
    return [...this.data.values()]
      .filter(
        ([k]) =>
          (o.prefix === undefined || startsWith(k, o.prefix)) &&
          (o.gt === undefined || compareBytes(k, o.gt) > 0) &&
          (o.gte === undefined || compareBytes(k, o.gte) >= 0) &&
          (o.lt === undefined || compareBytes(k, o.lt) < 0) &&
          (o.lte === undefined || compareBytes(k, o.lte) <= 0) &&
          (after === undefined || compareBytes(k, after) > 0) &&
          (before === undefined || compareBytes(k, before) < 0),
      )
      .sort(([x], [y]) => compareBytes(x, y));
  }
  scan(o: IterateOptions): string[] {
    const all = this.range(o);
    if (o.reverse === true) all.reverse();
    return all.slice(0, o.limit ?? Infinity).map(([k, v]) => `${hex(k)}=${hex(v)}`);
  }
}

const show = ([k, v]: readonly [Uint8Array, Uint8Array]) => `${hex(k)}=${hex(v)}`;

describe('memoryStorage properties', () => {
  it('get and iterate agree with a sorted reference model after random put/del/batch sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { maxLength: 30 }), fc.array(optionsArb, { minLength: 1, maxLength: 4 }), async (commands, scans) => {
        const s = memoryStorage();
        const model = new Model();
        try {
          for (const c of commands) {
            if (c.kind === 'op') {
              await (c.op.type === 'put' ? s.put(c.op.key, c.op.value) : s.del(c.op.key));
              model.apply(c.op);
            } else {
              await s.batch(c.ops);
              for (const op of c.ops) model.apply(op);
            }
          }
          for (const [id, [k, v]] of model.data) expect(hex((await s.get(k)) ?? b()), id).toBe(hex(v));
          for (const o of scans) expect((await collect(s, o)).map(show)).toEqual(model.scan(o));
        } finally {
          await s.close();
        }
      }),
      { seed: 20240601, numRuns: 300 },
    );
  });

  it('a scan with writes between steps yields, at each step, the next key in the current data', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 20 }),
        optionsArb,
        fc.array(fc.record({ ops: fc.array(opArb, { maxLength: 3 }), delCurrent: fc.boolean() }), { maxLength: 12 }),
        async (initial, options, between) => {
          const s = memoryStorage();
          const model = new Model();
          try {
            await s.batch(initial);
            for (const op of initial) model.apply(op);
            const limit = options.limit ?? Infinity;
            let last: Uint8Array | undefined;
            let step = 0;
            for await (const entry of s.iterate(options)) {
              const candidates = options.reverse === true ? model.range(options, undefined, last).reverse() : model.range(options, last);
              expect(step).toBeLessThan(limit);
              expect(candidates.length).toBeGreaterThan(0);
              expect(show(entry)).toBe(show(candidates[0] as readonly [Uint8Array, Uint8Array]));
              last = entry[0];
              const writes = between[step++ % Math.max(1, between.length)];
              const ops: BatchOp[] = [...(writes?.ops ?? []), ...(writes?.delCurrent === true ? [{ type: 'del' as const, key: entry[0] }] : [])];
              await s.batch(ops);
              for (const op of ops) model.apply(op);
            }
            // The scan ended: nothing left in range beyond the cursor, or the limit was reached.
            const rest = options.reverse === true ? model.range(options, undefined, last) : model.range(options, last);
            expect(step === limit || rest.length === 0).toBe(true);
          } finally {
            await s.close();
          }
        },
      ),
      { seed: 20240602, numRuns: 300 },
    );
  });
});
