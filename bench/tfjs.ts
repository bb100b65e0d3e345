/**
 * TensorFlow.js 4.22 on the same work as the TensorScript benchmarks, one task and backend per process:
 * `node --import tsx bench/tfjs.ts <mlp|cnn|infer|gemm> <cpu|wasm> [--quick]` prints JSON lines.
 *
 * The networks use TF.js's leanest training path (tf.variable weights, optimizer.minimize, tf.tidy
 * inside minimize) rather than tf.layers, so the comparison is against TF.js at its fastest. Same
 * shapes, optimizers and MNIST batches as bench/workloads.ts; images are NHWC as TF.js expects.
 * TF.js runs single-threaded in Node (its wasm backend disables threads there: tfjs issue 3830).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadMnist } from '../src/data/mnist.ts';
import { type Figure, latency, median, peakRssMb, plan, printJsonLines, throughput } from './stats.ts';

type Backend = 'cpu' | 'wasm';

/** Loads the wasm binaries from the installed package (a file path: nothing is fetched). */
async function useBackend(name: Backend): Promise<void> {
  if (name === 'wasm') {
    const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
    setWasmPaths(`${join(dirname(pkg), 'dist')}/`);
  }
  // (The cpu backend's tfjs-node advert goes to stderr via console.warn; stdout stays JSON.)
  if (!(await tf.setBackend(name))) throw new Error(`[bench/tfjs] backend ${name} failed to initialise`);
  await tf.ready();
}

/** Consecutive MNIST batches as TF.js tensors; images [B,784] or NHWC [B,28,28,1], labels one-hot. */
async function mnistBatches(batch: number, nhwc: boolean) {
  const m = await loadMnist({ split: 'train', flatten: true });
  const perEpoch = Math.floor(m.length / batch);
  let i = 0;
  return () => {
    const off = i * batch;
    i = (i + 1) % perEpoch;
    const shape = nhwc ? [batch, 28, 28, 1] : [batch, 784];
    const x = tf.tensor(m.images.subarray(off * 784, (off + batch) * 784), shape);
    const y = tf.oneHot(tf.tensor1d(m.labels.subarray(off, off + batch), 'int32'), 10);
    return { x, y };
  };
}

/** torch-style U(-1/sqrt(fanIn), 1/sqrt(fanIn)) init; the values do not matter for speed. */
function param(shape: number[], fanIn: number): tf.Variable {
  const b = 1 / Math.sqrt(fanIn);
  return tf.variable(tf.randomUniform(shape, -b, b, 'float32', 0));
}

function mlp() {
  const w1 = param([784, 500], 784);
  const b1 = param([500], 784);
  const w2 = param([500, 250], 500);
  const b2 = param([250], 500);
  const w3 = param([250, 10], 250);
  const b3 = param([10], 250);
  return (x: tf.Tensor): tf.Tensor2D => {
    const h1 = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w1), b1)) as tf.Tensor2D;
    const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2)) as tf.Tensor2D;
    return tf.add(tf.matMul(h2, w3), b3);
  };
}

function cnn() {
  const k1 = param([3, 3, 1, 32], 9);
  const c1 = param([32], 9);
  const k2 = param([3, 3, 32, 64], 288);
  const c2 = param([64], 288);
  const w1 = param([1600, 128], 1600);
  const b1 = param([128], 1600);
  const w2 = param([128, 10], 128);
  const b2 = param([10], 128);
  return (x: tf.Tensor): tf.Tensor2D => {
    let h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, k1 as tf.Tensor4D, 1, 'valid'), c1)) as tf.Tensor4D;
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.relu(tf.add(tf.conv2d(h, k2 as tf.Tensor4D, 1, 'valid'), c2)) as tf.Tensor4D;
    h = tf.maxPool(h, 2, 2, 'valid');
    const f = tf.reshape(h, [h.shape[0], 1600]) as tf.Tensor2D;
    const d = tf.relu(tf.add(tf.matMul(f, w1), b1)) as tf.Tensor2D;
    return tf.add(tf.matMul(d, w2), b2);
  };
}

/** A training step: forward, softmax cross-entropy, minimize; reads the loss so the step completes. */
function trainStep(
  model: (x: tf.Tensor) => tf.Tensor2D,
  opt: tf.Optimizer,
  next: () => { x: tf.Tensor; y: tf.Tensor },
): () => number {
  return () => {
    const { x, y } = next();
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model(x)) as tf.Scalar, true);
    const v = loss!.dataSync()[0]!;
    tf.dispose([x, y, loss!]);
    return v;
  };
}

function ctx(backend: Backend): Record<string, string | number> {
  return { framework: 'tfjs', backend, threads: 1, version: tf.version.tfjs };
}

