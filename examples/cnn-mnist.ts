/**
 * Workflow 4: a small CNN on MNIST.
 *
 *   node --import tsx examples/cnn-mnist.ts            # the full recipe (4 epochs on 60,000 images)
 *   node --import tsx examples/cnn-mnist.ts --quick    # 1,000 training images, 1 epoch (smoke test)
 *
 * conv3x3x32-ReLU-maxpool2-conv3x3x64-ReLU-maxpool2-dense128(ReLU)-dense10 (logits; cross-entropy applies the
 * softmax), pixels scaled to [0, 1], Adam 1e-3, batch 64, 4 epochs. Prints the test accuracy after every epoch
 * and the final test metrics, then one JSON line: {"workflow", "metrics": {...}, "samplesPerSec", ...}.
 */
import { parseArgs } from 'node:util';
import * as ts from '../src/index.ts';
import { EpochTimer, report, stopwatch } from './common.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});
const quick = args.quick === true;
const epochs = Number(args.epochs ?? (quick ? 1 : 4));
const seed = Number(args.seed);
const wall = stopwatch();

// ---- data ----
const load = async (split: 'train' | 'test', limit?: number) => {
  const m = await ts.data.loadMnist({ split, limit });
  return { x: ts.tensor(m.images, { shape: m.shape }), y: ts.tensor(m.labels, { dtype: 'int32' }) };
};
const train = await load('train', quick ? 1000 : undefined);
const test = await load('test', quick ? 200 : undefined);
console.log(`MNIST: train ${train.x.shape[0]}, test ${test.x.shape[0]}`);

// ---- model ----
ts.manualSeed(seed);
const model = new ts.models.SimpleCnn({
  inChannels: 1,
  imageSize: 28,
  channels: [32, 64],
  hidden: 128,
  numClasses: 10,
});
const trainer = ts.train.compile(model, {
  optimizer: new ts.optim.Adam(model.parameters(), { lr: 1e-3 }),
  loss: 'crossEntropy',
  metrics: ['accuracy'],
});

// ---- training, timed without the per-epoch test pass ----
const timer = new EpochTimer(epochs);
const history = await trainer.fit(train.x, train.y, {
  epochs,
  batchSize: 64,
  seed,
  validationData: [test.x, test.y],
  callbacks: [timer],
  verbose: process.stdout.isTTY ? 1 : 0,
});

// ---- evaluation ----
const evalStart = performance.now();
const pred = trainer.predict(test.x, { batchSize: 256 }).argmax(1);
const inferPerSec = test.x.shape[0]! / ((performance.now() - evalStart) / 1000);
const metrics = {
  accuracy: ts.metrics.accuracyScore(test.y, pred),
  f1_macro: ts.metrics.f1Score(test.y, pred, { average: 'macro' }) as number,
  loss: trainer.evaluate(test.x, test.y, { batchSize: 256 }).loss!,
};
const samplesPerSec = timer.samples / timer.seconds;
console.log(`test: accuracy ${metrics.accuracy.toFixed(4)}, macro F1 ${metrics.f1_macro.toFixed(4)}`);
console.log(
  `training: ${samplesPerSec.toFixed(1)} samples/s (${timer.samples} samples in ${timer.seconds.toFixed(1)} s); inference ${inferPerSec.toFixed(0)} samples/s`,
);
console.log(
  `test accuracy after each epoch: ${history.history.val_accuracy!.map((a) => a.toFixed(4)).join(', ')}; wall time ${wall().toFixed(1)} s`,
);
report('cnn-mnist', metrics, samplesPerSec);
