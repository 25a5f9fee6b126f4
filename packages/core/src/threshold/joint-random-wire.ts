/**
 * Wire format of verifiable joint random sharing (`admitone/jrs/v2`): the
 * four message kinds, their readers (which check every field and throw on
 * anything malformed), the digests that members echo, and how many values fit
 * in one message. Every message is a CBOR map `{ p, s, r, ... }` made by
 * `sessionMessage`; see `joint-random.ts` for the protocol.
 * @module
 */
import { encode, type CborValue } from '../codec/cbor.js';
import { taggedHash, type Digest } from '../codec/hash.js';
import { readArray, readBigInt, readBytes, readInt, type CborRecord } from '../codec/schema.js';
import type { PeerId } from '../transport/types.js';
import { PEDERSEN_POINT_BYTES, decodePoint, type G1Point, type SharePair } from './pedersen.js';
import { sessionMessage } from './session.js';

/** The protocol tag of joint random sharing messages. */
export const JOINT_RANDOM_PROTOCOL = 'admitone/jrs/v2';

/** Length of the digests in reports and confirmations. */
const DIGEST_BYTES = 32;

/** Round 1, dealer → one receiver: values `offset…` with their commitments and the receiver's share pairs. */
export interface DealingChunk {
  readonly offset: number;
  /** `[value][k]`, as received. */
  readonly commitments: readonly (readonly Uint8Array[])[];
  /** `commitments`, decoded. */
  readonly points: readonly (readonly G1Point[])[];
  /** `[value]`: the receiver's (f(x), g(x)). */
  readonly pairs: readonly SharePair[];
}

/** Round 2, broadcast: each dealer's commitment digest as the sender saw it (member order), and the dealers it complains about. */
export interface Report {
  readonly digests: readonly Uint8Array[];
  /** Member indices, ascending, never the sender's own. */
  readonly complaints: readonly number[];
}

/** Round 3, broadcast: a dealer's answer to its complainers (`complainers` empty: nothing to answer). */
export interface AnswerChunk {
  /** Member indices, ascending, at most `degree` of them. */
  readonly complainers: readonly number[];
  readonly offset: number;
  readonly commitments: readonly (readonly Uint8Array[])[];
  readonly points: readonly (readonly G1Point[])[];
  /** `[value][i]`: complainer `complainers[i]`'s (f(x), g(x)). */
  readonly pairs: readonly (readonly SharePair[])[];
}

/** Round 4, broadcast: the digest of every member's round-2 report and round-3 answer as the sender saw them. */
export interface Confirmation {
  readonly reports: readonly Uint8Array[];
  readonly answers: readonly Uint8Array[];
}

/** The shape parameters every reader needs. */
export interface Shape {
  readonly n: number;
  readonly count: number;
  readonly degree: number;
  readonly order: bigint;
}

/** Encodes a round-1 chunk. */
export function dealingMessage(sessionId: string, offset: number, commitments: readonly (readonly Uint8Array[])[], pairs: readonly SharePair[]): Uint8Array {
  return sessionMessage(JOINT_RANDOM_PROTOCOL, sessionId, { r: 1, o: offset, c: commitments, y: pairs });
}

/** Encodes a round-2 report. */
export function reportMessage(sessionId: string, report: Report): Uint8Array {
  return sessionMessage(JOINT_RANDOM_PROTOCOL, sessionId, { r: 2, d: report.digests, x: report.complaints });
}

/** Encodes a round-3 answer chunk (or the empty answer). */
export function answerMessage(sessionId: string, chunk: Omit<AnswerChunk, 'points'>): Uint8Array {
  if (chunk.complainers.length === 0) return sessionMessage(JOINT_RANDOM_PROTOCOL, sessionId, { r: 3, j: [] });
  return sessionMessage(JOINT_RANDOM_PROTOCOL, sessionId, { r: 3, j: chunk.complainers, o: chunk.offset, c: chunk.commitments, y: chunk.pairs });
}

/** Encodes a round-4 confirmation. */
export function confirmationMessage(sessionId: string, confirmation: Confirmation): Uint8Array {
  return sessionMessage(JOINT_RANDOM_PROTOCOL, sessionId, { r: 4, d: confirmation.reports, e: confirmation.answers });
}

