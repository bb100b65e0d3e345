/**
 * Bilinear image resizing, as torch.nn.functional.interpolate(mode='bilinear', align_corners=False,
 * antialias=False) and torchvision's Resize on tensors without antialiasing: output pixel centres are mapped
 * back to input coordinates ((i + 0.5) * in / out - 0.5), clamped at 0, and the 4 neighbours blended.
 */
import { check } from '../core/errors.ts';
import type { Field } from './dataset.ts';

/** Resizes a [C, H, W] image to [C, height, width]; the same size is returned unchanged. */
export function resizeImage(img: Field, height: number, width: number): Field {
  check(
    Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0,
    'resizeImage',
    () => `height and width must be positive integers, got ${height}x${width}`,
  );
  const [c, h, w] = img.shape as [number, number, number];
  if (h === height && w === width) return img;
  const src = img.data as ArrayLike<number>;
  const out = new Float32Array(c * height * width);
  const axis = (n: number, inN: number) => {
    const lo = new Int32Array(n);
    const hi = new Int32Array(n);
    const t = new Float64Array(n);
    const scale = inN / n;
    for (let i = 0; i < n; i++) {
      const x = Math.max(0, (i + 0.5) * scale - 0.5);
      const x0 = Math.min(Math.floor(x), inN - 1);
      lo[i] = x0;
      hi[i] = Math.min(x0 + 1, inN - 1);
      t[i] = x - x0;
    }
    return { lo, hi, t };
  };
  const ys = axis(height, h);
  const xs = axis(width, w);
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    for (let i = 0; i < height; i++) {
      const r0 = base + ys.lo[i]! * w;
      const r1 = base + ys.hi[i]! * w;
      const ty = ys.t[i]!;
      for (let j = 0; j < width; j++) {
        const x0 = xs.lo[j]!;
        const x1 = xs.hi[j]!;
        const tx = xs.t[j]!;
        const top = src[r0 + x0]! * (1 - tx) + src[r0 + x1]! * tx;
        const bottom = src[r1 + x0]! * (1 - tx) + src[r1 + x1]! * tx;
        out[(ch * height + i) * width + j] = top * (1 - ty) + bottom * ty;
      }
    }
  }
  return { data: out, shape: [c, height, width] };
}
