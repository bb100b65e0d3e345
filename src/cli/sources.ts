/**
 * Data sources of a run config: raw rows held in memory, a seeded train/test split, and preprocessing fitted
 * on whichever rows are the training part (the holdout split's, or each cross-validation fold's).
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as ts from '../index.ts';
import type { DataConfig, RunConfig } from './config.ts';
import { ImagePreprocessor, type Preprocessor, TabularPreprocessor, TextPreprocessor } from './preprocess.ts';

export type Task = 'classification' | 'regression';

export interface Source {
  task: Task;
  /** Class names, index = class id (classification), or null (regression). */
  classes: string[] | null;
  /** Rows in all. */
  n: number;
  /** Class id (classification) or target value per row. */
  y: Int32Array | Float64Array;
  /** The holdout split: an official test set (mnist) or a seeded (stratified) split of the rows. */
  split: { train: Int32Array; test: Int32Array };
  /** Preprocessing fitted on the given rows. */
  fit(trainRows: Int32Array): Preprocessor;
  /** Model input for the given rows through a fitted preprocessor. */
  x(pre: Preprocessor, rows: Int32Array): ts.Tensor;
  /** Human-readable description, for the report. */
  describe: string;
}

function range(from: number, to: number): Int32Array {
  const a = new Int32Array(to - from);
  for (let i = 0; i < a.length; i++) a[i] = from + i;
  return a;
}

function holdout(
  d: { split: { testFraction: number; stratify: boolean; seed?: number | undefined } },
  seed: number,
  n: number,
  y: Int32Array | Float64Array,
  task: Task,
): { train: Int32Array; test: Int32Array } {
  const s = d.split;
  const stratify = task === 'classification' && s.stratify ? y : undefined;
  return ts.data.trainTestSplit(n, { testSize: s.testFraction, seed: s.seed ?? seed, stratify });
}

/** Folds of k-fold cross-validation over all rows (stratified for classification unless turned off). */
export function crossValidationFolds(
  src: Source,
  folds: number,
  stratify: boolean,
  seed: number,
): ts.data.Fold[] {
  if (src.task === 'classification' && stratify)
    return ts.data.stratifiedKFold(src.y, { k: folds, shuffle: true, seed });
  return ts.data.kFold(src.n, { k: folds, shuffle: true, seed });
}

function gatherRows(pixels: Float32Array, per: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * per);
  for (let i = 0; i < rows.length; i++)
    out.set(pixels.subarray(rows[i]! * per, (rows[i]! + 1) * per), i * per);
  return out;
}

async function mnistSource(d: Extract<DataConfig, { source: 'mnist' }>): Promise<Source> {
  const [train, test] = await Promise.all([
    ts.data.loadMnist({ split: 'train', flatten: true, limit: d.trainLimit }),
    ts.data.loadMnist({ split: 'test', flatten: true, limit: d.testLimit }),
  ]);
  const per = 784;
  const pixels = new Float32Array((train.length + test.length) * per);
  pixels.set(train.images.subarray(0, train.length * per));
  pixels.set(test.images.subarray(0, test.length * per), train.length * per);
  const y = new Int32Array(train.length + test.length);
  y.set(train.labels.subarray(0, train.length));
  y.set(test.labels.subarray(0, test.length), train.length);
  const pre = new ImagePreprocessor(1, 28, 28, d.flatten, d.preprocessing.normalize ?? null);
  return {
    task: 'classification',
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    n: y.length,
    y,
    split: { train: range(0, train.length), test: range(train.length, y.length) },
    fit: () => pre,
    x: (p, rows) => (p as ImagePreprocessor).pixelsToTensor(gatherRows(pixels, per, rows), rows.length),
    describe: `MNIST (${train.length} train / ${test.length} test images)`,
  };
}

async function readTable(path: string): Promise<ts.data.Table> {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return ts.data.readJson(path);
  if (ext === '.jsonl' || ext === '.ndjson') return ts.data.readJsonl(path);
  return ts.data.readCsv(path);
}

