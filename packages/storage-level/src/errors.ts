/**
 * Maps `classic-level` / `abstract-level` errors to `StorageError`s.
 * @module
 */
import { StorageError, type StorageErrorCode } from '@admitone/core';

/**
 * Converts an error thrown by `classic-level` to a `StorageError`,
 * keeping the original as `cause`. The cause chain is searched first, because
 * `abstract-level` wraps open failures in `LEVEL_DATABASE_NOT_OPEN`:
 * - `LEVEL_LOCKED` (another handle or process holds the LOCK file) → `STORAGE_LOCKED`;
 * - `LEVEL_CORRUPTION` → `STORAGE_CORRUPT`;
 * - an I/O error reporting "No space left on device" → `STORAGE_QUOTA_EXCEEDED`;
 * - `LEVEL_IO_ERROR` and anything unrecognised → `STORAGE_IO`;
 * - `LEVEL_DATABASE_NOT_OPEN` or `LEVEL_ITERATOR_NOT_OPEN` with no deeper
 *   cause (the handle or iterator was closed) → `STORAGE_CLOSED`.
 *
 * A `StorageError` passes through unchanged.
 */
export function storageErrorFromLevel(err: unknown, action: string): StorageError {
  if (err instanceof StorageError) return err;
  const codes = levelCodes(err);
  const detail = err instanceof Error ? deepestMessage(err) : String(err);
  let code: StorageErrorCode = 'STORAGE_IO';
  if (codes.includes('LEVEL_LOCKED')) code = 'STORAGE_LOCKED';
  else if (codes.includes('LEVEL_CORRUPTION')) code = 'STORAGE_CORRUPT';
  else if (/no space left on device/i.test(detail)) code = 'STORAGE_QUOTA_EXCEEDED';
  else if (codes.includes('LEVEL_IO_ERROR')) code = 'STORAGE_IO';
  else if (isNotOpen(err) && (err as { cause?: unknown }).cause === undefined) code = 'STORAGE_CLOSED';
  return new StorageError(code, `${SHORT[code]} (${action}).`, { details: detail, cause: err });
}

/** The error every method raises after `close()`. */
export function closedError(): StorageError {
  return new StorageError('STORAGE_CLOSED', 'The storage is closed.');
}

const SHORT: Readonly<Record<StorageErrorCode, string>> = {
  STORAGE_CLOSED: 'The storage is closed',
  STORAGE_QUOTA_EXCEEDED: 'The disk is full',
  STORAGE_IO: 'LevelDB failed',
  STORAGE_CORRUPT: 'The LevelDB database is corrupt',
  STORAGE_LOCKED: 'The LevelDB database is locked by another handle or process',
};

/** True for abstract-level's "database/iterator is not open" errors. */
function isNotOpen(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_ITERATOR_NOT_OPEN';
}

/** The `code`s along the cause chain, outermost first. */
function levelCodes(err: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

function deepestMessage(err: Error): string {
  let message = err.message;
  let current: unknown = err.cause;
  for (let i = 0; i < 8 && current instanceof Error; i++) {
    message = current.message;
    current = current.cause;
  }
  return message;
}
