/**
 * `tensorscript train`: data -> (cross-validation) -> fit -> checkpoint -> test evaluation -> report.
 * Uses only the public API, so it doubles as the reference for writing the same workflow by hand.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as ts from '../index.ts';
import type { RunConfig } from './config.ts';
import type { Preprocessor } from './preprocess.ts';
import { crossValidationFolds, loadSource, type Source } from './sources.ts';
import {
  isRegressionLoss,
  type Outputs,
  outputTransform,
  predictedClass,
  scoresFor,
  targetKind,
  targetTensor,
  toOutputs,
} from './task.ts';

export interface TrainRunOptions {
  /** Output directory (overrides config.output; default runs/<name>). */
  outDir?: string;
  /** Where messages go (default process.stdout). */
  log?: (line: string) => void;
  /** Progress bar stream (default process.stdout). */
  progress?: ts.train.ProgressStream;
  /** Continue the run a saved checkpoint ended (its optimizer and trainer state) to training.epochs in all. */
  resumeFrom?: string;
}

export interface FitResult {
  model: ts.nn.AnyModule;
  trainer: ts.train.Trainer;
  history: ts.train.History;
  seconds: number;
  samplesSeen: number;
  /** The guarantee of a DP-SGD run (config.privacy), for the model card. */
  privacy?: ts.privacy.PrivacyRecord;
  /** The callbacks fit ran with: their states go into the saved model's trainer.json (resume). */
  callbacks: ts.train.Callback[];
}

export interface TrainRunResult {
  outDir: string;
  checkpointDir: string;
  reportDir: string;
  metrics: Record<string, number>;
  samplesPerSec: number;
  /** Per-fold metrics when cross-validation ran. */
  folds: Record<string, number>[];
  history: ts.train.History;
}

function buildCallbacks(
  config: RunConfig,
  progress: ts.train.ProgressStream | undefined,
  tensorboardDir?: string,
): ts.train.Callback[] {
  const t = config.training;
  const cbs: ts.train.Callback[] = [];
  // TensorBoard event files for the holdout fit (the run directory's tensorboard/), not for CV folds.
  if (tensorboardDir !== undefined) cbs.push(new ts.tracking.TensorBoard({ logDir: tensorboardDir }));
  if (t.verbose > 0 && progress !== undefined)
    cbs.push(new ts.train.ProgressBar({ stream: progress, mode: t.verbose === 2 ? 'epoch' : 'auto' }));
  if (t.earlyStopping !== undefined) {
    const e = t.earlyStopping;
    const opts: ts.train.EarlyStoppingOptions = {
      monitor: e.monitor,
      patience: e.patience,
      minDelta: e.minDelta,
      mode: e.mode,
      restoreBestWeights: e.restoreBestWeights,
    };
    if (e.baseline !== undefined) opts.baseline = e.baseline;
    if (e.startFromEpoch !== undefined) opts.startFromEpoch = e.startFromEpoch;
    cbs.push(new ts.train.EarlyStopping(opts));
  }
  return cbs;
}

/** LR schedule callbacks need the optimizer, so they are added after compile (one registry entry per schedule). */
function scheduleCallback(config: RunConfig, opt: ts.optim.Optimizer): ts.train.Callback | null {
  const s = config.training.lrSchedule;
  if (s === undefined) return null;
  const { name, ...options } = s;
  return ts.train.scheduleCallback(name, opt, options, { epochs: config.training.epochs });
}

interface FitModelOptions {
  seed: number;
  progress?: ts.train.ProgressStream;
  verbose?: 0 | 1 | 2;
  tensorboardDir?: string;
  /** Classes of the task, for an 'auto' outFeatures. */
  nClasses?: number;
  /** A run checkpoint (saved model) or training checkpoint to continue from. */
  resumeFrom?: string;
}

