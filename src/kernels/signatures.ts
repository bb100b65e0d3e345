import type { TypedArray } from '../core/dtype.ts';
import type {
  ArgReduceOp,
  BinaryOp,
  Conv2dAttrs,
  MatmulDims,
  Pool2dAttrs,
  ReduceOp,
  UnaryOpName,
  View,
} from './backend.ts';

/**
 * Every kernel's signature, written once: named inputs (read), named outputs (caller-allocated with
 * `Backend.alloc`, written; in-place kernels list the buffer they update under outputs) and attributes.
 * Backends register an implementation per name (kernel-registry.ts); the op layer calls `runKernel`.
 * `View` inputs may be strided; `TypedArray` ones are contiguous. Shapes are attributes.
 */
export interface KernelSignatures {
  // ---- elementwise ----
  /** out[i] = op(x[i]); out has the dtype the op layer chose (bool for isnan/logicalNot, else x's). */
  unary: { inputs: { x: View }; outputs: { out: TypedArray }; attrs: { op: UnaryOpName } };
  /** out = op(a, b); a and b are already broadcast to out's shape (stride-0 views). */
  binary: { inputs: { a: View; b: View }; outputs: { out: TypedArray }; attrs: { op: BinaryOp } };
  /** out = cond ? a : b, all three broadcast to out's shape. */
  where: { inputs: { cond: View; a: View; b: View }; outputs: { out: TypedArray }; attrs: NoAttrs };
  /** Copies a strided view into another strided view of the same shape, converting the dtype. */
  copy: { inputs: { src: View }; outputs: { dst: View }; attrs: NoAttrs };
  /** Fills a contiguous buffer with one value. */
  fill: { inputs: NoInputs; outputs: { out: TypedArray }; attrs: { value: number } };

  // ---- reductions: x is contiguous [outer, reduce, inner]; out is [outer, inner] ----
  reduce: { inputs: { x: TypedArray }; outputs: { out: TypedArray }; attrs: ReduceAttrs<ReduceOp> };
  /** Like reduce, writing int32 indices (first occurrence on ties, as PyTorch). */
  argReduce: { inputs: { x: TypedArray }; outputs: { out: Int32Array }; attrs: ReduceAttrs<ArgReduceOp> };

  // ---- GEMM ----
  /**
   * Batched GEMM: out[b] = op(a[b]) @ op(b[b]). a is [batch, M, K] (or [batch, K, M] when transA), b is
   * [batch, K, N] (or [batch, N, K] when transB); a batch stride of 0 broadcasts that operand.
   */
  matmul: { inputs: { a: TypedArray; b: TypedArray }; outputs: { out: TypedArray }; attrs: MatmulDims };

  // ---- convolution (NCHW input, OIHW weight); bias is added by the op layer ----
  conv2d: {
    inputs: { x: TypedArray; w: TypedArray };
    outputs: { out: TypedArray };
    attrs: ConvShapes;
  };
  /** Gradient w.r.t. the input: dy [N,O,oH,oW], w; dx [N,C,H,W]. */
  conv2dBackwardInput: {
    inputs: { dy: TypedArray; w: TypedArray };
    outputs: { dx: TypedArray };
    attrs: ConvShapes & { readonly dyShape: readonly number[] };
  };
  /** Gradient w.r.t. the weight: x, dy; dw [O,C/groups,kH,kW]. */
  conv2dBackwardFilter: {
    inputs: { x: TypedArray; dy: TypedArray };
    outputs: { dw: TypedArray };
    attrs: ConvShapes & { readonly dyShape: readonly number[] };
  };

  // ---- pooling (NCHW) ----
  /** Also writes, per output element, the flat index within its (n, c) plane of the max. */
  maxPool2d: {
    inputs: { x: TypedArray };
    outputs: { out: TypedArray; indices: Int32Array };
    attrs: PoolShapes;
  };
  /** Scatters dy back through the saved indices; dx arrives zero-filled. */
  maxPool2dBackward: {
    inputs: { dy: TypedArray; indices: Int32Array };
    outputs: { dx: TypedArray };
    attrs: { readonly xShape: readonly number[]; readonly outShape: readonly number[] };
  };
  avgPool2d: { inputs: { x: TypedArray }; outputs: { out: TypedArray }; attrs: PoolShapes };
  /** dx arrives zero-filled. */
  avgPool2dBackward: { inputs: { dy: TypedArray }; outputs: { dx: TypedArray }; attrs: PoolShapes };

