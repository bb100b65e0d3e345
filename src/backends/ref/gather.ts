import type { TypedArray } from '../../core/dtype.ts';
import { contiguousStrides } from '../../core/shape.ts';
import { registerKernel } from '../../kernels/kernel-registry.ts';
import { forEachN } from './strided.ts';

/**
 * Visits every position of `indexShape`, giving the flat offset into a tensor of `targetShape` whose
 * coordinate along `dim` is replaced by the index value, and the flat position in index/src.
 */
function visit(
  targetShape: readonly number[],
  dim: number,
  index: Int32Array,
  indexShape: readonly number[],
  fn: (target: number, pos: number) => void,
): void {
  const ts = contiguousStrides(targetShape);
  const strides = ts.map((s, i) => (i === dim ? 0 : s));
  forEachN(indexShape, [strides], [0], (pos, offs) => {
    fn(offs[0]! + index[pos]! * ts[dim]!, pos);
  });
}

export function gather(
  x: TypedArray,
  xShape: readonly number[],
  dim: number,
  index: Int32Array,
  indexShape: readonly number[],
  out: TypedArray,
): void {
  if (xShape.length === 0) {
    if (out.length > 0) out[0] = x[0]!;
    return;
  }
  visit(xShape, dim, index, indexShape, (t, pos) => {
    out[pos] = x[t]!;
  });
}

export function scatterAdd(
  out: TypedArray,
  outShape: readonly number[],
  dim: number,
  index: Int32Array,
  src: TypedArray,
  srcShape: readonly number[],
): void {
  if (outShape.length === 0) {
    if (src.length > 0) out[0]! += src[0]!;
    return;
  }
  visit(outShape, dim, index, srcShape, (t, pos) => {
    out[t]! += src[pos]!;
  });
}

export function indexRows(
  x: TypedArray,
  rowSize: number,
  _rows: number,
  index: Int32Array,
  out: TypedArray,
): void {
  for (let i = 0; i < index.length; i++) {
    const s = index[i]! * rowSize;
    out.set(x.subarray(s, s + rowSize), i * rowSize);
  }
}

export function indexRowsAdd(
  out: TypedArray,
  rowSize: number,
  _rows: number,
  index: Int32Array,
  src: TypedArray,
): void {
  for (let i = 0; i < index.length; i++) {
    const d = index[i]! * rowSize;
    const s = i * rowSize;
    for (let j = 0; j < rowSize; j++) out[d + j]! += src[s + j]!;
  }
}

registerKernel({
  name: 'gather',
  backend: 'ref',
  fn: ({ inputs: { x, index }, outputs: { out }, attrs }) => {
    gather(x, attrs.xShape, attrs.dim, index, attrs.indexShape, out);
  },
});
registerKernel({
  name: 'scatterAdd',
  backend: 'ref',
  fn: ({ inputs: { index, src }, outputs: { out }, attrs }) => {
    scatterAdd(out, attrs.outShape, attrs.dim, index, src, attrs.srcShape);
  },
});
registerKernel({
  name: 'indexRows',
  backend: 'ref',
  fn: ({ inputs: { x, index }, outputs: { out }, attrs }) => {
    indexRows(x, attrs.rowSize, attrs.rows, index, out);
  },
});
registerKernel({
  name: 'indexRowsAdd',
  backend: 'ref',
  fn: ({ inputs: { index, src }, outputs: { out }, attrs }) => {
    indexRowsAdd(out, attrs.rowSize, attrs.rows, index, src);
  },
});
