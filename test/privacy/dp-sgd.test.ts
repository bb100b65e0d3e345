import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';

const { nn } = ts;

function perSampleNorms(ps: Map<ts.nn.Parameter, ts.Tensor>, b: number): number[] {
  const out = new Array<number>(b).fill(0);
  for (const g of ps.values()) {
    const a = g.reshape([b, -1]).toTypedArray() as Float32Array;
    const k = a.length / b;
    for (let i = 0; i < b; i++) for (let j = 0; j < k; j++) out[i]! += a[i * k + j]! ** 2;
  }
  return out.map(Math.sqrt);
}

function dpOptimizer(model: ts.nn.Module, opts: { sigma: number; c: number; e: number; seed?: number }) {
  const sampler = new ts.privacy.GradSampler(model as unknown as ts.nn.AnyModule);
  const inner = new ts.optim.SGD(model.parameters(), { lr: 0.1 });
  const dp = new ts.privacy.DPOptimizer(inner, sampler, {
    noiseMultiplier: opts.sigma,
    maxGradNorm: opts.c,
    expectedBatchSize: opts.e,
    sampleRate: 0.01,
    accountant: new ts.privacy.RDPAccountant(),
    generator: new ts.Generator(opts.seed ?? 7),
  });
  return { sampler, dp };
}

/** A conv + embedding-free model touching the materialised (Conv2d, LayerNorm) and factored (Linear) paths. */
function mixedModel(): ts.nn.Module {
  ts.manualSeed(11);
  return new nn.Sequential(
    new nn.Conv2d(1, 3, 3, { padding: 1 }),
    new nn.Tanh(),
    new nn.Flatten(),
    new nn.Linear(3 * 5 * 5, 8),
    new nn.LayerNorm(8),
    new nn.Linear(8, 3),
  );
}

test('clipping: every per-sample gradient norm after clipping is <= C, smaller ones are unchanged', () => {
  const model = mixedModel();
  // Bias gradients put every norm above ~4.4 here; C = 5 clips about half.
  const c = 5;
  const { sampler, dp } = dpOptimizer(model, { sigma: 0, c, e: 8 });
  // Inputs of very different scales, so some samples are clipped and some are not.
  const scales = [0.01, 0.02, 0.1, 1, 3, 10, 0.05, 30];
  const x = ts.randn([8, 1, 5, 5]).mul(ts.tensor(scales).reshape([8, 1, 1, 1]));
  model.call(x).square().mean().backward();
  const ps = sampler.perSampleGrads();
  const before = perSampleNorms(ps, 8);
  const after = perSampleNorms(dp.clipPerSample(ps, 8), 8);
  assert.ok(before.some((n) => n > c) && before.some((n) => n < c), `norms ${before}`);
  for (let i = 0; i < 8; i++) {
    assert.ok(after[i]! <= c * (1 + 1e-5), `sample ${i}: ${after[i]} > ${c}`);
    if (before[i]! < c) assert.ok(Math.abs(after[i]! - before[i]!) <= 1e-5 * c);
    else assert.ok(Math.abs(after[i]! - c) <= 1e-4 * c, `clipped to ${after[i]}, not ${c}`);
  }
  // The step's clipped sum (factored Linear rule, materialised Conv2d/LayerNorm) equals clip-then-sum.
  const { sum, norms } = sampler.clippedSum(c);
  const norms2 = Array.from(norms!.toTypedArray() as Float32Array);
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(norms2[i]! - before[i]!) <= 1e-4 * before[i]!);
  for (const [p, clipped] of dp.clipPerSample(ps, 8)) {
    const want = clipped.sum(0).toTypedArray() as Float32Array;
    const got = sum.get(p)!.toTypedArray() as Float32Array;
    const scale = Math.max(...Array.from(want, Math.abs));
    for (let k = 0; k < want.length; k++) assert.ok(Math.abs(got[k]! - want[k]!) <= 1e-4 * scale);
  }
});

