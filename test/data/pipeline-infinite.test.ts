import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnPipeline } from '../../src/data/preprocess/column-pipeline.ts';
import { makeTable } from '../../src/data/table.ts';

test('ColumnPipeline refuses an infinite cell naming its column and row, before scaling hides it', () => {
  const table = makeTable(
    { a: Float64Array.of(1, 2, 3, 4), b: Float64Array.of(5, 6, Number.POSITIVE_INFINITY, 8) },
    { source: 'rows.csv' },
  );
  assert.throws(
    () => new ColumnPipeline({ numeric: ['a', 'b'] }).fit(table),
    /\[ColumnPipeline\.fit\] rows\.csv: column "b" data row 3 is Infinity; features must be finite/,
  );
  const ok = makeTable({ a: Float64Array.of(1, 2, Number.NaN), b: Float64Array.of(1, 2, 3) });
  const p = new ColumnPipeline({ numeric: ['a', 'b'] }).fit(ok);
  const bad = makeTable({ a: Float64Array.of(Number.NEGATIVE_INFINITY), b: Float64Array.of(1) });
  assert.throws(() => p.transform(bad), /column "a" data row 1 is -Infinity/);
});
