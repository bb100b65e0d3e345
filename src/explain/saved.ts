/**
 * Explanations of a saved model's predictions on raw records: KernelSHAP for tabular models (against the
 * training statistics' typical record: numeric means, most frequent categories, unless background records
 * are given), integrated gradients of the predicted class's output for image models (black baseline) and
 * per-token integrated gradients for text models (zero-embedding baseline). Image and text attributions
 * explain the model's raw output (logit) of the target column, as captum does by default.
 */
import { noGrad } from '../autograd/node.ts';
import { fail } from '../core/errors.ts';
import type { PredictRecord, TextPreprocessor } from '../data/preprocess/records.ts';
import type { SavedModel } from '../saving/saved-model.ts';
import { scope } from '../tensor/scope.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { integratedGradients, tokenAttributions } from './gradients.ts';
import { kernelShap, type TabularRecord } from './tabular.ts';

export interface ExplainOptions {
  /** Integrated-gradients path intervals (default 64). */
  steps?: number;
  /** KernelSHAP coalition budget (default 2048). */
  samples?: number;
  /** KernelSHAP background records (default: one typical record from the model card). */
  background?: readonly TabularRecord[];
  seed?: number;
}

export type SavedExplanation =
  | {
      kind: 'tabular';
      method: 'kernel-shap';
      /** The class whose probability is explained (null: regression value). */
      target: string | null;
      output: number;
      base: number;
      values: Record<string, number>;
    }
  | {
      kind: 'image';
      method: 'integrated-gradients';
      target: string;
      output: number;
      baselineOutput: number;
      delta: number;
      shape: number[];
      attributions: number[];
    }
  | {
      kind: 'text';
      method: 'integrated-gradients';
      target: string;
      output: number;
      baselineOutput: number;
      delta: number;
      tokens: { token: string; attribution: number }[];
    };

/**
 * The typical record of the training data: numeric means and most frequent categories from the model card's
 * raw statistics, else from the fitted preprocessing (imputer statistics, scaler means, first category).
 */
export function typicalRecord(saved: SavedModel, features: readonly string[]): TabularRecord {
  const stats = saved.card.data.features as Record<
    string,
    { kind?: string; mean?: number; categories?: Record<string, number> }
  >;
  const p = saved.preprocessor.toJSON() as {
    numeric: string[];
    categorical: string[];
    pipeline: {
      numericImputer?: { statistics: (number | string)[] };
      scaler?: { mean?: number[]; dataMin?: number[]; dataMax?: number[] };
      categoricalImputer?: { statistics: (number | string)[] };
      oneHot?: { categories: (string | null)[][] };
    };
  };
  const pl = p.pipeline;
  const rec: Record<string, unknown> = {};
  for (const f of features) {
    const s = stats[f];
    const ni = p.numeric.indexOf(f);
    const ci = p.categorical.indexOf(f);
    if (s?.kind === 'categorical') {
      const top = Object.entries(s.categories ?? {}).sort((a, b) => b[1] - a[1])[0];
      rec[f] = top === undefined ? null : top[0];
    } else if (s !== undefined && ni >= 0 && typeof s.mean === 'number') rec[f] = s.mean;
    else if (ni >= 0) {
      const v =
        pl.numericImputer?.statistics[ni] ??
        pl.scaler?.mean?.[ni] ??
        (pl.scaler?.dataMin !== undefined
          ? (pl.scaler.dataMin[ni]! + pl.scaler.dataMax![ni]!) / 2
          : undefined);
      if (v === undefined)
        fail('explain', `no training statistics for numeric feature "${f}"; pass background records`);
      rec[f] = Number(v);
    } else if (ci >= 0) {
      const v = pl.categoricalImputer?.statistics[ci] ?? pl.oneHot?.categories[ci]?.[0];
      if (v === undefined)
        fail('explain', `no training statistics for categorical feature "${f}"; pass background records`);
      rec[f] = v;
    } else fail('explain', `"${f}" is not a feature of the model`);
  }
  return rec;
}

function targetName(saved: SavedModel, column: number, cols: number): string {
  const classes = saved.task.classes ?? [];
  if (cols === 1) return classes.length === 2 ? `${classes[1]} (logit)` : 'output';
  return classes[column] ?? String(column);
}

/** One record's explanation. */
export function explainSaved(
  saved: SavedModel,
  record: PredictRecord,
  opts: ExplainOptions = {},
): SavedExplanation {
  const kind = saved.preprocessor.kind;
  saved.model.train(false);
  if (kind === 'tabular') {
    const p = saved.preprocessor.toJSON() as { numeric: string[]; categorical: string[] };
    const features = [...p.numeric, ...p.categorical];
    if (
      record === null ||
      typeof record !== 'object' ||
      Array.isArray(record) ||
      record instanceof Uint8Array
    )
      fail('explain', 'a tabular model explains one record object with its feature columns');
    const rec = record as TabularRecord;
    const background = opts.background ?? [typicalRecord(saved, features)];
    const first = saved.predict([record])[0]!;
    const target = 'label' in first ? first.label : null;
    const predict = (recs: TabularRecord[]) =>
      saved
        .predict(recs as PredictRecord[])
        .map((q) =>
          target !== null && 'probabilities' in q
            ? q.probabilities[target]!
            : 'value' in q
              ? Array.isArray(q.value)
                ? q.value[0]!
                : q.value
              : 0,
        );
    const shapOpts: { samples?: number; seed?: number } = {};
    if (opts.samples !== undefined) shapOpts.samples = opts.samples;
    if (opts.seed !== undefined) shapOpts.seed = opts.seed;
    const e = kernelShap(predict, rec, background, features, shapOpts);
    return {
      kind: 'tabular',
      method: 'kernel-shap',
      target,
      output: e.output,
      base: e.base,
      values: e.values,
    };
  }
  const x = saved.preprocessor.records([record]);
  const forward = (t: Tensor) => (saved.model as unknown as { call(x: Tensor): Tensor }).call(t);
  const steps = opts.steps ?? 64;
  try {
    if (kind === 'image') {
      const ig = integratedGradients(forward, x, { steps });
      const cols = outputCols(forward, x);
      return {
        kind: 'image',
        method: 'integrated-gradients',
        target: targetName(saved, ig.target[0]!, cols),
        output: ig.output[0]!,
        baselineOutput: ig.baselineOutput[0]!,
        delta: ig.delta[0]!,
        shape: ig.shape.slice(1),
        attributions: Array.from(ig.values),
      };
    }
    const a = tokenAttributions(saved.model, x, { steps });
    const vocab = (saved.preprocessor as TextPreprocessor).tokenizer.vocab;
    const ids = x.dataSync() as Int32Array;
    const tokens = Array.from(ids, (id, i) => ({
      token: vocab[id] ?? String(id),
      attribution: a.tokens[i]!,
    }));
    return {
      kind: 'text',
      method: 'integrated-gradients',
      target: targetName(saved, a.target[0]!, outputCols(forward, saved.preprocessor.records([record]))),
      output: a.output[0]!,
      baselineOutput: a.baselineOutput[0]!,
      delta: a.delta[0]!,
      // Padding carries no evidence: left out.
      tokens: tokens.filter((t) => t.token !== (saved.preprocessor as TextPreprocessor).tokenizer.padToken),
    };
  } finally {
    x.dispose();
  }
}

function outputCols(forward: (t: Tensor) => Tensor, x: Tensor): number {
  return scope(() =>
    noGrad(() => {
      const out = forward(x);
      return out.shape.length === 1 ? 1 : out.shape.slice(1).reduce((a, b) => a * b, 1);
    }),
  );
}
