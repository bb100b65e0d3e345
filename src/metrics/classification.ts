import { check, fail } from '../core/errors.ts';
import { type ConfusionCounts, countLabels, type LabelPredOptions } from './confusion.ts';
import {
  checkNonEmpty,
  checkSameLength,
  type MetricInput,
  readWeights,
  toMatrix,
  weightAt,
} from './input.ts';
import { trueLabels } from './labels.ts';

export interface AccuracyOptions extends LabelPredOptions {
  /** false: the (weighted) count of correct samples instead of the fraction (sklearn's `normalize`). */
  normalize?: boolean;
}

export function accuracyFromCounts(counts: ConfusionCounts, op: string, normalize = true): number {
  const correct = counts.correctWeight();
  if (!normalize) return correct;
  const total = counts.totalWeight();
  check(total > 0, op, () => 'sample weights sum to 0, so the accuracy is undefined');
  return correct / total;
}

/**
 * sklearn.metrics.accuracy_score. yPred may be labels, scores [N,C] (argmax) or, with `threshold`, binary scores.
 */
export function accuracyScore(yTrue: MetricInput, yPred: MetricInput, opts: AccuracyOptions = {}): number {
  const op = 'accuracyScore';
  return accuracyFromCounts(countLabels(yTrue, yPred, op, opts), op, opts.normalize);
}

/** 'binary' reports posLabel only; null gives one value per label. */
export type Average = 'binary' | 'micro' | 'macro' | 'weighted' | null;

export interface PrfOptions extends LabelPredOptions {
  average?: Average;
  /** Labels to score, in this order (default: every label in yTrue or yPred, sorted). */
  labels?: readonly number[];
  /** The positive class for average 'binary' (default 1). */
  posLabel?: number;
  /** Value used where a ratio is 0/0 (sklearn's zero_division; its default "warn" also gives 0, here silently). */
  zeroDivision?: 0 | 1;
}

export interface PrfResult {
  /** One value per entry of `labels` when average is null, else a single number. */
  precision: number | number[];
  recall: number | number[];
  fScore: number | number[];
  /** Weighted count of true samples per label (null when averaged, as sklearn). */
  support: number[] | null;
  labels: number[];
}

const AVERAGES: readonly Average[] = ['binary', 'micro', 'macro', 'weighted', null];

function divide(num: number, den: number, zeroDivision: number): number {
  return den === 0 ? zeroDivision : num / den;
}

function mean(v: readonly number[], w?: readonly number[]): number {
  let s = 0;
  let ws = 0;
  for (let i = 0; i < v.length; i++) {
    const wi = w === undefined ? 1 : w[i]!;
    s += v[i]! * wi;
    ws += wi;
  }
  return s / ws;
}

/** sklearn.metrics.precision_recall_fscore_support computed from confusion counts. */
export function prfFromCounts(
  counts: ConfusionCounts,
  op: string,
  beta: number,
  opts: PrfOptions,
): PrfResult {
  const average = opts.average === undefined ? 'binary' : opts.average;
  check(
    AVERAGES.includes(average),
    op,
    () => `average must be one of 'binary', 'micro', 'macro', 'weighted' or null, got ${String(average)}`,
  );
  check(beta >= 0, op, () => `beta must be >= 0, got ${beta}`);
  const zd = opts.zeroDivision ?? 0;
  check(zd === 0 || zd === 1, op, () => `zeroDivision must be 0 or 1, got ${String(zd)}`);
  const present = counts.labels();
  let labels = opts.labels === undefined ? present : [...opts.labels];
  if (average === 'binary') {
    const posLabel = opts.posLabel ?? 1;
    if (present.length > 2) {
      fail(
        op,
        `target is multiclass (labels ${present.join(', ')}) but average='binary'; choose average 'micro', 'macro', 'weighted' or null`,
      );
    }
    if (!present.includes(posLabel) && present.length >= 2) {
      fail(op, `posLabel=${posLabel} is not a valid label; it should be one of ${present.join(', ')}`);
    }
    labels = [posLabel];
  }
  check(labels.length > 0, op, () => "'labels' must not be empty");
  let tp = labels.map((l) => counts.count(l, l));
  let predSum = labels.map((l) => counts.predSum(l));
  let trueSum = labels.map((l) => counts.trueSum(l));
  const support = trueSum;
  if (average === 'micro') {
    tp = [tp.reduce((a, b) => a + b, 0)];
    predSum = [predSum.reduce((a, b) => a + b, 0)];
    trueSum = [trueSum.reduce((a, b) => a + b, 0)];
  }
  const precision = tp.map((t, i) => divide(t, predSum[i]!, zd));
  const recall = tp.map((t, i) => divide(t, trueSum[i]!, zd));
  const b2 = beta * beta;
  const fScore = precision.map((p, i) => {
    const r = recall[i]!;
    if (beta === Number.POSITIVE_INFINITY) return r;
    const den = b2 * p + r;
    // sklearn replaces a zero denominator by 1, so F is 0 whenever precision and recall are both 0
    return ((1 + b2) * p * r) / (den === 0 ? 1 : den);
  });
  if (average === null) return { precision, recall, fScore, support, labels };
  let weights: number[] | undefined;
  if (average === 'weighted') {
    weights = trueSum;
    if (weights.reduce((a, b) => a + b, 0) === 0) {
      // sklearn: no true samples of any scored label; precision/F are zeroDivision only if nothing was predicted either
      const anyPred = predSum.reduce((a, b) => a + b, 0) !== 0;
      return { precision: anyPred ? 0 : zd, recall: zd, fScore: anyPred ? 0 : zd, support: null, labels };
    }
  }
  return {
    precision: mean(precision, weights),
    recall: mean(recall, weights),
    fScore: mean(fScore, weights),
    support: null,
    labels,
  };
}

