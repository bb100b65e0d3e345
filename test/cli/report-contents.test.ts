import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/index.ts';
import { EXAMPLE_COLUMNS, tableExamples } from '../../src/cli/sources.ts';
import * as ts from '../../src/index.ts';

// Issue 14 item 15 through the CLI: train's and evaluate's reports carry the misclassified examples, the
// model summary and the time per epoch. Item 4: evaluate --data honours the run config's badNumbers as
// train does (it used to read the file with the default rule and fail on a cell train had imputed).

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'ts-cli-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function csvConfig(name: string, badNumbers: string): string {
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(
    cfg,
    `name: ${name}
seed: 5
data: { source: csv, path: ${resolve('datasets/breast_cancer.csv')}, label: diagnosis, positiveClass: malignant, limit: 150${badNumbers} }
model:
  className: Sequential
  config:
    layers:
      - { className: Linear, config: { inFeatures: 30, outFeatures: 8 } }
      - { className: ReLU }
      - { className: Linear, config: { inFeatures: 8, outFeatures: 1 } }
loss: bceWithLogits
optimizer: { name: adam, lr: 0.01 }
training: { epochs: 2, batchSize: 32 }
evaluation: { metrics: [accuracy] }
`,
  );
  return cfg;
}

/** The first 80 rows of breast cancer with one feature cell replaced by `abc` (data row 3, mean_texture). */
function badCsv(): string {
  const lines = readFileSync(resolve('datasets/breast_cancer.csv'), 'utf8').split('\n').slice(0, 81);
  const cells = lines[3]!.split(',');
  cells[1] = 'abc';
  lines[3] = cells.join(',');
  const path = join(dir, 'bad.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function sections(html: string): string[] {
  return [...html.matchAll(/<h2>([^<]+)<\/h2>/g)].map((m) => m[1]!);
}

describe('CLI reports on a table: examples, model summary, time per epoch; evaluate honours badNumbers', () => {
  const out = join(dir, 'bc');
  let trainReport: {
    modelSummary: { name: string; params: number }[];
    epochSeconds: number[];
    history: { history: Record<string, number[]> };
  };
  before(async () => {
    const r = await cli('train', csvConfig('bc-report', ', badNumbers: missing'), '--out', out, '--quiet');
    assert.equal(r.code, 0, r.err);
    trainReport = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8'));
  });

  it("train: report.json has the model summary and each epoch's seconds; report.html shows them and the examples", () => {
    assert.equal(
      trainReport.modelSummary.reduce((a, r) => a + r.params, 0),
      30 * 8 + 8 + 8 + 1,
    );
    assert.equal(trainReport.epochSeconds.length, 2);
    for (const s of trainReport.epochSeconds) assert.ok(s > 0, `epoch seconds ${s}`);
    assert.deepEqual(trainReport.history.history.epoch_seconds, trainReport.epochSeconds);
    const html = readFileSync(join(out, 'report', 'report.html'), 'utf8');
    for (const h of ['Model', 'Time per epoch', 'Misclassified examples'])
      assert.ok(sections(html).includes(h), `section ${h} missing: ${sections(html)}`);
    assert.match(html, /257/);
    // a wrong prediction is listed with its feature cells (the table's columns), or there is none
    assert.ok(
      /<th>mean_radius<\/th>/.test(html) || /every test example was classified correctly/.test(html),
      'misclassified rows with their columns',
    );
  });

  it('evaluate --data with a bad cell: made missing and imputed as the config says, counted; report complete', async () => {
    const data = badCsv();
    const evalDir = join(dir, 'bc-eval');
    const r = await cli('evaluate', out, '--data', data, '--out', evalDir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\(80 rows; 1 bad numeric cell made missing and imputed \(mean_texture: 1\)\)/);
    const rep = JSON.parse(readFileSync(join(evalDir, 'report.json'), 'utf8'));
    assert.equal(rep.samples, 80);
    assert.match(rep.extra.data, /1 bad numeric cell made missing/);
    assert.equal(
      rep.modelSummary.reduce((a: number, x: { params: number }) => a + x.params, 0),
      257,
    );
    // the time per epoch of the training run, from the saved History
    assert.deepEqual(rep.epochSeconds, trainReport.epochSeconds);
    const html = readFileSync(join(evalDir, 'report.html'), 'utf8');
    for (const h of ['Model', 'Time per epoch', 'Misclassified examples'])
      assert.ok(sections(html).includes(h), `section ${h} missing: ${sections(html)}`);
  });

  it('evaluate --data with the default rule (error): names the file, line, column and value', async () => {
    const strictOut = join(dir, 'bc-strict');
    const t = await cli('train', csvConfig('bc-strict', ''), '--out', strictOut, '--quiet');
    assert.equal(t.code, 0, t.err);
    const r = await cli('evaluate', strictOut, '--data', badCsv(), '--out', join(dir, 'bc-strict-eval'));
    assert.notEqual(r.code, 0);
    assert.match(r.err, /bad\.csv/);
    assert.match(r.err, /line 4/);
    assert.match(r.err, /mean_texture/);
    assert.match(r.err, /abc/);
  });
});

describe('CLI reports on an image folder show misclassified thumbnails in their true colours', () => {
  // Solid colours, each in both classes, so the model must get some test images wrong.
  const palette: [number, number, number][] = [
    [250, 20, 20],
    [20, 200, 40],
    [30, 40, 230],
    [240, 220, 10],
  ];
  const root = join(dir, 'images');
  const out = join(dir, 'img');
  before(() => {
    for (const cls of ['a', 'b']) mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < 32; i++) {
      const png = new PNG({ width: 8, height: 8 });
      const [r, g, b] = palette[i % 4]!;
      for (let p = 0; p < 64; p++) png.data.set([r, g, b, 255], p * 4);
      writeFileSync(join(root, i % 8 < 4 ? 'a' : 'b', `${i}.png`), PNG.sync.write(png));
    }
  });

  /** Each thumbnail decoded: every pixel must be one palette colour (a planar/interleaved mix-up is not). */
  function assertThumbnails(html: string): number {
    const uris = [...html.matchAll(/<img alt="row \d+" src="data:image\/png;base64,([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    for (const uri of uris) {
      const png = PNG.sync.read(Buffer.from(uri, 'base64'));
      assert.equal(png.width, 8);
      const first = [...png.data.subarray(0, 3)];
      assert.ok(
        palette.some((c) => c.every((v, k) => v === first[k])),
        `thumbnail colour ${first} not in the palette`,
      );
      for (let p = 0; p < 64; p++) assert.deepEqual([...png.data.subarray(p * 4, p * 4 + 3)], first);
    }
    return uris.length;
  }

  it('train and evaluate draw the wrong predictions as images', async () => {
    const cfg = join(dir, 'img.yaml');
    writeFileSync(
      cfg,
      `name: img-report
seed: 2
data: { source: imageFolder, path: ${root}, channels: 3, flatten: true, split: { testFraction: 0.5 } }
model:
  className: Sequential
  config:
    layers:
      - { className: Linear, config: { inFeatures: 192, outFeatures: 2 } }
loss: crossEntropy
optimizer: { name: adam, lr: 0.01 }
training: { epochs: 2, batchSize: 8 }
`,
    );
    const r = await cli('train', cfg, '--out', out, '--quiet');
    assert.equal(r.code, 0, r.err);
    const html = readFileSync(join(out, 'report', 'report.html'), 'utf8');
    assert.ok(assertThumbnails(html) > 0, 'no misclassified thumbnails');
    const ev = await cli('evaluate', out);
    assert.equal(ev.code, 0, ev.err);
    assert.ok(assertThumbnails(readFileSync(join(out, 'evaluation', 'report.html'), 'utf8')) > 0);
  });
});

it('a wide table shows its first columns in the examples and says how many more there are', () => {
  const columns = Array.from({ length: 30 }, (_, i) => `f${i}`);
  const table = ts.data.makeTable(
    Object.fromEntries(columns.map((c, j) => [c, Float64Array.of(j, Number.NaN)])),
  );
  const ex = tableExamples(table, columns, Int32Array.of(1, 0));
  assert.equal(ex.kind, 'table');
  if (ex.kind !== 'table') return;
  assert.deepEqual(ex.columns, [...columns.slice(0, EXAMPLE_COLUMNS), `… ${30 - EXAMPLE_COLUMNS} more`]);
  assert.equal(ex.rows.length, 2);
  assert.deepEqual(ex.rows[0], new Array(EXAMPLE_COLUMNS + 1).fill(null)); // NaN is missing
  assert.deepEqual(ex.rows[1]!.slice(0, 3), [0, 1, 2]);
});
