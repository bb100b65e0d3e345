// Training a saved model in code from a table: binary on breast_cancer.csv, multi-class with string names.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-fit-table-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('saving.fitTable', () => {
  it('binary: class names, positive class last, and a reload predicts the same', async () => {
    const table = await ts.data.readCsv('datasets/breast_cancer.csv');
    const split = ts.data.trainTestSplit(table.length, { testSize: 0.2, seed: 1 });
    const train = ts.data.selectRows(table, split.train);
    const test = ts.data.selectRows(table, split.test);
    const m = await ts.saving.fitTable(train, {
      label: 'diagnosis',
      positiveClass: 'malignant',
      model: {
        className: 'Sequential',
        config: { layers: [{ className: 'Linear', config: { inFeatures: 30, outFeatures: 1 } }] },
      },
      loss: 'bceWithLogits',
      optimizer: { name: 'adam', lr: 0.01 },
      epochs: 5,
    });
    assert.deepEqual(m.classes, ['benign', 'malignant']);
    const rows = Array.from({ length: test.length }, (_, i) => ts.data.getRow(test, i));
    const acc = m.evaluate(
      rows,
      rows.map((r) => r.diagnosis as string),
    ).accuracy!;
    assert.ok(acc > 0.93, `accuracy ${acc}`);
    m.save(join(dir, 'bc'));
    assert.deepEqual(ts.saving.load(join(dir, 'bc')).predict(rows), m.predict(rows));
    // fitTable is saving.fit on a table source with no test split: the same weights, card data and task.
    const r = await ts.saving.fit({
      data: {
        source: 'table',
        table: train,
        label: 'diagnosis',
        positiveClass: 'malignant',
        split: { testFraction: 0 },
      },
      model: {
        className: 'Sequential',
        config: { layers: [{ className: 'Linear', config: { inFeatures: 30, outFeatures: 1 } }] },
      },
      loss: 'bceWithLogits',
      optimizer: { name: 'adam', lr: 0.01 },
      training: { epochs: 5, verbose: 0 },
    });
    const w = (s: ts.saving.SavedModel) =>
      Object.values(s.model.stateDict()).map((t) => [...t.toTypedArray()]);
    assert.deepEqual(w(m), w(r.model));
    assert.deepEqual(r.metrics, {});
    assert.deepEqual(m.card.data, r.model.card.data);
  });

  it('multi-class with string class names and a one-class label refused', async () => {
    const n = 300;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    const y: string[] = [];
    const g = new ts.Generator(3);
    for (let i = 0; i < n; i++) {
      const k = i % 3;
      a[i] = k * 3 + g.uniform();
      b[i] = -k * 2 + g.uniform();
      y.push(['setosa', 'versicolor', 'virginica'][k]!);
    }
    const table = ts.data.makeTable({ a, b, species: y });
    const m = await ts.saving.fitTable(table, {
      label: 'species',
      model: {
        className: 'Sequential',
        config: { layers: [{ className: 'Linear', config: { inFeatures: 2, outFeatures: 3 } }] },
      },
      loss: 'crossEntropy',
      optimizer: { name: 'adam', lr: 0.05 },
      epochs: 20,
    });
    const rows = Array.from({ length: n }, (_, i) => ts.data.getRow(table, i));
    assert.ok(m.evaluate(rows, y).accuracy! > 0.95);
    const p = m.predict([{ a: 6.5, b: -3.5 }])[0] as { label: string; probabilities: Record<string, number> };
    assert.equal(p.label, 'virginica');
    assert.deepEqual(Object.keys(p.probabilities), ['setosa', 'versicolor', 'virginica']);
    const one = ts.data.makeTable({ a, species: y.map(() => 'setosa') });
    await assert.rejects(
      ts.saving.fitTable(one, {
        label: 'species',
        model: { className: 'Linear', config: { inFeatures: 1, outFeatures: 2 } },
        loss: 'crossEntropy',
        optimizer: { name: 'sgd', lr: 0.1 },
        epochs: 1,
      }),
      /\[fit\] the training split holds a single class \(setosa\); a classifier needs at least two/,
    );
  });
});
