import { describe, it } from 'vitest';
import { memoryNetwork, memoryStorage, nobleCrypto, systemClock, utf8ToBytes } from '@admitone/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { createClient, createLocalEngine, createReplica, type Replica } from '../src/index.js';
import { consensusCompliance } from '@admitone/consensus/compliance';

const crypto = nobleCrypto();
const key = (label: string) => sha256(utf8ToBytes(`compliance-test:${label}`));

consensusCompliance(
  { describe, it },
  {
    name: 'createLocalEngine',
    crypto,
    async setup(createApp, deployment) {
      const app = createApp();
      return {
        client: async (i) => createLocalEngine({ deployment, app, crypto, secretKey: key(`client-${i}`) }),
        close: async () => {},
      };
    },
  },
);

consensusCompliance(
  { describe, it },
  {
    name: 'PBFT, n = 4, in-memory transport',
    crypto,
    faultTolerance: 1,
    async setup(createApp, deployment) {
      const ids = ['r0', 'r1', 'r2', 'r3'];
      const net = memoryNetwork({ members: [...ids, 'c0', 'c1', 'c2'] });
      const clock = systemClock();
      const members = await Promise.all(ids.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(key(id)) })));
      const replicas: Replica[] = [];
      for (const id of ids) {
        replicas.push(
          await createReplica({ deployment, id, secretKey: key(id), members, transport: net.transport(id), storage: memoryStorage(), app: createApp(), crypto, clock, checkpointInterval: 4, viewChangeTimeoutMs: 2_000 }),
        );
      }
      const stopped = new Set<number>();
      return {
        client: async (i) => createClient({ deployment, transport: net.transport(`c${i}`), replicas: ids, secretKey: key(`client-${i}`), crypto, clock, timeoutMs: 500 }),
        async crash(i) {
          stopped.add(i);
          await replicas[i]?.stop();
        },
        async close() {
          for (const [i, r] of replicas.entries()) if (!stopped.has(i)) await r.stop();
          await net.close();
        },
      };
    },
  },
);
