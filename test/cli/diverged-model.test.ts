import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, it } from 'node:test';
import { main } from '../../src/cli/index.ts';
import * as ts from '../../src/index.ts';

// Hardening item 3, the case the fit-level check cannot see: with lr 1e6 the third (last) full-batch step
// leaves the weights finite but ~1e21, so the test loss overflows. train used to save that model and exit
// 0 with "loss": null in its result line.
const dir = mkdtempSync(join(tmpdir(), 'ts-cli-diverged-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(lr: number): string {
  const p = join(dir, `diabetes-${lr}.yaml`);
  writeFileSync(
    p,
    `name: diabetes-div
seed: 0
data: { source: csv, path: ${resolve('datasets/diabetes.csv')}, label: progression, task: regression, split: { testFraction: 0.2 } }
model: { className: Linear, config: { inFeatures: 10, outFeatures: 1 } }
loss: mse
optimizer: { name: sgd, lr: ${lr} }
training: { epochs: 3, batchSize: 512, shuffle: false }
evaluation: { metrics: [r2] }
`,
  );
  return p;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

it('a model whose test loss overflows is refused: exit 1, no checkpoint over the good one', async () => {
  const out = join(dir, 'run');
  const good = await cli('train', config(0.1), '--out', out, '--quiet');
  assert.equal(good.code, 0, good.err);
  const before = ts.saving.resolveSavedModel(join(out, 'checkpoint')).dir;

  const bad = await cli('train', config(1e6), '--out', out, '--quiet');
  assert.equal(bad.code, 1, bad.out);
  assert.match(
    bad.err,
    /\[fit\] the test loss is (Infinity|NaN) after 3 epochs: training diverged \(the weights reach [\d.e+]+\); no checkpoint written/,
  );
  assert.doesNotMatch(bad.out, /"loss":null/);
  // the earlier, finite model is still the one saved, and it loads
  assert.equal(ts.saving.resolveSavedModel(join(out, 'checkpoint')).dir, before);
  assert.ok(existsSync(before));
  const ev = await cli('evaluate', out);
  assert.equal(ev.code, 0, ev.err);
});
