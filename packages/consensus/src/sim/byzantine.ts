/**
 * Byzantine strategies. A Byzantine replica runs the real replica code, but
 * its transport is wrapped: every outgoing message is decoded and then
 * dropped, delayed, replayed, or mutated and re-signed with the replica's own
 * secret key (it holds no other replica's key, so it can forge ids but not
 * signatures).
 * @module
 */
import { concatBytes, encodeTicketResult, hash, type Clock, type CryptoProvider, type DeploymentId, type Random, type Transport } from '@admitone/core';
import { batchDigest, encodeReplies, encodeWire, signMessage, type PrePrepare, type ReplicaMessage, type Signed, type Vote, type NewView } from '../messages.js';
import type { ByzantineStrategy, ConcreteStrategy } from './options.js';
import { tryDecodeWire, wireLabel, type PostFn } from './observe.js';

/** What a Byzantine transport needs to misbehave. */
export interface ByzantineContext {
  /** This replica's id. */
  readonly self: string;
  /** Replica ids in membership order (the primary of view v is `replicas[v mod n]`). */
  readonly replicas: readonly string[];
  /** This replica's own secret key: the only one it can sign with. */
  readonly secretKey: Uint8Array;
  /** The deployment the cluster signs its messages for. */
  readonly deployment: DeploymentId;
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  /** This replica's own random stream. */
  readonly random: Random;
  /** The cluster's base view-change timeout (the slow strategy's delay scale). */
  readonly viewChangeTimeoutMs: number;
  /** The cluster's `maxClockSkewMs` (the timewarp strategy's scale). */
  readonly maxClockSkewMs: number;
  /** Sends on the real transport, with a trace label. */
  readonly post: PostFn;
  /** Reports one misbehaviour (for counters and the trace). */
  readonly note: (action: string) => void;
}

/** The strategies `mixed` drew from before `timewarp` existed (kept, so that older seeds draw what they drew). */
const FIRST_SIX: readonly ConcreteStrategy[] = ['equivocate', 'forge', 'silent', 'replay', 'wrong-digest', 'slow'];
const PRIMARY_TARGETING: ReadonlySet<ByzantineStrategy> = new Set(['equivocate', 'slow', 'timewarp']);

/**
 * Chooses which replicas are Byzantine and what each does. `equivocate`,
 * `slow` and `timewarp` include replica 0 (the view-0 primary) and then the
 * highest indices; the other strategies take the highest indices; `mixed`
 * includes replica 0 with probability ½ and gives each Byzantine replica one
 * of the seven strategies, each with probability 1/7.
 */
export function planByzantine(nodes: number, count: number, strategy: ByzantineStrategy, random: Random): Map<number, ConcreteStrategy> {
  const plan = new Map<number, ConcreteStrategy>();
  if (strategy === 'none' || count === 0) return plan;
  const highest = Array.from({ length: nodes - 1 }, (_, i) => nodes - 1 - i);
  const withZero = strategy === 'mixed' ? random.int(2) === 0 : PRIMARY_TARGETING.has(strategy);
  const order = strategy === 'fork-view' ? [1, ...highest.filter((i) => i !== 1)] : withZero ? [0, ...highest] : highest;
  for (const i of order.slice(0, count)) plan.set(i, strategy === 'mixed' ? (FIRST_SIX[random.int(FIRST_SIX.length)] as ConcreteStrategy) : strategy);
  // mixed: each replica then turns to timewarp with probability 1/7 (so each of the seven has 1/7); these
  // draws come after all the others, so a seed that draws no timewarp keeps the plan it had before
  if (strategy === 'mixed') for (const i of plan.keys()) if (random.int(7) === 0) plan.set(i, 'timewarp');
  // and then to fork-view with probability 1/8 (so each of the eight has 1/8), after every older draw
  if (strategy === 'mixed') for (const i of plan.keys()) if (random.int(8) === 0) plan.set(i, 'fork-view');
  return plan;
}

