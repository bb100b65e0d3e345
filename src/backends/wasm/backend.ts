import { availableParallelism } from 'node:os';
import type { DType, TypedArray } from '../../core/dtype.ts';
import { fail } from '../../core/errors.ts';
import type { Backend, View } from '../../kernels/backend.ts';
import '../ref/backend.ts';
import { WasmHeap } from './heap.ts';
import { PAR_ELEMS } from './kernels/util.ts';
import { type KernelFlavor, kernelModule } from './module.ts';
import { nodeWorkers } from './node-workers.ts';
import { type PoolHost, type TaskName, ThreadPool } from './pool.ts';
import { WA, type WasmGlobal } from './wasm-api.ts';
import './kernels/conv.ts';
import './kernels/elementwise.ts';
import './kernels/fused.ts';
import './kernels/gather.ts';
import './kernels/gemm.ts';
import './kernels/pool.ts';
import './kernels/reduce.ts';

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
  /**
   * Where the worker threads come from (default node:worker_threads). The browser build passes Web Workers
   * (web-workers.ts); scripts/build-browser.mjs swaps the Node host for a throwing shim.
   */
  readonly host?: PoolHost;
}

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

/**
 * The fast CPU backend: SIMD128 kernels compiled from C (src/backends/wasm/csrc) on a pool of worker
 * threads sharing one WebAssembly memory. Every buffer from `alloc` lives in that memory, so kernels
 * work on tensors in place; arrays from elsewhere are copied into scratch first. This class owns the
 * memory and the thread pool; the kernels live per family in kernels/*.ts (mirroring csrc/), and a call
 * they decline (other dtypes, shapes their folds do not cover) runs the reference kernel ('fallback').
 */
export class WasmBackend implements Backend {
  readonly name: string = 'wasm';
  readonly fallback = 'ref';
  readonly flavor: KernelFlavor;
  readonly heap: WasmHeap;
  readonly pool: ThreadPool;
  readonly ex: Record<string, Fn>;
  readonly argsPtr: number;
  /** A float argument's bits, to pass in the int32 argument block. */
  private readonly f32arg = new Float32Array(1);
  private readonly i32arg = new Int32Array(this.f32arg.buffer);
  readonly packPtr: number;

  constructor(opts: WasmBackendOptions = {}) {
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
      opts.host ?? nodeWorkers,
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

  /** Threads a task whose result does not depend on its block count should be split for now. */
  get activeThreads(): number {
    return this.pool.activeThreads;
  }

  /** Resolves when every worker can take work (until then kernels run on the calling thread). */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  /** Stops the workers (tests; a backend is otherwise kept for the life of the process). */
  terminate(): Promise<void> {
    return this.pool.terminate();
  }

  alloc(dtype: DType, size: number): TypedArray {
    return this.heap.alloc(dtype, size);
  }

  allocUninit(dtype: DType, size: number): TypedArray {
    return this.heap.allocUninit(dtype, size);
  }

  free(data: TypedArray): void {
    this.heap.free(data);
  }

  read(data: TypedArray, offset: number, length: number): TypedArray {
    // slice() copies out of the shared heap, so the host copy survives the buffer's reuse.
    return data.slice(offset, offset + length);
  }

  write(data: TypedArray, values: ArrayLike<number>, offset: number): void {
    data.set(values, offset);
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
    const t = this.pool.activeThreads;
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
}
