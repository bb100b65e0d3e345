import { fail } from '../core/errors.ts';
import { Metric } from './metric.ts';
import {
  Accuracy,
  BinaryAccuracy,
  F1Score,
  Precision,
  Recall,
  TopKAccuracy,
} from './streaming-classification.ts';
import {
  MeanAbsoluteError,
  MeanSquaredError,
  R2Score,
  RootMeanSquaredError,
} from './streaming-regression.ts';
import { AUC, AveragePrecision, LogLoss } from './streaming-scores.ts';

/** Keras-style metric names accepted by `fit(..., { metrics: [...] })`; the metric reports under the name asked for. */
const FACTORIES: Record<string, (name: string) => Metric> = {
  accuracy: (name) => new Accuracy({ name }),
  acc: (name) => new Accuracy({ name }),
  categorical_accuracy: (name) => new Accuracy({ name }),
  sparse_categorical_accuracy: (name) => new Accuracy({ name }),
  binary_accuracy: (name) => new BinaryAccuracy({ name }),
  top_k_accuracy: (name) => new TopKAccuracy({ name }),
  top_k_categorical_accuracy: (name) => new TopKAccuracy({ name }),
  sparse_top_k_categorical_accuracy: (name) => new TopKAccuracy({ name }),
  precision: (name) => new Precision({ name }),
  recall: (name) => new Recall({ name }),
  f1: (name) => new F1Score({ name }),
  f1_score: (name) => new F1Score({ name }),
  auc: (name) => new AUC({ name }),
  roc_auc: (name) => new AUC({ name }),
  average_precision: (name) => new AveragePrecision({ name }),
  pr_auc: (name) => new AveragePrecision({ name }),
  log_loss: (name) => new LogLoss({ name }),
  crossentropy: (name) => new LogLoss({ name }),
  binary_crossentropy: (name) => new LogLoss({ name }),
  categorical_crossentropy: (name) => new LogLoss({ name }),
  sparse_categorical_crossentropy: (name) => new LogLoss({ name }),
  mae: (name) => new MeanAbsoluteError({ name }),
  mean_absolute_error: (name) => new MeanAbsoluteError({ name }),
  mse: (name) => new MeanSquaredError({ name }),
  mean_squared_error: (name) => new MeanSquaredError({ name }),
  rmse: (name) => new RootMeanSquaredError({ name }),
  root_mean_squared_error: (name) => new RootMeanSquaredError({ name }),
  r2: (name) => new R2Score({ name }),
  r2_score: (name) => new R2Score({ name }),
};

/** Names getMetric understands. */
export function metricNames(): string[] {
  return Object.keys(FACTORIES).sort();
}

/**
 * A fresh streaming metric from a Keras-style name ('accuracy', 'auc', 'precision', 'recall', 'mae', ...), or the
 * given Metric instance unchanged. camelCase spellings ('meanAbsoluteError', 'f1Score') are accepted too.
 */
export function getMetric(nameOrInstance: string | Metric): Metric {
  if (nameOrInstance instanceof Metric) return nameOrInstance;
  if (typeof nameOrInstance !== 'string') {
    return fail('getMetric', `expected a metric name or a Metric instance, got ${typeof nameOrInstance}`);
  }
  const key = nameOrInstance.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const make = FACTORIES[key];
  if (make === undefined) {
    return fail('getMetric', `unknown metric "${nameOrInstance}"; known names: ${metricNames().join(', ')}`);
  }
  return make(nameOrInstance);
}
