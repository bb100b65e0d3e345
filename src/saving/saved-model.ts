/**
 * The saved model: preprocessing + model (config and safetensors weights) + task + model card, in one versioned
 * directory that predict, evaluate and serve read (Keras 3 saving_lib with adapted preprocessing layers).
 * The directory layout and its crash-safe save are in save.ts and docs/format.md.
 */
import { noGrad } from '../autograd/node.ts';
import { TensorScriptError } from '../core/errors.ts';
import type { PredictRecord, Preprocessor, TabularPreprocessor } from '../data/preprocess/records.ts';
import type { AnyModule, JsonValue } from '../nn/module.ts';
import { scope } from '../tensor/scope.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { ModelCard } from './card.ts';
import { type SaveOptions, saveModel } from './save.ts';
import { scoreOutputs } from './scores.ts';
import {
  classProbabilities,
  type Outputs,
  type OutputTransform,
  predictedClass,
  type TargetKind,
  type Task,
  toOutputs,
} from './task.ts';

/** labels.json: what the outputs mean. */
export interface TaskInfo {
  task: Task;
  /** Class names (index = class id), or null for regression. */
  classes: string[] | null;
  targetKind: TargetKind;
  outputTransform: OutputTransform;
  /** Decision threshold of a single-output binary classifier and of each multi-label output. */
  threshold: number;
  /** One sigmoid output per class, any number of classes per sample. */
  multiLabel?: boolean;
  /** Regression targets were trained as (y - mean) / std; predictions are mapped back. */
  targetScaling?: { mean: number[]; std: number[] } | null;
}

/** One prediction: the class and its probabilities (classification) or the value (regression). */
export type Prediction =
  | { label: string; index: number; probabilities: Record<string, number> }
  | { labels: string[]; probabilities: Record<string, number> }
  | { value: number | number[] };

export interface SavedModelParts {
  model: AnyModule;
  preprocessor: Preprocessor;
  task: TaskInfo;
  card: ModelCard;
  /** The run configuration the CLI trained from (run.json), or null when trained in code. */
  runConfig?: JsonValue;
  /** The training History as JSON (history.json). */
  history?: JsonValue;
  /**
   * The optimizer, trainer and callback state at the end of training (optimizer.json, optimizer.safetensors,
   * trainer.json, callbacks.safetensors, as a training checkpoint holds them), so `saving.fit({ resumeFrom })`
   * continues the run exactly; null for a model not trained by saving.fit.
   */
  trainingState?: Record<string, Uint8Array | string> | null;
}

/** What predict, predictProba and evaluate take: raw records, or a tensor of raw rows or [0, 1] pixels. */
export type PredictInput = readonly PredictRecord[] | Tensor;

function call(model: AnyModule, x: Tensor): Tensor {
  return (model as unknown as { call(x: Tensor): Tensor }).call(x);
}

export class SavedModel {
  readonly model: AnyModule;
  readonly preprocessor: Preprocessor;
  readonly task: TaskInfo;
  card: ModelCard;
  readonly runConfig: JsonValue;
  readonly history: JsonValue;
  readonly trainingState: Record<string, Uint8Array | string> | null;

  constructor(parts: SavedModelParts) {
    this.model = parts.model;
    this.preprocessor = parts.preprocessor;
    this.task = parts.task;
    this.card = parts.card;
    this.runConfig = parts.runConfig ?? null;
    this.history = parts.history ?? null;
    this.trainingState = parts.trainingState ?? null;
    if (parts.task.task === 'classification' && (parts.task.classes?.length ?? 0) < 2)
      throw new TensorScriptError('SavedModel', 'a classifier needs at least two class names');
  }

  get classes(): string[] | null {
    return this.task.classes;
  }

  /** Raw outputs -> probabilities (classification) or values in target units (regression). */
  outputs(out: Tensor): Outputs {
    const o = toOutputs(out, this.task.outputTransform, this.task.task);
    const s = this.task.targetScaling;
    if (this.task.task === 'regression' && s != null)
      for (let i = 0; i < o.values.length; i++) {
        const c = i % o.cols;
        o.values[i] = o.values[i]! * (s.std[c] ?? s.std[0]!) + (s.mean[c] ?? s.mean[0]!);
      }
    return o;
  }

  /** Outputs of the model on an already preprocessed input, batched, in eval mode without gradients. */
  outputsOf(x: Tensor, batchSize = 256): Outputs {
    this.model.train(false);
    const n = x.shape[0]!;
    const parts: Outputs[] = [];
    for (let s = 0; s < n; s += batchSize)
      parts.push(
        scope(() => noGrad(() => this.outputs(call(this.model, x.narrow(0, s, Math.min(batchSize, n - s)))))),
      );
    const cols = parts[0]?.cols ?? 1;
    const values = new Float64Array(n * cols);
    let off = 0;
    for (const p of parts) {
      values.set(p.values, off);
      off += p.values.length;
    }
    return { values, rows: n, cols };
  }

