/**
 * Maps IndexedDB failures to `StorageError`s.
 * @module
 */
import { StorageError } from '@admitone/core';

/**
 * Converts an IndexedDB failure (usually a `DOMException`, from a request, a
 * transaction's `error` or a synchronous throw) to a `StorageError`, keeping
 * the original as `cause`:
 * - `QuotaExceededError` → `STORAGE_QUOTA_EXCEEDED`;
 * - anything else (including an abort with no error) → `STORAGE_IO`.
 *
 * A `StorageError` passes through unchanged.
 */
export function storageErrorFromIdb(err: unknown, action: string): StorageError {
  if (err instanceof StorageError) return err;
  const name = errorName(err);
  const message = typeof (err as { message?: unknown } | null)?.message === 'string' ? (err as { message: string }).message : '';
  const details = err === null || err === undefined ? 'The transaction was aborted without an error.' : `${name}: ${message}`;
  if (name === 'QuotaExceededError') {
    return new StorageError('STORAGE_QUOTA_EXCEEDED', `The storage quota is exceeded (${action}).`, { details, cause: err });
  }
  return new StorageError('STORAGE_IO', `IndexedDB failed (${action}).`, { details, cause: err });
}

/** The error every method raises after `close()`. */
export function closedError(): StorageError {
  return new StorageError('STORAGE_CLOSED', 'The storage is closed.');
}

/** The error every method raises after the browser closed the connection. */
export function lostError(): StorageError {
  return new StorageError('STORAGE_IO', 'The IndexedDB connection was closed by the browser.', {
    details: 'The database was deleted or upgraded by another connection, or the site data was cleared. Open the storage again.',
  });
}

function errorName(err: unknown): string {
  const name = (err as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' ? name : 'Error';
}
