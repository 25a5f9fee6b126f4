/**
 * `@admitone/consensus`: Byzantine-fault-tolerant replication with PBFT
 * (Castro & Liskov), behind the {@link ConsensusEngine} seam.
 *
 * - {@link createReplica}: a replica that replicates any `ReplicatedApp`
 *   (normal case with batching and pipelining, checkpoints, view change,
 *   state transfer, durable log through `Storage`);
 * - {@link createClient}: signs requests and accepts f+1 matching replies;
 * - {@link createLocalEngine}: a single-process engine for development;
 * - `@admitone/consensus/sim`: the deterministic simulator and its checkers.
 *
 * @example
 * ```ts
 * import { createReplica, createClient } from '@admitone/consensus';
 * import { createTicketLedger, memoryNetwork, memoryStorage, nobleCrypto, systemClock } from '@admitone/core';
 *
 * const replica = await createReplica({
 *   id: 'r0', secretKey, members, transport: net.transport('r0'),
 *   storage: memoryStorage(), app: createTicketLedger({ crypto, deployment: 'gig/prod' }), crypto, clock: systemClock(),
 * });
 * const client = createClient({ transport: net.transport('c0'), replicas: ['r0', 'r1', 'r2', 'r3'], secretKey: clientKey, deployment: 'gig/prod', crypto, clock });
 * const result = await client.submit(op);
 * ```
 * @packageDocumentation
 */
export { createReplica, type DropReason, type Replica, type ReplicaEvents, type ReplicaStatus } from './replica/replica.js';
export { createClient, type Client, type ClientOptions } from './client.js';
export { createLocalEngine, type ConsensusEngine, type LocalEngineOptions } from './engine.js';
export { ConsensusError, type ConsensusErrorCode } from './errors.js';
export { PBFT_TUNABLE_KEYS, maxFaulty, primaryOf, quorumSize, resolveConfig, type PbftTunables, type ReplicaMember, type ReplicaOptions, type ResolvedConfig } from './config.js';
export {
  MAX_WIRE_BYTES,
  batchDigest,
  decodeBatch,
  decodeSigned,
  decodeWire,
  encodeReplies,
  encodeRequestFrame,
  encodeRequestsFrame,
  encodeSigned,
  encodeSignedFrame,
  encodeWire,
  readFrame,
  signMessage,
  signedBytesOf,
  signingBytes,
  verifyMessage,
  type Checkpoint,
  type CommittedEntry,
  type EncodedRequest,
  type Frame,
  type NewView,
  type PrePrepare,
  type PreparedProof,
  type ReplicaId,
  type ReplicaMessage,
  type ReplyMessage,
  type RequestMessage,
  type Signed,
  type StateChunk,
  type StateChunkRequest,
  type StateRequest,
  type StateResponse,
  type ViewChange,
  type Vote,
  type WireMessage,
} from './messages.js';
