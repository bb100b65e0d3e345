import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';

test('BatchNorm: running stats update only in training; eval normalises with them', () => {
  const bn = new nn.BatchNorm1d(2, { momentum: 0.5 });
  assert.deepEqual(Object.keys(bn.stateDict()), [
    'weight',
    'bias',
    'running_mean',
    'running_var',
    'num_batches_tracked',
  ]);
  const x = ts.tensor([
    [1, 10],
    [3, 14],
  ]);
  bn.call(x);
  assert.deepEqual(bn.runningMean!.toArray(), [1, 6]); // 0.5 * 0 + 0.5 * batch mean (2, 12)
  assert.deepEqual(bn.runningVar!.toArray(), [1.5, 4.5]); // 0.5 * 1 + 0.5 * unbiased var (2, 8)
  assert.equal(bn.numBatchesTracked!.item(), 1);
  bn.eval();
  const y = bn.call(ts.tensor([[1, 6]], { dtype: 'float32' }));
  assert.deepEqual(y.toArray(), [[0, 0]]);
  assert.equal(bn.numBatchesTracked!.item(), 1);
  assert.deepEqual(bn.runningMean!.toArray(), [1, 6]);
  assert.throws(() => bn.call(ts.zeros([2, 3])), /\[BatchNorm1d\] expected 2 channels in dim 1/);
  const noTrack = new nn.BatchNorm2d(1, { trackRunningStats: false, affine: false });
  assert.deepEqual(Object.keys(noTrack.stateDict()), []);
  noTrack.eval();
  const z = noTrack.call(ts.tensor([1, 3], { shape: [2, 1, 1, 1] }));
  assert.deepEqual(
    Array.from(z.toTypedArray()).map((v) => Math.round(v * 1e4) / 1e4),
    [-1, 1],
  );
});

test('Dropout: identity in eval, zeros or scales by 1/(1-p) in training, about p of the elements', () => {
  const d = new nn.Dropout(0.25, { generator: new ts.Generator(9) });
  const x = ts.ones([4000]);
  const y = Array.from(d.call(x).toTypedArray());
  const zeros = y.filter((v) => v === 0).length;
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
  assert.ok(Math.abs(zeros / 4000 - 0.25) < 0.03, `${zeros} zeros`);
  d.eval();
  assert.equal(d.call(x), x);
  assert.throws(() => new nn.Dropout(1.5), /\[Dropout\] dropout probability must be in \[0, 1\], got 1.5/);
});

test('Embedding: padding row zero at init and without gradient; int32 indices required', () => {
  const e = new nn.Embedding(4, 2, { paddingIdx: -1 });
  assert.equal(e.paddingIdx, 3);
  assert.deepEqual(e.weight.index([3]).toArray(), [0, 0]);
  e.call(ts.tensor([3, 1, 3], { dtype: 'int32' }))
    .sum()
    .backward();
  assert.deepEqual(e.weight.grad!.toArray(), [
    [0, 0],
    [1, 1],
    [0, 0],
    [0, 0],
  ]);
  assert.throws(() => e.call(ts.tensor([0.5])), /\[Embedding\] indices must be int32, got float32/);
});

test('recurrent layers: parameter names, default states, unbatched input and shape errors', () => {
  const lstm = new nn.LSTM(3, 2, { numLayers: 2, bidirectional: true });
  assert.deepEqual(
    lstm.namedParameters().map(([k, p]) => `${k}:${p.shape.join('x')}`),
    [
      'weight_ih_l0:8x3',
      'weight_hh_l0:8x2',
      'bias_ih_l0:8',
      'bias_hh_l0:8',
      'weight_ih_l0_reverse:8x3',
      'weight_hh_l0_reverse:8x2',
      'bias_ih_l0_reverse:8',
      'bias_hh_l0_reverse:8',
      'weight_ih_l1:8x4',
      'weight_hh_l1:8x2',
      'bias_ih_l1:8',
      'bias_hh_l1:8',
      'weight_ih_l1_reverse:8x4',
      'weight_hh_l1_reverse:8x2',
      'bias_ih_l1_reverse:8',
      'bias_hh_l1_reverse:8',
    ],
  );
  const bound = 1 / Math.sqrt(2);
  for (const p of lstm.parameters()) for (const v of p.toTypedArray()) assert.ok(Math.abs(v) <= bound);
  const x = ts.randn([5, 3]);
  const [out, [h, c]] = lstm.call(x);
  assert.deepEqual(
    [out.shape, h.shape, c.shape],
    [
      [5, 4],
      [4, 2],
      [4, 2],
    ],
  );
  // zeros as initial state == no initial state
  const [out2] = lstm.call(x, [ts.zeros([4, 2]), ts.zeros([4, 2])]);
  assert.deepEqual(out2.toArray(), out.toArray());
  const gru = new nn.GRU(3, 2);
  assert.throws(
    () => gru.call(ts.randn([5, 2, 4])),
    /\[GRU\] expected input with 3 features in the last dim, got \[5,2,4\]/,
  );
  assert.throws(
    () => gru.call(ts.randn([5, 2, 3]), ts.zeros([2, 2, 2])),
    /\[GRU\] expected hidden state of shape \[1,2,2\], got \[2,2,2\]/,
  );
});

