/*
 * Elementwise float32 kernels over 3-D [P, O, I] patterns. The JS side folds an operand's strided view
 * into element strides (sp, so, si) over a split of the output shape (contiguous: (0, I, 1); row-vector
 * bias: (0, 0, 1); per-row scalar: (0, 1, 0); scalar: (0, 0, 0); a 2-D transpose: (0, 1, O); a conv bias
 * [1, C, 1, 1] against [N, C, H, W]: (0, 1, 0) over [N, C, H*W]); the output is contiguous. The inner
 * loop is vectorised when every operand has inner stride 1 or 0. Blocks split the P*O rows, or columns
 * when there are fewer rows than blocks.
 */
#include "common.h"
#include "mathf.h"

enum { U_NEG, U_ABS, U_RELU, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_TANH, U_SIGMOID, U_RECIP, U_FLOOR, U_CEIL };
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE };

INLINE void rect(int O, int I, int tid, int nt, int *o0, int *o1, int *i0, int *i1) {
  if (O >= nt || I < 64) {
    share(O, 1, tid, nt, o0, o1);
    *i0 = 0;
    *i1 = I;
  } else {
    *o0 = 0;
    *o1 = O;
    share(I, 16, tid, nt, i0, i1);
  }
}

INLINE f4 ld(const float *p, int si) { return si ? wasm_v128_load(p) : wasm_v128_load32_splat(p); }

INLINE f4 unary_v(int op, f4 x) {
  switch (op) {
    case U_NEG: return wasm_f32x4_neg(x);
    case U_ABS: return wasm_f32x4_abs(x);
    /* x > 0 ? x : 0 with NaN kept, as the reference backend defines it (-0 gives +0) */
    case U_RELU: return wasm_v128_and(x, wasm_v128_or(wasm_f32x4_gt(x, wasm_f32x4_splat(0.0f)), wasm_f32x4_ne(x, x)));
    case U_EXP: return v_exp(x);
    case U_LOG: return v_log(x);
    case U_SQRT: return wasm_f32x4_sqrt(x);
    case U_RSQRT: return wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_sqrt(x));
    case U_TANH: return v_tanh(x);
    case U_SIGMOID: return v_sigmoid(x);
    case U_RECIP: return wasm_f32x4_div(wasm_f32x4_splat(1.0f), x);
    case U_FLOOR: return wasm_f32x4_floor(x);
    default: return wasm_f32x4_ceil(x);
  }
}

/* Element offset of row r (of P*O rows) for an operand with plane/row strides sp, so. */
INLINE long row_off(int r, int O, int sp, int so) {
  int p = r / O;
  return (long)p * sp + (long)(r - p * O) * so;
}

/* args: op, x, xso, xsi, out, O, I, P, xsp */
EXPORT(k_unary) void k_unary(const int32_t *a, int tid, int nt) {
  int op = a[0], xso = a[2], xsi = a[3], O = a[5], I = a[6], P = a[7], xsp = a[8];
  const float *x = (const float *)a[1];
  float *out = (float *)a[4];
  int o0, o1, i0, i1;
  rect(P * O, I, tid, nt, &o0, &o1, &i0, &i1);
  for (int o = o0; o < o1; o++) {
    const float *xr = x + row_off(o, O, xsp, xso);
    float *r = out + (long)o * I;
    int i = i0;
    if (xsi <= 1) {
      for (; i + 4 <= i1; i += 4) wasm_v128_store(r + i, unary_v(op, ld(xr + i * xsi, xsi)));
    }
    for (; i < i1; i++) {
      f4 v = unary_v(op, wasm_f32x4_splat(xr[(long)i * xsi]));
      r[i] = wasm_f32x4_extract_lane(v, 0);
    }
  }
}

