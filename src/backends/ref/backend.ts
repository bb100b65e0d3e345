import { arrayFor, type DType, type TypedArray } from '../../core/dtype.ts';
import type {
  ArgReduceOp,
  Backend,
  BinaryOp,
  Conv2dAttrs,
  Pool2dAttrs,
  ReduceOp,
  UnaryOp,
  View,
} from '../../kernels/backend.ts';
import { conv2d, conv2dBackwardFilter, conv2dBackwardInput } from './conv.ts';
import { gather, indexRows, indexRowsAdd, scatterAdd } from './gather.ts';
import './matmul.ts';
import { avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward } from './pool.ts';
import { BINARY, UNARY } from './scalar-math.ts';
import { forEachN, isPlain } from './strided.ts';

/**
 * The reference backend: plain TypeScript over typed arrays, written for clarity. It is the
 * specification every other backend is tested against, and the fallback for kernels they skip.
 */
export class RefBackend implements Backend {
  readonly name: string = 'ref';

  alloc(dtype: DType, size: number): TypedArray {
    return arrayFor(dtype, size);
  }

  free(_data: TypedArray): void {
    // Garbage-collected memory: nothing to return.
  }

  read(data: TypedArray, offset: number, length: number): TypedArray {
    return data.slice(offset, offset + length);
  }

  write(data: TypedArray, values: ArrayLike<number>, offset: number): void {
    data.set(values, offset);
  }

  unary(op: UnaryOp, x: View, out: TypedArray): void {
    const f = UNARY[op];
    const d = x.data;
    if (isPlain(x.shape, x.strides)) {
      const o = x.offset;
      for (let i = 0; i < out.length; i++) out[i] = f(d[o + i]!);
      return;
    }
    forEachN(x.shape, [x.strides], [x.offset], (i, offs) => {
      out[i] = f(d[offs[0]!]!);
    });
  }

  binary(op: BinaryOp, a: View, b: View, out: TypedArray): void {
    const f = BINARY[op];
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
  }

  where(cond: View, a: View, b: View, out: TypedArray): void {
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
  }

  copy(src: View, dst: View): void {
    const sd = src.data;
    const dd = dst.data;
    const toBool = dst.dtype === 'bool' && src.dtype !== 'bool';
    forEachN(src.shape, [src.strides, dst.strides], [src.offset, dst.offset], (_i, offs) => {
      const v = sd[offs[0]!]!;
      dd[offs[1]!] = toBool ? (v !== 0 ? 1 : 0) : v;
    });
  }

  fill(out: TypedArray, value: number): void {
    out.fill(value);
  }

  reduce(op: ReduceOp, x: TypedArray, outer: number, red: number, inner: number, out: TypedArray): void {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let base = o * red * inner + i;
        let acc: number;
        if (op === 'sum') {
          acc = 0;
          for (let r = 0; r < red; r++, base += inner) acc += x[base]!;
        } else if (op === 'prod') {
          acc = 1;
          for (let r = 0; r < red; r++, base += inner) acc *= x[base]!;
        } else if (op === 'max') {
          acc = Number.NEGATIVE_INFINITY;
          for (let r = 0; r < red; r++, base += inner) {
            const v = x[base]!;
            if (v > acc || v !== v) acc = v;
            if (acc !== acc) break;
          }
        } else {
          acc = Number.POSITIVE_INFINITY;
          for (let r = 0; r < red; r++, base += inner) {
            const v = x[base]!;
            if (v < acc || v !== v) acc = v;
            if (acc !== acc) break;
          }
        }
        out[o * inner + i] = acc;
      }
    }
  }

  argReduce(
    op: ArgReduceOp,
    x: TypedArray,
    outer: number,
    red: number,
    inner: number,
    out: Int32Array,
  ): void {
    const better = op === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * red * inner + i;
        let best = x[base]!;
        let bi = 0;
        for (let r = 1; r < red && best === best; r++) {
          const v = x[base + r * inner]!;
          // NaN counts as the extreme, as in torch.
          if (better(v, best) || v !== v) {
            best = v;
            bi = r;
          }
        }
        out[o * inner + i] = bi;
      }
    }
  }

  conv2d(
    x: TypedArray,
    xShape: readonly number[],
    w: TypedArray,
    wShape: readonly number[],
    attrs: Conv2dAttrs,
    out: TypedArray,
  ): void {
    conv2d(x, xShape, w, wShape, attrs, out);
  }

  conv2dBackwardInput(
    dy: TypedArray,
    dyShape: readonly number[],
    w: TypedArray,
    wShape: readonly number[],
    attrs: Conv2dAttrs,
    out: TypedArray,
    xShape: readonly number[],
  ): void {
    conv2dBackwardInput(dy, dyShape, w, wShape, attrs, out, xShape);
  }

  conv2dBackwardFilter(
    x: TypedArray,
    xShape: readonly number[],
    dy: TypedArray,
    dyShape: readonly number[],
    attrs: Conv2dAttrs,
    out: TypedArray,
    wShape: readonly number[],
  ): void {
    conv2dBackwardFilter(x, xShape, dy, dyShape, attrs, out, wShape);
  }

  maxPool2d(
    x: TypedArray,
    xShape: readonly number[],
    attrs: Pool2dAttrs,
    out: TypedArray,
    indices: Int32Array,
    outShape: readonly number[],
  ): void {
    maxPool2d(x, xShape, attrs, out, indices, outShape);
  }

  maxPool2dBackward(
    dy: TypedArray,
    indices: Int32Array,
    outShape: readonly number[],
    out: TypedArray,
    xShape: readonly number[],
  ): void {
    maxPool2dBackward(dy, indices, outShape, out, xShape);
  }

  avgPool2d(
    x: TypedArray,
    xShape: readonly number[],
    attrs: Pool2dAttrs,
    out: TypedArray,
    outShape: readonly number[],
  ): void {
    avgPool2d(x, xShape, attrs, out, outShape);
  }

  avgPool2dBackward(
    dy: TypedArray,
    outShape: readonly number[],
    attrs: Pool2dAttrs,
    out: TypedArray,
    xShape: readonly number[],
  ): void {
    avgPool2dBackward(dy, outShape, attrs, out, xShape);
  }

  gather(
    x: TypedArray,
    xShape: readonly number[],
    dim: number,
    index: Int32Array,
    indexShape: readonly number[],
    out: TypedArray,
  ): void {
    gather(x, xShape, dim, index, indexShape, out);
  }

  scatterAdd(
    out: TypedArray,
    outShape: readonly number[],
    dim: number,
    index: Int32Array,
    src: TypedArray,
    srcShape: readonly number[],
  ): void {
    scatterAdd(out, outShape, dim, index, src, srcShape);
  }

  indexRows(x: TypedArray, rowSize: number, rows: number, index: Int32Array, out: TypedArray): void {
    indexRows(x, rowSize, rows, index, out);
  }

  indexRowsAdd(out: TypedArray, rowSize: number, rows: number, index: Int32Array, src: TypedArray): void {
    indexRowsAdd(out, rowSize, rows, index, src);
  }
}
