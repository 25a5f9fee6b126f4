import { describe, expect, it } from 'vitest';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { seededRandom } from '@admitone/core';
import {
  CHANNEL_KEY_BYTES,
  TAG_BYTES,
  deriveChannelKeys,
  ephemeralKeyPair,
  nobleAead,
  nobleX25519,
  secureChannel,
  setCounter,
  type Aead,
  type ChannelTranscript,
} from '../src/channel.js';
import { nodeAead } from '../src/node/aead.js';
import { nodeX25519 } from '../src/node/x25519.js';

const random = seededRandom('channel-test');

function sealWith(aead: Aead, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + TAG_BYTES);
  aead.forKey(key).seal(nonce, plaintext, out);
  return out;
}

function pair(overrides: Partial<ChannelTranscript> = {}) {
  const dialer = ephemeralKeyPair(random);
  const listener = ephemeralKeyPair(random);
  const t: ChannelTranscript = {
    dialerId: 'bob',
    listenerId: 'alice',
    dialerNonce: random.bytes(32),
    listenerNonce: random.bytes(32),
    dialerEphemeral: dialer.publicKey,
    listenerEphemeral: listener.publicKey,
    ...overrides,
  };
  return { dialer, listener, t };
}

describe('channel: the AEAD', () => {
  it("Node's native ChaCha20-Poly1305 is in use, and it and noble's produce and open each other's bytes", () => {
    expect(nodeAead.name).toBe('node');
    for (const size of [0, 1, 15, 16, 17, 63, 64, 65, 1000, 70_000, 1 << 20]) {
      const key = random.bytes(32);
      const nonce = random.bytes(12);
      const plaintext = random.bytes(size);
      const byNode = sealWith(nodeAead, key, nonce, plaintext);
      const byNoble = sealWith(nobleAead, key, nonce, plaintext);
      expect(byNode, `size ${size}`).toEqual(byNoble);
      expect(nodeAead.forKey(key).open(nonce, byNoble), `size ${size}`).toEqual(plaintext);
      expect(nobleAead.forKey(key).open(nonce, byNode), `size ${size}`).toEqual(plaintext);
    }
  });

  it.each([nodeAead, nobleAead])('$name refuses a flipped bit, a wrong key or nonce, and a cut-short input, without throwing', (aead) => {
    const key = random.bytes(32);
    const nonce = random.bytes(12);
    const sealed = sealWith(aead, key, nonce, random.bytes(100));
    const cipher = aead.forKey(key);
    for (const at of [0, 50, 99, 100, 115]) {
      const bad = sealed.slice();
      bad[at]! ^= 0x80;
      expect(cipher.open(nonce, bad), `bit flipped at ${at}`).toBeUndefined();
    }
    expect(aead.forKey(random.bytes(32)).open(nonce, sealed)).toBeUndefined();
    expect(cipher.open(random.bytes(12), sealed)).toBeUndefined();
    expect(cipher.open(nonce, sealed.subarray(0, sealed.length - 1))).toBeUndefined();
    expect(cipher.open(nonce, new Uint8Array(TAG_BYTES - 1))).toBeUndefined();
    expect(cipher.open(nonce, new Uint8Array(0))).toBeUndefined();
    expect(cipher.open(nonce, sealed), 'the untouched frame still opens').toHaveLength(100);
  });
});

