/**
 * Reconnection delays: exponential backoff with "equal jitter" (half the base
 * delay fixed, half uniformly random), drawn from the injected `Random` so
 * that runs under a seeded generator are repeatable.
 * @module
 */
import type { Random } from '@admitone/core';

/**
 * The delay before retry number `attempt` (0 for the first retry): a base of
 * `minMs · 2^attempt`, capped at `maxMs`, of which a uniformly random half is
 * kept: the result lies in `[base / 2, base]`.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: Random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  const half = base / 2;
  return Math.round(half + random.float() * half);
}
