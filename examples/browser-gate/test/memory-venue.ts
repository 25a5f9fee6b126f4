/**
 * A venue on the in-memory network for the station's Node tests: four real
 * PBFT replicas of the event contract (`createReplica`), clients for named
 * devices, and event credentials minted by a one-key stand-in of the identity
 * committee. It implements the scenario's `VenueAccess`.
 */
import { createClient, createReplica, type Client, type PbftTunables, type Replica } from '@admitone/consensus';
import { defaultCrypto, memoryNetwork, memoryStorage, systemClock, type EventId, type SeededRandom } from '@admitone/core';
import { credentialBatchStatement, credentialLeaf, encodeCredential, merkleBatch, type CommitteePublicInfo, type EventCredential } from '@admitone/identity';
import { createEventContract, decodeContractQueryResult, encodeContractQuery, type EventContract, type TicketView } from '@admitone/market';
import type { WebSocketMember } from '@admitone/transport-ws';
import type { DeviceIdentity } from '../src/config/pages.js';
import type { VenueAccess } from '../scripts/scenario.js';

/** A running in-memory venue. */
export interface MemoryVenue extends VenueAccess {
  /** Each replica's contract. */
  readonly contracts: readonly EventContract[];
  /** A ticket as the ledger reports it (fast read through the replicas). */
  ticket(eventId: EventId, serial: number): Promise<TicketView>;
  /** Resolves once every replica has executed the same sequence number (all caught up). */
  settle(): Promise<void>;
  /** Stops clients and replicas. */
  stop(): Promise<void>;
}

/** Starts four replicas on a memory network with `devices` as client members. */
export async function startMemoryVenue(random: SeededRandom, devices: readonly string[], tunables: PbftTunables = {}): Promise<MemoryVenue> {
  const crypto = await defaultCrypto();
  const clock = systemClock();
  const ids = ['r0', 'r1', 'r2', 'r3'];
  const net = memoryNetwork({ members: [...ids, ...devices] });
  const secrets = ids.map(() => random.bytes(32));
  const members = await Promise.all(ids.map(async (id, i) => ({ id, publicKey: await crypto.getPublicKey(secrets[i]!) })));
  const committeeSecret = random.bytes(32);
  const committee: CommitteePublicInfo = { committeeId: 'test-committee', groupPublicKey: await crypto.getPublicKey(committeeSecret) };
  const fundingSecretKey = random.bytes(32);
  const fundingKey = await crypto.getPublicKey(fundingSecretKey);
  const contracts: EventContract[] = [];
  const replicas: Replica[] = [];
  for (const [i, id] of ids.entries()) {
    const contract = createEventContract({ deployment: 'test', crypto, identityCommittee: committee, fundingKeys: [fundingKey], random: random.fork(`batch/${id}`) });
    contracts.push(contract);
    replicas.push(await createReplica({ deployment: 'test', id, secretKey: secrets[i]!, members, transport: net.transport(id), storage: memoryStorage(), app: contract, crypto, clock, ...tunables }));
  }
  const deviceMap = new Map<string, DeviceIdentity>(devices.map((peerId) => [peerId, { peerId, secretKey: random.bytes(32) }]));
  const clients = new Map<string, Client>();
  const client = async (device: string): Promise<Client> => {
    let c = clients.get(device);
    if (c === undefined) {
      c = createClient({ deployment: 'test', transport: net.transport(device), replicas: ids, secretKey: random.bytes(32), crypto, clock, timeoutMs: 200, deadlineMs: 10_000 });
      clients.set(device, c);
    }
    return c;
  };
  const replicaMembers: WebSocketMember[] = members.map((m, i) => ({ ...m, url: `ws://127.0.0.1:${9000 + i}` }));
  return {
    deployment: 'test',
    replicas: replicaMembers,
    committee,
    devices: deviceMap,
    fundingSecretKey,
    contracts,
    client,
    async eventCredential(holderSecretKey, eventId, validity) {
      const body: Omit<EventCredential, 'proof'> = {
        kind: 'event',
        committeeId: committee.committeeId,
        eventId,
        eventTag: random.bytes(32),
        holderKey: await crypto.getPublicKey(holderSecretKey),
        issuedAt: validity.issuedAt,
        expiresAt: validity.expiresAt,
      };
      const batchId = random.bytes(16);
      const tree = merkleBatch([credentialLeaf(body)]);
      const signature = await crypto.sign(credentialBatchStatement(committee.committeeId, batchId, 1, tree.root), committeeSecret);
      return encodeCredential({ ...body, proof: { batchId, size: 1, index: 0, path: [], signature } });
    },
    async ticket(eventId, serial) {
      const reader = await client(devices[0]!);
      const answer = decodeContractQueryResult(await reader.read(encodeContractQuery({ type: 'ticket', eventId, serial })));
      if (answer.status !== 'ok' || !('ticket' in answer)) throw new Error(`no ticket ${serial}`);
      return answer.ticket;
    },
    async settle() {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const executed = replicas.map((r) => r.status().lastExecuted);
        if (executed.every((e) => e === executed[0])) return;
        if (Date.now() > deadline) throw new Error(`replicas did not converge: executed ${executed.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async stop() {
      for (const c of clients.values()) await c.close();
      for (const r of replicas) await r.stop();
      await net.close();
    },
  };
}
