/* qt_mac_mve.c: conv, depthwise conv and fully_connected for the Cortex-M55 with Helium (MVE), through arm_mve.h.
   Same integers as qt_mac.c (see qt_mac.h, "fast kernels", for the algebra).

   gemm: weights int8 [n][k] (adj = w + cw[c], packages/codegen/src/kernels/mac_fast.ts), the int8 column read in
   16-byte vectors, one VMLADAVA (16 multiply-accumulates into a scalar) per vector per channel, four channels per
   column load; the k % 16 last taps through tail-predicated loads (inactive lanes read nothing and hold 0).
   Requantization four channels at a time: tflite's srdhm is VQRDMULH exactly (floor((a b + 2^30) / 2^31),
   saturating only at a = b = INT32_MIN), its rdivpot is VRSHL by -e after subtracting 1 from negative values
   (ties away from zero, as (v + 2^(e-1) - (v < 0)) >> e), and sat32(R + output_offset) is VQADD. qtool's
   one-rounding requantization is VMULH then VRSHL where every shift of the four is <= -2 (else lane by lane).
   Off Arm (the host build of the tests) each vector operation is computed lane by lane in C. */
#define QT_MAC_FAST_IMPL
#define QT_MAC_NO_RQF
#include "qt_runtime.h"

#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>
#endif

/* sum_{i < k} a[i] * b[i] modulo 2^32, added to acc */
static inline int32_t qt_dot8_mve(int32_t acc, const int8_t *a, const int8_t *b, int32_t k) {
#if defined(__ARM_FEATURE_MVE)
  int32_t i = 0;
  for (; i + 16 <= k; i += 16) acc = vmladavaq_s8(acc, vldrbq_s8(a + i), vldrbq_s8(b + i));
  if (i < k) {
    const mve_pred16_t p = vctp8q((uint32_t)(k - i));
    acc = vmladavaq_s8(acc, vldrbq_z_s8(a + i, p), vldrbq_z_s8(b + i, p));
  }
  return acc;
#else
  int32_t i;
  for (i = 0; i < k; i++) acc = (int32_t)((uint32_t)acc + (uint32_t)(a[i] * b[i]));
  return acc;
#endif
}

/* Four channels c..c+3 of one pixel: acc[j] -> y[c + j]. */
#if defined(__ARM_FEATURE_MVE)
/* tflite's requantization of 4 lanes (channels c..c+3), stored as 4 int8 */
QT_INLINE void qt_out4_tfl_mve(int32x4_t v, const qt_out_t *o, int32_t c, int8_t *y) {
  int32x4_t m, sh;
  const int32x4_t zero = vdupq_n_s32(0);
  if (o->per_channel) {
    const int32x4x2_t r = vld2q_s32((const int32_t *)(const void *)&o->rq[c]); /* {m, shift} pairs apart */
    m = r.val[0];
    sh = r.val[1];
  } else {
    m = vdupq_n_s32(o->rq[0].multiplier);
    sh = vdupq_n_s32(o->rq[0].shift);
  }
  {
    const int32x4_t left = vmaxq_s32(sh, zero), neg_right = vminq_s32(sh, zero); /* -right */
    v = vqrdmulhq_s32(vshlq_s32(v, left), m);
    v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, neg_right), 31)); /* -1 where v < 0 and right > 0 */
    v = vrshlq_s32(v, neg_right);
    v = vqaddq_s32(v, vdupq_n_s32(o->offset));
    v = vmaxq_s32(v, vdupq_n_s32(o->lo + o->offset));
    v = vminq_s32(v, vdupq_n_s32(o->hi + o->offset));
    vstrbq_s32(y + c, v);
  }
}
#endif

#if defined(__ARM_FEATURE_MVE)
/* qtool's requantization of 4 lanes where every shift s <= -2 (r = 31 - s >= 33, the usual case): as qt_rq_fast,
   (hi32(acc * m) + 2^(r-33)) >> (r - 32), which is VMULH then VRSHL by s + 1 (a rounding shift right by r - 32).
   Returns 0 (nothing stored) when a lane has another shift: the caller goes lane by lane. */
