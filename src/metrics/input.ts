import { check, fail } from '../core/errors.ts';

/** Anything shaped like a Tensor: the metrics read its data and shape and nothing else, so they need no engine. */
export interface TensorLike {
  readonly shape: readonly number[];
  toTypedArray(): ArrayLike<number>;
}

/**
 * What every metric accepts: a flat array, rows of numbers (`[N][C]`), or a Tensor-like of rank 1 or 2.
 * 64-bit integer arrays (int64 labels from numpy or a file) are read exactly when |v| <= 2^53 - 1.
 */
export type MetricInput =
  | ArrayLike<number>
  | BigInt64Array
  | BigUint64Array
  | readonly (readonly number[])[]
  | TensorLike;

/** A row-major float64 matrix; 1-D inputs are one column. `wasFloat32` keeps the source precision for log-loss clipping. */
export interface Matrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly ndim: 1 | 2;
  readonly wasFloat32: boolean;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function isTensorLike(x: unknown): x is TensorLike {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { toTypedArray?: unknown }).toTypedArray === 'function' &&
    Array.isArray((x as { shape?: unknown }).shape)
  );
}

function fromFlat(
  src: ArrayLike<number | bigint>,
  shape: readonly number[],
  op: string,
  arg: string,
): Matrix {
  check(
    shape.length === 1 || shape.length === 2,
    op,
    () => `${arg} must have 1 or 2 dimensions, got shape [${shape.join(',')}]`,
  );
  const rows = shape[0]!;
  const cols = shape.length === 2 ? shape[1]! : 1;
  check(
    src.length === rows * cols,
    op,
    () => `${arg} holds ${src.length} values but its shape [${shape.join(',')}] needs ${rows * cols}`,
  );
  const data = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const raw = src[i]!;
    if (typeof raw === 'bigint' && (raw > MAX_SAFE || raw < -MAX_SAFE))
      fail(
        op,
        `${arg} holds int64 value ${raw} at flat index ${i}, beyond 2^53 - 1 where numbers stop being exact`,
      );
    const v = Number(raw);
    if (!Number.isFinite(v)) fail(op, `${arg} must be finite, got ${v} at flat index ${i}`);
    data[i] = v;
  }
  return { data, rows, cols, ndim: shape.length === 2 ? 2 : 1, wasFloat32: src instanceof Float32Array };
}

/** Reads any MetricInput into a float64 matrix, checking it is finite and of rank 1 or 2. */
export function toMatrix(x: MetricInput, op: string, arg: string): Matrix {
  if (isTensorLike(x)) return fromFlat(x.toTypedArray(), x.shape, op, arg);
  if (Array.isArray(x) && x.length > 0 && Array.isArray(x[0])) {
    const rowsIn = x as readonly (readonly number[])[];
    const cols = rowsIn[0]!.length;
    const flat: number[] = [];
    for (let r = 0; r < rowsIn.length; r++) {
      const row = rowsIn[r];
      check(
        Array.isArray(row) && row.length === cols,
        op,
        () =>
          `${arg} row ${r} has ${Array.isArray(row) ? row.length : 'no'} values, expected ${cols} like row 0`,
      );
      for (const v of row) flat.push(v);
    }
    return fromFlat(flat, [rowsIn.length, cols], op, arg);
  }
  if (typeof x === 'object' && x !== null && typeof (x as ArrayLike<number>).length === 'number') {
    const flat = x as ArrayLike<number | bigint>;
    return fromFlat(flat, [flat.length], op, arg);
  }
  return fail(op, `${arg} must be an array, rows of numbers or a Tensor, got ${typeof x}`);
}

/** A 1-D vector; `[N,1]` is accepted as the same thing (a model's single output column). */
export function toVector(x: MetricInput, op: string, arg: string): Float64Array {
  const m = toMatrix(x, op, arg);
  check(m.cols === 1, op, () => `${arg} must be 1-D or [N,1], got shape [${m.rows},${m.cols}]`);
  return m.data;
}

export function checkNonEmpty(n: number, op: string, arg = 'yTrue'): void {
  check(n > 0, op, () => `empty input: ${arg} has 0 samples; a metric needs at least one`);
}

export function checkSameLength(a: number, b: number, op: string, aName: string, bName: string): void {
  check(a === b, op, () => `${aName} and ${bName} must have the same number of samples, got ${a} and ${b}`);
}

/** Sample weights: undefined means all ones; otherwise finite, non-negative and one per sample. */
export function readWeights(w: MetricInput | undefined, n: number, op: string): Float64Array | undefined {
  if (w === undefined) return undefined;
  const v = toVector(w, op, 'sampleWeight');
  checkSameLength(n, v.length, op, 'yTrue', 'sampleWeight');
  for (let i = 0; i < v.length; i++) {
    check(v[i]! >= 0, op, () => `sampleWeight must be non-negative, got ${v[i]} at index ${i}`);
  }
  return v;
}

export function weightAt(w: Float64Array | undefined, i: number): number {
  return w === undefined ? 1 : w[i]!;
}

/** Appends values to a growable float64 buffer (amortised doubling) for metrics that must keep every sample. */
export class GrowableBuffer {
  private buf = new Float64Array(256);
  length = 0;

  push(values: ArrayLike<number>): void {
    if (this.length + values.length > this.buf.length) {
      let cap = this.buf.length;
      while (cap < this.length + values.length) cap *= 2;
      const next = new Float64Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    for (let i = 0; i < values.length; i++) this.buf[this.length + i] = values[i]!;
    this.length += values.length;
  }

  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}
