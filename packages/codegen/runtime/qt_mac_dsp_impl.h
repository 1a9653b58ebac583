/* qt_mac_dsp_impl.h: conv, depthwise conv and fully_connected for Cortex-M4/M7 with the DSP extension: dual 16-bit
   multiply-accumulates (SMLAD) on int8 values widened two at a time (SXTB16), through the ACLE intrinsics of
   arm_acle.h. Same integers as qt_mac.c (see qt_mac.h, "fast kernels", for the algebra).

   gemm weight layout (qt_gemm_s8_t.w, int16, built by the emitter, packages/codegen/src/kernels/mac_fast.ts):
   output channels in blocks of 4 (then blocks of 1 for the rest); in a block, for each group of 4 taps
   k0..k3, for each channel of the block the pair (w[k0], w[k2]) then (w[k1], w[k3]): the lanes SXTB16 makes of
   4 input bytes (bytes 0 and 2, then 1 and 3 rotated), so one SMLAD takes two taps. Then the k % 4 last taps,
   [tap][channel of the block], padded with a 0 to an even count (the next block stays word aligned).
   Also here: the packed sub-byte row (qt_gemm_row_packed_dsp), Winograd F(2x2, 3x3) (qt_wino_spec_dsp), the
   depthwise conv, and the layer bodies a generated model inlines per layer (qt_*_spec_dsp). */
#ifndef QT_MAC_DSP_IMPL_H
#define QT_MAC_DSP_IMPL_H
#define QT_MAC_FAST_IMPL
#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#define QT_SAT8_ADD(r, off) __ssat(__qadd((r), (off)), 8) /* = clamp(sat32(r + off), -128, 127) */
#endif
#include "qt_runtime.h"
#include "qt_mac.h" /* again: the fast helpers, whether or not qt_runtime.h came before */

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#define qt_sxtb16(x) ((uint32_t)__sxtb16(x))
static inline uint32_t qt_sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x)); /* gcc 12's arm_acle.h has no __ror to fold */
  return r;
}
#define qt_smlad(a, b, acc) __smlad((a), (b), (acc))
#define qt_sadd16(a, b) ((uint32_t)__sadd16((a), (b)))
#define qt_ssub16(a, b) ((uint32_t)__ssub16((a), (b)))
#define qt_smlabb(a, b, acc) __smlabb((a), (b), (acc))
#define qt_smlatt(a, b, acc) __smlatt((a), (b), (acc))
#else
/* Portable twins of the instructions (the host build of the tests): lanes are the two signed halfwords. */
static inline int32_t qt_lo16(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x & 0xffffu); }
static inline int32_t qt_hi16(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x >> 16); }
static inline uint32_t qt_pack16(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16); }
static inline uint32_t qt_sxtb16(uint32_t x) { return qt_pack16((int8_t)(uint8_t)(x & 0xffu), (int8_t)(uint8_t)((x >> 16) & 0xffu)); }
static inline uint32_t qt_sxtb16_ror8(uint32_t x) { return qt_sxtb16((x >> 8) | (x << 24)); }
static inline int32_t qt_smlad(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(qt_lo16(a) * qt_lo16(b)) + (uint32_t)(qt_hi16(a) * qt_hi16(b)));
}
static inline uint32_t qt_sadd16(uint32_t a, uint32_t b) { return qt_pack16(qt_lo16(a) + qt_lo16(b), qt_hi16(a) + qt_hi16(b)); }
static inline uint32_t qt_ssub16(uint32_t a, uint32_t b) { return qt_pack16(qt_lo16(a) - qt_lo16(b), qt_hi16(a) - qt_hi16(b)); }
static inline int32_t qt_smlabb(uint32_t a, uint32_t b, int32_t acc) { return (int32_t)((uint32_t)acc + (uint32_t)(qt_lo16(a) * qt_lo16(b))); }
static inline int32_t qt_smlatt(uint32_t a, uint32_t b, int32_t acc) { return (int32_t)((uint32_t)acc + (uint32_t)(qt_hi16(a) * qt_hi16(b))); }
#endif

/* acc + a * b modulo 2^32 (the scalar tails: partial sums may pass int32 before the folded bias brings them back) */
static inline int32_t qt_mla(int32_t acc, int32_t a, int32_t b) { return (int32_t)((uint32_t)acc + (uint32_t)(a * b)); }

/* Two words at p + off bytes (8-byte aligned tables, word-aligned at least): one LDRD. gcc splits a 64-bit
   memcpy into two LDR when it cannot prove the alignment, so on Arm the load is written out. */
typedef struct {
  uint32_t lo, hi;
} qt_pair_t;
#if defined(__ARM_FEATURE_DSP)
#define QT_LDRD(v, p, off) \
  __asm__("ldrd %0, %1, [%2, %3]" : "=r"((v).lo), "=r"((v).hi) : "r"(p), "i"(off), "m"(*(const qt_pair_t *)(const void *)((const char *)(p) + (off))))
#else
#define QT_LDRD(v, p, off) ((v).lo = qt_ld32((const char *)(p) + (off)), (v).hi = qt_ld32((const char *)(p) + (off) + 4))
#endif

/* The column widened to int16 in SMLAD order: per group of 4 values, (x0, x2) then (x1, x3) as SXTB16 gives
   them; then the k % 4 last values as they are. Widening once per pixel, not once per block of channels. */