INLINE f4 binary_v(int op, f4 x, f4 y) {
  switch (op) {
    case B_ADD: return wasm_f32x4_add(x, y);
    case B_SUB: return wasm_f32x4_sub(x, y);
    case B_MUL: return wasm_f32x4_mul(x, y);
    case B_DIV: return wasm_f32x4_div(x, y);
    case B_MAX: return wasm_f32x4_max(x, y);
    case B_MIN: return wasm_f32x4_min(x, y);
    case B_EQ: return wasm_f32x4_eq(x, y);
    case B_NE: return wasm_f32x4_ne(x, y);
    case B_LT: return wasm_f32x4_lt(x, y);
    case B_LE: return wasm_f32x4_le(x, y);
    case B_GT: return wasm_f32x4_gt(x, y);
    default: return wasm_f32x4_ge(x, y);
  }
}

/* args: op, a, aso, asi, b, bso, bsi, out, O, I, P, asp, bsp. Comparisons write bytes (0/1). */
EXPORT(k_binary) void k_binary(const int32_t *args, int tid, int nt) {
  int op = args[0], aso = args[2], asi = args[3], bso = args[5], bsi = args[6], O = args[8], I = args[9];
  int P = args[10], asp = args[11], bsp = args[12];
  const float *a = (const float *)args[1], *b = (const float *)args[4];
  int cmp = op >= B_EQ;
  int o0, o1, i0, i1;
  rect(P * O, I, tid, nt, &o0, &o1, &i0, &i1);
  for (int o = o0; o < o1; o++) {
    const float *ar = a + row_off(o, O, asp, aso), *br = b + row_off(o, O, bsp, bso);
    int i = i0;
    if (cmp) {
      uint8_t *r = (uint8_t *)args[7] + (long)o * I;
      if (asi <= 1 && bsi <= 1) {
        for (; i + 4 <= i1; i += 4) {
          v128_t m = binary_v(op, ld(ar + i * asi, asi), ld(br + i * bsi, bsi));
          m = wasm_v128_and(m, wasm_i32x4_splat(1));
          r[i] = (uint8_t)wasm_i32x4_extract_lane(m, 0);
          r[i + 1] = (uint8_t)wasm_i32x4_extract_lane(m, 1);
          r[i + 2] = (uint8_t)wasm_i32x4_extract_lane(m, 2);
          r[i + 3] = (uint8_t)wasm_i32x4_extract_lane(m, 3);
        }
      }
      for (; i < i1; i++) {
        v128_t m = binary_v(op, wasm_f32x4_splat(ar[(long)i * asi]), wasm_f32x4_splat(br[(long)i * bsi]));
        r[i] = (uint8_t)(wasm_i32x4_extract_lane(m, 0) & 1);
      }
    } else {
      float *r = (float *)args[7] + (long)o * I;
      if (asi <= 1 && bsi <= 1) {
        for (; i + 4 <= i1; i += 4) wasm_v128_store(r + i, binary_v(op, ld(ar + i * asi, asi), ld(br + i * bsi, bsi)));
      }
      for (; i < i1; i++) {
        f4 v = binary_v(op, wasm_f32x4_splat(ar[(long)i * asi]), wasm_f32x4_splat(br[(long)i * bsi]));
        r[i] = wasm_f32x4_extract_lane(v, 0);
      }
    }
  }
}

/* args: cond(u8), cso, csi, a, aso, asi, b, bso, bsi, out, O, I, P, csp, asp, bsp */
EXPORT(k_where) void k_where(const int32_t *args, int tid, int nt) {
  const uint8_t *c = (const uint8_t *)args[0];
  const float *a = (const float *)args[3], *b = (const float *)args[6];
  float *out = (float *)args[9];
  int cso = args[1], csi = args[2], aso = args[4], asi = args[5], bso = args[7], bsi = args[8], O = args[10],
      I = args[11], P = args[12], csp = args[13], asp = args[14], bsp = args[15];
  int o0, o1, i0, i1;
  rect(P * O, I, tid, nt, &o0, &o1, &i0, &i1);
  for (int o = o0; o < o1; o++) {
    const uint8_t *cr = c + row_off(o, O, csp, cso);
    const float *ar = a + row_off(o, O, asp, aso), *br = b + row_off(o, O, bsp, bso);
    float *r = out + (long)o * I;
    for (int i = i0; i < i1; i++) r[i] = cr[(long)i * csi] ? ar[(long)i * asi] : br[(long)i * bsi];
  }
}