QT_INLINE int qt_out4_qt_mve(int32x4_t v, const qt_out_t *o, int32_t c, int8_t *y) {
  int32x4_t m, sh;
  if (o->per_channel) {
    const int32x4x2_t r = vld2q_s32((const int32_t *)(const void *)&o->rq[c]);
    m = r.val[0];
    sh = r.val[1];
  } else {
    m = vdupq_n_s32(o->rq[0].multiplier);
    sh = vdupq_n_s32(o->rq[0].shift);
  }
  if (vmaxvq_s32(INT32_MIN, sh) > -2) return 0;
  v = vrshlq_s32(vmulhq_s32(v, m), vaddq_n_s32(sh, 1));
  v = vqaddq_s32(v, vdupq_n_s32(o->offset));
  v = vmaxq_s32(v, vdupq_n_s32(o->lo + o->offset));
  v = vminq_s32(v, vdupq_n_s32(o->hi + o->offset));
  vstrbq_s32(y + c, v);
  return 1;
}
#endif

QT_INLINE void qt_out4_mve(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const qt_out_t *o, int32_t c, int8_t *y) {
#if defined(__ARM_FEATURE_MVE)
  int32x4_t v = vdupq_n_s32(a0);
  v = vsetq_lane_s32(a1, v, 1);
  v = vsetq_lane_s32(a2, v, 2);
  v = vsetq_lane_s32(a3, v, 3);
  if (o->mode == QT_MODE_TFLITE) {
    qt_out4_tfl_mve(v, o, c, y);
    return;
  }
  if (qt_out4_qt_mve(v, o, c, y)) return;
#endif
  y[c] = qt_out(a0, o, c);
  y[c + 1] = qt_out(a1, o, c + 1);
  y[c + 2] = qt_out(a2, o, c + 2);
  y[c + 3] = qt_out(a3, o, c + 3);
}

/* sum of the k values of x (for the channels with a weight offset cw) */
static int32_t qt_sum8_mve(const int8_t *x, int32_t k) {
#if defined(__ARM_FEATURE_MVE)
  int32_t i = 0, s = 0;
  for (; i + 16 <= k; i += 16) s = vaddvaq_s8(s, vldrbq_s8(x + i));
  if (i < k) s = vaddvaq_s8(s, vldrbq_z_s8(x + i, vctp8q((uint32_t)(k - i))));
  return s;
#else
  int32_t i, s = 0;
  for (i = 0; i < k; i++) s += x[i];
  return s;
#endif
}

QT_INLINE void qt_gemm_row_mve(const qt_gemm_s8_t *g, const int8_t *x, int8_t *y, int32_t mode) {
  const int32_t k = g->k, n = g->n;
  const int8_t *w = (const int8_t *)g->w;
  const int32_t *bias = g->bias, *cw = g->cw;
  const int32_t sx = cw ? qt_sum8_mve(x, k) : 0;
  qt_out_t o = qt_out_of(g);
  int32_t c = 0;
  o.mode = mode;
  for (; c + 4 <= n; c += 4, w += 4 * k) {
    int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
#if defined(__ARM_FEATURE_MVE)
    const int8_t *xp = x, *w0 = w, *w1 = w + k, *w2 = w + 2 * k, *w3 = w + 3 * k;
    int32_t i;
    for (i = k >> 4; i > 0; i--) {
      const int8x16_t xv = vldrbq_s8(xp);
      a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w0));
      a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1));
      a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2));
      a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3));
      xp += 16;
      w0 += 16;
      w1 += 16;
      w2 += 16;
      w3 += 16;
    }
    if (k & 15) { /* the last k % 16 taps: tail-predicated loads (inactive lanes load nothing and hold 0) */
      const mve_pred16_t p = vctp8q((uint32_t)(k & 15));
      const int8x16_t xv = vldrbq_z_s8(xp, p);
      a0 = vmladavaq_s8(a0, xv, vldrbq_z_s8(w0, p));
      a1 = vmladavaq_s8(a1, xv, vldrbq_z_s8(w1, p));
      a2 = vmladavaq_s8(a2, xv, vldrbq_z_s8(w2, p));
      a3 = vmladavaq_s8(a3, xv, vldrbq_z_s8(w3, p));
    }
#else
    a0 = qt_dot8_mve(a0, x, w, k);
    a1 = qt_dot8_mve(a1, x, w + k, k);
    a2 = qt_dot8_mve(a2, x, w + 2 * k, k);
    a3 = qt_dot8_mve(a3, x, w + 3 * k, k);
