/**
 * Data sources of a run config: raw rows held in memory, a seeded train/test split, and preprocessing fitted
 * on whichever rows are the training part (the holdout split's, or each cross-validation fold's).
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as ts from '../index.ts';
import type { DataConfig, RunConfig } from './config.ts';
import { ImagePreprocessor, type Preprocessor, TabularPreprocessor, TextPreprocessor } from './preprocess.ts';
import { isRegressionLoss } from './task.ts';

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
  /** The raw inputs of the given rows (pixels, texts or feature cells), for the report's misclassified examples. */
  examples(rows: Int32Array): ts.ReportExamples;
  /** Human-readable description, for the report. */
  describe: string;
}

/** Feature cells of the given rows as the report's table examples (missing numbers as null). */
export function tableExamples(
  table: ts.data.Table,
  columns: readonly string[],
  rows: Int32Array,
): ts.ReportExamples {
  const cols = columns.map((c) => table.data[c]!);
  return {
    kind: 'table',
    columns,
    rows: Array.from(rows, (r) =>
      cols.map((col) => {
        const v = col[r];
        return v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : v;
      }),
    ),
  };
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

/** Planar [N, C, H, W] pixels as the report's image examples; two channels (grey + alpha) show the grey one. */
export function imageExamples(c: number, h: number, w: number, pixels: Float32Array): ts.ReportExamples {
  if (c === 1 || c === 3 || c === 4)
    return { kind: 'image', width: w, height: h, channels: c, layout: 'chw', pixels };
  const per = h * w;
  const grey = new Float32Array((pixels.length / (c * per)) * per);
  for (let i = 0; i < grey.length / per; i++)
    grey.set(pixels.subarray(i * c * per, i * c * per + per), i * per);
  return { kind: 'image', width: w, height: h, pixels: grey };
}

function gatherRows(pixels: Float32Array, per: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * per);
  for (let i = 0; i < rows.length; i++)
    out.set(pixels.subarray(rows[i]! * per, (rows[i]! + 1) * per), i * per);
  return out;
}

