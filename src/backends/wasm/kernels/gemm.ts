import type { MatmulDims } from '../../../kernels/backend.ts';
import type { WasmBackend } from '../backend.ts';
import { PAR_FLOPS, wasmKernel } from './util.ts';

/** Blocks per thread of a parallel GEMM. */
const GEMM_BLOCKS_PER_THREAD = 2;

/** csrc/gemm.c: out = op(a) @ op(b) (+ bias per column), float32, split by row blocks over the pool. */
function gemm(
  be: WasmBackend,
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | null,
  out: Float32Array,
  dims: MatmulDims,
): void {
  const { batch, m, n, k } = dims;
  if (batch * m * n === 0) return;
  const temps: number[] = [];
  const after: (() => void)[] = [];
  const pa = be.input(a, temps);
  const pb = be.input(b, temps);
  const pbias = bias === null ? 0 : be.input(bias, temps);
  const pc = be.output(out, temps, after, false);
  // Twice as many blocks as threads: a worker that wakes late leaves the caller at most a quarter
  // of the product to wait for, not half (packing scratch is per thread, so blocks may outnumber them).
  // Never split along K, so the block count does not change the result: solo periods use one block.
  const t = be.activeThreads;
  be.runBlocks(
    'k_matmul',
    [
      pa,
      pb,
      pc,
      m,
      n,
      k,
      +dims.transA,
      +dims.transB,
      batch,
      dims.strideA,
      dims.strideB,
      0,
      be.packPtr,
      pbias,
    ],
    batch * m * n * k >= PAR_FLOPS && t > 1 ? GEMM_BLOCKS_PER_THREAD * t : 1,
  );
  be.finish(temps, after);
}

wasmKernel('matmul', ({ inputs: { a, b }, outputs: { out }, attrs, backend }) => {
  if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) return false;
  gemm(backend, a, b, null, out, attrs);
});

wasmKernel('matmulBias', ({ inputs: { a, b, bias }, outputs: { out }, attrs, backend }) => {
  if (
    !(a instanceof Float32Array && b instanceof Float32Array) ||
    !(bias instanceof Float32Array && out instanceof Float32Array)
  )
    return false;
  gemm(backend, a, b, bias, out, attrs);
});
