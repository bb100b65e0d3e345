import { appendFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { noGrad } from '../autograd/node.ts';
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys, checkOptions, type OptionSpecs } from '../core/options.ts';
import { saveSafetensors } from '../io/safetensors.ts';
import type { JsonValue } from '../nn/module.ts';
import {
  LRScheduler,
  type ReduceLROnPlateauOptions,
  ReduceLROnPlateau as ReduceLROnPlateauScheduler,
  type Scheduler,
  type SchedulerState,
  SequentialLR,
} from '../optim/lr-scheduler.ts';
import { keep } from '../tensor/lifecycle.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { autoMode, Callback, type Logs } from './callback.ts';
import { writeCheckpoint } from './checkpoint.ts';

type Mode = 'min' | 'max' | 'auto';

function monitorValue(op: string, logs: Logs, monitor: string): number | undefined {
  const v = logs[monitor];
  if (v === undefined)
    process.emitWarning(
      `[${op}] monitored value "${monitor}" is not in the logs (available: ${Object.keys(logs).join(', ')}); skipping`,
    );
  return v;
}

export interface EarlyStoppingOptions {
  monitor?: string;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  mode?: Mode;
  /** Training continues only while the monitored value beats this too. */
  baseline?: number;
  /** At the end of training, put back the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
  /** Epochs to wait before monitoring starts (default 0). */
  startFromEpoch?: number;
}

/** Stops training when the monitored value stops improving (keras.callbacks.EarlyStopping, Keras 3 rules). */
export class EarlyStopping extends Callback {
  /** The options, declared once (the callback registry and the CLI's YAML schema read them). */
  static readonly options: OptionSpecs = {
    monitor: { type: 'string', default: 'val_loss' },
    minDelta: { type: 'number', min: 0, default: 0 },
    patience: { type: 'number', int: true, min: 0, default: 0 },
    mode: { type: 'string', enum: ['auto', 'min', 'max'], default: 'auto' },
    baseline: { type: 'number' },
    restoreBestWeights: { type: 'boolean', default: false },
    startFromEpoch: { type: 'number', int: true, min: 0, default: 0 },
  };
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  wait = 0;
  best: number;
  bestEpoch = 0;
  stoppedEpoch = 0;
  private bestWeights: Record<string, Tensor> | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    super();
    checkOptionKeys('EarlyStopping', opts, Object.keys(EarlyStopping.options));
    this.monitor = opts.monitor ?? 'val_loss';
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.patience = opts.patience ?? 0;
    const m = opts.mode ?? 'auto';
    if (m !== 'min' && m !== 'max' && m !== 'auto')
      fail('EarlyStopping', `mode must be 'min', 'max' or 'auto', got '${String(m)}'`);
    this.mode = m === 'auto' ? autoMode(this.monitor) : m;
    this.baseline = opts.baseline;
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    this.startFromEpoch = opts.startFromEpoch ?? 0;
    this.best = this.worst();
  }

  private worst(): number {
    return this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  isImprovement(value: number, reference: number): boolean {
    return this.mode === 'min' ? value + this.minDelta < reference : value - this.minDelta > reference;
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.worst();
    this.bestEpoch = 0;
    this.dropBest();
  }

  private dropBest(): void {
    if (this.bestWeights !== null) for (const t of Object.values(this.bestWeights)) t.dispose();
    this.bestWeights = null;
  }

  private snapshot(): void {
    this.dropBest();
    const sd = this.trainer.module.stateDict();
    this.bestWeights = noGrad(() =>
      Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, keep(t.detach().clone())])),
    );
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const current = monitorValue('EarlyStopping', logs, this.monitor);
    if (current === undefined || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      this.snapshot();
      this.bestEpoch = epoch;
    }
    this.wait++;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.snapshot();
      if (this.baseline === undefined || this.isImprovement(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.trainer.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights !== null) {
      this.trainer.module.loadStateDict(this.bestWeights);
      this.dropBest();
    }
  }

  /** The best weights (with restoreBestWeights) go into the checkpoint, so a resumed run restores the same ones. */
  override getTensors(): Record<string, Tensor> | undefined {
    return this.bestWeights ?? undefined;
  }
  override setTensors(tensors: Record<string, Tensor>): void {
    if (!this.restoreBestWeights || Object.keys(tensors).length === 0) return;
    this.dropBest();
    this.bestWeights = noGrad(() =>
      Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, keep(t.detach().clone())])),
    );
  }

  /** The counters and best value (the best weights travel as tensors, see getTensors). */
  override getState(): JsonValue {
    return {
      wait: this.wait,
      best: Number.isFinite(this.best) ? this.best : null,
      bestEpoch: this.bestEpoch,
      stoppedEpoch: this.stoppedEpoch,
    };
  }
  override setState(s: JsonValue): void {
    const o = s as { wait: number; best: number | null; bestEpoch: number; stoppedEpoch: number };
    this.wait = o.wait;
    this.best = o.best === null ? this.worst() : o.best;
    this.bestEpoch = o.bestEpoch;
    this.stoppedEpoch = o.stoppedEpoch;
  }
}

