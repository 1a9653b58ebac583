/* qt_mac_mve_impl.h: conv, depthwise conv and fully_connected for the Cortex-M55 with Helium (MVE), through arm_mve.h.
   Same integers as qt_mac.c (see qt_mac.h, "fast kernels", for the algebra).

   gemm: weights int8 in 16-tap chunks, 4 channels interleaved (adj = w + cw[c], mveGemmLayout in
   packages/codegen/src/kernels/mac_fast.ts), the int8 column read in 16-byte vectors, one VMLADAVA (16
   multiply-accumulates into a scalar) per vector per channel, four channels per column load and, for convs, two
   output pixels per weight load (qt_dot4x2_mve); the k % 16 last taps through tail-predicated loads (inactive
   lanes read nothing and hold 0). Depthwise windows inside the input gather each channel's taps.
   Requantization four channels at a time: tflite's srdhm is VQRDMULH exactly (floor((a b + 2^30) / 2^31),
   saturating only at a = b = INT32_MIN), its rdivpot is VRSHL by -e after subtracting 1 from negative values
   (ties away from zero, as (v + 2^(e-1) - (v < 0)) >> e), and sat32(R + output_offset) is VQADD. qtool's
   one-rounding requantization is VMULH then VRSHL where every shift of the four is <= -2 (else lane by lane).
   Off Arm (the host build of the tests) each vector operation is computed lane by lane in C. */
#ifndef QT_MAC_MVE_IMPL_H
#define QT_MAC_MVE_IMPL_H
#define QT_MAC_FAST_IMPL
#define QT_MAC_NO_RQF
#include "qt_runtime.h"
#include "qt_mac.h" /* again: the fast helpers, whether or not qt_runtime.h came before */

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
  if (o->fast) { /* every shift of the layer < 0 (o->fast): no left shift, every lane's right shift > 0 */
    v = vqrdmulhq_s32(v, m);
    v = vqaddq_s32(v, vshrq_n_s32(v, 31)); /* -1 where v < 0 */
    v = vrshlq_s32(v, sh);
  } else {
    const int32x4_t left = vmaxq_s32(sh, zero), neg_right = vminq_s32(sh, zero); /* -right */
    v = vqrdmulhq_s32(vshlq_s32(v, left), m);
    v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, neg_right), 31)); /* -1 where v < 0 and right > 0 */
    v = vrshlq_s32(v, neg_right);
  }
  {
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
  if (!o->fast && vmaxvq_s32(INT32_MIN, sh) > -2) return 0; /* o->fast: every shift of the layer <= -2 */
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
static inline int32_t qt_sum8_mve(const int8_t *x, int32_t k) {
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

/* y[c] for every output channel c of one pixel. Weights in chunks of 16 taps, zero padded (mveGemmLayout in
   mac_fast.ts): a block of 4 channels is one pointer, its 4 chunks at offsets 0, 16, 32, 48 (VLDRB immediates),
   64 bytes a step; the k % 16 last taps of the column through a tail-predicated load (inactive lanes hold 0, and
   the padded weights are 0 too). */
QT_INLINE void qt_gemm_row_mve(const qt_gemm_s8_t *g, const int8_t *x, int8_t *y, int32_t mode) {
  const int32_t k = g->k, n = g->n, kp = (k + 15) & ~15;
  const int8_t *w = (const int8_t *)g->w;
  const int32_t *bias = g->bias, *cw = g->cw;
  const int32_t sx = cw ? qt_sum8_mve(x, k) : 0;
  qt_out_t o = qt_out_of(g);
  const int32_t n4 = n & ~3; /* a constant in a specialised layer: its tail loop below folds away */
  int32_t c;
  o.mode = mode;
  for (c = 0; c < n4; c += 4) {
    int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
#if defined(__ARM_FEATURE_MVE)
    const int8_t *xp = x;
    int32_t i;
    for (i = k >> 4; i > 0; i--, xp += 16, w += 64) {
      const int8x16_t xv = vldrbq_s8(xp);
      a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w));
      a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w + 16));
      a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w + 32));
      a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w + 48));
    }
    if (k & 15) {
      const int8x16_t xv = vldrbq_z_s8(xp, vctp8q((uint32_t)(k & 15)));
      a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w));
      a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w + 16));
      a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w + 32));
      a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w + 48));
      w += 64;
    }
