import { check, fail } from '../core/errors.ts';
import {
  checkNonEmpty,
  checkSameLength,
  type Matrix,
  type MetricInput,
  readWeights,
  toMatrix,
} from './input.ts';
import { trueLabels, uniqueLabels } from './labels.ts';

/** Scores for the positive class: a vector, [N,1], or [N,2] (column 1, the probability of the second class). */
export function binaryScores(m: Matrix, op: string): Float64Array {
  if (m.cols === 1) return m.data;
  check(m.cols === 2, op, () => `binary scores must be a vector, [N,1] or [N,2], got [${m.rows},${m.cols}]`);
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * 2 + 1]!;
  return out;
}

/** sklearn's _check_pos_label_consistency: without posLabel, labels must be {0,1} or {-1,1} (or a subset). */
function resolvePosLabel(yTrue: Float64Array, posLabel: number | undefined, op: string): number {
  if (posLabel !== undefined) return posLabel;
  const classes = uniqueLabels(yTrue);
  const ok = classes.every((c) => c === 0 || c === 1) || classes.every((c) => c === -1 || c === 1);
  check(
    ok,
    op,
    () =>
      `yTrue takes values {${classes.join(', ')}} and posLabel is not given: use labels {0, 1} or {-1, 1}, or pass posLabel`,
  );
  return 1;
}

export interface ClfCurve {
  fps: number[];
  tps: number[];
  thresholds: number[];
}

/**
 * sklearn's _binary_clf_curve: (weighted) false and true positives at each distinct score, highest score first.
 * Zero-weight samples are dropped first, as sklearn does, so they cannot add thresholds.
 */
export function binaryClfCurve(
  isPos: Uint8Array,
  score: Float64Array,
  w: Float64Array | undefined,
): ClfCurve {
  const idx: number[] = [];
  for (let i = 0; i < score.length; i++) if (w === undefined || w[i] !== 0) idx.push(i);
  idx.sort((a, b) => score[b]! - score[a]!);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    const wi = w === undefined ? 1 : w[i]!;
    if (isPos[i]) tp += wi;
    else fp += wi;
    // a threshold closes where the next score differs (ties are one threshold) and at the end
    if (j === idx.length - 1 || score[idx[j + 1]!] !== score[i]) {
      fps.push(fp);
      tps.push(tp);
      thresholds.push(score[i]!);
    }
  }
  return { fps, tps, thresholds };
}

interface BinaryInputs {
  isPos: Uint8Array;
  score: Float64Array;
  w: Float64Array | undefined;
}

function readBinary(
  yTrue: MetricInput,
  yScore: MetricInput,
  op: string,
  sampleWeight: MetricInput | undefined,
  posLabel: number | undefined,
): BinaryInputs {
  const t = trueLabels(toMatrix(yTrue, op, 'yTrue'), op);
  const score = binaryScores(toMatrix(yScore, op, 'yScore'), op);
  checkNonEmpty(t.length, op);
  checkSameLength(t.length, score.length, op, 'yTrue', 'yScore');
  const w = readWeights(sampleWeight, t.length, op);
  const pos = resolvePosLabel(t, posLabel, op);
  const isPos = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) isPos[i] = t[i] === pos ? 1 : 0;
  return { isPos, score, w };
}

export interface CurveOptions {
  posLabel?: number;
  sampleWeight?: MetricInput;
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** thresholds[0] is max score + 1 (sklearn 1.2), so the curve starts at (0, 0). */
  thresholds: number[];
}

