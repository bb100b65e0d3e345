import { noGrad } from '../autograd/node.ts';
import { check, fail, fmtShape, TensorScriptError } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { defaultGenerator, Generator } from '../core/rng.ts';
import { assertFinite } from '../data/finite.ts';
import { getMetric } from '../metrics/registry.ts';
import type { JsonValue } from '../nn/module.ts';
import { clipGradNorm_, clipGradValue_ } from '../optim/clip.ts';
import { Optimizer } from '../optim/optimizer.ts';
import { getOptimizer, type NamedOptimizerOptions } from '../optim/registry.ts';
import type { History as HistoryRecord } from '../report/history.ts';
import { tensor } from '../tensor/creation.ts';
import { softmax } from '../tensor/ops/activations.ts';
import { cat } from '../tensor/ops/join.ts';
import { scope } from '../tensor/scope.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { Callback, Logs } from './callback.ts';
import {
  type CheckpointContents,
  disposeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type TrainerState,
} from './checkpoint.ts';
import { type LossSpec, type ResolvedLoss, reduceLoss, resolveLoss } from './losses.ts';
import { ProgressBar } from './progress.ts';

/** What the trainer needs from a model: any nn.Module with a single-tensor forward qualifies. */
export interface TrainableModule {
  call(x: Tensor): Tensor;
  parameters(): Tensor[];
  train(mode?: boolean): unknown;
  stateDict(): Record<string, Tensor>;
  loadStateDict(sd: Record<string, Tensor>): unknown;
}

/** A streaming metric (src/metrics' Metric, or your own): `update` per batch, `result` over the epoch. */
export interface MetricLike {
  readonly name: string;
  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void;
  result(): number;
  reset(): void;
}

export interface CompileConfig {
  /** An optimizer instance, or a name ('adam', 'sgd', ...) optionally with options: { name: 'adam', lr: 1e-3 }. */
  optimizer: Optimizer | string | ({ name: string } & NamedOptimizerOptions);
  /** A loss name ('mse', 'sparseCategoricalCrossentropy', ...), { name, fromLogits }, a function or a loss module. */
  loss: LossSpec;
  /** Metric names ('accuracy', 'auc', 'mae', ...) or metric objects. */
  metrics?: (string | MetricLike)[];
  /** Clip the global L2 norm of the gradients to this before each step (Keras' `global_clipnorm`). */
  clipNorm?: number;
  /** Clip every gradient element to [-clipValue, clipValue] before each step (Keras' `clipvalue`). */
  clipValue?: number;
  /**
   * Stop fit with a `TrainingDivergedError` at the first non-finite batch loss, or non-finite weights at an
   * epoch's end (before any checkpoint is written). Default true; fit's option of the same name overrides it.
   */
  terminateOnNaN?: boolean;
}

const COMPILE_KEYS = optionKeys<CompileConfig>({
  optimizer: true,
  loss: true,
  metrics: true,
  clipNorm: true,
  clipValue: true,
  terminateOnNaN: true,
});

/**
 * Training stopped because the loss or the weights stopped being finite (a too large learning rate, exploding
 * gradients, bad data). `history` holds the epochs completed before; the model holds the diverged weights.
 */
export class TrainingDivergedError extends TensorScriptError {
  constructor(
    message: string,
    readonly epoch: number,
    readonly step: number | null,
    readonly history: History,
  ) {
    super('fit', message);
    this.name = 'TrainingDivergedError';
  }
}

/** One training or test batch. */
export interface Batch {
  x: Tensor;
  y: Tensor;
  /** Per-sample weights [N] (sample weights times class weights), or null. */
  sampleWeight: Tensor | null;
}

/** A source of batches: arrays [x, y] or [x, y, sampleWeight] (a DataLoader, an array, a generator). */
export type BatchSource = Iterable<readonly Tensor[]> | AsyncIterable<readonly Tensor[]>;

/**
 * Keras' History: the epochs run and, per key ('loss', 'val_loss', 'accuracy', ...), one value per epoch. The one
 * History of the library: `toJSON()` is the report's History shape (non-finite values as null), so
 * `report.saveHistory(path, history.toJSON())` and the report charts take it as it is.
 */
export class History {
  epoch: number[] = [];
  history: Record<string, number[]> = {};
  /**
   * Wall-clock seconds of each epoch (training, validation and callbacks), one per `epoch` entry. Kept apart
   * from `history` so the metric keys stay the logged ones and a resumed run's metrics compare equal to an
   * uninterrupted run's; the JSON form carries it as the `epoch_seconds` key the report reads.
   */
  epochSeconds: number[] = [];

  append(epoch: number, logs: Logs, seconds = Number.NaN): void {
    this.epoch.push(epoch);
    this.epochSeconds.push(seconds);
    for (const [k, v] of Object.entries(logs)) {
      this.history[k] ??= [];
      this.history[k].push(v);
    }
  }