static inline void qt_widen_dsp(const int8_t *x, int32_t k, int16_t *x16) {
  const int32_t k4 = k >> 2;
  int32_t i, j;
  for (i = 0; i < k4; i++, x += 4, x16 += 4) {
    const uint32_t xv = qt_ld32(x);
    qt_st32(x16, qt_sxtb16(xv));
    qt_st32(x16 + 2, qt_sxtb16_ror8(xv));
  }
  for (j = 0; j < (k & 3); j++) x16[j] = x[j];
}

/* The 4-channel step of a gemm row: 4 taps of the column (xv, SMLAD order) times the block's weights at w. */
#define QT_DSP_STEP4(xv, w, a0, a1, a2, a3) \
  do {                                     \
    qt_pair_t w0_, w1_, w2_, w3_;          \
    QT_LDRD(w0_, w, 0);                    \
    QT_LDRD(w1_, w, 8);                    \
    a0 = qt_smlad(w0_.lo, xv.lo, a0);      \
    a0 = qt_smlad(w0_.hi, xv.hi, a0);      \
    a1 = qt_smlad(w1_.lo, xv.lo, a1);      \
    a1 = qt_smlad(w1_.hi, xv.hi, a1);      \
    QT_LDRD(w2_, w, 16);                   \
    QT_LDRD(w3_, w, 24);                   \
    a2 = qt_smlad(w2_.lo, xv.lo, a2);      \
    a2 = qt_smlad(w2_.hi, xv.hi, a2);      \
    a3 = qt_smlad(w3_.lo, xv.lo, a3);      \
    a3 = qt_smlad(w3_.hi, xv.hi, a3);      \
  } while (0)

#if defined(__ARM_FEATURE_DSP)
/* The inner loop of a block of 4 channels, 8 taps an iteration (n8 >= 1 iterations), written out because the
   count that matters here is instructions: per 4 taps one LDRD of the widened column, two LDM of 4 weight words
   (channels 0-1, then 2-3, in the layout above) and 8 SMLAD; the pointers advance by write-back. 13 registers, so
   they are named (LDM needs its list in ascending order; r7, Thumb's frame pointer, is left alone). The same
   arithmetic as QT_DSP_STEP4 twice (the host build runs that). */
QT_INLINE void qt_block8_dsp(const int16_t **xpp, const int16_t **wpp, int32_t n8, int32_t *acc0, int32_t *acc1, int32_t *acc2,
                             int32_t *acc3) {
  register int32_t a0 __asm__("r0") = *acc0;
  register int32_t a1 __asm__("r1") = *acc1;
  register int32_t a2 __asm__("r2") = *acc2;
  register int32_t a3 __asm__("r3") = *acc3;
  register const int16_t *px __asm__("r6") = *xpp;
  register const int16_t *pw __asm__("ip") = *wpp;
  register const int16_t *pend __asm__("lr") = *xpp + 8 * n8;
  register uint32_t x0 __asm__("r4"), x1 __asm__("r5");
  register uint32_t w0 __asm__("r8"), w1 __asm__("r9"), w2 __asm__("r10"), w3 __asm__("r11");
  __asm__ volatile(
      "1:\n\t"
      "ldrd %[x0], %[x1], [%[px]], #8\n\t"
      "ldmia %[pw]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
      "smlad %[a0], %[w0], %[x0], %[a0]\n\t"
      "smlad %[a0], %[w1], %[x1], %[a0]\n\t"
      "smlad %[a1], %[w2], %[x0], %[a1]\n\t"
      "smlad %[a1], %[w3], %[x1], %[a1]\n\t"
      "ldmia %[pw]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
      "smlad %[a2], %[w0], %[x0], %[a2]\n\t"
      "smlad %[a2], %[w1], %[x1], %[a2]\n\t"
      "smlad %[a3], %[w2], %[x0], %[a3]\n\t"
      "smlad %[a3], %[w3], %[x1], %[a3]\n\t"
      "ldrd %[x0], %[x1], [%[px]], #8\n\t"
      "ldmia %[pw]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
      "smlad %[a0], %[w0], %[x0], %[a0]\n\t"
      "smlad %[a0], %[w1], %[x1], %[a0]\n\t"
      "smlad %[a1], %[w2], %[x0], %[a1]\n\t"
      "smlad %[a1], %[w3], %[x1], %[a1]\n\t"
      "ldmia %[pw]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
      "smlad %[a2], %[w0], %[x0], %[a2]\n\t"
      "smlad %[a2], %[w1], %[x1], %[a2]\n\t"
      "smlad %[a3], %[w2], %[x0], %[a3]\n\t"
      "smlad %[a3], %[w3], %[x1], %[a3]\n\t"
      "cmp %[px], %[pend]\n\t"
      "bne 1b"
      : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [px] "+r"(px), [pw] "+r"(pw), [x0] "=&r"(x0), [x1] "=&r"(x1),
        [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3)
      : [pend] "r"(pend)
      : "cc", "memory");
  *acc0 = a0;
  *acc1 = a1;
  *acc2 = a2;
  *acc3 = a3;
  *xpp = px;
  *wpp = pw;
}
#endif

