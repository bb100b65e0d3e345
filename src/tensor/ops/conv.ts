import { arrayFor } from '../../core/dtype.ts';
import { check, fmtShape } from '../../core/errors.ts';
import { checkOpOptions } from '../../core/options.ts';
import type { Conv2dAttrs, Pool2dAttrs } from '../../kernels/backend.ts';
import { runKernel } from '../../kernels/kernel-registry.ts';
import { fromHost, record, uninit } from '../lifecycle.ts';
import type { Tensor } from '../tensor.ts';
import { assertTensor, empty } from './dispatch.ts';
import { matmul } from './linalg.ts';
import { contiguous, reshape } from './views.ts';

export type IntPair = number | readonly [number, number];

function pair(op: string, name: string, v: IntPair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  check(
    Number.isInteger(p[0]) && Number.isInteger(p[1]) && p[0] >= min && p[1] >= min,
    op,
    () => `${name} must be integers >= ${min}, got ${JSON.stringify(v)}`,
  );
  return p;
}

export interface Conv2dOptions {
  bias?: Tensor | null;
  stride?: IntPair;
  /** Pixels of zero padding per side, or 'valid' (none) / 'same' (output size = input size; stride 1). */
  padding?: IntPair | 'valid' | 'same';
  dilation?: IntPair;
  groups?: number;
}

