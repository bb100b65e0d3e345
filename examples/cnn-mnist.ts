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
import { SimpleCnn } from '../src/models/index.ts';

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
const started = performance.now();

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
const model = new SimpleCnn({
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
class TrainTimer extends ts.train.Callback {
  seconds = 0;
  samples = 0;
  #t0 = 0;
  #last = 0;
  override onEpochBegin(): void {
    this.#t0 = performance.now();
    this.#last = this.#t0;
  }
  override onTrainBatchEnd(_b: number, logs: ts.train.Logs): void {
    this.#last = performance.now();
    this.samples += logs.size ?? 0;
  }
  override onEpochEnd(epoch: number, logs: ts.train.Logs): void {
    const s = (this.#last - this.#t0) / 1000;
    this.seconds += s;
    console.log(
      `epoch ${epoch + 1}/${epochs}: loss ${logs.loss!.toFixed(4)}, train accuracy ${logs.accuracy!.toFixed(4)}, ` +
        `test loss ${logs.val_loss!.toFixed(4)}, test accuracy ${logs.val_accuracy!.toFixed(4)}, ${s.toFixed(1)} s`,
    );
  }
}
const timer = new TrainTimer();
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
  macroF1: ts.metrics.f1Score(test.y, pred, { average: 'macro' }) as number,
  loss: trainer.evaluate(test.x, test.y, { batchSize: 256 }).loss!,
};
const samplesPerSec = timer.samples / timer.seconds;
console.log(`test: accuracy ${metrics.accuracy.toFixed(4)}, macro F1 ${metrics.macroF1.toFixed(4)}`);
console.log(
  `training: ${samplesPerSec.toFixed(1)} samples/s (${timer.samples} samples in ${timer.seconds.toFixed(1)} s); inference ${inferPerSec.toFixed(0)} samples/s`,
);
console.log(
  JSON.stringify({
    workflow: 'cnn-mnist',
    metrics,
    samplesPerSec,
    inferenceSamplesPerSec: inferPerSec,
    epochs,
    perEpoch: history.history.val_accuracy!.map((a, i) => ({
      epoch: i + 1,
      loss: history.history.loss![i],
      testAccuracy: a,
    })),
    wallSeconds: (performance.now() - started) / 1000,
    quick,
  }),
);
