/**
 * View-change rules (Castro & Liskov §4.4): validating certificates carried in
 * VIEW-CHANGE and NEW-VIEW messages, and computing the pre-prepares a new
 * primary must re-propose. Pure apart from signature checks.
 * @module
 */
import { equalBytes } from '@admitone/core';
import { primaryOf, type ResolvedConfig } from '../config.js';
import { keyString } from './state.js';
import { batchDigest, type Checkpoint, type PrePrepare, type PreparedProof, type Signed, type ViewChange } from '../messages.js';

/** Verifies one signed message from `replica` (cached by the caller). */
export type VerifyFn = (signed: Signed) => Promise<boolean>;

/**
 * Checks a checkpoint certificate: at least a quorum (2f+1 when n = 3f+1) of valid CHECKPOINT messages
 * from distinct members for `seq`, all with the same digest. Returns that
 * digest, or `undefined`.
 */
export async function checkCheckpointProof(
  cfg: ResolvedConfig,
  verify: VerifyFn,
  proof: readonly Signed<Checkpoint>[],
  seq: number,
): Promise<Uint8Array | undefined> {
  const first = proof[0];
  if (first === undefined) return undefined;
  const digest = first.body.digest;
  const seen = new Set<string>();
  for (const m of proof) {
    if (m.body.seq !== seq || !equalBytes(m.body.digest, digest) || !cfg.keyOf.has(m.body.replica) || seen.has(m.body.replica)) continue;
    if (await verify(m)) seen.add(m.body.replica);
  }
  return seen.size >= cfg.quorum ? digest : undefined;
}

/**
 * Checks a prepared certificate: a pre-prepare signed by the primary of its
 * view whose digest matches its batch, and `prepareQuorum` (2f when
 * n = 3f+1) PREPAREs from distinct non-primary members matching `(view, seq, digest)`.
 */
export async function checkPreparedProof(cfg: ResolvedConfig, verify: VerifyFn, p: PreparedProof): Promise<boolean> {
  const pp = p.prePrepare.body;
  const primary = primaryOf(cfg, pp.view);
  if (pp.replica !== primary) return false;
  if (!equalBytes(pp.digest, batchDigest(pp.timestamp, pp.batch))) return false;
  if (!(await verify(p.prePrepare))) return false;
  const seen = new Set<string>();
  for (const v of p.prepares) {
    const b = v.body;
    if (b.type !== 'prepare' || b.view !== pp.view || b.seq !== pp.seq || !equalBytes(b.digest, pp.digest)) continue;
    if (b.replica === primary || !cfg.keyOf.has(b.replica) || seen.has(b.replica)) continue;
    if (await verify(v)) seen.add(b.replica);
  }
  return seen.size >= cfg.prepareQuorum;
}

/**
 * Fully checks a VIEW-CHANGE: its signature, its checkpoint proof (unless
 * `stableSeq` is 0) and every prepared certificate, which must be for
 * distinct sequence numbers above `stableSeq`, in views below the target view.
 */
export async function checkViewChange(cfg: ResolvedConfig, verify: VerifyFn, vc: Signed<ViewChange>): Promise<boolean> {
  const b = vc.body;
  if (!cfg.keyOf.has(b.replica)) return false;
  if (!(await verify(vc))) return false;
  if (b.stableSeq > 0) {
    const d = await checkCheckpointProof(cfg, verify, b.checkpointProof, b.stableSeq);
    if (d === undefined) return false;
  }
  const seqs = new Set<number>();
  for (const p of b.prepared) {
    const pp = p.prePrepare.body;
    if (pp.seq <= b.stableSeq || pp.seq > b.stableSeq + cfg.L || pp.view >= b.view || seqs.has(pp.seq)) return false;
    seqs.add(pp.seq);
    if (!(await checkPreparedProof(cfg, verify, p))) return false;
  }
  return true;
}

/** What the new primary must propose, derived from a quorum of view changes. */
export interface NewViewPlan {
  /** The highest stable checkpoint among the view changes. */
  readonly minS: number;
  /** The view change that proves `minS` (its checkpoint proof). */
  readonly minSSource: ViewChange | undefined;
  /** One entry per sequence number in `(minS, maxS]`: re-propose `source`, or a null request. */
  readonly slots: readonly { readonly seq: number; readonly source: PrePrepare | undefined }[];
}

/** Computes the NEW-VIEW plan from validated view changes (Castro & Liskov's O set). */
/**
 * The highest sequence number a NEW-VIEW made from `plan` decides: its last
 * slot's, or `minS` when it re-proposes nothing. Its primary may propose
 * only above it.
 */
export function newViewFloor(plan: NewViewPlan): number {
  return plan.slots.reduce((a, s) => Math.max(a, s.seq), plan.minS);
}

export function planNewView(vcs: readonly ViewChange[]): NewViewPlan {
  let minS = 0;
  let minSSource: ViewChange | undefined;
  for (const vc of vcs) {
    if (vc.stableSeq > minS || minSSource === undefined) {
      if (vc.stableSeq >= minS) {
        minS = vc.stableSeq;
        minSSource = vc;
      }
    }
  }
  const best = new Map<number, PrePrepare>();
  let maxS = minS;
  for (const vc of vcs) {
    for (const p of vc.prepared) {
      const pp = p.prePrepare.body;
      if (pp.seq <= minS) continue;
      const cur = best.get(pp.seq);
      if (cur === undefined || pp.view > cur.view) best.set(pp.seq, pp);
      if (pp.seq > maxS) maxS = pp.seq;
    }
  }
  const slots = [];
  for (let seq = minS + 1; seq <= maxS; seq++) slots.push({ seq, source: best.get(seq) });
  return { minS, minSSource: minS > 0 ? minSSource : undefined, slots };
}

/** A stable in-memory key for `(view, seq, digest)` (the digest one char per byte: shorter and cheaper than hex). */
export function voteKey(view: number, seq: number, digest: Uint8Array): string {
  return `${view}:${seq}:${keyString(digest)}`;
}
