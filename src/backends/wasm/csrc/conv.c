/*
 * 2-D convolution (NCHW input, OIHW weight, groups) by im2col + GEMM, and its two backward kernels:
 *   forward         out[n,g]  = W_g [Og, Cg*kH*kW] @ col(x[n,g])        [Cg*kH*kW, oH*oW]
 *   backward input  dx[n,g]  += col2im(W_g^T @ dy[n,g])
 *   backward filter dW_g      = sum_n dy[n,g] [Og, oH*oW] @ col(x[n,g])^T
 * Blocks of whole samples when there are at least as many samples as blocks (the filter gradient keeps a
 * partial dW per block, summed afterwards in block order, so the result does not depend on which thread
 * ran which block); otherwise blocks split the channels of every sample. Column and packing scratch
 * belong to the thread running a block, so there may be more blocks than threads. A 1x1, stride-1, unpadded convolution uses the input as its column matrix.
 */
#include "common.h"

typedef struct {
  int N, C, H, W, O, kH, kW, sh, sw, ph, pw, dh, dw, groups, oH, oW;
} Geo;

static Geo geo(const int32_t *a) {
  Geo g = {a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]};
  return g;
}

static int is_pointwise(const Geo *g) {
  return g->kH == 1 && g->kW == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0;
}

/* col[(c*kH+i)*kW+j][oh*oW+ow] = x[c][oh*sh-ph+i*dh][ow*sw-pw+j*dw] (0 outside) for channels [c0,c1). */
static void im2col(const Geo *g, const float *x, int c0, int c1, float *col) {
  int ohw = g->oH * g->oW;
  for (int c = c0; c < c1; c++) {
    const float *xc = x + (long)c * g->H * g->W;
    for (int i = 0; i < g->kH; i++) {
      for (int j = 0; j < g->kW; j++) {
        float *row = col + (long)(((c - c0) * g->kH + i) * g->kW + j) * ohw;
        int off = j * g->dw - g->pw;
        /* valid ow: 0 <= ow*sw + off < W */
        int ow0 = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
        int ow1 = g->W - off <= 0 ? 0 : (g->W - off + g->sw - 1) / g->sw;
        ow1 = MIN(ow1, g->oW);
        ow0 = MIN(ow0, ow1);
        for (int oh = 0; oh < g->oH; oh++) {
          int ih = oh * g->sh - g->ph + i * g->dh;
          float *r = row + oh * g->oW;
          if (ih < 0 || ih >= g->H) {
            for (int ow = 0; ow < g->oW; ow++) r[ow] = 0.0f;
            continue;
          }
          const float *xr = xc + (long)ih * g->W + off;
          for (int ow = 0; ow < ow0; ow++) r[ow] = 0.0f;
          if (g->sw == 1) {
            for (int ow = ow0; ow < ow1; ow++) r[ow] = xr[ow];
          } else {
            for (int ow = ow0; ow < ow1; ow++) r[ow] = xr[ow * g->sw];
          }
          for (int ow = ow1; ow < g->oW; ow++) r[ow] = 0.0f;
        }
      }
    }
  }
}

/* The adjoint of im2col: dx[c] += the column entries that came from each input pixel. */
static void col2im(const Geo *g, const float *col, int c0, int c1, float *dx) {
  int ohw = g->oH * g->oW;
  for (int c = c0; c < c1; c++) {
    float *xc = dx + (long)c * g->H * g->W;
    for (int i = 0; i < g->kH; i++) {
      for (int j = 0; j < g->kW; j++) {
        const float *row = col + (long)(((c - c0) * g->kH + i) * g->kW + j) * ohw;
        int off = j * g->dw - g->pw;
        int ow0 = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
        int ow1 = g->W - off <= 0 ? 0 : (g->W - off + g->sw - 1) / g->sw;
        ow1 = MIN(ow1, g->oW);
        for (int oh = 0; oh < g->oH; oh++) {
          int ih = oh * g->sh - g->ph + i * g->dh;
          if (ih < 0 || ih >= g->H) continue;
          float *xr = xc + (long)ih * g->W + off;
          const float *r = row + oh * g->oW;
          for (int ow = ow0; ow < ow1; ow++) xr[ow * g->sw] += r[ow];
        }
      }
    }
  }
}

/* args: geometry[16], x, w, out, colBase, colFloats, packBase */
EXPORT(k_conv2d) void k_conv2d(const int32_t *args, int tid, int nt, int thread) {
  Geo g = geo(args);
  const float *x = (const float *)args[16], *w = (const float *)args[17];
  float *out = (float *)args[18];
  float *col = (float *)args[19] + (long)thread * args[20];
  float *packA = (float *)args[21] + (long)thread * gemm_pack_floats();
  float *packB = packA + GEMM_MC * GEMM_KC;
  int Cg = g.C / g.groups, Og = g.O / g.groups, kk = Cg * g.kH * g.kW, ohw = g.oH * g.oW, hw = g.H * g.W;
  int n0 = 0, n1 = g.N, o0 = 0, o1 = g.O;
  if (g.N >= nt) share(g.N, 1, tid, nt, &n0, &n1);
  else share(g.O, 4, tid, nt, &o0, &o1);
  for (int n = n0; n < n1; n++) {
    for (int gr = 0; gr < g.groups; gr++) {
      int a = MAX(o0, gr * Og), b = MIN(o1, (gr + 1) * Og);
      if (a >= b) continue;
      const float *xg = x + ((long)n * g.C + gr * Cg) * hw;
      const float *cm = xg;
      if (!is_pointwise(&g)) {
        im2col(&g, xg, 0, Cg, col);
        cm = col;
      }
      ts_gemm(b - a, ohw, kk, w + (long)a * kk, kk, 0, cm, ohw, 0, out + ((long)n * g.O + a) * ohw, ohw, 0, packA,
              packB, 0);
    }
  }
}

