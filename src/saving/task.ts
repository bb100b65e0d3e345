/**
 * What the loss says about targets and outputs: the dtype/shape of y the loss wants, and how raw model outputs
 * become probabilities (logits -> sigmoid/softmax; log-probabilities -> exp; probabilities as they are).
 */
import { tensor } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type LossSpec, resolveLoss } from '../train/losses.ts';

/** What a saved model predicts: class labels or values. */
export type Task = 'classification' | 'regression';
/** A loss as a run config names it: a name or `{ name, ...options }`. */
export type LossConfig = string | { name: string; [option: string]: unknown };

/** index: int32 [N] class ids; float: float32 [N, 1] (0/1 or values); onehot: float32 [N, C]. */
export type TargetKind = 'index' | 'float' | 'onehot';
export type OutputTransform = 'sigmoid' | 'softmax' | 'exp' | 'none';

function key(name: string): string {
  return name.replace(/[^a-z0-9]/gi, '').toLowerCase();
}

const FLOAT_TARGET = new Set([
  'mse',
  'meansquarederror',
  'mseloss',
  'mae',
  'meanabsoluteerror',
  'l1',
  'l1loss',
  'huber',
  'huberloss',
  'smoothl1',
  'bce',
  'bcewithlogits',
  'binarycrossentropy',
  'binarycrossentropywithlogits',
]);

const REGRESSION = new Set([
  'mse',
  'meansquarederror',
  'mseloss',
  'mae',
  'meanabsoluteerror',
  'l1',
  'l1loss',
  'huber',
  'huberloss',
  'smoothl1',
]);

export function lossName(loss: LossConfig): string {
  return typeof loss === 'string' ? loss : loss.name;
}

export function targetKind(loss: LossConfig): TargetKind {
  const k = key(lossName(loss));
  if (FLOAT_TARGET.has(k)) return 'float';
  if (k === 'categoricalcrossentropy') return 'onehot';
  return 'index';
}

export function isRegressionLoss(loss: LossConfig): boolean {
  return REGRESSION.has(key(lossName(loss)));
}

export function outputTransform(loss: LossConfig): OutputTransform {
  const name = lossName(loss);
  if (key(name) === 'nll' || key(name) === 'nllloss') return 'exp';
  const resolved = resolveLoss(loss as LossSpec);
  return resolved.outputActivation ?? 'none';
}

/** Targets of the given rows in the form the loss takes. */
export function targetTensor(
  y: Int32Array | Float64Array,
  rows: Int32Array,
  kind: TargetKind,
  nClasses: number,
): Tensor {
  const n = rows.length;
  if (kind === 'index')
    return tensor(
      Int32Array.from(rows, (r) => y[r]!),
      { dtype: 'int32', shape: [n] },
    );
  if (kind === 'float')
    return tensor(
      Float32Array.from(rows, (r) => y[r]!),
      { shape: [n, 1] },
    );
  const oh = new Float32Array(n * nClasses);
  rows.forEach((r, i) => {
    oh[i * nClasses + y[r]!] = 1;
  });
  return tensor(oh, { shape: [n, nClasses] });
}

/** Model outputs for N samples as row-major numbers with C columns. */
export interface Outputs {
  values: Float64Array;
  rows: number;
  cols: number;
}

/** Raw outputs -> probabilities (classification) or values (regression), float64 row-major. */
export function toOutputs(out: Tensor, transform: OutputTransform, task: Task): Outputs {
  const rows = out.shape[0]!;
  const cols = out.ndim === 1 ? 1 : out.size / rows;
  const raw = Float64Array.from(out.toTypedArray() as ArrayLike<number>);
  if (task === 'regression' || transform === 'none') return { values: raw, rows, cols };
  if (transform === 'sigmoid' || (transform === 'softmax' && cols === 1)) {
    for (let i = 0; i < raw.length; i++) raw[i] = 1 / (1 + Math.exp(-raw[i]!));
  } else if (transform === 'exp') {
    for (let i = 0; i < raw.length; i++) raw[i] = Math.exp(raw[i]!);
  } else {
    for (let r = 0; r < rows; r++) {
      let m = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < cols; c++) m = Math.max(m, raw[r * cols + c]!);
      let s = 0;
      for (let c = 0; c < cols; c++) {
        const e = Math.exp(raw[r * cols + c]! - m);
        raw[r * cols + c] = e;
        s += e;
      }
      for (let c = 0; c < cols; c++) raw[r * cols + c]! /= s;
    }
  }
  return { values: raw, rows, cols };
}

/** Per-class probabilities of row r (a single output column is the positive class of a binary task). */
export function classProbabilities(o: Outputs, r: number, nClasses: number): number[] {
  if (o.cols === 1 && nClasses === 2) {
    const p = o.values[r]!;
    return [1 - p, p];
  }
  return Array.from(o.values.subarray(r * o.cols, (r + 1) * o.cols));
}

/** Predicted class of row r. */
export function predictedClass(o: Outputs, r: number, nClasses: number, threshold: number): number {
  if (o.cols === 1 && nClasses === 2) return o.values[r]! > threshold ? 1 : 0;
  let best = 0;
  for (let c = 1; c < o.cols; c++) if (o.values[r * o.cols + c]! > o.values[r * o.cols + best]!) best = c;
  return best;
}

/** Positive-class scores (binary) or the probability matrix (multiclass), as the report and metrics take them. */
export function scoresFor(o: Outputs, nClasses: number): number[] | number[][] {
  if (nClasses === 2) {
    if (o.cols === 1) return Array.from(o.values);
    return Array.from({ length: o.rows }, (_, r) => o.values[r * o.cols + 1]!);
  }
  return Array.from({ length: o.rows }, (_, r) =>
    Array.from(o.values.subarray(r * o.cols, (r + 1) * o.cols)),
  );
}
