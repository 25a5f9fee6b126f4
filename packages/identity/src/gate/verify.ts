/**
 * Gate verification: is this presentation a valid ticket for this event, held
 * by the person showing it? Offline (wallet mode) it needs no network: three
 * Ed25519 checks — the committee's credential batch signature, the
 * organizer's pass signature and the holder's rotating code — run in parallel
 * through the platform's {@link CryptoProvider}. In ID mode the gate instead
 * re-derives the event tag from the ID card through the committee (online)
 * and compares it with the credential's.
 *
 * Outcomes are results, never thrown: `{status: 'admitted'}` or
 * `{status: 'rejected', reason}` with a closed reason. Validity is checked
 * before duplication, so a forged copy of a consumed ticket is reported as
 * `invalid_signature`, not `already_consumed`. Nothing here needs Node APIs.
 * @module
 */
import {
  type Clock,
  type CryptoProvider,
  type EventId,
  type TicketId,
  bytesToHex,
  equalBytes,
  stepOf,
  systemClock,
  rotatingCodeMessage,
  checkDeploymentId,
  type DeploymentId,
} from '@admitone/core';
import { type CommitteePublicInfo, credentialStatement } from '../credential/credential.js';
import { DEFAULT_CODE_STEP_MS, type Presentation, type TicketPass, decodePresentation, decodeTicketPass, passStatement } from '../credential/pass.js';

/** Every reason a gate can give for refusing entry. */
export const ADMISSION_REJECTIONS = [
  'malformed',
  'wrong_event',
  'unknown_committee',
  'unknown_organizer',
  'not_holder',
  'expired',
  'stale_code',
  'invalid_signature',
  'identity_mismatch',
  'revoked',
  'refunded',
  'already_consumed',
] as const;
/** A reason for refusing entry. */
export type AdmissionRejection = (typeof ADMISSION_REJECTIONS)[number];

/** The outcome of a gate check. */
export type AdmissionResult =
  | {
      readonly status: 'admitted';
      readonly eventId: EventId;
      readonly ticketId: TicketId;
      readonly version: number;
      readonly holderKey: Uint8Array;
      /** The holder's event tag (per-person pseudonym for this event). */
      readonly eventTag: Uint8Array;
    }
  | {
      readonly status: 'rejected';
      readonly reason: AdmissionRejection;
      /** The ticket, when the presentation was well-formed enough to name one. */
      readonly ticketId?: TicketId;
    };

/** What the gate knows locally about a ticket (from its synced ledger view or offline queue). */
export interface LocalTicketStatus {
  /** A terminal state the gate already knows about. */
  readonly state?: 'consumed' | 'revoked' | 'refunded';
  /** The newest ownership version the gate has seen; older passes are stale copies. */
  readonly version?: number;
}

/** The gate's configuration for one event. */
export interface GatePolicy {
  /**
   * The deployment (ledger) this gate serves: a pass of any other deployment
   * is refused as `wrong_event`, and holder codes are checked for this one.
   */
  readonly deployment: DeploymentId;
  /** The event this gate admits to. */
  readonly eventId: EventId;
  /** The identity committee whose credentials are accepted. */
  readonly committee: CommitteePublicInfo;
  /** Public keys allowed to sign passes for this event. */
  readonly organizerKeys: readonly Uint8Array[];
  /** Ed25519 provider (WebCrypto where available, else noble). */
  readonly crypto: CryptoProvider;
  /** Rotating-code time step; default {@link DEFAULT_CODE_STEP_MS} (15 s). */
  readonly stepMs?: number;
  /** Accepted clock skew in whole steps on either side; default 1. */
  readonly skewSteps?: number;
  /** Local knowledge of tickets (consumed, revoked, newer version). */
  readonly ticketStatus?: (ticketId: TicketId) => LocalTicketStatus | undefined;
  /** Time source; default the system clock. */
  readonly clock?: Clock;
  /** How many verified credential batch signatures to remember (0 disables); default 4,096. */
  readonly cacheSize?: number;
}

