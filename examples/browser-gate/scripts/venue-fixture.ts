/**
 * An in-process venue for tests and the fallback of `npm start`: four PBFT
 * replicas of the event contract (`createReplica` + `createEventContract`)
 * over real WebSockets on 127.0.0.1 (port 0), in this Node process, with
 * memory storage. The identity committee is stood in by one Ed25519 key (a
 * FROST signature is a plain Ed25519 signature, so gates cannot tell the
 * difference): the fixture mints event credentials the way the committee's
 * issuance does, without the MPC.
 *
 * The production path is `startVenueNetwork` from `@admitone/example-node-host`
 * (one process per venue node, real committees); this fixture exists so the
 * browser gate can be tested and demonstrated without it.
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, createReplica, type Client, type Replica } from '@admitone/consensus';
import {
  defaultCrypto,
  memoryStorage,
  silentLogger,
  systemClock,
  systemRandom,
  type CryptoProvider,
  type EventId,
  type Logger,
  type Random,
} from '@admitone/core';
import { credentialBatchStatement, credentialLeaf, encodeCredential, merkleBatch, type CommitteePublicInfo, type EventCredential } from '@admitone/identity';
import { createEventContract, type EventContract } from '@admitone/market';
import { webSocketTransport, type WebSocketMember, type WebSocketTransport } from '@admitone/transport-ws';
import type { DeviceIdentity } from '../src/config/pages.js';

/** The fixture venue's deployment id. */
export const FIXTURE_DEPLOYMENT = 'browser-gate-fixture';

/** Options of {@link startVenueFixture}. */
export interface VenueFixtureOptions {
  /** Peer ids of the client devices allowed on the ledger mesh (gates, organizer, drivers). */
  readonly devices: readonly string[];
  /** Key material (seeded in tests). */
  readonly random: Random;
  /** Replica logs. Default: silent. */
  readonly logger?: Logger;
}

/** A running in-process venue. */
export interface VenueFixture {
  /** The venue's deployment id ({@link FIXTURE_DEPLOYMENT}). */
  readonly deployment: string;
  /** The replicas, with their `ws://127.0.0.1:port` urls. */
  readonly replicas: readonly WebSocketMember[];
  /** The identity committee's public info (what gates and the contract trust). */
  readonly committee: CommitteePublicInfo;
  /** The client devices' identities on the ledger mesh, by peer id. */
  readonly devices: ReadonlyMap<string, DeviceIdentity>;
  /** The payment gateway's secret key (the contract's funding key). */
  readonly fundingSecretKey: Uint8Array;
  /** Each replica's contract, for inspection. */
  readonly contracts: readonly EventContract[];
  /** Mints an encoded event credential for the holder of `holderSecretKey` (stands in for the committee's MPC issuance). */
  eventCredential(holderSecretKey: Uint8Array, eventId: EventId, validity: { readonly issuedAt: number; readonly expiresAt: number }): Promise<Uint8Array>;
  /** A PBFT client over its own transport, on the mesh as `device` (one of `devices`). */
  client(device: string, signingKey?: Uint8Array): Promise<Client>;
  /** Stops every client, replica and socket. Idempotent. */
  stop(): Promise<void>;
}