  toJSON(): HistoryRecord {
    const history: Record<string, (number | null)[]> = Object.fromEntries(
      Object.entries(this.history).map(([k, v]) => [k, v.map((x) => (Number.isFinite(x) ? x : null))]),
    );
    if (this.epochSeconds.length === this.epoch.length && this.epochSeconds.some((x) => Number.isFinite(x)))
      history[EPOCH_SECONDS] = this.epochSeconds.map((x) => (Number.isFinite(x) ? x : null));
    return { epoch: [...this.epoch], history };
  }

  /** The History a record (toJSON's form, from a checkpoint) describes; null values become NaN. */
  static fromJSON(r: HistoryRecord): History {
    const h = new History();
    h.epoch = [...r.epoch];
    const { [EPOCH_SECONDS]: seconds, ...rest } = r.history;
    h.history = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v.map((x) => x ?? Number.NaN)]));
    h.epochSeconds = seconds?.map((x) => x ?? Number.NaN) ?? r.epoch.map(() => Number.NaN);
    return h;
  }
}

/** The JSON History key holding each epoch's wall-clock seconds (as the report reads it). */
export const EPOCH_SECONDS = 'epoch_seconds';

export interface FitOptions {
  epochs?: number;
  /** Samples per batch for tensor inputs (default 32). */
  batchSize?: number;
  /** Fraction of the tensor inputs (the last ones, before shuffling, as Keras) held out for validation. */
  validationSplit?: number;
  validationData?: readonly Tensor[] | BatchSource;
  /** Reshuffle tensor inputs every epoch (default true). */
  shuffle?: boolean;
  /** Weight of each class in the loss and metrics: { 0: 1, 1: 5 } or [1, 5]. */
  classWeight?: Record<number, number> | readonly number[];
  /** Per-sample weights [N] for tensor inputs. */
  sampleWeight?: Tensor;
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /**
   * Seeds the whole run: the default generator (dropout, random layers) and the shuffle generator. Without it
   * the shuffle generator is drawn from the default generator, so `manualSeed` before building the model is enough.
   */
  seed?: number;
  /** The epoch to start at (history epochs are numbered from it). */
  initialEpoch?: number;
  /** Save a checkpoint here after every `checkpointEvery` epochs (a root of ckpt-NNNNNN directories). */
  checkpointDir?: string;
  checkpointEvery?: number;
  /** Checkpoints kept under checkpointDir (default 2). */
  checkpointKeep?: number;
  /** Resume from a checkpoint (root or directory): weights, optimizer, RNG states, history, callback states. */
  resumeFrom?: string;
  /** Stop at a non-finite loss or weights (default: compile's `terminateOnNaN`, itself default true). */
  terminateOnNaN?: boolean;
  /**
   * Dispose each batch of a batch source after its step. Default: true for async sources (a DataLoader makes
   * fresh tensors per batch), false for sync ones (an array of batches is reused across epochs).
   */
  disposeBatches?: boolean;
}

export interface EvaluateOptions {
  batchSize?: number;
  sampleWeight?: Tensor;
}

const FIT_KEYS = optionKeys<FitOptions>({
  epochs: true,
  batchSize: true,
  validationSplit: true,
  validationData: true,
  shuffle: true,
  classWeight: true,
  sampleWeight: true,
  callbacks: true,
  verbose: true,
  seed: true,
  initialEpoch: true,
  checkpointDir: true,
  checkpointEvery: true,
  checkpointKeep: true,
  resumeFrom: true,
  terminateOnNaN: true,
  disposeBatches: true,
});
/** What fit trains and validates on (see Trainer.fitData). */
interface FitData {
  trainX: Tensor | null;
  trainY: Tensor | null;
  trainW: Tensor | null;
  source: BatchSource | null;
  valData: readonly Tensor[] | BatchSource | null;
  owned: Tensor[];
}

const EVALUATE_KEYS = optionKeys<EvaluateOptions>({ batchSize: true, sampleWeight: true });

/** A value's kind for messages: 'nothing', 'BigInt64Array', 'object', 'number'. */
function describeArg(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return typeof v;
}

/** Every callback's checkpoint tensors, named `<callbackIndex>.<key>`. */
export function callbackTensors(callbacks: readonly Callback[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  callbacks.forEach((cb, i) => {
    for (const [k, t] of Object.entries(cb.getTensors() ?? {})) out[`${i}.${k}`] = t;
  });
  return out;
}

/** The first parameter or buffer holding NaN or an infinity, as 'name[i] = v', or null. */
function nonFiniteWeight(module: TrainableModule): string | null {
  for (const [name, t] of Object.entries(module.stateDict())) {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') continue;
    const v = t.toTypedArray();
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i] as number)) return `${name}[${i}] = ${v[i]}`;
  }
  return null;
}

function isAsyncIterable(x: unknown): x is AsyncIterable<readonly Tensor[]> {
  return x !== null && typeof x === 'object' && Symbol.asyncIterator in x;
}

function isTensorPair(x: unknown): x is readonly Tensor[] {
  return Array.isArray(x) && x.length >= 2 && x.length <= 3 && x.every((t) => t instanceof Tensor);
}

