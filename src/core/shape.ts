import { check, fail, fmtShape } from './errors.ts';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    // Size-1 dims may carry any stride without changing the memory order.
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i]!;
  }
  return true;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes; the error names the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else fail(op, `shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together`);
  }
  return out;
}

/** Wraps a possibly negative dim into [0, rank). */
export function normDim(op: string, dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  check(
    Number.isInteger(dim) && dim >= -r && dim < r,
    op,
    () => `dim ${dim} out of range for a tensor of rank ${rank}`,
  );
  return dim < 0 ? dim + r : dim;
}

export function normDims(op: string, dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = list.map((d) => normDim(op, d, rank));
  check(new Set(out).size === out.length, op, () => `repeated dim in ${fmtShape(list)}`);
  return out.sort((x, y) => x - y);
}

export function validateShape(op: string, shape: Shape): void {
  for (const d of shape) {
    check(
      Number.isInteger(d) && d >= 0,
      op,
      () => `invalid shape ${fmtShape(shape)}: dims must be non-negative integers`,
    );
  }
}