/* args: geometry[16], dy, w, dx, colBase, colFloats, packBase. dx is overwritten. */
EXPORT(k_conv2d_bwd_input) void k_conv2d_bwd_input(const int32_t *args, int tid, int nt, int thread) {
  Geo g = geo(args);
  const float *dy = (const float *)args[16], *w = (const float *)args[17];
  float *dx = (float *)args[18];
  float *col = (float *)args[19] + (long)thread * args[20];
  float *packA = (float *)args[21] + (long)thread * gemm_pack_floats();
  float *packB = packA + GEMM_MC * GEMM_KC;
  int Cg = g.C / g.groups, Og = g.O / g.groups, kk = g.kH * g.kW, ohw = g.oH * g.oW, hw = g.H * g.W;
  int n0 = 0, n1 = g.N, c0 = 0, c1 = g.C;
  if (g.N >= nt) share(g.N, 1, tid, nt, &n0, &n1);
  else share(g.C, 1, tid, nt, &c0, &c1);
  for (int n = n0; n < n1; n++) {
    float *dxn = dx + (long)n * g.C * hw;
    for (long i = (long)c0 * hw; i < (long)c1 * hw; i++) dxn[i] = 0.0f;
    for (int gr = 0; gr < g.groups; gr++) {
      int a = MAX(c0, gr * Cg), b = MIN(c1, (gr + 1) * Cg);
      if (a >= b) continue;
      const float *dyg = dy + ((long)n * g.O + gr * Og) * ohw;
      /* rows (a-gr*Cg)*kk .. of W_g^T, i.e. columns of the stored [Og, Cg*kk] weight */
      const float *wg = w + (long)gr * Og * Cg * kk + (long)(a - gr * Cg) * kk;
      if (is_pointwise(&g)) {
        ts_gemm(b - a, ohw, Og, wg, Cg * kk, 1, dyg, ohw, 0, dxn + (long)a * hw, ohw, 0, packA, packB, 0);
      } else {
        ts_gemm((b - a) * kk, ohw, Og, wg, Cg * kk, 1, dyg, ohw, 0, col, ohw, 0, packA, packB, 0);
        col2im(&g, col, a, b, dxn);
      }
    }
  }
}

/*
 * args: geometry[16], x, dy, dw, colBase, colFloats, packBase, partialBase.
 * Split by samples: block t writes its partial sum to partialBase + t*wsize (the caller adds them up
 * with k_sum_partials). Split by output channels: each block writes its rows of dw directly.
 */
EXPORT(k_conv2d_bwd_filter) void k_conv2d_bwd_filter(const int32_t *args, int tid, int nt, int thread) {
  Geo g = geo(args);
  const float *x = (const float *)args[16], *dy = (const float *)args[17];
  float *col = (float *)args[19] + (long)thread * args[20];
  float *packA = (float *)args[21] + (long)thread * gemm_pack_floats();
  float *packB = packA + GEMM_MC * GEMM_KC;
  int Cg = g.C / g.groups, Og = g.O / g.groups, kk = Cg * g.kH * g.kW, ohw = g.oH * g.oW, hw = g.H * g.W;
  long wsize = (long)g.O * kk;
  int n0 = 0, n1 = g.N, o0 = 0, o1 = g.O;
  float *dw;
  if (g.N >= nt && nt > 1) {
    share(g.N, 1, tid, nt, &n0, &n1);
    dw = (float *)args[22] + tid * wsize;
  } else {
    share(g.O, 4, tid, nt, &o0, &o1);
    dw = (float *)args[18];
  }
  for (long i = (long)o0 * kk; i < (long)o1 * kk; i++) dw[i] = 0.0f;
  for (int n = n0; n < n1; n++) {
    for (int gr = 0; gr < g.groups; gr++) {
      int a = MAX(o0, gr * Og), b = MIN(o1, (gr + 1) * Og);
      if (a >= b) continue;
      const float *xg = x + ((long)n * g.C + gr * Cg) * hw;
      const float *cm = xg;
      if (!is_pointwise(&g)) {
        im2col(&g, xg, 0, Cg, col);
        cm = col;
      }
      ts_gemm(b - a, kk, ohw, dy + ((long)n * g.O + a) * ohw, ohw, 0, cm, ohw, 1, dw + (long)a * kk, kk, 1, packA,
              packB, 0);
    }
  }
}

/* args: out, partials, count, size. out[i] = sum_t partials[t*size + i]; split by i. */
EXPORT(k_sum_partials) void k_sum_partials(const int32_t *args, int tid, int nt) {
  float *out = (float *)args[0];
  const float *p = (const float *)args[1];
  int count = args[2], size = args[3], s, e;
  share(size, 4, tid, nt, &s, &e);
  for (int i = s; i < e; i++) {
    float acc = p[i];
    for (int t = 1; t < count; t++) acc += p[(long)t * size + i];
    out[i] = acc;
  }
}
