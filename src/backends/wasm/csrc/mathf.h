/*
 * Vector float32 exp, log and tanh (Cephes-style range reduction + minimax polynomials, ~1-2 ulp).
 * Special values follow IEEE: exp(-inf)=0, exp(+inf)=inf, log(0)=-inf, log(x<0)=NaN, NaN stays NaN.
 */
#ifndef TS_MATHF_H
#define TS_MATHF_H
#include "common.h"

INLINE f4 v_exp(f4 x) {
  const f4 hi = wasm_f32x4_splat(88.7228394f), lo = wasm_f32x4_splat(-103.972084f);
  f4 big = wasm_f32x4_gt(x, hi), small = wasm_f32x4_lt(x, lo);
  f4 xc = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-104.0f)), wasm_f32x4_splat(88.8f));
  f4 n = wasm_f32x4_nearest(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504088896341f)));
  f4 r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  f4 p = wasm_f32x4_splat(1.9875691500E-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507E-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073E-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201E-1f));
  f4 r2 = wasm_f32x4_mul(r, r);
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, r2), r), wasm_f32x4_splat(1.0f));
  /* 2^n split in two factors so that results down to the subnormal range come out right */
  v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);
  v128_t n1 = wasm_i32x4_shr(ni, 1), n2 = wasm_i32x4_sub(ni, n1);
  f4 s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, wasm_i32x4_splat(127)), 23);
  f4 s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, wasm_i32x4_splat(127)), 23);
  f4 y = wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
  y = wasm_v128_bitselect(wasm_f32x4_splat(__builtin_inff()), y, big);
  y = wasm_v128_andnot(y, small);
  /* NaN in, NaN out */
  return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
}

INLINE f4 v_log(f4 x) {
  /* scale subnormals into the normal range first */
  f4 sub = wasm_f32x4_lt(x, wasm_f32x4_splat(1.17549435e-38f));
  f4 xs = wasm_v128_bitselect(wasm_f32x4_mul(x, wasm_f32x4_splat(8388608.0f)), x, sub);
  v128_t bits = xs;
  v128_t e = wasm_i32x4_sub(wasm_u32x4_shr(bits, 23), wasm_i32x4_splat(126));
  e = wasm_v128_bitselect(wasm_i32x4_sub(e, wasm_i32x4_splat(23)), e, sub);
  f4 m = wasm_v128_or(wasm_v128_and(bits, wasm_i32x4_splat(0x007fffff)), wasm_i32x4_splat(0x3f000000)); /* [0.5,1) */
  f4 fe = wasm_f32x4_convert_i32x4(e);
  f4 lt = wasm_f32x4_lt(m, wasm_f32x4_splat(0.707106781186547524f));
  fe = wasm_f32x4_sub(fe, wasm_v128_and(lt, wasm_f32x4_splat(1.0f)));
  m = wasm_f32x4_sub(wasm_f32x4_add(m, wasm_v128_and(lt, m)), wasm_f32x4_splat(1.0f));
  f4 z = wasm_f32x4_mul(m, m);
  f4 p = wasm_f32x4_splat(7.0376836292E-2f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(-1.1514610310E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(1.1676998740E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(-1.2420140846E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(1.4249322787E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(-1.6668057665E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(2.0000714765E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(-2.4999993993E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, m), wasm_f32x4_splat(3.3333331174E-1f));
  f4 y = wasm_f32x4_mul(wasm_f32x4_mul(p, m), z);
  y = wasm_f32x4_add(y, wasm_f32x4_mul(fe, wasm_f32x4_splat(-2.12194440e-4f)));
  y = wasm_f32x4_sub(y, wasm_f32x4_mul(z, wasm_f32x4_splat(0.5f)));
  y = wasm_f32x4_add(wasm_f32x4_add(m, y), wasm_f32x4_mul(fe, wasm_f32x4_splat(0.693359375f)));
  /* specials: x == 0 -> -inf, x < 0 or NaN -> NaN, x == inf -> inf */
  y = wasm_v128_bitselect(wasm_f32x4_splat(-__builtin_inff()), y, wasm_f32x4_eq(x, wasm_f32x4_splat(0.0f)));
  y = wasm_v128_bitselect(wasm_f32x4_splat(__builtin_nanf("")), y,
                          wasm_v128_or(wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f)), wasm_f32x4_ne(x, x)));
  return wasm_v128_bitselect(x, y, wasm_f32x4_eq(x, wasm_f32x4_splat(__builtin_inff())));
}

INLINE f4 v_tanh(f4 x) {
  f4 ax = wasm_f32x4_abs(x);
  /* small |x|: odd polynomial (relative accuracy near 0); large: 1 - 2/(exp(2|x|)+1) */
  f4 z = wasm_f32x4_mul(x, x);
  f4 p = wasm_f32x4_splat(-5.70498872745E-3f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(2.06390887954E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-5.37397155531E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(1.33314422036E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-3.33332819422E-1f));
  f4 small = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, z), x), x);
  f4 e = v_exp(wasm_f32x4_add(ax, ax));
  f4 large = wasm_f32x4_sub(wasm_f32x4_splat(1.0f),
                            wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, wasm_f32x4_splat(1.0f))));
  large = wasm_v128_or(large, wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000))); /* copysign */
  f4 y = wasm_v128_bitselect(small, large, wasm_f32x4_lt(ax, wasm_f32x4_splat(0.625f)));
  return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
}

INLINE f4 v_sigmoid(f4 x) {
  return wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), v_exp(wasm_f32x4_neg(x))));
}
#endif
