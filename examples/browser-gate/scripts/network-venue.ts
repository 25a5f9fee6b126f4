/**
 * The real venue for `npm start` and the end-to-end test: `startVenueNetwork`
 * from `@admitone/example-node-host` (one process per venue node: a PBFT
 * replica of the event contract, an identity-committee member, an order
 * committee member and an HTTP API), adapted to the scenario's `VenueAccess`.
 *
 * Event credentials come from the real identity committee: each buyer enrolls
 * (threshold MiMC PRF over secret-shared attributes) and requests an event
 * credential over the nodes' HTTP committee endpoint.
 * @module
 */
import { createClient, type Client } from '@admitone/consensus';
import { bytesToHex, defaultCrypto, systemClock, type LogLevel, type Random } from '@admitone/core';
import { startVenueNetwork, httpCommitteeEndpoint, type VenueNetwork } from '@admitone/example-node-host';
import { createIdentityClient, encodeCredential } from '@admitone/identity';
import { webSocketTransport, type WebSocketTransport } from '@admitone/transport-ws';
import type { DeviceIdentity } from '../src/config/pages.js';
import type { VenueAccess } from './scenario.js';

/** Options of {@link startNetworkVenue}. */
export interface NetworkVenueOptions {
  /** Client devices on the ledger mesh (gates, organizer, drivers). */
  readonly devices: readonly string[];
  /** Deterministic keys (tests); default fresh random keys. */
  readonly seed?: string;
  /** Enrollment randomness (attribute shares, master keys). */
  readonly random: Random;
  /** Node log level. Default `warn`. */
  readonly logLevel?: LogLevel;
  /** How long the nodes may take to start. Default 60 s. */
  readonly startTimeoutMs?: number;
}

/** A running node-host network, as the scenario sees it. */
export interface NetworkVenue extends VenueAccess {
  /** The network handle (nodes, urls, kill/restart). */
  readonly network: VenueNetwork;
  /** Stops the clients and the network. Idempotent. */
  stop(): Promise<void>;
}

/** Starts a 4-node venue network on 127.0.0.1 and waits until every node is ready. */
export async function startNetworkVenue(options: NetworkVenueOptions): Promise<NetworkVenue> {
  const crypto = await defaultCrypto();
  const clock = systemClock();
  const network = await startVenueNetwork({
    n: 4,
    clients: options.devices,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    sync: false,
    logLevel: options.logLevel ?? 'warn',
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
  });
  const opened: { client: Client; transport: WebSocketTransport }[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const o of opened) {
        await o.client.close();
        await o.transport.close();
      }
      await network.stop();
    })();
    return stopping;
  };
  try {
    const gateway = network.clients['gateway'];
    if (gateway === undefined) throw new Error('the network has no gateway (funding) client');
    const devices = new Map<string, DeviceIdentity>(Object.values(network.clients).map((c) => [c.id, { peerId: c.id, secretKey: c.secretKey }]));
    const replicaIds = new Set(network.replicaIds);
    const identity = createIdentityClient({
      committee: network.identityCommittee,
      endpoint: httpCommitteeEndpoint(Object.fromEntries(network.nodes.map((n) => [n.id, n.httpUrl]))),
      crypto,
      random: options.random,
    });
    return {
      network,
      deployment: network.venue.deployment,
      replicas: network.ledgerMembers.filter((m) => replicaIds.has(m.id)),
      committee: { committeeId: network.identityCommittee.committeeId, groupPublicKey: network.identityCommittee.groupPublicKey },
      devices,
      fundingSecretKey: gateway.secretKey,
      async eventCredential(holderSecretKey, eventId) {
        // a person with a unique (demo) identity enrolls once, then gets the event credential for the ticket key
        const holderKey = await crypto.getPublicKey(holderSecretKey);
        const attributes = { country: 'NL', document: `DEMO-${bytesToHex(holderKey).slice(0, 12)}`, birth: '1990-01-01' };
        const masterSecretKey = options.random.bytes(32);
        const enrolled = await identity.enroll({ attributes, holderSecretKey: masterSecretKey });
        if (enrolled.status !== 'enrolled') throw new Error(`enrollment failed: ${enrolled.status === 'rejected' ? enrolled.reason : enrolled.status}`);
        const issued = await identity.requestEventCredential({ attributes, eventId, master: enrolled.credential, masterSecretKey, holderSecretKey });
        if (issued.status !== 'issued') throw new Error(`event credential refused: ${issued.reason}`);
        return encodeCredential(issued.credential);
      },
      async client(device) {
        const identityOf = devices.get(device);
        if (identityOf === undefined) throw new RangeError(`the network has no client device ${device}`);
        const transport = await webSocketTransport({
          localId: device,
          secretKey: identityOf.secretKey,
          members: network.ledgerMembersFor(device),
          crypto,
          clock,
          reconnect: { minMs: 50, maxMs: 1_000 },
        });
        const client = createClient({ transport, replicas: network.replicaIds, secretKey: options.random.bytes(32), deployment: network.venue.deployment, crypto, clock, timeoutMs: 500, maxTimeoutMs: 2_000, deadlineMs: 30_000 });
        opened.push({ client, transport });
        return client;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
