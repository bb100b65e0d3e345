// writeReport: report.json agrees with the metric functions, charts are real SVG/PNG files, the HTML is offline.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as m from '../../src/metrics/index.ts';
import { loadHistory, saveHistory, writeReport } from '../../src/report/index.ts';
import { binaryData, history, multiclassData, regressionData } from './data.ts';

const root = mkdtempSync(join(tmpdir(), 'ts-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function count(s: string, re: RegExp): number {
  return (s.match(re) ?? []).length;
}

/** The HTML must not be able to fetch anything: no script, no external URL other than the SVG namespace names. */
function assertOffline(html: string): void {
  assert.ok(!/<script/i.test(html), 'report.html must hold no script');
  const urls = (html.match(/(?:https?:)?\/\/[^\s"'<>)]+/g) ?? []).filter(
    (u) => !/^http:\/\/www\.w3\.org\//.test(u),
  );
  assert.deepEqual(urls, [], 'report.html must reference no external URL');
  assert.ok(!/\bsrc=/i.test(html), 'report.html must load nothing');
}

test('multiclass report: every metric, per class rows, curves and charts', async () => {
  const { yTrue, scores } = multiclassData(240, 3);
  const outDir = join(root, 'mc');
  const names = ['setosa', 'versicolor', 'virginica'];
  const r = await writeReport({
    outDir,
    title: 'Iris <test> & co',
    task: 'multiclass',
    yTrue,
    scores,
    classNames: names,
    history: history(6),
    extra: { model: 'mlp', note: undefined, epochs: 6 },
  });
  const json = JSON.parse(readFileSync(r.jsonPath, 'utf8'));
  assert.match(readFileSync(join(outDir, 'report.html'), 'utf8'), /<td>undefined<\/td>/);
  const yPred = scores.map((row) => row.indexOf(Math.max(...row)));
  assert.equal(json.metrics.accuracy, m.accuracyScore(yTrue, scores));
  assert.equal(json.metrics.f1_macro, m.f1Score(yTrue, yPred, { average: 'macro' }));
  assert.equal(json.metrics.roc_auc_ovr_macro, m.rocAucScore(yTrue, scores));
  assert.equal(json.metrics.roc_auc_ovr_weighted, m.rocAucScore(yTrue, scores, { average: 'weighted' }));
  assert.equal(json.metrics.log_loss, m.logLoss(yTrue, scores));
  assert.equal(json.metrics.top_2_accuracy, m.topKAccuracyScore(yTrue, scores, { k: 2 }));
  assert.deepEqual(json.confusionMatrix.matrix, m.confusionMatrix(yTrue, yPred));
  assert.deepEqual(json.confusionMatrix.names, names);
  assert.equal(json.perClass.length, 3);
  const recall = m.recallScore(yTrue, yPred, { average: null }) as number[];
  json.perClass.forEach((row: { name: string; recall: number; support: number }, i: number) => {
    assert.equal(row.name, names[i]);
    assert.equal(row.recall, recall[i]);
  });
  assert.equal(
    json.perClass.reduce((a: number, row: { support: number }) => a + row.support, 0),
    240,
  );
  assert.equal(json.curves.roc.length, 3);
  assert.equal(json.extra.model, 'mlp');
  assert.deepEqual(
    r.charts.map((c) => c.id),
    [
      'curve-loss',
      'curve-accuracy',
      'confusion-matrix',
      'confusion-matrix-normalized',
      'roc-curve',
      'roc-curve-per-class',
      'pr-curve',
      'pr-curve-per-class',
    ],
  );
  for (const c of r.charts) {
    const svg = readFileSync(c.svgPath, 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const png = readFileSync(c.pngPath);
    assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE, `${c.id}.png is a PNG`);
    assert.ok(png.length > 5000, `${c.id}.png has content (${png.length} bytes)`);
  }
  const cm = readFileSync(join(outDir, 'confusion-matrix.svg'), 'utf8');
  assert.equal(count(cm, /<path [^>]*d="M[^"]+"/g) >= 9, true);
  const html = readFileSync(r.htmlPath, 'utf8');
  assert.ok(html.includes('<title>Iris &lt;test&gt; &amp; co</title>'), 'title is escaped');
  assert.equal(count(html, /<figure class="chart"/g), 8);
  // ids are unique once the SVGs share one page
  const ids = html.match(/\bid="[^"]+"/g) ?? [];
  assert.equal(new Set(ids).size, ids.length);
  assertOffline(html);
});

test('binary report from probabilities, and a History read back from disk', async () => {
  const { yTrue, scores } = binaryData(300);
  const outDir = join(root, 'bin');
  const hPath = join(root, 'history.json');
  const h = history(5, 'auc');
  h.history.loss![2] = Number.NaN; // a diverged value survives as a gap (null)
  saveHistory(hPath, h);
  const back = loadHistory(hPath);
  assert.equal(back.history.loss![2], null);
  assert.deepEqual(back.epoch, h.epoch);
  const r = await writeReport({
    outDir,
    title: 'Spam',
    task: 'binary',
    yTrue,
    scores,
    classNames: ['ham', 'spam'],
    history: hPath,
  });
  const json = JSON.parse(readFileSync(r.jsonPath, 'utf8'));
  const yPred = scores.map((s) => (s > 0.5 ? 1 : 0));
  assert.equal(json.metrics.precision, m.precisionScore(yTrue, yPred));
  assert.equal(json.metrics.recall, m.recallScore(yTrue, yPred));
  assert.equal(json.metrics.roc_auc, m.rocAucScore(yTrue, scores));
  assert.equal(json.metrics.average_precision, m.averagePrecisionScore(yTrue, scores));
  assert.deepEqual(json.curves.roc[0].x, m.rocCurve(yTrue, scores).fpr);
  assert.equal(json.history.history.loss[2], null);
  assert.ok(existsSync(join(outDir, 'curve-auc.png')));
  assertOffline(readFileSync(r.htmlPath, 'utf8'));
});

test('regression report: metrics, scatter and residual charts', async () => {
  const { yTrue, yPred } = regressionData(120);
  const r = await writeReport({
    outDir: join(root, 'reg'),
    title: 'Regression',
    task: 'regression',
    yTrue,
    yPred,
  });
  const json = JSON.parse(readFileSync(r.jsonPath, 'utf8'));
  assert.equal(json.metrics.mae, m.meanAbsoluteError(yTrue, yPred));
  assert.equal(json.metrics.rmse, m.rootMeanSquaredError(yTrue, yPred));
  assert.equal(json.metrics.r2, m.r2Score(yTrue, yPred));
  assert.deepEqual(
    r.charts.map((c) => c.id),
    ['predicted-vs-true', 'residuals'],
  );
  const scatter = readFileSync(r.charts[0]!.svgPath, 'utf8');
  // one symbol per sample inside the point mark group
  const group = scatter.match(/<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/s);
  assert.ok(group, 'scatter has a symbol mark group');
  assert.equal(count(group[1]!, /<path /g), 120);
});

test('report errors are clear', async () => {
  await assert.rejects(
    writeReport({ outDir: join(root, 'x'), title: 't', task: 'multiclass', yTrue: [0, 1] }),
    /\[writeReport\] task 'multiclass' needs yPred \(labels\) or scores/,
  );
  await assert.rejects(
    writeReport({ outDir: join(root, 'x'), title: 't', task: 'regression', yTrue: [], yPred: [] }),
    /\[writeReport\] empty input/,
  );
  await assert.rejects(
    writeReport({
      outDir: join(root, 'x'),
      title: 't',
      task: 'binary',
      yTrue: [0, 1],
      yPred: [0, 1],
      history: { epoch: [0, 1], history: { loss: [1] } },
    }),
    /\[writeReport\] history.history\["loss"\] has 1 values but there are 2 epochs/,
  );
});
