/**
 * Configuration a replica or a client cannot work with is refused at
 * construction with `CONSENSUS_CONFIG`, naming what is wrong, instead of
 * failing at the first request, hanging, or making an honest replica look
 * faulty to its peers.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, createTicketLedger, decodeTicketResult, encodeTicketOp, eventId, memoryNetwork, memoryStorage, nobleCrypto, systemClock, type Transport } from '@admitone/core';
import { ConsensusError, createClient, createLocalEngine, createReplica, type ClientOptions, type ReplicaOptions } from '../src/index.js';
import { cluster, keyOf } from './helpers/cluster.js';

const crypto = nobleCrypto();
const clock = systemClock();
const ids = ['r0', 'r1', 'r2', 'r3'];

async function membersOf(list: readonly string[]) {
  return Promise.all(list.map(async (id) => ({ id, publicKey: await crypto.getPublicKey(keyOf(id)) })));
}

/** Expects `run` to throw or reject with `CONSENSUS_CONFIG` and a message matching `message`. */
async function refused(run: () => unknown, message: RegExp): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConsensusError);
  expect((error as ConsensusError).code).toBe('CONSENSUS_CONFIG');
  expect((error as ConsensusError).message).toMatch(message);
}

describe('createReplica refuses configuration it cannot run safely', () => {
  async function options(overrides: Partial<Record<keyof ReplicaOptions, unknown>> = {}): Promise<ReplicaOptions> {
    const net = memoryNetwork({ members: ids });
    return {
      id: 'r0',
      secretKey: keyOf('r0'),
      members: await membersOf(ids),
      transport: net.transport('r0'),
      storage: memoryStorage(),
      app: createTicketLedger({ deployment: 'test', crypto }),
      deployment: 'test',
      crypto,
      clock,
      ...overrides,
    } as ReplicaOptions;
  }

  it('a deployment id that is empty, too long or has spaces or control characters', async () => {
    for (const deployment of ['', 'a'.repeat(65), 'my venue', 'tab\there', 'é', 7, null]) {
      await refused(async () => createReplica(await options({ deployment })), /deployment must be a deployment id/);
    }
  });

  it("a deployment other than its app's; without one, it takes the app's", async () => {
    await refused(async () => createReplica(await options({ deployment: 'test/staging' })), /deployment is "test\/staging", but the app verifies requests for "test"/);
    const { deployment: _omitted, ...rest } = await options();
    const r = await createReplica(rest);
    await r.stop();
    const { deployment: _name, ...anonymous } = createTicketLedger({ deployment: 'test', crypto }); // an app that names no deployment
    await refused(async () => createReplica({ ...rest, app: anonymous }), /deployment is required: the app does not name one/);
  });

  it("storage that holds another deployment's replica, and nothing is written to it", async () => {
    const c = await cluster(4);
    try {
      await c.client('a').submit(Uint8Array.of(0)); // ordered and executed (the ledger refuses the op): every replica writes
      await c.crash(3);
      const store = c.stores[3]!;
      const dump = async () => {
        const rows: string[] = [];
        for await (const [k, v] of memoryStorage({ store }).iterate({})) rows.push(`${bytesToHex(k)}=${bytesToHex(v)}`);
        return rows;
      };
      const before = await dump();
      expect(before.length).toBeGreaterThan(0);
      const staging = { storage: memoryStorage({ store }), id: 'r3', secretKey: keyOf('r3'), transport: memoryNetwork({ members: ids }).transport('r3'), deployment: 'test/staging', app: createTicketLedger({ deployment: 'test/staging', crypto }) };
      await refused(async () => createReplica(await options(staging)), /storage holds a replica of deployment "test", but this replica is configured for "test\/staging"/);
      expect(await dump()).toEqual(before);
      await c.start(3); // its own deployment still opens it
    } finally {
      await c.close();
    }
  });

  it('an option it does not know, such as a misspelt tunable', async () => {
    await refused(async () => createReplica({ ...(await options()), checkpointInteval: 8 } as ReplicaOptions), /unknown option "checkpointInteval"/);
    await refused(async () => createReplica({ ...(await options()), deploymentId: 'test' } as ReplicaOptions), /unknown option "deploymentId"/);
  });

  it('n < 4, duplicate ids, reused keys, an id not in members', async () => {
    const three = await membersOf(ids.slice(0, 3));
    await refused(async () => createReplica(await options({ members: three })), /at least 4 replicas/);
    const dup = await membersOf(['r0', 'r1', 'r2', 'r2']);
    await refused(async () => createReplica(await options({ members: dup })), /duplicate replica id r2/);
    const reused = (await membersOf(ids)).map((m, i) => (i === 3 ? { ...m, publicKey: m.publicKey } : m));
    reused[3] = { id: 'r3', publicKey: reused[2]!.publicKey };
    await refused(async () => createReplica(await options({ members: reused })), /reuses another replica's public key/);
    await refused(async () => createReplica(await options({ id: 'r9' })), /not in members/);
  });

  it('a secret key that is missing, not 32 bytes, or not the listed one', async () => {
    await refused(async () => createReplica(await options({ secretKey: undefined })), /secretKey must be a 32-byte/);
    await refused(async () => createReplica(await options({ secretKey: new Uint8Array(31) })), /secretKey must be a 32-byte/);
    await refused(async () => createReplica(await options({ secretKey: 'ab'.repeat(32) })), /secretKey must be a 32-byte/);
    await refused(async () => createReplica(await options({ secretKey: keyOf('r1') })), /does not match the public key listed for r0/);
  });

  it('a missing storage, app, crypto provider or clock', async () => {
    await refused(async () => createReplica(await options({ storage: undefined })), /storage must be a Storage/);
    await refused(async () => createReplica(await options({ app: undefined })), /app must be a ReplicatedApp/);
    await refused(async () => createReplica(await options({ crypto: undefined })), /crypto must be a CryptoProvider/);
    await refused(async () => createReplica(await options({ clock: {} })), /clock must be a Clock/);
  });

  it("another endpoint's transport, or one that cannot reach every replica", async () => {
    const net = memoryNetwork({ members: [...ids, 'spare'] });
    await refused(async () => createReplica(await options({ transport: net.transport('spare') })), /transport\.localId is spare, but this replica is r0/);
    const partial = memoryNetwork({ members: ['r0', 'r1', 'r2'] });
    await refused(async () => createReplica(await options({ transport: partial.transport('r0') })), /replicas r3 are not members of the transport/);
  });

  it('a view-change backoff cap below the first timeout; a long first timeout raises the default cap instead', async () => {
    await refused(async () => createReplica(await options({ viewChangeTimeoutMs: 5000, maxViewChangeTimeoutMs: 100 })), /maxViewChangeTimeoutMs must be an integer in \[5000/);
    const r = await createReplica(await options({ viewChangeTimeoutMs: 60_000 }));
    await r.stop();
  });
});

describe('createClient refuses options it could only fail or hang on later', () => {
  function options(overrides: Partial<Record<keyof ClientOptions, unknown>> = {}, transport?: Transport): ClientOptions {
    const net = memoryNetwork({ members: [...ids, 'c0'] });
    return { transport: transport ?? net.transport('c0'), replicas: ids, secretKey: keyOf('c0'), deployment: 'test', crypto, clock, ...overrides } as ClientOptions;
  }

  it('a deployment id that is missing, empty, too long or has spaces or control characters', async () => {
    for (const deployment of [undefined, '', 'a'.repeat(65), 'my venue', 'tab\there', 'é', 7]) {
      await refused(() => createClient(options({ deployment })), /deployment must be a deployment id/);
    }
  });

  it('a secret key that is missing or not 32 bytes', async () => {
    await refused(() => createClient(options({ secretKey: undefined })), /secretKey must be a 32-byte/);
    await refused(() => createClient(options({ secretKey: new Uint8Array(16) })), /secretKey must be a 32-byte/);
  });

  it('replica ids: too few, duplicated, not strings, or not members of the transport', async () => {
    await refused(() => createClient(options({ replicas: ids.slice(0, 3) })), /at least 4 distinct/);
    await refused(() => createClient(options({ replicas: ['r0', 'r1', 'r2', 'r2'] })), /at least 4 distinct/);
    await refused(() => createClient(options({ replicas: [0, 1, 2, 3] })), /replicas\[0\] must be a non-empty string/);
    await refused(() => createClient(options({ replicas: ['R0', 'R1', 'R2', 'R3'] })), /replicas R0, R1, R2, R3 are not members of the transport/);
  });

  it('timeouts and a first request number that are not integers ≥ 1', async () => {
    await refused(() => createClient(options({ timeoutMs: -1 })), /timeoutMs must be an integer ≥ 1, got -1/);
    await refused(() => createClient(options({ timeoutMs: Number.NaN })), /timeoutMs must be an integer/);
    await refused(() => createClient(options({ timeoutMs: 0 })), /timeoutMs must be an integer ≥ 1, got 0/);
    await refused(() => createClient(options({ timeoutMs: 500, maxTimeoutMs: 100 })), /maxTimeoutMs must be an integer ≥ 500/);
    await refused(() => createClient(options({ deadlineMs: -5 })), /deadlineMs/);
    await refused(() => createClient(options({ firstRequestSeq: 0 })), /firstRequestSeq must be an integer ≥ 1, got 0/);
    await refused(() => createClient(options({ firstRequestSeq: 1.5 })), /firstRequestSeq/);
  });

  it('a missing transport, crypto provider or clock', async () => {
    await refused(() => createClient(options({ transport: undefined })), /transport must be a Transport/);
    await refused(() => createClient(options({ crypto: {} })), /crypto must be a CryptoProvider/);
    await refused(() => createClient(options({ clock: undefined })), /clock must be a Clock/);
  });

  it('accepts valid options', async () => {
    const client = createClient(options({ timeoutMs: 100, maxTimeoutMs: 100, deadlineMs: 1000, firstRequestSeq: 1 }));
    await client.close();
  });
});

describe('createLocalEngine', () => {
  it("signs for its app's deployment by default and refuses another", async () => {
    const app = createTicketLedger({ deployment: 'test', crypto, requireHolderCode: false });
    const engine = createLocalEngine({ app, crypto, secretKey: keyOf('c0') });
    const result = decodeTicketResult(await engine.submit(encodeTicketOp({ type: 'createEvent', eventId: eventId('gig') })));
    expect(result.status).toBe('ok'); // verified under the app's deployment
    await engine.close();
    await refused(() => createLocalEngine({ app, crypto, secretKey: keyOf('c0'), deployment: 'test/staging' }), /but the app verifies requests for "test"/);
  });

  it('after close, submit and read return rejected promises instead of throwing', async () => {
    const engine = createLocalEngine({ deployment: 'test', app: createTicketLedger({ deployment: 'test', crypto }), crypto, secretKey: keyOf('local') });
    await engine.close();
    const submitted = engine.submit(new Uint8Array(1));
    const read = engine.read(new Uint8Array(1));
    expect(submitted).toBeInstanceOf(Promise);
    await expect(submitted).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
    await expect(read).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
  });
});
