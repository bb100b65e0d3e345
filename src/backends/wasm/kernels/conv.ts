import type { TypedArray } from '../../../core/dtype.ts';
import type { Conv2dAttrs } from '../../../kernels/backend.ts';
import type { WasmBackend } from '../backend.ts';
import type { TaskName } from '../pool.ts';
import { PAR_FLOPS, wasmKernel } from './util.ts';

// csrc/conv.c: im2col + the GEMM micro-kernel, float32; other dtypes decline to the reference kernels.

/** Blocks per thread of a parallel convolution split by samples. */
const CONV_BLOCKS_PER_THREAD = 4;

function convGeo(xShape: readonly number[], wShape: readonly number[], attrs: Conv2dAttrs): number[] {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [O, , kH, kW] = wShape as [number, number, number, number];
  const [sh, sw] = attrs.stride;
  const [ph, pw] = attrs.padding;
  const [dh, dw] = attrs.dilation;
  const oH = Math.floor((H + 2 * ph - dh * (kH - 1) - 1) / sh) + 1;
  const oW = Math.floor((W + 2 * pw - dw * (kW - 1) - 1) / sw) + 1;
  return [N, C, H, W, O, kH, kW, sh, sw, ph, pw, dh, dw, attrs.groups, Math.max(0, oH), Math.max(0, oW)];
}

function convTask(
  be: WasmBackend,
  task: TaskName,
  geo: number[],
  p0: number,
  p1: number,
  p2: number,
  extraFloatsPerThread: number,
): void {
  const [N, C, , , O, kH, kW, , , , , , , groups, oH, oW] = geo as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const kk = (C / groups) * kH * kW;
  const work = N * O * oH * oW * kk;
  const t = be.poolThreads;
  // Several blocks of samples per thread (a late worker leaves the caller a small block to wait for);
  // fewer samples than threads: one block per thread, splitting channels.
  const nb = work >= PAR_FLOPS && t > 1 ? (N >= t ? Math.min(N, CONV_BLOCKS_PER_THREAD * t) : t) : 1;
  const colFloats = kk * oH * oW;
  const col = be.heap.allocBytes(Math.max(1, t * colFloats * 4));
  const partial =
    extraFloatsPerThread > 0 ? be.heap.allocBytes(Math.max(1, nb * extraFloatsPerThread * 4)) : 0;
  const i32 = be.heap.i32;
  const base = be.argsPtr >> 2;
  const args = [...geo, p0, p1, p2, col, colFloats, be.packPtr, partial];
  for (let i = 0; i < args.length; i++) i32[base + i] = args[i]!;
  be.pool.run(task, be.argsPtr, nb);
  if (task === 'k_conv2d_bwd_filter' && N >= nb && nb > 1) {
    be.run('k_sum_partials', [p2, partial, nb, extraFloatsPerThread], false);
  }
  be.heap.freeBytes(col);
  if (partial !== 0) be.heap.freeBytes(partial);
}

/**
 * The three convolution kernels share one calling sequence: inputs into wasm memory, the output buffer,
 * the geometry, then the task split over the pool.
 */
function runConv(
  be: WasmBackend,
  kernel: TaskName,
  a: TypedArray,
  b: TypedArray,
  out: TypedArray,
  xShape: readonly number[],
  wShape: readonly number[],
  attrs: Conv2dAttrs,
  extra: number,
): void {
  if (out.length === 0) return;
  const temps: number[] = [];
  const after: (() => void)[] = [];
  const geo = convGeo(xShape, wShape, attrs);
  const pa = be.input(a, temps);
  const pb = be.input(b, temps);
  const po = be.output(out, temps, after, false);
  convTask(be, kernel, geo, pa, pb, po, extra);
  be.finish(temps, after);
}

const f32 = (...arrays: TypedArray[]) => arrays.every((a) => a instanceof Float32Array);

wasmKernel('conv2d', ({ inputs: { x, w }, outputs: { out }, attrs, backend: be }) => {
  if (!f32(x, w, out)) return false;
  runConv(be, 'k_conv2d', x, w, out, attrs.xShape, attrs.wShape, attrs, 0);
});

wasmKernel('conv2dBackwardInput', ({ inputs: { dy, w }, outputs: { dx }, attrs, backend: be }) => {
  if (!f32(dy, w, dx)) return false;
  runConv(be, 'k_conv2d_bwd_input', dy, w, dx, attrs.xShape, attrs.wShape, attrs, 0);
});

wasmKernel('conv2dBackwardFilter', ({ inputs: { x, dy }, outputs: { dw }, attrs, backend: be }) => {
  if (!f32(x, dy, dw)) return false;
  runConv(be, 'k_conv2d_bwd_filter', x, dy, dw, attrs.xShape, attrs.wShape, attrs, dw.length);
});