/* A block of 4 channels over k4 groups of 4 taps of the widened column: *xpp and *wpp advance past them. */
QT_INLINE void qt_dot4_dsp(const int16_t **xpp, const int16_t **wpp, int32_t k4, int32_t *a0p, int32_t *a1p, int32_t *a2p, int32_t *a3p) {
  const int16_t *xp = *xpp, *w = *wpp;
  int32_t a0 = *a0p, a1 = *a1p, a2 = *a2p, a3 = *a3p, i;
#if defined(__ARM_FEATURE_DSP)
  if (k4 >= 2) {
    qt_block8_dsp(&xp, &w, k4 >> 1, &a0, &a1, &a2, &a3);
    i = k4 & ~1;
  } else {
    i = 0;
  }
#else
  for (i = 0; i + 2 <= k4; i += 2, xp += 8, w += 32) {
    qt_pair_t xv, xv2;
    QT_LDRD(xv, xp, 0);
    QT_DSP_STEP4(xv, w, a0, a1, a2, a3);
    QT_LDRD(xv2, xp, 8);
    QT_DSP_STEP4(xv2, w + 16, a0, a1, a2, a3);
  }
#endif
  if (i < k4) {
    qt_pair_t xv;
    QT_LDRD(xv, xp, 0);
    QT_DSP_STEP4(xv, w, a0, a1, a2, a3);
    xp += 4;
    w += 16;
  }
  *xpp = xp;
  *wpp = w;
  *a0p = a0;
  *a1p = a1;
  *a2p = a2;
  *a3p = a3;
}

/* The packed sub-byte row (g->packed; weights of <= 4 bits, never widened or copied): per block of 4 channels
   (then of 1), per 8 taps, one word per channel holding the 8 stored q (unsigned nibbles) where (word >> 4 j) &
   0x000F000F is the SMLAD pair of the widened column's word j (nibble positions 0, 16 / 4, 20 / 8, 24 / 12, 28 for
   taps 0, 2 / 1, 3 / 4, 6 / 5, 7); then the k % 8 last taps' adjusted weights as int16 [tap][channel] (padded to
   an even count). With Q = sum q x and S = sum x over the packed taps, acc = fbias + wsign Q + o[c] S + the
   tail's sum adj x (all modulo 2^32, as the widened row's). x16: the widened column (2 ((k + 3) & ~3) bytes). */
/* q += the 8 nibbles of wv times the column's 4 words (lo: taps 0-3, hi: taps 4-7), one AND and one SMLAD a pair */
#define QT_PACKED_STEP(wv, lo, hi, mask, q)            \
  do {                                                 \
    const uint32_t w_ = (wv);                          \
    q = qt_smlad(w_ & (mask), (lo).lo, q);             \
    q = qt_smlad((w_ >> 4) & (mask), (lo).hi, q);      \
    q = qt_smlad((w_ >> 8) & (mask), (hi).lo, q);      \
    q = qt_smlad((w_ >> 12) & (mask), (hi).hi, q);     \
  } while (0)

/* The same in asm for accumulator q: its word (post-increment), then per pair one AND with shift and one SMLAD. */
#define QT_PACKED_ASM(q)                              \
  "ldr %[w], [%[wq]], #4\n\t"                          \
  "and %[t], %[mask], %[w]\n\t"                        \
  "smlad %[" #q "], %[t], %[x0], %[" #q "]\n\t"        \
  "and %[t], %[mask], %[w], lsr #4\n\t"                \
  "smlad %[" #q "], %[t], %[x1], %[" #q "]\n\t"        \
  "and %[t], %[mask], %[w], lsr #8\n\t"                \
  "smlad %[" #q "], %[t], %[x2], %[" #q "]\n\t"        \
  "and %[t], %[mask], %[w], lsr #12\n\t"               \
  "smlad %[" #q "], %[t], %[x3], %[" #q "]\n\t"

static inline int32_t qt_x16_tap(const int16_t *x16, int32_t k4, int32_t t) { /* tap t of a widened column */
  return t < 4 * k4 ? x16[(t & ~3) + ((t & 1) << 1) + ((t >> 1) & 1)] : x16[t]; /* a group's taps at 0, 2, 1, 3 */
}