export interface FbetaOptions extends PrfOptions {
  beta?: number;
}

/** sklearn.metrics.precision_recall_fscore_support (default average null: one value per label). */
export function precisionRecallFscoreSupport(
  yTrue: MetricInput,
  yPred: MetricInput,
  opts: FbetaOptions = {},
): PrfResult {
  const op = 'precisionRecallFscoreSupport';
  return prfFromCounts(countLabels(yTrue, yPred, op, opts), op, opts.beta ?? 1, {
    ...opts,
    average: opts.average === undefined ? null : opts.average,
  });
}

function prfMetric(op: string, pick: 'precision' | 'recall' | 'fScore', beta: number) {
  return (yTrue: MetricInput, yPred: MetricInput, opts: PrfOptions = {}): number | number[] =>
    prfFromCounts(countLabels(yTrue, yPred, op, opts), op, beta, opts)[pick];
}

/** sklearn.metrics.precision_score (default average 'binary'; null -> per label). */
export const precisionScore = prfMetric('precisionScore', 'precision', 1);
/** sklearn.metrics.recall_score (default average 'binary'; null -> per label). */
export const recallScore = prfMetric('recallScore', 'recall', 1);
/** sklearn.metrics.f1_score (default average 'binary'; null -> per label). */
export const f1Score = prfMetric('f1Score', 'fScore', 1);

/** sklearn.metrics.fbeta_score. */
export function fbetaScore(
  yTrue: MetricInput,
  yPred: MetricInput,
  beta: number,
  opts: PrfOptions = {},
): number | number[] {
  const op = 'fbetaScore';
  return prfFromCounts(countLabels(yTrue, yPred, op, opts), op, beta, opts).fScore;
}

export interface TopKOptions {
  k?: number;
  sampleWeight?: MetricInput;
  normalize?: boolean;
}

/**
 * Weighted hits for top-k accuracy over scores [N,C] (column = class index). Ties follow sklearn, which sorts with a
 * stable ascending sort and reverses: among equal scores the higher class index ranks first.
 */
export function topKHits(
  yTrue: MetricInput,
  yScore: MetricInput,
  k: number,
  op: string,
  sampleWeight?: MetricInput,
): { hits: number; total: number } {
  check(Number.isInteger(k) && k >= 1, op, () => `k must be a positive integer, got ${k}`);
  const s = toMatrix(yScore, op, 'yScore');
  check(
    s.ndim === 2 && s.cols >= 2,
    op,
    () => `yScore must be scores of shape [N,C] with C >= 2, got [${s.rows},${s.cols}]`,
  );
  const t = trueLabels(toMatrix(yTrue, op, 'yTrue'), op);
  checkNonEmpty(t.length, op);
  checkSameLength(t.length, s.rows, op, 'yTrue', 'yScore');
  const w = readWeights(sampleWeight, t.length, op);
  let hits = 0;
  let total = 0;
  for (let r = 0; r < s.rows; r++) {
    const label = t[r]!;
    check(
      label >= 0 && label < s.cols,
      op,
      () => `yTrue label ${label} at index ${r} is outside the ${s.cols} score columns`,
    );
    const own = s.data[r * s.cols + label]!;
    let ahead = 0;
    for (let c = 0; c < s.cols; c++) {
      const v = s.data[r * s.cols + c]!;
      if (v > own || (v === own && c > label)) ahead++;
    }
    const wi = weightAt(w, r);
    if (ahead < k) hits += wi;
    total += wi;
  }
  return { hits, total };
}

/** sklearn.metrics.top_k_accuracy_score with labels = column indices 0..C-1. */
export function topKAccuracyScore(yTrue: MetricInput, yScore: MetricInput, opts: TopKOptions = {}): number {
  const op = 'topKAccuracyScore';
  const { hits, total } = topKHits(yTrue, yScore, opts.k ?? 2, op, opts.sampleWeight);
  if (opts.normalize === false) return hits;
  check(total > 0, op, () => 'sample weights sum to 0, so the accuracy is undefined');
  return hits / total;
}