/** Label ids for a classification label column; `positiveClass` becomes id 1 of a binary task. */
export function encodeLabels(
  col: ts.data.Column,
  name: string,
  positiveClass: string | number | undefined,
  known?: readonly string[],
): { y: Int32Array; classes: string[] } {
  const values = Array.from(col as ArrayLike<number | string | null>, (v, i) => {
    if (v === null || (typeof v === 'number' && Number.isNaN(v)))
      throw new ts.TensorScriptError('data', `label column "${name}" row ${i + 1}: missing label`);
    return String(v);
  });
  let classes: string[];
  if (known !== undefined) classes = [...known];
  else {
    classes = [...new Set(values)].sort((a, b) => {
      const na = Number(a);
      const nb = Number(b);
      return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
    });
    if (positiveClass !== undefined) {
      const pos = String(positiveClass);
      if (!classes.includes(pos))
        throw new ts.TensorScriptError(
          'data',
          `positiveClass "${pos}" does not occur in label column "${name}" (values: ${classes.join(', ')})`,
        );
      if (classes.length !== 2)
        throw new ts.TensorScriptError(
          'data',
          `positiveClass needs a binary label, but "${name}" has ${classes.length} classes`,
        );
      classes = [classes.find((c) => c !== pos)!, pos];
    }
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(values, (v, i) => {
    const k = index.get(v);
    if (k === undefined)
      throw new ts.TensorScriptError(
        'data',
        `label column "${name}" row ${i + 1}: class "${v}" was not seen in training (classes: ${classes.join(', ')})`,
      );
    return k;
  });
  return { y, classes };
}

/** The feature columns a csv source uses. */
export function csvColumns(
  table: ts.data.Table,
  d: Extract<DataConfig, { source: 'csv' }>,
): { numeric: string[]; categorical: string[] } {
  for (const c of [d.label, ...(d.features ?? []), ...d.categorical])
    if (!table.columns.includes(c))
      throw new ts.TensorScriptError(
        'data',
        `${d.path}: no column "${c}"; columns are ${table.columns.join(', ')}`,
      );
  const numeric =
    d.features ??
    table.columns.filter((c) => c !== d.label && !d.categorical.includes(c) && table.types[c] === 'number');
  for (const c of numeric)
    if (table.types[c] !== 'number')
      throw new ts.TensorScriptError(
        'data',
        `${d.path}: feature column "${c}" is not numeric; list it under data.categorical`,
      );
  return { numeric, categorical: d.categorical };
}

async function csvSource(d: Extract<DataConfig, { source: 'csv' }>, seed: number): Promise<Source> {
  let table = await readTable(d.path);
  if (d.limit !== undefined && d.limit < table.length) table = ts.data.selectRows(table, range(0, d.limit));
  const { numeric, categorical } = csvColumns(table, d);
  const labelCol = table.data[d.label]!;
  const task: Task = d.task ?? (table.types[d.label] === 'number' ? 'regression' : 'classification');
  let y: Int32Array | Float64Array;
  let classes: string[] | null = null;
  if (task === 'classification') ({ y, classes } = encodeLabels(labelCol, d.label, d.positiveClass));
  else {
    if (!(labelCol instanceof Float64Array))
      throw new ts.TensorScriptError('data', `regression label "${d.label}" must be a number column`);
    y = labelCol;
  }
  const opts: ts.data.ColumnPipelineOptions = {
    scaler: d.preprocessing.scaling,
    numericImpute: d.preprocessing.impute,
  };
  return {
    task,
    classes,
    n: table.length,
    y,
    split: holdout(d, seed, table.length, y, task),
    fit: (rows) => TabularPreprocessor.fit(ts.data.selectRows(table, rows), numeric, categorical, opts),
    x: (p, rows) => (p as TabularPreprocessor).table(ts.data.selectRows(table, rows)),
    describe: `${d.path} (${table.length} rows, ${numeric.length + categorical.length} feature columns, label "${d.label}")`,
  };
}

async function imageFolderSource(
  d: Extract<DataConfig, { source: 'imageFolder' }>,
  seed: number,
): Promise<Source> {
  const load = async (root: string) => {
    const ds = new ts.data.ImageFolder(root, { channels: d.channels });
    return { ds, images: await Promise.all(ds.samples.map((_, i) => ds.get(i))) };
  };
  const parts = [await load(d.path)];
  if (d.testPath !== undefined) parts.push(await load(d.testPath));
  const classes = parts[0]!.ds.classes;
  if (parts[1] !== undefined && parts[1].ds.classes.join('\n') !== classes.join('\n'))
    throw new ts.TensorScriptError(
      'data',
      `${d.testPath}: classes ${parts[1].ds.classes.join(', ')} differ from ${d.path}'s ${classes.join(', ')}`,
    );
  const all = parts.flatMap((p) => p.images);
  const first = all[0]![0]!;
  const [c, h, w] = first.shape as [number, number, number];
  const per = c * h * w;
  const pixels = new Float32Array(all.length * per);
  const y = new Int32Array(all.length);
  const paths = parts.flatMap((p) => p.ds.samples.map((s) => s.path));
  all.forEach((s, i) => {
    const img = s[0]!;
    if (img.shape[1] !== h || img.shape[2] !== w)
      throw new ts.TensorScriptError(
        'data',
        `${paths[i]}: ${img.shape[2]}x${img.shape[1]} pixels, but ${paths[0]} has ${w}x${h}; all images must share one size`,
      );
    pixels.set(img.data as Float32Array, i * per);
    y[i] = s[1]!.data[0]!;
  });
  const nTrain = parts[0]!.images.length;
  const split =
    parts.length === 2
      ? { train: range(0, nTrain), test: range(nTrain, all.length) }
      : holdout(d, seed, all.length, y, 'classification');
  const pre = new ImagePreprocessor(c, h, w, d.flatten, d.preprocessing.normalize ?? null);
  return {
    task: 'classification',
    classes,
    n: all.length,
    y,
    split,
    fit: () => pre,
    x: (p, rows) => (p as ImagePreprocessor).pixelsToTensor(gatherRows(pixels, per, rows), rows.length),
    describe: `image folder ${d.path} (${all.length} images, ${classes.length} classes, ${c}x${h}x${w})`,
  };
}

function textSource(
  texts: string[],
  y: Int32Array,
  classes: string[],
  split: { train: Int32Array; test: Int32Array },
  tok: Extract<DataConfig, { source: 'textFolder' }>['preprocessing']['tokenizer'],
  describe: string,
): Source {
  return {
    task: 'classification',
    classes,
    n: texts.length,
    y,
    split,
    fit: (rows) => {
      const t = new ts.data.WordTokenizer({ lowercase: tok.lowercase }).fit(
        Array.from(rows, (i) => texts[i]!),
        { maxSize: tok.vocabSize, minFreq: tok.minFreq },
      );
      return new TextPreprocessor(t, tok.maxLength, tok.padding, tok.truncation);
    },
    x: (p, rows) => (p as TextPreprocessor).texts(Array.from(rows, (i) => texts[i]!)),
    describe,
  };
}

async function textFolder(d: Extract<DataConfig, { source: 'textFolder' }>, seed: number): Promise<Source> {
  const opts = d.extensions === undefined ? {} : { extensions: d.extensions };
  const a = await ts.data.loadTextFolder(d.path, opts);
  let texts = a.texts;
  let y = a.labels;
  let split: { train: Int32Array; test: Int32Array };
  if (d.testPath !== undefined) {
    const b = await ts.data.loadTextFolder(d.testPath, opts);
    if (b.classes.join('\n') !== a.classes.join('\n'))
      throw new ts.TensorScriptError('data', `${d.testPath}: classes differ from ${d.path}'s`);
    texts = [...a.texts, ...b.texts];
    y = Int32Array.from([...a.labels, ...b.labels]);
    split = { train: range(0, a.texts.length), test: range(a.texts.length, texts.length) };
  } else split = holdout(d, seed, texts.length, y, 'classification');
  return textSource(
    texts,
    y,
    a.classes,
    split,
    d.preprocessing.tokenizer,
    `text folder ${d.path} (${texts.length} documents, ${a.classes.length} classes)`,
  );
}

async function spamSource(d: Extract<DataConfig, { source: 'spamassassin' }>, seed: number): Promise<Source> {
  const opts: { groups?: ts.data.SpamGroup[]; limitPerGroup?: number } = {};
  if (d.groups !== undefined) opts.groups = d.groups;
  if (d.limitPerGroup !== undefined) opts.limitPerGroup = d.limitPerGroup;
  const s = await ts.data.loadSpamAssassin(opts);
  return textSource(
    s.texts,
    s.labels,
    ['ham', 'spam'],
    holdout(d, seed, s.texts.length, s.labels, 'classification'),
    d.preprocessing.tokenizer,
    `SpamAssassin (${s.texts.length} messages)`,
  );
}

/** Loads the data a run config names. */
export async function loadSource(config: RunConfig): Promise<Source> {
  const d = config.data;
  switch (d.source) {
    case 'mnist':
      return mnistSource(d);
    case 'csv':
      return csvSource(d, config.seed);
    case 'imageFolder':
      return imageFolderSource(d, config.seed);
    case 'textFolder':
      return textFolder(d, config.seed);
    case 'spamassassin':
      return spamSource(d, config.seed);
  }
}

/** Files of a directory tree with the given extensions, sorted (for predict on a folder of images). */
export function listFiles(root: string, exts: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const p = join(root, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, exts));
    else if (exts.includes(extname(name).toLowerCase())) out.push(p);
  }
  return out;
}

export { readTable };
