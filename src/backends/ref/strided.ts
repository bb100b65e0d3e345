/**
 * Strided iteration for the reference kernels: visits every index of `shape` in row-major order and
 * hands each operand's element offset to the callback. The last dim runs in a tight inner loop.
 */
export function forEach1(
  shape: readonly number[],
  s0: readonly number[],
  o0: number,
  fn: (i: number, a: number) => void,
): void {
  forEachN(shape, [s0], [o0], (i, offs) => fn(i, offs[0]!));
}

export function forEachN(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  fn: (i: number, offs: Int32Array | number[]) => void,
): void {
  const nd = shape.length;
  const k = strides.length;
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  const offs = new Array<number>(k);
  for (let j = 0; j < k; j++) offs[j] = offsets[j]!;
  if (nd === 0) {
    fn(0, offs);
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  const last = shape[nd - 1]!;
  const cur = new Array<number>(k);
  let i = 0;
  while (i < total) {
    for (let j = 0; j < k; j++) cur[j] = offs[j]!;
    for (let t = 0; t < last; t++) {
      fn(i++, cur);
      for (let j = 0; j < k; j++) cur[j]! += strides[j]![nd - 1]!;
    }
    // Odometer over the outer dims.
    let d = nd - 2;
    while (d >= 0) {
      idx[d]!++;
      for (let j = 0; j < k; j++) offs[j]! += strides[j]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let j = 0; j < k; j++) offs[j]! -= strides[j]![d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
  }
}

export function isPlain(shape: readonly number[], strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i]!;
  }
  return true;
}