/**
 * Keras-style training for any module: `compile`, then `fit`, `evaluate`, `predict`. `fit` is a loop over
 * `trainStep` (override it for custom training: GANs, gradient accumulation); everything it uses (modules,
 * losses, optimizers, metrics) works the same in a hand-written PyTorch-style loop. Each step runs in a
 * `scope`, so a step's intermediates are freed when it ends.
 */
export class Trainer {
  readonly module: TrainableModule;
  optimizer!: Optimizer;
  loss!: ResolvedLoss;
  metrics: MetricLike[] = [];
  /** Gradient clipping applied in trainStep (set by compile). */
  clipNorm: number | undefined;
  clipValue: number | undefined;
  /** Set by a callback (EarlyStopping, TerminateOnNaN) to stop fit after the current batch. */
  stopTraining = false;
  history = new History();
  /** Shuffles tensor inputs; seeded by fit's `seed`, saved in checkpoints. */
  shuffleGenerator = new Generator(0);
  /** Batches per epoch during fit, when known (for progress bars). */
  stepsPerEpoch: number | null = null;
  /** Epochs the current fit runs to. */
  epochs = 0;
  /** True while a fit that resumed from a checkpoint runs (CSVLogger appends then). */
  resumed = false;
  private compileConfig: JsonValue = null;
  /** Metrics given by name see probabilities when the loss takes logits. */
  private metricActivation: ('sigmoid' | 'softmax' | null)[] = [];

  constructor(module: TrainableModule) {
    check(
      module !== null && typeof module === 'object' && typeof module.call === 'function',
      'Trainer',
      () => 'expects a module with call(x) (an nn.Module)',
    );
    this.module = module;
  }

  get compiled(): boolean {
    return this.optimizer !== undefined;
  }

  /** Stop fit at a non-finite loss or weights (compile's `terminateOnNaN`). */
  terminateOnNaN = true;

  compile(cfg: CompileConfig): this {
    check(cfg !== null && typeof cfg === 'object', 'compile', () => 'expects { optimizer, loss, metrics? }');
    checkOptionKeys('compile', cfg, COMPILE_KEYS);
    check(
      cfg.terminateOnNaN === undefined || typeof cfg.terminateOnNaN === 'boolean',
      'compile',
      () => `terminateOnNaN must be true or false, got ${String(cfg.terminateOnNaN)}`,
    );
    this.terminateOnNaN = cfg.terminateOnNaN ?? true;
    const o = cfg.optimizer;
    if (typeof o === 'string') this.optimizer = getOptimizer(o, this.module.parameters());
    else if (o instanceof Optimizer) this.optimizer = o;
    else if (o !== null && typeof o === 'object' && typeof (o as { name?: unknown }).name === 'string') {
      const { name, ...rest } = o as { name: string } & NamedOptimizerOptions;
      this.optimizer = getOptimizer(name, this.module.parameters(), rest as NamedOptimizerOptions);
    } else fail('compile', `optimizer must be an Optimizer, a name or { name, ...options }, got ${typeof o}`);
    this.loss = resolveLoss(cfg.loss);
    for (const k of ['clipNorm', 'clipValue'] as const) {
      const v = cfg[k];
      check(
        v === undefined || (Number.isFinite(v) && v > 0),
        'compile',
        () => `${k} must be a positive number, got ${v}`,
      );
    }
    this.clipNorm = cfg.clipNorm;
    this.clipValue = cfg.clipValue;
    this.metrics = [];
    this.metricActivation = [];
    for (const m of cfg.metrics ?? []) {
      if (typeof m === 'string') {
        this.metrics.push(getMetric(m) as unknown as MetricLike);
        this.metricActivation.push(this.loss.outputActivation);
      } else {
        check(
          m !== null &&
            typeof m === 'object' &&
            typeof m.update === 'function' &&
            typeof m.result === 'function',
          'compile',
          () => 'each metric must be a name or an object with update/result/reset/name',
        );
        this.metrics.push(m);
        this.metricActivation.push(null);
      }
    }
    const names = new Set<string>(['loss']);
    for (const m of this.metrics) {
      check(!names.has(m.name), 'compile', () => `two metrics report under the same name "${m.name}"`);
      names.add(m.name);
    }
    this.compileConfig = {
      optimizer: { name: this.optimizer.name, defaults: this.optimizer.defaults as unknown as JsonValue },
      loss: this.loss.name,
      metrics: this.metrics.map((m) => m.name),
    };
    return this;
  }

  private requireCompiled(op: string): void {
    check(
      this.compiled,
      op,
      () => 'the trainer is not compiled; call compile({ optimizer, loss, metrics }) first',
    );
  }

  // ---- steps (overridable) ----

