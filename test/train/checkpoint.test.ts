import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { Module, type Sequential } from '../../src/nn/index.ts';
import {
  compile,
  disposeCheckpoint,
  loadCheckpoint,
  loadModelFromCheckpoint,
  saveCheckpoint,
  writeCheckpoint,
} from '../../src/train/index.ts';
import { resumeRun } from './resume-setup.ts';
import { toyData, toyModel } from './setup.ts';

const root = mkdtempSync(join(tmpdir(), 'ts-ckpt-'));
after(() => rmSync(root, { recursive: true, force: true }));
const CHILD = join(import.meta.dirname, 'resume-child.ts');

function child(mode: string, dir: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', CHILD, mode, dir], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('checkpoints', () => {
  it('a fit checkpoint holds config, weights, optimizer state and trainer state, and rebuilds the model', async () => {
    const data = toyData();
    const model = toyModel(30);
    const t = compile(model, { optimizer: 'adam', loss: 'crossEntropy' });
    const dir = join(root, 'fit');
    await t.fit(data.x, data.y, { epochs: 3, batchSize: 16, verbose: 0, checkpointDir: dir, seed: 1 });
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-000002', 'ckpt-000003', 'latest.json']);
    const files = readdirSync(join(dir, 'ckpt-000003')).sort();
    assert.deepEqual(files, [
      'config.json',
      'model.safetensors',
      'optimizer.json',
      'optimizer.safetensors',
      'trainer.json',
    ]);
    const c = loadCheckpoint(dir);
    assert.equal(c.trainer!.epoch, 3);
    assert.deepEqual(c.trainer!.history.epoch, [0, 1, 2]);
    assert.equal(c.config.model!.className, 'Sequential');
    assert.deepEqual(c.config.training, {
      optimizer: {
        name: 'Adam',
        defaults: {
          lr: 0.001,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0,
          amsgrad: false,
          maximize: false,
        },
      },
      loss: 'cross_entropy',
      metrics: [],
    });
    const sd = model.stateDict();
    for (const [k, v] of Object.entries(sd))
      assert.deepEqual(c.model[k]!.toTypedArray(), v.toTypedArray(), k);
    const st = t.optimizer.stateDict().state;
    for (const [i, e] of Object.entries(st))
      for (const [k, v] of Object.entries(e))
        if (typeof v === 'number') assert.equal(c.optimizer!.state[i]![k], v);
        else assert.deepEqual((c.optimizer!.state[i]![k] as ts.Tensor).toTypedArray(), v.toTypedArray());
    disposeCheckpoint(c);
    const rebuilt = loadModelFromCheckpoint<Sequential>(dir);
    const a = ts.noGrad(() => model.call(data.x)).toTypedArray();
    const b = ts.noGrad(() => rebuilt.call(data.x)).toTypedArray();
    assert.deepEqual(a, b);
  });

  it('an error in the middle of a save leaves the previous checkpoint intact and no partial directory', () => {
    const dir = join(root, 'fail');
    class Flaky extends Module {
      w = ts.keep(ts.tensor([1, 2, 3], { dtype: 'float32' }));
      broken = false;
      override stateDict(): Record<string, ts.Tensor> {
        if (this.broken) throw new Error('disk on fire');
        return { w: this.w };
      }
      forward(x: ts.Tensor): ts.Tensor {
        return x;
      }
    }
    const m = new Flaky();
    const st = (epoch: number) => ({ epoch, rng: {}, history: { epoch: [], history: {} }, callbacks: [] });
    saveCheckpoint(dir, { model: m, trainer: st(1) });
    m.broken = true;
    assert.throws(() => saveCheckpoint(dir, { model: m, trainer: st(2) }), /disk on fire/);
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-000001', 'latest.json']);
    const c = loadCheckpoint(dir);
    assert.equal(c.trainer!.epoch, 1);
    assert.deepEqual(Array.from(c.model.w!.toTypedArray()), [1, 2, 3]);
    // Replacing a checkpoint directory in place is atomic too.
    const single = join(root, 'single');
    m.broken = false;
    writeCheckpoint(single, { model: m });
    m.broken = true;
    assert.throws(() => writeCheckpoint(single, { model: m }), /disk on fire/);
    assert.deepEqual(Array.from(loadCheckpoint(single).model.w!.toTypedArray()), [1, 2, 3]);
    assert.deepEqual(
      readdirSync(root).filter((n) => n.startsWith('.')),
      [],
    );
  });

  it('a process killed in the middle of a save leaves the previous checkpoint loadable; the next save cleans up', () => {
    const dir = join(root, 'crash');
    const r = child('crash-save', dir);
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const names = readdirSync(dir).sort();
    assert.ok(
      names.some((n) => n.startsWith('.ckpt-000002.tmp-')),
      `a partial temp dir is left: ${names}`,
    );
    const c = loadCheckpoint(dir);
    assert.equal(c.trainer!.epoch, 1);
    assert.deepEqual(Array.from(c.model.w!.toTypedArray()), [1, 1, 1, 1]);
    class Tiny extends Module {
      forward(x: ts.Tensor): ts.Tensor {
        return x;
      }
    }
    saveCheckpoint(dir, { model: new Tiny() });
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-000001', 'ckpt-000002', 'latest.json']);
  });

  it('kill-and-resume: 2 epochs + SIGKILL + resume gives bit-identical losses to 4 straight epochs', async () => {
    const straight = resumeRun();
    const h = await straight.trainer.fit(straight.data.x, straight.data.y, straight.opts);
    assert.equal(h.epoch.length, 4);

    const dir = join(root, 'resume');
    const r = child('fit-kill', dir);
    assert.equal(r.signal, 'SIGKILL', `child should be killed at epoch 3: ${r.stderr}`);
    assert.equal(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')).epoch, 2);

    // A fresh process state: different global RNG, fresh model and optimizer; everything comes from the checkpoint.
    ts.manualSeed(12345);
    const resumed = resumeRun();
    const h2 = await resumed.trainer.fit(resumed.data.x, resumed.data.y, {
      ...resumed.opts,
      resumeFrom: dir,
      checkpointDir: dir,
    });
    assert.deepEqual(h2.epoch, [0, 1, 2, 3]);
    assert.deepEqual(h2.history, h.history);
    assert.ok(h.history.loss!.every((v) => Number.isFinite(v)));
    // The StepLR schedule (state restored from the checkpoint) was applied: lr = 0.02 * 0.7^epoch.
    for (const [i, v] of h.history.lr!.entries())
      assert.ok(Math.abs(v - 0.02 * 0.7 ** i) < 1e-12, `lr ${v} at epoch ${i}`);
    const a = straight.trainer.module.stateDict();
    const b = resumed.trainer.module.stateDict();
    for (const k of Object.keys(a)) assert.deepEqual(a[k]!.toTypedArray(), b[k]!.toTypedArray(), k);
    assert.ok(existsSync(join(dir, 'ckpt-000004')));
  });

  it('loadCheckpoint explains what is missing', () => {
    assert.throws(
      () => loadCheckpoint(join(root, 'nothing')),
      /\[loadCheckpoint\] .*nothing holds no checkpoint/,
    );
  });
});
