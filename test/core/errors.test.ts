import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const F = ts.functional;

/** Every op validates its inputs; messages start with the op name and show expected vs actual. */
function throwsMsg(fn: () => unknown, msg: string | RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof ts.TensorScriptError, `expected a TensorScriptError, got ${e}`);
    if (typeof msg === 'string') assert.equal(e.message, msg);
    else assert.match(e.message, msg);
    return true;
  });
}

describe('error messages', () => {
  const a = ts.zeros([2, 3]);
  const b = ts.zeros([4, 5]);
  it('matmul names both shapes', () =>
    throwsMsg(() => a.matmul(b), '[matmul] inner dimensions differ: [2,3] @ [4,5]'));
  it('broadcasting names both shapes', () =>
    throwsMsg(() => a.add(ts.zeros([4])), '[add] shapes [2,3] and [4] cannot be broadcast together'));
  it('reshape names the size', () =>
    throwsMsg(() => a.reshape(4, 2), '[reshape] shape [4,2] is invalid for input of size 6'));
  it('view refuses non-contiguous input', () =>
    throwsMsg(() => a.t().view(6), /^\[view\] view size is not compatible/));
  it('dims out of range', () => throwsMsg(() => a.sum(2), '[sum] dim 2 out of range for a tensor of rank 2'));
  it('ragged nested arrays', () =>
    throwsMsg(() => ts.tensor([[1, 2], [3]]), /^\[tensor\] ragged nested array/));
  it('gather bounds', () =>
    throwsMsg(
      () =>
        a.gather(
          1,
          ts.tensor([
            [0, 5, 1],
            [0, 0, 0],
          ]),
        ),
      '[gather] index 5 is out of bounds for dim 1 with size 3',
    ));
  it('conv2d channel mismatch', () =>
    throwsMsg(
      () => F.conv2d(ts.zeros([1, 3, 5, 5]), ts.zeros([2, 4, 3, 3])),
      '[conv2d] weight [2,4,3,3] expects 4 input channels, input [1,3,5,5] has 3',
    ));
  it('conv2d rank', () =>
    throwsMsg(
      () => F.conv2d(ts.zeros([3, 5, 5]), ts.zeros([2, 3, 3, 3])),
      /^\[conv2d\] expected 4-D input \[N,C,H,W\], got \[3,5,5\]/,
    ));
  it('losses refuse silent broadcasting', () =>
    throwsMsg(
      () => F.mseLoss(ts.zeros([4, 1]), ts.zeros([4])),
      '[mseLoss] input shape [4,1] and target shape [4] differ',
    ));
  it('cross entropy target bounds', () =>
    throwsMsg(
      () => F.crossEntropy(ts.zeros([2, 3]), ts.tensor([0, 3])),
      '[nllLoss] target 3 is out of bounds for 3 classes',
    ));
  it('bce refuses logits', () =>
    throwsMsg(
      () => F.binaryCrossEntropy(ts.tensor([2.5]), ts.tensor([1.0])),
      /^\[binaryCrossEntropy\] input values must be probabilities/,
    ));
  it('cat names mismatching shapes', () =>
    throwsMsg(
      () => ts.cat([ts.zeros([2, 3]), ts.zeros([2, 4])], 0),
      '[cat] sizes must match except in dim 0: tensors[0] [2,3], tensors[1] [2,4]',
    ));
  it('where needs a bool condition', () =>
    throwsMsg(() => ts.where(ts.zeros([2]), 1, 0), '[where] condition must be a bool tensor, got float32'));
  it('backward needs a scalar or a gradient', () => {
    const x = ts.ones([3], { requiresGrad: true });
    throwsMsg(
      () => x.mul(2).backward(),
      '[backward] grad can be implicitly created only for scalar outputs, got shape [3]',
    );
  });
  it('backward twice without retainGraph', () => {
    const x = ts.ones([3], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    throwsMsg(() => y.backward(), /^\[backward\] trying to backward through the graph a second time/);
  });
  it('in-place on a leaf that requires grad', () => {
    const x = ts.ones([3], { requiresGrad: true });
    throwsMsg(() => x.add_(1), /^\[add_\] a leaf tensor that requires grad/);
    ts.noGrad(() => x.add_(1));
    assert.deepEqual(x.toArray(), [2, 2, 2]);
  });
  it('unknown backend', () =>
    throwsMsg(() => ts.setBackend('cuda'), /^\[setBackend\] unknown backend 'cuda'/));
  it('disposed tensors', () => {
    const x = ts.ones([2]);
    x.dispose();
    throwsMsg(() => x.add(1), '[tensor] use of a disposed tensor');
  });
});
