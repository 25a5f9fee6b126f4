export * from './types.js';
export * from './codec.js';
export * from './code.js';
export * from './ledger.js';
