import { badIndex, is4Byte, prod, wasmKernel } from './util.ts';

// csrc/index.c: row lookups (embeddings) and gather/scatter-add along one dim, bounds-checked.

function sameExcept(a: readonly number[], b: readonly number[], dim: number): boolean {
  return a.length === b.length && a.every((v, i) => i === dim || v === b[i]);
}

wasmKernel(
  'indexRows',
  ({ inputs: { x, index }, outputs: { out }, attrs: { rowSize, rows }, backend: be }) => {
    if (!is4Byte(x) || x.constructor !== out.constructor) {
      return false;
    }
    if (out.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const px = be.input(x, temps);
    const pi = be.input(index, temps);
    const po = be.output(out, temps, after, false);
    const bad = be.ex.index_rows!(px, rowSize, rows, pi, index.length, po);
    be.finish(temps, after);
    if (bad >= 0) badIndex('indexRows', index, bad, rows);
  },
);

wasmKernel(
  'indexRowsAdd',
  ({ inputs: { index, src }, outputs: { out }, attrs: { rowSize, rows }, backend: be }) => {
    if (!(out instanceof Float32Array) || !(src instanceof Float32Array)) {
      return false;
    }
    for (let i = 0; i < index.length; i++) {
      const r = index[i]!;
      if (r < 0 || r >= rows) badIndex('indexRowsAdd', index, i, rows);
    }
    if (src.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const ps = be.input(src, temps);
    const pi = be.input(index, temps);
    const po = be.output(out, temps, after, true);
    be.ex.index_rows_add!(po, rowSize, rows, pi, index.length, ps);
    be.finish(temps, after);
  },
);

wasmKernel(
  'gather',
  ({ inputs: { x, index }, outputs: { out }, attrs: { dim, xShape, indexShape }, backend: be }) => {
    if (!is4Byte(x) || x.constructor !== out.constructor || !sameExcept(xShape, indexShape, dim)) {
      return false;
    }
    if (out.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const px = be.input(x, temps);
    const pi = be.input(index, temps);
    const po = be.output(out, temps, after, false);
    const bad = be.ex.gather_dim!(
      px,
      prod(xShape, 0, dim),
      xShape[dim]!,
      prod(xShape, dim + 1),
      pi,
      indexShape[dim]!,
      po,
    );
    be.finish(temps, after);
    if (bad >= 0) badIndex('gather', index, bad, xShape[dim]!);
  },
);

wasmKernel(
  'scatterAdd',
  ({ inputs: { index, src }, outputs: { out }, attrs: { dim, outShape, srcShape }, backend: be }) => {
    const rows = outShape[dim]!;
    if (
      !(out instanceof Float32Array) ||
      !(src instanceof Float32Array) ||
      !sameExcept(outShape, srcShape, dim)
    ) {
      return false;
    }
    for (let i = 0; i < index.length; i++) {
      const r = index[i]!;
      if (r < 0 || r >= rows) badIndex('scatterAdd', index, i, rows);
    }
    if (src.length === 0) return;
    const temps: number[] = [];
    const after: (() => void)[] = [];
    const ps = be.input(src, temps);
    const pi = be.input(index, temps);
    const po = be.output(out, temps, after, true);
    be.ex.scatter_add_dim!(po, prod(outShape, 0, dim), rows, prod(outShape, dim + 1), pi, srcShape[dim]!, ps);
    be.finish(temps, after);
  },
);
