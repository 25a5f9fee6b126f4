/**
 * A confidential pairwise channel over any {@link Transport}: every message
 * is AEAD-sealed with a key shared by the sender and the receiver, so secret
 * shares can travel over transports that authenticate but do not encrypt.
 *
 * Keys: for members `a < b` (string order) with static x25519 keys,
 * `k_ab = HKDF-SHA256(ikm = x25519(s_a, P_b), salt = ∅,
 * info = encode([LABEL, a, P_a, b, P_b]), 32)`, derived once per peer.
 * Messages: `0x01 ‖ nonce(24, random) ‖ XChaCha20-Poly1305(k_ab, nonce,
 * aad = encode([LABEL, from, to])).seal(payload)`. The direction in the
 * `aad` stops a peer from reflecting a message back to its sender or
 * relaying it to a third member. A fresh random nonce per message keeps the
 * channel stateless.
 *
 * What it does not do: replay protection (the inner transport authenticates
 * the sender; protocols on top tag their messages with a session id), and
 * hiding sizes or timing.
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertBytes, concatBytes } from '../bytes/index.js';
import { encode } from '../codec/cbor.js';
import { CryptoError, MessageTooLargeError, TransportError } from '../errors/index.js';
import { silentLogger } from '../env/logger.js';
import { systemRandom } from '../env/random.js';
import type { Logger, Random } from '../env/types.js';
import type { InboundMessage, PeerId, PeerStatusEvent, Transport, TransportCapabilities, Unsubscribe } from '../transport/types.js';
import { readPublicKey, readSecretKey } from './seal.js';

/** Bytes the secure channel adds to every message: version (1), nonce (24), tag (16). */
export const SECURE_TRANSPORT_OVERHEAD_BYTES = 1 + 24 + 16;

/** Options of {@link secureTransport}. */
export interface SecureTransportInit {
  /** This member's static x25519 secret key (32 bytes). */
  readonly staticSecret: Uint8Array;
  /** Every other member's static x25519 public key (32 bytes). A key for `localId` is ignored. */
  readonly peerPublicKeys: Readonly<Record<PeerId, Uint8Array>>;
  /** Source of the per-message nonces. Default: {@link systemRandom} (nonces need no determinism). */
  readonly random?: Random;
  /** Receives a `warn` (sender id only, never content) for each dropped message. Default: silent. */
  readonly logger?: Logger;
  /** Receives errors thrown by message and peer-status handlers (which never stop other handlers). */
  readonly onHandlerError?: (error: unknown) => void;
}

/** A {@link Transport} whose messages are sealed per pair, with a counter of dropped messages. */
export interface SecureTransport extends Transport {
  /** Inbound messages dropped because they failed to open (tampered, misdirected, or from a non-member). */
  readonly droppedMessages: number;
}

/**
 * Wraps `inner` so that every payload is sealed to its receiver. Throws
 * `CryptoError` (`CRYPTO_INVALID_KEY`, naming the peer) when the static
 * secret or a member's public key is missing or unusable.
 * `capabilities.maxMessageBytes` is the inner limit minus
 * {@link SECURE_TRANSPORT_OVERHEAD_BYTES}.
 *
 * @example
 * ```ts
 * const secure = secureTransport(webSocketTransport(init), {
 *   staticSecret: myX25519Secret,
 *   peerPublicKeys: { 'node-b': bPub, 'node-c': cPub },
 * });
 * await secure.send('node-b', shareBytes); // only node-b can read it
 * ```
 */