  /** The batch loss of a prediction: per-sample losses, weighted, averaged over the batch. */
  computeLoss(yPred: Tensor, y: Tensor, sampleWeight: Tensor | null): Tensor {
    const losses = this.loss.fn(yPred, y);
    check(
      losses.ndim === 0 || losses.shape[0] === yPred.shape[0],
      'trainStep',
      () =>
        `the loss returned shape ${fmtShape(losses.shape)}, expected a scalar or [${yPred.shape[0]}, ...]`,
    );
    return reduceLoss(losses, sampleWeight);
  }

  /** Folds a batch into every metric (outputs detached; probabilities for named metrics when the loss takes logits). */
  updateMetrics(y: Tensor, yPred: Tensor, sampleWeight: Tensor | null): void {
    if (this.metrics.length === 0) return;
    noGrad(() => {
      const p = yPred.detach();
      let probs: Tensor | null = null;
      this.metrics.forEach((m, i) => {
        const act = this.metricActivation[i];
        let pred = p;
        if (act !== null && act !== undefined) {
          probs ??= act === 'sigmoid' ? p.sigmoid() : softmax(p, p.ndim - 1);
          pred = probs;
        }
        if (sampleWeight === null) m.update(y, pred);
        else m.update(y, pred, sampleWeight);
      });
    });
  }

  /** One optimisation step: forward, loss, backward, optimizer step, metric updates. Returns { loss }. */
  trainStep(batch: Batch): Logs {
    return scope(() => {
      const yPred = this.module.call(batch.x);
      const loss = this.computeLoss(yPred, batch.y, batch.sampleWeight);
      this.optimizer.zeroGrad();
      loss.backward();
      if (this.clipValue !== undefined) clipGradValue_(this.module.parameters(), this.clipValue);
      if (this.clipNorm !== undefined) clipGradNorm_(this.module.parameters(), this.clipNorm);
      this.optimizer.step();
      const value = loss.item();
      // A diverged batch (NaN outputs) is left out of the metrics, which reject non-finite scores, so that
      // TerminateOnNaN (or the caller) sees the loss instead of a metric error.
      if (Number.isFinite(value)) this.updateMetrics(batch.y, yPred, batch.sampleWeight);
      return { loss: value };
    });
  }

  /** One evaluation step (no gradients): loss and metric updates. */
  testStep(batch: Batch): Logs {
    return scope(() =>
      noGrad(() => {
        const yPred = this.module.call(batch.x);
        const loss = this.computeLoss(yPred, batch.y, batch.sampleWeight);
        this.updateMetrics(batch.y, yPred, batch.sampleWeight);
        return { loss: loss.item() };
      }),
    );
  }

  /** One prediction step. */
  predictStep(x: Tensor): Tensor {
    return noGrad(() => this.module.call(x));
  }

  // ---- metrics helpers ----

  resetMetrics(): void {
    for (const m of this.metrics) m.reset();
  }

  /** Current metric results; a metric that cannot report yet (no samples, one class for AUC) gives NaN. */
  metricResults(prefix = ''): Logs {
    const out: Logs = {};
    for (const m of this.metrics) {
      try {
        out[prefix + m.name] = m.result();
      } catch {
        out[prefix + m.name] = Number.NaN;
      }
    }
    return out;
  }

  // ---- batching ----

  private classWeights(y: Tensor, cw: Record<number, number> | readonly number[]): Tensor {
    return noGrad(() => {
      let labels: Tensor;
      if (y.ndim === 2 && y.shape[1]! > 1) labels = y.argmax(1);
      else labels = y.reshape([-1]);
      const lab = labels.toTypedArray();
      const w = new Float32Array(lab.length);
      for (let i = 0; i < lab.length; i++) {
        const c = Math.round(lab[i]!);
        const v = (cw as Record<number, number>)[c];
        w[i] = v ?? 1;
      }
      return tensor(w, { shape: [lab.length] });
    });
  }

  private makeBatch(
    x: Tensor,
    y: Tensor,
    sw: Tensor | null,
    cw: FitOptions['classWeight'] | undefined,
  ): Batch {
    let w = sw;
    if (cw !== undefined) {
      const c = this.classWeights(y, cw);
      w = w === null ? c : w.mul(c);
    }
    return { x, y, sampleWeight: w };
  }

  /** Batches of tensor inputs (in a shuffled order when asked), each built lazily inside the step's scope. */
  private *tensorBatches(
    x: Tensor,
    y: Tensor,
    sw: Tensor | null,
    batchSize: number,
    order: Int32Array | null,
  ): IterableIterator<{ size: number; make: () => [Tensor, Tensor, Tensor | null] }> {
    const n = x.shape[0]!;
    for (let start = 0; start < n; start += batchSize) {
      const len = Math.min(batchSize, n - start);
      yield {
        size: len,
        make: () => {
          if (order === null)
            return [
              x.narrow(0, start, len),
              y.narrow(0, start, len),
              sw === null ? null : sw.narrow(0, start, len),
            ];
          const idx = tensor(order.subarray(start, start + len), { dtype: 'int32' });
          return [x.indexSelect(0, idx), y.indexSelect(0, idx), sw === null ? null : sw.indexSelect(0, idx)];
        },
      };
    }
  }

