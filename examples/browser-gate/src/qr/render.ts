/**
 * Drawing a QR code: the binary payload in one byte-mode segment, with error
 * correction level M and a quiet zone, on a canvas (`qrcode`).
 * @module
 */
import { create, toCanvas } from 'qrcode';

/** Options of {@link drawQr}. */
export interface DrawQrOptions {
  /** Pixels per module (default 4: a phone screen at arm's length). */
  readonly scale?: number;
  /** Quiet-zone width in modules (default 4, as the standard asks). */
  readonly margin?: number;
}

/**
 * Draws `payload` as a QR code on `canvas`, resizing the canvas to fit.
 * Resolves with the QR version used (1 … 40).
 */
export async function drawQr(canvas: HTMLCanvasElement, payload: Uint8Array, options: DrawQrOptions = {}): Promise<number> {
  const segments = [{ mode: 'byte' as const, data: payload }];
  const version = create(segments, { errorCorrectionLevel: 'M' }).version;
  await toCanvas(canvas, segments, { errorCorrectionLevel: 'M', scale: options.scale ?? 4, margin: options.margin ?? 4 });
  return version;
}
