/**
 * The `Storage` seam and its in-memory implementation.
 * @module
 */
export type { BatchOp, IterateOptions, Storage, StorageCapabilities } from './types.js';
export { createMemoryStore, memoryStorage, type MemoryStorageInit, type MemoryStore } from './memory.js';
