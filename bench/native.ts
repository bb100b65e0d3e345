/**
 * The native engine (ONNX Runtime through onnxruntime-node) on the seed workloads: MLP training with the
 * whole step captured (ts.native.trainStep) and MLP inference (ts.native.compile), timed as bench/train.ts
 * and bench/infer.ts time the wasm backend, fed the same MNIST batches. Figures carry framework
 * 'tensorscript-native'. Run by bench/run.ts: `node --import tsx bench/native.ts <mlp|infer> [--quick]`.
 */
import * as ts from '../src/index.ts';
import { mlpInferFigures } from './infer.ts';
import { type Figure, peakRssMb, plan, printJsonLines, throughput } from './stats.ts';
import { Batches, buildMlp } from './workloads.ts';

type Ctx = { framework: string; backend: string; threads: number; ort: string };

function context(): Ctx {
  const st = ts.native.nativeStatus();
  if (!st.available) throw new Error(`[bench/native] ${st.reason}`);
  return {
    framework: 'tensorscript-native',
    backend: 'native',
    threads: ts.native.defaultThreads(),
    ort: st.version!,
  };
}

/** Seed MLP training samples/s: SGD lr 0.01 momentum 0.9, batch 100, cross-entropy, the step captured. */
async function mlpTrain(ctx: Ctx, quick: boolean): Promise<Figure[]> {
  const batch = 100;
  const batches = await Batches.load(batch, [784]);
  const model = buildMlp();
  const opt = new ts.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const s = ts.native.trainStep(model, opt, { loss: 'crossEntropy', fallback: 'error' });
  const step = () =>
    ts.scope(() => {
      const { x, y } = batches.next();
      return s.step(x, y);
    });
  const p = plan(quick);
  const r = await throughput(step, batch, p);
  return [
    { name: 'mlp.train', value: r.rate, unit: 'samples/s', ...ctx, batch, runs: p.windows },
    { name: 'mlp.train.peak_rss', value: peakRssMb(), unit: 'MB', ...ctx, batch },
  ];
}

/** Seed MLP inference latency at batch 1 and 64: tensor in, forward on the engine, logits read back. */
async function mlpInfer(ctx: Ctx, quick: boolean): Promise<Figure[]> {
  const compiled = ts.native.compile(buildMlp().eval());
  return mlpInferFigures(ctx, quick, (x) => compiled.call(x));
}

const tasks: Record<string, (ctx: Ctx, quick: boolean) => Promise<Figure[]>> = {
  mlp: mlpTrain,
  infer: mlpInfer,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const fn = tasks[process.argv[2] ?? ''];
  if (fn === undefined) {
    console.error(
      `[bench/native] unknown task "${process.argv[2]}"; expected one of ${Object.keys(tasks).join(', ')}`,
    );
    process.exit(2);
  }
  printJsonLines(await fn(context(), process.argv.includes('--quick')));
  process.exit(0);
}
