import { check, fail, TensorScriptError } from '../core/errors.ts';
import { ImageFolder } from './image.ts';
import { resizeImage } from './image-resize.ts';
import { forEachLimited } from './pool.ts';

export interface ReadImageFolderOptions {
  /** Colour channels every image is decoded to (default 3). */
  channels?: 1 | 3 | 4;
  /** Images read and decoded at the same time, so at most this many files are open (default 32). */
  concurrency?: number;
  /** Resize every image to [height, width] (bilinear, as torch's interpolate) instead of requiring one size. */
  size?: readonly [number, number];
  /** Called after each image with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Every image of a class-per-folder tree decoded into one [N, C, H, W] float32 array in [0, 1]. */
export interface ImageFolderData {
  pixels: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  classes: string[];
  paths: string[];
}

/**
 * Reads a whole image folder (`root/<class>/<image>.png|jpg`) with a fixed pool of `concurrency` readers,
 * each writing its image straight into the result, so memory is the pixels themselves and the number of
 * open files stays bounded however many images there are (a Promise.all over 70,000 files fails with
 * EMFILE). Every image must have the size of the first.
 */
export async function readImageFolder(
  folder: string | ImageFolder,
  opts: ReadImageFolderOptions = {},
): Promise<ImageFolderData> {
  const op = 'readImageFolder';
  const concurrency = opts.concurrency ?? 32;
  check(
    Number.isInteger(concurrency) && concurrency >= 1,
    op,
    () => `concurrency must be a positive integer, got ${concurrency}`,
  );
  const size = opts.size;
  const ds =
    typeof folder === 'string'
      ? new ImageFolder(folder, {
          channels: opts.channels ?? 3,
          ...(size === undefined ? {} : { transform: (img) => resizeImage(img, size[0], size[1]) }),
        })
      : folder;
  const n = ds.length;
  const paths = ds.samples.map((s) => s.path);
  const labels = Int32Array.from(ds.samples, (s) => s.label);
  // The first image fixes the size and so the allocation; the pool then fills the rest.
  const first = (await readOne(ds, 0, paths))[0];
  const [c, h, w] = first.shape as [number, number, number];
  const per = c * h * w;
  const pixels = new Float32Array(n * per);
  pixels.set(first.data as Float32Array, 0);
  let done = 1;
  opts.onProgress?.(done, n);
  await forEachLimited(n - 1, concurrency, async (k) => {
    const i = k + 1;
    const img = (await readOne(ds, i, paths))[0];
    if (img.shape[0] !== c || img.shape[1] !== h || img.shape[2] !== w)
      fail(
        op,
        `${paths[i]}: ${img.shape[2]}x${img.shape[1]} pixels (${img.shape[0]} channels), but ${paths[0]} has ${w}x${h} (${c}); all images must share one size`,
      );
    pixels.set(img.data as Float32Array, i * per);
    opts.onProgress?.(++done, n);
  });
  return { pixels, shape: [n, c, h, w], labels, classes: [...ds.classes], paths };
}

async function readOne(ds: ImageFolder, i: number, paths: readonly string[]) {
  try {
    return await ds.get(i);
  } catch (e) {
    if (e instanceof TensorScriptError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EMFILE' || code === 'ENFILE')
      fail(
        'readImageFolder',
        `${paths[i]}: too many open files (${code}); lower the concurrency or raise \`ulimit -n\``,
      );
    fail('readImageFolder', `${paths[i]}: ${(e as Error).message}`);
  }
}
