import { availableParallelism } from 'node:os';
import type { DType, TypedArray } from '../../core/dtype.ts';
import { fail } from '../../core/errors.ts';
import type {
  ArgReduceOp,
  BinaryOp,
  Conv2dAttrs,
  Pool2dAttrs,
  ReduceOp,
  UnaryOp,
  View,
} from '../../kernels/backend.ts';
import { RefBackend } from '../ref/backend.ts';
import { fold3d } from './fold.ts';
import { WasmHeap } from './heap.ts';
import { type KernelFlavor, kernelModule } from './module.ts';
import { type TaskName, ThreadPool } from './pool.ts';
import { WA, type WasmGlobal } from './wasm-api.ts';
import './kernels/gemm.ts';
import './kernels/fused.ts';

export interface WasmBackendOptions {
  /** Threads including the calling one; default TENSORSCRIPT_THREADS, else os.availableParallelism(). */
  readonly threads?: number;
  /** Force a kernel build (default: relaxed SIMD when the runtime validates it). */
  readonly flavor?: KernelFlavor;
  /**
   * How long an idle worker spins before sleeping, in ms (default 0.1). Short on purpose: the caller
   * never waits for a sleeping worker (it claims the blocks itself), while a spinning worker on a busy
   * machine takes CPU time from the caller (see docs/decisions/wasm-perf.md).
   */
  readonly spinMs?: number;
  /**
   * Run tasks on the calling thread alone for a while when the workers stop paying for themselves
   * (a busy machine; see ThreadPool.account). Default true; tests turn it off to exercise the workers.
   */
  readonly adaptive?: boolean;
}

const UNARY_CODE: Partial<Record<UnaryOp, number>> = {
  neg: 0,
  abs: 1,
  relu: 2,
  exp: 3,
  log: 4,
  sqrt: 5,
  rsqrt: 6,
  tanh: 7,
  sigmoid: 8,
  reciprocal: 9,
  floor: 10,
  ceil: 11,
};
const BINARY_CODE: Partial<Record<BinaryOp, number>> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  maximum: 4,
  minimum: 5,
  eq: 6,
  ne: 7,
  lt: 8,
  le: 9,
  gt: 10,
  ge: 11,
};
const REDUCE_CODE: Partial<Record<ReduceOp, number>> = { sum: 0, max: 1, min: 2 };

/** Work below these sizes stays on the calling thread: waking workers costs more than it saves. */
const PAR_FLOPS = 1 << 17;
const PAR_ELEMS = 1 << 15;
/** Blocks per thread of a parallel convolution split by samples. */
const CONV_BLOCKS_PER_THREAD = 4;
/** Elements per block of a parallel elementwise task (more blocks than threads balance late workers). */
const BLOCK_ELEMS = 1 << 14;
const STACK_BYTES = 256 * 1024;

export function defaultThreads(): number {
  const env = process.env.TENSORSCRIPT_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1)
      fail('wasm', `TENSORSCRIPT_THREADS must be a positive integer, got "${env}"`);
    return n;
  }
  return availableParallelism();
}

type Fn = (...args: number[]) => number;

function badIndex(op: string, index: Int32Array, at: number, size: number): never {
  fail(op, `index ${index[at]} at position ${at} is out of range: expected 0 <= index < ${size}`);
}

function is4Byte(a: TypedArray): a is Float32Array | Int32Array {
  return a instanceof Float32Array || a instanceof Int32Array;
}

/** Whether `strides` lay `shape` out row-major without gaps (size-1 dims may have any stride). */
function denseStrides(shape: readonly number[], strides: readonly number[]): boolean {
  let want = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== want) return false;
    want *= shape[d]!;
  }
  return true;
}

function prod(s: readonly number[], lo = 0, hi = s.length): number {
  let p = 1;
  for (let i = lo; i < hi; i++) p *= s[i]!;
  return p;
}