#else
    {
      int32_t t;
      for (t = 0; t < k; t++) {
        const int8_t *wt = w + (t >> 4) * 64 + (t & 15);
        a0 = (int32_t)((uint32_t)a0 + (uint32_t)(x[t] * wt[0]));
        a1 = (int32_t)((uint32_t)a1 + (uint32_t)(x[t] * wt[16]));
        a2 = (int32_t)((uint32_t)a2 + (uint32_t)(x[t] * wt[32]));
        a3 = (int32_t)((uint32_t)a3 + (uint32_t)(x[t] * wt[48]));
      }
      w += 4 * kp;
    }
#endif
    if (cw) {
      a0 = (int32_t)((uint32_t)a0 + (uint32_t)cw[c] * (uint32_t)sx);
      a1 = (int32_t)((uint32_t)a1 + (uint32_t)cw[c + 1] * (uint32_t)sx);
      a2 = (int32_t)((uint32_t)a2 + (uint32_t)cw[c + 2] * (uint32_t)sx);
      a3 = (int32_t)((uint32_t)a3 + (uint32_t)cw[c + 3] * (uint32_t)sx);
    }
    qt_out4_mve(a0, a1, a2, a3, &o, c, y);
  }
  for (c = n4; c < n; c++, w += kp) {
    int32_t a = qt_dot8_mve(bias[c], x, w, k);
    if (cw) a = (int32_t)((uint32_t)a + (uint32_t)cw[c] * (uint32_t)sx);
    y[c] = qt_out(a, &o, c);
  }
}

#if defined(__ARM_FEATURE_MVE)
/* A block of 4 channels (weights w, w + 16, w + 32, w + 48, chunks 64 bytes apart) over two columns x0, x1 and k
   taps: per 16 taps 2 column loads, 4 weight loads and 8 VMLADAVA. Written out because VMLADAVA accumulates into an
   even register and there are just eight (r0-r12 and lr): the loop counts down in an odd one (SUBS / BNE), the
   pointers write back; gcc left to itself spills or splits the block in two passes. */
QT_INLINE void qt_dot4x2_mve(const int8_t *x0, const int8_t *x1, const int8_t *w, int32_t k, int32_t *a0p, int32_t *a1p, int32_t *a2p,
                             int32_t *a3p, int32_t *b0p, int32_t *b1p, int32_t *b2p, int32_t *b3p) {
  register int32_t a0 __asm__("r0") = *a0p;
  register int32_t a1 __asm__("r2") = *a1p;
  register int32_t a2 __asm__("r4") = *a2p;
  register int32_t a3 __asm__("r6") = *a3p;
  register int32_t b0 __asm__("r8") = *b0p;
  register int32_t b1 __asm__("r10") = *b1p;
  register int32_t b2 __asm__("r12") = *b2p;
  register int32_t b3 __asm__("lr") = *b3p;
  if (k >> 4) {
    register const int8_t *p0 __asm__("r1") = x0;
    register const int8_t *p1 __asm__("r3") = x1;
    register const int8_t *pw __asm__("r5") = w;
    register int32_t steps __asm__("r9") = k >> 4;
    __asm__ volatile(
        "1:\n\t"
        "vldrb.8 q0, [%[p0]], #16\n\t"
        "vldrb.8 q1, [%[p1]], #16\n\t"
        "vldrb.8 q2, [%[pw]]\n\t"
        "vldrb.8 q3, [%[pw], #16]\n\t"
        "vmladava.s8 %[a0], q0, q2\n\t"
        "vmladava.s8 %[b0], q1, q2\n\t"
        "vldrb.8 q2, [%[pw], #32]\n\t"
        "vmladava.s8 %[a1], q0, q3\n\t"
        "vmladava.s8 %[b1], q1, q3\n\t"
        "vldrb.8 q3, [%[pw], #48]\n\t"
        "vmladava.s8 %[a2], q0, q2\n\t"
        "vmladava.s8 %[b2], q1, q2\n\t"
        "adds %[pw], #64\n\t"
        "vmladava.s8 %[a3], q0, q3\n\t"
        "vmladava.s8 %[b3], q1, q3\n\t"
        "subs %[n], #1\n\t"
        "bne 1b"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [b0] "+r"(b0), [b1] "+r"(b1), [b2] "+r"(b2), [b3] "+r"(b3),
          [p0] "+r"(p0), [p1] "+r"(p1), [pw] "+r"(pw), [n] "+r"(steps)
        :
        : "q0", "q1", "q2", "q3", "cc", "memory");
    x0 = p0;
    x1 = p1;
    w = pw;
  }
  if (k & 15) {
    const mve_pred16_t pr = vctp8q((uint32_t)(k & 15));
    const int8x16_t u = vldrbq_z_s8(x0, pr), v = vldrbq_z_s8(x1, pr);
    int8x16_t wv = vldrbq_s8(w);
    a0 = vmladavaq_s8(a0, u, wv);
    b0 = vmladavaq_s8(b0, v, wv);
    wv = vldrbq_s8(w + 16);
    a1 = vmladavaq_s8(a1, u, wv);
    b1 = vmladavaq_s8(b1, v, wv);
    wv = vldrbq_s8(w + 32);
    a2 = vmladavaq_s8(a2, u, wv);
    b2 = vmladavaq_s8(b2, v, wv);
    wv = vldrbq_s8(w + 48);
    a3 = vmladavaq_s8(a3, u, wv);
    b3 = vmladavaq_s8(b3, v, wv);
  }
  *a0p = a0;
  *a1p = a1;
  *a2p = a2;
  *a3p = a3;
  *b0p = b0;
  *b1p = b1;
  *b2p = b2;
  *b3p = b3;
}
#endif

