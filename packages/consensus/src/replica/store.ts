/**
 * The replica's durable state on a {@link Storage}: view, stable checkpoint
 * (its proof and digest, and the replicated state as keyed entries), accepted
 * pre-prepares, the replica's own votes and commit certificates (which refer
 * to their pre-prepare instead of copying it). Everything is written *before*
 * the replica acts on it (sends a message), so a restarted replica never
 * reuses a sequence number or contradicts a vote.
 *
 * The state is a base (all entries at some stable checkpoint) plus one delta
 * record per later stable checkpoint, each written atomically with its
 * checkpoint: a checkpoint costs one write of its changes, O(changes). Once
 * the deltas outweigh the base, the next checkpoint reads them back, folds
 * them into a new base and drops them, so the stored size stays within a
 * small factor of the state. The stored state is also what a replica serves
 * to peers in state transfer ({@link ReplicaStore.loadState}): no copy of it
 * is kept in memory.
 *
 * The store remembers the keys of the log records it wrote or loaded, so a
 * checkpoint deletes the log below it without reading it back.
 * @module
 */
import {
  CodecError,
  decode,
  encode,
  readArray,
  readBytes,
  readInt,
  readRecord,
  sortByKey,
  type BatchOp,
  type StateEntry,
  type Storage,
} from '@admitone/core';
import { decodePairs, encodeChanges, encodePairs } from '../raw-cbor.js';
import { keyBytes, keyString } from './state.js';
import { decodeSigned, encodeSigned, type Checkpoint, type CommittedEntry, type PrePrepare, type PreparedProof, type Signed, type Vote } from '../messages.js';

const VIEW_KEY = new Uint8Array([0x76]); // 'v'
const CKPT_KEY = new Uint8Array([0x63]); // 'c'
const PP = 0x70; // 'p' seq view
const VOTE = 0x73; // 's' seq view kind
const CERT = 0x78; // 'x' seq
const PREPARED = 0x71; // 'q' seq view: prepared certificates
const BASE_KEY = new Uint8Array([0x62]); // 'b': all state entries at the base checkpoint
const DELTA = 0x64; // 'd' seq: the state changes of one stable checkpoint after the base
const DEPLOYMENT_KEY = new Uint8Array([0x44]); // 'D': the deployment the stored votes and proofs are signed for
/** Deltas may grow to twice the base, and at least to this, before a checkpoint rewrites the base. */
const MIN_COMPACT_BYTES = 4 << 20;
/** Tags of the log records a checkpoint garbage-collects. */
const LOG_TAGS = new Set([PP, VOTE, CERT, PREPARED]);

function seqOfKey(key: Uint8Array): number {
  return Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1));
}
function viewOfKey(key: Uint8Array): number {
  return Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(9));
}

function seqKey(tag: number, seq: number, view?: number, kind?: number): Uint8Array {
  const len = 9 + (view === undefined ? 0 : 8) + (kind === undefined ? 0 : 1);
  const k = new Uint8Array(len);
  const dv = new DataView(k.buffer);
  k[0] = tag;
  dv.setBigUint64(1, BigInt(seq));
  if (view !== undefined) dv.setBigUint64(9, BigInt(view));
  if (kind !== undefined) k[17] = kind;
  return k;
}

/** A persisted stable checkpoint (its state is stored as entries beside it). */
export interface StoredCheckpoint {
  readonly seq: number;
  /** The certified state digest. */
  readonly digest: Uint8Array;
  readonly proof: readonly Signed<Checkpoint>[];
}

/** The state written with a stable checkpoint (see {@link ReplicaStore.saveCheckpoint}). */
export type CheckpointWrite =
  /** The changes since the previous stable checkpoint: key (one char per byte) → value, `undefined` for a deletion. */
  | { readonly changes: ReadonlyMap<string, Uint8Array | undefined> }
  /** The whole new state (after state transfer). */
  | { readonly replace: readonly StateEntry[] };

