// Opens report.html in headless Chromium (from the @sparticuz/chromium devDependency, driven by playwright-core): every chart must be drawn
// with its data, the page must make no request beyond its own file, and a screenshot is saved for people to look at.
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { writeReport } from '../../src/report/index.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { binaryData, history, multiclassData, regressionData } from './data.ts';

// Beyond the helper's flags: Chromium's own update, sync and QUIC traffic off, as the report must render offline.
const OFFLINE_ARGS = ['--disable-component-update', '--disable-sync', '--disable-quic'];

/** What one chart looks like once drawn: data-mark counts and the shortest non-empty path among them. */
interface ChartDom {
  id: string;
  width: number;
  height: number;
  lines: number;
  linePoints: number[];
  symbols: number;
  rects: number;
  cellTexts: string[];
  emptyPaths: number;
}

/**
 * Runs in the page. Kept as source text because tsx (esbuild keepNames) would wrap a TypeScript callback's inner
 * functions in a `__name` helper that does not exist in the browser.
 */
const DOM_PROBE = `[...document.querySelectorAll('figure.chart')].map((f) => {
  const svg = f.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const q = (sel) => [...f.querySelectorAll(sel)];
  const lines = q('g.mark-line.role-mark > path');
  const dataPaths = q('g.role-mark > path');
  return {
    id: f.getAttribute('data-chart') || '',
    width: box.width,
    height: box.height,
    lines: lines.length,
    // a drawn polyline has one M and an L per further vertex
    linePoints: lines.map((p) => (p.getAttribute('d') || '').split(/[ML]/).filter((s) => s.trim() !== '').length),
    symbols: q('g.mark-symbol.role-mark > path').length,
    rects: q('g.mark-rect.role-mark > path').length,
    cellTexts: q('g.mark-text.role-mark > text').map((t) => t.textContent || ''),
    emptyPaths: dataPaths.filter((p) => !(p.getAttribute('d') || '').trim()).length,
  };
})`;

async function inspect(
  browser: Browser,
  html: string,
  shot: string,
): Promise<{ charts: ChartDom[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(html).href;
  await page.goto(url, { waitUntil: 'load' });
  const charts = (await page.evaluate(DOM_PROBE)) as ChartDom[];
  await page.screenshot({ path: shot, fullPage: true });
  await page.close();
  return { charts, requests: requests.filter((r) => r !== url) };
}

test('report.html renders every chart with data in headless Chromium, offline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-report-browser-'));
  const mc = multiclassData(150, 3);
  const bin = binaryData(120);
  const reg = regressionData(80);
  const epochs = 7;
  const reports = {
    multiclass: await writeReport({
      outDir: join(dir, 'multiclass'),
      title: 'Multiclass report',
      task: 'multiclass',
      yTrue: mc.yTrue,
      scores: mc.scores,
      classNames: ['setosa', 'versicolor', 'virginica'],
      history: history(epochs),
    }),
    binary: await writeReport({
      outDir: join(dir, 'binary'),
      title: 'Binary report',
      task: 'binary',
      yTrue: bin.yTrue,
      scores: bin.scores,
    }),
    regression: await writeReport({
      outDir: join(dir, 'regression'),
      title: 'Regression report',
      task: 'regression',
      yTrue: reg.yTrue,
      yPred: reg.yPred,
      history: history(epochs, 'mae'),
    }),
  };
  const browser = await launchChromium(OFFLINE_ARGS);
  try {
    for (const [name, r] of Object.entries(reports)) {
      const shot = join(dir, `${name}.png`);
      const { charts, requests } = await inspect(browser, r.htmlPath, shot);
      assert.deepEqual(requests, [], `${name}: the page must not request anything but its own file`);
      assert.deepEqual(
        charts.map((c) => c.id),
        r.charts.map((c) => c.id),
        `${name}: every chart is on the page`,
      );
      assert.ok(statSync(shot).size > 20000, `${name}: screenshot ${shot} has content`);
      for (const c of charts) {
        assert.ok(c.width > 100 && c.height > 100, `${name}/${c.id}: drawn at ${c.width}x${c.height}`);
        assert.equal(c.emptyPaths, 0, `${name}/${c.id}: no empty data path`);
        if (c.id.startsWith('curve-')) {
          assert.equal(c.lines, 2, `${name}/${c.id}: train and validation lines`);
          assert.deepEqual(c.linePoints, [epochs, epochs], `${name}/${c.id}: one vertex per epoch`);
          assert.equal(c.symbols, 2 * epochs, `${name}/${c.id}: one point per epoch and split`);
        }
      }
      const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
      if (name !== 'regression') {
        const k = name === 'multiclass' ? 3 : 2;
        const cm = r.report.confusion!.matrix;
        assert.equal(byId['confusion-matrix']!.rects, k * k, `${name}: one heatmap cell per class pair`);
        assert.deepEqual(
          byId['confusion-matrix']!.cellTexts.map(Number).sort(),
          cm.flat().sort(),
          `${name}: cells show the counts`,
        );
        // ROC: one curve per class plus the chance diagonal; each curve has as many vertices as the computed curve
        // (multiclass adds the micro/macro averages, drawn as curves of their own).
        const rocCurves = [...r.report.roc!, ...(r.report.rocAverage ?? [])];
        assert.equal(byId['roc-curve']!.lines, rocCurves.length + 1);
        const byCount = (a: number[]) => [...a].sort((x, y) => x - y);
        assert.deepEqual(
          byCount(byId['roc-curve']!.linePoints).slice(1),
          byCount(rocCurves.map((c) => c.x.length)),
        );
        assert.equal(byId['pr-curve']!.lines, r.report.pr!.length + (r.report.prAverage?.length ?? 0));
        assert.ok(byId['pr-curve']!.linePoints.every((n) => n > 10));
      } else {
        assert.equal(byId['predicted-vs-true']!.symbols, 80, 'one point per sample');
        assert.equal(byId.residuals!.symbols, 80, 'one residual per sample');
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`screenshots: ${dir}/{multiclass,binary,regression}.png`);
});