/* Two pixels' rows at once (x0 -> y0, x1 -> y1): each weight vector loaded once for both columns
   (qt_dot4x2_mve; qt_gemm_row_mve's arithmetic twice, and the host twin runs it twice). */
QT_INLINE void qt_gemm_row2_mve(const qt_gemm_s8_t *g, const int8_t *x0, const int8_t *x1, int8_t *y0, int8_t *y1, int32_t mode) {
#if defined(__ARM_FEATURE_MVE)
  const int32_t k = g->k, n = g->n, kp = (k + 15) & ~15;
  const int8_t *w = (const int8_t *)g->w;
  const int32_t *bias = g->bias, *cw = g->cw;
  const int32_t sx0 = cw ? qt_sum8_mve(x0, k) : 0, sx1 = cw ? qt_sum8_mve(x1, k) : 0;
  qt_out_t o = qt_out_of(g);
  const int32_t n4 = n & ~3;
  int32_t c;
  o.mode = mode;
  for (c = 0; c < n4; c += 4) {
    int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
    int32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3;
    qt_dot4x2_mve(x0, x1, w, k, &a0, &a1, &a2, &a3, &b0, &b1, &b2, &b3);
    w += 4 * kp;
    if (cw) {
      a0 = (int32_t)((uint32_t)a0 + (uint32_t)cw[c] * (uint32_t)sx0);
      a1 = (int32_t)((uint32_t)a1 + (uint32_t)cw[c + 1] * (uint32_t)sx0);
      a2 = (int32_t)((uint32_t)a2 + (uint32_t)cw[c + 2] * (uint32_t)sx0);
      a3 = (int32_t)((uint32_t)a3 + (uint32_t)cw[c + 3] * (uint32_t)sx0);
      b0 = (int32_t)((uint32_t)b0 + (uint32_t)cw[c] * (uint32_t)sx1);
      b1 = (int32_t)((uint32_t)b1 + (uint32_t)cw[c + 1] * (uint32_t)sx1);
      b2 = (int32_t)((uint32_t)b2 + (uint32_t)cw[c + 2] * (uint32_t)sx1);
      b3 = (int32_t)((uint32_t)b3 + (uint32_t)cw[c + 3] * (uint32_t)sx1);
    }
    qt_out4_mve(a0, a1, a2, a3, &o, c, y0);
    qt_out4_mve(b0, b1, b2, b3, &o, c, y1);
  }
  for (c = n4; c < n; c++, w += kp) {
    int32_t a = qt_dot8_mve(bias[c], x0, w, k), b = qt_dot8_mve(bias[c], x1, w, k);
    if (cw) {
      a = (int32_t)((uint32_t)a + (uint32_t)cw[c] * (uint32_t)sx0);
      b = (int32_t)((uint32_t)b + (uint32_t)cw[c] * (uint32_t)sx1);
    }
    y0[c] = qt_out(a, &o, c);
    y1[c] = qt_out(b, &o, c);
  }
#else
  qt_gemm_row_mve(g, x0, y0, mode);
  qt_gemm_row_mve(g, x1, y1, mode);
#endif
}