#endif
    if (cw) {
      a0 = (int32_t)((uint32_t)a0 + (uint32_t)cw[c] * (uint32_t)sx);
      a1 = (int32_t)((uint32_t)a1 + (uint32_t)cw[c + 1] * (uint32_t)sx);
      a2 = (int32_t)((uint32_t)a2 + (uint32_t)cw[c + 2] * (uint32_t)sx);
      a3 = (int32_t)((uint32_t)a3 + (uint32_t)cw[c + 3] * (uint32_t)sx);
    }
    qt_out4_mve(a0, a1, a2, a3, &o, c, y);
  }
  for (; c < n; c++, w += k) {
    int32_t a = qt_dot8_mve(bias[c], x, w, k);
    if (cw) a = (int32_t)((uint32_t)a + (uint32_t)cw[c] * (uint32_t)sx);
    y[c] = qt_out(a, &o, c);
  }
}

/* The row with the rounding contract a constant (its tests fold away), chosen once per layer. */
static void qt_gemm_row_mve_tfl(const qt_gemm_s8_t *g, const int8_t *x, int8_t *y) { qt_gemm_row_mve(g, x, y, QT_MODE_TFLITE); }
static void qt_gemm_row_mve_qt(const qt_gemm_s8_t *g, const int8_t *x, int8_t *y) { qt_gemm_row_mve(g, x, y, QT_MODE_QTOOL); }
typedef void (*qt_gemm_row_mve_fn)(const qt_gemm_s8_t *g, const int8_t *x, int8_t *y);

/* scratch: the int8 im2col column (k bytes) unless the conv reads its input in place (direct). */
void qt_conv_s8_mve(const qt_conv_fast_t *p, const int8_t *in, int8_t *out, int8_t *scratch) {
  const int32_t in_img = p->in_h * p->in_w * p->in_c;
  const qt_gemm_row_mve_fn row = p->g.mode == QT_MODE_TFLITE ? qt_gemm_row_mve_tfl : qt_gemm_row_mve_qt;
  int32_t b, oh, ow;
  for (b = 0; b < p->batches; b++) {
    const int8_t *xb = in + b * in_img;
    for (oh = 0; oh < p->out_h; oh++)
      for (ow = 0; ow < p->out_w; ow++, out += p->g.n) {
        const int8_t *col;
        if (p->direct) {
          col = xb + ((oh * p->stride_h) * p->in_w + ow * p->stride_w) * p->in_c;
        } else {
          qt_im2col(p, xb, oh, ow, scratch);
          col = scratch;
        }
        row(&p->g, col, out);
      }
  }
}

void qt_fc_s8_mve(const qt_gemm_s8_t *g, int32_t batches, const int8_t *in, int8_t *out, int8_t *scratch) {
  const qt_gemm_row_mve_fn row = g->mode == QT_MODE_TFLITE ? qt_gemm_row_mve_tfl : qt_gemm_row_mve_qt;
  int32_t b;
  (void)scratch;
  for (b = 0; b < batches; b++) row(g, in + b * g->k, out + b * g->n);
}

/* Depthwise: four channels per vector (int8 input and int16 weights widened to int32 lanes). A window inside
   the input sums w * x from the folded bias; one crossing the padding skips the padded taps and sums w * x'. */
