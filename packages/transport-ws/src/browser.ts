/**
 * The browser entry of `@admitone/transport-ws` (selected by the `browser`
 * export condition): the same API as the Node entry, on the native
 * `WebSocket`. A browser endpoint only dials; `init.listen` is refused.
 * @module
 */
import { openEndpoint } from './endpoint.js';
import { browserPlatform } from './browser/platform.js';
import type { WebSocketTransport, WebSocketTransportInit } from './types.js';

export {
  DEFAULT_WS_MAX_MESSAGE_BYTES,
  MAX_PEER_ID_LENGTH,
  type HttpUpgradeServer,
  type ListenAddress,
  type ListenOptions,
  type ListenServer,
  type QueuePolicy,
  type ReconnectOptions,
  type SendQueueOptions,
  type WebSocketMember,
  type WebSocketTransport,
  type WebSocketTransportInit,
  type WebSocketTransportStats,
} from './types.js';

/** Opens a browser WebSocket endpoint; see the Node entry's `webSocketTransport` for the full contract. */
export function webSocketTransport(init: WebSocketTransportInit): Promise<WebSocketTransport> {
  return openEndpoint(init, browserPlatform);
}
