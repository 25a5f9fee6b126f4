/**
 * `consensusCompliance()`: the tests every {@link ConsensusEngine} must pass,
 * registered with any runner's `describe`/`it`, like core's
 * `transportCompliance()` and `storageCompliance()`
 * (`@admitone/consensus/compliance`).
 *
 * The suite hands the harness a factory for the app to replicate (a
 * {@link LogApp}: an append-only log whose results name each op's position)
 * and then checks, through clients only and through the apps the factory
 * made: results are the ones execution produced, every op is executed exactly
 * once, all replicas hold one total order that matches what clients were
 * told, reads see a client's completed writes, bad input is refused without
 * effect, `close` ends a client, and, when the harness declares a
 * `faultTolerance`, it keeps committing with that many replicas down.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { consensusCompliance } from '@admitone/consensus/compliance';
 *
 * consensusCompliance({ describe, it }, {
 *   name: 'my engine',
 *   faultTolerance: 1,
 *   async setup(createApp, deployment) {
 *     const cluster = await startMyCluster({ apps: [createApp(), createApp(), createApp(), createApp()] });
 *     return {
 *       // clients sign for `deployment`, the id the suite's log apps verify under
 *       client: (i) => cluster.client(`client-${i}`, deployment),
 *       crash: (i) => cluster.stop(i),
 *       close: () => cluster.close(),
 *     };
 *   },
 * });
 * ```
 * @packageDocumentation
 */
import { MAX_OP_BYTES, decode, defaultCrypto, digestHex, equalBytes, utf8ToBytes, type CryptoProvider, type DeploymentId, type ReplicatedApp } from '@admitone/core';
import { check, checkBytesEqual, type ComplianceTestApi } from '@admitone/core/compliance';
import type { ConsensusEngine } from '../engine.js';
import { COMPLIANCE_DEPLOYMENT, LENGTH_QUERY, createLogApp, indexQuery, type LogApp } from './log-app.js';

export { COMPLIANCE_DEPLOYMENT, LENGTH_QUERY, createLogApp, indexQuery, type LogApp, type LogEntry } from './log-app.js';

/** A running deployment of the engine under test, as {@link ConsensusHarness.setup} returns it. */
export interface ConsensusDeployment {
  /**
   * Opens a client with its own identity (its own signing key). Calls with
   * different `index` values must give distinct clients; the suite closes
   * every client it opens.
   */
  client(index: number): Promise<ConsensusEngine>;
  /**
   * Stops replica `index` (0-based) as a crash would. Required when
   * {@link ConsensusHarness.faultTolerance} is above 0.
   */
  crash?(index: number): Promise<void>;
  /** Stops every replica and releases what `setup` acquired. */
  close(): Promise<void>;
}

/** How {@link consensusCompliance} starts the engine under test. */
export interface ConsensusHarness {
  /** Appended to the `describe` block's title. */
  readonly name?: string;
  /**
   * How many replicas may crash while the engine still commits. Above 0 it
   * registers the crash test, which needs {@link ConsensusDeployment.crash}.
   * Default 0 (a single host, or an engine tested without crashes).
   */
  readonly faultTolerance?: number;
  /**
   * Starts a fresh deployment. Each replica must run its own app from
   * `createApp()` (a single-host engine calls it once), and clients must sign
   * their requests for `deployment` (the id those apps verify under, see
   * {@link ConsensusHarness.deployment}). Called once per test.
   */
  setup(createApp: () => ReplicatedApp, deployment: DeploymentId): Promise<ConsensusDeployment>;
  /** The deployment id the log apps verify under. Default {@link COMPLIANCE_DEPLOYMENT}. */
  readonly deployment?: DeploymentId;
  /** Per-test timeout passed to the runner, in ms. Default 30,000. */
  readonly timeoutMs?: number;
  /** How long replicas may take to converge after the clients are done, in ms. Default 10,000. */
  readonly settleMs?: number;
  /** Checks the log app's request signatures. Default: `defaultCrypto()`. */
  readonly crypto?: CryptoProvider;
}

/** One op as a client saw it: what it submitted and the position its result names. */
interface Outcome {
  readonly op: Uint8Array;
  readonly position: number;
}

interface Session {
  readonly deployment: ConsensusDeployment;
  readonly apps: LogApp[];
  client(index: number): Promise<ConsensusEngine>;
}

/**
 * Registers the consensus compliance tests for the engine `harness` starts.
 * The tests use only the {@link ConsensusEngine} interface and the apps the
 * harness was given, so they apply to any protocol.
 */
