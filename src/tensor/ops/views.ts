import { check, fail, fmtShape } from '../../core/errors.ts';
import { contiguousStrides, isContiguous, normDim, shapesEqual, sizeOf } from '../../core/shape.ts';
import { runKernel } from '../../kernels/kernel-registry.ts';
import { fromStorage, record, uninit } from '../lifecycle.ts';
import type { SliceSpec, Tensor } from '../tensor.ts';
import { assertTensor, empty } from './dispatch.ts';

/** Resolves one -1 and checks the element count, as torch does. */
export function inferShape(op: string, shape: readonly number[], size: number): number[] {
  const out = [...shape];
  let unknown = -1;
  let known = 1;
  out.forEach((d, i) => {
    if (d === -1) {
      check(unknown === -1, op, () => 'only one dimension can be inferred');
      unknown = i;
    } else {
      check(Number.isInteger(d) && d >= 0, op, () => `invalid shape dimension ${d}`);
      known *= d;
    }
  });
  if (unknown >= 0) {
    check(
      known !== 0 && size % known === 0,
      op,
      () => `shape ${fmtShape(shape)} is invalid for input of size ${size}`,
    );
    out[unknown] = size / known;
  }
  check(sizeOf(out) === size, op, () => `shape ${fmtShape(shape)} is invalid for input of size ${size}`);
  return out;
}

function viewWith(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return fromStorage(x.storage, shape, strides, offset);
}

export function view(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('view', x);
  const s = inferShape('view', shape, x.size);
  check(
    x.isContiguous(),
    'view',
    () =>
      `view size is not compatible with a non-contiguous input of shape ${fmtShape(x.shape)}; use reshape()`,
  );
  const out = viewWith(x, s, contiguousStrides(s), x.offset);
  return record('reshape', [x], out, { inShape: x.shape });
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('reshape', x);
  const s = inferShape('reshape', shape, x.size);
  if (shapesEqual(s, x.shape)) return x;
  return view(x.isContiguous() ? x : contiguous(x), s);
}

export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  const out = uninit(x.shape, x.dtype);
  runKernel('copy', { inputs: { src: x.asView() }, outputs: { dst: out.asView() }, attrs: {} });
  return record('contiguous', [x], out);
}

export function detach(x: Tensor): Tensor {
  return viewWith(x, x.shape, x.strides, x.offset);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  assertTensor('permute', x);
  check(
    dims.length === x.ndim,
    'permute',
    () => `number of dims ${dims.length} does not match the input's rank ${x.ndim}`,
  );
  const d = dims.map((v) => normDim('permute', v, x.ndim));
  check(new Set(d).size === d.length, 'permute', () => `repeated dim in ${fmtShape(dims)}`);
  const out = viewWith(
    x,
    d.map((i) => x.shape[i]!),
    d.map((i) => x.strides[i]!),
    x.offset,
  );
  return record('permute', [x], out, { dims: d });
}

