import { check, fail } from '../core/errors.ts';
import { checkOptionKeys, type OptionSpecs } from '../core/options.ts';
import type { Optimizer } from './optimizer.ts';

/** The saved state of a scheduler (JSON-serialisable). */
export type SchedulerState = { [k: string]: number | number[] | null | SchedulerState[] | string };

/** What the trainer and callbacks need from any schedule. */
export interface Scheduler {
  step(): void;
  getLastLr(): number[];
  stateDict(): SchedulerState;
  loadStateDict(state: SchedulerState): void;
}

/**
 * The base of the epoch-indexed schedules, with PyTorch 1.13 semantics (`torch.optim.lr_scheduler._LRScheduler`):
 * constructing one performs the initial step (lastEpoch -1 -> 0) and records each group's `initialLr`;
 * call `scheduler.step()` after `optimizer.step()`. `getLr` is torch's chainable form (it reads the current lr),
 * `closedFormLr` the closed form used when a step is given an explicit epoch (as SequentialLR does).
 *
 * Subclasses set their fields and then call `this.initialStep()` at the end of their constructor (a base
 * constructor cannot call an overridden method that reads subclass fields before they exist).
 */
export abstract class LRScheduler implements Scheduler {
  readonly optimizer: Optimizer;
  baseLrs: number[];
  lastEpoch: number;
  /** torch's `_step_count`: steps taken including the initial one. */
  stepCount = 0;
  private lastLr: number[] = [];

  constructor(optimizer: Optimizer, lastEpoch = -1) {
    this.optimizer = optimizer;
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        check(
          g.initialLr !== undefined,
          this.constructor.name,
          () =>
            `paramGroups[${i}] has no initialLr; a scheduler resumed with lastEpoch must see the groups it set up`,
        );
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** The chainable rule: the new lr of every group, computed at `this.lastEpoch`. */
  protected abstract getLr(): number[];
  /** The closed form at `this.lastEpoch`, where the schedule has one. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** torch's `_initial_step`. */
  initialStep(): void {
    this.optimizer.stepCount = 0;
    this.stepCount = 0;
    this.step();
  }

  /** Advances one epoch (or jumps to `epoch`, using the closed form where there is one) and sets each group's lr. */
  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SchedulerState {
    return {
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLr],
    };
  }

  loadStateDict(s: SchedulerState): void {
    this.lastEpoch = s.lastEpoch as number;
    this.stepCount = s.stepCount as number;
    this.baseLrs = [...(s.baseLrs as number[])];
    this.lastLr = [...(s.lastLr as number[])];
  }
}

/** Multiplies the lr by gamma every `stepSize` epochs. */
export class StepLR extends LRScheduler {
  static readonly options: OptionSpecs = {
    stepSize: { type: 'number', int: true, gt: 0, required: true },
    gamma: { type: 'number', gt: 0, default: 0.1 },
    lastEpoch: { type: 'number', int: true, min: -1, default: -1 },
  };
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: Optimizer, opts: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    checkOptionKeys('StepLR', opts, Object.keys(StepLR.options));
    super(optimizer, opts.lastEpoch);
    check(
      Number.isInteger(opts.stepSize) && opts.stepSize > 0,
      'StepLR',
      () => `stepSize must be a positive integer, got ${opts.stepSize}`,
    );
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Multiplies the lr by gamma at each milestone (a milestone listed twice multiplies twice). */
export class MultiStepLR extends LRScheduler {
  static readonly options: OptionSpecs = {
    milestones: { type: 'numbers', int: true, min: 1, minLength: 1, required: true },
    gamma: { type: 'number', gt: 0, default: 0.1 },
    lastEpoch: { type: 'number', int: true, min: -1, default: -1 },
  };
  readonly milestones: Map<number, number>;
  readonly gamma: number;
  constructor(
    optimizer: Optimizer,
    opts: { milestones: readonly number[]; gamma?: number; lastEpoch?: number },
  ) {
    checkOptionKeys('MultiStepLR', opts, Object.keys(MultiStepLR.options));
    super(optimizer, opts.lastEpoch);
    this.milestones = new Map();
    for (const m of opts.milestones) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }
  protected getLr(): number[] {
    const n = this.milestones.get(this.lastEpoch);
    if (n === undefined) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma ** n);
  }
  protected override closedFormLr(): number[] {
    let passed = 0;
    for (const [m, n] of this.milestones) if (m <= this.lastEpoch) passed += n;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

/** Multiplies the lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  static readonly options: OptionSpecs = {
    gamma: { type: 'number', gt: 0, required: true },
    lastEpoch: { type: 'number', int: true, min: -1, default: -1 },
  };
  readonly gamma: number;
  constructor(optimizer: Optimizer, opts: { gamma: number; lastEpoch?: number }) {
    checkOptionKeys('ExponentialLR', opts, Object.keys(ExponentialLR.options));
    super(optimizer, opts.lastEpoch);
    this.gamma = opts.gamma;
    this.initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/** Cosine annealing from the base lr to etaMin over tMax epochs, then back up (SGDR without restarts), as torch. */
export class CosineAnnealingLR extends LRScheduler {
  static readonly options: OptionSpecs = {
    tMax: { type: 'number', int: true, gt: 0, required: true, doc: 'epochs of one half cosine' },
    etaMin: { type: 'number', min: 0, default: 0 },
    lastEpoch: { type: 'number', int: true, min: -1, default: -1 },
  };
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: Optimizer, opts: { tMax: number; etaMin?: number; lastEpoch?: number }) {
    checkOptionKeys('CosineAnnealingLR', opts, Object.keys(CosineAnnealingLR.options));
    super(optimizer, opts.lastEpoch);
    check(opts.tMax > 0, 'CosineAnnealingLR', () => `tMax must be > 0, got ${opts.tMax}`);
    this.tMax = opts.tMax;
    this.etaMin = opts.etaMin ?? 0;
    this.initialStep();
  }
  protected getLr(): number[] {
    const { tMax, etaMin, lastEpoch: e } = this;
    if (e === 0) return this.currentLrs();
    if (this.stepCount === 1 && e > 0)
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / tMax))) / 2);
    if ((e - 1 - tMax) % (2 * tMax) === 0)
      return this.currentLrs().map(
        (lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2,
      );
    return this.currentLrs().map(
      (lr) =>
        ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (lr - etaMin) +
        etaMin,
    );
  }
  protected override closedFormLr(): number[] {
    const { tMax, etaMin, lastEpoch: e } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * e) / tMax))) / 2);
  }
}

