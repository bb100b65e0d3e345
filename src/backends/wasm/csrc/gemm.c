/*
 * Single-precision GEMM: C[M,N] (=|+=) op(A)[M,K] @ op(B)[K,N], row-major with leading dimensions.
 *
 * Goto/BLIS structure: B is packed in KC x NC panels of 8-column strips, A in MC x KC blocks of 4-row
 * strips, and a 4x8 register-tile micro-kernel (8 accumulators + 2 B vectors + 1 A splat = 11 of V8's 16
 * vector registers; 6x8 or 4x12 spill and run at half speed) walks them. Edges are zero-padded in the
 * packed buffers so the micro-kernel always computes a full tile and only the store is partial.
 */
#include "common.h"

#define MR 4
#define NR 8
#define KC GEMM_KC
#define MC GEMM_MC
#define NC GEMM_NC

/* Floats of packing scratch one thread needs (exported so the JS side sizes its per-thread buffers). */
EXPORT(gemm_pack_floats) int gemm_pack_floats(void) { return MC * KC + KC * NC; }

static void pack_b(int kc, int nc, const float *B, int ldb, int transB, int k0, int j0, float *dst) {
  for (int jr = 0; jr < nc; jr += NR) {
    int nr = MIN(NR, nc - jr);
    float *d = dst + jr * kc;
    if (!transB) {
      const float *s = B + (long)k0 * ldb + j0 + jr;
      if (nr == NR) {
        for (int k = 0; k < kc; k++) {
          wasm_v128_store(d + k * NR, wasm_v128_load(s + (long)k * ldb));
          wasm_v128_store(d + k * NR + 4, wasm_v128_load(s + (long)k * ldb + 4));
        }
      } else {
        for (int k = 0; k < kc; k++) {
          for (int j = 0; j < nr; j++) d[k * NR + j] = s[(long)k * ldb + j];
          for (int j = nr; j < NR; j++) d[k * NR + j] = 0.0f;
        }
      }
    } else {
      /* B(k, j) = B[j*ldb + k]: each column j is a contiguous row of the stored matrix. */
      const float *s = B + (long)(j0 + jr) * ldb + k0;
      int k = 0;
      if (nr == NR) {
        for (; k + 4 <= kc; k += 4) {
          for (int h = 0; h < 2; h++) {
            f4 r0 = wasm_v128_load(s + (long)(4 * h + 0) * ldb + k);
            f4 r1 = wasm_v128_load(s + (long)(4 * h + 1) * ldb + k);
            f4 r2 = wasm_v128_load(s + (long)(4 * h + 2) * ldb + k);
            f4 r3 = wasm_v128_load(s + (long)(4 * h + 3) * ldb + k);
            f4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
            f4 t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
            f4 t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
            f4 t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
            wasm_v128_store(d + (k + 0) * NR + 4 * h, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
            wasm_v128_store(d + (k + 1) * NR + 4 * h, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
            wasm_v128_store(d + (k + 2) * NR + 4 * h, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
            wasm_v128_store(d + (k + 3) * NR + 4 * h, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
          }
        }
      }
      for (; k < kc; k++) {
        for (int j = 0; j < nr; j++) d[k * NR + j] = s[(long)j * ldb + k];
        for (int j = nr; j < NR; j++) d[k * NR + j] = 0.0f;
      }
    }
  }
}

static void pack_a(int mc, int kc, const float *A, int lda, int transA, int i0, int k0, float *dst) {
  for (int ir = 0; ir < mc; ir += MR) {
    int mr = MIN(MR, mc - ir);
    float *d = dst + ir * kc;
    if (transA) {
      /* A(i, k) = A[k*lda + i]: four consecutive rows of op(A) are one vector. */
      const float *s = A + (long)k0 * lda + i0 + ir;
      if (mr == MR) {
        for (int k = 0; k < kc; k++) wasm_v128_store(d + k * MR, wasm_v128_load(s + (long)k * lda));
      } else {
        for (int k = 0; k < kc; k++) {
          for (int i = 0; i < mr; i++) d[k * MR + i] = s[(long)k * lda + i];
          for (int i = mr; i < MR; i++) d[k * MR + i] = 0.0f;
        }
      }
    } else {
      const float *s = A + (long)(i0 + ir) * lda + k0;
      int k = 0;
      if (mr == MR) {
        for (; k + 4 <= kc; k += 4) {
          f4 r0 = wasm_v128_load(s + k);
          f4 r1 = wasm_v128_load(s + (long)lda + k);
          f4 r2 = wasm_v128_load(s + 2L * lda + k);
          f4 r3 = wasm_v128_load(s + 3L * lda + k);
          f4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
          f4 t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
          f4 t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
          f4 t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          wasm_v128_store(d + (k + 0) * MR, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
          wasm_v128_store(d + (k + 1) * MR, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
          wasm_v128_store(d + (k + 2) * MR, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
          wasm_v128_store(d + (k + 3) * MR, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
        }
      }
      for (; k < kc; k++) {
        for (int i = 0; i < mr; i++) d[k * MR + i] = s[(long)i * lda + k];
        for (int i = mr; i < MR; i++) d[k * MR + i] = 0.0f;
      }
    }
  }
}

/* acc: add into C; otherwise store, adding bias[0..nr) to every row when bias is not null. */
static void micro_4x8(int kc, const float *pa, const float *pb, float *c, int ldc, int mr, int nr, int acc,
                      const float *bias) {
  f4 c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int k = 0; k < kc; k++) {
    f4 b0 = wasm_v128_load(pb), b1 = wasm_v128_load(pb + 4);
    f4 a = wasm_v128_load32_splat(pa);
    c00 = MADD(a, b0, c00);
    c01 = MADD(a, b1, c01);
    a = wasm_v128_load32_splat(pa + 1);
    c10 = MADD(a, b0, c10);
    c11 = MADD(a, b1, c11);
    a = wasm_v128_load32_splat(pa + 2);
    c20 = MADD(a, b0, c20);
    c21 = MADD(a, b1, c21);
    a = wasm_v128_load32_splat(pa + 3);
    c30 = MADD(a, b0, c30);
    c31 = MADD(a, b1, c31);
    pa += MR;
    pb += NR;
  }
  if (mr == MR && nr == NR) {
    float *r0 = c, *r1 = c + ldc, *r2 = c + 2L * ldc, *r3 = c + 3L * ldc;
    if (acc) {
      c00 = wasm_f32x4_add(c00, wasm_v128_load(r0));
      c01 = wasm_f32x4_add(c01, wasm_v128_load(r0 + 4));
      c10 = wasm_f32x4_add(c10, wasm_v128_load(r1));
      c11 = wasm_f32x4_add(c11, wasm_v128_load(r1 + 4));
      c20 = wasm_f32x4_add(c20, wasm_v128_load(r2));
      c21 = wasm_f32x4_add(c21, wasm_v128_load(r2 + 4));
      c30 = wasm_f32x4_add(c30, wasm_v128_load(r3));
      c31 = wasm_f32x4_add(c31, wasm_v128_load(r3 + 4));
    } else if (bias) {
      f4 b0 = wasm_v128_load(bias), b1 = wasm_v128_load(bias + 4);
      c00 = wasm_f32x4_add(c00, b0);
      c01 = wasm_f32x4_add(c01, b1);
      c10 = wasm_f32x4_add(c10, b0);
      c11 = wasm_f32x4_add(c11, b1);
      c20 = wasm_f32x4_add(c20, b0);
      c21 = wasm_f32x4_add(c21, b1);
      c30 = wasm_f32x4_add(c30, b0);
      c31 = wasm_f32x4_add(c31, b1);
    }
    wasm_v128_store(r0, c00);
    wasm_v128_store(r0 + 4, c01);
    wasm_v128_store(r1, c10);
    wasm_v128_store(r1 + 4, c11);
    wasm_v128_store(r2, c20);
    wasm_v128_store(r2 + 4, c21);
    wasm_v128_store(r3, c30);
    wasm_v128_store(r3 + 4, c31);
    return;
  }
  float t[MR * NR] __attribute__((aligned(16)));
  wasm_v128_store(t + 0, c00);
  wasm_v128_store(t + 4, c01);
  wasm_v128_store(t + 8, c10);
  wasm_v128_store(t + 12, c11);
  wasm_v128_store(t + 16, c20);
  wasm_v128_store(t + 20, c21);
  wasm_v128_store(t + 24, c30);
  wasm_v128_store(t + 28, c31);
  for (int i = 0; i < mr; i++) {
    for (int j = 0; j < nr; j++) {
      float v = t[i * NR + j];
      c[(long)i * ldc + j] = acc ? c[(long)i * ldc + j] + v : bias ? v + bias[j] : v;
    }
  }
}

/* Up to this many rows skip packing (measured: 784x500 layer, M = 1, 2 faster unpacked; 3, 4 packed). */
#define SMALL_M 2

/*
 * Few rows (M <= SMALL_M, e.g. inference on one sample) and A not transposed: packing B would cost as much as
 * the product and the 4-row tile would waste most of its work, so compute straight from the operands.
 * transB (a Linear weight [N, K]): four dot products at a time along contiguous rows; else rows of B
 * scaled and summed, 16 columns at a time.
 */
static void gemm_small_m(int M, int N, int K, const float *A, int lda, const float *B, int ldb, int transB,
                         float *C, int ldc, int acc, const float *bias) {
  for (int i = 0; i < M; i++) {
    const float *a = A + (long)i * lda;
    float *c = C + (long)i * ldc;
    if (transB) {
      int j = 0;
      /* Eight dot products at once: eight independent add chains hide the add latency. */
      for (; j + 8 <= N; j += 8) {
        const float *b0 = B + (long)j * ldb;
        f4 s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        int k = 0;
        for (; k + 4 <= K; k += 4) {
          f4 av = wasm_v128_load(a + k);
          s0 = MADD(av, wasm_v128_load(b0 + k), s0);
          s1 = MADD(av, wasm_v128_load(b0 + ldb + k), s1);
          s2 = MADD(av, wasm_v128_load(b0 + 2L * ldb + k), s2);
          s3 = MADD(av, wasm_v128_load(b0 + 3L * ldb + k), s3);
          s4 = MADD(av, wasm_v128_load(b0 + 4L * ldb + k), s4);
          s5 = MADD(av, wasm_v128_load(b0 + 5L * ldb + k), s5);
          s6 = MADD(av, wasm_v128_load(b0 + 6L * ldb + k), s6);
          s7 = MADD(av, wasm_v128_load(b0 + 7L * ldb + k), s7);
        }
        f4 t0 = wasm_f32x4_add(wasm_i32x4_shuffle(s0, s1, 0, 4, 1, 5), wasm_i32x4_shuffle(s0, s1, 2, 6, 3, 7));
        f4 t1 = wasm_f32x4_add(wasm_i32x4_shuffle(s2, s3, 0, 4, 1, 5), wasm_i32x4_shuffle(s2, s3, 2, 6, 3, 7));
        f4 t2 = wasm_f32x4_add(wasm_i32x4_shuffle(s4, s5, 0, 4, 1, 5), wasm_i32x4_shuffle(s4, s5, 2, 6, 3, 7));
        f4 t3 = wasm_f32x4_add(wasm_i32x4_shuffle(s6, s7, 0, 4, 1, 5), wasm_i32x4_shuffle(s6, s7, 2, 6, 3, 7));
        float v[8] __attribute__((aligned(16)));
        wasm_v128_store(v, wasm_f32x4_add(wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5), wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7)));
        wasm_v128_store(v + 4,
                        wasm_f32x4_add(wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5), wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7)));
        for (; k < K; k++)
          for (int q = 0; q < 8; q++) v[q] += a[k] * b0[(long)q * ldb + k];
        for (int q = 0; q < 8; q++) c[j + q] = acc ? c[j + q] + v[q] : bias ? v[q] + bias[j + q] : v[q];
      }
      for (; j + 4 <= N; j += 4) {
        const float *b0 = B + (long)j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
        f4 s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
        int k = 0;
        for (; k + 4 <= K; k += 4) {
          f4 av = wasm_v128_load(a + k);
          s0 = MADD(av, wasm_v128_load(b0 + k), s0);
          s1 = MADD(av, wasm_v128_load(b1 + k), s1);
          s2 = MADD(av, wasm_v128_load(b2 + k), s2);
          s3 = MADD(av, wasm_v128_load(b3 + k), s3);
        }
        /* transpose-and-add: lane q of the result is the horizontal sum of s_q */
        f4 t0 = wasm_f32x4_add(wasm_i32x4_shuffle(s0, s1, 0, 4, 1, 5), wasm_i32x4_shuffle(s0, s1, 2, 6, 3, 7));
        f4 t1 = wasm_f32x4_add(wasm_i32x4_shuffle(s2, s3, 0, 4, 1, 5), wasm_i32x4_shuffle(s2, s3, 2, 6, 3, 7));
        f4 r = wasm_f32x4_add(wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5), wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
        float v[4] __attribute__((aligned(16)));
        wasm_v128_store(v, r);
        for (; k < K; k++) {
          v[0] += a[k] * b0[k];
          v[1] += a[k] * b1[k];
          v[2] += a[k] * b2[k];
          v[3] += a[k] * b3[k];
        }
        for (int q = 0; q < 4; q++) c[j + q] = acc ? c[j + q] + v[q] : bias ? v[q] + bias[j + q] : v[q];
      }
      for (; j < N; j++) {
        const float *bj = B + (long)j * ldb;
        float v = 0.0f;
        for (int k = 0; k < K; k++) v += a[k] * bj[k];
        c[j] = acc ? c[j] + v : bias ? v + bias[j] : v;
      }
    } else {
      int j = 0;
      /* 32 columns at once (eight accumulators), then 16. */
      for (; j + 32 <= N; j += 32) {
        f4 s[8];
        for (int q = 0; q < 8; q++) s[q] = wasm_f32x4_splat(0);
        for (int k = 0; k < K; k++) {
          const float *bk = B + (long)k * ldb + j;
          f4 av = wasm_f32x4_splat(a[k]);
          for (int q = 0; q < 8; q++) s[q] = MADD(av, wasm_v128_load(bk + 4 * q), s[q]);
        }
        for (int q = 0; q < 8; q++) {
          f4 v = s[q];
          if (acc) v = wasm_f32x4_add(v, wasm_v128_load(c + j + 4 * q));
          else if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + j + 4 * q));
          wasm_v128_store(c + j + 4 * q, v);
        }
      }
      for (; j + 16 <= N; j += 16) {
        f4 s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
        for (int k = 0; k < K; k++) {
          const float *bk = B + (long)k * ldb + j;
          f4 av = wasm_f32x4_splat(a[k]);
          s0 = MADD(av, wasm_v128_load(bk), s0);
          s1 = MADD(av, wasm_v128_load(bk + 4), s1);
          s2 = MADD(av, wasm_v128_load(bk + 8), s2);
          s3 = MADD(av, wasm_v128_load(bk + 12), s3);
        }
        if (acc) {
          s0 = wasm_f32x4_add(s0, wasm_v128_load(c + j));
          s1 = wasm_f32x4_add(s1, wasm_v128_load(c + j + 4));
          s2 = wasm_f32x4_add(s2, wasm_v128_load(c + j + 8));
          s3 = wasm_f32x4_add(s3, wasm_v128_load(c + j + 12));
        } else if (bias) {
          s0 = wasm_f32x4_add(s0, wasm_v128_load(bias + j));
          s1 = wasm_f32x4_add(s1, wasm_v128_load(bias + j + 4));
          s2 = wasm_f32x4_add(s2, wasm_v128_load(bias + j + 8));
          s3 = wasm_f32x4_add(s3, wasm_v128_load(bias + j + 12));
        }
        wasm_v128_store(c + j, s0);
        wasm_v128_store(c + j + 4, s1);
        wasm_v128_store(c + j + 8, s2);
        wasm_v128_store(c + j + 12, s3);
      }
      for (; j < N; j++) {
        float v = 0.0f;
        for (int k = 0; k < K; k++) v += a[k] * B[(long)k * ldb + j];
        c[j] = acc ? c[j] + v : bias ? v + bias[j] : v;
      }
    }
  }
}

void ts_gemm(int M, int N, int K, const float *A, int lda, int transA, const float *B, int ldb, int transB,
             float *C, int ldc, int accumulate, float *packA, float *packB, const float *bias) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) C[(long)i * ldc + j] = bias ? bias[j] : 0.0f;
    return;
  }
  if (M <= SMALL_M && !transA) {
    gemm_small_m(M, N, K, A, lda, B, ldb, transB, C, ldc, accumulate, bias);
    return;
  }
  for (int jc = 0; jc < N; jc += NC) {
    int nc = MIN(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      int kc = MIN(KC, K - pc);
      int acc = accumulate || pc > 0;
      pack_b(kc, nc, B, ldb, transB, pc, jc, packB);
      for (int ic = 0; ic < M; ic += MC) {
        int mc = MIN(MC, M - ic);
        pack_a(mc, kc, A, lda, transA, ic, pc, packA);
        for (int jr = 0; jr < nc; jr += NR) {
          for (int ir = 0; ir < mc; ir += MR) {
            micro_4x8(kc, packA + ir * kc, packB + jr * kc, C + (long)(ic + ir) * ldc + jc + jr, ldc,
                      MIN(MR, mc - ir), MIN(NR, nc - jr), acc, bias ? bias + jc + jr : 0);
          }
        }
      }
    }
  }
}

