import type { DType } from '../../core/dtype.ts';
import { check, fmtShape } from '../../core/errors.ts';
import { normDim, normDims, shapesEqual, sizeOf } from '../../core/shape.ts';
import type { ArgReduceOp, ReduceOp } from '../../kernels/backend.ts';
import { runKernel } from '../../kernels/kernel-registry.ts';
import { record, uninit } from '../lifecycle.ts';
import type { Dims, Tensor } from '../tensor.ts';
import { assertTensor, empty, floatDType } from './dispatch.ts';
import { gather } from './indexing.ts';
import { contiguous, permute, reshape, squeeze } from './views.ts';

const OP_NAME: Record<ReduceOp, string> = { sum: 'sum', prod: 'prod', max: 'amax', min: 'amin' };

/** The input laid out as contiguous [outer, reduced, inner] for the reduce kernels. */
function layout(x: Tensor, axes: number[]): { src: Tensor; outer: number; red: number; inner: number } {
  const isBlock = axes.length === 0 || axes[axes.length - 1]! - axes[0]! === axes.length - 1;
  if (isBlock && axes.length > 0) {
    const a = axes[0]!;
    const b = axes[axes.length - 1]!;
    return {
      src: contiguous(x),
      outer: sizeOf(x.shape.slice(0, a)),
      red: sizeOf(x.shape.slice(a, b + 1)),
      inner: sizeOf(x.shape.slice(b + 1)),
    };
  }
  const keep = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const p = contiguous(permute(x, [...keep, ...axes]));
  return {
    src: p,
    outer: sizeOf(keep.map((i) => x.shape[i]!)),
    red: sizeOf(axes.map((i) => x.shape[i]!)),
    inner: 1,
  };
}

function resultShape(shape: readonly number[], axes: number[], keepdim: boolean): number[] {
  if (keepdim) return shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return shape.filter((_, i) => !axes.includes(i));
}

export function reduce(kop: ReduceOp, x: Tensor, dim: Dims | null | undefined, keepdim: boolean): Tensor {
  const op = OP_NAME[kop];
  assertTensor(op, x);
  const axes = normDims(op, dim ?? undefined, x.ndim);
  let dtype: DType = x.dtype;
  if ((kop === 'sum' || kop === 'prod') && (dtype === 'bool' || dtype === 'int32')) dtype = 'int32';
  const src0 = dtype === x.dtype ? x : x.to(dtype);
  if (sizeOf(axes.map((a) => x.shape[a]!)) === 0)
    check(
      kop === 'sum' || kop === 'prod',
      op,
      () => `cannot reduce over an empty dimension of input ${fmtShape(x.shape)}`,
    );
  const out = uninit(resultShape(x.shape, axes, keepdim), dtype);
  const runs = axisRuns(axes);
  if (runs.length > 1 && src0.isContiguous()) {
    reduceRuns(kop, src0, runs, out);
  } else {
    const { src, outer, red, inner } = layout(src0, axes);
    runKernel('reduce', {
      inputs: { x: src.data },
      outputs: { out: out.data },
      attrs: { op: kop, outer, reduce: red, inner },
    });
  }
  return record(op, [src0], out, { axes, keepdim });
}

/** Sorted axes split into runs of consecutive dims ([0, 2, 3] -> [[0], [2, 3]]). */
function axisRuns(axes: number[]): number[][] {
  const runs: number[][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[last.length - 1] === a - 1) last.push(a);
    else runs.push([a]);
  }
  return runs;
}

/**
 * Reduces a contiguous x over several separate runs of axes one run at a time, innermost first, each a
 * plain [outer, reduced, inner] pass: no permuted copy of x (a conv bias gradient sums [N, C, H, W]
 * over N, H and W). The last pass writes `out`.
 */
function reduceRuns(kop: ReduceOp, x: Tensor, runs: number[][], out: Tensor): void {
  let cur = x;
  let shape = [...x.shape];
  for (let r = runs.length - 1; r >= 0; r--) {
    const a = runs[r]![0]!;
    const b = runs[r]![runs[r]!.length - 1]!;
    const next = shape.map((d, i) => (i >= a && i <= b ? 1 : d));
    const dst = r === 0 ? out : uninit(next, x.dtype);
    runKernel('reduce', {
      inputs: { x: cur.data },
      outputs: { out: dst.data },
      attrs: {
        op: kop,
        outer: sizeOf(shape.slice(0, a)),
        reduce: sizeOf(shape.slice(a, b + 1)),
        inner: sizeOf(shape.slice(b + 1)),
      },
    });
    if (cur !== x) cur.dispose();
    cur = dst;
    shape = next;
  }
}

