/**
 * Test harness for the event contract: seeded actors, an identity committee
 * stood in by one Ed25519 key (a FROST signature is a plain Ed25519
 * signature), minted event credentials, a trusted-dealer order committee,
 * and a driver that signs, prepares and executes operations at chosen slots.
 */
import { ristretto255_FROST } from '@noble/curves/ed25519.js';
import {
  bytesToHex,
  clientIdOf,
  decode,
  encode,
  type CborRecord,
  defaultCrypto,
  eventId,
  seededRandom,
  signRequest,
  type ClientId,
  type CryptoProvider,
  type EventId,
  type ExecuteContext,
  type SeededRandom,
  type SignedRequest,
} from '@admitone/core';
import { credentialBatchStatement, credentialLeaf, encodeCredential, merkleBatch, type CredentialBody, type EventCredential } from '@admitone/identity';
import { tdh2KeyShare, tdh2PublicKey, type Tdh2KeyShare, type Tdh2PublicKey } from '../src/tdh2/index.js';
import { createEventContract, decodeContractResult, encodeContractOp, type ContractOp, type ContractResult, type EventContract, type EventPolicy } from '../src/contract/index.js';

export const T0 = 1_900_000_000_000;
export const HOUR = 3_600_000;
export const EVENT = eventId('summer-gig');

/** A signing identity. */
export interface Actor {
  readonly name: string;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly id: ClientId;
  nextSeq: number;
}

export async function makeActor(crypto: CryptoProvider, name: string): Promise<Actor> {
  const secret = seededRandom(`actor/${name}`).bytes(32);
  const publicKey = await crypto.getPublicKey(secret);
  return { name, secret, publicKey, id: clientIdOf(publicKey), nextSeq: 1 };
}

/** A policy with generous windows around T0 and a time-based epoch grid of one hour. */
export function policy(over: Partial<EventPolicy> = {}): EventPolicy {
  return {
    capacity: 10,
    facePrice: 5_000n,
    sale: { start: T0 - HOUR, end: T0 + 24 * HOUR },
    resale: { start: T0, end: T0 + 48 * HOUR },
    resaleCap: { kind: 'percent', percent: 120 },
    royaltyBps: 1_000,
    perPersonCap: 4,
    transferable: true,
    epochs: { kind: 'time', lengthMs: HOUR },
    maxOrdersPerAccount: 8,
    ...over,
  };
}

/** A trusted-dealer TDH2 committee with request keys for its members. */
export interface OrderCommitteeFixture {
  readonly publicKey: Tdh2PublicKey;
  readonly keyShares: readonly Tdh2KeyShare[];
  readonly members: readonly Actor[];
}

export async function orderCommittee(crypto: CryptoProvider, n: number, min: number, seed = 'committee'): Promise<OrderCommitteeFixture> {
  const random = seededRandom(seed);
  const ids = Array.from({ length: n }, (_, i) => ristretto255_FROST.Identifier.fromNumber(i + 1));
  const dealt = ristretto255_FROST.trustedDealer({ min, max: n }, ids, undefined, (len = 32) => random.bytes(len));
  const publicKey = tdh2PublicKey(dealt.public);
  const keyShares = ids.map((id) => tdh2KeyShare({ public: dealt.public, secret: dealt.secretShares[id]! }, publicKey));
  const members = await Promise.all(ids.map((_, i) => makeActor(crypto, `${seed}/member-${i + 1}`)));
  return { publicKey, keyShares, members };
}

/** Everything a contract test needs. */
export interface Harness {
  readonly crypto: CryptoProvider;
  readonly contract: EventContract;
  readonly random: SeededRandom;
  readonly committeeSecret: Uint8Array;
  readonly committeeInfo: { readonly committeeId: string; readonly groupPublicKey: Uint8Array };
  readonly gateway: Actor;
  readonly orders: OrderCommitteeFixture;
  /** A fresh, empty contract with the same configuration (another replica); `batchSeed` varies its batch coefficients. */
  twin(batchSeed?: string): EventContract;
  /** The seq of the last executed op (each `run` uses the next one unless told). */
  readonly seq: number;
  /** Signs `op` as `actor` (next request number), prepares and executes it at `at` (default: the harness clock). */
  run(actor: Actor, op: ContractOp, at?: Partial<ExecuteContext>): Promise<ContractResult>;
  /** Mints event credentials for `holders` (with per-person tags by name). */
  credential(holder: Actor, options?: { eventId?: EventId; tag?: string; issuedAt?: number; expiresAt?: number }): Promise<Uint8Array>;
  /** Deposits `amount` to `to` through the gateway. */
  fund(to: Actor, amount: bigint): Promise<void>;
  /** Current time of the harness clock. */
  now: number;
  /** Every request executed, with its slot: replay it into another replica with {@link replayInto}. */
  readonly log: { readonly request: SignedRequest; readonly ctx: ExecuteContext }[];
}