QT_INLINE void qt_dwconv_mve(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out, int32_t mode, int32_t k_h, int32_t k_w) {
  const int32_t c = p->c, cw = (c + 3) & ~3;
  const int32_t row = p->in_w * c, tap_w = p->dil_w * c, tap_h = p->dil_h * row;
  const qt_gemm_s8_t g = { 0, c, 0, 0, 0, p->requant, p->rqf, p->per_channel_requant, p->mode, p->output_offset, p->act_min, p->act_max };
  qt_out_t o = qt_out_of(&g);
  const int16_t *wt = p->w;
  const int32_t in_off = p->input_offset;
  int32_t b, oh, ow, ch, kh, kw, j;
  o.mode = mode;
  for (b = 0; b < p->batches; b++) {
    const int8_t *xb = in + b * p->in_h * row;
    for (oh = 0; oh < p->out_h; oh++) {
      const int32_t ih0 = oh * p->stride_h - p->pad_top;
      const int32_t kh0 = qt_fast_first_tap(ih0, p->dil_h), kh1 = qt_fast_end_tap(ih0, p->dil_h, p->in_h, k_h);
      for (ow = 0; ow < p->out_w; ow++, out += c) {
        const int32_t iw0 = ow * p->stride_w - p->pad_left;
        const int32_t kw0 = qt_fast_first_tap(iw0, p->dil_w), kw1 = qt_fast_end_tap(iw0, p->dil_w, p->in_w, k_w);
        const int inside = kh0 == 0 && kh1 == k_h && kw0 == 0 && kw1 == k_w;
        const int32_t *bias = inside ? p->fbias : p->bias;
        const int32_t off = inside ? 0 : in_off;
        const int32_t o0 = ih0 * row + iw0 * c; /* offset of tap (0, 0) from xb; negative where it is padding */
        for (ch = 0; ch < c; ch += 4) {
          const int32_t lanes = c - ch < 4 ? c - ch : 4;
          int32_t acc[4];
#if defined(__ARM_FEATURE_MVE)
          const mve_pred16_t pr = vctp32q((uint32_t)lanes);
          int32x4_t a = bias ? vldrwq_z_s32(bias + ch, pr) : vdupq_n_s32(0);
          if (inside && lanes == 4) { /* whole quads: no predication */
            const int8_t *xr = xb + (o0 + ch);
            const int16_t *wr = wt + ch;
            for (kh = 0; kh < k_h; kh++, xr += tap_h) {
              const int8_t *xt = xr;
              for (kw = 0; kw < k_w; kw++, xt += tap_w, wr += cw) a = vaddq_s32(a, vmulq_s32(vldrbq_s32(xt), vldrhq_s32(wr)));
            }
          } else if (inside) {
            const int8_t *xr = xb + (o0 + ch);
            const int16_t *wr = wt + ch;
            for (kh = 0; kh < k_h; kh++, xr += tap_h) {
              const int8_t *xt = xr;
              for (kw = 0; kw < k_w; kw++, xt += tap_w, wr += cw) a = vaddq_s32(a, vmulq_s32(vldrbq_z_s32(xt, pr), vldrhq_z_s32(wr, pr)));
            }
          } else {
            const int32x4_t offv = vdupq_n_s32(off);
            for (kh = kh0; kh < kh1; kh++)
              for (kw = kw0; kw < kw1; kw++) {
                const int32x4_t xv = vaddq_s32(vldrbq_z_s32(xb + (o0 + kh * tap_h + kw * tap_w + ch), pr), offv);
                a = vaddq_s32(a, vmulq_s32(xv, vldrhq_z_s32(wt + (kh * k_w + kw) * cw + ch, pr)));
              }
          }
          if (lanes == 4) {
            if (mode == QT_MODE_TFLITE) {
              qt_out4_tfl_mve(a, &o, ch, out);
              continue;
            }
            if (qt_out4_qt_mve(a, &o, ch, out)) continue;
          }
          vstrwq_s32(acc, a);
#else
          for (j = 0; j < lanes; j++) {
            int32_t a = bias ? bias[ch + j] : 0;
            for (kh = kh0; kh < kh1; kh++)
              for (kw = kw0; kw < kw1; kw++)
                a = (int32_t)((uint32_t)a + (uint32_t)(wt[(kh * k_w + kw) * cw + ch + j] *
                                                       (xb[o0 + kh * tap_h + kw * tap_w + ch + j] + off)));
            acc[j] = a;
          }
#endif
          if (lanes == 4) {
            qt_out4_mve(acc[0], acc[1], acc[2], acc[3], &o, ch, out);
          } else {
            for (j = 0; j < lanes; j++) out[ch + j] = qt_out(acc[j], &o, ch + j);
          }
        }
      }
    }
  }
}

void qt_dwconv_s8_mve(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) {
  if (p->mode == QT_MODE_TFLITE) qt_dwconv_mve(p, in, out, QT_MODE_TFLITE, p->k_h, p->k_w);
  else qt_dwconv_mve(p, in, out, QT_MODE_QTOOL, p->k_h, p->k_w);
}

/* The 3x3 depthwise conv (MobileNets): the window a constant, so its tap loops unroll. */
void qt_dwconv_s8_mve_3x3(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) {
  if (p->mode == QT_MODE_TFLITE) qt_dwconv_mve(p, in, out, QT_MODE_TFLITE, 3, 3);
  else qt_dwconv_mve(p, in, out, QT_MODE_QTOOL, 3, 3);
}
