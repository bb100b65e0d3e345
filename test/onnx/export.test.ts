import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';
import { models, nn } from '../../src/index.ts';
import { decodeModel, exportModule } from '../../src/onnx/index.ts';
import { assertClose, runOrt } from './ort.ts';

type M = ts.nn.AnyModule;

/** Exports `m` for `shape` and checks ORT against the library at a different batch size (dynamic axis). */
async function checkExport(m: M, shape: number[], runShape: number[], opts: { inputDType?: 'int32' } = {}) {
  const bytes = exportModule(m, shape, opts);
  const x = opts.inputDType === 'int32' ? ts.randint(0, 7, runShape, { dtype: 'int32' }) : ts.randn(runShape);
  m.eval();
  const ours = (m as unknown as { call(t: ts.Tensor): ts.Tensor }).call(x);
  const theirs = await runOrt(bytes, { input: x });
  assertClose(ours, theirs.output!);
  return bytes;
}

const layerCases: [string, () => M, number[], number[]][] = [
  ['Linear 2-D (Gemm)', () => new nn.Linear(6, 4), [2, 6], [5, 6]],
  ['Linear 3-D (MatMul)', () => new nn.Linear(6, 4), [2, 3, 6], [4, 3, 6]],
  ['Linear without bias', () => new nn.Linear(6, 4, { bias: false }), [2, 6], [3, 6]],
  ['ReLU', () => new nn.ReLU(), [2, 5], [3, 5]],
  ['LeakyReLU', () => new nn.LeakyReLU(0.2), [2, 5], [3, 5]],
  ['ELU', () => new nn.ELU(0.7), [2, 5], [3, 5]],
  ['GELU erf', () => new nn.GELU(), [2, 5], [3, 5]],
  ['GELU tanh', () => new nn.GELU('tanh'), [2, 5], [3, 5]],
  ['Sigmoid', () => new nn.Sigmoid(), [2, 5], [3, 5]],
  ['Tanh', () => new nn.Tanh(), [2, 5], [3, 5]],
  ['SiLU', () => new nn.SiLU(), [2, 5], [3, 5]],
  ['Softplus beta 2', () => new nn.Softplus(2), [2, 5], [3, 5]],
  ['Softmax', () => new nn.Softmax(-1), [2, 5], [3, 5]],
  ['LogSoftmax', () => new nn.LogSoftmax(1), [2, 5], [3, 5]],
  ['Dropout (eval)', () => new nn.Dropout(0.5), [2, 5], [3, 5]],
  ['Conv2d', () => new nn.Conv2d(3, 4, 3), [1, 3, 8, 8], [2, 3, 8, 8]],
  [
    'Conv2d stride/pad/dilation/groups',
    () => new nn.Conv2d(4, 6, [3, 2], { stride: 2, padding: [1, 2], dilation: [1, 2], groups: 2 }),
    [1, 4, 9, 9],
    [3, 4, 9, 9],
  ],
  ['Conv2d same', () => new nn.Conv2d(2, 3, 3, { padding: 'same', dilation: 2 }), [1, 2, 7, 7], [2, 2, 7, 7]],
  ['MaxPool2d', () => new nn.MaxPool2d(2), [1, 2, 6, 6], [2, 2, 6, 6]],
  ['MaxPool2d stride/pad', () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }), [1, 2, 7, 7], [2, 2, 7, 7]],
  ['AvgPool2d', () => new nn.AvgPool2d(2), [1, 2, 6, 6], [2, 2, 6, 6]],
  [
    'AvgPool2d pad excluded',
    () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
    [1, 2, 7, 7],
    [2, 2, 7, 7],
  ],
  ['AdaptiveAvgPool2d 1', () => new nn.AdaptiveAvgPool2d(1), [1, 3, 4, 4], [2, 3, 4, 4]],
  ['AdaptiveAvgPool2d 2', () => new nn.AdaptiveAvgPool2d(2), [1, 3, 4, 6], [2, 3, 4, 6]],
  ['Flatten', () => new nn.Flatten(), [2, 3, 4, 5], [3, 3, 4, 5]],
  ['Flatten 1..2', () => new nn.Flatten(1, 2), [2, 3, 4, 5], [3, 3, 4, 5]],
  ['LayerNorm', () => new nn.LayerNorm(5), [2, 3, 5], [4, 3, 5]],
  [
    'LayerNorm 2 dims, no affine',
    () => new nn.LayerNorm([3, 5], { elementwiseAffine: false }),
    [2, 3, 5],
    [4, 3, 5],
  ],
];

