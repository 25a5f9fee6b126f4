/**
 * The two committees a venue node is a member of, over one committee mesh
 * (a `webSocketTransport` among the venue nodes only) split with
 * `multiplexTransport` into the `identity` and `orders` channels:
 *
 * - the identity committee: `createCommitteeMember` (its own DKG and PRF key
 *   sharing on first start, keys loaded from `<dataDir>/identity` later);
 * - the secret-management (order) committee: a FROST DKG on ristretto255
 *   (`runDkg` with noble's `ristretto255_FROST`) on first start, persisted in
 *   `<dataDir>/orders`, loaded later; its key package gives the TDH2 key
 *   share and public key the market uses.
 *
 * **Start-up ordering.** The threshold protocols do not retransmit, and a
 * channel drops messages nobody listens to yet, so a fast node's first DKG
 * message must not reach a slower node before that node subscribed. The
 * committee mesh is therefore wrapped in a {@link holdTransport} that buffers
 * every inbound message until both committees are listening: the order DKG
 * subscribes synchronously, and the identity member subscribes right after
 * its first storage read, which {@link watchFirstRead} observes.
 * @module
 */
import { ristretto255_FROST } from '@noble/curves/ed25519.js';
import {
  decode,
  encode,
  multiplexTransport,
  readArray,
  readBytes,
  readInt,
  readRecord,
  readString,
  utf8ToBytes,
  type Clock,
  type CryptoProvider,
  type InboundMessage,
  type Logger,
  type PeerStatusEvent,
  type Random,
  type Storage,
  type Transport,
  type TransportMultiplexer,
} from '@admitone/core';
import { memberPoints, runDkg } from '@admitone/core/threshold';
import { createCommitteeMember, type CommitteeDescriptor, type CommitteeMember, type CommitteeMemberInfo } from '@admitone/identity';
import type { IdentityParameters, OrderParameters } from './config.js';
import { tdh2KeyShare, tdh2PublicKey, type FrostKeyPackage, type FrostPublicPackage, type OrderCommittee, type Tdh2KeyShare } from '@admitone/market';

/** A transport whose inbound messages wait in a buffer until {@link HeldTransport.release}. */
export interface HeldTransport extends Transport {
  /** Delivers the buffered messages, in arrival order, then everything as it arrives. Idempotent. */
  release(): void;
  /** Messages waiting. */
  readonly held: number;
}

/**
 * Wraps `inner` so that nothing it receives reaches subscribers before
 * `release()`. Sends, membership and peer status pass through. Closing the
 * wrapper closes `inner`.
 */
