import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';
import { nn, optim } from '../../src/index.ts';
import { exportModule, importModel, loadOnnx } from '../../src/onnx/index.ts';
import { assertClose, maxAbsDiff, runOrt } from './ort.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'onnx');

interface Golden {
  opset: number;
  shape: number[];
  input: number[];
  outputShape: number[];
  output: number[];
}
const golden = (name: string): Golden =>
  JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as Golden;

for (const name of ['mlp', 'cnn', 'view_cnn', 'lstm', 'transformer']) {
  test(`import torch.onnx.export ${name}: matches ORT and torch within 1e-4, at two batch sizes`, async () => {
    const bytes = readFileSync(join(FIX, `${name}.onnx`));
    const m = loadOnnx(join(FIX, `${name}.onnx`));
    const g = golden(name);
    const x = ts.tensor(Float32Array.from(g.input), { shape: g.shape });
    const ours = m.call(x);
    assert.deepEqual([...ours.shape], g.outputShape);
    assert.ok(maxAbsDiff(ours.toTypedArray() as Float32Array, g.output) <= 1e-4, 'torch');
    assertClose(ours, (await runOrt(bytes, { input: x })).output!);
    const x2 = ts.randn([5, ...g.shape.slice(1)]);
    assertClose(m.call(x2), (await runOrt(bytes, { input: x2 })).output!);
  });
}

test('imported parameters keep the ONNX names as state-dict keys; statistics are buffers', () => {
  const mlp = loadOnnx(join(FIX, 'mlp.onnx'));
  assert.deepEqual(Object.keys(mlp.stateDict()).sort(), [
    '0.bias',
    '0.weight',
    '3.bias',
    '3.weight',
    '5.bias',
    '5.weight',
  ]);
  assert.equal(mlp.parameters().length, 6);
  const cnn = loadOnnx(join(FIX, 'cnn.onnx'));
  const keys = Object.keys(cnn.stateDict());
  assert.ok(keys.includes('2.running_mean') && keys.includes('2.running_var'), keys.join(','));
  const trainable = new Set(cnn.namedParameters().map(([k]) => k));
  assert.ok(!trainable.has('2.running_mean') && trainable.has('2.weight'));
});

test('import -> fine-tune a few steps -> export (toOnnx and exportModule with a new head) -> ORT agrees', async () => {
  ts.manualSeed(0);
  const m = loadOnnx(join(FIX, 'mlp.onnx'));
  const x = ts.randn([16, 20]);
  const y = ts.randint(0, 4, [16], { dtype: 'int32' });
  const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
  const before = m.call(x).toTypedArray() as Float32Array;
  const losses: number[] = [];
  for (let i = 0; i < 5; i++) {
    opt.zeroGrad();
    const loss = ts.functional.crossEntropy(m.call(x), y);
    losses.push(loss.item());
    loss.backward();
    opt.step();
  }
  assert.ok(losses[4]! < losses[0]!, `loss fell: ${losses.join(', ')}`);
  const after = m.call(x);
  assert.ok(maxAbsDiff(before, after.toTypedArray() as Float32Array) > 1e-3, 'parameters changed');
  assertClose(after, (await runOrt(m.toOnnx(), { input: x })).output!);
  // Head replacement: the imported body inside a Sequential exports node by node.
  const model = new nn.Sequential(m, new nn.ReLU(), new nn.Linear(4, 2));
  const bytes = exportModule(model, [1, 20]);
  model.eval();
  assertClose(model.call(x), (await runOrt(bytes, { input: x })).output!);
});

test('library -> ONNX -> library gives identical outputs (SimpleCnn, and an MLP with BatchNorm/LayerNorm)', () => {
  ts.manualSeed(3);
  const cnn = new ts.models.SimpleCnn({ imageSize: 12, channels: [4], hidden: 8 });
  cnn.eval();
  const x = ts.randn([3, 1, 12, 12]);
  const back = importModel(exportModule(cnn, [1, 1, 12, 12]));
  assert.ok(
    maxAbsDiff(cnn.call(x).toTypedArray() as Float32Array, back.call(x).toTypedArray() as Float32Array) <
      1e-6,
  );
  assert.deepEqual(Object.keys(back.stateDict()), Object.keys(cnn.stateDict()));
  const mlp = new nn.Sequential(
    new nn.Linear(6, 5),
    new nn.BatchNorm1d(5),
    new nn.GELU(),
    new nn.LayerNorm(5),
    new nn.Linear(5, 3),
    new nn.LogSoftmax(1),
  );
  mlp.eval();
  const z = ts.randn([4, 6]);
  const back2 = importModel(exportModule(mlp, [2, 6]));
  assert.ok(
    maxAbsDiff(mlp.call(z).toTypedArray() as Float32Array, back2.call(z).toTypedArray() as Float32Array) <
      1e-6,
  );
  const emb = new nn.Sequential(new nn.Embedding(9, 4), new nn.Flatten(), new nn.Linear(12, 2));
  emb.eval();
  const ids = ts.randint(0, 9, [5, 3], { dtype: 'int32' });
  const back3 = importModel(exportModule(emb, [1, 3], { inputDType: 'int32' }));
  assert.ok(
    maxAbsDiff(emb.call(ids).toTypedArray() as Float32Array, back3.call(ids).toTypedArray() as Float32Array) <
      1e-6,
  );
});

test('an imported LSTM trains: every weight gets a gradient and the exported file still runs in ORT', async () => {
  ts.manualSeed(1);
  const m = loadOnnx(join(FIX, 'lstm.onnx'));
  assert.equal(m.parameters().length, 3);
  const x = ts.randn([2, 4, 5]);
  const opt = new optim.SGD(m.parameters(), { lr: 0.5 });
  opt.zeroGrad();
  m.call(x).square().mean().backward();
  for (const p of m.parameters()) assert.ok(p.grad !== null && (p.grad.abs().sum().item() as number) > 0);
  opt.step();
  assertClose(m.call(x), (await runOrt(m.toOnnx(), { input: x })).output!);
});

test('library LSTM and GRU -> ONNX -> library: the imported graph gives the same output sequence', () => {
  ts.manualSeed(8);
  for (const m of [
    new nn.LSTM(4, 3, { batchFirst: true, numLayers: 2, bidirectional: true }),
    new nn.GRU(4, 3, { bidirectional: true }),
  ]) {
    const x = ts.randn([2, 5, 4]);
    const back = importModel(exportModule(m, [2, 5, 4], { dynamicAxes: {} }));
    const [ours] = (m as unknown as { call(t: ts.Tensor): [ts.Tensor, unknown] }).call(x);
    assert.ok(
      maxAbsDiff(ours.toTypedArray() as Float32Array, back.call(x).toTypedArray() as Float32Array) < 1e-5,
    );
  }
});

test('library TransformerEncoder -> ONNX -> library gives the same outputs (Split, Softmax, LayerNormalization)', () => {
  ts.manualSeed(10);
  const enc = new nn.TransformerEncoder(
    new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, activation: 'gelu' }),
    2,
  );
  enc.eval();
  const x = ts.randn([3, 5, 8]);
  const back = importModel(exportModule(enc, [1, 5, 8]));
  assert.ok(
    maxAbsDiff(enc.call(x).toTypedArray() as Float32Array, back.call(x).toTypedArray() as Float32Array) <
      1e-5,
  );
  assert.ok(Object.keys(back.stateDict()).includes('layers.1.self_attn.in_proj_weight'));
});
