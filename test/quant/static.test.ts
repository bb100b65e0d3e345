// Static int8 with calibration: the int8 layers compute exactly the documented integer formula (checked against
// direct loops, no im2col and no int8Matmul), stay within the quantization error bound of fp32, calibrate with
// each observer, fuse ReLU, save and reload bit for bit, and refuse bad calibration data and layers by name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';
import { roundHalfEven } from '../../src/quant/int8-reference.ts';

const fr = Math.fround;

function cnn(): ts.nn.Sequential {
  const g = new ts.Generator(3);
  return new ts.nn.Sequential(
    new ts.nn.Conv2d(2, 4, 3, { padding: 1, generator: g }),
    new ts.nn.ReLU(),
    new ts.nn.Conv2d(4, 6, 3, { stride: 2, groups: 2, generator: g }),
    new ts.nn.ReLU(),
    new ts.nn.Flatten(),
    new ts.nn.Linear(6 * 3 * 3, 5, { generator: g }),
  );
}

function flat(t: ts.Tensor): number[] {
  return Array.from(t.toTypedArray() as Float32Array);
}

const calib = () => ts.randn([64, 2, 8, 8], { generator: new ts.Generator(11) });

/** The spec of static-int8.ts as direct loops: quantize, integer dot with the zero point, rescale. */
function quantCode(v: number, qp: ts.quant.QParams): number {
  const q = qp.zeroPoint + roundHalfEven(fr(v * fr(1 / fr(qp.scale))));
  return Math.min(127, Math.max(-127, q));
}
function rescale(acc: number, sa: number, sw: number, b: number | null, relu: boolean): number {
  let y = fr(fr(acc) * fr(sa * sw));
  if (b !== null) y = fr(y + b);
  return relu && y < 0 ? 0 : y;
}

function refConv(layer: ts.quant.StaticQuantizedConv2d, x: ts.Tensor, pad: [number, number]): number[] {
  const [n, c, h, w] = x.shape as number[] as [number, number, number, number];
  const xv = x.toTypedArray() as Float32Array;
  const wq = layer.weight.toTypedArray() as Int32Array;
  const sw = layer.weightScale.toTypedArray() as Float32Array;
  const b = layer.bias === null ? null : (layer.bias.toTypedArray() as Float32Array);
  const qp = layer.inputQParams;
  const [kh, kw] = layer.kernelSize;
  const [sh, sww] = layer.stride;
  const [dh, dw] = layer.dilation;
  const o = layer.outChannels;
  const cg = c / layer.groups;
  const og = o / layer.groups;
  const oh = Math.floor((h + 2 * pad[0] - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + 2 * pad[1] - dw * (kw - 1) - 1) / sww) + 1;
  const out: number[] = [];
  for (let bi = 0; bi < n; bi++)
    for (let oc = 0; oc < o; oc++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let acc = 0;
          const g = Math.floor(oc / og);
          for (let ci = 0; ci < cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const yy = y * sh - pad[0] + i * dh;
                const x2 = xx * sww - pad[1] + j * dw;
                const inside = yy >= 0 && yy < h && x2 >= 0 && x2 < w;
                const code = inside
                  ? quantCode(xv[((bi * c + g * cg + ci) * h + yy) * w + x2]!, qp)
                  : qp.zeroPoint;
                acc += (code - qp.zeroPoint) * wq[((oc * cg + ci) * kh + i) * kw + j]!;
              }
          out.push(rescale(acc, qp.scale, sw[oc]!, b === null ? null : b[oc]!, layer.relu));
        }
  return out;
}

function refLinear(layer: ts.quant.StaticQuantizedLinear, x: ts.Tensor): number[] {
  const xv = x.toTypedArray() as Float32Array;
  const wq = layer.weight.toTypedArray() as Int32Array;
  const sw = layer.weightScale.toTypedArray() as Float32Array;
  const b = layer.bias === null ? null : (layer.bias.toTypedArray() as Float32Array);
  const qp = layer.inputQParams;
  const k = layer.inFeatures;
  const m = xv.length / k;
  const out: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < layer.outFeatures; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += (quantCode(xv[i * k + p]!, qp) - qp.zeroPoint) * wq[j * k + p]!;
      out.push(rescale(acc, qp.scale, sw[j]!, b === null ? null : b[j]!, layer.relu));
    }
  return out;
}

