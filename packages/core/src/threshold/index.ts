/**
 * `@admitone/core/threshold`: threshold building blocks shared by the
 * identity committee (MPC over BN254's scalar field) and the market's
 * secret-management committee (TDH2 over ristretto255's scalar field).
 *
 * - **Shamir** over any prime field: {@link shamirShare}, {@link reconstruct},
 *   error-correcting {@link robustReconstruct} (Berlekamp–Welch, naming the
 *   wrong shares) and the precomputed {@link createOpener} for MPC openings;
 * - share arithmetic: {@link addShares}, {@link scaleShare}, vector helpers;
 * - confidentiality: {@link sealTo}/{@link openSealed} (x25519 + HKDF +
 *   XChaCha20-Poly1305) and {@link secureTransport}, a pairwise-encrypted
 *   wrapper for transports that authenticate but do not encrypt;
 * - protocols over a `Transport`: {@link runVerifiableJointRandomSharing} /
 *   {@link runJointRandomSharing} (dealerless random sharings, e.g. the PRF
 *   key, verifiable with Pedersen commitments over BN254 G1:
 *   {@link pedersenH}, {@link verifyPedersenShare}, and batched checks of
 *   secret pairs: {@link pedersenPairsMatch}, {@link failingPedersenPairs})
 *   and {@link runDkg}
 *   (noble's FROST DKG rounds with sealed round-2 shares and blame), both on
 *   the member points of {@link memberPoints}.
 *
 * Errors are {@link ThresholdError}s whose `culprits` name members or share
 * x-coordinates, never share values.
 *
 * @example
 * ```ts
 * import { bn254_Fr } from '@noble/curves/bn254.js';
 * import { seededRandom } from '@admitone/core';
 * import { createOpener, robustReconstruct, shamirShare } from '@admitone/core/threshold';
 *
 * const xs = [1n, 2n, 3n, 4n];
 * const shares = shamirShare(bn254_Fr, 42n, 1, xs, seededRandom(1));
 * const lied = shares.map((s) => (s.x === 2n ? { x: s.x, y: bn254_Fr.add(s.y, 1n) } : s));
 * robustReconstruct(bn254_Fr, lied, 1); // { value: 42n, culprits: [2n] }
 *
 * const opener = createOpener(bn254_Fr, xs, 1);
 * opener.openWithCulprits(lied.map((s) => s.y)); // { value: 42n, culprits: [2n] }
 * ```
 * @packageDocumentation
 */

export { ThresholdError, type ThresholdCulprit, type ThresholdErrorCode, type ThresholdErrorOptions } from '../errors/index.js';

// fields and vectors
export {
  addVectors,
  randomFieldElement,
  randomFieldElements,
  scaleVector,
  signedRepresentatives,
  subVectors,
  sumVectors,
  type PrimeField,
} from './field.js';

// Shamir
export {
  addConstant,
  addShares,
  evaluatePolynomial,
  interpolateAt,
  lagrangeCoefficients,
  reconstruct,
  scaleShare,
  shamirShare,
  shamirShareMany,
  subShares,
  type Share,
} from './shamir.js';
export { maxCorrectable, robustReconstruct, type RobustReconstruction } from './berlekamp-welch.js';
export { createOpener, type OpenManyResult, type OpenResult, type Opener } from './opener.js';

// confidentiality
export {
  SEAL_OVERHEAD_BYTES,
  X25519_KEY_BYTES,
  createSealOpener,
  openSealed,
  sealTo,
  x25519KeyPair,
  type SealOpener,
  type SealOpenerOptions,
  type X25519KeyPair,
} from './seal.js';
export { SECURE_TRANSPORT_OVERHEAD_BYTES, secureTransport, type SecureTransport, type SecureTransportInit } from './secure-transport.js';

// networked protocols
export { memberPoints } from './session.js';
export {
  JOINT_RANDOM_PROTOCOL,
  runJointRandomSharing,
  runVerifiableJointRandomSharing,
  type DisqualificationReason,
  type DisqualifiedDealer,
  type JointRandomSharingOptions,
  type JointRandomSharingResult,
} from './joint-random.js';
export {
  PEDERSEN_H_DST,
  PEDERSEN_POINT_BYTES,
  evaluateCommitments,
  pedersenCommit,
  pedersenH,
  verifyPedersenShare,
  type G1Point,
  type SharePair,
} from './pedersen.js';
export { failingPedersenPairs, msm, pedersenPairsMatch, type PedersenPairCheck } from './pedersen-batch.js';
export { DKG_PROTOCOL, runDkg, type DkgOptions, type DkgResult } from './dkg.js';
