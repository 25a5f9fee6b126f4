/**
 * The committees of a venue node, four members in-process on the memory
 * network: the first start runs both DKGs (also when one member's storage is
 * slow, so peers' first messages arrive before it listens — the hold keeps
 * them), the order committee's TDH2 key decrypts with t + 1 shares, and a
 * restarted member loads the same keys from its storage without any peer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  bytesToHex,
  createMemoryStore,
  defaultCrypto,
  memoryNetwork,
  memoryStorage,
  seededRandom,
  silentLogger,
  systemClock,
  utf8ToBytes,
  type MemoryStore,
  type Storage,
} from '@admitone/core';
import { x25519KeyPair } from '@admitone/core/threshold';
import { sealedOrderLabel, tdh2Combine, tdh2DecryptionShare, tdh2Encrypt } from '@admitone/market';
import { holdTransport, loadOrderKey, orderCommitteeOf, startCommittees, watchFirstRead, type Committees } from '../src/committees.js';

const ids = ['n0', 'n1', 'n2', 'n3'];
const random = seededRandom('committees-test');
const keys = ids.map(() => x25519KeyPair(random));
const members = ids.map((id, i) => ({ id, encryptionKey: keys[i]!.publicKey }));
const stores = ids.map(() => ({ identity: createMemoryStore(), orders: createMemoryStore() }));
const net = memoryNetwork({ members: ids });
const running: Committees[] = [];

afterAll(async () => {
  for (const c of running) await c.close();
  await net.close();
});

/** A storage whose reads take `ms` (a slow disk). */
function slowReads(inner: Storage, ms: number): Storage {
  return { ...inner, capabilities: inner.capabilities, get: async (key) => (await new Promise((r) => setTimeout(r, ms)), inner.get(key)), iterate: (o) => inner.iterate(o) };
}

async function start(i: number, store: { identity: MemoryStore; orders: MemoryStore }, slowMs = 0): Promise<Committees> {
  const crypto = await defaultCrypto();
  const identityStorage = memoryStorage({ store: store.identity });
  return startCommittees({
    transport: net.transport(ids[i]!),
    members,
    encryptionSecretKey: keys[i]!.secretKey,
    identity: { committeeId: 'test-identity', degree: 1, authorizedGates: [], preprocessAhead: 0, timeoutMs: 2000 },
    orders: { committeeId: 'test-orders', degree: 1, dkgTimeoutMs: 6000 },
    identityStorage: slowMs === 0 ? identityStorage : slowReads(identityStorage, slowMs),
    ordersStorage: memoryStorage({ store: store.orders }),
    crypto,
    random: random.fork(`member-${i}-${slowMs}`),
    clock: systemClock(),
    logger: silentLogger(),
  });
}

describe('holdTransport and watchFirstRead', () => {
  it('buffers inbound messages until released, then delivers them in order', async () => {
    const small = memoryNetwork({ members: ['a', 'b'] });
    const a = small.transport('a');
    const held = holdTransport(small.transport('b'));
    const seen: number[] = [];
    held.onMessage((m) => seen.push(m.bytes[0]!));
    await a.send('b', Uint8Array.of(1));
    await a.send('b', Uint8Array.of(2));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([]);
    expect(held.held).toBe(2);
    held.release();
    expect(seen).toEqual([1, 2]);
    await a.send('b', Uint8Array.of(3));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([1, 2, 3]);
    await small.close();
  });

  it('signals the first completed read', async () => {
    const { storage, firstRead } = watchFirstRead(memoryStorage());
    let fired = false;
    void firstRead.then(() => (fired = true));
    await storage.put(utf8ToBytes('k'), Uint8Array.of(1));
    await Promise.resolve();
    expect(fired).toBe(false);
    expect(await storage.get(utf8ToBytes('k'))).toEqual(Uint8Array.of(1));
    await firstRead;
    expect(fired).toBe(true);
  });
});

describe('startCommittees', () => {
  it('runs both DKGs on first start, even with a slow member, and the TDH2 key decrypts with t + 1 shares', async () => {
    // member 3's identity storage is slow: its peers' first DKG messages reach it before it listens
    const started = await Promise.all(ids.map((_, i) => start(i, stores[i]!, i === 3 ? 150 : 0)));
    running.push(...started);
    for (const c of started) expect(c.fresh).toEqual({ identity: true, orders: true });
    const group = bytesToHex(started[0]!.descriptor.groupPublicKey);
    for (const c of started) expect(bytesToHex(c.descriptor.groupPublicKey)).toBe(group);
    expect(started.map((c) => c.orders.keyShare.index)).toEqual([1n, 2n, 3n, 4n]);
    const committee = orderCommitteeOf(started[0]!.orders.publicPackage, ids.map((id, i) => ({ id, relayKey: Uint8Array.of(i).fill(i + 1, 0, 1) })));
    expect(committee.members.map((m) => m.index)).toEqual([1n, 2n, 3n, 4n]);
    const label = sealedOrderLabel('gig', 0);
    const ct = tdh2Encrypt(committee.publicKey, label, utf8ToBytes('bid 120'), random);
    const shares = [started[1]!, started[3]!].map((c) => tdh2DecryptionShare(c.orders.keyShare, ct, { random, expectedLabel: label }));
    expect(new TextDecoder().decode(tdh2Combine(committee.publicKey, ct, shares, { random, expectedLabel: label }).payload)).toBe('bid 120');
  }, 20_000);

  it('restarts a member from its storage alone, with the same keys', async () => {
    const before = running[2]!;
    const group = bytesToHex(before.descriptor.groupPublicKey);
    const orderKey = await loadOrderKey(memoryStorage({ store: stores[2]!.orders }));
    await before.close();
    running.splice(2, 1);
    const again = await start(2, stores[2]!);
    running.push(again);
    expect(again.fresh).toEqual({ identity: false, orders: false });
    expect(bytesToHex(again.descriptor.groupPublicKey)).toBe(group);
    expect(again.orders.keyShare.index).toBe(3n);
    expect(again.orders.publicPackage.commitments.map(bytesToHex)).toEqual(orderKey?.public.commitments.map(bytesToHex));
  }, 20_000);
});
