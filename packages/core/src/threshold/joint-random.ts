/**
 * Joint random sharing: every member deals random Shamir sharings to all
 * members and each member sums what it receives, so the committee ends up
 * with sharings of values that no single member knows (as long as one
 * dealer is honest). With one value this is the dealerless PRF key over
 * BN254's field.
 *
 * Wire format (CBOR, one message per dealer → receiver, chunked to fit the
 * transport): `{ p: 'admitone/jrs/v1', s: sessionId, o: offset, y: [...] }`,
 * where `y[i]` is the receiver's share of the dealer's value `offset + i`.
 *
 * Limits, stated plainly: this is plain (not verifiable) secret sharing. A
 * malicious dealer can hand out shares that are not on one degree-`degree`
 * polynomial; that is not detected here but later, when a value derived
 * from them is opened (robust opening names the inconsistency). It needs
 * every member: one silent dealer makes every run time out
 * (`THRESHOLD_TIMEOUT` naming it). Members must subscribe before peers'
 * messages arrive: start the run on every member before delivery can happen
 * (the handler is registered synchronously inside the call).
 * @module
 */
import { readArray, readBigInt, readInt } from '../codec/schema.js';
import { silentLogger } from '../env/logger.js';
import type { Clock, Logger, Random } from '../env/types.js';
import { ThresholdError } from '../errors/index.js';
import type { PeerId, Transport } from '../transport/types.js';
import { assertDegree, assertField, randomFieldElement, type PrimeField } from './field.js';
import { createRun, listenSession, memberPoints, protocolViolation, readSessionId, readTimeout, sendOrLog, sessionMessage } from './session.js';
import { shamirShare } from './shamir.js';

/** Options of {@link runJointRandomSharing}. */
export interface JointRandomSharingOptions {
  /** The field of the values (e.g. `bn254_Fr`). */
  readonly F: PrimeField;
  /** The committee's transport; members' points come from {@link memberPoints}(`transport.members`). */
  readonly transport: Transport;
  /** Tags this run's messages; every member must use the same, and never reuse it. */
  readonly sessionId: string;
  /** Degree of the sharings (any `degree + 1` members reconstruct; `degree` learn nothing). */
  readonly degree: number;
  /** How many joint random values to produce. */
  readonly count: number;
  /** Randomness for this member's dealings. */
  readonly random: Random;
  /** Give up after this long (on `clock`) with `THRESHOLD_TIMEOUT`. */
  readonly timeoutMs: number;
  /** The clock for the timeout. */
  readonly clock: Clock;
  /** Diagnostics (member ids and codes only). Default: silent. */
  readonly logger?: Logger;
  /**
   * Test hook: receives the `count` values this member dealt, **in the
   * clear**. Only for tests and audits of the protocol itself.
   */
  readonly onDealt?: (values: readonly bigint[]) => void;
}

/** The protocol tag of joint random sharing messages. */
export const JOINT_RANDOM_PROTOCOL = 'admitone/jrs/v1';

/**
 * Runs one joint random sharing on this member and resolves with its share
 * (at its point from {@link memberPoints}) of each of the `count` joint
 * values. Rejects with `THRESHOLD_TIMEOUT` naming the members whose dealing
 * did not arrive in time, and with `THRESHOLD_PROTOCOL` naming a member that
 * sent a malformed dealing (wrong length, values outside the field) or two
 * different ones. Bad options (degree ≥ members, negative count, empty
 * session id, non-positive timeout) throw `RangeError`/`TypeError`
 * synchronously.
 *
 * @example
 * ```ts
 * const [keyShare] = await runJointRandomSharing({
 *   F: bn254_Fr, transport, sessionId: 'prf-key/2025-06', degree: 1, count: 1,
 *   random: systemRandom(), clock: systemClock(), timeoutMs: 10_000,
 * });
 * ```
 */
