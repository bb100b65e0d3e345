import { noGrad } from '../../autograd/node.ts';
import { check, fmtShape } from '../../core/errors.ts';
import { checkOpOptions } from '../../core/options.ts';
import { broadcastShapes, sizeOf } from '../../core/shape.ts';
import { hasKernel, runKernel, tryKernel } from '../../kernels/kernel-registry.ts';
import { record, uninit } from '../lifecycle.ts';
import type { Tensor } from '../tensor.ts';
import { assertTensor } from './dispatch.ts';
import { contiguous, expand, reshape, squeeze, unsqueeze } from './views.ts';

interface Operand {
  data: Tensor;
  trans: boolean;
  batchStride: number;
}

/**
 * One GEMM operand [..., R, C] for a batch of `batch` products: passed without a copy when it is
 * contiguous or a transposed contiguous view, and with batch stride 0 when it is broadcast.
 */
function operand(x: Tensor, batchShape: readonly number[]): Operand {
  const r = x.shape[x.ndim - 2]!;
  const c = x.shape[x.ndim - 1]!;
  const xBatch = x.shape.slice(0, -2);
  const broadcastOnly = sizeOf(xBatch) === 1 && sizeOf(batchShape) !== 1;
  let m = broadcastOnly ? reshape(x, [r, c]) : x;
  if (!broadcastOnly && xBatch.join() !== batchShape.join()) m = contiguous(expand(x, [...batchShape, r, c]));
  const st = m.strides;
  const n = m.ndim;
  const batchOk = (k: number) => {
    // Batch dims must be laid out contiguously above the matrix.
    let s = r * c;
    for (let i = n - 3; i >= 0; i--) {
      if (m.shape[i] !== 1 && st[i] !== s) return false;
      s *= m.shape[i]!;
    }
    return k >= 0;
  };
  const stride = broadcastOnly ? 0 : r * c;
  if ((st[n - 1] === 1 || c === 1) && (st[n - 2] === c || r === 1) && batchOk(0))
    return { data: m, trans: false, batchStride: stride };
  if ((st[n - 2] === 1 || r === 1) && (st[n - 1] === r || c === 1) && batchOk(0))
    return { data: m, trans: true, batchStride: stride };
  return { data: contiguous(m), trans: false, batchStride: stride };
}

