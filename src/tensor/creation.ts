import { arrayFor, checkDType, type DType, dtypeOfArray, isFloat, type TypedArray } from '../core/dtype.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import { defaultGenerator, type Generator } from '../core/rng.ts';
import { sizeOf, validateShape } from '../core/shape.ts';
import { runKernel } from '../kernels/kernel-registry.ts';
import { empty, fromHost } from './lifecycle.ts';
import type { Tensor } from './tensor.ts';

/** Nested data for `tensor`; bigint elements are int64 values, converted as `fromInt64` says. */
export type NestedNumbers = number | boolean | bigint | readonly NestedNumbers[];

/** 64-bit integer typed arrays (numpy int64 / torch.long data); stored as int32 or a float dtype. */
export type Int64Array = BigInt64Array | BigUint64Array;

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * One int64 value as a JS number for a tensor of `dtype`. There is no int64 dtype (int64 is stored as
 * int32, see checkDType), so an integer target must fit int32 and a float target must be exactly
 * representable as a number (|v| <= 2^53 - 1); anything else is an error naming the element instead of a
 * silent wrap or rounding.
 */
function fromInt64(v: bigint, dtype: DType, index: number): number {
  if (dtype === 'int32' || dtype === 'bool') {
    if (v < INT32_MIN || v > INT32_MAX)
      fail(
        'tensor',
        `int64 value ${v} at index ${index} does not fit ${dtype === 'bool' ? 'int32 (bool is read from it)' : 'int32'} (int64 data is stored as int32); pass { dtype: 'float64' } for larger values`,
      );
    return dtype === 'bool' ? (v !== 0n ? 1 : 0) : Number(v);
  }
  if (v > SAFE_MAX || v < -SAFE_MAX)
    fail(
      'tensor',
      `int64 value ${v} at index ${index} is not exactly representable as ${dtype} (|value| must be <= 2^53 - 1)`,
    );
  return Number(v);
}

/** The shape of a flat array given to tensor(): the one asked for, checked against the length, or 1-D. */
function flatShape(length: number, asked: readonly number[] | undefined): readonly number[] {
  const shape = asked ?? [length];
  validateShape('tensor', shape);
  check(
    sizeOf(shape) === length,
    'tensor',
    () => `shape ${fmtShape(shape)} needs ${sizeOf(shape)} elements, got ${length}`,
  );
  return shape;
}

function fromInt64Array(arr: Int64Array, opts: TensorOptions & { shape?: readonly number[] }): Tensor {
  const shape = flatShape(arr.length, opts.shape);
  const dtype = opts.dtype ?? 'int32';
  checkDType('tensor', dtype);
  // Convert (and range-check) into a plain array first so a bad element allocates nothing.
  const vals = new Array<number>(arr.length);
  for (let i = 0; i < arr.length; i++) vals[i] = fromInt64(arr[i]!, dtype, i);
  return finish(fromHost(vals, shape, dtype), opts);
}

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(data: NestedNumbers, shape: number[], depth: number): void {
  if (Array.isArray(data)) {
    shape.push(data.length);
    if (data.length > 0) inferShape(data[0] as NestedNumbers, shape, depth + 1);
  }
}

function flatten(
  data: NestedNumbers,
  shape: readonly number[],
  depth: number,
  out: (number | bigint)[],
  kinds: { float: boolean; bool: boolean; num: boolean; big: boolean },
): void {
  if (depth === shape.length) {
    if (Array.isArray(data))
      fail('tensor', `ragged nested array: expected a number at depth ${depth}, got an array`);
    if (typeof data === 'boolean') {
      kinds.bool = true;
      out.push(data ? 1 : 0);
    } else if (typeof data === 'number') {
      kinds.num = true;
      if (!Number.isInteger(data)) kinds.float = true;
      out.push(data);
    } else if (typeof data === 'bigint') {
      // Kept as bigint until the dtype is known; converted with a range check in tensor().
      kinds.num = true;
      kinds.big = true;
      out.push(data);
    } else fail('tensor', `expected numbers, booleans or bigints, got ${typeof data}`);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    fail(
      'tensor',
      `ragged nested array: expected length ${shape[depth]} at depth ${depth}, got ${Array.isArray(data) ? data.length : typeof data}`,
    );
  }
  for (const d of data as readonly NestedNumbers[]) flatten(d, shape, depth + 1, out, kinds);
}

/**
 * torch.tensor: from a number, nested arrays or a typed array (with `shape`). Integer-only data gives
 * int32 (as torch gives int64), booleans give bool, anything else float32, unless `dtype` says otherwise.
 * BigInt64Array/BigUint64Array and bigint elements (int64 data) become int32, or the float dtype asked
 * for, with every value range-checked (docs/decisions/int64-input.md).
 */
