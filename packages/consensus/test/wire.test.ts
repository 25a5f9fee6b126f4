/**
 * The wire format: signed messages travel with their body bytes and are
 * verified on them (the signed bytes are exactly `encode(['admitone/pbft/v1',
 * body])`, so signatures are unchanged by the framing), request bursts and
 * batched replies round-trip, and anything malformed is a `CodecError` — and
 * at a replica, a counted drop that changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  bytesToHex,
  createTicketLedger,
  encode,
  encodeRequest,
  encodeTicketOp,
  eventId,
  memoryNetwork,
  memoryStorage,
  nobleCrypto,
  signRequest,
  systemClock,
} from '@admitone/core';
import {
  batchDigest,
  createReplica,
  decodeWire,
  encodeReplies,
  encodeRequestsFrame,
  encodeSignedFrame,
  encodeWire,
  readFrame,
  signMessage,
  signedBytesOf,
  signingBytes,
  verifyMessage,
  type PrePrepare,
  type Vote,
} from '../src/index.js';
import { clockAhead, keyOf } from './helpers/cluster.js';

const crypto = nobleCrypto();
const vote: Vote = { type: 'prepare', view: 3, seq: 17, digest: new Uint8Array(32).fill(7), replica: 'r1' };

async function signedVote() {
  return signMessage(crypto, keyOf('r1'), vote, 'test');
}

async function request(seq: number) {
  return signRequest(crypto, keyOf('client'), { deployment: 'test', requestSeq: seq, op: encodeTicketOp({ type: 'createEvent', eventId: eventId(`w-${seq}`) }) });
}

describe('signed messages', () => {
  it('sign exactly encode([domain, body]) and verify on the bytes they carry', async () => {
    const s = await signedVote();
    expect(signedBytesOf(s, 'test')).toEqual(signingBytes(vote, 'test'));
    expect(signingBytes(vote, 'test')).toEqual(encode(['admitone/pbft/v2', 'test', { t: 'prepare', v: 3, n: 17, d: vote.digest, i: 'r1' }]));
    const pk = await crypto.getPublicKey(keyOf('r1'));
    expect(await verifyMessage(crypto, s, pk, 'test')).toBe(true);
    const frame = readFrame(encodeSignedFrame(s));
    expect(frame.kind === 'signed' && frame.signed.body).toEqual(vote);
    expect(frame.kind === 'signed' && bytesToHex(frame.signed.bytes)).toBe(bytesToHex(s.bytes));
    expect(frame.kind === 'signed' && (await verifyMessage(crypto, frame.signed, pk, 'test'))).toBe(true);
  });

  it('are bound to their deployment: valid in it, invalid in any other', async () => {
    const pk = await crypto.getPublicKey(keyOf('r1'));
    const s = await signedVote();
    const staging = await signMessage(crypto, keyOf('r1'), vote, 'test/staging');
    expect(bytesToHex(staging.bytes)).toBe(bytesToHex(s.bytes)); // the same body bytes travel; only the signature differs
    expect(await verifyMessage(crypto, staging, pk, 'test/staging')).toBe(true);
    expect(await verifyMessage(crypto, staging, pk, 'test')).toBe(false);
    expect(await verifyMessage(crypto, s, pk, 'test/staging')).toBe(false);
    // 'a' + 'bc' and 'ab' + 'c' must not collide: the id is its own CBOR item
    expect(bytesToHex(signingBytes(vote, 'ab'))).not.toBe(bytesToHex(signingBytes(vote, 'abc')));
    for (const bad of ['', 'has space', 'x'.repeat(65), undefined, 7]) {
      expect(() => signingBytes(vote, bad as string)).toThrow(TypeError);
    }
  });

  it('nest in proofs as their own bytes', async () => {
    const pp: PrePrepare = { type: 'pre-prepare', view: 0, seq: 1, digest: new Uint8Array(32), timestamp: 5, batch: [encodeRequest(await request(1))], replica: 'r0' };
    const spp = await signMessage(crypto, keyOf('r0'), pp, 'test');
    const vc = await signMessage(crypto, keyOf('r2'), { type: 'view-change', view: 1, stableSeq: 0, checkpointProof: [], prepared: [{ prePrepare: spp, prepares: [await signedVote()] }], replica: 'r2' }, 'test');
    const back = readFrame(encodeSignedFrame(vc));
    if (back.kind !== 'signed' || back.signed.body.type !== 'view-change') throw new Error('expected a view change');
    const inner = back.signed.body.prepared[0]?.prePrepare;
    expect(bytesToHex(inner?.bytes ?? new Uint8Array(0))).toBe(bytesToHex(spp.bytes));
    expect(await verifyMessage(crypto, inner as typeof spp, await crypto.getPublicKey(keyOf('r0')), 'test')).toBe(true);
  });
});

describe('pre-prepares as received', () => {
  it('hold their batch as views into the frame, equal to the requests, wherever they are decoded', async () => {
    const batch = [encodeRequest(await request(1)), encodeRequest(await request(2))];
    const spp = await signMessage(crypto, keyOf('r0'), { type: 'pre-prepare', view: 0, seq: 3, digest: batchDigest(9, batch), timestamp: 9, batch, replica: 'r0' } satisfies PrePrepare, 'test');
    const bytes = encodeSignedFrame(spp);
    const frame = readFrame(bytes);
    if (frame.kind !== 'signed' || frame.signed.body.type !== 'pre-prepare') throw new Error('expected a pre-prepare');
    expect(frame.signed.body.batch.map(bytesToHex)).toEqual(batch.map(bytesToHex));
    expect(frame.signed.body.batch.every((b) => b.buffer === bytes.buffer)).toBe(true);
    expect({ ...frame.signed.body, batch: [] }).toEqual({ ...spp.body, batch: [] });
    // nested in a view change too
    const vc = await signMessage(crypto, keyOf('r2'), { type: 'view-change', view: 1, stableSeq: 0, checkpointProof: [], prepared: [{ prePrepare: spp, prepares: [] }], replica: 'r2' }, 'test');
    const back = readFrame(encodeSignedFrame(vc));
    if (back.kind !== 'signed' || back.signed.body.type !== 'view-change') throw new Error('expected a view change');
    const inner = back.signed.body.prepared[0]?.prePrepare.body;
    expect(inner?.type === 'pre-prepare' && inner.batch.map(bytesToHex)).toEqual(batch.map(bytesToHex));
  });
});

describe('client frames', () => {
  it('a burst of requests and a batch of replies round-trip', async () => {
    const reqs = await Promise.all([1, 2, 3].map(request));
    const bytes = encodeRequestsFrame(reqs.map((r, i) => ({ request: encodeRequest(r), fastRead: i === 2 })));
    const wire = decodeWire(bytes);
    expect(wire.kind === 'requests' && wire.messages.map((m) => [m.request, m.fastRead])).toEqual(reqs.map((r, i) => [r, i === 2]));
    // a burst of one is the single-request frame
    expect(decodeWire(encodeRequestsFrame([{ request: encodeRequest(reqs[0]!), fastRead: false }])).kind).toBe('request');
    const replies = [
      { type: 'reply' as const, view: 2, clientId: reqs[0]!.clientId, requestSeq: 1, result: new Uint8Array([1]), readOnly: false },
      { type: 'reply' as const, view: 2, clientId: reqs[0]!.clientId, requestSeq: 2, result: new Uint8Array(0), readOnly: true, error: 'invalid_signature' as const },
    ];
    expect(decodeWire(encodeReplies('r3', replies))).toEqual({ kind: 'replies', replica: 'r3', replies: replies.map((r) => ({ ...r, replica: 'r3' })) });
    expect(decodeWire(encodeWire({ kind: 'request', message: { type: 'request', request: reqs[1]!, fastRead: true } }))).toEqual({ kind: 'request', message: { type: 'request', request: reqs[1], fastRead: true } });
  });

  it('malformed frames are CodecErrors: unknown kinds, bad flags, short, trailing or non-canonical bytes', async () => {
    const s = await signedVote();
    const good = encodeSignedFrame(s);
    const canonical = encode({ t: 'prepare', v: 3, n: 17, d: vote.digest, i: 'r1' });
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(0x09, 1, 2),
      good.subarray(0, 40),
      Uint8Array.of(...good, 0), // trailing byte after the body
      Uint8Array.of(0x02, 2, ...encodeRequest(await request(1))), // request flags 2
      Uint8Array.of(0x02, 0, 0xff),
      Uint8Array.of(0x04, ...encode([Uint8Array.of(0, ...encodeRequest(await request(1)))])), // a "burst" of one
      Uint8Array.of(0x03, ...encode({ i: 'r1', r: [[0, 'c', 1, new Uint8Array(0), 4]] })), // reply flags 4
      Uint8Array.of(0x01, ...s.signature, ...swapFirstTwoMapKeys(canonical)),
    ];
    for (const b of bad) expect(() => decodeWire(b), Buffer.from(b).toString('hex').slice(0, 40)).toThrow(CodecError);
  });

  it('fast-check: a mutated frame decodes to a valid message or throws a CodecError, nothing else', async () => {
    const req = encodeRequest(await request(9));
    const frames = [encodeSignedFrame(await signedVote()), encodeRequestsFrame([1, 2].map(() => ({ request: req, fastRead: false }))), encodeReplies('r0', [])];
    fc.assert(
      fc.property(fc.constantFrom(...frames), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (frame, edits) => {
        const b = frame.slice();
        for (const [at, value] of edits) b[at % b.length] = value;
        try {
          decodeWire(b);
        } catch (err) {
          expect(err).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 500, seed: 3 },
    );
  });
});

describe('a replica drops bad input, counts it, and stays unchanged', () => {
  it('garbage, forged signatures, spoofed senders and replies are dropped by reason', async () => {
    const ids = ['r0', 'r1', 'r2', 'r3'];
    const net = memoryNetwork({ members: [...ids, 'x'] });
    const members = await Promise.all(ids.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(keyOf(id)) })));
    const app = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
    const replica = await createReplica({ deployment: 'test', id: 'r0', secretKey: keyOf('r0'), members, transport: net.transport('r0'), storage: memoryStorage(), app, crypto, clock: systemClock() });
    const r1 = net.transport('r1');
    const x = net.transport('x');
    const before = app.digest();
    const s = await signedVote();
    const forged = encodeSignedFrame({ ...s, signature: s.signature.map((v, i) => (i === 0 ? v ^ 1 : v)) });
    await r1.send('r0', Uint8Array.of(0x07, 1, 2, 3)); // malformed
    await r1.send('r0', forged); // bad_signature
    await x.send('r0', encodeSignedFrame(s)); // a vote by r1 arriving from x: spoofed
    await r1.send('r0', encodeReplies('r1', [])); // replies are not for replicas: unexpected
    await x.send('r0', Uint8Array.of(0x02, 0, 0xa0)); // a request that does not decode: malformed
    await r1.send('r0', encodeSignedFrame(await signMessage(crypto, keyOf('r1'), vote, 'test/staging'))); // r1's own vote, for another deployment
    for (let i = 0; i < 50 && Object.values(replica.dropped()).reduce((a, b) => a + b, 0) < 6; i++) await new Promise((r) => setTimeout(r, 2));
    expect(replica.dropped()).toEqual({ malformed: 2, bad_signature: 2, spoofed: 1, unexpected: 1 });
    expect(app.digest()).toEqual(before);
    expect(replica.status().lastExecuted).toBe(0);
    await replica.stop();
    await net.close();
  });
});

/**
 * A backup (r1, clock `clock`) fed pre-prepares for seqs 1, 2, … over the
 * primary's link, one after the other; returns the votes r1 then sent.
 */
