/**
 * Node-only additions to `@admitone/core`, imported from `@admitone/core/node`:
 * {@link nodeCrypto}, the Ed25519 provider on `node:crypto`. The package's main
 * entry stays platform-neutral.
 * @module
 */
export { nodeCrypto, type NodeCryptoInit } from './crypto/node.js';
