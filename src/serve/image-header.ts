import { badRequest } from './errors.ts';

/**
 * Image dimensions read from the header alone (PNG IHDR, JPEG SOFn), so that the server can refuse a
 * decompression bomb, a few hundred KB that would decode to gigabytes of pixels, before decoding it.
 */
export interface ImageHeader {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(b: Uint8Array): boolean {
  return b.length >= 4 && PNG_MAGIC.slice(0, 4).every((v, i) => b[i] === v);
}

export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0xff && b[1] === 0xd8;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

/** PNG: the signature, then the IHDR chunk first (length 13, type "IHDR", width, height as u32 BE). */
function pngHeader(op: string, what: string, b: Uint8Array): ImageHeader {
  if (b.length < 24 || !PNG_MAGIC.every((v, i) => b[i] === v))
    badRequest(op, `${what}: truncated PNG header (${b.length} bytes)`);
  const type = String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!);
  if (type !== 'IHDR') badRequest(op, `${what}: PNG does not start with an IHDR chunk (found '${type}')`);
  return { format: 'png', width: u32(b, 16), height: u32(b, 20) };
}

/** Start-of-frame markers carry the frame size: C0-CF except C4 (DHT), C8 (JPG) and CC (DAC). */
function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * JPEG: walks the marker segments (APPn, DQT, ... each with a u16 length) up to the first SOFn, whose
 * payload is precision (1 byte), height, width (u16 BE). A scan (SOS) before any frame is invalid.
 */
function jpegHeader(op: string, what: string, b: Uint8Array): ImageHeader {
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) badRequest(op, `${what}: JPEG marker expected at byte ${at}`);
    const marker = b[at + 1]!;
    // Fill bytes (0xFF repeated) and stand-alone markers carry no length.
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break;
    const len = u16(b, at + 2);
    if (len < 2) badRequest(op, `${what}: JPEG segment at byte ${at} has length ${len}`);
    if (isSof(marker)) {
      if (at + 9 > b.length) break;
      return { format: 'jpeg', height: u16(b, at + 5), width: u16(b, at + 7) };
    }
    at += 2 + len;
  }
  return badRequest(op, `${what}: JPEG has no frame header (SOF) before its image data`);
}

/** The header of PNG or JPEG bytes; undefined for bytes of any other format (left to the decoder). */
export function readImageHeader(op: string, what: string, bytes: Uint8Array): ImageHeader | undefined {
  if (isPng(bytes)) return pngHeader(op, what, bytes);
  if (isJpeg(bytes)) return jpegHeader(op, what, bytes);
  return undefined;
}

/** Base64 of the PNG signature and of a JPEG's SOI + marker byte: how an encoded image string starts. */
const B64_PREFIXES = ['iVBORw0KGgo', '/9j/'];

/** The image bytes a v1 instance carries (a base64 string or `{ "b64": ... }`), if it looks like an image. */
function imageBytesOf(instance: unknown): Buffer | undefined {
  let s: unknown = instance;
  if (s !== null && typeof s === 'object' && !Array.isArray(s) && 'b64' in s) s = (s as { b64: unknown }).b64;
  if (typeof s !== 'string') return undefined;
  const head = s.trimStart();
  if (!B64_PREFIXES.some((p) => head.startsWith(p))) return undefined;
  return Buffer.from(head, 'base64');
}

/**
 * Refuses, before any decoding, v1 instances whose images are larger than `maxPixels` pixels, alone or
 * all together: the decoded RGBA (4 bytes a pixel, then 4 floats a channel) is what costs memory and
 * time, not the compressed request.
 */
export function checkImagePixels(op: string, instances: readonly unknown[], maxPixels: number): void {
  let total = 0;
  for (let i = 0; i < instances.length; i++) {
    const bytes = imageBytesOf(instances[i]);
    if (bytes === undefined) continue;
    const what = `instance ${i}`;
    const h = readImageHeader(op, what, bytes);
    if (h === undefined) continue;
    if (h.width === 0 || h.height === 0)
      badRequest(op, `${what}: ${h.format} image is ${h.width}x${h.height}`);
    const pixels = h.width * h.height;
    if (pixels > maxPixels) {
      badRequest(
        op,
        `${what}: ${h.format} image is ${h.width}x${h.height} (${pixels} pixels), over the limit of ${maxPixels} pixels per request; send it resized to the model's input size`,
      );
    }
    total += pixels;
    if (total > maxPixels) {
      badRequest(
        op,
        `images up to ${what} hold ${total} pixels in all, over the limit of ${maxPixels} pixels per request; send fewer or smaller images per request`,
      );
    }
  }
}
