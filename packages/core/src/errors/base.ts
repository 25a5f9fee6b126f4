/**
 * The error hierarchy shared by every AdmitOne package.
 *
 * Conventions (after viem's `BaseError`):
 * - every error has a stable, machine-readable `code` (never rely on message text);
 * - `shortMessage` is one human sentence without details;
 * - `details` is an optional longer explanation;
 * - `cause` chains the lower-level error, if any.
 *
 * Domain outcomes (a rejected scan, a duplicate enrollment) are *returned* as
 * result values, never thrown. Errors are for programmer mistakes, malformed
 * input at a decoder boundary, broken invariants and transport/storage
 * failures.
 *
 * @module
 */

/** Options accepted by {@link AdmitOneError} and its subclasses. */
export interface AdmitOneErrorOptions {
  /** A longer, human-readable explanation appended to the message. */
  readonly details?: string;
  /** The lower-level error that caused this one. */
  readonly cause?: unknown;
  /** Structured, JSON-friendly context (ids, sizes) for logs. */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/**
 * The base class of every error thrown by AdmitOne.
 *
 * @example
 * ```ts
 * try { decode(bytes) } catch (e) {
 *   if (e instanceof AdmitOneError && e.code === 'CODEC_NON_CANONICAL') { ... }
 * }
 * ```
 */
export class AdmitOneError extends Error {
  /** A stable, machine-readable code, e.g. `CODEC_TRAILING_BYTES`. */
  readonly code: string;
  /** One sentence describing the failure, without details. */
  readonly shortMessage: string;
  /** A longer explanation, if any. */
  readonly details: string | undefined;
  /** Structured context for logs. */
  readonly meta: Readonly<Record<string, unknown>>;

  constructor(code: string, shortMessage: string, options: AdmitOneErrorOptions = {}) {
    const message = options.details === undefined ? shortMessage : `${shortMessage}\n\nDetails: ${options.details}`;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AdmitOneError';
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.meta = options.meta ?? {};
  }

  /**
   * Walks the `cause` chain (this error first) and returns the first error
   * for which `predicate` holds, or `undefined`.
   */
  walk(predicate: (err: unknown) => boolean): unknown {
    let current: unknown = this;
    const seen = new Set<unknown>();
    while (current !== undefined && current !== null && !seen.has(current)) {
      if (predicate(current)) return current;
      seen.add(current);
      current = (current as { cause?: unknown }).cause;
    }
    return undefined;
  }
}

/** True when `err` is an {@link AdmitOneError}, optionally with the given `code`. */
export function isAdmitOneError(err: unknown, code?: string): err is AdmitOneError {
  return err instanceof AdmitOneError && (code === undefined || err.code === code);
}