/** Scales the lr linearly from startFactor to endFactor over totalIters epochs (linear warmup or decay). */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(
    optimizer: Optimizer,
    opts: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    checkOptionKeys('LinearLR', opts, ['startFactor', 'endFactor', 'totalIters', 'lastEpoch']);
    super(optimizer, opts.lastEpoch);
    this.startFactor = opts.startFactor ?? 1 / 3;
    this.endFactor = opts.endFactor ?? 1;
    this.totalIters = opts.totalIters ?? 5;
    check(
      this.startFactor > 0 && this.startFactor <= 1,
      'LinearLR',
      () => `startFactor must be in (0, 1], got ${this.startFactor}`,
    );
    check(
      this.endFactor >= 0 && this.endFactor <= 1,
      'LinearLR',
      () => `endFactor must be in [0, 1], got ${this.endFactor}`,
    );
    this.initialStep();
  }
  protected getLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    if (e === 0) return this.currentLrs().map((lr) => lr * s);
    if (e > n) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }
  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    return this.baseLrs.map((b) => b * (s + ((f - s) * Math.min(n, e)) / n));
  }
}

/** lr = baseLr * lambda(epoch), one function for all groups or one per group. */
export class LambdaLR extends LRScheduler {
  readonly lambdas: ((epoch: number) => number)[];
  constructor(
    optimizer: Optimizer,
    lrLambda: ((epoch: number) => number) | readonly ((epoch: number) => number)[],
    opts: { lastEpoch?: number } = {},
  ) {
    super(optimizer, opts.lastEpoch);
    const n = optimizer.paramGroups.length;
    if (typeof lrLambda === 'function') this.lambdas = Array.from({ length: n }, () => lrLambda);
    else {
      check(
        lrLambda.length === n,
        'LambdaLR',
        () => `expected ${n} lr lambdas (one per group), got ${lrLambda.length}`,
      );
      this.lambdas = [...lrLambda];
    }
    this.initialStep();
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lambdas[i]!(this.lastEpoch));
  }
}

/**
 * Runs schedulers one after another, switching at the milestones (torch.optim.lr_scheduler.SequentialLR);
 * e.g. a LinearLR warmup for 5 epochs then CosineAnnealingLR: `new SequentialLR(opt, [warm, cos], [5])`.
 * As in torch, the schedulers must be built on the same optimizer just before this.
 */
export class SequentialLR implements Scheduler {
  readonly optimizer: Optimizer;
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];
  lastEpoch: number;
  private lastLr: number[];

  constructor(
    optimizer: Optimizer,
    schedulers: readonly LRScheduler[],
    milestones: readonly number[],
    lastEpoch = -1,
  ) {
    check(schedulers.length > 0, 'SequentialLR', () => 'needs at least one scheduler');
    schedulers.forEach((s, i) => {
      check(
        s.optimizer === optimizer,
        'SequentialLR',
        () => `scheduler ${i} belongs to a different optimizer than the one given`,
      );
    });
    check(
      milestones.length === schedulers.length - 1,
      'SequentialLR',
      () =>
        `expected ${schedulers.length - 1} milestones for ${schedulers.length} schedulers, got ${milestones.length}`,
    );
    this.optimizer = optimizer;
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    // As torch: undo what the schedulers' constructors did, then take the first one's initial step.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]!.initialStep();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  step(): void {
    this.lastEpoch++;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx]! <= this.lastEpoch) idx++;
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerState {
    return {
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr],
      schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  loadStateDict(s: SchedulerState): void {
    this.lastEpoch = s.lastEpoch as number;
    this.lastLr = [...(s.lastLr as number[])];
    const subs = s.schedulers as SchedulerState[];
    check(
      subs.length === this.schedulers.length,
      'SequentialLR.loadStateDict',
      () => `expected ${this.schedulers.length} scheduler states, got ${subs.length}`,
    );
    for (const [i, st] of subs.entries()) this.schedulers[i]!.loadStateDict(st);
  }
}