async function feedPrePrepares(pps: readonly { readonly timestamp: number; readonly tamper?: boolean; readonly seq?: number }[], clock = systemClock()) {
  const ids = ['r0', 'r1', 'r2', 'r3'];
  const net = memoryNetwork({ members: ids });
  const members = await Promise.all(ids.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(keyOf(id)) })));
  const replica = await createReplica({ deployment: 'test', id: 'r1', secretKey: keyOf('r1'), members, transport: net.transport('r1'), storage: memoryStorage(), app: createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false }), crypto, clock });
  const sent: string[] = [];
  const peers = new Map(['r0', 'r2', 'r3'].map((id) => [id, net.transport(id)]));
  for (const [id, t] of peers) {
    t.onMessage((m) => {
      const f = readFrame(m.bytes);
      if (m.from === 'r1' && f.kind === 'signed' && (f.signed.body.type === 'prepare' || f.signed.body.type === 'commit')) sent.push(`${f.signed.body.type}${f.signed.body.seq}→${id}`);
    });
  }
  const settled = () => sent.length + Object.values(replica.dropped()).reduce((a, b) => a + b, 0);
  for (const [i, { timestamp, tamper = false, seq = i + 1 }] of pps.entries()) {
    const batch = [encodeRequest(await request(seq))];
    const pp = await signMessage(crypto, keyOf('r0'), { type: 'pre-prepare', view: 0, seq, digest: batchDigest(timestamp, batch), timestamp, batch, replica: 'r0' } satisfies PrePrepare, 'test');
    const before = settled();
    await peers.get('r0')!.send('r1', encodeSignedFrame(tamper ? { ...pp, signature: pp.signature.map((v, k) => (k === 5 ? v ^ 1 : v)) } : pp));
    for (let k = 0; k < 200 && settled() === before; k++) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 20)); // anything still on its way
  }
  const dropped = replica.dropped();
  await replica.stop();
  await net.close();
  return { sent: sent.sort(), dropped };
}

