import { type Average, accuracyFromCounts, prfFromCounts, topKHits } from './classification.ts';
import { ConfusionCounts, confusionFromCounts, countLabels } from './confusion.ts';
import type { MetricInput } from './input.ts';
import { Metric } from './metric.ts';

interface NamedOptions {
  name?: string;
}

export interface AccuracyMetricOptions extends NamedOptions {
  /** Fixed threshold for single-column scores; default: labels if integral, else scores at 0.5. */
  threshold?: number;
}

/**
 * Accuracy that reads whatever a model emits: scores [N,C] -> argmax, one score column -> `> threshold`, labels as
 * they are; yTrue may be labels or one-hot rows. Keras' 'accuracy', 'categorical_accuracy' and
 * 'sparse_categorical_accuracy' are all this.
 */
export class Accuracy extends Metric {
  readonly name: string;
  protected readonly counts = new ConfusionCounts();
  protected readonly threshold: number | undefined;

  constructor(opts: AccuracyMetricOptions = {}) {
    super();
    this.name = opts.name ?? 'accuracy';
    this.threshold = opts.threshold;
  }

  update(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput): void {
    countLabels(
      yTrue,
      yPred,
      this.name,
      { sampleWeight, threshold: this.threshold, autoThreshold: true },
      this.counts,
    );
  }

  result(): number {
    this.checkSeen(this.counts.samples);
    return accuracyFromCounts(this.counts, this.name);
  }

  reset(): void {
    this.counts.clear();
  }
}

/** Keras' BinaryAccuracy: one score per sample, predicted positive when score > threshold (default 0.5). */
export class BinaryAccuracy extends Accuracy {
  constructor(opts: AccuracyMetricOptions = {}) {
    super({ name: opts.name ?? 'binary_accuracy', threshold: opts.threshold ?? 0.5 });
  }
}

export interface TopKMetricOptions extends NamedOptions {
  k?: number;
}

/** Top-k accuracy over scores [N,C] (Keras' TopKCategoricalAccuracy; default k = 5 as Keras). */
export class TopKAccuracy extends Metric {
  readonly name: string;
  readonly k: number;
  private hits = 0;
  private total = 0;
  private samples = 0;

  constructor(opts: TopKMetricOptions = {}) {
    super();
    this.k = opts.k ?? 5;
    this.name = opts.name ?? 'top_k_accuracy';
  }

  update(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput): void {
    const r = topKHits(yTrue, yPred, this.k, this.name, sampleWeight);
    this.hits += r.hits;
    this.total += r.total;
    this.samples++;
  }

  result(): number {
    this.checkSeen(this.samples);
    return this.total === 0 ? 0 : this.hits / this.total;
  }

  reset(): void {
    this.hits = 0;
    this.total = 0;
    this.samples = 0;
  }
}

export interface PrfMetricOptions extends AccuracyMetricOptions {
  /** Default 'binary' (as sklearn and Keras); use 'macro', 'micro' or 'weighted' for multiclass. */
  average?: Exclude<Average, null>;
  posLabel?: number;
  labels?: readonly number[];
  zeroDivision?: 0 | 1;
}

abstract class PrfMetric extends Accuracy {
  protected readonly prf: PrfMetricOptions;
  protected abstract readonly pick: 'precision' | 'recall' | 'fScore';

  constructor(defaultName: string, opts: PrfMetricOptions) {
    super({ name: opts.name ?? defaultName, threshold: opts.threshold });
    this.prf = opts;
  }

  override result(): number {
    this.checkSeen(this.counts.samples);
    return prfFromCounts(this.counts, this.name, 1, { ...this.prf, average: this.prf.average ?? 'binary' })[
      this.pick
    ] as number;
  }
}

/** Streaming precision; equals precisionScore over all batches. */
export class Precision extends PrfMetric {
  protected readonly pick = 'precision';
  constructor(opts: PrfMetricOptions = {}) {
    super('precision', opts);
  }
}

/** Streaming recall; equals recallScore over all batches. */
export class Recall extends PrfMetric {
  protected readonly pick = 'recall';
  constructor(opts: PrfMetricOptions = {}) {
    super('recall', opts);
  }
}

/** Streaming F1; equals f1Score over all batches. */
export class F1Score extends PrfMetric {
  protected readonly pick = 'fScore';
  constructor(opts: PrfMetricOptions = {}) {
    super('f1_score', opts);
  }
}

export interface ConfusionMetricOptions extends AccuracyMetricOptions {
  labels?: readonly number[];
}

/** Streaming confusion matrix (rows = true class, columns = predicted class). */
export class ConfusionMatrix extends Metric<number[][]> {
  readonly name: string;
  private readonly counts = new ConfusionCounts();
  private readonly opts: ConfusionMetricOptions;

  constructor(opts: ConfusionMetricOptions = {}) {
    super();
    this.name = opts.name ?? 'confusion_matrix';
    this.opts = opts;
  }

  update(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput): void {
    countLabels(
      yTrue,
      yPred,
      this.name,
      { sampleWeight, threshold: this.opts.threshold, autoThreshold: true },
      this.counts,
    );
  }

  result(): number[][] {
    this.checkSeen(this.counts.samples);
    return confusionFromCounts(this.counts, this.name, this.opts.labels).matrix;
  }

  /** The labels the rows and columns of result() stand for. */
  labels(): number[] {
    return this.opts.labels === undefined ? this.counts.labels() : [...this.opts.labels];
  }

  reset(): void {
    this.counts.clear();
  }
}