/** How a timewarp primary lies about one batch's time. */
type TimeLie = 'honest' | 'future' | 'past' | 'beyond' | 'backwards' | 'within';
const TIME_LIES: readonly TimeLie[] = ['honest', 'future', 'past', 'beyond', 'backwards', 'within'];
const HOUR_MS = 3_600_000;

/**
 * The timestamp a timewarp primary proposes instead of `ts`: an hour ahead or
 * behind, 2–6 s past the bound ahead or behind, 50–1,049 ms earlier (usually
 * before its previous batch), or ahead by at most half the bound (a lie the
 * backups accept when it is after the previous batch). Never negative: a
 * virtual clock starts at 0, so early in a run "behind" lies may land within
 * the bound, and are then accepted.
 */
function warpedTime(lie: TimeLie, ts: number, skew: number, random: Random): number {
  switch (lie) {
    case 'honest':
      return ts;
    case 'future':
      return ts + HOUR_MS;
    case 'past':
      return Math.max(0, ts - HOUR_MS);
    case 'beyond': {
      const by = skew + 2000 + random.int(4000);
      return random.int(2) === 0 ? ts + by : Math.max(0, ts - by);
    }
    case 'backwards':
      return Math.max(0, ts - 50 - random.int(1000));
    case 'within':
      return ts + 1 + random.int(Math.max(1, Math.floor(skew / 2)));
  }
}

/**
 * Wraps a Byzantine replica's transport with `strategy`. Incoming messages are
 * untouched (the replica code still sees them); the `replay` strategy also
 * records them to re-send later.
 */
