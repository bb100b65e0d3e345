/**
 * DP-SGD on MNIST with an MLP (tanh): the run docs/privacy.md reports.
 *   node --import tsx examples/privacy/mnist-dpsgd.ts [epochs] [targetEpsilon] [limit]
 * Defaults: 15 epochs, target epsilon 3 (sigma chosen for it), delta 1e-5; environment knobs BATCH (256),
 * LR (0.1), MOMENTUM (0.9), HIDDEN (256), CLIP (1), POOL (1), NORM, OPT=adam, EMA. The reported run:
 *   POOL=2 BATCH=512 LR=0.2 EMA=0.999 node --import tsx examples/privacy/mnist-dpsgd.ts 30 3
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
// POOL=2 averages 2x2 pixel blocks (28x28 -> 14x14 = 196 inputs): a fixed, data-independent map, so it
// costs no privacy, and it cuts the parameters (and the noise DP-SGD adds to each) by four.
const pool = Number(process.env.POOL ?? 1);
const side = 28 / pool;
const inputs = side * side;
function downsample(a: Float32Array, n: number): Float32Array {
  if (pool === 1) return a;
  const out = new Float32Array(n * inputs);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < 28; r++)
      for (let c = 0; c < 28; c++)
        out[i * inputs + Math.floor(r / pool) * side + Math.floor(c / pool)]! +=
          a[i * 784 + r * 28 + c]! / (pool * pool);
  return out;
}
train.images = downsample(train.images, train.length);
test.images = downsample(test.images, test.length);
const ds = new ts.data.TensorDataset(
  { data: train.images, shape: [train.length, inputs] },
  { data: train.labels, shape: [train.length] },
);
ts.manualSeed(0);
const model = new ts.nn.Sequential(
  new ts.nn.Linear(inputs, hidden),
  new ts.nn.Tanh(),
  new ts.nn.Linear(hidden, 10),
);
const opt =
  process.env.OPT === 'adam'
    ? new ts.optim.Adam(model.parameters(), { lr })
    : new ts.optim.SGD(model.parameters(), { lr, momentum: Number(process.env.MOMENTUM ?? 0.9) });
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
const xTest = ts.tensor(test.images, { shape: [test.length, inputs] });
const accuracy = () =>
  ts.scope(() =>
    ts.noGrad(() => {
      const pred = ts.argmax(model.call(xTest), 1).toTypedArray();
      let ok = 0;
      for (let i = 0; i < test.length; i++) if (pred[i] === test.labels[i]) ok++;
      return ok / test.length;
    }),
  );
// EMA=0.999 keeps an exponential moving average of the weights and reports it too: post-processing of the
// private iterates, so it costs no privacy (De et al. 2022 use the same for DP-SGD).
const emaDecay = Number(process.env.EMA ?? 0);
const params = model.parameters();
const ema = params.map((p) => Float32Array.from(p.toTypedArray() as Float32Array));
const swap = () =>
  ts.noGrad(() =>
    params.forEach((p, i) => {
      const cur = Float32Array.from(p.toTypedArray() as Float32Array);
      p.copy_(ts.tensor(ema[i]!, { shape: p.shape }));
      ema[i] = cur;
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
    if (emaDecay > 0)
      params.forEach((p, i) => {
        const w = p.toTypedArray() as Float32Array;
        const m = ema[i]!;
        for (let k = 0; k < m.length; k++) m[k] = emaDecay * m[k]! + (1 - emaDecay) * w[k]!;
      });
    x!.dispose();
    y!.dispose();
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  let emaAcc = '';
  if (emaDecay > 0) {
    swap();
    emaAcc = `, EMA weights ${accuracy().toFixed(4)}`;
    swap();
  }
  console.log(
    `epoch ${e}: test accuracy ${accuracy().toFixed(4)}${emaAcc}, epsilon ${priv.getEpsilon().toFixed(3)} (delta 1e-5), ${s}s`,
  );
}
