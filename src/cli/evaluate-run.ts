/** `tensorscript evaluate`: a checkpoint on its own test split or on a labelled file/folder, with a report. */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ts from '../index.ts';
import { type CheckpointModel, loadCheckpointModel, resolveRunCheckpoint } from './checkpoint-model.ts';
import type { ImagePreprocessor, TabularPreprocessor, TextPreprocessor } from './preprocess.ts';
import {
  assertFiniteFeatures,
  badNumbersNote,
  encodeLabels,
  imageExamples,
  loadSource,
  readTable,
  tableExamples,
} from './sources.ts';
import { predictedClass, scoresFor, targetTensor } from './task.ts';

const scoreOutputs = ts.saving.scoreOutputs;

export interface EvaluateResult {
  workflow: string;
  metrics: Record<string, number>;
  samplesPerSec: number;
  reportDir: string;
}

/** Maps folder class names onto the checkpoint's class ids. */
function remap(labels: Int32Array, folderClasses: string[], known: string[], root: string): Int32Array {
  return Int32Array.from(labels, (l) => {
    const k = known.indexOf(folderClasses[l]!);
    if (k < 0)
      throw new ts.TensorScriptError(
        'evaluate',
        `${root}: class folder "${folderClasses[l]}" is not a class of the checkpoint (${known.join(', ')})`,
      );
    return k;
  });
}

/** Each epoch's seconds from the saved training History (history.json), when it has them. */
function savedEpochSeconds(history: unknown): number[] | undefined {
  const h = history as { history?: { epoch_seconds?: unknown } } | null;
  const s = h?.history?.epoch_seconds;
  if (!Array.isArray(s) || s.length === 0) return undefined;
  return s.map((v) => (typeof v === 'number' ? v : Number.NaN));
}

async function labelledData(
  cm: CheckpointModel,
  path: string,
): Promise<{ x: ts.Tensor; y: ArrayLike<number>; examples: ts.ReportExamples; note?: string }> {
  const pre = cm.preprocessor;
  const d = cm.config.data;
  if (pre.kind === 'tabular') {
    if (d.source !== 'csv')
      throw new ts.TensorScriptError('evaluate', 'tabular checkpoint without a csv source');
    // The run config's rule for a bad numeric cell holds for evaluation data too: an error naming the cell
    // by default, or (badNumbers: missing) a missing value the fitted imputer fills, counted in the report.
    const table = await readTable(path, { badNumbers: d.badNumbers });
    const tab = pre as TabularPreprocessor;
    assertFiniteFeatures(
      table,
      tab.numeric.filter((c) => table.data[c] !== undefined),
      path,
    );
    const col = table.data[d.label];
    if (col === undefined)
      throw new ts.TensorScriptError('evaluate', `${path}: no label column "${d.label}" to evaluate against`);
    const y =
      cm.task === 'classification'
        ? encodeLabels(col, d.label, undefined, cm.labels!).y
        : (col as Float64Array);
    const rows = Int32Array.from({ length: table.length }, (_, i) => i);
    const columns = [...tab.numeric, ...tab.categorical].filter((c) => table.data[c] !== undefined);
    return {
      x: tab.table(table),
      y,
      examples: tableExamples(table, columns, rows),
      note: badNumbersNote(table.badNumbers ?? {}),
    };
  }
  if (!statSync(path).isDirectory())
    throw new ts.TensorScriptError('evaluate', `${path}: expected a folder with one sub-folder per class`);
  if (pre.kind === 'image') {
    const p = pre as ImagePreprocessor;
    const ds = new ts.data.ImageFolder(path, { channels: p.channels as 1 | 3 | 4 });
    const pixels = new Float32Array(ds.length * p.pixels);
    const labels = new Int32Array(ds.length);
    for (let i = 0; i < ds.length; i++) {
      const [img, lab] = await ds.get(i);
      if (img!.data.length !== p.pixels)
        throw new ts.TensorScriptError(
          'evaluate',
          `${ds.samples[i]!.path}: expected ${p.channels}x${p.height}x${p.width} pixels as in training, got [${img!.shape.join(',')}]`,
        );
      pixels.set(img!.data as Float32Array, i * p.pixels);
      labels[i] = lab!.data[0]!;
    }
    return {
      x: p.pixelsToTensor(pixels, ds.length),
      y: remap(labels, ds.classes, cm.labels!, path),
      examples: imageExamples(p.channels, p.height, p.width, pixels),
    };
  }
  const t = await ts.data.loadTextFolder(path);
  return {
    x: (pre as TextPreprocessor).texts(t.texts),
    y: remap(t.labels, t.classes, cm.labels!, path),
    examples: { kind: 'text', texts: t.texts },
  };
}