/* args: out, n, value(f32 bits). Fills 4-byte elements. */
EXPORT(k_fill32) void k_fill32(const int32_t *args, int tid, int nt) {
  int32_t *out = (int32_t *)args[0];
  int s, e;
  share(args[1], 16, tid, nt, &s, &e);
  v128_t v = wasm_i32x4_splat(args[2]);
  int i = s;
  for (; i + 4 <= e; i += 4) wasm_v128_store(out + i, v);
  for (; i < e; i++) out[i] = args[2];
}

/*
 * Strided copy of 4-byte elements. args: src, dst, ndim, shape*, srcStrides*, dstStrides* (element
 * strides, at most 8 dims, the innermost last). Threads split the outermost dimension.
 */
EXPORT(k_copy32) void k_copy32(const int32_t *args, int tid, int nt) {
  const int32_t *src = (const int32_t *)args[0];
  int32_t *dst = (int32_t *)args[1];
  int nd = args[2];
  const int32_t *shape = (const int32_t *)args[3], *ss = (const int32_t *)args[4], *ds = (const int32_t *)args[5];
  int s0, e0;
  share(shape[0], 1, tid, nt, &s0, &e0);
  if (nd == 1) {
    if (ss[0] == 1 && ds[0] == 1) {
      /* contiguous (a clone, or a gradient kept by backward): bulk memory.copy */
      if (e0 > s0) __builtin_memcpy(dst + s0, src + s0, (unsigned long)(e0 - s0) * 4);
      return;
    }
    for (int i = s0; i < e0; i++) dst[(long)i * ds[0]] = src[(long)i * ss[0]];
    return;
  }
  int idx[8] = {0};
  int inner = shape[nd - 1], sin = ss[nd - 1], din = ds[nd - 1];
  for (int i0 = s0; i0 < e0; i0++) {
    for (int d = 1; d < nd - 1; d++) idx[d] = 0;
    for (;;) {
      long so = (long)i0 * ss[0], dof = (long)i0 * ds[0];
      for (int d = 1; d < nd - 1; d++) {
        so += (long)idx[d] * ss[d];
        dof += (long)idx[d] * ds[d];
      }
      const int32_t *sp = src + so;
      int32_t *dp = dst + dof;
      if (sin == 1 && din == 1) {
        __builtin_memcpy(dp, sp, (unsigned long)inner * 4);
      } else {
        for (int i = 0; i < inner; i++) dp[(long)i * din] = sp[(long)i * sin];
      }
      int d = nd - 2;
      while (d >= 1) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
        d--;
      }
      if (d < 1) break;
    }
  }
}

/*
 * ReLU's backward pass in one pass: out = x > 0 ? g : 0 (NaN x gives 0), the same values as the
 * composite where(x > 0, g, 0). args: g, x, out, n (contiguous float32).
 */
EXPORT(k_relu_bwd) void k_relu_bwd(const int32_t *args, int tid, int nt) {
  const float *g = (const float *)args[0], *x = (const float *)args[1];
  float *out = (float *)args[2];
  int s, e;
  share(args[3], 16, tid, nt, &s, &e);
  int i = s;
  f4 z = wasm_f32x4_splat(0.0f);
  for (; i + 4 <= e; i += 4)
    wasm_v128_store(out + i, wasm_v128_and(wasm_v128_load(g + i), wasm_f32x4_gt(wasm_v128_load(x + i), z)));
  for (; i < e; i++) out[i] = x[i] > 0.0f ? g[i] : 0.0f;
}

/* In-place x += alpha * y (Tensor.add_ with alpha): args x, y, n, alpha (f32 bits); contiguous float32. */
EXPORT(k_axpy) void k_axpy(const int32_t *args, int tid, int nt) {
  float *x = (float *)args[0];
  const float *y = (const float *)args[1];
  float alpha = argf(args, 3);
  int s, e;
  share(args[2], 16, tid, nt, &s, &e);
  f4 av = wasm_f32x4_splat(alpha);
  int i = s;
  for (; i + 4 <= e; i += 4)
    wasm_v128_store(x + i, wasm_f32x4_add(wasm_v128_load(x + i), wasm_f32x4_mul(av, wasm_v128_load(y + i))));
  for (; i < e; i++) x[i] = x[i] + alpha * y[i];
}

