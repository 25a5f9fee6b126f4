/**
 * Regenerates tdh2.json (regression vectors: produced by this implementation from seeded randomness, so they
 * freeze the wire format, DSTs and KDF; they are not independent vectors).
 * Run from packages/market: `npx tsx --conditions=admitone-source test/vectors/generate-tdh2.ts > test/vectors/tdh2.json`
 */
import { ristretto255_FROST } from '@noble/curves/ed25519.js';
import { bytesToHex, seededRandom, utf8ToBytes } from '@admitone/core';
import {
  encodeTdh2Ciphertext,
  encodeTdh2DecryptionShare,
  sealedOrderLabel,
  tdh2CiphertextId,
  tdh2DecryptionShare,
  tdh2Encrypt,
  tdh2KeyShare,
  tdh2PublicKey,
} from '../../src/tdh2/index.js';

const committeeSeed = 'tdh2/vectors/committee';
const encryptSeed = 'tdh2/vectors/encrypt';
const shareSeed = 'tdh2/vectors/shares';
const min = 2;
const max = 3;
const random = seededRandom(committeeSeed);
const ids = Array.from({ length: max }, (_, i) => ristretto255_FROST.Identifier.fromNumber(i + 1));
const dealt = ristretto255_FROST.trustedDealer({ min, max }, ids, undefined, (n = 32) => random.bytes(n));
const publicKey = tdh2PublicKey(dealt.public);
const members = ids.map((id) => tdh2KeyShare({ public: dealt.public, secret: dealt.secretShares[id]! }, publicKey));
const label = sealedOrderLabel('vector-event', 7);
const payload = utf8ToBytes('{"listing":"t-1","bid":100}');
const ct = tdh2Encrypt(publicKey, label, payload, seededRandom(encryptSeed));
const shareRandom = seededRandom(shareSeed);
const shares = members.slice(0, min).map((m) => bytesToHex(encodeTdh2DecryptionShare(tdh2DecryptionShare(m, ct, { random: shareRandom }))));
process.stdout.write(
  `${JSON.stringify(
    {
      comment: 'Regression vectors produced by this implementation (see generate-tdh2.ts); not independent.',
      committeeSeed,
      encryptSeed,
      shareSeed,
      min,
      max,
      groupKey: bytesToHex(publicKey.groupKey.toBytes()),
      label: bytesToHex(label),
      payload: bytesToHex(payload),
      ciphertext: bytesToHex(encodeTdh2Ciphertext(ct)),
      ciphertextId: bytesToHex(tdh2CiphertextId(ct)),
      shares,
    },
    null,
    2,
  )}\n`,
);
