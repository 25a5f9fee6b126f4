import { describe, expect, it } from 'vitest';
import { transportCompliance } from '../src/compliance/index.js';
import {
  CryptoError,
  DEFAULT_MAX_MESSAGE_BYTES,
  bytesToHex,
  memoryLogger,
  memoryNetwork,
  seededRandom,
  utf8ToBytes,
  type DeliveryScheduler,
  type Envelope,
  type InboundMessage,
  type MemoryNetwork,
  type Transport,
} from '../src/index.js';
import { SECURE_TRANSPORT_OVERHEAD_BYTES, secureTransport, x25519KeyPair, type SecureTransport } from '../src/threshold/index.js';

/** Static keys for a membership, deterministic per id. */
function keysFor(members: readonly string[]) {
  const pairs = new Map(members.map((id) => [id, x25519KeyPair(seededRandom(`static/${id}`))]));
  const publicKeys = Object.fromEntries([...pairs].map(([id, k]) => [id, k.publicKey]));
  return { pairs, publicKeys };
}

/** A memory network whose every endpoint is wrapped in a secure transport. */
function secureNetwork(members: readonly string[], schedule?: DeliveryScheduler) {
  const net = memoryNetwork(schedule === undefined ? { members } : { members, schedule, capabilities: { ordered: true, reliable: true } });
  const { pairs, publicKeys } = keysFor(members);
  const inner = new Map<string, Transport>();
  const logger = memoryLogger();
  const secure = members.map((id) => {
    const t = net.transport(id);
    inner.set(id, t);
    return secureTransport(t, {
      staticSecret: pairs.get(id)!.secretKey,
      peerPublicKeys: publicKeys,
      random: seededRandom(`nonces/${id}`),
      logger: logger.child({ peer: id }),
    });
  });
  return { net, secure, inner, logger };
}

const networks = new Map<readonly Transport[], MemoryNetwork>();
transportCompliance(
  { describe, it },
  {
    name: 'secureTransport over memoryNetwork',
    async setup(members) {
      const { net, secure } = secureNetwork(members);
      networks.set(secure, net);
      return secure;
    },
    async teardown(transports) {
      await networks.get(transports)?.close();
      networks.delete(transports);
    },
  },
);

/** A scheduler that records envelopes and delivers them only when told (optionally after mutating their bytes). */
function manualScheduler() {
  const queue: { envelope: Envelope; deliver: () => void }[] = [];
  const schedule: DeliveryScheduler = (envelope, deliver) => queue.push({ envelope, deliver });
  return { queue, schedule };
}

function inbox(t: Transport): InboundMessage[] {
  const got: InboundMessage[] = [];
  t.onMessage((m) => got.push(m));
  return got;
}

