/**
 * The app's typed errors. Domain outcomes (a refused ticket, a rejected
 * operation) are results; these are for input the app cannot use at all: a
 * malformed page configuration, an image without a QR code, a file that is
 * not an image, a QR code that is not an AdmitOne presentation.
 *
 * Messages name the problem and the field, never a key or a pass.
 * @module
 */
import { AdmitOneError, type AdmitOneErrorOptions } from '@admitone/core';

/** Stable codes of {@link AppError}. */
export type AppErrorCode =
  /** A page configuration (URL fragment, pasted JSON, file) is missing or malformed. */
  | 'APP_CONFIG_INVALID'
  /** The file could not be decoded as an image. */
  | 'APP_IMAGE_UNREADABLE'
  /** The image holds no readable QR code. */
  | 'APP_QR_NOT_FOUND'
  /** The camera is missing, or permission was refused. */
  | 'APP_CAMERA_UNAVAILABLE'
  /** The venue network could not be reached. */
  | 'APP_LEDGER_UNAVAILABLE';

/** Thrown by the app's parsers and adapters; `code` names the problem. */
export class AppError extends AdmitOneError {
  declare readonly code: AppErrorCode;
  constructor(code: AppErrorCode, shortMessage: string, options: AdmitOneErrorOptions = {}) {
    super(code, shortMessage, options);
    this.name = 'AppError';
  }
}

/** A one-line, secret-free description of any thrown value, for the page. */
export function describeError(err: unknown): string {
  if (err instanceof AdmitOneError) return err.shortMessage;
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
