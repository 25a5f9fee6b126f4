/**
 * The application the consensus compliance suite replicates: an append-only
 * log of opaque ops. Every result names the position the op took, so a client
 * sees the total order, and the suite can compare each replica's log with
 * what the clients were told.
 * @module
 */
import {
  CodecError,
  decode,
  encode,
  hash,
  verifyRequest,
  checkDeploymentId,
  type DeploymentId,
  type CryptoProvider,
  type Digest,
  type ExecuteContext,
  type PreparedRequest,
  type ReplicatedApp,
  type SignedRequest,
} from '@admitone/core';

/** One executed op of a {@link LogApp}. */
export interface LogEntry {
  /** The client that signed the request. */
  readonly clientId: string;
  /** The request's sequence number, chosen by the engine's client. */
  readonly requestSeq: number;
  /** The op bytes, as submitted. */
  readonly op: Uint8Array;
}

/** The deployment id the compliance suite's log app and clients use by default. */
export const COMPLIANCE_DEPLOYMENT = 'admitone/compliance';

/**
 * A deterministic log app. `execute` appends the op and returns the CBOR
 * array `[position, op]`; a second execution of the same `(clientId,
 * requestSeq)` returns `['duplicate']` and is counted in
 * {@link LogApp.duplicates} (engines must never do this: they deduplicate
 * with their reply cache). `query` with an empty query returns the log length;
 * with a 4-byte big-endian index, the op at that index (or CBOR `null`).
 */
export interface LogApp extends ReplicatedApp {
  /** The ops executed so far, in order. */
  entries(): readonly LogEntry[];
  /** How many times the engine executed a request it had executed before. */
  readonly duplicates: number;
}

/**
 * Creates an empty {@link LogApp} that checks request signatures with `crypto`,
 * for `deployment` (default {@link COMPLIANCE_DEPLOYMENT}).
 */
export function createLogApp(crypto: CryptoProvider, deployment: DeploymentId = COMPLIANCE_DEPLOYMENT): LogApp {
  checkDeploymentId(deployment);
  let log: LogEntry[] = [];
  let seen = new Set<string>();
  let duplicates = 0;
  const keyOf = (clientId: string, requestSeq: number) => `${clientId}:${requestSeq}`;
  const snapshot = (): Uint8Array => encode(log.map((e) => [e.clientId, e.requestSeq, e.op]));
  return {
    name: 'compliance-log',
    async prepare(request: SignedRequest): Promise<PreparedRequest> {
      return { request, authentic: await verifyRequest(crypto, request, deployment) };
    },
    execute(prepared: PreparedRequest, _ctx: ExecuteContext): Uint8Array {
      if (!prepared.authentic) return encode(['unauthentic']);
      const { clientId, requestSeq, op } = prepared.request;
      const key = keyOf(clientId, requestSeq);
      if (seen.has(key)) {
        duplicates++;
        return encode(['duplicate']);
      }
      seen.add(key);
      log.push({ clientId, requestSeq, op: op.slice() });
      return encode([log.length - 1, op]);
    },
    query(query: Uint8Array): Uint8Array {
      if (!(query instanceof Uint8Array)) throw new TypeError('query must be a Uint8Array');
      if (query.length === 0) return encode(log.length);
      if (query.length !== 4) throw new RangeError('query must be empty or a 4-byte index');
      const index = new DataView(query.buffer, query.byteOffset, 4).getUint32(0);
      return encode(log[index]?.op ?? null);
    },
    snapshot,
    restore(bytes: Uint8Array): void {
      const value = decode(bytes);
      if (!Array.isArray(value)) throw new CodecError('CODEC_SCHEMA', 'A log snapshot is an array.');
      const next: LogEntry[] = [];
      const nextSeen = new Set<string>();
      for (const item of value) {
        if (!Array.isArray(item) || item.length !== 3) throw new CodecError('CODEC_SCHEMA', 'A log entry is a 3-element array.');
        const [clientId, requestSeq, op] = item as unknown[];
        if (typeof clientId !== 'string' || typeof requestSeq !== 'number' || !Number.isSafeInteger(requestSeq) || !(op instanceof Uint8Array)) {
          throw new CodecError('CODEC_SCHEMA', 'A log entry has fields of the wrong types.');
        }
        const key = keyOf(clientId, requestSeq);
        if (nextSeen.has(key)) throw new CodecError('CODEC_SCHEMA', 'A log snapshot repeats a request.');
        nextSeen.add(key);
        next.push({ clientId, requestSeq, op });
      }
      log = next;
      seen = nextSeen;
    },
    digest(): Digest {
      return hash(snapshot());
    },
    entries: () => log,
    get duplicates() {
      return duplicates;
    },
  };
}

/** The query {@link LogApp} answers with its length. */
export const LENGTH_QUERY: Uint8Array = new Uint8Array(0);

/** The query {@link LogApp} answers with the op at `index`. */
export function indexQuery(index: number): Uint8Array {
  const q = new Uint8Array(4);
  new DataView(q.buffer).setUint32(0, index);
  return q;
}
