/** Test cluster: n replicas + clients on the in-memory network, real PBFT, ticket ledger app. */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  createMemoryStore,
  createTicketLedger,
  memoryNetwork,
  memoryStorage,
  nobleCrypto,
  systemClock,
  utf8ToBytes,
  type Clock,
  type CryptoProvider,
  type DeliveryScheduler,
  type MemoryStore,
  type ReplicatedApp,
  type Storage,
  type TicketLedger,
  type Transport,
} from '@admitone/core';
import { createClient, createReplica, type Client, type PbftTunables, type Replica, type ReplicaMember } from '../../src/index.js';

export function keyOf(label: string): Uint8Array {
  return sha256(utf8ToBytes(`admitone-consensus-test:${label}`));
}

/** The system clock, read `offsetMs` ahead (behind when negative): a replica whose clock is off. */
export function clockAhead(offsetMs: number): Clock {
  const clock = systemClock();
  return { ...clock, now: () => clock.now() + offsetMs };
}

export interface Cluster {
  readonly n: number;
  readonly ids: string[];
  readonly members: ReplicaMember[];
  readonly replicas: (Replica | undefined)[];
  readonly apps: TicketLedger[];
  readonly stores: MemoryStore[];
  readonly net: ReturnType<typeof memoryNetwork>;
  readonly crypto: CryptoProvider;
  client(name: string, opts?: { timeoutMs?: number }): Client;
  start(i: number): Promise<Replica>;
  crash(i: number): Promise<void>;
  close(): Promise<void>;
}

/** The ledger without its keyed state: the replica then checkpoints whole snapshots (the fallback for other apps). */
export function withoutKeyedState(ledger: TicketLedger): ReplicatedApp {
  const { state: _state, ...plain } = ledger;
  return plain;
}

export async function cluster(
  n: number,
  opts: { crypto?: CryptoProvider; clock?: Clock; clockOf?: (i: number) => Clock | undefined; schedule?: DeliveryScheduler; tunables?: PbftTunables; clients?: number; snapshotApps?: boolean; maxMessageBytes?: number; storageOf?: (i: number, storage: Storage) => Storage } = {},
): Promise<Cluster> {
  const crypto = opts.crypto ?? nobleCrypto();
  const clock = opts.clock ?? systemClock();
  const ids = Array.from({ length: n }, (_, i) => `r${i}`);
  const clientIds = Array.from({ length: opts.clients ?? 4 }, (_, i) => `c${i}`);
  const members = await Promise.all(ids.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(keyOf(id)) })));
  const net = memoryNetwork({ members: [...ids, ...clientIds], ...(opts.maxMessageBytes !== undefined ? { maxMessageBytes: opts.maxMessageBytes } : {}), ...(opts.schedule ? { schedule: opts.schedule, capabilities: { ordered: false, reliable: false } } : {}) });
  const stores = ids.map(() => createMemoryStore());
  const apps: TicketLedger[] = ids.map(() => createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false }));
  const replicas: (Replica | undefined)[] = ids.map(() => undefined);
  const endpoints = new Map<number, Transport>();
  const clients: Client[] = [];
  let nextClient = 0;
  const c: Cluster = {
    n,
    ids,
    members,
    replicas,
    apps,
    stores,
    net,
    crypto,
    async start(i) {
      const id = ids[i] as string;
      apps[i] = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
      const storage = memoryStorage({ store: stores[i] as MemoryStore });
      const r = await createReplica({
        deployment: 'test',
        id,
        secretKey: keyOf(id),
        members,
        transport: endpoints.get(i) ?? (endpoints.set(i, net.transport(id)).get(i) as Transport),
        storage: opts.storageOf?.(i, storage) ?? storage,
        app: opts.snapshotApps === true ? withoutKeyedState(apps[i] as TicketLedger) : (apps[i] as TicketLedger),
        crypto,
        clock: opts.clockOf?.(i) ?? clock,
        ...opts.tunables,
      });
      replicas[i] = r;
      return r;
    },
    async crash(i) {
      const r = replicas[i];
      replicas[i] = undefined;
      await r?.stop();
      // closing the endpoint drops in-flight messages, as a crash would
      await endpoints.get(i)?.close();
      endpoints.delete(i);
    },
    client(name, o = {}) {
      const id = clientIds[nextClient++ % clientIds.length] as string;
      const cl = createClient({ deployment: 'test', transport: net.transport(id), replicas: ids, secretKey: keyOf(`client:${name}`), crypto, clock, timeoutMs: o.timeoutMs ?? 300, firstRequestSeq: 1 });
      clients.push(cl);
      return cl;
    },
    async close() {
      for (const cl of clients) await cl.close();
      for (const r of replicas) await r?.stop();
      await net.close();
    },
  };
  for (let i = 0; i < n; i++) await c.start(i);
  return c;
}

/** Polls `cond` every 5 ms; throws naming `what` after `ms`. */
export async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
