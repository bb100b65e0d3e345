/**
 * The before/after report of a comparison: report.json (every number of the Comparison plus what was done),
 * an offline report.html (inline SVG, no script, no network, like the evaluation report) and the chart as
 * compare.svg / compare.png, drawn with the report area's Vega-Lite renderer.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { check } from '../core/errors.ts';
import { writeFileAtomic } from '../io/safetensors.ts';
import { escapeHtml, htmlPage, htmlTable } from '../report/html.ts';
import { compactSvg, prefixSvgIds, slimInlineSvg, specToSvg, svgToPng } from '../report/render.ts';
import type { Comparison } from './compare.ts';

export interface CompareReportOptions {
  outDir: string;
  title?: string;
  /** What was done to get from before to after (the compress steps), shown and kept in report.json. */
  steps?: readonly Record<string, unknown>[];
}

export interface CompareReportResult {
  jsonPath: string;
  htmlPath: string;
  svgPath: string;
  pngPath: string;
}

/** One panel per measure (size, each latency, the metric), before and after side by side. */
function comparisonChart(c: Comparison): TopLevelSpec {
  const values: { measure: string; model: string; value: number }[] = [];
  const add = (measure: string, b: number, a: number) => {
    values.push({ measure, model: 'before', value: b }, { measure, model: 'after', value: a });
  };
  add('size on disk (KiB)', c.before.size.bytes / 1024, c.after.size.bytes / 1024);
  c.before.latency.forEach((l, i) => {
    add(`latency batch ${l.batch} (ms, median)`, l.medianMs, c.after.latency[i]!.medianMs);
  });
  const m = c.primaryMetric;
  add(`test ${m}`, c.before.metrics[m] ?? Number.NaN, c.after.metrics[m] ?? Number.NaN);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'before / after',
    config: {
      font: 'DejaVu Sans, Liberation Sans, sans-serif',
      view: { stroke: '#ddd' },
      mark: { aria: false },
      axis: { gridColor: '#eee' },
    },
    data: { values },
    facet: { column: { field: 'measure', type: 'nominal', title: null, sort: values.map((v) => v.measure) } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 120,
      height: 220,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'model', type: 'nominal', sort: ['before', 'after'], title: null },
        y: { field: 'value', type: 'quantitative', title: null },
        color: {
          field: 'model',
          type: 'nominal',
          scale: { domain: ['before', 'after'], range: ['#1f77b4', '#ff7f0e'] },
          legend: null,
        },
      },
    },
  } as TopLevelSpec;
}

function fmt(v: number | undefined, digits = 4): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Rows of the headline table: measure, before, after, change. */
export function comparisonRows(c: Comparison): string[][] {
  const rows: string[][] = [
    ['size on disk', kib(c.before.size.bytes), kib(c.after.size.bytes), `${fmt(c.ratios.size, 3)}x`],
    [
      'weights (model.safetensors)',
      kib(c.before.size.weightsBytes),
      kib(c.after.size.weightsBytes),
      `${fmt(c.after.size.weightsBytes / c.before.size.weightsBytes, 3)}x`,
    ],
  ];
  c.before.latency.forEach((l, i) => {
    const a = c.after.latency[i]!;
    rows.push([
      `latency batch ${l.batch} (median of ${l.repeats})`,
      `${fmt(l.medianMs, 3)} ms`,
      `${fmt(a.medianMs, 3)} ms`,
      `${fmt(c.ratios.speedup[String(l.batch)], 2)}x faster`,
    ]);
  });
  for (const [k, v] of Object.entries(c.before.metrics)) {
    const d = c.ratios.metricDelta[k];
    rows.push([
      `test ${k}`,
      fmt(v),
      fmt(c.after.metrics[k]),
      d === undefined ? '—' : `${d >= 0 ? '+' : ''}${fmt(d)}`,
    ]);
  }
  if (c.agreement !== undefined) rows.push(['same predicted class', '', '', fmt(c.agreement)]);
  return rows;
}

function jsonReplacer(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

/** Writes report.json, report.html, compare.svg and compare.png into `outDir`. */
export async function writeComparisonReport(
  c: Comparison,
  opts: CompareReportOptions,
): Promise<CompareReportResult> {
  check(
    typeof opts.outDir === 'string' && opts.outDir.length > 0,
    'compress.report',
    () => 'outDir must be a path',
  );
  const title = opts.title ?? `${c.before.path} -> ${c.after.path}`;
  const steps = opts.steps ?? [];
  mkdirSync(opts.outDir, { recursive: true });
  const svg = compactSvg(await specToSvg(comparisonChart(c)));
  const svgPath = join(opts.outDir, 'compare.svg');
  const pngPath = join(opts.outDir, 'compare.png');
  writeFileAtomic(svgPath, svg);
  writeFileAtomic(pngPath, await svgToPng(svg));
  const generatedAt = new Date().toISOString();
  const jsonPath = join(opts.outDir, 'report.json');
  writeFileAtomic(
    jsonPath,
    `${JSON.stringify({ title, generatedAt, steps, ...c, chart: { svg: 'compare.svg', png: 'compare.png' } }, jsonReplacer, 2)}\n`,
  );
  const fileRows = (which: 'before' | 'after') =>
    Object.entries(c[which].size.files).map(([f, b]) => [f, String(b)]);
  const parts = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${escapeHtml(c.task)} · ${escapeHtml(c.split.describe)} · rows hash ${escapeHtml(c.split.hash)} · generated ${escapeHtml(generatedAt)}</p>`,
    '<h2>Before / after</h2>',
    htmlTable(['measure', 'before', 'after', 'change'], comparisonRows(c), 'comparison'),
  ];
  if (c.notes.length > 0)
    parts.push(`<ul class="notes">${c.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  parts.push(
    `<figure class="chart" id="compare">${prefixSvgIds(slimInlineSvg(svg), 'compare')}<figcaption><a href="compare.svg">SVG</a> · <a href="compare.png">PNG</a></figcaption></figure>`,
  );
  if (steps.length > 0) {
    parts.push('<h2>Steps</h2><ol class="steps">');
    for (const s of steps)
      parts.push(
        `<li>${Object.entries(s)
          .map(([k, v]) => `${escapeHtml(k)}: ${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}`)
          .join(' · ')}</li>`,
      );
    parts.push('</ol>');
  }
  parts.push(
    `<h2>Files</h2><h3>before: ${escapeHtml(c.before.path)}</h3>`,
    htmlTable(['file', 'bytes'], fileRows('before'), 'files files-before'),
    `<h3>after: ${escapeHtml(c.after.path)}</h3>`,
    htmlTable(['file', 'bytes'], fileRows('after'), 'files files-after'),
  );
  const style =
    'body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}.meta{color:#666}table{border-collapse:collapse;margin:8px 0 24px}th,td{border:1px solid #ddd;padding:4px 10px;text-align:right}thead th{background:#f3f5f8}tbody th{text-align:left;font-weight:normal}figure.chart{margin:0;border:1px solid #e5e5e5;padding:8px}.notes li{color:#8a5300}';
  const htmlPath = join(opts.outDir, 'report.html');
  writeFileAtomic(htmlPath, htmlPage(title, parts, style));
  return { jsonPath, htmlPath, svgPath, pngPath };
}
