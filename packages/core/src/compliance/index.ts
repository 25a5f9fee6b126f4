/**
 * Compliance suites for AdmitOne's seams (`@admitone/core/compliance`).
 *
 * A suite is a function that registers tests with your runner's `describe`
 * and `it`; every adapter (including the in-memory ones) runs it from a few
 * lines. The suites carry their own assertions, so they work with vitest,
 * jest, mocha or `node:test`.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { storageCompliance } from '@admitone/core/compliance';
 * import { levelStorage } from '@admitone/storage-level';
 *
 * storageCompliance({ describe, it }, {
 *   setup: () => levelStorage({ location: tmpDir() }),
 * });
 * ```
 * @packageDocumentation
 */
export { ComplianceAssertionError, check, checkBytesEqual, checkRejects, type ComplianceTestApi } from './api.js';
export { storageCompliance, type StorageHarness } from './storage.js';
export { transportCompliance, type TransportHarness } from './transport.js';
