/**
 * Bounds on a listener's *pending handshakes*: connections it accepted that
 * have not authenticated yet. Each costs a socket, an x25519 key pair, a
 * timer and buffers until `handshakeTimeoutMs`, and anyone who can reach the
 * port can open them; authenticated connections are bounded by the
 * membership instead. A connection takes a slot before its WebSocket upgrade
 * is completed (so a refused one costs no key pair) and gives it back exactly
 * once: when it authenticates, or when its socket is gone (after its
 * handshake failed or timed out, or the client left), whichever comes first.
 * Not at a failure itself: the listener then closes the socket gracefully,
 * which a client that stops reading can stretch to the close grace period
 * (`CLOSE_GRACE_MS`), and it must not open more connections meanwhile.
 *
 * Platform-neutral: the Node platform asks {@link PendingHandshakes.admit}
 * for each upgrade request and answers a refusal with HTTP 503.
 * @module
 */
import { invariant, type Clock, type Logger } from '@admitone/core';

/** A pending connection's place in the budget. */
export interface PendingSlot {
  /** Gives the slot back. Idempotent: only the first call counts. */
  release(): void;
}

/** Which limit refused a connection. */
export type PendingLimit = 'total' | 'per-address';

/** The outcome of {@link PendingHandshakes.admit}. */
export type Admission =
  | { readonly status: 'admitted'; readonly slot: PendingSlot }
  | { readonly status: 'refused'; readonly limit: PendingLimit };

/** A listener's pending-handshake budget. */
export interface PendingHandshakes {
  /**
   * Takes a slot for a connection from `address` (the socket's remote IP
   * address; `remote` is `address:port`, for the log), or refuses it: the
   * refusal is counted in {@link PendingHandshakes.refusals} and logged (at
   * most one warning per {@link REFUSAL_LOG_INTERVAL_MS}, carrying how many
   * were not logged since the last one).
   */
  admit(address: string | undefined, remote: string): Admission;
  /** Slots currently taken. */
  readonly size: number;
  /** Connections refused so far. */
  readonly refusals: number;
}

/** Options of {@link pendingHandshakes}. */
export interface PendingHandshakesOptions {
  /** Most pending connections in all. */
  readonly total: number;
  /** Most pending connections from one IP address (≤ `total`). */
  readonly perAddress: number;
  /** For rate-limiting the refusal warnings. */
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The log `reason` of a refusal. */
export const PENDING_LIMIT_REASON = 'pending handshake limit';

/** Under a flood, at most one refusal warning per this many ms. */
export const REFUSAL_LOG_INTERVAL_MS = 1_000;

/** Creates an empty budget. */
export function pendingHandshakes(options: PendingHandshakesOptions): PendingHandshakes {
  const { total, perAddress, clock, logger } = options;
  const byAddress = new Map<string, number>();
  let size = 0;
  let refusals = 0;
  let lastLoggedAt = -Infinity;
  let unlogged = 0;

  function refuse(limit: PendingLimit, address: string, remote: string): Admission {
    refusals++;
    const now = clock.now();
    if (now - lastLoggedAt < REFUSAL_LOG_INTERVAL_MS) {
      unlogged++;
    } else {
      logger.warn('connection refused before its handshake', {
        reason: PENDING_LIMIT_REASON,
        limit,
        remote,
        address,
        pending: size,
        pendingFromAddress: byAddress.get(address) ?? 0,
        ...(unlogged === 0 ? {} : { notLogged: unlogged }),
      });
      lastLoggedAt = now;
      unlogged = 0;
    }
    return { status: 'refused', limit };
  }

  return {
    admit(rawAddress, remote) {
      const address = addressKey(rawAddress);
      const fromAddress = byAddress.get(address) ?? 0;
      if (size >= total) return refuse('total', address, remote);
      if (fromAddress >= perAddress) return refuse('per-address', address, remote);
      size++;
      byAddress.set(address, fromAddress + 1);
      let released = false;
      const slot: PendingSlot = {
        release() {
          if (released) return;
          released = true;
          const left = (byAddress.get(address) ?? 0) - 1;
          invariant(left >= 0 && size > 0, 'a pending-handshake slot is released once');
          if (left === 0) byAddress.delete(address);
          else byAddress.set(address, left);
          size--;
        },
      };
      return { status: 'admitted', slot };
    },
    get size() {
      return size;
    },
    get refusals() {
      return refusals;
    },
  };
}

/** `::ffff:a.b.c.d`, also written out (`0:0:0:0:0:ffff:a.b.c.d`) or partly compressed (`0::ffff:a.b.c.d`). */
const IPV4_MAPPED = /^(?:(?:0{1,4}:){5}|(?:0{1,4}(?::0{1,4}){0,3})?::)ffff:(\d{1,3}(?:\.\d{1,3}){3})$/;

/**
 * The key a remote address is counted under: IPv4-mapped IPv6 addresses
 * (`::ffff:1.2.3.4`, as a dual-stack socket reports IPv4 clients) count as
 * the IPv4 address, and IPv6 addresses are compared in lower case. An
 * unknown address (the socket is already gone) shares one key.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address.length === 0) return 'unknown';
  const lower = address.toLowerCase();
  const mapped = IPV4_MAPPED.exec(lower);
  return mapped === null ? lower : (mapped[1] as string);
}
