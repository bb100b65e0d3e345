// Public API of the saved model: build one from trained parts, save it crash-safely, load it (v1 or v0).
export { buildModel, targetWidth, withPlaceholderSizes } from './auto-sizes.ts';
export {
  type CardPrivacy,
  type FeatureStats,
  featureStats,
  fingerprint,
  libraryVersion,
  type ModelCard,
  makeCard,
} from './card.ts';
export {
  checkFitOptions,
  checkSource,
  type EvaluationSpec,
  type FitOptions,
  type FitResult,
  fit,
  fitSource,
  predictOutputs,
  resumeDir,
  savedModelOf,
  type TrainedModel,
  type TrainFn,
  type TrainingSpec,
  trainModel,
} from './fit.ts';
export { type FitTableOptions, fitTable } from './fit-table.ts';
export { POINTER_FILE, SAVED_MODEL_FORMAT, SAVED_MODEL_VERSION } from './format.ts';
export { fsStep, nodeFs, type SaveFs } from './fs-layer.ts';
export { type LoadOptions, loadModel as load, type ResolvedSavedModel, resolveSavedModel } from './load.ts';
export {
  type CategoricalStats,
  categoricalStats,
  type NumericStats,
  numericStats,
  pixelStats,
  type RawFeatureStats,
  tableStats,
  textStats,
} from './raw-stats.ts';
export { cleanLeftovers, type SaveOptions, saveModel as save } from './save.ts';
export {
  type PredictInput,
  type Prediction,
  SavedModel,
  type SavedModelParts,
  type TaskInfo,
} from './saved-model.ts';
export { scoreOutputs } from './scores.ts';
export {
  assertFiniteFeatures,
  badNumbersNote,
  type CsvData,
  crossValidationFolds,
  csvColumns,
  type DataSpec,
  encodeLabels,
  type ImageFolderData,
  loadData,
  type MnistData,
  type NormalizeSpec,
  type RawRows,
  readTable,
  type Source,
  type SpamAssassinData,
  type SplitSpec,
  type TableData,
  type TabularSpec,
  type TensorData,
  type TextFolderData,
  type TokenizerSpec,
} from './sources.ts';
export {
  classProbabilities,
  isRegressionLoss,
  type LossConfig,
  lossName,
  type Outputs,
  type OutputTransform,
  outputTransform,
  predictedClass,
  scoresFor,
  type TargetKind,
  type Task,
  targetKind,
  targetTensor,
  toOutputs,
} from './task.ts';
