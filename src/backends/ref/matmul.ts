import type { TypedArray } from '../../core/dtype.ts';
import type { MatmulDims } from '../../kernels/backend.ts';
import { registerKernel } from '../../kernels/kernel-registry.ts';

/** Batched GEMM, i-k-j order, accumulating each output row in float64. */
export function matmul(a: TypedArray, b: TypedArray, out: TypedArray, dims: MatmulDims): void {
  const { batch, m, n, k, transA, transB, strideA, strideB } = dims;
  const row = new Float64Array(n);
  // A transposed B is copied once per batch into [k, n] order so the inner loop runs over contiguous memory.
  const bt = transB ? new Float64Array(k * n) : null;
  for (let p = 0; p < batch; p++) {
    const ao = p * strideA;
    const bo = p * strideB;
    let bsrc: ArrayLike<number> = b;
    let bOff = bo;
    if (bt !== null) {
      for (let j = 0; j < n; j++) for (let kk = 0; kk < k; kk++) bt[kk * n + j] = b[bo + j * k + kk]!;
      bsrc = bt;
      bOff = 0;
    }
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let kk = 0; kk < k; kk++) {
        const av = transA ? a[ao + kk * m + i]! : a[ao + i * k + kk]!;
        const bRow = bOff + kk * n;
        for (let j = 0; j < n; j++) row[j]! += av * bsrc[bRow + j]!;
      }
      const oo = p * m * n + i * n;
      for (let j = 0; j < n; j++) out[oo + j] = row[j]!;
    }
  }
}

registerKernel({
  name: 'matmul',
  backend: 'ref',
  fn: ({ inputs, outputs, attrs }) => {
    matmul(inputs.a, inputs.b, outputs.out, attrs);
    return true;
  },
});