#if defined(__ARM_FEATURE_MVE)
/* acc + one channel's window: its taps gathered 8 at a time (offv: byte offsets from x, tap (0, 0) of the
   channel), times its weights w [8 tg] (zero past the last tap), one VMLADAVA per 8. */
QT_INLINE int32_t qt_dw_dot_mve(int32_t acc, const int8_t *x, const int16_t *w, const uint16x8_t *offv, int32_t tg) {
  int32_t g;
  QT_UNROLL for (g = 0; g < tg; g++) acc = vmladavaq_s16(acc, vldrbq_gather_offset_s16(x, offv[g]), vldrhq_s16(w + 8 * g));
  return acc;
}
#endif

/* Depthwise. A window inside the input sums w * x from the folded bias: on Helium with the gather path
   (qt_dw_dot_mve, weights wc), channel by channel, four requantized together. A window crossing the padding
   (and the host twin) four channels per vector (int8 input and int16 weights widened to int32 lanes), skipping
   the padded taps and summing w * x'. */
QT_INLINE void qt_dwconv_mve(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out, int32_t mode, int32_t k_h, int32_t k_w) {
  const int32_t c = p->c, cw = (c + 3) & ~3;
  const int32_t row = p->in_w * c, tap_w = p->dil_w * c, tap_h = p->dil_h * row;
  const qt_gemm_s8_t g = { 0, c, 0, 0, 0, p->requant, p->rqf, p->per_channel_requant, p->mode, p->output_offset, p->act_min, p->act_max, p->rqf_fast, 0, 1, 0 };
  qt_out_t o = qt_out_of(&g);
  const int16_t *wt = p->w;
  const int32_t in_off = p->input_offset;
  int32_t b, oh, ow, ch, kh, kw, j;
#if defined(__ARM_FEATURE_MVE)
  /* The gather path (windows inside the input): tap t = kh * k_w + kw sits kh * tap_h + kw * tap_w bytes after tap
     (0, 0); 8 offsets a vector (uint16), the lanes past the last tap read tap (0, 0) again against a zero weight. */
  const int32_t taps = k_h * k_w, tg = (taps + 7) >> 3;
  const int gather = p->wc != NULL && tg <= 4 && (k_h - 1) * tap_h + (k_w - 1) * tap_w <= 65535;
  uint16x8_t offv[4];
  {
    uint16_t offs[32];
    int32_t t;
    for (t = 0; t < 32; t++) offs[t] = (uint16_t)(gather && t < taps ? (t / k_w) * tap_h + (t % k_w) * tap_w : 0);
    for (t = 0; t < 4; t++) offv[t] = vldrhq_u16(offs + 8 * t);
  }
#endif
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
#if defined(__ARM_FEATURE_MVE)
        if (inside && gather) { /* per channel: its taps gathered 8 at a time, one VMLADAVA per 8 */
          const int8_t *xr = xb + o0;
          const int16_t *wr = p->wc;
          const int32_t *fb = p->fbias;
          const int32_t tp = 8 * tg;
          for (ch = 0; ch < (c & ~3); ch += 4, wr += 4 * tp) {
            const int32_t a0 = qt_dw_dot_mve(fb[ch], xr + ch, wr, offv, tg);
            const int32_t a1 = qt_dw_dot_mve(fb[ch + 1], xr + ch + 1, wr + tp, offv, tg);
            const int32_t a2 = qt_dw_dot_mve(fb[ch + 2], xr + ch + 2, wr + 2 * tp, offv, tg);
            const int32_t a3 = qt_dw_dot_mve(fb[ch + 3], xr + ch + 3, wr + 3 * tp, offv, tg);
            qt_out4_mve(a0, a1, a2, a3, &o, ch, out);
          }
          for (; ch < c; ch++, wr += tp) out[ch] = qt_out(qt_dw_dot_mve(fb[ch], xr + ch, wr, offv, tg), &o, ch);
          continue;
        }
#endif
        for (ch = 0; ch < c; ch += 4) {
          const int32_t lanes = c - ch < 4 ? c - ch : 4;
          int32_t acc[4];
#if defined(__ARM_FEATURE_MVE)
          const mve_pred16_t pr = vctp32q((uint32_t)lanes);
          int32x4_t a = bias ? vldrwq_z_s32(bias + ch, pr) : vdupq_n_s32(0);
          if (inside && lanes == 4) { /* whole quads: no predication */
            const int8_t *xr = xb + (o0 + ch);
            const int16_t *wr = wt + ch;
            QT_UNROLL for (kh = 0; kh < k_h; kh++, xr += tap_h) {
              const int8_t *xt = xr;
              QT_UNROLL for (kw = 0; kw < k_w; kw++, xt += tap_w, wr += cw) a = vaddq_s32(a, vmulq_s32(vldrbq_s32(xt), vldrhq_s32(wr)));
            }
          } else if (inside) {
            const int8_t *xr = xb + (o0 + ch);
            const int16_t *wr = wt + ch;
            QT_UNROLL for (kh = 0; kh < k_h; kh++, xr += tap_h) {
              const int8_t *xt = xr;
              QT_UNROLL for (kw = 0; kw < k_w; kw++, xt += tap_w, wr += cw) a = vaddq_s32(a, vmulq_s32(vldrbq_z_s32(xt, pr), vldrhq_z_s32(wr, pr)));
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

/* ---- Layer bodies, inlined into a function of the generated model per layer (packages/codegen/src/kernels/
   mac_fast.ts): the params are a static const struct of that file, so every shape, stride, padding, rounding
   contract and clamp below is a compile-time constant there. qt_mac_mve.c instantiates them with run-time params. */

/* The column of output pixel i (row-major over batch, oh, ow): the input pixel in place (direct) or its im2col
   column built in col. */
QT_INLINE const int8_t *qt_column_mve(const qt_conv_fast_t *p, const int8_t *in, int32_t i, int8_t *col) {
  const int32_t hw = p->out_h * p->out_w, b = i / hw, r = i - b * hw, oh = r / p->out_w, ow = r - oh * p->out_w;
  const int8_t *xb = in + b * (p->in_h * p->in_w * p->in_c);
  if (p->direct) return xb + ((oh * p->stride_h) * p->in_w + ow * p->stride_w) * p->in_c;
  qt_im2col(p, xb, oh, ow, col);
  return col;
}

/* conv (groups = 1), output pixels two at a time (qt_gemm_row2_mve). scratch: two int8 im2col columns (2 k
   bytes) unless the conv reads its input in place (direct). */
QT_INLINE void qt_conv_spec_mve(const qt_conv_fast_t *p, const int8_t *in, int8_t *out, int8_t *scratch) {
  const int32_t total = p->batches * p->out_h * p->out_w, n = p->g.n;
  int32_t i;
  for (i = 0; i + 2 <= total; i += 2) {
    const int8_t *x0 = qt_column_mve(p, in, i, scratch), *x1 = qt_column_mve(p, in, i + 1, scratch + p->g.k);
    qt_gemm_row2_mve(&p->g, x0, x1, out + i * n, out + (i + 1) * n, p->g.mode);
  }
  if (i < total) qt_gemm_row_mve(&p->g, qt_column_mve(p, in, i, scratch), out + i * n, p->g.mode);
}

QT_INLINE void qt_fc_spec_mve(const qt_gemm_s8_t *g, int32_t batches, const int8_t *in, int8_t *out, int8_t *scratch) {
  int32_t b;
  (void)scratch;
  for (b = 0; b < batches; b++) qt_gemm_row_mve(g, in + b * g->k, out + b * g->n, g->mode);
}

QT_INLINE void qt_dwconv_spec_mve(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) {
  qt_dwconv_mve(p, in, out, p->mode, p->k_h, p->k_w);
}

#endif /* QT_MAC_MVE_IMPL_H */