/** Executes `log` on `contract` (a twin replica, possibly with other batch coefficients). */
export async function replayInto(contract: EventContract, log: Harness['log']): Promise<void> {
  for (const { request, ctx } of log) contract.execute(await contract.prepare(request), ctx);
}

export async function harness(options: { n?: number; min?: number; seed?: string; orders?: OrderCommitteeFixture } = {}): Promise<Harness> {
  const crypto = await defaultCrypto();
  const random = seededRandom(options.seed ?? 'harness');
  const committeeSecret = random.bytes(32);
  const committeeInfo = { committeeId: 'identity-committee', groupPublicKey: await crypto.getPublicKey(committeeSecret) };
  const gateway = await makeActor(crypto, 'gateway');
  const orders = options.orders ?? (await orderCommittee(crypto, options.n ?? 4, options.min ?? 2));
  const contract = twinContract();
  function twinContract(batchSeed = 'batch-coefficients'): EventContract {
    return createEventContract({ deployment: 'test', crypto,
    identityCommittee: committeeInfo,
    fundingKeys: [gateway.publicKey],
    orderCommittee: { publicKey: orders.publicKey, members: orders.members.map((m, i) => ({ index: orders.keyShares[i]!.index, requestKey: m.publicKey })) },
    random: random.fork(batchSeed),
  });
  }
  let seq = 0;
  const h: Harness = {
    crypto,
    contract,
    random,
    committeeSecret,
    committeeInfo,
    gateway,
    orders,
    twin: twinContract,
    now: T0 + 1,
    log: [],
    get seq() {
      return seq;
    },
    async run(actor, op, at) {
      const request = await signRequest(crypto, actor.secret, { deployment: 'test', requestSeq: actor.nextSeq++, op: encodeContractOp(op) });
      const prepared = await contract.prepare(request);
      seq = at?.seq ?? seq + 1;
      const ctx = { seq, timestamp: at?.timestamp ?? h.now };
      h.log.push({ request, ctx });
      return decodeContractResult(contract.execute(prepared, ctx));
    },
    async credential(holder, o = {}) {
      const body: CredentialBody = {
        kind: 'event',
        committeeId: committeeInfo.committeeId,
        eventId: o.eventId ?? EVENT,
        eventTag: tagOf(o.tag ?? holder.name),
        holderKey: holder.publicKey,
        issuedAt: o.issuedAt ?? T0 - 10 * HOUR,
        expiresAt: o.expiresAt ?? T0 + 100 * HOUR,
      };
      const batchId = random.bytes(16);
      const tree = merkleBatch([credentialLeaf(body)]);
      const signature = await crypto.sign(credentialBatchStatement(committeeInfo.committeeId, batchId, 1, tree.root), committeeSecret);
      const credential: EventCredential = { ...(body as Omit<EventCredential, 'proof'>), proof: { batchId, size: 1, index: 0, path: [], signature } };
      return encodeCredential(credential);
    },
    async fund(to, amount) {
      const r = await h.run(gateway, { type: 'deposit', account: to.publicKey, amount });
      if (r.status !== 'ok') throw new Error(`funding failed: ${JSON.stringify(r)}`);
    },
  };
  return h;
}

/** A per-person event tag derived from a name (stands in for the committee's PRF output). */
export function tagOf(name: string): Uint8Array {
  return seededRandom(`tag/${name}`).bytes(32);
}

export function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** Asserts an ok result and returns it narrowed. */
export function ok(r: ContractResult): Extract<ContractResult, { status: 'ok' }> {
  if (r.status !== 'ok') throw new Error(`expected ok, got rejected: ${r.reason}`);
  return r;
}

/** The contract's state without the replay window: what a rejected operation must leave unchanged. */
export function business(c: EventContract): Uint8Array {
  const { replay: _replay, ...rest } = decode(c.snapshot()) as CborRecord;
  return encode(rest);
}