/*
 * Batched matmul task. args: A B C M N K transA transB batch strideA strideB accumulate packBase bias
 * (bias: 0, or N floats added to every row of every product when not accumulating). The work is split
 * into nt blocks (tid is the block); packing scratch belongs to the calling thread (`thread`), so there
 * may be more blocks than threads.
 * Many small matrices are shared out whole; otherwise each matrix is split by rows (blocks of 4) or
 * columns (blocks of 8), whichever is longer, so each thread packs only its own part of one operand.
 */
EXPORT(k_matmul) void k_matmul(const int32_t *args, int tid, int nt, int thread) {
  const float *A = (const float *)args[0];
  const float *B = (const float *)args[1];
  float *C = (float *)args[2];
  int M = args[3], N = args[4], K = args[5], transA = args[6], transB = args[7], batch = args[8];
  int strideA = args[9], strideB = args[10], accumulate = args[11];
  const float *bias = (const float *)args[13];
  float *packA = (float *)args[12] + (long)thread * gemm_pack_floats();
  float *packB = packA + MC * KC;
  int lda = transA ? M : K, ldb = transB ? K : N;
  long per = (long)M * N * K;
  if (nt == 1 || batch >= 2 * nt || (batch >= nt && per < 64L * 64 * 64)) {
    int b0, b1;
    share(batch, 1, tid, nt, &b0, &b1);
    for (int b = b0; b < b1; b++)
      ts_gemm(M, N, K, A + (long)b * strideA, lda, transA, B + (long)b * strideB, ldb, transB, C + (long)b * M * N,
              N, accumulate, packA, packB, bias);
    return;
  }
  for (int b = 0; b < batch; b++) {
    const float *a = A + (long)b * strideA, *bb = B + (long)b * strideB;
    float *c = C + (long)b * M * N;
    int s, e;
    if (M >= N) {
      share(M, MR, tid, nt, &s, &e);
      if (e > s)
        ts_gemm(e - s, N, K, transA ? a + s : a + (long)s * lda, lda, transA, bb, ldb, transB, c + (long)s * N, N,
                accumulate, packA, packB, bias);
    } else {
      share(N, NR, tid, nt, &s, &e);
      if (e > s)
        ts_gemm(M, e - s, K, a, lda, transA, transB ? bb + (long)s * ldb : bb + s, ldb, transB, c + s, N,
                accumulate, packA, packB, bias ? bias + s : 0);
    }
  }
}
