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

export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'sign'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'erf'
  | 'relu'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'reciprocal'
  | 'log1p'
  | 'expm1'
  | 'logicalNot'
  | 'isnan';

export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'logicalAnd'
  | 'logicalOr'
  | 'remainder';

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

  // ---- positional kernels not yet moved to the kernel registry ----
  /** out[i] = op(x[i]); out has the dtype the engine chose (bool for isnan/logicalNot, else x's). */
  unary(op: UnaryOp, x: View, out: TypedArray): void;
  /** out = op(a, b); a and b are already broadcast to `out`'s shape (stride-0 views). */
  binary(op: BinaryOp, a: View, b: View, out: TypedArray): void;
  /** out = cond ? a : b, all three broadcast to out's shape. */
  where(cond: View, a: View, b: View, out: TypedArray): void;
  /** Copies a strided view into another strided view of the same shape, converting the dtype. */
  copy(src: View, dst: View): void;
  /** Fills a contiguous buffer with one value. */
  fill(out: TypedArray, value: number): void;

  /** x is contiguous [outer, reduce, inner]; out is [outer, inner]. */
  reduce(op: ReduceOp, x: TypedArray, outer: number, reduce: number, inner: number, out: TypedArray): void;
  /** Like reduce, writing int32 indices (first occurrence on ties, as PyTorch). */
  argReduce(
    op: ArgReduceOp,
    x: TypedArray,
    outer: number,
    reduce: number,
    inner: number,
    out: Int32Array,
  ): void;

  /** x [N,C,H,W], w [O,C/groups,kH,kW] contiguous; out [N,O,oH,oW]. Bias is added by the caller. */
  conv2d(
    x: TypedArray,
    xShape: readonly number[],
    w: TypedArray,
    wShape: readonly number[],
    attrs: Conv2dAttrs,
    out: TypedArray,
  ): void;
  /** Gradient w.r.t. the input: dy [N,O,oH,oW], w; out dx [N,C,H,W]. */
  conv2dBackwardInput(
    dy: TypedArray,
    dyShape: readonly number[],
    w: TypedArray,
    wShape: readonly number[],
    attrs: Conv2dAttrs,
    out: TypedArray,
    xShape: readonly number[],
  ): void;
  /** Gradient w.r.t. the weight: x, dy; out dw [O,C/groups,kH,kW]. */
  conv2dBackwardFilter(
    x: TypedArray,
    xShape: readonly number[],
    dy: TypedArray,
    dyShape: readonly number[],
    attrs: Conv2dAttrs,
    out: TypedArray,
    wShape: readonly number[],
  ): void;

  /** Max pooling; also writes, per output element, the flat index within its (n, c) plane of the max. */
  maxPool2d(
    x: TypedArray,
    xShape: readonly number[],
    attrs: Pool2dAttrs,
    out: TypedArray,
    indices: Int32Array,
    outShape: readonly number[],
  ): void;
  /** Scatters dy back through the saved indices; out (dx) arrives zero-filled. */
  maxPool2dBackward(
    dy: TypedArray,
    indices: Int32Array,
    outShape: readonly number[],
    out: TypedArray,
    xShape: readonly number[],
  ): void;
  avgPool2d(
    x: TypedArray,
    xShape: readonly number[],
    attrs: Pool2dAttrs,
    out: TypedArray,
    outShape: readonly number[],
  ): void;
  /** out (dx) arrives zero-filled. */
  avgPool2dBackward(
    dy: TypedArray,
    outShape: readonly number[],
    attrs: Pool2dAttrs,
    out: TypedArray,
    xShape: readonly number[],
  ): void;

  /** out[i][j][k] = x[i][index[i][j][k]][k] along `dim` (torch.gather); all contiguous, index int32. */
  gather(
    x: TypedArray,
    xShape: readonly number[],
    dim: number,
    index: Int32Array,
    indexShape: readonly number[],
    out: TypedArray,
  ): void;
  /** In place: out[i][index[i][j][k]][k] += src[i][j][k] along `dim` (torch.scatter_add_). */
  scatterAdd(
    out: TypedArray,
    outShape: readonly number[],
    dim: number,
    index: Int32Array,
    src: TypedArray,
    srcShape: readonly number[],
  ): void;
  /** out[i, :] = x[index[i], :] for a contiguous x viewed as [rows, rowSize] (embedding, index_select dim 0). */
  indexRows(x: TypedArray, rowSize: number, rows: number, index: Int32Array, out: TypedArray): void;
  /** In place: out[index[i], :] += src[i, :] (the gradient of indexRows). */
  indexRowsAdd(out: TypedArray, rowSize: number, rows: number, index: Int32Array, src: TypedArray): void;
}
