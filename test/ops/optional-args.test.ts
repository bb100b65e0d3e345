// One rule for optional op arguments (docs/decisions/registries.md): operands and axis arguments are positional,
// every other optional argument goes in one trailing options object; an older positional call is refused with
// the op's form, and an unknown key with a suggestion.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const F = ts.functional;
const f32 = { dtype: 'float32' } as const;
const x = ts.tensor(
  [
    [1, -2, 3],
    [-4, 5, -6],
  ],
  f32,
);
const cls = ts.tensor([0, 2], { dtype: 'int32' });
const img = ts.randn([1, 2, 4, 4], { generator: new ts.Generator(1) });
const w = ts.randn([3, 2, 3, 3], { generator: new ts.Generator(2) });

describe('optional op arguments: one options object', () => {
  it('layerNorm(x, shape, { weight, bias, eps }) matches the formula; the positional form is refused', () => {
    const g = ts.tensor([2, 1, 0.5]);
    const b = ts.tensor([0, 1, -1]);
    const y = F.layerNorm(x, [3], { weight: g, bias: b, eps: 1e-3 });
    const mu = x.mean(-1, true);
    const v = x.sub(mu).square().mean(-1, true);
    const want = x.sub(mu).div(v.add(1e-3).sqrt()).mul(g).add(b);
    for (const [a, e] of (y.toArray() as number[][])
      .flat()
      .map((t, i) => [t, (want.toArray() as number[][]).flat()[i]!]))
      assert.ok(Math.abs(a! - e) < 1e-6, `${a} vs ${e}`);
    assert.throws(
      () => F.layerNorm(x, [3], g as never, b as never),
      /\[layerNorm\] the optional arguments go in one options object: layerNorm\(x, normalizedShape, \{ weight, bias, eps \}\)/,
    );
    assert.throws(() => F.layerNorm(x, [3], null as never), /layerNorm\(x, normalizedShape, \{/);
    assert.throws(() => F.layerNorm(x, [3], { epsilon: 1e-5 } as never), /unknown option "epsilon"/);
  });

  it('dropout(x, { p, training, generator }); the positional form is refused', () => {
    const ones = ts.ones([1000]);
    const y = F.dropout(ones, { p: 0.25, generator: new ts.Generator(3) });
    const kept = (y.toArray() as number[]).filter((v) => v !== 0);
    assert.ok(kept.length > 650 && kept.length < 850, `${kept.length} kept`);
    assert.ok(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6));
    assert.equal(F.dropout(ones, { p: 0.25, training: false }), ones);
    assert.throws(() => F.dropout(ones, 0.3 as never), /dropout\(x, \{ p, training, generator \}\)/);
    assert.throws(() => F.dropout(ones, { prob: 0.3 } as never), /unknown option "prob"/);
  });

  it('linear(x, weight, { bias }) and conv2d(x, weight, { bias, ... }); a positional bias is refused', () => {
    const lw = ts.tensor(
      [
        [1, 0, 0],
        [0, 1, 1],
      ],
      f32,
    );
    const lb = ts.tensor([10, 20], f32);
    assert.deepEqual(F.linear(x, lw, { bias: lb }).toArray(), [
      [11, 21],
      [6, 19],
    ]);
    assert.deepEqual(F.linear(x, lw).toArray(), [
      [1, 1],
      [-4, -1],
    ]);
    assert.throws(() => F.linear(x, lw, lb as never), /\[linear\] .*linear\(x, weight, \{ bias \}\)/);
    const cb = ts.tensor([1, 2, 3]);
    const withBias = F.conv2d(img, w, { bias: cb, padding: 1 });
    const noBias = F.conv2d(img, w, { padding: 1 });
    assert.deepEqual(withBias.shape, [1, 3, 4, 4]);
    const d = withBias.sub(noBias).amax([0, 2, 3]).toArray() as number[];
    for (const [i, v] of d.entries()) assert.ok(Math.abs(v - (i + 1)) < 1e-5, `channel ${i}: ${v}`);
    assert.throws(() => F.conv2d(img, w, cb as never), /conv2d\(x, weight, \{ bias, stride, padding/);
    assert.throws(
      () => F.conv2d(img, w, { strides: 2 } as never),
      /unknown option "strides" \(did you mean "stride"\?\)/,
    );
  });

  it('every option-taking op refuses an unknown key with a suggestion', () => {
    const cases: [string, () => unknown, RegExp][] = [
      [
        'gelu',
        () => F.gelu(x, { approximat: 'tanh' } as never),
        /\[gelu\] unknown option "approximat" \(did you mean "approximate"\?\)/,
      ],
      [
        'softplus',
        () => F.softplus(x, { bta: 2 } as never),
        /\[softplus\] unknown option "bta" \(did you mean "beta"\?\)/,
      ],
      [
        'mseLoss',
        () => F.mseLoss(x, x, { reductio: 'sum' } as never),
        /\[mseLoss\] unknown option "reductio"/,
      ],
      ['l1Loss', () => F.l1Loss(x, x, { reduce: 'sum' } as never), /\[l1Loss\] unknown option "reduce"/],
      [
        'smoothL1Loss',
        () => F.smoothL1Loss(x, x, { bata: 1 } as never),
        /\[smoothL1Loss\] unknown option "bata"/,
      ],
      ['huberLoss', () => F.huberLoss(x, x, { delt: 1 } as never), /\[huberLoss\] unknown option "delt"/],
      ['nllLoss', () => F.nllLoss(x, cls, { ignore_index: 1 } as never), /did you mean "ignoreIndex"/],
      [
        'crossEntropy',
        () => F.crossEntropy(x, cls, { label_smoothing: 0.1 } as never),
        /did you mean "labelSmoothing"/,
      ],
      [
        'binaryCrossEntropy',
        () => F.binaryCrossEntropy(x.sigmoid(), x.gt(0).to('float32'), { pos_weight: x } as never),
        /\[binaryCrossEntropy\] unknown option "pos_weight"/,
      ],
      [
        'binaryCrossEntropyWithLogits',
        () => F.binaryCrossEntropyWithLogits(x, x.gt(0).to('float32'), { pos_weight: x } as never),
        /did you mean "posWeight"/,
      ],
      [
        'maxPool2d',
        () => F.maxPool2d(img, { kernelSize: 2, ceil_mode: true } as never),
        /\[maxPool2d\] unknown option "ceil_mode" \(did you mean "ceilMode"\?\)/,
      ],
      [
        'avgPool2d',
        () => F.avgPool2d(img, { kernelSize: 2, dilation: 2 } as never),
        /\[avgPool2d\] unknown option "dilation"/,
      ],
      [
        'embedding',
        () => F.embedding(cls, ts.zeros([3, 2]), { padding_idx: 0 } as never),
        /did you mean "paddingIdx"/,
      ],
    ];
    for (const [name, f, re] of cases) assert.throws(f, re, name);
  });

  it('a positional optional argument of any op with options is refused, not read as something else', () => {
    assert.throws(() => F.gelu(x, 'tanh' as never), /gelu\(x, \{ approximate/);
    assert.throws(() => F.mseLoss(x, x, 'sum' as never), /mseLoss\(input, target, \{ reduction \}\)/);
    assert.throws(() => F.crossEntropy(x, cls, {}, 'mean' as never), /crossEntropy\(input, target, \{/);
    assert.throws(() => F.maxPool2d(img, 2 as never), /maxPool2d\(x, \{ kernelSize/);
    assert.throws(() => F.maxPool2d(img, {} as never), /kernelSize is required/);
    assert.throws(() => F.gelu(x, { approximate: 'fast' } as never), /approximate must be 'none' or 'tanh'/);
  });

  it('softmax and logSoftmax without a dim say so', () => {
    assert.throws(
      () => F.softmax(x, undefined as never),
      /\[softmax\] needs the dim to normalise over, e\.g\. softmax\(x, -1\)/,
    );
    assert.throws(() => (x.logSoftmax as (d?: number) => unknown)(), /\[logSoftmax\] needs the dim/);
    assert.deepEqual(
      (F.softmax(x, -1).sum(-1).toArray() as number[]).map((v: number) => Math.round(v * 1e6) / 1e6),
      [1, 1],
    );
  });
});
