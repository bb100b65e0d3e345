import { type DType, floatOf, isFloat, promote } from '../../core/dtype.ts';
import { fail } from '../../core/errors.ts';
import { broadcastShapes } from '../../core/shape.ts';
import type { View } from '../../kernels/backend.ts';
import { runKernel } from '../../kernels/kernel-registry.ts';
import { empty, fromStorage } from '../lifecycle.ts';
import { Tensor, type TensorOrScalar } from '../tensor.ts';
import { checkOperand } from './scalar-arg.ts';

/** Op-layer helpers: turning scalars into tensors, broadcasting views, checking inputs. No math here. */

export function assertTensor(op: string, x: unknown, name = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) fail(op, `${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

/** A scalar joins the tensor's dtype, except that a fractional number makes an integer tensor float. */
export function scalarDType(v: number | boolean, like: DType): DType {
  if (typeof v === 'boolean') return like;
  if (like === 'bool') return Number.isInteger(v) ? 'int32' : 'float32';
  if (!isFloat(like) && !Number.isInteger(v)) return 'float32';
  return like;
}

export function scalarTensor(v: number | boolean, dtype: DType): Tensor {
  const t = empty([], dtype);
  const value = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  if (!Object.is(value, 0)) runKernel('fill', { inputs: {}, outputs: { out: t.data }, attrs: { value } });
  return t;
}

/** Both operands as tensors of one promoted dtype (casts are recorded, so gradients flow through). */
export function operands(op: string, a: TensorOrScalar, b: TensorOrScalar): [Tensor, Tensor, DType] {
  checkOperand(op, a, 'input');
  checkOperand(op, b, 'other');
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) fail(op, 'at least one operand must be a Tensor');
  let ta: Tensor;
  let tb: Tensor;
  if (a instanceof Tensor && b instanceof Tensor) {
    ta = a;
    tb = b;
  } else if (a instanceof Tensor) {
    ta = a;
    tb = scalarTensor(b as number, scalarDType(b as number, a.dtype));
  } else {
    tb = b as Tensor;
    ta = scalarTensor(a as number, scalarDType(a as number, tb.dtype));
  }
  const dt = promote(ta.dtype, tb.dtype);
  if (ta.dtype !== dt) ta = ta.to(dt);
  if (tb.dtype !== dt) tb = tb.to(dt);
  return [ta, tb, dt];
}

/** A view of `t` broadcast to `shape`: leading dims added, size-1 dims given stride 0. */
export function broadcastView(t: Tensor, shape: readonly number[]): View {
  const n = shape.length;
  const strides = new Array<number>(n).fill(0);
  const off = n - t.ndim;
  for (let i = 0; i < t.ndim; i++) {
    strides[i + off] = t.shape[i] === 1 && shape[i + off] !== 1 ? 0 : t.strides[i]!;
  }
  return { data: t.rawData(), dtype: t.dtype, shape, strides, offset: t.offset };
}

export function outShape(op: string, ...ts: Tensor[]): number[] {
  let s: readonly number[] = [];
  for (const t of ts) s = broadcastShapes(op, s, t.shape);
  return [...s];
}

export function floatDType(d: DType): DType {
  return isFloat(d) ? d : floatOf(d);
}

export { empty, fromStorage };