QT_INLINE void qt_gemm_row_packed_dsp(const qt_gemm_s8_t *g, const int16_t *x16, int8_t *y, int32_t mode, int32_t per_channel, int32_t full) {
  const int32_t k = g->k, k8 = k >> 3, kt = k & 7, k4 = k >> 2, n = g->n, n4 = n & ~3, sg = g->wsign;
  const uint32_t mask = 0x000F000Fu;
  const int32_t *bias = g->bias, *o8 = g->cw;
  const uint32_t *wq = (const uint32_t *)g->w;
  qt_out_t o = qt_out_of(g);
  int32_t c, i, sx = 0;
  o.mode = mode;
  o.per_channel = per_channel;
  o.full = full;
  for (i = 0; i < 4 * k8; i++) sx = qt_smlad(qt_ld32(x16 + 2 * i), 0x00010001u, sx); /* S: both lanes of each word */
  for (c = 0; c < n4; c += 4) { /* blocks of 4 channels: the 4 accumulators and the column's 4 words in registers */
    int32_t q0 = 0, q1 = 0, q2 = 0, q3 = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    const int16_t *xp = x16;
    for (i = 0; i < k8; i++, xp += 8) {
#if defined(__ARM_FEATURE_DSP)
      /* written out: gcc splits each AND-with-shift in two and spills (38 instructions for 32 MACs here) */
      uint32_t x0_, x1_, x2_, x3_, w_, t_;
      __asm__("ldrd %[x0], %[x1], [%[xp]]\n\t"
              "ldrd %[x2], %[x3], [%[xp], #8]\n\t"
              QT_PACKED_ASM(q0) QT_PACKED_ASM(q1) QT_PACKED_ASM(q2) QT_PACKED_ASM(q3)
              : [x0] "=&r"(x0_), [x1] "=&r"(x1_), [x2] "=&r"(x2_), [x3] "=&r"(x3_), [w] "=&r"(w_), [t] "=&r"(t_), [wq] "+r"(wq),
                [q0] "+r"(q0), [q1] "+r"(q1), [q2] "+r"(q2), [q3] "+r"(q3)
              : [xp] "r"(xp), [mask] "r"(mask)
              : "memory");
#else
      qt_pair_t lo, hi;
      QT_LDRD(lo, xp, 0);
      QT_LDRD(hi, xp, 8);
      QT_PACKED_STEP(wq[0], lo, hi, mask, q0);
      QT_PACKED_STEP(wq[1], lo, hi, mask, q1);
      QT_PACKED_STEP(wq[2], lo, hi, mask, q2);
      QT_PACKED_STEP(wq[3], lo, hi, mask, q3);
      wq += 4;
#endif
    }
    if (kt) {
      const int16_t *wt = (const int16_t *)(const void *)wq;
      int32_t t;
      for (t = 0; t < kt; t++, wt += 4) {
        const int32_t xv = qt_x16_tap(x16, k4, 8 * k8 + t);
        d0 = qt_mla(d0, wt[0], xv);
        d1 = qt_mla(d1, wt[1], xv);
        d2 = qt_mla(d2, wt[2], xv);
        d3 = qt_mla(d3, wt[3], xv);
      }
      wq += 2 * kt;
    }
    y[c] = qt_out((int32_t)((uint32_t)bias[c] + (uint32_t)(sg * q0) + (uint32_t)o8[c] * (uint32_t)sx + (uint32_t)d0), &o, c);
    y[c + 1] = qt_out((int32_t)((uint32_t)bias[c + 1] + (uint32_t)(sg * q1) + (uint32_t)o8[c + 1] * (uint32_t)sx + (uint32_t)d1), &o, c + 1);
    y[c + 2] = qt_out((int32_t)((uint32_t)bias[c + 2] + (uint32_t)(sg * q2) + (uint32_t)o8[c + 2] * (uint32_t)sx + (uint32_t)d2), &o, c + 2);
    y[c + 3] = qt_out((int32_t)((uint32_t)bias[c + 3] + (uint32_t)(sg * q3) + (uint32_t)o8[c + 3] * (uint32_t)sx + (uint32_t)d3), &o, c + 3);
  }
  for (c = n4; c < n; c++) { /* the n % 4 last channels, one at a time */
    int32_t q0 = 0, d0 = 0;
    const int16_t *xp = x16;
    for (i = 0; i < k8; i++, xp += 8, wq++) {
      qt_pair_t lo, hi;
      QT_LDRD(lo, xp, 0);
      QT_LDRD(hi, xp, 8);
      QT_PACKED_STEP(wq[0], lo, hi, mask, q0);
    }
    if (kt) {
      const int16_t *wt = (const int16_t *)(const void *)wq;
      int32_t t;
      for (t = 0; t < kt; t++) d0 = qt_mla(d0, wt[t], qt_x16_tap(x16, k4, 8 * k8 + t));
      wq += (kt + 1) >> 1;
    }
    y[c] = qt_out((int32_t)((uint32_t)bias[c] + (uint32_t)(sg * q0) + (uint32_t)o8[c] * (uint32_t)sx + (uint32_t)d0), &o, c);
  }
}

/* y[c] for every output channel c of one pixel. x16: the widened column (qt_widen_dsp), or NULL to widen the
   int8 x8 on the fly (fully_connected: one pass over the row per block of 4 channels, no scratch). Blocks of 4
   channels: per 4 taps one LDRD of the column (or LDR + 2 SXTB16), one LDRD and two SMLAD per channel. */