/** Builds a fresh model from the config and trains it on (x, y). */
export async function fitModel(
  config: RunConfig,
  x: ts.Tensor,
  y: ts.Tensor,
  opts: FitModelOptions,
): Promise<FitResult> {
  ts.manualSeed(opts.seed);
  // 'auto' layer sizes are filled from the data (ts.saving.buildModel), as saving.fit does.
  const model = ts.saving.buildModel(
    config.model as ts.nn.ModuleConfig,
    x,
    ts.saving.targetWidth(y, opts.nClasses ?? 0),
  );
  if (config.privacy !== undefined) return fitPrivate(config, model, x, y, opts);
  const { name, ...optOptions } = config.optimizer;
  const trainer = ts.train.compile(model as unknown as ts.train.TrainableModule, {
    optimizer: { name, ...(optOptions as ts.optim.NamedOptimizerOptions) },
    loss: config.loss as ts.train.LossSpec,
    metrics: config.evaluation.metrics ?? [],
    clipNorm: config.training.clipNorm,
    clipValue: config.training.clipValue,
  });
  const t = config.training;
  const callbacks = buildCallbacks(config, opts.progress, opts.tensorboardDir);
  const sched = scheduleCallback(config, trainer.optimizer);
  if (sched !== null) callbacks.push(sched);
  const fitOpts: ts.train.FitOptions = {
    epochs: t.epochs,
    batchSize: t.batchSize,
    shuffle: t.shuffle,
    seed: opts.seed,
    callbacks,
    verbose: opts.progress === undefined ? 0 : (opts.verbose ?? t.verbose),
  };
  if (t.validationSplit > 0) fitOpts.validationSplit = t.validationSplit;
  if (t.classWeight !== undefined)
    fitOpts.classWeight = Object.fromEntries(Object.entries(t.classWeight).map(([k, v]) => [Number(k), v]));
  if (opts.resumeFrom !== undefined) fitOpts.resumeFrom = ts.saving.resumeDir(opts.resumeFrom);
  const start = performance.now();
  const history = await trainer.fit(x, y, fitOpts);
  const seconds = (performance.now() - start) / 1000;
  const perEpoch = Math.floor(x.shape[0]! * (1 - t.validationSplit));
  return { model, trainer, history, seconds, samplesSeen: perEpoch * history.epoch.length, callbacks };
}

/**
 * DP-SGD (config.privacy): the optimizer and a DataLoader over (x, y) go through ts.privacy.makePrivate,
 * fit runs on its Poisson batches and stops before the target epsilon is passed.
 */
async function fitPrivate(
  config: RunConfig,
  model: ts.nn.AnyModule,
  x: ts.Tensor,
  y: ts.Tensor,
  opts: FitModelOptions,
): Promise<FitResult> {
  // The accountant's steps and the Poisson loader's state are not in the checkpoint: a resumed DP run would
  // under-count its privacy loss.
  if (opts.resumeFrom !== undefined)
    throw new ts.TensorScriptError('train', '--resume is not available for a DP-SGD run (config.privacy)');
  const p = config.privacy!;
  const t = config.training;
  const { name, ...optOptions } = config.optimizer;
  const inner = ts.optim.getOptimizer(name, model.parameters(), optOptions as ts.optim.NamedOptimizerOptions);
  const loader = new ts.data.DataLoader(new ts.data.TensorDataset(x, y), { batchSize: t.batchSize });
  const priv = ts.privacy.makePrivate(model as unknown as ts.nn.Module<never, unknown>, inner, loader, {
    maxGradNorm: p.maxGradNorm,
    noiseMultiplier: p.noiseMultiplier,
    targetEpsilon: p.targetEpsilon,
    delta: p.delta,
    epochs: t.epochs,
    secureMode: p.secureMode,
    seed: opts.seed,
  });
  const trainer = ts.train.compile(model as unknown as ts.train.TrainableModule, {
    optimizer: priv.optimizer,
    loss: config.loss as ts.train.LossSpec,
    metrics: config.evaluation.metrics ?? [],
  });
  const callbacks = [
    ...buildCallbacks(config, opts.progress, opts.tensorboardDir),
    new ts.privacy.PrivacyBudget(priv),
  ];
  const sched = scheduleCallback(config, trainer.optimizer);
  if (sched !== null) callbacks.push(sched);
  const start = performance.now();
  const history = await trainer.fit(priv.loader, {
    epochs: t.epochs,
    callbacks,
    verbose: opts.progress === undefined ? 0 : (opts.verbose ?? t.verbose),
  });
  const seconds = (performance.now() - start) / 1000;
  priv.detach();
  return {
    model,
    trainer,
    history,
    seconds,
    samplesSeen: Math.round(priv.accountant.steps * loader.batchSize),
    privacy: ts.privacy.privacyRecord(priv),
    callbacks,
  };
}

/** Scalar test metrics (sklearn names): the library's, shared with evaluate and the report. */
export const scoreOutputs = ts.saving.scoreOutputs;

/** Model outputs on x (batched, eval mode) as probabilities or values. */
export function predictOutputs(
  trainer: ts.train.Trainer,
  x: ts.Tensor,
  config: RunConfig,
  task: 'classification' | 'regression',
): Outputs {
  const out = trainer.predict(x, { batchSize: config.evaluation.batchSize });
  try {
    return toOutputs(out, outputTransform(config.loss), task);
  } finally {
    out.dispose();
  }
}

function checkTask(config: RunConfig, src: Source): void {
  const reg = isRegressionLoss(config.loss);
  if (reg !== (src.task === 'regression'))
    throw new ts.TensorScriptError(
      'train',
      `the data is a ${src.task} task but loss "${typeof config.loss === 'string' ? config.loss : config.loss.name}" is ${reg ? 'a regression' : 'a classification'} loss`,
    );
}