export const sum = (x: Tensor, dim?: Dims | null, keepdim = false) => reduce('sum', x, dim, keepdim);
export const prod = (x: Tensor, dim?: Dims | null, keepdim = false) => reduce('prod', x, dim, keepdim);
export const amax = (x: Tensor, dim?: Dims | null, keepdim = false) => reduce('max', x, dim, keepdim);
export const amin = (x: Tensor, dim?: Dims | null, keepdim = false) => reduce('min', x, dim, keepdim);

export function mean(x: Tensor, dim?: Dims | null, keepdim = false): Tensor {
  assertTensor('mean', x);
  const axes = normDims('mean', dim ?? undefined, x.ndim);
  const n = sizeOf(axes.map((a) => x.shape[a]!));
  const xf = x.dtype === floatDType(x.dtype) ? x : x.to(floatDType(x.dtype));
  return sum(xf, axes, keepdim).div(n);
}

export function variance(
  x: Tensor,
  dim: Dims | null | undefined,
  unbiased: boolean,
  keepdim: boolean,
): Tensor {
  assertTensor('var', x);
  const axes = normDims('var', dim ?? undefined, x.ndim);
  const n = sizeOf(axes.map((a) => x.shape[a]!));
  const xf = x.dtype === floatDType(x.dtype) ? x : x.to(floatDType(x.dtype));
  const d = xf.sub(mean(xf, axes, true));
  // Like torch, n - 1 = 0 gives inf/nan rather than an error.
  return sum(d.mul(d), axes, keepdim).div(n - (unbiased ? 1 : 0));
}

export function std(x: Tensor, dim: Dims | null | undefined, unbiased: boolean, keepdim: boolean): Tensor {
  return variance(x, dim, unbiased, keepdim).sqrt();
}

/** log(sum(exp(x))) computed around the (detached) max so large inputs do not overflow. */
export function logsumexp(x: Tensor, dim: Dims | null = null, keepdim = false): Tensor {
  assertTensor('logsumexp', x);
  const axes = normDims('logsumexp', dim ?? undefined, x.ndim);
  const m0 = amax(x.detach(), axes, true);
  // An all -inf slice would give inf - inf = nan; shift by 0 there instead.
  const m = m0.where(m0.abs().ne(Number.POSITIVE_INFINITY), 0);
  const r = sum(x.sub(m).exp(), axes, true).log().add(m);
  return keepdim ? r : squeezeAxes(r, axes);
}

function squeezeAxes(t: Tensor, axes: number[]): Tensor {
  return reshape(
    t,
    t.shape.filter((_, i) => !axes.includes(i)),
  );
}

function argReduce(op: ArgReduceOp, x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  assertTensor(op, x);
  if (dim == null) {
    check(x.size > 0, op, () => 'cannot take the arg of an empty tensor');
    const flat = contiguous(x);
    const out = empty(keepdim ? x.shape.map(() => 1) : [], 'int32');
    runKernel('argReduce', {
      inputs: { x: flat.data },
      outputs: { out: out.data as Int32Array },
      attrs: { op, outer: 1, reduce: x.size, inner: 1 },
    });
    return out;
  }
  const d = normDim(op, dim, x.ndim);
  const { src, outer, red, inner } = layout(x, x.ndim === 0 ? [] : [d]);
  check(red > 0, op, () => `cannot reduce over an empty dimension of input ${fmtShape(x.shape)}`);
  const out = empty(resultShape(x.shape, x.ndim === 0 ? [] : [d], keepdim), 'int32');
  runKernel('argReduce', {
    inputs: { x: src.data },
    outputs: { out: out.data as Int32Array },
    attrs: { op, outer, reduce: red, inner },
  });
  return out;
}

export const argmax = (x: Tensor, dim?: number | null, keepdim = false) =>
  argReduce('argmax', x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number | null, keepdim = false) =>
  argReduce('argmin', x, dim, keepdim);

/** torch.max(x, dim): values and int32 indices; the gradient goes to the chosen index only. */
export function maxDim(x: Tensor, dim: number, keepdim = false): [Tensor, Tensor] {
  const i = argmax(x, dim, true);
  const v = gather(x, dim, i);
  return keepdim ? [v, i] : [squeeze(v, dim), squeeze(i, dim)];
}

export function minDim(x: Tensor, dim: number, keepdim = false): [Tensor, Tensor] {
  const i = argmin(x, dim, true);
  const v = gather(x, dim, i);
  return keepdim ? [v, i] : [squeeze(v, dim), squeeze(i, dim)];
}

/** Sums a broadcast gradient back to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length > 0 ? sum(g, axes, true) : g;
  return reshape(s, shape);
}
