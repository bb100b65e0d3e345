import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import {
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  type LRScheduler,
  MultiStepLR,
  type Optimizer,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  SequentialLR,
  SGD,
  StepLR,
  warmup,
} from '../../src/optim/index.ts';
import { readOptimFixture } from './golden-optim.ts';

interface Spec {
  type: string;
  options?: Record<string, number | number[] | string[] | string>;
  milestones?: number[];
  schedulers?: Spec[];
}
interface SchedCase {
  name: string;
  scheduler: Spec;
  metrics?: number[];
  lrs: number[][];
}
const fx = readOptimFixture<{ groupLrs: number[]; cases: SchedCase[] }>('schedulers.json');

// The same formulas as the Python lambdas in scripts/gen_golden_optim.py.
const LAMBDAS: Record<string, (e: number) => number> = {
  pow095: (e) => 0.95 ** e,
  inv: (e) => 1 / (e + 1),
  pow09: (e) => 0.9 ** e,
  warmup4: (e) => Math.min(1, (e + 1) / 4),
};

function makeOpt(): Optimizer {
  const p = () => ts.keep(ts.zeros([1])).requiresGrad_(true);
  return new SGD([{ params: [p()] }, { params: [p()], lr: fx.groupLrs[1]! }], { lr: fx.groupLrs[0]! });
}

function build(opt: Optimizer, s: Spec): LRScheduler | SequentialLR {
  const o = (s.options ?? {}) as never;
  switch (s.type) {
    case 'StepLR':
      return new StepLR(opt, o);
    case 'MultiStepLR':
      return new MultiStepLR(opt, o);
    case 'ExponentialLR':
      return new ExponentialLR(opt, o);
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(opt, o);
    case 'LinearLR':
      return new LinearLR(opt, o);
    case 'LambdaLR': {
      const fns = (s.options!.lambdas as string[]).map((n) => LAMBDAS[n]!);
      return new LambdaLR(opt, fns.length === 1 ? fns[0]! : fns);
    }
    case 'SequentialLR': {
      const subs = s.schedulers!.map((c) => build(opt, c) as LRScheduler);
      return new SequentialLR(opt, subs, s.milestones!);
    }
  }
  throw new Error(`unknown scheduler ${s.type}`);
}

// Python floats are doubles like JS numbers; only libm's last bit (cos, pow) may differ.
function assertLrs(got: number[], want: number[], what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((v, i) => {
    const w = want[i]!;
    assert.ok(Math.abs(v - w) <= 1e-12 * Math.abs(w) + 1e-15, `${what} group ${i}: ${v} != ${w}`);
  });
}

const lrsOf = (opt: Optimizer) => opt.paramGroups.map((g) => g.lr);

describe('LR schedules against torch.optim.lr_scheduler', () => {
  for (const c of fx.cases) {
    it(`${c.name} (${c.scheduler.type}): lr of both groups over ${c.lrs.length} steps`, () => {
      const opt = makeOpt();
      if (c.scheduler.type === 'ReduceLROnPlateau') {
        const sch = new ReduceLROnPlateau(opt, c.scheduler.options as ReduceLROnPlateauOptions);
        c.metrics!.forEach((m, k) => {
          opt.step();
          sch.step(m);
          assertLrs(lrsOf(opt), c.lrs[k]!, `step ${k + 1}`);
          assertLrs(sch.getLastLr(), c.lrs[k]!, `getLastLr at step ${k + 1}`);
        });
        return;
      }
      const sch = build(opt, c.scheduler);
      assertLrs(lrsOf(opt), c.lrs[0]!, 'after construction');
      for (let k = 1; k < c.lrs.length; k++) {
        opt.step();
        sch.step();
        assertLrs(lrsOf(opt), c.lrs[k]!, `step ${k}`);
        assertLrs(sch.getLastLr(), c.lrs[k]!, `getLastLr at step ${k}`);
      }
    });

    it(`${c.name}: stateDict mid-way restores into a fresh scheduler that continues identically`, () => {
      const opt = makeOpt();
      const isPlateau = c.scheduler.type === 'ReduceLROnPlateau';
      const sch = isPlateau
        ? new ReduceLROnPlateau(opt, c.scheduler.options as ReduceLROnPlateauOptions)
        : build(opt, c.scheduler);
      const half = 7;
      for (let k = 0; k < half; k++) {
        if (sch instanceof ReduceLROnPlateau) sch.step(c.metrics![k]!);
        else sch.step();
      }
      const saved = JSON.parse(JSON.stringify({ sch: sch.stateDict(), lrs: lrsOf(opt) })) as {
        sch: ReturnType<typeof sch.stateDict>;
        lrs: number[];
      };
      // A resumed run: a fresh optimizer and scheduler, then the saved lrs and scheduler state.
      const opt2 = makeOpt();
      const sch2 = isPlateau
        ? new ReduceLROnPlateau(opt2, c.scheduler.options as ReduceLROnPlateauOptions)
        : build(opt2, c.scheduler);
      opt2.paramGroups.forEach((g, i) => {
        g.lr = saved.lrs[i]!;
      });
      sch2.loadStateDict(saved.sch);
      const total = isPlateau ? c.metrics!.length : c.lrs.length - 1;
      for (let k = half; k < total; k++) {
        if (sch2 instanceof ReduceLROnPlateau) sch2.step(c.metrics![k]!);
        else sch2.step();
        assertLrs(lrsOf(opt2), c.lrs[isPlateau ? k : k + 1]!, `resumed step ${k + 1}`);
      }
    });
  }
});

describe('schedule helpers and errors', () => {
  it('warmup() ramps linearly to the base lr, then hands over to the next schedule', () => {
    const opt = makeOpt();
    const sch = warmup(opt, {
      warmupSteps: 4,
      startFactor: 0.2,
      after: (o) => new ExponentialLR(o, { gamma: 0.5 }),
    });
    const seen = [lrsOf(opt)[0]!];
    for (let k = 0; k < 6; k++) {
      sch.step();
      seen.push(lrsOf(opt)[0]!);
    }
    const want = [0.02, 0.04, 0.06, 0.08, 0.1, 0.05, 0.025];
    assertLrs(seen, want, 'warmup');
  });

  it('validates its options', () => {
    const opt = makeOpt();
    assert.throws(
      () => new StepLR(opt, { stepSize: 0 }),
      /\[StepLR\] stepSize must be a positive integer, got 0/,
    );
    assert.throws(
      () => new ReduceLROnPlateau(opt, { factor: 2 }),
      /\[ReduceLROnPlateau\] factor must be < 1, got 2/,
    );
    assert.throws(
      () => new LambdaLR(opt, [(e) => e]),
      /\[LambdaLR\] expected 2 lr lambdas \(one per group\), got 1/,
    );
    const a = new StepLR(opt, { stepSize: 2 });
    assert.throws(
      () => new SequentialLR(opt, [a], [3]),
      /\[SequentialLR\] expected 0 milestones for 1 schedulers, got 1/,
    );
    assert.throws(() => new SequentialLR(makeOpt(), [a], []), /scheduler 0 belongs to a different optimizer/);
  });
});
