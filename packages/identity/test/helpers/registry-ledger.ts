/**
 * The tag registry app on a ledger for tests and benches: one process-local
 * engine over a shared app, or a real PBFT cluster of four replicas on the
 * in-memory network; one ledger client per committee member, signing with
 * that member's ledger key.
 */
import { createMemoryStore, memoryNetwork, memoryStorage, seededRandom, systemClock, type CryptoProvider } from '@admitone/core';
import { createClient, createLocalEngine, createReplica, type Client, type Replica } from '@admitone/consensus';
import { createTagRegistryApp, type RegistryLedger, type TagRegistryApp } from '../../src/index.js';

export interface RegistryLedgerHarness {
  /** The registry app: the local engine's, or every replica's. */
  readonly apps: TagRegistryApp[];
  /** One ledger client per member, signing with member i's ledger key. */
  readonly clients: RegistryLedger[];
  close(): Promise<void>;
}

/** The tag registry app on a ledger, and one client per member signing with that member's ledger key. */
export async function registryLedger(opts: { kind: 'local' | 'pbft'; committeeId: string; members: number; threshold: number; crypto: CryptoProvider }): Promise<RegistryLedgerHarness> {
  const { kind, committeeId, members, threshold, crypto } = opts;
  const ledgerSecret = (i: number) => seededRandom(`ledger-key-${i}`).bytes(32);
  const voters = await Promise.all(Array.from({ length: members }, (_, i) => crypto.getPublicKey(ledgerSecret(i))));
  const makeApp = () => createTagRegistryApp({ deployment: 'test', committeeId, voters, threshold, crypto });
  if (kind === 'local') {
    const app = makeApp();
    const engines = voters.map((_, i) => createLocalEngine({ deployment: 'test', app, crypto, secretKey: ledgerSecret(i) }));
    return { apps: [app], clients: engines, close: async () => void (await Promise.all(engines.map((e) => e.close()))) };
  }
  const replicaIds = ['r0', 'r1', 'r2', 'r3'];
  const clientIds = voters.map((_, i) => `ledger-client-${i}`);
  const net = memoryNetwork({ members: [...replicaIds, ...clientIds] });
  const replicaSecret = (id: string) => seededRandom(`replica-key-${id}`).bytes(32);
  const replicaMembers = await Promise.all(replicaIds.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(replicaSecret(id)) })));
  const apps = replicaIds.map(() => makeApp());
  const replicas: Replica[] = await Promise.all(
    replicaIds.map((id, i) =>
      createReplica({ deployment: 'test', id, secretKey: replicaSecret(id), members: replicaMembers, transport: net.transport(id), storage: memoryStorage({ store: createMemoryStore() }), app: apps[i]!, crypto, clock: systemClock() }),
    ),
  );
  const clients: Client[] = clientIds.map((id, i) => createClient({ deployment: 'test', transport: net.transport(id), replicas: replicaIds, secretKey: ledgerSecret(i), crypto, clock: systemClock(), timeoutMs: 500, firstRequestSeq: 1 }));
  return {
    apps,
    clients,
    async close() {
      for (const c of clients) await c.close();
      for (const r of replicas) await r.stop();
      await net.close();
    },
  };
}