QT_INLINE void qt_gemm_row_dsp(const qt_gemm_s8_t *g, const int16_t *x16, const int8_t *x8, int8_t *y, int32_t mode,
                                int32_t per_channel, int32_t full) {
  const int32_t k4 = g->k >> 2, kt = g->k & 3, n = g->n;
  const int32_t *bias = g->bias;
  qt_out_t o = qt_out_of(g);
  o.mode = mode;
  o.per_channel = per_channel;
  o.full = full;
  const int16_t *w = (const int16_t *)g->w;
  const int32_t n4 = n & ~3; /* a constant in a specialised layer: its tail loop below folds away */
  int32_t c, i, j;
  if (g->packed) { /* the callers widen the column first (x16 set) */
    qt_gemm_row_packed_dsp(g, x16, y, mode, per_channel, full);
    return;
  }
  for (c = 0; c < n4; c += 4) {
    int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
    if (x16) {
      const int16_t *xp = x16;
      qt_dot4_dsp(&xp, &w, k4, &a0, &a1, &a2, &a3);
      for (j = 0; j < kt; j++, w += 4) {
        a0 = qt_mla(a0, w[0], xp[j]);
        a1 = qt_mla(a1, w[1], xp[j]);
        a2 = qt_mla(a2, w[2], xp[j]);
        a3 = qt_mla(a3, w[3], xp[j]);
      }
    } else {
      const int8_t *xp = x8;
      for (i = 0; i < k4; i++, xp += 4, w += 16) {
        const uint32_t x4 = qt_ld32(xp);
        qt_pair_t xv;
        xv.lo = qt_sxtb16(x4);
        xv.hi = qt_sxtb16_ror8(x4);
        QT_DSP_STEP4(xv, w, a0, a1, a2, a3);
      }
      for (j = 0; j < kt; j++, w += 4) {
        a0 = qt_mla(a0, w[0], xp[j]);
        a1 = qt_mla(a1, w[1], xp[j]);
        a2 = qt_mla(a2, w[2], xp[j]);
        a3 = qt_mla(a3, w[3], xp[j]);
      }
    }
    y[c] = qt_out(a0, &o, c);
    y[c + 1] = qt_out(a1, &o, c + 1);
    y[c + 2] = qt_out(a2, &o, c + 2);
    y[c + 3] = qt_out(a3, &o, c + 3);
  }
  for (c = n4; c < n; c++) {
    int32_t a = bias[c];
    for (i = 0; i < k4; i++, w += 4) {
      qt_pair_t xv, wv;
      if (x16) {
        QT_LDRD(xv, x16 + 4 * i, 0);
      } else {
        const uint32_t x4 = qt_ld32(x8 + 4 * i);
        xv.lo = qt_sxtb16(x4);
        xv.hi = qt_sxtb16_ror8(x4);
      }
      QT_LDRD(wv, w, 0);
      a = qt_smlad(wv.lo, xv.lo, a);
      a = qt_smlad(wv.hi, xv.hi, a);
    }
    for (j = 0; j < kt; j++) a = qt_mla(a, w[j], x16 ? x16[4 * k4 + j] : x8[4 * k4 + j]);
    w += kt + (kt & 1);
    y[c] = qt_out(a, &o, c);
  }
}

/* The widened im2col column straight from the input when in_c % 4 == 0 (every run of taps is whole groups of 4,
   so widening run by run is widening the column); padded cells are the widened pad value. */
static inline void qt_im2col16_dsp(const qt_conv_fast_t *p, const int8_t *xb, int32_t oh, int32_t ow, int16_t *x16) {
  const int32_t ih0 = oh * p->stride_h - p->pad_top;
  const int32_t iw0 = ow * p->stride_w - p->pad_left;
  const int32_t in_c = p->in_c, row_len = p->k_w * in_c;
  const uint32_t pad = ((uint32_t)p->pad_value & 0xffffu) | ((uint32_t)p->pad_value << 16);
  int32_t kh, kw, i;
  for (kh = 0; kh < p->k_h; kh++, x16 += row_len) {
    const int32_t ih = ih0 + kh * p->dil_h;
    const int8_t *xr;
    if (ih < 0 || ih >= p->in_h) {
      for (i = 0; i < row_len; i += 2) qt_st32(x16 + i, pad);
      continue;
    }
    xr = xb + ih * p->in_w * in_c;
    if (p->dil_w == 1 && iw0 >= 0 && iw0 + p->k_w <= p->in_w) {
      qt_widen_dsp(xr + iw0 * in_c, row_len, x16); /* the whole row of taps is one run of the input */
      continue;
    }
    for (kw = 0; kw < p->k_w; kw++) {
      const int32_t iw = iw0 + kw * p->dil_w;
      if (iw < 0 || iw >= p->in_w)
        for (i = 0; i < in_c; i += 2) qt_st32(x16 + kw * in_c + i, pad);
      else qt_widen_dsp(xr + iw * in_c, in_c, x16 + kw * in_c);
    }
  }
}

/* One tap of a depthwise window for a quad of channels: 4 input bytes at xt, 4 weights at wr (then wr += 4), the
   lanes of SXTB16 into their channels' accumulators. One asm statement on Arm, so that gcc, unrolling the window,
   keeps each tap's 8 instructions together instead of hoisting the loads of all taps and spilling. */
#if defined(__ARM_FEATURE_DSP)
#define QT_DW_TAP_DSP(xt, wr, a0, a1, a2, a3)                                                                         \
  do {                                                                                                           \
    uint32_t xv_, xe_, w0_, w1_;                                                                                 \
    __asm__("ldr %[xv], %[xm]\n\t"                                                                                \
            "ldrd %[w0], %[w1], [%[wp]], #8\n\t"                                                                  \
            "sxtb16 %[xe], %[xv]\n\t"                                                                             \
            "sxtb16 %[xv], %[xv], ror #8\n\t"                                                                     \
            "smlabb %[c0], %[w0], %[xe], %[c0]\n\t"                                                               \
            "smlatt %[c2], %[w0], %[xe], %[c2]\n\t"                                                               \
            "smlabb %[c1], %[w1], %[xv], %[c1]\n\t"                                                               \
            "smlatt %[c3], %[w1], %[xv], %[c3]"                                                                     \
            : [xv] "=&r"(xv_), [xe] "=&r"(xe_), [w0] "=&r"(w0_), [w1] "=&r"(w1_), [wp] "+r"(wr), [c0] "+r"(a0), [c1] "+r"(a1), \
              [c2] "+r"(a2), [c3] "+r"(a3)                                                                       \
            : [xm] "m"(*(const uint32_t *)(const void *)(xt)), "m"(*(const qt_pair_t *)(const void *)(wr)));    \
  } while (0)
