// Load test of the inference server: an MLP 784-500-250-10 (MNIST-sized, seeded random weights) served
// in a child process on 127.0.0.1, hit with single-sample v2 infer requests by autocannon for a fixed
// duration over a fixed number of connections. Loopback only; stops by itself.
//
//   npm run loadtest -- [--duration 10] [--connections 32] [--max-batch 64] [--delay-ms 2] [--binary] [--json out.json]
//
// Reports requests/s, p50/p90/p99 latency, errors and non-2xx answers, the server's batch sizes and its
// resident memory after warm-up and at the end.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import * as ts from '../src/index.ts';
// The fast backend; registering it makes it the default (the public entry may not import it yet).
import '../src/backends/wasm/index.ts';
import type { ServedModel, TensorMap, TensorSpec } from '../src/serve/model.ts';
import { serve } from '../src/serve/server.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    'max-batch': { type: 'string', default: '64' },
    'delay-ms': { type: 'string', default: '2' },
    json: { type: 'string' },
    binary: { type: 'boolean', default: false },
    'child-server': { type: 'boolean', default: false },
  },
});

/** MLP 784-500-250-10 with ReLU and softmax, running on the engine's tensors. */
class MnistMlp implements ServedModel {
  readonly name = 'mnist';
  readonly version = '1';
  readonly inputs: readonly TensorSpec[] = [{ name: 'pixels', datatype: 'FP32', shape: [-1, 784] }];
  readonly outputs: readonly TensorSpec[] = [{ name: 'probs', datatype: 'FP32', shape: [-1, 10] }];
  private readonly layers: { w: ts.Tensor; b: ts.Tensor }[];

  constructor(seed: number) {
    const g = new ts.Generator(seed);
    this.layers = [
      [784, 500],
      [500, 250],
      [250, 10],
    ].map(([i, o]) => ({
      // He-style scale keeps activations in range; values do not matter for load, only the work.
      w: ts.keep(ts.randn([i!, o!], { generator: g }).mul(Math.sqrt(2 / i!))),
      b: ts.keep(ts.zeros([o!])),
    }));
  }

  forward(x: Float32Array, rows: number): Float32Array {
    return ts.scope(() => {
      let h = ts.tensor(x, { shape: [rows, 784] });
      this.layers.forEach(({ w, b }, i) => {
        h = h.matmul(w).add(b);
        if (i < this.layers.length - 1) h = h.relu();
      });
      return h.softmax(-1).toTypedArray() as Float32Array;
    });
  }

  async infer(inputs: TensorMap): Promise<TensorMap> {
    const x = inputs.pixels!;
    const rows = x.shape[0]!;
    return { probs: { data: this.forward(x.data as Float32Array, rows), shape: [rows, 10] } };
  }
}

async function childServer(): Promise<void> {
  const model = new MnistMlp(1234);
  const server = await serve({
    models: [model],
    port: 0,
    batching: { maxBatchSize: Number(args['max-batch']), maxQueueDelayMs: Number(args['delay-ms']) },
    handleSignals: false,
  });
  const port = Number(new URL(server.url!).port);
  process.on('message', async (m: { type: string }) => {
    if (m.type === 'heap') {
      // Live heap after a full collection: what would grow if requests leaked.
      (globalThis as { gc?: () => void }).gc?.();
      process.send!({
        type: 'heap',
        heapUsed: process.memoryUsage().heapUsed,
        rss: process.memoryUsage().rss,
      });
    } else if (m.type === 'rss') {
      const cpu = process.cpuUsage();
      process.send!({
        type: 'rss',
        rss: process.memoryUsage().rss,
        cpuMs: (cpu.user + cpu.system) / 1000,
        backend: `${ts.getBackend().constructor.name}, ${process.env.TENSORSCRIPT_THREADS} thread(s)`,
      });
    } else if (m.type === 'stop') {
      await server.close();
      process.exit(0);
    }
  });
  // Never outlive the load generator.
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', port });
}

