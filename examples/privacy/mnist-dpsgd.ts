/**
 * DP-SGD on MNIST with the library's MLP (784-256-10, tanh): the run docs/privacy.md reports.
 *   node --import tsx examples/privacy/mnist-dpsgd.ts [epochs] [targetEpsilon] [limit]
 * Defaults: 15 epochs, target epsilon 3 (sigma chosen for it), delta 1e-5, batch 256, C 1, SGD lr 0.5 momentum 0.9... see below.
 */
import * as ts from '../../src/index.ts';

const epochs = Number(process.argv[2] ?? 15);
const targetEpsilon = Number(process.argv[3] ?? 3);
const limit = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const batchSize = Number(process.env.BATCH ?? 256);
const lr = Number(process.env.LR ?? 0.1);
const hidden = Number(process.env.HIDDEN ?? 256);

const train = await ts.data.loadMnist({ split: 'train', flatten: true, limit });
const test = await ts.data.loadMnist({ split: 'test', flatten: true });
// MNIST's usual normalisation (mean 0.1307, std 0.3081): a public constant, so it costs no privacy.
for (const a of [train.images, test.images])
  for (let i = 0; i < a.length; i++) a[i] = (a[i]! - 0.1307) / 0.3081;
const ds = new ts.data.TensorDataset(
  { data: train.images, shape: [train.length, 784] },
  { data: train.labels, shape: [train.length] },
);
ts.manualSeed(0);
const model = new ts.nn.Sequential(
  new ts.nn.Linear(784, hidden),
  new ts.nn.Tanh(),
  new ts.nn.Linear(hidden, 10),
);
const opt = new ts.optim.SGD(model.parameters(), { lr, momentum: Number(process.env.MOMENTUM ?? 0.9) });
const loader = new ts.data.DataLoader(ds, { batchSize });
const priv = ts.privacy.makePrivate(model, opt, loader, {
  maxGradNorm: Number(process.env.CLIP ?? 1),
  targetEpsilon,
  delta: 1e-5,
  epochs,
  seed: 1,
});
console.log(
  `sigma ${priv.noiseMultiplier.toFixed(4)} for eps ${targetEpsilon} over ${epochs} epochs, q ${priv.sampleRate}`,
);
const xTest = ts.tensor(test.images, { shape: [test.length, 784] });
const accuracy = () =>
  ts.scope(() =>
    ts.noGrad(() => {
      const pred = ts.argmax(model.call(xTest), 1).toTypedArray();
      let ok = 0;
      for (let i = 0; i < test.length; i++) if (pred[i] === test.labels[i]) ok++;
      return ok / test.length;
    }),
  );
for (let e = 1; e <= epochs; e++) {
  const t0 = performance.now();
  for await (const [x, y] of priv.loader) {
    ts.scope(() => {
      priv.optimizer.zeroGrad();
      const l = ts.functional.crossEntropy(model.call(x!), y!);
      l.backward();
      priv.optimizer.step();
    });
    x!.dispose();
    y!.dispose();
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `epoch ${e}: test accuracy ${accuracy().toFixed(4)}, epsilon ${priv.getEpsilon().toFixed(3)} (delta 1e-5), ${s}s`,
  );
}
