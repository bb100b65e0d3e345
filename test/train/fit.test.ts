import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataLoader, TensorDataset } from '../../src/data/index.ts';
import * as ts from '../../src/index.ts';
import { Accuracy } from '../../src/metrics/index.ts';
import { MSELoss } from '../../src/nn/index.ts';
import { Adam, SGD } from '../../src/optim/index.ts';
import { type Batch, compile, getLoss, LambdaCallback, type Logs, Trainer } from '../../src/train/index.ts';
import { toyData, toyModel } from './setup.ts';

const data = toyData();

describe('compile / fit / evaluate / predict', () => {
  it('fit returns a Keras History with loss, metrics and their val_ twins; the loss goes down', async () => {
    const model = toyModel(1);
    const t = compile(model, {
      optimizer: { name: 'adam', lr: 0.05 },
      loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
      metrics: ['accuracy'],
    });
    const h = await t.fit(data.x, data.y, {
      epochs: 6,
      batchSize: 8,
      validationSplit: 0.25,
      verbose: 0,
      seed: 1,
    });
    assert.deepEqual(h.epoch, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(Object.keys(h.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    for (const v of Object.values(h.history)) assert.equal(v.length, 6);
    const loss = h.history.loss!;
    assert.ok(loss[5]! < loss[0]! * 0.8, `loss ${loss}`);
    // evaluate on the validation part (the last 12 samples, as Keras' validationSplit) gives the last val_ logs.
    const ev = t.evaluate(data.x.narrow(0, 36, 12), data.y.narrow(0, 36, 12), { batchSize: 8 });
    assert.equal(ev.loss, h.history.val_loss![5]);
    assert.equal(ev.accuracy, h.history.val_accuracy![5]);
  });

  it('a hand-written PyTorch-style loop with the same pieces gives bit-identical losses and weights', async () => {
    const a = toyModel(2);
    const tr = compile(a, {
      optimizer: new SGD(a.parameters(), { lr: 0.1, momentum: 0.9 }),
      loss: 'crossEntropy',
    });
    const h = await tr.fit(data.x, data.y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });

    const b = toyModel(2);
    const opt = new SGD(b.parameters(), { lr: 0.1, momentum: 0.9 });
    const lossFn = (p: ts.Tensor, y: ts.Tensor) => ts.functional.crossEntropy(p, y);
    const epochLoss: number[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      let sum = 0;
      for (let s = 0; s < 48; s += 16) {
        sum += ts.scope(() => {
          opt.zeroGrad();
          const loss = lossFn(b.call(data.x.narrow(0, s, 16)), data.y.narrow(0, s, 16));
          loss.backward();
          opt.step();
          return loss.item();
        });
      }
      epochLoss.push((sum * 16) / 48);
    }
    assert.deepEqual(h.history.loss, epochLoss);
    const sa = a.stateDict();
    const sb = b.stateDict();
    for (const k of Object.keys(sa)) assert.deepEqual(sa[k]!.toTypedArray(), sb[k]!.toTypedArray(), k);
  });

  it('two runs with the same seed (shuffle, dropout, validation) have identical histories; another seed differs', async () => {
    const run = async (seed: number) => {
      const m = toyModel(5, 2, 0.3);
      const t = compile(m, { optimizer: 'adam', loss: { name: 'crossEntropy' }, metrics: ['accuracy'] });
      return (
        await t.fit(data.x, data.y, { epochs: 3, batchSize: 7, validationSplit: 0.2, seed, verbose: 0 })
      ).history;
    };
    const h1 = await run(11);
    const h2 = await run(11);
    assert.deepEqual(h1, h2);
    const h3 = await run(12);
    assert.notDeepEqual(h1.loss, h3.loss);
  });

  it('live buffers do not grow after the first training step', async () => {
    const m = toyModel(3, 2, 0.2);
    const t = compile(m, {
      optimizer: new Adam(m.parameters(), { amsgrad: true }),
      loss: 'crossEntropy',
      metrics: ['accuracy'],
    });
    const live: number[] = [];
    const h = await t.fit(data.x, data.y, {
      epochs: 2,
      batchSize: 6,
      verbose: 0,
      seed: 3,
      callbacks: [
        new LambdaCallback({
          onTrainBatchEnd: () => {
            live.push(ts.memoryStats.live);
          },
        }),
      ],
    });
    assert.equal(h.epoch.length, 2);
    assert.equal(live.length, 16);
    for (let i = 1; i < live.length; i++)
      assert.equal(live[i], live[0], `live buffers after step ${i + 1}: ${live.join(',')}`);
    // predict and evaluate free their intermediates too.
    const before = ts.memoryStats.live;
    t.evaluate(data.x, data.y);
    const p = t.predict(data.x, { batchSize: 10 });
    assert.deepEqual(p.shape, [48, 2]);
    p.dispose();
    assert.equal(ts.memoryStats.live, before);
  });

  it('predict batches in eval mode (dropout off) and matches one full forward', () => {
    const m = toyModel(4, 2, 0.5);
    const t = compile(m, { optimizer: 'sgd', loss: 'crossEntropy' });
    const p = t.predict(data.x, { batchSize: 10 });
    m.eval();
    const full = ts.noGrad(() => m.call(data.x));
    m.train();
    assert.deepEqual(p.toTypedArray(), full.toTypedArray());
    assert.equal(m.training, true);
  });

  it('sampleWeight and classWeight weight the loss as Keras: sum(w * loss) / N', async () => {
    const m = toyModel(6);
    const t = compile(m, { optimizer: new SGD(m.parameters(), { lr: 0 }), loss: 'crossEntropy' });
    const w = ts.keep(ts.tensor(Float32Array.from({ length: 48 }, (_, i) => (i % 3) + 0.5)));
    const h = await t.fit(data.x, data.y, {
      epochs: 1,
      batchSize: 48,
      shuffle: false,
      sampleWeight: w,
      classWeight: { 1: 2 },
      verbose: 0,
    });
    const per = ts
      .noGrad(() => ts.functional.crossEntropy(m.call(data.x), data.y, { reduction: 'none' }))
      .toTypedArray();
    const ys = data.y.toTypedArray();
    let want = 0;
    for (let i = 0; i < 48; i++) want += per[i]! * Math.fround((i % 3) + 0.5) * (ys[i] === 1 ? 2 : 1);
    want /= 48;
    assert.ok(Math.abs(h.history.loss![0]! - want) < 1e-5 * want, `${h.history.loss} vs ${want}`);
  });

  it('trains from a DataLoader and from an array of batches; validationData as tensors or a batch source', async () => {
    const ds = new TensorDataset(data.x, data.y);
    const loader = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 4 });
    const m = toyModel(7);
    const t = compile(m, { optimizer: 'adam', loss: 'crossEntropy', metrics: ['accuracy'] });
    const h = await t.fit(loader, { epochs: 2, validationData: [data.x, data.y], verbose: 0 });
    assert.deepEqual(Object.keys(h.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    const batches = [0, 16, 32].map((s) => [
      data.x.narrow(0, s, 16).contiguous(),
      data.y.narrow(0, s, 16).contiguous(),
    ]);
    const m2 = toyModel(7);
    const t2 = compile(m2, { optimizer: 'adam', loss: 'crossEntropy' });
    const h2 = await t2.fit(batches, { epochs: 1, validationData: [[data.x, data.y]], verbose: 0 });
    assert.equal(h2.history.loss!.length, 1);
    assert.equal(h2.history.val_loss!.length, 1);
  });

  it('trainStep can be overridden (here: gradient clipping) and fit runs it', async () => {
    const seen: number[] = [];
    class Clipped extends Trainer {
      override trainStep(batch: Batch): Logs {
        seen.push(batch.x.shape[0]!);
        return super.trainStep(batch);
      }
    }
    const m = toyModel(8);
    const t = new Clipped(m).compile({ optimizer: 'sgd', loss: 'crossEntropy' });
    await t.fit(data.x, data.y, { epochs: 1, batchSize: 20, verbose: 0 });
    assert.deepEqual(seen, [20, 20, 8]);
  });

  it('named losses match their definitions (Keras probabilities, logits, one-hot, regression)', () => {
    const logits = ts.tensor(
      [
        [2, -1],
        [0.5, 0.25],
        [-1, 3],
      ],
      { dtype: 'float32' },
    );
    const labels = ts.tensor([0, 1, 1], { dtype: 'int32' });
    const oneHot = ts.tensor(
      [
        [1, 0],
        [0, 1],
        [0, 1],
      ],
      { dtype: 'float32' },
    );
    const probs = logits.softmax(1);
    const ce = ts.functional.crossEntropy(logits, labels, { reduction: 'none' }).toTypedArray();
    const near = (a: ts.Tensor, b: ArrayLike<number>) => {
      for (const [i, v] of Array.from(a.toTypedArray()).entries())
        assert.ok(Math.abs(v - b[i]!) < 1e-5, `${v} vs ${b[i]}`);
    };
    near(getLoss('sparseCategoricalCrossentropy', { fromLogits: true }).fn(logits, labels), ce);
    near(getLoss('sparseCategoricalCrossentropy').fn(probs, labels), ce);
    near(getLoss('categoricalCrossentropy', { fromLogits: true }).fn(logits, oneHot), ce);
    near(getLoss('categorical_crossentropy').fn(probs, oneHot), ce);
    const z = ts.tensor([[0.3], [-2], [1.5]], { dtype: 'float32' });
    const yb = ts.tensor([1, 0, 0], { dtype: 'float32' });
    const bce = [0.3, -2, 1.5].map((v, i) => {
      const p = 1 / (1 + Math.exp(-v));
      const y = [1, 0, 0][i]!;
      return -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
    });
    near(getLoss('binaryCrossentropy', { fromLogits: true }).fn(z, yb), bce);
    near(getLoss('bceWithLogits').fn(z, yb), bce);
    near(getLoss('binaryCrossentropy').fn(z.sigmoid(), yb), bce);
    near(getLoss('mse').fn(logits, oneHot), [1, 0.40625, 2.5]);
    near(getLoss('meanAbsoluteError').fn(logits, oneHot), [1, 0.625, 1.5]);
    assert.throws(() => getLoss('hinge'), /\[getLoss\] unknown loss "hinge"; known names: /);
  });

  it('accepts a loss module and metric objects; metrics by name see probabilities when the loss takes logits', async () => {
    const m = toyModel(9, 1);
    const t = compile(m, {
      optimizer: 'adam',
      loss: new MSELoss(),
      metrics: [new Accuracy({ name: 'acc', threshold: 0.5 })],
    });
    const h = await t.fit(data.x, data.yFloat, { epochs: 1, verbose: 0 });
    assert.ok(Number.isFinite(h.history.loss![0]!));
    assert.ok(h.history.acc![0]! >= 0 && h.history.acc![0]! <= 1);
    // Logits near 0 (sigmoid ~0.5) with binary_accuracy: thresholding probabilities, not logits.
    const m2 = toyModel(9, 1);
    const t2 = compile(m2, {
      optimizer: 'adam',
      loss: { name: 'binaryCrossentropy', fromLogits: true },
      metrics: ['binary_accuracy'],
    });
    const ev = t2.evaluate(data.x, data.yFloat);
    const logits = t2.predict(data.x).toTypedArray();
    const ys = data.yFloat.toTypedArray();
    let hits = 0;
    for (let i = 0; i < 48; i++) hits += (logits[i]! > 0 ? 1 : 0) === ys[i] ? 1 : 0;
    assert.equal(ev.binary_accuracy, hits / 48);
  });

  it('clear errors for misuse', async () => {
    const m = toyModel(10);
    const t = new Trainer(m);
    await assert.rejects(t.fit(data.x, data.y), /\[fit\] the trainer is not compiled/);
    t.compile({ optimizer: 'sgd', loss: 'crossEntropy' });
    await assert.rejects(
      t.fit(data.x, data.y.narrow(0, 0, 10), { verbose: 0 }),
      /\[fit\] x has 48 samples \(shape \[48,4\]\) but y has 10/,
    );
    await assert.rejects(
      t.fit(data.x, data.y, { validationSplit: 1.5, verbose: 0 }),
      /validationSplit must be in \[0, 1\)/,
    );
    assert.throws(
      () => t.compile({ optimizer: 'adamax', loss: 'mse' }),
      /\[getOptimizer\] unknown optimizer "adamax"/,
    );
    const t3 = compile(toyModel(10), {
      optimizer: 'sgd',
      loss: (p: ts.Tensor, y: ts.Tensor) => ts.functional.crossEntropy(p, y),
    });
    await assert.rejects(
      t3.fit(data.x, data.y, { classWeight: [1, 2], verbose: 0 }),
      /the loss returned a scalar, so sample\/class weights cannot be applied/,
    );
  });
});

it('predict keeps only its output alive, batch by batch', () => {
  const m = new ts.nn.Sequential(new ts.nn.Linear(8, 16), new ts.nn.ReLU(), new ts.nn.Linear(16, 2));
  const tr = ts.train.compile(m, { optimizer: 'adam', loss: 'crossEntropy' });
  const x = ts.randn([300, 8]);
  const before = ts.memoryStats.live;
  const y = tr.predict(x, { batchSize: 32 });
  assert.deepEqual(y.shape, [300, 2]);
  assert.equal(ts.memoryStats.live - before, 1);
  const again = m.call(x);
  const a = y.toTypedArray();
  const b = ts.noGrad(() => again).toTypedArray();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5);
});

describe('bad data', () => {
  it('NaN in the features is reported before training, with its position', async () => {
    const m = new ts.nn.Sequential(new ts.nn.Linear(3, 1));
    const t = compile(m, { optimizer: 'sgd', loss: 'mse' });
    const x = ts.tensor([1, 2, 3, 4, Number.NaN, 6], { shape: [2, 3] });
    const y = ts.tensor([[1], [2]], { dtype: 'float32' });
    await assert.rejects(
      t.fit(x, y, { epochs: 1, verbose: 0 }),
      /^TensorScriptError: \[fit\] x: row 1, column 1 is NaN/,
    );
  });
});

describe('gradient clipping in compile', () => {
  it('clipNorm bounds the global gradient norm before each step', () => {
    const m = new ts.nn.Sequential(new ts.nn.Linear(2, 1));
    const t = compile(m, { optimizer: { name: 'sgd', lr: 1 }, loss: 'mse', clipNorm: 0.5 });
    const w0 = m.parameters().map((p) => Array.from(p.toTypedArray()));
    const x = ts.tensor([[100, -100]], { dtype: 'float32' });
    const y = ts.tensor([[1000]], { dtype: 'float32' });
    t.trainStep({ x, y, sampleWeight: null });
    let sq = 0;
    m.parameters().forEach((p, i) => {
      const now = p.toTypedArray();
      for (let k = 0; k < now.length; k++) sq += (now[k]! - w0[i]![k]!) ** 2;
    });
    // With lr 1 the step equals the clipped gradient, whose norm is at most 0.5.
    assert.ok(Math.abs(Math.sqrt(sq) - 0.5) < 1e-4, `step norm ${Math.sqrt(sq)}`);
    assert.throws(
      () => compile(m, { optimizer: 'sgd', loss: 'mse', clipNorm: -1 }),
      /\[compile\] clipNorm must be a positive number/,
    );
  });
});