/** Starts four replicas on 127.0.0.1 (free ports) and returns once they listen. */
export async function startVenueFixture(options: VenueFixtureOptions): Promise<VenueFixture> {
  const { random } = options;
  const logger = options.logger ?? silentLogger();
  const crypto: CryptoProvider = await defaultCrypto();
  const clock = systemClock();
  const ids = ['r0', 'r1', 'r2', 'r3'];
  const replicaSecrets = ids.map(() => random.bytes(32));
  const servers: Server[] = [];
  const transports: WebSocketTransport[] = [];
  const replicas: Replica[] = [];
  const clients: { client: Client; transport: WebSocketTransport }[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const c of clients) {
        await c.client.close();
        await c.transport.close();
      }
      for (const r of replicas) await r.stop();
      for (const t of transports) await t.close();
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    })();
    return stopping;
  };

  try {
    for (const _ of ids) {
      const server = createServer((_req, res) => {
        res.statusCode = 426;
        res.end('WebSocket only');
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    const replicaMembers: WebSocketMember[] = await Promise.all(
      ids.map(async (id, i) => ({ id, publicKey: await crypto.getPublicKey(replicaSecrets[i]!), url: `ws://127.0.0.1:${(servers[i]!.address() as AddressInfo).port}` })),
    );
    const devices = new Map<string, DeviceIdentity>(options.devices.map((peerId) => [peerId, { peerId, secretKey: random.bytes(32) }]));
    const deviceMembers: WebSocketMember[] = await Promise.all([...devices.values()].map(async (d) => ({ id: d.peerId, publicKey: await crypto.getPublicKey(d.secretKey) })));
    const members = [...replicaMembers, ...deviceMembers];

    const committeeSecret = random.bytes(32);
    const committee: CommitteePublicInfo = { committeeId: 'venue-identity-committee', groupPublicKey: await crypto.getPublicKey(committeeSecret) };
    const fundingSecretKey = random.bytes(32);
    const fundingKey = await crypto.getPublicKey(fundingSecretKey);
    const contracts: EventContract[] = [];
    for (const [i, id] of ids.entries()) {
      const transport = await webSocketTransport({
        localId: id,
        secretKey: replicaSecrets[i]!,
        members,
        listen: { server: servers[i]! },
        crypto,
        clock,
        logger,
        reconnect: { minMs: 50, maxMs: 1_000 },
      });
      transports.push(transport);
      const contract = createEventContract({ crypto, deployment: FIXTURE_DEPLOYMENT, identityCommittee: committee, fundingKeys: [fundingKey], random: systemRandom(), logger });
      contracts.push(contract);
      replicas.push(
        await createReplica({
          deployment: FIXTURE_DEPLOYMENT,
          id,
          secretKey: replicaSecrets[i]!,
          members: replicaMembers.map((m) => ({ id: m.id, publicKey: m.publicKey })),
          transport,
          storage: memoryStorage(),
          app: contract,
          crypto,
          clock,
          logger,
          checkpointInterval: 64,
        }),
      );
    }

    return {
      deployment: FIXTURE_DEPLOYMENT,
      replicas: replicaMembers,
      committee,
      devices,
      fundingSecretKey,
      contracts,
      async eventCredential(holderSecretKey, eventId, validity) {
        const holderKey = await crypto.getPublicKey(holderSecretKey);
        const body: Omit<EventCredential, 'proof'> = {
          kind: 'event',
          committeeId: committee.committeeId,
          eventId,
          // the per-person event tag: a stand-in for the committee's PRF output, one per holder key here
          eventTag: random.bytes(32),
          holderKey,
          issuedAt: validity.issuedAt,
          expiresAt: validity.expiresAt,
        };
        const batchId = random.bytes(16);
        const tree = merkleBatch([credentialLeaf(body)]);
        const signature = await crypto.sign(credentialBatchStatement(committee.committeeId, batchId, 1, tree.root), committeeSecret);
        return encodeCredential({ ...body, proof: { batchId, size: 1, index: 0, path: [], signature } });
      },
      async client(device, signingKey) {
        const identity = devices.get(device);
        if (identity === undefined) throw new RangeError(`no device ${device} on the mesh`);
        const transport = await webSocketTransport({ localId: device, secretKey: identity.secretKey, members, crypto, clock, logger, reconnect: { minMs: 50, maxMs: 1_000 } });
        const client = createClient({ transport, replicas: ids, secretKey: signingKey ?? random.bytes(32), deployment: FIXTURE_DEPLOYMENT, crypto, clock, logger, timeoutMs: 300, maxTimeoutMs: 2_000, deadlineMs: 20_000 });
        clients.push({ client, transport });
        return client;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