/** Counters a gate exposes for its metrics. */
export interface GateStats {
  /** Presentations admitted. */
  readonly admitted: number;
  /** Rejections by reason. */
  readonly rejected: Readonly<Record<AdmissionRejection, number>>;
  /** Credential batch signatures answered from the cache. */
  readonly cacheHits: number;
}

/** Options of one gate check. */
export interface VerifyOptions {
  /**
   * The gate's time in ms since the epoch (default: the policy's clock). A
   * fractional time (e.g. `performance.timeOrigin + performance.now()`) is
   * rounded down to whole milliseconds. A value that is not a number throws a
   * `TypeError`, and a negative or non-finite one a `RangeError`, synchronously
   * (a programming error, not a verdict); the same holds for a clock that
   * returns such a value.
   */
  readonly now?: number;
}

/** A reusable gate verifier; see {@link createGateVerifier}. */
export interface GateVerifier {
  /**
   * Offline (wallet-mode) check of a presentation (its QR bytes, or decoded).
   * Never rejects for anything the presentation holds: whatever a scanned code
   * contains gives a result, `malformed` when it cannot be checked at all. It
   * throws only for a bad `options.now` (see {@link VerifyOptions.now}).
   */
  verify(presentation: Uint8Array | Presentation, options?: VerifyOptions): Promise<AdmissionResult>;
  /**
   * ID-mode check: verifies the pass's signatures (no rotating code), then
   * compares the credential's event tag with `deriveEventTag()` — the tag the
   * committee derives from the ID card the person shows. A failed derivation
   * rejects the promise (it is an operational failure, not a verdict), and so
   * does a `ticketStatus` callback that throws; a bad pass never does. It
   * throws for a bad `options.now` (see {@link VerifyOptions.now}).
   */
  verifyByIdentity(
    pass: Uint8Array | TicketPass,
    deriveEventTag: (eventId: EventId) => Promise<Uint8Array>,
    options?: VerifyOptions,
  ): Promise<AdmissionResult>;
  /** Counters since creation. */
  stats(): GateStats;
}

/**
 * Makes a gate verifier for one event. It caches verified credential batch
 * signatures (many tickets share one committee batch), never negative results.
 *
 * @example
 * ```ts
 * const gate = createGateVerifier({ deployment: 'gig/prod', eventId, committee, organizerKeys: [organizerKey], crypto: await defaultCrypto() });
 * const result = await gate.verify(qrBytes);
 * if (result.status === 'admitted') openTurnstile();
 * else showRefusal(result.reason);
 * ```
 */
