/**
 * Training a saved model in code from a table (readCsv/readJson or makeTable), as the CLI does from a run
 * config: preprocessing fitted on the training rows only, the label encoded by the loss' rule, a model card.
 */
import { TensorScriptError } from '../core/errors.ts';
import { manualSeed } from '../core/rng.ts';
import type { ColumnPipelineOptions } from '../data/preprocess/column-pipeline.ts';
import { TabularPreprocessor } from '../data/preprocess/records.ts';
import { columnAsStrings, isNumberColumn, type Table } from '../data/table.ts';
import { type AnyModule, type JsonValue, type ModuleConfig, moduleFromConfig } from '../nn/module.ts';
import type { NamedOptimizerOptions } from '../optim/index.ts';
import type { LossSpec } from '../train/losses.ts';
import { compile, type TrainableModule } from '../train/trainer.ts';
import { makeCard } from './card.ts';
import { SavedModel } from './saved-model.ts';
import { isRegressionLoss, type LossConfig, outputTransform, targetKind, targetTensor } from './task.ts';

export interface FitTableOptions {
  label: string;
  /** A layer-registry config (`{className, config}`) or a module built in code. */
  model: ModuleConfig | AnyModule;
  loss: LossConfig;
  optimizer: { name: string } & NamedOptimizerOptions;
  epochs: number;
  batchSize?: number;
  seed?: number;
  /** Feature columns (default: every column but the label; string columns are one-hot encoded). */
  features?: string[];
  preprocessing?: ColumnPipelineOptions;
  /** Binary tasks: the class that is 1 (default: the second class in sorted order). */
  positiveClass?: string;
  threshold?: number;
}

export async function fitTable(table: Table, opts: FitTableOptions): Promise<SavedModel> {
  const op = 'fitTable';
  const col = table.data[opts.label];
  if (col === undefined)
    throw new TensorScriptError(op, `no label column "${opts.label}" (columns: ${table.columns.join(', ')})`);
  const features = opts.features ?? table.columns.filter((c) => c !== opts.label);
  const numeric = features.filter((c) => isNumberColumn(table.data[c]!));
  const categorical = features.filter((c) => !isNumberColumn(table.data[c]!));
  const pre = TabularPreprocessor.fit(
    table,
    numeric,
    categorical,
    opts.preprocessing ?? { scaler: 'standard' },
  );
  const regression = isRegressionLoss(opts.loss);
  const rows = Int32Array.from({ length: table.length }, (_, i) => i);
  let classes: string[] | null = null;
  let y: Int32Array | Float64Array;
  if (regression) {
    if (!isNumberColumn(col))
      throw new TensorScriptError(op, `regression label "${opts.label}" must be numeric`);
    y = col;
  } else {
    const names = columnAsStrings(table, opts.label);
    classes = [...new Set(names.filter((n): n is string => n !== null))].sort();
    if (classes.length < 2)
      throw new TensorScriptError(
        op,
        `label "${opts.label}" holds a single class (${classes.join(', ')}); a classifier needs at least two`,
      );
    if (opts.positiveClass !== undefined) {
      if (!classes.includes(opts.positiveClass))
        throw new TensorScriptError(
          op,
          `positiveClass "${opts.positiveClass}" does not occur in "${opts.label}"`,
        );
      classes = [...classes.filter((c) => c !== opts.positiveClass), opts.positiveClass];
    }
    const idx = new Map(classes.map((c, i) => [c, i]));
    y = Int32Array.from(names, (n, i) => {
      if (n === null)
        throw new TensorScriptError(op, `data row ${i + 1}: the label "${opts.label}" is missing`);
      return idx.get(n)!;
    });
  }
  const kind = targetKind(opts.loss);
  const x = pre.table(table);
  const yt = targetTensor(y, rows, kind, classes?.length ?? 0);
  const seed = opts.seed ?? 0;
  manualSeed(seed);
  const model =
    'className' in opts.model ? moduleFromConfig(opts.model as ModuleConfig) : (opts.model as AnyModule);
  const trainer = compile(model as unknown as TrainableModule, {
    optimizer: opts.optimizer,
    loss: opts.loss as LossSpec,
  });
  try {
    await trainer.fit(x, yt, { epochs: opts.epochs, batchSize: opts.batchSize ?? 32, seed, verbose: 0 });
    return new SavedModel({
      model,
      preprocessor: pre,
      task: {
        task: regression ? 'regression' : 'classification',
        classes,
        targetKind: kind,
        outputTransform: outputTransform(opts.loss),
        threshold: opts.threshold ?? 0.5,
      },
      card: makeCard({
        x: {
          data: x.toTypedArray() as Float32Array,
          shape: x.shape,
          ...(categorical.length === 0 ? { names: numeric } : {}),
        },
        config: {
          label: opts.label,
          loss: opts.loss,
          optimizer: opts.optimizer,
          epochs: opts.epochs,
          seed,
        } as unknown as JsonValue,
      }),
    });
  } finally {
    x.dispose();
    yt.dispose();
  }
}
