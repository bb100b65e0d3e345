import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from '../core/errors.ts';
import type { MetricInput } from '../metrics/index.ts';
import { Module } from '../nn/module.ts';
import {
  type ChartSpec,
  confusionChart,
  prChart,
  prPerClassChart,
  residualChart,
  rocChart,
  rocPerClassChart,
  scatterChart,
  trainingCurveCharts,
} from './charts.ts';
import { type ClassCurve, computeReportMetrics, type ReportMetrics, type ReportTask } from './compute.ts';
import { downsampleCurve } from './downsample.ts';
import { type History, loadHistory, validateHistory } from './history.ts';
import { type RenderedChart, reportHtml } from './html.ts';
import { compactSvg, prefixSvgIds, slimInlineSvg, specToSvg, svgToPng } from './render.ts';
import {
  epochTimeHtml,
  type ModelSummaryRow,
  misclassifiedHtml,
  modelSummary,
  modelSummaryHtml,
  pickMisclassified,
  type ReportExamples,
} from './sections.ts';

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
  /** The evaluated rows' inputs (images, texts or table rows, in yTrue order): the report shows misclassified ones. */
  examples?: ReportExamples;
  /** How many misclassified examples to show (default 16). */
  misclassifiedLimit?: number;
  /** The model (or its summary rows), for a table of parameter counts per layer. */
  model?: Module | readonly ModelSummaryRow[];
  /** Seconds per epoch; read from the History's `epoch_seconds` key when omitted. */
  epochSeconds?: readonly number[];
  /** Also draw the row-normalised confusion matrix next to the counts (default true). */
  normalizeConfusion?: boolean;
  /** Anything else worth keeping with the report (model name, dataset, hyper-parameters): JSON-serialisable. */
  extra?: Record<string, unknown>;
}

export interface ReportResult {
  jsonPath: string;
  htmlPath: string;
  charts: { id: string; title: string; svgPath: string; pngPath: string }[];
  report: ReportMetrics;
}

const JSON_CURVE_POINTS = 1000;

function thin(curves: readonly ClassCurve[] | undefined): ClassCurve[] | undefined {
  return curves?.map((c) => ({ ...c, ...downsampleCurve(c.x, c.y, JSON_CURVE_POINTS) }));
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
  if (report.confusion !== undefined) {
    specs.push(confusionChart(report.confusion.names, report.confusion.matrix));
    if (o.normalizeConfusion ?? true)
      specs.push(confusionChart(report.confusion.names, report.confusion.matrix, true));
  }
  if (report.roc !== undefined && report.roc.length > 0) {
    specs.push(rocChart(report.roc, report.rocAverage));
    if (report.roc.length > 2) specs.push(rocPerClassChart(report.roc));
  }
  if (report.pr !== undefined && report.pr.length > 0) {
    specs.push(prChart(report.pr, report.prAverage));
    if (report.pr.length > 2) specs.push(prPerClassChart(report.pr));
  }
  if (report.regression !== undefined) {
    specs.push(scatterChart(report.regression.yTrue, report.regression.yPred));
    specs.push(residualChart(report.regression.yTrue, report.regression.yPred));
  }

  mkdirSync(o.outDir, { recursive: true });
  const rendered: RenderedChart[] = [];
  const charts: ReportResult['charts'] = [];
  for (const c of specs) {
    const svg = compactSvg(await specToSvg(c.spec));
    const svgFile = `${c.id}.svg`;
    const pngFile = `${c.id}.png`;
    writeFileSync(join(o.outDir, svgFile), svg);
    writeFileSync(join(o.outDir, pngFile), await svgToPng(svg));
    rendered.push({
      id: c.id,
      title: c.title,
      svg: prefixSvgIds(slimInlineSvg(svg), c.id),
      svgFile,
      pngFile,
    });
    charts.push({
      id: c.id,
      title: c.title,
      svgPath: join(o.outDir, svgFile),
      pngPath: join(o.outDir, pngFile),
    });
  }

  const sections: string[] = [];
  let summary: readonly ModelSummaryRow[] | undefined;
  if (o.model !== undefined) {
    summary = o.model instanceof Module ? modelSummary(o.model) : o.model;
    sections.push(modelSummaryHtml(summary));
  }
  const epochSeconds = o.epochSeconds ?? history?.history.epoch_seconds?.map((v) => v ?? Number.NaN);
  if (epochSeconds !== undefined && epochSeconds.length > 0)
    sections.push(epochTimeHtml(history?.epoch ?? epochSeconds.map((_, i) => i), epochSeconds));
  if (o.examples !== undefined && report.predictions !== undefined) {
    const pr = report.predictions;
    const names = report.confusion?.names ?? [];
    const byLabel = new Map(report.confusion?.labels.map((l, i) => [l, names[i]!]));
    const labelNames = Array.from(
      { length: Math.max(0, ...byLabel.keys()) + 1 },
      (_, l) => byLabel.get(l) ?? String(l),
    );
    const picked = pickMisclassified(
      pr.yTrue,
      pr.yPred,
      labelNames,
      pr.confidence === undefined ? undefined : (r) => pr.confidence![r]!,
      o.misclassifiedLimit ?? 16,
    );
    sections.push(await misclassifiedHtml(o.examples, picked));
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
    // Curves thinned to <= JSON_CURVE_POINTS each: the full ones of 10 classes x 10,000 samples were 12 MB.
    curves: {
      maxPoints: JSON_CURVE_POINTS,
      roc: thin(report.roc),
      pr: thin(report.pr),
      rocAverage: thin(report.rocAverage),
      prAverage: thin(report.prAverage),
    },
    modelSummary: summary,
    epochSeconds,
    history,
    notes: report.notes,
    charts: charts.map((c) => ({ id: c.id, title: c.title, svg: `${c.id}.svg`, png: `${c.id}.png` })),
    extra: o.extra,
  };
  const jsonPath = join(o.outDir, 'report.json');
  const htmlPath = join(o.outDir, 'report.html');
  writeFileSync(jsonPath, `${JSON.stringify(json, jsonReplacer, 2)}\n`);
  writeFileSync(htmlPath, reportHtml(o.title, report, rendered, o.extra, generatedAt, sections));
  return { jsonPath, htmlPath, charts, report };
}