/** Reads a round-1 chunk; throws on any malformed field or point. */
export function readDealingChunk(record: CborRecord, shape: Shape): DealingChunk {
  const offset = readInt(record['o'], 'o', 0, shape.count - 1);
  const { commitments, points } = readCommitments(record['c'], shape, offset);
  const pairs = readArray(record['y'], 'y', commitments.length).map((p, i) => readPair(p, `y[${i}]`, shape.order));
  if (pairs.length !== commitments.length) throw new RangeError('c and y must have the same length');
  return { offset, commitments, points, pairs };
}

/** Reads a round-2 report from member index `sender`; throws on any malformed field. */
export function readReport(record: CborRecord, shape: Shape, sender: number): Report {
  const digests = readArray(record['d'], 'd', shape.n).map((d, i) => readBytes(d, `d[${i}]`, DIGEST_BYTES));
  if (digests.length !== shape.n) throw new RangeError(`d must have ${shape.n} digests`);
  const complaints = readIndices(record['x'], 'x', shape.n, shape.n - 1, sender);
  return { digests, complaints };
}

/** Reads a round-3 answer chunk from member index `sender`; throws on any malformed field or point. */
export function readAnswerChunk(record: CborRecord, shape: Shape, sender: number): AnswerChunk {
  const complainers = readIndices(record['j'], 'j', shape.n, shape.degree, sender);
  if (complainers.length === 0) {
    if (record['o'] !== undefined || record['c'] !== undefined || record['y'] !== undefined) throw new RangeError('an empty answer carries no values');
    return { complainers, offset: 0, commitments: [], points: [], pairs: [] };
  }
  const offset = readInt(record['o'], 'o', 0, shape.count - 1);
  const { commitments, points } = readCommitments(record['c'], shape, offset);
  const pairs = readArray(record['y'], 'y', commitments.length).map((row, v) => {
    const list = readArray(row, `y[${v}]`, complainers.length).map((p, i) => readPair(p, `y[${v}][${i}]`, shape.order));
    if (list.length !== complainers.length) throw new RangeError(`y[${v}] must have one pair per complainer`);
    return list;
  });
  if (pairs.length !== commitments.length) throw new RangeError('c and y must have the same length');
  return { complainers, offset, commitments, points, pairs };
}

/** Reads a round-4 confirmation; throws on any malformed field. */
export function readConfirmation(record: CborRecord, shape: Shape): Confirmation {
  const read = (value: unknown, field: string): Uint8Array[] => {
    const list = readArray(value, field, shape.n).map((d, i) => readBytes(d, `${field}[${i}]`, DIGEST_BYTES));
    if (list.length !== shape.n) throw new RangeError(`${field} must have ${shape.n} digests`);
    return list;
  };
  return { reports: read(record['d'], 'd'), answers: read(record['e'], 'e') };
}

/** Digest of a dealer's commitments (`[value][k]`, encoded), as reported in round 2. */
export function commitmentsDigest(sessionId: string, dealer: PeerId, commitments: readonly (readonly Uint8Array[])[]): Digest {
  return taggedHash(`${JOINT_RANDOM_PROTOCOL}/commitments`, [sessionId, dealer, commitments]);
}

/** Digest of a member's round-2 report, as echoed in round 4. */
export function reportDigest(sessionId: string, member: PeerId, report: Report): Digest {
  return taggedHash(`${JOINT_RANDOM_PROTOCOL}/report`, [sessionId, member, report.digests, report.complaints]);
}

/** Digest of a member's whole round-3 answer (all chunks), as echoed in round 4. */
export function answerDigest(sessionId: string, member: PeerId, complainers: readonly number[], commitments: readonly (readonly Uint8Array[])[], pairs: readonly (readonly SharePair[])[]): Digest {
  return taggedHash(`${JOINT_RANDOM_PROTOCOL}/answer`, [sessionId, member, complainers, commitments, pairs as CborValue]);
}

