/**
 * `startVenueNode`: one venue node in one process.
 *
 * 1. the committees (`committees.ts`): an identity-committee member and an
 *    order-committee member over the committee mesh; on first start every
 *    node must be up (the DKGs run among all of them), later the keys load
 *    from `<dataDir>/identity` and `<dataDir>/orders`;
 * 2. the event contract (`createEventContract`), built once both
 *    committees' public keys exist, replicated by a PBFT replica over the
 *    ledger mesh with LevelDB at `<dataDir>/ledger` (a restarted replica
 *    recovers its log and catches up by state transfer);
 * 3. a relay client with its own key on its own ledger-mesh endpoint: it
 *    relays users' signed requests, answers consistent reads, and posts this
 *    member's decryption shares (`share-poster.ts`);
 * 4. the HTTP API (`http.ts`) on 127.0.0.1 with metrics and the `/ws` stream
 *    of committed updates, derived from executed requests' results.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  bytesToHex,
  consoleLogger,
  defaultCrypto,
  systemClock,
  systemRandom,
  verifyRequest,
  type Clock,
  type CryptoProvider,
  type EventId,
  type ExecuteContext,
  type Logger,
  type Random,
  type ReplicatedApp,
  type Storage,
} from '@admitone/core';
import { createClient, createReplica, quorumSize, type Client, type Replica } from '@admitone/consensus';
import {
  MAX_EPOCH_PAGE,
  createEventContract,
  decodeContractQueryResult,
  decodeContractResult,
  encodeContractOp,
  encodeContractQuery,
  type ContractResult,
  type ContractStats,
  type EventContract,
  type PreparedContractRequest,
} from '@admitone/market';
import { levelStorage } from '@admitone/storage-level';
import { webSocketTransport, type WebSocketMember, type WebSocketTransport } from '@admitone/transport-ws';
import type { VenueBackend } from './api/backend.js';
import { createStreamHub, streamUpdatesOf } from './api/stream.js';
import { orderCommitteeKeyText } from './client/venue-info.js';
import type { HealthReport, VenueInfo } from './client/types.js';
import { orderCommitteeOf, startCommittees, type Committees } from './committees.js';
import type { ResolvedNodeConfig } from './config.js';
import { startHttpApi, type HttpApi } from './http.js';
import { createVenueMetrics, type VenueMetrics } from './metrics.js';
import { createSharePoster, type SharePoster } from './share-poster.js';

/** Options of {@link startVenueNode}. */
export interface VenueNodeOptions {
  /** Structured logs. Default: `consoleLogger` at the configured level. */
  readonly logger?: Logger;
  /** Default `systemClock()`. */
  readonly clock?: Clock;
  /** Default `systemRandom()` (batch coefficients, DKG, DLEQ nonces must be unpredictable). */
  readonly random?: Random;
  /**
   * Default `defaultCrypto()` (WebCrypto, platform-neutral). The `admitone-node`
   * entry (`main.ts`, one node per process) passes `nodeCrypto()` from
   * `@admitone/core/node` instead.
   */
  readonly crypto?: CryptoProvider;
}