test('MultiheadAttention: names as torch, causal mask, masked keys get zero weight, fully masked rows are NaN', () => {
  const mha = new nn.MultiheadAttention(4, 2, { batchFirst: true });
  assert.deepEqual(Object.keys(mha.stateDict()), [
    'in_proj_weight',
    'in_proj_bias',
    'out_proj.weight',
    'out_proj.bias',
  ]);
  assert.ok(mha.inProjBias!.toTypedArray().every((v) => v === 0));
  const x = ts.randn([1, 3, 4]);
  const [, w] = mha.call(x, x, x, { isCausal: true });
  const wa = w!.toArray() as number[][][];
  assert.equal(wa[0]![0]![1], 0);
  assert.equal(wa[0]![0]![2], 0);
  assert.equal(wa[0]![1]![2], 0);
  for (const row of wa[0]!) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  const [, w2] = mha.call(x, x, x, { keyPaddingMask: ts.tensor([[false, true, false]]) });
  for (const row of w2!.toArray() as number[][][]) for (const r of row) assert.equal(r[1], 0);
  const [o3] = mha.call(x, x, x, { keyPaddingMask: ts.tensor([[true, true, true]]) });
  assert.ok(Array.from(o3.toTypedArray()).every(Number.isNaN));
  assert.throws(() => new nn.MultiheadAttention(5, 2), /embedDim 5 must be divisible by numHeads 2/);
  assert.throws(
    () => mha.call(x, x, x, { attnMask: ts.zeros([2, 2]) }),
    /attnMask must be \[3, 3\], got \[2,2\]/,
  );
});

test('TransformerEncoderLayer and TransformerEncoder keys match torch', () => {
  const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6 });
  assert.deepEqual(Object.keys(layer.stateDict()), [
    'self_attn.in_proj_weight',
    'self_attn.in_proj_bias',
    'self_attn.out_proj.weight',
    'self_attn.out_proj.bias',
    'linear1.weight',
    'linear1.bias',
    'linear2.weight',
    'linear2.bias',
    'norm1.weight',
    'norm1.bias',
    'norm2.weight',
    'norm2.bias',
  ]);
  const enc = new nn.TransformerEncoder(layer, 2);
  const keys = Object.keys(enc.stateDict());
  assert.equal(keys.length, 24);
  assert.ok(keys.includes('layers.1.linear1.bias'));
  // train() on the encoder makes dropout active; eval() turns it off: outputs repeat
  enc.eval();
  const x = ts.randn([3, 1, 4]);
  assert.deepEqual(enc.call(x).toArray(), enc.call(x).toArray());
});

test('loss modules wrap the functional losses and keep weights as buffers', () => {
  const ce = new nn.CrossEntropyLoss({ weight: ts.tensor([1, 2]), labelSmoothing: 0.1 });
  assert.deepEqual(Object.keys(ce.stateDict()), ['weight']);
  const logits = ts.tensor([
    [1, 2],
    [0.5, -1],
  ]);
  const t = ts.tensor([1, 0], { dtype: 'int32' });
  const expected = ts.functional.crossEntropy(logits, t, { weight: ts.tensor([1, 2]), labelSmoothing: 0.1 });
  assert.equal(ce.call(logits, t).item(), expected.item());
  const back = nn.moduleFromConfig<nn.CrossEntropyLoss>(JSON.parse(JSON.stringify(nn.moduleToConfig(ce))));
  assert.ok(Math.abs(back.call(logits, t).item() - expected.item()) < 1e-6);
  const bce = new nn.BCEWithLogitsLoss({ posWeight: ts.tensor([2]) });
  assert.deepEqual(Object.keys(bce.stateDict()), ['pos_weight']);
  assert.equal(new nn.MSELoss('none').call(ts.tensor([1, 2]), ts.tensor([0, 0])).shape[0], 2);
  assert.throws(
    () => new nn.L1Loss().call(ts.zeros([2, 1]), ts.zeros([2])),
    /\[l1Loss\] input shape \[2,1\] and target shape \[2\] differ/,
  );
});

test('layer constructors validate their arguments', () => {
  assert.throws(() => new nn.Linear(0, 2), /\[Linear\] inFeatures must be a positive integer, got 0/);
  assert.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /\[Conv2d\] groups 2 must divide inChannels 3/);
  assert.throws(() => new nn.Embedding(3, 2, { paddingIdx: 3 }), /\[Embedding\] paddingIdx must be within/);
  assert.throws(
    () => nn.moduleFromConfig({ className: 'Linear', config: { inFeatures: 'x', outFeatures: 2 } }),
    /\[Linear\] config.inFeatures must be a number, got "x"/,
  );
  assert.throws(() => new nn.Linear(3, 2).call(ts.zeros([2, 4])), /\[linear\] input features 4 do not match/);
});
