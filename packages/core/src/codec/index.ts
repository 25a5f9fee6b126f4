export * from './cbor.js';
export * from './schema.js';
export * from './hash.js';