test('without noise, the step gradient is the clipped sum over the expected batch size', () => {
  const model = mixedModel();
  const { sampler, dp } = dpOptimizer(model, { sigma: 0, c: 0.3, e: 16 });
  const x = ts.randn([6, 1, 5, 5]).mul(4);
  model.call(x).square().mean().backward();
  const clipped = dp.clipPerSample(sampler.perSampleGrads(), 6);
  const want = new Map([...clipped].map(([p, g]) => [p, g.sum(0).div(16).toTypedArray() as Float32Array]));
  dp.step();
  for (const p of model.parameters()) {
    const got = p.grad!.toTypedArray() as Float32Array;
    const w = want.get(p)!;
    for (let k = 0; k < w.length; k++) assert.ok(Math.abs(got[k]! - w[k]!) <= 1e-6 + 1e-4 * Math.abs(w[k]!));
  }
  assert.equal(dp.accountant.steps, 1);
});

test('noise: the empirical standard deviation of the added noise is sigma * C (mean 0)', () => {
  ts.manualSeed(5);
  const model = new nn.Sequential(new nn.Linear(100, 60));
  const sigma = 1.3;
  const c = 0.7;
  const e = 32;
  for (const secure of [false, true]) {
    const sampler = new ts.privacy.GradSampler(model as unknown as ts.nn.AnyModule);
    const dp = new ts.privacy.DPOptimizer(new ts.optim.SGD(model.parameters(), { lr: 0.01 }), sampler, {
      noiseMultiplier: sigma,
      maxGradNorm: c,
      expectedBatchSize: e,
      sampleRate: 0.01,
      accountant: new ts.privacy.RDPAccountant(),
      generator: secure ? 'secure' : new ts.Generator(3),
    });
    // An empty batch: the update is the noise alone, divided by the expected batch size.
    dp.noiseOnlyStep();
    const vals = model
      .parameters()
      .flatMap((p) => Array.from(p.grad!.toTypedArray() as Float32Array, (v) => v * e));
    const n = vals.length;
    const mean = vals.reduce((s, v) => s + v, 0) / n;
    const std = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
    // n = 6060: the standard error of the std is sigma*C/sqrt(2n) ~ 0.9%; 4% is > 4 standard errors.
    assert.ok(
      Math.abs(std - sigma * c) <= 0.04 * sigma * c,
      `secure=${secure}: std ${std}, want ${sigma * c}`,
    );
    assert.ok(Math.abs(mean) <= (4 * sigma * c) / Math.sqrt(n), `mean ${mean}`);
    sampler.remove();
  }
});

function toyDataset(n: number, seed: number) {
  const g = new ts.Generator(seed);
  const x = new Float32Array(n * 4);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = i % 2;
    y[i] = cls;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = g.normal() + (cls === 1 ? 1.5 : -1.5) * (j < 2 ? 1 : 0);
  }
  return new ts.data.TensorDataset({ data: x, shape: [n, 4] }, { data: y, shape: [n] });
}