export function secureTransport(inner: Transport, init: SecureTransportInit): SecureTransport {
  const staticSecret = readSecretKey(init.staticSecret, 'static x25519 secret key');
  const random = init.random ?? systemRandom();
  if (typeof random.bytes !== 'function') throw new TypeError('init.random must be a Random');
  const logger = init.logger ?? silentLogger();
  const localId = inner.localId;
  const members = inner.members;
  const ownPublic = x25519.getPublicKey(staticSecret);
  const channels = new Map<PeerId, Channel>();
  for (const peer of members) {
    const peerPublic = peer === localId ? ownPublic : init.peerPublicKeys[peer];
    if (peerPublic === undefined) {
      throw new CryptoError('CRYPTO_INVALID_KEY', `No x25519 public key for member "${peer}".`, { meta: { peer } });
    }
    channels.set(peer, deriveChannel(staticSecret, localId, ownPublic, peer, readPublicKey(peerPublic, `x25519 public key of member "${peer}"`)));
  }
  const innerLimit = inner.capabilities.maxMessageBytes;
  const capabilities: TransportCapabilities = Object.freeze({
    ordered: inner.capabilities.ordered,
    reliable: inner.capabilities.reliable,
    maxMessageBytes: Math.max(0, innerLimit - SECURE_TRANSPORT_OVERHEAD_BYTES),
  });

  const handlers = new Set<(message: InboundMessage) => void>();
  let open = true;
  let dropped = 0;

  const reportHandlerError = (error: unknown): void => {
    try {
      init.onHandlerError?.(error);
    } catch {
      // a failing hook must not break delivery either
    }
  };

  const unsubscribeInner = inner.onMessage(({ from, bytes }) => {
    if (!open) return;
    const channel = channels.get(from);
    const payload = channel === undefined ? undefined : unseal(channel, bytes);
    if (payload === undefined) {
      dropped++;
      logger.warn('secure transport dropped a message that failed to open', { from });
      return;
    }
    const message = Object.freeze({ from, bytes: payload });
    for (const handler of [...handlers]) {
      if (!open) return;
      if (!handlers.has(handler)) continue;
      try {
        handler(message);
      } catch (error) {
        reportHandlerError(error);
      }
    }
  });

  const ensureOpen = (): void => {
    if (!open) throw new TransportError('TRANSPORT_CLOSED', `Secure endpoint "${localId}" is closed.`, { meta: { peer: localId } });
  };
  const checkPayload = (bytes: Uint8Array): void => {
    assertBytes(bytes, 'bytes');
    if (bytes.length > capabilities.maxMessageBytes) throw new MessageTooLargeError(bytes.length, capabilities.maxMessageBytes);
  };
  const channelTo = (to: PeerId): Channel => {
    const channel = typeof to === 'string' ? channels.get(to) : undefined;
    if (channel === undefined) {
      throw new TransportError('TRANSPORT_UNKNOWN_PEER', `"${String(to)}" is not a member of this network.`, { meta: { peer: to } });
    }
    return channel;
  };

  const transport: SecureTransport = {
    localId,
    members,
    capabilities,
    get droppedMessages() {
      return dropped;
    },
    async send(to, bytes) {
      ensureOpen();
      const channel = channelTo(to);
      checkPayload(bytes);
      return inner.send(to, seal(channel, bytes, random));
    },
    async broadcast(bytes) {
      ensureOpen();
      checkPayload(bytes);
      // One ciphertext per peer, handed to the inner transport in member order, synchronously.
      const sends = members.filter((peer) => peer !== localId).map((peer) => inner.send(peer, seal(channelTo(peer), bytes, random)));
      await Promise.all(sends);
    },
    onMessage(handler) {
      if (typeof handler !== 'function') throw new TypeError('handler must be a function');
      const wrapped = (message: InboundMessage): void => handler(message);
      if (open) handlers.add(wrapped);
      return () => {
        handlers.delete(wrapped);
      };
    },
    onPeerStatus(handler): Unsubscribe {
      if (typeof handler !== 'function') throw new TypeError('handler must be a function');
      return inner.onPeerStatus((event: PeerStatusEvent) => {
        if (!open) return;
        try {
          handler(event);
        } catch (error) {
          reportHandlerError(error);
        }
      });
    },
    connectedPeers: () => inner.connectedPeers(),
    async close() {
      if (open) {
        open = false;
        handlers.clear();
        unsubscribeInner();
      }
      await inner.close();
    },
  };
  return transport;
}

// ---------------------------------------------------------------------------
// helpers

const LABEL = 'admitone/threshold/secure-transport/x25519-hkdf-sha256-xchacha20poly1305/v1';
const VERSION = 1;
const VERSION_BYTES = Uint8Array.of(VERSION);
const NONCE_BYTES = 24;

/** The pair key and the two directions' associated data. */
interface Channel {
  readonly key: Uint8Array;
  readonly outAad: Uint8Array;
  readonly inAad: Uint8Array;
}

function deriveChannel(secret: Uint8Array, localId: PeerId, localPublic: Uint8Array, peer: PeerId, peerPublic: Uint8Array): Channel {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secret, peerPublic);
  } catch (cause) {
    throw new CryptoError('CRYPTO_INVALID_KEY', `The x25519 public key of member "${peer}" is not usable (low order).`, { cause, meta: { peer } });
  }
  const [low, high] = localId < peer ? [[localId, localPublic] as const, [peer, peerPublic] as const] : [[peer, peerPublic] as const, [localId, localPublic] as const];
  const key = hkdf(sha256, shared, undefined, encode([LABEL, low[0], low[1], high[0], high[1]]), 32);
  shared.fill(0);
  return { key, outAad: encode([LABEL, localId, peer]), inAad: encode([LABEL, peer, localId]) };
}

function seal(channel: Channel, payload: Uint8Array, random: Random): Uint8Array {
  const nonce = random.bytes(NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new TypeError('random.bytes returned the wrong length');
  return concatBytes(VERSION_BYTES, nonce, xchacha20poly1305(channel.key, nonce, channel.outAad).encrypt(payload));
}

function unseal(channel: Channel, bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < SECURE_TRANSPORT_OVERHEAD_BYTES || bytes[0] !== VERSION) return undefined;
  try {
    return xchacha20poly1305(channel.key, bytes.subarray(1, 1 + NONCE_BYTES), channel.inAad).decrypt(bytes.subarray(1 + NONCE_BYTES));
  } catch {
    return undefined;
  }
}