async function mnistSource(d: Extract<DataConfig, { source: 'mnist' }>): Promise<Source> {
  const f = d.files;
  const [train, test] = await Promise.all([
    ts.data.loadMnist({
      split: 'train',
      limit: d.trainLimit,
      ...(f !== undefined ? { images: f.trainImages, labels: f.trainLabels } : {}),
    }),
    ts.data.loadMnist({
      split: 'test',
      limit: d.testLimit,
      ...(f !== undefined ? { images: f.testImages, labels: f.testLabels } : {}),
    }),
  ]);
  // [N, 1, H, W], laid out as the flat [N, H * W] rows the preprocessor gathers from.
  const [, , h, w] = train.shape as [number, number, number, number];
  const per = h * w;
  if (test.shape[2] !== h || test.shape[3] !== w)
    throw new ts.TensorScriptError(
      'data',
      `${f?.testImages}: ${test.shape[3]}x${test.shape[2]} images, but the training images are ${w}x${h}`,
    );
  const pixels = new Float32Array((train.length + test.length) * per);
  pixels.set(train.images.subarray(0, train.length * per));
  pixels.set(test.images.subarray(0, test.length * per), train.length * per);
  // Class ids 0..C-1 from the stored labels (EMNIST letters count from 1); classes fitted on training labels.
  const enc = new ts.data.LabelEncoder().fit(Array.from(train.labels));
  const stored = new Int32Array(train.length + test.length);
  stored.set(train.labels.subarray(0, train.length));
  stored.set(test.labels.subarray(0, test.length), train.length);
  let y: Int32Array;
  try {
    y = enc.transform(Array.from(stored));
  } catch {
    const unseen = Array.from(test.labels).find((v) => !enc.classes!.includes(v));
    throw new ts.TensorScriptError(
      'data',
      `${f?.testLabels ?? 'MNIST test labels'}: label ${unseen} does not occur in the training labels`,
    );
  }
  const pre = new ImagePreprocessor(1, h, w, d.flatten, d.preprocessing.normalize ?? null);
  return {
    task: 'classification',
    classes: enc.classes!.map(String),
    n: y.length,
    y,
    split: { train: range(0, train.length), test: range(train.length, y.length) },
    fit: () => pre,
    x: (p, rows) => (p as ImagePreprocessor).pixelsToTensor(gatherRows(pixels, per, rows), rows.length),
    examples: (rows) => ({ kind: 'image', width: w, height: h, pixels: gatherRows(pixels, per, rows) }),
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
async function readTable(
  path: string,
  opts: { badNumbers?: 'error' | 'missing' } = {},
): Promise<ts.data.Table> {
  const ext = extname(path).toLowerCase();
  let t: ts.data.Table;
  if (ext === '.json') t = await ts.data.readJson(path);
  else if (ext === '.jsonl' || ext === '.ndjson') t = await ts.data.readJsonl(path);
  else t = await ts.data.readCsv(path, opts.badNumbers === 'missing' ? { onBadNumber: 'missing' } : {});
  if (t.length === 0)
    throw new ts.TensorScriptError('data', `${path}: no data rows (only a header: ${t.columns.join(', ')})`);
  return t;
}

/** '; N bad numeric cells made missing and imputed (col: n, ...)' for a description, or '' when none. */
export function badNumbersNote(bad: Record<string, number>): string {
  const n = Object.values(bad).reduce((a, b) => a + b, 0);
  if (n === 0) return '';
  const per = Object.entries(bad)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return `; ${n} bad numeric cell${n === 1 ? '' : 's'} made missing and imputed (${per})`;
}

/** Refuses +-Infinity in feature columns, naming the file, column and data row (before any scaling). */
export function assertFiniteFeatures(table: ts.data.Table, columns: readonly string[], path: string): void {
  for (const c of columns) {
    const col = table.data[c]!;
    if (!(col instanceof Float64Array)) continue;
    for (let i = 0; i < col.length; i++)
      if (col[i] === Number.POSITIVE_INFINITY || col[i] === Number.NEGATIVE_INFINITY)
        throw new ts.TensorScriptError(
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
  col: ts.data.Column,
  name: string,
  positiveClass: string | number | undefined,
  known?: readonly string[],
): { y: Int32Array; classes: string[] } {
  const values = Array.from(col as ArrayLike<number | string | null>, (v, i) => {
    if (v === null || (typeof v === 'number' && Number.isNaN(v)))
      throw new ts.TensorScriptError('data', `label column "${name}" row ${i + 1}: missing label`);
    if (typeof v === 'number' && !Number.isInteger(v))
      throw new ts.TensorScriptError(
        'data',
        `label column "${name}" row ${i + 1}: ${v} is not a class label (integers or strings); a numeric target needs a regression loss`,
      );
    return v;
  });
  let enc: ts.data.LabelEncoder;
  if (known !== undefined) enc = ts.data.LabelEncoder.fromJSON({ type: 'LabelEncoder', classes: [...known] });
  else {
    enc = new ts.data.LabelEncoder().fit(values);
    if (positiveClass !== undefined) {
      const classes = enc.classes!.map(String);
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
      enc = ts.data.LabelEncoder.fromJSON({
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
    throw new ts.TensorScriptError(
      'data',
      `label column "${name}" row ${i + 1}: class "${values[i]}" was not seen in training (classes: ${classes.join(', ')})`,
    );
  }
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

async function csvSource(
  d: Extract<DataConfig, { source: 'csv' }>,
  seed: number,
  loss: RunConfig['loss'],
): Promise<Source> {
  let table = await readTable(d.path, { badNumbers: d.badNumbers });
  const bad = table.badNumbers ?? {};
  if (d.limit !== undefined && d.limit < table.length) table = ts.data.selectRows(table, range(0, d.limit));
  const { numeric, categorical } = csvColumns(table, d);
  assertFiniteFeatures(table, numeric, d.path);
  const labelCol = table.data[d.label]!;
  // A number column is a regression target only when the loss is a regression loss: integer labels
  // with crossEntropy are class labels (iris's 0/1/2), as the loss says.
  const task: Task =
    d.task ?? (table.types[d.label] === 'number' && isRegressionLoss(loss) ? 'regression' : 'classification');
  const badNote = badNumbersNote(bad);
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
    examples: (rows) => tableExamples(table, [...numeric, ...categorical], rows),
    describe: `${d.path} (${table.length} rows, ${numeric.length + categorical.length} feature columns, label "${d.label}"${badNote})`,
  };
}

async function imageFolderSource(
  d: Extract<DataConfig, { source: 'imageFolder' }>,
  seed: number,
): Promise<Source> {
  // A bounded pool of readers (d.concurrency files open at most), not a Promise.all over every file.
  const read = (root: string) =>
    ts.data.readImageFolder(root, { channels: d.channels, concurrency: d.concurrency });
  const parts = [await read(d.path)];
  if (d.testPath !== undefined) parts.push(await read(d.testPath));
  const first = parts[0]!;
  const classes = first.classes;
  const second = parts[1];
  if (second !== undefined) {
    if (second.classes.join('\n') !== classes.join('\n'))
      throw new ts.TensorScriptError(
        'data',
        `${d.testPath}: classes ${second.classes.join(', ')} differ from ${d.path}'s ${classes.join(', ')}`,
      );
    const [, c2, h2, w2] = second.shape;
    if (c2 !== first.shape[1] || h2 !== first.shape[2] || w2 !== first.shape[3])
      throw new ts.TensorScriptError(
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
  const pre = new ImagePreprocessor(c, h, w, d.flatten, d.preprocessing.normalize ?? null);
  return {
    task: 'classification',
    classes,
    n,
    y,
    split,
    fit: () => pre,
    x: (p, rows) => (p as ImagePreprocessor).pixelsToTensor(gatherRows(pixels, per, rows), rows.length),
    examples: (rows) => imageExamples(c, h, w, gatherRows(pixels, per, rows)),
    describe: `image folder ${d.path} (${n} images, ${classes.length} classes, ${c}x${h}x${w})`,
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
    examples: (rows) => ({ kind: 'text', texts: Array.from(rows, (i) => texts[i]!) }),
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
  const testGroups = d.testGroups ?? [];
  const trainGroups = d.groups ?? ts.data.SPAM_GROUPS.filter((g) => !testGroups.includes(g));
  const both = trainGroups.filter((g) => testGroups.includes(g));
  if (both.length > 0)
    throw new ts.TensorScriptError('data', `spamassassin: group ${both[0]} is in both groups and testGroups`);
  const opts: { groups: ts.data.SpamGroup[]; limitPerGroup?: number } = {
    groups: [...trainGroups, ...testGroups],
  };
  if (d.limitPerGroup !== undefined) opts.limitPerGroup = d.limitPerGroup;
  const s = await ts.data.loadSpamAssassin(opts);
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
        throw new ts.TensorScriptError(
          'data',
          `spamassassin: the ${part} groups (${(part === 'test' ? testGroups : trainGroups).join(', ')}) hold only ${s.labels[idx[0]!] === 1 ? 'spam' : 'ham'}; each part needs ham and spam`,
        );
  } else split = holdout(d, seed, s.texts.length, s.labels, 'classification');
  return textSource(
    s.texts,
    s.labels,
    ['ham', 'spam'],
    split,
    d.preprocessing.tokenizer,
    testGroups.length > 0
      ? `SpamAssassin (train ${trainGroups.join(', ')}; test ${testGroups.join(', ')}; ${s.texts.length} messages)`
      : `SpamAssassin (${s.texts.length} messages)`,
  );
}

/** Loads the data a run config names. */
export async function loadSource(config: RunConfig): Promise<Source> {
  const d = config.data;
  switch (d.source) {
    case 'mnist':
      return mnistSource(d);
    case 'csv':
      return csvSource(d, config.seed, config.loss);
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
    // A loop, not push(...): a folder of 100k+ files would overflow the stack.
    if (statSync(p).isDirectory()) for (const f of listFiles(p, exts)) out.push(f);
    else if (exts.includes(extname(name).toLowerCase())) out.push(p);
  }
  return out;
}

export { readTable };
