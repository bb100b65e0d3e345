import { check, fail } from '../core/errors.ts';
import {
  accuracyScore,
  averagePrecisionScore,
  confusionMatrix,
  f1Score,
  logLoss,
  type MetricInput,
  meanAbsoluteError,
  meanSquaredError,
  precisionRecallCurve,
  precisionRecallFscoreSupport,
  precisionScore,
  r2Score,
  recallScore,
  rocAucScore,
  rocCurve,
  rootMeanSquaredError,
  topKAccuracyScore,
} from '../metrics/index.ts';
import { checkNonEmpty, toMatrix, toVector } from '../metrics/input.ts';
import { argmaxRows, trueLabels } from '../metrics/labels.ts';

export type ReportTask = 'binary' | 'multiclass' | 'regression';

export interface ClassCurve {
  label: number;
  name: string;
  x: number[];
  y: number[];
  /** The area summarising the curve: ROC AUC or average precision. */
  area: number;
}

export interface PerClassRow {
  label: number;
  name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  rocAuc?: number;
  averagePrecision?: number;
}

export interface ReportMetrics {
  task: ReportTask;
  samples: number;
  /** Scalar metrics, named as in sklearn (snake_case keys, e.g. 'f1_macro'). */
  metrics: Record<string, number>;
  perClass?: PerClassRow[];
  confusion?: { labels: number[]; names: string[]; matrix: number[][] };
  roc?: ClassCurve[];
  pr?: ClassCurve[];
  /** Multiclass: micro-average (every class's one-vs-rest decisions pooled) and macro-average ROC curves. */
  rocAverage?: ClassCurve[];
  /** Multiclass: the micro-average precision-recall curve. */
  prAverage?: ClassCurve[];
  regression?: { yTrue: number[]; yPred: number[] };
  /** Classification: each row's true and predicted label and, with scores, the predicted label's score. */
  predictions?: { yTrue: number[]; yPred: number[]; confidence?: number[] };
  /** Why something is missing (e.g. no scores, so no ROC curve). */
  notes: string[];
}

export interface ComputeOptions {
  task: ReportTask;
  yTrue: MetricInput;
  yPred?: MetricInput;
  scores?: MetricInput;
  classNames?: readonly string[];
  threshold?: number;
}

const OP = 'writeReport';

function nameOf(classNames: readonly string[] | undefined, label: number): string {
  return classNames?.[label] ?? String(label);
}

/** Probability of the positive class from binary scores: a vector, [N,1] or [N,2]. */
function positiveScores(scores: MetricInput): Float64Array {
  const m = toMatrix(scores, OP, 'scores');
  if (m.cols === 1) return m.data;
  check(m.cols === 2, OP, () => `binary scores must be a vector, [N,1] or [N,2], got [${m.rows},${m.cols}]`);
  return Float64Array.from({ length: m.rows }, (_, i) => m.data[i * 2 + 1]!);
}

function isProbabilityMatrix(data: Float64Array, cols: number): boolean {
  for (let r = 0; r * cols < data.length; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c]!;
      if (v < 0 || v > 1) return false;
      s += v;
    }
    if (cols > 1 && Math.abs(s - 1) > 1e-5) return false;
  }
  return true;
}

