/**
 * Node-side QR helpers for the end-to-end test: read the QR code in a PNG
 * (pngjs + jsqr, the same decoder the gate uses) and draw payloads as PNGs
 * (qrcode), to forge and to feed images to the gate page.
 */
import { PNG } from 'pngjs';
import { toBuffer } from 'qrcode';
import { decodeQrPixels } from '../src/qr/decode.js';

/** The bytes of the QR code in a PNG image. */
export function readQrPng(png: Uint8Array): Uint8Array {
  const image = PNG.sync.read(Buffer.from(png));
  return decodeQrPixels({ data: new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), width: image.width, height: image.height });
}

/** A PNG of `payload` as a byte-mode QR code (level M, 4 px per module, standard quiet zone). */
export async function qrPng(payload: Uint8Array): Promise<Buffer> {
  return toBuffer([{ mode: 'byte', data: payload }], { errorCorrectionLevel: 'M', scale: 4, margin: 4 });
}

/** A PNG with no QR code in it: a plain light-grey square with a dark frame. */
export function blankPng(size = 240): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const edge = x < 8 || y < 8 || x >= size - 8 || y >= size - 8;
      png.data[i] = png.data[i + 1] = png.data[i + 2] = edge ? 40 : 230;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}
