/**
 * The TDH2 error family.
 * @module
 */
import { AdmitOneError, type AdmitOneErrorOptions } from '@admitone/core';

/**
 * Codes raised by the TDH2 module. Decoders raise the first three; the rest
 * name protocol failures.
 *
 * - `TDH2_MALFORMED`: an encoding has the wrong version, length or framing;
 * - `TDH2_INVALID_SCALAR`: a scalar is not canonical (≥ the group order), or is
 *   zero where zero is not allowed (a member index, a secret share);
 * - `TDH2_INVALID_POINT`: bytes that are not a canonical ristretto255
 *   encoding, or the identity element (`meta.reason` says which);
 * - `TDH2_INVALID_KEY`: key material that is inconsistent (a verification
 *   key off the dealing's commitments, a secret share that does not match
 *   its verification key, a threshold that does not fit);
 * - `TDH2_INVALID_CIPHERTEXT`: a ciphertext whose validity proof fails (a
 *   mauled or relabelled ciphertext) or whose label is not the expected one;
 * - `TDH2_INVALID_SHARE`: a decryption share that fails verification;
 * - `TDH2_DUPLICATE_SHARE`: two shares carry the same member index (kept for
 *   compatibility: `tdh2Combine` verifies before it de-duplicates and no
 *   longer raises it);
 * - `TDH2_NOT_ENOUGH_SHARES`: fewer valid shares than the threshold needs;
 * - `TDH2_DECRYPT_FAILED`: the payload does not open under the recovered key
 *   (only a dishonest encryptor can cause this: the ciphertext and the shares
 *   were valid).
 */
export type Tdh2ErrorCode =
  | 'TDH2_MALFORMED'
  | 'TDH2_INVALID_SCALAR'
  | 'TDH2_INVALID_POINT'
  | 'TDH2_INVALID_KEY'
  | 'TDH2_INVALID_CIPHERTEXT'
  | 'TDH2_INVALID_SHARE'
  | 'TDH2_DUPLICATE_SHARE'
  | 'TDH2_NOT_ENOUGH_SHARES'
  | 'TDH2_DECRYPT_FAILED';

/** Options for {@link Tdh2Error}: the base options plus the culprits, if any. */
export interface Tdh2ErrorOptions extends AdmitOneErrorOptions {
  /** Member indices (Shamir x-coordinates) whose shares were invalid or duplicated. */
  readonly culprits?: readonly bigint[];
}

/**
 * Thrown by the TDH2 module. Messages and `meta` never contain secrets (key
 * shares, KEM keys, payloads); they may name member indices, which are public.
 * `culprits` lists the member indices at fault, when any are known; `meta`
 * carries them as decimal strings so that it stays JSON-friendly.
 */
export class Tdh2Error extends AdmitOneError {
  declare readonly code: Tdh2ErrorCode;
  /** Member indices whose shares were invalid or duplicated (empty when none is to blame). */
  readonly culprits: readonly bigint[];
  constructor(code: Tdh2ErrorCode, shortMessage: string, options: Tdh2ErrorOptions = {}) {
    const culprits = options.culprits ?? [];
    const meta = culprits.length === 0 ? options.meta : { ...options.meta, culprits: culprits.map(String) };
    const base: AdmitOneErrorOptions = {
      ...(options.details === undefined ? {} : { details: options.details }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(meta === undefined ? {} : { meta }),
    };
    super(code, shortMessage, base);
    this.name = 'Tdh2Error';
    this.culprits = culprits;
  }
}
