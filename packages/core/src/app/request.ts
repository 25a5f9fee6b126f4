/**
 * Signed client requests: the unit that consensus orders and apps execute.
 * @module
 */
import type { CryptoProvider } from '../crypto/types.js';
import { decode, encode } from '../codec/cbor.js';
import { readBytes, readInt, readRecord, readString } from '../codec/schema.js';
import { clientIdOf, hash, publicKeyOf, type ClientId, type Digest } from '../codec/hash.js';
import { CodecError } from '../errors/index.js';
import { isBytes } from '../bytes/index.js';
import { isValidPublicKeyHex, type isValidPublicKey } from '../crypto/keys.js';

/** Largest operation payload a request may carry (bytes). */
export const MAX_OP_BYTES = 64 * 1024;

/** An unsigned request: which client, which of its requests, and the app operation. */
export interface ClientRequest {
  /** The client's id: hex of the Ed25519 key that signs its requests. */
  readonly clientId: ClientId;
  /**
   * The client's request number. Each `(clientId, requestSeq)` executes at most
   * once; clients number their requests 1, 2, 3, … (gaps and bounded
   * reordering are allowed, see the app's replay window).
   */
  readonly requestSeq: number;
  /** The app-specific operation bytes (canonical CBOR for built-in apps). */
  readonly op: Uint8Array;
  /**
   * True for a read-only query: engines answer it with `app.query(op)` and
   * never with `execute`. Signed, so a relay or a faulty primary cannot turn a
   * write into a read or back. Absent means `false`.
   */
  readonly readOnly?: boolean;
}

/** A request with its client's Ed25519 signature over {@link requestSigningBytes}. */
export interface SignedRequest extends ClientRequest {
  readonly signature: Uint8Array;
}

const REQUEST_DOMAIN = 'admitone/request/v2';

/**
 * The name of one deployment (one ledger: its replicas, apps and clients), for
 * example `'acme-tickets/prod'`. Every client signature ({@link signRequest})
 * and holder code (`createRotatingCode`) covers it, and apps verify under their
 * own, so a request or code signed for one deployment is refused by every
 * other, even when the same keys, ids and request numbers exist on both (a
 * staging and a production ledger, two organizers' ledgers, a fork).
 *
 * 1 to {@link MAX_DEPLOYMENT_LENGTH} printable ASCII characters, no spaces
 * (`/^[\x21-\x7e]+$/`). It is not secret; give every ledger its own.
 */
export type DeploymentId = string;

/** Longest {@link DeploymentId}, in characters. */
export const MAX_DEPLOYMENT_LENGTH = 64;

const DEPLOYMENT_PATTERN = /^[\x21-\x7e]+$/;

/** True when `value` is a well-formed {@link DeploymentId}. */
export function isDeploymentId(value: unknown): value is DeploymentId {
  return typeof value === 'string' && value.length <= MAX_DEPLOYMENT_LENGTH && DEPLOYMENT_PATTERN.test(value);
}

/**
 * Returns `value` when it is a well-formed {@link DeploymentId}; throws a
 * `TypeError` naming `what` otherwise. For option checks at construction.
 */
