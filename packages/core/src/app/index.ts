export * from './types.js';
export * from './request.js';
export * from './replay.js';
export * from './state.js';
