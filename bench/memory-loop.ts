/**
 * Memory of a hand-written PyTorch-style training loop (the README's, without ts.scope) against the same
 * loop inside ts.scope: RSS, live engine buffers and the wasm heap's high-water mark at steps 0, 1500 and
 * 3000. Run: `npx tsx bench/memory-loop.ts [steps] [plain|scope]` (one mode per process, since the figures
 * are process-wide); with no mode it runs both as child processes and prints a table.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as ts from '../src/index.ts';

const [stepsArg = '3000', mode] = process.argv.slice(2);
const steps = Number(stepsArg);

function heapBytes(): number | null {
  const b = ts.getBackend() as unknown as { heap?: { reservedBytes?: number } };
  return b.heap?.reservedBytes ?? null;
}

function run(scoped: boolean): void {
  const g = new ts.Generator(0);
  const model = new ts.nn.Sequential(new ts.nn.Linear(20, 64), new ts.nn.ReLU(), new ts.nn.Linear(64, 3));
  const opt = new ts.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = ts.randn([64, 20], { generator: g });
  const y = ts.randint(0, 3, [64], { generator: g });
  const step = (): number => {
    opt.zeroGrad();
    const loss = ts.functional.crossEntropy(model.forward(x) as ts.Tensor, y);
    loss.backward();
    opt.step();
    return loss.item();
  };
  const t0 = performance.now();
  for (let i = 0; i <= steps; i++) {
    const loss = scoped ? ts.scope(step) : step();
    if (i === 0 || i === steps / 2 || i === steps) {
      const heap = heapBytes();
      console.log(
        JSON.stringify({
          mode: scoped ? 'scope' : 'plain',
          step: i,
          rssMB: Math.round(process.memoryUsage().rss / 1e6),
          liveBuffers: ts.memoryStats.live,
          wasmHeapMB: heap === null ? null : Math.round(heap / 1e5) / 10,
          loss: Number(loss.toPrecision(4)),
          seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
        }),
      );
    }
  }
}

if (mode === 'plain' || mode === 'scope') run(mode === 'scope');
else {
  const self = fileURLToPath(import.meta.url);
  console.log(`backend ${ts.getBackend().name}, ${steps} steps of a 20-64-3 MLP, batch 64, Adam`);
  console.log('mode  | step | RSS MB | live buffers | wasm heap MB | loss');
  for (const m of ['plain', 'scope']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, String(steps), m], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`[bench] memory-loop ${m} failed: ${r.stderr}`);
    for (const line of r.stdout.trim().split('\n')) {
      const f = JSON.parse(line) as Record<string, number | string | null>;
      console.log(`${f.mode} | ${f.step} | ${f.rssMB} | ${f.liveBuffers} | ${f.wasmHeapMB} | ${f.loss}`);
    }
  }
}
