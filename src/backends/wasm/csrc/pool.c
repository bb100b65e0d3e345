/*
 * 2-D max and average pooling over NCHW planes and their backward kernels; threads split the N*C planes.
 * Geometry args: NC, H, W, oH, oW, kH, kW, sh, sw, ph, pw, dh, dw. Output sizes come from the caller
 * (which applied ceil mode); windows are clipped to the padded input as in PyTorch.
 */
#include "common.h"

/* args: geometry[13], x, out, indices. Ties keep the first maximum; NaN wins, as in PyTorch. */
EXPORT(k_maxpool2d) void k_maxpool2d(const int32_t *a, int tid, int nt) {
  int NC = a[0], H = a[1], W = a[2], oH = a[3], oW = a[4], kH = a[5], kW = a[6], sh = a[7], sw = a[8], ph = a[9],
      pw = a[10], dh = a[11], dw = a[12];
  const float *x = (const float *)a[13];
  float *out = (float *)a[14];
  int32_t *ind = (int32_t *)a[15];
  int p0, p1;
  share(NC, 1, tid, nt, &p0, &p1);
  /* The common 2x2, stride 2, unpadded window: no bounds checks, same scan order and tie/NaN rules. */
  if (kH == 2 && kW == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && 2 * oH <= H && 2 * oW <= W) {
    for (int p = p0; p < p1; p++) {
      const float *xp = x + (long)p * H * W;
      float *op = out + (long)p * oH * oW;
      int32_t *ip = ind + (long)p * oH * oW;
      for (int oh = 0; oh < oH; oh++) {
        const float *r0 = xp + 2 * oh * W, *r1 = r0 + W;
        for (int ow = 0; ow < oW; ow++) {
          int c = 2 * ow;
          float best = r0[c], v;
          int bi = 2 * oh * W + c;
#define TS_POOL_TAKE(val, idx)                       \
  v = (val);                                         \
  if (v > best || (v != v && best == best)) {        \
    best = v;                                        \
    bi = (idx);                                      \
  }
          TS_POOL_TAKE(r0[c + 1], 2 * oh * W + c + 1)
          TS_POOL_TAKE(r1[c], (2 * oh + 1) * W + c)
          TS_POOL_TAKE(r1[c + 1], (2 * oh + 1) * W + c + 1)
#undef TS_POOL_TAKE
          op[oh * oW + ow] = best;
          ip[oh * oW + ow] = bi;
        }
      }
    }
    return;
  }
  for (int p = p0; p < p1; p++) {
    const float *xp = x + (long)p * H * W;
    float *op = out + (long)p * oH * oW;
    int32_t *ip = ind + (long)p * oH * oW;
    for (int oh = 0; oh < oH; oh++) {
      int hs = oh * sh - ph;
      for (int ow = 0; ow < oW; ow++) {
        int ws = ow * sw - pw;
        float best = -__builtin_inff();
        int bi = -1;
        for (int i = 0; i < kH; i++) {
          int ih = hs + i * dh;
          if (ih < 0 || ih >= H) continue;
          for (int j = 0; j < kW; j++) {
            int iw = ws + j * dw;
            if (iw < 0 || iw >= W) continue;
            float v = xp[ih * W + iw];
            if (bi < 0 || v > best || (v != v && best == best)) {
              best = v;
              bi = ih * W + iw;
            }
          }
        }
        op[oh * oW + ow] = best;
        ip[oh * oW + ow] = bi;
      }
    }
  }
}

/* args: NC, HW, oHW, dy, indices, dx. dx[plane][ind] += dy (dx arrives zero-filled). */
EXPORT(k_maxpool2d_bwd) void k_maxpool2d_bwd(const int32_t *a, int tid, int nt) {
  int NC = a[0], HW = a[1], oHW = a[2];
  const float *dy = (const float *)a[3];
  const int32_t *ind = (const int32_t *)a[4];
  float *dx = (float *)a[5];
  int p0, p1;
  share(NC, 1, tid, nt, &p0, &p1);
  for (int p = p0; p < p1; p++) {
    float *dxp = dx + (long)p * HW;
    for (int j = 0; j < oHW; j++) {
      int i = ind[(long)p * oHW + j];
      if (i >= 0) dxp[i] += dy[(long)p * oHW + j];
    }
  }
}

INLINE int avg_window(int o, int s, int p, int k, int n, int *lo, int *hi) {
  int st = o * s - p, en = MIN(st + k, n + p);
  int size = en - st;
  *lo = MAX(st, 0);
  *hi = MIN(en, n);
  return size;
}

/* args: geometry[13] (dilation unused, must be 1), x, out, countIncludePad */
EXPORT(k_avgpool2d) void k_avgpool2d(const int32_t *a, int tid, int nt) {
  int NC = a[0], H = a[1], W = a[2], oH = a[3], oW = a[4], kH = a[5], kW = a[6], sh = a[7], sw = a[8], ph = a[9],
      pw = a[10];
  const float *x = (const float *)a[13];
  float *out = (float *)a[14];
  int inc = a[15], p0, p1;
  share(NC, 1, tid, nt, &p0, &p1);
  for (int p = p0; p < p1; p++) {
    const float *xp = x + (long)p * H * W;
    for (int oh = 0; oh < oH; oh++) {
      int h0, h1, hsz = avg_window(oh, sh, ph, kH, H, &h0, &h1);
      for (int ow = 0; ow < oW; ow++) {
        int w0, w1, wsz = avg_window(ow, sw, pw, kW, W, &w0, &w1);
        float s = 0.0f;
        for (int i = h0; i < h1; i++)
          for (int j = w0; j < w1; j++) s += xp[i * W + j];
        int div = inc ? hsz * wsz : (h1 - h0) * (w1 - w0);
        out[((long)p * oH + oh) * oW + ow] = div > 0 ? s / (float)div : 0.0f;
      }
    }
  }
}

/* args: geometry[13], dy, dx, countIncludePad (dx arrives zero-filled) */
EXPORT(k_avgpool2d_bwd) void k_avgpool2d_bwd(const int32_t *a, int tid, int nt) {
  int NC = a[0], H = a[1], W = a[2], oH = a[3], oW = a[4], kH = a[5], kW = a[6], sh = a[7], sw = a[8], ph = a[9],
      pw = a[10];
  const float *dy = (const float *)a[13];
  float *dx = (float *)a[14];
  int inc = a[15], p0, p1;
  share(NC, 1, tid, nt, &p0, &p1);
  for (int p = p0; p < p1; p++) {
    float *dxp = dx + (long)p * H * W;
    for (int oh = 0; oh < oH; oh++) {
      int h0, h1, hsz = avg_window(oh, sh, ph, kH, H, &h0, &h1);
      for (int ow = 0; ow < oW; ow++) {
        int w0, w1, wsz = avg_window(ow, sw, pw, kW, W, &w0, &w1);
        int div = inc ? hsz * wsz : (h1 - h0) * (w1 - w0);
        if (div <= 0) continue;
        float g = dy[((long)p * oH + oh) * oW + ow] / (float)div;
        for (int i = h0; i < h1; i++)
          for (int j = w0; j < w1; j++) dxp[i * W + j] += g;
      }
    }
  }
}
