// Public API of the training area: Keras-style compile/fit/evaluate/predict over any module, callbacks,
// checkpoints, and the per-sample losses they use.
export { autoMode, Callback, type Logs } from './callback.ts';
export { type CallbackEntry, callbacks, getCallback } from './callback-registry.ts';
export {
  CSVLogger,
  EarlyStopping,
  type EarlyStoppingOptions,
  LambdaCallback,
  LearningRateScheduler,
  ModelCheckpoint,
  type ModelCheckpointOptions,
  ReduceLROnPlateau,
  type ReduceLROnPlateauCallbackOptions,
  TerminateOnNaN,
} from './callbacks.ts';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointConfig,
  type CheckpointContents,
  type CheckpointModule,
  disposeCheckpoint,
  loadCheckpoint,
  loadModelFromCheckpoint,
  resolveCheckpoint,
  type SaveInput,
  saveCheckpoint,
  type TrainerState,
  writeCheckpoint,
} from './checkpoint.ts';
export {
  canonicalLossName,
  getLoss,
  type LossEntry,
  type LossFn,
  type LossModule,
  type LossSpec,
  losses,
  lossNames,
  type NamedLoss,
  type ResolvedLoss,
  reduceLoss,
  resolveLoss,
} from './losses.ts';
export { ProgressBar, type ProgressBarOptions, type ProgressStream } from './progress.ts';
export { type ScheduleContext, type ScheduleEntry, scheduleCallback, schedules } from './schedules.ts';
export {
  type Batch,
  type BatchSource,
  type CompileConfig,
  compile,
  type EvaluateOptions,
  type FitOptions,
  History,
  type MetricLike,
  type TrainableModule,
  Trainer,
  TrainingDivergedError,
} from './trainer.ts';