/** A running venue node. */
export interface VenueNode {
  /** Node id. */
  readonly id: string;
  /** The HTTP API's url (`http://127.0.0.1:port`). */
  readonly httpUrl: string;
  /** Where the replica listens. */
  readonly ledgerUrl: string;
  /** Where the committee members listen. */
  readonly committeeUrl: string;
  /** The PBFT replica. */
  readonly replica: Replica;
  /** The contract this replica runs. */
  readonly contract: EventContract;
  /** The relay client. */
  readonly relay: Client;
  /** The committees. */
  readonly committees: Committees;
  /** The metrics. */
  readonly metrics: VenueMetrics;
  /** The public venue description. */
  readonly venue: VenueInfo;
  /** The health report. */
  health(): HealthReport;
  /** Stops the HTTP API, the relay, the replica and the committees, then closes storage. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a venue node. On first start all nodes must start together (the
 * committees' DKGs); a node restarted from its data directory loads its keys
 * and rejoins on its own. Rejects (after releasing what it opened) with the
 * failure: `STORAGE_LOCKED` (another process has the data directory),
 * `TRANSPORT_IO` (a port is taken), a threshold error from a DKG….
 */
export async function startVenueNode(config: ResolvedNodeConfig, options: VenueNodeOptions = {}): Promise<VenueNode> {
  const clock = options.clock ?? systemClock();
  const random = options.random ?? systemRandom();
  const crypto = options.crypto ?? (await defaultCrypto());
  const logger = (options.logger ?? consoleLogger({ level: config.logLevel, clock })).child({ node: config.id });
  const { id, replicas } = config;
  const closers: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => {});
  };

  try {
    const storageOf = async (name: string): Promise<Storage> => {
      const location = join(config.dataDir, name);
      mkdirSync(location, { recursive: true });
      const s = await levelStorage({ location, sync: config.sync });
      closers.push(() => s.close());
      return s;
    };
    const ledgerStorage = await storageOf('ledger');
    const identityStorage = await storageOf('identity');
    const ordersStorage = await storageOf('orders');
    const reconnect = { minMs: 50, maxMs: 1000 };

    // 1. committees over the committee mesh (venue nodes only)
    const committeeTransport = await webSocketTransport({
      localId: id,
      secretKey: config.secretKey,
      members: replicas.map((r) => ({ id: r.id, publicKey: r.publicKey, url: r.committeeUrl })),
      listen: config.committeeListen,
      crypto,
      clock,
      random,
      logger: logger.child({ component: 'committee-mesh' }),
      maxMessageBytes: config.maxMessageBytes,
      reconnect,
    });
    let committeesStarted = false;
    closers.push(async () => {
      if (!committeesStarted) await committeeTransport.close();
    });
    const committees = await startCommittees({
      transport: committeeTransport,
      // the replica keys also sign identity preprocessing transcripts (tagged messages), so a cheater is named
      members: replicas.map((r) => ({ id: r.id, encryptionKey: r.encryptionKey, signingKey: r.publicKey })),
      encryptionSecretKey: config.encryptionSecretKey,
      signingSecretKey: config.secretKey,
      identity: config.identity,
      orders: config.orders,
      identityStorage,
      ordersStorage,
      crypto,
      random,
      clock,
      logger: logger.child({ component: 'committees' }),
    });
    committeesStarted = true;
    closers.push(() => committees.close());

    // 2. the contract and its replica
    const orderCommittee = orderCommitteeOf(
      committees.orders.publicPackage,
      replicas.map((r) => ({ id: r.id, relayKey: r.relay.publicKey })),
    );
    const contract = createEventContract({
      crypto,
      deployment: config.deployment,
      identityCommittee: committees.descriptor,
      fundingKeys: config.fundingKeys,
      orderCommittee,
      random,
      logger: logger.child({ component: 'contract' }),
      codeStepMs: config.codeStepMs,
    });
    let onExecuted: (prepared: PreparedContractRequest, ctx: ExecuteContext, result: Uint8Array) => void = () => {};
    const app = observeExecutions(contract, (p, c, r) => onExecuted(p, c, r));
    const ledgerMembers: WebSocketMember[] = [
      ...replicas.map((r) => ({ id: r.id, publicKey: r.publicKey, url: r.ledgerUrl })),
      ...replicas.map((r) => ({ id: r.relay.id, publicKey: r.relay.publicKey })),
      ...config.clients.map((c) => ({ id: c.id, publicKey: c.publicKey })),
    ];
    const ledgerTransport = await webSocketTransport({
      localId: id,
      secretKey: config.secretKey,
      members: ledgerMembers,
      listen: config.ledgerListen,
      crypto,
      clock,
      random,
      logger: logger.child({ component: 'ledger-mesh' }),
      maxMessageBytes: config.maxMessageBytes,
      reconnect,
    });
    closers.push(() => ledgerTransport.close());
    const replica = await createReplica({
      deployment: config.deployment,
      id,
      secretKey: config.secretKey,
      members: replicas.map((r) => ({ id: r.id, publicKey: r.publicKey })),
      transport: ledgerTransport,
      storage: ledgerStorage,
      app,
      crypto,
      clock,
      logger: logger.child({ component: 'replica' }),
      ...config.tunables,
    });
    closers.push(() => replica.stop());

    // 3. the relay client
    const relayTransport: WebSocketTransport = await webSocketTransport({
      localId: config.self.relay.id,
      secretKey: config.relaySecretKey,
      // the relay only talks to the replicas
      members: [...ledgerMembers.slice(0, replicas.length), { id: config.self.relay.id, publicKey: config.self.relay.publicKey }],
      crypto,
      clock,
      random,
      logger: logger.child({ component: 'relay-endpoint' }),
      maxMessageBytes: config.maxMessageBytes,
      reconnect,
    });
    closers.push(() => relayTransport.close());
    const relay = createClient({
      transport: relayTransport,
      replicas: replicas.map((r) => r.id),
      secretKey: config.relaySecretKey,
      deployment: config.deployment,
      crypto,
      clock,
      timeoutMs: config.relay.timeoutMs,
      deadlineMs: config.relay.deadlineMs,
      logger: logger.child({ component: 'relay' }),
    });
    closers.push(() => relay.close());
    const poster: SharePoster = createSharePoster({
      contract,
      keyShare: committees.orders.keyShare,
      submit: async (op) => decodeContractResult(await relay.submit(encodeContractOp(op))),
      lastExecuted: () => replica.status().lastExecuted,
      autoCutoff: true,
      sweepMs: 2000,
      random,
      clock,
      logger: logger.child({ component: 'share-poster' }),
    });
    closers.push(async () => poster.close());

    // 4. metrics, the stream, the HTTP API
    const replicaIds = new Set(replicas.map((r) => r.id));
    /** Peers this replica needs to take part in a quorum: the others of `quorumSize(n)` (2f when n = 3f+1). */
    const requiredPeers = quorumSize(replicas.length) - 1;
    const localStats = (): ContractStats | undefined => {
      const answer = decodeContractQueryResult(contract.query(encodeContractQuery({ type: 'stats' })));
      return answer.status === 'ok' && 'stats' in answer ? answer.stats : undefined;
    };
    const metrics = createVenueMetrics(
      {
        replica: () => replica.status(),
        dropped: () => replica.dropped(),
        peers: () => ledgerTransport.connectedPeers().filter((p) => replicaIds.has(p)).length,
        identity: () => committees.identity.stats(),
        stats: localStats,
      },
      { node: id },
    );
    replica.on('view-change', () => metrics.viewChange());
    replica.on('executed', (e) => metrics.executed(e.requests.filter((r) => !r.readOnly).length));
    const hub = createStreamHub();
    onExecuted = (prepared, ctx, bytes) => {
      let result: ContractResult;
      try {
        result = decodeContractResult(bytes);
      } catch {
        return;
      }
      const op = prepared.op;
      if (op !== undefined && (op.type === 'admit' || op.type === 'validate' || op.type === 'consume')) {
        metrics.admission(op.type, result.status, result.status === 'rejected' ? result.reason : '');
      }
      for (const update of streamUpdatesOf(op, result, ctx.seq)) {
        hub.publish(update);
        if (update.type === 'epoch' && update.status === 'settled') {
          metrics.ordersSettled(settledOrderStatuses(contract, update.eventId as EventId, update.epoch));
        }
      }
      poster.observe(op, result);
    };

    const venue: VenueInfo = {
      node: id,
      deployment: config.deployment,
      replicas: replicas.map((r) => ({ id: r.id, publicKey: bytesToHex(r.publicKey), ledgerUrl: r.ledgerUrl, httpUrl: r.httpUrl, relayId: r.relay.id })),
      relays: replicas.map((r) => ({ id: r.relay.id, publicKey: bytesToHex(r.relay.publicKey) })),
      identityCommittee: {
        committeeId: committees.descriptor.committeeId,
        degree: committees.descriptor.degree,
        groupPublicKey: bytesToHex(committees.descriptor.groupPublicKey),
        members: committees.descriptor.members.map((m) => ({ id: m.id, encryptionKey: bytesToHex(m.encryptionKey) })),
        authorizedGates: (committees.descriptor.authorizedGates ?? []).map((k) => bytesToHex(k)),
      },
      orderCommittee: {
        committeeId: config.orders.committeeId,
        degree: config.orders.degree,
        publicKey: orderCommitteeKeyText(committees.orders.publicPackage),
        members: orderCommittee.members.map((m) => ({ index: m.index.toString(), requestKey: bytesToHex(m.requestKey) })),
      },
      fundingKeys: config.fundingKeys.map((k) => bytesToHex(k)),
      codeStepMs: config.codeStepMs,
    };
    let stopped = false;
    const health = (): HealthReport => {
      const s = replica.status();
      const peers = ledgerTransport.connectedPeers().filter((p) => replicaIds.has(p)).sort();
      const problems: string[] = [];
      if (stopped) problems.push('the node is stopping');
      if (peers.length < requiredPeers) problems.push(`connected to ${peers.length} replica peers, fewer than the ${requiredPeers} a quorum needs`);
      return {
        status: problems.length === 0 ? 'ok' : 'degraded',
        node: id,
        view: s.view,
        primary: s.primary,
        viewChanging: s.viewChanging,
        lastExecuted: s.lastExecuted,
        stableSeq: s.stableSeq,
        peers,
        required: requiredPeers,
        problems,
      };
    };
    const backend: VenueBackend = {
      nodeId: id,
      verify: (request) => verifyRequest(crypto, request, config.deployment),
      async relay(request) {
        const started = clock.now();
        try {
          const bytes = await relay.relay(request);
          let outcome = 'ok';
          try {
            outcome = decodeContractResult(bytes).status;
          } catch {
            outcome = 'undecodable';
          }
          metrics.relayed(clock.now() - started, outcome);
          return bytes;
        } catch (err) {
          metrics.relayed(clock.now() - started, (err as { code?: string }).code ?? 'error');
          throw err;
        }
      },
      query: async (query, consistent) => (consistent ? relay.read(query) : contract.query(query)),
      identity: (bytes) => committees.identity.handle(bytes),
      venue: () => venue,
      health,
      metrics: () => metrics.render(),
      lastExecuted: () => replica.status().lastExecuted,
      subscribe: (listener) => hub.subscribe(listener),
    };
    const http: HttpApi = await startHttpApi({
      backend,
      host: config.http.host,
      port: config.http.port,
      maxBodyBytes: config.maxBodyBytes,
      organizerTokenHashes: config.organizerTokenHashes,
      streamQueue: config.streamQueue,
      corsOrigins: config.corsOrigins,
      clock,
      logger: logger.child({ component: 'http' }),
      observe: (route, method, status, ms) => metrics.http(route, method, status, ms),
    });
    closers.push(() => http.close());
    logger.info('venue node ready', { http: http.url, ledger: config.self.ledgerUrl, committee: config.self.committeeUrl, lastExecuted: replica.status().lastExecuted });

    let stopping: Promise<void> | undefined;
    return {
      id,
      httpUrl: http.url,
      ledgerUrl: config.self.ledgerUrl,
      committeeUrl: config.self.committeeUrl,
      replica,
      contract,
      relay,
      committees,
      metrics,
      venue,
      health,
      stop() {
        stopped = true;
        stopping ??= cleanup().then(() => logger.info('venue node stopped'));
        return stopping;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * The contract as a `ReplicatedApp` that reports every executed request and
 * its result to `observer` (after the contract executed it). The observer
 * must not throw; a throw is swallowed so it can never break execution.
 */
export function observeExecutions(
  contract: EventContract,
  observer: (prepared: PreparedContractRequest, ctx: ExecuteContext, result: Uint8Array) => void,
): ReplicatedApp<PreparedContractRequest> {
  return {
    name: contract.name,
    prepare: (request) => contract.prepare(request),
    execute(prepared, ctx) {
      const result = contract.execute(prepared, ctx);
      try {
        observer(prepared, ctx, result);
      } catch {
        // observers are best-effort: consensus never depends on them
      }
      return result;
    },
    query: (query) => contract.query(query),
    snapshot: () => contract.snapshot(),
    restore: (snapshot) => contract.restore(snapshot),
    digest: () => contract.digest(),
    ...(contract.state === undefined ? {} : { state: contract.state }),
  };
}

/**
 * The status of every outcome of a settled epoch, in position order (for the
 * settled-orders metric), paged through the local replica: empty for an epoch
 * not settled or an unknown event.
 */
export function settledOrderStatuses(contract: EventContract, eventId: EventId, epoch: number): string[] {
  const statuses: string[] = [];
  for (let from: number | undefined = 0; from !== undefined; ) {
    const page = contract.listEpochOutcomes(eventId, epoch, from, MAX_EPOCH_PAGE);
    if (page === undefined) break;
    for (const o of page.outcomes) statuses.push(o.status);
    from = page.next;
  }
  return statuses;
}
