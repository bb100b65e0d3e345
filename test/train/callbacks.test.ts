import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSafetensors } from '../../src/io/index.ts';
import { ReduceLROnPlateau as OptimReduceLROnPlateau, SGD, StepLR } from '../../src/optim/index.ts';
import {
  Callback,
  CSVLogger,
  compile,
  EarlyStopping,
  LambdaCallback,
  LearningRateScheduler,
  type Logs,
  ModelCheckpoint,
  ProgressBar,
  ReduceLROnPlateau,
  TerminateOnNaN,
  type Trainer,
} from '../../src/train/index.ts';
import { toyData, toyModel } from './setup.ts';

const data = toyData();
const root = mkdtempSync(join(tmpdir(), 'ts-cb-'));
after(() => rmSync(root, { recursive: true, force: true }));

function trainer(seed = 1, lr = 0.05): Trainer {
  const m = toyModel(seed);
  return compile(m, {
    optimizer: new SGD(m.parameters(), { lr }),
    loss: 'crossEntropy',
    metrics: ['accuracy'],
  });
}

/** Replaces the logs of each epoch with scripted values (runs before the callbacks under test). */
class Script extends Callback {
  constructor(readonly values: Record<string, number[]>) {
    super();
  }
  override onEpochEnd(epoch: number, logs: Logs): void {
    for (const [k, v] of Object.entries(this.values)) logs[k] = v[epoch]!;
  }
}

