/**
 * `saving.fit`: train a saved model in code from the same description a YAML run config gives the CLI (data
 * source, model, loss, optimizer, training and evaluation settings): preprocessing fitted on the training split
 * only, the model trained, scored on the test split, and a SavedModel with task, model card (raw feature
 * statistics, metrics, config) and history, which `save(dir)` writes exactly as `tensorscript train` does; the
 * CLI's train command runs through these same functions.
 */
import { TensorScriptError } from '../core/errors.ts';
import { checkOptionKeys } from '../core/options.ts';
import { manualSeed } from '../core/rng.ts';
import type { Preprocessor } from '../data/preprocess/records.ts';
import { checkDistillSpec, type DistillSpec, prepareDistillation } from '../distill/saved-teacher.ts';
import { type AnyModule, type JsonValue, type ModuleConfig, moduleToConfig } from '../nn/module.ts';
import type { NamedOptimizerOptions, Optimizer } from '../optim/index.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Callback } from '../train/callback.ts';
import { EarlyStopping, type EarlyStoppingOptions } from '../train/callbacks.ts';
import { trainingStateFiles } from '../train/checkpoint.ts';
import type { LossSpec } from '../train/losses.ts';
import { ProgressBar, type ProgressStream } from '../train/progress.ts';
import { scheduleCallback } from '../train/schedules.ts';
import {
  type CompileConfig,
  callbackTensors,
  compile,
  type History,
  type TrainableModule,
  type Trainer,
  type FitOptions as TrainerFitOptions,
} from '../train/trainer.ts';
import { buildModel, targetWidth } from './auto-sizes.ts';
import { type CardPrivacy, makeCard } from './card.ts';
import { resolveSavedModel } from './load.ts';
import { SavedModel, type TaskInfo } from './saved-model.ts';
import { scoreOutputs } from './scores.ts';
import { type DataSpec, loadData, type Source } from './sources.ts';
import {
  isRegressionLoss,
  type LossConfig,
  lossName,
  type Outputs,
  outputTransform,
  targetKind,
  targetTensor,
  toOutputs,
} from './task.ts';

/** The `training` section: fit's settings (defaults as the CLI's). */
export interface TrainingSpec {
  epochs?: number;
  batchSize?: number;
  /** Fraction of the training split (its last rows, Keras' rule) held out as validation data each epoch. */
  validationSplit?: number;
  shuffle?: boolean;
  /** 0 silent, 1 progress bar, 2 one line per epoch (shown only with a `progress` stream). */
  verbose?: 0 | 1 | 2;
  /** Loss weight per class index: { 0: 1, 1: 3 }. */
  classWeight?: Record<string, number>;
  earlyStopping?: EarlyStoppingOptions;
  /** A registered schedule and its options: { name: 'cosine', etaMin: 0.001 }. */
  lrSchedule?: { name: string; [option: string]: unknown };
  clipNorm?: number;
  clipValue?: number;
}

/** The `evaluation` section. */
export interface EvaluationSpec {
  /** Metrics tracked during training (Keras names). */
  metrics?: string[];
  /** Binary classification threshold on the positive-class probability (default 0.5). */
  threshold?: number;
  batchSize?: number;
}

export interface FitOptions {
  /** A name for the run (run.json's `name`; default 'model'). */
  name?: string;
  seed?: number;
  data: DataSpec;
  /** A layer-registry config (`{ className, config }`) or a module built in code. */
  model: ModuleConfig | AnyModule;
  loss: LossConfig;
  optimizer: { name: string } & NamedOptimizerOptions;
  training?: TrainingSpec;
  evaluation?: EvaluationSpec;
  /** Callbacks added after the ones the training section asks for. */
  callbacks?: Callback[];
  /** Where the progress bar goes (default: none). */
  progress?: ProgressStream;
  /** What run.json holds (default: these options as JSON; in-memory data is described, not copied). */
  runConfig?: JsonValue;
  /**
   * Continue the run a saved model (saved by fit or `tensorscript train`) or a training checkpoint ended:
   * weights, optimizer state, RNG states, history and callback states come from it, and training runs on to
   * `training.epochs` in all, so the result equals one uninterrupted run of that many epochs bit for bit.
   */
  resumeFrom?: string;
  /**
   * Train this model as the student of a saved teacher (Hinton-style soft targets on logits, src/distill): the
   * teacher's directory or SavedModel, `temperature` and `alpha`. The student reads the data through the
   * teacher's preprocessing.
   */
  distill?: DistillSpec;
}