function rocFromCurve(c: ClfCurve, dropIntermediate: boolean): RocCurve {
  let { fps, tps, thresholds } = c;
  if (dropIntermediate && fps.length > 2) {
    // keep corners only: a point is dropped when it is collinear with its neighbours (zero second difference)
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      const d2f = fps[i + 1]! - 2 * fps[i]! + fps[i - 1]!;
      const d2t = tps[i + 1]! - 2 * tps[i]! + tps[i - 1]!;
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = keep.map((i) => fps[i]!);
    tps = keep.map((i) => tps[i]!);
    thresholds = keep.map((i) => thresholds[i]!);
  }
  fps = [0, ...fps];
  tps = [0, ...tps];
  thresholds = [thresholds[0]! + 1, ...thresholds];
  const fLast = fps[fps.length - 1]!;
  const tLast = tps[tps.length - 1]!;
  // no negatives (or positives): the rate is 0/0, NaN as in sklearn
  const fpr = fps.map((v) => (fLast <= 0 ? Number.NaN : v / fLast));
  const tpr = tps.map((v) => (tLast <= 0 ? Number.NaN : v / tLast));
  return { fpr, tpr, thresholds };
}

/** sklearn.metrics.roc_curve (drop_intermediate defaults to true, as sklearn). */
export function rocCurve(
  yTrue: MetricInput,
  yScore: MetricInput,
  opts: CurveOptions & { dropIntermediate?: boolean } = {},
): RocCurve {
  const op = 'rocCurve';
  const b = readBinary(yTrue, yScore, op, opts.sampleWeight, opts.posLabel);
  return rocFromCurve(binaryClfCurve(b.isPos, b.score, b.w), opts.dropIntermediate ?? true);
}

/** sklearn.metrics.auc: trapezoidal area under a monotonic curve. */
export function auc(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const op = 'auc';
  checkSameLength(x.length, y.length, op, 'x', 'y');
  check(
    x.length >= 2,
    op,
    () => `at least 2 points are needed to compute an area under a curve, got ${x.length}`,
  );
  let direction = 1;
  let anyDown = false;
  let allDown = true;
  for (let i = 1; i < x.length; i++) {
    const d = x[i]! - x[i - 1]!;
    if (d < 0) anyDown = true;
    if (d > 0) allDown = false;
  }
  if (anyDown) {
    check(allDown, op, () => 'x is neither increasing nor decreasing');
    direction = -1;
  }
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return direction * area;
}

function binaryRocAuc(
  isPos: Uint8Array,
  score: Float64Array,
  w: Float64Array | undefined,
  op: string,
  what = 'yTrue',
): number {
  let pos = 0;
  for (let i = 0; i < isPos.length; i++) pos += isPos[i]!;
  if (pos === 0 || pos === isPos.length) {
    fail(
      op,
      `only one class present in ${what}; ROC AUC is not defined in that case (it needs both positive and negative samples)`,
    );
  }
  const r = rocFromCurve(binaryClfCurve(isPos, score, w), true);
  return auc(r.fpr, r.tpr);
}

export type RankAverage = 'macro' | 'weighted' | 'micro' | null;

export interface RocAucOptions {
  /** Multiclass (one-vs-rest) averaging; ignored for binary input. Default 'macro'. */
  average?: RankAverage;
  sampleWeight?: MetricInput;
  /** Multiclass: the class of each score column, sorted (default: the sorted labels of yTrue). */
  labels?: readonly number[];
}

interface OvrInputs {
  t: Float64Array;
  s: Matrix;
  w: Float64Array | undefined;
  classes: number[];
}