  // ---- indexing (contiguous buffers, int32 indices) ----
  /** out[i][j][k] = x[i][index[i][j][k]][k] along `dim` (torch.gather). */
  gather: {
    inputs: { x: TypedArray; index: Int32Array };
    outputs: { out: TypedArray };
    attrs: {
      readonly dim: number;
      readonly xShape: readonly number[];
      readonly indexShape: readonly number[];
    };
  };
  /** In place: out[i][index[i][j][k]][k] += src[i][j][k] along `dim` (torch.scatter_add_). */
  scatterAdd: {
    inputs: { index: Int32Array; src: TypedArray };
    outputs: { out: TypedArray };
    attrs: {
      readonly dim: number;
      readonly outShape: readonly number[];
      readonly srcShape: readonly number[];
    };
  };
  /** out[i, :] = x[index[i], :] for x viewed as [rows, rowSize] (embedding, index_select dim 0). */
  indexRows: {
    inputs: { x: TypedArray; index: Int32Array };
    outputs: { out: TypedArray };
    attrs: RowAttrs;
  };
  /** In place: out[index[i], :] += src[i, :] (the gradient of indexRows). */
  indexRowsAdd: {
    inputs: { index: Int32Array; src: TypedArray };
    outputs: { out: TypedArray };
    attrs: RowAttrs;
  };

  // ---- fused kernels: optional; each computes what a composite of the primitives computes (the
  // composite in the op layer stays the specification and the fallback). See docs/decisions/wasm-perf.md.
  /** matmul with bias[n] added to every output row: a Linear layer's forward. */
  matmulBias: {
    inputs: { a: TypedArray; b: TypedArray; bias: TypedArray };
    outputs: { out: TypedArray };
    attrs: MatmulDims;
  };
  /** In place x += alpha * y (Tensor.add_ with alpha), contiguous x and y of one size and dtype. */
  axpy: { inputs: { y: TypedArray }; outputs: { x: TypedArray }; attrs: { readonly alpha: number } };
  /**
   * SGD momentum step in place, as the composite buf = buf*momentum + d*(1-dampening); p += buf*(-lr),
   * each product and sum rounded to the dtype.
   */
  sgdMomentum: {
    inputs: { d: TypedArray };
    outputs: { p: TypedArray; buf: TypedArray };
    attrs: { readonly momentum: number; readonly dampening: number; readonly lr: number };
  };
  /**
   * Adam step in place (no amsgrad), as the composite m = m*b1 + g*(1-b1); v = v*b2 + (g*g)*(1-b2);
   * p += (m / (sqrt(v)/bc2 + eps)) * (-stepSize).
   */
  adam: {
    inputs: { g: TypedArray };
    outputs: { p: TypedArray; m: TypedArray; v: TypedArray };
    attrs: {
      readonly beta1: number;
      readonly beta2: number;
      readonly bc2: number;
      readonly eps: number;
      readonly stepSize: number;
    };
  };
  /** ReLU's gradient, where(x > 0, g, 0), for contiguous g, x and out of one size. */
  reluBackward: { inputs: { g: TypedArray; x: TypedArray }; outputs: { out: TypedArray }; attrs: NoAttrs };
}

export type KernelName = keyof KernelSignatures;

/**
 * Kernels every backend must serve, itself or through its fallback backend (the reference backend
 * serves them all). The others are fused kernels: optional, declined by returning false.
 */
export const PRIMITIVE_KERNELS = [
  'unary',
  'binary',
  'where',
  'copy',
  'fill',
  'reduce',
  'argReduce',
  'matmul',
  'conv2d',
  'conv2dBackwardInput',
  'conv2dBackwardFilter',
  'maxPool2d',
  'maxPool2dBackward',
  'avgPool2d',
  'avgPool2dBackward',
  'gather',
  'scatterAdd',
  'indexRows',
  'indexRowsAdd',
] as const satisfies readonly KernelName[];

export const FUSED_KERNELS = [
  'matmulBias',
  'axpy',
  'sgdMomentum',
  'adam',
  'reluBackward',
] as const satisfies readonly KernelName[];

export type NoAttrs = Readonly<Record<string, never>>;
export type NoInputs = Readonly<Record<string, never>>;

interface ReduceAttrs<Op> {
  readonly op: Op;
  readonly outer: number;
  readonly reduce: number;
  readonly inner: number;
}

export interface ConvShapes extends Conv2dAttrs {
  readonly xShape: readonly number[];
  readonly wShape: readonly number[];
}

export interface PoolShapes extends Pool2dAttrs {
  readonly xShape: readonly number[];
  readonly outShape: readonly number[];
}

interface RowAttrs {
  readonly rowSize: number;
  readonly rows: number;
}
