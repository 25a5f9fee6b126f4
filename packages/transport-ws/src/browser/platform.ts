/**
 * The browser platform: the native `WebSocket` (also in workers, Deno and
 * Node ≥ 22). It only dials. Browsers expose no drain event, so the endpoint
 * polls `bufferedAmount` while a queue is blocked, and they enforce no
 * incoming size limit, so the shared code closes a connection whose frame
 * exceeds the limit (after the browser has received it).
 * @module
 */
import { nobleAead, nobleX25519 } from '../channel.js';
import type { Platform, RawSocket } from '../socket.js';

/** The browser implementation of {@link Platform} (no `listen`). */
export const browserPlatform: Platform = {
  name: 'browser',
  aead: nobleAead,
  keyAgreement: nobleX25519,
  dial(url, _maxFrameBytes, handlers) {
    const Native = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    let ws: WebSocket;
    try {
      if (Native === undefined) throw new Error('WebSocket is not available in this runtime');
      ws = new Native(url);
    } catch (error) {
      queueMicrotask(() => {
        handlers.error(error);
        handlers.close(1006, 'dial failed');
      });
      return DEAD_SOCKET;
    }
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => handlers.open();
    ws.onmessage = (event: MessageEvent<unknown>) => {
      handlers.message(event.data instanceof ArrayBuffer ? new Uint8Array(event.data) : 'text');
    };
    ws.onerror = () => handlers.error(new Error(`WebSocket error on ${url}`));
    ws.onclose = (event: CloseEvent) => handlers.close(event.code, event.reason);
    return {
      bufferedAmount: () => ws.bufferedAmount,
      send(frame) {
        if (ws.readyState !== 1) throw new Error('socket is not open');
        ws.send(frame as Uint8Array<ArrayBuffer>);
      },
      close(code, reason) {
        if (ws.readyState === 2 || ws.readyState === 3) return;
        ws.close(code, reason);
      },
      terminate() {
        if (ws.readyState === 0 || ws.readyState === 1) ws.close(1000, 'terminated');
      },
    };
  },
};

/** Returned for a dial that failed synchronously; its handlers are told on a microtask. */
const DEAD_SOCKET: RawSocket = {
  bufferedAmount: () => 0,
  send() {
    throw new Error('socket is not open');
  },
  close() {},
  terminate() {},
};
