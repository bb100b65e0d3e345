import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from '../core/errors.ts';
import type { MetricInput } from '../metrics/index.ts';
import {
  type ChartSpec,
  confusionChart,
  prChart,
  residualChart,
  rocChart,
  scatterChart,
  trainingCurveCharts,
} from './charts.ts';
import { computeReportMetrics, type ReportMetrics, type ReportTask } from './compute.ts';
import { type History, loadHistory, validateHistory } from './history.ts';
import { type RenderedChart, reportHtml } from './html.ts';
import { prefixSvgIds, specToSvg, svgToPng } from './render.ts';

export interface ReportOptions {
  /** Folder for report.json, report.html and the chart files (created if missing). */
  outDir: string;
  title: string;
  task: ReportTask;
  /** Integer class labels (or one-hot rows), or the true values for regression. */
  yTrue: MetricInput;
  /** Predicted labels, or predicted values for regression. Derived from `scores` when omitted. */
  yPred?: MetricInput;
  /** Probabilities: binary -> vector/[N,1]/[N,2]; multiclass -> [N,C]. Needed for ROC/PR curves, AUC and log loss. */
  scores?: MetricInput;
  /** Name of class i at index i. */
  classNames?: readonly string[];
  /** Binary: labels from scores are `score > threshold` (default 0.5). */
  threshold?: number;
  /** A Keras-like History, or the path of one written by saveHistory, for the training curves. */
  history?: History | string;
  /** Anything else worth keeping with the report (model name, dataset, hyper-parameters): JSON-serialisable. */
  extra?: Record<string, unknown>;
}

export interface ReportResult {
  jsonPath: string;
  htmlPath: string;
  charts: { id: string; title: string; svgPath: string; pngPath: string }[];
  report: ReportMetrics;
}

/** JSON cannot hold NaN or Infinity: write them as null (and say so in the reader's docs). */
function jsonReplacer(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

/**
 * Evaluates predictions and writes `report.json` (every metric, per class, curves, history), a self-contained
 * `report.html` (inline SVG charts, no script, no network) and each chart as `<id>.svg` and `<id>.png`.
 */
export async function writeReport(o: ReportOptions): Promise<ReportResult> {
  const op = 'writeReport';
  check(typeof o.outDir === 'string' && o.outDir.length > 0, op, () => 'outDir must be a non-empty path');
  check(typeof o.title === 'string', op, () => 'title must be a string');
  const report = computeReportMetrics(o);
  const history =
    o.history === undefined
      ? undefined
      : typeof o.history === 'string'
        ? loadHistory(o.history)
        : validateHistory(o.history, op);

  const specs: ChartSpec[] = [];
  if (history !== undefined) specs.push(...trainingCurveCharts(history));
  if (report.confusion !== undefined)
    specs.push(confusionChart(report.confusion.names, report.confusion.matrix));
  if (report.roc !== undefined && report.roc.length > 0) specs.push(rocChart(report.roc));
  if (report.pr !== undefined && report.pr.length > 0) specs.push(prChart(report.pr));
  if (report.regression !== undefined) {
    specs.push(scatterChart(report.regression.yTrue, report.regression.yPred));
    specs.push(residualChart(report.regression.yTrue, report.regression.yPred));
  }

  mkdirSync(o.outDir, { recursive: true });
  const rendered: RenderedChart[] = [];
  const charts: ReportResult['charts'] = [];
  for (const c of specs) {
    const svg = await specToSvg(c.spec);
    const svgFile = `${c.id}.svg`;
    const pngFile = `${c.id}.png`;
    writeFileSync(join(o.outDir, svgFile), svg);
    writeFileSync(join(o.outDir, pngFile), await svgToPng(svg));
    rendered.push({ id: c.id, title: c.title, svg: prefixSvgIds(svg, c.id), svgFile, pngFile });
    charts.push({
      id: c.id,
      title: c.title,
      svgPath: join(o.outDir, svgFile),
      pngPath: join(o.outDir, pngFile),
    });
  }

  const generatedAt = new Date().toISOString();
  const json = {
    title: o.title,
    task: report.task,
    generatedAt,
    samples: report.samples,
    metrics: report.metrics,
    perClass: report.perClass,
    confusionMatrix: report.confusion,
    curves: { roc: report.roc, pr: report.pr },
    history,
    notes: report.notes,
    charts: charts.map((c) => ({ id: c.id, title: c.title, svg: `${c.id}.svg`, png: `${c.id}.png` })),
    extra: o.extra,
  };
  const jsonPath = join(o.outDir, 'report.json');
  const htmlPath = join(o.outDir, 'report.html');
  writeFileSync(jsonPath, `${JSON.stringify(json, jsonReplacer, 2)}\n`);
  writeFileSync(htmlPath, reportHtml(o.title, report, rendered, o.extra, generatedAt));
  return { jsonPath, htmlPath, charts, report };
}
