import { isGradEnabled } from '../../autograd/node.ts';
import type { DType } from '../../core/dtype.ts';
import { check, fail, fmtShape } from '../../core/errors.ts';
import { broadcastShapes, shapesEqual } from '../../core/shape.ts';
import type { BinaryOp, UnaryOpName } from '../../kernels/backend.ts';
import { binaryOp } from '../../kernels/binary-ops.ts';
import { hasKernel, runKernel, tryKernel } from '../../kernels/kernel-registry.ts';
import { unaryOp } from '../../kernels/unary-ops.ts';
import { record, uninit } from '../lifecycle.ts';
import { Tensor, type TensorOrScalar } from '../tensor.ts';
import {
  assertTensor,
  broadcastView,
  empty,
  floatDType,
  operands,
  outShape,
  scalarDType,
  scalarTensor,
} from './dispatch.ts';
import { checkNumber, checkOperand, checkScalar } from './scalar-arg.ts';

// ---- unary ----

export function unary(op: UnaryOpName, x: Tensor): Tensor {
  assertTensor(op, x);
  const result = unaryOp(op).result;
  const dt: DType = result === 'bool' ? 'bool' : result === 'float' ? floatDType(x.dtype) : x.dtype;
  let src = x;
  if (dt !== x.dtype && dt !== 'bool') src = x.to(dt);
  const out = uninit(x.shape, dt);
  runKernel('unary', { inputs: { x: src.asView() }, outputs: { out: out.data }, attrs: { op } });
  return record(op, [src], out);
}

export const neg = (x: Tensor) => unary('neg', x);
export const abs = (x: Tensor) => unary('abs', x);
export const sign = (x: Tensor) => unary('sign', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const rsqrt = (x: Tensor) => unary('rsqrt', x);
export const sin = (x: Tensor) => unary('sin', x);
export const cos = (x: Tensor) => unary('cos', x);
export const tanh = (x: Tensor) => unary('tanh', x);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const erf = (x: Tensor) => unary('erf', x);
export const relu = (x: Tensor) => unary('relu', x);
export const log1p = (x: Tensor) => unary('log1p', x);
export const expm1 = (x: Tensor) => unary('expm1', x);
export const reciprocal = (x: Tensor) => unary('reciprocal', x);
export const floor = (x: Tensor) => unary('floor', x);
export const ceil = (x: Tensor) => unary('ceil', x);
export const round = (x: Tensor) => unary('round', x);
export const isnan = (x: Tensor) => unary('isnan', x);
export const logicalNot = (x: Tensor) => unary('logicalNot', x);
export const square = (x: Tensor) => mul(x, x);

/**
 * ReLU's gradient, where(x > 0, g, 0) (the specification and the fallback), in one pass on backends with
 * a reluBackward kernel. Used by the 'relu' gradient rule, which runs without recording.
 */
export function reluBackward(g: Tensor, x: Tensor): Tensor {
  if (
    hasKernel('reluBackward') &&
    !isGradEnabled() &&
    g.dtype === x.dtype &&
    shapesEqual(g.shape, x.shape) &&
    g.isContiguous() &&
    x.isContiguous()
  ) {
    const out = uninit(x.shape, x.dtype);
    if (
      tryKernel('reluBackward', { inputs: { g: g.data, x: x.data }, outputs: { out: out.data }, attrs: {} })
    )
      return out;
    out.dispose();
  }
  return where(gt(x, 0), g, 0);
}

// ---- binary: the result dtype rules are in kernels/binary-ops.ts ----
export function binary(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const result = binaryOp(op).result;
  let [ta, tb, dt] = operands(op, a, b);
  if (result === 'float' && dt !== 'float32' && dt !== 'float64') {
    dt = floatDType(dt);
    ta = ta.to(dt);
    tb = tb.to(dt);
  }
  if (dt === 'bool' && result !== 'bool') {
    // Arithmetic on booleans counts them as integers.
    dt = 'int32';
    ta = ta.to(dt);
    tb = tb.to(dt);
  }
  const shape = outShape(op, ta, tb);
  const out = uninit(shape, result === 'bool' ? 'bool' : dt);
  runKernel('binary', {
    inputs: { a: broadcastView(ta, shape), b: broadcastView(tb, shape) },
    outputs: { out: out.data },
    attrs: { op },
  });
  return record(op, [ta, tb], out);
}

export function add(a: TensorOrScalar, b: TensorOrScalar, alpha?: number): Tensor {
  checkAlpha('add', b, alpha);
  return binary('add', a, alpha === undefined ? b : mulScalarValue(b, alpha));
}
export function sub(a: TensorOrScalar, b: TensorOrScalar, alpha?: number): Tensor {
  checkAlpha('sub', b, alpha);
  return binary('sub', a, alpha === undefined ? b : mulScalarValue(b, alpha));
}
export const mul = (a: TensorOrScalar, b: TensorOrScalar) => binary('mul', a, b);
export const div = (a: TensorOrScalar, b: TensorOrScalar) => binary('div', a, b);
export const pow = (a: TensorOrScalar, b: TensorOrScalar) => binary('pow', a, b);
export const maximum = (a: TensorOrScalar, b: TensorOrScalar) => binary('maximum', a, b);
export const minimum = (a: TensorOrScalar, b: TensorOrScalar) => binary('minimum', a, b);
export const remainder = (a: TensorOrScalar, b: TensorOrScalar) => binary('remainder', a, b);
export const eq = (a: TensorOrScalar, b: TensorOrScalar) => binary('eq', a, b);
export const ne = (a: TensorOrScalar, b: TensorOrScalar) => binary('ne', a, b);
export const lt = (a: TensorOrScalar, b: TensorOrScalar) => binary('lt', a, b);
export const le = (a: TensorOrScalar, b: TensorOrScalar) => binary('le', a, b);
export const gt = (a: TensorOrScalar, b: TensorOrScalar) => binary('gt', a, b);
export const ge = (a: TensorOrScalar, b: TensorOrScalar) => binary('ge', a, b);
export const logicalAnd = (a: TensorOrScalar, b: TensorOrScalar) => binary('logicalAnd', a, b);
export const logicalOr = (a: TensorOrScalar, b: TensorOrScalar) => binary('logicalOr', a, b);

/** Checked before mulScalarValue, whose `b * alpha` would turn a string operand into NaN. */
function checkAlpha(op: string, b: TensorOrScalar, alpha: number | undefined): void {
  checkOperand(op, b, 'other');
  if (alpha !== undefined) checkNumber(op, alpha, 'alpha');
}

export function mulScalarValue(b: TensorOrScalar, alpha: number): TensorOrScalar {
  if (b instanceof Tensor) return alpha === 1 ? b : mul(b, alpha);
  return (b as number) * alpha;
}

// ---- ternary ----
/** torch.where(cond, a, b): cond is bool, a and b broadcast together with it. */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  assertTensor('where', cond, 'condition');
  check(cond.dtype === 'bool', 'where', () => `condition must be a bool tensor, got ${cond.dtype}`);
  const [ta, tb, dt] = operands('where', a, b);
  const shape = outShape('where', cond, ta, tb);
  const out = uninit(shape, dt);
  runKernel('where', {
    inputs: { cond: broadcastView(cond, shape), a: broadcastView(ta, shape), b: broadcastView(tb, shape) },
    outputs: { out: out.data },
    attrs: {},
  });
  return record('where', [cond, ta, tb], out);
}

