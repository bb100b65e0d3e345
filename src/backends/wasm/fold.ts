/**
 * Elementwise operands are folded into a 3-D [P, O, I] pattern with per-operand element strides
 * (sp, so, si): see fold3d. fold2d is the P = 1 case.
 *
 * Folds strided operands of an elementwise kernel into the 2-D [O, I] form the wasm kernels take: the
 * output shape is split after some dim p (O = prod(shape[:p]), I = prod(shape[p:])) and each operand
 * must step by a constant element stride within each part (so, si). This covers contiguous tensors
 * (I, 1), row-vector bias (0, 1), per-row values such as a keepdim max (1, 0), scalars (0, 0) and 2-D
 * transposes. Returns undefined when no split works (the caller falls back to the reference kernel).
 */
export interface Fold2d {
  readonly outer: number;
  readonly inner: number;
  readonly so: number[];
  readonly si: number[];
}

/** The constant stride of `strides` over dims [lo, hi) of `shape` read as one flat run, or undefined. */
function runStride(
  shape: readonly number[],
  strides: readonly number[],
  lo: number,
  hi: number,
): number | undefined {
  let step: number | undefined;
  let span = 1;
  for (let d = hi - 1; d >= lo; d--) {
    const n = shape[d]!;
    if (n !== 1) {
      const s = strides[d]!;
      if (step === undefined) {
        if (s % span !== 0) return undefined;
        step = s / span;
      } else if (s !== step * span) return undefined;
    }
    span *= n;
  }
  return step ?? 0;
}

export function fold2d(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): Fold2d | undefined {
  const nd = shape.length;
  let fallback: Fold2d | undefined;
  for (let p = 0; p <= nd; p++) {
    const so: number[] = [];
    const si: number[] = [];
    let ok = true;
    for (const st of strides) {
      const i = runStride(shape, st, p, nd);
      const o = runStride(shape, st, 0, p);
      if (i === undefined || o === undefined) {
        ok = false;
        break;
      }
      so.push(o);
      si.push(i);
    }
    if (!ok) continue;
    let outer = 1;
    for (let d = 0; d < p; d++) outer *= shape[d]!;
    let inner = 1;
    for (let d = p; d < nd; d++) inner *= shape[d]!;
    const f = { outer, inner, so, si };
    // Prefer the widest inner run the kernels can vectorise (inner strides 0 or 1).
    if (si.every((s) => s === 0 || s === 1)) return f;
    fallback ??= f;
  }
  return fallback;
}

export interface Fold3d {
  readonly planes: number;
  readonly outer: number;
  readonly inner: number;
  readonly sp: number[];
  readonly so: number[];
  readonly si: number[];
}

/**
 * Like fold2d with one more level: the shape is split at p <= q into [P, O, I] = [prod(shape[:p]),
 * prod(shape[p:q]), prod(shape[q:])]. This adds per-channel operands such as a conv bias [1, C, 1, 1]
 * against [N, C, H, W] (strides 0, 1, 0). Two-level folds are preferred (fewer index computations);
 * returns undefined when no split gives constant strides.
 */
export function fold3d(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): Fold3d | undefined {
  const f2 = fold2d(shape, strides);
  if (f2?.si.every((s) => s === 0 || s === 1)) return { planes: 1, ...f2, sp: f2.so.map(() => 0) };
  const nd = shape.length;
  let fallback: Fold3d | undefined =
    f2 === undefined ? undefined : { planes: 1, ...f2, sp: f2.so.map(() => 0) };
  for (let q = nd; q >= 0; q--) {
    for (let p = 0; p <= q; p++) {
      const sp: number[] = [];
      const so: number[] = [];
      const si: number[] = [];
      let ok = true;
      for (const st of strides) {
        const i = runStride(shape, st, q, nd);
        const o = runStride(shape, st, p, q);
        const pl = runStride(shape, st, 0, p);
        if (i === undefined || o === undefined || pl === undefined) {
          ok = false;
          break;
        }
        sp.push(pl);
        so.push(o);
        si.push(i);
      }
      if (!ok) continue;
      let planes = 1;
      for (let d = 0; d < p; d++) planes *= shape[d]!;
      let outer = 1;
      for (let d = p; d < q; d++) outer *= shape[d]!;
      let inner = 1;
      for (let d = q; d < nd; d++) inner *= shape[d]!;
      const f = { planes, outer, inner, sp, so, si };
      if (si.every((s) => s === 0 || s === 1)) return f;
      fallback ??= f;
    }
  }
  return fallback;
}