export interface ModelCheckpointOptions {
  monitor?: string;
  /** Only save when the monitored value improved (default false: save every epoch). */
  saveBestOnly?: boolean;
  /** Only the model weights as one safetensors file (default: a full checkpoint directory). */
  saveWeightsOnly?: boolean;
  mode?: Mode;
}

/**
 * Saves the model after each epoch (keras.callbacks.ModelCheckpoint). `path` may hold `{epoch}` (1-based, as
 * Keras) and any log key, e.g. `ckpt/model-{epoch}-{val_loss}`; numbers are written with 4 decimals. A full
 * checkpoint directory (config, weights, optimizer state) is written atomically; with `saveWeightsOnly`, a
 * safetensors file of the weights.
 */
export class ModelCheckpoint extends Callback {
  readonly path: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: 'min' | 'max';
  best: number;
  /** Paths written, in order. */
  readonly saved: string[] = [];

  constructor(path: string, opts: ModelCheckpointOptions = {}) {
    super();
    check(
      typeof path === 'string' && path.length > 0,
      'ModelCheckpoint',
      () => 'path must be a non-empty string',
    );
    this.path = path;
    this.monitor = opts.monitor ?? 'val_loss';
    this.saveBestOnly = opts.saveBestOnly ?? false;
    this.saveWeightsOnly = opts.saveWeightsOnly ?? false;
    const m = opts.mode ?? 'auto';
    this.mode = m === 'auto' ? autoMode(this.monitor) : m;
    this.best = this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  filePath(epoch: number, logs: Logs): string {
    return this.path.replace(/\{(\w+)(?::[^}]*)?\}/g, (whole, key: string) => {
      if (key === 'epoch') return String(epoch + 1).padStart(2, '0');
      const v = logs[key];
      return v === undefined ? whole : v.toFixed(4);
    });
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    if (this.saveBestOnly) {
      const v = monitorValue('ModelCheckpoint', logs, this.monitor);
      if (v === undefined) return;
      const better = this.mode === 'min' ? v < this.best : v > this.best;
      if (!better) return;
      this.best = v;
    }
    const p = this.filePath(epoch, logs);
    if (this.saveWeightsOnly) {
      mkdirSync(dirname(p), { recursive: true });
      saveSafetensors(p, this.trainer.module.stateDict(), { format: 'pt' });
    } else {
      writeCheckpoint(p, {
        model: this.trainer.module,
        optimizer: this.trainer.optimizer,
        trainer: this.trainer.trainerState(epoch + 1, []),
      });
    }
    this.saved.push(p);
  }

  override getState(): JsonValue {
    return { best: Number.isFinite(this.best) ? this.best : null };
  }
  override setState(s: JsonValue): void {
    const b = (s as { best: number | null }).best;
    if (b !== null) this.best = b;
  }
}

