// Dynamic int8 quantization: the converted model stays close to fp32, saves as I8 at about a quarter of the
// size, reloads from config + safetensors to bit-identical outputs, and refuses what it cannot do by name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';

function mlp(): ts.nn.Sequential {
  const g = new ts.Generator(7);
  return new ts.nn.Sequential(
    new ts.nn.Linear(64, 48, { generator: g }),
    new ts.nn.ReLU(),
    new ts.nn.Linear(48, 5, { generator: g }),
  );
}

function values(t: ts.Tensor): number[] {
  return Array.from(t.toArray() as ArrayLike<number>).flat(2) as number[];
}

test('quantizeDynamic converts every Linear, leaves the original untouched, and stays near fp32', () => {
  const model = mlp();
  model.eval();
  const x = ts.randn([16, 64], { generator: new ts.Generator(1) });
  const ref = values(model.forward(x));
  const { model: q, report } = ts.quant.quantizeDynamic(model);
  q.eval();
  assert.deepEqual(
    report.converted.map((c) => [c.name, c.type, c.as]),
    [
      ['0', 'Linear', 'QuantizedLinear'],
      ['2', 'Linear', 'QuantizedLinear'],
    ],
  );
  assert.deepEqual(report.keptFloat, []);
  assert.ok(
    model.modules().some((m) => m instanceof ts.nn.Linear),
    'the original keeps its fp32 layers',
  );
  const out = values(q.forward(x));
  const scale = Math.max(...ref.map(Math.abs));
  const err = Math.max(...out.map((v, i) => Math.abs(v - ref[i]!)));
  // Two int8 layers: each rounding contributes at most half a step of 1/127 relative; 2% of the output range
  // is a generous bound that a wrong scale (off by any factor) or a transposed weight breaks by far.
  assert.ok(err > 0 && err < 0.02 * scale, `max error ${err} vs output range ${scale}`);
  assert.ok(report.stateBytesAfter < 0.3 * report.stateBytesBefore);
});

test('a quantized model round-trips through config + safetensors (I8 on disk) bit for bit', () => {
  const { model: q } = ts.quant.quantizeDynamic(mlp());
  q.eval();
  const x = ts.randn([4, 64], { generator: new ts.Generator(2) });
  const bytes = ts.io.serializeSafetensors(q.stateDict());
  const dense = ts.io.serializeSafetensors(mlp().stateDict());
  // int8 weights plus float32 scales and biases and the header: 0.30x at this small size (0.25x for 784-500-250-10).
  assert.ok(bytes.length < 0.32 * dense.length, `${bytes.length} vs fp32 ${dense.length}`);
  const header = new TextDecoder().decode(
    bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))),
  );
  assert.match(header, /"dtype":"I8"/);
  const back = ts.nn.moduleFromConfig<ts.nn.Sequential>(ts.nn.moduleToConfig(q));
  back.loadStateDict(ts.io.parseSafetensors(bytes).tensors);
  back.eval();
  assert.deepEqual(values(back.forward(x)), values(q.forward(x)));
});

test('quantizeDynamic names what it cannot do; quantized layers refuse training', () => {
  assert.throws(() => ts.quant.quantizeDynamic(mlp(), { exclude: ['9'] }), /\[quantizeDynamic\].*9/);
  assert.throws(() => ts.quant.quantizeDynamic(mlp(), { layers: ['1'] }), /\[quantizeDynamic\].*1/);
  assert.throws(() => ts.quant.quantizeDynamic(mlp(), { types: ['Conv9' as never] }), /\[quantizeDynamic\]/);
  const kept = ts.quant.quantizeDynamic(mlp(), { exclude: ['2'] }).report.keptFloat;
  assert.deepEqual(
    kept.map((k) => k.name),
    ['2'],
  );
  const { model: q } = ts.quant.quantizeDynamic(mlp());
  assert.throws(() => q.train(true), /QuantizedLinear|inference/);
});
