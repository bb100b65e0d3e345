import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

const { nn } = ts;

describe('FunctionalModel (Keras-style functional API)', () => {
  it('a chain of calls on a placeholder equals the Sequential of the same layers, with the same keys', () => {
    ts.manualSeed(1);
    const l1 = new nn.Linear(4, 8);
    const l2 = new nn.Linear(8, 3);
    const x = nn.input();
    const model = new nn.FunctionalModel({ inputs: x, outputs: l2.call(new nn.ReLU().call(l1.call(x))) });
    const seq = new nn.Sequential(l1, new nn.ReLU(), l2);
    const data = ts.randn([5, 4]);
    assert.deepEqual(
      Array.from((model.call(data) as ts.Tensor).toTypedArray()),
      Array.from(seq.call(data).toTypedArray()),
    );
    assert.deepEqual(Object.keys(model.stateDict()), ['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it('two inputs, a shared layer, Add and Concatenate; gradients reach every parameter', () => {
    ts.manualSeed(2);
    const shared = new nn.Linear(3, 3);
    const a = nn.input({ name: 'a' });
    const b = nn.input({ name: 'b' });
    const sum = new nn.Add().call(shared.call(a), shared.call(b));
    const both = new nn.Concatenate(-1).call(sum, a);
    const out = new nn.Linear(6, 1).call(both);
    const model = new nn.FunctionalModel({ inputs: [a, b], outputs: out });
    assert.equal(model.parameters().length, 4);
    const y = model.call(ts.randn([2, 3]), ts.randn([2, 3])) as ts.Tensor;
    assert.deepEqual(y.shape, [2, 1]);
    y.sum().backward();
    for (const p of model.parameters()) assert.ok(p.grad !== null);
    assert.throws(
      () => model.call(ts.randn([2, 3])),
      /\[FunctionalModel\] expected 2 input\(s\) \(a, b\), got 1/,
    );
  });

  it('round-trips through config and a state dict', () => {
    ts.manualSeed(3);
    const x = nn.input();
    const y = new nn.Linear(4, 2).call(new nn.Tanh().call(new nn.Linear(4, 4).call(x)));
    const model = new nn.FunctionalModel({ inputs: x, outputs: y });
    const rebuilt = nn.moduleFromConfig<ts.nn.FunctionalModel>(
      JSON.parse(JSON.stringify(nn.moduleToConfig(model))),
    );
    rebuilt.loadStateDict(model.stateDict());
    const data = ts.randn([3, 4]);
    assert.deepEqual(
      Array.from((rebuilt.call(data) as ts.Tensor).toTypedArray()),
      Array.from((model.call(data) as ts.Tensor).toTypedArray()),
    );
  });

  it('refuses outputs that depend on an undeclared input', () => {
    const x = nn.input();
    const z = nn.input({ name: 'z' });
    const y = new nn.Add().call(x, z);
    assert.throws(
      () => new nn.FunctionalModel({ inputs: x, outputs: y }),
      /\[FunctionalModel\] output depends on input 'z'/,
    );
  });
});