/** torch.matmul with its 1-D promotion rules and batch broadcasting. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assertTensor('matmul', a);
  assertTensor('matmul', b);
  check(
    a.ndim > 0 && b.ndim > 0,
    'matmul',
    () => `both arguments need at least 1 dimension, got ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`,
  );
  const ka = a.shape[a.ndim - 1]!;
  const kb = b.ndim === 1 ? b.shape[0]! : b.shape[b.ndim - 2]!;
  check(ka === kb, 'matmul', () => `inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  check(a.dtype === b.dtype, 'matmul', () => `dtypes differ: ${a.dtype} @ ${b.dtype}`);
  check(
    a.dtype === 'float32' || a.dtype === 'float64',
    'matmul',
    () => `expected floating point inputs, got ${a.dtype}`,
  );
  if (a.ndim === 1 && b.ndim === 1) return reshape(mm(unsqueeze(a, 0), unsqueeze(b, 1)), []);
  if (a.ndim === 1) return squeeze(mm(unsqueeze(a, 0), b), -2);
  if (b.ndim === 1) return squeeze(mm(a, unsqueeze(b, 1)), -1);
  return mm(a, b);
}

function mm(a: Tensor, b: Tensor): Tensor {
  const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const m = a.shape[a.ndim - 2]!;
  const k = a.shape[a.ndim - 1]!;
  const n = b.shape[b.ndim - 1]!;
  const out = uninit([...batchShape, m, n], a.dtype);
  const batch = sizeOf(batchShape);
  if (out.size > 0) {
    const oa = operand(a, batchShape);
    const ob = operand(b, batchShape);
    const ad = oa.data.rawData().subarray(oa.data.offset);
    const bd = ob.data.rawData().subarray(ob.data.offset);
    runKernel('matmul', {
      inputs: { a: ad, b: bd },
      outputs: { out: out.data },
      attrs: {
        batch,
        m,
        n,
        k,
        transA: oa.trans,
        transB: ob.trans,
        strideA: oa.batchStride,
        strideB: ob.batchStride,
      },
    });
  }
  return record('matmul', [a, b], out);
}

/** torch.nn.functional.linear: `linear(x, weight, { bias })` = x @ weight^T + bias, weight [out, in]. */
export function linear(
  x: Tensor,
  weight: Tensor,
  opts: { bias?: Tensor | null } = {},
  ...rest: never[]
): Tensor {
  checkOpOptions('linear', opts, ['bias'], 'linear(x, weight, { bias })', rest.length);
  const bias = opts.bias ?? null;
  assertTensor('linear', x);
  assertTensor('linear', weight, 'weight');
  if (bias !== null) assertTensor('linear', bias, 'bias');
  check(weight.ndim === 2, 'linear', () => `weight must be 2-D [out, in], got ${fmtShape(weight.shape)}`);
  check(
    x.shape[x.ndim - 1] === weight.shape[1],
    'linear',
    () =>
      `input features ${x.shape[x.ndim - 1]} do not match weight ${fmtShape(weight.shape)} (input ${fmtShape(x.shape)})`,
  );
  if (bias !== null) {
    const fused = linearBias(x, weight, bias);
    if (fused !== null) return fused;
  }
  const y = matmul(x, weight.mT);
  return bias === null ? y : y.add(bias);
}

/**
 * x @ weight^T + bias as one op ('linear', gradient rule in autograd/grads/linalg.ts) for a contiguous
 * x [..., in], 2-D weight and 1-D bias of x's float dtype: one GEMM pass with the bias added in its
 * epilogue when the backend has a matmulBias kernel, else the composite (matmul, add) computed without
 * recording. Returns null for other operands (the caller then records the composite).
 */
function linearBias(x: Tensor, weight: Tensor, bias: Tensor): Tensor | null {
  const n = weight.shape[0]!;
  const k = weight.shape[1]!;
  if (
    x.ndim < 1 ||
    (x.dtype !== 'float32' && x.dtype !== 'float64') ||
    weight.dtype !== x.dtype ||
    bias.dtype !== x.dtype ||
    bias.ndim !== 1 ||
    bias.shape[0] !== n ||
    !x.isContiguous() ||
    !bias.isContiguous()
  )
    return null;
  const m = x.size / Math.max(1, k);
  const out = uninit([...x.shape.slice(0, -1), n], x.dtype);
  let done = out.size === 0;
  if (!done && k > 0 && hasKernel('matmulBias')) {
    const dims = { batch: 1, m, n, k, transA: false, transB: true, strideA: 0, strideB: 0 };
    if (weight.isContiguous()) {
      // weight [n, k] row-major is weight^T transposed: no view tensor needed (the common case).
      done = tryKernel('matmulBias', {
        inputs: { a: x.data, b: weight.data, bias: bias.data },
        outputs: { out: out.data },
        attrs: dims,
      });
    } else {
      const wt = weight.mT;
      const w = operand(wt, []);
      done = tryKernel('matmulBias', {
        inputs: { a: x.data, b: w.data.rawData().subarray(w.data.offset), bias: bias.data },
        outputs: { out: out.data },
        attrs: { ...dims, transB: w.trans },
      });
      if (w.data !== wt) w.data.dispose();
    }
  }
  if (!done) {
    const y = noGrad(() => matmul(x, weight.mT).add(bias));
    runKernel('copy', { inputs: { src: y.asView() }, outputs: { dst: out.asView() }, attrs: {} });
    y.dispose();
  }
  return record('linear', [x, weight, bias], out);
}
