// Row positions in messages: training and predict both count table rows from 1 (the record's position after
// the header), so a user who fixes "data row 2" of a file edits the same record whichever command reported it.
// Predict used to say "row 1" (0-based) for the record that training called "data row 2".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';

const n = 40;
const a = Float64Array.from({ length: n }, (_, i) => (i % 2) + Math.sin(i));
const b = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
const y = Array.from({ length: n }, (_, i): string | null => (i % 2 ? 'p' : 'q'));
const spec: ts.saving.FitTableOptions = {
  label: 'y',
  model: {
    className: 'Sequential',
    config: { layers: [{ className: 'Linear', config: { inFeatures: 2, outFeatures: 2 } }] },
  },
  loss: 'crossEntropy',
  optimizer: { name: 'adam', lr: 0.05 },
  epochs: 1,
};

test('predict, fitTable and assertFinite count table rows from 1, as training from a CSV does', async () => {
  const m = await ts.saving.fitTable(ts.data.makeTable({ a, b, y }), spec);
  assert.throws(
    () =>
      m.predict([
        { a: 1, b: 2 },
        { a: Number.POSITIVE_INFINITY, b: 1 },
      ]),
    /column "a" data row 2 is Infinity/,
  );
  const missing = [...y];
  missing[2] = null;
  await assert.rejects(
    ts.saving.fitTable(ts.data.makeTable({ a, b, y: missing }), spec),
    /\[data\] label column "y" data row 3: missing label/,
  );
  const nan = Float64Array.from(a);
  nan[0] = Number.NaN;
  assert.throws(
    () => ts.data.assertFinite(ts.data.makeTable({ a: nan, b }), 'x'),
    /column "a" data row 1 is NaN/,
  );
});
