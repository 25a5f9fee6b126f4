/**
 * The `EventContract`: events with policies as data, primary sales gated by
 * identity-committee event credentials, listings, transfers, refunds,
 * cancellation and completion with escrow, and the F3B sealed-order market
 * (see `../epoch`), as one deterministic replicated app.
 * @module
 */
export {
  createEventContract,
  type EventContract,
  type EventContractOptions,
  type OrderCommittee,
  type OrderCommitteeMember,
  type PreparedContractRequest,
  type PreparedSealedOrder,
  type SealedOrderView,
} from './contract.js';
export {
  decodeContractOp,
  decodeContractQuery,
  decodeContractQueryResult,
  decodeContractResult,
  encodeContractOp,
  encodeContractQuery,
  encodeContractQueryResult,
  encodeContractResult,
} from './codec.js';
export { MAX_AMOUNT, resaleCapPrice, royaltyOf } from './policy.js';
export { EVENT_CONTRACT_SNAPSHOT } from './state.js';
export type { PreparedCredential } from './ops.js';
export {
  CONTRACT_REJECTIONS,
  MAX_CAPACITY,
  MAX_ORDERS_PER_EPOCH,
  MAX_SHARES_PER_OP,
  ORDER_DROP_REASONS,
  type AccountView,
  type BuyPrimaryOp,
  type CancelEventOp,
  type CancelListingOp,
  type CompleteEventOp,
  type ContractApplied,
  type ContractOp,
  type ContractOpType,
  type ContractQuery,
  type ContractQueryResult,
  type ContractRejected,
  type ContractRejection,
  type ContractResult,
  type CreateEventOp,
  type CutoffOp,
  type DepositOp,
  type EpochSchedule,
  type EpochStatus,
  type EpochView,
  type EventPolicy,
  type EventStatus,
  type EventView,
  type ListForResaleOp,
  type OrderDropReason,
  type OrderOutcome,
  type OrderReceipt,
  type OrderStatus,
  type PostSharesOp,
  type RefundOp,
  type RegisterOp,
  type ResaleCap,
  type SharePost,
  type SubmitSealedOrderOp,
  type SupplyView,
  type TicketStatus,
  type TicketView,
  type TimeWindow,
  type TradeView,
  type TransferOp,
  type WithdrawOp,
} from './types.js';
