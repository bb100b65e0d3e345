import { check, fail } from '../core/errors.ts';
import { checkNonEmpty, checkSameLength, type MetricInput, readWeights, toMatrix } from './input.ts';
import { trueLabels } from './labels.ts';

export interface LogLossOptions {
  /** Clip probabilities to [eps, 1-eps]; 'auto' (default) is the machine epsilon of the input (float32 or float64), as sklearn. */
  eps?: number | 'auto';
  /** false: the weighted sum of per-sample losses instead of their mean. */
  normalize?: boolean;
  sampleWeight?: MetricInput;
  /** The class of each probability column, sorted (default 0..C-1; a vector of P(class 1) means classes [0, 1]). */
  labels?: readonly number[];
}

const F32_EPS = 2 ** -23;

/**
 * Per-sample cross-entropy -log p[true class] after sklearn's clipping and row renormalisation; the shared core of
 * logLoss and the streaming LogLoss metric.
 */
export function logLossTerms(
  yTrue: MetricInput,
  yPred: MetricInput,
  op: string,
  opts: LogLossOptions = {},
): { loss: Float64Array; w: Float64Array | undefined } {
  const p = toMatrix(yPred, op, 'yPred');
  const t = trueLabels(toMatrix(yTrue, op, 'yTrue'), op);
  checkNonEmpty(t.length, op);
  checkSameLength(t.length, p.rows, op, 'yTrue', 'yPred');
  const w = readWeights(opts.sampleWeight, t.length, op);
  const k = p.cols === 1 ? 2 : p.cols;
  const labels = opts.labels === undefined ? Array.from({ length: k }, (_, i) => i) : [...opts.labels];
  check(labels.length >= 2, op, () => `log loss needs at least two labels, got [${labels.join(', ')}]`);
  check(labels.length === k, op, () => `${labels.length} labels given but yPred describes ${k} classes`);
  const col = new Map<number, number>(labels.map((l, i) => [l, i]));
  const eps =
    opts.eps === undefined || opts.eps === 'auto' ? (p.wasFloat32 ? F32_EPS : Number.EPSILON) : opts.eps;
  check(eps >= 0 && eps < 0.5, op, () => `eps must be in [0, 0.5), got ${eps}`);
  const clip = (v: number) => Math.min(Math.max(v, eps), 1 - eps);
  const loss = new Float64Array(t.length);
  const row = new Float64Array(k);
  for (let r = 0; r < t.length; r++) {
    const c = col.get(t[r]!);
    if (c === undefined)
      fail(op, `yTrue label ${t[r]} at index ${r} is not one of the classes [${labels.join(', ')}]`);
    if (p.cols === 1) {
      const q = clip(p.data[r]!);
      row[0] = 1 - q;
      row[1] = q;
    } else {
      for (let j = 0; j < k; j++) row[j] = clip(p.data[r * k + j]!);
    }
    let sum = 0;
    for (let j = 0; j < k; j++) sum += row[j]!;
    loss[r] = -Math.log(row[c]! / sum);
  }
  return { loss, w };
}

export function weightedSum(
  v: Float64Array,
  w: Float64Array | undefined,
  normalize: boolean,
  op: string,
): number {
  let s = 0;
  let ws = 0;
  for (let i = 0; i < v.length; i++) {
    const wi = w === undefined ? 1 : w[i]!;
    s += v[i]! * wi;
    ws += wi;
  }
  if (!normalize) return s;
  check(ws > 0, op, () => 'sample weights sum to 0, so the mean is undefined');
  return s / ws;
}

/** sklearn.metrics.log_loss with labels = column indices (probabilities, not logits). */
export function logLoss(yTrue: MetricInput, yPred: MetricInput, opts: LogLossOptions = {}): number {
  const op = 'logLoss';
  const { loss, w } = logLossTerms(yTrue, yPred, op, opts);
  return weightedSum(loss, w, opts.normalize ?? true, op);
}
