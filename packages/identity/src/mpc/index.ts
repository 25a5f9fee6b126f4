/**
 * The MPC engine for the threshold MiMC PRF: preprocessing of random power
 * tuples and robust online evaluation of `MiMC_k(x + d)` on Shamir shares.
 * @module
 */
export { DEFAULT_MPC_TIMEOUT_MS, createMpcEngine, type MpcEngine, type MpcEngineOptions, type MpcEngineStats, type MpcSigning } from './engine.js';
export { MpcError, type MpcErrorCode } from './errors.js';
export type { DropCounts, DropReason } from './inbox.js';
export { EVALUATION_ROUNDS, type MimcEvaluation, type MimcInput } from './online.js';
export { POWERS, type PoolStats } from './pool.js';
export { PREPROCESS_ROUNDS } from './preprocess.js';
export {
  CONTEXT_DIGEST_BYTES,
  ELEMENT_BYTES,
  MAX_SESSION_ID_BYTES,
  MPC_WIRE_VERSION,
  SIGNATURE_BYTES,
  decodeMpcMessage,
  encodeMpcMessage,
  packElements,
  unpackElements,
  type MpcMessage,
  type MpcPhase,
} from './wire.js';
