/* qt_elementwise_dsp_impl.h: add / sub for the Cortex-M4/M7 (qt_elementwise.h, qt_add_fast_t): operands contiguous,
   no broadcasting. Same integers as qt_add_body (qt_elementwise.c):
   - the two input requantizations are table lookups, tabulated at compile time with the simulator's R
     (packages/codegen/src/kernels/binary.ts), the second negated for sub, indexed by the byte as uint8;
   - the output requantization R(acc, m, s) is one SMULL and one 64-bit add, as the MAC kernels' qt_rqf_t
     (qt_mac.h): tflite, s < 0, m >= 2^30: srdhm then rdivpot by e = -s is floor((acc m + K) / 2^(31+e)),
     K = 2^30 + 2^(30+e) - (acc < 0 ? 2^31 : 0) (acc < 0 is srdhm's sign: |acc m| >= m >= 2^30 > the nudge);
     qtool, r = 31 - s >= 32: floor((acc m + 2^(r-1)) / 2^r), |acc m| < 2^60 (no saturation); tflite where the
     tables bound |acc| below 2^30: SMMULR (qt_add_dsp_body). Any other
     multiplier goes through qt_rq itself.
   - the clamp is SSAT where it is the whole int8 range.
   Off Arm (the host build of the tests) the same C without the intrinsic. */
#ifndef QT_ELEMENTWISE_DSP_IMPL_H
#define QT_ELEMENTWISE_DSP_IMPL_H
#include "qt_runtime.h"
#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#define QT_ADD_SAT8(v) __ssat((v), 8)
#else
#define QT_ADD_SAT8(v) qt_sat8(v)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define QT_ADD_INLINE static inline __attribute__((always_inline))
#else
#define QT_ADD_INLINE static inline
#endif

#if defined(__ARM_FEATURE_DSP)
static inline int32_t qt_smmulr(int32_t a, int32_t b) { /* floor((a b + 2^31) / 2^32) */
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
#else
static inline int32_t qt_smmulr(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32); }
#endif

/* fast: 1 tflite with K by sign, 2 qtool (one K), 3 tflite where |acc| < 2^30 (small): srdhm(acc, m) is
   SMMULR(2 acc, m) = floor((acc m + 2^30) / 2^31) exactly, then rdivpot by e = -s >= 1 as
   (v + 2^(e-1) - [v < 0]) >> e; 0 qt_rq per element. The tables are indexed by the operand's byte as uint8. */
QT_ADD_INLINE void qt_add_dsp_body(const qt_add_fast_t *p, const int8_t *in1, const int8_t *in2, int8_t *out, int32_t fast, int32_t full) {
  const uint8_t *a = (const uint8_t *)(const void *)in1, *b = (const uint8_t *)(const void *)in2;
  const int32_t *t1 = p->t1, *t2 = p->t2;
  const int32_t n = p->size, m = p->output_multiplier, s = p->output_shift, mode = p->mode;
  const int32_t off = p->output_offset, lo = p->act_min - off, hi = p->act_max - off;
  int64_t kp = 0, kn = 0;
  int32_t sh = 0, e = 0, nudge = 0, i;
  if (fast == 1) {
    kp = ((int64_t)1 << 30) + ((int64_t)1 << (30 - s));
    kn = kp - ((int64_t)1 << 31);
    sh = -s - 1;
  } else if (fast == 2) {
    kp = kn = (int64_t)1 << (31 - s - 1);
    sh = 31 - s - 32;
  } else if (fast == 3) {
    e = -s;
    nudge = (int32_t)(1u << (e - 1));
  }
  for (i = 0; i < n; i++) {
    const int32_t acc = t1[a[i]] + t2[b[i]];
    int32_t r;
    if (fast == 3) {
      const int32_t v = qt_smmulr((int32_t)((uint32_t)acc << 1), m);
      r = (v + nudge - (int32_t)((uint32_t)v >> 31)) >> e;
    } else if (fast == 1) {
      r = (int32_t)(((int64_t)acc * m + (acc < 0 ? kn : kp)) >> 32) >> sh;
    } else if (fast == 2) {
      r = (int32_t)(((int64_t)acc * m + kp) >> 32) >> sh;
    } else {
      r = qt_rq(mode, acc, m, s);
    }
    out[i] = (int8_t)(full ? QT_ADD_SAT8(r + off) : qt_clamp(r, lo, hi) + off);
  }
}

/* The layer body, inlined into a function of the generated model per layer (packages/codegen/src/kernels/
   binary.ts) on its static const params: the requantization path, K and the clamp fold to constants there. */
QT_ADD_INLINE void qt_add_spec_dsp(const qt_add_fast_t *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
  const int32_t s = p->output_shift, m = p->output_multiplier;
  const int32_t fast = p->mode == QT_MODE_TFLITE ? (s < 0 && m >= (1 << 30) ? (p->small ? 3 : 1) : 0) : (31 - s >= 32 ? 2 : 0);
  const int32_t full = p->act_min == -128 && p->act_max == 127;
  if (fast == 3) {
    if (full) qt_add_dsp_body(p, in1, in2, out, 3, 1);
    else qt_add_dsp_body(p, in1, in2, out, 3, 0);
  } else if (fast == 1) {
    if (full) qt_add_dsp_body(p, in1, in2, out, 1, 1);
    else qt_add_dsp_body(p, in1, in2, out, 1, 0);
  } else if (fast == 2) {
    if (full) qt_add_dsp_body(p, in1, in2, out, 2, 1);
    else qt_add_dsp_body(p, in1, in2, out, 2, 0);
  } else {
    qt_add_dsp_body(p, in1, in2, out, 0, 0);
  }
}

#endif /* QT_ELEMENTWISE_DSP_IMPL_H */
