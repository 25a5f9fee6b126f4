/**
 * The replica's durable state on a {@link Storage}: view, stable checkpoint,
 * accepted pre-prepares, the replica's own votes and commit certificates.
 * Everything is written *before* the replica acts on it (sends a message),
 * so a restarted replica never reuses a sequence number or contradicts a vote.
 * @module
 */
import { decode, encode, readArray, readBytes, readInt, readRecord, type BatchOp, type Storage } from '@admitone/core';
import { decodeSigned, encodeSigned, type Checkpoint, type CommittedEntry, type PrePrepare, type PreparedProof, type Signed, type Vote } from '../messages.js';

const VIEW_KEY = new Uint8Array([0x76]); // 'v'
const CKPT_KEY = new Uint8Array([0x63]); // 'c'
const PP = 0x70; // 'p' seq view
const VOTE = 0x73; // 's' seq view kind
const CERT = 0x78; // 'x' seq
const PREPARED = 0x71; // 'q' seq view: prepared certificates

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

/** A persisted stable checkpoint. */
export interface StoredCheckpoint {
  readonly seq: number;
  readonly snapshot: Uint8Array;
  readonly proof: readonly Signed<Checkpoint>[];
}

/** Everything a replica reloads at start. */
export interface LoadedState {
  readonly view: number;
  readonly checkpoint: StoredCheckpoint | undefined;
  readonly prePrepares: readonly Signed<PrePrepare>[];
  readonly votes: readonly Signed<Vote>[];
  readonly certs: readonly CommittedEntry[];
  readonly prepared: readonly PreparedProof[];
}

/** Typed access to the replica's storage. */
export interface ReplicaStore {
  load(): Promise<LoadedState>;
  saveView(view: number): Promise<void>;
  /** Persists an accepted pre-prepare and, optionally, this replica's vote on it, atomically. */
  savePrePrepare(pp: Signed<PrePrepare>, vote?: Signed<Vote>): Promise<void>;
  saveVote(vote: Signed<Vote>): Promise<void>;
  saveCommitCert(entry: CommittedEntry): Promise<void>;
  /** Persists a prepared certificate and this replica's COMMIT for it, atomically (before the COMMIT is sent). */
  savePrepared(cert: PreparedProof, commit: Signed<Vote>): Promise<void>;
  /** Persists a new stable checkpoint and deletes log entries at or below it. */
  saveCheckpoint(ckpt: StoredCheckpoint): Promise<void>;
}

/** Wraps `storage` with the replica's key layout. */
export function replicaStore(storage: Storage): ReplicaStore {
  return {
    async load() {
      const v = await storage.get(VIEW_KEY);
      const view = v === undefined ? 0 : readInt(decode(v), 'view');
      const c = await storage.get(CKPT_KEY);
      let checkpoint: StoredCheckpoint | undefined;
      if (c !== undefined) {
        const r = readRecord(decode(c, { maxBytes: 1 << 30 }), 'checkpoint', ['n', 'x', 'c']);
        checkpoint = {
          seq: readInt(r['n'], 'checkpoint.n', 1),
          snapshot: readBytes(r['x'], 'checkpoint.x'),
          proof: readArray(r['c'], 'checkpoint.c').map((b, i) => decodeSigned(readBytes(b, `checkpoint.c[${i}]`)) as Signed<Checkpoint>),
        };
      }
      const prePrepares: Signed<PrePrepare>[] = [];
      for await (const [, value] of storage.iterate({ prefix: new Uint8Array([PP]) })) prePrepares.push(decodeSigned(value) as Signed<PrePrepare>);
      const votes: Signed<Vote>[] = [];
      for await (const [, value] of storage.iterate({ prefix: new Uint8Array([VOTE]) })) votes.push(decodeSigned(value) as Signed<Vote>);
      const certs: CommittedEntry[] = [];
      for await (const [, value] of storage.iterate({ prefix: new Uint8Array([CERT]) })) {
        const r = readRecord(decode(value, { maxBytes: 1 << 26 }), 'cert', ['pp', 'cs']);
        certs.push({
          prePrepare: decodeSigned(readBytes(r['pp'], 'cert.pp')) as Signed<PrePrepare>,
          commits: readArray(r['cs'], 'cert.cs').map((b, i) => decodeSigned(readBytes(b, `cert.cs[${i}]`)) as Signed<Vote>),
        });
      }
      const prepared: PreparedProof[] = [];
      for await (const [, value] of storage.iterate({ prefix: new Uint8Array([PREPARED]) })) {
        const r = readRecord(decode(value, { maxBytes: 1 << 26 }), 'prepared', ['pp', 'ps']);
        prepared.push({
          prePrepare: decodeSigned(readBytes(r['pp'], 'prepared.pp')) as Signed<PrePrepare>,
          prepares: readArray(r['ps'], 'prepared.ps').map((b, i) => decodeSigned(readBytes(b, `prepared.ps[${i}]`)) as Signed<Vote>),
        });
      }
      return { view, checkpoint, prePrepares, votes, certs, prepared };
    },
    saveView(view) {
      return storage.put(VIEW_KEY, encode(view));
    },
    savePrePrepare(pp, vote) {
      const ops: BatchOp[] = [{ type: 'put', key: seqKey(PP, pp.body.seq, pp.body.view), value: encodeSigned(pp) }];
      if (vote !== undefined) ops.push({ type: 'put', key: seqKey(VOTE, vote.body.seq, vote.body.view, vote.body.type === 'prepare' ? 1 : 2), value: encodeSigned(vote) });
      return storage.batch(ops);
    },
    saveVote(vote) {
      return storage.put(seqKey(VOTE, vote.body.seq, vote.body.view, vote.body.type === 'prepare' ? 1 : 2), encodeSigned(vote));
    },
    savePrepared(cert, commit) {
      return storage.batch([
        { type: 'put', key: seqKey(PREPARED, cert.prePrepare.body.seq, cert.prePrepare.body.view), value: encode({ pp: encodeSigned(cert.prePrepare), ps: cert.prepares.map(encodeSigned) }) },
        { type: 'put', key: seqKey(VOTE, commit.body.seq, commit.body.view, 2), value: encodeSigned(commit) },
      ]);
    },
    saveCommitCert(entry) {
      const value = encode({ pp: encodeSigned(entry.prePrepare), cs: entry.commits.map(encodeSigned) });
      return storage.put(seqKey(CERT, entry.prePrepare.body.seq), value);
    },
    async saveCheckpoint(ckpt) {
      const ops: BatchOp[] = [{ type: 'put', key: CKPT_KEY, value: encode({ n: ckpt.seq, x: ckpt.snapshot, c: ckpt.proof.map(encodeSigned) }) }];
      for (const tag of [PP, VOTE, CERT, PREPARED]) {
        for await (const [key] of storage.iterate({ gte: new Uint8Array([tag]), lt: seqKey(tag, ckpt.seq + 1) })) ops.push({ type: 'del', key });
      }
      await storage.batch(ops);
    },
  };
}
