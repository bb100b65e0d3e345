import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/backends/ref/index.ts';
import { csvChunks } from '../src/data/csv.ts';
import { DataLoader } from '../src/data/dataloader.ts';
import { TensorDataset } from '../src/data/dataset.ts';
import { loadMnist } from '../src/data/mnist.ts';

export interface DataBenchRecord {
  name: string;
  value: number;
  unit: string;
}

async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  await write('id,x1,x2,x3,x4,label\n');
  let buf = '';
  for (let i = 0; i < rows; i++) {
    buf += `${i},${(i * 0.37) % 100},${Math.sin(i).toFixed(6)},${(i % 977) / 7},${-i * 1e-3},${i % 3 === 0 ? 'yes' : 'no'}\n`;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((r) => out.end(r));
}

/**
 * Data pipeline figures: MNIST IDX load time, CSV parse throughput on a generated 1M-row file, and the
 * DataLoader's own cost per MNIST batch (shuffle + gather + collate to tensors, no model), to compare
 * with the training step time. Prints `name value unit` lines.
 */
export async function benchData(
  opts: { quiet?: boolean; csvRows?: number } = {},
): Promise<DataBenchRecord[]> {
  const out: DataBenchRecord[] = [];
  const report = (name: string, value: number, unit: string) => {
    out.push({ name, value, unit });
    if (!opts.quiet) console.log(`${name} ${value.toFixed(3)} ${unit}`);
  };

  let t0 = performance.now();
  const mnist = await loadMnist({ split: 'train', flatten: true });
  report('data.mnist_train_idx_load', performance.now() - t0, 'ms');

  const dir = mkdtempSync(join(tmpdir(), 'ts-bench-data-'));
  try {
    const path = join(dir, 'rows.csv');
    const rows = opts.csvRows ?? 1_000_000;
    await writeCsv(path, rows);
    const mb = statSync(path).size / 1e6;
    t0 = performance.now();
    let n = 0;
    for await (const chunk of csvChunks(path)) n += chunk.length;
    const s = (performance.now() - t0) / 1000;
    if (n !== rows) throw new Error(`benchData: parsed ${n} rows, expected ${rows}`);
    report('data.csv_parse_throughput', mb / s, 'MB/s');
    report('data.csv_parse_rows', n / s / 1e6, 'Mrows/s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const ds = new TensorDataset(
    { data: mnist.images, shape: mnist.shape },
    { data: mnist.labels, shape: [mnist.length] },
  );
  const loader = new DataLoader(ds, { batchSize: 64, shuffle: true, seed: 0, dropLast: true });
  let batches = 0;
  t0 = performance.now();
  for await (const [x, y] of loader) {
    x!.dispose();
    y!.dispose();
    if (++batches === 300) break;
  }
  report('data.loader_overhead_mnist_b64', ((performance.now() - t0) * 1000) / batches, 'us/batch');
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchData();
