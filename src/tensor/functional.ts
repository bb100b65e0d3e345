/** torch.nn.functional in camelCase: everything here is built from the tensor ops. */
export {
  elu,
  gelu,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  relu,
  sigmoid,
  silu,
  softmax,
  softplus,
  tanh,
} from './ops/activations.ts';
export type { Conv2dOptions, IntPair, Pool2dOptions } from './ops/conv.ts';
export { adaptiveAvgPool2d, avgPool2d, conv2d, maxPool2d } from './ops/conv.ts';
export { type DropoutOptions, dropout } from './ops/dropout.ts';
export { embedding } from './ops/indexing.ts';
export { linear } from './ops/linalg.ts';
export type {
  BceOptions,
  BceWithLogitsOptions,
  CrossEntropyOptions,
  NllOptions,
  Reduction,
} from './ops/losses.ts';
export {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  l1Loss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
} from './ops/losses.ts';
export {
  type BatchNormOptions,
  batchNorm,
  type LayerNormOptions,
  layerNorm,
} from './ops/normalization.ts';
