/**
 * Enrollment requests made by hand, as a lying client would make them: the
 * client's verifiable sharing is dealt here from core's building blocks
 * (`pedersenCommit`, `evaluatePolynomial`), independently of the client code,
 * and any part of it can be bent before it is sealed and signed.
 *
 * The sealed plaintext is written with whichever share encoding `src` has, so
 * the same tests also run against the code before client VSS (a share value
 * alone, no commitments): there they show what that code did with the same
 * lying client.
 */
import { type CryptoProvider, type Random } from '@admitone/core';
import { evaluatePolynomial, pedersenCommit, randomFieldElements, sealTo } from '@admitone/core/threshold';
import { bn254_Fr } from '@noble/curves/bn254.js';
import { identityElement, type IdentityAttributes } from '../../src/attributes.js';
import { shareAad, type CommitteeDescriptor } from '../../src/committee/member.js';
import * as messages from '../../src/committee/messages.js';

/** A (share, blinding) pair as dealt. */
export type Pair = readonly [value: bigint, blinding: bigint];

/** How the hand-made request departs from an honest one. */
export interface HandRequestOptions {
  /** Changes the pair dealt to the member at sorted position `i` (after the commitments are made). */
  readonly tamper?: (i: number, pair: Pair) => Pair;
  /** Makes that member's sealed share fail to open. */
  readonly breakSeal?: (i: number) => boolean;
  /** Replaces the commitments (encoded) before signing. */
  readonly commitments?: (encoded: Uint8Array[]) => Uint8Array[];
  /** Flips a bit of the requester's signature. */
  readonly breakSignature?: boolean;
}

/** A signed enrollment request of `attributes`, dealt with degree `committee.degree`, bent as `o` says. */
export async function handRequest(
  committee: CommitteeDescriptor,
  attributes: IdentityAttributes,
  random: Random,
  crypto: CryptoProvider,
  o: HandRequestOptions = {},
): Promise<Uint8Array> {
  const holderSecret = random.bytes(32);
  const context = { kind: 'enroll' as const, committeeId: committee.committeeId, requestId: random.bytes(16), issuedAt: Date.now(), requesterKey: await crypto.getPublicKey(holderSecret) };
  const ids = committee.members.map((m) => m.id).sort();
  const t = committee.degree;
  const coefficients = randomFieldElements(bn254_Fr, random, 2 * (t + 1));
  const f = [identityElement(attributes), ...coefficients.slice(1, t + 1)];
  const r = coefficients.slice(t + 1);
  const honest = f.map((a, k) => pedersenCommit(a, r[k] as bigint).toBytes(false));
  const commitments = o.commitments === undefined ? honest : o.commitments(honest);
  const shares = ids.map((id, i) => {
    const x = BigInt(i + 1);
    const dealt: Pair = [evaluatePolynomial(bn254_Fr, f, x), evaluatePolynomial(bn254_Fr, r, x)];
    const [value, blinding] = o.tamper === undefined ? dealt : o.tamper(i, dealt);
    const member = committee.members.find((m) => m.id === id)!;
    const sealed = sealTo(member.encryptionKey, plaintext(value % bn254_Fr.ORDER, blinding % bn254_Fr.ORDER), shareAad(context, member.id), random);
    return o.breakSeal?.(i) === true ? sealed.map((b, j) => (j === sealed.length - 1 ? b ^ 1 : b)) : sealed;
  });
  const body = { ...context, commitments, shares };
  const signature = await crypto.sign(messages.requestSigningBytes(body), holderSecret);
  return messages.encodeIdentityRequest({ ...body, signature: o.breakSignature === true ? signature.map((b, i) => (i === 0 ? b ^ 1 : b)) : signature });
}

/** The sealed plaintext of a share, in the encoding `src` speaks (a pair; before client VSS, the value alone). */
function plaintext(value: bigint, blinding: bigint): Uint8Array {
  const legacy = messages as unknown as { encodeSharePair?: (v: bigint, b: bigint) => Uint8Array; encodeShareValue?: (v: bigint) => Uint8Array };
  if (legacy.encodeSharePair !== undefined) return legacy.encodeSharePair(value, blinding);
  return (legacy.encodeShareValue as (v: bigint) => Uint8Array)(value);
}