export function createGateVerifier(policy: GatePolicy): GateVerifier {
  const deployment = checkDeploymentId(policy.deployment, 'policy.deployment');
  const stepMs = policy.stepMs ?? DEFAULT_CODE_STEP_MS;
  const skew = policy.skewSteps ?? 1;
  if (!Number.isSafeInteger(stepMs) || stepMs <= 0) throw new RangeError('stepMs must be a positive integer');
  if (!Number.isSafeInteger(skew) || skew < 0) throw new RangeError('skewSteps must be a non-negative integer');
  if (!(policy.committee.groupPublicKey instanceof Uint8Array) || policy.committee.groupPublicKey.length !== 32) {
    throw new RangeError('committee.groupPublicKey must be 32 bytes');
  }
  const clock = policy.clock ?? systemClock();
  const organizers = new Set(policy.organizerKeys.map((k) => bytesToHex(k)));
  const cacheSize = policy.cacheSize ?? 4096;
  const verified = new Map<string, true>(); // insertion-ordered LRU of verified (statement, signature)
  const rejected = Object.fromEntries(ADMISSION_REJECTIONS.map((r) => [r, 0])) as Record<AdmissionRejection, number>;
  let admitted = 0;
  let cacheHits = 0;

  const reject = (reason: AdmissionRejection, ticketId?: TicketId): AdmissionResult => {
    rejected[reason] += 1;
    return ticketId === undefined ? { status: 'rejected', reason } : { status: 'rejected', reason, ticketId };
  };

  /** The gate's time for one check: `options.now` or the clock, whole ms; throws for a programming error. */
  const timeOf = (options: VerifyOptions | undefined): number => {
    const now = options?.now ?? clock.now();
    if (typeof now !== 'number') throw new TypeError('now must be a number of ms since the epoch');
    if (!Number.isFinite(now) || now < 0) throw new RangeError('now must be a finite, non-negative number of ms since the epoch');
    return Math.floor(now);
  };

  /** An Ed25519 check that resolves `false` instead of rejecting (a key or signature the provider cannot even parse). */
  const verifySafely = async (signature: Uint8Array, message: Uint8Array, key: Uint8Array): Promise<boolean> => {
    try {
      return (await policy.crypto.verify(signature, message, key)) === true;
    } catch {
      return false;
    }
  };

  const checkCredential = async (pass: TicketPass, statement: Uint8Array | undefined): Promise<boolean> => {
    if (statement === undefined) return false;
    const key = cacheSize > 0 ? `${bytesToHex(statement)}.${bytesToHex(pass.credential.proof.signature)}` : '';
    if (cacheSize > 0 && verified.has(key)) {
      verified.delete(key);
      verified.set(key, true);
      cacheHits += 1;
      return true;
    }
    const ok = await verifySafely(pass.credential.proof.signature, statement, policy.committee.groupPublicKey);
    if (ok && cacheSize > 0) {
      verified.set(key, true);
      if (verified.size > cacheSize) verified.delete(verified.keys().next().value as string);
    }
    return ok;
  };

  /** Structural checks shared by both modes; returns a rejection or undefined. */
  const checkPass = (pass: TicketPass, now: number): AdmissionResult | undefined => {
    const c = pass.credential;
    if (pass.deployment !== deployment || pass.eventId !== policy.eventId || c.eventId !== pass.eventId) return reject('wrong_event', pass.ticketId);
    if (c.committeeId !== policy.committee.committeeId) return reject('unknown_committee', pass.ticketId);
    if (!organizers.has(bytesToHex(pass.organizerKey))) return reject('unknown_organizer', pass.ticketId);
    if (!equalBytes(c.holderKey, pass.holderKey)) return reject('not_holder', pass.ticketId);
    if (now < c.issuedAt - skew * stepMs || now > c.expiresAt) return reject('expired', pass.ticketId);
    return undefined;
  };

  const checkLocal = (pass: TicketPass): AdmissionResult | undefined => {
    const local = policy.ticketStatus?.(pass.ticketId);
    if (local === undefined) return undefined;
    if (local.version !== undefined && local.version > pass.version) return reject('stale_code', pass.ticketId);
    if (local.state === 'revoked') return reject('revoked', pass.ticketId);
    if (local.state === 'refunded') return reject('refunded', pass.ticketId);
    if (local.state === 'consumed') return reject('already_consumed', pass.ticketId);
    return undefined;
  };

  const admit = (pass: TicketPass): AdmissionResult => {
    admitted += 1;
    return {
      status: 'admitted',
      eventId: pass.eventId,
      ticketId: pass.ticketId,
      version: pass.version,
      holderKey: pass.holderKey,
      eventTag: pass.credential.eventTag,
    };
  };

  /**
   * The structural checks and the exact bytes of each signature check, or a rejection. Anything in a presentation
   * that cannot even be encoded (an object from an untrusted caller, a credential whose window ends before it starts)
   * is `malformed` here, before any check runs, so no check is left running when the result is known.
   */
  const prepare = (pass: TicketPass, now: number, code: Presentation['code'] | undefined): AdmissionResult | { credential: Uint8Array | undefined; pass: Uint8Array; code: Uint8Array | undefined } => {
    try {
      const structural = checkPass(pass, now);
      if (structural !== undefined) return structural;
      if (code !== undefined) {
        if (!equalBytes(code.holder, pass.holderKey) || code.version !== pass.version) return reject('stale_code', pass.ticketId);
        if (Math.abs(code.step - stepOf(now, stepMs)) > skew) return reject('stale_code', pass.ticketId);
      }
      return {
        credential: credentialStatement(pass.credential),
        pass: passStatement(pass, pass.organizerKey),
        code: code === undefined ? undefined : rotatingCodeMessage(deployment, pass.ticketId, code.version, code.step),
      };
    } catch {
      return reject('malformed');
    }
  };

  const verifyAt = async (input: Uint8Array | Presentation, now: number): Promise<AdmissionResult> => {
    let presentation: Presentation;
    try {
      presentation = input instanceof Uint8Array ? decodePresentation(input) : presentation_(input);
    } catch {
      return reject('malformed');
    }
    const { pass, code } = presentation;
    const statements = prepare(pass, now, code);
    if ('status' in statements) return statements;
    const [credentialOk, passOk, codeOk] = await Promise.all([
      checkCredential(pass, statements.credential),
      verifySafely(pass.signature, statements.pass, pass.organizerKey),
      verifySafely(code.signature, statements.code as Uint8Array, pass.holderKey),
    ]);
    if (!credentialOk || !passOk || !codeOk) return reject('invalid_signature', pass.ticketId);
    return checkLocal(pass) ?? admit(pass);
  };

  const verifyByIdentityAt = async (input: Uint8Array | TicketPass, deriveEventTag: (eventId: EventId) => Promise<Uint8Array>, now: number): Promise<AdmissionResult> => {
    let pass: TicketPass;
    try {
      pass = input instanceof Uint8Array ? decodeTicketPass(input) : pass_(input);
    } catch {
      return reject('malformed');
    }
    const statements = prepare(pass, now, undefined);
    if ('status' in statements) return statements;
    const [credentialOk, passOk] = await Promise.all([checkCredential(pass, statements.credential), verifySafely(pass.signature, statements.pass, pass.organizerKey)]);
    if (!credentialOk || !passOk) return reject('invalid_signature', pass.ticketId);
    const derived = await deriveEventTag(pass.eventId);
    if (!(derived instanceof Uint8Array) || !equalBytes(derived, pass.credential.eventTag)) return reject('identity_mismatch', pass.ticketId);
    return checkLocal(pass) ?? admit(pass);
  };

  return {
    // not async: a bad `now` throws synchronously; everything about the presentation is a result
    verify(input, options) {
      return verifyAt(input, timeOf(options));
    },

    verifyByIdentity(input, deriveEventTag, options) {
      return verifyByIdentityAt(input, deriveEventTag, timeOf(options));
    },

    stats() {
      return { admitted, rejected: { ...rejected }, cacheHits };
    },
  };
}

/**
 * One-shot offline check of a presentation (no cache). For a scanner that
 * checks many tickets, keep a {@link createGateVerifier} instead.
 */
export function verifyAdmission(presentation: Uint8Array | Presentation, policy: GatePolicy, options?: VerifyOptions): Promise<AdmissionResult> {
  return createGateVerifier({ ...policy, cacheSize: 0 }).verify(presentation, options);
}

/** Guards an already-decoded presentation's shape (objects from untrusted JS callers). */
function presentation_(p: Presentation): Presentation {
  if (typeof p !== 'object' || p === null || typeof p.code !== 'object' || p.code === null) throw new TypeError('malformed presentation');
  pass_(p.pass);
  return p;
}

/** Guards an already-decoded pass's shape (objects from untrusted JS callers). */
function pass_(p: TicketPass): TicketPass {
  if (typeof p !== 'object' || p === null || typeof p.credential !== 'object' || p.credential === null || typeof p.credential.proof !== 'object' || p.credential.proof === null) {
    throw new TypeError('malformed pass');
  }
  return p;
}
