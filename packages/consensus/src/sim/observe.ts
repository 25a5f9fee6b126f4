/**
 * Outgoing-message interception for the simulator: short labels for the
 * trace, and an observing wrapper around an honest replica's transport that
 * reports every signed message it sends (the checkers look for an honest
 * replica contradicting itself, e.g. after a restart).
 * @module
 */
import type { Transport } from '@admitone/core';
import { decodeWire, type Signed, type WireMessage } from '../messages.js';

/** Sends `bytes` to `to` now, with a trace label; never throws (a crashed endpoint just drops). */
export type PostFn = (to: string, bytes: Uint8Array, label: string) => void;

/** A short, human-readable label of a wire message for the trace, e.g. `prepare/1/7` (type/view/seq). */
export function wireLabel(wire: WireMessage): string {
  if (wire.kind === 'request') return `request/${wire.message.request.requestSeq}`;
  if (wire.kind === 'requests') return wire.messages.map((m) => `request/${m.request.requestSeq}`).join(',');
  if (wire.kind === 'replies') return wire.replies.map((m) => `reply/${m.requestSeq}${m.error === undefined ? '' : '!'}`).join(',');
  const b = wire.signed.body;
  switch (b.type) {
    case 'pre-prepare':
      return `pre-prepare/${b.view}/${b.seq}/${b.batch.length}`;
    case 'prepare':
    case 'commit':
      return `${b.type}/${b.view}/${b.seq}`;
    case 'checkpoint':
    case 'state-request':
    case 'state-response':
      return `${b.type}/${b.seq}`;
    case 'state-chunk-request':
      return `${b.type}/${b.seq}/${b.from}`;
    case 'state-chunk':
      return `${b.type}/${b.seq}/${b.from}+${b.parts.length}`;
    case 'view-change':
    case 'new-view':
      return `${b.type}/${b.view}`;
  }
}

/** Decodes wire bytes, or `undefined` for anything malformed. */
export function tryDecodeWire(bytes: Uint8Array): WireMessage | undefined {
  try {
    return decodeWire(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Wraps an honest replica's (or a client's) transport: each distinct message
 * it sends is decoded once, labelled for the trace, and (if signed) passed to
 * `onSigned`. A broadcast reuses one byte array for every peer, so it is
 * decoded once.
 */
export function observedTransport(inner: Transport, post: PostFn, onSigned?: (signed: Signed) => void): Transport {
  let lastBytes: Uint8Array | undefined;
  let lastLabel = '';
  const send = async (to: string, bytes: Uint8Array): Promise<void> => {
    if (bytes !== lastBytes) {
      lastBytes = bytes;
      const wire = tryDecodeWire(bytes);
      lastLabel = wire === undefined ? 'malformed' : wireLabel(wire);
      if (wire?.kind === 'signed') onSigned?.(wire.signed);
    }
    post(to, bytes, lastLabel);
  };
  return {
    ...inner,
    send,
    async broadcast(bytes) {
      for (const m of inner.members) if (m !== inner.localId) await send(m, bytes);
    },
  };
}