/**
 * The fast CPU backend: SIMD128 kernels compiled from C (src/backends/wasm/csrc) on a pool of worker
 * threads sharing one WebAssembly memory. Every buffer from `alloc` lives in that memory, so kernels
 * work on tensors in place; arrays from elsewhere are copied into scratch first. Kernels it does not
 * accelerate (other dtypes, shapes its folds do not cover) fall back to the reference backend it extends.
 */
export class WasmBackend extends RefBackend {
  override readonly name: string = 'wasm';
  readonly fallback = 'ref';
  readonly flavor: KernelFlavor;
  readonly heap: WasmHeap;
  private readonly pool: ThreadPool;
  readonly ex: Record<string, Fn>;
  readonly argsPtr: number;
  /** A float argument's bits, to pass in the int32 argument block. */
  private readonly f32arg = new Float32Array(1);
  private readonly i32arg = new Int32Array(this.f32arg.buffer);
  readonly packPtr: number;

  constructor(opts: WasmBackendOptions = {}) {
    super();
    const threads = opts.threads ?? defaultThreads();
    if (!Number.isInteger(threads) || threads < 1)
      fail('wasm', `threads must be a positive integer, got ${threads}`);
    const { module, flavor } = kernelModule(opts.flavor);
    this.flavor = flavor;
    const memory = new WA.Memory({ initial: 64, maximum: 65536, shared: true });
    const inst = new WA.Instance(module, { env: { memory } });
    this.ex = inst.exports as unknown as Record<string, Fn>;
    const heapBase = (inst.exports.__heap_base as WasmGlobal).value as number;
    this.heap = new WasmHeap(heapBase, memory);
    const zeroBytes = this.ex.zero_bytes!;
    this.heap.zero = (ptr, bytes) => {
      zeroBytes(ptr, bytes);
    };
    const ctrl = this.heap.allocBytes(64);
    new Int32Array(memory.buffer, ctrl, 16).fill(0);
    this.argsPtr = this.heap.allocBytes(1024);
    this.packPtr = this.heap.allocBytes(threads * this.ex.gemm_pack_floats!() * 4);
    const stackTops: number[] = [];
    for (let t = 1; t < threads; t++) stackTops.push(this.heap.allocBytes(STACK_BYTES) + STACK_BYTES);
    this.pool = new ThreadPool(
      module,
      memory,
      inst.exports,
      ctrl,
      stackTops,
      opts.spinMs ?? 0.1,
      opts.adaptive ?? true,
    );
  }

  /** Threads once the pool has warmed up. */
  get threads(): number {
    return this.pool.size;
  }

  /** Threads a task can use right now (1 until every worker has started). */
  get poolThreads(): number {
    return this.pool.threads;
  }

  /** Resolves when every worker can take work (until then kernels run on the calling thread). */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  /** Stops the workers (tests; a backend is otherwise kept for the life of the process). */
  terminate(): Promise<number[]> {
    return this.pool.terminate();
  }

  override alloc(dtype: DType, size: number): TypedArray {
    return this.heap.alloc(dtype, size);
  }

  allocUninit(dtype: DType, size: number): TypedArray {
    return this.heap.allocUninit(dtype, size);
  }

  override free(data: TypedArray): void {
    this.heap.free(data);
  }

  // ---- plumbing for the kernels in kernels/*.ts -------------------------------------------------------------------------------

  /** Runs a task in one block, or, when `parallel`, in one block per thread (kernels with scratch). */
  run(task: TaskName, args: readonly number[], parallel: boolean): void {
    this.runBlocks(task, args, parallel ? this.pool.threads : 1);
  }

  runBlocks(task: TaskName, args: readonly number[], blocks: number): void {
    const i32 = this.heap.i32;
    const base = this.argsPtr >> 2;
    for (let i = 0; i < args.length; i++) i32[base + i] = args[i]!;
    this.pool.run(task, this.argsPtr, blocks);
  }

