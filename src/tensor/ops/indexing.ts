import { check, fmtShape } from '../../core/errors.ts';
import { checkOpOptions } from '../../core/options.ts';
import { normDim, sizeOf } from '../../core/shape.ts';
import { runKernel } from '../../kernels/kernel-registry.ts';
import { record } from '../lifecycle.ts';
import type { Tensor } from '../tensor.ts';
import { assertTensor, empty } from './dispatch.ts';
import { contiguous, permute, reshape } from './views.ts';

function checkIndex(op: string, index: Tensor, bound: number, dim: number): void {
  check(index.dtype === 'int32', op, () => `index must be an int32 tensor, got ${index.dtype}`);
  // Bounds are checked on the host before any kernel runs: one explicit read back of the indices.
  const d = index.dataSync();
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v < 0 || v >= bound)
      check(false, op, () => `index ${v} is out of bounds for dim ${dim} with size ${bound}`);
  }
}

function checkGatherShapes(op: string, x: Tensor, d: number, index: Tensor): void {
  check(
    index.ndim === x.ndim,
    op,
    () =>
      `index rank ${index.ndim} must equal input rank ${x.ndim} (index ${fmtShape(index.shape)}, input ${fmtShape(x.shape)})`,
  );
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d) {
      check(
        index.shape[i]! <= x.shape[i]!,
        op,
        () => `index ${fmtShape(index.shape)} is larger than input ${fmtShape(x.shape)} at dim ${i}`,
      );
    }
  }
}

/** torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for dim 1. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  assertTensor('gather', x);
  assertTensor('gather', index, 'index');
  // Kernels see at least 1-D tensors; a 0-d gather is the 1-element case.
  if (x.ndim === 0) return reshape(gather(reshape(x, [1]), 0, reshape(index, [1])), []);
  const d = normDim('gather', dim, x.ndim);
  checkGatherShapes('gather', x, d, index);
  checkIndex('gather', index, x.shape[d] ?? 1, d);
  const xc = contiguous(x);
  const ic = contiguous(index);
  const out = empty(index.shape, x.dtype);
  runKernel('gather', {
    inputs: { x: xc.data, index: ic.data as Int32Array },
    outputs: { out: out.data },
    attrs: { xShape: x.shape, dim: d, indexShape: index.shape },
  });
  return record('gather', [x], out, { dim: d, index: ic });
}

/** Out-of-place torch.scatter_add: a copy of x with src added at index along dim. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  assertTensor('scatterAdd', x);
  assertTensor('scatterAdd', index, 'index');
  assertTensor('scatterAdd', src, 'src');
  const d = normDim('scatterAdd', dim, x.ndim);
  checkGatherShapes('scatterAdd', x, d, index);
  for (let i = 0; i < index.ndim; i++) {
    check(
      index.shape[i]! <= src.shape[i]!,
      'scatterAdd',
      () => `index ${fmtShape(index.shape)} is larger than src ${fmtShape(src.shape)} at dim ${i}`,
    );
  }
  checkIndex('scatterAdd', index, x.shape[d] ?? 1, d);
  const s = src.dtype === x.dtype ? src : src.to(x.dtype);
  const out = x.clone().detach();
  const ic = contiguous(index);
  // The kernel reads src with index's shape, so src is cut down to it when larger (as torch allows).
  const sc = contiguous(
    sizeOf(s.shape) === sizeOf(index.shape) ? s : s.index(index.shape.map((n) => [0, n] as const)),
  );
  runKernel('scatterAdd', {
    inputs: { index: ic.data as Int32Array, src: sc.data },
    outputs: { out: out.data },
    attrs: { outShape: x.shape, dim: d, srcShape: index.shape },
  });
  return record('scatterAdd', [x, s], out, { dim: d, index: ic });
}

/** torch.index_select with a 1-D int32 index. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  assertTensor('indexSelect', x);
  assertTensor('indexSelect', index, 'index');
  check(index.ndim <= 1, 'indexSelect', () => `index must be 1-D, got shape ${fmtShape(index.shape)}`);
  const d = normDim('indexSelect', dim, x.ndim);
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  checkIndex('indexSelect', index, n, d);
  const ic = contiguous(reshape(index, [-1]));
  const front = moveToFront(x, d);
  const rowSize = sizeOf(front.shape.slice(1));
  const outFront = empty([ic.size, ...front.shape.slice(1)], x.dtype);
  runKernel('indexRows', {
    inputs: { x: front.data, index: ic.data as Int32Array },
    outputs: { out: outFront.data },
    attrs: { rowSize, rows: n },
  });
  const out = d === 0 ? outFront : contiguous(moveFromFront(outFront, d));
  if (out !== outFront) outFront.dispose();
  return record('indexSelect', [x], out, { dim: d, index: ic });
}

/** Out-of-place torch.index_add: a copy of x with src's slices added at index along dim. */
export function indexAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  assertTensor('indexAdd', x);
  const d = normDim('indexAdd', dim, x.ndim);
  const n = x.shape[d]!;
  checkIndex('indexAdd', index, n, d);
  const ic = contiguous(reshape(index, [-1]));
  const front = contiguous(moveToFront(x, d)).clone().detach();
  const srcFront = moveToFront(src.dtype === x.dtype ? src : src.to(x.dtype), d);
  check(
    srcFront.shape[0] === ic.size,
    'indexAdd',
    () => `src has ${srcFront.shape[0]} slices along dim ${d} but index has ${ic.size}`,
  );
  runKernel('indexRowsAdd', {
    inputs: { index: ic.data as Int32Array, src: srcFront.data },
    outputs: { out: front.data },
    attrs: { rowSize: sizeOf(front.shape.slice(1)), rows: n },
  });
  const out = d === 0 ? front : contiguous(moveFromFront(front, d));
  return record('indexAdd', [x, src], out, { dim: d, index: ic });
}

function moveToFront(x: Tensor, d: number): Tensor {
  if (d === 0) return contiguous(x);
  const dims = [d, ...x.shape.map((_, i) => i).filter((i) => i !== d)];
  return contiguous(permute(x, dims));
}

function moveFromFront(x: Tensor, d: number): Tensor {
  const dims: number[] = [];
  for (let i = 1; i <= d; i++) dims.push(i);
  dims.push(0);
  for (let i = d + 1; i < x.ndim; i++) dims.push(i);
  return permute(x, dims);
}

/** torch.nn.functional.embedding: rows of weight picked by int32 indices of any shape. */
export function embedding(
  indices: Tensor,
  weight: Tensor,
  opts: { paddingIdx?: number | null } = {},
  ...rest: never[]
): Tensor {
  checkOpOptions(
    'embedding',
    opts,
    ['paddingIdx'],
    'embedding(indices, weight, { paddingIdx })',
    rest.length,
  );
  assertTensor('embedding', indices, 'indices');
  assertTensor('embedding', weight, 'weight');
  check(
    weight.ndim === 2,
    'embedding',
    () => `weight must be 2-D [numEmbeddings, dim], got ${fmtShape(weight.shape)}`,
  );
  const flat = reshape(indices, [-1]);
  const rows = indexSelect(weight, 0, flat);
  let out = reshape(rows, [...indices.shape, weight.shape[1]!]);
  const pad = opts.paddingIdx;
  if (pad != null) {
    const p = pad < 0 ? pad + weight.shape[0]! : pad;
    // The padding row gets no gradient: its positions read a detached copy.
    const mask = indices.eq(p).unsqueeze(-1);
    out = out.detach().where(mask, out);
  }
  return out;
}