test('makePrivate trains with Poisson batches, reports epsilon, stops at the target and refuses bad options', async () => {
  ts.manualSeed(9);
  const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
  const opt = new ts.optim.SGD(model.parameters(), { lr: 0.5 });
  const ds = toyDataset(2000, 1);
  const loader = new ts.data.DataLoader(ds, { batchSize: 100 });
  const priv = ts.privacy.makePrivate(model, opt, loader, {
    noiseMultiplier: 1.0,
    maxGradNorm: 1,
    delta: 1e-4,
    targetEpsilon: 2.5,
  });
  assert.equal(priv.sampleRate, 0.05);
  assert.equal(priv.loader.length, 20);
  const sizes: number[] = [];
  let epochs = 0;
  while (!priv.budgetSpent && epochs < 50) {
    for await (const [x, y] of priv.loader) {
      sizes.push(x!.shape[0]!);
      ts.scope(() => {
        priv.optimizer.zeroGrad();
        ts.functional.crossEntropy(model.call(x!), y!).backward();
        priv.optimizer.step();
      });
    }
    epochs++;
  }
  // Poisson batches: sizes vary around q*N = 100 (binomial sd ~9.7).
  const mean = sizes.reduce((s, v) => s + v, 0) / sizes.length;
  assert.ok(Math.abs(mean - 100) < 5 && new Set(sizes).size > 10, `batch sizes ${sizes.slice(0, 10)}`);
  const eps = priv.getEpsilon();
  assert.ok(eps <= 2.5 && eps > 2.3, `stopped at epsilon ${eps}`);
  assert.ok(priv.budgetSpent);
  // The accountant agrees with a fresh computation for the steps taken.
  const steps = priv.accountant.steps;
  const want = ts.privacy.rdpToEpsilon(
    ts.privacy.DEFAULT_ORDERS,
    ts.privacy.computeRdp(0.05, 1.0, steps),
    1e-4,
  ).epsilon;
  assert.equal(eps, want);
  // It learned despite the noise.
  const xs = ts.tensor(new Float32Array([2, 2, 0, 0, -2, -2, 0, 0]), { shape: [2, 4] });
  const pred = ts.noGrad(() => ts.argmax(model.call(xs), 1).toArray());
  assert.deepEqual(pred, [1, 0]);

  // sigma chosen for a target epsilon over planned epochs.
  const m2 = new nn.Sequential(new nn.Linear(4, 2));
  const p2 = ts.privacy.makePrivate(m2, new ts.optim.SGD(m2.parameters(), { lr: 0.1 }), loader, {
    maxGradNorm: 1,
    targetEpsilon: 1,
    delta: 1e-4,
    epochs: 3,
  });
  const e3 = ts.privacy.rdpToEpsilon(
    ts.privacy.DEFAULT_ORDERS,
    ts.privacy.computeRdp(0.05, p2.noiseMultiplier, 60),
    1e-4,
  );
  assert.ok(e3.epsilon <= 1 && e3.epsilon > 0.98, `eps ${e3.epsilon} for sigma ${p2.noiseMultiplier}`);

  assert.throws(
    () => ts.privacy.makePrivate(m2, opt, loader, { maxGradNorm: 1, noiseMultiplier: 1, delta: 1e-2 }),
    /delta must be in \(0, 1\/2000\)/,
  );
  assert.throws(
    () => ts.privacy.makePrivate(m2, opt, loader, { maxGradNorm: 1, noiseMultipler: 1 } as never),
    /unknown option "noiseMultipler" \(did you mean "noiseMultiplier"\?\)/,
  );
  assert.throws(() => ts.privacy.makePrivate(m2, opt, loader, { maxGradNorm: 1 }), /give noiseMultiplier/);
  const bn = new nn.Sequential(new nn.Linear(4, 4), new nn.BatchNorm1d(4));
  assert.throws(
    () =>
      ts.privacy.makePrivate(bn, new ts.optim.SGD(bn.parameters(), { lr: 0.1 }), loader, {
        maxGradNorm: 1,
        noiseMultiplier: 1,
      }),
    /BatchNorm1d .*LayerNorm/,
  );
});

test('an empty Poisson batch is a noise-only step that the accountant counts', async () => {
  const model = new nn.Sequential(new nn.Linear(4, 2));
  const ds = toyDataset(40, 2);
  // q = 1/40: P(empty) = (39/40)^40 ~ 0.36 per step.
  const loader = new ts.data.DataLoader(ds, { batchSize: 1 });
  const priv = ts.privacy.makePrivate(model, new ts.optim.SGD(model.parameters(), { lr: 0.1 }), loader, {
    noiseMultiplier: 1,
    maxGradNorm: 1,
    delta: 1e-3,
    seed: 4,
  });
  let batches = 0;
  for await (const [x, y] of priv.loader) {
    batches++;
    ts.scope(() => {
      priv.optimizer.zeroGrad();
      ts.functional.crossEntropy(model.call(x!), y!).backward();
      priv.optimizer.step();
    });
  }
  assert.equal(priv.loader.length, 40);
  assert.ok(batches < 40 && batches > 10, `${batches} non-empty batches`);
  assert.equal(priv.accountant.steps, 40, 'empty batches are steps too');
});
