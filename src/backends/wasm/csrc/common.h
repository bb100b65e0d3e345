/*
 * Shared definitions for the TensorScript wasm kernels.
 *
 * Every exported kernel that may run on several threads has the signature
 *   void k_NAME(const int32_t *args, int tid, int nt)
 * and computes its own share of the work (thread tid of nt) from the argument block. The JS pool writes
 * the block into shared memory and calls the same export on every thread, so all partitioning lives here
 * (and would carry over unchanged to a native build).
 */
#ifndef TS_COMMON_H
#define TS_COMMON_H

#include <stdint.h>
#include <wasm_simd128.h>

typedef v128_t f4;

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * Fused multiply-add when built with relaxed SIMD. clang 14 only knows the pre-standard encoding of this
 * instruction (f32x4.fma, 0xfd 0xaf 0x01, computing a*b+c from stack order a b c); scripts/build-wasm.sh
 * rewrites each one, located with llvm-objdump, to the standard f32x4.relaxed_madd (0xfd 0x85 0x02).
 */
#ifdef TS_RELAXED
#define MADD(a, b, c) __builtin_wasm_fma_f32x4((a), (b), (c))
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#endif

/* The [start, end) share of n items for thread tid of nt, in whole blocks of `align` items. */
INLINE void share(int n, int align, int tid, int nt, int *start, int *end) {
  int blocks = (n + align - 1) / align;
  int per = blocks / nt, extra = blocks % nt;
  int b0 = tid * per + MIN(tid, extra);
  int b1 = b0 + per + (tid < extra ? 1 : 0);
  *start = MIN(n, b0 * align);
  *end = MIN(n, b1 * align);
}

INLINE float argf(const int32_t *args, int i) { return ((const float *)args)[i]; }

/* GEMM blocking (see gemm.c); per-thread packing scratch is GEMM_MC*GEMM_KC + GEMM_KC*GEMM_NC floats. */
#define GEMM_KC 256
#define GEMM_MC 128
#define GEMM_NC 512
int gemm_pack_floats(void);
void ts_gemm(int M, int N, int K, const float *A, int lda, int transA, const float *B, int ldb, int transB,
             float *C, int ldc, int accumulate, float *packA, float *packB, const float *bias);

#endif