/** Everything a replica reloads at start. */
export interface LoadedState {
  readonly view: number;
  /**
   * Whether the replica had sent its VIEW-CHANGE for `view` and not yet
   * entered it through a NEW-VIEW. Such a replica must resume the view change
   * after a restart: taking part in `view` without its NEW-VIEW would let a
   * Byzantine primary skip re-proposing what committed in earlier views.
   */
  readonly viewChanging: boolean;
  /**
   * For a view entered through a NEW-VIEW: the highest sequence number that
   * NEW-VIEW assigned (its last pre-prepare's, or its checkpoint's). The
   * view's primary may not propose at or below it outside the NEW-VIEW.
   * 0 otherwise.
   */
  readonly viewFloor: number;
  readonly checkpoint: StoredCheckpoint | undefined;
  /** The state at the stable checkpoint, in ascending key order (empty without a checkpoint). */
  readonly entries: readonly StateEntry[];
  readonly prePrepares: readonly Signed<PrePrepare>[];
  readonly votes: readonly Signed<Vote>[];
  readonly certs: readonly CommittedEntry[];
  readonly prepared: readonly PreparedProof[];
}

/** Typed access to the replica's storage. */
export interface ReplicaStore {
  /**
   * Ties the storage to `deployment`: records it with the first write, and returns the
   * deployment recorded before when it is another (a replica pointed at the
   * data of another deployment, whose signed log and proofs are worthless
   * here), `undefined` otherwise. Storage written before the record existed
   * is adopted.
   */
  bindDeployment(deployment: string): Promise<string | undefined>;
  load(): Promise<LoadedState>;
  /**
   * Persists the view and whether this replica is still changing to it
   * (`changing`: it sent its VIEW-CHANGE and has not entered the view).
   * Monotonic: a call that would go back, to an earlier view or from
   * "entered" to "changing" in the same view, writes nothing (so a write
   * issued late by a superseded view change cannot undo a later one).
   *
   * Every `save…` call resolves only when its records are durable, also when
   * an earlier call's write, still pending, carries them (a record already
   * written is not written again). After a write failed, every later call
   * rejects: the store is fail-stop.
   */
  saveView(view: number, changing: boolean): Promise<void>;
  /**
   * Persists entering `view` through a NEW-VIEW together with the
   * pre-prepares it re-proposes, atomically: a restarted replica that knows it
   * entered the view also knows what the NEW-VIEW assigned, so it refuses a
   * conflicting PRE-PREPARE for those sequence numbers, and the view's
   * `floor` ({@link LoadedState.viewFloor}). Monotonic like
   * {@link ReplicaStore.saveView} (the pre-prepares are written regardless).
   */
  saveNewView(view: number, prePrepares: readonly Signed<PrePrepare>[], floor: number): Promise<void>;
  /** Persists an accepted pre-prepare and, optionally, this replica's vote on it, atomically. */
  savePrePrepare(pp: Signed<PrePrepare>, vote?: Signed<Vote>): Promise<void>;
  saveVote(vote: Signed<Vote>): Promise<void>;
  /**
   * Records a commit certificate. It only speeds up recovery (a restarted
   * replica replays it instead of fetching it), so it costs no write of its
   * own: it joins the next durable write.
   */
  saveCommitCert(entry: CommittedEntry): void;
  /** Persists a prepared certificate and this replica's COMMIT for it, atomically (before the COMMIT is sent). */
  savePrepared(cert: PreparedProof, commit: Signed<Vote>): Promise<void>;
  /**
   * Persists a new stable checkpoint and its state atomically, and deletes log
   * entries at or below it. The state is either the `changes` since the
   * previous stable checkpoint or, after state transfer, `replace`: the whole
   * new state. Calls must not overlap each other or {@link ReplicaStore.loadState}.
   */
  saveCheckpoint(ckpt: StoredCheckpoint, state: CheckpointWrite): Promise<void>;
  /**
   * The stored state (at the stable checkpoint), in ascending key order:
   * O(state), for state transfer. Must not overlap {@link ReplicaStore.saveCheckpoint}.
   */
  loadState(): Promise<StateEntry[]>;
}

/** Orders view records: (v, changing) < (v, entered) < (v + 1, changing). */
const viewRank = (view: number, changing: boolean): number => 2 * view + (changing ? 0 : 1);

/**
 * The view record: `{v, vc: true}` while changing to view v; once entered,
 * `{v, f}` with the NEW-VIEW's floor f ≥ 1, or the view as a bare integer
 * when there is no floor (the format before the flag and the floor existed,
 * so older stores read as "entered, no floor").
 */
function encodeView(view: number, changing: boolean, floor: number): Uint8Array {
  if (changing) return encode({ v: view, vc: true });
  return encode(floor > 0 ? { v: view, f: floor } : view);
}

