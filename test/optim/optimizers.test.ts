import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { Adagrad, Adam, AdamW, type Optimizer, RMSprop, SGD } from '../../src/optim/index.ts';
import { close, fromData, type TensorData } from '../helpers/golden.ts';
import { readOptimFixture, type TrajectoryCase, type TrajectoryFile } from './golden-optim.ts';

type Opts = Record<string, number | boolean | number[]>;
const MAKERS: Record<string, (params: ts.Tensor[], c: TrajectoryCase) => Optimizer> = {
  SGD: (p, c) => new SGD(groupsOf(p, c), c.options as { lr: number }),
  Adam: (p, c) => new Adam(groupsOf(p, c), c.options as Opts as never),
  AdamW: (p, c) => new AdamW(groupsOf(p, c), c.options as Opts as never),
  RMSprop: (p, c) => new RMSprop(groupsOf(p, c), c.options as never),
  Adagrad: (p, c) => new Adagrad(groupsOf(p, c), c.options as never),
};

function groupsOf(params: ts.Tensor[], c: TrajectoryCase): never {
  if (c.groups === null) return params as never;
  return c.groups.map((g) => ({ ...g, params: g.params.map((i) => params[i]!) })) as never;
}

function leaf(d: TensorData): ts.Tensor {
  return ts.keep(fromData(d)).requiresGrad_(true);
}

function setGrads(params: ts.Tensor[], grads: (TensorData | null)[]): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    const g = grads[i];
    p.grad = g === null || g === undefined ? null : ts.keep(fromData(g));
  });
}

/** Every parameter and every state entry after a step, against torch; the state keys must match exactly. */
function checkStep(opt: Optimizer, params: ts.Tensor[], c: TrajectoryCase, k: number): void {
  const want = c.steps[k]!;
  params.forEach((p, i) => {
    const err = close(p, want.params[i]!, c.tol, `step ${k + 1} param ${i}`);
    assert.equal(err, null, `${c.name}: ${err}`);
  });
  const sd = opt.stateDict();
  assert.deepEqual(
    Object.keys(sd.state).sort(),
    Object.keys(want.state).sort(),
    `${c.name} step ${k + 1}: state keys`,
  );
  for (const [i, entry] of Object.entries(want.state)) {
    const got = sd.state[i]!;
    assert.deepEqual(
      Object.keys(got).sort(),
      Object.keys(entry).sort(),
      `${c.name} step ${k + 1} param ${i}`,
    );
    for (const [key, v] of Object.entries(entry)) {
      if (typeof v === 'number') assert.equal(got[key], v, `${c.name} step ${k + 1} state ${i}.${key}`);
      else {
        const err = close(got[key] as ts.Tensor, v, c.tol, `step ${k + 1} state ${i}.${key}`);
        assert.equal(err, null, `${c.name}: ${err}`);
      }
    }
  }
}

for (const file of ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad']) {
  const fx = readOptimFixture<TrajectoryFile>(`${file}.json`);
  describe(`${fx.optimizer} trajectories against ${fx.torch}`, () => {
    for (const c of fx.cases) {
      it(`${c.name}: ${c.steps.length} steps, parameters and state after each`, () => {
        const params = c.params.map(leaf);
        const opt = MAKERS[fx.optimizer]!(params, c);
        c.grads.forEach((row, k) => {
          setGrads(params, row);
          opt.step();
          checkStep(opt, params, c, k);
        });
        assert.equal(opt.stepCount, c.steps.length);
      });

      it(`${c.name}: stateDict after 2 steps loads into a fresh optimizer that continues identically`, () => {
        const params = c.params.map(leaf);
        const first = MAKERS[fx.optimizer]!(params, c);
        for (let k = 0; k < 2; k++) {
          setGrads(params, c.grads[k]!);
          first.step();
        }
        // A fresh optimizer over copies of the current parameters, built with different options that the
        // loaded param groups must override.
        const copies = params.map((p) => ts.keep(p.detach().clone()).requiresGrad_(true));
        const bogus: TrajectoryCase = { ...c, options: { ...c.options, lr: 123 } };
        const second = MAKERS[fx.optimizer]!(copies, bogus);
        second.loadStateDict(first.stateDict());
        assert.deepEqual(
          second.paramGroups.map((g) => g.lr),
          first.paramGroups.map((g) => g.lr),
        );
        for (let k = 2; k < c.steps.length; k++) {
          setGrads(copies, c.grads[k]!);
          second.step();
          checkStep(second, copies, c, k);
        }
      });
    }
  });
}

