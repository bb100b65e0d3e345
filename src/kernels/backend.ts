import type { DType, TypedArray } from '../core/dtype.ts';

/**
 * A strided view of a buffer, as kernels see it. Broadcast inputs arrive with stride 0 on the
 * broadcast dims, transposes and slices as permuted/offset strides, so elementwise kernels need no copies.
 */
export interface View {
  readonly data: TypedArray;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export type { BinaryOp } from './binary-ops.ts';
export type { UnaryOp, UnaryOpName } from './unary-ops.ts';

export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';

/** Attributes of a 2-D convolution (NCHW input, OIHW weight), as in torch.nn.functional.conv2d. */
export interface Conv2dAttrs {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

/** Attributes of 2-D pooling (NCHW), as in torch.nn.functional.max_pool2d/avg_pool2d. */
export interface Pool2dAttrs {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly ceilMode: boolean;
  /** avg only: whether zero padding counts in the divisor. */
  readonly countIncludePad: boolean;
}

/** Shapes of a batched GEMM (see Backend.matmul). */
export interface MatmulDims {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  strideA: number;
  strideB: number;
}

/**
 * A backend owns memory: buffers come from `alloc` (host arrays, the wasm heap, later engine or device
 * buffers) and go back with `free`; the op layer crosses to the host only through `read` and `write`.
 * Kernels are not methods: they are registered per (kernel name, backend name) in kernel-registry.ts
 * with the signatures in signatures.ts, and a kernel a backend lacks or declines runs on its
 * `fallback` backend (the reference backend serves every primitive kernel).
 */
export interface Backend {
  readonly name: string;
  /** The backend whose kernels serve calls this one lacks or declines (wasm: 'ref'). */
  readonly fallback?: string;

  /** A zero-filled buffer of `size` elements. The backend may place it in its own memory. */
  alloc(dtype: DType, size: number): TypedArray;
  /**
   * Optional: like alloc but with unspecified contents, for outputs a kernel overwrites completely
   * (saves a zero-fill pass over recycled memory).
   */
  allocUninit?(dtype: DType, size: number): TypedArray;
  /** Returns a buffer from `alloc` that no tensor uses any more. */
  free(data: TypedArray): void;
  /** A host copy of `length` elements of `data` from `offset` (the explicit read back). */
  read(data: TypedArray, offset: number, length: number): TypedArray;
  /** Writes host values into `data` from `offset` (the explicit upload). */
  write(data: TypedArray, values: ArrayLike<number>, offset: number): void;
}
