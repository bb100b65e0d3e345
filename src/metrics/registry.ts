import { fail } from '../core/errors.ts';
import { Registry } from '../core/registry.ts';
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

/**
 * The metric registry: Keras-style names, with the other spellings as aliases of one entry. A metric reports under
 * the name it was asked for (`getMetric('acc')` logs 'acc').
 */
export const metrics = new Registry<(name: string) => Metric>('metric', 'getMetric')
  .register('accuracy', (name) => new Accuracy({ name }), {
    aliases: ['acc', 'categorical_accuracy', 'sparse_categorical_accuracy'],
  })
  .register('binary_accuracy', (name) => new BinaryAccuracy({ name }))
  .register('top_k_accuracy', (name) => new TopKAccuracy({ name }), {
    aliases: ['top_k_categorical_accuracy', 'sparse_top_k_categorical_accuracy'],
  })
  .register('precision', (name) => new Precision({ name }))
  .register('recall', (name) => new Recall({ name }))
  .register('f1', (name) => new F1Score({ name }), { aliases: ['f1_score'] })
  .register('auc', (name) => new AUC({ name }), { aliases: ['roc_auc'] })
  .register('average_precision', (name) => new AveragePrecision({ name }), { aliases: ['pr_auc'] })
  .register('log_loss', (name) => new LogLoss({ name }), {
    aliases: [
      'crossentropy',
      'binary_crossentropy',
      'categorical_crossentropy',
      'sparse_categorical_crossentropy',
    ],
  })
  .register('mae', (name) => new MeanAbsoluteError({ name }), { aliases: ['mean_absolute_error'] })
  .register('mse', (name) => new MeanSquaredError({ name }), { aliases: ['mean_squared_error'] })
  .register('rmse', (name) => new RootMeanSquaredError({ name }), { aliases: ['root_mean_squared_error'] })
  .register('r2', (name) => new R2Score({ name }), { aliases: ['r2_score'] });

/** Names getMetric understands (canonical names and aliases). */
export function metricNames(): string[] {
  return metrics.allNames();
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
  return metrics.get(nameOrInstance)(nameOrInstance);
}
