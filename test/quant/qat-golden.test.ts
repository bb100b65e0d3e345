/** Fake quantization forward and straight-through backward against torch 1.13, bit for bit. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { fakeQuantizePerChannelAffine, fakeQuantizePerTensorAffine } from '../../src/quant/fake-quant.ts';
import { fromData, type TensorData } from '../helpers/golden.ts';

interface FqCase {
  kind: 'per_tensor' | 'per_channel';
  scale: number | number[];
  zeroPoint: number | number[];
  axis?: number;
  quantMin: number;
  quantMax: number;
  x: TensorData;
  upstream: TensorData;
  y: TensorData;
  grad: TensorData;
}
const fx = JSON.parse(
  readFileSync(new URL('../fixtures/golden/quant/fake_quant.json', import.meta.url), 'utf8'),
) as { cases: FqCase[] };

function sameBits(got: ts.Tensor, want: TensorData, what: string): void {
  const g = got.dataSync();
  const w = Float32Array.from(want.data as number[]);
  assert.deepEqual(got.shape, want.shape, `${what} shape`);
  for (let i = 0; i < w.length; i++)
    assert.ok(Object.is(g[i], w[i]) || g[i] === w[i], `${what}[${i}]: got ${g[i]}, torch ${w[i]}`);
}

describe('fake quantization vs torch.fake_quantize_*_affine', () => {
  fx.cases.forEach((c, i) => {
    it(`${c.kind} case ${i} [${c.quantMin}, ${c.quantMax}]`, () =>
      ts.scope(() => {
        const x = fromData(c.x).requiresGrad_(true);
        const y =
          c.kind === 'per_tensor'
            ? fakeQuantizePerTensorAffine(x, c.scale as number, c.zeroPoint as number, c.quantMin, c.quantMax)
            : fakeQuantizePerChannelAffine(
                x,
                c.scale as number[],
                c.zeroPoint as number[],
                c.axis!,
                c.quantMin,
                c.quantMax,
              );
        sameBits(y, c.y, 'forward');
        y.mul(fromData(c.upstream)).sum().backward();
        sameBits(x.grad!, c.grad, 'grad');
        // The case must exercise both sides of the estimator: some gradients pass, some are cut.
        const gr = x.grad!.dataSync();
        const up = fromData(c.upstream).dataSync();
        assert.ok(gr.some((v, j) => v === 0 && up[j] !== 0) && gr.some((v) => v !== 0));
      }));
  });

  it('refuses a bad scale, zero point or dtype, naming the op', () => {
    const x = ts.tensor([0.5, 1]);
    assert.throws(
      () => fakeQuantizePerTensorAffine(x, 0, 0, -127, 127),
      /fakeQuantizePerTensorAffine.*scale/,
    );
    assert.throws(() => fakeQuantizePerTensorAffine(x, 0.1, 200, -127, 127), /zeroPoint/);
    assert.throws(
      () => fakeQuantizePerTensorAffine(ts.tensor([1], { dtype: 'float64' }), 0.1, 0, -127, 127),
      /float32/,
    );
    assert.throws(() => fakeQuantizePerChannelAffine(x, [0.1], [0], 0, -127, 127), /expected 2 scales/);
  });

  it('records nothing without grad (no mask is kept)', () => {
    const y = ts.noGrad(() =>
      fakeQuantizePerTensorAffine(ts.tensor([0.5]).requiresGrad_(true), 0.1, 0, -127, 127),
    );
    assert.equal(y.requiresGrad, false);
  });
});
