import { check, fail } from '../../core/errors.ts';

/** A row-major numeric matrix; what the numeric preprocessors take and return. Missing values are NaN. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}
export type MatrixLike = Matrix | readonly (readonly number[])[];
/** Rows of categorical values; null is missing. Numbers are compared as their string form. */
export type CategoryRows = readonly (readonly (string | number | null)[])[];

export function isMatrix(x: unknown): x is Matrix {
  return typeof x === 'object' && x !== null && (x as Matrix).data instanceof Float64Array;
}

export function toMatrix(x: MatrixLike, op: string): Matrix {
  if (isMatrix(x)) {
    check(
      x.data.length === x.rows * x.cols,
      op,
      () => `matrix data has ${x.data.length} values, expected ${x.rows}x${x.cols}`,
    );
    return x;
  }
  const rows = x.length;
  const cols = rows > 0 ? x[0]!.length : 0;
  const data = new Float64Array(rows * cols);
  x.forEach((r, i) => {
    if (r.length !== cols) fail(op, `row ${i} has ${r.length} values, expected ${cols}`);
    for (let j = 0; j < cols; j++) data[i * cols + j] = r[j] ?? Number.NaN;
  });
  return { rows, cols, data };
}

/** Column j of a matrix. */
export function matrixColumn(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j]!;
  return out;
}

/** Nested arrays, for tests and printing. */
export function matrixToArray(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

export function checkCols(expected: number, got: number, op: string): void {
  check(expected === got, op, () => `fitted on ${expected} features, got ${got}`);
}

export function checkFitted<T>(v: T | undefined, op: string): T {
  if (v === undefined) fail(op, 'not fitted; call fit() on the training split first');
  return v;
}

/** Category rows as strings (null kept), with every row the same width. */
export function toCategoryRows(x: CategoryRows, op: string): (string | null)[][] {
  const cols = x.length > 0 ? x[0]!.length : 0;
  return x.map((r, i) => {
    if (r.length !== cols) fail(op, `row ${i} has ${r.length} values, expected ${cols}`);
    return r.map((v) => (v === null || (typeof v === 'number' && Number.isNaN(v)) ? null : String(v)));
  });
}

/** Orders category labels as numpy's np.unique does: numerically when all are numbers, else by code unit. */
export function sortCategories(values: Iterable<string>): string[] {
  const arr = [...new Set(values)];
  const numeric = arr.length > 0 && arr.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  return numeric
    ? arr.sort((a, b) => Number(a) - Number(b))
    : arr.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
