/**
 * The committee member's durable state: its key shares and the registry of
 * master tags already enrolled (tag → the holder key it was issued to). Both
 * live in a {@link Storage}, so a restarted member keeps refusing duplicates.
 *
 * Keys are under the `identity/` prefix: `identity/keys` and
 * `identity/reg/<32-byte tag>`.
 * @module
 */
import { type BatchOp, type Storage, concatBytes, decode, encode, readArray, readBigInt, readBytes, readInt, readRecord, utf8ToBytes } from '@admitone/core';

const KEYS_KEY = utf8ToBytes('identity/keys');
const REG_PREFIX = utf8ToBytes('identity/reg/');

/** A member's long-term key material (secret: never logged). */
export interface MemberKeys {
  /** This member's Shamir share of the PRF key over BN254 Fr. */
  readonly prfKeyShare: bigint;
  /** noble FROST key package from the DKG, CBOR-encodable form. */
  readonly frost: {
    readonly min: number;
    readonly max: number;
    readonly commitments: readonly Uint8Array[];
    readonly verifyingShares: Readonly<Record<string, Uint8Array>>;
    readonly identifier: string;
    readonly signingShare: Uint8Array;
  };
}

/** An enrolled master tag's record. */
export interface RegistryEntry {
  /** The master holder key the tag was enrolled with. */
  readonly holderKey: Uint8Array;
  /** Batch time of the enrollment. */
  readonly enrolledAt: number;
  /** The issuance batch that registered it (absent in records written before it was kept). */
  readonly batchId?: Uint8Array;
}

/** Loads the member's keys, or `undefined` before the first setup. */
export async function loadKeys(storage: Storage): Promise<MemberKeys | undefined> {
  const bytes = await storage.get(KEYS_KEY);
  if (bytes === undefined) return undefined;
  const r = readRecord(decode(bytes), 'keys', ['prfKeyShare', 'frost']);
  const f = readRecord(r['frost'], 'keys.frost', ['min', 'max', 'commitments', 'verifyingShares', 'identifier', 'signingShare']);
  const shares = readRecord(f['verifyingShares'], 'keys.frost.verifyingShares');
  return {
    prfKeyShare: readBigInt(r['prfKeyShare'], 'keys.prfKeyShare', 0n),
    frost: {
      min: readInt(f['min'], 'keys.frost.min', 1),
      max: readInt(f['max'], 'keys.frost.max', 1),
      commitments: readArray(f['commitments'], 'keys.frost.commitments', 256).map((c, i) => readBytes(c, `keys.frost.commitments[${i}]`, 32)),
      verifyingShares: Object.fromEntries(Object.entries(shares).map(([id, v]) => [id, readBytes(v, `keys.frost.verifyingShares.${id}`, 32)])),
      identifier: String(f['identifier']),
      signingShare: readBytes(f['signingShare'], 'keys.frost.signingShare', 32),
    },
  };
}

/** Persists the member's keys. */
export async function saveKeys(storage: Storage, keys: MemberKeys): Promise<void> {
  const f = keys.frost;
  await storage.put(
    KEYS_KEY,
    encode({
      prfKeyShare: keys.prfKeyShare,
      frost: {
        min: f.min,
        max: f.max,
        commitments: [...f.commitments],
        verifyingShares: { ...f.verifyingShares },
        identifier: f.identifier,
        signingShare: f.signingShare,
      },
    }),
  );
}

function regKey(tag: Uint8Array): Uint8Array {
  if (!(tag instanceof Uint8Array) || tag.length !== 32) throw new RangeError('tag must be 32 bytes');
  return concatBytes(REG_PREFIX, tag);
}

/** Looks up an enrolled master tag. */
export async function lookupTag(storage: Storage, tag: Uint8Array): Promise<RegistryEntry | undefined> {
  const bytes = await storage.get(regKey(tag));
  if (bytes === undefined) return undefined;
  const r = readRecord(decode(bytes), 'registry', ['holderKey', 'enrolledAt', 'batchId']);
  const entry = { holderKey: readBytes(r['holderKey'], 'registry.holderKey', 32), enrolledAt: readInt(r['enrolledAt'], 'registry.enrolledAt') };
  return r['batchId'] === undefined ? entry : { ...entry, batchId: readBytes(r['batchId'], 'registry.batchId', 16) };
}

/** A registry write for one new enrollment (applied with others in one atomic batch). */
export function registerOp(tag: Uint8Array, entry: RegistryEntry): BatchOp {
  const record = { holderKey: entry.holderKey, enrolledAt: entry.enrolledAt };
  return { type: 'put', key: regKey(tag), value: encode(entry.batchId === undefined ? record : { ...record, batchId: entry.batchId }) };
}

/** Number of enrolled tags (a full scan; for stats and tests). */
export async function countTags(storage: Storage): Promise<number> {
  let n = 0;
  for await (const _ of storage.iterate({ prefix: REG_PREFIX })) n += 1;
  return n;
}
