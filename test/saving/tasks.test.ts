// Multi-label classification and regression with target scaling through save/load, on hand-set weights.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-tasks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A Linear layer with the given weight rows and bias, and an identity-like pipeline on columns a, b. */
function parts(weight: number[][], bias: number[]) {
  const model = ts.nn.moduleFromConfig({
    className: 'Linear',
    config: { inFeatures: 2, outFeatures: weight.length },
  });
  const sd = model.stateDict();
  ts.noGrad(() => {
    sd.weight!.copy_(ts.tensor(weight));
    sd.bias!.copy_(ts.tensor(bias));
  });
  const table = ts.data.makeTable({ a: Float64Array.from([0, 1]), b: Float64Array.from([0, 1]) });
  const preprocessor = ts.data.TabularPreprocessor.fit(table, ['a', 'b'], [], { scaler: 'none' });
  return { model, preprocessor, card: ts.saving.makeCard({}) };
}

describe('saving: task kinds', () => {
  it('multi-label: every class above the threshold, after a reload', () => {
    const m = new ts.saving.SavedModel({
      ...parts(
        [
          [10, 0],
          [0, 10],
        ],
        [-5, -5],
      ),
      task: {
        task: 'classification',
        classes: ['red', 'round'],
        targetKind: 'float',
        outputTransform: 'sigmoid',
        threshold: 0.5,
        multiLabel: true,
      },
    });
    m.save(join(dir, 'ml'));
    const back = ts.saving.load(join(dir, 'ml'));
    const p = back.predict([
      { a: 1, b: 1 },
      { a: 1, b: 0 },
      { a: 0, b: 0 },
    ]);
    assert.deepEqual(
      p.map((x) => (x as { labels: string[] }).labels),
      [['red', 'round'], ['red'], []],
    );
  });

  it('regression: predictions are mapped back through the target scaling', () => {
    const m = new ts.saving.SavedModel({
      ...parts([[1, 0]], [0]),
      task: {
        task: 'regression',
        classes: null,
        targetKind: 'float',
        outputTransform: 'none',
        threshold: 0.5,
        targetScaling: { mean: [100], std: [10] },
      },
    });
    m.save(join(dir, 'reg'));
    const p = ts.saving.load(join(dir, 'reg')).predict([{ a: 2, b: 7 }]);
    assert.ok(Math.abs((p[0] as { value: number }).value - 120) < 1e-5);
    assert.throws(() => m.predictProba([{ a: 1, b: 1 }]), /\[predictProba\] a regression model/);
  });
});
