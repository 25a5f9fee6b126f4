/**
 * Rotating holder codes (SafeTix-style proof of possession): the holder's
 * wallet signs `(ticketId, version, step)` every time step; a gate checks the
 * signature offline against the ticket's current holder key.
 * @module
 */
import type { CryptoProvider } from '../crypto/types.js';
import { encode } from '../codec/cbor.js';
import type { TicketId } from '../codec/hash.js';
import type { RotatingCode } from './types.js';

const CODE_DOMAIN = 'admitone/code/v1';

/** The time step of `timeMs` for steps of `stepMs`. */
export function stepOf(timeMs: number, stepMs: number): number {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) throw new RangeError('timeMs must be a non-negative safe integer');
  if (!Number.isSafeInteger(stepMs) || stepMs <= 0) throw new RangeError('stepMs must be a positive integer');
  return Math.floor(timeMs / stepMs);
}

/** The exact bytes a holder signs for a rotating code. */
export function rotatingCodeMessage(ticketId: TicketId, version: number, step: number): Uint8Array {
  return encode([CODE_DOMAIN, ticketId, version, step]);
}

/** Makes the rotating code of a ticket for the step containing `timeMs`. */
export async function createRotatingCode(
  crypto: CryptoProvider,
  holderSecretKey: Uint8Array,
  ticket: { readonly ticketId: TicketId; readonly version: number },
  timeMs: number,
  stepMs = 30_000,
): Promise<RotatingCode> {
  const step = stepOf(timeMs, stepMs);
  const holder = await crypto.getPublicKey(holderSecretKey);
  const signature = await crypto.sign(rotatingCodeMessage(ticket.ticketId, ticket.version, step), holderSecretKey);
  return { holder, version: ticket.version, step, signature };
}
