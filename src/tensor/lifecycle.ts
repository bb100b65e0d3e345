import { isGradEnabled, type Node } from '../autograd/node.ts';
import { checkDType, type DType, type TypedArray } from '../core/dtype.ts';
import { contiguousStrides, sizeOf, validateShape } from '../core/shape.ts';
import { getBackend } from '../kernels/registry.ts';
import { track, untrack } from './scope.ts';
import { Storage } from './storage.ts';
import { Tensor } from './tensor.ts';

/** A new contiguous tensor over fresh backend memory (zero-filled). */
export function empty(shape: readonly number[], dtype: DType): Tensor {
  checkAlloc(shape, dtype);
  const backend = getBackend();
  const data = backend.alloc(dtype, sizeOf(shape));
  return fromStorage(new Storage(data, dtype, backend), shape, contiguousStrides(shape), 0);
}

/** Validates before any backend sees the request, so a bad dtype or shape allocates nothing. */
function checkAlloc(shape: readonly number[], dtype: DType): void {
  checkDType('tensor', dtype);
  validateShape('tensor', shape);
}

/**
 * Like empty, with unspecified contents when the backend can skip the zero-fill: only for outputs that
 * the kernel called next writes in full.
 */
export function uninit(shape: readonly number[], dtype: DType): Tensor {
  checkAlloc(shape, dtype);
  const backend = getBackend();
  const size = sizeOf(shape);
  const data =
    backend.allocUninit === undefined ? backend.alloc(dtype, size) : backend.allocUninit(dtype, size);
  return fromStorage(new Storage(data, dtype, backend), shape, contiguousStrides(shape), 0);
}

/** Wraps an existing typed array (copied into backend memory) as a contiguous tensor. */
export function fromArray(src: TypedArray, shape: readonly number[], dtype: DType): Tensor {
  return fromHost(src, shape, dtype);
}

/**
 * A new contiguous tensor holding host `values`, written through `Backend.write`: with `Tensor.dataSync`
 * (the read back), the only places where the op layer crosses between the host and backend memory.
 */
export function fromHost(values: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  const t = uninit(shape, dtype);
  upload(t, values);
  return t;
}

/** Writes host `values` over the elements of a contiguous tensor through `Backend.write`. */
export function upload(t: Tensor, values: ArrayLike<number>): void {
  t.storage.backend.write(t.data, values, 0);
}

export function fromStorage(
  storage: Storage,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Tensor {
  const t = new Tensor(storage, shape, strides, offset);
  track(t);
  return t;
}

/** Marks a tensor to survive the enclosing scopes (parameters, gradients, optimizer state). */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  untrack(t);
  return t;
}

/**
 * Attaches a tape node to `out` when recording is on and any input requires grad. Returns `out`.
 */
export function record(
  op: string,
  inputs: Tensor[],
  out: Tensor,
  attrs: Record<string, unknown> = {},
): Tensor {
  if (!isGradEnabled()) return out;
  let needs = false;
  for (const t of inputs) if (t.requiresGrad) needs = true;
  if (!needs) return out;
  const node: Node = { op, inputs, attrs, released: false };
  out.gradFn = node;
  out.requiresGrad = true;
  return out;
}
