/**
 * A trained run's checkpoint: the library's saved model (ts.saving, docs/format.md) plus the run config the CLI
 * trained from (run.json). `tensorscript train` writes it with `saveRunCheckpoint`; evaluate, predict and serve
 * read it with `loadCheckpointModel`, which also reads the v0 layout written before the saved-model format.
 */
import * as ts from '../index.ts';
import { type RunConfig, validateConfig } from './config.ts';

export type LabelsJSON = ts.saving.TaskInfo;
export type Prediction = ts.saving.Prediction;

export interface CheckpointModel {
  saved: ts.saving.SavedModel;
  model: ts.nn.AnyModule;
  config: RunConfig;
  task: ts.saving.Task;
  /** Class names (index = class id), or null for regression. */
  labels: string[] | null;
  preprocessor: ts.data.Preprocessor;
  /** Records (CSV/JSON rows, image bytes or pixel arrays, texts) -> the model's input tensor. */
  preprocess(records: readonly ts.data.PredictRecord[]): ts.Tensor;
  /** Raw model outputs -> probabilities or values. */
  outputs(out: ts.Tensor): ts.saving.Outputs;
  /** Records -> predictions, batched, in eval mode without gradients. */
  predict(records: readonly ts.data.PredictRecord[], opts?: { batchSize?: number }): Prediction[];
  info: LabelsJSON;
}

/** The saved-model directory a path means: the directory itself or a run output directory holding `checkpoint/`. */
export function resolveRunCheckpoint(path: string): string {
  return ts.saving.resolveSavedModel(path).root;
}

export interface SaveRunInput {
  model: ts.nn.AnyModule;
  config: RunConfig;
  preprocessor: ts.data.Preprocessor;
  labels: LabelsJSON;
  history: ts.History;
  card: ts.saving.ModelCard;
}

/** Writes a run checkpoint as a saved model (crash-safe; a non-finite model never replaces a finite one). */
export function saveRunCheckpoint(dir: string, input: SaveRunInput): string {
  const saved = new ts.saving.SavedModel({
    model: input.model,
    preprocessor: input.preprocessor,
    task: input.labels,
    card: input.card,
    runConfig: input.config as unknown as ts.nn.JsonValue,
    history: input.history as unknown as ts.nn.JsonValue,
  });
  return saved.save(dir);
}

/** Wraps a saved model with its run config, the shape evaluate/predict/serve use. */
export function checkpointModel(saved: ts.saving.SavedModel, where: string): CheckpointModel {
  if (saved.runConfig === null)
    throw new ts.TensorScriptError(
      'loadCheckpointModel',
      `${where} has no run.json (it was not saved by tensorscript train)`,
    );
  const config = validateConfig(saved.runConfig, `${where}/run.json`);
  return {
    saved,
    model: saved.model,
    config,
    task: saved.task.task,
    labels: saved.classes,
    preprocessor: saved.preprocessor,
    preprocess: (records) => saved.preprocessor.records(records),
    outputs: (out) => saved.outputs(out),
    predict: (records, opts = {}) => saved.predict(records, opts),
    info: saved.task,
  };
}

/** Loads a run checkpoint (the `checkpoint/` directory `tensorscript train` writes, or the run directory above it). */
export function loadCheckpointModel(path: string): CheckpointModel {
  return checkpointModel(ts.saving.load(path), resolveRunCheckpoint(path));
}
