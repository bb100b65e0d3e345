/**
 * Training a saved model in code on every row of a table (readCsv/readJson or makeTable): a short form of
 * `saving.fit` with a `table` source and no test split. It goes through fit's one path (label encoding by the
 * loss' rule, preprocessing, model card), so it saves what fit and `tensorscript train` save.
 */
import { isNumberColumn, type Table } from '../data/table.ts';
import type { AnyModule, ModuleConfig } from '../nn/module.ts';
import type { NamedOptimizerOptions } from '../optim/index.ts';
import { fit } from './fit.ts';
import type { SavedModel } from './saved-model.ts';
import type { TabularSpec } from './sources.ts';
import type { LossConfig } from './task.ts';

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
  /** Scaling and imputation of the numeric columns, as a data section's `preprocessing`. */
  preprocessing?: TabularSpec;
  /** Binary tasks: the class that is 1 (default: the second class in sorted order). */
  positiveClass?: string;
  threshold?: number;
}

export async function fitTable(table: Table, opts: FitTableOptions): Promise<SavedModel> {
  const features = opts.features ?? table.columns.filter((c) => c !== opts.label);
  const isNumber = (c: string) => table.data[c] !== undefined && isNumberColumn(table.data[c]);
  const r = await fit({
    seed: opts.seed ?? 0,
    data: {
      source: 'table',
      table,
      label: opts.label,
      features: features.filter(isNumber),
      categorical: features.filter((c) => !isNumber(c)),
      split: { testFraction: 0 },
      ...(opts.positiveClass === undefined ? {} : { positiveClass: opts.positiveClass }),
      ...(opts.preprocessing === undefined ? {} : { preprocessing: opts.preprocessing }),
    },
    model: opts.model,
    loss: opts.loss,
    optimizer: opts.optimizer,
    training: { epochs: opts.epochs, batchSize: opts.batchSize ?? 32, verbose: 0 },
    ...(opts.threshold === undefined ? {} : { evaluation: { threshold: opts.threshold } }),
  });
  return r.model;
}
