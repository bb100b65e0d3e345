import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';
import { ElemType, GraphBuilder, importModel, loadOnnx } from '../../src/onnx/index.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'onnx');
const mlpBytes = () => new Uint8Array(readFileSync(join(FIX, 'mlp.onnx')));

/** A Relu -> Relu graph; `wire` rewires it (cycles, dangling inputs). */
function tinyGraph(opset = 17, wire?: (g: GraphBuilder) => void): Uint8Array {
  const g = new GraphBuilder();
  g.addInput('x', ElemType.FLOAT, ['batch', 3]);
  if (wire) wire(g);
  else {
    const [h] = g.addNode('Relu', ['x']);
    g.addNode('Relu', [h!], {}, { outputs: ['y'] });
  }
  g.addOutput('y', ElemType.FLOAT, ['batch', 3]);
  return g.toBytes({ opset });
}

const isImportError = (re: RegExp) => (e: unknown) =>
  e instanceof ts.TensorScriptError &&
  /^\[onnx\.import\]/.test((e as Error).message) &&
  re.test((e as Error).message);

test('a graph of supported ops imports (the control for the cases below)', () => {
  const m = importModel(tinyGraph());
  assert.deepEqual(m.call(ts.tensor([[-1, 0, 2]])).toArray(), [[0, 0, 2]]);
});

test('malformed protobuf: a clear error, no crash', () => {
  assert.throws(
    () => importModel(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2])),
    isImportError(/not a valid ONNX protobuf/),
  );
  assert.throws(
    () => importModel(new TextEncoder().encode('{"not": "onnx"}'), { source: 'model.json' }),
    isImportError(/model\.json/),
  );
  assert.throws(() => importModel(new Uint8Array(0)), isImportError(/non-empty/));
});

test('truncated file: every truncation point gives an [onnx.import] error or a valid smaller model, never a crash', () => {
  const bytes = mlpBytes();
  let errors = 0;
  for (let n = 1; n < bytes.length; n += 13) {
    try {
      importModel(bytes.subarray(0, n));
    } catch (e) {
      assert.ok(e instanceof ts.TensorScriptError, `cut at ${n}: ${(e as Error).stack}`);
      assert.match((e as Error).message, /^\[onnx\.import\]/);
      errors++;
    }
  }
  assert.ok(errors > 0);
  // The common case names the problem.
  assert.throws(
    () => importModel(bytes.subarray(0, bytes.length - 20)),
    isImportError(/truncated|provides|initializer|no graph|no outputs/),
  );
});

test('flipped bytes never crash the importer', () => {
  const bytes = mlpBytes();
  const gen = new ts.Generator(7);
  for (let trial = 0; trial < 200; trial++) {
    const b = bytes.slice();
    const i = gen.int(0, b.length);
    b[i] = gen.int(0, 256);
    try {
      importModel(b).call(ts.randn([2, 20]));
    } catch (e) {
      assert.ok(e instanceof ts.TensorScriptError, `byte ${i}: ${(e as Error).stack}`);
    }
  }
});

test('unsupported opset: the error says which opsets are read and which ops differ', () => {
  const softmax11 = tinyGraph(11, (g) => {
    const [h] = g.addNode('Relu', ['x']);
    g.addNode('Softmax', [h!], { axis: 1 }, { outputs: ['y'] });
  });
  assert.throws(
    () => importModel(softmax11),
    isImportError(
      /opset 11 is not supported; the importer reads ai.onnx opsets 13 to 18 \(at opset 11 these ops differ: Softmax\)/,
    ),
  );
  assert.throws(() => importModel(tinyGraph(19)), isImportError(/opset 19 is not supported/));
  // Ops whose semantics have not changed since the model's opset still import (Relu since 6).
  assert.deepEqual(
    importModel(tinyGraph(11))
      .call(ts.tensor([[-1, 2, 0]]))
      .toArray(),
    [[0, 2, 0]],
  );
});

test('a graph with a cycle is refused, naming the nodes', () => {
  const bytes = tinyGraph(17, (g) => {
    g.addNode('Add', ['x', 'b'], {}, { outputs: ['a'], name: 'first' });
    g.addNode('Relu', ['a'], {}, { outputs: ['b'], name: 'second' });
    g.addNode('Relu', ['b'], {}, { outputs: ['y'], name: 'third' });
  });
  assert.throws(
    () => importModel(bytes),
    isImportError(/cycle; 3 node\(s\) can never run: "first", "second", "third"/),
  );
});

test('a node reading a value nothing produces is refused', () => {
  const bytes = tinyGraph(17, (g) => {
    g.addNode('Add', ['x', 'ghost'], {}, { outputs: ['y'], name: 'adder' });
  });
  assert.throws(
    () => importModel(bytes),
    isImportError(/node "adder" \(Add\) reads "ghost", which no node, initializer or graph input provides/),
  );
});

test('unsupported ops: one error lists them all', () => {
  const custom = tinyGraph(17, (g) => {
    g.addNode('Frobnicate', ['x'], {}, { outputs: ['a'], domain: 'com.example' });
    g.addNode('Hardmax', ['a'], {}, { outputs: ['y'] });
  });
  assert.throws(
    () => importModel(custom),
    isImportError(/2 unsupported op type\(s\): com\.example\.Frobnicate \(1 node\), Hardmax \(1 node\)/),
  );
});

test('unknown import option and missing file are clear errors', () => {
  assert.throws(
    () => importModel(mlpBytes(), { sorce: 'x' } as never),
    isImportError(/unknown option "sorce" \(did you mean "source"\?\)/),
  );
  assert.throws(() => loadOnnx(join(FIX, 'missing.onnx')), isImportError(/cannot read .*missing\.onnx/));
});