export function byzantineTransport(inner: Transport, strategy: ConcreteStrategy, ctx: ByzantineContext): Transport {
  const { self, replicas, crypto, secretKey, deployment, random, post, note } = ctx;
  const sign = <M extends ReplicaMessage>(body: M) => signMessage(crypto, secretKey, body, deployment);
  const signedBytes = async (body: ReplicaMessage) => encodeWire({ kind: 'signed', signed: await sign(body) });
  const others = replicas.filter((r) => r !== self);
  // Equivocation: per (view, seq) the other replicas are split into groups, each
  // sent its own variant of the batch. Either two halves (at n = 4 one half can
  // still prepare and commit with the primary's help) or groups of at most
  // 2f−1 replicas, so that no variant can gather the 2f PREPAREs it needs.
  const f = Math.floor((replicas.length - 1) / 3);
  const splits = new Map<string, Map<string, number>>();
  const groupOf = (view: number, seq: number, to: string): number => {
    const key = `${view}:${seq}`;
    let split = splits.get(key);
    if (split === undefined) {
      split = new Map();
      const size = random.int(2) === 0 ? Math.ceil(others.length / 2) : Math.max(1, 2 * f - 1);
      others.forEach((r, i) => split?.set(r, Math.floor(i / size)));
      splits.set(key, split);
    }
    return split.get(to) ?? 0;
  };
  const wrong = (d: Uint8Array) => hash(concatBytes(d, Uint8Array.of(0xbd)));
  const forgedDigest = (seq: number) => hash(concatBytes(Uint8Array.of(0xf0), Uint8Array.from(String(seq), (c) => c.charCodeAt(0))));
  const equivocations = new Map<string, Promise<{ pp: Uint8Array; digest: Uint8Array }>>();
  /** Timewarp: per `view:seq`, the lie told and the re-signed pre-prepare (undefined: told the truth). */
  const warps = new Map<string, Promise<{ lie: TimeLie; pp: Uint8Array; digest: Uint8Array } | undefined>>();
  const warp = (pp: PrePrepare) => {
    const key = `${pp.view}:${pp.seq}`;
    let p = warps.get(key);
    if (p === undefined) {
      const lie = TIME_LIES[random.int(TIME_LIES.length)] as TimeLie;
      const timestamp = warpedTime(lie, pp.timestamp, ctx.maxClockSkewMs, random);
      if (timestamp === pp.timestamp) p = Promise.resolve(undefined);
      else {
        const digest = batchDigest(timestamp, pp.batch);
        p = signedBytes({ ...pp, timestamp, digest }).then((b) => ({ lie, pp: b, digest }));
      }
      warps.set(key, p);
    }
    return p;
  };
  const commits = new Map<string, Promise<Uint8Array>>();
  const derived = new WeakMap<Uint8Array, Promise<Uint8Array[]>>();
  const once = (bytes: Uint8Array, make: () => Promise<Uint8Array[]>): Promise<Uint8Array[]> => {
    let p = derived.get(bytes);
    if (p === undefined) {
      p = make();
      derived.set(bytes, p);
    }
    return p;
  };
  const recorded: { bytes: Uint8Array; view: number; label: string }[] = [];
  let maxView = 0;
  const forgedViews = new Set<number>();

  const viewOf = (body: ReplicaMessage): number => ('view' in body ? body.view : -1);
  const record = (bytes: Uint8Array) => {
    const wire = tryDecodeWire(bytes);
    if (wire?.kind !== 'signed') return;
    const view = viewOf(wire.signed.body);
    maxView = Math.max(maxView, view);
    const entry = { bytes, view, label: wireLabel(wire) };
    if (recorded.length < 256) recorded.push(entry);
    else recorded[random.int(recorded.length)] = entry;
  };
  if (strategy === 'replay') inner.onMessage((m) => record(m.bytes));

  /** Variant `g` ≥ 1 of a pre-prepare: the batch reordered or a single request dropped (g = 1), or re-timestamped. */
  const equivocate = (pp: PrePrepare, g: number) => {
    const key = `${pp.view}:${pp.seq}:${g}`;
    let p = equivocations.get(key);
    if (p === undefined) {
      let batch = pp.batch;
      let timestamp = pp.timestamp;
      if (g === 1 && batch.length >= 2) batch = [...batch].reverse();
      else if (g === 1 && batch.length === 1 && random.int(2) === 0) batch = [];
      else timestamp += g;
      const digest = batchDigest(timestamp, batch);
      p = signedBytes({ ...pp, batch, timestamp, digest }).then((b) => ({ pp: b, digest }));
      equivocations.set(key, p);
    }
    return p;
  };

  /** Fork-view: per peer left out of a NEW-VIEW, the conflicting frames it was sent instead, and when they were last sent. */
  const forked = new Map<string, { view: number; frames: Uint8Array[]; sentAt: number }>();
  /** The conflicting pre-prepares (variant 1, see {@link equivocate}) and this replica's COMMITs for them, for a NEW-VIEW's O. */
  const forkFrames = async (nv: NewView): Promise<Uint8Array[]> => {
    const out: Uint8Array[] = [];
    for (const pp of nv.prePrepares) {
      const v = await equivocate(pp.body, 1);
      out.push(v.pp, await signedBytes({ type: 'commit', view: nv.view, seq: pp.body.seq, digest: v.digest, replica: self } satisfies Vote));
    }
    return out;
  };
  const resendFork = (to: string): void => {
    const f = forked.get(to);
    if (f === undefined || ctx.clock.now() - f.sentAt < ctx.viewChangeTimeoutMs / 2) return;
    f.sentAt = ctx.clock.now();
    note('fork-view resend');
    for (const b of f.frames) post(to, b, `fork-view/${f.view} again`);
  };

  // the replica sends one byte array to each peer in turn: decode it once
  let lastBytes: Uint8Array | undefined;
  let lastWire: ReturnType<typeof tryDecodeWire>;
  const send = async (to: string, bytes: Uint8Array): Promise<void> => {
    if (bytes !== lastBytes) {
      lastBytes = bytes;
      lastWire = tryDecodeWire(bytes);
    }
    const wire = lastWire;
    if (wire === undefined) return post(to, bytes, 'malformed');
    const label = wireLabel(wire);
    switch (strategy) {
      case 'silent':
        note('silent');
        return;
      case 'slow': {
        const delay = Math.round(ctx.viewChangeTimeoutMs * (0.4 + 0.8 * random.float()));
        note('slow');
        ctx.clock.setTimeout(() => post(to, bytes, `${label} slow+${delay}`), delay);
        return;
      }
      case 'replay': {
        post(to, bytes, label);
        record(bytes);
        if (recorded.length > 0 && random.float() < 0.3) {
          const old = recorded.filter((r) => r.view < maxView);
          const pool = old.length > 0 ? old : recorded;
          const pick = pool[random.int(pool.length)] as (typeof recorded)[number];
          note('replay');
          post(to, pick.bytes, `replay ${pick.label}`);
        }
        return;
      }
      case 'wrong-digest': {
        if (wire.kind === 'request' || wire.kind === 'requests') return post(to, bytes, label);
        if (wire.kind === 'replies') {
          note('lying-reply');
          const lies = wire.replies.map((m) => ({ ...m, result: encodeTicketResult({ status: 'ok' }) }));
          return post(to, encodeReplies(self, lies), `lie ${label}`);
        }
        const b = wire.signed.body;
        if (b.replica === self && (b.type === 'prepare' || b.type === 'commit' || b.type === 'checkpoint' || b.type === 'pre-prepare')) {
          const [out] = await once(bytes, async () => [await signedBytes({ ...b, digest: wrong(b.digest) })]);
          note(`wrong-digest ${b.type}`);
          return post(to, out as Uint8Array, `wrong ${label}`);
        }
        // state transfer: a tampered snapshot, manifest or part (the receiver checks each against the certified digest)
        if (b.replica === self && b.type === 'state-response' && (b.snapshot.length > 0 || b.manifest.length > 0)) {
          const [out] = await once(bytes, async () => [await signedBytes(b.manifest.length > 0 ? { ...b, manifest: flipped(b.manifest, 2) } : { ...b, snapshot: flipped(b.snapshot, b.snapshot.length - 1) })]);
          note('wrong-digest state-response');
          return post(to, out as Uint8Array, `wrong ${label}`);
        }
        if (b.replica === self && b.type === 'state-chunk' && b.parts.some((p) => p.length > 1)) {
          const i = b.parts.findIndex((p) => p.length > 1);
          const [out] = await once(bytes, async () => [await signedBytes({ ...b, parts: b.parts.map((p, j) => (j === i ? flipped(p, p.length - 1) : p)) })]);
          note('wrong-digest state-chunk');
          return post(to, out as Uint8Array, `wrong ${label}`);
        }
        return post(to, bytes, label);
      }
      case 'forge': {
        post(to, bytes, label);
        if (wire.kind === 'request' || wire.kind === 'requests') return;
        if (wire.kind === 'replies') {
          const claim = others.find((r) => r !== to) ?? self;
          note('forged-reply');
          const forged = wire.replies.map((m) => ({ ...m, result: encodeTicketResult({ status: 'ok' }) }));
          return post(to, encodeReplies(claim, forged), `forge reply as ${claim}`);
        }
        const b = wire.signed.body;
        if ('view' in b && b.view > maxView) maxView = b.view;
        if (!forgedViews.has(maxView)) {
          // a NEW-VIEW "relayed" on behalf of the next view's primary, signed with our own key
          forgedViews.add(maxView);
          const v = maxView + 1;
          const claim = replicas[v % replicas.length] as string;
          if (claim !== self) {
            const nv = await signedBytes({ type: 'new-view', view: v, viewChanges: [], prePrepares: [], replica: claim } satisfies NewView);
            note('forged-new-view');
            for (const r of others) post(r, nv, `forge new-view/${v} as ${claim}`);
          }
        }
        if (b.replica !== self || (b.type !== 'prepare' && b.type !== 'commit')) return;
        const forgeries = await once(bytes, async () => {
          const digest = forgedDigest(b.seq);
          const out: Uint8Array[] = [];
          for (const r of replicas) if (r !== self) out.push(await signedBytes({ ...b, digest, replica: r } satisfies Vote));
          // our own id with a broken signature
          const mine = await sign<Vote>({ ...b, digest });
          const broken = mine.signature.slice();
          broken[0] = (broken[0] as number) ^ 0xff;
          out.push(encodeWire({ kind: 'signed', signed: { body: mine.body, signature: broken, bytes: mine.bytes } as Signed }));
          return out;
        });
        for (const f of forgeries) {
          const claimed = tryDecodeWire(f);
          const as = claimed?.kind === 'signed' ? claimed.signed.body.replica : '?';
          if (as === to) continue;
          note(`forged-${b.type}`);
          post(to, f, `forge ${label} as ${as}`);
        }
        return;
      }
      case 'timewarp': {
        if (wire.kind !== 'signed') return post(to, bytes, label);
        const b = wire.signed.body;
        if (b.replica !== self || (b.type !== 'pre-prepare' && b.type !== 'commit')) return post(to, bytes, label);
        const key = `${b.view}:${b.seq}`;
        // its own COMMIT follows the lie, so a lie the backups accept can commit with its vote too
        const w = b.type === 'pre-prepare' ? await warp(b) : await warps.get(key);
        if (w === undefined) return post(to, bytes, label);
        if (b.type === 'pre-prepare') {
          note(`timewarp ${w.lie}`);
          return post(to, w.pp, `timewarp ${w.lie} ${label}`);
        }
        const out = await (commits.get(key) ?? commits.set(key, signedBytes({ ...b, digest: w.digest })).get(key));
        return post(to, out as Uint8Array, `timewarp ${label}`);
      }
      case 'fork-view': {
        const b = wire.kind === 'signed' ? wire.signed.body : undefined;
        if (b?.type !== 'new-view' || b.replica !== self) {
          post(to, bytes, label);
          return resendFork(to);
        }
        // one group of the equivocation split gets the NEW-VIEW, the others a forked view
        if (groupOf(b.view, -1, to) === 0) {
          forked.delete(to);
          return post(to, bytes, label);
        }
        const frames = await forkFrames(b);
        forked.set(to, { view: b.view, frames, sentAt: ctx.clock.now() });
        note('fork-view');
        for (const f of frames) post(to, f, `fork-view/${b.view} ${label}`);
        return;
      }
      case 'equivocate': {
        if (wire.kind !== 'signed') return post(to, bytes, label);
        const b = wire.signed.body;
        if (b.replica !== self || (b.type !== 'pre-prepare' && b.type !== 'commit')) return post(to, bytes, label);
        if (b.type === 'commit' && !splits.has(`${b.view}:${b.seq}`)) return post(to, bytes, label);
        const g = groupOf(b.view, b.seq, to);
        if (g === 0) return post(to, bytes, label);
        if (b.type === 'pre-prepare') {
          const v = await equivocate(b, g);
          note('equivocate pre-prepare');
          return post(to, v.pp, `equivocate#${g} ${label}`);
        }
        const key = `${b.view}:${b.seq}:${g}`;
        const variant = equivocations.get(key);
        if (variant === undefined) return post(to, bytes, label);
        const v = await variant;
        const out = await (commits.get(key) ?? commits.set(key, signedBytes({ ...b, digest: v.digest })).get(key));
        note('equivocate commit');
        return post(to, out as Uint8Array, `equivocate#${g} ${label}`);
      }
    }
  };

  return {
    ...inner,
    send,
    async broadcast(bytes) {
      for (const m of inner.members) if (m !== inner.localId) await send(m, bytes);
    },
  };
}

/** A copy of `bytes` with the byte at `at` flipped. */
function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at] = (out[at] as number) ^ 0xff;
  return out;
}
