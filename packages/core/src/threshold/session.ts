/**
 * Plumbing shared by the networked threshold protocols: member points,
 * session-tagged CBOR messages, and a run that settles once (with a timeout
 * on the injected clock).
 * @module
 */
import { decode, encode, type CborValue } from '../codec/cbor.js';
import { readRecord, readString, type CborRecord } from '../codec/schema.js';
import type { Clock, Logger } from '../env/types.js';
import { ThresholdError } from '../errors/index.js';
import type { PeerId, Transport, Unsubscribe } from '../transport/types.js';

/**
 * Each member's Shamir x-coordinate: its index in the *sorted* membership
 * plus one (`1n, 2n, …`). Every member computes the same map from the same
 * membership, whatever order it was listed in. Throws `RangeError` for an
 * empty membership or repeated ids.
 *
 * @example
 * ```ts
 * memberPoints(['carol', 'alice', 'bob']); // Map { alice → 1n, bob → 2n, carol → 3n }
 * ```
 */
export function memberPoints(members: readonly PeerId[]): Map<PeerId, bigint> {
  if (!Array.isArray(members) || members.length === 0) throw new RangeError('members must be a non-empty array of peer ids');
  const sorted = [...members].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const points = new Map<PeerId, bigint>();
  sorted.forEach((id, i) => {
    if (typeof id !== 'string') throw new TypeError('members must be strings');
    if (points.has(id)) throw new RangeError(`members must be distinct; "${id}" appears twice`);
    points.set(id, BigInt(i + 1));
  });
  return points;
}

/** Checks a session id: a non-empty string of at most 256 characters. */
export function readSessionId(sessionId: unknown): string {
  if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > MAX_SESSION_ID) {
    throw new RangeError(`sessionId must be a non-empty string of at most ${MAX_SESSION_ID} characters`);
  }
  return sessionId;
}

/** Checks a timeout: a positive finite number of milliseconds. */
export function readTimeout(timeoutMs: unknown): number {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number, got ${String(timeoutMs)}`);
  }
  return timeoutMs;
}

/** Encodes a protocol message `{ p: protocol, s: sessionId, ...fields }`. */
export function sessionMessage(protocol: string, sessionId: string, fields: Readonly<Record<string, CborValue>>): Uint8Array {
  return encode({ ...fields, p: protocol, s: sessionId });
}

/**
 * Subscribes to the messages of one protocol run. Payloads that do not
 * decode, or carry another protocol or session, are ignored (the transport
 * may carry other traffic); so are senders outside the membership. The
 * handler gets the decoded record of the rest.
 */
export function listenSession(
  transport: Transport,
  protocol: string,
  sessionId: string,
  handler: (from: PeerId, record: CborRecord) => void,
): Unsubscribe {
  const members = new Set(transport.members);
  return transport.onMessage(({ from, bytes }) => {
    if (!members.has(from) || from === transport.localId) return;
    let record: CborRecord;
    try {
      record = readRecord(decode(bytes, { maxBytes: transport.capabilities.maxMessageBytes }), 'message');
      if (readString(record['p'], 'p') !== protocol || readString(record['s'], 's', MAX_SESSION_ID) !== sessionId) return;
    } catch {
      return; // not ours
    }
    handler(from, record);
  });
}

/** A protocol run that settles exactly once: by `resolve`, `reject`, or its timeout. */
export interface Run<T> {
  /** Settles with a value (no-op once settled). */
  resolve(value: T): void;
  /** Settles with an error (no-op once settled). */
  reject(error: unknown): void;
  /** Whether the run has settled. */
  readonly settled: boolean;
  /** The run's outcome. */
  readonly promise: Promise<T>;
}

/**
 * Creates a run whose `timeoutMs` timer (on `clock`) rejects with
 * `onTimeout()`, and whose `cleanup` runs once when it settles.
 */
export function createRun<T>(clock: Clock, timeoutMs: number, onTimeout: () => ThresholdError, cleanup: () => void): Run<T> {
  let settled = false;
  let resolveFn!: (value: T) => void;
  let rejectFn!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolveFn = res;
    rejectFn = rej;
  });
  const finish = (): boolean => {
    if (settled) return false;
    settled = true;
    timer.cancel();
    cleanup();
    return true;
  };
  const timer = clock.setTimeout(() => {
    if (finish()) rejectFn(onTimeout());
  }, timeoutMs);
  return {
    resolve: (value) => {
      if (finish()) resolveFn(value);
    },
    reject: (error) => {
      if (finish()) rejectFn(error);
    },
    get settled() {
      return settled;
    },
    promise,
  };
}

/**
 * Sends without letting a transient send failure abort the run: a closed
 * transport rejects the run; any other failure is logged (peer id and code
 * only), and the run carries on (a peer that misses its message times out).
 */
export function sendOrLog(transport: Transport, to: PeerId, bytes: Uint8Array, run: Run<unknown>, logger: Logger): void {
  transport.send(to, bytes).catch((error: unknown) => {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'TRANSPORT_CLOSED') run.reject(error);
    else logger.warn('threshold protocol: send failed', { to, code: typeof code === 'string' ? code : 'unknown' });
  });
}

/**
 * Broadcasts like {@link sendOrLog} sends: a closed transport rejects the
 * run; any other failure is logged (code only) and the run carries on.
 */
export function broadcastOrLog(transport: Transport, bytes: Uint8Array, run: Run<unknown>, logger: Logger): void {
  transport.broadcast(bytes).catch((error: unknown) => {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'TRANSPORT_CLOSED') run.reject(error);
    else logger.warn('threshold protocol: broadcast failed', { code: typeof code === 'string' ? code : 'unknown' });
  });
}

/** A `THRESHOLD_PROTOCOL` error blaming `culprit` for `what`. */
export function protocolViolation(protocol: string, culprit: PeerId, what: string, cause?: unknown): ThresholdError {
  return new ThresholdError('THRESHOLD_PROTOCOL', `${protocol}: member "${culprit}" ${what}.`, {
    culprits: [culprit],
    meta: { protocol },
    ...(cause === undefined ? {} : { cause }),
  });
}

const MAX_SESSION_ID = 256;
