// native.compile: forward passes on ONNX Runtime equal the library's within 1e-5 (MLP, CNN, LSTM).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';
import { loadOrt } from '../../src/native/ort.ts';

const { nn } = ts;

function maxDiff(a: ts.Tensor, b: ts.Tensor): number {
  assert.deepEqual([...a.shape], [...b.shape]);
  const x = a.toTypedArray() as Float32Array;
  const y = b.toTypedArray() as Float32Array;
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
}

function library(m: ts.nn.AnyModule, x: ts.Tensor): ts.Tensor {
  const raw = ts.noGrad(() => (m as unknown as { call(t: ts.Tensor): unknown }).call(x));
  return (Array.isArray(raw) ? raw[0] : raw) as ts.Tensor;
}

const cases: [string, () => ts.nn.AnyModule, number[]][] = [
  [
    'seed MLP 784-500-250-10',
    () =>
      new nn.Sequential(
        new nn.Linear(784, 500),
        new nn.ReLU(),
        new nn.Linear(500, 250),
        new nn.ReLU(),
        new nn.Linear(250, 10),
      ),
    [64, 784],
  ],
  [
    'CNN conv-relu-pool x2, dense',
    () =>
      new nn.Sequential(
        new nn.Conv2d(1, 8, 3),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Conv2d(8, 16, 3),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(16 * 5 * 5, 10),
      ),
    [4, 1, 28, 28],
  ],
  ['LSTM 2 layers, bidirectional', () => new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true }), [7, 3, 5]],
];

for (const [name, make, shape] of cases) {
  test(`native.compile: ${name} equals the library within 1e-5`, () => {
    ts.manualSeed(1);
    const m = make();
    m.eval();
    const c = ts.native.compile(m, { threads: 1 });
    for (const s of [shape, [1, ...shape.slice(1)]]) {
      const x = ts.randn(s);
      const d = maxDiff(c.call(x), library(m, x));
      assert.ok(d <= 1e-5, `${name} ${s}: max |diff| ${d}`);
    }
    assert.equal(c.signatures.length, 2, 'one session per shape signature');
    // A second call of a known shape reuses the session (and its preallocated buffers).
    c.call(ts.randn(shape));
    assert.equal(c.signatures.length, 2);
    c.dispose();
  });
}

test('native.compile: unknown option and provider are errors that name the key', () => {
  const m = new nn.Linear(2, 2);
  assert.throws(() => ts.native.compile(m, { thread: 2 } as never), /unknown option "thread".*threads/);
  const c = ts.native.compile(m, { provider: 'cuda' });
  // onnxruntime-node ships only the CPU provider's binaries: naming CUDA says so instead of crashing.
  assert.throws(() => c.call(ts.randn([1, 2])), /execution provider "cuda" is not available/);
  assert.throws(
    () => ts.native.compile(m, { provider: 'cudaa' as never }).call(ts.randn([1, 2])),
    /did you mean "cuda"/,
  );
});

test('onnxruntime-node absent: the loader says it is not installed', () => {
  const r = loadOrt('/nonexistent/dir/x.js');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.reason, /onnxruntime-node is not installed/);
  assert.equal(ts.native.nativeStatus().available, true);
});