/** Fails before any training when the output directory cannot be written (not after a whole run). */
function checkWritable(outDir: string): void {
  const probe = join(outDir, `.write-test-${process.pid}`);
  ts.saving.fsStep('train', 'create the output directory', outDir, () => ts.saving.nodeFs.mkdir(outDir));
  ts.saving.fsStep('train', 'write into the output directory', outDir, () => {
    ts.saving.nodeFs.writeFile(probe, '');
    ts.saving.nodeFs.rm(probe);
  });
}

/** A classifier needs two classes in its training split; one class would train a constant and crash the report. */
function checkClasses(src: Source): void {
  if (src.task !== 'classification') return;
  const seen = new Set<number>();
  for (const i of src.split.train) seen.add(src.y[i]!);
  if (seen.size < 2) {
    const names = [...seen].map((k) => src.classes?.[k] ?? String(k));
    throw new ts.TensorScriptError(
      'train',
      `the training split holds a single class (${names.join(', ') || 'none'}); a classifier needs at least two`,
    );
  }
}

/** The split as another tool can reproduce or check it: the rule, the seed and a hash of the row indices. */
function splitRecord(config: RunConfig, src: Source): Record<string, unknown> {
  const hash = (rows: Int32Array) =>
    `sha256:${createHash('sha256')
      .update(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength))
      .digest('hex')}`;
  return {
    seed: config.seed,
    rule: (config.data as { split?: unknown }).split ?? 'the source default',
    indexHash: 'sha256 over the row indices as little-endian int32, in split order',
    train: { rows: src.split.train.length, hash: hash(src.split.train) },
    test: { rows: src.split.test.length, hash: hash(src.split.test), indices: Array.from(src.split.test) },
  };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** Runs a whole training workflow from a validated config; see docs/cli.md for what lands in the output dir. */
export async function runTraining(config: RunConfig, opts: TrainRunOptions = {}): Promise<TrainRunResult> {
  const log = opts.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  const progress = opts.progress ?? process.stdout;
  const outDir = opts.outDir ?? config.output ?? join('runs', config.name);
  checkWritable(outDir);
  const src = await loadSource(config);
  checkTask(config, src);
  checkClasses(src);
  log(
    `[${config.name}] data: ${src.describe}; ${src.split.train.length} train / ${src.split.test.length} test rows`,
  );
  const kind = targetKind(config.loss);
  const nClasses = src.classes?.length ?? 0;
  const threshold = config.evaluation.threshold;

  const xy = (pre: Preprocessor, rows: Int32Array) => ({
    x: src.x(pre, rows),
    y: targetTensor(src.y, rows, kind, nClasses),
  });

  // Cross-validation over all rows: preprocessing refitted on each fold's training part.
  const folds: Record<string, number>[] = [];
  const cv = config.evaluation.crossValidation;
  if (cv !== undefined) {
    const parts = crossValidationFolds(src, cv.folds, cv.stratify, config.seed);
    for (const [k, f] of parts.entries()) {
      const pre = src.fit(f.train);
      const tr = xy(pre, f.train);
      const te = src.x(pre, f.test);
      const fit = await fitModel(config, tr.x, tr.y, { seed: config.seed + k, nClasses });
      const o = predictOutputs(fit.trainer, te, config, src.task);
      const m = scoreOutputs(
        src.task,
        src.classes,
        Array.from(f.test, (i) => src.y[i]!),
        o,
        threshold,
      );
      m.epochs = fit.history.epoch.length;
      folds.push(m);
      log(
        `[${config.name}] fold ${k + 1}/${cv.folds}: ${Object.entries(m)
          .map(([n, v]) => `${n} ${fmt(v)}`)
          .join(', ')}`,
      );
      for (const t of [tr.x, tr.y, te]) t.dispose();
    }
  }

  // The holdout run: fit on the training split, save, evaluate on the test split.
  const pre = src.fit(src.split.train);
  const train = xy(pre, src.split.train);
  const testX = src.x(pre, src.split.test);
  const fit = await fitModel(config, train.x, train.y, {
    nClasses,
    ...(opts.resumeFrom === undefined ? {} : { resumeFrom: opts.resumeFrom }),
    seed: config.seed,
    progress,
    tensorboardDir: join(outDir, 'tensorboard'),
  });
  const samplesPerSec = fit.samplesSeen / fit.seconds;
  const checkpointDir = join(outDir, 'checkpoint');
  const historyJson = fit.history.toJSON();
  ts.saving.fsStep('train', 'write', join(outDir, 'split.json'), () =>
    ts.io.writeFileAtomic(join(outDir, 'split.json'), `${JSON.stringify(splitRecord(config, src))}\n`),
  );

  const testRows = src.split.test;
  const yTest = Array.from(testRows, (i) => src.y[i]!);
  const evalStart = performance.now();
  const o = predictOutputs(fit.trainer, testX, config, src.task);
  const evalSeconds = (performance.now() - evalStart) / 1000;
  const metrics = scoreOutputs(src.task, src.classes, yTest, o, threshold);
  const testY = targetTensor(src.y, testRows, kind, nClasses);
  metrics.loss = fit.trainer.evaluate(testX, testY, { batchSize: config.evaluation.batchSize }).loss!;
  // Finite weights can still be diverged ones: a last step that blew them up to 1e20 leaves the test loss
  // overflowing. Such a model is not saved (nor reported as a result with a null loss).
  if (!Number.isFinite(metrics.loss))
    throw new ts.train.TrainingDivergedError(
      `the test loss is ${metrics.loss} after ${fit.history.epoch.length} epochs: training diverged (the weights reach ${maxAbsWeight(fit.model).toPrecision(3)}); no checkpoint written. Lower the learning rate or clip gradients`,
      fit.history.epoch.length - 1,
      null,
      fit.history,
    );
  // The saved model as ts.saving.fit builds it (task, card with the raw feature statistics, optimizer and
  // trainer state), with the run config as run.json: code and CLI save the same files.
  ts.saving
    .savedModelOf({
      source: src,
      preprocessor: pre,
      trainX: train.x,
      fit,
      loss: config.loss,
      threshold,
      metrics,
      runConfig: config as unknown as ts.nn.JsonValue,
    })
    .save(checkpointDir);
  for (const t of [train.x, train.y, testX, testY]) t.dispose();
  if (folds.length > 0)
    for (const key of Object.keys(folds[0]!)) {
      const vals = folds.map((f) => f[key]!).filter((v) => v !== undefined);
      metrics[`cv_${key}_mean`] = mean(vals);
      metrics[`cv_${key}_std`] = std(vals);
    }

  const reportDir = join(outDir, 'report');
  const task: ts.ReportTask =
    src.task === 'regression' ? 'regression' : nClasses === 2 ? 'binary' : 'multiclass';
  const reportOpts: ts.ReportOptions = {
    outDir: reportDir,
    title: `${config.name}: test evaluation`,
    task,
    yTrue: yTest,
    history: historyJson,
    // the inputs behind the test rows (misclassified examples), the parameter table; the History carries
    // each epoch's seconds
    examples: src.examples(testRows),
    model: fit.model as unknown as ts.nn.Module,
    extra: {
      config: config as unknown as Record<string, unknown>,
      data: src.describe,
      trainSamples: src.split.train.length,
      testSamples: testRows.length,
      epochsRun: fit.history.epoch.length,
      trainSeconds: fit.seconds,
      trainSamplesPerSec: samplesPerSec,
      predictSamplesPerSec: testRows.length / evalSeconds,
      // (writeReport's HTML cannot show an undefined value, so the key is left out without folds.)
      ...(folds.length > 0 ? { crossValidation: folds } : {}),
    },
  };
  if (task === 'regression') reportOpts.yPred = Array.from(o.values);
  else {
    reportOpts.scores = scoresFor(o, nClasses);
    reportOpts.yPred = Array.from({ length: o.rows }, (_, r) => predictedClass(o, r, nClasses, threshold));
    reportOpts.classNames = src.classes!;
    reportOpts.threshold = threshold;
  }
  await ts.writeReport(reportOpts);

  log(`[${config.name}] checkpoint: ${checkpointDir}`);
  log(`[${config.name}] report: ${join(reportDir, 'report.html')}`);
  log(
    `[${config.name}] test: ${Object.entries(metrics)
      .map(([n, v]) => `${n} ${fmt(v)}`)
      .join(', ')}`,
  );
  log(`[${config.name}] training: ${fit.seconds.toFixed(1)} s, ${Math.round(samplesPerSec)} samples/s`);
  return { outDir, checkpointDir, reportDir, metrics, samplesPerSec, folds, history: fit.history };
}

/** The largest |weight| of a model, for the divergence message. */
function maxAbsWeight(model: ts.nn.AnyModule): number {
  let m = 0;
  for (const p of model.parameters()) {
    const d = p.toTypedArray() as ArrayLike<number>;
    for (let i = 0; i < d.length; i++) if (!(Math.abs(d[i]!) <= m)) m = Math.abs(d[i]!);
  }
  return m;
}

/** The one machine-readable line every workflow ends with. */
export function resultLine(workflow: string, metrics: Record<string, number>, samplesPerSec: number): string {
  const clean = Object.fromEntries(
    Object.entries(metrics).map(([k, v]) => [k, Number.isFinite(v) ? Number(v.toPrecision(6)) : null]),
  );
  return JSON.stringify({ workflow, metrics: clean, samplesPerSec: Math.round(samplesPerSec * 10) / 10 });
}