function ask<T>(child: ReturnType<typeof fork>, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string } & T) => {
      if (m.type === type) {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
    child.send({ type });
  });
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function main(): Promise<void> {
  const child = fork(new URL(import.meta.url).pathname, ['--child-server', ...process.argv.slice(2)], {
    execArgv: [
      '--import',
      'tsx',
      '--expose-gc',
      ...(process.env.LOADTEST_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
      // Extra V8/Node flags for the server process, e.g. LOADTEST_NODE_FLAGS=--max-semi-space-size=32
      ...(process.env.LOADTEST_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    ],
    // One compute thread: on two cores shared with the HTTP event loop and the load generator, extra
    // wasm workers spin and steal the loop's time (see docs/decisions/serve-threads.md).
    env: { ...process.env, TENSORSCRIPT_THREADS: process.env.TENSORSCRIPT_THREADS ?? '1' },
  });
  process.on('exit', () => child.kill());
  // Bounded: whatever happens, give up well after the planned run.
  const limitS = Number(args.warmup) + Number(args.duration) + 90;
  const watchdog = setTimeout(() => {
    console.error(`[loadtest] no result after ${limitS} s; stopping`);
    process.exit(2);
  }, limitS * 1000);
  watchdog.unref();
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) {
      console.error(`[loadtest] server process exited with code ${code}`);
      process.exit(2);
    }
  });
  const { port } = await new Promise<{ port: number }>((resolve) => {
    child.once('message', (m) => resolve(m as { port: number }));
  });
  console.error(`[loadtest] server ready on 127.0.0.1:${port}`);
  const url = `http://127.0.0.1:${port}`;

  // Eight different single-sample requests, cycled by every connection.
  const g = new ts.Generator(7);
  const samples = Array.from({ length: 8 }, () =>
    Array.from({ length: 784 }, () => Math.round(g.uniform() * 255) / 255),
  );
  // JSON tensors by default; with --binary the binary tensor extension (JSON header + 3,136 raw bytes).
  const binary = args.binary === true;
  const bodies: (string | Buffer)[] = samples.map((s, i) => {
    if (!binary) {
      return JSON.stringify({
        id: `s${i}`,
        inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 784], data: s }],
      });
    }
    const head = JSON.stringify({
      id: `s${i}`,
      inputs: [
        { name: 'pixels', datatype: 'FP32', shape: [1, 784], parameters: { binary_data_size: 784 * 4 } },
      ],
    });
    return Buffer.concat([Buffer.from(head), Buffer.from(Float32Array.from(s).buffer)]);
  });
  const headerLength = binary ? String((bodies[0] as Buffer).length - 784 * 4) : undefined;
  const headers: Record<string, string> = binary
    ? { 'content-type': 'application/octet-stream', 'inference-header-content-length': headerLength! }
    : { 'content-type': 'application/json' };

  // The server must answer what the model computes before its speed means anything.
  const check = await fetch(`${url}/v2/models/mnist/infer`, {
    method: 'POST',
    headers,
    body: typeof bodies[0] === 'string' ? bodies[0] : new Uint8Array(bodies[0]!),
  });
  const got = ((await check.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data;
  const want = Array.from(new MnistMlp(1234).forward(Float32Array.from(samples[0]!), 1));
  const maxDiff = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
  if (check.status !== 200 || maxDiff > 1e-5)
    throw new Error(`[loadtest] server answered ${check.status}, max diff ${maxDiff}`);

  const base: autocannon.Options = {
    url: `${url}/v2/models/mnist/infer`,
    connections: Number(args.connections),
    method: 'POST',
    headers,
    requests: bodies.map((body) => ({ method: 'POST', body })),
  };
  console.error(`[loadtest] warm-up ${args.warmup} s`);
  await run({ ...base, duration: Number(args.warmup) });
  console.error(`[loadtest] measuring ${args.duration} s over ${args.connections} connections`);
  const heapBefore = await ask<{ heapUsed: number; rss: number }>(child, 'heap');
  const before = await ask<{ rss: number; cpuMs: number; backend: string }>(child, 'rss');
  const genCpu0 = process.cpuUsage();
  const t0 = performance.now();
  // RSS once a second during the run, to see whether memory stays flat.
  const rssSamples: number[] = [before.rss];
  const sampler = setInterval(() => {
    void ask<{ rss: number }>(child, 'rss').then((m) => rssSamples.push(m.rss));
  }, 1000);
  const r = await run({ ...base, duration: Number(args.duration) });
  clearInterval(sampler);
  const after = await ask<{ rss: number; cpuMs: number }>(child, 'rss');
  const wallMs = performance.now() - t0;
  const genCpu = process.cpuUsage(genCpu0);
  rssSamples.push(after.rss);
  const heapAfter = await ask<{ heapUsed: number; rss: number }>(child, 'heap');
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const batchCount = Number(/tensorscript_batch_size_count\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  const batchSum = Number(/tensorscript_batch_size_sum\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  child.send({ type: 'stop' });

  const mb = (n: number) => (n / 2 ** 20).toFixed(1);
  const report = {
    model: 'MLP 784-500-250-10 (FP32), single-sample requests',
    encoding: binary ? 'binary tensor extension' : 'JSON tensors',
    backend: before.backend,
    durationS: Number(args.duration),
    connections: Number(args.connections),
    maxBatchSize: Number(args['max-batch']),
    maxQueueDelayMs: Number(args['delay-ms']),
    requestsPerSecond: Math.round(r.requests.average),
    requestsTotal: r.requests.total,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    // Share of one core each process used during the measured run (the machine has os.availableParallelism()).
    cpuPercent: {
      server: Math.round(((after.cpuMs - before.cpuMs) / wallMs) * 100),
      loadGenerator: Math.round(((genCpu.user + genCpu.system) / 1000 / wallMs) * 100),
      cores: availableParallelism(),
    },
    meanBatchSize: batchCount > 0 ? Number((batchSum / batchCount).toFixed(1)) : 0,
    rssMiB: {
      afterWarmup: Number(mb(before.rss)),
      end: Number(mb(after.rss)),
      min: Number(mb(Math.min(...rssSamples))),
      max: Number(mb(Math.max(...rssSamples))),
      perSecond: rssSamples.map((v) => Number(mb(v))),
    },
    // After a full GC before and after the measured run: growth here would be a leak.
    heapAfterGcMiB: { start: Number(mb(heapBefore.heapUsed)), end: Number(mb(heapAfter.heapUsed)) },
    rssAfterGcMiB: { start: Number(mb(heapBefore.rss)), end: Number(mb(heapAfter.rss)) },
  };
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `\n${report.requestsPerSecond} req/s, p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, ` +
      `${report.errors} errors, ${report.non2xx} non-2xx, mean batch ${report.meanBatchSize}, ` +
      `CPU server ${report.cpuPercent.server}% / generator ${report.cpuPercent.loadGenerator}%, ` +
      `RSS ${report.rssMiB.afterWarmup} -> ${report.rssMiB.end} MiB (range ${report.rssMiB.min}-${report.rssMiB.max}), ` +
      `heap after GC ${report.heapAfterGcMiB.start} -> ${report.heapAfterGcMiB.end} MiB`,
  );
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  if (report.errors > 0 || report.non2xx > 0) process.exitCode = 1;
}

if (args['child-server']) await childServer();
else await main();
