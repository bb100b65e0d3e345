import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { extent, MAX_SCATTER_POINTS, scatterRows } from '../../src/report/charts.ts';
import { writeReport } from '../../src/report/index.ts';
import { regressionData } from './data.ts';

// The scatter chart took min/max with Math.min(...yTrue, ...yPred): past ~100k samples that overflows the call
// stack (RangeError), so a large regression evaluation lost its report.
test('a 300k-sample regression report is written, with a sampled scatter and a diagonal over all samples', async () => {
  const n = 300_000;
  const { yTrue, yPred } = regressionData(n);
  // the extremes sit in rows the sample does not draw, and the diagonal must still reach them
  yTrue[12_345] = -1000;
  yPred[200_001] = 5000;
  const dir = mkdtempSync(join(tmpdir(), 'report-large-reg-'));
  try {
    const r = await writeReport({ outDir: dir, title: 'big regression', task: 'regression', yTrue, yPred });
    assert.equal(r.report.samples, n);
    const scatter = readFileSync(join(dir, 'predicted-vs-true.svg'), 'utf8');
    const group = scatter.match(/<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/s);
    assert.ok(group, 'scatter has a symbol mark group');
    assert.equal((group[1]!.match(/<path /g) ?? []).length, MAX_SCATTER_POINTS);
    assert.match(scatter, /2,000 of 300,000 shown/);
    const residuals = readFileSync(join(dir, 'residuals.svg'), 'utf8');
    assert.match(residuals, /2,000 of 300,000 shown/);
    // the y = x line spans -1000 .. 5000 (Vega writes a Unicode minus)
    assert.match(
      scatter,
      /X-axis titled 'true value' for a linear scale with values from \u22121,000 to 5,000/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('extent and scatterRows work on arrays too long to spread', () => {
  const a = Array.from({ length: 300_000 }, (_, i) => i % 1000);
  const b = Array.from({ length: 300_000 }, (_, i) => -(i % 7));
  a[299_999] = 1e6;
  assert.deepEqual(extent(a, b), [-6, 1e6]);
  const rows = scatterRows(300_000, 2000);
  assert.equal(rows.length, 2000);
  assert.deepEqual([rows[0], rows.at(-1)], [0, 299_999]);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i]! > rows[i - 1]!);
  assert.deepEqual(scatterRows(5, 2000), [0, 1, 2, 3, 4]);
});