export function consensusCompliance(test: ComplianceTestApi, harness: ConsensusHarness): void {
  const { describe, it } = test;
  const timeout = harness.timeoutMs ?? 30_000;
  const settleMs = harness.settleMs ?? 10_000;
  const faultTolerance = harness.faultTolerance ?? 0;
  if (!Number.isSafeInteger(faultTolerance) || faultTolerance < 0) throw new RangeError('harness.faultTolerance must be a non-negative integer');
  const t = (name: string, body: (s: Session) => Promise<void>) => it(name, () => withDeployment(harness, body), timeout);

  describe(`consensus compliance${harness.name === undefined ? '' : `: ${harness.name}`}`, () => {
    t('submit resolves with the result of executing the op, and every replica executes it', async (s) => {
      const c = await s.client(0);
      const a = await submitOp(c, op('a'));
      const b = await submitOp(c, op('b'));
      check(a.position === 0 && b.position === 1, `the first two ops take positions 0 and 1, got ${a.position} and ${b.position}`);
      await checkConverged(s, [a, b], settleMs);
    });

    t("one client's sequential submits execute in submission order", async (s) => {
      const c = await s.client(0);
      const outcomes: Outcome[] = [];
      for (let i = 0; i < 10; i++) outcomes.push(await submitOp(c, op(`seq-${i}`)));
      for (let i = 0; i < outcomes.length; i++) check(outcomes[i]?.position === i, `op ${i} takes position ${i}, got ${outcomes[i]?.position}`);
      await checkConverged(s, outcomes, settleMs);
    });

    t('concurrent submits from several clients execute exactly once, in one total order', async (s) => {
      const clients = await Promise.all([0, 1, 2].map((i) => s.client(i)));
      const outcomes = (
        await Promise.all(clients.flatMap((c, i) => Array.from({ length: 12 }, (_, k) => submitOp(c, op(`c${i}-${k}`)))))
      ).sort((x, y) => x.position - y.position);
      outcomes.forEach((o, i) => check(o.position === i, `positions are 0…${outcomes.length - 1} with no gap or repeat; position ${i} is ${o.position}`));
      await checkConverged(s, outcomes, settleMs);
    });

    t('ops are opaque bytes: empty, every byte value and the largest op come back exact', async (s) => {
      const c = await s.client(0);
      const ops = [new Uint8Array(0), Uint8Array.from({ length: 256 }, (_, i) => i), pattern(MAX_OP_BYTES)];
      const outcomes: Outcome[] = [];
      for (const o of ops) outcomes.push(await submitOp(c, o));
      await checkConverged(s, outcomes, settleMs);
    });

    t("read answers from state that holds the caller's completed submits", async (s) => {
      const c = await s.client(0);
      const outcomes: Outcome[] = [];
      for (let i = 0; i < 3; i++) outcomes.push(await submitOp(c, op(`r-${i}`)));
      const length = decode(await c.read(LENGTH_QUERY));
      check(length === 3, `read of the length after 3 submits returns 3, got ${String(length)}`);
      checkBytesEqual(decode(await c.read(indexQuery(1))) as Uint8Array, op('r-1'), 'read of position 1');
      const other = await s.client(1);
      check(decode(await other.read(LENGTH_QUERY)) === 3, "another client's read sees the 3 committed ops");
      await checkConverged(s, outcomes, settleMs);
    });

    t('bad input is rejected and executes nothing', async (s) => {
      const c = await s.client(0);
      const bad: [string, () => Promise<unknown>][] = [
        ['submit of a string', () => c.submit('op' as unknown as Uint8Array)],
        ['submit of undefined', () => c.submit(undefined as unknown as Uint8Array)],
        ['submit of an op one byte over MAX_OP_BYTES', () => c.submit(new Uint8Array(MAX_OP_BYTES + 1))],
        ['read of a number', () => c.read(7 as unknown as Uint8Array)],
      ];
      for (const [what, call] of bad) await checkRejected(call, what);
      const first = await submitOp(c, op('after-bad-input'));
      check(first.position === 0, `nothing was executed before the first valid op; it took position ${first.position}`);
      await checkConverged(s, [first], settleMs);
    });

    t('close ends a client: its later calls reject, other clients go on', async (s) => {
      const c0 = await s.client(0);
      const c1 = await s.client(1);
      const before = await submitOp(c0, op('before-close'));
      await c0.close();
      await checkRejected(() => c0.submit(op('after-close')), 'submit after close');
      await checkRejected(() => c0.read(LENGTH_QUERY), 'read after close');
      const after = await submitOp(c1, op('other-client'));
      check(after.position === 1, `the other client's op follows at position 1, got ${after.position}`);
      await checkConverged(s, [before, after], settleMs);
    });

    if (faultTolerance > 0) {
      t(`keeps committing with ${faultTolerance} replica${faultTolerance === 1 ? '' : 's'} crashed`, async (s) => {
        const { crash } = s.deployment;
        check(crash !== undefined, 'a deployment of a harness with faultTolerance > 0 offers crash()');
        check(s.apps.length > faultTolerance, `the deployment runs more than ${faultTolerance} replicas (it made ${s.apps.length} apps)`);
        const clients = await Promise.all([0, 1].map((i) => s.client(i)));
        const early = await submitOp(clients[0] as ConsensusEngine, op('before-crash'));
        // crash the highest-numbered replicas: a leader-based engine usually starts with replica 0
        const crashed = Array.from({ length: faultTolerance }, (_, i) => s.apps.length - 1 - i);
        for (const index of crashed) await crash.call(s.deployment, index);
        const later = await Promise.all(clients.flatMap((c, i) => Array.from({ length: 4 }, (_, k) => submitOp(c, op(`crash-${i}-${k}`)))));
        const outcomes = [early, ...later].sort((x, y) => x.position - y.position);
        outcomes.forEach((o, i) => check(o.position === i, `positions stay gap-free with replicas crashed; position ${i} is ${o.position}`));
        await checkConverged(s, outcomes, settleMs, s.apps.length - faultTolerance);
      });
    }
  });
}

