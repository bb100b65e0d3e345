/**
 * The exports that Node and browsers share: tensors, autograd, kernels, nn, optim, functional and metrics.
 * src/index.ts (Node) and src/browser.ts (the `browser` condition) both re-export this list and add their
 * own areas, so the two entries cannot drift apart. Nothing here may reach a Node-only module: the browser
 * build fails on one. Backends register themselves in the entries, not here.
 */
export { enableGrad, isGradEnabled, noGrad } from './autograd/node.ts';
export { gradOps } from './autograd/registry.ts';
export type { DType, TypedArray } from './core/dtype.ts';
export { TensorScriptError } from './core/errors.ts';
export { checkOptions, type OptionSpec, type OptionSpecs } from './core/options.ts';
export { closestName, didYouMean, normaliseName, Registry } from './core/registry.ts';
export { defaultGenerator, Generator, manualSeed } from './core/rng.ts';
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
export * as nn from './nn/index.ts';
export * as optim from './optim/index.ts';
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
