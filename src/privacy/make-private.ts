/**
 * `makePrivate(model, optimizer, loader, options)`: DP-SGD in Opacus' habits. The model gets per-sample
 * gradient hooks, the optimizer becomes a DPOptimizer (clip, noise, account), the loader becomes a Poisson
 * loader; train with them as usual (a hand-written loop or `ts.train` fit).
 */
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { Generator } from '../core/rng.ts';
import type { DataLoader } from '../data/dataloader.ts';
import type { Dataset } from '../data/dataset.ts';
import type { AnyModule, Module } from '../nn/module.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { type AccountantOptions, getNoiseMultiplier, RDPAccountant } from './accountant.ts';
import { DPOptimizer } from './dp-optimizer.ts';
import { GradSampler } from './grad-sample.ts';
import { secureUniform } from './noise.ts';
import { PoissonLoader } from './poisson-loader.ts';

export interface MakePrivateOptions {
  /** The L2 norm C every sample's gradient is clipped to. */
  maxGradNorm: number;
  /** sigma: noise standard deviation over C. Without it, it is chosen for targetEpsilon over `epochs`. */
  noiseMultiplier?: number;
  /** With noiseMultiplier: training stops before this epsilon is passed. Without: sigma is chosen for it. */
  targetEpsilon?: number;
  /** The delta of the reported (epsilon, delta); default 1e-5, which must be below 1 / dataset size. */
  delta?: number;
  /** Epochs planned, to choose sigma for targetEpsilon. */
  epochs?: number;
  /** How the loss reduces over the batch ('mean', the default, as every ts.train loss). */
  lossReduction?: 'mean' | 'sum';
  /** Seed of the Poisson sampling and the noise (ignored in secureMode). */
  seed?: number;
  /** Sampling and noise from node:crypto instead of the seeded generator (not reproducible, not predictable). */
  secureMode?: boolean;
  accountant?: AccountantOptions;
}
const KEYS = optionKeys<MakePrivateOptions>({
  maxGradNorm: true,
  noiseMultiplier: true,
  targetEpsilon: true,
  delta: true,
  epochs: true,
  lossReduction: true,
  seed: true,
  secureMode: true,
  accountant: true,
});

export interface PrivateTraining<M, T, B> {
  /** The same model, with per-sample gradient hooks on its layers. */
  model: M;
  optimizer: DPOptimizer;
  loader: PoissonLoader<T, B>;
  accountant: RDPAccountant;
  noiseMultiplier: number;
  maxGradNorm: number;
  delta: number;
  sampleRate: number;
  targetEpsilon: number | undefined;
  /** Epsilon spent so far at `delta`. */
  getEpsilon(): number;
  /** True once the next step would pass targetEpsilon (the loader then yields nothing more). */
  readonly budgetSpent: boolean;
  /** Removes the hooks (the model trains normally again). */
  detach(): void;
}

export function makePrivate<M extends Module<never, unknown>, T, B>(
  model: M,
  optimizer: Optimizer,
  loader: DataLoader<T, B>,
  opts: MakePrivateOptions,
): PrivateTraining<M, T, B> {
  const op = 'privacy.makePrivate';
  checkOptionKeys(op, opts, KEYS);
  check(
    typeof opts.maxGradNorm === 'number' && opts.maxGradNorm > 0,
    op,
    () => `maxGradNorm must be a number > 0, got ${String(opts.maxGradNorm)}`,
  );
  const ds = loader.dataset as Dataset<T>;
  if (typeof ds.get !== 'function' || typeof ds.length !== 'number')
    fail(op, 'the loader needs a map-style dataset (length and get(i)) for Poisson sampling');
  const n = ds.length;
  const sampleRate = loader.batchSize / n;
  check(sampleRate <= 1, op, () => `batch size ${loader.batchSize} is larger than the dataset (${n})`);
  const delta = opts.delta ?? 1e-5;
  check(delta > 0 && delta < 1 / n, op, () => `delta must be in (0, 1/${n}) for ${n} samples, got ${delta}`);
  const accountant = new RDPAccountant(opts.accountant);
  let sigma = opts.noiseMultiplier;
  if (sigma === undefined) {
    if (opts.targetEpsilon === undefined)
      fail(op, 'give noiseMultiplier, or targetEpsilon with epochs (to choose the noise multiplier)');
    if (opts.epochs === undefined)
      fail(op, 'targetEpsilon without noiseMultiplier needs epochs, to choose the noise multiplier');
    sigma = getNoiseMultiplier({
      targetEpsilon: opts.targetEpsilon,
      targetDelta: delta,
      sampleRate,
      steps: opts.epochs * Math.max(1, Math.round(1 / sampleRate)),
      orders: accountant.orders,
      conversion: accountant.conversion,
    });
  }
  check(sigma >= 0, op, () => `noiseMultiplier must be >= 0, got ${sigma}`);
  check(
    opts.targetEpsilon === undefined || opts.targetEpsilon > 0,
    op,
    () => `targetEpsilon must be > 0, got ${opts.targetEpsilon}`,
  );
  const sampler = new GradSampler(model as unknown as AnyModule, opts.lossReduction ?? 'mean');
  const secure = opts.secureMode ?? false;
  const seed = opts.seed ?? 0;
  const dp = new DPOptimizer(optimizer, sampler, {
    noiseMultiplier: sigma,
    maxGradNorm: opts.maxGradNorm,
    expectedBatchSize: loader.batchSize,
    sampleRate,
    accountant,
    generator: secure ? 'secure' : new Generator(seed + 1),
  });
  const target = opts.targetEpsilon;
  const noise = sigma;
  const wouldPass = () =>
    target !== undefined &&
    accountant.epsilonAfter(delta, { noiseMultiplier: noise, sampleRate, steps: 1 }) > target;
  const poisson = new PoissonLoader<T, B>(ds, {
    sampleRate,
    collate: loader.collate,
    generator: secure ? secureUniform() : new Generator(seed),
    onEmptyBatch: () => dp.noiseOnlyStep(),
    shouldStop: wouldPass,
  });
  return {
    model,
    optimizer: dp,
    loader: poisson,
    accountant,
    noiseMultiplier: sigma,
    maxGradNorm: opts.maxGradNorm,
    delta,
    sampleRate,
    targetEpsilon: target,
    getEpsilon: () => accountant.getEpsilon(delta),
    get budgetSpent() {
      return wouldPass();
    },
    detach: () => sampler.remove(),
  };
}
