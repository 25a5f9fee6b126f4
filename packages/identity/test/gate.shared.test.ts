/**
 * Gate verification (offline wallet mode and ID mode), credentials and passes.
 * Runs in Node and in real Chromium: a scanner must not need Node APIs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type CryptoProvider, type EventId, decode, defaultCrypto, encode, eventId, nobleCrypto, seededRandom, ticketId } from '@admitone/core';
import {
  type CredentialBody,
  type EventCredential,
  credentialBatchStatement,
  credentialLeaf,
  decodeCredential,
  encodeCredential,
  verifyCredential,
} from '../src/credential/credential.js';
import { merkleBatch, merkleRootFromPath } from '../src/credential/merkle.js';
import { createPresentation, decodePresentation, encodePresentation, encodeTicketPass, issueTicketPass, type TicketPass } from '../src/credential/pass.js';
import { createGateVerifier, verifyAdmission, type GatePolicy } from '../src/gate/verify.js';

const STEP = 15_000;
const NOW = 1_800_000_000_000;
const EVENT = eventId('summer-gig');

async function setup(crypto: CryptoProvider, batch = 5) {
  const random = seededRandom(7);
  const committeeSecret = random.bytes(32); // FROST output is a plain Ed25519 signature; a single key stands in
  const committee = { committeeId: 'test-committee', groupPublicKey: await crypto.getPublicKey(committeeSecret) };
  const organizerSecret = random.bytes(32);
  const holders = Array.from({ length: batch }, () => random.bytes(32));
  const bodies: CredentialBody[] = await Promise.all(
    holders.map(async (h, i) => ({
      kind: 'event' as const,
      committeeId: committee.committeeId,
      eventId: EVENT,
      eventTag: random.bytes(32),
      holderKey: await crypto.getPublicKey(h),
      issuedAt: NOW - 1000 * (i + 1),
      expiresAt: NOW + 86_400_000,
    })),
  );
  const batchId = random.bytes(16);
  const tree = merkleBatch(bodies.map(credentialLeaf));
  const signature = await crypto.sign(credentialBatchStatement(committee.committeeId, batchId, bodies.length, tree.root), committeeSecret);
  const credentials = bodies.map((body, index) => ({ ...body, proof: { batchId, size: bodies.length, index, path: tree.paths[index] as Uint8Array[], signature } }) as EventCredential);
  const passes = await Promise.all(
    credentials.map((credential, i) =>
      issueTicketPass(crypto, organizerSecret, { deployment: 'test', eventId: EVENT, ticketId: ticketId(`t-${i}`), version: 1, holderKey: credential.holderKey, credential }),
    ),
  );
  const policy: GatePolicy = { deployment: 'test', eventId: EVENT, committee, organizerKeys: [passes[0]!.organizerKey], crypto, stepMs: STEP };
  return { committee, committeeSecret, organizerSecret, holders, credentials, passes, policy, random };
}

describe('credential Merkle batches', () => {
  it('every leaf of every batch size proves into the root, and nothing else does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), (size, pick) => {
        const leaves = Array.from({ length: size }, (_, i) => Uint8Array.of(i, size));
        const { root, paths } = merkleBatch(leaves);
        const i = pick % size;
        expect(merkleRootFromPath(leaves[i]!, i, size, paths[i]!)).toEqual(root);
        // wrong index, wrong size, truncated path or another leaf never give the root
        if (size > 1) {
          const other = (i + 1) % size;
          expect(merkleRootFromPath(leaves[i]!, other, size, paths[i]!) ?? new Uint8Array(32)).not.toEqual(root);
          expect(merkleRootFromPath(leaves[other]!, i, size, paths[i]!) ?? new Uint8Array(32)).not.toEqual(root);
          expect(merkleRootFromPath(leaves[i]!, i, size, paths[i]!.slice(1))).toBeUndefined();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a one-leaf batch has an empty path and its root is the leaf hash', () => {
    const { root, paths } = merkleBatch([Uint8Array.of(1)]);
    expect(paths[0]).toEqual([]);
    expect(merkleRootFromPath(Uint8Array.of(1), 0, 1, [])).toEqual(root);
  });
});

describe('credentials and passes', () => {
  it('round-trip through canonical CBOR and verify; any change breaks the signature', async () => {
    const crypto = nobleCrypto();
    const { credentials, committee } = await setup(crypto, 3);
    const c = credentials[1]!;
    const again = decodeCredential(encodeCredential(c));
    expect(again).toEqual(c);
    expect(await verifyCredential(crypto, committee, again)).toBe(true);
    const tampered = { ...c, eventTag: Uint8Array.from(c.eventTag, (b, i) => (i === 0 ? b ^ 1 : b)) };
    expect(await verifyCredential(crypto, committee, tampered)).toBe(false);
    expect(await verifyCredential(crypto, { ...committee, committeeId: 'other' }, c)).toBe(false);
    expect(await verifyCredential(crypto, committee, { ...c, expiresAt: c.expiresAt + 1 })).toBe(false);
    // the batch size is bound by the signed statement (a path alone may fit a larger tree)
    expect(await verifyCredential(crypto, committee, { ...c, proof: { ...c.proof, size: c.proof.size + 1 } })).toBe(false);
  });

  it('decoding rejects malformed credentials and presentations with CodecError', async () => {
    const crypto = nobleCrypto();
    const { passes, holders } = await setup(crypto, 1);
    const bytes = encodePresentation(await createPresentation(crypto, holders[0]!, passes[0]!, NOW, STEP));
    expect(decodePresentation(bytes).pass.ticketId).toBe('t-0');
    for (const bad of [bytes.slice(0, -1), new Uint8Array([0xa0]), encodeTicketPass(passes[0]!)]) {
      expect(() => decodePresentation(bad)).toThrow(expect.objectContaining({ name: 'CodecError' }));
    }
    expect(() => decodeCredential(new Uint8Array([0x01]))).toThrow(expect.objectContaining({ name: 'CodecError' }));
  });
});

describe('verifyAdmission (offline wallet mode)', () => {
  it('admits a valid presentation and names each refusal', async () => {
    const crypto = await defaultCrypto();
    const s = await setup(crypto);
    const gate = createGateVerifier(s.policy);
    const present = (i: number, at = NOW, pass: TicketPass = s.passes[i]!, holder = s.holders[i]!) =>
      createPresentation(crypto, holder, pass, at, STEP).then(encodePresentation);

    const ok = await gate.verify(await present(0), { now: NOW });
    expect(ok).toMatchObject({ status: 'admitted', ticketId: 't-0', eventId: EVENT, version: 1 });

    // stale: a code from three steps ago (screenshot), or from the future beyond skew
    expect(await gate.verify(await present(1, NOW - 3 * STEP), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'stale_code' });
    expect(await gate.verify(await present(1, NOW + 2 * STEP), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'stale_code' });
    // one step of skew either way is fine
    expect(await gate.verify(await present(1, NOW - STEP), { now: NOW })).toMatchObject({ status: 'admitted' });

    // someone else's key signs the code: the code names the wrong holder
    expect(await gate.verify(await present(2, NOW, s.passes[2]!, s.holders[3]!), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'stale_code' });

    // a forged holder signature with the right holder key
    const p = await createPresentation(crypto, s.holders[2]!, s.passes[2]!, NOW, STEP);
    const forged = { ...p, code: { ...p.code, signature: p.code.signature.map((b, i) => (i === 5 ? b ^ 1 : b)) } };
    expect(await gate.verify(forged, { now: NOW })).toMatchObject({ status: 'rejected', reason: 'invalid_signature' });

    // organizer signature broken / unknown organizer
    const badOrg = { ...s.passes[3]!, signature: s.passes[3]!.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    expect(await gate.verify(await present(3, NOW, badOrg), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'invalid_signature' });
    const otherOrg = await issueTicketPass(crypto, s.random.bytes(32), s.passes[3]!);
    expect(await gate.verify(await present(3, NOW, otherOrg), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'unknown_organizer' });

    // credential from a batch the committee did not sign (organizer signs over it honestly)
    const fakeCred = { ...s.credentials[4]!, proof: { ...s.credentials[4]!.proof, signature: new Uint8Array(64).fill(7) } };
    const fakePass = await issueTicketPass(crypto, s.organizerSecret, { ...s.passes[4]!, credential: fakeCred });
    expect(await gate.verify(await present(4, NOW, fakePass), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'invalid_signature' });

    // wrong event, credential for another holder, expired credential
    const otherEvent = createGateVerifier({ ...s.policy, eventId: eventId('other-gig') as EventId });
    expect(await otherEvent.verify(await present(0), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'wrong_event' });
    const swapped = await issueTicketPass(crypto, s.organizerSecret, { ...s.passes[0]!, credential: s.credentials[1]! });
    expect(await gate.verify(await present(0, NOW, swapped), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'not_holder' });
    const late = NOW + 2 * 86_400_000;
    expect(await gate.verify(await present(0, late), { now: late })).toMatchObject({ status: 'rejected', reason: 'expired' });

    // garbage
    expect(await gate.verify(new Uint8Array([1, 2, 3]), { now: NOW })).toEqual({ status: 'rejected', reason: 'malformed' });

    const stats = gate.stats();
    expect(stats.admitted).toBe(2);
    expect(stats.rejected.stale_code).toBe(3);
    expect(stats.rejected.invalid_signature).toBe(3);
    expect(stats.cacheHits).toBeGreaterThan(0); // five credentials share one committee batch signature
  });

  it('checks validity before local duplication: consumed, revoked and superseded versions', async () => {
    const crypto = await defaultCrypto();
    const s = await setup(crypto, 3);
    const status = new Map<string, { state?: 'consumed' | 'revoked' | 'refunded'; version?: number }>([
      ['t-0', { state: 'consumed' }],
      ['t-1', { state: 'revoked' }],
      ['t-2', { version: 2 }], // transferred since: this pass (version 1) is an old copy
    ]);
    const gate = createGateVerifier({ ...s.policy, ticketStatus: (id) => status.get(id) });
    const at = (i: number) => createPresentation(crypto, s.holders[i]!, s.passes[i]!, NOW, STEP);
    expect(await gate.verify(await at(0), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'already_consumed' });
    expect(await gate.verify(await at(1), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'revoked' });
    expect(await gate.verify(await at(2), { now: NOW })).toMatchObject({ status: 'rejected', reason: 'stale_code' });
    // a forged copy of the consumed ticket is invalid first
    const p = await at(0);
    const forged = { ...p, pass: { ...p.pass, signature: new Uint8Array(64) } };
    expect(await gate.verify(forged, { now: NOW })).toMatchObject({ status: 'rejected', reason: 'invalid_signature' });
  });

  it('one-shot verifyAdmission agrees with the verifier', async () => {
    const crypto = await defaultCrypto();
    const s = await setup(crypto, 2);
    const p = await createPresentation(crypto, s.holders[1]!, s.passes[1]!, NOW, STEP);
    expect(await verifyAdmission(encodePresentation(p), s.policy, { now: NOW })).toMatchObject({ status: 'admitted', ticketId: 't-1' });
  });
});

describe('deployments', () => {
  it("a pass issued on another deployment is wrong_event, and a code signed for another deployment does not verify, at a gate of this one", async () => {
    const crypto = nobleCrypto();
    const s = await setup(crypto);
    const gate = createGateVerifier(s.policy);
    // the same organizer, ticket, holder and credential, but a pass for a staging ledger
    const staging = await issueTicketPass(crypto, s.organizerSecret, { ...s.passes[0]!, deployment: 'test-staging' });
    const stagingQr = encodePresentation(await createPresentation(crypto, s.holders[0]!, staging, NOW, STEP));
    expect(await gate.verify(stagingQr, { now: NOW })).toMatchObject({ status: 'rejected', reason: 'wrong_event' });
    expect(await createGateVerifier({ ...s.policy, deployment: 'test-staging' }).verify(stagingQr, { now: NOW })).toMatchObject({ status: 'admitted' });
    // this deployment's pass with the staging pass's code (signed for test-staging): the code's signature fails here
    const mixed = encodePresentation({ pass: s.passes[0]!, code: decodePresentation(stagingQr).code });
    expect(await gate.verify(mixed, { now: NOW })).toMatchObject({ status: 'rejected', reason: 'invalid_signature' });
    // a pass re-labelled to this deployment without the organizer's signature over it
    const relabelled = encodePresentation({ pass: { ...staging, deployment: 'test' }, code: decodePresentation(stagingQr).code });
    expect(await gate.verify(relabelled, { now: NOW })).toMatchObject({ status: 'rejected', reason: 'invalid_signature' });
    expect(() => createGateVerifier({ ...s.policy, deployment: 'has space' })).toThrow(TypeError);
    await expect(issueTicketPass(crypto, s.organizerSecret, { ...s.passes[0]!, deployment: '' })).rejects.toThrow(TypeError);
  });
});

describe('gate robustness: a scanned code never makes verify throw', () => {
  it('a credential whose validity ends before it starts is malformed: the decoder refuses it, and the gate answers malformed for its QR bytes and for a decoded object', async () => {
    const crypto = nobleCrypto();
    const s = await setup(crypto, 1);
    const gate = createGateVerifier(s.policy);
    const good = encodePresentation(await createPresentation(crypto, s.holders[0]!, s.passes[0]!, NOW, STEP));
    expect(await gate.verify(good, { now: NOW })).toMatchObject({ status: 'admitted' });
    // an attacker edits the QR code: issued 10 s from now, expired 5 s from now (inside the skew window, so the
    // structural checks pass and the signature checks would run)
    const raw = decode(good) as { pass: { credential: { issuedAt: number; expiresAt: number } } };
    raw.pass.credential.issuedAt = NOW + 10_000;
    raw.pass.credential.expiresAt = NOW + 5_000;
    const bad = encode(raw as never);
    expect(() => decodePresentation(bad)).toThrow(expect.objectContaining({ name: 'CodecError' }));
    expect(() => decodeCredential(encode({ ...(decode(encodeCredential(s.credentials[0]!)) as object), issuedAt: 2, expiresAt: 1 } as never))).toThrow(
      expect.objectContaining({ name: 'CodecError' }),
    );
    expect(await gate.verify(bad, { now: NOW })).toEqual({ status: 'rejected', reason: 'malformed' });
    // the same credential handed over as an object (no decoder in the way): still a result, not a rejection
    const p = await createPresentation(crypto, s.holders[0]!, s.passes[0]!, NOW, STEP);
    const inverted = { ...p, pass: { ...p.pass, credential: { ...p.pass.credential, issuedAt: NOW + 10_000, expiresAt: NOW + 5_000 } } };
    expect(await gate.verify(inverted, { now: NOW })).toEqual({ status: 'rejected', reason: 'malformed' });
    expect(await gate.verifyByIdentity(inverted.pass, async () => p.pass.credential.eventTag, { now: NOW })).toEqual({ status: 'rejected', reason: 'malformed' });
    expect(await gate.verify({ pass: {}, code: {} } as never, { now: NOW })).toEqual({ status: 'rejected', reason: 'malformed' });
    expect(gate.stats().rejected.malformed).toBe(4);
  });

  it('floors a fractional now (e.g. timeOrigin + performance.now()), and throws synchronously for a now that is not a time', async () => {
    const crypto = nobleCrypto();
    const s = await setup(crypto, 1);
    const gate = createGateVerifier(s.policy);
    const good = encodePresentation(await createPresentation(crypto, s.holders[0]!, s.passes[0]!, NOW, STEP));
    expect(await gate.verify(good, { now: NOW + 0.5 })).toMatchObject({ status: 'admitted' });
    expect(await verifyAdmission(good, s.policy, { now: NOW + 1234.567 })).toMatchObject({ status: 'admitted' });
    const fractionalClock = { now: () => NOW + 0.25, setTimeout: () => ({ cancel() {} }) };
    expect(await createGateVerifier({ ...s.policy, clock: fractionalClock as never }).verify(good)).toMatchObject({ status: 'admitted' });
    expect(await gate.verifyByIdentity(s.passes[0]!, async () => s.passes[0]!.credential.eventTag, { now: NOW + 0.5 })).toMatchObject({ status: 'admitted' });
    expect(() => gate.verify(good, { now: Number.NaN })).toThrow(RangeError);
    expect(() => gate.verify(good, { now: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => gate.verify(good, { now: -1 })).toThrow(RangeError);
    expect(() => gate.verify(good, { now: '1800000000000' as never })).toThrow(TypeError);
    expect(() => gate.verifyByIdentity(s.passes[0]!, async () => new Uint8Array(32), { now: Number.NaN })).toThrow(RangeError);
  });
});

describe('verifyByIdentity (ID mode)', () => {
  it('admits when the derived tag matches and refuses identity_mismatch otherwise', async () => {
    const crypto = await defaultCrypto();
    const s = await setup(crypto, 2);
    const gate = createGateVerifier(s.policy);
    const pass = s.passes[0]!;
    expect(await gate.verifyByIdentity(encodeTicketPass(pass), async () => pass.credential.eventTag, { now: NOW })).toMatchObject({ status: 'admitted' });
    expect(await gate.verifyByIdentity(pass, async () => s.credentials[1]!.eventTag, { now: NOW })).toMatchObject({ status: 'rejected', reason: 'identity_mismatch' });
    // signatures are checked before the (online) derivation is even asked for
    let asked = false;
    const broken = { ...pass, signature: new Uint8Array(64) };
    expect(await gate.verifyByIdentity(broken, async () => ((asked = true), pass.credential.eventTag), { now: NOW })).toMatchObject({ reason: 'invalid_signature' });
    expect(asked).toBe(false);
  });
});
