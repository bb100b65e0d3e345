/**
 * Seed-MLP inference latency (eval mode, no grad) at batch 1 and 64. Each timed call is what a server
 * does per request: wrap the input floats in a tensor, forward, read the logits back into JS.
 * Run in its own process by bench/run.ts: `node --import tsx bench/infer.ts [--quick]`.
 */
import * as ts from '../src/index.ts';
import { type EngineContext, engineContext } from './engine.ts';
import { type Figure, latency, peakRssMb, plan, printJsonLines } from './stats.ts';
import { Batches, buildMlp } from './workloads.ts';

export async function benchMlpInfer(ctx: EngineContext, quick: boolean): Promise<Figure[]> {
  const model = buildMlp().eval();
  return mlpInferFigures(ctx, quick, (x) => ts.noGrad(() => model.call(x)));
}

/**
 * The seed MLP's latency figures at batch 1 and 64 for any forward (the library's, or another engine's
 * compiled one in bench/native.ts), so both engines are timed by the same loop and named alike.
 */
export async function mlpInferFigures<C extends object>(
  ctx: C,
  quick: boolean,
  forward: (x: ts.Tensor) => ts.Tensor,
): Promise<Figure[]> {
  const data = (await Batches.load(64, [784], 1000)).data.images;
  const out: Figure[] = [];
  for (const batch of [1, 64]) {
    const input = data.subarray(0, batch * 784);
    const call = () => ts.scope(() => forward(ts.tensor(input, { shape: [batch, 784] })).toTypedArray());
    const p = plan(quick, { warmupSteps: 50, windows: 5, windowMs: 600 });
    const r = await latency(call, p);
    const common = { ...ctx, batch, runs: p.windows, calls: r.calls };
    out.push({ name: `mlp.infer.b${batch}.median`, value: r.medianMs, unit: 'ms', ...common });
    out.push({ name: `mlp.infer.b${batch}.p99`, value: r.p99Ms, unit: 'ms', ...common });
  }
  out.push({ name: 'mlp.infer.peak_rss', value: peakRssMb(), unit: 'MB', ...ctx });
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printJsonLines(await benchMlpInfer(await engineContext(), process.argv.includes('--quick')));
  process.exit(0);
}
