/**
 * Decoding the public venue description (`GET /api/v1/venue`) into the
 * objects the SDK takes: the identity committee's `CommitteeDescriptor` (for
 * `createIdentityClient` and gate verifiers), the order committee's TDH2
 * public key (for `sealOrder`), and the ledger membership (for client devices
 * that dial the replicas). Also the canonical encoding of the order
 * committee's FROST public package. No Node APIs (runs in browsers).
 * @module
 */
import { decode, encode, hexToBytes, isDeploymentId, readArray, type DeploymentId, readBytes, readInt, readRecord } from '@admitone/core';
import type { CommitteeDescriptor } from '@admitone/identity';
import { tdh2PublicKey, type FrostPublicPackage, type OrderCommittee } from '@admitone/market';
import { base64urlToBytes, bytesToBase64url } from './base64url.js';
import type { VenueInfo } from './types.js';

/** Canonical CBOR of a FROST public package (`runDkg(...).key.public`), as published in {@link VenueInfo}. */
export function encodeOrderCommitteeKey(pub: FrostPublicPackage): Uint8Array {
  return encode({
    signers: { min: pub.signers.min, max: pub.signers.max },
    commitments: [...pub.commitments],
    verifyingShares: { ...pub.verifyingShares },
  });
}

/** Decodes {@link encodeOrderCommitteeKey}'s bytes. Throws `CodecError` (`CODEC_*`) on malformed input. */
export function decodeOrderCommitteeKey(bytes: Uint8Array): FrostPublicPackage {
  const r = readRecord(decode(bytes, { maxBytes: 64 * 1024 }), 'orderKey', ['signers', 'commitments', 'verifyingShares']);
  const s = readRecord(r['signers'], 'orderKey.signers', ['min', 'max']);
  const shares = readRecord(r['verifyingShares'], 'orderKey.verifyingShares');
  return {
    signers: { min: readInt(s['min'], 'orderKey.signers.min', 1, 1024), max: readInt(s['max'], 'orderKey.signers.max', 1, 1024) },
    commitments: readArray(r['commitments'], 'orderKey.commitments', 1024).map((c, i) => readBytes(c, `orderKey.commitments[${i}]`, 32)),
    verifyingShares: Object.fromEntries(Object.entries(shares).map(([id, v]) => [id, readBytes(v, `orderKey.verifyingShares.${id}`, 32)])),
  };
}

/** {@link encodeOrderCommitteeKey} as base64url text (the `orderCommittee.publicKey` field). */
export function orderCommitteeKeyText(pub: FrostPublicPackage): string {
  return bytesToBase64url(encodeOrderCommitteeKey(pub));
}

/** A replica as a ledger-mesh member (a `WebSocketMember`) with its HTTP url. */
export interface DecodedReplica {
  /** Replica id. */
  readonly id: string;
  /** Its Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** Its ledger-mesh url (`ws://…`). */
  readonly url: string;
  /** Its HTTP API url. */
  readonly httpUrl: string;
}