#else
#define QT_DW_TAP_DSP(xt, wr, a0, a1, a2, a3)           \
  do {                                                 \
    const uint32_t xv_ = qt_ld32(xt);                  \
    const uint32_t xe_ = qt_sxtb16(xv_), xo_ = qt_sxtb16_ror8(xv_); \
    qt_pair_t wv_;                                     \
    QT_LDRD(wv_, wr, 0);                               \
    a0 = qt_smlabb(wv_.lo, xe_, a0);                   \
    a2 = qt_smlatt(wv_.lo, xe_, a2);                   \
    a1 = qt_smlabb(wv_.hi, xo_, a1);                   \
    a3 = qt_smlatt(wv_.hi, xo_, a3);                   \
    wr += 4;                                           \
  } while (0)
#endif

/* Depthwise: per pixel, channels four at a time. The lanes of SXTB16 are channels (0, 2) and (1, 3) of the
   pixel; SMLABB / SMLATT accumulate each lane into its own channel. A window inside the input sums w * x from the
   folded bias (fbias); a window crossing the padding skips the padded taps (x' = 0) and sums w * x' (SADD16 of
   the input offset, x' in [-255, 255]) from the plain bias. */
QT_INLINE void qt_dwconv_dsp(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out, int32_t mode, int32_t k_h, int32_t k_w,
                              int32_t per_channel, int32_t full) {
  const int32_t c = p->c, c4 = c & ~3, taps = k_h * k_w;
  const int32_t row = p->in_w * c, tap_w = p->dil_w * c, tap_h = p->dil_h * row;
  const uint32_t io2 = ((uint32_t)p->input_offset & 0xffffu) | ((uint32_t)p->input_offset << 16);
  const qt_gemm_s8_t g = { 0, c, 0, 0, 0, p->requant, p->rqf, p->per_channel_requant, p->mode, p->output_offset, p->act_min, p->act_max, p->rqf_fast, 0, 1, p->rq2 };
  const int16_t *wt = p->w;
  const int32_t in_off = p->input_offset;
  const int32_t *pbias = p->bias, *fbias = p->fbias;
  qt_out_t o = qt_out_of(&g);
  int32_t b, oh, ow, ch, kh, kw;
  o.mode = mode;
  o.per_channel = per_channel;
  o.full = full;
  for (b = 0; b < p->batches; b++) {
    const int8_t *xb = in + b * p->in_h * row;
    for (oh = 0; oh < p->out_h; oh++) {
      const int32_t ih0 = oh * p->stride_h - p->pad_top;
      const int32_t kh0 = qt_fast_first_tap(ih0, p->dil_h), kh1 = qt_fast_end_tap(ih0, p->dil_h, p->in_h, p->k_h);
      for (ow = 0; ow < p->out_w; ow++, out += c) {
        const int32_t iw0 = ow * p->stride_w - p->pad_left;
        const int32_t kw0 = qt_fast_first_tap(iw0, p->dil_w), kw1 = qt_fast_end_tap(iw0, p->dil_w, p->in_w, p->k_w);
        const int inside = kh0 == 0 && kh1 == k_h && kw0 == 0 && kw1 == k_w;
        const int32_t *bias = inside ? fbias : pbias;
        const int32_t o0 = ih0 * row + iw0 * c; /* offset of tap (0, 0) from xb; negative where it is padding */
        for (ch = 0; ch < c4; ch += 4) {
          int32_t a0 = bias ? bias[ch] : 0, a1 = bias ? bias[ch + 1] : 0;
          int32_t a2 = bias ? bias[ch + 2] : 0, a3 = bias ? bias[ch + 3] : 0;
          if (inside) {
            const int8_t *xr = xb + o0 + ch;
            const int16_t *wr = wt + ch * taps; /* the quad's taps, 4 weights each, in order */
            QT_UNROLL for (kh = 0; kh < k_h; kh++, xr += tap_h) {
              const int8_t *xt = xr;
              QT_UNROLL for (kw = 0; kw < k_w; kw++, xt += tap_w) QT_DW_TAP_DSP(xt, wr, a0, a1, a2, a3);
            }
          } else {
            for (kh = kh0; kh < kh1; kh++)
              for (kw = kw0; kw < kw1; kw++) {
                const uint32_t xv = qt_ld32(xb + (o0 + kh * tap_h + kw * tap_w + ch));
                const uint32_t xe = qt_sadd16(qt_sxtb16(xv), io2), xo = qt_sadd16(qt_sxtb16_ror8(xv), io2);
                qt_pair_t wv;
                QT_LDRD(wv, wt + ch * taps + (kh * k_w + kw) * 4, 0);
                a0 = qt_smlabb(wv.lo, xe, a0);
                a2 = qt_smlatt(wv.lo, xe, a2);
                a1 = qt_smlabb(wv.hi, xo, a1);
                a3 = qt_smlatt(wv.hi, xo, a3);
              }
          }
          out[ch] = qt_out(a0, &o, ch);
          out[ch + 1] = qt_out(a1, &o, ch + 1);
          out[ch + 2] = qt_out(a2, &o, ch + 2);
          out[ch + 3] = qt_out(a3, &o, ch + 3);
        }
        for (; ch < c; ch++) {
          int32_t a = pbias ? pbias[ch] : 0;
          for (kh = kh0; kh < kh1; kh++)
            for (kw = kw0; kw < kw1; kw++)
              a = qt_mla(a, wt[c4 * taps + (kh * k_w + kw) * 4 + (ch & 3)], xb[o0 + kh * tap_h + kw * tap_w + ch] + in_off);
          out[ch] = qt_out(a, &o, ch);
        }
      }
    }
  }
}

