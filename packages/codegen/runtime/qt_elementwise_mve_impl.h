/* qt_elementwise_mve_impl.h: add / sub for the Cortex-M55 with Helium (qt_elementwise.h, qt_add_fast_t): operands
   contiguous, no broadcasting, four int32 lanes at a time. Same integers as qt_add_body (qt_elementwise.c):
   - the two input requantizations are table lookups (tabulated at compile time with the simulator's R,
     packages/codegen/src/kernels/binary.ts; the second negated for sub): a gather load per operand, the lanes'
     offsets x ^ 0x80 = x + 128 of the bytes loaded zero-extended;
   - the output requantization as the MAC kernels' (qt_mac_mve.c, qt_out4_tfl_mve / qt_out4_qt_mve): tflite's
     srdhm(acc << left, m) is VQRDMULH exactly, its rdivpot by e is VRSHL by -e after subtracting 1 from negative
     values; qtool's with r = 31 - s >= 33 is VMULH then VRSHL by s + 1; other qtool shifts lane by lane (qt_rq);
   - clamp(R, lo, hi) + offset as VQADD then VMAX / VMIN, stored narrowed (VSTRB.32), the tail predicated.
   Off Arm (the host build of the tests) each vector instruction is computed lane by lane by a C twin. */
#ifndef QT_ELEMENTWISE_MVE_IMPL_H
#define QT_ELEMENTWISE_MVE_IMPL_H
#include "qt_runtime.h"

#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>
#else
/* Portable twins of the instructions used, one lane. */
static inline int32_t qt_vqrdmulh(int32_t a, int32_t b) { /* sat((2 a b + 2^31) >> 32) */
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  return (int32_t)(((int64_t)a * b + ((int64_t)1 << 30)) >> 31);
}
static inline int32_t qt_vmulh(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b) >> 32); }
static inline int32_t qt_vrshl(int32_t a, int32_t n) { /* n in [-32, 31]: rounding shift right by -n, or shift left by n */
  if (n >= 0) return (int32_t)((uint32_t)a << n);
  return (int32_t)(((int64_t)a + ((int64_t)1 << (-n - 1))) >> -n);
}
static inline int32_t qt_vshl(int32_t a, int32_t n) { return n >= 0 ? (int32_t)((uint32_t)a << n) : a >> -n; } /* n >= 0 here */
static inline int32_t qt_vqadd(int32_t a, int32_t b) { return qt_sat32((int64_t)a + b); }
#endif

#if defined(__GNUC__) || defined(__clang__)
#define QT_ADD_MVE_INLINE static inline __attribute__((always_inline))
#else
#define QT_ADD_MVE_INLINE static inline
#endif

/* The layer body, inlined into a function of the generated model per layer (packages/codegen/src/kernels/
   binary.ts) on its static const params: the rounding path and the vector constants fold there. */
QT_ADD_MVE_INLINE void qt_add_spec_mve(const qt_add_fast_t *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
  const int32_t n = p->size, m = p->output_multiplier, s = p->output_shift, off = p->output_offset;
  const int32_t left = s > 0 ? s : 0, neg_right = s > 0 ? 0 : s; /* -right */
  const int32_t tfl = p->mode == QT_MODE_TFLITE;
  const int32_t lo = p->act_min - off, hi = p->act_max - off;
  int32_t i = 0;
  if (!tfl && s > -2) { /* qtool with r = 31 - s <= 32: lane by lane, as the portable kernel */
    const int32_t *t1 = p->t1 + 128, *t2 = p->t2 + 128;
    for (; i < n; i++) out[i] = (int8_t)(qt_clamp(qt_rq(p->mode, t1[in1[i]] + t2[in2[i]], m, s), lo, hi) + off);
    return;
  }
#if defined(__ARM_FEATURE_MVE)
  {
    const uint32x4_t bias = vdupq_n_u32(0x80);
    const int32x4_t leftv = vdupq_n_s32(left), nrv = vdupq_n_s32(neg_right), qsh = vdupq_n_s32(s + 1), mv = vdupq_n_s32(m);
    const int32x4_t offv = vdupq_n_s32(off), minv = vdupq_n_s32(p->act_min), maxv = vdupq_n_s32(p->act_max);
    const int32_t *t1 = p->t1, *t2 = p->t2;
    for (; i < n; i += 4) {
      const mve_pred16_t pr = vctp32q((uint32_t)(n - i));
      const uint32x4_t i1 = veorq_u32(vldrbq_z_u32((const uint8_t *)in1 + i, pr), bias); /* inactive lanes: 128 */
      const uint32x4_t i2 = veorq_u32(vldrbq_z_u32((const uint8_t *)in2 + i, pr), bias);
      int32x4_t v = vaddq_s32(vldrwq_gather_shifted_offset_s32(t1, i1), vldrwq_gather_shifted_offset_s32(t2, i2));
      if (tfl) {
        v = vqrdmulhq_n_s32(vshlq_s32(v, leftv), m);
        v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, nrv), 31)); /* -1 where v < 0 and right > 0 */
        v = vrshlq_s32(v, nrv);
      } else {
        v = vrshlq_s32(vmulhq_s32(v, mv), qsh);
      }
      v = vqaddq_s32(v, offv);
      v = vmaxq_s32(v, minv);
      v = vminq_s32(v, maxv);
      vstrbq_p_s32(out + i, v, pr);
    }
  }
#else
  {
    const int32_t *t1 = p->t1 + 128, *t2 = p->t2 + 128;
    for (; i < n; i++) {
      int32_t v = t1[in1[i]] + t2[in2[i]];
      if (tfl) {
        v = qt_vqrdmulh(qt_vshl(v, left), m);
        v = qt_vqadd(v, (v & neg_right) >> 31);
        v = qt_vrshl(v, neg_right);
      } else {
        v = qt_vrshl(qt_vmulh(v, m), s + 1);
      }
      v = qt_vqadd(v, off);
      v = v < p->act_min ? p->act_min : v;
      v = v > p->act_max ? p->act_max : v;
      out[i] = (int8_t)v;
    }
  }
#endif
}

#endif /* QT_ELEMENTWISE_MVE_IMPL_H */
