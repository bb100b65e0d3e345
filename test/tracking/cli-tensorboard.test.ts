import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, it } from 'node:test';
import { main } from '../../src/cli/index.ts';
import { readEvents } from './tfevents-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-cli-tb-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('tensorscript train writes <run>/tensorboard/events.out.tfevents.* by default, holdout fit only', async () => {
  const cfg = join(dir, 'bc.yaml');
  writeFileSync(
    cfg,
    `name: bc-tb
seed: 3
data: { source: csv, path: ${resolve('datasets/breast_cancer.csv')}, label: diagnosis, positiveClass: malignant, limit: 200 }
model:
  className: Sequential
  config:
    layers:
      - { className: Linear, config: { inFeatures: 30, outFeatures: 4 } }
      - { className: ReLU }
      - { className: Linear, config: { inFeatures: 4, outFeatures: 1 } }
loss: bceWithLogits
optimizer: { name: adam, lr: 0.01 }
training: { epochs: 2, batchSize: 32, validationSplit: 0.1 }
evaluation: { metrics: [accuracy], crossValidation: { folds: 2 } }
`,
  );
  const out = join(dir, 'run');
  let err = '';
  const code = await main(['train', cfg, '--out', out, '--quiet'], { out: () => {}, err: (s) => (err += s) });
  assert.equal(code, 0, err);
  const files = readdirSync(join(out, 'tensorboard'));
  // One file: the cross-validation folds do not log.
  assert.equal(files.length, 1, files.join(', '));
  const events = readEvents(readFileSync(join(out, 'tensorboard', files[0]!)));
  const history = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8')).history as {
    history: Record<string, number[]>;
  };
  const epochLoss = events.flatMap((e) =>
    e.values.filter((v) => v.tag === 'epoch/val_loss').map((v) => v.simple!),
  );
  assert.equal(epochLoss.length, 2);
  for (const [i, v] of epochLoss.entries()) assert.ok(Math.abs(v - history.history.val_loss![i]!) < 1e-6);
  assert.ok(events.some((e) => e.values.some((v) => v.tag === 'weights/0.weight' && v.histo!.num === 120)));
});