describe('secureTransport', () => {
  it('declares the inner limit minus its overhead, and seals what goes on the wire', async () => {
    const { queue, schedule } = manualScheduler();
    const { net, secure } = secureNetwork(['a', 'b', 'c'], schedule);
    const [a, b] = secure as [SecureTransport, SecureTransport];
    expect(SECURE_TRANSPORT_OVERHEAD_BYTES).toBe(41);
    expect(a.capabilities.maxMessageBytes).toBe(DEFAULT_MAX_MESSAGE_BYTES - 41);
    const atB = inbox(b);
    const plaintext = utf8ToBytes('share of the PRF key: 0123456789abcdef'.repeat(4));
    await a.send('b', plaintext);
    await a.broadcast(plaintext);
    expect(queue.map((q) => q.envelope.to)).toEqual(['b', 'b', 'c']);
    const hex = bytesToHex(plaintext.subarray(0, 16));
    for (const { envelope } of queue) {
      expect(envelope.bytes.length).toBe(plaintext.length + 41);
      expect(bytesToHex(envelope.bytes)).not.toContain(hex);
    }
    // the broadcast copies to b and c are different ciphertexts (different pair keys and nonces)
    expect(bytesToHex(queue[1]!.envelope.bytes)).not.toBe(bytesToHex(queue[2]!.envelope.bytes));
    for (const q of queue) q.deliver();
    expect(atB.map((m) => [m.from, bytesToHex(m.bytes)])).toEqual([
      ['a', bytesToHex(plaintext)],
      ['a', bytesToHex(plaintext)],
    ]);
    await net.close();
  });

  it('drops and counts tampered, reflected, relayed and foreign messages, logging no content', async () => {
    const { queue, schedule } = manualScheduler();
    const { net, secure, inner, logger } = secureNetwork(['a', 'b', 'c'], schedule);
    const [a, b, c] = secure as [SecureTransport, SecureTransport, SecureTransport];
    const atA = inbox(a);
    const atB = inbox(b);
    const atC = inbox(c);
    const secret = utf8ToBytes('top secret share');
    await a.send('b', secret);
    const original = queue.shift()!;
    // 1. every single-byte change of a→b is dropped
    for (let i = 0; i < original.envelope.bytes.length; i += 5) {
      const mauled = original.envelope.bytes.slice();
      mauled[i]! ^= 0x40;
      await inner.get('a')!.send('b', mauled);
    }
    // 2. truncated, and not sealed at all
    await inner.get('a')!.send('b', original.envelope.bytes.slice(0, 40));
    await inner.get('a')!.send('b', secret);
    // 3. b reflects a's ciphertext back to a, and relays it to c
    await inner.get('b')!.send('a', original.envelope.bytes);
    await inner.get('b')!.send('c', original.envelope.bytes);
    const attacks = queue.length;
    for (const q of queue.splice(0)) q.deliver();
    expect(atA).toEqual([]);
    expect(atB).toEqual([]);
    expect(atC).toEqual([]);
    expect(a.droppedMessages + b.droppedMessages + c.droppedMessages).toBe(attacks);
    expect(b.droppedMessages).toBe(attacks - 2);
    expect(a.droppedMessages).toBe(1);
    expect(c.droppedMessages).toBe(1);
    const warnings = logger.records.filter((r) => r.level === 'warn');
    expect(warnings).toHaveLength(attacks);
    expect(JSON.stringify(warnings)).not.toContain('secret');
    for (const w of warnings) expect(Object.keys(w.fields).sort()).toEqual(['from', 'peer']);
    // the untouched original still opens
    original.deliver();
    expect(atB.map((m) => new TextDecoder().decode(m.bytes))).toEqual(['top secret share']);
    await net.close();
  });

  it('rejects missing or unusable peer keys with CRYPTO_INVALID_KEY naming the peer', async () => {
    const { pairs, publicKeys } = keysFor(['a', 'b', 'c']);
    const attempt = async (staticSecret: Uint8Array, peerPublicKeys: Record<string, Uint8Array>): Promise<CryptoError> => {
      const net = memoryNetwork({ members: ['a', 'b', 'c'] });
      try {
        secureTransport(net.transport('a'), { staticSecret, peerPublicKeys });
      } catch (e) {
        expect(e).toBeInstanceOf(CryptoError);
        expect((e as CryptoError).code).toBe('CRYPTO_INVALID_KEY');
        return e as CryptoError;
      } finally {
        await net.close();
      }
      throw new Error('expected CRYPTO_INVALID_KEY');
    };
    const secretA = pairs.get('a')!.secretKey;
    const { b: _b, ...withoutB } = publicKeys;
    expect((await attempt(secretA, withoutB)).meta['peer']).toBe('b');
    expect((await attempt(secretA, { ...publicKeys, c: new Uint8Array(32) })).meta['peer']).toBe('c'); // low order
    expect((await attempt(secretA, { ...publicKeys, c: new Uint8Array(33) })).message).toContain('"c"');
    const bad = await attempt(new Uint8Array(31), publicKeys);
    expect(bad.meta['peer']).toBeUndefined();
  });

  it('works when two endpoints disagree on nothing but order of construction (pair keys are symmetric)', async () => {
    const members = ['zed', 'amy'];
    const net = memoryNetwork({ members });
    const { pairs, publicKeys } = keysFor(members);
    const zed = secureTransport(net.transport('zed'), { staticSecret: pairs.get('zed')!.secretKey, peerPublicKeys: publicKeys });
    const amy = secureTransport(net.transport('amy'), { staticSecret: pairs.get('amy')!.secretKey, peerPublicKeys: { zed: publicKeys['zed']! } });
    const got = new Promise<InboundMessage>((resolve) => amy.onMessage(resolve));
    await zed.send('amy', Uint8Array.of(1, 2, 3));
    expect([...(await got).bytes]).toEqual([1, 2, 3]);
    const back = new Promise<InboundMessage>((resolve) => zed.onMessage(resolve));
    await amy.send('zed', Uint8Array.of(4));
    expect((await back).from).toBe('amy');
    await net.close();
  });
});
