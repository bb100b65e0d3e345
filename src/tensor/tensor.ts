import { backward } from '../autograd/backward.ts';
import type { Node } from '../autograd/node.ts';
import type { DType, TypedArray } from '../core/dtype.ts';
import { fail, fmtShape } from '../core/errors.ts';
import { isContiguous, sizeOf } from '../core/shape.ts';
import type { View } from '../kernels/backend.ts';
import * as nnf from './ops/activations.ts';
import * as ew from './ops/elementwise.ts';
import * as idx from './ops/indexing.ts';
import * as join from './ops/join.ts';
import * as la from './ops/linalg.ts';
import * as red from './ops/reduce.ts';
import * as vw from './ops/views.ts';
import type { Disposable } from './scope.ts';
import type { Storage, StorageCell } from './storage.ts';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;
export type Dims = number | readonly number[];
/** A slice spec per dim: an index, [start, stop, step?] (null = open end), or null for the whole dim. */
export type SliceSpec = number | readonly [number | null, (number | null)?, (number | null)?] | null;

// Backstop only: scopes and dispose() free buffers deterministically; this catches tensors dropped
// outside any scope so a backend's own memory is not held forever. It holds the storage's cell, which a
// spilled storage empties, so the registry does not keep a spilled storage's data alive.
const finalizer = new FinalizationRegistry<StorageCell>((c) => c.s?.release());

/**
 * An n-dimensional array with autograd. Views (reshape, transpose, slice, expand, ...) share the
 * storage of their base. Method names follow PyTorch in camelCase; `x_` methods work in place.
 */
export class Tensor implements Disposable {
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  requiresGrad = false;
  grad: Tensor | null = null;
  gradFn: Node | null = null;
  retainsGrad = false;
  #kept = false;
  private disposed = false;

