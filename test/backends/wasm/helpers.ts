import assert from 'node:assert/strict';
import type { DType, TypedArray } from '../../../src/core/dtype.ts';
import { Generator } from '../../../src/core/rng.ts';
import type { Backend, View } from '../../../src/kernels/backend.ts';

export const gen = new Generator(1234);

/** A buffer from `backend.alloc` (so in wasm memory for the wasm backend) filled with U(-1, 1). */
export function rand(backend: Backend, n: number, dtype: DType = 'float32'): TypedArray {
  const a = backend.alloc(dtype, n);
  for (let i = 0; i < n; i++) a[i] = gen.uniform() * 2 - 1;
  return a;
}

export function copyTo(backend: Backend, src: TypedArray): TypedArray {
  const dtype: DType =
    src instanceof Float32Array
      ? 'float32'
      : src instanceof Float64Array
        ? 'float64'
        : src instanceof Int32Array
          ? 'int32'
          : 'bool';
  const a = backend.alloc(dtype, src.length);
  a.set(src);
  return a;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

export function view(
  data: TypedArray,
  dtype: DType,
  shape: readonly number[],
  strides?: readonly number[],
  offset = 0,
): View {
  return { data, dtype, shape, strides: strides ?? contiguousStrides(shape), offset };
}

/**
 * Asserts |actual - expected| <= atol + rtol*|expected| elementwise; NaN must match NaN and infinities
 * must match exactly.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      assert.ok(
        Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)) || a === e,
        `${what}[${i}]: got ${a}, expected ${e}`,
      );
      continue;
    }
    const tol = atol + rtol * Math.abs(e);
    assert.ok(Math.abs(a - e) <= tol, `${what}[${i}]: got ${a}, expected ${e} (tol ${tol})`);
  }
}