export function holdTransport(inner: Transport, maxHeld = 100_000): HeldTransport {
  const handlers = new Set<(m: InboundMessage) => void>();
  let buffer: InboundMessage[] | undefined = [];
  const deliver = (m: InboundMessage) => {
    for (const h of [...handlers]) h(m);
  };
  inner.onMessage((m) => {
    if (buffer === undefined) deliver(m);
    else if (buffer.length < maxHeld) buffer.push({ from: m.from, bytes: m.bytes.slice() });
  });
  return {
    localId: inner.localId,
    members: inner.members,
    capabilities: inner.capabilities,
    send: (to, bytes) => inner.send(to, bytes),
    broadcast: (bytes) => inner.broadcast(bytes),
    onMessage(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    onPeerStatus: (handler: (e: PeerStatusEvent) => void) => inner.onPeerStatus(handler),
    connectedPeers: () => inner.connectedPeers(),
    close: () => inner.close(),
    release() {
      const pending = buffer;
      if (pending === undefined) return;
      buffer = undefined;
      for (const m of pending) deliver(m);
    },
    get held() {
      return buffer?.length ?? 0;
    },
  };
}

/** What {@link watchFirstRead} returns. */
export interface WatchedStorage {
  /** The storage to hand out. */
  readonly storage: Storage;
  /** Resolves once its first `get` has resolved. */
  readonly firstRead: Promise<void>;
}

/** A storage that reports when its first `get` has resolved (every other call passes through). */
export function watchFirstRead(inner: Storage): WatchedStorage {
  let signal: () => void = () => {};
  const firstRead = new Promise<void>((resolve) => (signal = resolve));
  let seen = false;
  const storage: Storage = {
    capabilities: inner.capabilities,
    async get(key) {
      try {
        return await inner.get(key);
      } finally {
        if (!seen) {
          seen = true;
          signal();
        }
      }
    },
    put: (key, value) => inner.put(key, value),
    del: (key) => inner.del(key),
    batch: (ops) => inner.batch(ops),
    iterate: (options) => inner.iterate(options),
    close: () => inner.close(),
  };
  return { storage, firstRead };
}

/** The order committee as this member holds it. */
export interface OrderCommitteeKeys {
  /** The committee's FROST public package (published in the venue description). */
  readonly publicPackage: FrostPublicPackage;
  /** This member's TDH2 key share (its secret is held outside the object). */
  readonly keyShare: Tdh2KeyShare;
}

const ORDER_KEY = utf8ToBytes('admitone/venue/orders/key/v1');

/** Loads the order-committee key package from `storage`, or `undefined` on first start. Throws `CodecError` when corrupt. */
export async function loadOrderKey(storage: Storage): Promise<FrostKeyPackage | undefined> {
  const bytes = await storage.get(ORDER_KEY);
  if (bytes === undefined) return undefined;
  const r = readRecord(decode(bytes), 'orderKey', ['public', 'identifier', 'signingShare']);
  const p = readRecord(r['public'], 'orderKey.public', ['min', 'max', 'commitments', 'verifyingShares']);
  const shares = readRecord(p['verifyingShares'], 'orderKey.public.verifyingShares');
  return {
    public: {
      signers: { min: readInt(p['min'], 'orderKey.public.min', 1), max: readInt(p['max'], 'orderKey.public.max', 1) },
      commitments: readArray(p['commitments'], 'orderKey.public.commitments', 1024).map((c, i) => readBytes(c, `orderKey.public.commitments[${i}]`, 32)),
      verifyingShares: Object.fromEntries(Object.entries(shares).map(([id, v]) => [id, readBytes(v, `orderKey.public.verifyingShares.${id}`, 32)])),
    },
    secret: { identifier: readString(r['identifier'], 'orderKey.identifier', 64), signingShare: readBytes(r['signingShare'], 'orderKey.signingShare', 32) },
  };
}

/** Persists the order-committee key package (durably, before the committee is used). */
export async function saveOrderKey(storage: Storage, key: FrostKeyPackage): Promise<void> {
  await storage.put(
    ORDER_KEY,
    encode({
      public: { min: key.public.signers.min, max: key.public.signers.max, commitments: [...key.public.commitments], verifyingShares: { ...key.public.verifyingShares } },
      identifier: key.secret.identifier,
      signingShare: key.secret.signingShare,
    }),
  );
}

/** Options of {@link startCommittees}. */
export interface CommitteesOptions {
  /** The committee mesh (members: the venue nodes). Owned from here on: closed by `close()`. */
  readonly transport: Transport;
  /** The venue nodes: ids, x25519 encryption keys and (optionally, all or none) Ed25519 signing keys (a `CommitteeMemberInfo` each). */
  readonly members: readonly CommitteeMemberInfo[];
  /** This node's x25519 secret key. */
  readonly encryptionSecretKey: Uint8Array;
  /** This node's Ed25519 secret key for signed identity preprocessing transcripts (when `members` carry signing keys). */
  readonly signingSecretKey?: Uint8Array;
  /** The identity committee's parameters. */
  readonly identity: IdentityParameters;
  /** The order committee's parameters. */
  readonly orders: OrderParameters;
  /** The identity member's storage (`<dataDir>/identity`). */
  readonly identityStorage: Storage;
  /** The order committee's storage (`<dataDir>/orders`). */
  readonly ordersStorage: Storage;
  /** Verifies identity requests. */
  readonly crypto: CryptoProvider;
  /** DKG polynomials, MPC randomness (`systemRandom()` in production). */
  readonly random: Random;
  /** Protocol timeouts. */
  readonly clock: Clock;
  /** Diagnostics (ids and codes, never secrets). */
  readonly logger: Logger;
}

/** Both committees, started. */
export interface Committees {
  /** This node's identity-committee member. */
  readonly identity: CommitteeMember;
  /** The identity committee's public description. */
  readonly descriptor: CommitteeDescriptor;
  /** This node's order-committee keys. */
  readonly orders: OrderCommitteeKeys;
  /** Whether this start ran the DKGs (first start) rather than loading keys. */
  readonly fresh: {
    /** The identity committee's DKG ran now. */
    readonly identity: boolean;
    /** The order committee's DKG ran now. */
    readonly orders: boolean;
  };
  /** Closes the identity member, the channels and the committee mesh. Storages stay open. */
  close(): Promise<void>;
}

/**
 * Starts (first start: runs the DKGs with every other node) or loads both
 * committees. Every node must call it on its first start; later starts load
 * keys and need no other node.
 */
export async function startCommittees(options: CommitteesOptions): Promise<Committees> {
  const { crypto, random, clock, logger } = options;
  const held = holdTransport(options.transport);
  const mux: TransportMultiplexer = multiplexTransport(held);
  const identityChannel = mux.channel('identity');
  const ordersChannel = mux.channel('orders');
  const closeAll = async (member?: CommitteeMember) => {
    await member?.close().catch(() => {});
    await mux.close().catch(() => {});
    await held.close().catch(() => {});
  };

  let member: CommitteeMember | undefined;
  try {
    const storedOrderKey = await loadOrderKey(options.ordersStorage);
    const identityHadKeys = !(await isEmpty(options.identityStorage));
    const watched = watchFirstRead(options.identityStorage);
    member = createCommitteeMember({
      config: {
        committeeId: options.identity.committeeId,
        degree: options.identity.degree,
        members: options.members.map((m) => ({ id: m.id, encryptionKey: m.encryptionKey, ...(m.signingKey === undefined ? {} : { signingKey: m.signingKey }) })),
        authorizedGates: options.identity.authorizedGates,
      },
      transport: identityChannel,
      encryptionSecretKey: options.encryptionSecretKey,
      ...(options.signingSecretKey === undefined ? {} : { signingSecretKey: options.signingSecretKey }),
      storage: watched.storage,
      crypto,
      random: random,
      clock,
      logger,
      preprocessAhead: options.identity.preprocessAhead,
      timeoutMs: options.identity.timeoutMs,
    });
    const identityStart = member.start();
    const orderKey: Promise<FrostKeyPackage> =
      storedOrderKey !== undefined
        ? Promise.resolve(storedOrderKey)
        : runDkg({
            suite: ristretto255_FROST,
            transport: ordersChannel,
            sessionId: `admitone/venue/orders/${options.orders.committeeId}`,
            threshold: options.orders.degree + 1,
            random,
            clock,
            timeoutMs: options.orders.dkgTimeoutMs,
            logger,
          }).then(async (dkg) => {
            const key: FrostKeyPackage = { public: dkg.key.public, secret: dkg.key.secret };
            await saveOrderKey(options.ordersStorage, key);
            return key;
          });
    // the identity member subscribes to its setup channels in the same turn its first read resolves
    await watched.firstRead;
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 0));
    held.release();
    const [descriptor, key] = await Promise.all([identityStart, orderKey]);
    const publicKey = tdh2PublicKey(key.public);
    const keyShare = tdh2KeyShare(key, publicKey);
    const index = memberPoints(options.members.map((m) => m.id)).get(options.transport.localId);
    if (index !== keyShare.index) throw new RangeError('the order key share does not belong to this node (index mismatch): was the data directory copied from another node?');
    logger.info('committees ready', {
      identity: options.identity.committeeId,
      orders: options.orders.committeeId,
      identityFresh: !identityHadKeys,
      ordersFresh: storedOrderKey === undefined,
    });
    const m = member;
    return {
      identity: m,
      descriptor,
      orders: { publicPackage: key.public, keyShare },
      fresh: { identity: !identityHadKeys, orders: storedOrderKey === undefined },
      close: () => closeAll(m),
    };
  } catch (err) {
    await closeAll(member);
    throw err;
  }
}

/** The order committee the contract trusts: the TDH2 key and each node's index and request (relay) key. */
export function orderCommitteeOf(publicPackage: FrostPublicPackage, nodes: readonly { readonly id: string; readonly relayKey: Uint8Array }[]): OrderCommittee {
  const points = memberPoints(nodes.map((n) => n.id));
  return {
    publicKey: tdh2PublicKey(publicPackage),
    members: nodes.map((n) => ({ index: points.get(n.id) as bigint, requestKey: n.relayKey })),
  };
}

async function isEmpty(storage: Storage): Promise<boolean> {
  for await (const _ of storage.iterate({ limit: 1 })) return false;
  return true;
}