  constructor(storage: Storage, shape: readonly number[], strides: readonly number[], offset: number) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze([...strides]);
    this.offset = offset;
    this.dtype = storage.dtype;
    storage.retain();
    finalizer.register(this, storage.cell, this);
  }

  /** Survives scopes and step-level release (parameters, gradients, optimizer state, buffers). */
  get kept(): boolean {
    return this.#kept;
  }
  set kept(v: boolean) {
    this.#kept = v;
    if (v) this.storage.pinned = true;
  }

  get size(): number {
    return sizeOf(this.shape);
  }
  get ndim(): number {
    return this.shape.length;
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  get isDisposed(): boolean {
    return this.disposed;
  }
  /** True when this tensor does not cover its whole storage contiguously from offset 0. */
  get isView(): boolean {
    return this.offset !== 0 || !this.isContiguous() || this.size !== this.rawData().length;
  }

  /** The whole underlying buffer (shared with views). Prefer `toTypedArray()` to read values. */
  rawData(): TypedArray {
    const d = this.storage.data;
    if (d === null || this.disposed) fail('tensor', 'use of a disposed tensor');
    return d;
  }

  /** The contiguous elements of a contiguous tensor, as a subarray view (writes go to the tensor). */
  get data(): TypedArray {
    const d = this.rawData();
    if (!this.isContiguous()) fail('data', 'tensor is not contiguous; call contiguous() first');
    return this.offset === 0 && d.length === this.size ? d : d.subarray(this.offset, this.offset + this.size);
  }

  asView(): View {
    return {
      data: this.rawData(),
      dtype: this.dtype,
      shape: this.shape,
      strides: this.strides,
      offset: this.offset,
    };
  }

  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer.unregister(this);
    this.gradFn = null;
    this.storage.release();
  }

  // ---- reading values: every read back to the host goes through the backend's explicit `read` ----
  /**
   * A host copy of the elements in row-major order, read through `Backend.read` (TF.js's dataSync): the
   * one way values leave backend memory, so a backend whose buffers live elsewhere (an engine, a device)
   * only has to implement `read`. The copy is the caller's; later writes to the tensor do not reach it.
   */
  dataSync(): TypedArray {
    const c = this.contiguous();
    const out = c.storage.backend.read(c.rawData(), c.offset, c.size);
    if (c !== this) c.dispose();
    return out;
  }
  /** A contiguous copy of the elements in row-major order (the same as dataSync). */
  toTypedArray(): TypedArray {
    return this.dataSync();
  }
  toArray(): NestedArray {
    const flat = Array.from(this.toTypedArray() as ArrayLike<number>);
    if (this.ndim === 0) return flat[0]!;
    return nest(flat, this.shape, 0, 0).value;
  }
  item(): number {
    if (this.size !== 1)
      fail(
        'item',
        `only one-element tensors can be converted to a number, got shape ${fmtShape(this.shape)}`,
      );
    return this.storage.backend.read(this.rawData(), this.offset, 1)[0]!;
  }
  toString(): string {
    return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---- autograd ----
  backward(gradient?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    backward(this, gradient, opts.retainGraph ?? false);
  }
  requiresGrad_(flag = true): this {
    if (flag && this.dtype !== 'float32' && this.dtype !== 'float64')
      fail('requiresGrad_', `only floating point tensors can require gradients, got ${this.dtype}`);
    if (!this.isLeaf && !flag)
      fail('requiresGrad_', 'cannot turn off requiresGrad on a non-leaf tensor; use detach()');
    this.requiresGrad = flag;
    return this;
  }
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }
  detach(): Tensor {
    return vw.detach(this);
  }
  /** Drops the gradient and frees its buffer (like torch's set_to_none). */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  // ---- elementwise ----
  add(o: TensorOrScalar, alpha?: number): Tensor {
    return ew.add(this, o, alpha);
  }
  sub(o: TensorOrScalar, alpha?: number): Tensor {
    return ew.sub(this, o, alpha);
  }
  mul(o: TensorOrScalar): Tensor {
    return ew.mul(this, o);
  }
  div(o: TensorOrScalar): Tensor {
    return ew.div(this, o);
  }
  pow(o: TensorOrScalar): Tensor {
    return ew.pow(this, o);
  }
  maximum(o: TensorOrScalar): Tensor {
    return ew.maximum(this, o);
  }
  minimum(o: TensorOrScalar): Tensor {
    return ew.minimum(this, o);
  }
  remainder(o: TensorOrScalar): Tensor {
    return ew.remainder(this, o);
  }
  eq(o: TensorOrScalar): Tensor {
    return ew.eq(this, o);
  }
  ne(o: TensorOrScalar): Tensor {
    return ew.ne(this, o);
  }
  lt(o: TensorOrScalar): Tensor {
    return ew.lt(this, o);
  }
  le(o: TensorOrScalar): Tensor {
    return ew.le(this, o);
  }
  gt(o: TensorOrScalar): Tensor {
    return ew.gt(this, o);
  }
  ge(o: TensorOrScalar): Tensor {
    return ew.ge(this, o);
  }
  logicalAnd(o: TensorOrScalar): Tensor {
    return ew.logicalAnd(this, o);
  }
  logicalOr(o: TensorOrScalar): Tensor {
    return ew.logicalOr(this, o);
  }
  logicalNot(): Tensor {
    return ew.logicalNot(this);
  }
  neg(): Tensor {
    return ew.neg(this);
  }
  abs(): Tensor {
    return ew.abs(this);
  }
  sign(): Tensor {
    return ew.sign(this);
  }
  exp(): Tensor {
    return ew.exp(this);
  }
  log(): Tensor {
    return ew.log(this);
  }
  sqrt(): Tensor {
    return ew.sqrt(this);
  }
  rsqrt(): Tensor {
    return ew.rsqrt(this);
  }
  sin(): Tensor {
    return ew.sin(this);
  }
  cos(): Tensor {
    return ew.cos(this);
  }
  tanh(): Tensor {
    return ew.tanh(this);
  }
  sigmoid(): Tensor {
    return ew.sigmoid(this);
  }
  erf(): Tensor {
    return ew.erf(this);
  }
  relu(): Tensor {
    return ew.relu(this);
  }
  log1p(): Tensor {
    return ew.log1p(this);
  }
  expm1(): Tensor {
    return ew.expm1(this);
  }
  reciprocal(): Tensor {
    return ew.reciprocal(this);
  }
  square(): Tensor {
    return ew.square(this);
  }
  floor(): Tensor {
    return ew.floor(this);
  }
  ceil(): Tensor {
    return ew.ceil(this);
  }
  round(): Tensor {
    return ew.round(this);
  }
  isnan(): Tensor {
    return ew.isnan(this);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return ew.clamp(this, min, max);
  }
  where(cond: Tensor, other: TensorOrScalar): Tensor {
    return ew.where(cond, this, other);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return ew.maskedFill(this, mask, value);
  }
  to(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }
  float(): Tensor {
    return ew.cast(this, 'float32');
  }
  double(): Tensor {
    return ew.cast(this, 'float64');
  }
  int(): Tensor {
    return ew.cast(this, 'int32');
  }
  bool(): Tensor {
    return ew.cast(this, 'bool');
  }
  clone(): Tensor {
    return ew.clone(this);
  }
  onesLike(): Tensor {
    return ew.fullLike(this, 1);
  }
  zerosLike(): Tensor {
    return ew.fullLike(this, 0);
  }
  sigmoid_(): this {
    return ew.unaryInPlace(this, 'sigmoid');
  }

  // ---- in place (no autograd; for optimizers, gradient accumulation and initialisation) ----
  add_(o: TensorOrScalar, alpha?: number): this {
    return alpha === undefined ? ew.binaryInPlace(this, 'add', o) : ew.addScaledInPlace(this, o, alpha);
  }
  addInPlace(o: TensorOrScalar): this {
    return ew.binaryInPlace(this, 'add', o);
  }
  sub_(o: TensorOrScalar): this {
    return ew.binaryInPlace(this, 'sub', o);
  }
  mul_(o: TensorOrScalar): this {
    return ew.binaryInPlace(this, 'mul', o);
  }
  div_(o: TensorOrScalar): this {
    return ew.binaryInPlace(this, 'div', o);
  }
  copy_(src: Tensor): this {
    return ew.copyInto(this, src);
  }
  fill_(value: number): this {
    return ew.fillInPlace(this, value);
  }
  zero_(): this {
    return ew.fillInPlace(this, 0);
  }
  clamp_(min?: number | null, max?: number | null): this {
    return ew.clampInPlace(this, min, max);
  }

  // ---- reductions ----
  sum(dim?: Dims | null, keepdim = false): Tensor {
    return red.sum(this, dim, keepdim);
  }
  mean(dim?: Dims | null, keepdim = false): Tensor {
    return red.mean(this, dim, keepdim);
  }
  prod(dim?: Dims | null, keepdim = false): Tensor {
    return red.prod(this, dim, keepdim);
  }
  amax(dim?: Dims | null, keepdim = false): Tensor {
    return red.amax(this, dim, keepdim);
  }
  amin(dim?: Dims | null, keepdim = false): Tensor {
    return red.amin(this, dim, keepdim);
  }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): [Tensor, Tensor];
  max(dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
    return dim === undefined ? red.amax(this) : red.maxDim(this, dim, keepdim);
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): [Tensor, Tensor];
  min(dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
    return dim === undefined ? red.amin(this) : red.minDim(this, dim, keepdim);
  }
  argmax(dim?: number | null, keepdim = false): Tensor {
    return red.argmax(this, dim, keepdim);
  }
  argmin(dim?: number | null, keepdim = false): Tensor {
    return red.argmin(this, dim, keepdim);
  }
  var(dim?: Dims | null, unbiased = true, keepdim = false): Tensor {
    return red.variance(this, dim, unbiased, keepdim);
  }
  std(dim?: Dims | null, unbiased = true, keepdim = false): Tensor {
    return red.std(this, dim, unbiased, keepdim);
  }
  logsumexp(dim: Dims | null = null, keepdim = false): Tensor {
    return red.logsumexp(this, dim, keepdim);
  }
  softmax(dim: number): Tensor {
    return nnf.softmax(this, dim);
  }
  logSoftmax(dim: number): Tensor {
    return nnf.logSoftmax(this, dim);
  }

  // ---- linear algebra ----
  matmul(o: Tensor): Tensor {
    return la.matmul(this, o);
  }
  /** The last two dims swapped (torch's .mT). */
  get mT(): Tensor {
    return vw.transpose(this, -2, -1);
  }
  /** Transpose of a tensor of rank <= 2 (torch's .t()). */
  t(): Tensor {
    if (this.ndim > 2) fail('t', `expects a tensor with <= 2 dimensions, got ${this.ndim}`);
    return this.ndim < 2 ? this : vw.transpose(this, 0, 1);
  }

  // ---- views and shape ----
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return vw.reshape(this, flatArgs(shape));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return vw.view(this, flatArgs(shape));
  }
  transpose(d0: number, d1: number): Tensor {
    return vw.transpose(this, d0, d1);
  }
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return vw.permute(this, flatArgs(dims));
  }
  expand(...sizes: number[] | [readonly number[]]): Tensor {
    return vw.expand(this, flatArgs(sizes));
  }
  expandAs(o: Tensor): Tensor {
    return vw.expand(this, o.shape);
  }
  squeeze(dim?: number | null): Tensor {
    return vw.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return vw.unsqueeze(this, dim);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return vw.flatten(this, startDim, endDim);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return vw.narrow(this, dim, start, length);
  }
  /** Basic slicing, one spec per leading dim: `x.index([null, [0, 3], 1])` is x[:, 0:3, 1]. */
  index(specs: readonly SliceSpec[]): Tensor {
    return vw.index(this, specs);
  }
  contiguous(): Tensor {
    return vw.contiguous(this);
  }
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    return join.split(this, splitSizeOrSections, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return join.chunk(this, chunks, dim);
  }

  // ---- indexing ----
  gather(dim: number, index: Tensor): Tensor {
    return idx.gather(this, dim, index);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return idx.indexSelect(this, dim, index);
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return idx.scatterAdd(this, dim, index, src);
  }
}

export type NestedArray = number | NestedArray[];

function nest(
  flat: number[],
  shape: readonly number[],
  dim: number,
  pos: number,
): { value: NestedArray[]; next: number } {
  const out: NestedArray[] = [];
  const n = shape[dim]!;
  if (dim === shape.length - 1) {
    for (let i = 0; i < n; i++) out.push(flat[pos + i]!);
    return { value: out, next: pos + n };
  }
  let p = pos;
  for (let i = 0; i < n; i++) {
    const r = nest(flat, shape, dim + 1, p);
    out.push(r.value);
    p = r.next;
  }
  // An empty inner dim still advances nothing; shape is reconstructed from nesting.
  return { value: out, next: p };
}

function flatArgs(args: number[] | [readonly number[]]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}
