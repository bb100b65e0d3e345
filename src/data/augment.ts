import type { TypedArray } from '../core/dtype.ts';
import { check } from '../core/errors.ts';
import type { Generator } from '../core/rng.ts';
import type { Field, Sample, Transform } from './dataset.ts';

/**
 * Seeded, on-the-fly augmentations. Image transforms take a [C, H, W] (or [H, W]) field and return a new
 * one of the same shape; each draws from the generator it was built with, so a seed replays an epoch.
 */
export type ImageTransform = (img: Field) => Field;

function dims(img: Field, op: string): [number, number, number] {
  const s = img.shape;
  check(
    s.length === 2 || s.length === 3,
    op,
    () => `expected an image [C,H,W] or [H,W], got shape [${s.join(',')}]`,
  );
  return s.length === 3 ? [s[0]!, s[1]!, s[2]!] : [1, s[0]!, s[1]!];
}

function like(img: Field): TypedArray {
  return new (img.data.constructor as new (n: number) => TypedArray)(img.data.length);
}

/** Copies pixels so that out(y, x) = in(y - dy, x - dx); uncovered pixels get `fill`. */
function shiftImage(img: Field, dy: number, dx: number, fill: number): Field {
  const [c, h, w] = dims(img, 'shift');
  const out = like(img).fill(fill);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= h) continue;
      for (let x = 0; x < w; x++) {
        const sx = x - dx;
        if (sx >= 0 && sx < w) out[(ch * h + y) * w + x] = img.data[(ch * h + sy) * w + sx]!;
      }
    }
  return { data: out, shape: img.shape };
}

/** Mirrors left-right with probability p. */
export function randomHorizontalFlip(gen: Generator, p = 0.5): ImageTransform {
  return (img) => (gen.uniform() < p ? flip(img, 'h') : img);
}

/** Mirrors top-bottom with probability p. */
export function randomVerticalFlip(gen: Generator, p = 0.5): ImageTransform {
  return (img) => (gen.uniform() < p ? flip(img, 'v') : img);
}

export function flip(img: Field, axis: 'h' | 'v'): Field {
  const [c, h, w] = dims(img, 'flip');
  const out = like(img);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const sy = axis === 'v' ? h - 1 - y : y;
        const sx = axis === 'h' ? w - 1 - x : x;
        out[(ch * h + y) * w + x] = img.data[(ch * h + sy) * w + sx]!;
      }
  return { data: out, shape: img.shape };
}

/** Shifts by a whole number of pixels drawn uniformly from [-maxShift, maxShift] on each axis. */
export function randomShift(gen: Generator, maxShift: number, fill = 0): ImageTransform {
  return (img) => shiftImage(img, gen.int(-maxShift, maxShift + 1), gen.int(-maxShift, maxShift + 1), fill);
}

/** Pads by `padding` on every side with `fill`, then crops back to the original size at a random offset. */
export function randomCrop(gen: Generator, padding: number, fill = 0): ImageTransform {
  // Cropping an H x W window at offset (oy, ox) of the padded image equals shifting by (padding - oy, padding - ox).
  return (img) => {
    const oy = gen.int(0, 2 * padding + 1);
    const ox = gen.int(0, 2 * padding + 1);
    return shiftImage(img, padding - oy, padding - ox, fill);
  };
}

/**
 * Rotates by an angle in [-maxDegrees, maxDegrees] about the centre, bilinear, uncovered pixels = fill.
 * Positive angles turn counter-clockwise as displayed (torchvision's convention).
 */
export function randomRotation(gen: Generator, maxDegrees: number, fill = 0): ImageTransform {
  return (img) => rotate(img, (gen.uniform() * 2 - 1) * maxDegrees, fill);
}

export function rotate(img: Field, degrees: number, fill = 0): Field {
  const [c, h, w] = dims(img, 'rotate');
  const out = like(img);
  const t = (-degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const isInt = !(img.data instanceof Float32Array || img.data instanceof Float64Array);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      // Inverse mapping: where in the source does this output pixel come from.
      const sx = cos * (x - cx) + sin * (y - cy) + cx;
      const sy = -sin * (x - cx) + cos * (y - cy) + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < c; ch++) {
        const at = (yy: number, xx: number) =>
          yy >= 0 && yy < h && xx >= 0 && xx < w ? img.data[(ch * h + yy) * w + xx]! : fill;
        const v =
          (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
          fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
        out[(ch * h + y) * w + x] = isInt ? Math.round(v) : v;
      }
    }
  return { data: out, shape: img.shape };
}

/** Adds N(0, std^2) noise to every value; optionally clamps to [lo, hi]. */
export function gaussianNoise(gen: Generator, std: number, clamp?: [number, number]): ImageTransform {
  return (img) => {
    const out = like(img);
    for (let i = 0; i < out.length; i++) {
      let v = img.data[i]! + std * gen.normal();
      if (clamp) v = Math.min(clamp[1], Math.max(clamp[0], v));
      out[i] = v;
    }
    return { data: out, shape: img.shape };
  };
}

/** Applies an image transform to field `k` of a sample (default 0, the input), leaving labels alone. */
export function onField(t: ImageTransform, k = 0): Transform<Sample, Sample> {
  return (s) => s.map((f, i) => (i === k ? t(f) : f));
}

/** Drops each token with probability p (keeps at least one token). */
export function randomDeletion(gen: Generator, p: number): <T>(tokens: readonly T[]) => T[] {
  return <T>(tokens: readonly T[]): T[] => {
    if (tokens.length <= 1) return [...tokens];
    const kept = tokens.filter(() => gen.uniform() >= p);
    return kept.length > 0 ? kept : [tokens[gen.int(0, tokens.length)]!];
  };
}

/** Swaps two random positions `n` times. */
export function randomSwap(gen: Generator, n = 1): <T>(tokens: readonly T[]) => T[] {
  return <T>(tokens: readonly T[]): T[] => {
    const out = [...tokens];
    if (out.length < 2) return out;
    for (let k = 0; k < n; k++) {
      const i = gen.int(0, out.length);
      const j = gen.int(0, out.length);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
}
