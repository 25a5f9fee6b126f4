/**
 * The browser-safe client helpers: base64url (round trips as a property,
 * strict on non-canonical input), the venue description codec, the
 * identity-committee endpoint over `fetch`, and `venueApi`'s envelope
 * handling (with an injected `fetch`, so no server is needed).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ristretto255_FROST } from '@noble/curves/ed25519.js';
import { bytesToHex, seededRandom } from '@admitone/core';
import { IdentityError } from '@admitone/identity';
import { tdh2PublicKey } from '@admitone/market';
import {
  base64urlToBytes,
  bytesToBase64url,
  decodeOrderCommitteeKey,
  decodeVenueInfo,
  encodeOrderCommitteeKey,
  httpCommitteeEndpoint,
  orderCommitteeKeyText,
  venueApi,
  type FetchLike,
  type VenueInfo,
} from '../src/client/index.js';

describe('base64url', () => {
  it('round-trips any bytes and matches Node’s encoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = bytesToBase64url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(base64urlToBytes(text)).toEqual(bytes);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('refuses padding, foreign characters, impossible lengths and non-canonical trailing bits', () => {
    for (const bad of ['AA==', 'A', 'AB+/', 'ab c', 'AB\u00e9']) expect(() => base64urlToBytes(bad), bad).toThrow(TypeError);
    expect(base64urlToBytes('AA')).toEqual(Uint8Array.of(0));
    expect(() => base64urlToBytes('AB')).toThrow(/canonical/); // 'AB' decodes to 0x00 with non-zero spare bits
    expect(() => base64urlToBytes('AAB')).toThrow(/canonical/);
    expect(() => base64urlToBytes(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('the venue description', () => {
  const random = seededRandom('venue-info');
  const ids = [1, 2, 3, 4].map((x) => ristretto255_FROST.Identifier.fromNumber(x));
  const dealt = ristretto255_FROST.trustedDealer({ min: 2, max: 4 }, ids, undefined, (len = 32) => random.bytes(len));
  const hex = () => bytesToHex(random.bytes(32));
  const info: VenueInfo = {
    node: 'n0',
    deployment: 'test',
    replicas: [0, 1, 2, 3].map((i) => ({ id: `n${i}`, publicKey: hex(), ledgerUrl: `ws://127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, relayId: `n${i}-relay` })),
    relays: [0, 1, 2, 3].map((i) => ({ id: `n${i}-relay`, publicKey: hex() })),
    identityCommittee: { committeeId: 'venue-identity', degree: 1, groupPublicKey: hex(), members: [0, 1, 2, 3].map((i) => ({ id: `n${i}`, encryptionKey: hex() })), authorizedGates: [hex()] },
    orderCommittee: { committeeId: 'venue-orders', degree: 1, publicKey: orderCommitteeKeyText(dealt.public), members: [1, 2, 3, 4].map((i) => ({ index: String(i), requestKey: hex() })) },
    fundingKeys: [hex()],
    codeStepMs: 15_000,
  };

  it('encodes the order committee key canonically and decodes it back', () => {
    const bytes = encodeOrderCommitteeKey(dealt.public);
    const back = decodeOrderCommitteeKey(bytes);
    expect(encodeOrderCommitteeKey(back)).toEqual(bytes);
    expect(tdh2PublicKey(back).groupKey.equals(tdh2PublicKey(dealt.public).groupKey)).toBe(true);
    expect(() => decodeOrderCommitteeKey(Uint8Array.of(1, 2, 3))).toThrow(expect.objectContaining({ code: expect.stringMatching(/^CODEC_/) }));
  });

  it('decodes into SDK objects', () => {
    const d = decodeVenueInfo(info);
    expect(d.identityCommittee.committeeId).toBe('venue-identity');
    expect(d.identityCommittee.groupPublicKey).toHaveLength(32);
    expect(d.identityCommittee.members.map((m) => m.id)).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(d.orderCommittee.members.map((m) => m.index)).toEqual([1n, 2n, 3n, 4n]);
    expect(d.orderCommittee.publicKey.minShares).toBe(2);
    expect(d.replicas[2]).toMatchObject({ id: 'n2', url: 'ws://127.0.0.1:7002' });
    expect(d.fundingKeys).toHaveLength(1);
  });

  it('names the field of a malformed description', () => {
    const bad = (edit: (v: any) => void) => {
      const v = JSON.parse(JSON.stringify(info));
      edit(v);
      return () => decodeVenueInfo(v);
    };
    expect(bad((v) => (v.identityCommittee.groupPublicKey = 'xyz'))).toThrow(/identityCommittee.groupPublicKey/);
    expect(bad((v) => (v.replicas[1].ledgerUrl = ''))).toThrow(/replicas\[1\].ledgerUrl/);
    expect(bad((v) => (v.orderCommittee.publicKey = '!!'))).toThrow(/orderCommittee.publicKey/);
    expect(bad((v) => (v.orderCommittee.members[0].index = '0'))).toThrow(/orderCommittee.members\[0\].index/);
    expect(bad((v) => (v.codeStepMs = -1))).toThrow(/codeStepMs/);
  });
});

describe('httpCommitteeEndpoint', () => {
  it('POSTs octet-stream bytes to the member’s node and returns its answer; failures are IdentityErrors', async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const fetch: FetchLike = async (url, init) => {
      calls.push({ url, init });
      if (url.startsWith('http://b')) return new Response('{"ok":false}', { status: 503 });
      if (url.startsWith('http://c')) throw new TypeError('fetch failed');
      return new Response(Uint8Array.of(9, 8, 7), { status: 200 });
    };
    const endpoint = httpCommitteeEndpoint({ a: 'http://a:1/', b: 'http://b:2', c: 'http://c:3' }, { fetch });
    expect([...(await endpoint.request('a', Uint8Array.of(1, 2)))]).toEqual([9, 8, 7]);
    expect(calls[0]!.url).toBe('http://a:1/api/v1/identity');
    expect(calls[0]!.init?.method).toBe('POST');
    expect((calls[0]!.init?.headers as Record<string, string>)['content-type']).toBe('application/octet-stream');
    await expect(endpoint.request('b', Uint8Array.of(1))).rejects.toMatchObject({ code: 'IDENTITY_UNAVAILABLE' });
    await expect(endpoint.request('c', Uint8Array.of(1))).rejects.toBeInstanceOf(IdentityError);
    await expect(endpoint.request('zz', Uint8Array.of(1))).rejects.toMatchObject({ code: 'IDENTITY_UNAVAILABLE' });
    expect(() => httpCommitteeEndpoint({ a: 'ftp://a' })).toThrow(TypeError);
  });
});

describe('venueApi', () => {
  it('returns the envelope with its status, and a bad_response envelope for non-JSON answers', async () => {
    const fetch: FetchLike = async (url) => {
      if (url.endsWith('/api/v1/stats')) return new Response('{"ok":true,"data":{"events":1}}', { status: 200 });
      if (url.includes('/api/v1/tickets?') || url.includes('/epochs/')) return new Response(JSON.stringify({ ok: true, data: { tickets: [], url } }), { status: 200 });
      return new Response('<html>proxy error</html>', { status: 502 });
    };
    const api = venueApi('http://127.0.0.1:9/', { fetch });
    expect(api.baseUrl).toBe('http://127.0.0.1:9');
    expect(await api.stats()).toEqual({ ok: true, data: { events: 1 }, status: 200 });
    const page = await api.tickets({ eventId: 'gig:1', after: 3, limit: 2, consistent: true });
    expect(page.ok && (page.data as unknown as { url: string }).url).toBe('http://127.0.0.1:9/api/v1/tickets?eventId=gig%3A1&after=3&limit=2&consistent=1');
    // a holder key given as bytes goes out as 64 hex digits
    const held = await api.tickets({ eventId: 'gig:1', holder: new Uint8Array(32).fill(0xab), limit: 5 });
    expect(held.ok && (held.data as unknown as { url: string }).url).toBe(`http://127.0.0.1:9/api/v1/tickets?eventId=gig%3A1&holder=${'ab'.repeat(32)}&limit=5`);
    // epoch pages: from and limit in the query string, the event id escaped
    const urlOf = (r: { ok: boolean; data?: unknown }) => (r.data as { url: string }).url;
    expect(urlOf(await api.epochOutcomes('gig:1', 3, { from: 512, limit: 256 }))).toBe('http://127.0.0.1:9/api/v1/events/gig%3A1/epochs/3/outcomes?from=512&limit=256');
    expect(urlOf(await api.epochTrades('gig:1', 0, { consistent: true }))).toBe('http://127.0.0.1:9/api/v1/events/gig%3A1/epochs/0/trades?consistent=1');
    expect(urlOf(await api.epochTrades('gig:1', 2))).toBe('http://127.0.0.1:9/api/v1/events/gig%3A1/epochs/2/trades');
    const broken = await api.venue();
    expect(broken).toMatchObject({ ok: false, status: 502, error: { reason: 'bad_response' } });
    expect(() => venueApi('127.0.0.1:9')).toThrow(TypeError);
  });
});
