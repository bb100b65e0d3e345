import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ts from '../../src/index.ts';
import { downsampleCurve } from '../../src/report/downsample.ts';
import { flattenForTable, fmtNumber } from '../../src/report/format.ts';
import { history, multiclassData } from './data.ts';

describe('downsampleCurve', () => {
  it('keeps both endpoints, at most maxPoints, and a monotone curve stays monotone', () => {
    const n = 10_000;
    const x = Array.from({ length: n }, (_, i) => (i / (n - 1)) ** 2);
    const y = x.map((v) => Math.sqrt(v) * (1 - 0.1 * Math.sin(v * 40) ** 2));
    for (let i = 1; i < n; i++) y[i] = Math.max(y[i]!, y[i - 1]!); // non-decreasing, like a ROC curve
    const d = downsampleCurve(x, y, 200);
    assert.equal(d.x.length, 200);
    assert.deepEqual([d.x[0], d.y[0]], [x[0], y[0]]);
    assert.deepEqual([d.x.at(-1), d.y.at(-1)], [x.at(-1), y.at(-1)]);
    for (let i = 1; i < d.x.length; i++) {
      assert.ok(d.x[i]! >= d.x[i - 1]!, `x not monotone at ${i}`);
      assert.ok(d.y[i]! >= d.y[i - 1]!, `y not monotone at ${i}`);
    }
    // the shape is kept: area within 1% of the full curve's
    const area = (xs: number[], ys: number[]) =>
      xs.slice(1).reduce((a, _, i) => a + ((xs[i + 1]! - xs[i]!) * (ys[i + 1]! + ys[i]!)) / 2, 0);
    assert.ok(Math.abs(area(d.x, d.y) - area(x, y)) < 0.01 * area(x, y));
  });

  it('returns short curves unchanged', () => {
    assert.deepEqual(downsampleCurve([0, 0.5, 1], [0, 0.8, 1], 200), { x: [0, 0.5, 1], y: [0, 0.8, 1] });
  });
});

describe('report number formatting', () => {
  it('rounds to 4 significant digits and keeps integers', () => {
    assert.equal(fmtNumber(136.37289143), '136.4');
    assert.equal(fmtNumber(0.987654), '0.9877');
    assert.equal(fmtNumber(60000), '60000');
    assert.equal(fmtNumber(0.00001234), '1.234e-5');
    assert.equal(fmtNumber(Number.NaN), 'NaN');
  });

  it('flattens a config to dotted keys', () => {
    assert.deepEqual(flattenForTable({ optimizer: { name: 'adam', lr: 0.0012345678 }, layers: [64, 10] }), [
      ['optimizer.name', 'adam'],
      ['optimizer.lr', '0.001235'],
      ['layers', '[64, 10]'],
    ]);
  });
});

describe('a 10-class report on 10,000 samples', () => {
  it('stays small, is rounded, and shows averages, normalised matrix, config table, examples and model', async () => {
    const { yTrue, scores } = multiclassData(10_000, 10, 5);
    const dir = mkdtempSync(join(tmpdir(), 'report-readable-'));
    const pixels = new Float32Array(10_000 * 28 * 28).map((_, i) => (i % 28) / 28);
    const h = history(5);
    h.history.lr = [1e-3, 1e-3, 5e-4, 2.5e-4, 1.25e-4];
    h.history.epoch_seconds = [12.3456, 11.9, 12.01, 12.2, 11.87];
    const model = new ts.nn.Sequential(new ts.nn.Linear(784, 32), new ts.nn.ReLU(), new ts.nn.Linear(32, 10));
    try {
      const r = await ts.writeReport({
        outDir: dir,
        title: 'mnist-like',
        task: 'multiclass',
        yTrue,
        scores,
        classNames: Array.from({ length: 10 }, (_, i) => String(i)),
        history: h,
        examples: { kind: 'image', width: 28, height: 28, pixels },
        model,
        extra: {
          config: { optimizer: { name: 'adam', lr: 0.001 }, training: { epochs: 5 } },
          trainSeconds: 136.37289143,
        },
      });
      const html = readFileSync(r.htmlPath, 'utf8');
      const htmlKb = statSync(r.htmlPath).size / 1024;
      const prKb = statSync(join(dir, 'pr-curve.svg')).size / 1024;
      assert.ok(htmlKb <= 300, `report.html is ${htmlKb.toFixed(0)} KB, the target is 300 KB`);
      assert.ok(prKb < 100, `pr-curve.svg is ${prKb.toFixed(0)} KB`);
      assert.ok(!html.includes('136.37289143'));
      assert.match(html, /136\.4/);
      assert.ok(!html.includes('{&quot;optimizer'), 'config shown as raw JSON');
      assert.match(html, /optimizer\.lr<\/th><td>0\.001</);
      assert.match(html, /micro-average \(AUC 0\.\d{1,4}\)/);
      assert.match(html, /macro-average/);
      for (const id of [
        'confusion-matrix',
        'confusion-matrix-normalized',
        'roc-curve-per-class',
        'pr-curve-per-class',
        'curve-lr',
      ])
        assert.ok(
          r.charts.some((c) => c.id === id),
          `chart ${id} missing`,
        );
      assert.equal((html.match(/<img alt="row \d+" src="data:image\/png;base64,/g) ?? []).length, 16);
      assert.match(html, /<h2>Model<\/h2>/);
      assert.match(html, /25,450/); // 784*32+32 + 32*10+10
      assert.match(html, /<h2>Time per epoch<\/h2>/);
      assert.match(html, /12\.35/);
      const json = JSON.parse(readFileSync(r.jsonPath, 'utf8'));
      assert.ok(json.metrics.roc_auc_ovr_micro > 0.5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