describe('callbacks', () => {
  it('EarlyStopping stops after `patience` epochs without an improvement larger than minDelta', async () => {
    const t = trainer();
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 2, minDelta: 0.01 });
    const h = await t.fit(data.x, data.y, {
      epochs: 10,
      verbose: 0,
      callbacks: [new Script({ val_loss: [1, 0.8, 0.795, 0.79, 0.5, 0.6, 0.7, 0.8, 0.9, 1] }), es],
    });
    // 0.8 improves; 0.795 and 0.79 do not beat 0.8 by more than 0.01 -> stop at epoch 3.
    assert.deepEqual(h.epoch, [0, 1, 2, 3]);
    assert.equal(es.stoppedEpoch, 3);
    assert.equal(es.best, 0.8);
  });

  it('EarlyStopping mode max (auto for accuracy) and restoreBestWeights puts back the best epoch weights', async () => {
    const t = trainer(2);
    const snaps: Record<string, Float32Array>[] = [];
    const grab = new LambdaCallback({
      onEpochEnd: () => {
        snaps.push(
          Object.fromEntries(
            Object.entries(t.module.stateDict()).map(([k, v]) => [k, v.toTypedArray() as Float32Array]),
          ),
        );
      },
    });
    const es = new EarlyStopping({ monitor: 'val_accuracy', patience: 1, restoreBestWeights: true });
    assert.equal(es.mode, 'max');
    const h = await t.fit(data.x, data.y, {
      epochs: 6,
      verbose: 0,
      callbacks: [new Script({ val_accuracy: [0.5, 0.7, 0.6, 0.9, 0.8, 0.7] }), grab, es],
    });
    assert.deepEqual(h.epoch, [0, 1, 2]);
    const now = t.module.stateDict();
    for (const [k, v] of Object.entries(snaps[1]!)) assert.deepEqual(now[k]!.toTypedArray(), v, k);
  });

  it('ModelCheckpoint saveBestOnly writes only improving epochs; weights-only files load back', async () => {
    const t = trainer(3);
    const mc = new ModelCheckpoint(join(root, 'mc', 'w-{epoch}.safetensors'), {
      monitor: 'val_loss',
      saveBestOnly: true,
      saveWeightsOnly: true,
    });
    await t.fit(data.x, data.y, {
      epochs: 5,
      verbose: 0,
      callbacks: [new Script({ val_loss: [1, 0.9, 0.95, 0.5, 0.7] }), mc],
    });
    assert.deepEqual(
      mc.saved.map((p) => p.slice(p.lastIndexOf('/') + 1)),
      ['w-01.safetensors', 'w-02.safetensors', 'w-04.safetensors'],
    );
    assert.equal(existsSync(join(root, 'mc', 'w-03.safetensors')), false);
    const loaded = loadSafetensors(mc.saved[2]!).tensors;
    assert.deepEqual(Object.keys(loaded).sort(), Object.keys(t.module.stateDict()).sort());
    const full = new ModelCheckpoint(join(root, 'mc', 'full-{epoch}-{loss}'));
    await t.fit(data.x, data.y, { epochs: 1, verbose: 0, callbacks: [full] });
    assert.match(full.saved[0]!, /full-01-\d\.\d{4}$/);
    assert.ok(existsSync(join(full.saved[0]!, 'optimizer.safetensors')));
  });

  it('LearningRateScheduler: a Keras schedule function per epoch, or an optim scheduler stepped per epoch', async () => {
    const t = trainer(4);
    const seen: number[] = [];
    const probe = new LambdaCallback({ onEpochBegin: () => void seen.push(t.optimizer.lr) });
    const h = await t.fit(data.x, data.y, {
      epochs: 3,
      verbose: 0,
      callbacks: [new LearningRateScheduler((epoch, lr) => (epoch === 0 ? 0.1 : lr / 2)), probe],
    });
    assert.deepEqual(seen, [0.1, 0.05, 0.025]);
    assert.deepEqual(h.history.lr, [0.1, 0.05, 0.025]);
    const t2 = trainer(4);
    const h2 = await t2.fit(data.x, data.y, {
      epochs: 4,
      verbose: 0,
      callbacks: [new LearningRateScheduler(new StepLR(t2.optimizer, { stepSize: 2, gamma: 0.1 }))],
    });
    assert.deepEqual(
      h2.history.lr!.map((v) => +v.toPrecision(12)),
      [0.05, 0.05, 0.005, 0.005],
    );
  });

  it('ReduceLROnPlateau is the optim scheduler stepped per epoch (torch counting), with cooldown and minLr', async () => {
    const t = trainer(5, 1);
    const cb = new ReduceLROnPlateau({
      monitor: 'val_loss',
      factor: 0.5,
      patience: 2,
      cooldown: 1,
      minLr: 0.2,
    });
    const h = await t.fit(data.x, data.y, {
      epochs: 13,
      verbose: 0,
      callbacks: [new Script({ val_loss: Array.from({ length: 13 }, () => 1) }), cb],
    });
    // The lr is logged at each epoch end before that epoch's decision. Epoch 0 sets the best; epochs 1-3 are bad
    // and the third bad one (> patience) cuts to 0.5; epoch 4 is cooldown; epochs 5-7 are bad -> 0.25; 9-11 -> 0.2
    // (minLr, not 0.125).
    assert.deepEqual(h.history.lr, [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2]);
    // The same values through the optim scheduler by hand give the same lrs: one rule, not two.
    const m = toyModel(5);
    const opt = new SGD(m.parameters(), { lr: 1 });
    const sched = new OptimReduceLROnPlateau(opt, { factor: 0.5, patience: 2, cooldown: 1, minLr: 0.2 });
    const lrs: number[] = [];
    for (let e = 0; e < 13; e++) {
      lrs.push(opt.lr);
      sched.step(1);
    }
    assert.deepEqual(lrs, h.history.lr);
    assert.equal(t.optimizer.lr, 0.2);
    assert.throws(
      () => new ReduceLROnPlateau({ min_lr: 0.1 } as never),
      /\[ReduceLROnPlateau\] unknown option "min_lr" \(did you mean "minLr"\?\)/,
    );
  });

  it('CSVLogger writes a header and one row per epoch; append continues the file', async () => {
    const path = join(root, 'log', 'train.csv');
    const t = trainer(6);
    await t.fit(data.x, data.y, {
      epochs: 2,
      verbose: 0,
      validationSplit: 0.25,
      callbacks: [new CSVLogger(path)],
    });
    let lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'epoch,loss,accuracy,val_loss,val_accuracy');
    assert.equal(lines.length, 3);
    assert.match(lines[2]!, /^1,[\d.e-]+,[\d.]+,[\d.e-]+,[\d.]+$/);
    await t.fit(data.x, data.y, {
      epochs: 3,
      initialEpoch: 2,
      verbose: 0,
      validationSplit: 0.25,
      callbacks: [new CSVLogger(path, { append: true })],
    });
    lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[3]!, /^2,/);
  });

  it('TerminateOnNaN stops at the first batch with a non-finite loss', async () => {
    const t = trainer(7, 1e30);
    const cb = new TerminateOnNaN();
    const warnings: string[] = [];
    const onWarn = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarn);
    // The default divergence check would throw first; turned off, the Keras callback stops training quietly.
    const h = await t.fit(data.x, data.y, {
      epochs: 5,
      batchSize: 4,
      verbose: 0,
      callbacks: [cb],
      terminateOnNaN: false,
    });
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarn);
    assert.equal(h.epoch.length, 1);
    assert.ok(cb.stoppedAtBatch !== null && cb.stoppedAtBatch < 12);
    assert.ok(!Number.isFinite(h.history.loss![0]!));
    assert.ok(warnings.some((w) => /\[TerminateOnNaN\] batch \d+: invalid loss/.test(w)));
  });

  it('ProgressBar: plain lines when not a TTY, a redrawn bar with ETA and samples/s on a TTY', async () => {
    let clock = 0;
    const out: string[] = [];
    const stream = { write: (s: string) => out.push(s), isTTY: false };
    const t = trainer(8);
    await t.fit(data.x, data.y, {
      epochs: 2,
      batchSize: 8,
      callbacks: [
        new LambdaCallback({
          onTrainBatchBegin: () => {
            clock += 50;
          },
        }),
        new ProgressBar({ stream, now: () => clock, lineMs: 120 }),
      ],
    });
    const text = out.join('');
    assert.match(text, /^Epoch 1\/2\n/);
    // Lines at most every 120 ms of the (fake) clock: after batch 3 (150 ms) and batch 6.
    assert.match(
      text,
      /\n3\/6 \[=+>\.+\] - ETA: 0\.1s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - 160 samples\/s\n6\/6 /,
    );
    assert.match(
      text,
      /6 steps - 0\.3s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - 160 samples\/s\nEpoch 2\/2\n/,
    );
    assert.equal(text.includes('\r'), false);

    out.length = 0;
    const tty = { write: (s: string) => out.push(s), isTTY: true, columns: 120 };
    await t.fit(data.x, data.y, {
      epochs: 1,
      batchSize: 8,
      callbacks: [
        new LambdaCallback({
          onTrainBatchBegin: () => {
            clock += 50;
          },
        }),
        new ProgressBar({ stream: tty, now: () => clock, redrawMs: 0 }),
      ],
    });
    const redraws = out.filter((s) => s.startsWith('\r') && s.endsWith('\x1b[K') && s !== '\r\x1b[K');
    assert.equal(redraws.length, 6);
    assert.match(redraws[5]!, /6\/6 \[=+\] - ETA: 0\.0s/);
    assert.match(out[out.length - 1]!, /^6 steps - .* samples\/s\n$/);
  });

  it('callbacks may be async; fit awaits them in order', async () => {
    const t = trainer(9);
    const order: string[] = [];
    const cb = new LambdaCallback({
      onEpochEnd: async (e: number) => {
        await new Promise((r) => setTimeout(r, 5));
        order.push(`end ${e}`);
      },
      onEpochBegin: (e: number) => void order.push(`begin ${e}`),
    });
    await t.fit(data.x, data.y, { epochs: 2, verbose: 0, callbacks: [cb] });
    assert.deepEqual(order, ['begin 0', 'end 0', 'begin 1', 'end 1']);
  });
});