/** sklearn's _average_binary_score over one-vs-rest columns. */
function averageOvr(
  inp: OvrInputs,
  average: RankAverage,
  op: string,
  metric: (isPos: Uint8Array, score: Float64Array, w: Float64Array | undefined, what: string) => number,
): number | number[] {
  const { t, s, w, classes } = inp;
  const n = s.rows;
  const k = s.cols;
  if (average === 'micro') {
    const isPos = new Uint8Array(n * k);
    const ww = w === undefined ? undefined : new Float64Array(n * k);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < k; c++) {
        isPos[r * k + c] = t[r] === classes[c] ? 1 : 0;
        if (ww !== undefined) ww[r * k + c] = w![r]!;
      }
    }
    return metric(isPos, s.data, ww, 'the raveled one-vs-rest targets');
  }
  const scores: number[] = [];
  const weights: number[] = [];
  for (let c = 0; c < k; c++) {
    const isPos = new Uint8Array(n);
    const col = new Float64Array(n);
    let posWeight = 0;
    for (let r = 0; r < n; r++) {
      isPos[r] = t[r] === classes[c] ? 1 : 0;
      col[r] = s.data[r * k + c]!;
      if (isPos[r]) posWeight += w === undefined ? 1 : w[r]!;
    }
    scores.push(metric(isPos, col, w, `yTrue for class ${classes[c]} vs rest`));
    weights.push(posWeight);
  }
  if (average === null) return scores;
  if (average === 'macro') return scores.reduce((a, b) => a + b, 0) / k;
  check(
    average === 'weighted',
    op,
    () => `average must be 'macro', 'weighted', 'micro' or null, got ${String(average)}`,
  );
  const total = weights.reduce((a, b) => a + b, 0);
  if (Math.abs(total) <= 1e-8) return 0;
  let acc = 0;
  // classes with zero weight count as 0 so a NaN there cannot poison the average (sklearn)
  for (let c = 0; c < k; c++) acc += weights[c] === 0 ? 0 : scores[c]! * weights[c]!;
  return acc / total;
}

/**
 * sklearn.metrics.roc_auc_score. Binary: yScore is a vector, [N,1] or [N,2]; the positive class is the larger label.
 * Multiclass: yScore [N,C>2] of probabilities (rows summing to 1, as sklearn demands), one-vs-rest.
 */
export function rocAucScore(
  yTrue: MetricInput,
  yScore: MetricInput,
  opts: RocAucOptions = {},
): number | number[] {
  const op = 'rocAucScore';
  const t = trueLabels(toMatrix(yTrue, op, 'yTrue'), op);
  const s = toMatrix(yScore, op, 'yScore');
  checkNonEmpty(t.length, op);
  checkSameLength(t.length, s.rows, op, 'yTrue', 'yScore');
  const w = readWeights(opts.sampleWeight, t.length, op);
  const present = uniqueLabels(t);
  if (s.cols <= 2) {
    check(
      present.length <= 2,
      op,
      () =>
        `yTrue has ${present.length} classes but yScore has ${s.cols} column(s); multiclass ROC AUC needs scores [N,C] with one column per class`,
    );
    const score = binaryScores(s, op);
    const pos = present[present.length - 1]!;
    const isPos = new Uint8Array(t.length);
    for (let i = 0; i < t.length; i++) isPos[i] = t[i] === pos ? 1 : 0;
    if (present.length < 2)
      fail(
        op,
        'only one class present in yTrue; ROC AUC is not defined in that case (it needs both positive and negative samples)',
      );
    return binaryRocAuc(isPos, score, w, op);
  }
  for (let r = 0; r < s.rows; r++) {
    let sum = 0;
    for (let c = 0; c < s.cols; c++) sum += s.data[r * s.cols + c]!;
    // numpy.allclose(1, sum) tolerances
    if (!(Math.abs(sum - 1) <= 1e-8 + 1e-5)) {
      fail(
        op,
        `multiclass scores must be probabilities whose rows sum to 1 (row ${r} sums to ${sum}); apply softmax to logits first`,
      );
    }
  }
  let classes: number[];
  if (opts.labels !== undefined) {
    classes = [...opts.labels];
    check(
      classes.length === s.cols,
      op,
      () => `${classes.length} labels given but yScore has ${s.cols} columns`,
    );
    for (let i = 1; i < classes.length; i++)
      check(classes[i]! > classes[i - 1]!, op, () => "'labels' must be unique and sorted");
    for (const l of present)
      check(classes.includes(l), op, () => `yTrue holds label ${l}, which is not in 'labels'`);
  } else {
    classes = present;
    check(
      classes.length === s.cols,
      op,
      () =>
        `yTrue holds ${classes.length} classes (${classes.join(', ')}) but yScore has ${s.cols} columns; pass 'labels' to name each column`,
    );
  }
  const average = opts.average === undefined ? 'macro' : opts.average;
  return averageOvr({ t, s, w, classes }, average, op, (isPos, score, ww, what) =>
    binaryRocAuc(isPos, score, ww, op, what),
  );
}

