import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';
import {
  type AnyModule,
  Linear,
  Module,
  type ModuleConfig,
  ModuleList,
  moduleFromConfig,
  moduleToConfig,
  Parameter,
  Sequential,
} from '../../src/nn/index.ts';

class Block extends Module {
  fc1: Linear;
  scale: Parameter;
  fc2: Linear;
  constructor(g: ts.Generator) {
    super();
    this.fc1 = new Linear(3, 4, { generator: g });
    this.scale = new Parameter(ts.ones([4]));
    this.fc2 = new Linear(4, 2, { generator: g });
    this.registerBuffer('steps', ts.zeros([1], { dtype: 'int32' }));
    this.registerBuffer('cache', ts.zeros([2]), { persistent: false });
  }
  forward(x: ts.Tensor): ts.Tensor {
    return this.fc2.call(this.fc1.call(x).relu().mul(this.scale));
  }
}

class Net extends Module {
  encoder: Block;
  head: Sequential;
  constructor(g = new ts.Generator(1)) {
    super();
    this.encoder = new Block(g);
    this.head = new Sequential(
      new Linear(2, 2, { generator: g }),
      new Linear(2, 1, { generator: g, bias: false }),
    );
  }
  forward(x: ts.Tensor): ts.Tensor {
    return this.head.call(this.encoder.call(x));
  }
}

test('registration by assignment gives dotted names in PyTorch order (own state, then children)', () => {
  const net = new Net();
  assert.deepEqual(
    net.namedParameters().map(([k]) => k),
    [
      'encoder.scale',
      'encoder.fc1.weight',
      'encoder.fc1.bias',
      'encoder.fc2.weight',
      'encoder.fc2.bias',
      'head.0.weight',
      'head.0.bias',
      'head.1.weight',
    ],
  );
  assert.deepEqual(
    net.namedModules().map(([k]) => k),
    ['', 'encoder', 'encoder.fc1', 'encoder.fc2', 'head', 'head.0', 'head.1'],
  );
  assert.deepEqual(
    net.namedBuffers().map(([k]) => k),
    ['encoder.steps', 'encoder.cache'],
  );
  assert.deepEqual(Object.keys(net.stateDict()), [
    'encoder.scale',
    'encoder.steps',
    'encoder.fc1.weight',
    'encoder.fc1.bias',
    'encoder.fc2.weight',
    'encoder.fc2.bias',
    'head.0.weight',
    'head.0.bias',
    'head.1.weight',
  ]);
  assert.equal(net.parameters().length, 8);
  assert.equal(net.numParameters(), 3 * 4 + 4 + 4 + 4 * 2 + 2 + 2 * 2 + 2 + 2);
  assert.equal(net.getSubmodule('head.1'), net.head.at(1));
  assert.throws(() => net.getSubmodule('head.7'), /\[getSubmodule\] Sequential has no submodule "7"/);
});

test('a replaced field is followed; shared parameters are listed once', () => {
  const net = new Net();
  const fresh = new Linear(3, 4);
  net.encoder.fc1 = fresh;
  assert.equal(net.getSubmodule('encoder.fc1'), fresh);
  const shared = new Linear(2, 2);
  const s = new Sequential(shared, shared);
  assert.equal(s.parameters().length, 2);
  assert.deepEqual(Object.keys(s.stateDict()), ['0.weight', '0.bias']);
});

test('parameters are kept leaves that require grad and survive scopes', () => {
  const lin = ts.scope(() => new Linear(2, 3));
  for (const p of lin.parameters()) {
    assert.ok(p instanceof Parameter && p.isLeaf && p.requiresGrad && p.kept);
    assert.ok(!p.isDisposed);
  }
  const buf = ts.scope(() => new Net().encoder.getBuffer('steps'))!;
  assert.ok(!buf.isDisposed);
});

