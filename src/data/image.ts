import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { check, fail } from '../core/errors.ts';
import type { Dataset, Field, Sample, Transform } from './dataset.ts';

export interface DecodeOptions {
  /** 1 = grayscale (ITU-R 601 luma, as PIL 'L'), 3 = RGB (default), 4 = RGBA. */
  channels?: 1 | 3 | 4;
  /** Name used in error messages (e.g. the file path). */
  name?: string;
}

// The codecs (CommonJS) are required on first decode, not at import, so the library's entry stays fast to load.
const require = createRequire(import.meta.url);
const codec = <T>(name: string): (() => T) => {
  let m: T | undefined;
  return () => {
    m ??= require(name) as T;
    return m;
  };
};
const pngjs = codec<typeof import('pngjs')>('pngjs');
const jpegJs = codec<typeof import('jpeg-js')>('jpeg-js');

/** Decodes PNG or JPEG bytes (format from the magic bytes) to a float32 [C, H, W] image in [0, 1]. */
export function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Field {
  const name = opts.name ?? '<buffer>';
  const channels = opts.channels ?? 3;
  check([1, 3, 4].includes(channels), 'decodeImage', () => `channels must be 1, 3 or 4, got ${channels}`);
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
      const png = pngjs().PNG.sync.read(buf);
      [rgba, width, height] = [png.data, png.width, png.height];
    } else if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const img = jpegJs().decode(buf, { useTArray: true, formatAsRGBA: true });
      [rgba, width, height] = [img.data, img.width, img.height];
    } else {
      const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      return fail('decodeImage', `${name}: not a PNG or JPEG file (first bytes ${magic})`);
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'TensorScriptError') throw e;
    fail('decodeImage', `${name}: corrupt image (${(e as Error).message})`);
  }
  const plane = width * height;
  const out = new Float32Array(channels * plane);
  for (let p = 0; p < plane; p++) {
    const r = rgba[4 * p]!;
    const g = rgba[4 * p + 1]!;
    const b = rgba[4 * p + 2]!;
    if (channels === 1) out[p] = Math.floor((r * 299 + g * 587 + b * 114) / 1000) / 255;
    else {
      out[p] = r / 255;
      out[plane + p] = g / 255;
      out[2 * plane + p] = b / 255;
      if (channels === 4) out[3 * plane + p] = rgba[4 * p + 3]! / 255;
    }
  }
  return { data: out, shape: [channels, height, width] };
}

export async function readImage(path: string, opts: Omit<DecodeOptions, 'name'> = {}): Promise<Field> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail('readImage', `${path}: no such file`);
    if (code === 'EMFILE' || code === 'ENFILE')
      fail(
        'readImage',
        `${path}: too many open files (${code}); read images through readImageFolder, which bounds open files, or raise \`ulimit -n\``,
      );
    fail('readImage', `${path}: cannot read (${code ?? (e as Error).message})`);
  }
  return decodeImage(bytes, { ...opts, name: path });
}

const IMAGE_EXTS = new Set(['.png', '.jpg', '.jpeg']);

/**
 * One folder per class (torchvision ImageFolder): `root/<class>/<image>`. Classes are the sorted folder
 * names, samples sorted by path; sample i is [image [C,H,W] float32, label int32 scalar], decoded on demand.
 */
export class ImageFolder implements Dataset<Sample> {
  readonly classes: string[];
  readonly samples: { path: string; label: number }[];
  readonly channels: 1 | 3 | 4;
  readonly transform: Transform<Field, Field> | undefined;

  constructor(root: string, opts: { channels?: 1 | 3 | 4; transform?: Transform<Field, Field> } = {}) {
    let entries: string[];
    try {
      entries = readdirSync(root);
    } catch {
      fail('ImageFolder', `${root}: not a readable directory`);
    }
    this.classes = entries.filter((d) => statSync(join(root, d)).isDirectory()).sort();
    check(
      this.classes.length > 0,
      'ImageFolder',
      () => `${root}: expected one sub-folder per class, found none`,
    );
    this.samples = [];
    this.classes.forEach((c, label) => {
      for (const f of readdirSync(join(root, c)).sort())
        if (IMAGE_EXTS.has(extname(f).toLowerCase())) this.samples.push({ path: join(root, c, f), label });
    });
    check(
      this.samples.length > 0,
      'ImageFolder',
      () => `${root}: no .png/.jpg/.jpeg files in the class folders`,
    );
    this.channels = opts.channels ?? 3;
    this.transform = opts.transform;
  }

  get length(): number {
    return this.samples.length;
  }

  async get(i: number): Promise<Sample> {
    const s = this.samples[i];
    if (s === undefined) fail('ImageFolder.get', `index ${i} out of range [0, ${this.samples.length})`);
    let img = await readImage(s.path, { channels: this.channels });
    if (this.transform) img = this.transform(img);
    return [img, { data: Int32Array.of(s.label), shape: [] }];
  }
}