export interface PrCurve {
  /** Decreasing-recall order; the last point is (recall 0, precision 1) with no threshold, as sklearn. */
  precision: number[];
  recall: number[];
  thresholds: number[];
}

function prFromCurve(c: ClfCurve): PrCurve {
  const n = c.tps.length;
  const tLast = c.tps[n - 1]!;
  const precision: number[] = [];
  const recall: number[] = [];
  const thresholds: number[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const ps = c.tps[i]! + c.fps[i]!;
    precision.push(ps !== 0 ? c.tps[i]! / ps : 0);
    // no positive sample at all: sklearn sets recall to 1 everywhere
    recall.push(tLast === 0 ? 1 : c.tps[i]! / tLast);
    thresholds.push(c.thresholds[i]!);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds };
}

/** sklearn.metrics.precision_recall_curve (1.2: every distinct threshold is kept). */
export function precisionRecallCurve(
  yTrue: MetricInput,
  probasPred: MetricInput,
  opts: CurveOptions = {},
): PrCurve {
  const op = 'precisionRecallCurve';
  const b = readBinary(yTrue, probasPred, op, opts.sampleWeight, opts.posLabel);
  return prFromCurve(binaryClfCurve(b.isPos, b.score, b.w));
}

function binaryAp(isPos: Uint8Array, score: Float64Array, w: Float64Array | undefined): number {
  const { precision, recall } = prFromCurve(binaryClfCurve(isPos, score, w));
  let s = 0;
  for (let i = 0; i + 1 < recall.length; i++) s -= (recall[i + 1]! - recall[i]!) * precision[i]!;
  return s;
}

export interface AveragePrecisionOptions {
  /** Multiclass (one-vs-rest over columns) averaging; default 'macro'. */
  average?: RankAverage;
  posLabel?: number;
  sampleWeight?: MetricInput;
}

/**
 * sklearn.metrics.average_precision_score. Binary: vector/[N,1]/[N,2] scores. Scores [N,C>2]: one-vs-rest per column,
 * column c being class c (what sklearn computes on label_binarize(yTrue, classes=range(C))).
 */
export function averagePrecisionScore(
  yTrue: MetricInput,
  yScore: MetricInput,
  opts: AveragePrecisionOptions = {},
): number | number[] {
  const op = 'averagePrecisionScore';
  const s = toMatrix(yScore, op, 'yScore');
  if (s.cols <= 2) {
    const t = trueLabels(toMatrix(yTrue, op, 'yTrue'), op);
    const present = uniqueLabels(t);
    const posLabel = opts.posLabel ?? 1;
    check(
      present.length <= 2,
      op,
      () =>
        `yTrue has ${present.length} classes but yScore has ${s.cols} column(s); multiclass average precision needs scores [N,C]`,
    );
    if (present.length === 2 && !present.includes(posLabel))
      fail(op, `posLabel=${posLabel} is not a valid label; it should be one of ${present.join(', ')}`);
    const b = readBinary(yTrue, yScore, op, opts.sampleWeight, posLabel);
    return binaryAp(b.isPos, b.score, b.w);
  }
  const t = trueLabels(toMatrix(yTrue, op, 'yTrue'), op);
  checkNonEmpty(t.length, op);
  checkSameLength(t.length, s.rows, op, 'yTrue', 'yScore');
  const w = readWeights(opts.sampleWeight, t.length, op);
  for (let i = 0; i < t.length; i++) {
    check(
      t[i]! >= 0 && t[i]! < s.cols,
      op,
      () => `yTrue label ${t[i]} at index ${i} is outside the ${s.cols} score columns`,
    );
  }
  const classes = Array.from({ length: s.cols }, (_, c) => c);
  const average = opts.average === undefined ? 'macro' : opts.average;
  return averageOvr({ t, s, w, classes }, average, op, (isPos, score, ww) => binaryAp(isPos, score, ww));
}
