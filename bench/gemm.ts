import { RefBackend } from '../src/backends/ref/backend.ts';
import { defaultThreads, WasmBackend } from '../src/backends/wasm/backend.ts';
import type { Backend } from '../src/kernels/backend.ts';
import { runKernel } from '../src/kernels/kernel-registry.ts';

/** One benchmark figure, printed and returned so `npm run bench -- --json` can emit it as a line. */
export interface BenchRecord {
  name: string;
  value: number;
  unit: string;
  threads: number;
  backend: string;
  flavor?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median GFLOPS of out = a @ b ([m,k] @ [k,n]) over `reps` timed runs after one warm-up. */
function gflops(backend: Backend, m: number, n: number, k: number, reps: number): number {
  const a = backend.alloc('float32', m * k);
  const b = backend.alloc('float32', k * n);
  const out = backend.alloc('float32', m * n);
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
  for (let i = 0; i < b.length; i++) b[i] = Math.cos(i);
  const dims = { batch: 1, m, n, k, transA: false, transB: false, strideA: m * k, strideB: k * n };
  const call = { inputs: { a, b }, outputs: { out }, attrs: dims };
  runKernel('matmul', call, backend);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    // Repeat small problems so each timing spans at least ~20 ms.
    let iters = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      runKernel('matmul', call, backend);
      iters++;
      t = performance.now();
    } while (t - t0 < 20);
    times.push((t - t0) / iters);
  }
  backend.free(a);
  backend.free(b);
  backend.free(out);
  return (2 * m * n * k) / median(times) / 1e6;
}

/** fp32 GEMM GFLOPS on the wasm backend (1 and all threads) and, at a small size, the reference backend. */
export async function benchGemm(opts: { quiet?: boolean } = {}): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  const emit = (r: BenchRecord) => {
    records.push(r);
    if (!opts.quiet)
      console.log(
        `${r.name.padEnd(36)} ${r.value.toFixed(1).padStart(8)} ${r.unit}  (${r.backend}, ${r.threads} thr)`,
      );
  };
  const all = defaultThreads();
  const sizes: [string, number, number, number, number][] = [
    ['256^3', 256, 256, 256, 7],
    ['1024^3', 1024, 1024, 1024, 5],
    ['128x784x500', 128, 500, 784, 7],
  ];
  for (const threads of [...new Set([1, all])]) {
    const be = new WasmBackend({ threads });
    await be.ready();
    for (const [label, m, n, k, reps] of sizes) {
      emit({
        name: `gemm ${label}`,
        value: gflops(be, m, n, k, reps),
        unit: 'GFLOPS',
        threads,
        backend: 'wasm',
        flavor: be.flavor,
      });
    }
    await be.terminate();
  }
  emit({
    name: 'gemm 128^3',
    value: gflops(new RefBackend(), 128, 128, 128, 3),
    unit: 'GFLOPS',
    threads: 1,
    backend: 'ref',
  });
  return records;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchGemm();
}