export function checkDeploymentId(value: unknown, what = 'deployment'): DeploymentId {
  if (!isDeploymentId(value)) {
    throw new TypeError(
      `${what} must be a deployment id: 1 to ${MAX_DEPLOYMENT_LENGTH} printable ASCII characters without spaces (got ${describe(value)})`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  return value.length > MAX_DEPLOYMENT_LENGTH ? `a string of ${value.length} characters` : JSON.stringify(value);
}

/**
 * The exact bytes a client signs for a request in `deployment`
 * (domain-separated canonical CBOR).
 */
export function requestSigningBytes(req: ClientRequest, deployment: DeploymentId): Uint8Array {
  return req.readOnly === true
    ? encode([REQUEST_DOMAIN, deployment, req.clientId, req.requestSeq, req.op, 'read'])
    : encode([REQUEST_DOMAIN, deployment, req.clientId, req.requestSeq, req.op]);
}

/**
 * Signs a request for `request.deployment` with the client's 32-byte secret
 * key. The client id is derived from the key, so a request cannot claim
 * another client's id; the deployment is signed but not sent (the verifier
 * supplies its own, see {@link verifyRequest}).
 *
 * @throws TypeError for a malformed deployment id or op, RangeError for a bad
 *   `requestSeq` or an op over {@link MAX_OP_BYTES}.
 */
export async function signRequest(
  crypto: CryptoProvider,
  secretKey: Uint8Array,
  request: {
    readonly deployment: DeploymentId;
    readonly requestSeq: number;
    readonly op: Uint8Array;
    readonly readOnly?: boolean;
  },
): Promise<SignedRequest> {
  const deployment = checkDeploymentId(request.deployment);
  checkRequestFields(request.requestSeq, request.op);
  const clientId = clientIdOf(await crypto.getPublicKey(secretKey));
  const unsigned: ClientRequest =
    request.readOnly === true
      ? { clientId, requestSeq: request.requestSeq, op: request.op, readOnly: true }
      : { clientId, requestSeq: request.requestSeq, op: request.op };
  const signature = await crypto.sign(requestSigningBytes(unsigned, deployment), secretKey);
  return { ...unsigned, signature };
}

/**
 * Verifies a request's signature, for `deployment`, against the key in its
 * client id.
 *
 * Returns `false`, never throws, for a request that could not have been
 * signed by {@link signRequest}: a bad signature, a client id that is not 64
 * lowercase hex, a client key that {@link isValidPublicKey} refuses (a
 * small-order key "signs" anything under ZIP-215), a `requestSeq` that is not
 * a safe integer ≥ 1, an `op` that is not a `Uint8Array`, and a request signed
 * for another deployment. Such a request is not authentic: apps never execute
 * it.
 *
 * @throws TypeError when `deployment` itself is malformed (a configuration
 *   error of the verifier, not of the request).
 */
export async function verifyRequest(crypto: CryptoProvider, req: SignedRequest, deployment: DeploymentId): Promise<boolean> {
  // an app passes the same id for every request: check it once, not on every verification
  if (deployment !== lastVerifiedDeployment) lastVerifiedDeployment = checkDeploymentId(deployment);
  if (!Number.isSafeInteger(req.requestSeq) || req.requestSeq < 1 || !isBytes(req.op) || !isBytes(req.signature)) return false;
  let pk: Uint8Array;
  try {
    pk = publicKeyOf(req.clientId);
  } catch {
    return false;
  }
  // the key check (a point decoding, cached per key) only for signatures that verify: junk costs no more than before
  return (await crypto.verify(req.signature, requestSigningBytes(req, deployment), pk)) && isValidPublicKeyHex(req.clientId);
}

/** The deployment id {@link verifyRequest} last checked (apps verify under one id). */
let lastVerifiedDeployment: DeploymentId | undefined;

/** Canonical wire encoding of a signed request. */
export function encodeRequest(req: SignedRequest): Uint8Array {
  return req.readOnly === true
    ? encode({ c: req.clientId, s: req.requestSeq, o: req.op, g: req.signature, r: true })
    : encode({ c: req.clientId, s: req.requestSeq, o: req.op, g: req.signature });
}

/** Decodes a signed request; throws {@link CodecError} on malformed input. */
export function decodeRequest(bytes: Uint8Array): SignedRequest {
  const r = readRecord(decode(bytes, { maxBytes: MAX_OP_BYTES + 512 }), 'request', ['c', 's', 'o', 'g', 'r']);
  const clientId = readString(r['c'], 'request.c', 64);
  if (!/^[0-9a-f]{64}$/.test(clientId)) throw new CodecError('CODEC_SCHEMA', 'Field request.c must be a 64-hex client id.');
  const requestSeq = readInt(r['s'], 'request.s', 1);
  const op = readBytes(r['o'], 'request.o');
  if (op.length > MAX_OP_BYTES) throw new CodecError('CODEC_SCHEMA', `Field request.o exceeds ${MAX_OP_BYTES} bytes.`);
  const signature = readBytes(r['g'], 'request.g', 64);
  if (r['r'] !== undefined) {
    // only `true` is canonical: a write omits the field
    if (r['r'] !== true) throw new CodecError('CODEC_SCHEMA', 'Field request.r must be true when present.');
    return { clientId: clientId as ClientId, requestSeq, op, signature, readOnly: true };
  }
  return { clientId: clientId as ClientId, requestSeq, op, signature };
}

/** A stable digest of a signed request (its canonical encoding). */
export function requestDigest(req: SignedRequest): Digest {
  return hash(encodeRequest(req));
}

function checkRequestFields(requestSeq: number, op: Uint8Array): void {
  if (!Number.isSafeInteger(requestSeq) || requestSeq < 1) throw new RangeError('requestSeq must be a positive safe integer');
  if (!(op instanceof Uint8Array)) throw new TypeError('op must be a Uint8Array');
  if (op.length > MAX_OP_BYTES) throw new RangeError(`op must be at most ${MAX_OP_BYTES} bytes`);
}