  /** Blocks for a scratch-free task over n elements: 1 below PAR_ELEMS, else up to 4 per thread. */
  blocksFor(n: number): number {
    if (n < PAR_ELEMS) return 1;
    const t = this.pool.threads;
    return t === 1 ? 1 : Math.min(4 * t, Math.ceil(n / BLOCK_ELEMS));
  }

  /** Whether every array is float32 in wasm memory, all of one length (the fused kernels' operands). */
  wasmF32(arrays: readonly TypedArray[]): boolean {
    const n = arrays[0]!.length;
    return arrays.every((a) => a instanceof Float32Array && a.length === n && this.heap.owns(a));
  }

  /** float32 bit patterns of `values` (rounded as the composite's scalar tensors are), for int32 args. */
  floatBits(values: readonly number[]): number[] {
    return values.map((v) => {
      this.f32arg[0] = v;
      return this.i32arg[0]!;
    });
  }

  /** Address of a contiguous input: in place when it lives in wasm memory, else a scratch copy. */
  input(a: TypedArray, temps: number[]): number {
    if (this.heap.owns(a)) return a.byteOffset;
    const p = this.heap.allocBytes(a.byteLength);
    new Uint8Array(this.heap.memory.buffer, p, a.byteLength).set(
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
    );
    temps.push(p);
    return p;
  }

  /** Address of an output; `after` copies scratch back when `a` is not in wasm memory. */
  output(a: TypedArray, temps: number[], after: (() => void)[], copyIn: boolean): number {
    if (this.heap.owns(a)) return a.byteOffset;
    const p = copyIn ? this.input(a, temps) : this.heap.allocBytes(a.byteLength);
    if (!copyIn) temps.push(p);
    after.push(() =>
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(
        new Uint8Array(this.heap.memory.buffer, p, a.byteLength),
      ),
    );
    return p;
  }

  finish(temps: number[], after: (() => void)[]): void {
    for (const f of after) f();
    for (const p of temps) this.heap.freeBytes(p);
  }

  viewPtr(v: View, bytes: number): number {
    return v.data.byteOffset + v.offset * bytes;
  }

  // ---- convolution ----------------------------------------------------------------------------

  private convGeo(xShape: readonly number[], wShape: readonly number[], attrs: Conv2dAttrs): number[] {
    const [N, C, H, W] = xShape as [number, number, number, number];
    const [O, , kH, kW] = wShape as [number, number, number, number];
    const [sh, sw] = attrs.stride;
    const [ph, pw] = attrs.padding;
    const [dh, dw] = attrs.dilation;
    const oH = Math.floor((H + 2 * ph - dh * (kH - 1) - 1) / sh) + 1;
    const oW = Math.floor((W + 2 * pw - dw * (kW - 1) - 1) / sw) + 1;
    return [N, C, H, W, O, kH, kW, sh, sw, ph, pw, dh, dw, attrs.groups, Math.max(0, oH), Math.max(0, oW)];
  }

  private convTask(
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
    const t = this.pool.threads;
    // Several blocks of samples per thread (a late worker leaves the caller a small block to wait for);
    // fewer samples than threads: one block per thread, splitting channels.
    const nb = work >= PAR_FLOPS && t > 1 ? (N >= t ? Math.min(N, CONV_BLOCKS_PER_THREAD * t) : t) : 1;
    const colFloats = kk * oH * oW;
    const col = this.heap.allocBytes(Math.max(1, t * colFloats * 4));
    const partial =
      extraFloatsPerThread > 0 ? this.heap.allocBytes(Math.max(1, nb * extraFloatsPerThread * 4)) : 0;
    const i32 = this.heap.i32;
    const base = this.argsPtr >> 2;
    const args = [...geo, p0, p1, p2, col, colFloats, this.packPtr, partial];
    for (let i = 0; i < args.length; i++) i32[base + i] = args[i]!;
    this.pool.run(task, this.argsPtr, nb);
    if (task === 'k_conv2d_bwd_filter' && N >= nb && nb > 1) {
      this.run('k_sum_partials', [p2, partial, nb, extraFloatsPerThread], false);
    }
    this.heap.freeBytes(col);
    if (partial !== 0) this.heap.freeBytes(partial);
  }