function classification(o: ComputeOptions): ReportMetrics {
  const notes: string[] = [];
  const t = trueLabels(toMatrix(o.yTrue, OP, 'yTrue'), OP);
  checkNonEmpty(t.length, OP);
  const metrics: Record<string, number> = {};
  let yPred: Float64Array;
  const scoreM = o.scores === undefined ? undefined : toMatrix(o.scores, OP, 'scores');
  if (o.yPred !== undefined) yPred = toVector(o.yPred, OP, 'yPred');
  else if (scoreM !== undefined) {
    if (o.task === 'binary') {
      const thr = o.threshold ?? 0.5;
      yPred = positiveScores(o.scores!).map((v) => (v > thr ? 1 : 0));
      notes.push(`Predicted labels are scores > ${thr}.`);
    } else yPred = argmaxRows(scoreM);
  } else return fail(OP, `task '${o.task}' needs yPred (labels) or scores (probabilities)`);
  const binary = o.task === 'binary';
  metrics.accuracy = accuracyScore(t, yPred);
  const cm = confusionMatrix(t, yPred);
  const prf = precisionRecallFscoreSupport(t, yPred);
  const labels = prf.labels;
  if (binary) {
    for (const l of labels) check(l === 0 || l === 1, OP, () => `binary task needs labels 0 and 1, got ${l}`);
    metrics.precision = precisionScore(t, yPred) as number;
    metrics.recall = recallScore(t, yPred) as number;
    metrics.f1 = f1Score(t, yPred) as number;
  }
  for (const avg of ['macro', 'micro', 'weighted'] as const) {
    metrics[`precision_${avg}`] = precisionScore(t, yPred, { average: avg }) as number;
    metrics[`recall_${avg}`] = recallScore(t, yPred, { average: avg }) as number;
    metrics[`f1_${avg}`] = f1Score(t, yPred, { average: avg }) as number;
  }
  const perClass: PerClassRow[] = labels.map((label, i) => ({
    label,
    name: nameOf(o.classNames, label),
    precision: (prf.precision as number[])[i]!,
    recall: (prf.recall as number[])[i]!,
    f1: (prf.fScore as number[])[i]!,
    support: prf.support![i]!,
  }));
  const out: ReportMetrics = {
    task: o.task,
    samples: t.length,
    metrics,
    perClass,
    confusion: { labels, names: labels.map((l) => nameOf(o.classNames, l)), matrix: cm },
    predictions: { yTrue: Array.from(t), yPred: Array.from(yPred) },
    notes,
  };
  if (scoreM === undefined) {
    notes.push(
      'No scores were given, so ROC and precision-recall curves, AUC and log loss are not reported.',
    );
    return out;
  }
  check(
    scoreM.rows === t.length,
    OP,
    () => `scores has ${scoreM.rows} rows but yTrue has ${t.length} samples`,
  );
  out.predictions!.confidence = out.predictions!.yPred.map((p, r) =>
    scoreM.cols === 1 ? (p === 1 ? scoreM.data[r]! : 1 - scoreM.data[r]!) : scoreM.data[r * scoreM.cols + p]!,
  );
  if (binary) {
    const s = positiveScores(o.scores!);
    const present = new Set(t);
    if (present.size < 2) {
      notes.push('Only one class is present in yTrue, so ROC AUC and the ROC curve are undefined.');
    } else {
      metrics.roc_auc = rocAucScore(t, s) as number;
      const r = rocCurve(t, s);
      out.roc = [{ label: 1, name: nameOf(o.classNames, 1), x: r.fpr, y: r.tpr, area: metrics.roc_auc }];
    }
    metrics.average_precision = averagePrecisionScore(t, s) as number;
    const p = precisionRecallCurve(t, s);
    out.pr = [
      {
        label: 1,
        name: nameOf(o.classNames, 1),
        x: p.recall,
        y: p.precision,
        area: metrics.average_precision,
      },
    ];
    if (isProbabilityMatrix(s, 1)) metrics.log_loss = logLoss(t, s);
    return out;
  }
  const k = scoreM.cols;
  check(k >= 2, OP, () => `multiclass scores must be [N,C] with C >= 2, got [${scoreM.rows},${k}]`);
  for (const l of labels)
    check(Number.isInteger(l) && l >= 0 && l < k, OP, () => `label ${l} has no column in scores [N,${k}]`);
  if (k > 2) metrics.top_2_accuracy = topKAccuracyScore(t, o.scores!, { k: 2 });
  const probs = isProbabilityMatrix(scoreM.data, k);
  if (!probs)
    notes.push(
      'Scores are not probabilities (rows must sum to 1): ROC AUC and log loss are skipped; apply softmax first.',
    );
  else metrics.log_loss = logLoss(t, o.scores!);
  const ap = averagePrecisionScore(t, o.scores!, { average: null }) as number[];
  metrics.average_precision_macro = ap.reduce((a, b) => a + b, 0) / ap.length;
  out.roc = [];
  out.pr = [];
  const rocPerClass: (number | undefined)[] = [];
  for (let c = 0; c < k; c++) {
    const isPos = Array.from(t, (v) => (v === c ? 1 : 0));
    const col = Array.from({ length: t.length }, (_, r) => scoreM.data[r * k + c]!);
    const positives = isPos.reduce((a: number, b) => a + b, 0);
    const p = precisionRecallCurve(isPos, col);
    out.pr.push({ label: c, name: nameOf(o.classNames, c), x: p.recall, y: p.precision, area: ap[c]! });
    if (positives > 0 && positives < t.length) {
      const r = rocCurve(isPos, col);
      const a = rocAucScore(isPos, col) as number;
      rocPerClass[c] = a;
      out.roc.push({ label: c, name: nameOf(o.classNames, c), x: r.fpr, y: r.tpr, area: a });
    } else
      notes.push(
        `Class ${nameOf(o.classNames, c)} has ${positives === 0 ? 'no' : 'only'} samples in yTrue: no ROC curve for it.`,
      );
  }
  const present = new Set(t);
  if (probs && present.size === k) {
    metrics.roc_auc_ovr_macro = rocAucScore(t, o.scores!, { average: 'macro' }) as number;
    metrics.roc_auc_ovr_weighted = rocAucScore(t, o.scores!, { average: 'weighted' }) as number;
  } else if (probs)
    notes.push(
      `yTrue holds ${present.size} of the ${k} classes, so the one-vs-rest ROC AUC averages are undefined.`,
    );
  if (probs && present.size === k) averageCurves(out, t, scoreM.data, k);
  for (const row of perClass) {
    if (rocPerClass[row.label] !== undefined) row.rocAuc = rocPerClass[row.label];
    row.averagePrecision = ap[row.label];
  }
  return out;
}

