import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

/*
 * The relaxed-SIMD build (fused multiply-add) is chosen only when the runtime validates it. Node 20
 * needs a flag for that (Node 22+ has relaxed SIMD on and refuses the flag as a bad option), so this
 * test runs a child process with the flag where it is needed and checks that the backend
 * picked the relaxed build and that its GEMM and conv agree with the reference backend (same
 * tolerance as kernels.test.ts: 1e-5*sqrt(K) absolute + 1e-5 relative).
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));

const child = `
const { WasmBackend } = await import(${JSON.stringify(`${root}src/backends/wasm/backend.ts`)});
const { RefBackend } = await import(${JSON.stringify(`${root}src/backends/ref/backend.ts`)});
const { runKernel } = await import(${JSON.stringify(`${root}src/kernels/kernel-registry.ts`)});
const w = new WasmBackend({ threads: 2 });
await w.ready();
const r = new RefBackend();
let worst = 0;
for (const [m, n, k] of [[7, 17, 33], [100, 33, 5], [130, 70, 40]]) {
  const a = w.alloc('float32', m * k), b = w.alloc('float32', k * n);
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 1.3);
  for (let i = 0; i < b.length; i++) b[i] = Math.cos(i * 0.7);
  const dims = { batch: 1, m, n, k, transA: false, transB: true, strideA: 0, strideB: 0 };
  const o1 = w.alloc('float32', m * n), o2 = new Float32Array(m * n);
  runKernel('matmul', { inputs: { a, b }, outputs: { out: o1 }, attrs: dims }, w);
  runKernel('matmul', { inputs: { a, b }, outputs: { out: o2 }, attrs: dims }, r);
  for (let i = 0; i < o2.length; i++) worst = Math.max(worst, Math.abs(o1[i] - o2[i]) / (1e-5 * Math.sqrt(k) + 1e-5 * Math.abs(o2[i])));
}
const attrs = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
const x = w.alloc('float32', 2 * 3 * 9 * 9), f = w.alloc('float32', 4 * 3 * 9);
for (let i = 0; i < x.length; i++) x[i] = Math.sin(i);
for (let i = 0; i < f.length; i++) f[i] = Math.cos(i);
const y1 = w.alloc('float32', 2 * 4 * 81), y2 = new Float32Array(2 * 4 * 81);
runKernel('conv2d', { inputs: { x, w: f }, outputs: { out: y1 }, attrs: { ...attrs, xShape: [2, 3, 9, 9], wShape: [4, 3, 3, 3] } }, w);
runKernel('conv2d', { inputs: { x, w: f }, outputs: { out: y2 }, attrs: { ...attrs, xShape: [2, 3, 9, 9], wShape: [4, 3, 3, 3] } }, r);
for (let i = 0; i < y2.length; i++) worst = Math.max(worst, Math.abs(y1[i] - y2[i]) / (1e-5 * Math.sqrt(27) + 1e-5 * Math.abs(y2[i])));
console.log(JSON.stringify({ flavor: w.flavor, worst }));
`;

const flag = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];

it('relaxed-SIMD build: detected (under the flag on Node 20), and matches the reference', () => {
  const r = spawnSync(process.execPath, [...flag, '--import', 'tsx', '--input-type=module', '-e', child], {
    encoding: 'utf8',
    cwd: root,
  });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { flavor: string; worst: number };
  assert.equal(res.flavor, 'relaxed');
  assert.ok(res.worst <= 1, `worst error ${res.worst} x tolerance`);
});
