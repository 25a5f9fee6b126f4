/**
 * `@admitone/example-node-host`: a venue node per Node process — a PBFT
 * replica of the event contract, an identity-committee member and an order
 * (secret-management) committee member, a relay client, and an HTTP API on
 * 127.0.0.1 with Prometheus metrics and a WebSocket stream of committed
 * ticket updates — plus {@link startVenueNetwork}, which runs a whole local
 * network of them. Node only; the browser-safe client helpers are in
 * `@admitone/example-node-host/client`.
 *
 * @example
 * ```ts
 * import { startVenueNetwork } from '@admitone/example-node-host';
 *
 * const network = await startVenueNetwork({ clients: ['gate-north'] });
 * const api = network.api(0);
 * console.log((await api.health()).status); // 200
 * await network.stop();
 * ```
 * @packageDocumentation
 */
export { applyFlags, loadNodeConfig, parseNodeFlags, type NodeFlags } from './flags.js';
export {
  LOG_LEVELS,
  NodeConfigError,
  resolveNodeConfig,
  type ClientEntry,
  type NodeConfigErrorCode,
  type IdentityParameters,
  type ListenAt,
  type MeshMember,
  type OrderParameters,
  type ReplicaEntry,
  type ResolvedNodeConfig,
  type ResolvedReplica,
  type VenueNodeConfig,
} from './config.js';
export { observeExecutions, startVenueNode, type VenueNode, type VenueNodeOptions } from './node.js';
export { matchRoute, startHttpApi, type HttpApi, type HttpApiOptions, type RouteMatch } from './http.js';
export type { MetricsExposition, VenueBackend } from './api/backend.js';
export { REJECTION_STATUS, codeOfStatus, statusOfRejection, type RejectionStatus } from './api/rejections.js';
export { ROUTES, checkOrganizer, type BytesResult, type JsonResult, type Route, type RouteContext, type RouteResult } from './api/routes.js';
export { HttpRefusal, toJson } from './api/json.js';
export { createStreamHub, createStreamServer, streamUpdatesOf, type StreamHub, type StreamServer, type StreamServerOptions } from './api/stream.js';
export { createVenueMetrics, type MetricsSources, type VenueMetrics } from './metrics.js';
export {
  holdTransport,
  loadOrderKey,
  orderCommitteeOf,
  saveOrderKey,
  startCommittees,
  watchFirstRead,
  type Committees,
  type CommitteesOptions,
  type HeldTransport,
  type OrderCommitteeKeys,
  type WatchedStorage,
} from './committees.js';
export { createSharePoster, type SharePoster, type SharePosterOptions } from './share-poster.js';
export {
  pickPorts,
  startVenueNetwork,
  type VenueClientKeys,
  type VenueNetwork,
  type VenueNetworkNode,
  type VenueNetworkOptions,
} from './network.js';
export type { NodeFatalEvent, NodeProcessEvent, NodeReadyEvent, NodeStoppedEvent } from './main.js';
export * from './client/index.js';