async function benchMlp(backend: Backend, quick: boolean): Promise<Figure[]> {
  const batch = 100;
  const step = trainStep(mlp(), tf.train.momentum(0.01, 0.9), await mnistBatches(batch, false));
  // The cpu backend takes ~0.5 s a step: fewer warm-up steps, longer windows.
  const p = plan(quick, backend === 'cpu' ? { warmupSteps: 2, windows: 3, windowMs: 3000 } : {});
  const r = await throughput(step, batch, p);
  return [
    { name: 'mlp.train', value: r.rate, unit: 'samples/s', ...ctx(backend), batch, runs: p.windows },
    { name: 'mlp.train.peak_rss', value: peakRssMb(), unit: 'MB', ...ctx(backend), batch },
  ];
}

async function benchCnn(backend: Backend, quick: boolean): Promise<Figure[]> {
  const batch = 64;
  const step = trainStep(cnn(), tf.train.adam(1e-3), await mnistBatches(batch, true));
  // On the cpu backend one step takes 25-60 s, so each step is a window and there is no separate
  // warm-up: the first (warm-up) step is the slowest of three and the median drops it.
  const rates: number[] = [];
  const windows = quick ? 1 : 3;
  for (let i = 0; i < windows; i++) {
    const t0 = performance.now();
    try {
      step();
    } catch (e) {
      // TF.js's wasm backend has no Conv2DBackpropFilter kernel: it cannot train a CNN at all.
      const msg = (e as Error).message;
      return [{ name: 'cnn.train', value: null, unit: 'samples/s', ...ctx(backend), batch, error: msg }];
    }
    rates.push(batch / ((performance.now() - t0) / 1000));
  }
  return [
    { name: 'cnn.train', value: median(rates), unit: 'samples/s', ...ctx(backend), batch, runs: windows },
    { name: 'cnn.train.peak_rss', value: peakRssMb(), unit: 'MB', ...ctx(backend), batch },
  ];
}

async function benchInfer(backend: Backend, quick: boolean): Promise<Figure[]> {
  const model = mlp();
  const m = await loadMnist({ split: 'train', flatten: true, limit: 64 });
  const out: Figure[] = [];
  for (const batch of [1, 64]) {
    const input = m.images.subarray(0, batch * 784);
    const call = () => tf.tidy(() => model(tf.tensor2d(input, [batch, 784])).dataSync());
    // The cpu backend takes ~0.1 s a batch-64 call: 10 warm-up calls are plenty there.
    const p = plan(quick, { warmupSteps: backend === 'cpu' ? 10 : 50, windows: 5, windowMs: 600 });
    const r = await latency(call, p);
    const common = { ...ctx(backend), batch, runs: p.windows, calls: r.calls };
    out.push({ name: `mlp.infer.b${batch}.median`, value: r.medianMs, unit: 'ms', ...common });
    out.push({ name: `mlp.infer.b${batch}.p99`, value: r.p99Ms, unit: 'ms', ...common });
  }
  out.push({ name: 'mlp.infer.peak_rss', value: peakRssMb(), unit: 'MB', ...ctx(backend) });
  return out;
}

/** tf.matMul GFLOPS at the GEMM benchmark's sizes (the cpu backend only at the small ones). */
async function benchGemm(backend: Backend, quick: boolean): Promise<Figure[]> {
  const sizes: [string, number, number, number][] = [
    ['256^3', 256, 256, 256],
    ['1024^3', 1024, 1024, 1024],
    ['128x784x500', 128, 500, 784],
  ];
  const out: Figure[] = [];
  for (const [label, m, n, k] of sizes) {
    if (backend === 'cpu' && label === '1024^3') continue;
    const a = tf.randomUniform([m, k]) as tf.Tensor2D;
    const b = tf.randomUniform([k, n]) as tf.Tensor2D;
    const step = () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    };
    const p = plan(quick, { warmupSteps: 2, windows: 5, windowMs: 300 });
    const r = await throughput(step, (2 * m * n * k) / 1e9, p);
    out.push({ name: `gemm ${label}`, value: r.rate, unit: 'GFLOPS', ...ctx(backend), runs: p.windows });
    tf.dispose([a, b]);
  }
  return out;
}

const tasks: Record<string, (b: Backend, quick: boolean) => Promise<Figure[]>> = {
  mlp: benchMlp,
  cnn: benchCnn,
  infer: benchInfer,
  gemm: benchGemm,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const [task = '', backend = ''] = process.argv.slice(2);
  const fn = tasks[task];
  if (fn === undefined || (backend !== 'cpu' && backend !== 'wasm')) {
    console.error(`[bench/tfjs] usage: bench/tfjs.ts <${Object.keys(tasks).join('|')}> <cpu|wasm> [--quick]`);
    process.exit(2);
  }
  await useBackend(backend);
  printJsonLines(await fn(backend, process.argv.includes('--quick')));
  process.exit(0);
}
