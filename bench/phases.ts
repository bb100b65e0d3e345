/**
 * Where the seed MLP training step's time goes, per phase: GEMM (matmul kernels), element-wise (every
 * other kernel run outside the optimizer: activations, their gradients, the loss, reductions, copies),
 * optimizer (the whole of `opt.step()`, its JavaScript included) and framework overhead (the rest of the
 * step: autograd bookkeeping, tensor creation, scopes, the loss read back). Kernel time is measured by
 * wrapping every registered kernel of the backend and its fallback in a timer (through the kernel
 * registry, so nothing in src/ knows it is being measured); the wrappers add two performance.now() calls
 * per kernel (~0.1 us), a few microseconds per step.
 *
 *   node --import tsx bench/phases.ts [--steps 300] [--quick]   (TENSORSCRIPT_THREADS: the thread count)
 */

import * as ts from '../src/index.ts';
import { getKernel, kernelNames, registerKernel, unregisterKernel } from '../src/kernels/kernel-registry.ts';
import type { KernelName } from '../src/kernels/signatures.ts';
import type * as nn from '../src/nn/index.ts';
import { SGD } from '../src/optim/index.ts';
import { type EngineContext, engineContext } from './engine.ts';
import { PHASES, type Phase } from './phases-report.ts';
import { argValue, type Figure, median, printJsonLines } from './stats.ts';
import { Batches, buildMlp, trainStep } from './workloads.ts';

const GEMM_KERNELS = new Set<string>(['matmul', 'matmulBias']);

/** Accumulated ms per kernel class while installed; `inOptimizer` routes kernel time to the optimizer. */
class KernelClock {
  gemm = 0;
  elementwise = 0;
  inOptimizer = false;
  private readonly restore: (() => void)[] = [];

  install(backends: readonly string[]): void {
    for (const be of backends) {
      for (const name of kernelNames(be) as KernelName[]) {
        const fn = getKernel(name, be)!;
        const gemm = GEMM_KERNELS.has(name);
        unregisterKernel(name, be);
        registerKernel({
          name,
          backend: be,
          fn: (args) => {
            if (this.inOptimizer) return fn(args);
            const t0 = performance.now();
            const r = fn(args);
            const dt = performance.now() - t0;
            if (gemm) this.gemm += dt;
            else this.elementwise += dt;
            return r;
          },
        });
        this.restore.push(() => {
          unregisterKernel(name, be);
          registerKernel({ name, backend: be, fn });
        });
      }
    }
  }

  uninstall(): void {
    for (const r of this.restore.splice(0)) r();
  }
}

export interface PhaseBreakdown {
  /** Median ms per step over the timed steps. */
  stepMs: number;
  /** Mean ms per step in each phase (they add up to the mean step time). */
  phases: Record<Phase, number>;
  steps: number;
}

/** Times `steps` MLP training steps (after warm-up) with the phases apart; the step is trainStep's. */
export async function mlpPhases(steps: number, warmup = 20): Promise<PhaseBreakdown> {
  const batches = await Batches.load(100, [784]);
  const model: nn.Sequential = buildMlp();
  const inner = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const clock = new KernelClock();
  let optMs = 0;
  const opt = {
    zeroGrad: () => inner.zeroGrad(),
    step: () => {
      clock.inOptimizer = true;
      const t0 = performance.now();
      inner.step();
      optMs += performance.now() - t0;
      clock.inOptimizer = false;
    },
  };
  const step = trainStep(model, opt, batches);
  const be = ts.getBackend();
  clock.install(be.fallback === undefined ? [be.name] : [be.name, be.fallback]);
  try {
    for (let i = 0; i < warmup; i++) step();
    clock.gemm = 0;
    clock.elementwise = 0;
    optMs = 0;
    const times: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const s = performance.now();
      step();
      times.push(performance.now() - s);
    }
    const total = performance.now() - t0;
    const per = (v: number) => v / steps;
    return {
      stepMs: median(times),
      steps,
      phases: {
        gemm: per(clock.gemm),
        elementwise: per(clock.elementwise),
        optimizer: per(optMs),
        overhead: per(total - clock.gemm - clock.elementwise - optMs),
      },
    };
  } finally {
    clock.uninstall();
  }
}

export function phaseFigures(r: PhaseBreakdown, ctx: EngineContext): Figure[] {
  const mean = PHASES.reduce((s, p) => s + r.phases[p], 0);
  return [
    { name: 'mlp.step', value: r.stepMs, unit: 'ms', ...ctx, batch: 100, steps: r.steps },
    ...PHASES.map((p) => ({
      name: `mlp.step.${p}`,
      value: r.phases[p],
      unit: 'ms',
      ...ctx,
      share: Math.round((1000 * r.phases[p]) / mean) / 10,
    })),
  ];
}

if (process.argv[1]?.endsWith('phases.ts')) {
  const ctx = await engineContext();
  const quick = process.argv.includes('--quick');
  const steps = Number(argValue(process.argv, '--steps', quick ? '40' : '300'));
  printJsonLines(phaseFigures(await mlpPhases(steps, quick ? 5 : 20), ctx));
  // The worker pool keeps the event loop alive; the figures are written (pipes are synchronous).
  process.exit(0);
}
