/**
 * Before/after comparison of two saved models on the same test split: size on disk, the task metric (the
 * saved model's scoring path, saving.scoreOutputs, as `tensorscript evaluate` uses it) and inference latency at
 * batch 1 and 64 (medians over repeats). What `tensorscript compress` reports; usable on any two saved models
 * of one task, e.g. a model and its quantized copy.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys } from '../core/options.ts';
import { loadModel, resolveSavedModel } from '../saving/load.ts';
import type { SavedModel } from '../saving/saved-model.ts';
import { scoreOutputs } from '../saving/scores.ts';
import type { DataSpec } from '../saving/sources.ts';
import { predictedClass } from '../saving/task.ts';
import { batchInput, type TestSplit, testInput, testSplitOf } from './test-split.ts';

/** Bytes on disk of a saved model: what a deployment copies (the pointer and the current version). */
export interface DiskSize {
  bytes: number;
  /** Bytes per file, relative to the saved-model root. */
  files: Record<string, number>;
  /** model.safetensors alone. */
  weightsBytes: number;
}

export interface Latency {
  batch: number;
  /** Median milliseconds of one forward pass over `batch` preprocessed rows (output transform included). */
  medianMs: number;
  minMs: number;
  repeats: number;
}

export interface ModelMeasures {
  path: string;
  size: DiskSize;
  /** Test-split scores (saving.scoreOutputs names; regression adds rmse). */
  metrics: Record<string, number>;
  latency: Latency[];
}

export interface Comparison {
  task: 'classification' | 'regression';
  /** The metric the headline compares: accuracy (classification) or rmse (regression). */
  primaryMetric: 'accuracy' | 'rmse';
  split: {
    describe: string;
    rows: number;
    seed: number;
    hash: string;
    fingerprintMatches: boolean | null;
  };
  before: ModelMeasures;
  after: ModelMeasures;
  /** after / before size; before / after latency (> 1 is faster) per batch; after - before per metric. */
  ratios: { size: number; speedup: Record<string, number>; metricDelta: Record<string, number> };
  /** Classification: the fraction of test rows where both models predict the same class. */
  agreement?: number;
  /** Anything the reader of the numbers should know (a data file that changed since training). */
  notes: string[];
}

export interface CompareOptions {
  /** Replaces run.json's data section (needed for models trained on in-memory tables or tensors). */
  data?: DataSpec;
  /** Batch sizes timed (default [1, 64]). */
  batchSizes?: number[];
  /** Timed forward passes per batch size and model (default 30). */
  repeats?: number;
  /** Untimed passes first, per batch size and model (default 3). */
  warmup?: number;
  /** Rows per forward pass when scoring the test split (default 256). */
  evalBatchSize?: number;
  log?: (s: string) => void;
}

const COMPARE_KEYS = ['data', 'batchSizes', 'repeats', 'warmup', 'evalBatchSize', 'log'];
const OP = 'compress.compare';

function walk(dir: string, root: string, files: Record<string, number>): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, root, files);
    else if (st.isFile()) files[relative(root, p)] = st.size;
  }
}

/**
 * The saved model's bytes on disk: the pointer file and the version directory it names (leftovers of an
 * interrupted save and older versions are not part of the model).
 */