const FIT_KEYS = [
  'name',
  'seed',
  'data',
  'model',
  'loss',
  'optimizer',
  'training',
  'evaluation',
  'callbacks',
  'progress',
  'runConfig',
  'resumeFrom',
  'distill',
];
const TRAINING_KEYS = [
  'epochs',
  'batchSize',
  'validationSplit',
  'shuffle',
  'verbose',
  'classWeight',
  'earlyStopping',
  'lrSchedule',
  'clipNorm',
  'clipValue',
];
const EVALUATION_KEYS = ['metrics', 'threshold', 'batchSize'];

type Filled = Required<
  Pick<TrainingSpec, 'epochs' | 'batchSize' | 'validationSplit' | 'shuffle' | 'verbose'>
> &
  TrainingSpec;

function trainingDefaults(t: TrainingSpec | undefined): Filled {
  return { epochs: 1, batchSize: 32, validationSplit: 0, shuffle: true, verbose: 1, ...t };
}

function evaluationDefaults(
  e: EvaluationSpec | undefined,
): Required<Omit<EvaluationSpec, 'metrics'>> & EvaluationSpec {
  return { threshold: 0.5, batchSize: 256, ...e };
}

/** The options refused when a key is unknown (with a did-you-mean), before any data is read. */
export function checkFitOptions(opts: FitOptions): void {
  checkOptionKeys('saving.fit', opts, FIT_KEYS);
  checkOptionKeys('saving.fit training', opts.training, TRAINING_KEYS);
  checkOptionKeys('saving.fit evaluation', opts.evaluation, EVALUATION_KEYS);
  if (opts.distill !== undefined) checkDistillSpec(opts.distill);
  if (opts.data === undefined || opts.data === null)
    throw new TensorScriptError(
      'saving.fit',
      'data is required: { source: "csv", path, label } or another source',
    );
}

/** The source's task must be the loss's (a number label with crossEntropy is a class label, with mse a target). */
export function checkSource(src: Source, loss: LossConfig, op = 'fit'): void {
  const reg = isRegressionLoss(loss);
  if (reg !== (src.task === 'regression'))
    throw new TensorScriptError(
      op,
      `the data is a ${src.task} task but loss "${lossName(loss)}" is ${reg ? 'a regression' : 'a classification'} loss`,
    );
  if (src.task !== 'classification') return;
  // A classifier needs two classes in its training split; one class would train a constant.
  const seen = new Set<number>();
  for (const i of src.split.train) seen.add(src.y[i]!);
  if (seen.size < 2) {
    const names = [...seen].map((k) => src.classes?.[k] ?? String(k));
    throw new TensorScriptError(
      op,
      `the training split holds a single class (${names.join(', ') || 'none'}); a classifier needs at least two`,
    );
  }
}

export interface TrainedModel {
  model: AnyModule;
  trainer: Trainer;
  history: History;
  seconds: number;
  samplesSeen: number;
  /** Optimizer, trainer and callback state at the end (the training-checkpoint files), for a later resume. */
  trainingState?: Record<string, Uint8Array | string>;
  /** The privacy guarantee of a DP-SGD run, for the model card. */
  privacy?: CardPrivacy;
  /** The callbacks fit ran with (their states go into trainer.json when no trainingState is given). */
  callbacks?: readonly Callback[];
}

/** How one model is trained on (x, y): trainModel, or a caller's own loop (the CLI's DP-SGD run). */
export type TrainFn = (
  x: Tensor,
  y: Tensor,
  run: { seed: number; progress?: ProgressStream; nClasses?: number },
) => Promise<TrainedModel>;