test('static int8 Conv2d and Linear compute the integer formula exactly (direct loops, every geometry)', () => {
  const g = new ts.Generator(5);
  const act = { scale: 0.021, zeroPoint: -9 };
  const cases: [ts.nn.Conv2dLayerOptions, [number, number]][] = [
    [{ padding: 1 }, [1, 1]],
    [{ stride: 2, groups: 3 }, [0, 0]],
    [{ padding: 'same', dilation: 2, bias: false }, [2, 2]],
    [{ padding: [2, 0], stride: [1, 2] }, [2, 0]],
  ];
  for (const [opts, pad] of cases) {
    for (const relu of [false, true]) {
      const conv = new ts.nn.Conv2d(3, 6, 3, { ...opts, generator: g });
      const q = ts.quant.StaticQuantizedConv2d.fromWeights(conv, conv.weight, conv.bias, act, relu);
      const x = ts.randn([2, 3, 7, 6], { generator: g });
      assert.deepEqual(flat(q.forward(x)), refConv(q, x, pad), JSON.stringify({ opts, relu }));
    }
  }
  const lin = new ts.nn.Linear(19, 7, { generator: g });
  for (const relu of [false, true]) {
    const q = ts.quant.StaticQuantizedLinear.fromWeights(lin.weight, lin.bias, act, relu);
    const x = ts.randn([5, 19], { generator: g });
    assert.deepEqual(flat(q.forward(x)), refLinear(q, x));
  }
});

test('one static int8 layer stays within the quantization error bound of fp32', () => {
  const g = new ts.Generator(8);
  const lin = new ts.nn.Linear(32, 9, { generator: g });
  const x = ts.randn([16, 32], { generator: g });
  const xv = x.toTypedArray() as Float32Array;
  const { model: q } = ts.quant.quantizeStatic(new ts.nn.Sequential(lin), x, { minSamples: 16 });
  const ql = q
    .modules()
    .find((m) => m instanceof ts.quant.StaticQuantizedLinear) as ts.quant.StaticQuantizedLinear;
  const qp = ql.inputQParams;
  const y = flat(lin.forward(x));
  const yq = flat(q.forward(x));
  const w = lin.weight.toTypedArray() as Float32Array;
  const sw = ql.weightScale.toTypedArray() as Float32Array;
  // Min-max ranges clip nothing on the calibration data itself, so |x - xq| <= sa/2 and |w - wq| <= sw/2:
  // |y - yq| <= sum_p sa/2 |w_p| + (|x_p| + sa/2) sw/2, plus float32 rounding of the sums.
  let worst = 0;
  for (let i = 0; i < 16; i++)
    for (let j = 0; j < 9; j++) {
      let bound = 0;
      for (let p = 0; p < 32; p++)
        bound +=
          (qp.scale / 2) * Math.abs(w[j * 32 + p]!) +
          (Math.abs(xv[i * 32 + p]!) + qp.scale / 2) * (sw[j]! / 2);
      const err = Math.abs(y[i * 9 + j]! - yq[i * 9 + j]!);
      assert.ok(err <= bound * 1.001 + 1e-5, `output ${i},${j}: error ${err} > bound ${bound}`);
      worst = Math.max(worst, err / bound);
    }
  // The bound is not slack by orders of magnitude: a scale off by 2x would break it.
  assert.ok(worst > 0.01, `worst error/bound ${worst}`);
});

