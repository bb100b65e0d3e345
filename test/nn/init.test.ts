import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';

const { init } = nn;

function stats(t: ts.Tensor): { mean: number; std: number; min: number; max: number } {
  const d = Array.from(t.toTypedArray() as ArrayLike<number>);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
  return { mean, std, min: Math.min(...d), max: Math.max(...d) };
}

test('calculateGain matches torch.nn.init.calculate_gain', () => {
  assert.equal(init.calculateGain('linear'), 1);
  assert.equal(init.calculateGain('conv2d'), 1);
  assert.equal(init.calculateGain('sigmoid'), 1);
  assert.equal(init.calculateGain('tanh'), 5 / 3);
  assert.equal(init.calculateGain('relu'), Math.SQRT2);
  assert.ok(Math.abs(init.calculateGain('leakyRelu') - 1.4141428569978354) < 1e-15);
  assert.ok(Math.abs(init.calculateGain('leaky_relu', Math.sqrt(5)) - 0.5773502691896258) < 1e-15);
  assert.equal(init.calculateGain('selu'), 0.75);
  assert.throws(
    () => init.calculateGain('swish' as never),
    /\[calculateGain\] unsupported nonlinearity "swish"/,
  );
});

test('fan in / fan out follow torch (receptive field included)', () => {
  assert.deepEqual(init.calculateFanInAndFanOut(ts.zeros([6, 4])), { fanIn: 4, fanOut: 6 });
  assert.deepEqual(init.calculateFanInAndFanOut(ts.zeros([8, 3, 5, 5])), { fanIn: 75, fanOut: 200 });
  assert.throws(() => init.calculateFanInAndFanOut(ts.zeros([3])), /fewer than 2 dimensions/);
});

test('uniform and Kaiming/Xavier bounds and spreads', () => {
  const g = new ts.Generator(11);
  const w = ts.zeros([200, 100]);
  init.kaimingUniform_(w, { a: Math.sqrt(5), generator: g });
  const bound = 1 / Math.sqrt(100); // torch's Linear default
  let s = stats(w);
  assert.ok(s.min >= -bound && s.max <= bound && s.max > 0.95 * bound && s.min < -0.95 * bound);
  init.kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu', generator: g });
  s = stats(w);
  assert.ok(Math.abs(s.std - Math.SQRT2 / Math.sqrt(200)) < 0.005, `std ${s.std}`);
  assert.ok(Math.abs(s.mean) < 0.003);
  init.xavierUniform_(w, 2, { generator: g });
  const a = 2 * Math.sqrt(6 / 300);
  s = stats(w);
  assert.ok(s.min >= -a && s.max <= a && s.max > 0.95 * a);
  init.xavierNormal_(w, 1, { generator: g });
  assert.ok(Math.abs(stats(w).std - Math.sqrt(2 / 300)) < 0.002);
  init.normal_(w, 3, 0.5, { generator: g });
  s = stats(w);
  assert.ok(Math.abs(s.mean - 3) < 0.01 && Math.abs(s.std - 0.5) < 0.01);
  init.uniform_(w, -2, -1, { generator: g });
  s = stats(w);
  assert.ok(s.min >= -2 && s.max < -1 && Math.abs(s.mean + 1.5) < 0.01);
  init.constant_(w, 0.25);
  assert.deepEqual(stats(w), { mean: 0.25, std: 0, min: 0.25, max: 0.25 });
  assert.throws(
    () => init.uniform_(ts.zeros([2], { dtype: 'int32' })),
    /\[uniform_\] expected a floating point tensor/,
  );
});

test('initialisers work on parameters (in place, no autograd) and are reproducible from a seed', () => {
  const a = new nn.Linear(3, 2, { generator: new ts.Generator(5) });
  const b = new nn.Linear(3, 2, { generator: new ts.Generator(5) });
  assert.deepEqual(a.weight.toArray(), b.weight.toArray());
  const w = a.weight;
  init.zeros_(a.weight);
  assert.equal(a.weight, w);
  assert.ok(a.weight.requiresGrad && a.weight.isLeaf);
  assert.deepEqual(a.weight.toArray(), [
    [0, 0, 0],
    [0, 0, 0],
  ]);
  // apply() for custom initialisation, as in PyTorch
  const net = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU(), new nn.Linear(2, 1));
  net.apply((m) => {
    if (m instanceof nn.Linear) {
      init.ones_(m.weight);
      if (m.bias) init.zeros_(m.bias);
    }
  });
  assert.deepEqual(net.call(ts.tensor([[1, 2]], { dtype: 'float32' })).toArray(), [[6]]);
  // the default generator: manualSeed makes layer construction reproducible
  ts.manualSeed(42);
  const c = new nn.Conv2d(2, 2, 3);
  ts.manualSeed(42);
  const d = new nn.Conv2d(2, 2, 3);
  assert.deepEqual(c.weight.toArray(), d.weight.toArray());
});