async function withDeployment(harness: ConsensusHarness, body: (s: Session) => Promise<void>): Promise<void> {
  const crypto = harness.crypto ?? (await defaultCrypto());
  const id = harness.deployment ?? COMPLIANCE_DEPLOYMENT;
  const apps: LogApp[] = [];
  const createApp = (): ReplicatedApp => {
    const app = createLogApp(crypto, id);
    apps.push(app);
    return app;
  };
  const deployment = await harness.setup(createApp, id);
  check(apps.length > 0, 'setup created at least one app through createApp');
  const clients = new Map<number, ConsensusEngine>();
  const session: Session = {
    deployment,
    apps,
    async client(index) {
      let c = clients.get(index);
      if (c === undefined) {
        c = await deployment.client(index);
        clients.set(index, c);
      }
      return c;
    },
  };
  try {
    await body(session);
  } finally {
    for (const c of clients.values()) await c.close().catch(() => undefined);
    await deployment.close();
  }
}

function op(label: string): Uint8Array {
  return utf8ToBytes(`compliance:${label}`);
}

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

/** Submits `bytes` and checks the result is `[position, op]` with the op echoed exactly. */
async function submitOp(c: ConsensusEngine, bytes: Uint8Array): Promise<Outcome> {
  const result = decode(await c.submit(bytes));
  check(Array.isArray(result) && result.length === 2, `a submit resolves with the app's [position, op] result, got ${JSON.stringify(result)}`);
  const [position, echoed] = result as unknown[];
  check(typeof position === 'number' && Number.isSafeInteger(position) && position >= 0, `the result names a position, got ${String(position)}`);
  checkBytesEqual(echoed as Uint8Array, bytes, 'the result echoes the op that was executed');
  return { op: bytes, position };
}

/** Checks that `call` returns a promise (it must not throw synchronously) and that the promise rejects. */
async function checkRejected(call: () => Promise<unknown>, what: string): Promise<void> {
  let result: unknown;
  try {
    result = call();
  } catch (err) {
    check(false, `${what} returns a rejected promise instead of throwing synchronously (threw ${String(err)})`);
  }
  check(result instanceof Promise, `${what} returns a promise`);
  let rejected = false;
  try {
    await result;
  } catch {
    rejected = true;
  }
  check(rejected, `${what} rejects`);
}

/**
 * Waits until at least `quorum` apps (default all) hold exactly the log the
 * clients were told, with equal digests and no duplicate execution anywhere.
 */
async function checkConverged(s: Session, outcomes: readonly Outcome[], settleMs: number, quorum = s.apps.length): Promise<void> {
  const expected = [...outcomes].sort((x, y) => x.position - y.position).map((o) => o.op);
  const deadline = Date.now() + settleMs;
  for (;;) {
    const dup = s.apps.find((a) => a.duplicates > 0);
    check(dup === undefined, `no replica executes a request twice (one app saw ${dup?.duplicates ?? 0} duplicates)`);
    const converged: LogApp[] = [];
    for (const app of s.apps) {
      const log = app.entries();
      // a replica may lag, but never disagree: what it has is a prefix of the agreed order
      const prefix = log.length <= expected.length && log.every((e, i) => equalBytes(e.op, expected[i] as Uint8Array));
      check(prefix, `every replica's log is a prefix of the order clients were told (one has ${log.length} ops that differ)`);
      if (log.length === expected.length) converged.push(app);
    }
    if (converged.length >= quorum) {
      const digests = new Set(converged.map((a) => digestHex(a.digest())));
      check(digests.size === 1, 'replicas with equal logs report equal digests');
      return;
    }
    check(Date.now() < deadline, `${quorum} replicas hold the ${expected.length} committed ops within ${settleMs} ms (${converged.length} do)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