/**
 * Sets the learning rate each epoch (keras.callbacks.LearningRateScheduler): either `schedule(epoch, lr)` is
 * called at the start of every epoch and its result set on every group, or an optim LR scheduler (StepLR,
 * CosineAnnealingLR, SequentialLR, ...) is stepped at the end of every epoch. The lr is added to the logs as 'lr'.
 */
export class LearningRateScheduler extends Callback {
  private readonly fn: ((epoch: number, lr: number) => number) | null;
  private readonly scheduler: Scheduler | null;

  constructor(schedule: ((epoch: number, lr: number) => number) | Scheduler) {
    super();
    if (typeof schedule === 'function') {
      this.fn = schedule;
      this.scheduler = null;
    } else {
      check(
        schedule instanceof LRScheduler ||
          schedule instanceof SequentialLR ||
          typeof schedule?.step === 'function',
        'LearningRateScheduler',
        () => 'expects a function (epoch, lr) => lr or an LR scheduler',
      );
      this.fn = null;
      this.scheduler = schedule;
    }
  }

  override onEpochBegin(epoch: number): void {
    if (this.fn === null) return;
    const lr = this.fn(epoch, this.trainer.optimizer.lr);
    check(
      typeof lr === 'number' && Number.isFinite(lr) && lr >= 0,
      'LearningRateScheduler',
      () => `the schedule must return a finite number >= 0, got ${lr} at epoch ${epoch}`,
    );
    this.trainer.optimizer.lr = lr;
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    logs.lr = this.trainer.optimizer.lr;
    this.scheduler?.step();
  }

  override getState(): JsonValue | undefined {
    if (this.scheduler === null) return undefined;
    return { scheduler: this.scheduler.stateDict() as unknown as JsonValue, lrs: this.groupLrs() };
  }
  override setState(s: JsonValue): void {
    if (this.scheduler === null) return;
    const o = s as { scheduler: SchedulerState; lrs: number[] };
    this.scheduler.loadStateDict(o.scheduler);
    this.trainer.optimizer.paramGroups.forEach((g, i) => {
      g.lr = o.lrs[i]!;
    });
  }
  private groupLrs(): number[] {
    return this.trainer.optimizer.paramGroups.map((g) => g.lr);
  }
}

export interface ReduceLROnPlateauCallbackOptions extends Omit<ReduceLROnPlateauOptions, 'mode'> {
  /** The log key to watch (default 'val_loss'). */
  monitor?: string;
  /** 'auto' (default) picks 'max' for accuracy-like keys, 'min' otherwise. */
  mode?: Mode;
  /** Keras' name for an absolute threshold: `{ minDelta: d }` is `{ threshold: d, thresholdMode: 'abs' }`. */
  minDelta?: number;
}

/**
 * The optim ReduceLROnPlateau stepped with a log value at the end of every epoch, so there is one plateau rule in
 * the library (torch's: the lr is cut once more than `patience` epochs in a row did not improve by `threshold`).
 * Keras counts one epoch fewer: Keras' `patience: p` is `patience: p - 1` here. The lr is added to the logs as 'lr'
 * before the epoch's decision.
 */
export class ReduceLROnPlateau extends Callback {
  static readonly options: OptionSpecs = {
    monitor: { type: 'string', default: 'val_loss' },
    mode: { type: 'string', enum: ['auto', 'min', 'max'], default: 'auto' },
    ...ReduceLROnPlateauScheduler.options,
    minDelta: { type: 'number', min: 0, doc: "absolute threshold (Keras' min_delta)" },
  };
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  private readonly opts: ReduceLROnPlateauOptions;
  /** The scheduler doing the work; created when training begins (it needs the trainer's optimizer). */
  scheduler: ReduceLROnPlateauScheduler | null = null;
  private pending: SchedulerState | null = null;

