import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../../src/index.ts';
import {
  AvgPool2d,
  BatchNorm1d,
  Conv2d,
  Linear,
  LSTM,
  MaxPool2d,
  moduleFromConfig,
  moduleToConfig,
  ReLU,
  Sequential,
} from '../../src/nn/index.ts';

describe('layer options: an unknown key is an error with the right name', () => {
  it('constructors', () => {
    assert.throws(
      () => new MaxPool2d(2, { ceil_mode: true } as never),
      /^TensorScriptError: \[MaxPool2d\] unknown option "ceil_mode" \(did you mean "ceilMode"\?\); options: stride, padding, dilation, ceilMode$/,
    );
    assert.throws(
      () => new AvgPool2d(2, { count_include_pad: false } as never),
      /did you mean "countIncludePad"/,
    );
    assert.throws(
      () => new Conv2d(1, 2, 3, { padding_mode: 'zeros' } as never),
      /\[Conv2d\] unknown option "padding_mode"/,
    );
    assert.throws(
      () => new Linear(2, 3, { bais: false } as never),
      /\[Linear\] unknown option "bais" \(did you mean "bias"\?\)/,
    );
    assert.throws(
      () => new BatchNorm1d(3, { track_running_stats: false } as never),
      /\[BatchNorm1d\] .*did you mean "trackRunningStats"/,
    );
    assert.throws(
      () => new LSTM(2, 3, { batch_first: true } as never),
      /\[LSTM\] .*did you mean "batchFirst"/,
    );
    // Undefined values count as absent, so spreading optional settings stays fine.
    assert.equal(new Linear(2, 3, { bias: undefined }).outFeatures, 3);
  });

  it('configs: a key the layer does not read is refused; round trips still load', () => {
    assert.throws(
      () =>
        moduleFromConfig({ className: 'Linear', config: { inFeatures: 2, outFeatures: 3, use_bias: false } }),
      /\[moduleFromConfig\(Linear\)\] unknown option "use_bias"/,
    );
    const m = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    const back = moduleFromConfig(moduleToConfig(m));
    assert.deepEqual(moduleToConfig(back), moduleToConfig(m));
  });

  it('loadStateDict: strict by default; {strict: false} returns the incompatible keys; its options are checked', () => {
    const a = new Linear(2, 3);
    const b = new Sequential(new Linear(2, 3));
    assert.throws(
      () => b.loadStateDict(a.stateDict()),
      /missing keys: \[0\.weight, 0\.bias\]; unexpected keys: \[weight, bias\]/,
    );
    assert.deepEqual(b.loadStateDict(a.stateDict(), { strict: false }), {
      missingKeys: ['0.weight', '0.bias'],
      unexpectedKeys: ['weight', 'bias'],
    });
    assert.throws(
      () => new Linear(2, 4).loadStateDict(a.stateDict(), { strict: false }),
      /size mismatch for weight: copying a tensor of shape \[3,2\], the shape in the current model is \[4,2\]/,
    );
    assert.throws(() => a.loadStateDict(a.stateDict(), { stict: false } as never), /did you mean "strict"/);
  });
});

describe('optional op arguments: one options object', () => {
  it('leakyRelu and elu take { negativeSlope } / { alpha }; a bare number is refused with the form; unknown keys are refused', async () => {
    const ts = await import('../../src/index.ts');
    const x = ts.tensor([-2, 3]);
    assert.deepEqual(ts.functional.leakyRelu(x, { negativeSlope: 0.5 }).toArray(), [-1, 3]);
    assert.throws(
      () => ts.functional.leakyRelu(x, 0.5 as never),
      /\[leakyRelu\] the optional arguments go in one options object: leakyRelu\(x, \{ negativeSlope \}\)/,
    );
    assert.deepEqual(ts.functional.leakyRelu(x).toArray(), [-0.019999999552965164, 3]);
    assert.throws(() => ts.functional.elu(x, 2 as never), /elu\(x, \{ alpha \}\)/);
    assert.throws(
      () => ts.functional.leakyRelu(x, { negative_slope: 0.5 } as never),
      /\[leakyRelu\] unknown option "negative_slope" \(did you mean "negativeSlope"\?\)/,
    );
    assert.throws(
      () => ts.functional.elu(x, { alpha: 'a' } as never),
      /\[elu\] alpha must be a finite number/,
    );
  });
});

describe('batchNorm: operands positional, optional arguments in one options object', () => {
  it('takes { weight, bias, training, momentum, eps }, refuses unknown keys and the old positional form', async () => {
    const ts = await import('../../src/index.ts');
    const x = ts.tensor([
      [1, 2],
      [3, 6],
    ]);
    const rm = ts.zeros([2]);
    const rv = ts.ones([2]);
    const y = ts.functional.batchNorm(x, rm, rv, {
      weight: ts.tensor([2, 1]),
      bias: ts.tensor([0, 1]),
      training: true,
      momentum: 0.5,
      eps: 0,
    });
    // Batch statistics: means [2, 4], biased variances [1, 4]; running stats move halfway to the unbiased ones.
    assert.deepEqual(y.toArray(), [
      [-2, 0],
      [2, 2],
    ]);
    assert.deepEqual(rm.toArray(), [1, 2]);
    assert.deepEqual(rv.toArray(), [1.5, 4.5]);
    // Eval mode with the defaults normalises with the running statistics.
    const e = ts.functional.batchNorm(ts.tensor([[1, 2]]), ts.tensor([1, 2]), ts.tensor([4, 1]), { eps: 0 });
    assert.deepEqual(e.toArray(), [[0, 0]]);
    assert.throws(
      () => ts.functional.batchNorm(x, rm, rv, { trainig: true } as never),
      /\[batchNorm\] unknown option "trainig" \(did you mean "training"\?\)/,
    );
    assert.throws(
      () => ts.functional.batchNorm(x, rm, rv, { momentum: '0.1' } as never),
      /\[batchNorm\] momentum must be a finite number/,
    );
    const old = ts.functional.batchNorm as unknown as (...a: unknown[]) => unknown;
    assert.throws(
      () => old(x, rm, rv, ts.ones([2]), ts.zeros([2]), true, 0.1, 1e-5),
      /\[batchNorm\] the optional arguments go in one options object/,
    );
  });
});