for (const [name, make, shape, runShape] of layerCases) {
  test(`export ${name}: ORT matches the library within 1e-4 at another batch size`, async () => {
    ts.manualSeed(1);
    const m = make();
    // Non-trivial affine parameters, so a swapped weight/bias would show.
    for (const p of m.parameters()) ts.noGrad(() => p.copy_(ts.randn([...p.shape])));
    await checkExport(m, shape, runShape);
  });
}

async function trainedBatchNorm(bn: M, shape: number[]) {
  // A few training batches so the running statistics are not the initial 0/1.
  bn.train();
  for (let i = 0; i < 3; i++)
    (bn as unknown as { call(t: ts.Tensor): ts.Tensor }).call(ts.randn(shape).mul(2).add(1));
  for (const p of bn.parameters()) ts.noGrad(() => p.copy_(ts.randn([...p.shape])));
}

test('export BatchNorm2d (eval, running statistics)', async () => {
  ts.manualSeed(2);
  const bn = new nn.BatchNorm2d(3);
  await trainedBatchNorm(bn, [4, 3, 5, 5]);
  bn.train();
  exportModule(bn, [1, 3, 5, 5]);
  assert.equal(bn.training, true, 'export restores the training flag');
  await checkExport(bn, [1, 3, 5, 5], [2, 3, 5, 5]);
});

test('export BatchNorm1d on [N, C] and without affine', async () => {
  ts.manualSeed(3);
  const bn = new nn.BatchNorm1d(4);
  await trainedBatchNorm(bn, [8, 4]);
  await checkExport(bn, [2, 4], [3, 4]);
  const plain = new nn.BatchNorm1d(4, { affine: false });
  await trainedBatchNorm(plain, [8, 4]);
  await checkExport(plain, [2, 4], [3, 4]);
});

test('export Embedding (int32 ids, dynamic batch)', async () => {
  ts.manualSeed(4);
  await checkExport(new nn.Embedding(7, 3), [2, 5], [4, 5], { inputDType: 'int32' });
});

test('seed MNIST MLP 784-500-250-10: ORT matches, initializers keep state-dict keys, batch is dynamic', async () => {
  ts.manualSeed(0);
  const mlp = new nn.Sequential(
    new nn.Linear(784, 500),
    new nn.ReLU(),
    new nn.Linear(500, 250),
    new nn.ReLU(),
    new nn.Linear(250, 10),
  );
  const bytes = await checkExport(mlp, [1, 784], [7, 784]);
  const model = decodeModel(bytes);
  assert.equal(model.opsetImport?.[0]?.version, 17);
  assert.deepEqual(
    model.graph?.initializer?.map((t) => t.name),
    ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias'],
  );
  assert.equal(model.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam, 'batch');
  assert.equal(model.graph?.output?.[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam, 'batch');
});

test('seed MNIST CNN (models.SimpleCnn) and a CNN with BatchNorm and Dropout: ORT matches', async () => {
  ts.manualSeed(0);
  await checkExport(new models.SimpleCnn(), [1, 1, 28, 28], [3, 1, 28, 28]);
  const cnn = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Dropout(0.3),
    new nn.Flatten(),
    new nn.Linear(4 * 7 * 7, 10),
  );
  await trainedBatchNorm(cnn, [4, 1, 14, 14]);
  await checkExport(cnn, [1, 1, 14, 14], [2, 1, 14, 14]);
});

test('export at opset 20 and with fixed axes; writes the file when given a path', async () => {
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  ts.manualSeed(5);
  const m = new nn.Sequential(new nn.Linear(3, 2), new nn.GELU());
  const path = join(mkdtempSync(join(tmpdir(), 'onnx-')), 'm.onnx');
  const bytes = exportModule(m, [2, 3], { opset: 20, dynamicAxes: {}, path });
  assert.deepEqual(new Uint8Array(readFileSync(path)), bytes);
  assert.equal(decodeModel(bytes).opsetImport?.[0]?.version, 20);
  assert.equal(decodeModel(bytes).graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[0]?.dimValue, 2);
  m.eval();
  const x = ts.randn([2, 3]);
  assertClose(m.call(x), (await runOrt(bytes, { input: x })).output!);
});

