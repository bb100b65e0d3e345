import { check, fail } from '../core/errors.ts';
import type { Matrix } from './input.ts';

/** Index of the largest value in each row; the first wins on ties, like numpy's argmax. */
export function argmaxRows(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let best = 0;
    let bestV = m.data[r * m.cols]!;
    for (let c = 1; c < m.cols; c++) {
      const v = m.data[r * m.cols + c]!;
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

function checkIntegers(v: Float64Array, op: string, arg: string, hint: string): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isInteger(v[i]))
      fail(op, `${arg} must hold integer class labels, got ${v[i]} at index ${i}${hint}`);
  }
}

/**
 * True labels: a vector (or [N,1]) of integer class labels, or one-hot rows [N,C] (read as the hot column's index).
 */
export function trueLabels(m: Matrix, op: string): Float64Array {
  if (m.cols === 1) {
    checkIntegers(m.data, op, 'yTrue', '');
    return m.data;
  }
  for (let r = 0; r < m.rows; r++) {
    let ones = 0;
    for (let c = 0; c < m.cols; c++) {
      const v = m.data[r * m.cols + c]!;
      check(
        v === 0 || v === 1,
        op,
        () => `yTrue of shape [${m.rows},${m.cols}] must be one-hot rows, got ${v} at row ${r}, column ${c}`,
      );
      ones += v;
    }
    check(
      ones === 1,
      op,
      () => `yTrue of shape [${m.rows},${m.cols}] must be one-hot rows, row ${r} has ${ones} ones`,
    );
  }
  return argmaxRows(m);
}

/**
 * Predicted labels from what a model or user gives: scores [N,C] with C >= 2 -> argmax column; a vector or [N,1]
 * with a threshold -> `score > threshold` as 0/1 (Keras' BinaryAccuracy rule); a vector without one -> integer labels.
 * `autoThreshold` (streaming metrics inside fit): a vector holding any non-integer is read as scores at 0.5.
 */
export function predictedLabels(
  m: Matrix,
  op: string,
  threshold?: number,
  autoThreshold = false,
): Float64Array {
  if (m.cols >= 2) return argmaxRows(m);
  if (threshold === undefined && autoThreshold && !m.data.every(Number.isInteger)) threshold = 0.5;
  if (threshold !== undefined) {
    const out = new Float64Array(m.rows);
    for (let i = 0; i < m.rows; i++) out[i] = m.data[i]! > threshold ? 1 : 0;
    return out;
  }
  checkIntegers(m.data, op, 'yPred', '; pass labels, or scores with a threshold, e.g. { threshold: 0.5 }');
  return m.data;
}

/** Sorted distinct values of the given label vectors (sklearn's unique_labels). */
export function uniqueLabels(...vs: Float64Array[]): number[] {
  const s = new Set<number>();
  for (const v of vs) for (let i = 0; i < v.length; i++) s.add(v[i]!);
  return [...s].sort((a, b) => a - b);
}
