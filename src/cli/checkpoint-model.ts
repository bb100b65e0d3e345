/**
 * A trained run's checkpoint directory, as `tensorscript train` writes it:
 *
 *   config.json, model.safetensors, optimizer.*   the training checkpoint (src/train writeCheckpoint)
 *   run.json            the validated run config (data, model, loss, optimizer, training, evaluation)
 *   preprocess.json     fitted preprocessing (scaler/encoders, image normalisation, tokenizer settings)
 *   labels.json         task, class names, target kind, how outputs become probabilities
 *   tokenizer.json      the tokenizer vocabulary (text sources), also inside preprocess.json
 *   history.json        the training History (saveHistory)
 *
 * `loadCheckpointModel(dir)` rebuilds the model and the preprocessing so a checkpoint can serve predictions.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as ts from '../index.ts';
import { type RunConfig, validateConfig } from './config.ts';
import {
  type PredictRecord,
  type PreprocessJSON,
  type Preprocessor,
  preprocessorFromJSON,
} from './preprocess.ts';
import type { Task } from './sources.ts';
import {
  classProbabilities,
  type Outputs,
  type OutputTransform,
  predictedClass,
  type TargetKind,
  toOutputs,
} from './task.ts';

export interface LabelsJSON {
  task: Task;
  classes: string[] | null;
  targetKind: TargetKind;
  outputTransform: OutputTransform;
  threshold: number;
}

/** One prediction: the class and its probabilities (classification) or the value (regression). */
export type Prediction =
  | { label: string; index: number; probabilities: Record<string, number> }
  | { value: number | number[] };

export interface CheckpointModel {
  model: ts.nn.AnyModule;
  config: RunConfig;
  task: Task;
  /** Class names (index = class id), or null for regression. */
  labels: string[] | null;
  preprocessor: Preprocessor;
  /** Records (CSV/JSON rows, image bytes or pixel arrays, texts) -> the model's input tensor. */
  preprocess(records: readonly PredictRecord[]): ts.Tensor;
  /** Raw model outputs -> probabilities or values. */
  outputs(out: ts.Tensor): Outputs;
  /** Records -> predictions, batched, in eval mode without gradients. */
  predict(records: readonly PredictRecord[], opts?: { batchSize?: number }): Prediction[];
  info: LabelsJSON;
}

/** The checkpoint directory a path means: the directory itself or a run output directory holding `checkpoint/`. */
export function resolveRunCheckpoint(path: string): string {
  if (existsSync(join(path, 'run.json'))) return path;
  if (existsSync(join(path, 'checkpoint', 'run.json'))) return join(path, 'checkpoint');
  throw new ts.TensorScriptError(
    'loadCheckpointModel',
    `${path} is not a run checkpoint (expected run.json in it or in ${join(path, 'checkpoint')})`,
  );
}

function readJsonFile<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new ts.TensorScriptError('loadCheckpointModel', `cannot read ${path}: ${(e as Error).message}`);
  }
}

export interface SaveRunInput {
  model: ts.nn.AnyModule;
  optimizer: ts.optim.Optimizer | null;
  config: RunConfig;
  preprocessor: Preprocessor;
  labels: LabelsJSON;
  history: ts.History;
}

/**
 * Writes a run checkpoint directory atomically: everything goes into a temporary sibling directory, which then
 * replaces `dir` (so an interrupted save leaves the previous checkpoint whole).
 */
export function saveRunCheckpoint(dir: string, input: SaveRunInput): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  try {
    ts.train.writeCheckpoint(tmp, {
      model: input.model,
      optimizer: input.optimizer,
      training: {
        loss: input.config.loss as ts.nn.JsonValue,
        optimizer: input.config.optimizer as ts.nn.JsonValue,
      },
    });
    const pre = input.preprocessor.toJSON();
    writeFileSync(join(tmp, 'run.json'), `${JSON.stringify(input.config, null, 2)}\n`);
    writeFileSync(join(tmp, 'preprocess.json'), `${JSON.stringify(pre)}\n`);
    writeFileSync(join(tmp, 'labels.json'), `${JSON.stringify(input.labels, null, 2)}\n`);
    if (pre.kind === 'text') writeFileSync(join(tmp, 'tokenizer.json'), `${JSON.stringify(pre.tokenizer)}\n`);
    ts.saveHistory(join(tmp, 'history.json'), input.history);
    if (existsSync(dir)) {
      const old = `${tmp}.old`;
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Loads a run checkpoint (the `checkpoint/` directory `tensorscript train` writes, or the run output directory
 * above it): the model with its weights, in eval mode, and the fitted preprocessing.
 */
export function loadCheckpointModel(path: string): CheckpointModel {
  const dir = resolveRunCheckpoint(path);
  const config = validateConfig(readJsonFile<unknown>(join(dir, 'run.json')), join(dir, 'run.json'));
  const preprocessor = preprocessorFromJSON(readJsonFile<PreprocessJSON>(join(dir, 'preprocess.json')));
  const info = readJsonFile<LabelsJSON>(join(dir, 'labels.json'));
  const model = ts.train.loadModelFromCheckpoint(dir);
  model.train(false);
  const nClasses = info.classes?.length ?? 0;
  const outputs = (out: ts.Tensor) => toOutputs(out, info.outputTransform, info.task);
  const preprocess = (records: readonly PredictRecord[]) => preprocessor.records(records);
  const predict = (records: readonly PredictRecord[], opts: { batchSize?: number } = {}): Prediction[] => {
    const bs = opts.batchSize ?? 256;
    const preds: Prediction[] = [];
    for (let s = 0; s < records.length; s += bs) {
      const o = ts.scope(() =>
        ts.noGrad(() => {
          const x = preprocess(records.slice(s, s + bs));
          return outputs((model as unknown as { call(x: ts.Tensor): ts.Tensor }).call(x));
        }),
      );
      for (let r = 0; r < o.rows; r++) {
        if (info.task === 'regression') {
          const row = Array.from(o.values.subarray(r * o.cols, (r + 1) * o.cols));
          preds.push({ value: row.length === 1 ? row[0]! : row });
        } else {
          const classes = info.classes!;
          const probs = classProbabilities(o, r, nClasses);
          const k = predictedClass(o, r, nClasses, info.threshold);
          preds.push({
            label: classes[k] ?? String(k),
            index: k,
            probabilities: Object.fromEntries(classes.map((c, i) => [c, probs[i] ?? 0])),
          });
        }
      }
    }
    return preds;
  };
  return {
    model,
    config,
    task: info.task,
    labels: info.classes,
    preprocessor,
    preprocess,
    outputs,
    predict,
    info,
  };
}
