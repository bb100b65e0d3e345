// tensorscript train --resume: the run checkpoint carries the optimizer and trainer state, so 2 epochs and a
// resume to 4 write the same weights as 4 straight epochs, byte for byte.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/index.ts';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-cli-resume-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function train(...argv: string[]): Promise<void> {
  let err = '';
  const code = await main(['train', ...argv, '--quiet'], { out: () => {}, err: (s) => (err += s) });
  assert.equal(code, 0, err);
}

const weights = (out: string) =>
  readFileSync(join(ts.saving.resolveSavedModel(join(out, 'checkpoint')).dir, 'model.safetensors'));
const history = (out: string) => {
  const h = JSON.parse(
    readFileSync(join(ts.saving.resolveSavedModel(join(out, 'checkpoint')).dir, 'history.json'), 'utf8'),
  );
  delete h.history.epoch_seconds;
  return h;
};

describe('tensorscript train --resume', () => {
  it('2 epochs + --resume to 4 writes the weights of 4 straight epochs (SGD momentum, dropout, schedule)', async () => {
    const cfg = join(dir, 'wine.yaml');
    writeFileSync(
      cfg,
      `name: wine-resume
seed: 4
data: { source: csv, path: ${JSON.stringify(resolve('datasets/wine.csv'))}, label: cultivar }
model:
  className: Sequential
  config:
    layers:
      - { className: Linear, config: { inFeatures: auto, outFeatures: 12 } }
      - { className: ReLU }
      - { className: Dropout, config: { p: 0.2 } }
      - { className: Linear, config: { inFeatures: 12, outFeatures: auto } }
loss: crossEntropy
optimizer: { name: sgd, lr: 0.05, momentum: 0.9 }
training: { epochs: 2, batchSize: 16, validationSplit: 0.2, lrSchedule: { name: step, stepSize: 1, gamma: 0.7 } }
`,
    );
    await train(cfg, '--out', join(dir, 'two'));
    await train(cfg, '--out', join(dir, 'four'), '--epochs', '4');
    await train(cfg, '--out', join(dir, 'resumed'), '--epochs', '4', '--resume', join(dir, 'two'));
    assert.ok(
      weights(join(dir, 'resumed')).equals(weights(join(dir, 'four'))),
      'resumed weights = straight weights',
    );
    assert.ok(!weights(join(dir, 'two')).equals(weights(join(dir, 'four'))));
    assert.deepEqual(history(join(dir, 'resumed')), history(join(dir, 'four')));
  });
});