/** np.interp: y at `at` on the polyline (xs ascending, ties allowed), constant past the ends. */
function interp(at: number, xs: readonly number[], ys: readonly number[]): number {
  if (at <= xs[0]!) return ys[0]!;
  let lo = 0;
  let hi = xs.length - 1;
  if (at >= xs[hi]!) return ys[hi]!;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= at) lo = mid;
    else hi = mid;
  }
  const span = xs[hi]! - xs[lo]!;
  return span === 0 ? ys[hi]! : ys[lo]! + ((ys[hi]! - ys[lo]!) * (at - xs[lo]!)) / span;
}

function trapezoid(x: readonly number[], y: readonly number[]): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) a += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return a;
}

/**
 * The averages sklearn's multiclass ROC example draws: micro pools all N*C one-vs-rest decisions into one curve;
 * macro averages the per-class TPR on the union of their FPR points. Micro PR likewise (with its AP).
 */
function averageCurves(out: ReportMetrics, t: ArrayLike<number>, scores: ArrayLike<number>, k: number): void {
  const n = t.length;
  const flatPos = new Array<number>(n * k);
  const flatScore = new Array<number>(n * k);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < k; c++) {
      flatPos[r * k + c] = t[r] === c ? 1 : 0;
      flatScore[r * k + c] = scores[r * k + c]!;
    }
  const micro = rocCurve(flatPos, flatScore);
  const microAuc = rocAucScore(flatPos, flatScore) as number;
  out.metrics.roc_auc_ovr_micro = microAuc;
  const grid = [...new Set((out.roc ?? []).flatMap((c) => c.x))].sort((a, b) => a - b);
  const meanTpr = grid.map(
    (f) => (out.roc ?? []).reduce((acc, c) => acc + interp(f, c.x, c.y), 0) / (out.roc ?? []).length,
  );
  out.rocAverage = [
    { label: -1, name: 'micro-average', x: micro.fpr, y: micro.tpr, area: microAuc },
    { label: -2, name: 'macro-average', x: grid, y: meanTpr, area: trapezoid(grid, meanTpr) },
  ];
  const p = precisionRecallCurve(flatPos, flatScore);
  const microAp = averagePrecisionScore(flatPos, flatScore) as number;
  out.metrics.average_precision_micro = microAp;
  out.prAverage = [{ label: -1, name: 'micro-average', x: p.recall, y: p.precision, area: microAp }];
}

function regression(o: ComputeOptions): ReportMetrics {
  check(o.yPred !== undefined, OP, () => "task 'regression' needs yPred (the predicted values)");
  const t = toVector(o.yTrue, OP, 'yTrue');
  const p = toVector(o.yPred, OP, 'yPred');
  checkNonEmpty(t.length, OP);
  const metrics: Record<string, number> = {
    mae: meanAbsoluteError(t, p),
    mse: meanSquaredError(t, p),
    rmse: rootMeanSquaredError(t, p),
    r2: r2Score(t, p),
  };
  return {
    task: 'regression',
    samples: t.length,
    metrics,
    regression: { yTrue: [...t], yPred: [...p] },
    notes: [],
  };
}

/** Every metric of the report, computed with the same functions users call (so report.json matches sklearn). */
export function computeReportMetrics(o: ComputeOptions): ReportMetrics {
  if (o.task === 'regression') return regression(o);
  if (o.task === 'binary' || o.task === 'multiclass') return classification(o);
  return fail(OP, `task must be 'binary', 'multiclass' or 'regression', got ${String(o.task)}`);
}
