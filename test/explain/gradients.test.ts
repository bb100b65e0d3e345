import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { Conv2d, Embedding, Flatten, Linear, Sequential, Tanh } from '../../src/nn/index.ts';

const { integratedGradients, saliency, tokenAttributions } = ts.explain;

function randn(g: ts.Generator, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => g.normal());
}

const call = (m: Sequential) => (x: ts.Tensor) => m.call(x);

describe('integrated gradients', () => {
  it('is complete on an image CNN: attributions sum to f(x) - f(baseline) within 1%', () => {
    ts.manualSeed(5);
    const m = new Sequential(new Conv2d(1, 4, 3), new Tanh(), new Flatten(), new Linear(4 * 6 * 6, 3));
    m.train(false);
    const x = ts.tensor(
      Float32Array.from({ length: 2 * 64 }, (_, i) => ((i * 37) % 64) / 64),
      { shape: [2, 1, 8, 8] },
    );
    const ig = integratedGradients(call(m), x, { steps: 32 });
    assert.deepEqual(ig.shape, [2, 1, 8, 8]);
    for (let r = 0; r < 2; r++) {
      const gap = ig.output[r]! - ig.baselineOutput[r]!;
      assert.ok(Math.abs(gap) > 1e-3, `gap ${gap}`);
      assert.ok(
        Math.abs(ig.delta[r]!) <= 0.01 * Math.abs(gap),
        `sample ${r}: delta ${ig.delta[r]} vs gap ${gap}`,
      );
    }
    // A non-zero baseline, and a target given.
    const base = new Float32Array(64).fill(0.5);
    const ig2 = integratedGradients(call(m), x, { baseline: base, target: 1, steps: 32 });
    assert.deepEqual(ig2.target, [1, 1]);
    for (let r = 0; r < 2; r++)
      assert.ok(Math.abs(ig2.delta[r]!) <= 0.01 * Math.abs(ig2.output[r]! - ig2.baselineOutput[r]!));
  });

  it('gives per-token attributions through the embedding, complete within 1%', () => {
    ts.manualSeed(6);
    const m = new Sequential(new Embedding(20, 4), new Flatten(), new Tanh(), new Linear(5 * 4, 2));
    m.train(false);
    const ids = ts.tensor(new Int32Array([3, 7, 1, 19, 4]), { shape: [1, 5] });
    const a = tokenAttributions(m, ids, { steps: 32 });
    assert.equal(a.tokens.length, 5);
    const gap = a.output[0]! - a.baselineOutput[0]!;
    const total = a.tokens.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(total - gap) <= 0.01 * Math.abs(gap), `${total} vs ${gap}`);
    assert.throws(
      () => tokenAttributions(new Sequential(new Linear(2, 2), new Tanh()), ids),
      /first layer is an Embedding/,
    );
  });
});

describe('saliency', () => {
  it('is |w| of the target column for a linear model', () => {
    ts.manualSeed(7);
    const lin = new Linear(4, 2);
    const m = new Sequential(lin);
    const x = ts.tensor(randn(new ts.Generator(1), 4), { shape: [1, 4] });
    const s = saliency(call(m), x, { target: 1 });
    const w = lin.weight.dataSync() as Float32Array;
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(s.values[i]! - Math.abs(w[4 + i]!)) < 1e-6);
    assert.throws(() => saliency(call(m), x, { target: 2 }), /target 2 is not an output column/);
  });
});
