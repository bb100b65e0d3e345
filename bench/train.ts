/**
 * TensorScript training benchmarks, one workload per process so peak RSS belongs to that workload and
 * the thread count (TENSORSCRIPT_THREADS) is fixed when the backend starts. bench/run.ts spawns
 * `node --import tsx bench/train.ts <mlp|cnn|memory> [--quick]` and reads the JSON lines it prints.
 */
import * as ts from '../src/index.ts';
import { type EngineContext, engineContext } from './engine.ts';
import { argValue, type Figure, peakRssMb, plan, printJsonLines, throughput } from './stats.ts';
import { Batches, cnnTrainer, mlpTrainer } from './workloads.ts';

/** Seed MLP training samples/s: SGD lr 0.01 momentum 0.9, batch 100, MNIST. */
export async function benchMlpTrain(ctx: EngineContext, quick: boolean): Promise<Figure[]> {
  const batch = 100;
  const { step } = mlpTrainer(await Batches.load(batch, [784]));
  const p = plan(quick);
  const r = await throughput(step, batch, p);
  return [
    { name: 'mlp.train', value: r.rate, unit: 'samples/s', ...ctx, batch, runs: p.windows },
    { name: 'mlp.train.peak_rss', value: peakRssMb(), unit: 'MB', ...ctx, batch },
  ];
}

/** CNN training samples/s: Adam lr 1e-3, batch 64, MNIST [64,1,28,28]. */
export async function benchCnnTrain(ctx: EngineContext, quick: boolean): Promise<Figure[]> {
  const batch = 64;
  const { step } = cnnTrainer(await Batches.load(batch, [1, 28, 28]));
  const p = plan(quick, { windowMs: 1500 });
  const r = await throughput(step, batch, p);
  return [
    {
      name: 'cnn.train',
      value: r.rate,
      unit: 'samples/s',
      ...ctx,
      batch,
      runs: p.windows,
    },
    { name: 'cnn.train.peak_rss', value: peakRssMb(), unit: 'MB', ...ctx, batch },
  ];
}

/**
 * Memory flatness over full MNIST epochs of MLP training (600 steps of 100 each; `--epochs N`, default
 * 1): RSS, V8 heap and the engine's live buffer count are sampled every 100 steps and at the end of the
 * first epoch's first quarter, each after a forced full GC when the process runs with --expose-gc (as
 * bench/run.ts starts it), so garbage not yet collected is not mistaken for a leak. Growth is end minus
 * quarter: start-up (pools, JIT, optimizer state) is excluded, any per-step leak is not.
 */
export async function benchMemoryEpoch(ctx: EngineContext, quick: boolean): Promise<Figure[]> {
  const batch = 100;
  const epochs = Number(argValue(process.argv, '--epochs', '1'));
  const batches = await Batches.load(batch, [784], quick ? 6000 : undefined);
  const { step } = mlpTrainer(batches);
  const steps = batches.perEpoch * epochs;
  const quarter = Math.floor(batches.perEpoch / 4);
  const every = quick ? 10 : 100;
  const gc = (globalThis as { gc?: () => void }).gc;
  const samples: { step: number; rss: number; heap: number; live: number }[] = [];
  const sample = (i: number) => {
    gc?.();
    const m = process.memoryUsage();
    samples.push({ step: i, rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, live: ts.memoryStats.live });
  };
  sample(0);
  let busy = 0;
  for (let i = 1; i <= steps; i++) {
    const t0 = performance.now();
    step();
    busy += performance.now() - t0;
    if (i % every === 0 || i === quarter || i === steps) sample(i);
  }
  const q = samples.find((s) => s.step === quarter)!;
  const end = samples[samples.length - 1]!;
  const trace = samples
    .map((s) => `${s.step}:${s.rss.toFixed(0)}MB/${s.heap.toFixed(1)}MB/${s.live}`)
    .join(' ');
  const common = { ...ctx, batch, steps, epochs, gc: gc !== undefined };
  return [
    { name: 'memory.epoch.rss_growth', value: end.rss - q.rss, unit: 'MB', ...common, trace },
    { name: 'memory.epoch.heap_growth', value: end.heap - q.heap, unit: 'MB', ...common },
    { name: 'memory.epoch.live_growth', value: end.live - q.live, unit: 'buffers', ...common },
    { name: 'memory.epoch.rss_end', value: end.rss, unit: 'MB', ...common },
    { name: 'memory.epoch.train', value: (steps * batch) / (busy / 1000), unit: 'samples/s', ...common },
  ];
}

/** A fixed number of MLP (or CNN) steps and nothing else: what bench/profile.ts runs under --cpu-prof. */
async function fixedSteps(ctx: EngineContext, cnn: boolean): Promise<Figure[]> {
  const steps = Number(argValue(process.argv, '--steps', '300'));
  const batch = cnn ? 64 : 100;
  const batches = await Batches.load(batch, cnn ? [1, 28, 28] : [784], 12_800);
  const { step } = cnn ? cnnTrainer(batches) : mlpTrainer(batches);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const rate = (steps * batch) / ((performance.now() - t0) / 1000);
  return [
    { name: cnn ? 'cnn.train.fixed' : 'mlp.train.fixed', value: rate, unit: 'samples/s', ...ctx, steps },
  ];
}

const tasks: Record<string, (ctx: EngineContext, quick: boolean) => Promise<Figure[]>> = {
  mlp: benchMlpTrain,
  cnn: benchCnnTrain,
  memory: benchMemoryEpoch,
  'mlp-steps': (ctx) => fixedSteps(ctx, false),
  'cnn-steps': (ctx) => fixedSteps(ctx, true),
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const task = process.argv[2] ?? '';
  const fn = tasks[task];
  if (fn === undefined) {
    console.error(`[bench/train] unknown task "${task}"; expected one of ${Object.keys(tasks).join(', ')}`);
    process.exit(2);
  }
  printJsonLines(await fn(await engineContext(), process.argv.includes('--quick')));
  // The worker pool keeps the event loop alive; the figures are written (pipes are synchronous).
  process.exit(0);
}
