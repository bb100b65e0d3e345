/**
 * Data sources of a run config: the library's (ts.saving.loadData: raw rows, a seeded split, preprocessing
 * fitted on the training part) plus what the report shows of them, the raw inputs of misclassified examples.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as ts from '../index.ts';
import type { RunConfig } from './config.ts';

export type Task = ts.saving.Task;

export interface Source extends ts.saving.Source {
  /** The raw inputs of the given rows (pixels, texts or feature cells), for the report's misclassified examples. */
  examples(rows: Int32Array): ts.ReportExamples;
}

export const {
  assertFiniteFeatures,
  badNumbersNote,
  crossValidationFolds,
  csvColumns,
  encodeLabels,
  readTable,
} = ts.saving;

/** Feature cells of the given rows as the report's table examples (missing numbers as null). */
export function tableExamples(
  table: ts.data.Table,
  columns: readonly string[],
  rows: Int32Array,
): ts.ReportExamples {
  // the first EXAMPLE_COLUMNS columns: 16 rows of a 784-pixel table would outweigh the rest of the report
  const shown = columns.slice(0, EXAMPLE_COLUMNS);
  const more = columns.length - shown.length;
  const cols = shown.map((c) => table.data[c]!);
  return {
    kind: 'table',
    columns: more > 0 ? [...shown, `… ${more} more`] : shown,
    rows: Array.from(rows, (r) => {
      const cells: (number | string | null)[] = cols.map((col) => {
        const v = col[r];
        return v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : v;
      });
      if (more > 0) cells.push(null);
      return cells;
    }),
  };
}

/** Feature columns a report's table of misclassified rows shows. */
export const EXAMPLE_COLUMNS = 24;

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

/** The report's examples of some raw rows. */
function examplesOf(raw: ts.saving.RawRows): ts.ReportExamples {
  switch (raw.kind) {
    case 'table':
      return tableExamples(
        raw.table,
        raw.columns,
        Int32Array.from({ length: raw.table.length }, (_, i) => i),
      );
    case 'image':
      return imageExamples(raw.channels, raw.height, raw.width, raw.pixels);
    case 'text':
      return { kind: 'text', texts: raw.texts };
  }
}

/** Loads the data a run config names, through the library's sources. */
export async function loadSource(config: RunConfig): Promise<Source> {
  const src = await ts.saving.loadData(config.data as ts.saving.DataSpec, {
    seed: config.seed,
    loss: config.loss,
  });
  return { ...src, examples: (rows) => examplesOf(src.raw(rows)) };
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