export function diskSize(path: string): DiskSize {
  const r = resolveSavedModel(path);
  const files: Record<string, number> = {};
  if (r.layout === 'v1') {
    const pointer = join(r.root, 'saved-model.json');
    files[relative(r.root, pointer)] = statSync(pointer).size;
  }
  walk(r.dir, r.root, files);
  const bytes = Object.values(files).reduce((a, b) => a + b, 0);
  const weights = files[relative(r.root, join(r.dir, 'model.safetensors'))] ?? 0;
  return { bytes, files, weightsBytes: weights };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function scores(saved: SavedModel, split: TestSplit, batchSize: number) {
  const x = testInput(split, saved);
  try {
    const o = saved.outputsOf(x, batchSize);
    const m = scoreOutputs(saved.task.task, saved.classes, split.y, o, saved.task.threshold);
    if (saved.task.task === 'regression') m.rmse = Math.sqrt(m.mse!);
    return { metrics: m, outputs: o };
  } finally {
    x.dispose();
  }
}

/**
 * Latency of both models at each batch size, timed in turns (before, after, before, ...) so that a machine
 * slowing down or speeding up mid-way weighs on both alike.
 */
function latencies(
  models: readonly SavedModel[],
  split: TestSplit,
  batchSizes: readonly number[],
  repeats: number,
  warmup: number,
): Latency[][] {
  const out: Latency[][] = models.map(() => []);
  for (const b of batchSizes) {
    const xs = models.map((m) => batchInput(split, m, b));
    try {
      for (let w = 0; w < warmup; w++)
        models.forEach((m, i) => {
          m.outputsOf(xs[i]!, b);
        });
      const times: number[][] = models.map(() => []);
      for (let r = 0; r < repeats; r++)
        models.forEach((m, i) => {
          const t0 = performance.now();
          m.outputsOf(xs[i]!, b);
          times[i]!.push(performance.now() - t0);
        });
      models.forEach((_, i) => {
        out[i]!.push({ batch: b, medianMs: median(times[i]!), minMs: Math.min(...times[i]!), repeats });
      });
    } finally {
      for (const x of xs) x.dispose();
    }
  }
  return out;
}

/** Loads two saved models (paths to saved-model directories or run directories) and compares them. */
export async function compareSavedModels(
  beforePath: string,
  afterPath: string,
  opts: CompareOptions = {},
): Promise<Comparison> {
  checkOptionKeys(OP, opts, COMPARE_KEYS);
  const batchSizes = opts.batchSizes ?? [1, 64];
  const repeats = opts.repeats ?? 30;
  const warmup = opts.warmup ?? 3;
  const evalBatch = opts.evalBatchSize ?? 256;
  for (const b of batchSizes)
    check(Number.isInteger(b) && b >= 1, OP, () => `batchSizes: ${b} is not a positive integer`);
  check(Number.isInteger(repeats) && repeats >= 1, OP, () => `repeats: ${repeats} is not a positive integer`);
  check(Number.isInteger(warmup) && warmup >= 0, OP, () => `warmup: ${warmup} is not a non-negative integer`);
  const log = opts.log ?? (() => {});
  const before = loadModel(beforePath);
  const after = loadModel(afterPath);
  if (before.task.task !== after.task.task)
    fail(OP, `${beforePath} is a ${before.task.task} model but ${afterPath} a ${after.task.task} model`);
  if (JSON.stringify(before.classes) !== JSON.stringify(after.classes))
    fail(OP, `${beforePath} and ${afterPath} have different classes`);
  // One split for both: the "before" model's run defines it (a compressed copy keeps the same run.json).
  const split = await testSplitOf(before, beforePath, opts.data);
  log(`[compare] ${split.describe}`);
  const sb = scores(before, split, evalBatch);
  const sa = scores(after, split, evalBatch);
  log(`[compare] latency at batch ${batchSizes.join(', ')} (${repeats} repeats each)`);
  const [lb, la] = latencies([before, after], split, batchSizes, repeats, warmup);
  const task = before.task.task;
  const notes: string[] = [];
  if (split.fingerprintMatches === false)
    notes.push(
      'the rebuilt training split does not match the model card fingerprint: the data changed since training (both models are still compared on the same rows)',
    );
  const metricDelta: Record<string, number> = {};
  for (const [k, v] of Object.entries(sb.metrics))
    if (sa.metrics[k] !== undefined) metricDelta[k] = sa.metrics[k]! - v;
  const speedup: Record<string, number> = {};
  lb!.forEach((l, i) => {
    speedup[String(l.batch)] = l.medianMs / la![i]!.medianMs;
  });
  const sizeBefore = diskSize(beforePath);
  const sizeAfter = diskSize(afterPath);
  const c: Comparison = {
    task,
    primaryMetric: task === 'regression' ? 'rmse' : 'accuracy',
    split: {
      describe: split.describe,
      rows: split.rows.length,
      seed: split.seed,
      hash: split.hash,
      fingerprintMatches: split.fingerprintMatches,
    },
    before: { path: beforePath, size: sizeBefore, metrics: sb.metrics, latency: lb! },
    after: { path: afterPath, size: sizeAfter, metrics: sa.metrics, latency: la! },
    ratios: { size: sizeAfter.bytes / sizeBefore.bytes, speedup, metricDelta },
    notes,
  };
  if (task === 'classification') {
    const k = before.classes!.length;
    let same = 0;
    for (let r = 0; r < sb.outputs.rows; r++)
      if (
        predictedClass(sb.outputs, r, k, before.task.threshold) ===
        predictedClass(sa.outputs, r, k, after.task.threshold)
      )
        same++;
    c.agreement = same / sb.outputs.rows;
  }
  return c;
}
