export * from './types.js';
export * from './request.js';
export * from './replay.js';
export * from './state.js';
export { createSortedSet, SORTED_SET_MAX_CHUNK, type SortedSet, type SortedSetKey } from './sorted-set.js';
