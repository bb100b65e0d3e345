import type { TypedArray } from '../../core/dtype.ts';
import type { Conv2dAttrs } from '../../kernels/backend.ts';
import { registerKernel } from '../../kernels/kernel-registry.ts';

/** Direct convolution loops: slow but plainly the definition (NCHW input, OIHW weight, groups). */
function geometry(
  xShape: readonly number[],
  wShape: readonly number[],
  oShape: readonly number[],
  attrs: Conv2dAttrs,
) {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [o, cg, kh, kw] = wShape as [number, number, number, number];
  const [oh, ow] = [oShape[2]!, oShape[3]!];
  const og = o / attrs.groups;
  return { n, c, h, w, o, cg, kh, kw, oh, ow, og };
}

function outDims(xShape: readonly number[], wShape: readonly number[], attrs: Conv2dAttrs): number[] {
  const [sh, sw] = attrs.stride;
  const [ph, pw] = attrs.padding;
  const [dh, dw] = attrs.dilation;
  const oh = Math.floor((xShape[2]! + 2 * ph - dh * (wShape[2]! - 1) - 1) / sh) + 1;
  const ow = Math.floor((xShape[3]! + 2 * pw - dw * (wShape[3]! - 1) - 1) / sw) + 1;
  return [xShape[0]!, wShape[0]!, oh, ow];
}

/**
 * Calls fn(xIndex, wIndex, yIndex) for every multiply-add of the convolution; forward and both
 * backward kernels are this one loop nest with a different accumulation, so they cannot disagree.
 */
function visit(
  xShape: readonly number[],
  wShape: readonly number[],
  attrs: Conv2dAttrs,
  fn: (xi: number, wi: number, yi: number) => void,
): void {
  const g = geometry(xShape, wShape, outDims(xShape, wShape, attrs), attrs);
  const [sh, sw] = attrs.stride;
  const [ph, pw] = attrs.padding;
  const [dh, dw] = attrs.dilation;
  for (let b = 0; b < g.n; b++) {
    for (let oc = 0; oc < g.o; oc++) {
      const grp = Math.floor(oc / g.og);
      for (let y = 0; y < g.oh; y++) {
        for (let x = 0; x < g.ow; x++) {
          const yi = ((b * g.o + oc) * g.oh + y) * g.ow + x;
          for (let ci = 0; ci < g.cg; ci++) {
            const c = grp * g.cg + ci;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = y * sh - ph + ky * dh;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = x * sw - pw + kx * dw;
                if (ix < 0 || ix >= g.w) continue;
                fn(((b * g.c + c) * g.h + iy) * g.w + ix, ((oc * g.cg + ci) * g.kh + ky) * g.kw + kx, yi);
              }
            }
          }
        }
      }
    }
  }
}

export function conv2d(
  x: TypedArray,
  xShape: readonly number[],
  w: TypedArray,
  wShape: readonly number[],
  attrs: Conv2dAttrs,
  out: TypedArray,
): void {
  const acc = new Float64Array(out.length);
  visit(xShape, wShape, attrs, (xi, wi, yi) => {
    acc[yi]! += x[xi]! * w[wi]!;
  });
  out.set(acc);
}

export function conv2dBackwardInput(
  dy: TypedArray,
  _dyShape: readonly number[],
  w: TypedArray,
  wShape: readonly number[],
  attrs: Conv2dAttrs,
  out: TypedArray,
  xShape: readonly number[],
): void {
  const acc = new Float64Array(out.length);
  visit(xShape, wShape, attrs, (xi, wi, yi) => {
    acc[xi]! += dy[yi]! * w[wi]!;
  });
  out.set(acc);
}

export function conv2dBackwardFilter(
  x: TypedArray,
  xShape: readonly number[],
  dy: TypedArray,
  _dyShape: readonly number[],
  attrs: Conv2dAttrs,
  out: TypedArray,
  wShape: readonly number[],
): void {
  const acc = new Float64Array(out.length);
  visit(xShape, wShape, attrs, (xi, wi, yi) => {
    acc[wi]! += x[xi]! * dy[yi]!;
  });
  out.set(acc);
}

registerKernel({
  name: 'conv2d',
  backend: 'ref',
  fn: ({ inputs: { x, w }, outputs: { out }, attrs }) => {
    conv2d(x, attrs.xShape, w, attrs.wShape, attrs, out);
  },
});
registerKernel({
  name: 'conv2dBackwardInput',
  backend: 'ref',
  fn: ({ inputs: { dy, w }, outputs: { dx }, attrs }) => {
    conv2dBackwardInput(dy, attrs.dyShape, w, attrs.wShape, attrs, dx, attrs.xShape);
  },
});
registerKernel({
  name: 'conv2dBackwardFilter',
  backend: 'ref',
  fn: ({ inputs: { x, dy }, outputs: { dw }, attrs }) => {
    conv2dBackwardFilter(x, attrs.xShape, dy, attrs.dyShape, attrs, dw, attrs.wShape);
  },
});
