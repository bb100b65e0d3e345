// A saved model carries the optimizer, trainer and callback state (as a training checkpoint does), so
// saving.fit({ resumeFrom }) continues its run: 2 epochs + save + resume to 4 equals 4 straight epochs bit for bit.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-resume-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function options(optimizer: { name: string; [k: string]: unknown }, epochs: number): ts.saving.FitOptions {
  return {
    seed: 11,
    data: { source: 'csv', path: 'datasets/wine.csv', label: 'cultivar' },
    model: {
      className: 'Sequential',
      config: {
        layers: [
          { className: 'Linear', config: { inFeatures: 13, outFeatures: 16 } },
          { className: 'ReLU' },
          // Dropout draws from the default generator, so its state has to come back too.
          { className: 'Dropout', config: { p: 0.2 } },
          { className: 'Linear', config: { inFeatures: 16, outFeatures: 3 } },
        ],
      },
    },
    loss: 'crossEntropy',
    optimizer: optimizer as ts.saving.FitOptions['optimizer'],
    training: {
      epochs,
      batchSize: 16,
      validationSplit: 0.2,
      lrSchedule: { name: 'step', stepSize: 1, gamma: 0.8 },
      earlyStopping: { monitor: 'val_loss', patience: 20 },
    },
  };
}

function weights(m: ts.saving.SavedModel): Record<string, number[]> {
  return Object.fromEntries(
    Object.entries(m.model.stateDict()).map(([k, t]) => [k, Array.from(t.toTypedArray() as Float32Array)]),
  );
}

describe('saving: resume a saved run', () => {
  for (const optimizer of [
    { name: 'adam', lr: 0.01 },
    { name: 'sgd', lr: 0.05, momentum: 0.9 },
  ])
    it(`${optimizer.name}: 2 epochs, save, resume to 4 = 4 straight epochs, bit for bit`, async () => {
      const straight = await ts.saving.fit(options(optimizer, 4));
      const first = await ts.saving.fit(options(optimizer, 2));
      const out = join(dir, optimizer.name);
      const v = first.model.save(out);
      for (const f of ['optimizer.json', 'optimizer.safetensors', 'trainer.json'])
        assert.ok(existsSync(join(v, f)), `${f} in the saved model`);
      // Another process's state: the global generator moved on; everything must come from the saved model.
      ts.manualSeed(12345);
      ts.rand([7]);
      const resumed = await ts.saving.fit({ ...options(optimizer, 4), resumeFrom: out });
      assert.deepEqual(resumed.history.epoch, [0, 1, 2, 3]);
      assert.deepEqual(resumed.history.history, straight.history.history);
      assert.deepEqual(weights(resumed.model), weights(straight.model));
      assert.deepEqual(resumed.metrics, straight.metrics);
      // The loaded model carries the state along, so a load and re-save can still be resumed.
      const again = ts.saving.load(out);
      assert.deepEqual(Object.keys(again.trainingState ?? {}).sort(), [
        'optimizer.json',
        'optimizer.safetensors',
        'trainer.json',
      ]);
      const v2 = again.save(join(dir, `${optimizer.name}-copy`));
      assert.ok(existsSync(join(v2, 'optimizer.safetensors')));
    });

  it('without the saved state the resumed weights differ (the comparison can fail)', async () => {
    const straight = await ts.saving.fit(options({ name: 'adam', lr: 0.01 }, 4));
    const first = await ts.saving.fit(options({ name: 'adam', lr: 0.01 }, 2));
    // A fresh Adam on the 2-epoch weights: same data, same seed, but no moments, step counts or RNG state.
    const restart = await ts.saving.fit({
      ...options({ name: 'adam', lr: 0.01 }, 2),
      model: first.model.model,
    });
    assert.notDeepEqual(weights(restart.model), weights(straight.model));
  });
});
