/**
 * F3B sealed-order epochs (Zhang, Ford et al., AFT 2023) on the event
 * contract: orders sealed with TDH2 under the order committee's key, ordered
 * while encrypted, cut off by the event's epoch grid, decrypted from t + 1
 * DLEQ-verified shares posted after the cutoff, shuffled with a seed nobody
 * knows before the reveal, and matched under the organizer's policy.
 * @module
 */
export { ORDER_PAYLOAD_BYTES, decodeOrderPayload, encodeOrderPayload, sealOrder, type AskOrder, type BidOrder, type MarketOrder, type OrderPayload } from './order.js';
export { createShareMaker, type ShareMaker, type ShareMakerOptions } from './member.js';
export type { PreparedShares } from './book.js';
