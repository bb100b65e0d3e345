import { check } from '../core/errors.ts';
import type { MetricInput } from './input.ts';
import { Metric } from './metric.ts';
import { r2FromParts, readRegression } from './regression.ts';

interface RegressionMetricOptions {
  name?: string;
}

/** Running weighted mean of a per-sample error; O(1) memory. */
abstract class MeanErrorMetric extends Metric {
  readonly name: string;
  private sum = 0;
  private weight = 0;
  private samples = 0;
  protected abstract err(d: number): number;

  constructor(defaultName: string, opts: RegressionMetricOptions) {
    super();
    this.name = opts.name ?? defaultName;
  }

  update(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput): void {
    const { t, p, w } = readRegression(yTrue, yPred, this.name, sampleWeight);
    for (let i = 0; i < t.length; i++) {
      const wi = w === undefined ? 1 : w[i]!;
      this.sum += wi * this.err(t[i]! - p[i]!);
      this.weight += wi;
    }
    this.samples += t.length;
  }

  protected mean(): number {
    this.checkSeen(this.samples);
    check(this.weight > 0, this.name, () => 'sample weights sum to 0, so the mean is undefined');
    return this.sum / this.weight;
  }

  result(): number {
    return this.mean();
  }

  reset(): void {
    this.sum = 0;
    this.weight = 0;
    this.samples = 0;
  }
}

export class MeanAbsoluteError extends MeanErrorMetric {
  constructor(opts: RegressionMetricOptions = {}) {
    super('mae', opts);
  }
  protected err(d: number): number {
    return Math.abs(d);
  }
}

export class MeanSquaredError extends MeanErrorMetric {
  constructor(opts: RegressionMetricOptions = {}) {
    super('mse', opts);
  }
  protected err(d: number): number {
    return d * d;
  }
}

export class RootMeanSquaredError extends MeanErrorMetric {
  constructor(opts: RegressionMetricOptions = {}) {
    super('rmse', opts);
  }
  protected err(d: number): number {
    return d * d;
  }
  override result(): number {
    return Math.sqrt(this.mean());
  }
}

/**
 * Streaming R^2. The total sum of squares uses West's weighted update of mean and M2, which stays accurate where
 * sum(y^2) - sum(y)^2/n would cancel catastrophically for data with a large mean.
 */
export class R2Score extends Metric {
  readonly name: string;
  private w = 0;
  private mean = 0;
  private m2 = 0;
  private ssRes = 0;
  private samples = 0;

  constructor(opts: RegressionMetricOptions = {}) {
    super();
    this.name = opts.name ?? 'r2';
  }

  update(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput): void {
    const { t, p, w } = readRegression(yTrue, yPred, this.name, sampleWeight);
    for (let i = 0; i < t.length; i++) {
      const wi = w === undefined ? 1 : w[i]!;
      const y = t[i]!;
      this.ssRes += wi * (y - p[i]!) ** 2;
      if (wi === 0) continue;
      this.w += wi;
      const delta = y - this.mean;
      this.mean += (wi / this.w) * delta;
      this.m2 += wi * delta * (y - this.mean);
    }
    this.samples += t.length;
  }

  result(): number {
    this.checkSeen(this.samples);
    if (this.samples < 2) return Number.NaN;
    check(this.w > 0, this.name, () => 'sample weights sum to 0, so R^2 is undefined');
    return r2FromParts(this.ssRes, this.m2);
  }

  reset(): void {
    this.w = 0;
    this.mean = 0;
    this.m2 = 0;
    this.ssRes = 0;
    this.samples = 0;
  }
}
