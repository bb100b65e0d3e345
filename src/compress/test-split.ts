/**
 * The test split a saved model was scored on, rebuilt exactly: run.json holds the data section, the seed and the
 * loss of the run (the CLI's validated YAML or saving.fit's options), and `saving.loadData` with them draws the
 * same seeded (stratified) split, or reads the same official test set, as training did. The model input is then
 * built through each model's own saved preprocessing (fitted on the training split at training time, never
 * refitted), so two models compared on it see the same rows.
 */
import { createHash } from 'node:crypto';
import { fail } from '../core/errors.ts';
import { fingerprint } from '../saving/card.ts';
import type { SavedModel } from '../saving/saved-model.ts';
import { type DataSpec, loadData, type Source } from '../saving/sources.ts';
import type { LossConfig } from '../saving/task.ts';
import type { Tensor } from '../tensor/tensor.ts';

export interface TestSplit {
  source: Source;
  /** Row indices of the test part, in split order. */
  rows: Int32Array;
  /** Class ids (classification) or target values of those rows. */
  y: number[];
  seed: number;
  /** sha256 over the row indices as little-endian int32, as split.json of `tensorscript train` records it. */
  hash: string;
  /**
   * Whether the rebuilt training split's model input hashes to the card's data fingerprint (the data file is
   * the one trained on); null when the card has no fingerprint.
   */
  fingerprintMatches: boolean | null;
  describe: string;
}

/** What run.json must hold to rebuild a split. */
interface RunSections {
  data: DataSpec;
  seed: number;
  loss: LossConfig;
}

const OP = 'compress.testSplit';

function runSections(saved: SavedModel, where: string, data: DataSpec | undefined): RunSections {
  const rc = saved.runConfig;
  if (rc === null || typeof rc !== 'object' || Array.isArray(rc))
    fail(
      OP,
      `${where} has no run.json, so its test split cannot be rebuilt; pass the data it was trained on`,
    );
  const r = rc as Record<string, unknown>;
  if (r.loss === undefined) fail(OP, `${where}: run.json has no "loss"`);
  const d = (data ?? r.data) as DataSpec | undefined;
  if (d === undefined || d === null) fail(OP, `${where}: run.json has no "data" section`);
  // saving.fit describes in-memory tables and tensors in run.json (shape, columns) rather than copying them.
  if (data === undefined && (d.source === 'table' || d.source === 'tensors'))
    fail(
      OP,
      `${where}: run.json describes in-memory "${d.source}" data, which cannot be rebuilt from it; pass the same data spec (the test split follows from it and the seed)`,
    );
  return { data: d, seed: typeof r.seed === 'number' ? r.seed : 0, loss: r.loss as LossConfig };
}

export function rowsHash(rows: Int32Array): string {
  return `sha256:${createHash('sha256')
    .update(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength))
    .digest('hex')}`;
}

/**
 * The saved model's test split: its run's data source reloaded with the run's seed. `data` replaces run.json's
 * data section (needed for models trained on in-memory data; the split still follows from it and the seed).
 */
export async function testSplitOf(saved: SavedModel, where: string, data?: DataSpec): Promise<TestSplit> {
  const s = runSections(saved, where, data);
  const source = await loadData(s.data, { seed: s.seed, loss: s.loss });
  if (source.task !== saved.task.task)
    fail(OP, `${where}: the data is a ${source.task} task but the model is a ${saved.task.task} model`);
  const want = saved.classes;
  if (want !== null && JSON.stringify(source.classes) !== JSON.stringify(want))
    fail(
      OP,
      `${where}: the rebuilt data's classes (${(source.classes ?? []).join(', ')}) are not the model's (${want.join(', ')})`,
    );
  const rows = source.split.test;
  if (rows.length === 0) fail(OP, `${where}: the rebuilt test split is empty`);
  const fp = saved.card.data.fingerprint;
  let fingerprintMatches: boolean | null = null;
  if (fp !== null) {
    const trainX = source.x(saved.preprocessor, source.split.train);
    try {
      const v = trainX.toTypedArray() as ArrayLike<number>;
      const f32 = v instanceof Float32Array ? v : Float32Array.from(v);
      fingerprintMatches = fingerprint(f32, trainX.shape) === fp;
    } finally {
      trainX.dispose();
    }
  }
  return {
    source,
    rows,
    y: Array.from(rows, (i) => source.y[i]!),
    seed: s.seed,
    hash: rowsHash(rows),
    fingerprintMatches,
    describe: `${source.describe}, test split (${rows.length} rows, seed ${s.seed})`,
  };
}

/** The model input of the test rows through a saved model's preprocessing. */
export function testInput(split: TestSplit, saved: SavedModel): Tensor {
  return split.source.x(saved.preprocessor, split.rows);
}

/** The model input of `batch` test rows (cycling through them when the split is smaller), for latency. */
export function batchInput(split: TestSplit, saved: SavedModel, batch: number): Tensor {
  const rows = Int32Array.from({ length: batch }, (_, i) => split.rows[i % split.rows.length]!);
  return split.source.x(saved.preprocessor, rows);
}
