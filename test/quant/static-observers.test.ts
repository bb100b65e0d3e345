/** Observers: min-max against torch 1.13 bit for bit; percentile and MSE against hand-computed values. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  affineQParams,
  Histogram,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MseObserver,
  makeObserver,
  PercentileObserver,
  perChannelSymmetricScales,
} from '../../src/quant/observers.ts';
import type { TensorData } from '../helpers/golden.ts';

interface ObsCase {
  observer: 'minmax' | 'moving_average' | 'per_channel';
  qscheme: 'affine' | 'symmetric';
  data: string;
  batches: TensorData[];
  min?: number;
  max?: number;
  scale?: number;
  zeroPoint?: number;
  scales?: number[];
}
const fx = JSON.parse(
  readFileSync(new URL('../fixtures/golden/quant/observers.json', import.meta.url), 'utf8'),
) as { cases: ObsCase[] };
const f32 = (d: TensorData) => Float32Array.from(d.data as number[]);

describe('observers vs torch.ao.quantization (qint8, [-127, 127])', () => {
  for (const c of fx.cases) {
    it(`${c.observer} ${c.qscheme} on ${c.data}`, () => {
      if (c.observer === 'per_channel') {
        const w = c.batches[0]!;
        assert.deepEqual([...perChannelSymmetricScales(f32(w), w.shape[0]!)], c.scales!.map(Math.fround));
        return;
      }
      const o =
        c.observer === 'minmax'
          ? new MinMaxObserver({ symmetric: c.qscheme === 'symmetric' })
          : new MovingAverageMinMaxObserver();
      for (const b of c.batches) o.observe(f32(b));
      // The fixture writes float32 values with 9 digits: fround recovers them exactly.
      assert.deepEqual(o.range(), [Math.fround(c.min!), Math.fround(c.max!)]);
      assert.deepEqual(o.qparams(), { scale: Math.fround(c.scale!), zeroPoint: c.zeroPoint });
    });
  }

  it('a ReLU output range puts zero at quantMin (all 255 levels for x >= 0)', () => {
    assert.deepEqual(affineQParams(0, 2.54), { scale: Math.fround(2.54 / 254), zeroPoint: -127 });
  });

  it('an observer that saw nothing says so', () => {
    assert.throws(() => new MinMaxObserver().qparams(), /MinMaxObserver.*no values/);
    assert.throws(() => new MseObserver().range(), /MseObserver.*calibration/);
    assert.throws(() => new MinMaxObserver().observe([1, Number.NaN]), /NaN/);
  });

  it('refuses unknown options and kinds', () => {
    assert.throws(() => new PercentileObserver({ percentil: 99 } as never), /unknown option "percentil"/);
    assert.throws(() => new PercentileObserver({ percentile: 40 }), /percentile must be in/);
    assert.throws(() => makeObserver('max' as never), /unknown observer "max"/);
  });
});

/** n values evenly over [lo, hi] (deterministic "uniform" data). */
function spread(n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / n);
}

describe('histogram, percentile and MSE observers', () => {
  it('percentile matches the exact percentile of the data within one bin', () => {
    const x = spread(100_000, -1, 3);
    const o = new PercentileObserver({ percentile: 99 });
    o.observe(x.subarray(0, 50_000));
    o.observe(x.subarray(50_000)); // widens the histogram: old counts are re-binned
    const [lo, hi] = o.range();
    const bin = 4 / 2048;
    assert.ok(Math.abs(lo - (-1 + 0.04)) <= bin, `lo ${lo}`);
    assert.ok(Math.abs(hi - (3 - 0.04)) <= bin, `hi ${hi}`);
  });

  it('re-binning keeps the total mass', () => {
    const h = new Histogram(64);
    h.add(spread(1000, 0, 1));
    h.add(spread(500, -2, 5));
    const sum = h.counts.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1500) < 1e-9);
    assert.equal(h.lo, spread(500, -2, 5)[0]);
  });

  it('percentile 99.99 clips a lone outlier; min-max does not', () => {
    const x = spread(50_000, 0, 1);
    x[7] = 100;
    const p = new PercentileObserver();
    const m = new MinMaxObserver();
    p.observe(x);
    m.observe(x);
    assert.ok(p.range()[1] < 1.1, `percentile hi ${p.range()[1]}`);
    assert.equal(m.range()[1], 100);
  });

  it('MSE picks the range that minimises the real quantization error', () => {
    // Pareto-tailed data (alpha 2.5: a long tail, as activations have): the best range clips the tail.
    let seed = 1;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed + 0.5) / 2 ** 31;
    };
    const x = Float32Array.from({ length: 20_000 }, () => (rnd() < 0.5 ? -1 : 1) * 0.1 * (rnd() ** -0.4 - 1));
    const o = new MseObserver({ bins: 512 });
    o.observe(x);
    const realMse = (lo: number, hi: number) => {
      const { scale, zeroPoint } = affineQParams(lo, hi);
      let e = 0;
      for (const v of x) {
        const q = Math.min(127, Math.max(-127, Math.round(v / scale) + zeroPoint));
        e += (v - (q - zeroPoint) * scale) ** 2;
      }
      return e / x.length;
    };
    const [lo, hi] = o.range();
    const mse = realMse(lo, hi);
    let xmin = 0;
    let xmax = 0;
    for (const v of x) [xmin, xmax] = [Math.min(xmin, v), Math.max(xmax, v)];
    assert.ok(hi < xmax && lo > xmin, `[${lo}, ${hi}] clips the tails of [${xmin}, ${xmax}]`);
    assert.ok(mse < realMse(xmin, xmax), 'better than min-max');
    // No range on a 20 x 20 grid over the data does noticeably better than the search's choice.
    for (let a = 1; a <= 20; a++)
      for (let b = 1; b <= 20; b++) {
        const m = realMse((xmin * a) / 20, (xmax * b) / 20);
        assert.ok(mse <= m * 1.03, `MSE ${mse} vs ${m} at [${(xmin * a) / 20}, ${(xmax * b) / 20}]`);
      }
  });
});