  private convOk(...arrays: TypedArray[]): boolean {
    return arrays.every((a) => a instanceof Float32Array);
  }

  override conv2d(
    x: TypedArray,
    xShape: readonly number[],
    w: TypedArray,
    wShape: readonly number[],
    attrs: Conv2dAttrs,
    out: TypedArray,
  ): void {
    if (!this.convOk(x, w, out)) {
      super.conv2d(x, xShape, w, wShape, attrs, out);
      return;
    }
    this.runConv('k_conv2d', x, w, out, xShape, wShape, attrs, 0);
  }

  override conv2dBackwardInput(
    dy: TypedArray,
    dyShape: readonly number[],
    w: TypedArray,
    wShape: readonly number[],
    attrs: Conv2dAttrs,
    out: TypedArray,
    xShape: readonly number[],
  ): void {
    if (!this.convOk(dy, w, out)) {
      super.conv2dBackwardInput(dy, dyShape, w, wShape, attrs, out, xShape);
      return;
    }
    this.runConv('k_conv2d_bwd_input', dy, w, out, xShape, wShape, attrs, 0);
  }

  override conv2dBackwardFilter(
    x: TypedArray,
    xShape: readonly number[],
    dy: TypedArray,
    dyShape: readonly number[],
    attrs: Conv2dAttrs,
    out: TypedArray,
    wShape: readonly number[],
  ): void {
    if (!this.convOk(x, dy, out)) {
      super.conv2dBackwardFilter(x, xShape, dy, dyShape, attrs, out, wShape);
      return;
    }
    this.runConv('k_conv2d_bwd_filter', x, dy, out, xShape, wShape, attrs, out.length);
  }

  /**
   * The three convolution kernels share one calling sequence: inputs into wasm memory, the output buffer,
   * the geometry, then the task split over the pool.
   */
  private runConv(
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
    const geo = this.convGeo(xShape, wShape, attrs);
    const pa = this.input(a, temps);
    const pb = this.input(b, temps);
    const po = this.output(out, temps, after, false);
    this.convTask(kernel, geo, pa, pb, po, extra);
    this.finish(temps, after);
  }

  // ---- pooling --------------------------------------------------------------------------------

  private poolGeo(xShape: readonly number[], outShape: readonly number[], attrs: Pool2dAttrs): number[] {
    const [N, C, H, W] = xShape as [number, number, number, number];
    return [
      N * C,
      H,
      W,
      outShape[2]!,
      outShape[3]!,
      attrs.kernel[0],
      attrs.kernel[1],
      attrs.stride[0],
      attrs.stride[1],
      attrs.padding[0],
      attrs.padding[1],
      attrs.dilation[0],
      attrs.dilation[1],
    ];
  }