function convOutSize(n: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

const CONV2D_KEYS = ['bias', 'stride', 'padding', 'dilation', 'groups'];

/** torch.nn.functional.conv2d on NCHW input with OIHW weight: `conv2d(x, weight, { bias, stride, padding, dilation, groups })`. */
export function conv2d(x: Tensor, weight: Tensor, opts: Conv2dOptions = {}, ...rest: never[]): Tensor {
  checkOpOptions(
    'conv2d',
    opts,
    CONV2D_KEYS,
    'conv2d(x, weight, { bias, stride, padding, dilation, groups })',
    rest.length,
  );
  const bias = opts.bias ?? null;
  assertTensor('conv2d', x);
  assertTensor('conv2d', weight, 'weight');
  check(x.ndim === 4, 'conv2d', () => `expected 4-D input [N,C,H,W], got ${fmtShape(x.shape)}`);
  check(
    weight.ndim === 4,
    'conv2d',
    () => `expected 4-D weight [O,C/groups,kH,kW], got ${fmtShape(weight.shape)}`,
  );
  const groups = opts.groups ?? 1;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  check(
    Number.isInteger(groups) && groups >= 1 && c % groups === 0 && o % groups === 0,
    'conv2d',
    () => `groups ${groups} must divide input channels ${c} and output channels ${o}`,
  );
  check(
    cg * groups === c,
    'conv2d',
    () =>
      `weight ${fmtShape(weight.shape)} expects ${cg * groups} input channels, input ${fmtShape(x.shape)} has ${c}`,
  );
  check(
    x.dtype === weight.dtype,
    'conv2d',
    () => `input dtype ${x.dtype} and weight dtype ${weight.dtype} differ`,
  );
  const stride = pair('conv2d', 'stride', opts.stride ?? 1, 1);
  const dilation = pair('conv2d', 'dilation', opts.dilation ?? 1, 1);
  let padding: [number, number];
  const p = opts.padding ?? 0;
  if (p === 'valid') padding = [0, 0];
  else if (p === 'same') {
    check(
      stride[0] === 1 && stride[1] === 1,
      'conv2d',
      () => "padding='same' is not supported for strided convolutions",
    );
    const th = dilation[0] * (kh - 1);
    const tw = dilation[1] * (kw - 1);
    check(
      th % 2 === 0 && tw % 2 === 0,
      'conv2d',
      () => "padding='same' needs an odd effective kernel size here (asymmetric padding is not supported)",
    );
    padding = [th / 2, tw / 2];
  } else padding = pair('conv2d', 'padding', p, 0);
  const oh = convOutSize(h, kh, stride[0], padding[0], dilation[0]);
  const ow = convOutSize(w, kw, stride[1], padding[1], dilation[1]);
  check(
    oh > 0 && ow > 0,
    'conv2d',
    () => `input ${fmtShape(x.shape)} is too small for kernel ${kh}x${kw} (after padding and dilation)`,
  );
  const attrs: Conv2dAttrs = { stride, padding, dilation, groups };
  const xc = contiguous(x);
  const wc = contiguous(weight);
  const out = uninit([n, o, oh, ow], x.dtype);
  if (out.size > 0)
    runKernel('conv2d', {
      inputs: { x: xc.data, w: wc.data },
      outputs: { out: out.data },
      attrs: { ...attrs, xShape: x.shape, wShape: weight.shape },
    });
  let y = record('conv2d', [x, weight], out, { attrs });
  if (bias !== null) {
    assertTensor('conv2d', bias, 'bias');
    check(
      bias.ndim === 1 && bias.shape[0] === o,
      'conv2d',
      () => `bias must have shape [${o}], got ${fmtShape(bias.shape)}`,
    );
    y = y.add(reshape(bias, [1, o, 1, 1]));
  }
  return y;
}

/** Gradient of conv2d w.r.t. its input (a kernel of its own; second derivatives are not supported). */
export function conv2dBackwardInput(
  dy: Tensor,
  weight: Tensor,
  xShape: readonly number[],
  attrs: Conv2dAttrs,
): Tensor {
  const out = uninit(xShape, dy.dtype);
  if (out.size > 0)
    runKernel('conv2dBackwardInput', {
      inputs: { dy: contiguous(dy).data, w: contiguous(weight).data },
      outputs: { dx: out.data },
      attrs: { ...attrs, dyShape: dy.shape, wShape: weight.shape, xShape },
    });
  return out;
}

/** Gradient of conv2d w.r.t. its weight. */
export function conv2dBackwardFilter(
  x: Tensor,
  dy: Tensor,
  wShape: readonly number[],
  attrs: Conv2dAttrs,
): Tensor {
  const out = empty(wShape, dy.dtype);
  if (out.size > 0)
    runKernel('conv2dBackwardFilter', {
      inputs: { x: contiguous(x).data, dy: contiguous(dy).data },
      outputs: { dw: out.data },
      attrs: { ...attrs, xShape: x.shape, dyShape: dy.shape, wShape },
    });
  return out;
}

export interface Pool2dOptions {
  kernelSize: IntPair;
  stride?: IntPair | null;
  padding?: IntPair;
  dilation?: IntPair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

function poolOutSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // As torch: with ceil mode the last window must start inside the input or left padding.
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

function poolSetup(
  op: string,
  x: Tensor,
  opts: Pool2dOptions,
  dilationAllowed: boolean,
): { attrs: Pool2dAttrs; outShape: number[] } {
  // maxPool2d has dilation, avgPool2d countIncludePad; each refuses the other's key rather than ignore it.
  const keys = [
    'kernelSize',
    'stride',
    'padding',
    'ceilMode',
    dilationAllowed ? 'dilation' : 'countIncludePad',
  ];
  checkOpOptions(op, opts, keys, `${op}(x, { ${keys.join(', ')} })`);
  check(opts?.kernelSize !== undefined, op, () => `kernelSize is required: ${op}(x, { kernelSize: 2 })`);
  assertTensor(op, x);
  check(x.ndim === 4, op, () => `expected 3-D [C,H,W] or 4-D [N,C,H,W] input, got ${fmtShape(x.shape)}`);
  const kernel = pair(op, 'kernelSize', opts.kernelSize, 1);
  const stride = pair(op, 'stride', opts.stride ?? kernel, 1);
  const padding = pair(op, 'padding', opts.padding ?? 0, 0);
  const dilation = pair(op, 'dilation', dilationAllowed ? (opts.dilation ?? 1) : 1, 1);
  check(
    padding[0] * 2 <= kernel[0] && padding[1] * 2 <= kernel[1],
    op,
    () => `padding ${padding} should be at most half of kernel size ${kernel}`,
  );
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const ceilMode = opts.ceilMode ?? false;
  const oh = poolOutSize(h, kernel[0], stride[0], padding[0], dilation[0], ceilMode);
  const ow = poolOutSize(w, kernel[1], stride[1], padding[1], dilation[1], ceilMode);
  check(oh > 0 && ow > 0, op, () => `output size is too small: input ${fmtShape(x.shape)}, kernel ${kernel}`);
  return {
    attrs: { kernel, stride, padding, dilation, ceilMode, countIncludePad: opts.countIncludePad ?? true },
    outShape: [n, c, oh, ow],
  };
}

/** Pooling also takes an unbatched [C, H, W] input, as torch does. */
function unbatched(op: string, x: Tensor, fn: (x4: Tensor) => Tensor): Tensor | null {
  assertTensor(op, x);
  return x.ndim === 3 ? fn(x.unsqueeze(0)).squeeze(0) : null;
}

export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const u = unbatched('maxPool2d', x, (x4) => maxPool2d(x4, opts));
  if (u !== null) return u;
  const { attrs, outShape } = poolSetup('maxPool2d', x, opts, true);
  const out = uninit(outShape, x.dtype);
  const indices = uninit(outShape, 'int32');
  if (out.size > 0)
    runKernel('maxPool2d', {
      inputs: { x: contiguous(x).data },
      outputs: { out: out.data, indices: indices.data as Int32Array },
      attrs: { ...attrs, xShape: x.shape, outShape },
    });
  return record('maxPool2d', [x], out, { indices, xShape: x.shape });
}

export function maxPool2dBackward(dy: Tensor, indices: Tensor, xShape: readonly number[]): Tensor {
  const out = empty(xShape, dy.dtype);
  if (dy.size > 0)
    runKernel('maxPool2dBackward', {
      inputs: { dy: contiguous(dy).data, indices: indices.data as Int32Array },
      outputs: { dx: out.data },
      attrs: { outShape: dy.shape, xShape },
    });
  return out;
}

export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const u = unbatched('avgPool2d', x, (x4) => avgPool2d(x4, opts));
  if (u !== null) return u;
  const { attrs, outShape } = poolSetup('avgPool2d', x, opts, false);
  const out = uninit(outShape, x.dtype);
  if (out.size > 0)
    runKernel('avgPool2d', {
      inputs: { x: contiguous(x).data },
      outputs: { out: out.data },
      attrs: { ...attrs, xShape: x.shape, outShape },
    });
  return record('avgPool2d', [x], out, { attrs, xShape: x.shape });
}