/**
 * A linear warmup from `startFactor * lr` over `warmupSteps` steps, then `after` (built by the given function on
 * the same optimizer), or a constant lr if none: a SequentialLR of LinearLR and `after`.
 */
export function warmup(
  optimizer: Optimizer,
  opts: { warmupSteps: number; startFactor?: number; after?: (opt: Optimizer) => LRScheduler },
): SequentialLR {
  check(
    Number.isInteger(opts.warmupSteps) && opts.warmupSteps > 0,
    'warmup',
    () => `warmupSteps must be a positive integer, got ${opts.warmupSteps}`,
  );
  const warm = new LinearLR(optimizer, {
    startFactor: opts.startFactor ?? 1e-3,
    totalIters: opts.warmupSteps,
  });
  const next = opts.after?.(optimizer) ?? new LambdaLR(optimizer, () => 1);
  return new SequentialLR(optimizer, [warm, next], [opts.warmupSteps]);
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | readonly number[];
  eps?: number;
}

/**
 * Multiplies the lr by `factor` once the monitored value has not improved for more than `patience` epochs
 * (torch.optim.lr_scheduler.ReduceLROnPlateau): `scheduler.step(valLoss)` once per epoch.
 */
export class ReduceLROnPlateau {
  /** The options, declared once (the trainer's callback and the CLI's YAML schema read them). */
  static readonly options: OptionSpecs = {
    mode: { type: 'string', enum: ['min', 'max'], default: 'min' },
    factor: { type: 'number', gt: 0, lt: 1, default: 0.1 },
    patience: { type: 'number', int: true, min: 0, default: 10 },
    threshold: { type: 'number', min: 0, default: 1e-4 },
    thresholdMode: { type: 'string', enum: ['rel', 'abs'], default: 'rel' },
    cooldown: { type: 'number', int: true, min: 0, default: 0 },
    minLr: { type: 'number', min: 0, default: 0 },
    eps: { type: 'number', min: 0, default: 1e-8 },
  };
  readonly optimizer: Optimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer, opts: ReduceLROnPlateauOptions = {}) {
    checkOptionKeys('ReduceLROnPlateau', opts, Object.keys(ReduceLROnPlateau.options));
    this.optimizer = optimizer;
    this.factor = opts.factor ?? 0.1;
    check(this.factor < 1, 'ReduceLROnPlateau', () => `factor must be < 1, got ${this.factor}`);
    this.mode = opts.mode ?? 'min';
    this.thresholdMode = opts.thresholdMode ?? 'rel';
    if (this.mode !== 'min' && this.mode !== 'max')
      fail('ReduceLROnPlateau', `mode must be 'min' or 'max', got '${String(this.mode)}'`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs')
      fail('ReduceLROnPlateau', `thresholdMode must be 'rel' or 'abs', got '${String(this.thresholdMode)}'`);
    this.patience = opts.patience ?? 10;
    this.threshold = opts.threshold ?? 1e-4;
    this.cooldown = opts.cooldown ?? 0;
    this.eps = opts.eps ?? 1e-8;
    const n = optimizer.paramGroups.length;
    const minLr = opts.minLr ?? 0;
    if (typeof minLr === 'number') this.minLrs = Array.from({ length: n }, () => minLr);
    else {
      check(minLr.length === n, 'ReduceLROnPlateau', () => `expected ${n} minLr values, got ${minLr.length}`);
      this.minLrs = [...minLr];
    }
    this.best = this.modeWorse();
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private modeWorse(): number {
    return this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min')
      return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  step(metric: number): void {
    check(
      typeof metric === 'number',
      'ReduceLROnPlateau',
      () => `step() needs the monitored value, got ${typeof metric}`,
    );
    this.lastEpoch++;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.inCooldown) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerState {
    return {
      best: Number.isFinite(this.best) ? this.best : null,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr],
    };
  }

  loadStateDict(s: SchedulerState): void {
    this.best = s.best === null ? this.modeWorse() : (s.best as number);
    this.numBadEpochs = s.numBadEpochs as number;
    this.cooldownCounter = s.cooldownCounter as number;
    this.lastEpoch = s.lastEpoch as number;
    this.lastLr = [...(s.lastLr as number[])];
  }
}
