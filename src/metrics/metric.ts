import { check } from '../core/errors.ts';
import type { Matrix, MetricInput } from './input.ts';

/**
 * A streaming metric (Keras' `metrics/metric.py`): `update` folds in a batch, `result` reads the value over every
 * batch since the last `reset`. Results are exact: they equal the plain function applied to all batches at once.
 */
export abstract class Metric<R = number> {
  /** The key the metric reports under, e.g. in a History ('accuracy', 'val_accuracy'). */
  abstract readonly name: string;
  abstract update(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput): void;
  abstract result(): R;
  abstract reset(): void;

  /** Throws the clear error every metric gives when read before any data arrived. */
  protected checkSeen(samples: number): void {
    check(
      samples > 0,
      this.name,
      () => 'empty input: result() was called before update() received any sample',
    );
  }
}

/** Logits -> probabilities for metrics built with `fromLogits`: softmax across columns, or sigmoid for one column. */
export function logitsToProbabilities(m: Matrix): Matrix {
  const out = new Float64Array(m.data.length);
  if (m.cols === 1) {
    for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-m.data[i]!));
  } else {
    for (let r = 0; r < m.rows; r++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < m.cols; c++) max = Math.max(max, m.data[r * m.cols + c]!);
      let sum = 0;
      for (let c = 0; c < m.cols; c++) {
        const e = Math.exp(m.data[r * m.cols + c]! - max);
        out[r * m.cols + c] = e;
        sum += e;
      }
      for (let c = 0; c < m.cols; c++) out[r * m.cols + c]! /= sum;
    }
  }
  return { ...m, data: out, wasFloat32: false };
}

/** A Matrix as a TensorLike so it can go back through the plain functions without copying shape logic. */
export function matrixInput(m: Matrix): MetricInput {
  return { shape: m.ndim === 1 ? [m.rows] : [m.rows, m.cols], toTypedArray: () => m.data };
}
