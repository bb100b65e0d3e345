/**
 * DP-SGD's step (Abadi et al. 2016, Algorithm 1) around any optimizer: per-sample gradients are clipped to
 * L2 norm C over all parameters together, summed, Gaussian noise of standard deviation sigma*C is added,
 * and the sum is divided by the expected batch size; the wrapped optimizer then updates from that gradient.
 * Every step is recorded by the accountant.
 */
import { noGrad } from '../autograd/node.ts';
import { check, fail } from '../core/errors.ts';
import type { Generator } from '../core/rng.ts';
import type { Parameter } from '../nn/parameter.ts';
import { Optimizer, type OptimizerStateDict } from '../optim/optimizer.ts';
import { tensor } from '../tensor/creation.ts';
import { keep } from '../tensor/lifecycle.ts';
import { scope } from '../tensor/scope.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { RDPAccountant } from './accountant.ts';
import type { GradSampler } from './grad-sample.ts';
import { fillGaussian } from './noise.ts';

export interface DPOptimizerOptions {
  noiseMultiplier: number;
  maxGradNorm: number;
  /** The mean batch size, sampleRate * dataset size: the divisor of the noisy sum (Opacus' expected_batch_size). */
  expectedBatchSize: number;
  sampleRate: number;
  accountant: RDPAccountant;
  generator: Generator | 'secure';
}

export class DPOptimizer extends Optimizer {
  readonly noiseMultiplier: number;
  readonly maxGradNorm: number;
  readonly expectedBatchSize: number;
  readonly sampleRate: number;
  readonly accountant: RDPAccountant;
  private readonly generator: Generator | 'secure';

  constructor(
    readonly inner: Optimizer,
    readonly sampler: GradSampler,
    opts: DPOptimizerOptions,
  ) {
    super(inner.params(), { ...inner.defaults });
    // Share the wrapped optimizer's groups, so lr schedulers and `lr` act on the optimizer that updates.
    this.paramGroups.length = 0;
    this.paramGroups.push(...inner.paramGroups);
    this.noiseMultiplier = opts.noiseMultiplier;
    this.maxGradNorm = opts.maxGradNorm;
    this.expectedBatchSize = opts.expectedBatchSize;
    this.sampleRate = opts.sampleRate;
    this.accountant = opts.accountant;
    this.generator = opts.generator;
    check(this.maxGradNorm > 0, 'DPOptimizer', () => `maxGradNorm must be > 0, got ${this.maxGradNorm}`);
    check(
      this.noiseMultiplier >= 0,
      'DPOptimizer',
      () => `noiseMultiplier must be >= 0, got ${this.noiseMultiplier}`,
    );
  }

  /** The wrapped optimizer's name (checkpoints compare it); the base constructor asks before `inner` is set. */
  get name(): string {
    return (this.inner as Optimizer | undefined)?.name ?? 'DPOptimizer';
  }

  // step() is overridden below, so the per-parameter hooks of the base class are never reached.
  protected initState(): never {
    return fail('DPOptimizer', "initState is the wrapped optimizer's");
  }
  protected update(): never {
    return fail('DPOptimizer', "update is the wrapped optimizer's");
  }

  /**
   * Per-sample gradients scaled to norm <= maxGradNorm: sample b's gradients over all parameters are
   * multiplied by min(1, C / (||g_b|| + 1e-6)). Returns the clipped per-sample gradients.
   */
  clipPerSample(perSample: Map<Parameter, Tensor>, batch: number): Map<Parameter, Tensor> {
    return noGrad(() => {
      let sq: Tensor | null = null;
      for (const gs of perSample.values()) {
        const s = gs.reshape([batch, -1]).square().sum(1);
        sq = sq === null ? s : sq.add(s);
      }
      const out = new Map<Parameter, Tensor>();
      if (sq === null) return out;
      const factor = sq.sqrt().add(1e-6).reciprocal().mul(this.maxGradNorm).clamp(null, 1);
      for (const [p, gs] of perSample) out.set(p, gs.mul(factor.reshape([batch, ...p.shape.map(() => 1)])));
      return out;
    });
  }

  /** The noisy mean gradient of every trainable parameter, set as its `.grad`; `clippedSum` may be empty. */
  private setNoisyGrads(clippedSum: Map<Parameter, Tensor>): void {
    noGrad(() => {
      for (const p of this.params()) {
        if (!p.requiresGrad) continue;
        const c = clippedSum.get(p as Parameter);
        const noise = new (p.dtype === 'float64' ? Float64Array : Float32Array)(p.size);
        fillGaussian(noise, this.noiseMultiplier * this.maxGradNorm, this.generator);
        let g = tensor(noise, { shape: p.shape, dtype: p.dtype });
        if (c !== undefined) g = g.add(c);
        const mean = keep(g.div(this.expectedBatchSize).contiguous());
        p.grad?.dispose();
        p.grad = mean;
      }
    });
  }

  /** One DP-SGD step from the last forward/backward's per-sample gradients. */
  override step(closure?: () => number): number | undefined {
    const loss = closure?.();
    scope(() => {
      const { sum } = this.sampler.clippedSum(this.maxGradNorm);
      for (const p of this.params())
        if (p.requiresGrad && p.grad !== null && !sum.has(p as Parameter))
          fail(
            'DPOptimizer.step',
            `a parameter of shape [${p.shape}] has a gradient but no per-sample gradient (was its layer called outside the hooked model?)`,
          );
      this.setNoisyGrads(sum);
    });
    this.sampler.clear();
    this.finishStep();
    return loss;
  }

  /**
   * The step of an empty Poisson batch: the update is noise only. Skipping it would reveal that the batch
   * was empty, which depends on who is in the data set, so it is taken and counted like any other.
   */
  noiseOnlyStep(): void {
    scope(() => this.setNoisyGrads(new Map()));
    this.sampler.clear();
    this.finishStep();
  }

  private finishStep(): void {
    this.inner.step();
    this.stepCount++;
    this.accountant.step(this.noiseMultiplier, this.sampleRate);
  }

  /** Clears the parameters' gradients; not the sampler's captures (the trainer zeroes between forward and backward). */
  override zeroGrad(setToNone = true): void {
    this.inner.zeroGrad(setToNone);
  }

  override stateDict(): OptimizerStateDict {
    return this.inner.stateDict();
  }

  override loadStateDict(sd: OptimizerStateDict): void {
    this.inner.loadStateDict(sd);
  }

  override resetState(): void {
    this.inner.resetState();
  }
}
