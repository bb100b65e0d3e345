import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Linear, MSELoss, ReLU, Sequential } from '../../src/nn/index.ts';
import { SGD } from '../../src/optim/index.ts';
import { close, fromData, type TensorData, type Tol } from '../helpers/golden.ts';
import { readOptimFixture } from './golden-optim.ts';

interface StepFixture {
  torch: string;
  optimizer: { lr: number; momentum: number; weightDecay: number };
  input: TensorData;
  target: TensorData;
  weights: Record<string, TensorData>;
  loss: number;
  grads: Record<string, TensorData>;
  updated: Record<string, TensorData>;
  tol: Tol;
}

const fx = readOptimFixture<StepFixture>('training_step.json');

describe('one full training step against PyTorch', () => {
  it(`${fx.torch}: loss, every gradient and every updated weight`, () => {
    const model = new Sequential(new Linear(3, 8), new ReLU(), new Linear(8, 2));
    model.loadStateDict(Object.fromEntries(Object.entries(fx.weights).map(([k, v]) => [k, fromData(v)])));
    // The fixture names the optimizer in `type`; the rest are its options (an unknown key would be refused).
    const { type: _type, ...sgdOptions } = fx.optimizer as typeof fx.optimizer & { type?: string };
    const opt = new SGD(model.parameters(), sgdOptions);
    const lossFn = new MSELoss();
    opt.zeroGrad();
    const loss = lossFn.call(model.call(fromData(fx.input)), fromData(fx.target));
    assert.ok(
      Math.abs(loss.item() - fx.loss) <= 1e-6 + 1e-5 * Math.abs(fx.loss),
      `loss ${loss.item()} vs ${fx.loss}`,
    );
    loss.backward();
    const params = Object.fromEntries(model.namedParameters());
    assert.deepEqual(Object.keys(params).sort(), Object.keys(fx.grads).sort());
    for (const [k, g] of Object.entries(fx.grads)) {
      const err = close(params[k]!.grad!, g, fx.tol, `grad ${k}`);
      assert.equal(err, null, err ?? '');
    }
    opt.step();
    const sd = model.stateDict();
    for (const [k, w] of Object.entries(fx.updated)) {
      const err = close(sd[k]!, w, fx.tol, `updated ${k}`);
      assert.equal(err, null, err ?? '');
    }
  });
});