/* ---- Winograd F(2x2, 3x3) (qt_wino_fast_t in qt_mac.h). */

/* out[c] = sum_k w[c][k] * x16[k] (mod 2^32) for c < n, no bias: the gemm row's loops (DSP layout, k % 4 == 0)
   with the raw accumulators stored. */
QT_INLINE void qt_gemm_raw_dsp(const int16_t *w, int32_t k, int32_t n, const int16_t *x16, int32_t *out) {
  const int32_t k4 = k >> 2, n4 = n & ~3;
  int32_t c, i;
  for (c = 0; c < n4; c += 4) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const int16_t *xp = x16;
    qt_dot4_dsp(&xp, &w, k4, &a0, &a1, &a2, &a3);
    out[c] = a0;
    out[c + 1] = a1;
    out[c + 2] = a2;
    out[c + 3] = a3;
  }
  for (c = n4; c < n; c++) {
    int32_t a = 0;
    for (i = 0; i < k4; i++, w += 4) {
      qt_pair_t xv, wv;
      QT_LDRD(xv, x16 + 4 * i, 0);
      QT_LDRD(wv, w, 0);
      a = qt_smlad(wv.lo, xv.lo, a);
      a = qt_smlad(wv.hi, xv.hi, a);
    }
    out[c] = a;
  }
}

/* V = B^T d B for the 16 words (pairs of channels) d[0..15] of a 4x4 tile (row-major), in place. |d| <= 255, so
   every lane stays within +-1020: SADD16 / SSUB16 never wrap. B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. */
QT_INLINE void qt_wino_in_dsp(uint32_t *v, int32_t stride) {
  uint32_t t[16];
  int32_t j;
  for (j = 0; j < 4; j++) {
    const uint32_t d0 = v[j * stride], d1 = v[(4 + j) * stride], d2 = v[(8 + j) * stride], d3 = v[(12 + j) * stride];
    t[j] = qt_ssub16(d0, d2);
    t[4 + j] = qt_sadd16(d1, d2);
    t[8 + j] = qt_ssub16(d2, d1);
    t[12 + j] = qt_ssub16(d1, d3);
  }
  for (j = 0; j < 4; j++) {
    const uint32_t t0 = t[4 * j], t1 = t[4 * j + 1], t2 = t[4 * j + 2], t3 = t[4 * j + 3];
    v[(4 * j) * stride] = qt_ssub16(t0, t2);
    v[(4 * j + 1) * stride] = qt_sadd16(t1, t2);
    v[(4 * j + 2) * stride] = qt_ssub16(t2, t1);
    v[(4 * j + 3) * stride] = qt_ssub16(t1, t3);
  }
}

/* scratch: V [16 cells][in_c / 2 words] (32 in_c bytes), then M [16][QT_WINO_CHUNK] int32. */
QT_INLINE void qt_wino_spec_dsp(const qt_wino_fast_t *p, const int8_t *in, int8_t *out, int8_t *scratch) {
  const int32_t C = p->in_c, C2 = C >> 1, N = p->g.n, W = p->out_w;
  const int32_t full = p->g.act_min == -128 && p->g.act_max == 127;
  const uint32_t io2 = ((uint32_t)p->input_offset & 0xffffu) | ((uint32_t)p->input_offset << 16);
  const int16_t *u = (const int16_t *)p->g.w;
  uint32_t *v = (uint32_t *)(void *)scratch;
  int32_t *m = (int32_t *)(void *)(scratch + 32 * C);
  qt_out_t o = qt_out_of(&p->g);
  int32_t b, ty, tx, r, q, c0, c, pos;
  o.mode = p->g.mode;
  o.per_channel = p->g.per_channel_requant;
  o.full = full;
  for (b = 0; b < p->batches; b++) {
    const int8_t *xb = in + b * p->in_h * p->in_w * C;
    int8_t *yb = out + b * p->out_h * W * N;
    for (ty = 0; ty < p->out_h; ty += 2)
      for (tx = 0; tx < W; tx += 2) {
        const int32_t ih0 = ty - p->pad_top, iw0 = tx - p->pad_left;
        const int32_t rows = p->out_h - ty < 2 ? 1 : 2, cols = W - tx < 2 ? 1 : 2;
        /* d: the tile's 16 input pixels widened with the input offset (SXTB16 pair order), 0 outside */
        for (r = 0; r < 16; r++) {
          const int32_t ih = ih0 + (r >> 2), iw = iw0 + (r & 3);
          uint32_t *dv = v + r * C2;
          if (ih < 0 || ih >= p->in_h || iw < 0 || iw >= p->in_w) {
            for (q = 0; q < C2; q++) dv[q] = 0;
          } else {
            const int8_t *xp = xb + (ih * p->in_w + iw) * C;
            for (q = 0; q < C2; q += 2, xp += 4) {
              const uint32_t xv = qt_ld32(xp);
              dv[q] = qt_sadd16(qt_sxtb16(xv), io2);
              dv[q + 1] = qt_sadd16(qt_sxtb16_ror8(xv), io2);
            }
          }
        }
        for (q = 0; q < C2; q++) qt_wino_in_dsp(v + q, C2);
        for (c0 = 0; c0 < N; c0 += QT_WINO_CHUNK) {
          const int32_t cn = N - c0 < QT_WINO_CHUNK ? N - c0 : QT_WINO_CHUNK;
          for (pos = 0; pos < 16; pos++) qt_gemm_raw_dsp(u + (pos * N + c0) * C, C, cn, (const int16_t *)(const void *)(v + pos * C2), m + pos * QT_WINO_CHUNK);
          /* 4 Y = A^T M A, A^T = [1 1 1 0; 0 1 -1 -1], then acc = bias + Y */
          for (c = 0; c < cn; c++) {
            const int32_t *mc = m + c;
            uint32_t r0[4], r1[4], y00, y01, y10, y11;
            int32_t j;
            for (j = 0; j < 4; j++) {
              const uint32_t a = (uint32_t)mc[j * QT_WINO_CHUNK], e = (uint32_t)mc[(4 + j) * QT_WINO_CHUNK];
              const uint32_t f = (uint32_t)mc[(8 + j) * QT_WINO_CHUNK], h = (uint32_t)mc[(12 + j) * QT_WINO_CHUNK];
              r0[j] = a + e + f;
              r1[j] = e - f - h;
            }
            y00 = r0[0] + r0[1] + r0[2];
            y01 = r0[1] - r0[2] - r0[3];
            y10 = r1[0] + r1[1] + r1[2];
            y11 = r1[1] - r1[2] - r1[3];
            {
              const int32_t ch = c0 + c;
              const uint32_t bias = (uint32_t)p->g.bias[ch];
              int8_t *y = yb + (ty * W + tx) * N + ch;
              y[0] = qt_out((int32_t)(bias + (uint32_t)((int32_t)y00 >> 2)), &o, ch);
              if (cols > 1) y[N] = qt_out((int32_t)(bias + (uint32_t)((int32_t)y01 >> 2)), &o, ch);
              if (rows > 1) {
                y[W * N] = qt_out((int32_t)(bias + (uint32_t)((int32_t)y10 >> 2)), &o, ch);
                if (cols > 1) y[W * N + N] = qt_out((int32_t)(bias + (uint32_t)((int32_t)y11 >> 2)), &o, ch);
              }
            }
          }
        }
      }
  }
}

