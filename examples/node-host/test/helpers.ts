/**
 * Test helpers: a contract-backed fake {@link VenueBackend} (a real
 * `EventContract` executed in-process instead of PBFT, so the HTTP layer's
 * mapping is checked against real contract outcomes), seeded signers, an
 * identity committee stood in by one Ed25519 key (a FROST signature is a
 * plain Ed25519 signature) to mint event credentials, and a listening API.
 */
import {
  defaultCrypto,
  encodeRequest,
  memoryLogger,
  seededRandom,
  signRequest,
  systemClock,
  verifyRequest,
  type CryptoProvider,
  type EventId,
  type MemoryLogger,
  type SeededRandom,
  type SignedRequest,
} from '@admitone/core';
import { credentialBatchStatement, credentialLeaf, encodeCredential, merkleBatch, type CredentialBody, type EventCredential } from '@admitone/identity';
import { createEventContract, decodeContractResult, encodeContractOp, type ContractOp, type EventContract, type EventPolicy, type OrderCommittee } from '@admitone/market';
import type { VenueBackend } from '../src/api/backend.js';
import { createStreamHub, streamUpdatesOf, type StreamHub } from '../src/api/stream.js';
import { bytesToBase64url } from '../src/client/base64url.js';
import type { HealthReport, VenueInfo } from '../src/client/types.js';
import { startHttpApi, type HttpApi } from '../src/http.js';
import { hash, utf8ToBytes } from '@admitone/core';

export const HOUR = 3_600_000;
export const ORGANIZER_TOKEN = 'organizer-secret-token';

/** A signing identity with its own request numbers. */
export interface Signer {
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  /** Signs `op` with the next request number. */
  sign(op: ContractOp): Promise<SignedRequest>;
  /** The base64url body field of a signed `op`. */
  body(op: ContractOp): Promise<string>;
}

export async function makeSigner(crypto: CryptoProvider, random: SeededRandom): Promise<Signer> {
  const secret = random.bytes(32);
  let seq = 1;
  const sign = (op: ContractOp) => signRequest(crypto, secret, { deployment: 'test', requestSeq: seq++, op: encodeContractOp(op) });
  return { secret, publicKey: await crypto.getPublicKey(secret), sign, body: async (op) => bytesToBase64url(encodeRequest(await sign(op))) };
}

export function policy(now: number, over: Partial<EventPolicy> = {}): EventPolicy {
  return {
    capacity: 10,
    facePrice: 5_000n,
    sale: { start: now - HOUR, end: now + HOUR },
    resale: { start: now - HOUR, end: now + 2 * HOUR },
    resaleCap: { kind: 'percent', percent: 120 },
    royaltyBps: 1_000,
    perPersonCap: 4,
    transferable: true,
    epochs: { kind: 'time', lengthMs: HOUR },
    maxOrdersPerAccount: 4,
    ...over,
  };
}

/** The fake backend and what it recorded. */
export interface FakeBackend extends VenueBackend {
  readonly contract: EventContract;
  readonly hub: StreamHub;
  /** Requests relayed. */
  readonly relayed: SignedRequest[];
  /** Queries answered, with their consistency flag. */
  readonly queries: { readonly consistent: boolean }[];
  /** Identity requests received. */
  readonly identityRequests: Uint8Array[];
  /** When set, `relay` rejects with it. */
  failRelay: unknown;
  /** When set, `query` rejects with it. */
  failQuery: unknown;
  /** What `health()` reports. */
  healthy: boolean;
}

