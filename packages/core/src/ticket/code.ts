/**
 * Rotating holder codes (SafeTix-style proof of possession): the holder's
 * wallet signs `(ticketId, version, step)` every time step; a gate checks the
 * signature offline against the ticket's current holder key.
 * @module
 */
import type { CryptoProvider } from '../crypto/types.js';
import { encode } from '../codec/cbor.js';
import type { TicketId } from '../codec/hash.js';
import { checkDeploymentId, type DeploymentId } from '../app/request.js';
import type { RotatingCode } from './types.js';

const CODE_DOMAIN = 'admitone/code/v2';

/** The time step of `timeMs` for steps of `stepMs`. */
export function stepOf(timeMs: number, stepMs: number): number {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) throw new RangeError('timeMs must be a non-negative safe integer');
  if (!Number.isSafeInteger(stepMs) || stepMs <= 0) throw new RangeError('stepMs must be a positive integer');
  return Math.floor(timeMs / stepMs);
}

/**
 * The exact bytes a holder signs for a rotating code of `ticketId` at
 * `version` and `step`, in `deployment` (so a code shown at one deployment's
 * gate is worthless at another's, even for a ticket with the same id).
 */
export function rotatingCodeMessage(deployment: DeploymentId, ticketId: TicketId, version: number, step: number): Uint8Array {
  return encode([CODE_DOMAIN, deployment, ticketId, version, step]);
}

/** What {@link createRotatingCode} signs, and when. */
export interface RotatingCodeInit {
  /** The deployment whose gates will check the code (see `DeploymentId`). */
  readonly deployment: DeploymentId;
  /** The ticket. */
  readonly ticketId: TicketId;
  /** The ticket's current version (a transfer makes older codes stale). */
  readonly version: number;
  /** A time inside the step to sign for (ms since the epoch). */
  readonly timeMs: number;
  /** Length of a time step in ms; the ledger's `codeStepMs`. Default 30 000. */
  readonly stepMs?: number;
}

/**
 * Makes the rotating code of a ticket for the step containing `init.timeMs`.
 *
 * @example
 * ```ts
 * const code = await createRotatingCode(crypto, holderKey, { deployment: 'gig/prod', ...ticket, timeMs: Date.now() });
 * ```
 * @throws TypeError for a malformed deployment id, RangeError for a bad time or step.
 */
export async function createRotatingCode(crypto: CryptoProvider, holderSecretKey: Uint8Array, init: RotatingCodeInit): Promise<RotatingCode> {
  const deployment = checkDeploymentId(init.deployment);
  const step = stepOf(init.timeMs, init.stepMs ?? 30_000);
  const holder = await crypto.getPublicKey(holderSecretKey);
  const signature = await crypto.sign(rotatingCodeMessage(deployment, init.ticketId, init.version, step), holderSecretKey);
  return { holder, version: init.version, step, signature };
}
