import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SGD } from '../../src/optim/index.ts';
import {
  Callback,
  compile,
  EarlyStopping,
  type Logs,
  resolveCheckpoint,
  type Trainer,
} from '../../src/train/index.ts';
import { toyData, toyModel } from './setup.ts';

const data = toyData();
const root = mkdtempSync(join(tmpdir(), 'ts-best-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Scripted validation losses: the best epoch is 1, training goes on past it. */
class Script extends Callback {
  override onEpochEnd(epoch: number, logs: Logs): void {
    logs.val_loss = [0.5, 0.1, 0.9, 0.8, 0.7, 0.6][epoch]!;
  }
}

function trainer(): Trainer {
  const m = toyModel(4);
  return compile(m, { optimizer: new SGD(m.parameters(), { lr: 0.1 }), loss: 'crossEntropy' });
}

const weights = (t: Trainer) =>
  Object.fromEntries(Object.entries(t.module.stateDict()).map(([k, v]) => [k, v.toArray()]));

describe('EarlyStopping restoreBestWeights through checkpoints', () => {
  it('a run resumed after the best epoch restores the same best weights as an uninterrupted one', async () => {
    const opts = { batchSize: 16, verbose: 0 as const, shuffle: true, seed: 1 };
    const whole = trainer();
    await whole.fit(data.x, data.y, {
      ...opts,
      epochs: 6,
      callbacks: [new Script(), new EarlyStopping({ patience: 10, restoreBestWeights: true })],
    });

    const dir = join(root, 'ck');
    const first = trainer();
    await first.fit(data.x, data.y, {
      ...opts,
      epochs: 3,
      checkpointDir: dir,
      callbacks: [new Script(), new EarlyStopping({ patience: 10, restoreBestWeights: true })],
    });
    assert.ok(existsSync(join(resolveCheckpoint(dir), 'callbacks.safetensors')));
    const resumed = trainer();
    await resumed.fit(data.x, data.y, {
      ...opts,
      epochs: 6,
      resumeFrom: dir,
      callbacks: [new Script(), new EarlyStopping({ patience: 10, restoreBestWeights: true })],
    });
    assert.deepEqual(weights(resumed), weights(whole));
  });
});
