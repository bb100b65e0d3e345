import type { TopLevelSpec } from 'vega-lite';
import type { ClassCurve } from './compute.ts';
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
  const keys = Object.keys(h.history);
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
      title: `Training curve: ${base}`,
      spec: {
        $schema: SCHEMA,
        title: base,
        width: WIDTH,
        height: HEIGHT,
        config: CONFIG,
        data: { values },
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
          y: { field: 'value', type: 'quantitative', title: base, scale: { zero: false } },
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

/** Confusion-matrix heatmap: rows = true class, columns = predicted, cell text = count. */
export function confusionChart(names: readonly string[], matrix: readonly (readonly number[])[]): ChartSpec {
  const values: { truth: string; predicted: string; count: number }[] = [];
  matrix.forEach((row, i) => {
    row.forEach((count, j) => {
      values.push({ truth: names[i]!, predicted: names[j]!, count });
    });
  });
  const max = Math.max(0, ...values.map((v) => v.count));
  const side = Math.max(160, Math.min(480, 48 * names.length));
  return {
    id: 'confusion-matrix',
    title: 'Confusion matrix',
    spec: {
      $schema: SCHEMA,
      title: 'Confusion matrix',
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
              scale: { scheme: 'blues', domainMin: 0 },
              title: 'count',
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 12 },
          encoding: {
            text: { field: 'count', type: 'quantitative', format: ',.4~g' },
            color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
          },
        },
      ],
    } as TopLevelSpec,
  };
}

function curveChart(
  id: string,
  title: string,
  curves: readonly ClassCurve[],
  xTitle: string,
  yTitle: string,
  areaName: string,
  diagonal: boolean,
): ChartSpec {
  const values: { x: number; y: number; series: string; order: number }[] = [];
  const seriesNames = curves.map((c) => `${c.name} (${areaName} ${c.area.toFixed(3)})`);
  curves.forEach((c, k) => {
    c.x.forEach((x, i) => {
      values.push({ x, y: c.y[i]!, series: seriesNames[k]!, order: i });
    });
  });
  const layer: object[] = [
    {
      mark: { type: 'line', strokeWidth: 2, interpolate: areaName === 'AP' ? 'step-after' : 'linear' },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: xTitle, scale: { domain: [0, 1] } },
        y: { field: 'y', type: 'quantitative', title: yTitle, scale: { domain: [0, 1] } },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          sort: seriesNames,
          legend: { orient: 'bottom', direction: 'vertical', labelLimit: 480 },
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

/** ROC curves (one per class for one-vs-rest), with the chance diagonal. */
export function rocChart(curves: readonly ClassCurve[]): ChartSpec {
  return curveChart(
    'roc-curve',
    'ROC curve',
    curves,
    'false positive rate',
    'true positive rate',
    'AUC',
    true,
  );
}

/** Precision-recall curves (one per class for one-vs-rest), drawn as sklearn's step function. */
export function prChart(curves: readonly ClassCurve[]): ChartSpec {
  return curveChart('pr-curve', 'Precision-recall curve', curves, 'recall', 'precision', 'AP', false);
}

/** Predicted against true values, with the y = x line a perfect model would sit on. */
export function scatterChart(yTrue: readonly number[], yPred: readonly number[]): ChartSpec {
  const values = yTrue.map((t, i) => ({ truth: t, predicted: yPred[i]! }));
  const lo = Math.min(...yTrue, ...yPred);
  const hi = Math.max(...yTrue, ...yPred);
  return {
    id: 'predicted-vs-true',
    title: 'Predicted vs true',
    spec: {
      $schema: SCHEMA,
      title: 'Predicted vs true',
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
  const values = yTrue.map((t, i) => ({ predicted: yPred[i]!, residual: t - yPred[i]! }));
  return {
    id: 'residuals',
    title: 'Residuals',
    spec: {
      $schema: SCHEMA,
      title: 'Residuals (true - predicted)',
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
