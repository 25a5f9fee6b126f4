/**
 * The identity client: what a user's wallet (enrollment, event credentials)
 * and a gate (ID-mode tag derivation) run.
 *
 * The client canonicalises the identity attributes, maps them to a field
 * element `x`, Shamir-shares `x` with degree t verifiably (Pedersen VSS: the
 * request it signs carries commitments to its value and blinding polynomials)
 * and seals each member's (share, blinding) pair to it (x25519 +
 * XChaCha20-Poly1305), so no single member and no relay ever sees `x`, and a
 * member can tell a share dealt off the committed polynomial from its own
 * mistake. The same request goes to every member; the client then:
 * - accepts an issued credential only after verifying the committee's
 *   signature over it (one honest answer suffices);
 * - accepts `duplicate`, a refusal or a derived tag only when t+1 members
 *   agree (so f lying members cannot fake them).
 * @module
 */
import {
  type Clock,
  type CryptoProvider,
  type EventId,
  type PeerId,
  type Random,
  bytesToHex,
  equalBytes,
  systemClock,
  systemRandom,
} from '@admitone/core';
import { memberPoints, sealTo } from '@admitone/core/threshold';
import { type IdentityAttributes, identityElement } from './attributes.js';
import { type EventCredential, type MasterCredential, verifyCredential } from './credential/credential.js';
import { IdentityError } from './errors.js';
import type { CommitteeDescriptor } from './committee/member.js';
import { shareAad } from './committee/member.js';
import {
  type IdentityRequest,
  type IdentityResponse,
  type RequestKind,
  type RequestRejection,
  decodeIdentityResponse,
  encodeIdentityRequest,
  encodeSharePair,
  requestSigningBytes,
} from './committee/messages.js';
import { dealIdentity } from './committee/vss.js';

/** How a client reaches committee members (HTTP, WebSocket, in-process…). */
export interface CommitteeEndpoint {
  /** Sends an encoded request to one member; resolves with its encoded response. */
  request(member: PeerId, bytes: Uint8Array): Promise<Uint8Array>;
}

/** An in-process endpoint over member objects (tests, single-process demos). */
export function localCommitteeEndpoint(members: Iterable<{ readonly id: PeerId; handle(bytes: Uint8Array): Promise<Uint8Array> }>): CommitteeEndpoint {
  const byId = new Map([...members].map((m) => [m.id, m]));
  return {
    async request(member, bytes) {
      const target = byId.get(member);
      if (target === undefined) throw new IdentityError('IDENTITY_UNAVAILABLE', `Unknown committee member ${member}.`);
      return target.handle(bytes.slice());
    },
  };
}

/** Options of {@link createIdentityClient}. */
export interface IdentityClientOptions {
  /** The committee (from a member's `start()`, or published configuration). */
  readonly committee: CommitteeDescriptor;
  /** How to reach members. */
  readonly endpoint: CommitteeEndpoint;
  /** Ed25519 provider. */
  readonly crypto: CryptoProvider;
  /** Randomness for shares, sealing and request ids; default {@link systemRandom}. */
  readonly random?: Random;
  /** Time; default {@link systemClock}. */
  readonly clock?: Clock;
}

/**
 * Outcome of an enrollment.
 *
 * After `{ status: 'rejected', reason: 'unavailable' }` (or an
 * `IDENTITY_UNAVAILABLE` error) retry with the **same** holder key: the
 * committee may have registered the person's tag to that key before it failed
 * to sign, and a registered person is issued a credential again only for the
 * key the tag is registered to. A retry with a new key may get `duplicate`.
 */
export type EnrollResult =
  | { readonly status: 'enrolled'; readonly credential: MasterCredential }
  | { readonly status: 'duplicate' }
  | { readonly status: 'rejected'; readonly reason: RequestRejection };

/** Outcome of an event-credential request. */
export type EventCredentialResult =
  | { readonly status: 'issued'; readonly credential: EventCredential }
  | { readonly status: 'rejected'; readonly reason: RequestRejection };