export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  assertTensor('transpose', x);
  if (x.ndim < 2 && (d0 === 0 || d0 === -1) && (d1 === 0 || d1 === -1)) return x;
  const a = normDim('transpose', d0, x.ndim);
  const b = normDim('transpose', d1, x.ndim);
  const dims = Array.from({ length: x.ndim }, (_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

export function expand(x: Tensor, sizes: readonly number[]): Tensor {
  assertTensor('expand', x);
  check(
    sizes.length >= x.ndim,
    'expand',
    () => `the number of sizes ${sizes.length} must be >= the tensor's rank ${x.ndim} (${fmtShape(x.shape)})`,
  );
  const off = sizes.length - x.ndim;
  const shape: number[] = [];
  const strides: number[] = [];
  sizes.forEach((s, i) => {
    const j = i - off;
    const cur = j >= 0 ? x.shape[j]! : 1;
    const target = s === -1 ? cur : s;
    check(j >= 0 || s !== -1, 'expand', () => `-1 is not allowed in a new leading dim`);
    check(
      cur === target || cur === 1,
      'expand',
      () => `cannot expand ${fmtShape(x.shape)} to ${fmtShape(sizes)}: dim ${i} is ${cur}, not 1`,
    );
    shape.push(target);
    strides.push(j < 0 || (cur === 1 && target !== 1) ? 0 : x.strides[j]!);
  });
  if (shapesEqual(shape, x.shape)) return x;
  const out = viewWith(x, shape, strides, x.offset);
  return record('expand', [x], out, { inShape: x.shape });
}

export function squeeze(x: Tensor, dim?: number | null): Tensor {
  assertTensor('squeeze', x);
  if (dim == null)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const d = normDim('squeeze', dim, x.ndim);
  if (x.ndim === 0 || x.shape[d] !== 1) return x;
  return reshapeView(
    x,
    x.shape.filter((_, i) => i !== d),
  );
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  assertTensor('unsqueeze', x);
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshapeView(x, shape);
}

/** Adding or removing size-1 dims never needs a copy, even for non-contiguous inputs. */
function reshapeView(x: Tensor, shape: number[]): Tensor {
  const strides: number[] = [];
  let j = 0;
  for (const s of shape) {
    while (j < x.ndim && x.shape[j] === 1 && s !== 1) j++;
    if (s === 1 && (j >= x.ndim || x.shape[j] !== 1)) {
      strides.push(1);
    } else {
      strides.push(x.strides[j]!);
      j++;
    }
  }
  const out = viewWith(x, shape, strides, x.offset);
  return record('reshape', [x], out, { inShape: x.shape });
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  assertTensor('flatten', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim);
  const e = normDim('flatten', endDim, x.ndim);
  check(s <= e, 'flatten', () => `startDim ${startDim} must not come after endDim ${endDim}`);
  const mid = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

/** The strided view x[starts[i]:stops[i]:steps[i]] for every dim (a primitive: recorded as 'slice'). */
export function slice(
  x: Tensor,
  starts: readonly number[],
  stops: readonly number[],
  steps: readonly number[],
): Tensor {
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = x.offset;
  for (let i = 0; i < x.ndim; i++) {
    const st = steps[i]!;
    check(st > 0, 'slice', () => `step must be positive, got ${st}`);
    const len = Math.max(0, Math.ceil((stops[i]! - starts[i]!) / st));
    shape.push(len);
    strides.push(x.strides[i]! * st);
    if (len > 0) offset += starts[i]! * x.strides[i]!;
  }
  const out = viewWith(x, shape, strides, offset);
  return record('slice', [x], out, { inShape: x.shape, starts, steps });
}

/** The gradient of slice: g placed into zeros of the input's shape (recorded, its own gradient is slice). */
export function sliceScatter(
  g: Tensor,
  inShape: readonly number[],
  starts: readonly number[],
  steps: readonly number[],
): Tensor {
  const out = empty(inShape, g.dtype);
  const base = contiguousStrides(inShape);
  let offset = 0;
  const strides = base.map((s, i) => s * steps[i]!);
  for (let i = 0; i < inShape.length; i++) if (g.shape[i]! > 0) offset += starts[i]! * base[i]!;
  if (g.size > 0) {
    runKernel('copy', {
      inputs: { src: g.asView() },
      outputs: { dst: { data: out.data, dtype: out.dtype, shape: g.shape, strides, offset } },
      attrs: {},
    });
  }
  const stops = starts.map((s, i) => s + (g.shape[i]! - 1) * steps[i]! + 1);
  return record('sliceScatter', [g], out, { starts, stops, steps });
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  assertTensor('narrow', x);
  const d = normDim('narrow', dim, x.ndim);
  const n = x.shape[d]!;
  const s = start < 0 ? start + n : start;
  check(
    s >= 0 && length >= 0 && s + length <= n,
    'narrow',
    () => `start ${start} + length ${length} exceeds dim ${d} of size ${n}`,
  );
  const starts = x.shape.map(() => 0);
  const stops = [...x.shape];
  starts[d] = s;
  stops[d] = s + length;
  return slice(
    x,
    starts,
    stops,
    x.shape.map(() => 1),
  );
}

/** Python-style basic indexing: an int picks (and drops) a dim; [start, stop, step] slices; null keeps. */
export function index(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  assertTensor('index', x);
  check(
    specs.length <= x.ndim,
    'index',
    () => `too many indices (${specs.length}) for a tensor of rank ${x.ndim}`,
  );
  const starts: number[] = [];
  const stops: number[] = [];
  const steps: number[] = [];
  const drop: number[] = [];
  x.shape.forEach((n, i) => {
    const sp = specs[i];
    if (sp === undefined || sp === null) {
      starts.push(0);
      stops.push(n);
      steps.push(1);
    } else if (typeof sp === 'number') {
      const k = sp < 0 ? sp + n : sp;
      check(k >= 0 && k < n, 'index', () => `index ${sp} is out of bounds for dim ${i} with size ${n}`);
      starts.push(k);
      stops.push(k + 1);
      steps.push(1);
      drop.push(i);
    } else {
      const step = sp[2] ?? 1;
      check(step > 0, 'index', () => `slice step must be positive, got ${step}`);
      const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
      const a = sp[0] == null ? 0 : clampIdx(sp[0]);
      const b = sp[1] == null ? n : clampIdx(sp[1]);
      starts.push(a);
      stops.push(Math.max(a, b));
      steps.push(step);
    }
  });
  const y = slice(x, starts, stops, steps);
  if (drop.length === 0) return y;
  return reshapeView(
    y,
    y.shape.filter((_, i) => !drop.includes(i)),
  );
}

export function isContiguousView(x: Tensor): boolean {
  return isContiguous(x.shape, x.strides);
}

export function failRank(op: string, x: Tensor, want: string): never {
  fail(op, `expected ${want}, got shape ${fmtShape(x.shape)}`);
}
