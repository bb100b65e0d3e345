// Quantization-aware training: prepareQat swaps in fake-quantizing layers that fit trains (loss falls, weights
// move, input ranges observed, state saved with the model), and convertQat turns them into the static int8
// layers, whose outputs match the QAT model's fake-quantized ones closely.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';

function cnn(): ts.nn.Sequential {
  const g = new ts.Generator(21);
  return new ts.nn.Sequential(
    new ts.nn.Conv2d(1, 4, 3, { padding: 1, generator: g }),
    new ts.nn.ReLU(),
    new ts.nn.MaxPool2d(2),
    new ts.nn.Flatten(),
    new ts.nn.Linear(4 * 3 * 3, 3, { generator: g }),
  );
}

/** Three classes told apart by which third of the 6x6 image is bright. */
function data(n = 96): [ts.Tensor, ts.Tensor] {
  const g = new ts.Generator(5);
  const noise = ts.randn([n, 1, 6, 6], { generator: g }).toTypedArray() as Float32Array;
  const x = new Float32Array(n * 36);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let p = 0; p < 36; p++)
      x[i * 36 + p] = 0.3 * noise[i * 36 + p]! + (Math.floor((p % 6) / 2) === y[i] ? 1 : 0);
  }
  return [ts.tensor(x, { shape: [n, 1, 6, 6] }), ts.tensor(y, { dtype: 'int32' })];
}

function flat(t: ts.Tensor): number[] {
  return Array.from(t.toTypedArray() as Float32Array);
}

test('prepareQat gives a model that fit trains with fake quantization, and convertQat converts it', async () => {
  const base = cnn();
  const { model: qat, report } = ts.quant.prepareQat(base);
  assert.deepEqual(
    report.prepared.map((p) => [p.name, p.as, p.fusedRelu]),
    [
      ['0', 'QatConv2d', true],
      ['4', 'QatLinear', false],
    ],
  );
  assert.equal(qat.training, true);
  assert.throws(
    () => ts.quant.convertQat(qat),
    /\[convertQat\] layer "0" \(QatConv2d\) has observed no input/,
  );
  const before = flat(
    (qat.modules().find((m) => m instanceof ts.quant.QatLinear) as ts.quant.QatLinear).weight,
  );
  const [x, y] = data();
  const trainer = ts.train.compile(qat, {
    optimizer: new ts.optim.SGD(qat.parameters(), { lr: 0.1, momentum: 0.9 }),
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
  });
  const h = await trainer.fit(x, y, { epochs: 4, batchSize: 16, verbose: 0, seed: 1 });
  const losses = h.history.loss!;
  assert.ok(losses.at(-1)! < 0.7 * losses[0]!, `loss ${losses}`);
  const lin = qat.modules().find((m) => m instanceof ts.quant.QatLinear) as ts.quant.QatLinear;
  assert.notDeepEqual(flat(lin.weight), before, 'the straight-through gradient reaches the weights');
  assert.equal(lin.qat.count, 24, 'one observation per training batch (6 batches x 4 epochs)');
  assert.ok('0.act_range' in qat.stateDict() && '4.act_observed' in qat.stateDict());
  assert.ok(
    base.modules().every((m) => !(m instanceof ts.quant.QatLinear || m instanceof ts.quant.QatConv2d)),
    'the original is untouched',
  );

  // The QAT model in eval mode fake-quantizes with the same scales the int8 model stores.
  qat.eval();
  const { model: int8, report: r } = ts.quant.convertQat(qat);
  assert.equal(r.scheme, 'qat-int8');
  assert.deepEqual(
    r.converted.map((c) => [c.name, c.as, c.fusedRelu]),
    [
      ['0', 'StaticQuantizedConv2d', true],
      ['4', 'StaticQuantizedLinear', false],
    ],
  );
  const xs = x.narrow(0, 0, 24);
  const fake = flat(qat.forward(xs));
  const real = flat(int8.forward(xs));
  const range = Math.max(...fake.map(Math.abs));
  const err = Math.max(...real.map((v, i) => Math.abs(v - fake[i]!)));
  // Only float rounding order differs (integer sums vs float sums of the same fake-quantized values), plus the
  // rare input that lands on a rounding boundary of the second layer.
  assert.ok(err < 0.01 * range, `int8 vs fake-quantized: ${err} (range ${range})`);
  const pred = (v: number[]) =>
    Array.from({ length: 24 }, (_, i) =>
      v.slice(i * 3, i * 3 + 3).indexOf(Math.max(...v.slice(i * 3, i * 3 + 3))),
    );
  assert.deepEqual(pred(real), pred(fake));

  // The prepared model saves mid-training and reloads with its observers' state.
  const back = ts.nn.moduleFromConfig<ts.nn.Sequential>(
    JSON.parse(JSON.stringify(ts.nn.moduleToConfig(qat))),
  );
  back.loadStateDict(ts.io.parseSafetensors(ts.io.serializeSafetensors(qat.stateDict())).tensors);
  back.eval();
  assert.deepEqual(flat(back.forward(xs)), fake);
});

test('prepareQat refuses unknown options and layers it cannot prepare, by name', () => {
  assert.throws(() => ts.quant.prepareQat(cnn(), { bogus: true } as never), /bogus/);
  assert.throws(
    () => ts.quant.prepareQat(cnn(), { layers: ['2'] }),
    /\[prepareQat\] cannot quantize layer "2" \(MaxPool2d\)/,
  );
  const { report } = ts.quant.prepareQat(cnn(), { exclude: ['4'] });
  assert.deepEqual(
    report.keptFloat.map((k) => k.name),
    ['4'],
  );
  assert.throws(() => new ts.quant.QatLinear(2, 2, { averagingConstant: 0 }), /averagingConstant/);
});