/** The directory a resume reads: a saved model's current version directory, or a training checkpoint. */
export function resumeDir(path: string): string {
  try {
    return resolveSavedModel(path).dir;
  } catch {
    return path;
  }
}

/** The training-checkpoint files, serialised now (the optimizer and callbacks may change afterwards). */
function snapshotTraining(trainer: Trainer, callbacks: readonly Callback[], epochs: number) {
  const out: Record<string, Uint8Array | string> = {};
  const files = trainingStateFiles({
    optimizer: trainer.optimizer,
    trainer: trainer.trainerState(epochs, callbacks),
    callbackTensors: callbackTensors(callbacks),
  });
  for (const [name, make] of files) out[name] = make();
  return out;
}

function callbacksFor(t: Filled, progress: ProgressStream | undefined, opt: Optimizer): Callback[] {
  const cbs: Callback[] = [];
  if (t.verbose > 0 && progress !== undefined)
    cbs.push(new ProgressBar({ stream: progress, mode: t.verbose === 2 ? 'epoch' : 'auto' }));
  if (t.earlyStopping !== undefined) cbs.push(new EarlyStopping(t.earlyStopping));
  if (t.lrSchedule !== undefined) {
    const { name, ...options } = t.lrSchedule;
    cbs.push(scheduleCallback(name, opt, options, { epochs: t.epochs }));
  }
  return cbs;
}

/** A layer-registry config rather than a module built in code. */
function isModuleConfig(m: ModuleConfig | AnyModule): m is ModuleConfig {
  return typeof (m as { className?: unknown }).className === 'string' && !('parameters' in m);
}

/**
 * Builds a fresh model (seeded) and trains it on (x, y): one holdout run or one cross-validation fold.
 * `makeTrainer` compiles the model (a distillation run passes a Distiller's).
 */
export async function trainModel(
  opts: FitOptions,
  x: Tensor,
  y: Tensor,
  run: { seed: number; progress?: ProgressStream; nClasses?: number },
  makeTrainer: (model: TrainableModule, cfg: CompileConfig) => Trainer = compile,
): Promise<TrainedModel> {
  manualSeed(run.seed);
  // 'auto' layer sizes (inFeatures, outFeatures...) are filled from the data here.
  const model = isModuleConfig(opts.model)
    ? buildModel(opts.model, x, targetWidth(y, run.nClasses ?? 0))
    : opts.model;
  const t = trainingDefaults(opts.training);
  const trainer = makeTrainer(model as unknown as TrainableModule, {
    optimizer: opts.optimizer,
    loss: opts.loss as LossSpec,
    metrics: opts.evaluation?.metrics ?? [],
    ...(t.clipNorm === undefined ? {} : { clipNorm: t.clipNorm }),
    ...(t.clipValue === undefined ? {} : { clipValue: t.clipValue }),
  });
  const callbacks = [...callbacksFor(t, run.progress, trainer.optimizer), ...(opts.callbacks ?? [])];
  const fitOpts: TrainerFitOptions = {
    epochs: t.epochs,
    batchSize: t.batchSize,
    shuffle: t.shuffle,
    seed: run.seed,
    callbacks,
    verbose: run.progress === undefined ? 0 : t.verbose,
  };
  if (t.validationSplit > 0) fitOpts.validationSplit = t.validationSplit;
  if (t.classWeight !== undefined)
    fitOpts.classWeight = Object.fromEntries(Object.entries(t.classWeight).map(([k, v]) => [Number(k), v]));
  if (opts.resumeFrom !== undefined) fitOpts.resumeFrom = resumeDir(opts.resumeFrom);
  const start = performance.now();
  const history = await trainer.fit(x, y, fitOpts);
  const seconds = (performance.now() - start) / 1000;
  // Right after fit, before anything else draws from the generators: what a resume continues from.
  const trainingState = snapshotTraining(trainer, callbacks, history.epoch.length);
  const perEpoch = Math.floor(x.shape[0]! * (1 - t.validationSplit));
  return { model, trainer, history, seconds, samplesSeen: perEpoch * history.epoch.length, trainingState };
}