test('export refuses unknown options, bad opsets and layers without a rule (all listed)', () => {
  const m = new nn.Sequential(new nn.Linear(3, 2), new nn.RNN(2, 2), new nn.MultiheadAttention(2, 1));
  assert.throws(
    () => exportModule(new nn.ReLU(), [1, 2], { opst: 17 } as never),
    /unknown option "opst" \(did you mean "opset"\?\)/,
  );
  assert.throws(
    () => exportModule(new nn.ReLU(), [1, 2], { opset: 12 }),
    /\[onnx.export\] opset must be an integer from 17/,
  );
  assert.throws(
    () => exportModule(m, [1, 3]),
    /no ONNX export rule for 2 module\(s\): 1: RNN, 2: MultiheadAttention/,
  );
});

const recurrentCases: [string, () => M, number[], number[]][] = [
  ['LSTM', () => new nn.LSTM(5, 4), [3, 2, 5], [3, 4, 5]],
  [
    'LSTM batch-first, 2 layers, bidirectional',
    () => new nn.LSTM(5, 3, { batchFirst: true, numLayers: 2, bidirectional: true }),
    [2, 4, 5],
    [3, 4, 5],
  ],
  ['GRU', () => new nn.GRU(5, 4), [3, 2, 5], [3, 4, 5]],
  [
    'GRU batch-first, bidirectional, no bias',
    () => new nn.GRU(5, 3, { batchFirst: true, bidirectional: true, bias: false }),
    [2, 4, 5],
    [3, 4, 5],
  ],
];
for (const [name, make, shape, runShape] of recurrentCases) {
  test(`export ${name}: ORT's output sequence matches the library's within 1e-4`, async () => {
    ts.manualSeed(6);
    const m = make();
    const bytes = exportModule(m, shape, { dynamicAxes: {} });
    const fixed = ts.randn(shape);
    const [ours] = (m as unknown as { call(t: ts.Tensor): [ts.Tensor, unknown] }).call(fixed);
    assertClose(ours, (await runOrt(bytes, { input: fixed })).output!);
    // With the batch axis dynamic (axis 1 for sequence-first, 0 for batch-first).
    const batchAxis = (m as unknown as { batchFirst: boolean }).batchFirst ? 0 : 1;
    const dyn = exportModule(m, shape, { dynamicAxes: { [batchAxis]: 'batch' } });
    const x = ts.randn(runShape.map((d, i) => (i === batchAxis ? d : shape[i]!)));
    const [y] = (m as unknown as { call(t: ts.Tensor): [ts.Tensor, unknown] }).call(x);
    assertClose(y, (await runOrt(dyn, { input: x })).output!);
  });
}

const transformerCases: [string, () => M, number[], number[], number][] = [
  [
    'TransformerEncoderLayer (post-norm, seq-first)',
    () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }),
    [5, 2, 8],
    [5, 3, 8],
    1,
  ],
  [
    'TransformerEncoderLayer (pre-norm, gelu, batch-first)',
    () =>
      new nn.TransformerEncoderLayer(8, 4, {
        dimFeedforward: 12,
        normFirst: true,
        activation: 'gelu',
        batchFirst: true,
      }),
    [2, 5, 8],
    [3, 5, 8],
    0,
  ],
  [
    'TransformerEncoder, 2 layers and a final norm',
    () =>
      new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }),
        2,
        { norm: new nn.LayerNorm(8) },
      ),
    [2, 4, 8],
    [3, 4, 8],
    0,
  ],
];
for (const [name, make, shape, runShape, batchAxis] of transformerCases) {
  test(`export ${name}: ORT matches within 1e-4 with a dynamic batch`, async () => {
    ts.manualSeed(9);
    const m = make();
    const bytes = exportModule(m, shape, { dynamicAxes: { [batchAxis]: 'batch' } });
    m.eval();
    const x = ts.randn(runShape);
    assertClose(
      (m as unknown as { call(t: ts.Tensor): ts.Tensor }).call(x),
      (await runOrt(bytes, { input: x })).output!,
    );
  });
}
