import { check } from '../core/errors.ts';
import {
  checkSameLength,
  GrowableBuffer,
  type Matrix,
  type MetricInput,
  readWeights,
  toMatrix,
} from './input.ts';
import { trueLabels } from './labels.ts';
import { logitsToProbabilities, Metric, matrixInput } from './metric.ts';
import { logLossTerms } from './probabilistic.ts';
import { averagePrecisionScore, type RankAverage, rocAucScore } from './ranking.ts';

interface ScoreMetricOptions {
  name?: string;
  /** The model emits logits: apply softmax (C columns) or sigmoid (one column) first. */
  fromLogits?: boolean;
  /** Multiclass averaging (one-vs-rest); default 'macro'. */
  average?: Exclude<RankAverage, null>;
}

/**
 * Keeps every (label, score row, weight) so ranking metrics are exact, not the threshold-bucket approximation Keras'
 * AUC uses; memory is 8 bytes x (C + 2) per sample.
 */
abstract class ScoreBufferMetric extends Metric {
  readonly name: string;
  protected readonly opts: ScoreMetricOptions;
  private readonly labels = new GrowableBuffer();
  private readonly scores = new GrowableBuffer();
  private readonly weights = new GrowableBuffer();
  private cols = 0;
  private ndim: 1 | 2 = 1;
  private weighted: boolean | undefined;

  constructor(defaultName: string, opts: ScoreMetricOptions) {
    super();
    this.name = opts.name ?? defaultName;
    this.opts = opts;
  }

  update(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput): void {
    const op = this.name;
    let s = toMatrix(yPred, op, 'yPred');
    if (this.opts.fromLogits) s = logitsToProbabilities(s);
    const t = trueLabels(toMatrix(yTrue, op, 'yTrue'), op);
    checkSameLength(t.length, s.rows, op, 'yTrue', 'yPred');
    const w = readWeights(sampleWeight, t.length, op);
    if (this.labels.length === 0) {
      this.cols = s.cols;
      this.ndim = s.ndim;
      this.weighted = w !== undefined;
    }
    check(s.cols === this.cols, op, () => `yPred has ${s.cols} columns but earlier batches had ${this.cols}`);
    check((w !== undefined) === this.weighted, op, () => 'give sampleWeight for every batch or for none');
    this.labels.push(t);
    this.scores.push(s.data);
    if (w !== undefined) this.weights.push(w);
  }

  protected collected(): { yTrue: MetricInput; yScore: MetricInput; sampleWeight: MetricInput | undefined } {
    this.checkSeen(this.labels.length);
    const n = this.labels.length;
    const m: Matrix = {
      data: this.scores.view(),
      rows: n,
      cols: this.cols,
      ndim: this.ndim,
      wasFloat32: false,
    };
    return {
      yTrue: this.labels.view(),
      yScore: matrixInput(m),
      sampleWeight: this.weighted ? this.weights.view() : undefined,
    };
  }

  reset(): void {
    this.labels.clear();
    this.scores.clear();
    this.weights.clear();
    this.cols = 0;
  }
}

/** Exact ROC AUC over all batches (rocAucScore: binary, or one-vs-rest for scores [N,C>2]). */
export class AUC extends ScoreBufferMetric {
  constructor(opts: ScoreMetricOptions = {}) {
    super('auc', opts);
  }

  result(): number {
    const c = this.collected();
    return rocAucScore(c.yTrue, c.yScore, {
      sampleWeight: c.sampleWeight,
      average: this.opts.average ?? 'macro',
    }) as number;
  }
}

/** Exact average precision (area under the precision-recall step curve) over all batches. */
export class AveragePrecision extends ScoreBufferMetric {
  constructor(opts: ScoreMetricOptions = {}) {
    super('average_precision', opts);
  }

  result(): number {
    const c = this.collected();
    return averagePrecisionScore(c.yTrue, c.yScore, {
      sampleWeight: c.sampleWeight,
      average: this.opts.average ?? 'macro',
    }) as number;
  }
}

export interface LogLossMetricOptions {
  name?: string;
  fromLogits?: boolean;
}

/** Streaming log loss (cross-entropy) with sklearn's clipping; a running weighted mean, so O(1) memory. */
export class LogLoss extends Metric {
  readonly name: string;
  private readonly fromLogits: boolean;
  private sum = 0;
  private weight = 0;
  private samples = 0;

  constructor(opts: LogLossMetricOptions = {}) {
    super();
    this.name = opts.name ?? 'log_loss';
    this.fromLogits = opts.fromLogits ?? false;
  }

  update(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput): void {
    let p = toMatrix(yPred, this.name, 'yPred');
    if (this.fromLogits) p = logitsToProbabilities(p);
    const { loss, w } = logLossTerms(yTrue, this.fromLogits ? matrixInput(p) : yPred, this.name, {
      sampleWeight,
    });
    for (let i = 0; i < loss.length; i++) {
      const wi = w === undefined ? 1 : w[i]!;
      this.sum += loss[i]! * wi;
      this.weight += wi;
    }
    this.samples += loss.length;
  }

  result(): number {
    this.checkSeen(this.samples);
    check(this.weight > 0, this.name, () => 'sample weights sum to 0, so the mean is undefined');
    return this.sum / this.weight;
  }

  reset(): void {
    this.sum = 0;
    this.weight = 0;
    this.samples = 0;
  }
}
