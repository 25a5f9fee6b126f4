/**
 * Ticket passes and gate presentations.
 *
 * A {@link TicketPass} is what a wallet holds: the organizer's signature over
 * `(eventId, ticketId, version, holderKey, credential digest)`, plus the
 * committee's event credential for the same holder key. Every ownership change
 * re-issues the pass with a higher `version` and the new holder key, so an old
 * copy stops working at the gate.
 *
 * A {@link Presentation} is what the wallet shows (as a QR code): the pass and
 * a rotating code — the holder's signature over `(ticketId, version, step)`
 * for the current time step — so a screenshot expires within one step.
 * @module
 */
import {
  type CborRecord,
  type CryptoProvider,
  type DeploymentId,
  checkDeploymentId,
  isDeploymentId,
  type EventId,
  type RotatingCode,
  type TicketId,
  CodecError,
  createRotatingCode,
  decode,
  encode,
  eventId as toEventId,
  hash,
  readBytes,
  readInt,
  readRecord,
  readString,
  ticketId as toTicketId,
} from '@admitone/core';
import { type EventCredential, credentialFromCbor, credentialToCbor, encodeCredential } from './credential.js';

/** Domain of the organizer's pass signature. */
export const PASS_DOMAIN = 'admitone/identity/ticket-pass/v2';

/** Default rotating-code time step at the gate: 15 s. */
export const DEFAULT_CODE_STEP_MS = 15_000;

/** The fields of a pass that the organizer signs. */
export interface TicketPassFields {
  /**
   * The deployment (ledger) the ticket lives on. The organizer signs it, the
   * holder's rotating code is signed for it, and a gate admits only passes of
   * its own deployment (see `DeploymentId` in `@admitone/core`).
   */
  readonly deployment: DeploymentId;
  /** The event. */
  readonly eventId: EventId;
  /** The ticket. */
  readonly ticketId: TicketId;
  /** Ownership version: incremented on every transfer or resale. */
  readonly version: number;
  /** The current holder's 32-byte Ed25519 public key. */
  readonly holderKey: Uint8Array;
  /** The committee's event credential for `holderKey`. */
  readonly credential: EventCredential;
}

/** A signed ticket pass, as a wallet stores it. */
export interface TicketPass extends TicketPassFields {
  /** The organizer's 32-byte Ed25519 public key. */
  readonly organizerKey: Uint8Array;
  /** The organizer's 64-byte signature over {@link passStatement}. */
  readonly signature: Uint8Array;
}

/** What a wallet shows at the gate. */
export interface Presentation {
  /** The pass. */
  readonly pass: TicketPass;
  /** The holder's rotating code for the current step. */
  readonly code: RotatingCode;
}

/** The exact bytes the organizer signs for a pass. */
export function passStatement(fields: TicketPassFields, organizerKey: Uint8Array): Uint8Array {
  return encode([PASS_DOMAIN, fields.deployment, fields.eventId, fields.ticketId, fields.version, fields.holderKey, organizerKey, hash(encodeCredential(fields.credential))]);
}

/** Signs a pass with the organizer's 32-byte secret key. */
export async function issueTicketPass(crypto: CryptoProvider, organizerSecretKey: Uint8Array, fields: TicketPassFields): Promise<TicketPass> {
  checkDeploymentId(fields.deployment, 'fields.deployment');
  if (!Number.isSafeInteger(fields.version) || fields.version < 0) throw new RangeError('version must be a non-negative safe integer');
  if (!(fields.holderKey instanceof Uint8Array) || fields.holderKey.length !== 32) throw new RangeError('holderKey must be 32 bytes');
  const organizerKey = await crypto.getPublicKey(organizerSecretKey);
  const signature = await crypto.sign(passStatement(fields, organizerKey), organizerSecretKey);
  return { ...fields, organizerKey, signature };
}

/**
 * Makes the holder's presentation of `pass` for the time step containing
 * `timeMs`; the rotating code is signed for the pass's deployment.
 */