  private checkData(op: string, x: Tensor, y: Tensor, sw: Tensor | null | undefined): void {
    check(
      x instanceof Tensor && y instanceof Tensor,
      op,
      () => 'x and y must be tensors (or pass a batch source)',
    );
    check(x.ndim >= 1 && y.ndim >= 1, op, () => 'x and y need a batch dimension');
    check(
      x.shape[0] === y.shape[0],
      op,
      () =>
        `x has ${x.shape[0]} samples (shape ${fmtShape(x.shape)}) but y has ${y.shape[0]} (shape ${fmtShape(y.shape)})`,
    );
    if (sw !== null && sw !== undefined)
      check(
        sw.ndim === 1 && sw.shape[0] === x.shape[0],
        op,
        () => `sampleWeight must have shape [${x.shape[0]}], got ${fmtShape(sw.shape)}`,
      );
    // NaN or Infinity in the data is reported here, with its position, not discovered as a NaN loss.
    for (const [name, t] of [
      ['x', x],
      ['y', y],
    ] as const) {
      if (t.dtype === 'float32' || t.dtype === 'float64') {
        try {
          assertFinite({ data: t.toTypedArray(), shape: t.shape }, name);
        } catch (e) {
          fail(op, (e as Error).message.replace(/^\[assertFinite\] /, ''));
        }
      }
    }
  }

  // ---- fit ----

  /**
   * Starts fit's generators: from a checkpoint (weights, optimizer, history, RNG states; the contents stay alive
   * for the callbacks' tensors and are the caller's to dispose), else from the seed.
   */
  private restoreOrSeed(
    opts: FitOptions,
    loaderGen: unknown,
  ): { initialEpoch: number; resumeState: TrainerState | null; resumeCk: CheckpointContents | null } {
    let initialEpoch = opts.initialEpoch ?? 0;
    let resumeState: TrainerState | null = null;
    this.history = new History();
    this.resumed = false;
    let resumeCk: CheckpointContents | null = null;
    if (opts.resumeFrom !== undefined) {
      const ck = loadCheckpoint(opts.resumeFrom);
      resumeCk = ck;
      try {
        this.module.loadStateDict(ck.model);
        if (ck.optimizer !== null) {
          check(
            ck.optimizer.name === this.optimizer.name,
            'fit',
            () => `checkpoint optimizer is ${ck.optimizer!.name}, the trainer's is ${this.optimizer.name}`,
          );
          this.optimizer.loadStateDict(ck.optimizer);
        }
      } catch (e) {
        disposeCheckpoint(ck);
        throw e;
      }
      resumeState = ck.trainer;
      if (resumeState !== null) {
        initialEpoch = resumeState.epoch;
        this.history = History.fromJSON(resumeState.history);
        const rng = resumeState.rng;
        if (rng.default) defaultGenerator.setState(rng.default);
        if (rng.shuffle) this.shuffleGenerator.setState(rng.shuffle);
        if (rng.loader && loaderGen instanceof Generator) loaderGen.setState(rng.loader);
      }
      this.resumed = true;
    } else if (opts.seed !== undefined) {
      defaultGenerator.manualSeed(opts.seed);
      this.shuffleGenerator = new Generator(opts.seed);
    } else this.shuffleGenerator = new Generator(defaultGenerator.nextU32());

    return { initialEpoch, resumeState, resumeCk };
  }

  /**
   * fit's data: tensors (split into train and validation parts when asked) or a batch source. `owned` are the
   * views fit made and disposes at the end.
   */
  private fitData(a: Tensor | BatchSource, b: Tensor | undefined, opts: FitOptions): FitData {
    let trainX: Tensor | null = null;
    let trainY: Tensor | null = null;
    let trainW: Tensor | null = null;
    let source: BatchSource | null = null;
    let valData: readonly Tensor[] | BatchSource | null = opts.validationData ?? null;
    const owned: Tensor[] = [];
    if (a instanceof Tensor) {
      const y = b as Tensor;
      this.checkData('fit', a, y, opts.sampleWeight);
      trainX = a;
      trainY = y;
      trainW = opts.sampleWeight ?? null;
      const split = opts.validationSplit ?? 0;
      check(split >= 0 && split < 1, 'fit', () => `validationSplit must be in [0, 1), got ${split}`);
      if (split > 0) {
        check(valData === null, 'fit', () => 'give validationSplit or validationData, not both');
        const n = a.shape[0]!;
        const at = Math.floor(n * (1 - split));
        check(at > 0 && at < n, 'fit', () => `validationSplit ${split} of ${n} samples leaves an empty part`);
        const parts = [
          a.narrow(0, 0, at),
          y.narrow(0, 0, at),
          a.narrow(0, at, n - at),
          y.narrow(0, at, n - at),
        ];
        owned.push(...parts);
        [trainX, trainY] = [parts[0]!, parts[1]!];
        valData = [parts[2]!, parts[3]!];
        if (trainW !== null) {
          const tw = trainW.narrow(0, 0, at);
          const vw = trainW.narrow(0, at, n - at);
          owned.push(tw, vw);
          trainW = tw;
          valData = [parts[2]!, parts[3]!, vw];
        }
      }
    } else {
      check(
        a !== null && typeof a === 'object' && (Symbol.iterator in a || Symbol.asyncIterator in a),
        'fit',
        () => 'expected tensors x, y or an iterable of [x, y] batches',
      );
      check(
        opts.validationSplit === undefined,
        'fit',
        () => 'validationSplit needs tensor inputs; pass validationData',
      );
      check(
        opts.sampleWeight === undefined,
        'fit',
        () => 'sampleWeight needs tensor inputs; put weights in the batches',
      );
      source = a;
    }

    return { trainX, trainY, trainW, source, valData, owned };
  }

