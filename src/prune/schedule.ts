/**
 * Sparsity schedules for gradual pruning during training, counted in optimizer steps (TF Model Optimization's
 * PolynomialDecay and ConstantSparsity). A schedule says at which steps the masks are recomputed and to what
 * sparsity; the Pruner does the pruning.
 */
import { check, fail } from '../core/errors.ts';
import { checkOptions, defaultsOf, type OptionSpecs } from '../core/options.ts';

export interface SparsitySchedule {
  /** Whether the masks are recomputed before optimizer step `step` (0-based: the number of steps done). */
  isPruningStep(step: number): boolean;
  /** The target sparsity at `step` (meaningful where isPruningStep is true). */
  sparsityAt(step: number): number;
}

export interface PolynomialDecayOptions {
  /** s_i, the sparsity of the first pruning step (default 0). */
  initialSparsity?: number;
  /** s_f, the sparsity reached at endStep. */
  finalSparsity: number;
  /** t0, the first pruning step (default 0). */
  beginStep?: number;
  /** t0 + n*dt, the last pruning step, where the sparsity reaches s_f. */
  endStep: number;
  /** dt, steps between two pruning steps (default 100). */
  frequency?: number;
  /** The exponent (default 3, Zhu & Gupta's). */
  power?: number;
}

const SPARSITY = { type: 'number', min: 0, lt: 1 } as const;

/**
 * Zhu & Gupta (2017), "To prune, or not to prune": s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n dt))^3 for
 * t = t0, t0 + dt, ..., t0 + n dt, with n dt = endStep - beginStep. endStep is a pruning step even when
 * endStep - beginStep is not a multiple of dt, so s_f is always reached; after endStep the masks stay fixed.
 */
export class PolynomialDecay implements SparsitySchedule {
  static readonly options: OptionSpecs = {
    initialSparsity: { ...SPARSITY, default: 0 },
    finalSparsity: { ...SPARSITY, required: true },
    beginStep: { type: 'number', int: true, min: 0, default: 0 },
    endStep: { type: 'number', int: true, min: 0, required: true },
    frequency: { type: 'number', int: true, gt: 0, default: 100 },
    power: { type: 'number', gt: 0, default: 3 },
  };
  readonly initialSparsity: number;
  readonly finalSparsity: number;
  readonly beginStep: number;
  readonly endStep: number;
  readonly frequency: number;
  readonly power: number;

  constructor(opts: PolynomialDecayOptions) {
    checkOptions('PolynomialDecay', opts, PolynomialDecay.options);
    const o = { ...defaultsOf<Required<PolynomialDecayOptions>>(PolynomialDecay.options), ...opts };
    check(
      o.endStep > o.beginStep,
      'PolynomialDecay',
      () => `endStep (${o.endStep}) must be after beginStep (${o.beginStep})`,
    );
    this.initialSparsity = o.initialSparsity;
    this.finalSparsity = o.finalSparsity;
    this.beginStep = o.beginStep;
    this.endStep = o.endStep;
    this.frequency = o.frequency;
    this.power = o.power;
  }

  isPruningStep(step: number): boolean {
    if (step < this.beginStep || step > this.endStep) return false;
    return step === this.endStep || (step - this.beginStep) % this.frequency === 0;
  }

  sparsityAt(step: number): number {
    const t = Math.min(Math.max(step, this.beginStep), this.endStep);
    const frac = (t - this.beginStep) / (this.endStep - this.beginStep);
    return this.finalSparsity + (this.initialSparsity - this.finalSparsity) * (1 - frac) ** this.power;
  }
}

export interface ConstantSparsityOptions {
  sparsity: number;
  /** The step at which the model is pruned to `sparsity` (default 0). */
  beginStep?: number;
}

/** One-shot pruning to a fixed sparsity at beginStep, the masks then kept for the rest of training. */
export class ConstantSparsity implements SparsitySchedule {
  static readonly options: OptionSpecs = {
    sparsity: { ...SPARSITY, required: true },
    beginStep: { type: 'number', int: true, min: 0, default: 0 },
  };
  readonly sparsity: number;
  readonly beginStep: number;

  constructor(opts: ConstantSparsityOptions) {
    checkOptions('ConstantSparsity', opts, ConstantSparsity.options);
    this.sparsity = opts.sparsity;
    this.beginStep = opts.beginStep ?? 0;
  }

  isPruningStep(step: number): boolean {
    return step === this.beginStep;
  }

  sparsityAt(_step: number): number {
    return this.sparsity;
  }
}

/** Checks that a value is a schedule (an object with isPruningStep and sparsityAt). */
export function checkSchedule(op: string, s: unknown): asserts s is SparsitySchedule {
  if (
    s === null ||
    typeof s !== 'object' ||
    typeof (s as SparsitySchedule).isPruningStep !== 'function' ||
    typeof (s as SparsitySchedule).sparsityAt !== 'function'
  )
    fail(
      op,
      'schedule must be a PolynomialDecay, a ConstantSparsity or an object with isPruningStep/sparsityAt',
    );
}
