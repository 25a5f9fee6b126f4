/**
 * Reading a QR code: `jsqr` over RGBA pixels, from a camera frame or from an
 * image file. Every failure is an {@link AppError} whose code says what went
 * wrong (`APP_IMAGE_UNREADABLE`, `APP_QR_NOT_FOUND`), so the gate can show it.
 * @module
 */
import jsQRModule from 'jsqr';
import { AppError } from '../errors.js';

/** RGBA pixels, as in `ImageData`. */
export interface Pixels {
  /** `width × height × 4` bytes, row by row. */
  readonly data: Uint8ClampedArray;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
}

/** Largest image side decoded at full size; larger images are scaled down first. */
export const MAX_DECODE_SIDE = 1600;

type JsQr = typeof jsQRModule;
// jsqr is CommonJS with `exports.default`; bundlers and Node disagree on what a default import yields
const jsQR: JsQr = typeof jsQRModule === 'function' ? jsQRModule : (jsQRModule as unknown as { default: JsQr }).default;

/**
 * Finds and decodes one QR code in `pixels`, returning its raw bytes (byte
 * mode payloads are binary). Throws `APP_QR_NOT_FOUND` when there is none.
 */
export function decodeQrPixels(pixels: Pixels): Uint8Array {
  const { data, width, height } = pixels;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0 || data.length !== width * height * 4) {
    throw new AppError('APP_IMAGE_UNREADABLE', 'The image has no pixels to read.');
  }
  const found = jsQR(data, width, height, { inversionAttempts: 'attemptBoth' });
  if (found === null || found.binaryData.length === 0) throw new AppError('APP_QR_NOT_FOUND', 'No QR code could be read in this image.');
  return Uint8Array.from(found.binaryData);
}

/**
 * Decodes an image file (PNG, JPEG, WebP, GIF, BMP: whatever the browser
 * decodes) and reads the QR code in it. Throws `APP_IMAGE_UNREADABLE` when
 * the file is not an image, `APP_QR_NOT_FOUND` when it holds no QR code.
 */
export async function decodeQrFile(file: Blob): Promise<Uint8Array> {
  return decodeQrPixels(await pixelsOfImage(file));
}

/** Draws an image file on a canvas and returns its pixels, scaled so its longest side is at most {@link MAX_DECODE_SIDE}. */
export async function pixelsOfImage(file: Blob): Promise<Pixels> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (cause) {
    throw new AppError('APP_IMAGE_UNREADABLE', 'This file is not an image the browser can read.', { cause });
  }
  try {
    const scale = Math.min(1, MAX_DECODE_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (context === null) throw new AppError('APP_IMAGE_UNREADABLE', 'The browser cannot draw this image.');
    context.fillStyle = '#fff'; // transparent pixels read as white, like paper
    context.fillRect(0, 0, width, height);
    context.drawImage(bitmap, 0, 0, width, height);
    return context.getImageData(0, 0, width, height);
  } finally {
    bitmap.close();
  }
}
