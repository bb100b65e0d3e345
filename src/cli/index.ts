// Public API of the CLI area: run configs, the train/evaluate/predict workflows, and loading a trained run's
// checkpoint for serving (`loadCheckpointModel`).
export {
  type CheckpointModel,
  type LabelsJSON,
  loadCheckpointModel,
  type Prediction,
  resolveRunCheckpoint,
  saveRunCheckpoint,
} from './checkpoint-model.ts';
export {
  ConfigError,
  loadConfig,
  parseConfigText,
  type RunConfig,
  type RunConfigInput,
  RunConfigSchema,
  validateConfig,
} from './config.ts';
export { type EvaluateResult, runEvaluate } from './evaluate-run.ts';
export { infoObject, main } from './main.ts';
export { formatPredictions, readPredictInput, runPredict } from './predict-run.ts';
export {
  ImagePreprocessor,
  type PredictRecord,
  type PreprocessJSON,
  type Preprocessor,
  preprocessorFromJSON,
  TabularPreprocessor,
  TextPreprocessor,
} from './preprocess.ts';
export {
  parseServeTarget,
  type ServedCheckpointSpec,
  servedModelFromCheckpoint,
} from './served-checkpoint.ts';
export { resultLine, runTraining, type TrainRunOptions, type TrainRunResult } from './train-run.ts';