export function avgPool2dBackward(dy: Tensor, attrs: Pool2dAttrs, xShape: readonly number[]): Tensor {
  const out = empty(xShape, dy.dtype);
  if (dy.size > 0)
    runKernel('avgPool2dBackward', {
      inputs: { dy: contiguous(dy).data },
      outputs: { dx: out.data },
      attrs: { ...attrs, outShape: dy.shape, xShape },
    });
  return out;
}

/**
 * torch.nn.functional.adaptive_avg_pool2d as two averaging matrices, A_h @ x @ A_w^T: exact for any
 * input/output sizes, and its gradient comes from matmul's.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: IntPair): Tensor {
  assertTensor('adaptiveAvgPool2d', x);
  check(
    x.ndim === 4 || x.ndim === 3,
    'adaptiveAvgPool2d',
    () => `expected 3-D or 4-D input, got ${fmtShape(x.shape)}`,
  );
  const [oh, ow] = pair('adaptiveAvgPool2d', 'outputSize', outputSize, 1);
  const h = x.shape[x.ndim - 2]!;
  const w = x.shape[x.ndim - 1]!;
  const ah = averagingMatrix(oh, h, x);
  const aw = averagingMatrix(ow, w, x);
  return matmul(matmul(ah, x), aw.mT);
}

function averagingMatrix(out: number, n: number, like: Tensor): Tensor {
  const d = arrayFor(like.dtype, out * n);
  for (let i = 0; i < out; i++) {
    const s = Math.floor((i * n) / out);
    const e = Math.ceil(((i + 1) * n) / out);
    for (let j = s; j < e; j++) d[i * n + j] = 1 / (e - s);
  }
  return fromHost(d, [out, n], like.dtype);
}
