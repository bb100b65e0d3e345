/**
 * TensorScript's public API: everything users and the CLI/server import comes from here.
 * Importing it registers the reference backend (and faster ones as they load) and every gradient rule.
 */
import './autograd/grads/index.ts';
import './backends/ref/index.ts';
import './backends/wasm/index.ts';

export { enableGrad, isGradEnabled, noGrad } from './autograd/node.ts';
export { gradOps } from './autograd/registry.ts';
export type { DType, TypedArray } from './core/dtype.ts';
export { TensorScriptError } from './core/errors.ts';
export { checkOptions, type OptionSpec, type OptionSpecs } from './core/options.ts';
export { closestName, didYouMean, normaliseName, Registry } from './core/registry.ts';
export { defaultGenerator, Generator, manualSeed } from './core/rng.ts';
export * as data from './data/index.ts';
export * as explain from './explain/index.ts';
export * as federated from './federated/index.ts';
export * as io from './io/index.ts';
export type { Backend } from './kernels/backend.ts';
export {
  hasKernel,
  type KernelArgs,
  type KernelConfig,
  type KernelFn,
  kernelNames,
  registerKernel,
  runKernel,
  tryKernel,
} from './kernels/kernel-registry.ts';
export { backendNames, findBackend, getBackend, setBackend } from './kernels/registry.ts';
export type { KernelName, KernelSignatures } from './kernels/signatures.ts';
export type { UnaryOpDef, UnaryOpName } from './kernels/unary-ops.ts';
export * as metrics from './metrics/index.ts';
export * as models from './models/index.ts';
export * as monitor from './monitor/index.ts';
export * as native from './native/index.ts';
export * as nn from './nn/index.ts';
export * as onnx from './onnx/index.ts';
export * as optim from './optim/index.ts';
export * as privacy from './privacy/index.ts';
export * from './report/index.ts';
export * as saving from './saving/index.ts';
export * as serving from './serve/index.ts';
export * from './tensor/creation.ts';
export * as functional from './tensor/functional.ts';
export { keep } from './tensor/lifecycle.ts';
export { logSoftmax, softmax } from './tensor/ops/activations.ts';
export { defineUnaryOp } from './tensor/ops/define-op.ts';
export {
  abs,
  add,
  ceil,
  clamp,
  cos,
  div,
  eq,
  erf,
  exp,
  expm1,
  floor,
  ge,
  gt,
  isnan,
  le,
  log,
  log1p,
  logicalAnd,
  logicalNot,
  logicalOr,
  lt,
  maskedFill,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  reciprocal,
  relu,
  remainder,
  round,
  rsqrt,
  sigmoid,
  sign,
  sin,
  sqrt,
  square,
  sub,
  tanh,
  where,
} from './tensor/ops/elementwise.ts';
export { embedding, gather, indexAdd, indexSelect, scatterAdd } from './tensor/ops/indexing.ts';
export { cat, chunk, split, stack } from './tensor/ops/join.ts';
export { matmul } from './tensor/ops/linalg.ts';
export {
  amax,
  amin,
  argmax,
  argmin,
  logsumexp,
  maxDim as max,
  mean,
  minDim as min,
  prod,
  std,
  sum,
  variance as var,
} from './tensor/ops/reduce.ts';
export {
  contiguous,
  expand,
  flatten,
  index,
  narrow,
  permute,
  reshape,
  squeeze,
  transpose,
  unsqueeze,
} from './tensor/ops/views.ts';
export { scope } from './tensor/scope.ts';
export { memoryStats } from './tensor/storage.ts';
export type { Dims, NestedArray, Scalar, SliceSpec, TensorOrScalar } from './tensor/tensor.ts';
export { Tensor } from './tensor/tensor.ts';
export * as tracking from './tracking/index.ts';
export * as train from './train/index.ts';
