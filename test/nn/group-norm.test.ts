import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ts from '../../src/index.ts';

const { nn } = ts;

interface T {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  numGroups: number;
  eps: number;
  affine: boolean;
  x: T;
  r: T;
  y: T;
  gradX: T;
  weight?: T;
  bias?: T;
  gradWeight?: T;
  gradBias?: T;
}

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'golden', 'groupnorm', 'groupnorm.json');
const cases = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: Case[] }).cases;

const f64 = (t: T) => ts.tensor(Float64Array.from(t.data), { shape: t.shape, dtype: 'float64' });

function close(got: ts.Tensor, want: T, what: string): void {
  assert.deepEqual([...got.shape], want.shape, `${what} shape`);
  const g = got.toTypedArray();
  for (let i = 0; i < want.data.length; i++)
    assert.ok(
      Math.abs(g[i]! - want.data[i]!) <= 1e-9 * Math.max(1, Math.abs(want.data[i]!)),
      `${what}[${i}]: ${g[i]} vs ${want.data[i]}`,
    );
}

for (const c of cases)
  test(`GroupNorm ${c.name}: output and gradients equal torch 1.13 (float64)`, () => {
    const m = new nn.GroupNorm(c.numGroups, c.x.shape[1]!, {
      eps: c.eps,
      affine: c.affine,
      dtype: 'float64',
    });
    if (c.affine) m.loadStateDict({ weight: f64(c.weight!), bias: f64(c.bias!) });
    const x = f64(c.x).requiresGrad_(true);
    const y = m.call(x);
    close(y, c.y, 'y');
    y.mul(f64(c.r)).sum().backward();
    close(x.grad!, c.gradX, 'grad x');
    if (c.affine) {
      close(m.weight!.grad!, c.gradWeight!, 'grad weight');
      close(m.bias!.grad!, c.gradBias!, 'grad bias');
    } else assert.equal(m.parameters().length, 0);
  });

test('GroupNorm: config round trip, named errors', () => {
  const m = new nn.GroupNorm(2, 6, { eps: 1e-3 });
  assert.deepEqual(m.getConfig(), {
    numGroups: 2,
    numChannels: 6,
    eps: 1e-3,
    affine: true,
    dtype: 'float32',
  });
  assert.throws(
    () => new nn.GroupNorm(4, 6),
    /\[GroupNorm\] numChannels \(6\) must be divisible by numGroups \(4\)/,
  );
  assert.throws(() => new nn.GroupNorm(2, 6, { epsilon: 1 } as never), /GroupNorm.*epsilon/);
  assert.throws(() => m.call(ts.zeros([2, 4, 3])), /\[GroupNorm\] expected input \[N, 6, \*\]/);
});

test('GroupNorm under DP: per-sample gradients equal one-sample batch gradients', () => {
  ts.manualSeed(5);
  const model = new nn.Sequential(
    new nn.Conv2d(2, 6, 3, { padding: 1 }),
    new nn.GroupNorm(3, 6),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(6 * 4 * 4, 2),
  );
  ts.noGrad(() => {
    const gn = model.at<ts.nn.GroupNorm>(1);
    gn.weight!.copy_(ts.randn([6]));
    gn.bias!.copy_(ts.randn([6]));
  });
  const x = ts.randn([4, 2, 4, 4]);
  const sampler = new ts.privacy.GradSampler(model as unknown as ts.nn.AnyModule);
  const params = model.parameters();
  const lossOf = (y: ts.Tensor) => y.square().mean();
  lossOf(model.call(x)).backward();
  const ps = sampler.perSampleGrads();
  assert.equal(ps.size, params.length);
  for (let i = 0; i < 4; i++) {
    for (const p of params) p.zeroGrad();
    sampler.clear();
    lossOf(model.call(x.narrow(0, i, 1))).backward();
    for (const [name, p] of model.namedParameters()) {
      const want = p.grad!.toTypedArray();
      const got = ps.get(p)!.narrow(0, i, 1).toTypedArray();
      let scale = 1e-3;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      for (let k = 0; k < want.length; k++)
        assert.ok(
          Math.abs(got[k]! - want[k]!) <= 1e-4 * scale,
          `${name} sample ${i} [${k}]: ${got[k]} vs ${want[k]}`,
        );
    }
  }
  sampler.remove();
});