export function runJointRandomSharing(options: JointRandomSharingOptions): Promise<bigint[]> {
  const { F, transport, random, clock } = options;
  assertField(F);
  assertDegree(options.degree);
  const sessionId = readSessionId(options.sessionId);
  const timeoutMs = readTimeout(options.timeoutMs);
  const count = options.count;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${String(count)}`);
  const logger = options.logger ?? silentLogger();
  const points = memberPoints(transport.members);
  const n = points.size;
  if (options.degree + 1 > n) throw new RangeError(`degree must be below the number of members (${n}), got ${options.degree}`);
  const self = transport.localId;
  if (!points.has(self)) throw new RangeError('transport.localId must be a member');
  const peers = [...points.keys()].filter((id) => id !== self);

  // Deal: value j of this member is shared with shamirShare to every point.
  const ids = [...points.keys()];
  const xs = [...points.values()];
  const dealt: bigint[] = [];
  const columns = new Map<PeerId, bigint[]>(ids.map((id) => [id, []]));
  for (let j = 0; j < count; j++) {
    const secret = randomFieldElement(F, random);
    dealt.push(secret);
    shamirShare(F, secret, options.degree, xs, random).forEach((share, i) => columns.get(ids[i] as PeerId)?.push(share.y));
  }
  options.onDealt?.(dealt.slice());
  dealt.fill(0n);
  const sum = (columns.get(self) as bigint[]).slice();
  if (count === 0 || peers.length === 0) return Promise.resolve(sum);

  // Collect: one slot per (peer, value); complete when every slot is filled.
  const received = new Map<PeerId, (bigint | undefined)[]>(peers.map((id) => [id, new Array<bigint | undefined>(count).fill(undefined)]));
  const missing = new Map<PeerId, number>(peers.map((id) => [id, count]));
  const run = createRun<bigint[]>(
    clock,
    timeoutMs,
    () =>
      new ThresholdError('THRESHOLD_TIMEOUT', `Joint random sharing timed out waiting for ${missing.size} member(s).`, {
        culprits: [...missing.keys()],
        meta: { protocol: JOINT_RANDOM_PROTOCOL, sessionId },
      }),
    () => unsubscribe(),
  );
  const unsubscribe = listenSession(transport, JOINT_RANDOM_PROTOCOL, sessionId, (from, record) => {
    if (run.settled) return;
    const slots = received.get(from);
    if (slots === undefined) return;
    let offset: number;
    let ys: bigint[];
    try {
      offset = readInt(record['o'], 'o', 0, count - 1);
      ys = readArray(record['y'], 'y', count - offset).map((v, i) => readBigInt(v, `y[${i}]`, 0n, F.ORDER - 1n));
      if (ys.length === 0) throw new RangeError('empty chunk');
    } catch (cause) {
      run.reject(protocolViolation(JOINT_RANDOM_PROTOCOL, from, 'sent a malformed dealing', cause));
      return;
    }
    for (let i = 0; i < ys.length; i++) {
      const previous = slots[offset + i];
      const y = ys[i] as bigint;
      if (previous === undefined) {
        slots[offset + i] = y;
        sum[offset + i] = F.add(sum[offset + i] as bigint, y);
        const left = (missing.get(from) as number) - 1;
        if (left === 0) missing.delete(from);
        else missing.set(from, left);
      } else if (previous !== y) {
        run.reject(protocolViolation(JOINT_RANDOM_PROTOCOL, from, 'sent two different dealings'));
        return;
      }
    }
    if (missing.size === 0) run.resolve(sum);
  });

  // Send each peer its column, in chunks that fit the transport.
  const perChunk = valuesPerMessage(F, transport.capabilities.maxMessageBytes, sessionId);
  for (const peer of peers) {
    const column = columns.get(peer) as bigint[];
    for (let offset = 0; offset < count; offset += perChunk) {
      sendOrLog(transport, peer, sessionMessage(JOINT_RANDOM_PROTOCOL, sessionId, { o: offset, y: column.slice(offset, offset + perChunk) }), run, logger);
    }
    column.fill(0n);
  }
  return run.promise;
}

/** How many field elements fit in one message (CBOR bignum: ≤ F.BYTES + 4 bytes each, plus a header). */
function valuesPerMessage(F: PrimeField, maxMessageBytes: number, sessionId: string): number {
  const header = 64 + 3 * sessionId.length + JOINT_RANDOM_PROTOCOL.length;
  const fit = Math.floor((maxMessageBytes - header) / (F.BYTES + 4));
  if (fit < 1) throw new RangeError(`transport.capabilities.maxMessageBytes (${maxMessageBytes}) is too small for one field element`);
  return fit;
}
