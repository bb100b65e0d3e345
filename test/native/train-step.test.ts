// native.trainStep: a whole captured step on ONNX Runtime equals the library's step; training runs agree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';

const { nn, optim } = ts;

type Make = () => ts.nn.Sequential;
const seedMlp: Make = () =>
  new nn.Sequential(
    new nn.Linear(784, 500),
    new nn.ReLU(),
    new nn.Linear(500, 250),
    new nn.ReLU(),
    new nn.Linear(250, 10),
  );

/** Two identical models (same seed), each with its own optimizer. */
function twins(make: Make, opt: (p: ts.Tensor[]) => ts.optim.Optimizer) {
  ts.manualSeed(7);
  const a = make();
  ts.manualSeed(7);
  const b = make();
  return { a, b, oa: opt(a.parameters()), ob: opt(b.parameters()) };
}

function libraryStep(
  m: ts.nn.Module,
  o: ts.optim.Optimizer,
  loss: (p: ts.Tensor, y: ts.Tensor) => ts.Tensor,
) {
  return (x: ts.Tensor, y: ts.Tensor): number =>
    ts.scope(() => {
      o.zeroGrad();
      const l = loss(m.call(x) as ts.Tensor, y);
      l.backward();
      o.step();
      return l.item();
    });
}

/** max |a-b| / max(1, |b|) over all parameters. */
function relDiff(a: ts.nn.Module, b: ts.nn.Module): number {
  let d = 0;
  const pb = b.parameters();
  a.parameters().forEach((p, i) => {
    const x = p.toTypedArray() as Float32Array;
    const y = pb[i]!.toTypedArray() as Float32Array;
    for (let k = 0; k < x.length; k++)
      d = Math.max(d, Math.abs(x[k]! - y[k]!) / Math.max(1, Math.abs(y[k]!)));
  });
  return d;
}

const F = ts.functional as unknown as Record<string, (p: ts.Tensor, y: ts.Tensor) => ts.Tensor>;

test('seed MLP, SGD momentum, cross-entropy: two captured steps equal the library within 1e-5', () => {
  const { a, b, oa, ob } = twins(seedMlp, (p) => new optim.SGD(p, { lr: 0.01, momentum: 0.9 }));
  const nat = ts.native.trainStep(a, oa, { loss: 'crossEntropy', threads: 1 });
  assert.equal(nat.engine, 'native');
  assert.equal(nat.reason, null);
  const lib = libraryStep(b, ob, F.crossEntropy!);
  for (let s = 0; s < 3; s++) {
    const x = ts.rand([100, 784]);
    const y = ts.randint(0, 10, [100]).to('int32');
    const ln = nat.step(x, y);
    const ll = lib(x, y);
    assert.ok(Math.abs(ln - ll) <= 1e-5, `step ${s}: loss ${ln} vs ${ll}`);
  }
  nat.sync();
  const d = relDiff(a, b);
  assert.ok(d <= 1e-5, `weights differ by ${d}`);
  // sync() wrote the momentum buffers: a library step from here matches the library twin's.
  const x = ts.rand([100, 784]);
  const y = ts.randint(0, 10, [100]).to('int32');
  libraryStep(a, oa, F.crossEntropy!)(x, y);
  lib(x, y);
  assert.ok(relDiff(a, b) <= 1e-5, 'optimizer state synced');
  nat.dispose();
});

const small: Make = () =>
  new nn.Sequential(
    new nn.Linear(6, 8),
    new nn.Tanh(),
    new nn.Linear(8, 8),
    new nn.LeakyReLU(0.1),
    new nn.Linear(8, 8),
    new nn.SiLU(),
    new nn.Linear(8, 3),
  );

const combos: [
  string,
  (p: ts.Tensor[]) => ts.optim.Optimizer,
  'mse' | 'bce' | 'bceWithLogits' | 'crossEntropy',
  string,
][] = [
  ['Adam + mse', (p) => new optim.Adam(p, { lr: 0.01 }), 'mse', 'mseLoss'],
  [
    'AdamW + bceWithLogits',
    (p) => new optim.AdamW(p, { lr: 0.01, weightDecay: 0.1 }),
    'bceWithLogits',
    'binaryCrossEntropyWithLogits',
  ],
  [
    'SGD nesterov + weight decay + crossEntropy',
    (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 1e-3 }),
    'crossEntropy',
    'crossEntropy',
  ],
  ['plain SGD + bce (sigmoid head)', (p) => new optim.SGD(p, { lr: 0.1 }), 'bce', 'binaryCrossEntropy'],
];