test('quantizeStatic calibrates a CNN with each observer, fuses ReLU and stays near fp32', () => {
  const model = cnn();
  model.eval();
  const x = ts.randn([16, 2, 8, 8], { generator: new ts.Generator(12) });
  const ref = flat(model.forward(x));
  const range = Math.max(...ref.map(Math.abs));
  const scales: number[] = [];
  for (const observer of ['minmax', 'percentile', 'mse'] as const) {
    const { model: q, report } = ts.quant.quantizeStatic(model, calib(), { observer });
    assert.deepEqual(
      report.converted.map((c) => [c.name, c.as, c.fusedRelu]),
      [
        ['0', 'StaticQuantizedConv2d', true],
        ['2', 'StaticQuantizedConv2d', true],
        ['5', 'StaticQuantizedLinear', false],
      ],
    );
    assert.equal(report.calibrationSamples, 64);
    assert.ok(q.modules().some((m) => m instanceof ts.quant.FusedReLU));
    assert.ok(
      model.modules().some((m) => m instanceof ts.nn.Conv2d),
      'the original keeps its fp32 layers',
    );
    const out = flat(q.forward(x));
    const err = Math.max(...out.map((v, i) => Math.abs(v - ref[i]!)));
    assert.ok(err > 0 && err < 0.05 * range, `${observer}: max error ${err} vs output range ${range}`);
    scales.push(report.converted[1]!.input.scale);
    assert.ok(report.stateBytesAfter < 0.45 * report.stateBytesBefore, ts.quant.formatReport(report));
  }
  // Percentile and MSE clip the tails that min-max keeps.
  assert.ok(scales[1]! < scales[0]! && scales[2]! < scales[0]!, `scales ${scales}`);
});

test('a static int8 model round-trips through config + safetensors bit for bit', () => {
  const { model: q } = ts.quant.quantizeStatic(cnn(), calib(), { observer: 'mse' });
  const x = ts.randn([3, 2, 8, 8], { generator: new ts.Generator(4) });
  const bytes = ts.io.serializeSafetensors(q.stateDict());
  const back = ts.nn.moduleFromConfig<ts.nn.Sequential>(JSON.parse(JSON.stringify(ts.nn.moduleToConfig(q))));
  const res = back.loadStateDict(ts.io.parseSafetensors(bytes).tensors);
  assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
  back.eval();
  assert.deepEqual(flat(back.forward(x)), flat(q.forward(x)));
});

test('quantizeStatic reports layers kept in fp32 and names what it refuses', () => {
  const g = new ts.Generator(2);
  const withBn = new ts.nn.Sequential(
    new ts.nn.Conv2d(2, 4, 3, { generator: g }),
    new ts.nn.BatchNorm2d(4),
    new ts.nn.ReLU(),
    new ts.nn.Flatten(),
    new ts.nn.Linear(4 * 6 * 6, 3, { generator: g }),
  );
  const { report } = ts.quant.quantizeStatic(withBn, calib(), { exclude: ['4'] });
  assert.deepEqual(
    report.keptFloat.map((k) => [k.name, k.type]),
    [
      ['1', 'BatchNorm2d'],
      ['4', 'Linear'],
    ],
  );
  assert.match(report.keptFloat[0]!.reason, /normalization/);
  // The ReLU follows the BatchNorm, not the conv: nothing is fused.
  assert.equal(report.converted[0]!.fusedRelu, false);
  assert.throws(
    () => ts.quant.quantizeStatic(withBn, calib(), { layers: ['1'] }),
    /\[quantizeStatic\] cannot quantize layer "1" \(BatchNorm2d\): normalization/,
  );
  assert.throws(() => ts.quant.quantizeStatic(cnn(), calib().narrow(0, 0, 8)), /too small: 8 sample/);
  assert.throws(
    () => ts.quant.quantizeStatic(cnn(), ts.randn([40, 3, 8, 8])),
    /\[quantizeStatic\] calibration batch 0 of shape \[32,3,8,8\] does not fit the model: .*expects 2 input channels/,
  );
  assert.throws(
    () => ts.quant.quantizeStatic(cnn(), [ts.randn([32, 2, 8, 8]), ts.randn([32, 2, 8, 7])]),
    /calibration batch 1 has shape \[32,2,8,7\]/,
  );
  assert.throws(
    () => ts.quant.quantizeStatic(cnn(), calib(), { observer: 'kl' as never }),
    /unknown observer/,
  );
  assert.throws(() => ts.quant.quantizeStatic(cnn(), calib(), { bogus: 1 } as never), /bogus/);
  assert.throws(
    () => ts.quant.quantizeStatic(cnn(), calib(), { layers: ['7'] }),
    /"7", which is not a module/,
  );
  const { model: q } = ts.quant.quantizeStatic(cnn(), calib());
  assert.throws(() => q.train(true), /inference-only/);
});