function decodeView(bytes: Uint8Array): { view: number; viewChanging: boolean; viewFloor: number } {
  const d = decode(bytes);
  if (typeof d === 'number') return { view: readInt(d, 'view'), viewChanging: false, viewFloor: 0 };
  const r = readRecord(d, 'view', ['v', 'vc', 'f']);
  const view = readInt(r['v'], 'view.v');
  if (r['f'] !== undefined) {
    if (r['vc'] !== undefined) throw new CodecError('CODEC_SCHEMA', 'Stored view record: a view being changed to has no floor.');
    return { view, viewChanging: false, viewFloor: readInt(r['f'], 'view.f', 1) };
  }
  if (r['vc'] !== true) throw new CodecError('CODEC_SCHEMA', 'Stored view record: vc must be true.');
  return { view, viewChanging: true, viewFloor: 0 };
}

/**
 * Wraps `storage` with the replica's key layout. `compactionSkew` (≥ 1)
 * scales the point at which the base is rewritten; replicas of one cluster
 * pass different values so that they do not all rewrite at the same
 * checkpoint.
 */
export function replicaStore(storage: Storage, compactionSkew = 1): ReplicaStore {
  /** Sizes of the stored base and deltas (bytes), to decide when to rewrite the base. */
  let baseBytes = 0;
  let deltaBytes = 0;
  /** Keys of the stored deltas. */
  let deltaKeys: Uint8Array[] = [];
  /** `seq:view` of the pre-prepares written (or loaded): certificates refer to them instead of copying them. */
  const written = new Set<string>();
  /** Keys of the log records written (or loaded), by sequence number: a checkpoint deletes them without a scan. */
  const logKeys = new Map<number, Uint8Array[]>();
  const noteLogKey = (key: Uint8Array) => {
    const seq = seqOfKey(key);
    const keys = logKeys.get(seq);
    if (keys === undefined) logKeys.set(seq, [key]);
    else keys.push(key);
  };
  /** {@link viewRank} of the latest view record written (or loaded). */
  let savedViewRank = -1;
  /** The write of a view record, or `undefined` when it would not move the record forward. */
  const viewOp = (view: number, changing: boolean, floor = 0): BatchOp | undefined => {
    const rank = viewRank(view, changing);
    if (rank <= savedViewRank) return undefined;
    savedViewRank = rank;
    return { type: 'put', key: VIEW_KEY, value: encodeView(view, changing, floor) };
  };
  /** Commit certificates waiting for the next write. */
  let deferred: BatchOp[] = [];
  /**
   * Settles once every write issued so far is durable. Records are written
   * once (a pre-prepare; a view record at a rank already reached), so a call
   * whose records an earlier, still pending write carries must wait for that
   * write, not resolve at once: "resolved" always means "durable". After a
   * failed write it rejects for good: the store is fail-stop, and a restart
   * reloads what really is on disk.
   */
  let durable: Promise<void> = Promise.resolve();
  const write = (ops: BatchOp[]): Promise<void> => {
    const all = deferred.length === 0 ? ops : [...deferred, ...ops];
    if (all.length === 0) return durable;
    deferred = [];
    for (const op of all) if (op.type === 'put' && LOG_TAGS.has(op.key[0] as number)) noteLogKey(op.key);
    durable = Promise.all([durable, storage.batch(all)]).then(() => undefined);
    durable.catch(() => undefined); // a caller that is not waiting must not make it an unhandled rejection
    return durable;
  };
  const ppOps = (pp: Signed<PrePrepare>): BatchOp[] => {
    const id = `${pp.body.seq}:${pp.body.view}`;
    if (written.has(id)) return [];
    written.add(id);
    return [{ type: 'put', key: seqKey(PP, pp.body.seq, pp.body.view), value: encodeSigned(pp) }];
  };
  /** The stored state by key (`keyString`): the base with the deltas applied in order; also sizes `baseBytes`, `deltaBytes`, `deltaKeys`. */
  const readState = async (): Promise<Map<string, StateEntry>> => {
    const state = new Map<string, StateEntry>();
    const base = await storage.get(BASE_KEY);
    baseBytes = base?.length ?? 0;
    if (base !== undefined) for (const e of decodePairs(base, 'base', false) as StateEntry[]) state.set(keyString(e.key), e);
    deltaBytes = 0;
    deltaKeys = [];
    for await (const [key, value] of storage.iterate({ prefix: new Uint8Array([DELTA]) })) {
      deltaBytes += value.length;
      deltaKeys.push(key);
      for (const ch of decodePairs(value, 'delta', true)) {
        if (ch.value === undefined) state.delete(keyString(ch.key));
        else state.set(keyString(ch.key), { key: ch.key, value: ch.value });
      }
    }
    return state;
  };
  return {
    async bindDeployment(deployment) {
      const stored = await storage.get(DEPLOYMENT_KEY);
      if (stored === undefined) {
        // written with the store's first write, which comes before the replica's first message
        deferred.push({ type: 'put', key: DEPLOYMENT_KEY, value: encode(deployment) });
        return undefined;
      }
      let recorded: unknown;
      try {
        recorded = decode(stored);
      } catch {
        recorded = undefined;
      }
      if (typeof recorded !== 'string') throw new CodecError('CODEC_SCHEMA', 'Stored deployment id is malformed.');
      return recorded === deployment ? undefined : recorded;
    },
    async load() {
      const v = await storage.get(VIEW_KEY);
      const { view, viewChanging, viewFloor } = v === undefined ? { view: 0, viewChanging: false, viewFloor: 0 } : decodeView(v);
      savedViewRank = viewRank(view, viewChanging);
      const c = await storage.get(CKPT_KEY);
      let checkpoint: StoredCheckpoint | undefined;
      if (c !== undefined) {
        const r = readRecord(decode(c, { maxBytes: 1 << 26 }), 'checkpoint', ['n', 'd', 'c']);
        checkpoint = {
          seq: readInt(r['n'], 'checkpoint.n', 1),
          digest: readBytes(r['d'], 'checkpoint.d', 32),
          proof: readArray(r['c'], 'checkpoint.c').map((b, i) => decodeSigned(readBytes(b, `checkpoint.c[${i}]`)) as Signed<Checkpoint>),
        };
      }
      const entries = sortByKey([...(await readState()).values()]);
      logKeys.clear();
      const prePrepares: Signed<PrePrepare>[] = [];
      const ppAt = new Map<string, Signed<PrePrepare>>();
      for await (const [key, value] of storage.iterate({ prefix: new Uint8Array([PP]) })) {
        noteLogKey(key);
        const pp = decodeSigned(value) as Signed<PrePrepare>;
        prePrepares.push(pp);
        ppAt.set(`${pp.body.seq}:${pp.body.view}`, pp);
        written.add(`${pp.body.seq}:${pp.body.view}`);
      }
      // certificates name their pre-prepare by (seq, view): it was written before them, so it is there
      const ppOf = (seq: number, view: number, what: string): Signed<PrePrepare> => {
        const pp = ppAt.get(`${seq}:${view}`);
        if (pp === undefined) throw new CodecError('CODEC_SCHEMA', `Stored ${what} for seq ${seq} view ${view} has no pre-prepare.`);
        return pp;
      };
      const votes: Signed<Vote>[] = [];
      for await (const [key, value] of storage.iterate({ prefix: new Uint8Array([VOTE]) })) {
        noteLogKey(key);
        votes.push(decodeSigned(value) as Signed<Vote>);
      }
      const certs: CommittedEntry[] = [];
      // A record at or below the checkpoint (written while that checkpoint was being
      // saved) is garbage; the next checkpoint deletes it.
      const stable = checkpoint?.seq ?? 0;
      for await (const [key, value] of storage.iterate({ prefix: new Uint8Array([CERT]) })) {
        noteLogKey(key);
        if (seqOfKey(key) <= stable) continue;
        const r = readRecord(decode(value, { maxBytes: 1 << 26 }), 'cert', ['v', 'cs']);
        certs.push({
          prePrepare: ppOf(seqOfKey(key), readInt(r['v'], 'cert.v'), 'commit certificate'),
          commits: readArray(r['cs'], 'cert.cs').map((b, i) => decodeSigned(readBytes(b, `cert.cs[${i}]`)) as Signed<Vote>),
        });
      }
      const prepared: PreparedProof[] = [];
      for await (const [key, value] of storage.iterate({ prefix: new Uint8Array([PREPARED]) })) {
        noteLogKey(key);
        if (seqOfKey(key) <= stable) continue;
        const r = readRecord(decode(value, { maxBytes: 1 << 26 }), 'prepared', ['ps']);
        prepared.push({
          prePrepare: ppOf(seqOfKey(key), viewOfKey(key), 'prepared certificate'),
          prepares: readArray(r['ps'], 'prepared.ps').map((b, i) => decodeSigned(readBytes(b, `prepared.ps[${i}]`)) as Signed<Vote>),
        });
      }
      return { view, viewChanging, viewFloor, checkpoint, entries, prePrepares, votes, certs, prepared };
    },
    saveView(view, changing) {
      const op = viewOp(view, changing);
      return write(op === undefined ? [] : [op]);
    },
    saveNewView(view, prePrepares, floor) {
      const ops = prePrepares.flatMap(ppOps);
      const op = viewOp(view, false, floor);
      if (op !== undefined) ops.push(op);
      return write(ops);
    },
    savePrePrepare(pp, vote) {
      // a NEW-VIEW's pre-prepares were written when the view was entered: only the vote is new then
      const ops = ppOps(pp);
      if (vote !== undefined) ops.push({ type: 'put', key: seqKey(VOTE, vote.body.seq, vote.body.view, vote.body.type === 'prepare' ? 1 : 2), value: encodeSigned(vote) });
      return write(ops);
    },
    saveVote(vote) {
      return write([{ type: 'put', key: seqKey(VOTE, vote.body.seq, vote.body.view, vote.body.type === 'prepare' ? 1 : 2), value: encodeSigned(vote) }]);
    },
    savePrepared(cert, commit) {
      return write([
        ...ppOps(cert.prePrepare),
        { type: 'put', key: seqKey(PREPARED, cert.prePrepare.body.seq, cert.prePrepare.body.view), value: encode({ ps: cert.prepares.map(encodeSigned) }) },
        { type: 'put', key: seqKey(VOTE, commit.body.seq, commit.body.view, 2), value: encodeSigned(commit) },
      ]);
    },
    saveCommitCert(entry) {
      const value = encode({ v: entry.prePrepare.body.view, cs: entry.commits.map(encodeSigned) });
      deferred.push(...ppOps(entry.prePrepare), { type: 'put', key: seqKey(CERT, entry.prePrepare.body.seq), value });
    },
    async saveCheckpoint(ckpt, state) {
      let newBase: Iterable<StateEntry> | undefined;
      let delta: Uint8Array | undefined;
      if ('replace' in state) newBase = state.replace;
      else {
        delta = encodeChanges(state.changes);
        if (deltaBytes + delta.length > compactionSkew * Math.max(2 * baseBytes, MIN_COMPACT_BYTES)) {
          // fold the stored deltas and this one into a new base
          const all = await readState();
          for (const [k, value] of state.changes) {
            if (value === undefined) all.delete(k);
            else all.set(k, { key: keyBytes(k), value });
          }
          newBase = all.values();
          delta = undefined;
        }
      }
      // from here on synchronous up to the write: the log keys collected are exactly those written so far
      for (const id of written) if (Number(id.slice(0, id.indexOf(':'))) <= ckpt.seq) written.delete(id);
      const ops: BatchOp[] = [{ type: 'put', key: CKPT_KEY, value: encode({ n: ckpt.seq, d: ckpt.digest, c: ckpt.proof.map(encodeSigned) }) }];
      if (delta !== undefined) {
        const key = seqKey(DELTA, ckpt.seq);
        ops.push({ type: 'put', key, value: delta });
        deltaKeys.push(key);
        deltaBytes += delta.length;
      } else if (newBase !== undefined) {
        const base = encodePairs(newBase);
        ops.push({ type: 'put', key: BASE_KEY, value: base });
        for (const key of deltaKeys) ops.push({ type: 'del', key });
        deltaKeys = [];
        baseBytes = base.length;
        deltaBytes = 0;
      }
      for (const [seq, keys] of logKeys) {
        if (seq > ckpt.seq) continue;
        for (const key of keys) ops.push({ type: 'del', key });
        logKeys.delete(seq);
      }
      // deferred certificates at or below the checkpoint are garbage already
      deferred = deferred.filter((op) => (op.key[0] === PP ? seqOfKey(op.key) > ckpt.seq : !(op.key[0] === CERT && seqOfKey(op.key) <= ckpt.seq)));
      await write(ops);
    },
    async loadState() {
      return sortByKey([...(await readState()).values()]);
    },
  };
}