describe('optimizer base', () => {
  const f = (v: number[]) => ts.keep(ts.tensor(v, { dtype: 'float32' }));
  const p = () => f([1, 2, 3]).requiresGrad_(true);

  it('step() frees its temporaries: live buffers stay flat from the second step on', () => {
    const params = [p(), p()];
    const opts: [string, () => Optimizer][] = [
      ['SGD', () => new SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 })],
      ['Adam', () => new Adam(params, { amsgrad: true, weightDecay: 0.1 })],
      ['AdamW', () => new AdamW(params, { amsgrad: true })],
      ['RMSprop', () => new RMSprop(params, { centered: true, momentum: 0.5, weightDecay: 0.1 })],
      ['Adagrad', () => new Adagrad(params, { weightDecay: 0.1, lrDecay: 0.1 })],
    ];
    for (const [name, make] of opts) {
      const opt = make();
      let after1 = 0;
      for (let k = 0; k < 4; k++) {
        for (const q of params) if (q.grad === null) q.grad = f([0.1, -0.2, 0.3]);
        opt.step();
        if (k === 0) after1 = ts.memoryStats.live;
        else assert.equal(ts.memoryStats.live, after1, `${name}: live buffers after step ${k + 1}`);
      }
      opt.resetState();
    }
  });

  it('zeroGrad drops and frees gradients, or zeroes them in place', () => {
    const a = p();
    const opt = new SGD([a], { lr: 0.1 });
    a.grad = f([1, 1, 1]);
    opt.zeroGrad(false);
    assert.deepEqual(a.grad.toArray(), [0, 0, 0]);
    const g = a.grad;
    const before = ts.memoryStats.live;
    opt.zeroGrad();
    assert.equal(a.grad, null);
    assert.equal(g.isDisposed, true);
    assert.equal(ts.memoryStats.live, before - 1);
  });

  it('parameters without a gradient are skipped and get no state', () => {
    const a = p();
    const b = p();
    const opt = new Adam([a, b], { lr: 0.1 });
    a.grad = f([1, 1, 1]);
    opt.step();
    assert.deepEqual(b.toArray(), [1, 2, 3]);
    assert.deepEqual(Object.keys(opt.stateDict().state), ['0']);
  });

  it('the lr getter/setter reads the first group and sets every group', () => {
    const opt = new SGD([{ params: [p()] }, { params: [p()], lr: 0.5 }], { lr: 0.1 });
    assert.equal(opt.lr, 0.1);
    opt.lr = 0.01;
    assert.deepEqual(
      opt.paramGroups.map((g) => g.lr),
      [0.01, 0.01],
    );
  });

  it('a closure passed to step() is evaluated and its loss returned', () => {
    const a = p();
    const opt = new SGD([a], { lr: 0.5 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = a.mul(a).sum();
      l.backward();
      return l.item();
    });
    assert.equal(loss, 14);
    assert.deepEqual(a.toArray(), [0, 0, 0]);
  });

  it('rejects bad options and parameter lists with clear errors', () => {
    assert.throws(() => new SGD([p()], { lr: -1 }), /\[SGD\] lr must be a number >= 0, got -1/);
    assert.throws(
      () => new SGD([p()], { lr: 0.1, nesterov: true }),
      /\[SGD\] nesterov momentum needs momentum > 0/,
    );
    assert.throws(
      () => new Adam([p()], { betas: [0.9, 1.5] }),
      /\[Adam\] betas must be two numbers in \[0, 1\)/,
    );
    assert.throws(() => new Adam([]), /\[optimizer\] got an empty parameter list/);
    const a = p();
    assert.throws(
      () => new SGD([{ params: [a] }, { params: [a] }], { lr: 1 }),
      /\[SGD\] some parameters appear in more than one parameter group/,
    );
    assert.throws(
      () => new SGD([ts.keep(ts.tensor([1, 2]))], { lr: 1 }),
      /\[SGD\] can only optimize floating/,
    );
  });

  it('loadStateDict rejects a state dict of a different layout', () => {
    const a = p();
    const opt = new Adam([a]);
    a.grad = f([1, 1, 1]);
    opt.step();
    const other = new Adam([{ params: [p()] }, { params: [p()] }]);
    assert.throws(
      () => other.loadStateDict(opt.stateDict()),
      /\[Adam.loadStateDict\] expected 2 parameter groups, got 1/,
    );
    const wrongShape = new Adam([f([1, 2]).requiresGrad_(true)]);
    assert.throws(
      () => wrongShape.loadStateDict(opt.stateDict()),
      /state 'expAvg' of parameter 0 has shape \[3\]/,
    );
  });
});
