import type { TypedArray } from '../core/dtype.ts';
import { fail } from '../core/errors.ts';
import { isNumberColumn, type Table } from './table.ts';

/**
 * Throws before training when features hold NaN or +-Infinity, naming where: the column and data row of a
 * table (1-based, the record's position after the header, as every table message reports it), or the 0-based
 * row and column of a [rows, cols] array (tensor indices). Missing values must be imputed first.
 */
export function assertFinite(
  x: Table | { data: ArrayLike<number>; shape: readonly number[] } | TypedArray,
  name = 'features',
): void {
  const op = 'assertFinite';
  if ('columns' in x && 'types' in x) {
    for (const col of x.columns) {
      const c = x.data[col]!;
      if (!isNumberColumn(c)) continue;
      for (let i = 0; i < c.length; i++)
        if (!Number.isFinite(c[i]!))
          fail(
            op,
            `${name}: column "${col}" data row ${i + 1} is ${c[i]}; impute or drop it before training`,
          );
    }
    return;
  }
  const data: ArrayLike<number> = ArrayBuffer.isView(x)
    ? (x as TypedArray)
    : (x as { data: ArrayLike<number> }).data;
  const shape = ArrayBuffer.isView(x) ? [data.length] : (x as { shape: readonly number[] }).shape;
  const cols = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      const where = shape.length >= 2 ? `row ${Math.floor(i / cols)}, column ${i % cols}` : `index ${i}`;
      fail(op, `${name}: ${where} is ${v}; impute or drop it before training`);
    }
  }
}
