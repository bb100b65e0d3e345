import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { clipGradNorm_, clipGradValue_, l1Penalty, l2Penalty } from '../../src/optim/index.ts';
import { close, fromData, type TensorData, type Tol } from '../helpers/golden.ts';
import { readOptimFixture } from './golden-optim.ts';

interface ClipCase {
  name: string;
  kind: 'norm' | 'value';
  maxNorm?: number;
  normType?: number | 'inf';
  totalNorm?: number;
  clipValue?: number;
  clipped: TensorData[];
}
const fx = readOptimFixture<{ grads: TensorData[]; tol: Tol; cases: ClipCase[] }>('clip.json');

function withGrads(): ts.Tensor[] {
  return fx.grads.map((g) => {
    const p = ts.keep(ts.zeros(g.shape)).requiresGrad_(true);
    p.grad = ts.keep(fromData(g));
    return p;
  });
}

describe('gradient clipping against torch.nn.utils', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const params = withGrads();
      if (c.kind === 'norm') {
        const total = clipGradNorm_(params, c.maxNorm!, c.normType!);
        assert.ok(
          Math.abs(total - c.totalNorm!) <= 1e-5 * c.totalNorm!,
          `total norm ${total}, expected ${c.totalNorm}`,
        );
      } else clipGradValue_(params, c.clipValue!);
      params.forEach((p, i) => {
        const err = close(p.grad!, c.clipped[i]!, fx.tol, `grad ${i}`);
        assert.equal(err, null, err ?? '');
      });
    });
  }

  it('returns 0 and changes nothing when no parameter has a gradient', () => {
    const p = ts.keep(ts.ones([2])).requiresGrad_(true);
    assert.equal(clipGradNorm_([p], 1), 0);
    assert.equal(p.grad, null);
  });

  it('errorIfNonfinite throws on a NaN norm; validates its arguments', () => {
    const p = ts.keep(ts.ones([2])).requiresGrad_(true);
    p.grad = ts.keep(ts.tensor([Number.NaN, 1]));
    assert.throws(
      () => clipGradNorm_([p], 1, 2, { errorIfNonfinite: true }),
      /\[clipGradNorm_\] the total norm of order 2 of the gradients is NaN/,
    );
    assert.throws(() => clipGradNorm_([p], 1, 0), /\[clipGradNorm_\] normType must be > 0 or 'inf', got 0/);
    assert.throws(() => clipGradValue_([p], -1), /\[clipGradValue_\] clipValue must be >= 0, got -1/);
  });

  it('frees its temporaries', () => {
    const params = withGrads();
    clipGradNorm_(params, 1, 3);
    const before = ts.memoryStats.live;
    clipGradNorm_(params, 1, 3);
    clipGradValue_(params, 0.1);
    assert.equal(ts.memoryStats.live, before);
  });
});

describe('weight penalties', () => {
  it('l1Penalty and l2Penalty give coef * sum|p| and coef * sum p^2 with matching gradients', () => {
    const a = ts.keep(ts.tensor([1, -2, 3], { dtype: 'float32' })).requiresGrad_(true);
    const b = ts.keep(ts.tensor([[-0.5, 0.25]], { dtype: 'float32' })).requiresGrad_(true);
    const l1 = l1Penalty([a, b], 0.1);
    assert.ok(Math.abs(l1.item() - 0.1 * 6.75) < 1e-6);
    l1.backward();
    assert.deepEqual(a.grad!.toArray(), [0.1, -0.1, 0.1].map(Math.fround));
    a.grad = null;
    b.grad = null;
    const l2 = l2Penalty([a, b], 0.5);
    assert.ok(Math.abs(l2.item() - 0.5 * (14 + 0.3125)) < 1e-5);
    l2.backward();
    assert.deepEqual(b.grad!.toArray(), [[-0.5, 0.25]]);
    assert.throws(() => l2Penalty([], 1), /\[l2Penalty\] got no parameters/);
  });
});
