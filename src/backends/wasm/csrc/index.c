/*
 * Row gathers and scatters of 4-byte elements (embedding lookups, index_select, torch.gather along a dim
 * and their gradients). They return -1, or the position of the first out-of-range index so the caller
 * can raise an error naming it (the copy stops there).
 */
#include "common.h"

/* out[i, :] = x[index[i], :] */
EXPORT(index_rows) int index_rows(const int32_t *x, int rowSize, int rows, const int32_t *index, int n, int32_t *out) {
  for (int i = 0; i < n; i++) {
    int r = index[i];
    if (r < 0 || r >= rows) return i;
    const int32_t *s = x + (long)r * rowSize;
    int32_t *d = out + (long)i * rowSize;
    for (int j = 0; j < rowSize; j++) d[j] = s[j];
  }
  return -1;
}

/* out[index[i], :] += src[i, :] (float32) */
EXPORT(index_rows_add) int index_rows_add(float *out, int rowSize, int rows, const int32_t *index, int n,
                                          const float *src) {
  for (int i = 0; i < n; i++) {
    int r = index[i];
    if (r < 0 || r >= rows) return i;
    float *d = out + (long)r * rowSize;
    const float *s = src + (long)i * rowSize;
    for (int j = 0; j < rowSize; j++) d[j] += s[j];
  }
  return -1;
}

/* x [outer, Dx, inner], index/out [outer, Di, inner]: out[o,j,k] = x[o, index[o,j,k], k] */
EXPORT(gather_dim) int gather_dim(const int32_t *x, int outer, int Dx, int inner, const int32_t *index, int Di,
                                  int32_t *out) {
  for (int o = 0; o < outer; o++) {
    for (int j = 0; j < Di; j++) {
      long p = ((long)o * Di + j) * inner;
      for (int k = 0; k < inner; k++) {
        int r = index[p + k];
        if (r < 0 || r >= Dx) return (int)(p + k);
        out[p + k] = x[((long)o * Dx + r) * inner + k];
      }
    }
  }
  return -1;
}

/* out [outer, Do, inner] += src [outer, Di, inner] at index[o,j,k] along the middle dim (float32) */
EXPORT(scatter_add_dim) int scatter_add_dim(float *out, int outer, int Do, int inner, const int32_t *index, int Di,
                                            const float *src) {
  for (int o = 0; o < outer; o++) {
    for (int j = 0; j < Di; j++) {
      long p = ((long)o * Di + j) * inner;
      for (int k = 0; k < inner; k++) {
        int r = index[p + k];
        if (r < 0 || r >= Do) return (int)(p + k);
        out[((long)o * Do + r) * inner + k] += src[p + k];
      }
    }
  }
  return -1;
}
