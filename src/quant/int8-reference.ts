/**
 * The integer kernels' specification: plain TypeScript, exact, and the reference every faster path (the
 * wasm SIMD kernels) is checked against bit for bit. Values are symmetric int8 in [-127, 127]: -128 is never
 * produced by quantization, so a pairwise i16 sum (2 * 127 * 127) and a relaxed-SIMD 7-bit operand trick
 * both stay exact.
 */

/** out[i*n + j] = sum_p a[i*k + p] * b[j*k + p] in exact int32 (a: [m, k] activations, b: [n, k] weights). */
export function int8MatmulRef(
  a: Int8Array,
  b: Int8Array,
  m: number,
  n: number,
  k: number,
  out: Int32Array = new Int32Array(m * n),
): Int32Array {
  for (let i = 0; i < m; i++) {
    const ao = i * k;
    for (let j = 0; j < n; j++) {
      const bo = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ao + p] * b[bo + p];
      out[i * n + j] = s | 0;
    }
  }
  return out;
}

/** Round half to even, as wasm's f32x4.nearest and C's nearbyintf (Math.round rounds half up). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Symmetric int8 quantization of `x` with one float32 scale: q = clamp(nearest_even(fround(x * inv)), -127,
 * 127) with inv = fround(1 / scale). Multiplying by the float32 reciprocal (not dividing) is what the SIMD
 * kernels do, so the reference does it too.
 */
export function quantizeSymmetricRef(
  x: Float32Array,
  scale: number,
  out = new Int8Array(x.length),
): Int8Array {
  const inv = Math.fround(1 / scale);
  for (let i = 0; i < x.length; i++) {
    const q = roundHalfEven(Math.fround(x[i] * inv));
    out[i] = Math.min(127, Math.max(-127, q));
  }
  return out;
}

/** The scale that maps max |x| to 127 (1 for an all-zero input, so quantization stays defined). */
export function symmetricScale(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a > m) m = a;
  }
  return m === 0 ? 1 : Math.fround(m / 127);
}

/**
 * The fused dynamic int8 linear layer, y = x . w^T (+ bias) with x quantized per batch at run time:
 *   sa = symmetricScale(x) (one scale for all m*k values), qa = quantizeSymmetricRef(x, sa),
 *   acc = int8MatmulRef(qa, w) (exact int32),
 *   y[i, j] = fround(fround(fround(acc[i, j]) * fround(sa * sw[j])) + bias[j])   (no add without a bias).
 * Every step is one float32 operation (the i32 -> f32 conversion rounds to nearest even, as
 * f32x4.convert_i32x4_s does), so a SIMD kernel doing the same operations in the same order matches bit for bit.
 * w: [n, k] int8 weights quantized per output channel with float32 scales sw[n].
 */
export function dynamicInt8LinearRef(
  x: Float32Array,
  m: number,
  w: Int8Array,
  sw: Float32Array,
  n: number,
  k: number,
  bias: Float32Array | null,
  out: Float32Array = new Float32Array(m * n),
): Float32Array {
  const xs = x.subarray(0, m * k);
  const sa = symmetricScale(xs);
  const qa = quantizeSymmetricRef(xs, sa);
  const acc = int8MatmulRef(qa, w, m, n, k);
  const f = Math.fround;
  for (let j = 0; j < n; j++) {
    const s = f(sa * sw[j]!);
    const b = bias === null ? 0 : bias[j]!;
    for (let i = 0; i < m; i++) {
      const p = f(f(acc[i * n + j]!) * s);
      out[i * n + j] = bias === null ? p : f(p + b);
    }
  }
  return out;
}

/**
 * Each of the `rows` equal rows of `w` quantized with its own symmetricScale (per output channel for a
 * Linear's weight, per row for an embedding table); values as int32, the dtype the layers' buffers hold.
 */
export function quantizeRowsSymmetric(
  w: Float32Array,
  rows: number,
): { values: Int32Array; scales: Float32Array } {
  const k = w.length / rows;
  const values = new Int32Array(w.length);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = w.subarray(r * k, (r + 1) * k);
    scales[r] = symmetricScale(row);
    values.set(quantizeSymmetricRef(row, scales[r]!), r * k);
  }
  return { values, scales };
}
