/**
 * `@admitone/identity`: one person, one credential — without a database of
 * identities (after CanDID, Maram et al., IEEE S&P 2021).
 *
 * - **MiMC-7** over BN254's scalar field, bit-for-bit circomlib's
 *   ({@link mimc7}), and RFC 9380 {@link hashToField};
 * - the **committee** ({@link createCommitteeMember}): members hold a Shamir
 *   sharing of a PRF key (no dealer) and a FROST(Ed25519) key from a DKG, and
 *   evaluate `MiMC_k(x + d)` in MPC on a user's secret-shared identity `x`,
 *   shared verifiably (Pedersen commitments in the signed request, so a
 *   member never carries the blame for a client's bad dealing)
 *   (the {@link createMpcEngine | MPC engine}: preprocessed power tuples, one
 *   opening per round, Berlekamp–Welch robust openings that name liars);
 * - the **client** ({@link createIdentityClient}): enrollment (a master
 *   credential, or `duplicate`), event credentials binding a per-event,
 *   unlinkable tag to a holder key, and ID-mode tag derivation for gates;
 * - **credentials and passes**: standard Ed25519 signatures over Merkle
 *   batches ({@link verifyCredential}), organizer-signed
 *   {@link TicketPass | ticket passes}, rotating-code
 *   {@link Presentation | presentations};
 * - **gate verification** ({@link createGateVerifier},
 *   {@link verifyAdmission}): offline in three parallel signature checks, or
 *   in ID mode through the committee; closed rejection reasons. No Node APIs.
 *
 * @example
 * ```ts
 * import { createGateVerifier } from '@admitone/identity';
 * import { defaultCrypto } from '@admitone/core';
 *
 * const gate = createGateVerifier({ eventId, committee, organizerKeys: [organizerKey], crypto: await defaultCrypto() });
 * const result = await gate.verify(qrBytes); // { status: 'admitted', … } | { status: 'rejected', reason }
 * ```
 * @packageDocumentation
 */

// MiMC-7 and hashing to the field
export { BN254_FR, BN254_FR_ORDER, MIMC7_ROUNDS, MIMC7_SEED, checkFieldElement, mimc7, mimc7Constants } from './mimc/mimc7.js';
export { HASH_TO_FIELD_BYTES, MAX_DST_BYTES, hashToField } from './mimc/hash-to-field.js';

// identity attributes
export {
  MAX_ATTRIBUTES,
  MAX_ATTRIBUTE_LENGTH,
  canonicalAttributes,
  eventDomain,
  fieldToBytes,
  identityElement,
  masterDomain,
  type IdentityAttributes,
} from './attributes.js';

// MPC engine
export {
  DEFAULT_MPC_TIMEOUT_MS,
  EVALUATION_ROUNDS,
  MpcError,
  createMpcEngine,
  type DropCounts,
  type DropReason,
  type MimcEvaluation,
  type MimcInput,
  type MpcEngine,
  type MpcEngineOptions,
  type MpcEngineStats,
  type MpcErrorCode,
  type MpcSigning,
  type PoolStats,
} from './mpc/index.js';

// credentials, passes, presentations
export {
  CREDENTIAL_DOMAINS,
  credentialBatchStatement,
  credentialLeaf,
  credentialStatement,
  decodeCredential,
  encodeCredential,
  verifyCredential,
  type CommitteePublicInfo,
  type Credential,
  type CredentialBody,
  type CredentialProof,
  type EventCredential,
  type MasterCredential,
} from './credential/credential.js';
export { MAX_BATCH_SIZE, merkleBatch, merkleLeafHash, merkleRootFromPath, type MerkleBatch } from './credential/merkle.js';
export {
  DEFAULT_CODE_STEP_MS,
  PASS_DOMAIN,
  createPresentation,
  decodePresentation,
  decodeTicketPass,
  encodePresentation,
  encodeTicketPass,
  issueTicketPass,
  passStatement,
  type Presentation,
  type TicketPass,
  type TicketPassFields,
} from './credential/pass.js';

// gate
export {
  ADMISSION_REJECTIONS,
  createGateVerifier,
  verifyAdmission,
  type AdmissionRejection,
  type AdmissionResult,
  type GatePolicy,
  type GateStats,
  type GateVerifier,
  type LocalTicketStatus,
  type VerifyOptions,
} from './gate/verify.js';

// committee and client
export {
  createCommitteeMember,
  shareAad,
  type ShareContext,
  type CommitteeConfig,
  type CommitteeDescriptor,
  type CommitteeMember,
  type CommitteeMemberInfo,
  type CommitteeMemberOptions,
  type CommitteeMemberStats,
} from './committee/member.js';
export {
  REQUEST_FORMAT_VERSION,
  REQUEST_REJECTIONS,
  decodeIdentityRequest,
  decodeIdentityResponse,
  encodeIdentityRequest,
  encodeIdentityResponse,
  requestSigningBytes,
  type IdentityRequest,
  type IdentityResponse,
  type RequestKind,
  type RequestRejection,
} from './committee/messages.js';
export { COMMITMENT_BYTES } from './committee/vss.js';
export {
  createIdentityClient,
  localCommitteeEndpoint,
  type CommitteeEndpoint,
  type EnrollResult,
  type EventCredentialResult,
  type IdentityClient,
  type IdentityClientOptions,
} from './client.js';

// the registry of enrolled master tags
export { ledgerTagRegistry, localTagRegistry, type LedgerTagRegistryOptions, type RegistryLedger, type TagRegistry } from './registry/registry.js';
export { TAG_REGISTRY_SNAPSHOT, createTagRegistryApp, type PreparedRegistryRequest, type TagRegistryApp, type TagRegistryAppOptions } from './registry/app.js';
export {
  MAX_REGISTRY_ENTRIES,
  decodeRegistryQuery,
  decodeRegistryQueryResult,
  decodeRegistryResult,
  decodeRegistryVote,
  encodeRegistryQuery,
  encodeRegistryQueryResult,
  encodeRegistryResult,
  encodeRegistryVote,
  type RegistryQuery,
  type RegistryQueryResult,
  type RegistryRejection,
  type RegistryResult,
  type RegistryVote,
  type TagRegistration,
  type TagVoteEntry,
  type VoteOutcome,
} from './registry/codec.js';
export { IdentityError, type IdentityErrorCode, type IdentityErrorOptions } from './errors.js';