test('stateDict / loadStateDict copy values; strict mode reports missing and unexpected keys', () => {
  const a = new Net(new ts.Generator(1));
  const b = new Net(new ts.Generator(2));
  const x = ts.randn([5, 3], { generator: new ts.Generator(3) });
  assert.notDeepEqual(a.call(x).toArray(), b.call(x).toArray());
  const res = b.loadStateDict(a.stateDict());
  assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
  assert.deepEqual(a.call(x).toArray(), b.call(x).toArray());
  // b's tensors are its own (copied into, not replaced)
  assert.notEqual(b.encoder.fc1.weight, a.encoder.fc1.weight);

  const sd = { ...a.stateDict() };
  delete sd['head.0.bias'];
  sd['head.9.weight'] = ts.zeros([1]);
  assert.throws(
    () => b.loadStateDict(sd),
    (e: Error) =>
      /\[loadStateDict\]/.test(e.message) &&
      e.message.includes('missing keys: [head.0.bias]') &&
      e.message.includes('unexpected keys: [head.9.weight]'),
  );
  assert.deepEqual(b.loadStateDict(sd, { strict: false }), {
    missingKeys: ['head.0.bias'],
    unexpectedKeys: ['head.9.weight'],
  });
  const bad = { ...a.stateDict(), 'encoder.scale': ts.zeros([5]) };
  assert.throws(
    () => b.loadStateDict(bad, { strict: false }),
    /size mismatch for encoder\.scale: .*\[5\].*\[4\]/,
  );
});

test('train/eval, apply, requiresGrad_ and zeroGrad reach every descendant', () => {
  const net = new Net();
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.train();
  assert.ok(net.modules().every((m) => m.training));
  const visited: string[] = [];
  net.apply((m) => visited.push(m.constructor.name));
  assert.deepEqual(visited, ['Linear', 'Linear', 'Block', 'Linear', 'Linear', 'Sequential', 'Net']);
  net.encoder.requiresGrad_(false);
  assert.ok(net.encoder.parameters().every((p) => !p.requiresGrad));
  assert.ok(net.head.parameters().every((p) => p.requiresGrad));
  const y = net.call(ts.randn([4, 3])).sum();
  y.backward();
  assert.ok(net.encoder.fc1.weight.grad === null);
  assert.ok(net.head.at<Linear>(0).weight.grad !== null);
  net.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === null));
});

test('forward hooks can observe and replace inputs and outputs', () => {
  const lin = new Linear(2, 2);
  const seen: number[][] = [];
  const h1 = lin.registerForwardPreHook((_m, args) => [(args[0] as ts.Tensor).mul(0)]);
  const h2 = lin.registerForwardHook((_m, _args, out) => {
    seen.push((out as ts.Tensor).shape as number[]);
    return undefined;
  });
  const y = lin.call(ts.ones([1, 2]));
  assert.deepEqual(y.toArray(), [Array.from(lin.bias!.toTypedArray())]);
  assert.deepEqual(seen, [[1, 2]]);
  h1.remove();
  h2.remove();
  lin.call(ts.ones([1, 2]));
  assert.equal(seen.length, 1);
});

test('moduleToConfig / moduleFromConfig rebuild nested containers', () => {
  const seq = new Sequential(new Linear(3, 4), new Sequential(new Linear(4, 2, { bias: false })));
  const cfg: ModuleConfig = JSON.parse(JSON.stringify(moduleToConfig(seq)));
  assert.deepEqual(cfg, {
    className: 'Sequential',
    config: {
      layers: [
        { className: 'Linear', config: { inFeatures: 3, outFeatures: 4, bias: true, dtype: 'float32' } },
        {
          className: 'Sequential',
          config: {
            layers: [
              {
                className: 'Linear',
                config: { inFeatures: 4, outFeatures: 2, bias: false, dtype: 'float32' },
              },
            ],
          },
        },
      ],
    },
  });
  const back = moduleFromConfig<Sequential>(cfg);
  assert.deepEqual(Object.keys(back.stateDict()), ['0.weight', '0.bias', '1.0.weight']);
  back.loadStateDict(seq.stateDict());
  const x = ts.randn([2, 3]);
  assert.deepEqual(back.call(x).toArray(), seq.call(x).toArray());
  assert.throws(
    () => moduleFromConfig({ className: 'Nope', config: {} }),
    /\[moduleFromConfig\] unknown layer class "Nope"/,
  );
  assert.throws(
    () => moduleToConfig(new Net() as AnyModule),
    /\[moduleToConfig\] Net is not a registered layer class/,
  );
  const list = new ModuleList([new Linear(1, 1)]);
  assert.deepEqual(Object.keys(list.stateDict()), ['0.weight', '0.bias']);
});

test('registration errors name the method', () => {
  const m = new Linear(2, 2);
  assert.throws(
    () => m.registerBuffer('weight', ts.zeros([1])),
    /\[registerBuffer\] "weight" is already registered/,
  );
  assert.throws(() => m.registerModule('a.b', new Linear(1, 1)), /\[registerModule\] name must be/);
});