export function tensor(
  data: NestedNumbers | TypedArray | Int64Array,
  opts: TensorOptions & { shape?: readonly number[] } = {},
): Tensor {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return fromInt64Array(data, opts);
  if (ArrayBuffer.isView(data)) {
    const arr = data as TypedArray;
    const shape = flatShape(arr.length, opts.shape);
    const dtype = opts.dtype ?? dtypeOfArray(arr);
    return finish(fromHost(arr, shape, dtype), opts);
  }
  const shape: number[] = [];
  inferShape(data, shape, 0);
  const flat: (number | bigint)[] = [];
  const kinds = { float: false, bool: false, num: false, big: false };
  flatten(data, shape, 0, flat, kinds);
  const dtype =
    opts.dtype ??
    (kinds.float || (!kinds.num && !kinds.bool) ? 'float32' : kinds.bool && !kinds.num ? 'bool' : 'int32');
  if (kinds.big) {
    checkDType('tensor', dtype);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i]!;
      if (typeof v === 'bigint') flat[i] = fromInt64(v, dtype, i);
    }
  }
  const target = opts.shape ?? shape;
  check(
    sizeOf(target) === flat.length,
    'tensor',
    () => `shape ${fmtShape(target)} needs ${sizeOf(target)} elements, got ${flat.length}`,
  );
  return finish(fromHost(flat as number[], target, dtype), opts);
}

export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  validateShape('full', shape);
  const t = empty(shape, opts.dtype ?? 'float32');
  if (value !== 0) runKernel('fill', { inputs: {}, outputs: { out: t.data }, attrs: { value } });
  return finish(t, opts);
}

export const zeros = (shape: readonly number[], opts: TensorOptions = {}) => full(shape, 0, opts);
export const ones = (shape: readonly number[], opts: TensorOptions = {}) => full(shape, 1, opts);
export const zerosLike = (x: Tensor, opts: TensorOptions = {}) =>
  full(x.shape, 0, { dtype: x.dtype, ...opts });
export const onesLike = (x: Tensor, opts: TensorOptions = {}) =>
  full(x.shape, 1, { dtype: x.dtype, ...opts });
export const fullLike = (x: Tensor, v: number, opts: TensorOptions = {}) =>
  full(x.shape, v, { dtype: x.dtype, ...opts });

/** torch.arange(start, end, step): integers give int32, any fractional argument float32. */
export function arange(startOrEnd: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  check(step !== 0, 'arange', () => 'step must be nonzero');
  check(
    Number.isFinite(start) && Number.isFinite(stop),
    'arange',
    () => `start and end must be finite, got ${start}, ${stop}`,
  );
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const allInt = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
  const dtype = opts.dtype ?? (allInt ? 'int32' : 'float32');
  checkDType('arange', dtype);
  const d = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) d[i] = start + i * step;
  return finish(fromHost(d, [n], dtype), opts);
}

export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  check(
    Number.isInteger(steps) && steps >= 0,
    'linspace',
    () => `steps must be a non-negative integer, got ${steps}`,
  );
  const dtype = opts.dtype ?? 'float32';
  checkDType('linspace', dtype);
  const d = arrayFor(dtype, steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends so the last value is exactly `end`, as torch does.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) d[i] = i < half ? start + i * step : end - (steps - 1 - i) * step;
  return finish(fromHost(d, [steps], dtype), opts);
}

export function eye(n: number, m: number = n, opts: TensorOptions = {}): Tensor {
  validateShape('eye', [n, m]);
  const dtype = opts.dtype ?? 'float32';
  checkDType('eye', dtype);
  const d = arrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) d[i * m + i] = 1;
  return finish(fromHost(d, [n, m], dtype), opts);
}

function randomFill(
  op: string,
  shape: readonly number[],
  opts: RandomOptions,
  draw: (g: Generator) => number,
): Tensor {
  validateShape(op, shape);
  const dtype = opts.dtype ?? 'float32';
  check(isFloat(dtype), op, () => `expected a floating point dtype, got ${dtype}`);
  const g = opts.generator ?? defaultGenerator;
  const d = arrayFor(dtype, sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = draw(g);
  return finish(fromHost(d, shape, dtype), opts);
}

/** Uniform on [0, 1). */
export const rand = (shape: readonly number[], opts: RandomOptions = {}) =>
  randomFill('rand', shape, opts, (g) => g.uniform());
/** Standard normal. */
export const randn = (shape: readonly number[], opts: RandomOptions = {}) =>
  randomFill('randn', shape, opts, (g) => g.normal());

/** Uniform integers in [low, high) (int32). */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  opts: RandomOptions = {},
): Tensor {
  validateShape('randint', shape);
  check(
    Number.isInteger(low) && Number.isInteger(high) && high > low,
    'randint',
    () => `expected integers low < high, got ${low}, ${high}`,
  );
  const dtype = opts.dtype ?? 'int32';
  checkDType('randint', dtype);
  const g = opts.generator ?? defaultGenerator;
  const d = arrayFor(dtype, sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = g.int(low, high);
  return fromHost(d, shape, dtype);
}

/** A random permutation of 0..n-1 (int32), Fisher-Yates with the given generator. */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  check(Number.isInteger(n) && n >= 0, 'randperm', () => `n must be a non-negative integer, got ${n}`);
  const d = new Int32Array(n);
  for (let i = 0; i < n; i++) d[i] = i;
  const g = opts.generator ?? defaultGenerator;
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    const tmp = d[i]!;
    d[i] = d[j]!;
    d[j] = tmp;
  }
  return fromHost(d, [n], 'int32');
}