/** Model outputs on x (batched, eval mode) as probabilities or values. */
export function predictOutputs(trainer: Trainer, x: Tensor, opts: FitOptions, src: Source): Outputs {
  const out = trainer.predict(x, { batchSize: evaluationDefaults(opts.evaluation).batchSize });
  try {
    return toOutputs(out, outputTransform(opts.loss), src.task);
  } finally {
    out.dispose();
  }
}

export interface FitResult {
  /** The trained saved model: `model.save(dir)`, `model.predict(records)`. */
  model: SavedModel;
  history: History;
  /** Scores on the test split (sklearn names) and its loss. */
  metrics: Record<string, number>;
  source: Source;
  trainer: Trainer;
  /** The test split's outputs and targets (for a report). */
  test: { outputs: Outputs; y: number[]; seconds: number };
  seconds: number;
  samplesPerSec: number;
}

/** run.json of a run trained in code: the options as JSON, with in-memory tables and tensors described. */
function runConfigOf(opts: FitOptions, model: AnyModule): JsonValue {
  const d = opts.data as unknown as Record<string, unknown>;
  let data: Record<string, unknown> = { ...d };
  if (opts.data.source === 'table')
    data = { ...d, table: { rows: opts.data.table.length, columns: opts.data.table.columns } };
  if (opts.data.source === 'tensors')
    data = { ...d, x: { shape: [...opts.data.x.shape] }, y: { length: opts.data.y.length } };
  const json = {
    name: opts.name ?? 'model',
    seed: opts.seed ?? 0,
    data,
    // As given, like the CLI's run.json (the normalised config with every default is in config.json).
    model: isModuleConfig(opts.model) ? opts.model : moduleToConfig(model),
    loss: opts.loss,
    optimizer: opts.optimizer,
    training: trainingDefaults(opts.training),
    evaluation: evaluationDefaults(opts.evaluation),
    // A teacher loaded in code is described, not copied.
    ...(opts.distill === undefined
      ? {}
      : {
          distill: {
            ...opts.distill,
            teacher: typeof opts.distill.teacher === 'string' ? opts.distill.teacher : 'in-memory',
          },
        }),
  };
  return JSON.parse(JSON.stringify(json)) as JsonValue;
}

/**
 * The saved model of a holdout run: task (class names, threshold, output transform from the loss), model card
 * (fingerprint of the model input, raw feature statistics of the training split, metrics, config, privacy),
 * history and the optimizer/trainer state. `fit` and `tensorscript train` both build theirs here, so code and
 * CLI save the same files.
 */
export function savedModelOf(input: {
  source: Source;
  preprocessor: Preprocessor;
  /** The training split's model input (fingerprinted in the card). */
  trainX: Tensor;
  fit: TrainedModel;
  loss: LossConfig;
  threshold: number;
  metrics: Record<string, number>;
  runConfig: JsonValue;
}): SavedModel {
  const { source: src, fit } = input;
  const task: TaskInfo = {
    task: src.task,
    classes: src.classes,
    targetKind: targetKind(input.loss),
    outputTransform: outputTransform(input.loss),
    threshold: input.threshold,
  };
  const card = makeCard({
    x: {
      data: Float32Array.from(input.trainX.toTypedArray() as ArrayLike<number>),
      shape: input.trainX.shape,
    },
    features: src.rawStats(src.split.train),
    metrics: input.metrics,
    config: input.runConfig,
    ...(fit.privacy === undefined ? {} : { privacy: { ...fit.privacy } }),
  });
  // A training loop that returns its callbacks but no snapshot (the CLI's) is snapshotted here: nothing since
  // its fit has drawn from the generators (prediction and evaluation run in eval mode).
  const trainingState =
    fit.trainingState ??
    (fit.callbacks === undefined
      ? null
      : snapshotTraining(fit.trainer, fit.callbacks, fit.history.epoch.length));
  return new SavedModel({
    model: fit.model,
    preprocessor: input.preprocessor,
    task,
    card,
    runConfig: input.runConfig,
    history: fit.history.toJSON() as unknown as JsonValue,
    trainingState,
  });
}