describe('channel: x25519', () => {
  it("Node's native x25519 is in use, and it and noble's agree on public keys and shared secrets", () => {
    expect(nodeX25519.name).toBe('node');
    for (let i = 0; i < 20; i++) {
      const a = random.bytes(32);
      const b = random.bytes(32);
      const [A, B] = [nodeX25519.publicKey(a), nobleX25519.publicKey(b)];
      expect(A).toEqual(nobleX25519.publicKey(a));
      expect(B).toEqual(nodeX25519.publicKey(b));
      const shared = nodeX25519.sharedSecret({ secretKey: a, publicKey: A }, B);
      expect(shared).toHaveLength(32);
      expect(shared).toEqual(nobleX25519.sharedSecret({ secretKey: b, publicKey: B }, A));
    }
  });

  it('RFC 7748 §6.1: the Alice/Bob vector, through both', () => {
    const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
    const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const B = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    for (const x of [nodeX25519, nobleX25519]) {
      expect(Buffer.from(x.publicKey(a)).toString('hex'), x.name).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      expect(Buffer.from(x.sharedSecret({ secretKey: a, publicKey: x.publicKey(a) }, B)!).toString('hex'), x.name).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    }
  });

  it.each([
    ['all zeros', new Uint8Array(32)],
    ['u = 1', Uint8Array.of(1, ...new Uint8Array(31))],
    ['a point of order 8', Uint8Array.from(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex'))],
    ['31 bytes', new Uint8Array(31).fill(9)],
    ['33 bytes', new Uint8Array(33).fill(9)],
  ])('both refuse a peer key that is %s, without throwing', (_what, bad) => {
    const own = ephemeralKeyPair(random);
    expect(nodeX25519.sharedSecret(own, bad)).toBeUndefined();
    expect(nobleX25519.sharedSecret(own, bad)).toBeUndefined();
  });
});

describe('channel: key derivation', () => {
  it('both sides derive the same two keys, one per direction, and the ephemeral secrets are wiped', () => {
    const { dialer, listener, t } = pair();
    const d = deriveChannelKeys('dialer', dialer, t)!;
    const l = deriveChannelKeys('listener', listener, t)!;
    expect(d.send).toEqual(l.receive);
    expect(d.receive).toEqual(l.send);
    expect(d.send).not.toEqual(d.receive);
    expect(d.send).toHaveLength(CHANNEL_KEY_BYTES);
    expect(dialer.secretKey.every((x) => x === 0)).toBe(true);
    expect(listener.secretKey.every((x) => x === 0)).toBe(true);
  });

  it.each<[string, (t: ChannelTranscript) => Partial<ChannelTranscript>]>([
    ['the dialer id', () => ({ dialerId: 'carol' })],
    ['the listener id', () => ({ listenerId: 'carol' })],
    ['a nonce', () => ({ dialerNonce: random.bytes(32) })],
    ['the ids swapped', (t) => ({ dialerId: t.listenerId, listenerId: t.dialerId })],
  ])('binds the keys to the transcript: another %s gives other keys', (_what, change) => {
    const { dialer, t } = pair();
    const copy = { ...dialer, secretKey: dialer.secretKey.slice() };
    const original = deriveChannelKeys('dialer', dialer, t)!;
    const changed = deriveChannelKeys('dialer', copy, { ...t, ...change(t) })!;
    expect(changed.send).not.toEqual(original.send);
    expect(changed.receive).not.toEqual(original.receive);
  });

  it.each([
    ['all zeros (the point of order 1 or 2)', new Uint8Array(32)],
    ['u = 1 (low order)', Uint8Array.of(1, ...new Uint8Array(31))],
    ['a short key', new Uint8Array(31).fill(9)],
  ])("refuses a peer's ephemeral key that is %s", (_what, bad) => {
    const { dialer, t } = pair();
    expect(deriveChannelKeys('dialer', dialer, { ...t, listenerEphemeral: bad })).toBeUndefined();
    expect(dialer.secretKey.every((x) => x === 0)).toBe(true);
  });
});

describe('channel: sealing with counters', () => {
  function channels() {
    const { dialer, listener, t } = pair();
    const d = deriveChannelKeys('dialer', dialer, t)!;
    const l = deriveChannelKeys('listener', listener, t)!;
    return { d, dialer: secureChannel(d, nobleAead), listener: secureChannel(l, nodeAead) };
  }

  it('frame i is RFC 8439 ChaCha20-Poly1305 under nonce 0⁴ ‖ u64le(i), behind the prefix byte', () => {
    const { d, dialer } = channels();
    for (let i = 0; i < 3; i++) {
      const inner = Uint8Array.of(4, i, i);
      const frame = dialer.seal(7, inner);
      const nonce = new Uint8Array(12);
      nonce[4] = i;
      expect(frame[0]).toBe(7);
      expect(frame.subarray(1)).toEqual(chacha20poly1305(d.send, nonce).encrypt(inner));
    }
  });

  it.each([
    [0, [0, 0, 0, 0, 0, 0, 0, 0]],
    [258, [2, 1, 0, 0, 0, 0, 0, 0]],
    [2 ** 32 + 5, [5, 0, 0, 0, 1, 0, 0, 0]],
    [2 ** 48 - 1, [255, 255, 255, 255, 255, 255, 0, 0]],
  ])('counter %d is the nonce 0⁴ ‖ u64le', (counter, le) => {
    const nonce = new Uint8Array(12).fill(0xee);
    nonce.fill(0, 0, 4);
    setCounter(nonce, counter);
    expect([...nonce]).toEqual([0, 0, 0, 0, ...le]);
  });

  it('opens frames in order, and refuses a replayed, skipped, reordered or reflected one', () => {
    const { dialer, listener } = channels();
    const frames = [0, 1, 2, 3].map((i) => dialer.seal(7, Uint8Array.of(4, i)).subarray(1));
    expect(listener.open(frames[0]!)).toEqual(Uint8Array.of(4, 0));
    expect(listener.open(frames[0]!), 'replay').toBeUndefined();
    expect(listener.open(frames[2]!), 'skipping frame 1').toBeUndefined();
    expect(listener.open(frames[1]!), 'a failed open does not advance the counter').toEqual(Uint8Array.of(4, 1));
    expect(listener.open(frames[3]!), 'reordered').toBeUndefined();
    expect(dialer.open(listener.seal(7, Uint8Array.of(5)).subarray(1))).toEqual(Uint8Array.of(5));
    const own = dialer.seal(7, Uint8Array.of(6)).subarray(1);
    expect(dialer.open(own), 'reflected back to its sender').toBeUndefined();
  });

  it('destroy wipes both keys and refuses further use', () => {
    const { d, dialer } = channels();
    const sealed = dialer.seal(7, Uint8Array.of(4));
    dialer.destroy();
    expect(d.send.every((x) => x === 0) && d.receive.every((x) => x === 0)).toBe(true);
    expect(() => dialer.seal(7, Uint8Array.of(4))).toThrow(RangeError);
    expect(dialer.open(sealed.subarray(1))).toBeUndefined();
  });
});