describe('votes signed ahead of the checks are sent only after them', () => {
  it('a genuine pre-prepare gets its PREPARE out to every peer', async () => {
    const { sent, dropped } = await feedPrePrepares([{ timestamp: Date.now() }]);
    expect(sent).toEqual(['prepare1→r0', 'prepare1→r2', 'prepare1→r3']);
    expect(dropped).toEqual({});
  });

  it('a pre-prepare with a bad signature is dropped, and the PREPARE signed for it never leaves', async () => {
    const { sent, dropped } = await feedPrePrepares([{ timestamp: Date.now(), tamper: true }]);
    expect(dropped).toEqual({ bad_signature: 1 });
    expect(sent).toEqual([]);
  });
});

describe('a backup checks the time a primary proposes', () => {
  const everyPeer = (seq: number) => [`prepare${seq}→r0`, `prepare${seq}→r2`, `prepare${seq}→r3`];

  it('drops a pre-prepare timestamped further than maxClockSkewMs (30 s) ahead or behind its clock, and prepares one within it', async () => {
    const now = Date.now();
    const { sent, dropped } = await feedPrePrepares([{ timestamp: now + 3_600_000 }, { timestamp: now - 3_600_000, seq: 1 }, { timestamp: now + 20_000, seq: 1 }]);
    expect(dropped).toEqual({ bad_timestamp: 2 });
    expect(sent).toEqual(everyPeer(1)); // the third one, for the slot the first two could not take
  });

  it('follows its own clock, not the wall clock: a backup whose clock is an hour ahead accepts that hour', async () => {
    const offset = 3_600_000;
    const { sent, dropped } = await feedPrePrepares([{ timestamp: Date.now() }, { timestamp: Date.now() + offset, seq: 1 }], clockAhead(offset));
    expect(dropped).toEqual({ bad_timestamp: 1 });
    expect(sent).toEqual(everyPeer(1));
  });

  it('drops a pre-prepare that does not come after its predecessor in the view, whichever arrives first', async () => {
    const t = Date.now();
    // seq 2, not later than seq 1: dropped. Then seq 4 arrives before seq 3: a seq 3 not earlier than
    // seq 4 is dropped, and one earlier than it is prepared.
    const { sent, dropped } = await feedPrePrepares([
      { timestamp: t, seq: 1 },
      { timestamp: t, seq: 2 },
      { timestamp: t + 10, seq: 4 },
      { timestamp: t + 10, seq: 3 },
      { timestamp: t + 5, seq: 3 },
    ]);
    expect(dropped).toEqual({ bad_timestamp: 2 });
    expect(sent).toEqual([...everyPeer(1), ...everyPeer(3), ...everyPeer(4)].sort());
  });
});

/** Swaps the first two entries of a canonical CBOR map with short keys (makes it non-canonical). */
function swapFirstTwoMapKeys(bytes: Uint8Array): Uint8Array {
  // { d: bytes32, i: 'r1', n, t, v } in canonical order starts with 'd' (0x61 0x64 0x58 0x20 …32 bytes) then 'i' (0x61 0x69 0x62 'r' '1')
  const head = bytes[0] as number;
  const d = bytes.subarray(1, 1 + 2 + 2 + 32);
  const i = bytes.subarray(1 + d.length, 1 + d.length + 2 + 3);
  return Uint8Array.of(head, ...i, ...d, ...bytes.subarray(1 + d.length + i.length));
}
