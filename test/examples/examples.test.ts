// Smoke runs of the example workflows with --quick (few rows and epochs): each must finish and end with the
// JSON line tools read. The full-quality runs and their figures are in docs/workflows.md.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

function runExample(file: string): {
  workflow: string;
  metrics: Record<string, number | null>;
  samplesPerSec: number;
} {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, '--quick'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `${file} failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!);
}

describe('example workflows (--quick)', () => {
  it('mnist-mlp', () => {
    const r = runExample('examples/mnist-mlp.ts');
    assert.equal(r.workflow, 'mnist-mlp');
    // 2,000 images, one epoch: far from the full recipe, far above chance (0.1).
    assert.ok(r.metrics.accuracy! > 0.3 && r.metrics.accuracy! <= 1, `accuracy ${r.metrics.accuracy}`);
    assert.ok(r.samplesPerSec > 0);
  });

  it('breast-cancer', () => {
    const r = runExample('examples/breast-cancer.ts');
    assert.equal(r.workflow, 'breast-cancer');
    for (const k of ['a_cv_accuracy', 'a_cv_roc_auc', 'b_cv_accuracy', 'b_cv_roc_auc']) {
      const v = r.metrics[k];
      assert.ok(typeof v === 'number' && v > 0.5 && v <= 1, `${k} ${v}`);
    }
  });

  it('diabetes-regression', () => {
    const r = runExample('examples/diabetes-regression.ts');
    assert.equal(r.workflow, 'diabetes-regression');
    // The closed form does not depend on --quick: the least-squares R^2 of this seeded split.
    assert.ok(
      Math.abs(r.metrics.r2_closed_form! - 0.419961) < 1e-5,
      `closed form ${r.metrics.r2_closed_form}`,
    );
    assert.ok(typeof r.metrics.r2 === 'number' && r.metrics.r2 > 0);
    assert.ok(Math.abs(r.metrics.r2_gap! - Math.abs(r.metrics.r2! - r.metrics.r2_closed_form!)) < 1e-5);
  });
});
