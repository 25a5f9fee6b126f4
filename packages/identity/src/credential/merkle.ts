/**
 * A binary Merkle tree over credential leaves, so that the committee signs one
 * FROST signature per *batch* of credentials instead of one per credential
 * (a FROST signing session costs tens of milliseconds of curve arithmetic per
 * member; a Merkle path costs microseconds to check).
 *
 * Shape (RFC 6962 / RFC 9162 §2.1): leaf hash `H(0x00 ‖ leaf)`, node hash
 * `H(0x01 ‖ left ‖ right)`, and a tree of `size` leaves splits at the largest
 * power of two below `size`. The two prefixes make a leaf never collide with an
 * interior node, so a path cannot be forged by presenting a node as a leaf.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** Largest batch the committee signs at once (bounds path length to 16 hashes). */
export const MAX_BATCH_SIZE = 1 << 16;

/** The hash of one leaf: `SHA-256(0x00 ‖ leaf)`. */
export function merkleLeafHash(leaf: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + leaf.length);
  input[0] = 0x00;
  input.set(leaf, 1);
  return sha256(input);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(65);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 33);
  return sha256(input);
}

function splitPoint(size: number): number {
  let k = 1;
  while (k * 2 < size) k *= 2;
  return k;
}

/**
 * Subtree roots by `(from, to)`, computed once per batch: every path reuses the
 * interior nodes, so a whole batch costs `2n − 1` hashes, not `n²`.
 */
type NodeCache = Map<number, Uint8Array>;

function rootOf(hashes: readonly Uint8Array[], from: number, to: number, cache: NodeCache): Uint8Array {
  const size = to - from;
  if (size === 1) return hashes[from] as Uint8Array;
  const key = from * (MAX_BATCH_SIZE + 1) + to;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const k = splitPoint(size);
  const root = nodeHash(rootOf(hashes, from, from + k, cache), rootOf(hashes, from + k, to, cache));
  cache.set(key, root);
  return root;
}

function pathOf(hashes: readonly Uint8Array[], index: number, from: number, to: number, out: Uint8Array[], cache: NodeCache): void {
  const size = to - from;
  if (size === 1) return;
  const k = splitPoint(size);
  if (index < from + k) {
    pathOf(hashes, index, from, from + k, out, cache);
    out.push(rootOf(hashes, from + k, to, cache));
  } else {
    pathOf(hashes, index, from + k, to, out, cache);
    out.push(rootOf(hashes, from, from + k, cache));
  }
}

/** A batch's root and every leaf's inclusion path (leaf-side sibling first). */
export interface MerkleBatch {
  /** The 32-byte root. */
  readonly root: Uint8Array;
  /** `paths[i]` proves leaf `i`. */
  readonly paths: readonly (readonly Uint8Array[])[];
}

/**
 * Builds the tree over `leaves` (1 to {@link MAX_BATCH_SIZE} byte strings) and
 * returns its root and every inclusion path.
 */
export function merkleBatch(leaves: readonly Uint8Array[]): MerkleBatch {
  if (!Array.isArray(leaves) || leaves.length === 0 || leaves.length > MAX_BATCH_SIZE) {
    throw new RangeError(`leaves must hold 1 to ${MAX_BATCH_SIZE} items`);
  }
  const hashes = leaves.map((leaf) => {
    if (!(leaf instanceof Uint8Array)) throw new TypeError('every leaf must be a Uint8Array');
    return merkleLeafHash(leaf);
  });
  const cache: NodeCache = new Map();
  const root = rootOf(hashes, 0, hashes.length, cache);
  const paths = hashes.map((_, i) => {
    const out: Uint8Array[] = [];
    pathOf(hashes, i, 0, hashes.length, out, cache);
    return out;
  });
  return { root, paths };
}

/**
 * Recomputes the root from a leaf, its index, the tree size and its path.
 * Returns `undefined` when the path has the wrong length for `(index, size)` or
 * holds an element that is not 32 bytes, so a caller compares the result with
 * the signed root and never trusts a malformed path.
 */
export function merkleRootFromPath(leaf: Uint8Array, index: number, size: number, path: readonly Uint8Array[]): Uint8Array | undefined {
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_BATCH_SIZE) return undefined;
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) return undefined;
  // Walk down from the root to learn, level by level, which side the leaf is on.
  const sides: Array<'left' | 'right'> = [];
  let from = 0;
  let to = size;
  while (to - from > 1) {
    const k = splitPoint(to - from);
    if (index < from + k) {
      sides.push('left');
      to = from + k;
    } else {
      sides.push('right');
      from += k;
    }
  }
  if (path.length !== sides.length) return undefined;
  let acc = merkleLeafHash(leaf);
  for (let level = 0; level < path.length; level++) {
    const sibling = path[level];
    if (!(sibling instanceof Uint8Array) || sibling.length !== 32) return undefined;
    const side = sides[sides.length - 1 - level];
    acc = side === 'left' ? nodeHash(acc, sibling) : nodeHash(sibling, acc);
  }
  return acc;
}