/* ---- Layer bodies, inlined into a function of the generated model per layer (packages/codegen/src/kernels/
   mac_fast.ts): the params are a static const struct of that file, so every shape, stride, padding, rounding
   contract and clamp below is a compile-time constant there (loop bounds, tap offsets and the requantization
   branches fold away). qt_mac_dsp.c instantiates the same bodies once with run-time params. */

/* conv (groups = 1). scratch: the widened column (2 k bytes, 8-byte aligned), then for an im2col conv with
   in_c % 4 != 0 the int8 column (k bytes). */
QT_INLINE void qt_conv_spec_dsp(const qt_conv_fast_t *p, const int8_t *in, int8_t *out, int8_t *scratch) {
  const int32_t in_img = p->in_h * p->in_w * p->in_c;
  const int32_t full = p->g.act_min == -128 && p->g.act_max == 127;
  int16_t *x16 = (int16_t *)(void *)scratch;
  int8_t *col8 = scratch + 2 * ((p->g.k + 3) & ~3);
  const int whole = (p->in_c & 3) == 0;
  int32_t b, oh, ow;
  for (b = 0; b < p->batches; b++) {
    const int8_t *xb = in + b * in_img;
    for (oh = 0; oh < p->out_h; oh++)
      for (ow = 0; ow < p->out_w; ow++, out += p->g.n) {
        if (p->direct) {
          qt_widen_dsp(xb + ((oh * p->stride_h) * p->in_w + ow * p->stride_w) * p->in_c, p->g.k, x16);
        } else if (whole) {
          qt_im2col16_dsp(p, xb, oh, ow, x16);
        } else {
          qt_im2col(p, xb, oh, ow, col8);
          qt_widen_dsp(col8, p->g.k, x16);
        }
        qt_gemm_row_dsp(&p->g, x16, NULL, out, p->g.mode, p->g.per_channel_requant, full);
      }
  }
}

/* fully_connected: each row widened on the fly (read once per block of 4 output channels); with packed weights
   widened once into scratch. */
QT_INLINE void qt_fc_spec_dsp(const qt_gemm_s8_t *g, int32_t batches, const int8_t *in, int8_t *out, int8_t *scratch) {
  const int32_t full = g->act_min == -128 && g->act_max == 127;
  int32_t b;
  for (b = 0; b < batches; b++) {
    const int16_t *x16 = NULL;
    if (g->packed) { /* packed weights: the row widened first, into scratch (2 ((k + 3) & ~3) bytes) */
      qt_widen_dsp(in + b * g->k, g->k, (int16_t *)(void *)scratch);
      x16 = (const int16_t *)(const void *)scratch;
    }
    qt_gemm_row_dsp(g, x16, in + b * g->k, out + b * g->n, g->mode, g->per_channel_requant, full);
  }
}

QT_INLINE void qt_dwconv_spec_dsp(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) {
  qt_dwconv_dsp(p, in, out, p->mode, p->k_h, p->k_w, p->per_channel_requant, p->act_min == -128 && p->act_max == 127);
}

#endif /* QT_MAC_DSP_IMPL_H */