/** The identity client; see {@link createIdentityClient}. */
export interface IdentityClient {
  /**
   * Enrolls a person once: a master credential for `holderSecretKey`'s public
   * key, or `duplicate`. After `unavailable` (a result or an
   * `IDENTITY_UNAVAILABLE` error), retry with the same `holderSecretKey`; see
   * {@link EnrollResult}.
   */
  enroll(input: { readonly attributes: IdentityAttributes; readonly holderSecretKey: Uint8Array }): Promise<EnrollResult>;
  /**
   * Gets an event credential binding the person's event tag to a (fresh) holder
   * key. Needs the master credential and its secret key (the committee checks
   * the identity matches the master credential's enrollment).
   */
  requestEventCredential(input: {
    readonly attributes: IdentityAttributes;
    readonly eventId: EventId;
    readonly master: MasterCredential;
    readonly masterSecretKey: Uint8Array;
    readonly holderSecretKey: Uint8Array;
  }): Promise<EventCredentialResult>;
  /**
   * ID mode at a gate: derives the event tag of the person whose ID card shows
   * `attributes`, signed by an authorised gate device key. Resolves the 32-byte
   * tag once t+1 members agree. Rejects with an {@link IdentityError}: code
   * `IDENTITY_REFUSED` when t+1 members refuse the request, with the reason in
   * `error.reason` (`not_authorized`: the committee does not list this gate
   * key; `stale`: the gate's clock is off; `invalid_signature`, `malformed`);
   * `IDENTITY_UNAVAILABLE` when the committee did not give t+1 consistent
   * answers (members down or lying) or answered `unavailable`: retry later.
   */
  deriveEventTag(input: { readonly attributes: IdentityAttributes; readonly eventId: EventId; readonly gateSecretKey: Uint8Array }): Promise<Uint8Array>;
}

/**
 * Creates an identity client.
 *
 * @example
 * ```ts
 * const client = createIdentityClient({ committee, endpoint, crypto });
 * const enrolled = await client.enroll({ attributes: { country: 'NL', document: 'X1234567', birth: '1990-01-01' }, holderSecretKey });
 * if (enrolled.status === 'duplicate') showAlreadyEnrolled();
 * ```
 */
