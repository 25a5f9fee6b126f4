/**
 * Sealed market orders: the plaintext inside a TDH2 ciphertext, and the
 * client-side helper that seals one for an event's epoch.
 *
 * The plaintext binds the submitter's key (so a ciphertext copied and
 * re-submitted by another account is dropped as `wrong_submitter` once it is
 * decrypted; re-submitting it in another epoch already fails the label
 * check), and it is padded to a fixed {@link ORDER_PAYLOAD_BYTES} so that
 * ciphertexts of bids and asks, cheap and dear, all have the same length.
 * @module
 */
import { CodecError, assertBytes, decode, encode, isValidId, readArray, readBigInt, readBytes, readEnum, readInt, type Random } from '@admitone/core';
import { encodeTdh2Ciphertext, sealedOrderLabel, tdh2Encrypt, type Tdh2PublicKey } from '../tdh2/index.js';

/** A resale order, before sealing. Prices are per ticket, in minor units. */
export type MarketOrder = BidOrder | AskOrder;

/** Buy up to `quantity` tickets, paying at most `maxPrice` each (a trade pays the ask's price). */
export interface BidOrder {
  /** Discriminator. */
  readonly side: 'bid';
  /** How many tickets (1 … the event's capacity). */
  readonly quantity: number;
  /** The most the bidder pays per ticket, in minor units (≤ the resale cap). */
  readonly maxPrice: bigint;
}

/** Sell one ticket for `price`. */
export interface AskOrder {
  /** Discriminator. */
  readonly side: 'ask';
  /** The ticket's serial (the submitter must hold it, unlisted, at settlement). */
  readonly serial: number;
  /** The asking price in minor units (≤ the resale cap). */
  readonly price: bigint;
}

/** A decoded order plaintext. */
export interface OrderPayload {
  /** The order. */
  readonly order: MarketOrder;
  /** The submitter's 32-byte key bound into the plaintext. */
  readonly submitterKey: Uint8Array;
}

/** Every sealed-order plaintext is padded to exactly this many bytes. */
export const ORDER_PAYLOAD_BYTES = 96;

const ORDER_DOMAIN = 'admitone/market/order/v1';

/**
 * The fixed-size plaintext of `order` submitted by `submitterKey` (its
 * 32-byte Ed25519 public key): a 2-byte length, the canonical CBOR of
 * `[domain, side, submitterKey, a, b]`, and zero padding. Throws `TypeError`
 * / `RangeError` for ill-typed input or an order too large to fit.
 */
export function encodeOrderPayload(order: MarketOrder, submitterKey: Uint8Array): Uint8Array {
  assertBytes(submitterKey, 'submitterKey', 32);
  if (typeof order !== 'object' || order === null) throw new TypeError('order must be a MarketOrder');
  let body: Uint8Array;
  if (order.side === 'bid') {
    if (!Number.isSafeInteger(order.quantity)) throw new TypeError('order.quantity must be a safe integer');
    if (typeof order.maxPrice !== 'bigint') throw new TypeError('order.maxPrice must be a bigint');
    body = encode([ORDER_DOMAIN, 'bid', submitterKey, order.quantity, order.maxPrice]);
  } else if (order.side === 'ask') {
    if (!Number.isSafeInteger(order.serial)) throw new TypeError('order.serial must be a safe integer');
    if (typeof order.price !== 'bigint') throw new TypeError('order.price must be a bigint');
    body = encode([ORDER_DOMAIN, 'ask', submitterKey, order.serial, order.price]);
  } else {
    throw new TypeError('order.side must be "bid" or "ask"');
  }
  if (body.length > ORDER_PAYLOAD_BYTES - 2) throw new RangeError(`order does not fit in ${ORDER_PAYLOAD_BYTES} bytes`);
  const out = new Uint8Array(ORDER_PAYLOAD_BYTES);
  out[0] = body.length >>> 8;
  out[1] = body.length & 0xff;
  out.set(body, 2);
  return out;
}

/**
 * Decodes a sealed-order plaintext strictly (exact size, canonical CBOR,
 * zero padding). Quantities and prices decode as any integer, so that a zero
 * or negative one is reported by settlement as a reason. Throws `CodecError`.
 */
export function decodeOrderPayload(bytes: Uint8Array): OrderPayload {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ORDER_PAYLOAD_BYTES) {
    throw new CodecError('CODEC_SCHEMA', `An order payload must be ${ORDER_PAYLOAD_BYTES} bytes.`);
  }
  const length = ((bytes[0] as number) << 8) | (bytes[1] as number);
  if (length > ORDER_PAYLOAD_BYTES - 2) throw new CodecError('CODEC_SCHEMA', 'An order payload has a bad length.');
  for (let i = 2 + length; i < bytes.length; i++) {
    if (bytes[i] !== 0) throw new CodecError('CODEC_NON_CANONICAL', 'An order payload has non-zero padding.');
  }
  const a = readArray(decode(bytes.subarray(2, 2 + length)), 'order', 5);
  if (a.length !== 5 || a[0] !== ORDER_DOMAIN) throw new CodecError('CODEC_SCHEMA', 'An order payload has the wrong shape or domain.');
  const side = readEnum(a[1], 'order.side', ['bid', 'ask'] as const);
  const submitterKey = readBytes(a[2], 'order.submitter', 32);
  const order: MarketOrder =
    side === 'bid'
      ? { side, quantity: readInt(a[3], 'order.quantity', Number.MIN_SAFE_INTEGER), maxPrice: readBigInt(a[4], 'order.maxPrice') }
      : { side, serial: readInt(a[3], 'order.serial', Number.MIN_SAFE_INTEGER), price: readBigInt(a[4], 'order.price') };
  return { order, submitterKey };
}

/**
 * Seals `order` for `(eventId, epoch)` under the order committee's key and
 * returns the encoded ciphertext, ready for a `submitSealedOrder` operation
 * signed by `submitterKey`'s secret key.
 *
 * @example
 * ```ts
 * const ciphertext = sealOrder(committeeKey, 'summer-gig', 3, { side: 'bid', quantity: 1, maxPrice: 9_000n }, myPublicKey, systemRandom());
 * const op = encodeContractOp({ type: 'submitSealedOrder', eventId: eventId('summer-gig'), epoch: 3, ciphertext });
 * ```
 */
export function sealOrder(publicKey: Tdh2PublicKey, eventId: string, epoch: number, order: MarketOrder, submitterKey: Uint8Array, random: Random): Uint8Array {
  if (!isValidId(eventId)) throw new RangeError('eventId must be a valid id');
  const payload = encodeOrderPayload(order, submitterKey);
  return encodeTdh2Ciphertext(tdh2Encrypt(publicKey, sealedOrderLabel(eventId, epoch), payload, random));
}
