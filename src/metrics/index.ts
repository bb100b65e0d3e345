// Public API of the metrics area: sklearn-named functions (camelCase) and Keras-style streaming metrics.
export {
  type AccuracyOptions,
  type Average,
  accuracyScore,
  type FbetaOptions,
  f1Score,
  fbetaScore,
  type PrfOptions,
  type PrfResult,
  precisionRecallFscoreSupport,
  precisionScore,
  recallScore,
  type TopKOptions,
  topKAccuracyScore,
} from './classification.ts';
export { type ConfusionMatrixOptions, confusionMatrix, type Normalize } from './confusion.ts';
export type { Matrix, MetricInput, TensorLike } from './input.ts';
export { Metric } from './metric.ts';
export { type LogLossOptions, logLoss } from './probabilistic.ts';
export {
  type AveragePrecisionOptions,
  auc,
  averagePrecisionScore,
  type CurveOptions,
  type PrCurve,
  precisionRecallCurve,
  type RankAverage,
  type RocAucOptions,
  type RocCurve,
  rocAucScore,
  rocCurve,
} from './ranking.ts';
export { getMetric, metricNames, metrics as metricRegistry } from './registry.ts';
export {
  meanAbsoluteError,
  meanSquaredError,
  type RegressionOptions,
  r2Score,
  rootMeanSquaredError,
} from './regression.ts';
export {
  Accuracy,
  type AccuracyMetricOptions,
  BinaryAccuracy,
  ConfusionMatrix,
  type ConfusionMetricOptions,
  F1Score,
  Precision,
  type PrfMetricOptions,
  Recall,
  TopKAccuracy,
  type TopKMetricOptions,
} from './streaming-classification.ts';
export {
  MeanAbsoluteError,
  MeanSquaredError,
  R2Score,
  RootMeanSquaredError,
} from './streaming-regression.ts';
export { AUC, AveragePrecision, LogLoss, type LogLossMetricOptions } from './streaming-scores.ts';