/** clamp(x, min, max) as where(x < min, min, ...): the gradient passes only where x is inside the range. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  assertTensor('clamp', x);
  check(min != null || max != null, 'clamp', () => 'at least one of min and max must be given');
  if (min != null) checkNumber('clamp', min, 'min');
  if (max != null) checkNumber('clamp', max, 'max');
  let y = x;
  if (min != null) y = where(lt(y, min), scalarTensor(min, scalarDType(min, x.dtype)), y);
  if (max != null) y = where(gt(y, max), scalarTensor(max, scalarDType(max, y.dtype)), y);
  return y;
}

export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  assertTensor('maskedFill', x);
  assertTensor('maskedFill', mask, 'mask');
  check(mask.dtype === 'bool', 'maskedFill', () => `mask must be a bool tensor, got ${mask.dtype}`);
  checkScalar('maskedFill', value, 'value');
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  check(
    shapesEqual(shape, x.shape),
    'maskedFill',
    () => `mask of shape ${fmtShape(mask.shape)} cannot broadcast to input ${fmtShape(x.shape)}`,
  );
  return where(mask, scalarTensor(value, x.dtype), x);
}

// ---- dtype and copies ----
export function cast(x: Tensor, dtype: DType): Tensor {
  assertTensor('to', x);
  if (x.dtype === dtype) return x;
  const out = uninit(x.shape, dtype);
  runKernel('copy', { inputs: { src: x.asView() }, outputs: { dst: out.asView() }, attrs: {} });
  return record('cast', [x], out, { from: x.dtype });
}

export function clone(x: Tensor): Tensor {
  assertTensor('clone', x);
  const out = uninit(x.shape, x.dtype);
  runKernel('copy', { inputs: { src: x.asView() }, outputs: { dst: out.asView() }, attrs: {} });
  return record('clone', [x], out);
}

export function fullLike(x: Tensor, value: number, dtype: DType = x.dtype): Tensor {
  checkScalar('fullLike', value, 'value');
  const out = empty(x.shape, dtype);
  if (value !== 0) runKernel('fill', { inputs: {}, outputs: { out: out.data }, attrs: { value } });
  return out;
}

// ---- in place: never recorded; refused on tensors that take part in autograd ----
function checkInPlace(op: string, x: Tensor): void {
  if (x.requiresGrad && x.isLeaf && isGradEnabled()) {
    fail(op, 'a leaf tensor that requires grad is being used in an in-place operation; wrap it in noGrad()');
  }
}

export function binaryInPlace<T extends Tensor>(x: T, op: BinaryOp, o: TensorOrScalar): T {
  checkInPlace(`${op}_`, x);
  checkOperand(`${op}_`, o, 'other');
  const other = o instanceof Tensor ? (o.dtype === x.dtype ? o : o.to(x.dtype)) : scalarTensor(o, x.dtype);
  const shape = broadcastShapes(`${op}_`, x.shape, other.shape);
  check(
    shapesEqual(shape, x.shape),
    `${op}_`,
    () => `output shape ${fmtShape(x.shape)} does not match the broadcast shape ${fmtShape(shape)}`,
  );
  if (x.isContiguous()) {
    runKernel('binary', {
      inputs: { a: x.asView(), b: broadcastView(other, shape) },
      outputs: { out: x.data },
      attrs: { op },
    });
  } else {
    const tmp = empty(x.shape, x.dtype);
    runKernel('binary', {
      inputs: { a: x.asView(), b: broadcastView(other, shape) },
      outputs: { out: tmp.data },
      attrs: { op },
    });
    runKernel('copy', { inputs: { src: tmp.asView() }, outputs: { dst: x.asView() }, attrs: {} });
    tmp.dispose();
  }
  // A scalar or cast operand made here is freed now: in-place updates often run outside any scope.
  if (other !== o) other.dispose();
  return x;
}

/**
 * x += alpha * o (Tensor.add_ with alpha): one pass and no temporary on backends with an axpy kernel when o
 * is a contiguous tensor of x's shape and dtype; else add_ of the scaled operand.
 */
