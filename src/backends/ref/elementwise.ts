import { binaryOp } from '../../kernels/binary-ops.ts';
import { registerKernel } from '../../kernels/kernel-registry.ts';
import { unaryOp } from '../../kernels/unary-ops.ts';
import { forEachN, isPlain } from './strided.ts';

// The reference elementwise kernels: strided loops over host-addressable buffers.

registerKernel({
  name: 'unary',
  backend: 'ref',
  fn: ({ inputs: { x }, outputs: { out }, attrs: { op } }) => {
    const f = unaryOp(op).ref;
    const d = x.data;
    if (isPlain(x.shape, x.strides)) {
      const o = x.offset;
      for (let i = 0; i < out.length; i++) out[i] = f(d[o + i]!);
      return;
    }
    forEachN(x.shape, [x.strides], [x.offset], (i, offs) => {
      out[i] = f(d[offs[0]!]!);
    });
  },
});

registerKernel({
  name: 'binary',
  backend: 'ref',
  fn: ({ inputs: { a, b }, outputs: { out }, attrs: { op } }) => {
    const f = binaryOp(op).ref;
    const ad = a.data;
    const bd = b.data;
    if (isPlain(a.shape, a.strides) && isPlain(b.shape, b.strides)) {
      const oa = a.offset;
      const ob = b.offset;
      for (let i = 0; i < out.length; i++) out[i] = f(ad[oa + i]!, bd[ob + i]!);
      return;
    }
    forEachN(a.shape, [a.strides, b.strides], [a.offset, b.offset], (i, offs) => {
      out[i] = f(ad[offs[0]!]!, bd[offs[1]!]!);
    });
  },
});

registerKernel({
  name: 'where',
  backend: 'ref',
  fn: ({ inputs: { cond, a, b }, outputs: { out } }) => {
    const cd = cond.data;
    const ad = a.data;
    const bd = b.data;
    forEachN(
      cond.shape,
      [cond.strides, a.strides, b.strides],
      [cond.offset, a.offset, b.offset],
      (i, offs) => {
        out[i] = cd[offs[0]!]! !== 0 ? ad[offs[1]!]! : bd[offs[2]!]!;
      },
    );
  },
});

registerKernel({
  name: 'copy',
  backend: 'ref',
  fn: ({ inputs: { src }, outputs: { dst } }) => {
    const sd = src.data;
    const dd = dst.data;
    const toBool = dst.dtype === 'bool' && src.dtype !== 'bool';
    forEachN(src.shape, [src.strides, dst.strides], [src.offset, dst.offset], (_i, offs) => {
      const v = sd[offs[0]!]!;
      dd[offs[1]!] = toBool ? (v !== 0 ? 1 : 0) : v;
    });
  },
});

registerKernel({
  name: 'fill',
  backend: 'ref',
  fn: ({ outputs: { out }, attrs: { value } }) => {
    out.fill(value);
  },
});
