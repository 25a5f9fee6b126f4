/**
 * Connecting a page to the venue's PBFT replicas: a browser
 * `webSocketTransport` (the device dials every replica, authenticated with
 * its Ed25519 key) and a `createClient` PBFT client on top, which accepts a
 * result once f+1 replicas agree on it.
 * @module
 */
import { type Client, createClient } from '@admitone/consensus';
import { type Clock, type CryptoProvider, type DeploymentId, type Logger, type Random, silentLogger } from '@admitone/core';
import { type WebSocketMember, type WebSocketTransport, webSocketTransport } from '@admitone/transport-ws';
import type { DeviceIdentity } from './config/pages.js';

/** Options of {@link connectLedger}. */
export interface ConnectLedgerOptions {
  /** The device's peer id and key on the ledger mesh (the replicas list it as a client member). */
  readonly device: DeviceIdentity;
  /** The replicas, with their `ws://` urls. */
  readonly replicas: readonly WebSocketMember[];
  /**
   * The key that signs the client's own requests (`submit`, `read`). Default:
   * a fresh random key, so the device key's request numbers stay reserved for
   * the requests the caller signs itself and relays.
   */
  readonly signingKey?: Uint8Array;
  /** The venue's deployment id: the client's requests are signed for it. */
  readonly deployment: DeploymentId;
  /** Ed25519. */
  readonly crypto: CryptoProvider;
  /** Timers. */
  readonly clock: Clock;
  /** Handshake nonces, the default signing key. */
  readonly random: Random;
  /** Connection logs (no secrets). */
  readonly logger?: Logger;
  /** A request not answered within this many ms fails with `REQUEST_TIMEOUT`. Default 10,000. */
  readonly deadlineMs?: number;
}

/** A live connection to the replicas. */
export interface LedgerConnection {
  /** The PBFT client (`submit`, `read`, `relay`). */
  readonly client: Client;
  /** How many replicas are connected right now. */
  connected(): number;
  /** How many replicas there are. */
  readonly replicas: number;
  /** Called whenever a replica connects or disconnects. */
  onPeers(listener: (connected: number) => void): () => void;
  /** Closes the client and the transport. Idempotent. */
  close(): Promise<void>;
}

/**
 * Dials the replicas. Resolves at once (connections are made in the
 * background, with reconnection); watch {@link LedgerConnection.onPeers}.
 */
export async function connectLedger(options: ConnectLedgerOptions): Promise<LedgerConnection> {
  const { device, crypto, clock, random } = options;
  const logger = options.logger ?? silentLogger();
  const replicas = options.replicas.map((r) => ({ id: r.id, publicKey: r.publicKey, ...(r.url === undefined ? {} : { url: r.url }) }));
  const transport: WebSocketTransport = await webSocketTransport({
    localId: device.peerId,
    secretKey: device.secretKey,
    members: [...replicas, { id: device.peerId, publicKey: await crypto.getPublicKey(device.secretKey) }],
    crypto,
    clock,
    random,
    logger,
    reconnect: { minMs: 200, maxMs: 2_000 },
  });
  const client = createClient({
    transport,
    replicas: replicas.map((r) => r.id),
    secretKey: options.signingKey ?? random.bytes(32),
    deployment: options.deployment,
    crypto,
    clock,
    logger,
    timeoutMs: 400,
    maxTimeoutMs: 2_000,
    deadlineMs: options.deadlineMs ?? 10_000,
  });
  const ids = new Set(replicas.map((r) => r.id));
  const connected = (): number => transport.connectedPeers().filter((p) => ids.has(p)).length;
  let closing: Promise<void> | undefined;
  return {
    client,
    connected,
    replicas: replicas.length,
    onPeers(listener) {
      return transport.onPeerStatus(() => listener(connected()));
    },
    close() {
      closing ??= (async () => {
        await client.close();
        await transport.close();
      })();
      return closing;
    },
  };
}
