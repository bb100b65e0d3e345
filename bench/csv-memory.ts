/**
 * Peak memory of reading a large generated CSV (default ~200 MB) into memory through readCsv, and of a
 * stratified split over its rows. Run: `node --import tsx bench/csv-memory.ts [megabytes] [source]`; with
 * `source`, the CLI's data path instead: loadSource (read, label encoding, split), preprocessing fitted on the
 * training rows and the training features built as one tensor.
 * Peak RSS is sampled every 20 ms while reading (process.resourceUsage().maxRSS gives the same high mark
 * but includes the generation step, so both are printed). The file is generated in a temp dir, never committed.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../src/cli/config.ts';
import { loadSource } from '../src/cli/sources.ts';
import { readCsv } from '../src/data/csv.ts';
import { trainTestSplit } from '../src/data/split.ts';
import { stringColumn } from '../src/data/table.ts';

// 30 numeric columns and a string label, the shape of breast_cancer.csv, about 250 bytes a row.
async function writeCsv(path: string, megabytes: number): Promise<number> {
  const out = createWriteStream(path);
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  const cols = Array.from({ length: 30 }, (_, j) => `f${j}`);
  await write(`${cols.join(',')},label\n`);
  let bytes = 0;
  let rows = 0;
  let buf = '';
  while (bytes < megabytes * 1e6) {
    let line = '';
    for (let j = 0; j < 30; j++) line += `${(Math.sin(rows * 0.7 + j) * 1000).toFixed(4)},`;
    line += rows % 2 === 0 ? 'M\n' : 'B\n';
    buf += line;
    bytes += line.length;
    rows++;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((r) => out.end(r));
  return rows;
}

async function main(): Promise<void> {
  const megabytes = Number(process.argv[2] ?? 200);
  const dir = mkdtempSync(join(tmpdir(), 'ts-csv-mem-'));
  const path = join(dir, 'big.csv');
  try {
    const rows = await writeCsv(path, megabytes);
    const size = statSync(path).size;
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    if (process.argv[3] === 'source') {
      await viaSource(path, before, rows, size);
      return;
    }
    const t0 = performance.now();
    const table = await readCsv(path);
    const readS = (performance.now() - t0) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    const t1 = performance.now();
    const split = trainTestSplit(table.length, {
      stratify: stringColumn(table, 'label') as string[],
      seed: 0,
    });
    const splitS = (performance.now() - t1) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    clearInterval(timer);
    const mb = (b: number) => (b / 2 ** 20).toFixed(0);
    console.log(`csv_file_mb ${(size / 1e6).toFixed(0)} MB (${rows} rows x 31 columns)`);
    console.log(`readCsv_s ${readS.toFixed(1)} s`);
    console.log(`readCsv_rss_before ${mb(before)} MiB`);
    console.log(`readCsv_peak_rss ${mb(peak)} MiB (sampled every 20 ms, includes the split)`);
    console.log(`process_max_rss ${mb(process.resourceUsage().maxRSS * 1024)} MiB (includes generation)`);
    console.log(
      `stratified_split_s ${splitS.toFixed(2)} s (${split.train.length} train / ${split.test.length} test)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function viaSource(path: string, before: number, rows: number, size: number): Promise<void> {
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const config = validateConfig({
    name: 'csv-memory',
    data: { source: 'csv', path, label: 'label', positiveClass: 'M' },
    model: { className: 'Linear', config: { inFeatures: 30, outFeatures: 1 } },
    loss: 'bceWithLogits',
    optimizer: { name: 'sgd', lr: 0.1 },
  });
  const t0 = performance.now();
  const src = await loadSource(config);
  const pre = src.fit(src.split.train);
  const x = src.x(pre, src.split.train);
  const s = (performance.now() - t0) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(timer);
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  console.log(`csv_file_mb ${(size / 1e6).toFixed(0)} MB (${rows} rows x 31 columns)`);
  console.log(
    `source_s ${s.toFixed(1)} s (loadSource + fit preprocessing + train features [${x.shape.join(', ')}])`,
  );
  console.log(`source_rss_before ${mb(before)} MiB`);
  console.log(`source_peak_rss ${mb(peak)} MiB (sampled every 20 ms)`);
}

await main();