export function addScaledInPlace<T extends Tensor>(x: T, o: TensorOrScalar, alpha: number): T {
  checkOperand('add_', o, 'other');
  checkNumber('add_', alpha, 'alpha');
  if (
    o instanceof Tensor &&
    hasKernel('axpy') &&
    o.dtype === x.dtype &&
    shapesEqual(o.shape, x.shape) &&
    x.isContiguous() &&
    o.isContiguous()
  ) {
    checkInPlace('add_', x);
    if (tryKernel('axpy', { inputs: { y: o.data }, outputs: { x: x.data }, attrs: { alpha } })) return x;
  }
  return binaryInPlace(x, 'add', mulScalarValue(o, alpha));
}

export function unaryInPlace<T extends Tensor>(x: T, op: UnaryOpName): T {
  checkInPlace(`${op}_`, x);
  const src = x.isContiguous() ? x : x.contiguous();
  runKernel('unary', { inputs: { x: src.asView() }, outputs: { out: src.data }, attrs: { op } });
  if (src !== x)
    runKernel('copy', { inputs: { src: src.asView() }, outputs: { dst: x.asView() }, attrs: {} });
  return x;
}

export function copyInto<T extends Tensor>(x: T, src: Tensor): T {
  checkInPlace('copy_', x);
  const shape = broadcastShapes('copy_', x.shape, src.shape);
  check(
    shapesEqual(shape, x.shape),
    'copy_',
    () => `source of shape ${fmtShape(src.shape)} cannot be copied into ${fmtShape(x.shape)}`,
  );
  runKernel('copy', { inputs: { src: broadcastView(src, shape) }, outputs: { dst: x.asView() }, attrs: {} });
  return x;
}

export function fillInPlace<T extends Tensor>(x: T, value: number): T {
  checkInPlace('fill_', x);
  checkScalar('fill_', value, 'value');
  if (x.isContiguous()) runKernel('fill', { inputs: {}, outputs: { out: x.data }, attrs: { value } });
  else
    runKernel('copy', {
      inputs: { src: broadcastView(scalarTensor(value, x.dtype), x.shape) },
      outputs: { dst: x.asView() },
      attrs: {},
    });
  return x;
}

export function clampInPlace<T extends Tensor>(x: T, min?: number | null, max?: number | null): T {
  if (min != null) checkNumber('clamp_', min, 'min');
  if (max != null) checkNumber('clamp_', max, 'max');
  if (min != null) binaryInPlace(x, 'maximum', min);
  if (max != null) binaryInPlace(x, 'minimum', max);
  return x;
}