  constructor(opts: ReduceLROnPlateauCallbackOptions = {}) {
    super();
    checkOptions('ReduceLROnPlateau', opts, ReduceLROnPlateau.options);
    const { monitor, mode, minDelta, ...rest } = opts;
    check(
      minDelta === undefined || (rest.threshold === undefined && rest.thresholdMode === undefined),
      'ReduceLROnPlateau',
      () => 'give either minDelta (absolute) or threshold/thresholdMode, not both',
    );
    this.monitor = monitor ?? 'val_loss';
    this.mode = (mode ?? 'auto') === 'auto' ? autoMode(this.monitor) : (mode as 'min' | 'max');
    this.opts =
      minDelta === undefined
        ? { ...rest, mode: this.mode }
        : { ...rest, mode: this.mode, threshold: minDelta, thresholdMode: 'abs' };
  }

  override onTrainBegin(): void {
    this.scheduler = new ReduceLROnPlateauScheduler(this.trainer.optimizer, this.opts);
    if (this.pending !== null) this.scheduler.loadStateDict(this.pending);
    this.pending = null;
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    logs.lr = this.trainer.optimizer.lr;
    const current = monitorValue('ReduceLROnPlateau', logs, this.monitor);
    if (current === undefined || this.scheduler === null) return;
    this.scheduler.step(current);
  }

  override getState(): JsonValue {
    return (this.scheduler?.stateDict() ?? this.pending ?? {}) as unknown as JsonValue;
  }
  override setState(s: JsonValue): void {
    const st = s as unknown as SchedulerState;
    if (this.scheduler !== null) this.scheduler.loadStateDict(st);
    else this.pending = st;
  }
}

/**
 * Writes one CSV row per epoch (keras.callbacks.CSVLogger): `epoch` then the log keys in the order first seen.
 * With `append`, or when fit resumed from a checkpoint, rows are added to an existing file.
 */
export class CSVLogger extends Callback {
  readonly path: string;
  readonly separator: string;
  readonly append: boolean;
  private keys: string[] | null = null;

  constructor(path: string, opts: { separator?: string; append?: boolean } = {}) {
    super();
    this.path = path;
    this.separator = opts.separator ?? ',';
    this.append = opts.append ?? false;
  }

  override onTrainBegin(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const keepRows = (this.append || this.trainer.resumed) && existsSync(this.path);
    if (!keepRows) writeFileSync(this.path, '');
    this.keys = null;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const fmt = (v: number | undefined) => (v === undefined ? '' : String(v));
    let out = '';
    if (this.keys === null) {
      this.keys = Object.keys(logs);
      const fresh = fileSize(this.path) === 0;
      if (fresh) out += `${['epoch', ...this.keys].join(this.separator)}\n`;
    }
    out += `${[String(epoch), ...this.keys.map((k) => fmt(logs[k]))].join(this.separator)}\n`;
    appendFileSync(this.path, out);
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Stops training as soon as a batch loss is NaN or infinite (keras.callbacks.TerminateOnNaN). */
export class TerminateOnNaN extends Callback {
  /** The batch at which training was stopped, or null. */
  stoppedAtBatch: number | null = null;

  override onTrainBatchEnd(batch: number, logs: Logs): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      this.stoppedAtBatch = batch;
      process.emitWarning(`[TerminateOnNaN] batch ${batch}: invalid loss ${loss}, terminating training`);
      this.trainer.stopTraining = true;
    }
  }
}

/** A callback from plain functions: `new LambdaCallback({ onEpochEnd: (e, logs) => ... })`. */
export class LambdaCallback extends Callback {
  constructor(
    hooks: Partial<
      Pick<
        Callback,
        | 'onTrainBegin'
        | 'onTrainEnd'
        | 'onEpochBegin'
        | 'onEpochEnd'
        | 'onTrainBatchBegin'
        | 'onTrainBatchEnd'
      >
    >,
  ) {
    super();
    Object.assign(this, hooks);
  }
}
