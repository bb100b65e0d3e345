import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';

const { nn } = ts;

/** Loss whose mean over the batch is what every ts.train loss does: per sample, the mean of squares. */
const loss = (y: ts.Tensor) => y.square().mean();

/**
 * Checks that GradSampler's per-sample gradients equal the gradients of one-sample batches. The reference
 * runs a backward per sample (a loop, on purpose: it is the definition).
 */
function checkPerSample(model: ts.nn.Module, x: ts.Tensor, tol = 1e-4): void {
  const sampler = new ts.privacy.GradSampler(model as unknown as ts.nn.AnyModule);
  const params = model.parameters().filter((p) => p.requiresGrad);
  for (const p of params) p.zeroGrad();
  loss(model.call(x)).backward();
  const ps = sampler.perSampleGrads();
  assert.equal(ps.size, params.length, 'every trainable parameter has per-sample gradients');
  const b = x.shape[0]!;
  for (let i = 0; i < b; i++) {
    for (const p of params) p.zeroGrad();
    sampler.clear();
    loss(model.call(x.narrow(0, i, 1))).backward();
    for (const [name, p] of model.namedParameters()) {
      const want = Array.from(p.grad!.toTypedArray() as Float32Array);
      const got = Array.from(ps.get(p)!.narrow(0, i, 1).toTypedArray() as Float32Array);
      assert.equal(got.length, want.length);
      const scale = Math.max(1e-3, ...want.map(Math.abs));
      for (let k = 0; k < want.length; k++)
        assert.ok(
          Math.abs(got[k]! - want[k]!) <= tol * scale,
          `${name} sample ${i} [${k}]: per-sample ${got[k]} vs one-sample batch ${want[k]}`,
        );
    }
  }
  sampler.remove();
}

test('Linear: per-sample gradients equal one-sample batch gradients (2-D and 3-D inputs)', () => {
  ts.manualSeed(1);
  const mlp = new nn.Sequential(new nn.Linear(5, 7), new nn.Tanh(), new nn.Linear(7, 3));
  checkPerSample(mlp, ts.randn([6, 5]));
  const seq = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 2, { bias: false }));
  checkPerSample(seq, ts.randn([3, 5, 4]));
});

test('Conv2d: per-sample gradients equal one-sample batch gradients (stride, padding, groups)', () => {
  ts.manualSeed(2);
  const cnn = new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { stride: 2, padding: 1 }),
    new nn.ReLU(),
    new nn.Conv2d(4, 6, 3, { groups: 2, padding: 'same' }),
    new nn.Flatten(),
    new nn.Linear(6 * 4 * 4, 3),
  );
  checkPerSample(cnn, ts.randn([4, 2, 8, 8]));
  const dil = new nn.Sequential(new nn.Conv2d(1, 2, [3, 2], { dilation: 2, bias: false }), new nn.Flatten());
  checkPerSample(dil, ts.randn([3, 1, 7, 6]));
});

test('Embedding and LayerNorm: per-sample gradients equal one-sample batch gradients', () => {
  ts.manualSeed(3);
  const model = new nn.Sequential(
    new nn.Embedding(11, 4, { paddingIdx: 0 }),
    new nn.LayerNorm(4),
    new nn.Linear(4, 2),
  );
  // Repeated tokens within a sample (gradients add up) and the padding index (no gradient).
  const idx = ts.tensor(
    [
      [1, 2, 2, 0],
      [3, 0, 0, 0],
      [10, 9, 1, 1],
    ],
    { dtype: 'int32' },
  );
  checkPerSample(model, idx);
  // Two normalised dims, over a 3-D input; a nested container.
  const ln2 = new nn.Sequential(new nn.Linear(3, 3), new nn.LayerNorm([2, 3]));
  checkPerSample(new nn.Sequential(ln2, new nn.Flatten(), new nn.Linear(6, 2)), ts.randn([4, 2, 3]));
});

test('layers without a per-sample rule are refused by name; BatchNorm names its replacement', () => {
  const bn = new nn.Sequential(new nn.Linear(4, 4), new nn.BatchNorm1d(4));
  assert.throws(
    () => new ts.privacy.GradSampler(bn as unknown as ts.nn.AnyModule),
    /BatchNorm1d at '1' mixes the samples.*LayerNorm.*GroupNorm/,
  );
  const lstm = new nn.Sequential(new nn.LSTM(3, 4));
  assert.throws(
    () => new ts.privacy.GradSampler(lstm as unknown as ts.nn.AnyModule),
    /LSTM at '0' has trainable parameters .* no per-sample gradient rule; supported layers: Linear, Conv2d, Embedding, LayerNorm/,
  );
  // A frozen unsupported layer is fine: its parameters get no gradient to protect.
  const frozen = new nn.Sequential(new nn.LSTM(3, 4));
  for (const p of frozen.parameters()) p.requiresGrad_(false);
  new ts.privacy.GradSampler(frozen as unknown as ts.nn.AnyModule).remove();
});
