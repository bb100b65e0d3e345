// The distillation loss against PyTorch 1.13 (scripts/gen_golden_distill.py: F.kl_div(log_softmax(s/T),
// softmax(t/T), reduction='batchmean') * T^2 mixed with the hard loss), its gradient, and a float64 gradcheck.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';

interface TD {
  shape: number[];
  dtype: 'float64' | 'int32';
  data: number[];
}
interface Case {
  name: string;
  softTargets: 'softmax' | 'sigmoid';
  hard: string;
  temperature: number;
  alpha: number;
  student: TD;
  teacher: TD;
  y: TD;
  soft: number;
  hardLoss: number;
  loss: number;
  grad: TD;
}

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'golden', 'distill', 'distill.json'), 'utf8'),
) as { cases: Case[] };

const tensorOf = (d: TD, requiresGrad = false) =>
  ts.tensor(d.data, { shape: d.shape, dtype: d.dtype, requiresGrad });

function close(actual: number, expected: number, what: string, rtol = 1e-9, atol = 1e-12): void {
  assert.ok(
    Math.abs(actual - expected) <= atol + rtol * Math.abs(expected),
    `${what}: ${actual} vs torch ${expected}`,
  );
}

/** The batch loss as the trainer computes it: per-sample distillation losses, averaged. */
function batchLoss(c: Case, s: ts.Tensor): ts.Tensor {
  const hard = ts.train.getLoss(c.hard).fn;
  const fn = ts.distill.distillationLoss(hard, {
    temperature: c.temperature,
    alpha: c.alpha,
    softTargets: c.softTargets,
  });
  return ts.train.reduceLoss(fn(s, tensorOf(c.y), tensorOf(c.teacher)), null);
}

describe('distillation loss vs PyTorch 1.13', () => {
  it('the fixture has softmax and sigmoid cases', () => {
    assert.ok(fixture.cases.length >= 8);
    assert.ok(fixture.cases.some((c) => c.softTargets === 'sigmoid' && c.student.shape.length === 1));
  });

  for (const c of fixture.cases) {
    it(`${c.name}: soft part, loss and gradient`, () => {
      ts.setBackend('ref');
      const soft = ts.distill
        .softTargetLoss(tensorOf(c.student), tensorOf(c.teacher), {
          temperature: c.temperature,
          softTargets: c.softTargets,
        })
        .mean()
        .item();
      close(soft, c.soft, 'soft');
      const s = tensorOf(c.student, true);
      const loss = batchLoss(c, s);
      close(loss.item(), c.loss, 'loss');
      loss.backward();
      const g = Array.from(s.grad!.dataSync());
      assert.deepEqual(s.grad!.shape, c.grad.shape);
      for (let i = 0; i < g.length; i++) close(g[i]!, c.grad.data[i]!, `grad[${i}]`, 1e-8, 1e-12);
    });
  }

  it('float32 on the default backend agrees with the float64 reference', () => {
    const c = fixture.cases.find((k) => k.name === 'softmax_T4_alpha0.9')!;
    const s = ts.tensor(c.student.data, { shape: c.student.shape, requiresGrad: true });
    const hard = ts.train.getLoss(c.hard).fn;
    const fn = ts.distill.distillationLoss(hard, { temperature: 4, alpha: 0.9, softTargets: 'softmax' });
    const t = ts.tensor(c.teacher.data, { shape: c.teacher.shape });
    const loss = ts.train.reduceLoss(fn(s, tensorOf(c.y), t), null);
    close(loss.item(), c.loss, 'float32 loss', 1e-5, 1e-6);
    loss.backward();
    const g = s.grad!.dataSync();
    for (let i = 0; i < g.length; i++) close(g[i]!, c.grad.data[i]!, `float32 grad[${i}]`, 1e-4, 1e-6);
  });
});

describe('distillation loss gradcheck (float64, central differences)', () => {
  for (const name of [
    'softmax_T2.5_alpha1',
    'sigmoid_multilabel_T3_alpha0.9',
    'sigmoid_one_logit_T2_alpha0.6',
  ]) {
    it(name, () => {
      ts.setBackend('ref');
      const c = fixture.cases.find((k) => k.name === name)!;
      const s = tensorOf(c.student, true);
      batchLoss(c, s).backward();
      const analytic = Array.from(s.grad!.dataSync());
      const base = c.student.data;
      const f = (v: number[]) =>
        batchLoss(c, ts.tensor(v, { shape: c.student.shape, dtype: 'float64' })).item();
      const h = 1e-6;
      for (let i = 0; i < base.length; i++) {
        const plus = [...base];
        const minus = [...base];
        plus[i]! += h;
        minus[i]! -= h;
        const numeric = (f(plus) - f(minus)) / (2 * h);
        assert.ok(
          Math.abs(numeric - analytic[i]!) <= 1e-7 + 1e-5 * Math.abs(numeric),
          `d loss / d s[${i}]: ${analytic[i]} vs ${numeric}`,
        );
      }
    });
  }

  it('the teacher gets no gradient', () => {
    const c = fixture.cases[0]!;
    const s = tensorOf(c.student, true);
    const t = tensorOf(c.teacher, true);
    const fn = ts.distill.distillationLoss(ts.train.getLoss('crossEntropy').fn, {
      temperature: 2,
      alpha: 0.5,
      softTargets: 'softmax',
    });
    fn(s, tensorOf(c.y), t).mean().backward();
    assert.equal(t.grad, null);
    assert.ok(s.grad !== null);
  });
});

describe('distillation loss errors', () => {
  const s = ts.randn([4, 10]);
  it('mismatched class counts name both', () => {
    assert.throws(
      () => ts.distill.softTargetLoss(s, ts.randn([4, 5]), { temperature: 2, softTargets: 'softmax' }),
      /\[distill\] the student outputs 10 class logits but the teacher 5/,
    );
  });
  it('mismatched batch sizes', () => {
    assert.throws(
      () => ts.distill.softTargetLoss(s, ts.randn([3, 10]), { temperature: 2, softTargets: 'softmax' }),
      /batch has 4 samples but the teacher's 3/,
    );
  });
  it('one logit cannot take softmax soft targets', () => {
    assert.throws(
      () =>
        ts.distill.softTargetLoss(ts.randn([4]), ts.randn([4]), { temperature: 2, softTargets: 'softmax' }),
      /use sigmoid/,
    );
  });
  it('bad temperature and alpha', () => {
    assert.throws(
      () => ts.distill.softTargetLoss(s, s, { temperature: 0, softTargets: 'softmax' }),
      /temperature must be a finite number > 0, got 0/,
    );
    assert.throws(
      () =>
        ts.distill.distillationLoss(ts.train.getLoss('crossEntropy').fn, {
          temperature: 1,
          alpha: 1.5,
          softTargets: 'softmax',
        }),
      /alpha must be in \[0, 1\], got 1.5/,
    );
  });
});
