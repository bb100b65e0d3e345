// The v0 layout (runs/*/checkpoint before the saved-model format) still loads and predicts as it did.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const FIXTURE = 'test/fixtures/checkpoint-v0';

describe('saving: v0 checkpoint fixture', () => {
  it('loads and gives the predictions the old loader gave', () => {
    const expected = JSON.parse(readFileSync(`${FIXTURE}/expected-predictions.json`, 'utf8'));
    const m = ts.saving.load(FIXTURE);
    assert.deepEqual(m.classes, ['benign', 'malignant']);
    assert.equal(ts.saving.resolveSavedModel(FIXTURE).layout, 'v0');
    const preds = m.predict(expected.records);
    assert.equal(preds.length, expected.predictions.length);
    preds.forEach((p, i) => {
      const e = expected.predictions[i];
      assert.ok('label' in p);
      assert.equal(p.label, e.label);
      for (const c of m.classes!) assert.ok(Math.abs(p.probabilities[c]! - e.probabilities[c]) < 1e-6, c);
    });
    const proba = m.predictProba(expected.records.slice(0, 1));
    assert.deepEqual(Object.keys(proba[0]!), ['benign', 'malignant']);
  });
});
