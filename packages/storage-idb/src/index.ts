/**
 * `@admitone/storage-idb`: the `Storage` for browsers (gate devices,
 * offline queues), on IndexedDB in `idb-keyval`'s layout.
 *
 * {@link idbStorage} opens an object store and returns a `Storage` that passes
 * `storageCompliance()` from `@admitone/core/compliance` in real Chromium.
 * Batches are single IndexedDB transactions (atomic), writes ask for strict
 * durability, and an optional key prefix lets several logical stores share
 * one object store.
 *
 * @example
 * ```ts
 * import { utf8ToBytes } from '@admitone/core';
 * import { idbStorage } from '@admitone/storage-idb';
 *
 * const queue = await idbStorage({ dbName: 'gate-7', prefix: utf8ToBytes('scans/') });
 * await queue.batch([
 *   { type: 'put', key: utf8ToBytes('000001'), value: new Uint8Array([1]) },
 *   { type: 'put', key: utf8ToBytes('000002'), value: new Uint8Array([2]) },
 * ]);
 * for await (const [key, value] of queue.iterate()) console.log(key, value);
 * await queue.close();
 * ```
 * @packageDocumentation
 */
export { idbStorage, type IdbStorageInit } from './idb.js';