/** Mean loss over x in batches, as train's JSON line reports it on the test split. */
function meanLoss(cm: CheckpointModel, x: ts.Tensor, y: ArrayLike<number>, batchSize: number): number {
  const fn = ts.train.resolveLoss(cm.config.loss as ts.train.LossSpec).fn;
  const kind = cm.info.targetKind;
  const yArr = cm.task === 'classification' ? Int32Array.from(y) : Float64Array.from(y);
  const module = cm.model as unknown as { call(x: ts.Tensor): ts.Tensor };
  const n = x.shape[0]!;
  let total = 0;
  for (let s = 0; s < n; s += batchSize) {
    const b = Math.min(batchSize, n - s);
    const rows = Int32Array.from({ length: b }, (_, i) => s + i);
    // A loss may give one value per sample (reduction 'none'): its mean is the batch loss.
    total +=
      b *
      ts.scope(() =>
        ts.noGrad(() => {
          const l = fn(
            module.call(x.narrow(0, s, b)),
            targetTensor(yArr, rows, kind, cm.labels?.length ?? 0),
          );
          return (l.size === 1 ? l.item() : l.mean().item()) as number;
        }),
      );
  }
  return total / n;
}

export async function runEvaluate(
  checkpoint: string,
  opts: { data?: string; outDir?: string; log?: (s: string) => void } = {},
): Promise<EvaluateResult> {
  const log = opts.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  const cm = loadCheckpointModel(checkpoint);
  let x: ts.Tensor;
  let y: ArrayLike<number>;
  let what: string;
  let examples: ts.ReportExamples;
  if (opts.data === undefined) {
    const src = await loadSource(cm.config);
    x = src.x(cm.preprocessor, src.split.test);
    y = Array.from(src.split.test, (i) => src.y[i]!);
    examples = src.examples(src.split.test);
    what = `${src.describe}, test split (${src.split.test.length} rows)`;
  } else {
    const l = await labelledData(cm, opts.data);
    ({ x, y, examples } = l);
    what = `${opts.data} (${x.shape[0]} rows${l.note ?? ''})`;
  }
  const start = performance.now();
  const o = cm.saved.outputsOf(x, cm.config.evaluation.batchSize);
  const seconds = (performance.now() - start) / 1000;
  const threshold = cm.info.threshold;
  const metrics = scoreOutputs(cm.task, cm.labels, y, o, threshold);
  // The same fields as train's JSON line, the test loss included.
  metrics.loss = meanLoss(cm, x, y, cm.config.evaluation.batchSize);
  x.dispose();
  const nClasses = cm.labels?.length ?? 0;
  const reportDir = opts.outDir ?? join(dirname(resolveRunCheckpoint(checkpoint)), 'evaluation');
  const task: ts.ReportTask =
    cm.task === 'regression' ? 'regression' : nClasses === 2 ? 'binary' : 'multiclass';
  const ro: ts.ReportOptions = {
    outDir: reportDir,
    title: `${cm.config.name}: evaluation on ${opts.data ?? 'the test split'}`,
    task,
    yTrue: Array.from(y),
    examples,
    model: cm.model as unknown as ts.nn.Module,
    extra: { checkpoint, data: what },
  };
  const epochSeconds = savedEpochSeconds(cm.saved.history);
  if (epochSeconds !== undefined) ro.epochSeconds = epochSeconds;
  if (task === 'regression') ro.yPred = Array.from(o.values);
  else {
    ro.scores = scoresFor(o, nClasses);
    ro.yPred = Array.from({ length: o.rows }, (_, r) => predictedClass(o, r, nClasses, threshold));
    ro.classNames = cm.labels!;
    ro.threshold = threshold;
  }
  await ts.writeReport(ro);
  log(`[${cm.config.name}] evaluated on ${what}`);
  log(`[${cm.config.name}] report: ${join(reportDir, 'report.html')}`);
  log(
    `[${cm.config.name}] ${Object.entries(metrics)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(', ')}`,
  );
  return { workflow: `${cm.config.name}:evaluate`, metrics, samplesPerSec: o.rows / seconds, reportDir };
}
