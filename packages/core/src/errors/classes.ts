/**
 * Concrete error families. Each family has a closed union of stable codes.
 * @module
 */
import { AdmitOneError, type AdmitOneErrorOptions } from './base.js';

/** Codes raised by the canonical codec. */
export type CodecErrorCode =
  | 'CODEC_MALFORMED'
  | 'CODEC_NON_CANONICAL'
  | 'CODEC_TRAILING_BYTES'
  | 'CODEC_TOO_LARGE'
  | 'CODEC_UNSUPPORTED_TYPE'
  | 'CODEC_SCHEMA';

/** Thrown when bytes cannot be decoded, are not canonical, or a value cannot be encoded. */
export class CodecError extends AdmitOneError {
  declare readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, shortMessage: string, options?: AdmitOneErrorOptions) {
    super(code, shortMessage, options);
    this.name = 'CodecError';
  }
}

/** Codes raised by transports. */
export type TransportErrorCode =
  | 'TRANSPORT_CLOSED'
  | 'TRANSPORT_UNKNOWN_PEER'
  | 'TRANSPORT_MESSAGE_TOO_LARGE'
  | 'TRANSPORT_QUEUE_FULL'
  | 'TRANSPORT_HANDSHAKE_FAILED'
  | 'TRANSPORT_DUPLICATE_PEER'
  | 'TRANSPORT_IO';

/** Thrown by a {@link Transport} for closed endpoints, unknown peers and I/O failures. */
export class TransportError extends AdmitOneError {
  declare readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, shortMessage: string, options?: AdmitOneErrorOptions) {
    super(code, shortMessage, options);
    this.name = 'TransportError';
  }
}

/** Thrown when a message exceeds a transport's `maxMessageBytes`. */
export class MessageTooLargeError extends TransportError {
  /** The size of the rejected message, in bytes. */
  readonly size: number;
  /** The limit it exceeded, in bytes. */
  readonly limit: number;
  constructor(size: number, limit: number) {
    super('TRANSPORT_MESSAGE_TOO_LARGE', `Message of ${size} bytes exceeds the limit of ${limit} bytes.`, {
      meta: { size, limit },
    });
    this.name = 'MessageTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}

/** Codes raised by storage adapters. */
export type StorageErrorCode =
  | 'STORAGE_CLOSED'
  | 'STORAGE_QUOTA_EXCEEDED'
  | 'STORAGE_IO'
  | 'STORAGE_CORRUPT'
  | 'STORAGE_LOCKED';

/** Thrown by a {@link Storage} when it is closed, full, corrupt or fails to read/write. */
export class StorageError extends AdmitOneError {
  declare readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, shortMessage: string, options?: AdmitOneErrorOptions) {
    super(code, shortMessage, options);
    this.name = 'StorageError';
  }
}

/** Codes raised by the crypto provider. */
export type CryptoErrorCode = 'CRYPTO_INVALID_KEY' | 'CRYPTO_UNAVAILABLE';

/** Thrown for malformed keys and unavailable primitives (never for a signature that fails to verify). */
export class CryptoError extends AdmitOneError {
  declare readonly code: CryptoErrorCode;
  constructor(code: CryptoErrorCode, shortMessage: string, options?: AdmitOneErrorOptions) {
    super(code, shortMessage, options);
    this.name = 'CryptoError';
  }
}

/** Codes raised by the threshold building blocks (`@admitone/core/threshold`). */
export type ThresholdErrorCode =
  | 'THRESHOLD_INVALID_SHARE'
  | 'THRESHOLD_INCONSISTENT_SHARES'
  | 'THRESHOLD_NOT_ENOUGH_SHARES'
  | 'THRESHOLD_PROTOCOL'
  | 'THRESHOLD_TIMEOUT'
  | 'THRESHOLD_DECRYPT_FAILED';

/**
 * Who is to blame for a {@link ThresholdError}: a member's peer id (`string`)
 * or a share's x-coordinate (`bigint`). Never a share value or a key.
 */
export type ThresholdCulprit = string | bigint;

/** Options accepted by {@link ThresholdError}. */
export interface ThresholdErrorOptions extends AdmitOneErrorOptions {
  /** The members (peer ids) or share x-coordinates to blame, if identifiable. */
  readonly culprits?: readonly ThresholdCulprit[];
}

/**
 * Thrown by secret sharing, sealing and the threshold protocols. `culprits`
 * names the members or share x-coordinates to blame when they are
 * identifiable (empty otherwise); it is also in `meta.culprits`, as strings
 * (bigints in decimal) so that `meta` stays JSON-friendly. Share values,
 * keys and plaintexts never appear in the message or in `meta`.
 */
export class ThresholdError extends AdmitOneError {
  declare readonly code: ThresholdErrorCode;
  /** The members (peer ids) or share x-coordinates to blame; empty when unknown. */
  readonly culprits: readonly ThresholdCulprit[];
  constructor(code: ThresholdErrorCode, shortMessage: string, options: ThresholdErrorOptions = {}) {
    const culprits = Object.freeze([...(options.culprits ?? [])]);
    super(code, shortMessage, { ...options, meta: { ...(options.meta ?? {}), culprits: culprits.map(String) } });
    this.name = 'ThresholdError';
    this.culprits = culprits;
  }
}

/**
 * Thrown when an internal invariant is broken. This always indicates a bug
 * (or memory corruption), never bad input: assertions stay in production code,
 * in TigerBeetle's style.
 */
export class InvariantError extends AdmitOneError {
  declare readonly code: 'INVARIANT_VIOLATED';
  constructor(shortMessage: string, options?: AdmitOneErrorOptions) {
    super('INVARIANT_VIOLATED', shortMessage, options);
    this.name = 'InvariantError';
  }
}

/** Asserts an internal invariant; throws {@link InvariantError} when it does not hold. */
export function invariant(condition: unknown, shortMessage: string): asserts condition {
  if (!condition) throw new InvariantError(shortMessage);
}
