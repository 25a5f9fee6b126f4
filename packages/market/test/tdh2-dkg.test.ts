/**
 * A committee key from `runDkg` (`@admitone/core/threshold`, noble's FROST DKG
 * rounds over the in-memory transport) plugs into TDH2 directly: member x
 * from `memberPoints` is the TDH2 share index, and any t + 1 members decrypt.
 */
import { describe, expect, it } from 'vitest';
import { ristretto255_FROST } from '@noble/curves/ed25519.js';
import { bytesToHex, memoryNetwork, seededRandom, utf8ToBytes, virtualClock } from '@admitone/core';
import { memberPoints, runDkg } from '@admitone/core/threshold';
import {
  sealedOrderLabel,
  tdh2Combine,
  tdh2DecryptionShare,
  tdh2Encrypt,
  tdh2KeyShare,
  tdh2PublicKey,
  tdh2VerifyShares,
} from '../src/tdh2/index.js';

async function dkgCommittee(members: readonly string[], threshold: number, seed: string) {
  const net = memoryNetwork({ members });
  const clock = virtualClock();
  // Open every endpoint before anyone broadcasts: the in-memory network drops messages to endpoints not yet open.
  const transports = members.map((id) => net.transport(id));
  try {
    const results = await Promise.all(
      transports.map((transport) =>
        runDkg({
          suite: ristretto255_FROST,
          transport,
          sessionId: `tdh2-dkg/${seed}`,
          threshold,
          random: seededRandom(`${seed}/${transport.localId}`),
          clock,
          timeoutMs: 10_000,
        }),
      ),
    );
    return new Map(members.map((id, i) => [id, results[i]!]));
  } finally {
    await net.close();
  }
}

function pairsOf<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [head, ...rest] = items as [T, ...T[]];
  return [...pairsOf(rest, k - 1).map((s) => [head, ...s]), ...pairsOf(rest, k)];
}

describe('TDH2 with a runDkg committee key', () => {
  for (const [n, min] of [
    [4, 2],
    [7, 3],
  ] as const) {
    it(`n=${n}, t=${min - 1}: every member derives the same public key and every (t+1)-subset decrypts`, async () => {
      const members = Array.from({ length: n }, (_, i) => `member-${String.fromCharCode(97 + ((i * 3) % n))}`); // unsorted ids
      const dkg = await dkgCommittee(members, min, `n${n}`);
      const points = memberPoints(members);
      const keys = [...dkg.values()];
      const publicKey = tdh2PublicKey(keys[0]!.key.public);
      for (const r of keys) {
        expect(bytesToHex(tdh2PublicKey(r.key.public).groupKey.toBytes())).toBe(bytesToHex(publicKey.groupKey.toBytes()));
        expect(bytesToHex(r.groupPublicKey)).toBe(bytesToHex(publicKey.groupKey.toBytes()));
      }
      const shareKeys = members.map((id) => tdh2KeyShare(dkg.get(id)!.key, publicKey));
      members.forEach((id, i) => expect(shareKeys[i]!.index).toBe(points.get(id)));

      const random = seededRandom(`tdh2-dkg/use/${n}`);
      const label = sealedOrderLabel('dkg-event', 1);
      const payload = utf8ToBytes(`sealed order for n=${n}`);
      const ct = tdh2Encrypt(publicKey, label, payload, random);
      const shares = shareKeys.map((k) => tdh2DecryptionShare(k, ct, { random, expectedLabel: label }));
      expect(tdh2VerifyShares(publicKey, shares.map((share) => ({ ciphertext: ct, share })), random).valid).toBe(true);
      const subsets = pairsOf(shares, min);
      expect(subsets.length).toBe(n === 4 ? 6 : 35);
      for (const subset of subsets) {
        expect(bytesToHex(tdh2Combine(publicKey, ct, subset, { random, expectedLabel: label }).payload)).toBe(bytesToHex(payload));
      }
    });
  }
});