export async function createPresentation(
  crypto: CryptoProvider,
  holderSecretKey: Uint8Array,
  pass: TicketPass,
  timeMs: number,
  stepMs: number = DEFAULT_CODE_STEP_MS,
): Promise<Presentation> {
  const code = await createRotatingCode(crypto, holderSecretKey, { deployment: pass.deployment, ticketId: pass.ticketId, version: pass.version, timeMs, stepMs });
  return { pass, code };
}

/** Canonical CBOR of a pass. */
export function encodeTicketPass(pass: TicketPass): Uint8Array {
  return encode(passToCbor(pass));
}

/** Strictly decodes a pass; throws {@link CodecError} on anything malformed. */
export function decodeTicketPass(bytes: Uint8Array): TicketPass {
  return passFromCbor(decode(bytes, { maxBytes: 8192 }), 'pass');
}

/** Canonical CBOR of a presentation (what the QR code carries). */
export function encodePresentation(presentation: Presentation): Uint8Array {
  const { code } = presentation;
  return encode({
    pass: passToCbor(presentation.pass),
    code: { holder: code.holder, version: code.version, step: code.step, signature: code.signature },
  });
}

/** Strictly decodes a presentation; throws {@link CodecError} on anything malformed. */
export function decodePresentation(bytes: Uint8Array): Presentation {
  const r = readRecord(decode(bytes, { maxBytes: 8192 }), 'presentation', ['pass', 'code']);
  const c = readRecord(r['code'], 'presentation.code', ['holder', 'version', 'step', 'signature']);
  return {
    pass: passFromCbor(r['pass'], 'presentation.pass'),
    code: {
      holder: readBytes(c['holder'], 'presentation.code.holder', 32),
      version: readInt(c['version'], 'presentation.code.version'),
      step: readInt(c['step'], 'presentation.code.step'),
      signature: readBytes(c['signature'], 'presentation.code.signature', 64),
    },
  };
}

function passToCbor(pass: TicketPass): CborRecord {
  return {
    deployment: pass.deployment,
    eventId: pass.eventId,
    ticketId: pass.ticketId,
    version: pass.version,
    holderKey: pass.holderKey,
    organizerKey: pass.organizerKey,
    credential: credentialToCbor(pass.credential),
    signature: pass.signature,
  };
}

function passFromCbor(value: unknown, field: string): TicketPass {
  const r = readRecord(value, field, ['deployment', 'eventId', 'ticketId', 'version', 'holderKey', 'organizerKey', 'credential', 'signature']);
  const credential = credentialFromCbor(r['credential'], `${field}.credential`);
  if (credential.kind !== 'event') throw new CodecError('CODEC_SCHEMA', `Field ${field}.credential must be an event credential.`, { meta: { field: `${field}.credential` } });
  const deployment = readString(r['deployment'], `${field}.deployment`, 64);
  if (!isDeploymentId(deployment)) throw new CodecError('CODEC_SCHEMA', `Field ${field}.deployment is not a deployment id.`, { meta: { field: `${field}.deployment` } });
  return {
    deployment,
    eventId: readId(r['eventId'], `${field}.eventId`, toEventId),
    ticketId: readId(r['ticketId'], `${field}.ticketId`, toTicketId),
    version: readInt(r['version'], `${field}.version`),
    holderKey: readBytes(r['holderKey'], `${field}.holderKey`, 32),
    organizerKey: readBytes(r['organizerKey'], `${field}.organizerKey`, 32),
    credential,
    signature: readBytes(r['signature'], `${field}.signature`, 64),
  };
}

function readId<T>(value: unknown, field: string, brand: (s: string) => T): T {
  const s = readString(value, field, 128);
  try {
    return brand(s);
  } catch (cause) {
    throw new CodecError('CODEC_SCHEMA', `Field ${field} is not a valid id.`, { cause, meta: { field } });
  }
}