export function createIdentityClient(options: IdentityClientOptions): IdentityClient {
  const { committee, endpoint, crypto } = options;
  const random = options.random ?? systemRandom();
  const clock = options.clock ?? systemClock();
  const points = memberPoints(committee.members.map((m) => m.id));
  const ordered = [...committee.members].sort((a, b) => Number((points.get(a.id) as bigint) - (points.get(b.id) as bigint)));
  const xs = ordered.map((m) => points.get(m.id) as bigint);
  const quorum = committee.degree + 1;

  const build = async (
    kind: RequestKind,
    attributes: IdentityAttributes,
    requesterSecret: Uint8Array,
    extra: { eventId?: EventId; master?: MasterCredential; masterSecret?: Uint8Array },
  ): Promise<IdentityRequest> => {
    const x = identityElement(attributes);
    const context = {
      kind,
      committeeId: committee.committeeId,
      requestId: random.bytes(16),
      issuedAt: clock.now(),
      requesterKey: await crypto.getPublicKey(requesterSecret),
      ...(extra.eventId === undefined ? {} : { eventId: extra.eventId }),
    };
    // a verifiable sharing: the commitments go into the signed body, each pair is sealed to its member and bound to
    // this request (requester key included), see shareAad
    const dealing = dealIdentity(x, committee.degree, xs, random);
    const shares = dealing.pairs.map(([value, blinding], i) => {
      const member = ordered[i] as (typeof ordered)[number];
      return sealTo(member.encryptionKey, encodeSharePair(value, blinding), shareAad(context, member.id), random);
    });
    const body = { ...context, commitments: dealing.commitments, shares, ...(extra.master === undefined ? {} : { master: extra.master }) };
    const signing = requestSigningBytes(body);
    const signature = await crypto.sign(signing, requesterSecret);
    if (extra.masterSecret === undefined) return { ...body, signature };
    return { ...body, signature, masterSignature: await crypto.sign(signing, extra.masterSecret) };
  };

  /** Sends to every member; settles as soon as `decide` returns a verdict on the answers so far. */
  const ask = async <T>(request: IdentityRequest, decide: (answers: readonly IdentityResponse[], done: boolean) => T | undefined | Promise<T | undefined>): Promise<T> => {
    const bytes = encodeIdentityRequest(request);
    const answers: IdentityResponse[] = [];
    return new Promise<T>((resolve, reject) => {
      let outstanding = ordered.length;
      let settled = false;
      const step = async (done: boolean) => {
        if (settled) return;
        try {
          const verdict = await decide(answers, done);
          if (settled) return;
          if (verdict !== undefined) {
            settled = true;
            resolve(verdict);
          } else if (done) {
            settled = true;
            reject(new IdentityError('IDENTITY_UNAVAILABLE', 'The committee did not give t+1 consistent answers.'));
          }
        } catch (cause) {
          settled = true;
          reject(cause);
        }
      };
      for (const member of ordered) {
        endpoint
          .request(member.id, bytes)
          .then((reply) => {
            const response = decodeIdentityResponse(reply);
            if (equalBytes(response.requestId, request.requestId)) answers.push(response);
          })
          .catch(() => {})
          .finally(() => {
            outstanding -= 1;
            void step(outstanding === 0);
          });
      }
    });
  };

  /** The value t+1 answers agree on, by key. */
  const agreed = (answers: readonly IdentityResponse[], keyOf: (r: IdentityResponse) => string | undefined): string | undefined => {
    const counts = new Map<string, number>();
    for (const a of answers) {
      const k = keyOf(a);
      if (k === undefined) continue;
      const c = (counts.get(k) ?? 0) + 1;
      counts.set(k, c);
      if (c >= quorum) return k;
    }
    return undefined;
  };
  const refusal = (r: IdentityResponse) => (r.status === 'rejected' ? r.reason : r.status === 'duplicate' ? 'duplicate' : undefined);

  return {
    async enroll({ attributes, holderSecretKey }) {
      const request = await build('enroll', attributes, holderSecretKey, {});
      return ask<EnrollResult>(request, async (answers) => {
        for (const a of answers) {
          if (a.status === 'issued' && a.credential.kind === 'master' && equalBytes(a.credential.holderKey, request.requesterKey)) {
            if (await verifyCredential(crypto, committee, a.credential)) return { status: 'enrolled', credential: a.credential };
          }
        }
        const k = agreed(answers, refusal);
        if (k === 'duplicate') return { status: 'duplicate' };
        if (k !== undefined) return { status: 'rejected', reason: k as RequestRejection };
        return undefined;
      });
    },

    async requestEventCredential({ attributes, eventId, master, masterSecretKey, holderSecretKey }) {
      const request = await build('event', attributes, holderSecretKey, { eventId, master, masterSecret: masterSecretKey });
      return ask<EventCredentialResult>(request, async (answers) => {
        for (const a of answers) {
          const c = a.status === 'issued' ? a.credential : undefined;
          if (c?.kind === 'event' && c.eventId === eventId && equalBytes(c.holderKey, request.requesterKey)) {
            if (await verifyCredential(crypto, committee, c)) return { status: 'issued', credential: c };
          }
        }
        const k = agreed(answers, (r) => (r.status === 'rejected' ? r.reason : undefined));
        return k === undefined ? undefined : { status: 'rejected', reason: k as RequestRejection };
      });
    },

    async deriveEventTag({ attributes, eventId, gateSecretKey }) {
      const request = await build('derive', attributes, gateSecretKey, { eventId });
      return ask<Uint8Array>(request, (answers) => {
        const k = agreed(answers, (r) => (r.status === 'tag' ? bytesToHex(r.eventTag) : r.status === 'rejected' ? `!${r.reason}` : undefined));
        if (k === undefined) return undefined;
        if (k.startsWith('!')) {
          const reason = k.slice(1) as RequestRejection;
          // `unavailable` is the committee failing to answer, not a verdict on the request: retry later
          if (reason === 'unavailable') throw new IdentityError('IDENTITY_UNAVAILABLE', 'The committee could not derive the tag now (unavailable).', { reason });
          throw new IdentityError('IDENTITY_REFUSED', `The committee refused the derivation (${reason}).`, { reason });
        }
        const tag = answers.find((a) => a.status === 'tag' && bytesToHex(a.eventTag) === k);
        return tag?.status === 'tag' ? tag.eventTag : undefined;
      });
    },
  };
}
