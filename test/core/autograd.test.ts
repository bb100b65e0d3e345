import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

describe('autograd semantics', () => {
  it('accumulates into .grad across backward calls until zeroGrad', () => {
    const x = ts.tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    x.mul(x).sum().backward();
    x.mul(3).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [5, 7, 9]);
    x.zeroGrad();
    assert.equal(x.grad, null);
  });
  it('retainGraph allows a second backward through the same graph', () => {
    const x = ts.tensor([2], { dtype: 'float32', requiresGrad: true });
    const y = x.pow(3).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    assert.deepEqual(x.grad!.toArray(), [24]);
  });
  it('explicit upstream gradient for non-scalars', () => {
    const x = ts.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    x.mul(x).backward(ts.tensor([1, 10], { dtype: 'float32' }));
    assert.deepEqual(x.grad!.toArray(), [2, 40]);
  });
  it('detach and noGrad stop recording', () => {
    const x = ts.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    const n = ts.noGrad(() => x.mul(2));
    assert.equal(n.requiresGrad, false);
    assert.equal(n.gradFn, null);
    const y = x.mul(d).sum();
    y.backward();
    assert.deepEqual(x.grad!.toArray(), [1, 2]);
  });
  it('a tensor used twice gets both contributions; retainGrad keeps an intermediate gradient', () => {
    const x = ts.tensor([3], { dtype: 'float32', requiresGrad: true });
    const h = x.mul(2).retainGrad();
    h.mul(h).add(h).sum().backward();
    assert.deepEqual(h.grad!.toArray(), [13]);
    assert.deepEqual(x.grad!.toArray(), [26]);
  });
  it('views share storage with their base and route gradients back', () => {
    const x = ts.arange(6).to('float32').reshape(2, 3).requiresGrad_(true);
    const v = x.t();
    assert.equal(v.storage, x.storage);
    v.index([1]).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [
      [0, 1, 0],
      [0, 1, 0],
    ]);
  });
});

describe('dropout', () => {
  it('zeroes about p of the elements, scales the rest by 1/(1-p), and is seeded', () => {
    const x = ts.ones([10000]);
    const y = ts.functional.dropout(x, { p: 0.3, generator: new ts.Generator(9) }).toTypedArray();
    const zeros = Array.from(y).filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / 10000 - 0.3) < 0.02, `zero fraction ${zeros / 10000}`);
    assert.ok(Array.from(y).every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
    const again = ts.functional.dropout(x, { p: 0.3, generator: new ts.Generator(9) }).toTypedArray();
    assert.deepEqual(again, y);
    assert.equal(ts.functional.dropout(x, { p: 0.3, training: false }), x);
  });
  it('passes gradients only through kept elements', () => {
    const x = ts.ones([100], { requiresGrad: true });
    const y = ts.functional.dropout(x, { p: 0.5, generator: new ts.Generator(1) });
    y.sum().backward();
    assert.deepEqual(Array.from(x.grad!.toTypedArray()), Array.from(y.toTypedArray()));
  });
});

describe('gradient accumulation inside backward', () => {
  it('many slices of one tensor accumulate into one buffer with the right values', () => {
    const x = ts.randn([64, 8], { generator: new ts.Generator(4) }).requiresGrad_(true);
    let s = ts.zeros([8]);
    for (let t = 0; t < 64; t++) s = s.add(x.index([t]).mul(t + 1));
    s.sum().backward();
    const g = x.grad!.toTypedArray();
    for (let t = 0; t < 64; t++) for (let j = 0; j < 8; j++) assert.equal(g[t * 8 + j], t + 1);
  });
  it('a gradient handed to two inputs is not updated in place through either', () => {
    const a = ts.ones([3], { requiresGrad: true });
    const b = ts.ones([3], { requiresGrad: true });
    const c = a.add(b);
    // a gets g from c (shared with b) plus a second contribution; b must keep only its own.
    c.mul(2).add(a.mul(5)).sum().backward();
    assert.deepEqual(a.grad!.toArray(), [7, 7, 7]);
    assert.deepEqual(b.grad!.toArray(), [2, 2, 2]);
  });
});
