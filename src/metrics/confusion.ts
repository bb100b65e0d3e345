import { check } from '../core/errors.ts';
import {
  checkNonEmpty,
  checkSameLength,
  type MetricInput,
  readWeights,
  toMatrix,
  weightAt,
} from './input.ts';
import { predictedLabels, trueLabels } from './labels.ts';

/**
 * Weighted (true label, predicted label) counts over any integer labels, grown as new labels appear. Every
 * label-based classification metric (accuracy, precision, recall, F-beta, confusion matrix) is a function of
 * these counts, so the streaming metrics and the plain functions share one computation and agree exactly.
 */
export class ConfusionCounts {
  private readonly index = new Map<number, number>();
  private readonly cells: number[][] = [];
  private readonly trueSeen = new Set<number>();
  /** Number of samples seen (unweighted). */
  samples = 0;

  private slot(label: number): number {
    let i = this.index.get(label);
    if (i === undefined) {
      i = this.index.size;
      this.index.set(label, i);
      for (const row of this.cells) row.push(0);
      this.cells.push(new Array<number>(i + 1).fill(0));
    }
    return i;
  }

  add(yTrue: Float64Array, yPred: Float64Array, w?: Float64Array): void {
    for (let i = 0; i < yTrue.length; i++) {
      const t = this.slot(yTrue[i]!);
      this.trueSeen.add(yTrue[i]!);
      const p = this.slot(yPred[i]!);
      this.cells[t]![p]! += weightAt(w, i);
    }
    this.samples += yTrue.length;
  }

  /** Sorted labels seen in either yTrue or yPred. */
  labels(): number[] {
    return [...this.index.keys()].sort((a, b) => a - b);
  }

  /** Whether `label` occurred in yTrue (whatever its weight). */
  inTrue(label: number): boolean {
    return this.trueSeen.has(label);
  }

  count(trueLabel: number, predLabel: number): number {
    const t = this.index.get(trueLabel);
    const p = this.index.get(predLabel);
    return t === undefined || p === undefined ? 0 : this.cells[t]![p]!;
  }

  /** Weighted number of samples whose true label is `label` (the class's support). */
  trueSum(label: number): number {
    const t = this.index.get(label);
    if (t === undefined) return 0;
    let s = 0;
    for (const v of this.cells[t]!) s += v;
    return s;
  }

  /** Weighted number of samples predicted as `label`. */
  predSum(label: number): number {
    const p = this.index.get(label);
    if (p === undefined) return 0;
    let s = 0;
    for (const row of this.cells) s += row[p]!;
    return s;
  }

  totalWeight(): number {
    let s = 0;
    for (const row of this.cells) for (const v of row) s += v;
    return s;
  }

  correctWeight(): number {
    let s = 0;
    for (let i = 0; i < this.cells.length; i++) s += this.cells[i]![i]!;
    return s;
  }

  /** The matrix restricted to `labels` (rows = true, columns = predicted), sklearn's layout. */
  matrix(labels: readonly number[]): number[][] {
    return labels.map((t) => labels.map((p) => this.count(t, p)));
  }

  clear(): void {
    this.index.clear();
    this.cells.length = 0;
    this.trueSeen.clear();
    this.samples = 0;
  }
}

export interface LabelPredOptions {
  sampleWeight?: MetricInput;
  /** Scores in a vector or [N,1] become `score > threshold ? 1 : 0`; without it yPred must hold labels. */
  threshold?: number;
  /** Without a threshold, read a vector holding non-integers as scores at 0.5 (what the streaming metrics do). */
  autoThreshold?: boolean;
}

/** Validates yTrue / yPred / sampleWeight and counts them: the shared front half of every label metric. */
export function countLabels(
  yTrue: MetricInput,
  yPred: MetricInput,
  op: string,
  opts: LabelPredOptions = {},
  into = new ConfusionCounts(),
): ConfusionCounts {
  const t = trueLabels(toMatrix(yTrue, op, 'yTrue'), op);
  const p = predictedLabels(toMatrix(yPred, op, 'yPred'), op, opts.threshold, opts.autoThreshold);
  checkNonEmpty(t.length, op);
  checkSameLength(t.length, p.length, op, 'yTrue', 'yPred');
  const w = readWeights(opts.sampleWeight, t.length, op);
  into.add(t, p, w);
  return into;
}

export type Normalize = 'true' | 'pred' | 'all';

export interface ConfusionMatrixOptions extends LabelPredOptions {
  /** Rows/columns to report, in this order; samples whose label is not listed are left out (sklearn). */
  labels?: readonly number[];
  normalize?: Normalize;
}

/** Build the (optionally normalised) matrix from counts; a row or column summing to 0 normalises to 0s, as sklearn. */
export function confusionFromCounts(
  counts: ConfusionCounts,
  op: string,
  labels?: readonly number[],
  normalize?: Normalize,
): { labels: number[]; matrix: number[][] } {
  const ls = labels === undefined ? counts.labels() : [...labels];
  if (labels !== undefined) {
    check(ls.length > 0, op, () => "'labels' must not be empty");
    check(new Set(ls).size === ls.length, op, () => `'labels' must be unique, got [${ls.join(', ')}]`);
    const present = ls.some((l) => counts.inTrue(l));
    check(present, op, () => `at least one of labels [${ls.join(', ')}] must occur in yTrue`);
  }
  const m = counts.matrix(ls);
  if (normalize === undefined) return { labels: ls, matrix: m };
  const k = ls.length;
  const out = m.map((row) => row.slice());
  if (normalize === 'true') {
    for (let i = 0; i < k; i++) {
      const s = m[i]!.reduce((a, b) => a + b, 0);
      for (let j = 0; j < k; j++) out[i]![j] = s === 0 ? 0 : m[i]![j]! / s;
    }
  } else if (normalize === 'pred') {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += m[i]![j]!;
      for (let i = 0; i < k; i++) out[i]![j] = s === 0 ? 0 : m[i]![j]! / s;
    }
  } else if (normalize === 'all') {
    let s = 0;
    for (const row of m) for (const v of row) s += v;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[i]![j] = s === 0 ? 0 : m[i]![j]! / s;
  } else {
    check(false, op, () => `normalize must be 'true', 'pred' or 'all', got ${String(normalize)}`);
  }
  return { labels: ls, matrix: out };
}

/** sklearn.metrics.confusion_matrix: C[i][j] = (weighted) number of samples of true class i predicted as j. */
export function confusionMatrix(
  yTrue: MetricInput,
  yPred: MetricInput,
  opts: ConfusionMatrixOptions = {},
): number[][] {
  const op = 'confusionMatrix';
  return confusionFromCounts(countLabels(yTrue, yPred, op, opts), op, opts.labels, opts.normalize).matrix;
}
