import type { TopLevelSpec } from 'vega-lite';
import type { ClassCurve } from './compute.ts';
import { downsampleCurve } from './downsample.ts';
import { fmtNumber } from './format.ts';
import type { History } from './history.ts';

/** One chart of the report: a stable id (file name), a title and its Vega-Lite spec with inline data. */
export interface ChartSpec {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

const WIDTH = 360;
const HEIGHT = 260;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const CONFIG = {
  font: 'DejaVu Sans, Liberation Sans, sans-serif',
  view: { stroke: '#ddd' },
  // no aria-label on every mark: each cost ~60 bytes per point and cell; the page's tables carry the numbers
  mark: { aria: false },
  axis: { gridColor: '#eee' },
};

function safeId(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '_');
}

/**
 * One chart per metric of a History ('loss', 'accuracy', ...): the train series and, where logged, the 'val_' one,
 * drawn per epoch. Missing (null) values leave gaps.
 */
export function trainingCurveCharts(h: History): ChartSpec[] {
  // epoch_seconds is a table of its own (Time per epoch), not a training curve
  const keys = Object.keys(h.history).filter((k) => k !== 'epoch_seconds');
  const bases = [...new Set(keys.map((k) => (k.startsWith('val_') ? k.slice(4) : k)))];
  // loss first, then the rest in the order they were logged
  bases.sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : 0));
  return bases.map((base) => {
    const values: { epoch: number; value: number | null; split: string }[] = [];
    for (const [key, split] of [
      [base, 'train'],
      [`val_${base}`, 'validation'],
    ] as const) {
      const series = h.history[key];
      if (series === undefined) continue;
      series.forEach((v, i) => {
        values.push({ epoch: h.epoch[i]!, value: v, split });
      });
    }
    return {
      id: `curve-${safeId(base)}`,
      title: base === 'lr' ? 'Learning rate' : `Training curve: ${base}`,
      spec: {
        $schema: SCHEMA,
        title: base === 'lr' ? 'learning rate' : base,
        width: WIDTH,
        height: HEIGHT,
        config: CONFIG,
        data: { values },
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
          // a learning rate spans decades under a schedule: a log axis shows each step
          y: {
            field: 'value',
            type: 'quantitative',
            title: base === 'lr' ? 'learning rate' : base,
            scale:
              base === 'lr' && values.every((v) => v.value === null || v.value > 0)
                ? { type: 'log' }
                : { zero: false },
          },
          color: {
            field: 'split',
            type: 'nominal',
            title: null,
            // The legend lists only the series the History has (no 'validation' entry without val_ keys).
            scale: {
              domain: ['train', 'validation'].filter((sp) => values.some((v) => v.split === sp)),
              range: ['#1f77b4', '#ff7f0e'].filter((_, i) =>
                values.some((v) => v.split === ['train', 'validation'][i]),
              ),
            },
          },
        },
      } as TopLevelSpec,
    };
  });
}

/**
 * Confusion-matrix heatmap: rows = true class, columns = predicted. `normalize` divides each row by its total
 * (the recall of that class on the diagonal), so classes of different sizes read on one colour scale.
 */
export function confusionChart(
  names: readonly string[],
  matrix: readonly (readonly number[])[],
  normalize = false,
): ChartSpec {
  const values: { truth: string; predicted: string; count: number }[] = [];
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      values.push({
        truth: names[i]!,
        predicted: names[j]!,
        count: normalize ? (total > 0 ? count / total : 0) : count,
      });
    });
  });
  const max = Math.max(0, ...values.map((v) => v.count));
  const side = Math.max(160, Math.min(420, 40 * names.length));
  const title = normalize ? 'Confusion matrix (row-normalised)' : 'Confusion matrix (counts)';
  return {
    id: normalize ? 'confusion-matrix-normalized' : 'confusion-matrix',
    title,
    spec: {
      $schema: SCHEMA,
      title,
      width: side,
      height: side,
      config: CONFIG,
      data: { values },
      encoding: {
        x: {
          field: 'predicted',
          type: 'ordinal',
          sort: [...names],
          title: 'predicted',
          // horizontal labels read better; tilt them only when many classes would collide
          axis: { labelAngle: names.length <= 6 ? 0 : -45, labelLimit: 120 },
        },
        y: { field: 'truth', type: 'ordinal', sort: [...names], title: 'true' },
      },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white' },
          encoding: {
            color: {
              field: 'count',
              type: 'quantitative',
              scale: { scheme: 'blues', domainMin: 0, ...(normalize ? { domainMax: 1 } : {}) },
              title: normalize ? 'share of row' : 'count',
            },
          },
        },
        {
          mark: { type: 'text', fontSize: names.length > 8 ? 10 : 12 },
          encoding: {
            text: { field: 'count', type: 'quantitative', format: normalize ? '.0%' : ',.4~g' },
            color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
          },
        },
      ],
    } as TopLevelSpec,
  };
}