for (const [name, opt, loss, fn] of combos) {
  test(`${name}: five captured steps equal the library within 1e-5`, () => {
    const make: Make = loss === 'bce' ? () => small().append(new nn.Sigmoid()) as ts.nn.Sequential : small;
    const { a, b, oa, ob } = twins(make, opt);
    const nat = ts.native.trainStep(a, oa, { loss, threads: 1 });
    assert.equal(nat.engine, 'native', nat.reason ?? '');
    const lib = libraryStep(b, ob, F[fn]!);
    for (let s = 0; s < 5; s++) {
      const x = ts.randn([16, 6]);
      const y = loss === 'crossEntropy' ? ts.randint(0, 3, [16]).to('int32') : ts.rand([16, 3]);
      const ln = nat.step(x, y);
      const ll = lib(x, y);
      assert.ok(Math.abs(ln - ll) <= 1e-5, `step ${s}: loss ${ln} vs ${ll}`);
    }
    nat.sync();
    const d = relDiff(a, b);
    assert.ok(d <= 1e-5, `weights differ by ${d}`);
  });
}

test('5 epochs on native and on the wasm backend from the same seed end within 1e-4 relative', () => {
  ts.manualSeed(3);
  const n = 512;
  const x = ts.randn([n, 6]);
  const y = ts.randint(0, 3, [n]).to('int32');
  const { a, b, oa, ob } = twins(small, (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 }));
  const nat = ts.native.trainStep(a, oa, { loss: 'crossEntropy' });
  const lib = libraryStep(b, ob, F.crossEntropy!);
  assert.equal(ts.getBackend().name, 'wasm');
  let last = [0, 0];
  for (let e = 0; e < 5; e++)
    for (let i = 0; i < n; i += 32) {
      const xb = x.narrow(0, i, 32);
      const yb = y.narrow(0, i, 32);
      last = [nat.step(xb, yb), lib(xb, yb)];
    }
  nat.sync();
  const d = relDiff(a, b);
  assert.ok(d <= 1e-4, `final weights differ by ${d}`);
  assert.ok(Math.abs(last[0]! - last[1]!) <= 1e-4, `final losses ${last}`);
});

test('uncapturable models fall back to the library step with the reason', () => {
  ts.manualSeed(0);
  const m = new nn.Sequential(new nn.Linear(4, 4), new nn.BatchNorm1d(4), new nn.Linear(4, 2));
  const o = new optim.SGD(m.parameters(), { lr: 0.1 });
  const s = ts.native.trainStep(m, o, { loss: 'mse' });
  assert.notEqual(s.engine, 'native');
  assert.match(s.reason ?? '', /no captured-step rule for 1: BatchNorm1d/);
  const before = m.parameters()[0]!.toTypedArray();
  assert.ok(Number.isFinite(s.step(ts.randn([8, 4]), ts.randn([8, 2]))));
  assert.notDeepEqual(m.parameters()[0]!.toTypedArray(), before, 'the library step trained the model');
  assert.throws(
    () => ts.native.trainStep(m, o, { loss: 'mse', fallback: 'error' }),
    /cannot run natively: no captured-step rule for 1: BatchNorm1d/,
  );
  const d = new nn.Sequential(new nn.Linear(4, 4), new nn.Dropout(0.5));
  assert.match(
    ts.native.trainStep(d, new optim.Adam(d.parameters()), { loss: 'mse' }).reason ?? '',
    /Dropout\(p=0.5\)/,
  );
  const r = new optim.RMSprop(d.parameters(), { lr: 0.1 });
  assert.match(
    ts.native.trainStep(new nn.Sequential(new nn.Linear(4, 4)), r, { loss: 'mse' }).reason ?? '',
    /not in the optimizer/,
  );
  assert.throws(
    () => ts.native.trainStep(m, o, { loss: 'crossentropy' as never }),
    /did you mean "crossEntropy"/,
  );
  assert.throws(
    () => ts.native.trainStep(m, o, { loss: 'mse', fallbak: 'error' } as never),
    /unknown option "fallbak"/,
  );
});
