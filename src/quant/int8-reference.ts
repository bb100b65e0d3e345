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
