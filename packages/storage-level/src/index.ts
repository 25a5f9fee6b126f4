/**
 * `@admitone/storage-level`: the durable `Storage` for Node replicas, on
 * LevelDB through `classic-level`.
 *
 * {@link levelStorage} opens a database directory and returns a `Storage` that
 * passes `storageCompliance()` from `@admitone/core/compliance`. Writes are
 * `fsync`ed before they resolve (unless `sync: false`), batches are atomic
 * across crashes, and scans read from a consistent snapshot.
 *
 * @example
 * ```ts
 * import { utf8ToBytes } from '@admitone/core';
 * import { levelStorage } from '@admitone/storage-level';
 *
 * const storage = await levelStorage({ location: './data/replica-1' });
 * await storage.batch([
 *   { type: 'put', key: utf8ToBytes('log/0001'), value: new Uint8Array([1]) },
 *   { type: 'put', key: utf8ToBytes('log/0002'), value: new Uint8Array([2]) },
 * ]);
 * for await (const [key, value] of storage.iterate({ prefix: utf8ToBytes('log/') })) console.log(key, value);
 * await storage.close();
 * ```
 * @packageDocumentation
 */
export { levelStorage, type LevelStorageInit } from './level.js';