/** Everything an HTTP test needs. */
export interface Fixture {
  readonly crypto: CryptoProvider;
  readonly random: SeededRandom;
  readonly backend: FakeBackend;
  readonly api: HttpApi;
  readonly logger: MemoryLogger;
  readonly organizer: Signer;
  readonly gateway: Signer;
  readonly now: number;
  /** Mints an event credential for `holder` (person `tag`) under the stand-in committee key. */
  credential(holder: Signer, eventId: EventId, tag: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function fixture(options: { seed?: string; maxBodyBytes?: number; streamQueue?: number; orderCommittee?: OrderCommittee } = {}): Promise<Fixture> {
  const crypto = await defaultCrypto();
  const random = seededRandom(options.seed ?? 'http-fixture');
  const committeeSecret = random.bytes(32);
  const committee = { committeeId: 'stand-in-committee', groupPublicKey: await crypto.getPublicKey(committeeSecret) };
  const organizer = await makeSigner(crypto, random);
  const gateway = await makeSigner(crypto, random);
  const contract = createEventContract({
    deployment: 'test',
    crypto,
    identityCommittee: committee,
    fundingKeys: [gateway.publicKey],
    ...(options.orderCommittee === undefined ? {} : { orderCommittee: options.orderCommittee }),
    random: random.fork('contract'),
  });
  const hub = createStreamHub();
  const now = Date.now();
  let seq = 0;
  const backend: FakeBackend = {
    nodeId: 'fake-node',
    contract,
    hub,
    relayed: [],
    queries: [],
    identityRequests: [],
    failRelay: undefined,
    failQuery: undefined,
    healthy: true,
    verify: (request) => verifyRequest(crypto, request, 'test'),
    async relay(request) {
      if (backend.failRelay !== undefined) throw backend.failRelay;
      backend.relayed.push(request);
      const prepared = await contract.prepare(request);
      const bytes = contract.execute(prepared, { seq: ++seq, timestamp: Date.now() });
      for (const u of streamUpdatesOf(prepared.op, decodeContractResult(bytes), seq)) hub.publish(u);
      return bytes;
    },
    async query(query, consistent) {
      if (backend.failQuery !== undefined) throw backend.failQuery;
      backend.queries.push({ consistent });
      return contract.query(query);
    },
    async identity(bytes) {
      backend.identityRequests.push(bytes);
      return bytes.slice().reverse();
    },
    venue: () => VENUE,
    health: (): HealthReport => ({
      status: backend.healthy ? 'ok' : 'degraded',
      node: 'fake-node',
      view: 0,
      primary: 'n0',
      viewChanging: false,
      lastExecuted: seq,
      stableSeq: 0,
      peers: backend.healthy ? ['n1', 'n2', 'n3'] : [],
      required: 2,
      problems: backend.healthy ? [] : ['connected to 0 replica peers, fewer than the 2 a quorum needs'],
    }),
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', text: '# HELP fake_total A fake counter.\n# TYPE fake_total counter\nfake_total 1\n' }),
    lastExecuted: () => seq,
    subscribe: (listener) => hub.subscribe(listener),
  };
  const logger = memoryLogger({ level: 'info' });
  const api = await startHttpApi({
    backend,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    organizerTokenHashes: [hash(utf8ToBytes(ORGANIZER_TOKEN))],
    streamQueue: options.streamQueue ?? 8192,
    corsOrigins: ['http://app.example'],
    clock: systemClock(),
    logger,
  });
  return {
    crypto,
    random,
    backend,
    api,
    logger,
    organizer,
    gateway,
    now,
    async credential(holder, eventId, tag) {
      const body: CredentialBody = {
        kind: 'event',
        committeeId: committee.committeeId,
        eventId,
        eventTag: seededRandom(`tag/${tag}`).bytes(32),
        holderKey: holder.publicKey,
        issuedAt: now - 10 * HOUR,
        expiresAt: now + 10 * HOUR,
      };
      const batchId = random.bytes(16);
      const tree = merkleBatch([credentialLeaf(body)]);
      const signature = await crypto.sign(credentialBatchStatement(committee.committeeId, batchId, 1, tree.root), committeeSecret);
      return encodeCredential({ ...(body as Omit<EventCredential, 'proof'>), proof: { batchId, size: 1, index: 0, path: [], signature } });
    },
    close: () => api.close(),
  };
}

/** A minimal, well-formed venue description. */
export const VENUE: VenueInfo = {
  node: 'fake-node',
  deployment: 'test',
  replicas: [],
  relays: [],
  identityCommittee: { committeeId: 'stand-in-committee', degree: 1, groupPublicKey: '00'.repeat(32), members: [], authorizedGates: [] },
  orderCommittee: { committeeId: 'orders', degree: 1, publicKey: '', members: [] },
  fundingKeys: [],
  codeStepMs: 15_000,
};