/**
 * How many values fit in one round-1 message, and in one round-3 message
 * answering `degree` complainers (the most an honest dealer answers); and
 * whether a round-2 report and a round-4 confirmation fit at all. Sizes are
 * measured by encoding worst-case dummies (largest field elements, largest
 * offsets), plus slack for array-length headers. Throws `RangeError` when
 * `maxMessageBytes` cannot carry one value or a report.
 */
export function messageCapacity(shape: Shape, sessionId: string, maxMessageBytes: number): { dealing: number; answer: (complainers: number) => number } {
  const point = new Uint8Array(PEDERSEN_POINT_BYTES);
  const big = shape.order - 1n;
  const row: Uint8Array[] = new Array<Uint8Array>(shape.degree + 1).fill(point);
  const pair: SharePair = [big, big];
  const slack = 16; // array headers grow with their length (up to 5 bytes each)
  const lastOffset = Math.max(0, shape.count - 1);
  const fit = (header: number, perValue: number): number => Math.floor((maxMessageBytes - header - slack) / perValue);
  const dealing = fit(dealingMessage(sessionId, lastOffset, [], []).length, encode(row).length + encode(pair).length);
  const answer = (complainers: number): number => {
    const j = Array.from({ length: complainers }, (_, i) => shape.n - 1 - i).reverse();
    const header = sessionMessage(JOINT_RANDOM_PROTOCOL, sessionId, { r: 3, j, o: lastOffset, c: [], y: [] }).length;
    return fit(header, encode(row).length + encode(new Array<SharePair>(complainers).fill(pair)).length);
  };
  const digests = new Array<Uint8Array>(shape.n).fill(new Uint8Array(DIGEST_BYTES));
  const complaints = Array.from({ length: shape.n - 1 }, (_, i) => shape.n - 1 - i).reverse();
  const fixed = Math.max(
    reportMessage(sessionId, { digests, complaints }).length,
    confirmationMessage(sessionId, { reports: digests, answers: digests }).length,
  );
  if (dealing < 1 || answer(Math.min(shape.degree, shape.n - 1)) < 1 || fixed + slack > maxMessageBytes) {
    throw new RangeError(`transport.capabilities.maxMessageBytes (${maxMessageBytes}) is too small for joint random sharing among ${shape.n} members at degree ${shape.degree}`);
  }
  return { dealing, answer };
}

// ---------------------------------------------------------------------------

function readCommitments(value: unknown, shape: Shape, offset: number): { commitments: Uint8Array[][]; points: G1Point[][] } {
  const rows = readArray(value, 'c', shape.count - offset);
  if (rows.length === 0) throw new RangeError('empty chunk');
  const commitments: Uint8Array[][] = [];
  const points: G1Point[][] = [];
  rows.forEach((row, v) => {
    const bytes = readArray(row, `c[${v}]`, shape.degree + 1).map((c, k) => readBytes(c, `c[${v}][${k}]`, PEDERSEN_POINT_BYTES));
    if (bytes.length !== shape.degree + 1) throw new RangeError(`c[${v}] must have degree + 1 = ${shape.degree + 1} commitments`);
    commitments.push(bytes);
    points.push(bytes.map((b, k) => decodePoint(b, `c[${v}][${k}]`)));
  });
  return { commitments, points };
}

function readPair(value: unknown, field: string, order: bigint): SharePair {
  const pair = readArray(value, field, 2);
  if (pair.length !== 2) throw new RangeError(`${field} must be a pair`);
  return [readBigInt(pair[0], `${field}[0]`, 0n, order - 1n), readBigInt(pair[1], `${field}[1]`, 0n, order - 1n)];
}

/** Member indices: strictly ascending, in `[0, n)`, at most `max` of them, never `exclude`. */
function readIndices(value: unknown, field: string, n: number, max: number, exclude: number): number[] {
  const list = readArray(value, field, max).map((v, i) => readInt(v, `${field}[${i}]`, 0, n - 1));
  list.forEach((v, i) => {
    if (v === exclude) throw new RangeError(`${field} must not name the sender`);
    if (i > 0 && v <= (list[i - 1] as number)) throw new RangeError(`${field} must be strictly ascending`);
  });
  return list;
}
