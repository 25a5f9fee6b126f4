/**
 * The `Transport` seam and its in-memory implementation.
 * @module
 */
export type {
  InboundMessage,
  PeerId,
  PeerStatusEvent,
  Transport,
  TransportCapabilities,
  Unsubscribe,
} from './types.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  memoryNetwork,
  type DeliveryScheduler,
  type Envelope,
  type HandlerErrorContext,
  type MemoryNetwork,
  type MemoryNetworkInit,
} from './memory.js';
export { multiplexTransport, type TransportMultiplexer } from './mux.js';
