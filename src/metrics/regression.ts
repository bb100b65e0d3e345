import { check } from '../core/errors.ts';
import { checkNonEmpty, checkSameLength, type MetricInput, readWeights, toVector } from './input.ts';
import { weightedSum } from './probabilistic.ts';

export interface RegressionOptions {
  sampleWeight?: MetricInput;
}

export interface RegressionInputs {
  t: Float64Array;
  p: Float64Array;
  w: Float64Array | undefined;
}

/** yTrue and yPred as equal-length vectors ([N,1] is accepted; multi-output is not supported). */
export function readRegression(
  yTrue: MetricInput,
  yPred: MetricInput,
  op: string,
  sampleWeight?: MetricInput,
): RegressionInputs {
  const t = toVector(yTrue, op, 'yTrue');
  const p = toVector(yPred, op, 'yPred');
  checkNonEmpty(t.length, op);
  checkSameLength(t.length, p.length, op, 'yTrue', 'yPred');
  return { t, p, w: readWeights(sampleWeight, t.length, op) };
}

function errors(r: RegressionInputs, f: (d: number) => number): Float64Array {
  const out = new Float64Array(r.t.length);
  for (let i = 0; i < out.length; i++) out[i] = f(r.t[i]! - r.p[i]!);
  return out;
}

/** sklearn.metrics.mean_absolute_error. */
export function meanAbsoluteError(
  yTrue: MetricInput,
  yPred: MetricInput,
  opts: RegressionOptions = {},
): number {
  const op = 'meanAbsoluteError';
  const r = readRegression(yTrue, yPred, op, opts.sampleWeight);
  return weightedSum(errors(r, Math.abs), r.w, true, op);
}

/** sklearn.metrics.mean_squared_error. */
export function meanSquaredError(
  yTrue: MetricInput,
  yPred: MetricInput,
  opts: RegressionOptions = {},
): number {
  const op = 'meanSquaredError';
  const r = readRegression(yTrue, yPred, op, opts.sampleWeight);
  return weightedSum(
    errors(r, (d) => d * d),
    r.w,
    true,
    op,
  );
}

/** sklearn.metrics.mean_squared_error(squared=False) (sklearn 1.4+: root_mean_squared_error). */
export function rootMeanSquaredError(
  yTrue: MetricInput,
  yPred: MetricInput,
  opts: RegressionOptions = {},
): number {
  const op = 'rootMeanSquaredError';
  const r = readRegression(yTrue, yPred, op, opts.sampleWeight);
  return Math.sqrt(
    weightedSum(
      errors(r, (d) => d * d),
      r.w,
      true,
      op,
    ),
  );
}

/**
 * sklearn's force_finite R^2 from its parts: a perfect fit is 1 even when yTrue is constant; an imperfect fit of a
 * constant yTrue is 0 rather than -Infinity.
 */
export function r2FromParts(ssRes: number, ssTot: number): number {
  if (ssRes === 0) return 1;
  if (ssTot === 0) return 0;
  return 1 - ssRes / ssTot;
}

/** sklearn.metrics.r2_score (force_finite=True). Fewer than two samples give NaN, as sklearn. */
export function r2Score(yTrue: MetricInput, yPred: MetricInput, opts: RegressionOptions = {}): number {
  const op = 'r2Score';
  const { t, p, w } = readRegression(yTrue, yPred, op, opts.sampleWeight);
  if (t.length < 2) return Number.NaN;
  let ws = 0;
  let sy = 0;
  for (let i = 0; i < t.length; i++) {
    const wi = w === undefined ? 1 : w[i]!;
    ws += wi;
    sy += wi * t[i]!;
  }
  check(ws > 0, op, () => 'sample weights sum to 0, so R^2 is undefined');
  const mean = sy / ws;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < t.length; i++) {
    const wi = w === undefined ? 1 : w[i]!;
    ssRes += wi * (t[i]! - p[i]!) ** 2;
    ssTot += wi * (t[i]! - mean) ** 2;
  }
  return r2FromParts(ssRes, ssTot);
}