/**
 * Points per curve in a chart: 200 for one or two curves, fewer when many share a chart (about 1,000 in all),
 * enough for the shape while report.html stays under 300 KB for 10 classes.
 */
export const CHART_CURVE_POINTS = 200;

function pointsPerCurve(curves: number): number {
  return Math.max(60, Math.min(CHART_CURVE_POINTS, Math.floor(1000 / Math.max(1, curves))));
}

// Ten distinguishable hues (Tableau 10) for classes; averages are drawn in black and grey on top.
const CLASS_COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

function curvePoints(
  curves: readonly ClassCurve[],
  label: (c: ClassCurve) => string,
  perCurve = pointsPerCurve(curves.length),
): { x: number; y: number; series: string; order: number }[] {
  const values: { x: number; y: number; series: string; order: number }[] = [];
  for (const c of curves) {
    const d = downsampleCurve(c.x, c.y, perCurve);
    d.x.forEach((x, i) => {
      values.push({
        x: Number(x.toPrecision(4)),
        y: Number(d.y[i]!.toPrecision(4)),
        series: label(c),
        order: i,
      });
    });
  }
  return values;
}

function curveChart(
  id: string,
  title: string,
  curves: readonly ClassCurve[],
  averages: readonly ClassCurve[],
  xTitle: string,
  yTitle: string,
  areaName: string,
  diagonal: boolean,
): ChartSpec {
  const label = (c: ClassCurve) => `${c.name} (${areaName} ${fmtNumber(c.area)})`;
  const all = [...averages, ...curves];
  const values = curvePoints(all, label);
  const seriesNames = all.map(label);
  const many = curves.length > 2;
  const colours = [
    ...averages.map((_, i) => (i === 0 ? '#000000' : '#777777')),
    ...curves.map((_, i) => CLASS_COLOURS[i % CLASS_COLOURS.length]!),
  ];
  const layer: object[] = [
    {
      mark: { type: 'line', interpolate: areaName === 'AP' ? 'step-after' : 'linear' },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: xTitle, scale: { domain: [0, 1] } },
        y: { field: 'y', type: 'quantitative', title: yTitle, scale: { domain: [0, 1] } },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          sort: seriesNames,
          scale: { domain: seriesNames, range: colours },
          legend: { orient: 'right', labelLimit: 260, columns: 1 },
        },
        // averages thick, classes thin, so ten classes do not hide the summary
        strokeWidth: {
          condition: { test: `indexof(${JSON.stringify(averages.map(label))}, datum.series) >= 0`, value: 3 },
          value: many ? 1.25 : 2,
        },
        order: { field: 'order', type: 'quantitative' },
      },
    },
  ];
  if (diagonal) {
    layer.unshift({
      data: {
        values: [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
      },
      mark: { type: 'line', strokeDash: [4, 4], color: '#999', strokeWidth: 1 },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
    });
  }
  return {
    id,
    title,
    spec: {
      $schema: SCHEMA,
      title,
      width: WIDTH,
      height: WIDTH,
      config: CONFIG,
      data: { values },
      layer,
    } as TopLevelSpec,
  };
}

/**
 * One small panel per class (one-vs-rest), five to a row, each with its own zoomed axes: a good model's curves all
 * hug one corner, and only per-class axes fitted to the curve show how they differ.
 */
function smallMultiples(
  id: string,
  title: string,
  curves: readonly ClassCurve[],
  xTitle: string,
  yTitle: string,
  areaName: string,
): ChartSpec {
  const label = (c: ClassCurve) => `${c.name} (${areaName} ${fmtNumber(c.area)})`;
  // a 150 px panel needs no more than 80 points
  const values = curvePoints(curves, label, 80);
  return {
    id,
    title,
    spec: {
      $schema: SCHEMA,
      title,
      config: CONFIG,
      data: { values },
      facet: { field: 'series', type: 'nominal', title: null, sort: curves.map(label) },
      columns: 5,
      spec: {
        width: 150,
        height: 120,
        mark: { type: 'line', strokeWidth: 1.5, interpolate: areaName === 'AP' ? 'step-after' : 'linear' },
        encoding: {
          // few ticks and no grid: ten panels of axes otherwise outweigh the curves in the SVG
          x: {
            field: 'x',
            type: 'quantitative',
            title: xTitle,
            scale: { zero: false, nice: false },
            axis: { grid: false, tickCount: 3, labelOverlap: true },
          },
          y: {
            field: 'y',
            type: 'quantitative',
            title: yTitle,
            scale: { zero: false, nice: false },
            axis: { grid: false, tickCount: 3, labelOverlap: true },
          },
          order: { field: 'order', type: 'quantitative' },
          color: { value: '#4e79a7' },
        },
      },
      resolve: { scale: { x: 'independent', y: 'independent' } },
    } as TopLevelSpec,
  };
}

