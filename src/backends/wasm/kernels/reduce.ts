import type { ReduceOp } from '../../../kernels/backend.ts';
import { PAR_ELEMS, wasmKernel } from './util.ts';

// csrc/reduce.c: float32 reductions over a contiguous [outer, reduce, inner] buffer in wasm memory.

const REDUCE_CODE: Partial<Record<ReduceOp, number>> = { sum: 0, max: 1, min: 2 };

wasmKernel(
  'reduce',
  ({ inputs: { x }, outputs: { out }, attrs: { op, outer, reduce, inner }, backend: be }) => {
    const code = REDUCE_CODE[op];
    if (code === undefined || !(x instanceof Float32Array) || !(out instanceof Float32Array)) {
      return false;
    }
    if (!be.heap.owns(x) || !be.heap.owns(out)) {
      return false;
    }
    if (out.length === 0) return;
    be.run('k_reduce', [code, x.byteOffset, outer, reduce, inner, out.byteOffset], x.length >= PAR_ELEMS);
  },
);

wasmKernel(
  'argReduce',
  ({ inputs: { x }, outputs: { out }, attrs: { op, outer, reduce, inner }, backend: be }) => {
    if (!(x instanceof Float32Array) || !be.heap.owns(x) || !be.heap.owns(out) || reduce === 0) {
      return false;
    }
    if (out.length === 0) return;
    be.runBlocks(
      'k_argreduce',
      [op === 'argmax' ? 0 : 1, x.byteOffset, outer, reduce, inner, out.byteOffset],
      be.blocksFor(x.length),
    );
  },
);
