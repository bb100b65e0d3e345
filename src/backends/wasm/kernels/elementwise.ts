import type { BinaryOp, UnaryOp } from '../../../kernels/backend.ts';
import { fold3d } from '../fold.ts';
import { denseStrides, is4Byte, PAR_ELEMS, prod, wasmKernel } from './util.ts';

// csrc/elementwise.c. Only operands already in wasm memory take the fast path: copying them in would
// cost as much as the op. Strided operands are folded to at most 3 dims (fold.ts) or declined.

const UNARY_CODE: Partial<Record<UnaryOp, number>> = {
  neg: 0,
  abs: 1,
  relu: 2,
  exp: 3,
  log: 4,
  sqrt: 5,
  rsqrt: 6,
  tanh: 7,
  sigmoid: 8,
  reciprocal: 9,
  floor: 10,
  ceil: 11,
};
const BINARY_CODE: Partial<Record<BinaryOp, number>> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  maximum: 4,
  minimum: 5,
  eq: 6,
  ne: 7,
  lt: 8,
  le: 9,
  gt: 10,
  ge: 11,
};

wasmKernel('unary', ({ inputs: { x }, outputs: { out }, attrs: { op }, backend: be }) => {
  // Ops without a C implementation (and ops added with defineUnaryOp) decline to the reference kernel.
  const code = Object.hasOwn(UNARY_CODE, op) ? UNARY_CODE[op as UnaryOp] : undefined;
  if (code === undefined || x.dtype !== 'float32' || !(out instanceof Float32Array)) {
    return false;
  }
  if (!be.heap.owns(x.data) || !be.heap.owns(out)) {
    return false;
  }
  if (out.length === 0) return;
  const f = fold3d(x.shape, [x.strides]);
  if (f === undefined) {
    return false;
  }
  be.runBlocks(
    'k_unary',
    [code, be.viewPtr(x, 4), f.so[0]!, f.si[0]!, out.byteOffset, f.outer, f.inner, f.planes, f.sp[0]!],
    be.blocksFor(out.length),
  );
});

wasmKernel('binary', ({ inputs: { a, b }, outputs: { out }, attrs: { op }, backend: be }) => {
  const code = BINARY_CODE[op];
  const cmp = code !== undefined && code >= 6;
  if (
    code === undefined ||
    a.dtype !== 'float32' ||
    b.dtype !== 'float32' ||
    !(cmp ? out instanceof Uint8Array : out instanceof Float32Array) ||
    !be.heap.owns(a.data) ||
    !be.heap.owns(b.data) ||
    !be.heap.owns(out)
  ) {
    return false;
  }
  if (out.length === 0) return;
  const f = fold3d(a.shape, [a.strides, b.strides]);
  if (f === undefined) {
    return false;
  }
  be.runBlocks(
    'k_binary',
    [
      code,
      be.viewPtr(a, 4),
      f.so[0]!,
      f.si[0]!,
      be.viewPtr(b, 4),
      f.so[1]!,
      f.si[1]!,
      out.byteOffset,
      f.outer,
      f.inner,
      f.planes,
      f.sp[0]!,
      f.sp[1]!,
    ],
    be.blocksFor(out.length),
  );
});

wasmKernel('where', ({ inputs: { cond, a, b }, outputs: { out }, backend: be }) => {
  if (
    cond.dtype !== 'bool' ||
    a.dtype !== 'float32' ||
    b.dtype !== 'float32' ||
    !(out instanceof Float32Array) ||
    !be.heap.owns(cond.data) ||
    !be.heap.owns(a.data) ||
    !be.heap.owns(b.data) ||
    !be.heap.owns(out)
  ) {
    return false;
  }
  if (out.length === 0) return;
  const f = fold3d(a.shape, [cond.strides, a.strides, b.strides]);
  if (f === undefined) {
    return false;
  }
  be.runBlocks(
    'k_where',
    [
      be.viewPtr(cond, 1),
      f.so[0]!,
      f.si[0]!,
      be.viewPtr(a, 4),
      f.so[1]!,
      f.si[1]!,
      be.viewPtr(b, 4),
      f.so[2]!,
      f.si[2]!,
      out.byteOffset,
      f.outer,
      f.inner,
      f.planes,
      f.sp[0]!,
      f.sp[1]!,
      f.sp[2]!,
    ],
    be.blocksFor(out.length),
  );
});

wasmKernel('copy', ({ inputs: { src }, outputs: { dst }, backend: be }) => {
  const nd = src.shape.length;
  if (
    src.dtype !== dst.dtype ||
    !is4Byte(src.data) ||
    nd < 1 ||
    nd > 8 ||
    !be.heap.owns(src.data) ||
    !be.heap.owns(dst.data)
  ) {
    return false;
  }
  const size = prod(src.shape);
  if (size === 0) return;
  // shape and strides travel after the 6 argument slots
  const geo = be.argsPtr + 64;
  const i32 = be.heap.i32;
  const g = geo >> 2;
  // Both contiguous (a clone): one flat run, which the kernel copies with memory.copy.
  const flat = denseStrides(src.shape, src.strides) && denseStrides(src.shape, dst.strides);
  const n = flat ? 1 : nd;
  for (let d = 0; d < n; d++) {
    i32[g + d] = flat ? size : src.shape[d]!;
    i32[g + 8 + d] = flat ? 1 : src.strides[d]!;
    i32[g + 16 + d] = flat ? 1 : dst.strides[d]!;
  }
  be.runBlocks(
    'k_copy32',
    [be.viewPtr(src, 4), be.viewPtr(dst, 4), n, geo, geo + 32, geo + 64],
    flat ? be.blocksFor(size) : size >= PAR_ELEMS ? be.poolThreads : 1,
  );
});