  override maxPool2d(
    x: TypedArray,
    xShape: readonly number[],
    attrs: Pool2dAttrs,
    out: TypedArray,
    indices: Int32Array,
    outShape: readonly number[],
  ): void {
    if (!this.convOk(x, out)) {
      super.maxPool2d(x, xShape, attrs, out, indices, outShape);
      return;
    }
    if (out.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const px = this.input(x, temps);
    const po = this.output(out, temps, after, false);
    const pi = this.output(indices, temps, after, false);
    this.run('k_maxpool2d', [...this.poolGeo(xShape, outShape, attrs), px, po, pi], x.length >= PAR_ELEMS);
    this.finish(temps, after);
  }

  override maxPool2dBackward(
    dy: TypedArray,
    indices: Int32Array,
    outShape: readonly number[],
    out: TypedArray,
    xShape: readonly number[],
  ): void {
    if (!this.convOk(dy, out)) {
      super.maxPool2dBackward(dy, indices, outShape, out, xShape);
      return;
    }
    if (out.length === 0 || dy.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const pdy = this.input(dy, temps);
    const pi = this.input(indices, temps);
    const po = this.output(out, temps, after, true);
    const nc = xShape[0]! * xShape[1]!;
    const hw = xShape[2]! * xShape[3]!;
    const ohw = outShape[2]! * outShape[3]!;
    this.run('k_maxpool2d_bwd', [nc, hw, ohw, pdy, pi, po], out.length >= PAR_ELEMS);
    this.finish(temps, after);
  }

  override avgPool2d(
    x: TypedArray,
    xShape: readonly number[],
    attrs: Pool2dAttrs,
    out: TypedArray,
    outShape: readonly number[],
  ): void {
    if (!this.convOk(x, out) || attrs.dilation[0] !== 1 || attrs.dilation[1] !== 1) {
      super.avgPool2d(x, xShape, attrs, out, outShape);
      return;
    }
    if (out.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const px = this.input(x, temps);
    const po = this.output(out, temps, after, false);
    this.run(
      'k_avgpool2d',
      [...this.poolGeo(xShape, outShape, attrs), px, po, +attrs.countIncludePad],
      x.length >= PAR_ELEMS,
    );
    this.finish(temps, after);
  }

  override avgPool2dBackward(
    dy: TypedArray,
    outShape: readonly number[],
    attrs: Pool2dAttrs,
    out: TypedArray,
    xShape: readonly number[],
  ): void {
    if (!this.convOk(dy, out) || attrs.dilation[0] !== 1 || attrs.dilation[1] !== 1) {
      super.avgPool2dBackward(dy, outShape, attrs, out, xShape);
      return;
    }
    if (out.length === 0 || dy.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const pdy = this.input(dy, temps);
    const po = this.output(out, temps, after, true);
    this.run(
      'k_avgpool2d_bwd',
      [...this.poolGeo(xShape, outShape, attrs), pdy, po, +attrs.countIncludePad],
      out.length >= PAR_ELEMS,
    );
    this.finish(temps, after);
  }

  // ---- elementwise ----------------------------------------------------------------------------
  // Only operands already in wasm memory take the fast path: copying them in would cost as much as the op.

  override unary(op: UnaryOp, x: View, out: TypedArray): void {
    const code = UNARY_CODE[op];
    if (code === undefined || x.dtype !== 'float32' || !(out instanceof Float32Array)) {
      super.unary(op, x, out);
      return;
    }
    if (!this.heap.owns(x.data) || !this.heap.owns(out)) {
      super.unary(op, x, out);
      return;
    }
    if (out.length === 0) return;
    const f = fold3d(x.shape, [x.strides]);
    if (f === undefined) {
      super.unary(op, x, out);
      return;
    }
    this.runBlocks(
      'k_unary',
      [code, this.viewPtr(x, 4), f.so[0]!, f.si[0]!, out.byteOffset, f.outer, f.inner, f.planes, f.sp[0]!],
      this.blocksFor(out.length),
    );
  }

  override binary(op: BinaryOp, a: View, b: View, out: TypedArray): void {
    const code = BINARY_CODE[op];
    const cmp = code !== undefined && code >= 6;
    if (
      code === undefined ||
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      !(cmp ? out instanceof Uint8Array : out instanceof Float32Array) ||
      !this.heap.owns(a.data) ||
      !this.heap.owns(b.data) ||
      !this.heap.owns(out)
    ) {
      super.binary(op, a, b, out);
      return;
    }
    if (out.length === 0) return;
    const f = fold3d(a.shape, [a.strides, b.strides]);
    if (f === undefined) {
      super.binary(op, a, b, out);
      return;
    }
    this.runBlocks(
      'k_binary',
      [
        code,
        this.viewPtr(a, 4),
        f.so[0]!,
        f.si[0]!,
        this.viewPtr(b, 4),
        f.so[1]!,
        f.si[1]!,
        out.byteOffset,
        f.outer,
        f.inner,
        f.planes,
        f.sp[0]!,
        f.sp[1]!,
      ],
      this.blocksFor(out.length),
    );
  }

  override where(cond: View, a: View, b: View, out: TypedArray): void {
    if (
      cond.dtype !== 'bool' ||
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      !(out instanceof Float32Array) ||
      !this.heap.owns(cond.data) ||
      !this.heap.owns(a.data) ||
      !this.heap.owns(b.data) ||
      !this.heap.owns(out)
    ) {
      super.where(cond, a, b, out);
      return;
    }
    if (out.length === 0) return;
    const f = fold3d(a.shape, [cond.strides, a.strides, b.strides]);
    if (f === undefined) {
      super.where(cond, a, b, out);
      return;
    }
    this.runBlocks(
      'k_where',
      [
        this.viewPtr(cond, 1),
        f.so[0]!,
        f.si[0]!,
        this.viewPtr(a, 4),
        f.so[1]!,
        f.si[1]!,
        this.viewPtr(b, 4),
        f.so[2]!,
        f.si[2]!,
        out.byteOffset,
        f.outer,
        f.inner,
        f.planes,
        f.sp[0]!,
        f.sp[1]!,
        f.sp[2]!,
      ],
      this.blocksFor(out.length),
    );
  }

  override copy(src: View, dst: View): void {
    const nd = src.shape.length;
    if (
      src.dtype !== dst.dtype ||
      !is4Byte(src.data) ||
      nd < 1 ||
      nd > 8 ||
      !this.heap.owns(src.data) ||
      !this.heap.owns(dst.data)
    ) {
      super.copy(src, dst);
      return;
    }
    const size = prod(src.shape);
    if (size === 0) return;
    // shape and strides travel after the 6 argument slots
    const geo = this.argsPtr + 64;
    const i32 = this.heap.i32;
    const g = geo >> 2;
    // Both contiguous (a clone): one flat run, which the kernel copies with memory.copy.
    const flat = denseStrides(src.shape, src.strides) && denseStrides(src.shape, dst.strides);
    const n = flat ? 1 : nd;
    for (let d = 0; d < n; d++) {
      i32[g + d] = flat ? size : src.shape[d]!;
      i32[g + 8 + d] = flat ? 1 : src.strides[d]!;
      i32[g + 16 + d] = flat ? 1 : dst.strides[d]!;
    }
    this.runBlocks(
      'k_copy32',
      [this.viewPtr(src, 4), this.viewPtr(dst, 4), n, geo, geo + 32, geo + 64],
      flat ? this.blocksFor(size) : size >= PAR_ELEMS ? this.pool.threads : 1,
    );
  }

  // ---- reductions -----------------------------------------------------------------------------

  override reduce(
    op: ReduceOp,
    x: TypedArray,
    outer: number,
    reduce: number,
    inner: number,
    out: TypedArray,
  ): void {
    const code = REDUCE_CODE[op];
    if (code === undefined || !(x instanceof Float32Array) || !(out instanceof Float32Array)) {
      super.reduce(op, x, outer, reduce, inner, out);
      return;
    }
    if (!this.heap.owns(x) || !this.heap.owns(out)) {
      super.reduce(op, x, outer, reduce, inner, out);
      return;
    }
    if (out.length === 0) return;
    this.run('k_reduce', [code, x.byteOffset, outer, reduce, inner, out.byteOffset], x.length >= PAR_ELEMS);
  }

  override argReduce(
    op: ArgReduceOp,
    x: TypedArray,
    outer: number,
    reduce: number,
    inner: number,
    out: Int32Array,
  ): void {
    if (!(x instanceof Float32Array) || !this.heap.owns(x) || !this.heap.owns(out) || reduce === 0) {
      super.argReduce(op, x, outer, reduce, inner, out);
      return;
    }
    if (out.length === 0) return;
    this.runBlocks(
      'k_argreduce',
      [op === 'argmax' ? 0 : 1, x.byteOffset, outer, reduce, inner, out.byteOffset],
      this.blocksFor(x.length),
    );
  }

  // ---- indexing -------------------------------------------------------------------------------

  override indexRows(x: TypedArray, rowSize: number, rows: number, index: Int32Array, out: TypedArray): void {
    if (!is4Byte(x) || x.constructor !== out.constructor) {
      super.indexRows(x, rowSize, rows, index, out);
      return;
    }
    if (out.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const px = this.input(x, temps);
    const pi = this.input(index, temps);
    const po = this.output(out, temps, after, false);
    const bad = this.ex.index_rows!(px, rowSize, rows, pi, index.length, po);
    this.finish(temps, after);
    if (bad >= 0) badIndex('indexRows', index, bad, rows);
  }

  override indexRowsAdd(
    out: TypedArray,
    rowSize: number,
    rows: number,
    index: Int32Array,
    src: TypedArray,
  ): void {
    if (!(out instanceof Float32Array) || !(src instanceof Float32Array)) {
      super.indexRowsAdd(out, rowSize, rows, index, src);
      return;
    }
    for (let i = 0; i < index.length; i++) {
      const r = index[i]!;
      if (r < 0 || r >= rows) badIndex('indexRowsAdd', index, i, rows);
    }
    if (src.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const ps = this.input(src, temps);
    const pi = this.input(index, temps);
    const po = this.output(out, temps, after, true);
    this.ex.index_rows_add!(po, rowSize, rows, pi, index.length, ps);
    this.finish(temps, after);
  }

  private static sameExcept(a: readonly number[], b: readonly number[], dim: number): boolean {
    return a.length === b.length && a.every((v, i) => i === dim || v === b[i]);
  }

  override gather(
    x: TypedArray,
    xShape: readonly number[],
    dim: number,
    index: Int32Array,
    indexShape: readonly number[],
    out: TypedArray,
  ): void {
    if (
      !is4Byte(x) ||
      x.constructor !== out.constructor ||
      !WasmBackend.sameExcept(xShape, indexShape, dim)
    ) {
      super.gather(x, xShape, dim, index, indexShape, out);
      return;
    }
    if (out.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const px = this.input(x, temps);
    const pi = this.input(index, temps);
    const po = this.output(out, temps, after, false);
    const bad = this.ex.gather_dim!(
      px,
      prod(xShape, 0, dim),
      xShape[dim]!,
      prod(xShape, dim + 1),
      pi,
      indexShape[dim]!,
      po,
    );
    this.finish(temps, after);
    if (bad >= 0) badIndex('gather', index, bad, xShape[dim]!);
  }

  override scatterAdd(
    out: TypedArray,
    outShape: readonly number[],
    dim: number,
    index: Int32Array,
    src: TypedArray,
    srcShape: readonly number[],
  ): void {
    const rows = outShape[dim]!;
    if (
      !(out instanceof Float32Array) ||
      !(src instanceof Float32Array) ||
      !WasmBackend.sameExcept(outShape, srcShape, dim)
    ) {
      super.scatterAdd(out, outShape, dim, index, src, srcShape);
      return;
    }
    for (let i = 0; i < index.length; i++) {
      const r = index[i]!;
      if (r < 0 || r >= rows) badIndex('scatterAdd', index, i, rows);
    }
    if (src.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const ps = this.input(src, temps);
    const pi = this.input(index, temps);
    const po = this.output(out, temps, after, true);
    this.ex.scatter_add_dim!(
      po,
      prod(outShape, 0, dim),
      rows,
      prod(outShape, dim + 1),
      pi,
      srcShape[dim]!,
      ps,
    );
    this.finish(temps, after);
  }
}