/*
 * SGD with momentum in one pass, the same rounded float32 steps as the composite
 *   buf = buf * m + d * (1 - dampening);  p = p + buf * (-lr)
 * args: p, d, buf, n, m, oneMinusDampening, negLr (floats as bits).
 */
EXPORT(k_sgd_momentum) void k_sgd_momentum(const int32_t *args, int tid, int nt) {
  float *p = (float *)args[0], *buf = (float *)args[2];
  const float *d = (const float *)args[1];
  float m = argf(args, 4), c = argf(args, 5), nl = argf(args, 6);
  int s, e;
  share(args[3], 16, tid, nt, &s, &e);
  f4 mv = wasm_f32x4_splat(m), cv = wasm_f32x4_splat(c), lv = wasm_f32x4_splat(nl);
  int i = s;
  for (; i + 4 <= e; i += 4) {
    f4 b = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(buf + i), mv), wasm_f32x4_mul(wasm_v128_load(d + i), cv));
    wasm_v128_store(buf + i, b);
    wasm_v128_store(p + i, wasm_f32x4_add(wasm_v128_load(p + i), wasm_f32x4_mul(b, lv)));
  }
  for (; i < e; i++) {
    float b = buf[i] * m + d[i] * c;
    buf[i] = b;
    p[i] = p[i] + b * nl;
  }
}

/*
 * Adam in one pass, the same rounded float32 steps as the composite (torch.optim.Adam without amsgrad):
 *   m = m*b1 + g*(1-b1);  v = v*b2 + (g*g)*(1-b2);  p = p + (m / (sqrt(v)/bc2 + eps)) * (-stepSize)
 * args: p, g, m, v, n, b1, 1-b1, b2, 1-b2, bc2, eps, -stepSize (floats as bits).
 */
EXPORT(k_adam) void k_adam(const int32_t *args, int tid, int nt) {
  float *p = (float *)args[0], *m = (float *)args[2], *v = (float *)args[3];
  const float *g = (const float *)args[1];
  float b1 = argf(args, 5), c1 = argf(args, 6), b2 = argf(args, 7), c2 = argf(args, 8), bc2 = argf(args, 9),
        eps = argf(args, 10), ns = argf(args, 11);
  int s, e;
  share(args[4], 16, tid, nt, &s, &e);
  f4 b1v = wasm_f32x4_splat(b1), c1v = wasm_f32x4_splat(c1), b2v = wasm_f32x4_splat(b2), c2v = wasm_f32x4_splat(c2),
     bcv = wasm_f32x4_splat(bc2), ev = wasm_f32x4_splat(eps), nv = wasm_f32x4_splat(ns);
  int i = s;
  for (; i + 4 <= e; i += 4) {
    f4 gv = wasm_v128_load(g + i);
    f4 mm = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), b1v), wasm_f32x4_mul(gv, c1v));
    f4 vv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), b2v), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), c2v));
    wasm_v128_store(m + i, mm);
    wasm_v128_store(v + i, vv);
    f4 den = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vv), bcv), ev);
    wasm_v128_store(p + i, wasm_f32x4_add(wasm_v128_load(p + i), wasm_f32x4_mul(wasm_f32x4_div(mm, den), nv)));
  }
  for (; i < e; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + gi * c1;
    float vi = v[i] * b2 + (gi * gi) * c2;
    m[i] = mi;
    v[i] = vi;
    float den = __builtin_sqrtf(vi) / bc2 + eps;
    p[i] = p[i] + (mi / den) * ns;
  }
}

/* Zeroes n bytes at p with memory.fill (TypedArray.fill on shared memory is ~10x slower in V8). */
EXPORT(zero_bytes) void zero_bytes(void *p, int n) { __builtin_memset(p, 0, (unsigned long)n); }
