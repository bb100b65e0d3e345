import { check } from '../../core/errors.ts';
import { checkCols, checkFitted, type Matrix, type MatrixLike, toMatrix } from './matrix.ts';

/** Per-column mean and standard deviation ignoring NaN (numpy nanmean / population std). */
function nanMoments(m: Matrix): { mean: Float64Array; variance: Float64Array; count: Float64Array } {
  const mean = new Float64Array(m.cols);
  const variance = new Float64Array(m.cols);
  const count = new Float64Array(m.cols);
  for (let j = 0; j < m.cols; j++) {
    // Two passes: the one-pass formula loses digits when the mean is large relative to the spread.
    let s = 0;
    let n = 0;
    for (let i = 0; i < m.rows; i++) {
      const v = m.data[i * m.cols + j]!;
      if (!Number.isNaN(v)) {
        s += v;
        n++;
      }
    }
    const mu = n > 0 ? s / n : Number.NaN;
    let ss = 0;
    for (let i = 0; i < m.rows; i++) {
      const v = m.data[i * m.cols + j]!;
      if (!Number.isNaN(v)) ss += (v - mu) * (v - mu);
    }
    mean[j] = mu;
    variance[j] = n > 0 ? ss / n : Number.NaN;
    count[j] = n;
  }
  return { mean, variance, count };
}

// sklearn's _handle_zeros_in_scale: a constant column is left unscaled rather than divided by ~0.
function safeScale(s: number): number {
  return s < 10 * Number.EPSILON || Number.isNaN(s) ? 1 : s;
}

export interface StandardScalerJSON {
  type: 'StandardScaler';
  withMean: boolean;
  withStd: boolean;
  mean: number[];
  scale: number[];
  variance: number[];
}

/** z = (x - mean) / std, statistics from the training split (sklearn StandardScaler; NaN ignored and kept). */
export class StandardScaler {
  readonly withMean: boolean;
  readonly withStd: boolean;
  mean?: Float64Array;
  scale?: Float64Array;
  variance?: Float64Array;

  constructor(opts: { withMean?: boolean; withStd?: boolean } = {}) {
    this.withMean = opts.withMean ?? true;
    this.withStd = opts.withStd ?? true;
  }

  fit(x: MatrixLike): this {
    const m = toMatrix(x, 'StandardScaler.fit');
    check(m.rows > 0, 'StandardScaler.fit', () => 'expected at least one row, got 0');
    const { mean, variance } = nanMoments(m);
    this.mean = mean;
    this.variance = variance;
    this.scale = variance.map((v) => safeScale(Math.sqrt(v)));
    return this;
  }

  transform(x: MatrixLike): Matrix {
    const op = 'StandardScaler.transform';
    const m = toMatrix(x, op);
    const mean = checkFitted(this.mean, op);
    const scale = this.scale!;
    checkCols(mean.length, m.cols, op);
    const out = new Float64Array(m.data.length);
    for (let i = 0; i < m.rows; i++)
      for (let j = 0; j < m.cols; j++) {
        let v = m.data[i * m.cols + j]!;
        if (this.withMean) v -= mean[j]!;
        if (this.withStd) v /= scale[j]!;
        out[i * m.cols + j] = v;
      }
    return { rows: m.rows, cols: m.cols, data: out };
  }

  fitTransform(x: MatrixLike): Matrix {
    return this.fit(x).transform(x);
  }

  inverseTransform(x: MatrixLike): Matrix {
    const op = 'StandardScaler.inverseTransform';
    const m = toMatrix(x, op);
    const mean = checkFitted(this.mean, op);
    checkCols(mean.length, m.cols, op);
    const out = new Float64Array(m.data.length);
    for (let i = 0; i < m.data.length; i++) {
      const j = i % m.cols;
      let v = m.data[i]!;
      if (this.withStd) v *= this.scale![j]!;
      if (this.withMean) v += mean[j]!;
      out[i] = v;
    }
    return { rows: m.rows, cols: m.cols, data: out };
  }

  toJSON(): StandardScalerJSON {
    const op = 'StandardScaler.toJSON';
    return {
      type: 'StandardScaler',
      withMean: this.withMean,
      withStd: this.withStd,
      mean: Array.from(checkFitted(this.mean, op)),
      scale: Array.from(this.scale!),
      variance: Array.from(this.variance!),
    };
  }