/** A relay client on the ledger mesh. */
export interface DecodedRelay {
  /** Its id. */
  readonly id: string;
  /** Its Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

/** The SDK objects a {@link VenueInfo} describes. */
export interface DecodedVenueInfo {
  /** The venue's deployment id: requests and holder codes are signed for it. */
  readonly deployment: DeploymentId;
  /** The identity committee, for `createIdentityClient` and `createGateVerifier`. */
  readonly identityCommittee: CommitteeDescriptor;
  /** The order committee, for `sealOrder` (its `publicKey`) and contract twins. */
  readonly orderCommittee: OrderCommittee;
  /** The order committee's FROST public package. */
  readonly orderCommitteeKey: FrostPublicPackage;
  /** Replicas with their ledger urls and keys (a `WebSocketMember` each), in membership order. */
  readonly replicas: readonly DecodedReplica[];
  /** Relay clients on the ledger mesh. */
  readonly relays: readonly DecodedRelay[];
  /** Keys allowed to deposit. */
  readonly fundingKeys: readonly Uint8Array[];
  /** Rotating-code step, in ms. */
  readonly codeStepMs: number;
}

/**
 * Turns the JSON of `GET /api/v1/venue` into SDK objects, checking every key.
 * Throws `TypeError` naming the field for a malformed description, and the
 * market's `Tdh2Error` for an inconsistent order-committee key.
 */
export function decodeVenueInfo(info: VenueInfo): DecodedVenueInfo {
  if (typeof info !== 'object' || info === null) throw new TypeError('venue info must be an object');
  const key = (v: unknown, field: string): Uint8Array => {
    if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new TypeError(`${field} must be 64 lowercase hex digits`);
    return hexToBytes(v);
  };
  const list = <T>(v: unknown, field: string, each: (x: Record<string, unknown>, f: string) => T): T[] => {
    if (!Array.isArray(v)) throw new TypeError(`${field} must be an array`);
    return v.map((x: unknown, i) => {
      if (typeof x !== 'object' || x === null) throw new TypeError(`${field}[${i}] must be an object`);
      return each(x as Record<string, unknown>, `${field}[${i}]`);
    });
  };
  const str = (v: unknown, field: string): string => {
    if (typeof v !== 'string' || v.length === 0) throw new TypeError(`${field} must be a non-empty string`);
    return v;
  };
  const ic = info.identityCommittee;
  if (typeof ic !== 'object' || ic === null) throw new TypeError('identityCommittee must be an object');
  const identityCommittee: CommitteeDescriptor = {
    committeeId: str(ic.committeeId, 'identityCommittee.committeeId'),
    degree: int(ic.degree, 'identityCommittee.degree'),
    groupPublicKey: key(ic.groupPublicKey, 'identityCommittee.groupPublicKey'),
    members: list(ic.members, 'identityCommittee.members', (m, f) => ({ id: str(m['id'], `${f}.id`), encryptionKey: key(m['encryptionKey'], `${f}.encryptionKey`) })),
    authorizedGates: (Array.isArray(ic.authorizedGates) ? ic.authorizedGates : []).map((g, i) => key(g, `identityCommittee.authorizedGates[${i}]`)),
  };
  const oc = info.orderCommittee;
  if (typeof oc !== 'object' || oc === null) throw new TypeError('orderCommittee must be an object');
  let orderCommitteeKey: FrostPublicPackage;
  try {
    orderCommitteeKey = decodeOrderCommitteeKey(base64urlToBytes(str(oc.publicKey, 'orderCommittee.publicKey')));
  } catch (cause) {
    throw new TypeError('orderCommittee.publicKey must be base64url of an encoded FROST public package', { cause });
  }
  const orderCommittee: OrderCommittee = {
    publicKey: tdh2PublicKey(orderCommitteeKey),
    members: list(oc.members, 'orderCommittee.members', (m, f) => {
      const index = str(m['index'], `${f}.index`);
      if (!/^[1-9][0-9]{0,5}$/.test(index)) throw new TypeError(`${f}.index must be a positive decimal integer`);
      return { index: BigInt(index), requestKey: key(m['requestKey'], `${f}.requestKey`) };
    }),
  };
  if (!isDeploymentId(info.deployment)) throw new TypeError('deployment must be a deployment id (1 to 64 printable ASCII characters, no spaces)');
  return {
    deployment: info.deployment,
    identityCommittee,
    orderCommittee,
    orderCommitteeKey,
    replicas: list(info.replicas, 'replicas', (r, f) => ({
      id: str(r['id'], `${f}.id`),
      publicKey: key(r['publicKey'], `${f}.publicKey`),
      url: str(r['ledgerUrl'], `${f}.ledgerUrl`),
      httpUrl: str(r['httpUrl'], `${f}.httpUrl`),
    })),
    relays: list(info.relays, 'relays', (r, f) => ({ id: str(r['id'], `${f}.id`), publicKey: key(r['publicKey'], `${f}.publicKey`) })),
    fundingKeys: (Array.isArray(info.fundingKeys) ? info.fundingKeys : []).map((k, i) => key(k, `fundingKeys[${i}]`)),
    codeStepMs: int(info.codeStepMs, 'codeStepMs'),
  };
}

function int(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new TypeError(`${field} must be a positive integer`);
  return v;
}