/**
 * Trains on a loaded source's training split (preprocessing fitted on it alone) and scores the test split:
 * the holdout run of `fit` and of `tensorscript train`.
 */
export async function fitSource(
  src: Source,
  opts: FitOptions,
  train: TrainFn = (x, y, run) => trainModel(opts, x, y, run),
): Promise<FitResult> {
  checkSource(src, opts.loss);
  const seed = opts.seed ?? 0;
  const kind = targetKind(opts.loss);
  const nClasses = src.classes?.length ?? 0;
  const ev = evaluationDefaults(opts.evaluation);
  const pre = src.fit(src.split.train);
  const trainX = src.x(pre, src.split.train);
  const trainY = targetTensor(src.y, src.split.train, kind, nClasses);
  const testRows = src.split.test;
  const testX = src.x(pre, testRows);
  const testY = targetTensor(src.y, testRows, kind, nClasses);
  try {
    const fit = await train(trainX, trainY, {
      seed,
      nClasses,
      ...(opts.progress === undefined ? {} : { progress: opts.progress }),
    });
    const yTest = Array.from(testRows, (i) => src.y[i]!);
    const evalStart = performance.now();
    // A run on every row (split.testFraction 0) has no test split to predict or score.
    const outputs: Outputs =
      testRows.length > 0
        ? predictOutputs(fit.trainer, testX, opts, src)
        : { values: new Float64Array(0), rows: 0, cols: 0 };
    const evalSeconds = (performance.now() - evalStart) / 1000;
    const metrics: Record<string, number> = {};
    if (testRows.length > 0) {
      Object.assign(metrics, scoreOutputs(src.task, src.classes, yTest, outputs, ev.threshold));
      metrics.loss = fit.trainer.evaluate(testX, testY, { batchSize: ev.batchSize }).loss!;
    }
    const model = savedModelOf({
      source: src,
      preprocessor: pre,
      trainX,
      fit,
      loss: opts.loss,
      threshold: ev.threshold,
      metrics,
      runConfig: opts.runConfig ?? runConfigOf(opts, fit.model),
    });
    return {
      model,
      history: fit.history,
      metrics,
      source: src,
      trainer: fit.trainer,
      test: { outputs, y: yTest, seconds: evalSeconds },
      seconds: fit.seconds,
      samplesPerSec: fit.samplesSeen / fit.seconds,
    };
  } finally {
    for (const t of [trainX, trainY, testX, testY]) t.dispose();
  }
}

/**
 * Trains a saved model from data (a CSV/JSON file, an image or text folder, IDX files, an in-memory table or
 * tensors) as `tensorscript train` does from a YAML config with the same sections:
 *
 *   const { model, metrics } = await ts.saving.fit({
 *     data: { source: 'csv', path: 'breast_cancer.csv', label: 'diagnosis' },
 *     model: { className: 'Sequential', config: { layers: [...] } },
 *     loss: 'bceWithLogits', optimizer: { name: 'adam', lr: 1e-3 }, training: { epochs: 20 },
 *   });
 *   model.predict([{ radius_mean: 14.2, ... }]);   // [{ label: 'benign', probabilities: {...} }]
 *   model.save('models/bc');
 */
export async function fit(opts: FitOptions): Promise<FitResult> {
  checkFitOptions(opts);
  const src = await loadData(opts.data, { seed: opts.seed ?? 0, loss: opts.loss });
  if (opts.distill === undefined) return fitSource(src, opts);
  const d = prepareDistillation(opts.distill, src);
  return fitSource(d.source, opts, (x, y, run) => trainModel(opts, x, y, run, d.makeTrainer));
}
