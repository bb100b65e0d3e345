import type { TypedArray } from '../../../core/dtype.ts';
import { fail } from '../../../core/errors.ts';
import { type KernelFn, registerKernel } from '../../../kernels/kernel-registry.ts';
import type { KernelName } from '../../../kernels/signatures.ts';
import type { WasmBackend } from '../backend.ts';

/** Registers a wasm kernel; returning false declines the call to the reference kernel. */
export function wasmKernel<N extends KernelName>(name: N, fn: KernelFn<N, WasmBackend>): void {
  registerKernel<N, WasmBackend>({ name, backend: 'wasm', fn });
}

/** Work below these sizes stays on the calling thread: waking workers costs more than it saves. */
export const PAR_FLOPS = 1 << 17;
export const PAR_ELEMS = 1 << 15;

export function badIndex(op: string, index: Int32Array, at: number, size: number): never {
  fail(op, `index ${index[at]} at position ${at} is out of range: expected 0 <= index < ${size}`);
}

export function is4Byte(a: TypedArray): a is Float32Array | Int32Array {
  return a instanceof Float32Array || a instanceof Int32Array;
}

/** Whether `strides` lay `shape` out row-major without gaps (size-1 dims may have any stride). */
export function denseStrides(shape: readonly number[], strides: readonly number[]): boolean {
  let want = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== want) return false;
    want *= shape[d]!;
  }
  return true;
}

export function prod(s: readonly number[], lo = 0, hi = s.length): number {
  let p = 1;
  for (let i = lo; i < hi; i++) p *= s[i]!;
  return p;
}
