// Multi-class CSV datasets trained and evaluated by a YAML config alone (configs/*-multiclass.yaml): class names
// as strings (iris) and as integers (wine, digits), judged against scikit-learn's LogisticRegression on the
// same split (test/fixtures/data/multiclass_sklearn.json, from scripts/sklearn_multiclass_baseline.py).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/cli/config.ts';
import { main } from '../../src/cli/main.ts';
import { loadSource } from '../../src/cli/sources.ts';

const sk = JSON.parse(readFileSync('test/fixtures/data/multiclass_sklearn.json', 'utf8')) as Record<
  string,
  { accuracy: number; testRows: number[] }
>;
const dir = mkdtempSync(join(tmpdir(), 'ts-multiclass-'));

describe('multi-class CSV configs reach scikit-learn LogisticRegression accuracy on the same split', () => {
  for (const [name, classes] of [
    ['iris', ['setosa', 'versicolor', 'virginica']],
    ['wine', ['0', '1', '2']],
    ['digits', ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']],
  ] as const) {
    it(`${name}: classes ${classes.join(', ')}`, async () => {
      const cfg = `configs/${name}-multiclass.yaml`;
      const src = await loadSource(loadConfig(cfg));
      assert.equal(src.task, 'classification');
      assert.deepEqual(src.classes, classes);
      // The fixture's figure holds only for the rows it was computed on.
      assert.deepEqual(Array.from(src.split.test), sk[name]!.testRows, 'split changed: rerun the scripts');
      let out = '';
      let err = '';
      const code = await main(['train', cfg, '--out', join(dir, name), '--quiet'], {
        out: (s) => (out += s),
        err: (s) => (err += s),
      });
      assert.equal(code, 0, err);
      const lines = out.trim().split('\n');
      const { metrics } = JSON.parse(lines[lines.length - 1]!) as { metrics: { accuracy: number } };
      // Compared as counts of correct test rows: the JSON line rounds accuracy to 6 digits.
      const n = sk[name]!.testRows.length;
      const ours = Math.round(metrics.accuracy * n);
      const theirs = Math.round(sk[name]!.accuracy * n);
      assert.ok(ours >= theirs, `${name}: ${ours}/${n} correct, scikit-learn ${theirs}/${n}`);
    });
  }
});
