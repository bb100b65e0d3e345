/**
 * The arithmetic of static int8 layers (torch's quantized Linear/Conv2d with fixed, calibrated activation
 * parameters), on the integer kernels. The input is quantized per tensor, affine, with the calibrated scale
 * and zero point; weights are symmetric int8 per output channel. Every step is exact integer arithmetic or
 * one float32 operation, so the result is a fixed function of the inputs (test/quant/static.test.ts checks it
 * bit for bit against direct loops):
 *
 *   qa = clamp(zp + nearest_even(fround(x * fround(1 / sa))), -127, 127)      (fakeQuantize's code)
 *   acc[i, j] = sum_p (qa[i, p] - zp) * w[j, p]
 *             = int8Matmul(qa, w)[i, j] - zp * sum_p w[j, p]                    (exact int32)
 *   y[i, j] = fround(fround(fround(acc) * fround(sa * sw[j])) + bias[j]), then max(y, 0) when ReLU is fused.
 *
 * A convolution is the same product over im2col rows (one row per output pixel, its receptive field in the
 * weight's (channel, kh, kw) order), padded with the code of real zero, zp: the range always holds zero.
 */
import { fail } from '../core/errors.ts';
import { int8Matmul, type PackedInt8Weights } from './int8-kernels.ts';
import { roundHalfEven } from './int8-reference.ts';
import { QMAX, QMIN, type QParams } from './observers.ts';

const fr = Math.fround;

/** Affine int8 codes of `x` for the activation parameters `qp` (values clamped to [-127, 127]). */
export function quantizeAffine(x: ArrayLike<number>, qp: QParams, out = new Int8Array(x.length)): Int8Array {
  const inv = fr(1 / fr(qp.scale));
  const zp = qp.zeroPoint;
  for (let i = 0; i < x.length; i++) {
    const q = zp + roundHalfEven(fr(x[i]! * inv));
    out[i] = Math.min(QMAX, Math.max(QMIN, q));
  }
  return out;
}

/** Sum of each of the n rows of w [n, k], the zero-point correction's factor. */
export function rowSums(w: ArrayLike<number>, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += w[j * k + p]!;
    out[j] = s;
  }
  return out;
}

/** What the rescaling step needs, beside the int32 product. */
export interface Requant {
  /** The activation parameters. */
  act: QParams;
  /** Per output channel weight scales (length n). */
  weightScale: Float32Array;
  /** Per output channel sums of the int8 weights. */
  weightSums: Int32Array;
  bias: Float32Array | null;
  relu: boolean;
}

/**
 * acc = int8Matmul(qa, packed) corrected for the zero point and rescaled to float32; the value for row i,
 * channel j is written to out[outIndex(i, j)] (row-major [m, n] for Linear, NCHW for a convolution).
 */
export function requantize(
  qa: Int8Array,
  m: number,
  packed: PackedInt8Weights,
  r: Requant,
  out: Float32Array,
  outIndex: (i: number, j: number) => number,
): void {
  const n = packed.n;
  const acc = int8Matmul(qa, m, packed);
  const sa = fr(r.act.scale);
  const zp = r.act.zeroPoint;
  for (let j = 0; j < n; j++) {
    const s = fr(sa * r.weightScale[j]!);
    const corr = zp * r.weightSums[j]!;
    const b = r.bias === null ? 0 : r.bias[j]!;
    for (let i = 0; i < m; i++) {
      let y = fr(fr((acc[i * n + j]! - corr) | 0) * s);
      if (r.bias !== null) y = fr(y + b);
      if (r.relu && y < 0) y = 0;
      out[outIndex(i, j)] = y;
    }
  }
}

/** The geometry of a 2-D convolution with its padding resolved. */
export interface ConvGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  oh: number;
  ow: number;
}

/** Output size along one axis (torch's formula). */
export function convOut(size: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((size + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

/**
 * The im2col rows of group g of the int8 image q [n, c, h, w]: row (b, y, x) holds the (c/groups)*kh*kw codes
 * of its receptive field, `pad` where it falls outside the image.
 */
export function im2colInt8(q: Int8Array, geo: ConvGeometry, g: number, pad: number): Int8Array {
  const { n, c, h, w, kh, kw, oh, ow } = geo;
  const cg = c / geo.groups;
  const k = cg * kh * kw;
  const rows = new Int8Array(n * oh * ow * k);
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.padding;
  const [dh, dw] = geo.dilation;
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++)
        for (let ci = 0; ci < cg; ci++) {
          const plane = (b * c + g * cg + ci) * h * w;
          for (let i = 0; i < kh; i++) {
            const yy = y * sh - ph + i * dh;
            for (let j = 0; j < kw; j++) {
              const xx = x * sw - pw + j * dw;
              rows[o++] = yy < 0 || yy >= h || xx < 0 || xx >= w ? pad : q[plane + yy * w + xx]!;
            }
          }
        }
  return rows;
}

/** Resolves 'same'/'valid' padding as conv2d does (stride 1 and an odd effective kernel for 'same'). */
export function resolvePadding(
  layer: string,
  padding: [number, number] | 'valid' | 'same',
  k: [number, number],
  stride: [number, number],
  dilation: [number, number],
): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') {
    const th = dilation[0] * (k[0] - 1);
    const tw = dilation[1] * (k[1] - 1);
    if (stride[0] !== 1 || stride[1] !== 1 || th % 2 !== 0 || tw % 2 !== 0)
      fail(layer, "padding='same' needs stride 1 and an odd effective kernel size");
    return [th / 2, tw / 2];
  }
  return padding;
}