  /**
   * Records from a tensor of raw inputs: [N, F] rows of a numeric table (columns in the preprocessor's order)
   * or [N, ...] images of [0, 1] pixels; what the model sees still goes through the preprocessing.
   */
  recordsOf(x: Tensor): PredictRecord[] {
    const n = x.shape[0] ?? 0;
    const per = n === 0 ? 0 : x.size / n;
    const v = x.toTypedArray() as ArrayLike<number>;
    const rows = Array.from({ length: n }, (_, r) =>
      Array.from({ length: per }, (_, k) => Number(v[r * per + k])),
    );
    const pre = this.preprocessor;
    if (pre.kind === 'image') return rows;
    if (pre.kind === 'tabular') {
      const tab = pre as TabularPreprocessor;
      if (tab.categorical.length > 0 || tab.numeric.length !== per)
        throw new TensorScriptError(
          'predict',
          `a tensor input needs the ${tab.numeric.length} numeric columns (${tab.numeric.join(', ')}) and no categorical ones; got ${per} values per row`,
        );
      return rows.map((row) => Object.fromEntries(tab.numeric.map((c, k) => [c, row[k]!])));
    }
    throw new TensorScriptError('predict', 'a text model takes texts, not a tensor');
  }

  /** Outputs on raw records (CSV/JSON rows, image bytes or pixel arrays, texts) or a tensor of raw inputs. */
  outputsOfRecords(input: PredictInput, batchSize = 256): Outputs {
    const records = input instanceof Tensor ? this.recordsOf(input) : input;
    this.model.train(false);
    const parts: Outputs[] = [];
    for (let s = 0; s < records.length; s += batchSize)
      parts.push(
        scope(() =>
          noGrad(() =>
            this.outputs(call(this.model, this.preprocessor.records(records.slice(s, s + batchSize)))),
          ),
        ),
      );
    const cols = parts[0]?.cols ?? 1;
    const values = new Float64Array(records.length * cols);
    let off = 0;
    for (const p of parts) {
      values.set(p.values, off);
      off += p.values.length;
    }
    for (let i = 0; i < values.length; i++)
      if (!Number.isFinite(values[i]!))
        throw new TensorScriptError(
          'predict',
          `record ${Math.floor(i / cols)}: the model output is ${values[i]} (a non-finite input or weight)`,
        );
    return { values, rows: records.length, cols };
  }

  /** Records -> predictions: class names with probabilities, or values. */
  predict(records: PredictInput, opts: { batchSize?: number } = {}): Prediction[] {
    const o = this.outputsOfRecords(records, opts.batchSize);
    const t = this.task;
    const preds: Prediction[] = [];
    for (let r = 0; r < o.rows; r++) {
      if (t.task === 'regression') {
        const row = Array.from(o.values.subarray(r * o.cols, (r + 1) * o.cols));
        preds.push({ value: row.length === 1 ? row[0]! : row });
        continue;
      }
      const classes = t.classes!;
      const probs = classProbabilities(o, r, classes.length);
      const probabilities = Object.fromEntries(classes.map((c, i) => [c, probs[i] ?? 0]));
      if (t.multiLabel === true) {
        preds.push({ labels: classes.filter((_, i) => probs[i]! > t.threshold), probabilities });
        continue;
      }
      const k = predictedClass(o, r, classes.length, t.threshold);
      preds.push({ label: classes[k] ?? String(k), index: k, probabilities });
    }
    return preds;
  }

  /** Records -> per-class probabilities keyed by class name. */
  predictProba(records: PredictInput, opts: { batchSize?: number } = {}): Record<string, number>[] {
    if (this.task.task === 'regression')
      throw new TensorScriptError(
        'predictProba',
        'a regression model has no class probabilities; use predict',
      );
    return this.predict(records, opts).map(
      (p) => (p as { probabilities: Record<string, number> }).probabilities,
    );
  }

  /**
   * Scores on labelled records: `labels` are class names (or class ids) for classifiers, values for regression.
   */
  evaluate(
    records: PredictInput,
    labels: readonly (string | number)[] | ArrayLike<number>,
    opts: { batchSize?: number } = {},
  ): Record<string, number> {
    const n = records instanceof Tensor ? (records.shape[0] ?? 0) : records.length;
    if (labels.length !== n)
      throw new TensorScriptError('evaluate', `${n} records but ${labels.length} labels`);
    const o = this.outputsOfRecords(records, opts.batchSize);
    const classes = this.task.classes;
    const y = Array.from(labels as ArrayLike<string | number>, (l, i) => {
      if (this.task.task === 'regression') return Number(l);
      const k = typeof l === 'number' && !classes!.includes(String(l)) ? l : classes!.indexOf(String(l));
      if (k < 0 || k >= classes!.length)
        throw new TensorScriptError(
          'evaluate',
          `label ${i} (${JSON.stringify(l)}) is not a class of the model (${classes!.join(', ')})`,
        );
      return k;
    });
    return scoreOutputs(this.task.task, classes, y, o, this.task.threshold);
  }

  /**
   * Saves to `dir` crash-safely (save.ts): the saved model already there stays loadable until the new one is
   * complete, and weights holding NaN or infinity are refused. `saving.load(dir)` reads it back.
   */
  save(dir: string, opts: SaveOptions = {}): string {
    return saveModel(this, dir, opts);
  }

  /** Non-finite weights, by name (empty when all are finite). */
  nonFiniteWeights(): string[] {
    const bad: string[] = [];
    for (const [k, t] of Object.entries(this.model.stateDict())) {
      if (t.dtype !== 'float32' && t.dtype !== 'float64') continue;
      const a = t.toTypedArray() as Float32Array;
      for (let i = 0; i < a.length; i++)
        if (!Number.isFinite(a[i]!)) {
          bad.push(k);
          break;
        }
    }
    return bad;
  }
}
