// Public API of the optimizers area: optimizers, LR schedules, gradient clipping and weight penalties.
export { Adagrad, type AdagradOptions } from './adagrad.ts';
export { Adam, type AdamOptions, AdamW } from './adam.ts';
export { clipGradNorm_, clipGradValue_, type NormType } from './clip.ts';
export {
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  LRScheduler,
  MultiStepLR,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type Scheduler,
  type SchedulerState,
  SequentialLR,
  StepLR,
  warmup,
} from './lr-scheduler.ts';
export {
  type GroupOptions,
  type GroupValue,
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type ParamsInput,
} from './optimizer.ts';
export { l1Penalty, l2Penalty } from './penalty.ts';
export {
  getOptimizer,
  type NamedOptimizerOptions,
  type OptimizerEntry,
  optimizerNames,
  optimizers,
} from './registry.ts';
export { RMSprop, type RMSpropOptions } from './rmsprop.ts';
export { SGD, type SGDOptions } from './sgd.ts';
