/**
 * The browser-safe client side of the venue node's HTTP API: typed `fetch`
 * wrappers ({@link venueApi}), an identity-committee endpoint over HTTP
 * ({@link httpCommitteeEndpoint}), the wire types and the decoder of the
 * public venue description ({@link decodeVenueInfo}). No Node APIs: import it
 * from browsers (`@admitone/example-node-host/client`).
 *
 * @example
 * ```ts
 * import { createIdentityClient } from '@admitone/identity';
 * import { decodeVenueInfo, httpCommitteeEndpoint, venueApi } from '@admitone/example-node-host/client';
 *
 * const api = venueApi('http://127.0.0.1:8080');
 * const venue = await api.venue();
 * if (!venue.ok) throw new Error(venue.error.message);
 * const { identityCommittee, replicas } = decodeVenueInfo(venue.data);
 * const endpoint = httpCommitteeEndpoint(Object.fromEntries(replicas.map((r) => [r.id, r.httpUrl])));
 * const identity = createIdentityClient({ committee: identityCommittee, endpoint, crypto });
 * ```
 * @packageDocumentation
 */
export { base64urlToBytes, bytesToBase64url } from './base64url.js';
export { httpCommitteeEndpoint, type FetchLike, type HttpCommitteeEndpointOptions } from './committee-endpoint.js';
export {
  requestBody,
  venueApi,
  type EpochOutcomePage,
  type EpochPageQuery,
  type EpochTradePage,
  type RawResponse,
  type ReadOptions,
  type RequestBody,
  type RequestInput,
  type TicketPage,
  type TicketsQuery,
  type VenueApi,
  type VenueApiOptions,
  type VenueStats,
  type WriteData,
  type WriteOptions,
} from './venue-api.js';
export { decodeOrderCommitteeKey, decodeVenueInfo, encodeOrderCommitteeKey, orderCommitteeKeyText, type DecodedRelay, type DecodedReplica, type DecodedVenueInfo } from './venue-info.js';
export type { ApiEnvelope, ApiErrorBody, ApiFailure, ApiResponse, ApiSuccess, HealthReport, Jsonified, StreamUpdate, VenueInfo, VenueReplicaInfo } from './types.js';
