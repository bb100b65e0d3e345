/*
 * Reductions of a contiguous float32 [outer, R, inner] to [outer, inner]: sum, max, min. Threads split
 * outer rows, or inner columns when there are fewer rows than threads. Sums accumulate in float32 with
 * 16 independent lanes along R when inner == 1 (and one lane per column otherwise); max/min propagate NaN.
 */
#include "common.h"

enum { R_SUM, R_MAX, R_MIN };

INLINE f4 comb(int op, f4 a, f4 b) {
  return op == R_SUM ? wasm_f32x4_add(a, b) : op == R_MAX ? wasm_f32x4_max(a, b) : wasm_f32x4_min(a, b);
}

INLINE float comb1(int op, float a, float b) {
  f4 r = comb(op, wasm_f32x4_splat(a), wasm_f32x4_splat(b));
  return wasm_f32x4_extract_lane(r, 0);
}

/* args: op, x, outer, R, inner, out */
EXPORT(k_reduce) void k_reduce(const int32_t *a, int tid, int nt) {
  int op = a[0], outer = a[2], R = a[3], inner = a[4];
  const float *x = (const float *)a[1];
  float *out = (float *)a[5];
  float init = op == R_SUM ? 0.0f : op == R_MAX ? -__builtin_inff() : __builtin_inff();
  int o0 = 0, o1 = outer, c0 = 0, c1 = inner;
  if (outer >= nt || inner < 64) share(outer, 1, tid, nt, &o0, &o1);
  else share(inner, 16, tid, nt, &c0, &c1);
  for (int o = o0; o < o1; o++) {
    const float *xo = x + (long)o * R * inner;
    if (inner == 1) {
      f4 v0 = wasm_f32x4_splat(init), v1 = v0, v2 = v0, v3 = v0;
      int r = 0;
      for (; r + 16 <= R; r += 16) {
        v0 = comb(op, v0, wasm_v128_load(xo + r));
        v1 = comb(op, v1, wasm_v128_load(xo + r + 4));
        v2 = comb(op, v2, wasm_v128_load(xo + r + 8));
        v3 = comb(op, v3, wasm_v128_load(xo + r + 12));
      }
      for (; r + 4 <= R; r += 4) v0 = comb(op, v0, wasm_v128_load(xo + r));
      v0 = comb(op, comb(op, v0, v1), comb(op, v2, v3));
      float s = comb1(op, comb1(op, wasm_f32x4_extract_lane(v0, 0), wasm_f32x4_extract_lane(v0, 1)),
                      comb1(op, wasm_f32x4_extract_lane(v0, 2), wasm_f32x4_extract_lane(v0, 3)));
      for (; r < R; r++) s = comb1(op, s, xo[r]);
      out[o] = s;
      continue;
    }
    float *ro = out + (long)o * inner;
    int c = c0;
    for (; c + 4 <= c1; c += 4) {
      f4 v = wasm_f32x4_splat(init);
      for (int r = 0; r < R; r++) v = comb(op, v, wasm_v128_load(xo + (long)r * inner + c));
      wasm_v128_store(ro + c, v);
    }
    for (; c < c1; c++) {
      float s = init;
      for (int r = 0; r < R; r++) s = comb1(op, s, xo[(long)r * inner + c]);
      ro[c] = s;
    }
  }
}

/*
 * argmax/argmin of a contiguous float32 [outer, R, inner] into int32 [outer, inner]: the first index of
 * the extreme; a NaN counts as the extreme (the first NaN wins), as in PyTorch and the reference kernel.
 * args: op (0 argmax, 1 argmin), x, outer, R, inner, out. Blocks split outer rows, or inner columns.
 */
EXPORT(k_argreduce) void k_argreduce(const int32_t *a, int tid, int nt) {
  int op = a[0], outer = a[2], R = a[3], inner = a[4];
  const float *x = (const float *)a[1];
  int32_t *out = (int32_t *)a[5];
  int o0 = 0, o1 = outer, c0 = 0, c1 = inner;
  if (outer >= nt || inner < 64) share(outer, 1, tid, nt, &o0, &o1);
  else share(inner, 16, tid, nt, &c0, &c1);
  for (int o = o0; o < o1; o++) {
    for (int c = c0; c < c1; c++) {
      const float *xp = x + (long)o * R * inner + c;
      float best = xp[0];
      int bi = 0;
      for (int r = 1; r < R && best == best; r++) {
        float v = xp[(long)r * inner];
        if ((op == 0 ? v > best : v < best) || v != v) {
          best = v;
          bi = r;
        }
      }
      out[(long)o * inner + c] = bi;
    }
  }
}