  static fromJSON(j: StandardScalerJSON): StandardScaler {
    check(
      j.type === 'StandardScaler',
      'StandardScaler.fromJSON',
      () => `expected type StandardScaler, got ${j.type}`,
    );
    const s = new StandardScaler({ withMean: j.withMean, withStd: j.withStd });
    s.mean = Float64Array.from(j.mean);
    s.scale = Float64Array.from(j.scale);
    s.variance = Float64Array.from(j.variance);
    return s;
  }
}

export interface MinMaxScalerJSON {
  type: 'MinMaxScaler';
  featureRange: [number, number];
  clip: boolean;
  dataMin: number[];
  dataMax: number[];
}

/** Maps each column's training [min, max] onto featureRange (sklearn MinMaxScaler; NaN ignored and kept). */
export class MinMaxScaler {
  readonly featureRange: [number, number];
  readonly clip: boolean;
  dataMin?: Float64Array;
  dataMax?: Float64Array;
  scale?: Float64Array;
  min?: Float64Array;

  constructor(opts: { featureRange?: [number, number]; clip?: boolean } = {}) {
    this.featureRange = opts.featureRange ?? [0, 1];
    this.clip = opts.clip ?? false;
    check(
      this.featureRange[0] < this.featureRange[1],
      'MinMaxScaler',
      () => `featureRange must be increasing, got [${this.featureRange.join(', ')}]`,
    );
  }

  fit(x: MatrixLike): this {
    const m = toMatrix(x, 'MinMaxScaler.fit');
    check(m.rows > 0, 'MinMaxScaler.fit', () => 'expected at least one row, got 0');
    const lo = new Float64Array(m.cols).fill(Number.POSITIVE_INFINITY);
    const hi = new Float64Array(m.cols).fill(Number.NEGATIVE_INFINITY);
    for (let i = 0; i < m.data.length; i++) {
      const v = m.data[i]!;
      if (Number.isNaN(v)) continue;
      const j = i % m.cols;
      if (v < lo[j]!) lo[j] = v;
      if (v > hi[j]!) hi[j] = v;
    }
    this.setRange(lo, hi);
    return this;
  }

  private setRange(lo: Float64Array, hi: Float64Array): void {
    const [a, b] = this.featureRange;
    this.dataMin = lo;
    this.dataMax = hi;
    this.scale = lo.map((l, j) => (b - a) / safeScale(hi[j]! - l));
    this.min = lo.map((l, j) => a - l * this.scale![j]!);
  }

  transform(x: MatrixLike): Matrix {
    const op = 'MinMaxScaler.transform';
    const m = toMatrix(x, op);
    const scale = checkFitted(this.scale, op);
    checkCols(scale.length, m.cols, op);
    const [a, b] = this.featureRange;
    const out = new Float64Array(m.data.length);
    for (let i = 0; i < m.data.length; i++) {
      const j = i % m.cols;
      let v = m.data[i]! * scale[j]! + this.min![j]!;
      if (this.clip) v = Math.min(b, Math.max(a, v));
      out[i] = v;
    }
    return { rows: m.rows, cols: m.cols, data: out };
  }

  fitTransform(x: MatrixLike): Matrix {
    return this.fit(x).transform(x);
  }

  inverseTransform(x: MatrixLike): Matrix {
    const op = 'MinMaxScaler.inverseTransform';
    const m = toMatrix(x, op);
    const scale = checkFitted(this.scale, op);
    checkCols(scale.length, m.cols, op);
    const out = new Float64Array(m.data.length);
    for (let i = 0; i < m.data.length; i++) {
      const j = i % m.cols;
      out[i] = (m.data[i]! - this.min![j]!) / scale[j]!;
    }
    return { rows: m.rows, cols: m.cols, data: out };
  }

  toJSON(): MinMaxScalerJSON {
    return {
      type: 'MinMaxScaler',
      featureRange: [...this.featureRange],
      clip: this.clip,
      dataMin: Array.from(checkFitted(this.dataMin, 'MinMaxScaler.toJSON')),
      dataMax: Array.from(this.dataMax!),
    };
  }

  static fromJSON(j: MinMaxScalerJSON): MinMaxScaler {
    check(
      j.type === 'MinMaxScaler',
      'MinMaxScaler.fromJSON',
      () => `expected type MinMaxScaler, got ${j.type}`,
    );
    const s = new MinMaxScaler({ featureRange: j.featureRange, clip: j.clip });
    s.setRange(Float64Array.from(j.dataMin), Float64Array.from(j.dataMax));
    return s;
  }
}
