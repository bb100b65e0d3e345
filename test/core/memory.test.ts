import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

/** The tape and intermediates are released: a scoped training step leaves no buffers behind. */
describe('memory', () => {
  it('a scoped forward/backward/update loop does not grow the live buffer count', () => {
    const g = new ts.Generator(1);
    const w = ts.keep(ts.randn([8, 4], { generator: g }).requiresGrad_(true));
    const x = ts.keep(ts.randn([16, 8], { generator: g }));
    const y = ts.keep(ts.randn([16, 4], { generator: g }));
    const step = () =>
      ts.scope(() => {
        const loss = ts.functional.mseLoss(x.matmul(w).relu(), y);
        loss.backward();
        ts.noGrad(() => w.sub_(w.grad!.mul(0.01)));
        w.zeroGrad();
        return loss.item();
      });
    step();
    const base = ts.memoryStats.live;
    for (let i = 0; i < 20; i++) step();
    assert.equal(ts.memoryStats.live, base, 'live buffers grew across steps');
  });

  it('backward releases the tape: saved inputs are dropped from the graph', () => {
    const x = ts.ones([3], { requiresGrad: true });
    const y = x.mul(2).sum();
    const node = y.gradFn!;
    assert.equal(node.inputs.length, 1);
    y.backward();
    assert.equal(node.inputs.length, 0);
    assert.equal(node.released, true);
  });

  it('scope keeps returned tensors and frees the rest', () => {
    const before = ts.memoryStats.live;
    const kept = ts.scope(() => {
      const a = ts.ones([10]);
      const b = a.mul(3);
      return b.add(1);
    });
    assert.equal(ts.memoryStats.live, before + 1);
    assert.deepEqual(Array.from(kept.toTypedArray().subarray(0, 2)), [4, 4]);
  });
});

describe('in-place updates outside a scope', () => {
  it('free the scalar operands they create', () => {
    const p = ts.keep(ts.ones([4]));
    p.mul_(0.5);
    const base = ts.memoryStats.live;
    for (let i = 0; i < 10; i++) p.mul_(0.9).add_(1).clamp_(0, 10);
    assert.equal(ts.memoryStats.live, base);
  });
});

describe('ops outside a scope', () => {
  it('cat leaves only its output alive', () => {
    const parts = [ts.ones([2, 3]), ts.zeros([1, 3])];
    const before = ts.memoryStats.live;
    const c = ts.noGrad(() => ts.cat(parts, 0));
    assert.equal(ts.memoryStats.live, before + 1);
    c.dispose();
  });
});
