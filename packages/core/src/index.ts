/**
 * `@admitone/core`: the foundation every other AdmitOne package builds on.
 *
 * - **errors**: {@link AdmitOneError} with a stable `code`, `shortMessage` and `cause`;
 * - **codec**: canonical CBOR ({@link encode}/{@link decode}), {@link hash}, typed ids;
 * - **crypto**: Ed25519 {@link CryptoProvider}s (WebCrypto re-checked with noble);
 * - **env**: injected {@link Clock}, {@link Random}, {@link Logger}, with deterministic versions;
 * - **transport** and **storage**: the seams, with in-memory implementations;
 * - **app**: the {@link ReplicatedApp} seam and signed client requests;
 * - **ticket**: the ticket lifecycle as a deterministic replicated app.
 *
 * Compliance suites for adapters live in `@admitone/core/compliance`.
 *
 * @example
 * ```ts
 * import { createTicketLedger, defaultCrypto, encodeTicketOp, eventId, signRequest, systemRandom } from '@admitone/core';
 *
 * const crypto = await defaultCrypto();
 * const ledger = createTicketLedger({ crypto, deployment: 'summer-gig/prod' });
 * const organizerKey = systemRandom().bytes(32);
 * const request = await signRequest(crypto, organizerKey, {
 *   deployment: 'summer-gig/prod',
 *   requestSeq: 1,
 *   op: encodeTicketOp({ type: 'createEvent', eventId: eventId('summer-gig') }),
 * });
 * const result = ledger.execute(await ledger.prepare(request), { seq: 1, timestamp: 0 });
 * ```
 * @packageDocumentation
 */

// errors
export {
  AdmitOneError,
  CodecError,
  CryptoError,
  InvariantError,
  MessageTooLargeError,
  StorageError,
  ThresholdError,
  TransportError,
  invariant,
  isAdmitOneError,
  type AdmitOneErrorOptions,
  type CodecErrorCode,
  type CryptoErrorCode,
  type StorageErrorCode,
  type ThresholdCulprit,
  type ThresholdErrorCode,
  type ThresholdErrorOptions,
  type TransportErrorCode,
} from './errors/index.js';

// bytes
export {
  assertBytes,
  bytesToHex,
  bytesToUtf8,
  compareBytes,
  concatBytes,
  equalBytes,
  hexToBytes,
  isBytes,
  prefixUpperBound,
  startsWith,
  utf8ToBytes,
} from './bytes/index.js';

// codec
export {
  DEFAULT_MAX_DECODE_BYTES,
  DEFAULT_MAX_DEPTH,
  DIGEST_BYTES,
  clientIdOf,
  decode,
  digestHex,
  encode,
  eventId,
  gateId,
  hash,
  isCborValue,
  isValidId,
  parseDigest,
  publicKeyOf,
  readArray,
  readBigInt,
  readBoolean,
  readBytes,
  readEnum,
  readInt,
  readOptional,
  readRecord,
  readString,
  taggedHash,
  ticketId,
  type Brand,
  type CborRecord,
  type CborValue,
  type ClientId,
  type DecodeOptions,
  type Digest,
  type EncodeOptions,
  type EventId,
  type GateId,
  type TicketId,
} from './codec/index.js';

// crypto
export { defaultCrypto, isValidPublicKey, isWebCryptoEd25519Supported, nobleCrypto, webCrypto, type CryptoProvider, type WebCryptoInit } from './crypto/index.js';

// env
export {
  consoleLogger,
  formatLogRecord,
  memoryLogger,
  seededRandom,
  silentLogger,
  systemClock,
  systemRandom,
  virtualClock,
  type Clock,
  type ConsoleLoggerInit,
  type LogFields,
  type LogLevel,
  type LogRecord,
  type Logger,
  type LoggerInit,
  type MemoryLogger,
  type Random,
  type SeededRandom,
  type TimerHandle,
  type VirtualClock,
  type VirtualClockInit,
} from './env/index.js';

// transport
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  memoryNetwork,
  multiplexTransport,
  type DeliveryScheduler,
  type Envelope,
  type HandlerErrorContext,
  type InboundMessage,
  type MemoryNetwork,
  type MemoryNetworkInit,
  type PeerId,
  type PeerStatusEvent,
  type Transport,
  type TransportCapabilities,
  type TransportMultiplexer,
  type Unsubscribe,
} from './transport/index.js';

// storage
export {
  createMemoryStore,
  memoryStorage,
  type BatchOp,
  type IterateOptions,
  type MemoryStorageInit,
  type MemoryStore,
  type Storage,
  type StorageCapabilities,
} from './storage/index.js';

// app
export {
  MAX_OP_BYTES,
  MAX_STATE_KEY_BYTES,
  REPLAY_WINDOW,
  createReplayGuard,
  createKeyedRows,
  createSortedSet,
  SORTED_SET_MAX_CHUNK,
  type SortedSet,
  type SortedSetKey,
  createStateDigest,
  sortByKey,
  stateDigest,
  STATE_BUCKETS,
  stateBucketOf,
  stateBucketHash,
  stateDigestFromBuckets,
  decodeRequest,
  encodeRequest,
  requestDigest,
  requestSigningBytes,
  signRequest,
  verifyRequest,
  checkDeploymentId,
  isDeploymentId,
  MAX_DEPLOYMENT_LENGTH,
  type ClientRequest,
  type DeploymentId,
  type ExecuteContext,
  type PreparedRequest,
  type ReplayGuard,
  type KeyedRows,
  type KeyedState,
  type ReplicatedApp,
  type SignedRequest,
  type StateChange,
  type StateDigest,
  type StateEntry,
} from './app/index.js';

// ticket
export {
  MAX_GATE_DEVICES,
  MAX_NOTE_LENGTH,
  REJECTION_REASONS,
  TERMINAL_STATES,
  TICKET_LEDGER_SNAPSHOT,
  TicketState,
  createRotatingCode,
  createTicketLedger,
  decodeTicketOp,
  decodeTicketQuery,
  decodeTicketQueryResult,
  decodeTicketResult,
  encodeTicketOp,
  encodeTicketQuery,
  encodeTicketQueryResult,
  encodeTicketResult,
  progressRank,
  readId,
  readRotatingCode,
  readScanFact,
  readScanRecord,
  rotatingCodeMessage,
  stepOf,
  type EventView,
  type LedgerStats,
  type PreparedTicketRequest,
  type RejectionReason,
  type RotatingCode,
  type RotatingCodeInit,
  type ScanFact,
  type ScanRecord,
  type TicketLedger,
  type TicketLedgerOptions,
  type TicketOp,
  type TicketOpType,
  type TicketQuery,
  type TicketQueryResult,
  type TicketResult,
  type TicketView,
} from './ticket/index.js';

// storage argument checks for adapter authors
export {
  copy as copyBytes,
  describe as describeValue,
  isEmptyRange,
  readIterateOptions,
  readKey as readStorageKey,
  readOps as readBatchOps,
  readValue as readStorageValue,
  type Bound as StorageBound,
  type Range as StorageRange,
  type Write as StorageWrite,
} from './storage/arguments.js';
