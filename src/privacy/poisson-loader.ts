/**
 * Poisson sampling for DP-SGD: every step includes each sample independently with probability q, so batch
 * sizes vary (the sampling the RDP analysis of the subsampled Gaussian assumes; a shuffled fixed-size batch
 * does not have that guarantee). One epoch is round(1/q) steps.
 */
import { check } from '../core/errors.ts';
import type { Collate } from '../data/dataloader.ts';
import type { Dataset } from '../data/dataset.ts';

export interface PoissonLoaderOptions<T, B> {
  sampleRate: number;
  collate: Collate<T, B>;
  /** Uniform [0, 1) draws: a seeded Generator, or secureUniform() in secure mode. */
  generator: { uniform(): number };
  /** Called instead of yielding when a step's sample is empty (the optimizer takes a noise-only step). */
  onEmptyBatch?: () => void;
  /** Asked before each step; true ends the epoch (the privacy budget is spent). */
  shouldStop?: () => boolean;
}

export class PoissonLoader<T, B> implements AsyncIterable<B> {
  readonly sampleRate: number;
  /** Steps per epoch (read by the trainer's progress bar as `length`). */
  readonly length: number;

  constructor(
    readonly dataset: Dataset<T>,
    private readonly opts: PoissonLoaderOptions<T, B>,
  ) {
    this.sampleRate = opts.sampleRate;
    check(
      this.sampleRate > 0 && this.sampleRate <= 1,
      'privacy.PoissonLoader',
      () => `sampleRate must be in (0, 1], got ${this.sampleRate}`,
    );
    this.length = Math.max(1, Math.round(1 / this.sampleRate));
  }

  /** The indices of one step: each of 0..n-1 with probability q. */
  sampleIndices(): number[] {
    const out: number[] = [];
    const q = this.sampleRate;
    const g = this.opts.generator;
    for (let i = 0; i < this.dataset.length; i++) if (g.uniform() < q) out.push(i);
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<B> {
    for (let s = 0; s < this.length; s++) {
      if (this.opts.shouldStop?.() === true) return;
      const idx = this.sampleIndices();
      if (idx.length === 0) {
        this.opts.onEmptyBatch?.();
        continue;
      }
      const samples = await Promise.all(idx.map((i) => this.dataset.get(i)));
      yield this.opts.collate(samples);
    }
  }
}
