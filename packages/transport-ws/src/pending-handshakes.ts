/**
 * Bounds on a listener's unauthenticated connections, in two budgets of the
 * same shape (a total and a per-IP-address limit), each holding a connection
 * during one phase:
 *
 * - *Pending handshakes*: connections it accepted that have not
 *   authenticated yet. Each costs a socket, an x25519 key pair, a timer and
 *   buffers until `handshakeTimeoutMs`, and anyone who can reach the port can
 *   open them; authenticated connections are bounded by the membership
 *   instead. A connection takes a slot before its WebSocket upgrade is
 *   completed (so a refused one costs no key pair) and gives it back exactly
 *   once: when it authenticates, or when its socket is gone (after its
 *   handshake failed or timed out, or the client left), whichever comes
 *   first. Not at a failure itself: the listener then closes the socket
 *   gracefully, which a client that stops reading can stretch to the close
 *   grace period (`CLOSE_GRACE_MS`), and it must not open more connections
 *   meanwhile.
 * - *Connections before their upgrade request* (only on a server the
 *   endpoint creates): TCP connections from the server's `'connection'`
 *   event until their upgrade request arrives (they then move to the
 *   pending-handshake budget) or their socket is gone, whichever comes
 *   first. Each costs a file descriptor for up to about `handshakeTimeoutMs`.
 *
 * A socket is in at most one budget at a time. Refusals of both share one
 * rate-limited warning.
 *
 * Platform-neutral: the Node platform asks {@link ListenerBudgets.handshakes}
 * for each upgrade request (and answers a refusal with HTTP 503), and, on its
 * own server, {@link ListenerBudgets.connections} for each TCP connection
 * (and destroys a refused one at once).
 * @module
 */
import { invariant, type Clock, type Logger } from '@admitone/core';

/** A connection's place in a budget. */
export interface PendingSlot {
  /** Gives the slot back. Idempotent: only the first call counts. */
  release(): void;
}

/**
 * Which limit refused a connection: `'total'` and `'per-address'` are the
 * pending-handshake limits, `'tcp-total'` and `'tcp-per-address'` the same
 * limits applied to TCP connections that have not sent their upgrade request.
 */
export type PendingLimit = 'total' | 'per-address' | 'tcp-total' | 'tcp-per-address';

/** The outcome of {@link AdmissionBudget.admit}. */
export type Admission =
  | { readonly status: 'admitted'; readonly slot: PendingSlot }
  | { readonly status: 'refused'; readonly limit: PendingLimit };

/** One budget of a listener: at most `total` slots, at most `perAddress` for one IP address. */
export interface AdmissionBudget {
  /**
   * Takes a slot for a connection from `address` (the socket's remote IP
   * address; `remote` is `address:port`, for the log), or refuses it: the
   * refusal is counted in {@link AdmissionBudget.refusals} and logged (at
   * most one warning per {@link REFUSAL_LOG_INTERVAL_MS} over all of a
   * listener's budgets, carrying how many were not logged since the last one).
   */
  admit(address: string | undefined, remote: string): Admission;
  /** Slots currently taken. */
  readonly size: number;
  /** Connections refused so far. */
  readonly refusals: number;
}

/** A listener's two budgets (see the module documentation). */
export interface ListenerBudgets {
  /** Upgrade requests, until the connection authenticates or its socket is gone. */
  readonly handshakes: AdmissionBudget;
  /** TCP connections to the endpoint's own server, until their upgrade request arrives or their socket is gone. */
  readonly connections: AdmissionBudget;
}

/** Options of {@link listenerBudgets}: the limits apply to each budget. */
export interface PendingHandshakesOptions {
  /** Most connections in all. */
  readonly total: number;
  /** Most connections from one IP address (≤ `total`). */
  readonly perAddress: number;
  /** For rate-limiting the refusal warnings. */
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The log `reason` of a refusal, by either budget (its `limit` field tells which). */
export const PENDING_LIMIT_REASON = 'pending handshake limit';

/** Under a flood, at most one refusal warning per this many ms. */
export const REFUSAL_LOG_INTERVAL_MS = 1_000;

/**
 * Creates a listener's empty budgets, both with the limits of `options`. The
 * refusal warning names the `limit`, `remote`, `address`, and the refusing
 * budget's counts: `pending` and `pendingFromAddress`, or
 * `connectionsBeforeUpgrade` and `connectionsBeforeUpgradeFromAddress`.
 */
export function listenerBudgets(options: PendingHandshakesOptions): ListenerBudgets {
  const { total, perAddress, clock, logger } = options;
  let lastLoggedAt = -Infinity;
  let unlogged = 0;

  function logRefusal(fields: Record<string, unknown>): void {
    const now = clock.now();
    if (now - lastLoggedAt < REFUSAL_LOG_INTERVAL_MS) {
      unlogged++;
      return;
    }
    logger.warn('connection refused before its handshake', {
      reason: PENDING_LIMIT_REASON,
      ...fields,
      ...(unlogged === 0 ? {} : { notLogged: unlogged }),
    });
    lastLoggedAt = now;
    unlogged = 0;
  }

  const budget = (limits: readonly [PendingLimit, PendingLimit], counts: readonly [string, string]): AdmissionBudget =>
    admissionBudget(total, perAddress, limits, (limit, address, remote, size, fromAddress) =>
      logRefusal({ limit, remote, address, [counts[0]]: size, [counts[1]]: fromAddress }),
    );
  return {
    handshakes: budget(['total', 'per-address'], ['pending', 'pendingFromAddress']),
    connections: budget(['tcp-total', 'tcp-per-address'], ['connectionsBeforeUpgrade', 'connectionsBeforeUpgradeFromAddress']),
  };
}

type RefusalLogger = (limit: PendingLimit, address: string, remote: string, size: number, fromAddress: number) => void;

function admissionBudget(
  total: number,
  perAddress: number,
  [totalLimit, perAddressLimit]: readonly [PendingLimit, PendingLimit],
  log: RefusalLogger,
): AdmissionBudget {
  const byAddress = new Map<string, number>();
  let size = 0;
  let refusals = 0;

  function refuse(limit: PendingLimit, address: string, remote: string): Admission {
    refusals++;
    log(limit, address, remote, size, byAddress.get(address) ?? 0);
    return { status: 'refused', limit };
  }

  return {
    admit(rawAddress, remote) {
      const address = addressKey(rawAddress);
      const fromAddress = byAddress.get(address) ?? 0;
      if (size >= total) return refuse(totalLimit, address, remote);
      if (fromAddress >= perAddress) return refuse(perAddressLimit, address, remote);
      size++;
      byAddress.set(address, fromAddress + 1);
      let released = false;
      const slot: PendingSlot = {
        release() {
          if (released) return;
          released = true;
          const left = (byAddress.get(address) ?? 0) - 1;
          invariant(left >= 0 && size > 0, 'a budget slot is released once');
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