/** ROC curves (one per class for one-vs-rest, plus the micro/macro averages), with the chance diagonal. */
export function rocChart(curves: readonly ClassCurve[], averages: readonly ClassCurve[] = []): ChartSpec {
  return curveChart(
    'roc-curve',
    'ROC curve',
    curves,
    averages,
    'false positive rate',
    'true positive rate',
    'AUC',
    true,
  );
}

/** Precision-recall curves (one per class for one-vs-rest, plus the micro average), as sklearn's step function. */
export function prChart(curves: readonly ClassCurve[], averages: readonly ClassCurve[] = []): ChartSpec {
  return curveChart(
    'pr-curve',
    'Precision-recall curve',
    curves,
    averages,
    'recall',
    'precision',
    'AP',
    false,
  );
}

/** Per-class ROC panels with zoomed axes (multiclass). */
export function rocPerClassChart(curves: readonly ClassCurve[]): ChartSpec {
  return smallMultiples(
    'roc-curve-per-class',
    'ROC curve per class (zoomed axes)',
    curves,
    'FPR',
    'TPR',
    'AUC',
  );
}

/** Per-class precision-recall panels with zoomed axes (multiclass). */
export function prPerClassChart(curves: readonly ClassCurve[]): ChartSpec {
  return smallMultiples(
    'pr-curve-per-class',
    'Precision-recall per class (zoomed axes)',
    curves,
    'recall',
    'precision',
    'AP',
  );
}

/** Most points a scatter chart draws: more only blur into a blot, and 300k symbols took minutes to render. */
export const MAX_SCATTER_POINTS = 2000;

/**
 * The rows a scatter chart draws: all of them up to `max`, otherwise every (n / max)-th row, an even sample over
 * the evaluation order that keeps the first and last rows.
 */
export function scatterRows(n: number, max = MAX_SCATTER_POINTS): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.round((i * (n - 1)) / (max - 1)));
}

/** min and max of both arrays in one pass: `Math.min(...a)` overflows the call stack past ~100k values. */
export function extent(a: readonly number[], b: readonly number[]): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const arr of [a, b])
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  return [lo, hi];
}

function sampledTitle(base: string, shown: number, n: number): string {
  return shown < n
    ? `${base} (${shown.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} shown)`
    : base;
}

/** Predicted against true values, with the y = x line a perfect model would sit on. */
export function scatterChart(yTrue: readonly number[], yPred: readonly number[]): ChartSpec {
  const rows = scatterRows(yTrue.length);
  const values = rows.map((i) => ({ truth: yTrue[i]!, predicted: yPred[i]! }));
  // the diagonal spans every sample, drawn or not
  const [lo, hi] = extent(yTrue, yPred);
  return {
    id: 'predicted-vs-true',
    title: 'Predicted vs true',
    spec: {
      $schema: SCHEMA,
      title: sampledTitle('Predicted vs true', rows.length, yTrue.length),
      width: WIDTH,
      height: WIDTH,
      config: CONFIG,
      layer: [
        {
          data: {
            values: [
              { truth: lo, predicted: lo },
              { truth: hi, predicted: hi },
            ],
          },
          mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
          encoding: {
            x: { field: 'truth', type: 'quantitative' },
            y: { field: 'predicted', type: 'quantitative' },
          },
        },
        {
          data: { values },
          mark: { type: 'point', filled: true, opacity: 0.6, size: 30 },
          encoding: {
            x: { field: 'truth', type: 'quantitative', title: 'true value', scale: { zero: false } },
            y: { field: 'predicted', type: 'quantitative', title: 'predicted value', scale: { zero: false } },
          },
        },
      ],
    } as TopLevelSpec,
  };
}

/** Residuals (true - predicted) against the prediction, with the zero line. */
export function residualChart(yTrue: readonly number[], yPred: readonly number[]): ChartSpec {
  const rows = scatterRows(yTrue.length);
  const values = rows.map((i) => ({ predicted: yPred[i]!, residual: yTrue[i]! - yPred[i]! }));
  return {
    id: 'residuals',
    title: 'Residuals',
    spec: {
      $schema: SCHEMA,
      title: sampledTitle('Residuals (true - predicted)', rows.length, yTrue.length),
      width: WIDTH,
      height: HEIGHT,
      config: CONFIG,
      layer: [
        {
          data: { values },
          mark: { type: 'point', filled: true, opacity: 0.6, size: 30 },
          encoding: {
            x: { field: 'predicted', type: 'quantitative', title: 'predicted value', scale: { zero: false } },
            y: { field: 'residual', type: 'quantitative', title: 'residual' },
          },
        },
        {
          data: { values: [{ y: 0 }] },
          mark: { type: 'rule', strokeDash: [4, 4], color: '#999' },
          encoding: { y: { field: 'y', type: 'quantitative' } },
        },
      ],
    } as TopLevelSpec,
  };
}
