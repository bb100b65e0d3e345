import type { TypedArray } from '../../core/dtype.ts';
import type { Pool2dAttrs } from '../../kernels/backend.ts';
import { registerKernel } from '../../kernels/kernel-registry.ts';

/** Max pooling; padded positions never win. Indices are flat positions within each (n, c) plane. */
export function maxPool2d(
  x: TypedArray,
  xShape: readonly number[],
  a: Pool2dAttrs,
  out: TypedArray,
  indices: Int32Array,
  outShape: readonly number[],
): void {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [oh, ow] = [outShape[2]!, outShape[3]!];
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let best = Number.NEGATIVE_INFINITY;
        let bi = -1;
        for (let ky = 0; ky < a.kernel[0]; ky++) {
          const iy = y * a.stride[0] - a.padding[0] + ky * a.dilation[0];
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < a.kernel[1]; kx++) {
            const ix = xo * a.stride[1] - a.padding[1] + kx * a.dilation[1];
            if (ix < 0 || ix >= w) continue;
            const v = x[base + iy * w + ix]!;
            if (v > best || v !== v || bi < 0) {
              best = v;
              bi = iy * w + ix;
              if (v !== v) break;
            }
          }
        }
        const oi = (p * oh + y) * ow + xo;
        out[oi] = best;
        indices[oi] = bi;
      }
    }
  }
}

export function maxPool2dBackward(
  dy: TypedArray,
  indices: Int32Array,
  outShape: readonly number[],
  out: TypedArray,
  xShape: readonly number[],
): void {
  const planes = outShape[0]! * outShape[1]!;
  const per = outShape[2]! * outShape[3]!;
  const plane = xShape[2]! * xShape[3]!;
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < per; i++) {
      const k = indices[p * per + i]!;
      if (k >= 0) out[p * plane + k]! += dy[p * per + i]!;
    }
  }
}

/** For each output cell: the clipped window and torch's divisor (padding counted or not). */
function windows(
  xShape: readonly number[],
  a: Pool2dAttrs,
  outShape: readonly number[],
  fn: (p: number, oi: number, y0: number, y1: number, x0: number, x1: number, div: number) => void,
): void {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [oh, ow] = [outShape[2]!, outShape[3]!];
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let y0 = y * a.stride[0] - a.padding[0];
        let x0 = xo * a.stride[1] - a.padding[1];
        let y1 = Math.min(y0 + a.kernel[0], h + a.padding[0]);
        let x1 = Math.min(x0 + a.kernel[1], w + a.padding[1]);
        const poolSize = (y1 - y0) * (x1 - x0);
        y0 = Math.max(y0, 0);
        x0 = Math.max(x0, 0);
        y1 = Math.min(y1, h);
        x1 = Math.min(x1, w);
        const div = a.countIncludePad ? poolSize : (y1 - y0) * (x1 - x0);
        fn(p, (p * oh + y) * ow + xo, y0, y1, x0, x1, div);
      }
    }
  }
}

export function avgPool2d(
  x: TypedArray,
  xShape: readonly number[],
  a: Pool2dAttrs,
  out: TypedArray,
  outShape: readonly number[],
): void {
  const plane = xShape[2]! * xShape[3]!;
  const w = xShape[3]!;
  windows(xShape, a, outShape, (p, oi, y0, y1, x0, x1, div) => {
    let s = 0;
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) s += x[p * plane + iy * w + ix]!;
    out[oi] = s / div;
  });
}

export function avgPool2dBackward(
  dy: TypedArray,
  outShape: readonly number[],
  a: Pool2dAttrs,
  out: TypedArray,
  xShape: readonly number[],
): void {
  const plane = xShape[2]! * xShape[3]!;
  const w = xShape[3]!;
  windows(xShape, a, outShape, (p, oi, y0, y1, x0, x1, div) => {
    const g = dy[oi]! / div;
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) out[p * plane + iy * w + ix]! += g;
  });
}

registerKernel({
  name: 'maxPool2d',
  backend: 'ref',
  fn: ({ inputs: { x }, outputs: { out, indices }, attrs }) => {
    maxPool2d(x, attrs.xShape, attrs, out, indices, attrs.outShape);
  },
});
registerKernel({
  name: 'maxPool2dBackward',
  backend: 'ref',
  fn: ({ inputs: { dy, indices }, outputs: { dx }, attrs }) => {
    maxPool2dBackward(dy, indices, attrs.outShape, dx, attrs.xShape);
  },
});
registerKernel({
  name: 'avgPool2d',
  backend: 'ref',
  fn: ({ inputs: { x }, outputs: { out }, attrs }) => {
    avgPool2d(x, attrs.xShape, attrs, out, attrs.outShape);
  },
});
registerKernel({
  name: 'avgPool2dBackward',
  backend: 'ref',
  fn: ({ inputs: { dy }, outputs: { dx }, attrs }) => {
    avgPool2dBackward(dy, attrs.outShape, attrs, dx, attrs.xShape);
  },
});