  /** Trains on tensors `x`, `y`, or on a batch source (DataLoader, array of [x, y(, w)] batches). */
  fit(x: Tensor, y: Tensor, opts?: FitOptions): Promise<History>;
  fit(data: BatchSource, opts?: FitOptions): Promise<History>;
  async fit(a: Tensor | BatchSource, b?: Tensor | FitOptions, c?: FitOptions): Promise<History> {
    this.requireCompiled('fit');
    const tensorsIn = a instanceof Tensor;
    if (tensorsIn)
      check(
        b instanceof Tensor,
        'fit',
        () =>
          `fit(x, y, options): y must be a Tensor of targets, got ${describeArg(b)}${
            b instanceof BigInt64Array || b instanceof BigUint64Array
              ? '; 64-bit integer labels: wrap them with ts.tensor(y) (stored as int32, every value range-checked)'
              : '; for a batch source use fit(data, options)'
          }`,
      );
    else
      check(
        c === undefined,
        'fit',
        () => 'fit(data, options) takes two arguments; for tensors use fit(x, y, options)',
      );
    const opts: FitOptions = (tensorsIn ? c : (b as FitOptions | undefined)) ?? {};
    checkOptionKeys('fit', opts, FIT_KEYS);
    const stopOnNaN = opts.terminateOnNaN ?? this.terminateOnNaN;
    const epochs = opts.epochs ?? 1;
    const batchSize = opts.batchSize ?? 32;
    check(
      Number.isInteger(epochs) && epochs >= 0,
      'fit',
      () => `epochs must be an integer >= 0, got ${epochs}`,
    );
    check(
      Number.isInteger(batchSize) && batchSize > 0,
      'fit',
      () => `batchSize must be a positive integer, got ${batchSize}`,
    );

    const { trainX, trainY, trainW, source, valData, owned } = this.fitData(
      a,
      tensorsIn ? (b as Tensor) : undefined,
      opts,
    );

    const loaderGen = source !== null ? (source as { generator?: unknown }).generator : undefined;
    const start = this.restoreOrSeed(opts, loaderGen);
    const { initialEpoch, resumeState } = start;
    let resumeCk = start.resumeCk;
    const resumeTensors = resumeCk?.callbackTensors ?? {};

    // Callbacks.
    const callbacks: Callback[] = [...(opts.callbacks ?? [])];
    const verbose = opts.verbose ?? 1;
    if (verbose > 0 && !callbacks.some((cb) => cb instanceof ProgressBar))
      callbacks.push(new ProgressBar({ mode: verbose === 2 ? 'epoch' : 'auto' }));
    for (const cb of callbacks) cb.setTrainer(this);

    this.epochs = epochs;
    this.stopTraining = false;
    const shuffle = opts.shuffle ?? true;
    this.stepsPerEpoch =
      trainX !== null
        ? Math.ceil(trainX.shape[0]! / batchSize)
        : typeof (source as unknown as { length?: unknown }).length === 'number'
          ? (source as unknown as { length: number }).length
          : null;

    try {
      for (const cb of callbacks) await cb.onTrainBegin({});
      if (resumeState !== null) {
        // Matched by class name and order among callbacks of that class, not by position: a run resumed with
        // one callback more or less (a TensorBoard logger, a progress bar) still gets every state back.
        const saved = resumeState.callbacks;
        const seen = new Map<string, number>();
        callbacks.forEach((cb) => {
          const name = cb.constructor.name;
          const k = seen.get(name) ?? 0;
          seen.set(name, k + 1);
          let i = -1;
          for (let j = 0, n = 0; j < saved.length; j++)
            if (saved[j]!.name === name && n++ === k) {
              i = j;
              break;
            }
          const s = saved[i];
          if (s === undefined) return;
          if (s.state !== null) cb.setState(s.state);
          const prefix = `${i}.`;
          const mine = Object.entries(resumeTensors).filter(([k]) => k.startsWith(prefix));
          if (mine.length > 0)
            cb.setTensors(Object.fromEntries(mine.map(([k, t]) => [k.slice(prefix.length), t])));
        });
      }
      if (resumeCk !== null) {
        disposeCheckpoint(resumeCk);
        resumeCk = null;
      }
      let lastLogs: Logs = {};
      for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
        this.module.train(true);
        this.resetMetrics();
        const epochStart = performance.now();
        for (const cb of callbacks) await cb.onEpochBegin(epoch, {});
        let seen = 0;
        let lossSum = 0;
        let step = 0;
        const runBatch = async (
          make: () => [Tensor, Tensor, Tensor | null],
          size: number,
          owns: Tensor[],
        ) => {
          for (const cb of callbacks) await cb.onTrainBatchBegin(step, { size });
          let logs: Logs;
          try {
            logs = scope(() => {
              const [bx, by, bw] = make();
              return this.trainStep(this.makeBatch(bx, by, bw, opts.classWeight));
            });
          } finally {
            for (const t of owns) t.dispose();
          }
          if (stopOnNaN && !Number.isFinite(logs.loss!))
            throw new TrainingDivergedError(
              `the loss is ${logs.loss} at epoch ${epoch} (0-based), step ${step}; training stopped before the next step. ` +
                'Lower the learning rate, clip gradients (compile clipNorm), or check the data; ' +
                'terminateOnNaN: false trains on regardless',
              epoch,
              step,
              this.history,
            );
          seen += size;
          lossSum += logs.loss! * size;
          const batchLogs: Logs = { ...logs, size, batch: step, meanLoss: lossSum / seen };
          for (const cb of callbacks) await cb.onTrainBatchEnd(step, batchLogs);
          step++;
        };
        if (trainX !== null) {
          let order: Int32Array | null = null;
          if (shuffle) {
            const n = trainX.shape[0]!;
            order = new Int32Array(n);
            for (let i = 0; i < n; i++) order[i] = i;
            // Fisher-Yates from the seeded generator (same order for the same generator state).
            for (let i = n - 1; i > 0; i--) {
              const j = this.shuffleGenerator.int(0, i + 1);
              const t = order[i]!;
              order[i] = order[j]!;
              order[j] = t;
            }
          }
          for (const { size, make } of this.tensorBatches(trainX, trainY!, trainW, batchSize, order)) {
            await runBatch(make, size, []);
            if (this.stopTraining) break;
          }
        } else {
          const owns = opts.disposeBatches ?? isAsyncIterable(source);
          for await (const raw of source as AsyncIterable<readonly Tensor[]>) {
            const arr = this.checkBatch('fit', raw);
            await runBatch(() => [arr[0]!, arr[1]!, arr[2] ?? null], arr[0]!.shape[0]!, owns ? [...arr] : []);
            if (this.stopTraining) break;
          }
        }
        check(seen > 0 || this.stopTraining, 'fit', () => 'the training data produced no batch');
        if (stopOnNaN) {
          // A last step can leave the weights non-finite with a finite loss; never go on (or checkpoint) so.
          const bad = noGrad(() => nonFiniteWeight(this.module));
          if (bad !== null)
            throw new TrainingDivergedError(
              `the weights are not finite after epoch ${epoch} (0-based): ${bad}; training stopped, no checkpoint written. ` +
                'Lower the learning rate or clip gradients; terminateOnNaN: false trains on regardless',
              epoch,
              null,
              this.history,
            );
        }
        const logs: Logs = { loss: seen > 0 ? lossSum / seen : Number.NaN, ...this.metricResults() };
        if (valData !== null) Object.assign(logs, await this.evaluateSource(valData, batchSize, 'val_'));
        // Callbacks may add to the logs (the lr), so the history records them afterwards, as Keras' History does.
        for (const cb of callbacks) await cb.onEpochEnd(epoch, logs);
        this.history.append(epoch, logs, (performance.now() - epochStart) / 1000);
        lastLogs = logs;
        const every = opts.checkpointEvery ?? 1;
        if (
          opts.checkpointDir !== undefined &&
          ((epoch + 1 - initialEpoch) % every === 0 || epoch + 1 === epochs)
        )
          this.saveCheckpoint(opts.checkpointDir, epoch + 1, callbacks, loaderGen, opts.checkpointKeep);
      }
      for (const cb of callbacks) await cb.onTrainEnd(lastLogs);
    } finally {
      if (resumeCk !== null) disposeCheckpoint(resumeCk);
      for (const t of owned) t.dispose();
      this.module.train(true);
    }
    return this.history;
  }

  /** The step's batch as [x, y(, w)] with matching batch sizes. */
  private checkBatch(op: string, raw: readonly Tensor[]): readonly Tensor[] {
    check(
      isTensorPair(raw),
      op,
      () =>
        `each batch must be [x, y] or [x, y, sampleWeight] tensors, got ${Array.isArray(raw) ? `${raw.length} items` : typeof raw}`,
    );
    this.checkData(op, raw[0]!, raw[1]!, raw[2]);
    return raw;
  }

  /** The trainer's checkpoint state (what trainer.json holds). */
  trainerState(epoch: number, callbacks: readonly Callback[], loaderGen?: unknown): TrainerState {
    const rng: Record<string, number[]> = {
      default: defaultGenerator.getState(),
      shuffle: this.shuffleGenerator.getState(),
    };
    if (loaderGen instanceof Generator) rng.loader = loaderGen.getState();
    return {
      epoch,
      rng,
      history: this.history.toJSON(),
      callbacks: callbacks.map((cb) => ({ name: cb.constructor.name, state: cb.getState() ?? null })),
    };
  }

  private saveCheckpoint(
    root: string,
    epoch: number,
    callbacks: readonly Callback[],
    loaderGen: unknown,
    keep: number | undefined,
  ): void {
    saveCheckpoint(
      root,
      {
        model: this.module,
        optimizer: this.optimizer,
        trainer: this.trainerState(epoch, callbacks, loaderGen),
        training: this.compileConfig,
        callbackTensors: callbackTensors(callbacks),
      },
      { keep },
    );
  }

  // ---- evaluate / predict ----

  private async evaluateSource(
    data: readonly Tensor[] | BatchSource,
    batchSize: number,
    prefix: string,
  ): Promise<Logs> {
    if (isTensorPair(data)) {
      return this.evaluate(data[0]!, data[1]!, { batchSize, sampleWeight: data[2] }, prefix);
    }
    return this.evaluateDataset(data as BatchSource, { prefix });
  }

  /** Loss and metrics over tensors, in eval mode without gradients, batched. Keys: 'loss' and metric names. */
  evaluate(x: Tensor, y: Tensor, opts: EvaluateOptions = {}, prefix = ''): Logs {
    this.requireCompiled('evaluate');
    checkOptionKeys('evaluate', opts, EVALUATE_KEYS);
    this.checkData('evaluate', x, y, opts.sampleWeight);
    const bs = opts.batchSize ?? 32;
    const sw = opts.sampleWeight ?? null;
    this.module.train(false);
    this.resetMetrics();
    let lossSum = 0;
    let seen = 0;
    try {
      for (const { size, make } of this.tensorBatches(x, y, sw, bs, null)) {
        const logs = scope(() => {
          const [bx, by, bw] = make();
          return this.testStep({ x: bx, y: by, sampleWeight: bw });
        });
        lossSum += logs.loss! * size;
        seen += size;
      }
    } finally {
      this.module.train(true);
    }
    return { [`${prefix}loss`]: seen > 0 ? lossSum / seen : Number.NaN, ...this.metricResults(prefix) };
  }

  /**
   * Loss and metrics over a batch source ([x, y(, w)] batches). Batches of an async source (a DataLoader) are
   * disposed after use unless `disposeBatches` says otherwise; those of a sync source (an array) are not.
   */
  async evaluateDataset(
    data: BatchSource,
    opts: { prefix?: string; disposeBatches?: boolean } = {},
  ): Promise<Logs> {
    const prefix = opts.prefix ?? '';
    const owns = opts.disposeBatches ?? isAsyncIterable(data);
    this.requireCompiled('evaluate');
    this.module.train(false);
    this.resetMetrics();
    let lossSum = 0;
    let seen = 0;
    try {
      const it = isAsyncIterable(data) ? data : (data as Iterable<readonly Tensor[]>);
      for await (const raw of it) {
        const arr = this.checkBatch('evaluate', raw);
        const n = arr[0]!.shape[0]!;
        let logs: Logs;
        try {
          logs = this.testStep({ x: arr[0]!, y: arr[1]!, sampleWeight: arr[2] ?? null });
        } finally {
          if (owns) for (const t of arr) t.dispose();
        }
        lossSum += logs.loss! * n;
        seen += n;
      }
    } finally {
      this.module.train(true);
    }
    return { [`${prefix}loss`]: seen > 0 ? lossSum / seen : Number.NaN, ...this.metricResults(prefix) };
  }

  /** Outputs for `x` in eval mode without gradients, computed in batches and concatenated. */
  predict(x: Tensor, opts: { batchSize?: number } = {}): Tensor {
    check(x instanceof Tensor && x.ndim >= 1, 'predict', () => 'x must be a tensor with a batch dimension');
    checkOptionKeys('predict', opts, ['batchSize']);
    const bs = opts.batchSize ?? 32;
    const n = x.shape[0]!;
    this.module.train(false);
    try {
      // Each batch in its own scope: only its output survives, not the intermediates of the whole set.
      const outs: Tensor[] = [];
      for (let s = 0; s < n; s += bs) {
        outs.push(scope(() => this.predictStep(x.narrow(0, s, Math.min(bs, n - s))).contiguous()));
      }
      if (outs.length === 1) return outs[0]!;
      const all = noGrad(() => cat(outs, 0));
      for (const o of outs) o.dispose();
      return all;
    } finally {
      this.module.train(true);
    }
  }
}

/** Wraps a module in a Trainer and compiles it: `const model = compile(net, { optimizer: 'adam', loss: 'mse' })`. */
export function compile(module: TrainableModule, cfg: CompileConfig): Trainer {
  return new Trainer(module).compile(cfg);
}
